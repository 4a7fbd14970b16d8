// `mamori backup --out FILE` and `mamori restore FILE` (KRN-42), identical for embedded and server mode.
//
// A backup is one consistent snapshot (REPEATABLE READ) of every table in Mamori's schemas, written as
// JSON lines, gzip-compressed and sealed in AES-256-GCM frames (format.ts).  Restore rebuilds the schema
// at the backup's migration level, loads the rows in foreign-key order in one transaction, resets identity
// sequences, applies any newer migrations, and verifies the operation-log chains.
import { createReadStream, createWriteStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { createGunzip, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable, pipeline as pipeStreams } from 'node:stream';
import { createInterface } from 'node:readline';
import { sql, type Kysely, type Transaction } from 'kysely';
import { appliedMigrations, migrate, type Database, type MamoriDb, type MigrationSource } from '../db/index.js';
import type { KeyEncryptionKeys } from '../crypto/index.js';
import { Problem } from '../problems/index.js';
import { appendEntry } from '../audit/index.js';
import { markRestored, sealPending, type AuditTrust } from '../audit/index.js';
import { verifyChains, type VerifyResult } from '../audit/index.js';
import { systemActor, newMeta } from '../context/index.js';
import { MAGIC, OpenFrames, SealFrames } from './format.js';

/**
 * The backup's plaintext as a stream.  pipeline() (not .pipe()) so that an error in any stage — a frame
 * that does not open, a truncated file, bad gzip — destroys the last stage with that error instead of
 * leaving the reader waiting for data that never comes.
 */
function plaintext(file: string, offset: number, key: Buffer, fileId: string): NodeJS.ReadableStream {
  return pipeStreams(createReadStream(file, { start: offset, highWaterMark: 1 << 20 }), new OpenFrames(key, fileId), createGunzip(), () => undefined);
}

export interface BackupServices {
  readonly db: MamoriDb;
  readonly keyring: KeyEncryptionKeys;
  readonly auditKeys: AuditTrust;
}

interface Header {
  format: 'mamori-backup';
  version: 1;
  fileId: string;
  createdAt: string;
  mode: 'embedded' | 'server';
  kekId: string;
  wrappingKeys: string[];
  migrations: string[];
  tables: string[];
}

export interface BackupSummary {
  readonly file: string;
  readonly bytes: number;
  readonly tables: number;
  readonly rows: number;
  readonly counts: Record<string, number>;
}

/** Mamori's tables in foreign-key order (parents first); partitions are reached through their parent. */
export async function tablesInOrder(db: Kysely<Database> | Transaction<Database>, schemas: readonly string[]): Promise<string[]> {
  const t = await sql<{ name: string }>`
    SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(${[...schemas]}::text[])
    ORDER BY 1`.execute(db);
  const fk = await sql<{ child: string; parent: string }>`
    SELECT cn.nspname || '.' || cc.relname AS child, pn.nspname || '.' || pc.relname AS parent
    FROM pg_constraint k
    JOIN pg_class cc ON cc.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
    JOIN pg_class pc ON pc.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    WHERE k.contype = 'f' AND cn.nspname = ANY(${[...schemas]}::text[])`.execute(db);
  const names = t.rows.map((r) => r.name);
  const deps = new Map(names.map((n) => [n, new Set<string>()]));
  for (const e of fk.rows) if (e.child !== e.parent) deps.get(e.child)?.add(e.parent);
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string, stack: Set<string>): void => {
    if (seen.has(n)) return;
    if (stack.has(n)) throw new Error(`foreign-key cycle at ${n}`);
    stack.add(n);
    for (const p of deps.get(n) ?? []) if (deps.has(p)) visit(p, stack);
    stack.delete(n);
    seen.add(n);
    out.push(n);
  };
  for (const n of names) visit(n, new Set());
  return out;
}

async function mamoriSchemas(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ s: string }>`SELECT DISTINCT schema_name AS s FROM mamori_meta.migrations ORDER BY 1`.execute(db);
  return r.rows.map((x) => x.s);
}

function quoteTable(name: string): string {
  const [s, t] = name.split('.') as [string, string];
  return `"${s.replace(/"/g, '""')}"."${t.replace(/"/g, '""')}"`;
}

