// Bench case `extract.all.1m` (issue 5; decision 0063): an extraction of every program in force for
// 1,000,000 residents with full vaccination histories on the server database (--quick: 100,000), against a
// plain scan of the same rows measured in the same run.  The population is built here, straight into the
// tables with multi-row INSERT … SELECT FROM unnest (the bench does not depend on `mamori synth city`).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import type { BenchCase, BenchResult, ServerBenchContext } from '../../kernel/bench/index.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { BENCH_AS_OF, syntheticPopulation } from '../bench/index.js';
import type { PersonState } from '../residents/index.js';
import { startExtraction } from './run.js';

const BLOCK = 10_000;
const DISTRICTS = ['01', '02', '03', '04', '05', '06', '07', '08'];

/** Loads `n` synthetic residents (persons, versions, records, conditions) for `tenant`; returns the doses loaded. */
export async function loadBenchPopulation(db: MamoriDb, tenant: string, n: number, log: (s: string) => void): Promise<{ doses: number; conditions: number }> {
  let doses = 0;
  let conditions = 0;
  let pending: Promise<void> = Promise.resolve();
  for (let start = 0; start < n; start += BLOCK) {
    const size = Math.min(BLOCK, n - start);
    const pop = syntheticPopulation(size, BENCH_AS_OF, `extract/${start}`);
    const p: { atena: string[]; jum: string[]; status: string[]; nk: string[]; kana: string[]; birth: string[]; sex: string[]; state: string[]; hash: Buffer[]; eff: string[]; dv: boolean[]; district: string[] } = { atena: [], jum: [], status: [], nk: [], kana: [], birth: [], sex: [], state: [], hash: [], eff: [], dv: [], district: [] };
    const r: { atena: string[]; product: string[]; on: string[]; data: string[] } = { atena: [], product: [], on: [], data: [] };
    const c: { atena: string[]; code: string[]; detail: string[] } = { atena: [], code: [], detail: [] };
    for (let k = 0; k < size; k++) {
      const i = start + k;
      const sp = pop[k]!;
      const atena = String(1_000_000_000 + i);
      const status: PersonState['status'] = i % 53 === 7 ? 'moved-out' : i % 89 === 3 ? 'deceased' : i % 997 === 5 ? 'removed' : 'resident';
      const s: PersonState = {
        category: 'resident', status, juminhyoCode: String(20_000_000_000 + i), nameKanji: '合成　太郎', nameKana: 'ゴウセイ　タロウ', birthDate: sp.person.birthDate, sex: sp.person.sex,
        postalCode: '680-8571', address: '鳥取県鳥取市尚徳町116番地', katagaki: null, districtCode: DISTRICTS[i % DISTRICTS.length]!, householdNo: String(500_000 + Math.floor(i / 3)), relationship: '世帯員', householderName: null,
        residentKind: 'japanese', realName: null, aliasName: null, alphabetName: null, nameUsage: null, nationality: null, residenceStatus: null, stayUntil: null, becameResidentOn: sp.person.birthDate,
        ceasedOn: status === 'resident' ? null : '2026-06-01', ceasedReason: status === 'moved-out' ? '転出' : status === 'deceased' ? '死亡' : status === 'removed' ? '職権消除' : null,
        latestMovement: null, latestMovementOn: null, latestNotifiedOn: null, previousAddress: null, nextAddress: null, plannedMoveOutOn: null, dvSupport: i % 499 === 11, viewingRestricted: false,
        mailingName: null, mailingPostalCode: null, mailingAddress: null, mailingKatagaki: null, note: null,
      };
      const json = JSON.stringify(s);
      p.atena.push(atena);
      p.jum.push(s.juminhyoCode!);
      p.status.push(status);
      p.nk.push(s.nameKanji);
      p.kana.push(s.nameKana);
      p.birth.push(s.birthDate);
      p.sex.push(s.sex);
      p.state.push(json);
      p.hash.push(createHash('sha256').update(json).digest());
      p.eff.push(status === 'resident' ? s.birthDate : '2026-06-01');
      p.dv.push(s.dvSupport);
      p.district.push(s.districtCode!);
      for (const h of sp.history) {
        r.atena.push(atena);
        r.product.push(h.product);
        r.on.push(h.date);
        r.data.push(`{"product":"${h.product}","vaccinatedOn":"${h.date}","lot":"AB1234","institutionCode":"0110113719","category":"A類定期","dateUnknown":false}`);
      }
      const seen = new Set<string>();
      for (const cond of sp.person.conditions) {
        const code = typeof cond === 'string' ? cond : cond.code;
        if (seen.has(code)) continue;
        seen.add(code);
        c.atena.push(atena);
        c.code.push(code);
        c.detail.push(typeof cond === 'string' ? '{}' : JSON.stringify(Object.fromEntries(Object.entries(cond).filter(([key]) => key !== 'code'))));
      }
    }
    doses += r.atena.length;
    conditions += c.atena.length;
    await pending;
    pending = db.system.transaction().execute(async (tx) => {
      // Bulk load: the owner skips the per-row FK and stamp triggers (every reference is to a row of this load).
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`
        INSERT INTO municipality.persons (tenant_code, atena_no, juminhyo_code, category, status, name_kanji, name_kana, search_kana, birth_date, sex, state, state_hash, version, effective_date, dv_support, district_code, household_no)
        SELECT ${tenant}, a, j, 'resident', st, nk, kn, kn, b::date, sx, s::jsonb, h, 1, e::date, dv, d, NULL
        FROM unnest(${p.atena}::text[], ${p.jum}::text[], ${p.status}::text[], ${p.nk}::text[], ${p.kana}::text[], ${p.birth}::text[], ${p.sex}::text[], ${p.state}::text[], ${p.hash}::bytea[], ${p.eff}::text[], ${p.dv}::bool[], ${p.district}::text[])
          AS t(a, j, st, nk, kn, b, sx, s, h, e, dv, d)`.execute(tx);
      await sql`
        INSERT INTO municipality.person_versions (tenant_code, atena_no, version, effective_date, status, source, state, changed, actor)
        SELECT ${tenant}, a, 1, e::date, st, 'import-full', s::jsonb, '{}', 'bench'
        FROM unnest(${p.atena}::text[], ${p.eff}::text[], ${p.status}::text[], ${p.state}::text[]) AS t(a, e, st, s)`.execute(tx);
      if (r.atena.length) {
        await sql`
          INSERT INTO municipality.vaccination_records (tenant_code, atena_no, category, vaccinated_on, product, data, source, status, version)
          SELECT ${tenant}, a, 'A類定期', o::date, pr, dt::jsonb, 'staff', 'active', 1
          FROM unnest(${r.atena}::text[], ${r.on}::text[], ${r.product}::text[], ${r.data}::text[]) AS t(a, o, pr, dt)`.execute(tx);
      }
      if (c.atena.length) {
        await sql`
          INSERT INTO municipality.person_conditions (tenant_code, atena_no, code, detail)
          SELECT ${tenant}, a, cd, dt::jsonb FROM unnest(${c.atena}::text[], ${c.code}::text[], ${c.detail}::text[]) AS t(a, cd, dt)`.execute(tx);
      }
    });
    if ((start / BLOCK) % 10 === 9) log(`  住民 ${start + size} 人を作成しました`);
  }
  await pending;
  await sql`ANALYZE municipality.persons, municipality.person_versions, municipality.vaccination_records, municipality.person_conditions`.execute(db.system);
  return { doses, conditions };
}

