// Vaccination histories of the synthetic city's residents (issue 6 point 1): every dose the city's ledger
// holds for a person — on time, late, stopped part-way, never started, and with the errors real ledgers hold
// (an interval too short, the wrong product, a dose too young, the same dose reported twice, a dose outside
// the season) — plus product switches over the years (13価 → 15価 → 20価, 4種 → 5種混合, 2価/4価 → 9価 HPV).
//
// The dose rules follow the schedule bench's population (municipality/bench/population.ts), adapted to the
// city: the person, birth date and sex come from the synthetic residents, and a dose is kept only inside the
// person's window in the city's ledger — from the later of the ledger's first day (`historyFrom`), the day
// they became a resident (a newcomer's earlier doses are in their former municipality's ledger) and birth,
// until the day before they ceased to be a resident or the end of the city (the last diff week).
// Conditions (妊娠, 長期療養, 抗体検査) are not part of the clinic batches, so none are generated; doses
// that depend on them (風しん第5期, RSウイルス母子免疫) are kept and the engine warns about them on import,
// as it would for a real ledger.
//
// Compact: a million residents have about four million doses, held as a struct of arrays (person index,
// product, day number, flags), about ten bytes a dose.
import { addDays, dayNumber, fiscalYearOf, fromDayNumber, periodEnd } from '../../kernel/jp/index.js';
import type { Rng } from '../../kernel/random/index.js';
import { doseSeries } from './series.js';

/** Products the city's histories use (catalog codes); a dose stores the index. */
export const CITY_PRODUCTS = [
  'hib', 'pcv13', 'pcv15', 'pcv20', 'hepb', 'rota1', 'rota5', 'dpt-ipv-hib', 'dpt-ipv', 'dpt', 'dt', 'bcg', 'mr', 'measles', 'rubella',
  'varicella', 'je', 'hpv2', 'hpv4', 'hpv9', 'influenza', 'ppsv23', 'covid19', 'zoster-live', 'zoster-recombinant', 'rsv',
] as const;
export type CityProduct = (typeof CITY_PRODUCTS)[number];
const PRODUCT_INDEX = new Map<string, number>(CITY_PRODUCTS.map((p, i) => [p, i]));

/** Dose flags. */
export const D_TWICE = 1; // the same dose reported a second time (a resubmission)
export const D_DATE_UNKNOWN = 2; // transcribed without its date (接種日不明)

/** All doses of the city, appended person by person. */
export class DoseTable {
  n = 0;
  person: Int32Array;
  product: Uint8Array;
  day: Int32Array;
  flags: Uint8Array;

  constructor(cap: number) {
    const c = Math.max(1024, cap);
    this.person = new Int32Array(c);
    this.product = new Uint8Array(c);
    this.day = new Int32Array(c);
    this.flags = new Uint8Array(c);
  }

  add(person: number, product: number, day: number, flags: number): void {
    if (this.n === this.person.length) {
      const c = Math.ceil(this.n * 1.5);
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(c);
        b.set(a);
        return b;
      };
      this.person = grow(this.person);
      this.product = grow(this.product);
      this.day = grow(this.day);
      this.flags = grow(this.flags);
    }
    const i = this.n++;
    this.person[i] = person;
    this.product[i] = product;
    this.day[i] = day;
    this.flags[i] = flags;
  }
}

export interface HistoryWindow {
  /** First day the city's ledger holds a dose of this person (YYYY-MM-DD). */
  readonly from: string;
  /** Last day (YYYY-MM-DD). */
  readonly to: string;
}

/**
 * Appends person `p`'s doses to `out`.  `rng` must be the person's own stream (forked from the seed and the
 * person's index), so that a person's history does not depend on anyone else's.
 */
export function personHistory(out: DoseTable, p: number, birth: string, sex: 'male' | 'female', window: HistoryWindow, rng: Rng): void {
  if (window.from > window.to) return;
  const g = new Gen(out, p, rng, birth, window);
  const age = Math.floor((dayNumber(window.to) - dayNumber(birth)) / 365.25);
  if (birth >= '2000-01-01') childhood(g, sex);
  if (sex === 'male' && birth >= '1962-04-02' && birth <= '1979-04-01' && rng.chance(0.07)) {
    // 風しん第5期: an antibody test, then MR (or rubella) for those with too little.
    const test = fromDayNumber(dayNumber('2019-06-01') + rng.int(0, 2400));
    g.dose(rng.chance(0.7) ? 'mr' : 'rubella', addDays(test, rng.int(14, 120)));
  }
  if (sex === 'female' && age >= 18 && age <= 44 && rng.chance(0.012)) g.dose('rsv', addDays(window.to, -rng.int(0, 200)));
  if (age >= 40) elderly(g, birth);
}

/** One person's history: doses land only inside the window (rare errors aside, see series()). */
class Gen {
  /** Delays of the family's clinic visits: infant series mostly share them (同時接種). */
  private readonly visits: number[];
  private readonly fromDay: number;
  private readonly toDay: number;
  constructor(
    private readonly out: DoseTable,
    private readonly p: number,
    readonly rng: Rng,
    readonly birth: string,
    window: HistoryWindow,
  ) {
    this.fromDay = dayNumber(window.from);
    this.toDay = dayNumber(window.to);
    this.visits = Array.from({ length: 6 }, () => this.delay());
  }