export async function backup(k: BackupServices, outFile: string): Promise<BackupSummary> {
  const db = k.db.system;
  await sealPending(db, k.auditKeys); // the snapshot carries a complete, sealed log
  const counts: Record<string, number> = {};
  const fileId = randomUUID();
  const kekId = k.keyring.currentId();
  const key = k.keyring.derive(kekId, 'backup-v1');
  await db.transaction().setIsolationLevel('repeatable read').execute(async (tx) => {
    const schemas = await mamoriSchemas(tx as unknown as Kysely<Database>);
    const tables = await tablesInOrder(tx, schemas);
    const wrapping = await sql<{ k: string }>`SELECT DISTINCT kek_id AS k FROM kernel.tenant_keys ORDER BY 1`.execute(tx);
    const header: Header = {
      format: 'mamori-backup',
      version: 1,
      fileId,
      createdAt: new Date().toISOString(),
      mode: k.db.kind,
      kekId,
      wrappingKeys: wrapping.rows.map((r) => r.k),
      migrations: await appliedMigrations(tx as unknown as Kysely<Database>),
      tables,
    };
    const headText = `${MAGIC}\n${JSON.stringify(header)}\n`;
    // The header is plaintext; its digest travels in the encrypted trailer so that restore can tell
    // when it was changed.
    const headerDigest = createHash('sha256').update(headText).digest('hex');
    async function* lines(): AsyncGenerator<string> {
      for (const table of tables) {
        yield JSON.stringify({ t: table }) + '\n';
        let n = 0;
        await sql.raw(`DECLARE mamori_backup NO SCROLL CURSOR FOR SELECT row_to_json(x)::text AS j FROM ${quoteTable(table)} x`).execute(tx);
        for (;;) {
          const r = await sql<{ j: string }>`FETCH 2000 FROM mamori_backup`.execute(tx);
          if (r.rows.length === 0) break;
          n += r.rows.length;
          yield r.rows.map((x) => x.j).join('\n') + '\n';
        }
        await sql`CLOSE mamori_backup`.execute(tx);
        counts[table] = n;
      }
      yield JSON.stringify({ end: true, counts, header: headerDigest }) + '\n';
    }
    const out = createWriteStream(outFile, { mode: 0o600 });
    out.write(headText);
    await pipeline(Readable.from(lines()), createGzip({ level: 6 }), new SealFrames(key, fileId), out);
  });
  // Copying out personal data is an export: log it in every tenant's chain.
  const tenants = await db.selectFrom('kernel.organisations').select('code').where('kind', '!=', 'clinic').execute();
  const who = { actor: systemActor('backup'), meta: newMeta('cli:backup') };
  await db.transaction().execute(async (tx) => {
    for (const t of tenants) await appendEntry(tx, { tenant: t.code, ...who }, { action: 'backup', targetType: 'database', detail: { fileId, tables: Object.keys(counts).length } });
  });
  const size = (await stat(outFile)).size;
  return { file: outFile, bytes: size, tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0), counts };
}

async function readHeader(file: string): Promise<{ header: Header; offset: number; digest: string }> {
  const notBackup = (why: string) => new Problem(400, 'BACKUP_FORMAT', 'バックアップファイルではありません', `${file} は Mamori のバックアップ形式ではありません（${why}）。`);
  const fh = await openFile(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead);
    const nl1 = text.indexOf(10);
    const nl2 = nl1 >= 0 ? text.indexOf(10, nl1 + 1) : -1;
    if (nl1 < 0 || nl2 < 0 || text.subarray(0, nl1).toString('utf8') !== MAGIC) throw notBackup('先頭行');
    let header: Header;
    try {
      header = JSON.parse(text.subarray(nl1 + 1, nl2).toString('utf8')) as Header;
    } catch {
      throw notBackup('ヘッダー');
    }
    if (typeof header?.fileId !== 'string' || typeof header.kekId !== 'string' || !Array.isArray(header.wrappingKeys) || !Array.isArray(header.migrations)) {
      throw notBackup('ヘッダー');
    }
    return { header, offset: nl2 + 1, digest: createHash('sha256').update(text.subarray(0, nl2 + 1)).digest('hex') };
  } finally {
    await fh.close();
  }
}

