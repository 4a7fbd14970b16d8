// Bench case `records.register.http` (issue 6): doses recorded through the HTTP API the way a clinic or staff
// client does it — Bearer-token authentication, JSON validation, the schedule engine's check against the
// person's history, the operation log and a durable commit — driven by autocannon from a second process on
// loopback.  Value: sustained doses/s at p99 ≤ 50 ms.  Baseline: the same PostgreSQL server's raw single-row
// INSERT transactions per second (same durability, same pool size), measured in the same run.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { applyForAccount, approveAccount } from '../../kernel/access/index.js';
import { throughput, type BenchCase, type BenchResult } from '../../kernel/bench/index.js';
import { newMeta, runAs, systemActor, type Principal } from '../../kernel/context/index.js';
import { addOrganisation } from '../../kernel/tenancy/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { cohortAsOf, importResidents } from '../../municipality/residents/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { check, type Catalog } from '../../municipality/schedule/index.js';
import { writeSyntheticResidents } from '../../municipality/synth/index.js';
import type { AppBenchContext } from '../../app/index.js';
import { buildWebServer } from '../index.js';
import type { LoadOutput } from './load.js';

const run = promisify(execFile);
const P99_LIMIT_MS = 50;
const GOAL_RATE = 1000;
const GOAL_RATIO = 0.25;
const POOL = 32;
/** 仙台市's 地方公共団体コード: the case's own municipality in the shared bench database. */
export const RECORDS_HTTP_TENANT = '041009';

interface DoseRequest {
  readonly path: string;
  readonly body: string;
}

