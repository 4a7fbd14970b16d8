// Direct SQL through the owner connection, for assertions that must not go through the code under test
// (what is really in the tables) and for playing a rogue database administrator.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { App } from '../../src/app/index.js';
import type { Database } from '../../src/kernel/db/index.js';
import type { AuditLogTable } from '../../src/kernel/db/index.js';
import type { Selectable } from 'kysely';

export type AuditRow = Selectable<AuditLogTable>;

/** Operation-log rows of a tenant (owner view, unaffected by RLS), oldest first. */
export async function auditRows(app: App, tenant: string, where: Partial<Pick<AuditRow, 'action' | 'outcome' | 'actor_login' | 'subject_ref' | 'target_id'>> = {}): Promise<AuditRow[]> {
  let q = app.db.system.selectFrom('kernel.audit_log').selectAll().where('tenant_code', '=', tenant);
  for (const [k, v] of Object.entries(where)) if (v !== undefined) q = q.where(k as keyof AuditRow, '=', v as never);
  return q.orderBy('id').execute();
}

/** Row count of a table (owner view), optionally for one tenant. */
export async function countRows(db: Kysely<Database>, table: string, tenant?: string): Promise<number> {
  const where = tenant ? sql` WHERE tenant_code = ${tenant}` : sql``;
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(table)}${where}`.execute(db);
  return Number(r.rows[0]!.n);
}

/** Row counts of several tables at once, for "nothing else changed" checks. */
export async function snapshotCounts(db: Kysely<Database>, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await countRows(db, t);
  return out;
}

/** Every table in the given schemas, e.g. ['kernel']. */
export async function tablesOf(db: Kysely<Database>, schemas: readonly string[]): Promise<string[]> {
  const r = await sql<{ t: string }>`SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname = ANY(${[...schemas]}::text[]) ORDER BY 1`.execute(db);
  return r.rows.map((x) => x.t);
}

/** A content fingerprint of a table: md5 over every row as JSON, order-independent. */
export async function tableFingerprint(db: Kysely<Database>, table: string, where = ''): Promise<{ rows: number; md5: string | null }> {
  const r = await sql<{ rows: number; md5: string | null }>`
    SELECT count(*)::int AS rows, md5(string_agg(row_to_json(t)::text, '|' ORDER BY row_to_json(t)::text)) AS md5
    FROM ${sql.raw(table)} t ${sql.raw(where)}`.execute(db);
  return r.rows[0]!;
}

/**
 * Runs `fn` as a rogue DBA would: in one owner transaction with triggers switched off
 * (session_replication_role = replica skips the append-only guard on kernel.audit_log).
 */
export async function asRogueDba<T>(app: App, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return app.db.system.transaction().execute(async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    return fn(tx);
  });
}

/** The database server's own time: what it stamps on rows (created_at, the operation log's occurred_at). */
export async function dbNow(app: App): Promise<Date> {
  const r = await sql<{ now: Date }>`SELECT now() AS now`.execute(app.db.system);
  return new Date(r.rows[0]!.now);
}
