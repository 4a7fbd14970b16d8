// The dose series both synthetic generators share (the city's ledger, synth/city-doses.ts, and the schedule
// bench's population, bench/population.ts): a series given at the standard ages with the ledger's errors —
// never started, a stop part-way, a first dose a little too young, a dose too soon, the wrong product.
// The random draws happen in a fixed order, so each generator's output stays byte-for-byte what it was.
import { addDays } from '../../kernel/jp/index.js';
import type { Rng } from '../../kernel/random/index.js';

/** What a generator lends the series: its random stream, the family's visit delays and its date helpers. */
export interface SeriesHost<P extends string> {
  readonly rng: Rng;
  readonly visits: readonly number[];
  delay(): number;
  atMonths(months: number, days?: number): string;
  /** Gives (records) one dose; false stops the series (e.g. the person has left or died). */
  give(product: P, date: string): boolean;
}

/**
 * The first dose at `firstAtMonths` months of age, each next one `gaps[i]` days (plus a delay) after the
 * previous; `wrong` is given instead of the series' product now and then.
 */
export function doseSeries<P extends string>(host: SeriesHost<P>, products: (date: string, i: number) => P, firstAtMonths: number, gaps: readonly number[], wrong?: P): void {
  const r = host.rng;
  if (r.chance(0.06)) return; // never started
  const stopAfter = r.chance(0.08) ? r.int(1, gaps.length) : gaps.length + 1;
  const together = r.chance(0.7);
  const delay = (i: number): number => (together ? host.visits[i % host.visits.length]! : host.delay());
  let date = host.atMonths(firstAtMonths, r.chance(0.02) ? -r.int(1, 25) : delay(0));
  for (let i = 0; i <= gaps.length && i < stopAfter; i++) {
    if (i > 0) {
      const gap = gaps[i - 1]!;
      const tooSoon = r.chance(0.03);
      date = addDays(date, tooSoon ? Math.max(1, Math.floor(gap * r.next())) : gap + delay(i));
    }
    let product = products(date, i);
    if (wrong && r.chance(0.015)) product = wrong;
    if (!host.give(product, date)) return;
  }
}
