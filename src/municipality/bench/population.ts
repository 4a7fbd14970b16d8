// A synthetic population for the schedule bench and the schedule engine's golden tests: people with
// Japan-like ages (0–100) and plausible vaccination histories — on time, late, stopped part-way, never
// started, and with the errors a ledger really holds (interval too short, wrong product, a dose too young,
// the same dose twice, a dose outside the season).  Deterministic: the same seed gives the same people on
// every machine.  No personal data: birth dates and doses only.
import { addDays, dayNumber, fiscalYearOf, fromDayNumber, periodEnd } from '../../kernel/jp/index.js';
import { seededRng, type Rng } from '../../kernel/random/index.js';
import { doseSeries } from '../synth/index.js';
import type { ConditionInput, HistoryItem, PersonInput } from '../schedule/index.js';

export interface SyntheticPerson {
  readonly person: PersonInput & { conditions: ConditionInput[] };
  readonly history: HistoryItem[];
}

/**
 * Population of Japan by five-year age band (総務省統計局 人口推計 2024年10月1日, millions, rounded):
 * 0–4, 5–9, … 95–99, 100.
 */
const AGE_BANDS: readonly (readonly [number, number])[] = [
  [0, 4.0], [5, 4.9], [10, 5.3], [15, 5.5], [20, 6.2], [25, 6.4], [30, 6.3], [35, 7.0], [40, 7.8], [45, 9.0],
  [50, 9.6], [55, 8.3], [60, 7.5], [65, 7.4], [70, 8.9], [75, 7.7], [80, 5.9], [85, 3.9], [90, 1.9], [95, 0.6], [100, 0.1],
];

const B_DISABILITIES = ['disability-cardiac', 'disability-renal', 'disability-respiratory', 'disability-hiv-immune'] as const;

/** `n` people as of `asOf` ('YYYY-MM-DD'); histories hold only doses given on or before `asOf`. */
export function syntheticPopulation(n: number, asOf: string, seed: string | number = 'schedule'): SyntheticPerson[] {
  const root = seededRng(`population/${seed}`);
  const out: SyntheticPerson[] = [];
  for (let i = 0; i < n; i++) out.push(syntheticPerson(root.fork(String(i)), asOf));
  return out;
}

function syntheticPerson(rng: Rng, asOf: string): SyntheticPerson {
  const today = dayNumber(asOf);
  const band = rng.weighted(AGE_BANDS.map(([from, weight]) => [from, weight] as const));
  const ageDays = band * 365.25 + rng.int(0, band === 100 ? 364 : 5 * 365);
  const birth = fromDayNumber(today - Math.floor(ageDays));
  const sex = rng.chance(0.49) ? 'male' : 'female';
  const g = new Gen(rng, birth, asOf);
  const conditions: ConditionInput[] = [];
  const age = Math.floor(ageDays / 365.25);

  // Records exist from the time municipalities kept them electronically: children's programs for people
  // born since 2000; the adult programs for everyone.
  if (birth >= '2000-01-01') childhood(g, sex, conditions);
  if (sex === 'male' && birth >= '1962-04-02' && birth <= '1979-04-01' && rng.chance(0.12)) {
    const test = fromDayNumber(dayNumber('2019-06-01') + rng.int(0, 2400));
    if (test <= asOf) {
      conditions.push({ code: 'rubella-antibody-insufficient', from: test });
      if (rng.chance(0.6)) g.dose(rng.chance(0.7) ? 'mr' : 'rubella', addDays(test, rng.int(14, 120)));
    }
  }
  if (sex === 'female' && age >= 18 && age <= 44 && rng.chance(0.03)) {
    const edd = addDays(asOf, rng.int(-30, 280));
    conditions.push({ code: 'pregnancy', expectedDeliveryDate: edd });
    if (rng.chance(0.5)) g.dose('rsv', addDays(edd, rng.int(-84, -22)));
  }
  if (age >= 58 && age <= 66 && rng.chance(0.02)) {
    const c = rng.pick(B_DISABILITIES);
    conditions.push(rng.chance(0.5) ? c : { code: c, from: addDays(periodEnd(birth, 12 * 58), rng.int(0, 2000)) });
  }
  if (age >= 40) elderly(g, conditions);
  return { person: { birthDate: birth, sex, conditions }, history: g.history };
}

