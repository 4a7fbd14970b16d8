// The statistics report over the database: the residents on the 基準日 in 宛名番号 chunks, their doses and
// conditions, the engine's counts per person (tally.ts), sums per (program, dose, age band), then suppression
// (suppress.ts).  One read transaction, one operation-log entry with the parameters (VAX-28, KRN-29).
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { csvDocument } from '../../kernel/csv/index.js';
import { formatFiscalYearWareki } from '../../kernel/jp/index.js';
import { cohortChunk, requireResidentAccess } from '../residents/index.js';
import { catalogFor, subjectsInRange } from '../records/index.js';
import type { Catalog, Person } from '../schedule/index.js';
import { AGE_BANDS, ALL_AGES, reportPeriod, statisticsParamsSchema, type StatisticsReport, type StatisticsRow } from './model.js';
import { rateOf, suppressGroup } from './suppress.js';
import { tallyPerson, type Contribution } from './tally.js';

const CHUNK = 5000;

interface Counts {
  targets: number;
  vaccinated: number;
}

/** Programs a report covers: the ones asked for, else every routine (A類・B類) and municipal program in the catalog. */
function programsOf(catalog: Catalog, asked: readonly string[] | undefined): string[] {
  if (!asked?.length) return [...catalog.programsByCode.keys()];
  const unknown = asked.filter((c) => !catalog.programsByCode.has(c));
  if (unknown.length) throw invalidField('programs', 'UNKNOWN_PROGRAM', `カタログにない予防接種です（${unknown.join('、')}）`);
  return [...new Set(asked)];
}

/**
 * The report.  Staff need the vaccination duty; the command-line operator may run it as a batch job, as it runs
 * extraction and the intake.  Logged once with the parameters and the population size.
 */
export async function computeStatistics(w: Work, raw: unknown, opts: { today?: string } = {}): Promise<StatisticsReport> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const p = parseInput(statisticsParamsSchema, raw);
  const { catalog, version } = await catalogFor(w);
  const programs = programsOf(catalog, p.programs);
  const period = reportPeriod(p.fiscalYear, p.asOf, opts.today ?? w.clock.today());
  const districts = p.districts?.length ? new Set(p.districts) : null;

  const sums = new Map<string, Counts>();
  const add = (c: Contribution) => {
    const key = `${c.program}\u0000${c.dose}\u0000${c.band}`;
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { targets: 0, vaccinated: 0 }));
    s.targets += 1;
    if (c.vaccinated) s.vaccinated += 1;
  };
  // Persons with no doses and no conditions get the same answer for the same birth date and sex.
  const memo = new Map<string, Contribution[]>();
  let population = 0;
  let after = '';
  for (;;) {
    const chunk = await cohortChunk(w, { asOf: period.until, after, limit: CHUNK });
    if (!chunk.rows.length || chunk.last === null) break;
    const subjects = await subjectsInRange(w, { after, last: chunk.last, asOf: period.until });
    for (const r of chunk.rows) {
      if (r.status !== 'resident' || !r.birthDate || !r.sex) continue;
      if (districts && (!r.districtCode || !districts.has(r.districtCode))) continue;
      population += 1;
      const s = subjects.get(r.atenaNo);
      let contributions: Contribution[];
      if (!s || (s.history.length === 0 && s.conditions.length === 0)) {
        const key = `${r.birthDate}|${r.sex}`;
        contributions = memo.get(key) ?? tallyPerson(catalog, { birthDate: r.birthDate, sex: r.sex, conditions: [] } as unknown as Person, [], period, programs);
        memo.set(key, contributions);
      } else {
        contributions = tallyPerson(catalog, { birthDate: r.birthDate, sex: r.sex, conditions: s.conditions } as unknown as Person, s.history, period, programs);
      }
      for (const c of contributions) add(c);
    }
    after = chunk.last;
  }

  const rows: StatisticsRow[] = [];
  let suppressedCells = 0;
  for (const program of programs) {
    const def = catalog.programsByCode.get(program)!.at(-1)!;
    const doses = new Set<number>();
    for (const key of sums.keys()) {
      const [pr, d] = key.split('\u0000');
      if (pr === program) doses.add(Number(d));
    }
    for (const dose of [...doses].sort((a, b) => a - b)) {
      const bands = AGE_BANDS.map((b) => sums.get(`${program}\u0000${dose}\u0000${b.code}`) ?? { targets: 0, vaccinated: 0 });
      const total = bands.reduce((t, b) => ({ targets: t.targets + b.targets, vaccinated: t.vaccinated + b.vaccinated }), { targets: 0, vaccinated: 0 });
      const g = suppressGroup({ bands, total }, p.threshold);
      const base = { program, programName: def.name, category: def.category, dose };
      rows.push({ ...base, ageBand: ALL_AGES, ageBandLabel: '全年齢', targets: g.total.targets, vaccinated: g.total.vaccinated, rate: rateOf(g.total.targets, g.total.vaccinated) });
      AGE_BANDS.forEach((b, i) => {
        if (bands[i]!.targets === 0 && bands[i]!.vaccinated === 0) return;
        const c = g.bands[i]!;
        rows.push({ ...base, ageBand: b.code, ageBandLabel: b.label, targets: c.targets, vaccinated: c.vaccinated, rate: rateOf(c.targets, c.vaccinated) });
      });
      for (const c of [g.total, ...g.bands]) suppressedCells += (c.targets.suppressed ? 1 : 0) + (c.vaccinated.suppressed ? 1 : 0);
    }
  }

  await appendEntry(w.tx, w, {
    action: 'read',
    targetType: 'vaccination-statistics',
    detail: { fiscalYear: p.fiscalYear, from: period.from, until: period.until, programs: p.programs ?? null, districts: p.districts ?? null, threshold: p.threshold, population, rows: rows.length, suppressedCells },
  });
  return { fiscalYear: p.fiscalYear, period, catalogVersion: version, threshold: p.threshold, districts: p.districts ?? null, population, rows, suppressedCells };
}

export const SUPPRESSED_MARK = '＊';

/** The report as CSV (UTF-8 with BOM, CRLF, for Excel): suppressed cells as ＊, never a small count. */
export function statisticsCsv(r: StatisticsReport): string {
  const cell = (c: StatisticsRow['targets']) => (c.suppressed ? SUPPRESSED_MARK : c.value);
  const head = ['年度', '基準日', '予防接種', '予防接種コード', '区分', '回数', '年齢区分', '対象者数', '接種者数', '接種率（%）'];
  const fy = `${r.fiscalYear}年度（${formatFiscalYearWareki(r.fiscalYear)}）`;
  const lines = r.rows.map((x) => [fy, r.period.until, x.programName, x.program, x.category, `${x.dose}回目`, x.ageBandLabel, cell(x.targets), cell(x.vaccinated), x.rate === null ? (x.targets.suppressed || x.vaccinated.suppressed ? SUPPRESSED_MARK : '') : x.rate.toFixed(1)]);
  const note = [[`※ ${SUPPRESSED_MARK} は個人が特定されないよう秘匿した値です（${r.threshold}未満の値と、それを差し引きで求められないようにするための値）。`]];
  return csvDocument(head, [...lines, ...note]);
}