/**
 * Reads the whole file once — decrypting every frame, decompressing, and checking the row counts and the
 * header digest in the trailer — before restore touches the database, so that a damaged or altered file is
 * refused with nothing written.
 */
async function checkBackupFile(file: string, offset: number, key: Buffer, header: Header, headerDigest: string): Promise<void> {
  const corrupt = (why: string) => new Problem(400, 'BACKUP_CORRUPT', 'バックアップファイルが破損しているか改ざんされています', `${file}: ${why}。何も復元していません。`);
  const seen: Record<string, number> = {};
  let trailer: { counts?: Record<string, number>; header?: string } | null = null;
  try {
    const rl = createInterface({ input: plaintext(file, offset, key, header.fileId), crlfDelay: Infinity });
    let table: string | null = null;
    for await (const line of rl) {
      if (!line) continue;
      if (trailer) throw new Error('終端レコードの後にデータがあります');
      if (line.startsWith('{"t":')) {
        table = (JSON.parse(line) as { t: string }).t;
        seen[table] ??= 0;
      } else if (line.startsWith('{"end":true')) {
        trailer = JSON.parse(line) as { counts?: Record<string, number>; header?: string };
      } else if (table) {
        seen[table] = (seen[table] ?? 0) + 1;
      } else {
        throw new Error('テーブル見出しの前に行があります');
      }
    }
  } catch (e) {
    if (e instanceof Problem) throw e;
    const m = (e as Error).message;
    throw corrupt(/[\u3040-\u9fff]/.test(m) ? m : `復号・展開できません（${m}）`);
  }
  if (!trailer) throw corrupt('終端レコードがありません（ファイルが途中で切れています）');
  const t = trailer as { counts?: Record<string, number>; header?: string };
  // Backups written before the digest was added carry none; their frames are still authenticated.
  if (t.header !== undefined && t.header !== headerDigest) throw corrupt('ヘッダーが作成時と一致しません');
  for (const [name, n] of Object.entries(t.counts ?? {})) {
    if ((seen[name] ?? 0) !== n) throw corrupt(`${name}: 期待 ${n} 行に対して ${seen[name] ?? 0} 行でした`);
  }
}

/** An index or foreign key that restore drops before the load and builds again after it (decision 0131). */
export interface DeferredObjects {
  /** Indexes that back no constraint: name and the exact `CREATE [UNIQUE] INDEX` statement (pg_get_indexdef). */
  readonly indexes: { readonly name: string; readonly def: string }[];
  /** Foreign keys: table, name and definition (pg_get_constraintdef), re-added with ALTER TABLE … ADD CONSTRAINT. */
  readonly foreignKeys: { readonly table: string; readonly name: string; readonly def: string }[];
}

/**
 * The indexes that back no constraint (primary keys, unique and exclusion constraints keep theirs) and the
 * foreign keys on plain tables of `schemas`, with the statements that recreate them exactly.  Partitioned
 * tables and partitions are left alone: recreating a partitioned index would rename its partitions' indexes.
 */