/**
 * The plain scan: the same persons (latest version as of the date), records and conditions the run reads,
 * streamed through the application role under RLS, each row turned into a JS object and dropped — nothing
 * evaluated, nothing written.  Returns seconds.
 */
export async function plainScan(db: MamoriDb, who: Principal, asOf: string): Promise<{ seconds: number; rows: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  await runAs(db, who, async (w) => {
    const persons = sql<{ atena_no: string }>`
      SELECT p.atena_no, v.status, v.state->>'birthDate' AS birth_date, v.state->>'sex' AS sex, v.state->>'districtCode' AS district, (v.state->>'dvSupport')::boolean AS dv, p.dv_support
      FROM municipality.persons p
      LEFT JOIN LATERAL (SELECT v.status, v.state FROM municipality.person_versions v WHERE v.tenant_code = p.tenant_code AND v.atena_no = p.atena_no AND v.effective_date <= ${asOf}::date ORDER BY v.effective_date DESC, v.version DESC LIMIT 1) v ON true
      WHERE p.tenant_code = ${w.tenant}`.compile(w.tx);
    for await (const chunk of w.tx.getExecutor().stream(persons, 10_000)) rows += chunk.rows.length;
    const records = w.tx.selectFrom('municipality.vaccination_records').select(['atena_no', 'product', 'vaccinated_on']).where('tenant_code', '=', w.tenant).where('status', '=', 'active').where('vaccinated_on', '<=', asOf).where('product', 'is not', null);
    for await (const _ of records.stream(10_000)) rows++;
    for await (const _ of w.tx.selectFrom('municipality.person_conditions').select(['atena_no', 'code', 'detail']).where('tenant_code', '=', w.tenant).stream(10_000)) rows++;
  });
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, rows, cpu: (c.user + c.system) / 1e6 };
}