/** Builds one person's history: doses land only between birth (rare errors aside) and `asOf`. */
class Gen {
  readonly history: HistoryItem[] = [];
  /** Delays of the family's clinic visits: infant series mostly share them (同時接種). */
  private readonly visits: number[];
  constructor(
    readonly rng: Rng,
    readonly birth: string,
    readonly asOf: string,
  ) {
    this.visits = Array.from({ length: 6 }, () => this.delay());
  }

  /** The day the person reaches `months` months of age, plus `days`. */
  atMonths(months: number, days = 0): string {
    return addDays(periodEnd(this.birth, months), 1 + days);
  }

  /** Adds a dose if it was given by `asOf`; returns its date (or null when it lies in the future). */
  dose(product: string, date: string, doctorJudgement = false): string | null {
    if (date > this.asOf) return null;
    this.history.push(doctorJudgement ? { product, date, doctorJudgement } : { product, date });
    return date;
  }

  /** A delay for a real-life dose: usually days, sometimes weeks or months. */
  delay(): number {
    const r = this.rng;
    return r.weighted<number>([
      [r.int(0, 14), 70],
      [r.int(15, 60), 20],
      [r.int(61, 240), 10],
    ]);
  }

  /**
   * A series given at the standard ages (synth/series.ts), each dose now and then recorded twice and, with
   * `doctor`, now and then given on the doctor's judgement.
   */
  series(products: (date: string, i: number) => string, firstAtMonths: number, gaps: readonly number[], opts: { wrong?: string; doctor?: boolean } = {}): void {
    const r = this.rng;
    const give = (product: string, date: string): boolean => {
      if (!this.dose(product, date, opts.doctor === true && r.chance(0.05))) return false;
      if (r.chance(0.005)) this.dose(product, date); // recorded twice
      return true;
    };
    doseSeries({ rng: r, visits: this.visits, delay: () => this.delay(), atMonths: (m, d) => this.atMonths(m, d), give }, products, firstAtMonths, gaps, opts.wrong);
  }
}

function childhood(g: Gen, sex: 'male' | 'female', conditions: ConditionInput[]): void {
  const r = g.rng;
  const b = g.birth;
  if (r.chance(0.005)) {
    // 長期療養特例: ill from early infancy, recovered later; doses follow the recovery.
    const from = g.atMonths(r.int(1, 6));
    const resolvedOn = addDays(from, r.int(200, 900));
    conditions.push({ code: 'long-term-illness', from, resolvedOn });
    g.dose('hib', addDays(resolvedOn, r.int(10, 90)));
    g.dose('bcg', addDays(resolvedOn, r.int(10, 120)));
  }
  if (r.chance(0.02)) conditions.push('had-varicella');
  const penta = g.atMonths(2) >= '2024-04-01';
  // Hib + 第1期 (5種混合 since April 2024; Hib and 4種混合 separately before)
  if (penta) g.series(() => 'dpt-ipv-hib', 2, [27, 27, 200], { wrong: 'dpt-ipv', doctor: true });
  else {
    g.series(() => 'hib', 2, [27, 27, 220], { wrong: 'pcv13', doctor: true });
    g.series((d) => (d < '2012-11-01' ? 'dpt' : 'dpt-ipv'), 3, [27, 27, 200], { wrong: 'dt' });
  }
  // 小児肺炎球菌: 13価 → 15価 (2024-04) → 20価 (2024-10)
  g.series((d) => (d < '2024-04-01' ? 'pcv13' : d < '2024-10-01' ? 'pcv15' : 'pcv20'), 2, [27, 27, 70], { wrong: 'ppsv23' });
  g.series(() => 'hepb', 2, [27, 140], { wrong: 'hib' });
  if (b >= '2020-08-01') {
    const five = r.chance(0.4);
    g.series(() => (five ? 'rota5' : 'rota1'), 2, five ? [27, 27] : [27], { wrong: five ? 'rota1' : 'rota5' });
  }
  g.series((d) => (d < '2006-04-01' ? 'measles' : 'mr'), 12, [], { wrong: 'measles' });
  if (g.atMonths(12) >= '2014-10-01') g.series(() => 'varicella', 12, [120], { wrong: 'zoster-live' });
  g.series(() => 'bcg', 5, []);
  // 第2期 MR: the year before school
  const schoolYear = fiscalYearOf(periodEnd(b, 72));
  if (r.chance(0.9)) g.dose('mr', addDays(`${schoolYear}-04-01`, r.int(0, r.chance(0.1) ? 420 : 300)));
  g.series(() => 'je', 36, [7, 200], { wrong: 'hepb' });
  if (r.chance(0.7)) g.dose('je', g.atMonths(108, g.delay()));
  if (r.chance(0.75)) g.dose(r.chance(0.02) ? 'dpt' : 'dt', g.atMonths(132, g.delay()));
  if (sex === 'female') {
    // HPV: few before the 2022 restart, more since; 9価 from April 2023.
    const start = g.atMonths(12 * 13 + r.int(0, 36), g.delay());
    const p = start >= '2022-04-01' ? 0.45 : 0.08;
    if (r.chance(p)) {
      const product = start >= '2023-04-01' ? 'hpv9' : r.chance(0.5) ? 'hpv2' : 'hpv4';
      const gaps = product === 'hpv9' && r.chance(0.6) ? [150 + r.int(0, 60)] : [31, 120];
      let d: string | null = start;
      for (let i = 0; d && i <= gaps.length; i++) {
        if (i > 0) d = addDays(d, gaps[i - 1]! + g.delay());
        if (!d) break;
        d = g.dose(i > 0 && product !== 'hpv9' && d >= '2023-04-01' && r.chance(0.2) ? 'hpv9' : product, d);
      }
    }
  }
}

