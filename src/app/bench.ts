// Runs every system's bench cases with a shared context (a durable throwaway PostgreSQL server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditAppendCase, vaultSealCase, type BenchCase, type BenchResult, type ServerBenchContext } from '../kernel/bench/index.js';
import { startEphemeralPostgres, type EphemeralPostgres } from '../kernel/db/index.js';
import { resolveConfig } from '../kernel/config/index.js';
import { newMeta, type Principal } from '../kernel/context/index.js';
import { addOrganisation } from '../kernel/tenancy/index.js';
import { residentsImportCase, scheduleEvaluateCase } from '../municipality/bench/index.js';
import { noticesPdfCase } from '../municipality/documents/index.js';
import { noticesStreamCase } from '../municipality/notices/index.js';
import { extractAllCase } from '../municipality/extraction/index.js';
import { intakeLonglineCase } from '../municipality/intake/index.js';
import { openApp, type App } from './index.js';
import { backupRestoreCase } from './city-bench.js';
import { exchangeInquiryCase } from './exchange-bench.js';
import { platformRegisterCase } from './platform-bench.js';
import { registryChecksCase } from './registry-bench.js';

export function allBenchCases(): BenchCase<ServerBenchContext>[] {
  return [auditAppendCase, vaultSealCase, scheduleEvaluateCase, noticesPdfCase, noticesStreamCase, extractAllCase, backupRestoreCase, intakeLonglineCase];
}

/** The context every case gets: the durable server database, and the migrated app on it (for cases that serve HTTP). */
export interface AppBenchContext extends ServerBenchContext {
  app(): Promise<App>;
}

/** Cases that need the app itself (its vault, its tenant keys). */
export function appBenchCases(): BenchCase<AppBenchContext>[] {
  return [residentsImportCase, exchangeInquiryCase, platformRegisterCase, registryChecksCase];
}

export interface BenchRun {
  readonly results: BenchResult[];
  readonly machine: { cpus: number; node: string; platform: string };
}

/** A case that threw: recorded as failed with the reason, and the run goes on to the next case. */
export function failedResult(name: string, e: unknown): BenchResult {
  const reason = e instanceof Error ? e.message : String(e);
  return { name, value: 0, unit: '', baseline: 0, baselineUnit: '', ratio: 0, goal: '', pass: false, error: reason, notes: `失敗（ケースが完了しませんでした）: ${reason}` };
}

export async function runBench(opts: {
  quick: boolean;
  only?: readonly string[];
  log: (s: string) => void;
  extraCases?: readonly BenchCase<AppBenchContext>[];
  /** Called after every case with the results so far (a long run keeps what it measured if it is cut short). */
  onResult?: (run: BenchRun) => void;
}): Promise<BenchRun> {
  const os = await import('node:os');
  const machine = { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}` };
  let pg: EphemeralPostgres | undefined;
  let app: App | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'mamori-bench-'));
  const tenant = '312011';
  let serverState: { db: App['db']; auditKeys: App['auditKeys']; tenant: string; principal: Principal; url: string } | undefined;
  const ctx: AppBenchContext = {
    quick: opts.quick,
    log: opts.log,
    async server() {
      if (serverState) return serverState;
      opts.log('ベンチマーク用の PostgreSQL サーバーを起動しています（fsync 有効）…');
      pg = await startEphemeralPostgres({ durable: true });
      app = await openApp(resolveConfig({ data: tmp }, { DATABASE_URL: pg.url, MAMORI_DB_POOL: '32' }));
      await addOrganisation(app.db.system, app.tenantKeys, { code: tenant, name: '鳥取市' });
      serverState = {
        db: app.db,
        auditKeys: app.auditKeys,
        tenant,
        url: pg.url,
        principal: { tenant, actor: { kind: 'staff', id: null, login: 'bench', role: 'clerk', duties: ['vaccination'], mynumberView: false }, meta: newMeta('bench') },
      };
      return serverState;
    },
    async app() {
      await ctx.server();
      return app!;
    },
  };
  const prevPool = process.env['MAMORI_DB_POOL'];
  process.env['MAMORI_DB_POOL'] = '32';
  const results: BenchResult[] = [];
  try {
    for (const c of [...allBenchCases(), ...appBenchCases(), ...(opts.extraCases ?? [])]) {
      if (opts.only?.length && !opts.only.includes(c.name)) continue;
      opts.log(`実行中: ${c.name}（${c.description}）`);
      try {
        results.push(await c.run(ctx));
      } catch (e) {
        opts.log(`  ${c.name} は失敗しました: ${e instanceof Error ? e.message : String(e)}`);
        results.push(failedResult(c.name, e));
      }
      opts.onResult?.({ results, machine });
    }
  } finally {
    if (prevPool === undefined) delete process.env['MAMORI_DB_POOL'];
    else process.env['MAMORI_DB_POOL'] = prevPool;
    await app?.close();
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return { results, machine };
}
