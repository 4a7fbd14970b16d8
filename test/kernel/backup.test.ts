// Backup and restore (issue 2 "Backup", KRN-42, KRN-02): an encrypted backup restores identical data
// and a verifying operation-log chain in both modes; the file carries no plaintext personal data; a
// damaged file or a non-empty target is refused and nothing is written; `mamori backup` / `mamori
// restore` on embedded data dirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { openApp, type App } from '../../src/app/index.js';
import type { Database } from '../../src/kernel/db/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { login } from '../../src/kernel/access/index.js';
import { backup, deferrableObjects, restore } from '../../src/kernel/backup/index.js';
import { OpenFrames, SealFrames } from '../../src/kernel/backup/format.js';
import { sealPending, verifyChains } from '../../src/kernel/audit/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { newMeta } from '../../src/kernel/context/index.js';
import { addTenant, freshConfig, staff, testApp, GOOD_PASSWORD, TOTTORI, SENDAI, type Mode, type TestApp } from '../harness/app.js';
import { tableFingerprint, tablesOf } from '../harness/sql.js';
import { problemOf } from '../harness/expect.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';

const SEED = 'backup-test';
const person = (id: string) => ({ subjectType: 'person', subjectId: id });
/** The backup and restore runs add their own 'backup'/'restore' entries; everything else must be identical. */
const WHERE: Record<string, string> = { 'kernel.audit_log': `WHERE action NOT IN ('backup', 'restore')` };

type Fresh = Awaited<ReturnType<typeof freshConfig>>;

/** Every kernel table's row count and content hash. */
async function fingerprints(db: Kysely<Database>): Promise<Record<string, { rows: number; md5: string | null }>> {
  const out: Record<string, { rows: number; md5: string | null }> = {};
  for (const t of await tablesOf(db, ['kernel'])) out[t] = await tableFingerprint(db, t, WHERE[t] ?? '');
  return out;
}

