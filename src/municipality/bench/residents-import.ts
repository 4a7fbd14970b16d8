// Bench case `residents.import.1m` (issue 3; decision 0044): a 1,000,000-resident 住民全件ファイル in Shift_JIS
// imported into the server database through the real import path (importResidents, as `mamori import
// residents` runs it), against a plain COPY of the same rows measured in the same run (--quick: 100,000).
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { BenchCase, BenchResult, ServerBenchContext } from '../../kernel/bench/index.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import { newMeta, systemActor, type Principal } from '../../kernel/context/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { TenantKeyService } from '../../kernel/crypto/index.js';
import { addOrganisation } from '../../kernel/tenancy/index.js';
import { importResidents } from '../residents/index.js';
import { writeSyntheticResidents } from '../synth/index.js';

/** What the case needs from the composition root (src/app AppBenchContext provides it). */
export interface ResidentsBenchContext extends ServerBenchContext {
  app(): Promise<{ readonly db: MamoriDb; readonly vault: Vault; readonly tenantKeys: TenantKeyService }>;
}

/** A municipality of its own (江戸川区), so that other cases' data in the bench database does not mix in. */
export const RESIDENTS_BENCH_TENANT = '131237';

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/**
 * COPY of `select` (run as the owner) into a new table shaped like `like` with the same indexes and CHECK
 * constraints (LIKE … INCLUDING ALL: no triggers, foreign keys or row-level security), through a file the
 * server reads itself — the fastest way PostgreSQL has to load rows.  Returns the seconds of the COPY FROM.
 */
async function copySeconds(db: MamoriDb, dir: string, name: string, like: string, select: string): Promise<number> {
  const file = join(dir, `${name}.copy`);
  const table = `public.bench_copy_${name}`;
  await sql`DROP TABLE IF EXISTS ${sql.raw(table)}`.execute(db.system);
  await sql`CREATE TABLE ${sql.raw(table)} (LIKE ${sql.raw(like)} INCLUDING ALL)`.execute(db.system);
  await sql`COPY (${sql.raw(select)}) TO ${sql.lit(file)}`.execute(db.system);
  await sql`CHECKPOINT`.execute(db.system);
  const t0 = performance.now();
  await sql`COPY ${sql.raw(table)} FROM ${sql.lit(file)}`.execute(db.system);
  const s = seconds(t0);
  await sql`DROP TABLE ${sql.raw(table)}`.execute(db.system);
  rmSync(file, { force: true });
  return s;
}

/**
 * residents.import.1m: the synthetic residents generator (municipality/synth) writes a Shift_JIS full file of
 * n residents (not timed); importResidents reads it twice (the checking pass, then validation and batches of
 * 1,000 committed with their progress), assigns 宛名番号 and 団体内統合宛名番号, seals every My Number in the
 * vault with its blind index, writes each person, its first version and two operation-log entries
 * (registration, My Number stored).  The value is the import's wall time.
 *
 * Baseline: a plain COPY of the same rows — the n persons rows exactly as the import stored them (same
 * columns and values) — into a table with the same indexes and CHECK constraints on the same server with the
 * same durability (fsync, synchronous_commit, full_page_writes on), read by the server from a file.  The
 * notes add the COPY of everything the import wrote (persons, versions, vault rows, operation-log entries):
 * the floor for writing those rows at all.
 */
