// registry.checks (issue 15 "Done when"; QUA-15; decision 0183): the periodic 住基 check of a synthetic city of
// registrants — 1,000,000 of one 資格管理者 (医籍, tenant mhlw-isei), each with a 住民票コード the 住基ネット
// 全国サーバ knows (a few it does not), a fraction renamed, moved or deceased in the period — against the jlis
// node in the same run, over the message layer (signed, encrypted, logged at both ends).  Measured: runChecks
// (chunks of 10,000 codes read from the register, identity.changes, comparison with the register, proposals
// and the run's cursor written per chunk).  Baseline, in the same run: the same identity.changes messages from
// the same registry node, answers read and nothing else.  Goal ≤ 120 s and ≤ 5× the baseline.
//
// Both sides are seeded set-based (generate_series), never one insert per row; a seeded store is reused.
import { sql, type Kysely } from 'kysely';
import { type BenchCase, type BenchResult } from '../kernel/bench/index.js';
import type { Clock } from '../kernel/clock/index.js';
import { addDays } from '../kernel/jp/index.js';
import { Directory, exchangeNodeFor } from '../kernel/exchange/index.js';
import type { UntypedDatabase } from '../kernel/db/index.js';
import { buildJlisNode, JLIS_ROLE, JLIS_SCHEMA } from '../peers/jlis/index.js';
import { buildRegistryNode, JUKI_CHUNK, JUKI_PARALLEL, JUKI_PURPOSE, REGISTRY_ROLE, REGISTRY_SCHEMA, runChecks, syncAdministrators, type CheckRun } from '../registry/index.js';
import type { AppBenchContext } from './bench.js';
import type { App } from './index.js';

const TENANT = 'mhlw-isei';
const QUALIFICATION = 'ishi';
const MUNICIPALITY = '312011';
/** 住民票コード of the synthetic city: BASE + i (i = 1…n); the unknown ones: UNKNOWN_BASE + i. */
const BASE = 50_000_000_000;
const UNKNOWN_BASE = 59_000_000_000;

/** Which registrants change in the period (disjoint): renamed, moved, deceased, unknown to 住基. */
export const SYNTH_CITY_RULES = { renamed: 'i % 100 = 1', moved: 'i % 100 = 2', deceased: 'i % 200 = 3', unknown: 'i % 1000 = 7' } as const;

export interface SynthCityCounts {
  readonly registrants: number;
  readonly renamed: number;
  readonly moved: number;
  readonly deceased: number;
  readonly unknown: number;
}

/** The expected counts of the rules for n registrants (computed, not read back). */
export function synthCityCounts(n: number): SynthCityCounts {
  let renamed = 0;
  let moved = 0;
  let deceased = 0;
  let unknown = 0;
  for (let i = 1; i <= n; i++) {
    if (i % 1000 === 7) unknown++;
    else if (i % 100 === 1) renamed++;
    else if (i % 100 === 2) moved++;
    else if (i % 200 === 3) deceased++;
  }
  return { registrants: n, renamed, moved, deceased, unknown };
}

/**
 * Seeds the synthetic city: n registrants of 医師 with their entries and 住民票コード in the registry, and their
 * 本人確認情報 in the 全国サーバ (the unknown ones left out); the changes of the period (`day`, JST) applied on the
 * 全国サーバ with their history rows.  Idempotent: a store already holding n registrants is left as it is.
 */