export const extractAllCase: BenchCase<ServerBenchContext> = {
  name: 'extract.all.1m',
  description: '全予防接種の対象者抽出（100万人・接種歴つき、サーバーDB）／基準：同じ行の単純な読み出し',
  async run(ctx): Promise<BenchResult> {
    const { db, tenant, principal } = await ctx.server();
    const n = ctx.quick ? 100_000 : 1_000_000;
    ctx.log(`  合成住民 ${n.toLocaleString('en-US')} 人（接種歴・条件つき）を作成しています…`);
    const tl = performance.now();
    const loaded = await loadBenchPopulation(db, tenant, n, ctx.log);
    const loadSeconds = (performance.now() - tl) / 1000;
    const load = loadavg()[0]!;
    // Warm the caches the same way for both: one scan first (not counted), then scan, run, scan.
    await plainScan(db, principal, BENCH_AS_OF);
    const scanA = await plainScan(db, principal, BENCH_AS_OF);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await startExtraction(db, principal, { kind: 'targets', all: true, asOf: BENCH_AS_OF });
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    const tm = r.timing;
    const scanB = await plainScan(db, principal, BENCH_AS_OF);
    const scan = Math.min(scanA.seconds, scanB.seconds);
    const goalSeconds = ctx.quick ? 3 : 30;
    const ratio = seconds / scan;
    return {
      name: this.name,
      value: seconds,
      unit: 's',
      baseline: scan,
      baselineUnit: 's plain scan',
      ratio,
      goal: `≤ ${goalSeconds} s and ≤ 5× scan`,
      pass: seconds <= goalSeconds && ratio <= 5,
      notes:
        `${n.toLocaleString('en-US')} residents (${loaded.doses.toLocaleString('en-US')} doses, ${loaded.conditions.toLocaleString('en-US')} conditions), all ${r.run.programs.length} programs in force on ${BENCH_AS_OF}, chunks of ${r.run.chunkSize}; ` +
        `${r.run.counts.evaluated.toLocaleString('en-US')} evaluated, ${r.run.counts.memberPersons.toLocaleString('en-US')} targets (${r.run.counts.members.toLocaleString('en-US')} rows written); ` +
        `Mamori's process used ${cpu.toFixed(1)} s of CPU for the run (${tm ? `waiting on reads ${(tm.readWait / 1000).toFixed(1)} s, evaluating ${(tm.evaluate / 1000).toFixed(1)} s, waiting on writes ${(tm.writeWait / 1000).toFixed(1)} s` : ''}) and ${Math.min(scanA.cpu, scanB.cpu).toFixed(1)} s for a scan; ` +
        `scan ${scanA.seconds.toFixed(1)}/${scanB.seconds.toFixed(1)} s wall (${scanA.rows.toLocaleString('en-US')} rows, before/after the run); population built in ${loadSeconds.toFixed(0)} s; load average ${load.toFixed(1)} at start (other work on the machine lengthens both)`,
    };
  },
};