async function totalRows(db: Kysely<Database>): Promise<number> {
  let n = 0;
  for (const t of await tablesOf(db, ['kernel'])) n += Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)}`.execute(db)).rows[0]!.n);
  return n;
}

/** Some of everything: tenants, accounts, sessions, vault rows, log entries (sealed and not). */
async function populate(app: App, tag: string): Promise<{ numbers: string[]; logins: string[]; viewer: Principal }> {
  await addTenant(app, TOTTORI, '鳥取市');
  await addTenant(app, SENDAI, '仙台市');
  const v = await staff(app, TOTTORI, { login: `${tag}-viewer`, mynumberView: true });
  const s = await staff(app, SENDAI, { login: `${tag}-sendai`, mynumberView: true });
  await staff(app, TOTTORI, { login: `${tag}-admin`, role: 'admin' });
  const numbers = Array.from({ length: 30 }, (_, i) => syntheticMyNumber(`${SEED}-${tag}`, i));
  await runAs(app.db, v.principal, async (w) => {
    for (let i = 0; i < 20; i++) await app.vault.store(w, person(`p-${i}`), numbers[i]!);
    await app.vault.reveal(w, person('p-0'), 'バックアップ前の確認');
    await app.vault.suppress(w, person('p-19'), '転出');
  });
  await runAs(app.db, s.principal, async (w) => {
    for (let i = 20; i < 30; i++) await app.vault.store(w, person(`p-${i}`), numbers[i]!);
  });
  await login(app.db, app.tenantKeys, { tenant: TOTTORI, loginId: `${tag}-viewer`, password: GOOD_PASSWORD }, newMeta('test'));
  await login(app.db, app.tenantKeys, { tenant: TOTTORI, loginId: `${tag}-viewer`, password: 'Wrong-Password-1' }, newMeta('test'));
  await sealPending(app.db.system, app.auditKeys, TOTTORI);
  await runAs(app.db, v.principal, (w) => app.vault.reveal(w, person('p-1'), '未封印のエントリ'));
  return { numbers, logins: [`${tag}-viewer`, `${tag}-sendai`, `${tag}-admin`], viewer: v.principal };
}

async function revealAll(app: App, viewer: Principal, count: number): Promise<string[]> {
  return runAs(app.db, viewer, async (w) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(await app.vault.reveal(w, person(`p-${i}`), '復元後の確認'));
    return out;
  });
}

async function through(input: Buffer, t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of Readable.from([input]).pipe(t)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * A backup file with the same header and key as `file` whose rows were changed by `change` (per table, JSON
 * lines) — a well-formed, authenticated file carrying data the database must refuse.  The trailer's counts
 * follow the change; its header digest stays valid because the header is unchanged.
 */
async function rewriteBackup(file: string, out: string, key: Buffer, change: (table: string, rows: string[]) => string[]): Promise<void> {
  const original = readFileSync(file);
  const nl2 = original.indexOf(10, original.indexOf(10) + 1);
  const head = original.subarray(0, nl2 + 1);
  const { fileId } = JSON.parse(head.toString('utf8').split('\n')[1]!) as { fileId: string };
  const lines = gunzipSync(await through(original.subarray(nl2 + 1), new OpenFrames(key, fileId))).toString('utf8').split('\n').filter(Boolean);
  const tables: [string, string[]][] = [];
  let trailer: { end: true; counts: Record<string, number>; header: string } | null = null;
  for (const line of lines) {
    if (line.startsWith('{"t":')) tables.push([(JSON.parse(line) as { t: string }).t, []]);
    else if (line.startsWith('{"end":true')) trailer = JSON.parse(line) as typeof trailer;
    else tables.at(-1)![1].push(line);
  }
  let text = '';
  for (const [t, rows] of tables) {
    const changed = change(t, rows);
    trailer!.counts[t] = changed.length;
    text += JSON.stringify({ t }) + '\n' + changed.map((r) => r + '\n').join('');
  }
  text += JSON.stringify(trailer) + '\n';
  writeFileSync(out, Buffer.concat([head, await through(gzipSync(Buffer.from(text, 'utf8')), new SealFrames(key, fileId))]));
}

/** Every index and constraint of Mamori's schemas with its definition, for "built again exactly" checks. */
async function indexesAndConstraints(db: Kysely<Database>): Promise<{ indexes: unknown[]; constraints: unknown[] }> {
  const schemas = (await sql<{ s: string }>`SELECT DISTINCT schema_name AS s FROM mamori_meta.migrations`.execute(db)).rows.map((r) => r.s);
  const indexes = await sql`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY(${schemas}::text[]) ORDER BY 1, 2, 3`.execute(db);
  const constraints = await sql`
    SELECT conrelid::regclass::text AS t, conname, contype, pg_get_constraintdef(oid) AS def, convalidated, condeferrable, condeferred
    FROM pg_constraint WHERE connamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(${schemas}::text[])) ORDER BY 1, 2`.execute(db);
  return { indexes: indexes.rows, constraints: constraints.rows };
}

describe.each<Mode>(['server', 'embedded'])('backup and restore (%s)', (mode) => {
  let source: TestApp;
  let file: string;
  let data: Awaited<ReturnType<typeof populate>>;
  let before: Record<string, { rows: number; md5: string | null }>;
  const fresh: Fresh[] = [];

  /** A fresh, migrated, empty target; with the source's key directory unless told otherwise. */
  async function target(copyKeys = true): Promise<{ app: App; cfg: Fresh }> {
    const cfg = await freshConfig(mode);
    fresh.push(cfg);
    if (copyKeys) cpSync(source.config.keyDir, cfg.config.keyDir, { recursive: true });
    return { app: await openApp(cfg.config), cfg };
  }

  beforeAll(async () => {
    source = await testApp(mode);
    data = await populate(source, `bk${mode[0]}`);
    file = join(source.tmp, 'mamori.backup');
    const summary = await backup(source, file);
    expect(summary.rows).toBeGreaterThan(50);
    before = await fingerprints(source.db.system);
  });
  afterAll(async () => {
    await source.cleanup();
    for (const f of fresh) await f.drop();
  });

  it('restores identical data into a fresh database, and the operation log verifies (KRN-42)', async () => {
    const { app } = await target();
    try {
      const r = await restore(app, file, app.migrations);
      expect(r.verify.length).toBeGreaterThanOrEqual(2);
      expect(r.verify.filter((v) => !v.ok)).toEqual([]);
      const after = await fingerprints(app.db.system);
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      for (const t of Object.keys(before)) expect(after[t], t).toEqual(before[t]);
      expect(before['kernel.mynumber_vault']!.rows).toBe(30);
      expect(before['kernel.sessions']!.rows).toBe(1);
      // Restored data is usable: numbers reveal, people log in, new log entries continue the chains.
      const viewer = { ...data.viewer, meta: newMeta('test') };
      const got = await revealAll(app, viewer, 19);
      expect(got).toEqual(data.numbers.slice(0, 19));
      const s = await login(app.db, app.tenantKeys, { tenant: TOTTORI, loginId: data.logins[0], password: GOOD_PASSWORD }, newMeta('test'));
      expect(s.ok).toBe(true);
      await sealPending(app.db.system, app.auditKeys);
      expect((await verifyChains(app.db.system, app.auditKeys)).filter((v) => !v.ok)).toEqual([]);
      const restoreEntries = await app.db.system.selectFrom('kernel.audit_log').select('tenant_code').where('action', '=', 'restore').execute();
      expect(restoreEntries.map((x) => x.tenant_code).sort()).toEqual([SENDAI, TOTTORI]);
      const backupEntries = await source.db.system.selectFrom('kernel.audit_log').select('tenant_code').where('action', '=', 'backup').execute();
      expect(backupEntries.map((x) => x.tenant_code).sort()).toEqual([SENDAI, TOTTORI]);

      // The target is no longer empty: a second restore needs force, and force restores the same data again.
      const e = await problemOf(restore(app, file, app.migrations));
      expect(e).toMatchObject({ status: 409, code: 'RESTORE_TARGET_NOT_EMPTY' });
      const forced = await restore(app, file, app.migrations, { force: true });
      expect(forced.verify.filter((v) => !v.ok)).toEqual([]);
      const again = await fingerprints(app.db.system);
      for (const t of Object.keys(before)) expect(again[t], t).toEqual(before[t]);
    } finally {
      await app.close();
    }
  });

  it('the backup file contains no plaintext My Number, login id or name (KRN-02)', () => {
    const bytes = readFileSync(file);
    const needles = [
      ...data.numbers,
      ...data.numbers.map((n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`),
      ...data.logins,
      ...data.logins.map((l) => `テスト ${l}`),
      '鳥取市',
      '仙台市',
      GOOD_PASSWORD,
      '$argon2id',
    ];
    for (const n of needles) {
      expect(bytes.includes(Buffer.from(n, 'utf8')), 'found plaintext in the backup').toBe(false);
      expect(bytes.includes(Buffer.from(n, 'utf16le')), 'found plaintext in the backup').toBe(false);
    }
    const header = bytes.subarray(0, bytes.indexOf(10, bytes.indexOf(10) + 1)).toString('utf8');
    expect(header.startsWith('MAMORI-BACKUP/1\n')).toBe(true);
    // Key and file ids are random hex and may hold long digit runs by chance; what must never be there is a
    // valid My Number (exactly 12 digits with its check digit), which findMyNumbers looks for in every form.
    expect(findMyNumbers(header)).toEqual([]);
  });

  it('a flipped byte anywhere makes restore fail with a clear error and write nothing', async () => {
    const { app } = await target();
    try {
      const migrationsBefore = await sql<{ k: string }>`SELECT string_agg(schema_name || '/' || version, ',' ORDER BY 1) AS k FROM mamori_meta.migrations`.execute(app.db.system);
      const original = readFileSync(file);
      const nl2 = original.indexOf(10, original.indexOf(10) + 1);
      const header = original.subarray(0, nl2 + 1).toString('utf8');
      const created = nl2 - 20; // inside the header JSON (createdAt …)
      const positions: [string, number][] = [
        ['magic', 3],
        ['header createdAt', header.indexOf('"createdAt":"') + 15],
        ['header', created],
        ['frame length', nl2 + 1 + 2],
        ['frame iv', nl2 + 1 + 4 + 5],
        ['frame tag', nl2 + 1 + 4 + 12 + 7],
        ['ciphertext', nl2 + 1 + 4 + 28 + 40],
        ['middle', Math.floor((nl2 + original.length) / 2)],
        ['last byte', original.length - 1],
      ];
      const bad = join(source.tmp, 'flipped.backup');
      for (const [where, pos] of positions) {
        const copy = Buffer.from(original);
        copy[pos] = copy[pos]! ^ 0x01;
        writeFileSync(bad, copy);
        let err: unknown;
        try {
          await restore(app, bad, app.migrations);
        } catch (e) {
          err = e;
        }
        expect(err, `${where}: restore must fail`).toBeInstanceOf(Error);
        const message = (err as Error).message;
        expect(message, where).toMatch(/バックアップ|鍵|backup/i);
        expect(findMyNumbers(message), where).toEqual([]);
        expect(await totalRows(app.db.system), `${where}: nothing written`).toBe(0);
      }
      // Truncated and empty files too.
      for (const [where, content] of [['truncated', original.subarray(0, original.length - 100)], ['empty', Buffer.alloc(0)], ['not a backup', Buffer.from('hello\n')]] as const) {
        writeFileSync(bad, content);
        await expect(restore(app, bad, app.migrations), where).rejects.toThrow();
        expect(await totalRows(app.db.system), `${where}: nothing written`).toBe(0);
      }
      const migrationsAfter = await sql<{ k: string }>`SELECT string_agg(schema_name || '/' || version, ',' ORDER BY 1) AS k FROM mamori_meta.migrations`.execute(app.db.system);
      expect(migrationsAfter.rows[0]).toEqual(migrationsBefore.rows[0]);
      rmSync(bad);
      // The intact file still restores into the same target.
      const r = await restore(app, file, app.migrations);
      expect(r.verify.filter((v) => !v.ok)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('rows that break a unique index or a foreign key built after the load fail the restore, which leaves nothing; a good restore builds every index and constraint again as it was (0131)', async () => {
    const { app } = await target();
    try {
      const schemas = (await sql<{ s: string }>`SELECT DISTINCT schema_name AS s FROM mamori_meta.migrations`.execute(app.db.system)).rows.map((r) => r.s);
      const deferred = await deferrableObjects(app.db.system, schemas);
      // The restore really drops and rebuilds these (else this test would prove nothing).
      expect(deferred.indexes.map((i) => i.name)).toContain('kernel.audit_log_chain');
      expect(deferred.foreignKeys.map((f) => f.name)).toContain('password_history_tenant_code_account_id_fkey');
      const shape = await indexesAndConstraints(app.db.system);
      expect(shape).toEqual(await indexesAndConstraints(source.db.system));
      const key = source.keyring.derive(source.keyring.currentId(), 'backup-v1');
      const bad = join(source.tmp, 'crafted.backup');
      const cases: [string, string, string, (t: string, rows: string[]) => string[]][] = [
        // A second sealed entry at the same (tenant, seq) under a new id: only audit_log_chain (a unique
        // index that backs no constraint, so built after the load) can refuse it.
        ['duplicate (tenant_code, seq) in kernel.audit_log', '23505', 'audit_log_chain', (t, rows) => {
          if (t !== 'kernel.audit_log') return rows;
          const sealed = rows.map((r) => JSON.parse(r) as { id: number; seq: number | null }).find((r) => r.seq !== null)!;
          const maxId = Math.max(...rows.map((r) => (JSON.parse(r) as { id: number }).id));
          return [...rows, JSON.stringify({ ...sealed, id: maxId + 1000 })];
        }],
        // A password history row of an account that does not exist.
        ['dangling foreign key in kernel.password_history', '23503', 'password_history_tenant_code_account_id_fkey', (t, rows) => {
          if (t !== 'kernel.password_history') return rows;
          const [first, ...rest] = rows;
          return [JSON.stringify({ ...(JSON.parse(first!) as object), account_id: '00000000-0000-4000-8000-000000000000' }), ...rest];
        }],
      ];
      for (const [what, code, name, change] of cases) {
        await rewriteBackup(file, bad, key, change);
        let err: unknown;
        try {
          await restore(app, bad, app.migrations);
        } catch (e) {
          err = e;
        }
        expect(err, `${what}: restore must fail`).toBeInstanceOf(Error);
        expect((err as { code?: string }).code, what).toBe(code);
        expect((err as Error).message, what).toContain(name);
        expect(await totalRows(app.db.system), `${what}: nothing written`).toBe(0);
        expect(await indexesAndConstraints(app.db.system), `${what}: every index and constraint still there`).toEqual(shape);
      }
      rmSync(bad);
      const r = await restore(app, file, app.migrations);
      expect(r.verify.filter((v) => !v.ok)).toEqual([]);
      expect(await indexesAndConstraints(app.db.system)).toEqual(shape);
      const after = await fingerprints(app.db.system);
      for (const t of Object.keys(before)) expect(after[t], t).toEqual(before[t]);
    } finally {
      await app.close();
    }
  });

  it('a target without the backup\'s master key refuses to restore, naming the key, and writes nothing', async () => {
    const { app } = await target(false);
    try {
      const e = await problemOf(restore(app, file, app.migrations));
      expect(e).toMatchObject({ status: 400, code: 'BACKUP_KEY_MISSING' });
      expect(e.detail).toContain(source.keyring.currentId());
      expect(await totalRows(app.db.system)).toBe(0);
    } finally {
      await app.close();
    }
  });
});

describe('CLI: mamori backup --out FILE / mamori restore FILE on embedded data dirs', () => {
  let src: Fresh;
  let dst: Fresh;
  let numbers: string[];
  let viewer: Principal;
  beforeAll(async () => {
    src = await freshConfig('embedded');
    dst = await freshConfig('embedded');
    const app = await openApp(src.config);
    try {
      const d = await populate(app, 'cli');
      numbers = d.numbers;
      viewer = d.viewer;
    } finally {
      await app.close();
    }
    cpSync(src.config.keyDir, dst.config.keyDir, { recursive: true });
  });
  afterAll(async () => {
    await src.drop();
    await dst.drop();
  });

  it('round-trips through the command line, and refuses a non-empty target without --force', async () => {
    const file = join(src.tmp, 'cli.backup');
    const b = await runCli(['backup', '--out', file, '--data', src.config.dataDir]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('暗号化済み');
    const r = await runCli(['restore', file, '--data', dst.config.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`団体 ${TOTTORI}: 連鎖は正常`);
    for (const out of [b, r]) expect(findMyNumbers(out.stdout + out.stderr)).toEqual([]);

    const srcApp = await openApp(src.config);
    const srcPrints = await fingerprints(srcApp.db.system).finally(() => srcApp.close());
    const dstApp = await openApp(dst.config);
    try {
      const dstPrints = await fingerprints(dstApp.db.system);
      for (const t of Object.keys(srcPrints)) expect(dstPrints[t], t).toEqual(srcPrints[t]);
      expect(await revealAll(dstApp, { ...viewer, meta: newMeta('test') }, 19)).toEqual(numbers.slice(0, 19));
    } finally {
      await dstApp.close();
    }

    const refused = await runCli(['restore', file, '--data', dst.config.dataDir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('RESTORE_TARGET_NOT_EMPTY');
    const forced = await runCli(['restore', file, '--force', '--data', dst.config.dataDir]);
    expect(forced.code, forced.stderr).toBe(0);
  });
});