export async function seedSynthCity(app: App, n: number, day: string, log: (s: string) => void = () => undefined): Promise<void> {
  const db = app.db.system as unknown as Kysely<UntypedDatabase>;
  await syncAdministrators(await app.db.forRole(REGISTRY_ROLE), app.config.clock);
  const have = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.registrant_juki WHERE tenant_code = ${TENANT} AND juminhyo_code >= ${String(BASE)}`.execute(db);
  if ((have.rows[0]?.n ?? 0) >= n) return;
  const beforeDay = addDays(day, -400);
  const before = `${beforeDay}T09:00:00+09:00`;
  const at = `${day}T10:00:00+09:00`;
  const unknown = sql.raw(SYNTH_CITY_RULES.unknown);
  log(`  住基ネット全国サーバに ${n.toLocaleString('en-US')} 人の本人確認情報を登録しています…`);
  await sql`INSERT INTO peers_jlis.identities (juminhyo_code, municipality_code, name, name_kana, name_key, kana_key, birth_date, sex, address, address_key, status, last_movement, last_movement_date, content_hash, source_seq, updated_at)
    SELECT (${BASE}::bigint + i)::text, ${MUNICIPALITY}, '住基　' || i, 'ジュウキ　' || i, '住基' || i, 'ジュウキ' || i, date '1960-01-01' + (i % 15000), CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,
      '鳥取県鳥取市尚徳町' || (i % 1000 + 1) || '番地', '鳥取県鳥取市尚徳町' || (i % 1000 + 1) || '番地', 'resident', '01', date '2000-04-01', sha256(convert_to(i::text, 'UTF8')), 0, ${before}::timestamptz
    FROM generate_series(1, ${n}) AS i WHERE NOT (${unknown})
    ON CONFLICT (juminhyo_code) DO NOTHING`.execute(db);
  log(`  国家資格の登録簿（医籍）に ${n.toLocaleString('en-US')} 人を登録しています…`);
  await sql`INSERT INTO registry.registrants (tenant_code, pseudonym_id, created_at)
    SELECT ${TENANT}, 'Q' || lpad(upper(to_hex(i)), 20, '0'), ${before}::timestamptz FROM generate_series(1, ${n}) AS i ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO registry.entries (tenant_code, qualification_code, registration_no, pseudonym_id, application_id, registered_on, registered_at, version, items, names, updated_at)
    SELECT ${TENANT}, ${QUALIFICATION}, i, 'Q' || lpad(upper(to_hex(i)), 20, '0'), 'synth-' || i, ${beforeDay}::date, ${before}::timestamptz, 1,
      jsonb_build_object('登録番号', i, '登録年月日', ${beforeDay}::text, '姓', '住基', '名', i::text, 'フリガナ（姓）', 'ジュウキ', 'フリガナ（名）', i::text,
        '生年月日', to_char(date '1960-01-01' + (i % 15000), 'YYYY-MM-DD'), '性別コード', CASE WHEN i % 2 = 0 THEN '2' ELSE '1' END, '住所', '鳥取県鳥取市尚徳町' || (i % 1000 + 1) || '番地'),
      jsonb_build_array(jsonb_build_object('kind', '氏名', '姓', '住基', '名', i::text, 'フリガナ', jsonb_build_object('姓', 'ジュウキ', '名', i::text), '表記', null, '通称として使用', false, 'from', ${beforeDay}::text, 'until', null)),
      ${before}::timestamptz
    FROM generate_series(1, ${n}) AS i ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO registry.number_counters (tenant_code, qualification_code, last_no) VALUES (${TENANT}, ${QUALIFICATION}, ${n})
    ON CONFLICT (tenant_code, qualification_code) DO UPDATE SET last_no = greatest(registry.number_counters.last_no, excluded.last_no)`.execute(db);
  await sql`INSERT INTO registry.registrant_juki (tenant_code, pseudonym_id, juminhyo_code, linked_at)
    SELECT ${TENANT}, 'Q' || lpad(upper(to_hex(i)), 20, '0'), (CASE WHEN ${unknown} THEN ${UNKNOWN_BASE}::bigint ELSE ${BASE}::bigint END + i)::text, ${before}::timestamptz
    FROM generate_series(1, ${n}) AS i ON CONFLICT DO NOTHING`.execute(db);
  log('  期間中の異動（氏名変更・転居・死亡）を全国サーバに記録しています…');
  const changes = sql.raw(`(${SYNTH_CITY_RULES.renamed} OR ${SYNTH_CITY_RULES.moved} OR ${SYNTH_CITY_RULES.deceased}) AND NOT (${SYNTH_CITY_RULES.unknown})`);
  await sql`UPDATE peers_jlis.identities SET
      name = CASE WHEN i % 100 = 1 THEN '改姓　' || i ELSE name END, name_key = CASE WHEN i % 100 = 1 THEN '改姓' || i ELSE name_key END,
      name_kana = CASE WHEN i % 100 = 1 THEN 'カイセイ　' || i ELSE name_kana END, kana_key = CASE WHEN i % 100 = 1 THEN 'カイセイ' || i ELSE kana_key END,
      address = CASE WHEN i % 100 = 2 THEN '鳥取県米子市加茂町二丁目' || (i % 100 + 1) || '番地' ELSE address END,
      address_key = CASE WHEN i % 100 = 2 THEN '鳥取県米子市加茂町二丁目' || (i % 100 + 1) || '番地' ELSE address_key END,
      status = CASE WHEN i % 200 = 3 THEN 'deceased' ELSE status END,
      last_movement = CASE WHEN i % 200 = 3 THEN '31' WHEN i % 100 = 2 THEN '11' ELSE '41' END, last_movement_date = ${day}::date, updated_at = ${at}::timestamptz
    FROM generate_series(1, ${n}) AS i WHERE juminhyo_code = (${BASE}::bigint + i)::text AND ${changes}`.execute(db);
  await sql`INSERT INTO peers_jlis.identity_history (municipality_code, source_seq, juminhyo_code, kind, status, movement, movement_date, changed, change_hash, at)
    SELECT ${MUNICIPALITY}, ${BASE}::bigint + i, (${BASE}::bigint + i)::text, 'update', CASE WHEN i % 200 = 3 THEN 'deceased' ELSE 'resident' END,
      CASE WHEN i % 200 = 3 THEN '31' WHEN i % 100 = 2 THEN '11' ELSE '41' END, ${day}::date,
      CASE WHEN i % 100 = 1 THEN ARRAY['name', 'name_kana', 'last_movement', 'last_movement_date'] WHEN i % 100 = 2 THEN ARRAY['address', 'last_movement', 'last_movement_date'] ELSE ARRAY['status', 'last_movement', 'last_movement_date'] END,
      sha256(convert_to('synth-change-' || i, 'UTF8')), ${at}::timestamptz
    FROM generate_series(1, ${n}) AS i WHERE ${changes} ON CONFLICT DO NOTHING`.execute(db);
  for (const t of ['peers_jlis.identities', 'peers_jlis.identity_history', 'registry.registrants', 'registry.entries', 'registry.registrant_juki']) await sql.raw(`ANALYZE ${t}`).execute(db);
}

export interface RegistryChecksBench {
  readonly seconds: number;
  readonly baselineSeconds: number;
  readonly run: CheckRun;
  readonly expected: SynthCityCounts;
}

/** Runs the checks of the synthetic city and the baseline (the same queries, answers only read). */
export async function benchRegistryChecks(app: App, opts: { size: number; log?: (s: string) => void; clock?: Clock }): Promise<RegistryChecksBench> {
  const log = opts.log ?? (() => undefined);
  const clock = opts.clock ?? app.config.clock;
  const day = clock.today();
  await seedSynthCity(app, opts.size, day, log);
  const directory = new Directory([]);
  const keyDir = app.config.keyDir;
  const jlisDb = await app.db.forRole(JLIS_ROLE);
  const regDb = await app.db.forRole(REGISTRY_ROLE);
  const jlis = await buildJlisNode({ name: 'jlis', db: jlisDb, node: exchangeNodeFor({ name: 'jlis', schema: JLIS_SCHEMA, db: jlisDb, keyDir, directory, clock }), clock, config: app.config });
  const node = exchangeNodeFor({ name: 'registry', schema: REGISTRY_SCHEMA, db: regDb, keyDir, directory, clock });
  const registry = await buildRegistryNode({ name: 'registry', db: regDb, node, clock, config: app.config }, { checkIntervalMs: 0 });
  try {
    for (const [name, f] of [['jlis', jlis.fastify], ['registry', registry.fastify]] as const) {
      await f.listen({ host: '127.0.0.1', port: 0 });
      const a = f.server.address();
      directory.set({ name, title: name, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
    }
    log(`  定期確認（${opts.size.toLocaleString('en-US')} 人、${JUKI_CHUNK.toLocaleString('en-US')} 人ずつ）…`);
    const t0 = performance.now();
    const run = await runChecks({ db: regDb, clock, node }, { tenant: TENANT, from: day, until: day });
    const seconds = (performance.now() - t0) / 1000;
    log('  基準: 同じ照会を送り、応答を読むだけ…');
    const codes = Array.from({ length: opts.size }, (_, k) => String((k + 1) % 1000 === 7 ? UNKNOWN_BASE + k + 1 : BASE + k + 1)).sort();
    const t1 = performance.now();
    let changed = 0;
    // The same windows as runChecks: JUKI_PARALLEL messages of JUKI_CHUNK codes in flight at once.
    for (let w = 0; w < codes.length; w += JUKI_CHUNK * JUKI_PARALLEL) {
      const window = codes.slice(w, w + JUKI_CHUNK * JUKI_PARALLEL);
      const rs = await Promise.all(Array.from({ length: Math.ceil(window.length / JUKI_CHUNK) }, (_, k) =>
        node.call('jlis', 'identity.changes', { purpose: JUKI_PURPOSE, from: day, until: day, includeRemoved: true, juminhyoCodes: window.slice(k * JUKI_CHUNK, (k + 1) * JUKI_CHUNK), caller: TENANT }, { personal: true, timeoutMs: 300_000 })));
      for (const r of rs) changed += (r.body as { changed: unknown[] }).changed.length;
    }
    const baselineSeconds = (performance.now() - t1) / 1000;
    const expected = synthCityCounts(opts.size);
    if (changed !== expected.renamed + expected.moved + expected.deceased) throw new Error(`基準の照会の応答が想定と異なります（異動 ${changed} 人）`);
    return { seconds, baselineSeconds, run, expected };
  } finally {
    await registry.close?.();
    await registry.fastify.close();
    await jlis.fastify.close();
  }
}

export const registryChecksCase: BenchCase<AppBenchContext> = {
  name: 'registry.checks',
  description: '国家資格の登録者の住基ネット定期確認（100万人、異動照会・登録簿との照合・審査への提案）',
  async run(ctx): Promise<BenchResult> {
    const app = await ctx.app();
    const env = Number(process.env['MAMORI_BENCH_REGISTRY_SIZE'] ?? '');
    const size = Number.isSafeInteger(env) && env > 0 ? env : ctx.quick ? 100_000 : 1_000_000;
    const b = await benchRegistryChecks(app, { size, log: ctx.log });
    const e = b.expected;
    const ok = b.run.checked === size && b.run.changed === e.renamed + e.moved && b.run.deaths === e.deceased && b.run.unresolved === e.unknown;
    const ratio = b.seconds / b.baselineSeconds;
    return {
      name: 'registry.checks', value: b.seconds, unit: 's', baseline: b.baselineSeconds, baselineUnit: 's', ratio, goal: '≤ 120 s, ≤ 5× baseline',
      pass: ok && b.seconds <= 120 && ratio <= 5,
      notes: `${size.toLocaleString('en-US')} 人: 確認 ${b.run.checked}、変更 ${b.run.changed}、死亡 ${b.run.deaths}、未確認 ${b.run.unresolved}（想定 ${e.renamed + e.moved}/${e.deceased}/${e.unknown}${ok ? '' : '、不一致'}）; 所要 ${b.seconds.toFixed(1)} s、基準 ${b.baselineSeconds.toFixed(1)} s、比 ${ratio.toFixed(2)}`,
    };
  },
};
