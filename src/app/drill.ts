// Crash drills (issue 6 point 3; `mamori drill`, decision 0083): resident import, record import and target
// extraction are started as child processes (`bin/mamori …`, exactly what an operator runs) and killed with
// SIGKILL at seeded random moments; after each kill the command is simply run again (an extraction is
// resumed with `--resume`), and after the last kill it runs to the end.  The result is compared with an
// uninterrupted reference run of the same command on a copy of the same database: row counts and content
// digests (app/digest.ts, including key-dependent values: every copy shares the template's keys),
// duplicates over natural keys, and the operation-log chain.
//
// Databases: a throwaway PostgreSQL server of the drill's own; each chain of kills starts from a copy
// (CREATE DATABASE … TEMPLATE) of the state before the operation.  Only the client is killed — the server
// keeps running, as it does when an application host dies — so the server runs without fsync for speed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { resolveConfig } from '../kernel/config/index.js';
import { startEphemeralPostgres, type EphemeralPostgres } from '../kernel/db/index.js';
import { sealPending, verifyChains } from '../kernel/audit/index.js';
import { addOrganisation } from '../kernel/tenancy/index.js';
import { seededRng, type Rng } from '../kernel/random/index.js';
import { TENANTS, writeSyntheticCity, type CityManifest } from '../municipality/synth/index.js';
import { databaseDigest, type DatabaseDigest } from './digest.js';
import { openApp, type App } from './index.js';

export const DRILL_OPERATIONS = ['residents', 'records', 'extraction'] as const;
export type DrillOperation = (typeof DRILL_OPERATIONS)[number];

export interface DrillOptions {
  /** Kills per operation (default 20). */
  readonly points?: number;
  /** Chains per operation: each starts from a fresh copy and shares the points (default 2). */
  readonly chains?: number;
  readonly residents?: number;
  readonly seed?: string;
  readonly historyFrom?: string;
  readonly weeks?: number;
  readonly operations?: readonly DrillOperation[];
  /** Rows per transaction of the imports (default: the intake's 1000). */
  readonly batchSize?: number;
  /** Persons per extraction chunk (default: the extraction's 5000). */
  readonly chunk?: number;
  readonly log?: (line: string) => void;
}

export interface DrillKill {
  /** Milliseconds after the child started. */
  readonly at: number;
  /** Share of the reference's work committed once the child was killed (0–1). */
  readonly progress: number;
}

export interface DrillChain {
  readonly kills: readonly DrillKill[];
  /** Runs after the last kill until the operation completed (1 unless something failed). */
  readonly finalRuns: number;
  readonly complete: boolean;
  readonly rowsEqual: boolean;
  readonly hashEqual: boolean;
  readonly duplicates: number;
  readonly auditOk: boolean;
  /** Tables whose counts or digests differ from the reference (empty when equal). */
  readonly differences: readonly string[];
}

export interface DrillResult {
  readonly operation: DrillOperation;
  readonly points: number;
  /** Kills after which rows were still to be written (progress < 100 %); the rest hit the run's bookkeeping. */
  readonly pointsMidData: number;
  readonly chains: readonly DrillChain[];
  readonly allComplete: boolean;
  readonly rowsEqual: boolean;
  readonly hashesEqual: boolean;
  readonly duplicates: number;
  readonly auditOk: boolean;
  /** Seconds of the uninterrupted reference run, and of the whole drill of this operation. */
  readonly referenceSeconds: number;
  readonly seconds: number;
  /** Rows the operation writes in the reference (its main table). */
  readonly referenceRows: number;
}

export interface DrillReport {
  readonly residents: number;
  readonly seed: string;
  readonly contentHash: string;
  readonly records: number;
  readonly results: readonly DrillResult[];
  readonly pass: boolean;
}

const MAMORI_BIN = fileURLToPath(new URL('../../bin/mamori', import.meta.url));

interface ChildRun {
  readonly code: number | null;
  readonly killed: boolean;
  readonly ms: number;
  readonly stdout: string;
  /** Diagnostics only (never personal data, decision 0013): the last line is shown when a run fails. */
  readonly stderr: string;
}