export async function deferrableObjects(db: Kysely<Database> | Transaction<Database>, schemas: readonly string[]): Promise<DeferredObjects> {
  const ix = await sql<{ name: string; def: string }>`
    SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname) AS name, pg_get_indexdef(x.indexrelid) AS def
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = ANY(${[...schemas]}::text[]) AND t.relkind = 'r' AND NOT t.relispartition AND NOT i.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid AND d.deptype IN ('i', 'P', 'S'))
    ORDER BY 1`.execute(db);
  const fk = await sql<{ table: string; name: string; def: string }>`
    SELECT quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS def
    FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class r ON r.oid = k.confrelid
    WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname = ANY(${[...schemas]}::text[])
      AND t.relkind = 'r' AND NOT t.relispartition AND r.relkind = 'r' AND NOT r.relispartition
    ORDER BY 1, 2`.execute(db);
  return { indexes: ix.rows, foreignKeys: fk.rows };
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface RestoreSummary {
  readonly tables: number;
  readonly rows: number;
  readonly createdAt: string;
  readonly verify: VerifyResult[];
  /** Seconds spent reading the whole file before writing, loading the rows, building the deferred indexes and foreign keys, ANALYZE of the restored tables, and after that (migrations, chain verification). */
  readonly seconds: { readonly check: number; readonly load: number; readonly build: number; readonly analyze: number; readonly after: number };
}

export async function restore(k: BackupServices, file: string, sources: readonly MigrationSource[], opts: { force?: boolean } = {}): Promise<RestoreSummary> {
  const { header, offset, digest } = await readHeader(file);
  for (const id of [header.kekId, ...header.wrappingKeys]) {
    if (!k.keyring.has(id)) {
      throw new Problem(400, 'BACKUP_KEY_MISSING', 'マスター鍵がありません', `このバックアップの復元にはマスター鍵 ${id} が必要です（鍵ディレクトリまたは MAMORI_MASTER_KEY_PREVIOUS に置いてください）。`);
    }
  }
  const key = k.keyring.derive(header.kekId, 'backup-v1');
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const s = (now - t) / 1000;
    t = now;
    return s;
  };
  await checkBackupFile(file, offset, key, header, digest);
  const seconds = { check: lap(), load: 0, build: 0, analyze: 0, after: 0 };
  const db = k.db.system;
  const present = await appliedMigrations(db);
  const wanted = new Set(header.migrations);
  const extra = present.filter((m) => !wanted.has(m));
  if (extra.length) {
    throw new Problem(409, 'RESTORE_SCHEMA_NEWER', 'リストア先のスキーマが新しすぎます', `リストア先には、バックアップ作成時になかったマイグレーション（${extra.join(', ')}）が適用済みです。空のデータベースにリストアしてください。`);
  }
  await migrate(db, sources, { only: wanted });
  const schemas = await mamoriSchemas(db);
  const tables = await tablesInOrder(db, schemas);
  if (!opts.force) {
    for (const t of tables) {
      const r = await sql<{ x: number }>`SELECT 1 AS x FROM ${sql.raw(quoteTable(t))} LIMIT 1`.execute(db);
      if (r.rows.length) throw new Problem(409, 'RESTORE_TARGET_NOT_EMPTY', 'リストア先が空ではありません', `${t} にデータがあります。上書きする場合は --force を指定してください。`);
    }
  }
  const loaded: Record<string, number> = {};
  let trailer: Record<string, number> | null = null;
  await db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('mamori.restoring', 'on', true)`.execute(tx);
    await sql.raw(`TRUNCATE ${tables.map(quoteTable).join(', ')} CASCADE`).execute(tx);
    // Decision 0131: load into tables without their secondary indexes and foreign keys, then build them
    // again from their captured definitions, as pg_restore does — still inside this transaction, so a
    // duplicate or a dangling reference fails the CREATE INDEX / ADD CONSTRAINT and nothing is restored.
    // Primary keys, unique and exclusion constraints, CHECKs, triggers and RLS stay live throughout.
    const deferred = await deferrableObjects(tx, schemas);
    await sql`SELECT set_config('maintenance_work_mem', '256MB', true)`.execute(tx);
    for (const f of deferred.foreignKeys) await sql.raw(`ALTER TABLE ${f.table} DROP CONSTRAINT ${quoteIdent(f.name)}`).execute(tx);
    for (const i of deferred.indexes) await sql.raw(`DROP INDEX ${i.name}`).execute(tx);
    const rl = createInterface({ input: plaintext(file, offset, key, header.fileId), crlfDelay: Infinity });
    let table: string | null = null;
    let batch: string[] = [];
    let batchBytes = 0;
    // One INSERT in flight while the next batch is read, decrypted and decompressed: the file's side and the
    // server's side overlap.  Its failure is reported by the next flush (or at the end), never lost.
    const pending: { insert: Promise<unknown> | null } = { insert: null };
    const flush = async (): Promise<void> => {
      if (!table || batch.length === 0) return;
      if (!tables.includes(table)) throw new Problem(400, 'BACKUP_TABLE_UNKNOWN', 'バックアップの内容が不正です', `未知のテーブル ${table} が含まれています。`);
      const q = quoteTable(table);
      const json = '[' + batch.join(',') + ']';
      loaded[table] = (loaded[table] ?? 0) + batch.length;
      batch = [];
      batchBytes = 0;
      if (pending.insert) await pending.insert;
      // One json_populate_record per element: 2–3× faster on the server than json_populate_recordset over
      // the same array (measured, PostgreSQL 15), with the same conversions of every column.
      pending.insert = sql`INSERT INTO ${sql.raw(q)} SELECT r.* FROM json_array_elements(${json}::json) e, LATERAL json_populate_record(null::${sql.raw(q)}, e) r`.execute(tx);
      pending.insert.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
    };
    try {
      for await (const line of rl) {
        if (!line) continue;
        if (line.startsWith('{"t":')) {
          await flush();
          table = (JSON.parse(line) as { t: string }).t;
          loaded[table] ??= 0;
          continue;
        }
        if (line.startsWith('{"end":true')) {
          await flush();
          trailer = (JSON.parse(line) as { counts: Record<string, number> }).counts;
          continue;
        }
        batch.push(line);
        batchBytes += line.length;
        if (batch.length >= 1000 || batchBytes >= 1 << 20) await flush();
      }
      await flush();
    } finally {
      // Settle the last INSERT before the transaction ends (a read error above still rolls back after it).
      if (pending.insert) await pending.insert.catch(() => undefined);
    }
    await pending.insert;
    if (!trailer) throw new Problem(400, 'BACKUP_TRUNCATED', 'バックアップファイルが不完全です', '終端レコードがありません。');
    for (const [t, n] of Object.entries(trailer as Record<string, number>)) {
      if ((loaded[t] ?? 0) !== n) throw new Problem(400, 'BACKUP_COUNT_MISMATCH', 'バックアップの内容が不正です', `${t}: 期待 ${n} 行に対して ${loaded[t] ?? 0} 行でした。`);
    }
    seconds.load = lap();
    for (const i of deferred.indexes) await sql.raw(i.def).execute(tx);
    for (const f of deferred.foreignKeys) await sql.raw(`ALTER TABLE ${f.table} ADD CONSTRAINT ${quoteIdent(f.name)} ${f.def}`).execute(tx);
    // Identity sequences continue after the restored ids.
    const idents = await sql<{ t: string; c: string }>`
      SELECT n.nspname || '.' || c.relname AS t, a.attname AS c FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.attidentity <> '' AND n.nspname = ANY(${schemas}::text[]) AND NOT c.relispartition`.execute(tx);
    for (const { t, c } of idents.rows) {
      await sql.raw(`SELECT setval(pg_get_serial_sequence('${quoteTable(t).replace(/'/g, "''")}', '${c.replace(/'/g, "''")}'), coalesce((SELECT max("${c}") FROM ${quoteTable(t)}), 0) + 1, false)`).execute(tx);
    }
    seconds.build = lap();
    // Fresh tables have no planner statistics: without them the chain verification below pages through the log
    // with a bitmap scan and a sort of every remaining entry per page (quadratic in the log's size), and so
    // would the application until autovacuum came by.  ANALYZE samples a bounded number of rows per table; in
    // this transaction it counts the rows just loaded and its pg_statistic rows commit with them (only the
    // in-place pg_class size estimates would outlive a rollback, and nothing fails after this point anyway).
    await sql.raw(`ANALYZE ${tables.map(quoteTable).join(', ')}`).execute(tx);
    seconds.analyze = lap();
  });
  await migrate(db, sources);
  // KRN-34: the restored chains are the live ones from now on — tell the witness (decision 0120).
  await markRestored(db, k.auditKeys);
  const verify = await verifyChains(db, k.auditKeys);
  const tenants = await db.selectFrom('kernel.organisations').select('code').where('kind', '!=', 'clinic').execute();
  await db.transaction().execute(async (tx) => {
    for (const t of tenants) {
      await appendEntry(tx, { tenant: t.code, actor: systemActor('restore'), meta: newMeta('cli:restore') }, { action: 'restore', targetType: 'database', detail: { fileId: header.fileId, createdAt: header.createdAt } });
    }
  });
  const rows = Object.values(loaded).reduce((a, b) => a + b, 0);
  seconds.after = lap();
  return { tables: Object.keys(loaded).length, rows, createdAt: header.createdAt, verify, seconds };
}
