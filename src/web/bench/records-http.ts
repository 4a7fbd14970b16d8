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
import { check, evaluateWith, type Catalog } from '../../municipality/schedule/index.js';
import { writeSyntheticResidents } from '../../municipality/synth/index.js';
import type { AppBenchContext } from '../../app/index.js';
import { buildWebServer } from '../index.js';
import type { LoadOutput } from './load.js';

const run = promisify(execFile);
const P99_LIMIT_MS = 50;
const GOAL_RATE = 1000;
const GOAL_RATIO = 0.25;
export const POOL = 32;
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
      await ensureTenant(app, tenant, '仙台市');
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
      const { web, base, token } = await startClient(app, { tenant, loginId: 'bench-clinic-client', fullName: 'ベンチ 接種登録', today });
      try {

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
        for (const connections of [64, 32, 16, 8, 4, 2]) {
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
        const groups = web.doseGroups?.stats();
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
            notes: `接続数 ${connections}、p50 ${measured.p50} ms、p99 ${measured.p99} ms、最大 ${measured.max} ms、${measured.ok} 件（${measured.seconds} 秒）、失敗 ${failed}、応答 2xx ${okTotal} 件・保存 ${stored} 件・送信 ${offset} 件${consistent ? '' : '（不一致）'}${groups ? `、まとめて書いた組 ${groups.groups.toLocaleString()}（平均 ${(groups.items / Math.max(1, groups.groups)).toFixed(1)} 件、最大 ${groups.largest} 件）` : ''}`,
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

/** The bench's municipality, added once to the shared bench database. */
async function ensureTenant(app: AppBenchContextApp, code: string, name: string): Promise<void> {
  const exists = await app.db.system.selectFrom('kernel.organisations').select('code').where('code', '=', code).executeTakeFirst();
  if (!exists) await addOrganisation(app.db.system, app.tenantKeys, { code, name });
}

/** The staff client of a case: an individual account, approved, and logged in through the API on a web server of its own. */
async function startClient(app: AppBenchContextApp, o: { tenant: string; loginId: string; fullName: string; today: string }): Promise<{ web: Awaited<ReturnType<typeof buildWebServer>>; base: string; token: string }> {
  const password = 'Bench-Client-2026!';
  const system: Principal = { tenant: o.tenant, actor: systemActor('bench'), meta: newMeta('bench') };
  await runAs(app.db, system, async (w) => {
    const a = await applyForAccount(w, { loginId: o.loginId, fullName: o.fullName, kind: 'staff', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: 'ベンチマーク', password });
    await approveAccount(w, a.id, { role: 'clerk', duties: ['vaccination'], mynumberView: false, expiresOn: addDaysIso(o.today, 30) });
  });
  const web = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000 });
  const base = await web.listen({ host: '127.0.0.1', port: 0 });
  try {
    const login = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: o.tenant, loginId: o.loginId, password }) });
    if (login.status !== 200) throw new Error(`ベンチ用アカウントでログインできません（HTTP ${login.status}）`);
    const { token } = (await login.json()) as { token: string };
    return { web, base, token };
  } catch (e) {
    await web.close();
    throw e;
  }
}

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