/** Children running now (killed when the drill itself is interrupted). */
const running = new Set<ChildProcess>();

/** Runs `bin/mamori args` against `url`; kills it with SIGKILL after `killAfterMs` if it is still running. */
function runChild(args: readonly string[], dbEnv: Readonly<Record<string, string>>, dataDir: string, killAfterMs?: number): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [MAMORI_BIN, ...args, '--data', dataDir], { env: { ...process.env, ...dbEnv, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let killed = false;
    const timer =
      killAfterMs === undefined
        ? null
        : setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      resolvePromise({ code, killed: killed && code === null, ms: performance.now() - started, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

async function admin<T>(pgServer: EphemeralPostgres, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgServer.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function copyDatabase(pgServer: EphemeralPostgres, from: string, to: string): Promise<void> {
  await admin(pgServer, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${ident(to)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${ident(to)} TEMPLATE ${ident(from)}`);
  });
}

async function dropDatabase(pgServer: EphemeralPostgres, name: string): Promise<void> {
  await admin(pgServer, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
}

/** Duplicates over natural keys: rows beyond the first of each key (0 when nothing was written twice). */
async function duplicates(app: App, op: DrillOperation): Promise<number> {
  const q = async (text: string): Promise<number> => Number((await sql<{ n: number }>`${sql.raw(text)}`.execute(app.db.system)).rows[0]?.n ?? 0);
  const excess = (table: string, key: string, where = 'true'): Promise<number> => q(`SELECT coalesce(sum(c - 1), 0)::int AS n FROM (SELECT count(*) AS c FROM ${table} WHERE ${where} GROUP BY ${key}) s`);
  let n = 0;
  if (op === 'residents') {
    n += await excess('municipality.persons', 'tenant_code, juminhyo_code', 'juminhyo_code IS NOT NULL');
    n += await excess('municipality.person_versions', 'tenant_code, import_run_id, row_no', 'import_run_id IS NOT NULL');
    n += await excess('kernel.mynumber_vault', 'tenant_code, blind_index', "blind_index IS NOT NULL AND subject_type = 'person'");
  }
  if (op === 'records') {
    n += await excess('municipality.vaccination_records', 'tenant_code, source_run_id, source_row', 'source_run_id IS NOT NULL');
    n += await excess('municipality.vaccination_records', "tenant_code, atena_no, product, coalesce(vaccinated_on, '0001-01-01')", "status = 'active'");
    n += await excess('municipality.match_queue', 'tenant_code, source_run_id, source_row', 'source_run_id IS NOT NULL');
  }
  if (op === 'residents' || op === 'records') {
    n += await excess('kernel.audit_log', "tenant_code, action, target_type, coalesce(subject_ref, ''), detail->>'runId', detail->>'rowNo'", "action IN ('create', 'update', 'mynumber_store') AND detail ? 'rowNo'");
  }
  if (op === 'extraction') {
    n += await excess('municipality.extraction_members', 'tenant_code, run_id, atena_no, program');
    n += await q(`SELECT greatest(count(*) - 1, 0)::int AS n FROM municipality.extraction_runs WHERE status = 'complete'`);
  }
  return n;
}

/** Work committed so far, as a number comparable with the reference's. */
async function committed(app: App, op: DrillOperation): Promise<number> {
  if (op === 'extraction') {
    const r = await sql<{ n: number }>`SELECT coalesce(max(chunks_done), 0)::int AS n FROM municipality.extraction_runs`.execute(app.db.system);
    return r.rows[0]!.n;
  }
  const kinds = op === 'residents' ? ['residents-full', 'residents-diff'] : ['records-clinic'];
  const r = await sql<{ n: number }>`SELECT coalesce(sum(rows_done), 0)::int AS n FROM municipality.import_runs WHERE kind = ANY(${kinds}::text[])`.execute(app.db.system);
  return r.rows[0]!.n;
}

/** The extraction's own result: hash, counts and a digest of its members (run ids aside). */
async function extractionDigest(app: App): Promise<DatabaseDigest> {
  const run = await sql<{ id: string; content_hash: string | null; counts: unknown; status: string }>`
    SELECT id, content_hash, counts, status FROM municipality.extraction_runs ORDER BY created_at DESC LIMIT 1`.execute(app.db.system);
  const r = run.rows[0];
  if (!r) return { tables: [], sha256: '' };
  const m = await sql<{ n: number; a: string | null; b: string | null }>`
    SELECT count(*)::int AS n,
           sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric)::text AS a,
           sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric)::text AS b
    FROM (SELECT md5(ROW(atena_no, program, dose, status, late, earliest, latest, standard_from, standard_until, protected)::text) AS h
          FROM municipality.extraction_members WHERE run_id = ${r.id}) s`.execute(app.db.system);
  const members = createHash('sha256').update(`${m.rows[0]!.n} ${m.rows[0]!.a} ${m.rows[0]!.b}`).digest('hex');
  const run_ = createHash('sha256').update(`${r.status} ${r.content_hash} ${JSON.stringify(r.counts)}`).digest('hex');
  const tables = [
    { table: 'municipality.extraction_runs', rows: 1, sha256: run_ },
    { table: 'municipality.extraction_members', rows: m.rows[0]!.n, sha256: members },
  ];
  return { tables, sha256: createHash('sha256').update(tables.map((t) => `${t.table} ${t.rows} ${t.sha256}\n`).join('')).digest('hex') };
}

/** Runs the drill (starts and stops its own PostgreSQL server). */
export async function runDrill(opts: DrillOptions = {}): Promise<DrillReport> {
  const log = opts.log ?? (() => undefined);
  const points = opts.points ?? 20;
  const chains = Math.max(1, Math.min(opts.chains ?? 2, points));
  const residents = opts.residents ?? 100_000;
  const seed = opts.seed ?? 'drill';
  const operations = opts.operations ?? DRILL_OPERATIONS;
  const rng: Rng = seededRng(`drill/${seed}/${residents}/${points}`);
  const work = mkdtempSync(join(tmpdir(), 'mamori-drill-'));
  const cityDir = join(work, 'city');
  const dataDir = join(work, 'data');
  let pgServer: EphemeralPostgres | undefined;
  // Interrupted (Ctrl-C, SIGTERM): kill the children, stop the server, remove the work directory.
  const interrupted = (): void => {
    for (const c of running) c.kill('SIGKILL');
    void (pgServer?.stop() ?? Promise.resolve()).finally(() => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(`合成都市 ${residents}人を生成しています…`);
    const city: CityManifest = writeSyntheticCity({ residents, seed, out: cityDir, ...(opts.historyFrom ? { historyFrom: opts.historyFrom } : {}), ...(opts.weeks !== undefined ? { weeks: opts.weeks } : {}) });
    const tenant = city.options.tenant;
    log('PostgreSQL サーバーを起動しています…');
    pgServer = await startEphemeralPostgres({ durable: false });
    const srv = pgServer;
    // Each database copy has its own operation-log witness (decision 0120), copied with it like the storage
    // it stands for: a chain cut back to an earlier copy must not be checked against another copy's witness.
    const witnessOf = (db: string): string => join(work, 'witness', `${db}.jsonl`);
    mkdirSync(join(work, 'witness'), { recursive: true });
    const envOf = (db: string): Record<string, string> => ({ DATABASE_URL: srv.urlFor(db), MAMORI_AUDIT_WITNESS: witnessOf(db) });
    const copyDb = async (from: string, to: string): Promise<void> => {
      await copyDatabase(srv, from, to);
      rmSync(witnessOf(to), { force: true });
      if (existsSync(witnessOf(from))) copyFileSync(witnessOf(from), witnessOf(to));
    };
    const open = (db: string): Promise<App> => openApp(resolveConfig({ data: dataDir }, { ...process.env, ...envOf(db) }));
    await admin(srv, (c) => c.query('CREATE DATABASE drill_base'));
    {
      const app = await open('drill_base');
      try {
        await addOrganisation(app.db.system, app.tenantKeys, { code: tenant, name: TENANTS[tenant]?.city ?? tenant, kind: 'municipality' });
      } finally {
        await app.close();
      }
    }
    const batch = opts.batchSize ? ['--batch', String(opts.batchSize)] : [];
    const command = (op: DrillOperation): string[] =>
      op === 'extraction'
        ? ['extract', '--tenant', tenant, '--all', '--as-of', city.end, '--json', ...(opts.chunk ? ['--chunk', String(opts.chunk)] : [])]
        : ['import', 'city', cityDir, '--tenant', tenant, '--only', op, '--json', ...batch];
    const digestOf = async (db: string, op: DrillOperation): Promise<{ digest: DatabaseDigest; work: number; app: App }> => {
      const app = await open(db);
      const digest = op === 'extraction' ? await extractionDigest(app) : await databaseDigest(app.db, { tenant, keyed: true });
      return { digest, work: await committed(app, op), app };
    };

    // The state before each operation: nothing, the residents, the whole city.
    const before: Record<DrillOperation, string> = { residents: 'drill_base', records: 'pre_records', extraction: 'pre_extraction' };
    const results: DrillResult[] = [];
    let recordsRows = 0;
    for (const op of DRILL_OPERATIONS) {
      const needed = operations.includes(op) || DRILL_OPERATIONS.indexOf(op) < Math.max(...operations.map((o) => DRILL_OPERATIONS.indexOf(o)));
      if (!needed) continue;
      const ref = `ref_${op}`;
      await copyDb(before[op], ref);
      log(`${op}: 中断なしの基準の実行…`);
      const refRun = await runChild(command(op), envOf(ref), dataDir);
      if (refRun.code !== 0) throw new Error(`${op}: 基準の実行が失敗しました（終了コード ${refRun.code}: ${refRun.stderr.trim().split('\n').at(-1) ?? ''}）`);
      const reference = await digestOf(ref, op);
      const refRows = reference.digest.tables.find((t) => t.table === (op === 'residents' ? 'municipality.person_versions' : op === 'records' ? 'municipality.vaccination_records' : 'municipality.extraction_members'))?.rows ?? 0;
      if (op === 'records') recordsRows = refRows;
      await reference.app.close();
      // The next operation starts from this one's result.
      if (op === 'residents') await copyDb(ref, 'pre_records');
      if (op === 'records') await copyDb(ref, 'pre_extraction');
      if (!operations.includes(op)) continue;

      // The cost of starting an attempt.  Imports: the same command once more on a copy of the finished
      // reference — every file is hashed and found imported, and nothing may change.  Extraction: a command
      // that only starts the process and opens the database.
      let startupMs: number;
      if (op === 'extraction') {
        startupMs = (await runChild(['extract', 'list', '--tenant', tenant, '--json'], envOf(ref), dataDir)).ms;
      } else {
        const startupDb = `startup_${op}`;
        await copyDb(ref, startupDb);
        const again = await runChild(command(op), envOf(startupDb), dataDir);
        startupMs = again.ms;
        const after = await digestOf(startupDb, op);
        await after.app.close();
        if (again.code !== 0 || after.digest.sha256 !== reference.digest.sha256) throw new Error(`${op}: 取込済みのファイルの再実行で内容が変わりました（冪等性の違反）`);
        await dropDatabase(srv, startupDb);
      }

      const started = performance.now();
      const outcome: DrillChain[] = [];
      // The expected duration of an uninterrupted attempt: the reference's, lowered when an attempt shows the
      // machine is faster now (a shared machine's load changes; kill moments must fall inside the work).
      let estimateMs = refRun.ms;
      let killsLeft = points;
      for (let c = 0; c < chains || killsLeft > 0; c++) {
        if (c > chains + points) break; // operations that always finish before the kill: stop trying
        const quota = Math.ceil(killsLeft / Math.max(1, chains - c));
        const db = `chain_${op}_${c}`;
        await copyDb(before[op], db);
        const kills: DrillKill[] = [];
        let runId: string | null = null;
        let finished = false;
        const args = (): string[] => (op === 'extraction' && runId ? ['extract', '--resume', runId, '--json'] : command(op));
        const findRun = async (): Promise<void> => {
          if (op !== 'extraction' || runId) return;
          const a = await open(db);
          try {
            const r = await sql<{ id: string }>`SELECT id FROM municipality.extraction_runs WHERE status = 'running' ORDER BY created_at DESC LIMIT 1`.execute(a.db.system);
            runId = r.rows[0]?.id ?? null;
          } finally {
            await a.close();
          }
        };
        while (kills.length < quota) {
          const a = await open(db);
          const done = await committed(a, op);
          await a.close();
          const share = Math.min(1, done / Math.max(1, reference.work));
          // Once every row is committed only the run's bookkeeping is left: more kills in this chain would
          // land in start-ups of a finished run.  The chain is completed below and the next one starts
          // from a fresh copy, so that the points fall while data is being written.
          if (kills.length > 0 && share >= 1) break;
          const remaining = startupMs + (1 - share) * Math.max(0, estimateMs - startupMs);
          const at = Math.floor(rng.next() * remaining);
          const r = await runChild(args(), envOf(db), dataDir, at);
          if (!r.killed) {
            finished = r.code === 0;
            if (finished && share < 0.9) estimateMs = Math.min(estimateMs, startupMs + Math.max(0, r.ms - startupMs) / (1 - share));
            break; // finished before the moment: this chain is done
          }
          const b = await open(db);
          const after = await committed(b, op);
          await b.close();
          kills.push({ at, progress: Math.round(Math.min(1, after / Math.max(1, reference.work)) * 1000) / 1000 });
          await findRun();
        }
        killsLeft -= kills.length;
        let finalRuns = 0;
        while (!finished && finalRuns < 3) {
          finalRuns++;
          const r = await runChild(args(), envOf(db), dataDir);
          finished = r.code === 0;
          await findRun();
        }
        const got = await digestOf(db, op);
        try {
          const differences = reference.digest.tables.filter((t) => {
            const g = got.digest.tables.find((x) => x.table === t.table);
            return !g || g.rows !== t.rows || g.sha256 !== t.sha256;
          });
          const rowsEqual = reference.digest.tables.every((t) => got.digest.tables.find((x) => x.table === t.table)?.rows === t.rows);
          await sealPending(got.app.db.system, got.app.auditKeys);
          const audit = await verifyChains(got.app.db.system, got.app.auditKeys);
          outcome.push({
            kills,
            finalRuns,
            complete: finished,
            rowsEqual,
            hashEqual: got.digest.sha256 === reference.digest.sha256,
            duplicates: await duplicates(got.app, op),
            auditOk: audit.every((v) => v.ok),
            differences: differences.map((t) => t.table),
          });
        } finally {
          await got.app.close();
        }
        await dropDatabase(srv, db);
        log(`${op}: 連鎖 ${c + 1}（強制終了 ${kills.length}回）${outcome.at(-1)!.hashEqual ? '一致' : '不一致'}`);
      }
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      results.push({
        operation: op,
        points: outcome.reduce((s, x) => s + x.kills.length, 0),
        pointsMidData: outcome.reduce((s, x) => s + x.kills.filter((k) => k.progress < 1).length, 0),
        chains: outcome,
        allComplete: outcome.every((x) => x.complete),
        rowsEqual: outcome.every((x) => x.rowsEqual),
        hashesEqual: outcome.every((x) => x.hashEqual),
        duplicates: outcome.reduce((s, x) => s + x.duplicates, 0),
        auditOk: outcome.every((x) => x.auditOk),
        referenceSeconds: Math.round(refRun.ms / 100) / 10,
        seconds,
        referenceRows: refRows,
      });
    }
    const pass = results.every((r) => r.allComplete && r.rowsEqual && r.hashesEqual && r.duplicates === 0 && r.auditOk && r.points >= points);
    return { residents, seed, contentHash: city.contentHash, records: recordsRows, results, pass };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await pgServer?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
