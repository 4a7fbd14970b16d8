// Retention purge of the operation log (KRN-35: default 3 years).  Entries are removed only up to a
// position where a signed checkpoint is written first, so the remaining chain still verifies.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { sealPending, writeCheckpoint, type AuditTrust } from './chain.js';

export interface AuditPurgeResult {
  readonly deleted: number;
  readonly throughSeq: number | null;
}

export async function countPurgeableAudit(db: Kysely<Database>, tenant: string, cutoff: Date): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log
      WHERE tenant_code = ${tenant} AND occurred_at < ${cutoff}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function purgeAuditBefore(
  db: Kysely<Database>,
  keys: AuditTrust,
  tenant: string,
  cutoff: Date,
  /** Runs inside the purge transaction, e.g. to write the deletion record atomically with the delete. */
  onPurged?: (tx: Kysely<Database>, r: AuditPurgeResult) => Promise<void>,
): Promise<AuditPurgeResult> {
  await sealPending(db, keys, tenant);
  return db.transaction().execute(async (tx) => {
    const head = (await sql<{ seq: number }>`SELECT seq FROM kernel.audit_chain_heads WHERE tenant_code = ${tenant} FOR UPDATE`.execute(tx)).rows[0];
    if (!head) return { deleted: 0, throughSeq: null };
    const keep = (
      await sql<{ seq: number | null }>`SELECT min(seq)::bigint AS seq FROM kernel.audit_log
          WHERE tenant_code = ${tenant} AND seq IS NOT NULL AND occurred_at >= ${cutoff}`.execute(tx)
    ).rows[0]?.seq;
    const through = keep === null || keep === undefined ? head.seq : keep - 1;
    const row = (
      await sql<{ hash: Buffer }>`SELECT hash FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq = ${through}`.execute(tx)
    ).rows[0];
    if (!row || through < 1) return { deleted: 0, throughSeq: null };
    await writeCheckpoint(tx, keys, tenant, through, row.hash, 'purge');
    await sql`SELECT set_config('mamori.audit_purge', 'on', true)`.execute(tx);
    const del = await sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq <= ${through}`.execute(tx);
    await sql`SELECT set_config('mamori.audit_purge', 'off', true)`.execute(tx);
    const result = { deleted: Number(del.numAffectedRows ?? 0), throughSeq: through };
    if (onPurged) await onPurged(tx, result);
    return result;
  });
}
