// Planner statistics for tables that have never had any.
import { sql, type Kysely } from 'kysely';
import type { Database } from './types.js';

/**
 * Collects planner statistics for those of `tables` that have never had any (pg_class.reltuples < 0): a
 * fresh database until autovacuum's first ANALYZE, and always in embedded mode, which has no autovacuum.
 * Without statistics the planner takes `tenant_code = …` for a 0.5 % filter and answers a 1,000-key lookup
 * by scanning the whole tenant — batch after batch in a bulk import, which then slows down with every batch.
 * Runs as the owner (ANALYZE needs it); once per table.  Returns the tables analysed.
 */
export async function analyzeIfNeverAnalyzed(db: { readonly system: Kysely<Database> }, tables: readonly string[]): Promise<string[]> {
  const wanted = tables.filter((t) => /^[a-z_]+\.[a-z_]+$/.test(t));
  if (wanted.length === 0) return [];
  const rows = await sql<{ name: string }>`SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND (n.nspname || '.' || c.relname) IN (${sql.join(wanted)}) AND c.reltuples < 0`.execute(db.system);
  const names = rows.rows.map((r) => r.name).filter((n) => wanted.includes(n));
  for (const name of names) await sql`ANALYZE ${sql.raw(name)}`.execute(db.system);
  return names;
}