export const residentsImportCase: BenchCase<ResidentsBenchContext> = {
  name: 'residents.import.1m',
  description: '住基全件ファイル（Shift_JIS）の取込（サーバーDB）／基準：同じ行の COPY',
  async run(ctx): Promise<BenchResult> {
    const n = ctx.quick ? 100_000 : 1_000_000;
    const goalSeconds = ctx.quick ? 6 : 60;
    const app = await ctx.app();
    const db = app.db;
    const tenant = RESIDENTS_BENCH_TENANT;
    const exists = await db.system.selectFrom('kernel.organisations').select('code').where('code', '=', tenant).executeTakeFirst();
    if (!exists) await addOrganisation(db.system, app.tenantKeys, { code: tenant, name: '江戸川区' });
    const dir = mkdtempSync(join(tmpdir(), 'mamori-bench-residents-'));
    chmodSync(dir, 0o777); // the server (the postgres OS user when run as root) writes the COPY files here
    try {
      const file = join(dir, 'jumin.csv');
      ctx.log(`合成住民 ${n.toLocaleString('en-US')} 人の全件ファイル（Shift_JIS）を書き出しています…`);
      let t0 = performance.now();
      writeSyntheticResidents({ count: n, seed: 'bench', tenant, out: file, encoding: 'sjis' });
      const synthSeconds = seconds(t0);
      const bytes = statSync(file).size;

      const who: Principal = { tenant, actor: systemActor('cli:bench'), meta: newMeta('cli:import residents') };
      await sql`CHECKPOINT`.execute(db.system);
      ctx.log('取り込んでいます…');
      const rss0 = process.memoryUsage().rss;
      let rssMax = rss0;
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
      const cpu0 = process.cpuUsage();
      const load = loadavg()[0]!;
      t0 = performance.now();
      const r = await importResidents({ db, vault: app.vault }, who, { file, baseDate: '2026-04-01' }).finally(() => clearInterval(sampler));
      const value = seconds(t0);
      const cpu = process.cpuUsage(cpu0);

      const count = async (q: string): Promise<number> => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(q)}`.execute(db.system)).rows[0]!.n);
      const stored = await count(`municipality.persons WHERE tenant_code = '${tenant}' AND last_run_id = '${r.runId}'`);

      ctx.log('同じ行を COPY で書き込んでいます（基準）…');
      const personsSelect = `SELECT * FROM municipality.persons WHERE tenant_code = '${tenant}' AND last_run_id = '${r.runId}'`;
      const baseline = await copySeconds(db, dir, 'persons', 'municipality.persons', personsSelect);
      const floor =
        baseline +
        (await copySeconds(db, dir, 'versions', 'municipality.person_versions', `SELECT * FROM municipality.person_versions WHERE tenant_code = '${tenant}' AND import_run_id = '${r.runId}'`)) +
        (await copySeconds(db, dir, 'vault', 'kernel.mynumber_vault', `SELECT v.* FROM kernel.mynumber_vault v JOIN municipality.persons p ON p.tenant_code = v.tenant_code AND p.atena_no = v.subject_id WHERE v.tenant_code = '${tenant}' AND v.subject_type = 'person' AND p.last_run_id = '${r.runId}'`)) +
        (await copySeconds(db, dir, 'audit', 'kernel.audit_log', `SELECT * FROM kernel.audit_log WHERE tenant_code = '${tenant}' AND action IN ('create', 'mynumber_store') AND detail->>'runId' = '${r.runId}'`));

      const ratio = value / baseline;
      const complete = r.rows === n && r.created === n && r.rejected === 0 && stored === n && !r.alreadyImported;
      const f = (x: number) => x.toFixed(1);
      return {
        name: this.name,
        value,
        unit: 's',
        baseline,
        baselineUnit: 's COPY',
        ratio,
        goal: `≤ ${goalSeconds} s and ≤ 6× COPY`,
        pass: complete && value <= goalSeconds && ratio <= 6,
        notes:
          `${n.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB Shift_JIS (generated in ${f(synthSeconds)} s, not timed); ` +
          `${Math.round(n / value).toLocaleString('en-US')} rows/s; created ${r.created.toLocaleString('en-US')}, rejected ${r.rejected}; ` +
          `COPY of everything the import wrote (persons, versions, vault, 2 operation-log entries per person) ${f(floor)} s = ${(value / floor).toFixed(2)}× that floor; ` +
          `this process: ${f((cpu.user + cpu.system) / 1e6)} s CPU, RSS +${Math.round((rssMax - rss0) / 2 ** 20)} MiB during the import; ` +
          `load average ${load.toFixed(1)} at start (2 CPUs shared with the database; other work on the machine lengthens both figures)` +
          (complete ? '' : `; INCOMPLETE: rows ${r.rows}, created ${r.created}, stored ${stored}`),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