  /** The day the person reaches `months` months of age, plus `days`. */
  atMonths(months: number, days = 0): string {
    return addDays(periodEnd(this.birth, months), 1 + days);
  }

  /**
   * Records a dose given on `date` if it lies in the window.  Returns false when the date is after the
   * window's end (the series stops there), true otherwise (also when it lies before the window: the dose was
   * given, only not in this ledger).
   */
  dose(product: CityProduct, date: string): boolean {
    const d = dayNumber(date);
    if (d > this.toDay) return false;
    if (d < this.fromDay) return true;
    const r = this.rng;
    // Old doses were sometimes transcribed from the 母子健康手帳 without their date.
    const flags = (d < dayNumber('2014-04-01') && r.chance(0.004) ? D_DATE_UNKNOWN : 0) | (r.chance(0.004) ? D_TWICE : 0);
    this.out.add(this.p, PRODUCT_INDEX.get(product)!, d, flags);
    return true;
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

  /** A series given at the standard ages, with the ledger's errors (synth/series.ts). */
  series(products: (date: string, i: number) => CityProduct, firstAtMonths: number, gaps: readonly number[], opts: { wrong?: CityProduct } = {}): void {
    doseSeries({ rng: this.rng, visits: this.visits, delay: () => this.delay(), atMonths: (m, d) => this.atMonths(m, d), give: (product, date) => this.dose(product, date) }, products, firstAtMonths, gaps, opts.wrong);
  }
}

function childhood(g: Gen, sex: 'male' | 'female'): void {
  const r = g.rng;
  const b = g.birth;
  const penta = g.atMonths(2) >= '2024-04-01';
  // Hib + 第1期 (5種混合 since April 2024; Hib and 4種混合 separately before)
  if (penta) g.series(() => 'dpt-ipv-hib', 2, [27, 27, 200], { wrong: 'dpt-ipv' });
  else {
    g.series(() => 'hib', 2, [27, 27, 220], { wrong: 'pcv13' });
    g.series((d) => (d < '2012-11-01' ? 'dpt' : 'dpt-ipv'), 3, [27, 27, 200], { wrong: 'dt' });
  }
  // 小児肺炎球菌: 13価 → 15価 (2024-04) → 20価 (2024-10)
  g.series((d) => (d < '2024-04-01' ? 'pcv13' : d < '2024-10-01' ? (r.chance(0.5) ? 'pcv15' : 'pcv13') : 'pcv20'), 2, [27, 27, 70], { wrong: 'pcv20' });
  if (b >= '2016-04-01') g.series(() => 'hepb', 2, [27, 140], { wrong: 'hib' });
  if (b >= '2020-08-01') {
    const five = r.chance(0.4);
    g.series(() => (five ? 'rota5' : 'rota1'), 2, five ? [27, 27] : [27], { wrong: five ? 'rota1' : 'rota5' });
  }
  g.series((d) => (d < '2006-04-01' ? 'measles' : 'mr'), 12, [], { wrong: 'measles' });
  if (g.atMonths(12) >= '2014-10-01') g.series(() => 'varicella', 12, [120]);
  g.series(() => 'bcg', 5, []);
  // 第2期 MR: the year before school
  const schoolYear = fiscalYearOf(periodEnd(b, 72));
  if (r.chance(0.9)) g.dose('mr', addDays(`${schoolYear}-04-01`, r.int(0, r.chance(0.1) ? 420 : 300)));
  g.series(() => 'je', 36, [7, 200], { wrong: 'hepb' });
  if (r.chance(0.7)) g.dose('je', g.atMonths(108, g.delay()));
  if (r.chance(0.75)) g.dose(r.chance(0.02) ? 'dpt' : 'dt', g.atMonths(132, g.delay()));
  if (sex === 'female') {
    // HPV: few before the 2022 restart, more since; 9価 from April 2023, and a switch to 9価 mid-series.
    const start = g.atMonths(12 * 13 + r.int(0, 36), g.delay());
    const p = start >= '2022-04-01' ? 0.45 : 0.08;
    if (r.chance(p)) {
      const product: CityProduct = start >= '2023-04-01' ? 'hpv9' : r.chance(0.5) ? 'hpv2' : 'hpv4';
      const gaps = product === 'hpv9' && r.chance(0.6) ? [150 + r.int(0, 60)] : [31, 120];
      let d = start;
      for (let i = 0; i <= gaps.length; i++) {
        if (i > 0) d = addDays(d, gaps[i - 1]! + g.delay());
        if (!g.dose(i > 0 && product !== 'hpv9' && d >= '2023-04-01' && r.chance(0.2) ? 'hpv9' : product, d)) break;
      }
    }
  }
}

function elderly(g: Gen, b: string): void {
  const r = g.rng;
  const at65 = periodEnd(b, 12 * 65);
  const eager = r.next();
  // Influenza every season from 65, within the season — mostly (some in September, some twice).
  for (let fy = Math.max(2011, fiscalYearOf(at65)); fy <= 2026; fy++) {
    if (!r.chance(0.3 + 0.5 * eager)) continue;
    const d = r.chance(0.03) ? `${fy}-09-${String(r.int(10, 30)).padStart(2, '0')}` : addDays(`${fy}-10-01`, r.int(0, 110));
    if (!g.dose('influenza', d)) break;
    if (r.chance(0.01)) g.dose('influenza', addDays(d, r.int(20, 60)));
  }
  for (let fy = Math.max(2024, fiscalYearOf(at65)); fy <= 2026; fy++) {
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
