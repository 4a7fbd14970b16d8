// What one person contributes to the statistics (pure: catalog, person, history and the period in; counts
// out).  Decision 0075:
// - 接種者数 of (program, dose k): the person received dose k of the program within the period, as the
//   schedule engine counts doses (a combination vaccine counts toward every program it covers; doses the
//   rules do not count are not counted).
// - 対象者数 of (program, dose k): dose k was the person's next dose at some time within the period with its
//   eligibility window (接種できる期間) overlapping the period — or the person received it within the period.
//   So 接種者数 ≤ 対象者数 in every cell and 接種率 never exceeds 100%.
// - Age band: 年度末年齢 (age on 3月31日 of the fiscal year), as the B類 programs define their targets.
import { fiscalYearEnd, fiscalYearOf, maxDate } from '../../kernel/jp/index.js';
import { evaluateWith, type Catalog, type HistoryItem, type Person, type ProgramResult } from '../schedule/index.js';
import { ageBand, type AgeBand } from './model.js';

export interface Contribution {
  readonly program: string;
  readonly dose: number;
  readonly band: AgeBand;
  readonly vaccinated: boolean;
}

export interface Period {
  readonly from: string;
  readonly until: string;
}

function overlaps(r: ProgramResult, p: Period): boolean {
  if (!r.nextDose || (r.status !== 'due' && r.status !== 'upcoming')) return false;
  return r.nextDose.earliest <= p.until && r.nextDose.latest >= p.from;
}

/** The person's contributions for the period (empty when the person was not born by its end). */
export function tallyPerson(catalog: Catalog, person: Person, history: readonly HistoryItem[], period: Period, programs?: readonly string[]): Contribution[] {
  if (person.birthDate > period.until) return [];
  const start = maxDate(period.from, person.birthDate);
  const before = history.filter((h) => h.date < start);
  const within = history.filter((h) => h.date <= period.until);
  const atStart = evaluateWith(catalog, person, before, start, programs);
  const atEnd = within.length === before.length && start === period.until ? atStart : evaluateWith(catalog, person, within, period.until, programs);
  const band = ageBand(person.birthDate, fiscalYearEnd(fiscalYearOf(period.from)));
  const endByProgram = new Map(atEnd.results.map((r) => [r.program, r]));
  const out: Contribution[] = [];
  for (const s of atStart.results) {
    const e = endByProgram.get(s.program);
    if (!e) continue;
    const given = new Set<number>();
    for (let k = s.dosesCounted + 1; k <= e.dosesCounted; k++) given.add(k);
    const targets = new Set(given);
    if (overlaps(s, period)) targets.add(s.nextDose!.dose);
    if (overlaps(e, period)) targets.add(e.nextDose!.dose);
    for (const dose of [...targets].sort((a, b) => a - b)) out.push({ program: s.program, dose, band, vaccinated: given.has(dose) });
  }
  return out;
}