export const recordsRegisterHttpCase: BenchCase<AppBenchContext> = {
  name: 'records.register.http',
  description: 'HTTP API での接種記録の登録（認証・検証・接種スケジュール確認・操作ログ・永続化）、p99 ≤ 50 ms での持続件数',
  async run(ctx): Promise<BenchResult> {
    const s = await ctx.server();
    const app = await ctx.app();
    const tmp = mkdtempSync(join(tmpdir(), 'mamori-bench-http-'));
    try {
      // A municipality of its own (仙台市): other cases' residents and doses in the bench database (the
      // extraction population of the same tenant has histories) must not be among the doses to register.
      const tenant = RECORDS_HTTP_TENANT;
      const exists = await app.db.system.selectFrom('kernel.organisations').select('code').where('code', '=', tenant).executeTakeFirst();
      if (!exists) await addOrganisation(app.db.system, app.tenantKeys, { code: tenant, name: '仙台市' });
      const staffPrincipal: Principal = { tenant, actor: { ...s.principal.actor }, meta: newMeta('bench') };
      const residents = ctx.quick ? 40_000 : 150_000;
      const seconds = ctx.quick ? 8 : 20;
      const today = app.config.clock.today();

      // The population: a synthetic 住基 snapshot through the real import path.
      ctx.log(`  住民 ${residents.toLocaleString()} 人を取り込んでいます…`);
      const file = join(tmp, 'residents.csv');
      writeSyntheticResidents({ count: residents, seed: 'records-http', tenant, out: file, encoding: 'utf8' });
      const system: Principal = { tenant, actor: systemActor('bench'), meta: newMeta('bench') };
      await importResidents(app, system, { file });

      // One valid dose per eligible person, chosen with the engine (children's first doses, B類 for the elderly).
      const { catalog } = await runAs(app.db, staffPrincipal, (w) => catalogFor(w));
      const requests = await doseRequests(app.db, staffPrincipal, catalog, today);
      ctx.log(`  登録できる接種 ${requests.length.toLocaleString()} 件を用意しました`);

      // The staff client: an individual account, logged in through the API.
      const password = 'Bench-Client-2026!';
      await runAs(app.db, system, async (w) => {
        const a = await applyForAccount(w, { loginId: 'bench-clinic-client', fullName: 'ベンチ 接種登録', kind: 'staff', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: 'ベンチマーク', password });
        await approveAccount(w, a.id, { role: 'clerk', duties: ['vaccination'], mynumberView: false, expiresOn: addDaysIso(today, 30) });
      });
      const web = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000 });
      const base = await web.listen({ host: '127.0.0.1', port: 0 });
      try {
        const login = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, loginId: 'bench-clinic-client', password }) });
        if (login.status !== 200) throw new Error(`ベンチ用アカウントでログインできません（HTTP ${login.status}）`);
        const { token } = (await login.json()) as { token: string };

        const before = await countRecords(app.db, staffPrincipal);
        let offset = 0;
        let okTotal = 0;
        const load = async (connections: number, secs: number): Promise<LoadOutput> => {
          const out = await drive({ url: base, token, connections, seconds: secs, requests, offset, tmp });
          offset += out.sent;
          okTotal += out.ok;
          return out;
        };
        // Warm-up, then find the largest connection count whose p99 stays within the limit.
        await load(8, 2);
        let chosen: { connections: number; out: LoadOutput } | undefined;
        for (const connections of [32, 16, 8, 4, 2]) {
          const probe = await load(connections, 3);
          ctx.log(`  接続数 ${connections}: ${Math.round(probe.perSecond)} 件/秒, p99 ${probe.p99} ms`);
          if (probe.non2xx || probe.errors) throw new Error(`失敗した要求があります（非2xx ${probe.non2xx}、エラー ${probe.errors}、状態 ${JSON.stringify(probe.statuses)}）`);
          if (probe.p99 <= P99_LIMIT_MS) {
            chosen = { connections, out: probe };
            break;
          }
        }
        // The sustained run must itself keep p99 within the limit (a 3-second probe can be luckier): when it
        // does not, it is repeated with half the connections, down to one.
        let connections = chosen?.connections ?? 1;
        let measured = await load(connections, seconds);
        while (measured.p99 > P99_LIMIT_MS && connections > 1 && !measured.exhausted) {
          ctx.log(`  接続数 ${connections} の計測で p99 ${measured.p99} ms（上限 ${P99_LIMIT_MS} ms）: 接続数を半分にして計測し直します`);
          connections = Math.max(1, Math.floor(connections / 2));
          measured = await load(connections, seconds);
        }
        if (measured.exhausted) ctx.log('  注意: 用意した接種を使い切りました（計測時間が短くなっています）');
        const after = await countRecords(app.db, staffPrincipal);
        const failed = measured.non2xx + measured.errors + measured.timeouts;
        // Every 2xx of the whole run is a durable record, and nothing was stored twice: the records created lie
        // between the answered requests and the requests sent (a request in flight when the load generator
        // stopped may still have been committed).
        const stored = after - before;
        const consistent = stored >= okTotal && stored <= offset;

        // Baseline: raw single-row INSERT transactions on the same server, same pool size, same durability.
        const rawPool = new pg.Pool({ connectionString: s.url, max: POOL });
        try {
          await rawPool.query('CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, tenant_code text NOT NULL, atena_no text NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
          const payload = requests[0]?.body ?? '{}';
          let i = 0;
          const baseline = await throughput(
            async () => {
              await rawPool.query('INSERT INTO bench_raw_insert (tenant_code, atena_no, data) VALUES ($1, $2, $3)', [tenant, String(i++).padStart(10, '0'), payload]);
            },
            { seconds: Math.min(seconds, 10), concurrency: POOL },
          );
          await rawPool.query('DROP TABLE bench_raw_insert');
          const value = measured.perSecond;
          const ratio = value / baseline;
          const pass = failed === 0 && measured.p99 <= P99_LIMIT_MS && value >= GOAL_RATE && ratio >= GOAL_RATIO && consistent;
          return {
            name: 'records.register.http',
            value,
            unit: 'doses/s',
            baseline,
            baselineUnit: 'INSERT tx/s',
            ratio,
            goal: `≥ ${GOAL_RATE}/s at p99 ≤ ${P99_LIMIT_MS} ms and ≥ ${GOAL_RATIO * 100}% of raw INSERT tx/s`,
            pass,
            notes: `接続数 ${connections}、p50 ${measured.p50} ms、p99 ${measured.p99} ms、最大 ${measured.max} ms、${measured.ok} 件（${measured.seconds} 秒）、失敗 ${failed}、応答 2xx ${okTotal} 件・保存 ${stored} 件・送信 ${offset} 件${consistent ? '' : '（不一致）'}`,
          };
        } finally {
          await rawPool.end();
        }
      } finally {
        await web.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

async function countRecords(db: AppBenchContextApp['db'], who: Principal): Promise<number> {
  return runAs(db, who, async (w) => {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.vaccination_records WHERE tenant_code = ${w.tenant}`.execute(w.tx);
    return Number(r.rows[0]!.n);
  });
}

type AppBenchContextApp = Awaited<ReturnType<AppBenchContext['app']>>;

async function doseRequests(db: AppBenchContextApp['db'], who: Principal, catalog: Catalog, date: string): Promise<DoseRequest[]> {
  const out: DoseRequest[] = [];
  await runAs(db, who, async (w) => {
    for await (const batch of cohortAsOf(w, date)) {
      for (const m of batch) {
        const dose = firstAllowedDose(catalog, m.state.birthDate, m.state.sex, date);
        if (!dose) continue;
        out.push({
          path: `/api/v1/residents/${m.atenaNo}/vaccinations`,
          body: JSON.stringify({ product: dose.product, program: dose.program, vaccinatedOn: date, lot: `BN${(out.length % 9000) + 1000}`, institutionCode: '3110000001', doctorName: '鳥取　太郎', site: '上腕', category: dose.category }),
        });
      }
    }
  });
  // Interleave children and adults the way a day's registrations arrive, deterministically.
  return out.map((r, i) => ({ r, k: (i * 2654435761) % 4294967296 })).sort((a, b) => a.k - b.k).map((x) => x.r);
}

function firstAllowedDose(catalog: Catalog, birthDate: string, sex: 'male' | 'female', date: string): { program: string; product: string; category: string } | null {
  for (const [code, versions] of catalog.programsByCode) {
    const p = versions[versions.length - 1]!;
    if (p.category !== 'A類定期' && p.category !== 'B類定期') continue;
    for (const prod of p.products) {
      if ((prod.from && prod.from > date) || (prod.until && prod.until < date)) continue;
      const r = check({ person: { birthDate, sex, conditions: [] }, history: [], proposed: { product: prod.code, date, program: code } }, catalog);
      if (r.allowed && r.program === code) return { program: code, product: prod.code, category: p.category };
    }
  }
  return null;
}

async function drive(o: { url: string; token: string; connections: number; seconds: number; requests: readonly DoseRequest[]; offset: number; tmp: string }): Promise<LoadOutput> {
  const input = join(o.tmp, `load-${o.offset}.json`);
  writeFileSync(input, JSON.stringify({ url: o.url, token: o.token, connections: o.connections, seconds: o.seconds, requests: o.requests, offset: o.offset }), { mode: 0o600 });
  const script = fileURLToPath(new URL('./load.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, input], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadOutput;
}
