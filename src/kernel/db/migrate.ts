// Forward-only SQL migrations, one folder per schema.  A migration file, once applied, may not
// change: its SHA-256 is recorded and checked on every run.  Migrations run as the owner role in
// one transaction each, under an advisory lock so that two processes cannot interleave.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { Problem } from '../problems/index.js';
import type { Database } from './types.js';

export interface MigrationSource {
  /** PostgreSQL schema the folder owns, e.g. 'kernel'. */
  readonly schema: string;
  /** Absolute folder path holding NNNN_name.sql files. */
  readonly dir: string;
}

/** Applied migrations as "schema/version" keys. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('mamori_meta.migrations')::text AS t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const r = await sql<{ k: string }>`SELECT schema_name || '/' || version AS k FROM mamori_meta.migrations ORDER BY schema_name, version`.execute(db);
  return r.rows.map((x) => x.k);
}

export interface AppliedMigration {
  schema: string;
  version: number;
  name: string;
}

interface MigrationFile {
  schema: string;
  version: number;
  name: string;
  text: string;
  checksum: string;
}

function readSource(src: MigrationSource): MigrationFile[] {
  const files = readdirSync(src.dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return files.map((f) => {
    const text = readFileSync(join(src.dir, f), 'utf8');
    return {
      schema: src.schema,
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      text,
      checksum: createHash('sha256').update(text).digest('hex'),
    };
  });
}

export interface MigrateOptions {
  /** Apply only these migrations ("schema/version"), e.g. to rebuild the schema a backup was taken with. */
  readonly only?: ReadonlySet<string>;
}

export async function migrate(db: Kysely<Database>, sources: readonly MigrationSource[], opts: MigrateOptions = {}): Promise<AppliedMigration[]> {
  const files = sources.flatMap(readSource).filter((f) => !opts.only || opts.only.has(`${f.schema}/${f.version}`));
  const applied: AppliedMigration[] = [];
  await sql`CREATE SCHEMA IF NOT EXISTS mamori_meta`.execute(db);
  await sql`
    CREATE TABLE IF NOT EXISTS mamori_meta.migrations (
      schema_name text NOT NULL,
      version int NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (schema_name, version)
    )`.execute(db);
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(7261)`.execute(conn);
    try {
      const done = await sql<{ schema_name: string; version: number; checksum: string }>`
        SELECT schema_name, version, checksum FROM mamori_meta.migrations`.execute(conn);
      const known = new Map(done.rows.map((r) => [`${r.schema_name}/${r.version}`, r.checksum]));
      for (const f of files) {
        const key = `${f.schema}/${f.version}`;
        const prior = known.get(key);
        if (prior !== undefined) {
          if (prior !== f.checksum) {
            throw new Problem(
              500,
              'MIGRATION_CHANGED',
              '適用済みのマイグレーションが変更されています',
              `${f.schema}/${String(f.version).padStart(4, '0')}_${f.name}.sql は適用後に書き換えられています。マイグレーションは追加のみ可能です。`,
            );
          }
          continue;
        }
        await conn.transaction().execute(async (trx) => {
          await sql.raw(f.text).execute(trx);
          await sql`INSERT INTO mamori_meta.migrations (schema_name, version, name, checksum)
                    VALUES (${f.schema}, ${f.version}, ${f.name}, ${f.checksum})`.execute(trx);
        });
        applied.push({ schema: f.schema, version: f.version, name: f.name });
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(7261)`.execute(conn);
    }
  });
  return applied;
}
