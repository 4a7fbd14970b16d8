// Registry helpers for tests: settling an application's fees the way a counter does (収入印紙 seen by staff,
// recorded through the real fee ledger), so approvals are tested against the real settlement rule.
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { feeStatus, getApplication, recordStampPayment, withRegistryTenant } from '../../src/registry/index.js';

/** Records 収入印紙 for whatever the application still owes (nothing when it owes nothing). */
export async function settleFeesByStamps(db: Kysely<UntypedDatabase>, clock: Clock, tenant: string, applicationId: string): Promise<void> {
  const s = await withRegistryTenant(db, tenant, async (tx) => feeStatus(tx, (await getApplication(tx, applicationId))!));
  if (s.settled) return;
  if (s.outstanding === null) throw new Error('test: the fee amount is unknown (要確認)');
  for (const l of s.lines) {
    const owed = (l.amount ?? 0) - l.net;
    if (owed > 0) await recordStampPayment(db, clock, tenant, applicationId, { kind: l.kind, instrument: '収入印紙', amount: owed, seenOn: clock.today(), reference: '試験用の収入印紙', by: 'madoguchi' });
  }
}