function elderly(g: Gen, conditions: ConditionInput[]): void {
  const r = g.rng;
  const b = g.birth;
  const at65 = periodEnd(b, 12 * 65);
  if (r.chance(0.04)) conditions.push('previous-ppsv23');
  if (r.chance(0.02)) conditions.push('previous-zoster-complete');
  const eager = r.next();
  // Influenza every season from 65 (or from 60 with a disability), within the season — mostly.
  const fyFrom = Math.max(2016, fiscalYearOf(at65));
  for (let fy = fyFrom; fy <= fiscalYearOf(g.asOf); fy++) {
    if (!r.chance(0.3 + 0.5 * eager)) continue;
    const d = r.chance(0.03) ? `${fy}-09-${String(r.int(10, 30)).padStart(2, '0')}` : addDays(`${fy}-10-01`, r.int(0, 110));
    if (g.dose('influenza', d) && r.chance(0.01)) g.dose('influenza', addDays(d, r.int(20, 60)));
  }
  for (let fy = Math.max(2024, fiscalYearOf(at65)); fy <= fiscalYearOf(g.asOf); fy++) {
    if (r.chance(0.15 + 0.3 * eager)) g.dose('covid19', addDays(`${fy}-10-01`, r.int(0, 170)));
  }
  // 高齢者肺炎球菌 at 65 (23価 until March 2026, 20価 since)
  if (at65 >= '2014-10-01' && r.chance(0.4)) {
    const d = addDays(at65, g.delay() + r.int(0, 200));
    g.dose(d < '2026-04-01' ? 'ppsv23' : r.chance(0.9) ? 'pcv20' : 'ppsv23', d);
  }
  // 帯状疱疹 since April 2025 (65, and 70…100 by transition; some outside their year)
  if (b <= '1961-04-01' && r.chance(0.25)) {
    const d = addDays('2025-04-01', r.int(0, 560));
    if (r.chance(0.6)) {
      if (g.dose('zoster-recombinant', d) && r.chance(0.8)) g.dose(r.chance(0.02) ? 'zoster-live' : 'zoster-recombinant', addDays(d, r.chance(0.05) ? r.int(20, 50) : 61 + g.delay()));
    } else g.dose('zoster-live', d);
  }
}
