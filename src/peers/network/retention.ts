// XCH-14: the 情報提供等記録 are kept for a set period and then deleted by the node itself (every six hours and
// at start).  The period is MAMORI_NETWORK_RECORD_YEARS (default 7, the keeping period 番号法施行令 sets for
// the 情報提供等の記録); a record is deleted when its last change is older than that, on the node's clock.
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export const DEFAULT_RECORD_YEARS = 7;

export function recordYears(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['MAMORI_NETWORK_RECORD_YEARS'];
  const n = raw === undefined || raw.trim() === '' ? DEFAULT_RECORD_YEARS : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error('MAMORI_NETWORK_RECORD_YEARS は1〜100の整数で指定してください');
  return n;
}

/** Deletes the records whose last change is older than `years`; returns how many. */
export async function purgeNetworkRecords(db: Kysely<UntypedDatabase>, clock: Clock, years: number): Promise<number> {
  const now = clock.now();
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const r = await sql`DELETE FROM peers_network.exchange_records WHERE updated_at < ${cutoff}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