export async function drive(o: { url: string; token?: string; headers?: Record<string, string>; connections: number; seconds: number; requests: readonly DoseRequest[]; offset: number; tmp: string; rate?: number; amount?: number }): Promise<LoadOutput> {
  const input = join(o.tmp, `load-${o.offset}.json`);
  writeFileSync(input, JSON.stringify({ url: o.url, token: o.token, headers: o.headers, connections: o.connections, seconds: o.seconds, requests: o.requests, offset: o.offset, rate: o.rate, amount: o.amount }), { mode: 0o600 });
  const script = fileURLToPath(new URL('./load.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, input], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadOutput;
}

/**
 * The soak's municipality (江戸川区): in a full run it follows `residents.import.1m`, whose million residents
 * have no doses yet, so their whole dose series are there to register; run alone, it imports its own.
 */
export const RECORDS_SOAK_TENANT = '131237';
const SOAK_SECONDS = 600;
const SOAK_CONNECTIONS = 64;

/**
 * `records.register.soak` (issue 10 point 8): doses registered through the HTTP API at the goal rate of
 * `records.register.http` (1,000/s) for ten minutes (--quick: 30 s), every request answered.  Passes when no
 * request failed, the rate held (requests answered ÷ time ≥ 98 % of the goal, and no whole minute of the
 * database's own record times below 95 % of it) and nothing was lost or doubled: the records in the
 * database equal the 2xx answers exactly.  Baseline: the same server's raw single-row INSERT transactions/s.
 * The population's doses are whole series (each child's schedule as the engine allows it, in date order),
 * sent round-robin across persons so that two doses of one person are seconds apart.
 */
export const recordsRegisterSoakCase: BenchCase<AppBenchContext> = {
  name: 'records.register.soak',
  description: 'HTTP API での接種記録の登録を目標件数（1,000 件/秒）で 10 分間続けたときの失敗・欠落の有無',
  async run(ctx): Promise<BenchResult> {
    const s = await ctx.server();
    const app = await ctx.app();
    const tmp = mkdtempSync(join(tmpdir(), 'mamori-bench-soak-'));
    try {
      const tenant = RECORDS_SOAK_TENANT;
      await ensureTenant(app, tenant, '江戸川区');
      const staffPrincipal: Principal = { tenant, actor: { ...s.principal.actor }, meta: newMeta('bench') };
      const seconds = ctx.quick ? 30 : SOAK_SECONDS;
      const amount = GOAL_RATE * seconds;
      const today = app.config.clock.today();
      const system: Principal = { tenant, actor: systemActor('bench'), meta: newMeta('bench') };
      const { catalog } = await runAs(app.db, staffPrincipal, (w) => catalogFor(w));
      // The tenant's residents (a population of its own when it has none), each with the dose series the
      // engine allows up to today.
      const present = await runAs(app.db, staffPrincipal, async (w) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.persons WHERE tenant_code = ${w.tenant}`.execute(w.tx)).rows[0]!.n));
      if (present === 0) {
        const residents = ctx.quick ? 40_000 : 700_000;
        ctx.log(`  住民 ${residents.toLocaleString()} 人を取り込んでいます…`);
        const file = join(tmp, 'residents.csv');
        writeSyntheticResidents({ count: residents, seed: 'records-soak', tenant, out: file, encoding: 'utf8' });
        await importResidents(app, system, { file });
      }
      let requests = await doseSeriesRequests(app.db, staffPrincipal, catalog, today);
      ctx.log(`  登録できる接種 ${requests.length.toLocaleString()} 件を用意しました`);
      if (requests.length < amount) throw new Error(`用意できた接種 ${requests.length.toLocaleString()} 件が ${amount.toLocaleString()} 件に足りません`);
      requests = requests.slice(0, amount);
      const { web, base, token } = await startClient(app, { tenant, loginId: 'bench-soak-client', fullName: 'ベンチ 連続登録', today });
      try {
        const before = await countRecords(app.db, staffPrincipal);
        const startedAt = new Date();
        ctx.log(`  ${seconds} 秒間、${GOAL_RATE.toLocaleString()} 件/秒で登録します（${amount.toLocaleString()} 件）…`);
        const out = await drive({ url: base, token, connections: SOAK_CONNECTIONS, seconds, requests, offset: 0, tmp, rate: GOAL_RATE, amount });
        const after = await countRecords(app.db, staffPrincipal);
        const groups = web.doseGroups?.stats();
        const stored = after - before;
        const failed = out.non2xx + out.errors + out.timeouts;
        // The rate as the database saw it: records per whole minute of the run (the first and last minutes are partial).
        const minutes = await runAs(app.db, staffPrincipal, async (w) => {
          const r = await sql<{ m: Date; n: string }>`SELECT date_trunc('minute', created_at) AS m, count(*) AS n FROM municipality.vaccination_records
            WHERE tenant_code = ${w.tenant} AND created_at >= ${startedAt} GROUP BY 1 ORDER BY 1`.execute(w.tx);
          return r.rows.map((x) => Number(x.n));
        });
        const whole = minutes.slice(1, -1);
        const slowestMinute = whole.length ? Math.min(...whole) / 60 : null;
        const rawPool = new pg.Pool({ connectionString: s.url, max: POOL });
        try {
          const baseline = await rawInsertRate(rawPool, tenant, requests[0]?.body ?? '{}', 10);
          const rate = out.ok / out.seconds;
          const held = rate >= GOAL_RATE * 0.98 && (slowestMinute === null || slowestMinute >= GOAL_RATE * 0.95);
          const pass = failed === 0 && stored === out.ok && out.ok === amount && held;
          return {
            name: 'records.register.soak',
            value: rate,
            unit: 'doses/s',
            baseline,
            baselineUnit: 'INSERT tx/s',
            ratio: rate / baseline,
            goal: `${GOAL_RATE}/s for ${seconds} s: 0 failed, stored = 2xx`,
            pass,
            notes: `${out.seconds} 秒、送信 ${amount.toLocaleString()} 件、応答 2xx ${out.ok.toLocaleString()} 件、保存 ${stored.toLocaleString()} 件${stored === out.ok ? '（一致）' : '（不一致）'}、失敗 ${failed}、p50 ${out.p50} ms、p99 ${out.p99} ms、最大 ${out.max} ms${slowestMinute !== null ? `、最も少ない1分間 ${Math.round(slowestMinute)} 件/秒` : ''}、接続数 ${SOAK_CONNECTIONS}${groups ? `、組 平均 ${(groups.items / Math.max(1, groups.groups)).toFixed(1)} 件` : ''}`,
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

/** Raw single-row INSERT transactions per second on the same server (the cases' baseline). */
export async function rawInsertRate(rawPool: pg.Pool, tenant: string, payload: string, seconds: number): Promise<number> {
  await rawPool.query('CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, tenant_code text NOT NULL, atena_no text NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
  let i = 0;
  try {
    return await throughput(
      async () => {
        await rawPool.query('INSERT INTO bench_raw_insert (tenant_code, atena_no, data) VALUES ($1, $2, $3)', [tenant, String(i++).padStart(10, '0'), payload]);
      },
      { seconds, concurrency: POOL },
    );
  } finally {
    await rawPool.query('DROP TABLE bench_raw_insert');
  }
}

/**
 * Every person's doses as the engine allows them, in date order: from the evaluation's next dose of each
 * routine program (A類・B類定期) due by `date`, the earliest first, each checked against the doses before it.
 * The requests go round-robin (every person's first dose, then every second dose…), and rounds that fewer
 * than 2,000 persons reach are left out, so that two doses of one person are always far apart in the stream.
 */
async function doseSeriesRequests(db: AppBenchContextApp['db'], who: Principal, catalog: Catalog, date: string): Promise<DoseRequest[]> {
  const rounds: DoseRequest[][] = [];
  await runAs(db, who, async (w) => {
    // Persons who already have doses (an earlier soak in the same database) are left out.
    const dosed = new Set((await sql<{ atena_no: string }>`SELECT DISTINCT atena_no FROM municipality.vaccination_records WHERE tenant_code = ${w.tenant}`.execute(w.tx)).rows.map((r) => r.atena_no));
    for await (const batch of cohortAsOf(w, date)) {
      for (const m of batch) {
        if (dosed.has(m.atenaNo)) continue;
        const series = doseSeries(catalog, m.state.birthDate, m.state.sex, date);
        series.forEach((d, k) => {
          (rounds[k] ??= []).push({
            path: `/api/v1/residents/${m.atenaNo}/vaccinations`,
            body: JSON.stringify({ product: d.product, program: d.program, vaccinatedOn: d.date, lot: `BN${(k % 9000) + 1000}`, institutionCode: '3110000001', doctorName: '石巻　花子', site: '上腕', category: d.category }),
          });
        });
      }
    }
  });
  return rounds.filter((r) => r.length >= 2000).flat();
}

function doseSeries(catalog: Catalog, birthDate: string, sex: 'male' | 'female', today: string): { program: string; product: string; category: string; date: string }[] {
  const person = { birthDate, sex, conditions: [] };
  const history: { product: string; date: string }[] = [];
  const out: { program: string; product: string; category: string; date: string }[] = [];
  const blocked = new Set<string>();
  for (let guard = 0; guard < 60; guard++) {
    const ev = evaluateWith(catalog, person, history, today);
    const due = ev.results
      .filter((r) => (r.category === 'A類定期' || r.category === 'B類定期') && r.nextDose && r.nextDose.earliest <= today && r.nextDose.earliest <= r.nextDose.latest && !blocked.has(r.program))
      .sort((a, b) => a.nextDose!.earliest.localeCompare(b.nextDose!.earliest));
    const next = due[0];
    if (!next) break;
    const on = next.nextDose!.earliest;
    const versions = catalog.programsByCode.get(next.program)!;
    const p = versions[versions.length - 1]!;
    let done = false;
    for (const prod of p.products) {
      if ((prod.from && prod.from > on) || (prod.until && prod.until < on)) continue;
      const r = check({ person, history, proposed: { product: prod.code, date: on, program: next.program } }, catalog);
      if (r.allowed && r.program === next.program) {
        history.push({ product: prod.code, date: on });
        out.push({ program: next.program, product: prod.code, category: p.category, date: on });
        done = true;
        break;
      }
    }
    if (!done) blocked.add(next.program);
  }
  return out;
}
