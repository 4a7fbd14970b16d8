// Sampling helpers over the kernel's seeded random numbers: weighted tables with binary search (the
// kernel's `weighted` scans the list on every call), Poisson counts, small integer ranges.
import type { Rng } from '../../kernel/random/index.js';

/** A weighted table built once, picked from in O(log n). */
export class Weighted<T> {
  private readonly cum: Float64Array;
  readonly total: number;
  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length === 0 || items.length !== weights.length) throw new Error('weighted table needs items and weights');
    this.cum = new Float64Array(items.length);
    let s = 0;
    weights.forEach((w, i) => {
      s += Math.max(0, w);
      this.cum[i] = s;
    });
    this.total = s;
  }

  static of<T>(pairs: readonly (readonly [T, number])[]): Weighted<T> {
    return new Weighted(
      pairs.map(([v]) => v),
      pairs.map(([, w]) => w),
    );
  }

  index(rng: Rng): number {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  pick(rng: Rng): T {
    return this.items[this.index(rng)]!;
  }
}

/** A Poisson-distributed count (Knuth for small means, a rounded normal approximation for large ones). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 40) {
    const u = Math.max(rng.next(), 1e-12);
    const v = rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
  }
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > l);
  return k - 1;
}

/** Rounds `x` up or down at random so that the expectation is `x`. */
export function randomRound(rng: Rng, x: number): number {
  const f = Math.floor(x);
  return f + (rng.next() < x - f ? 1 : 0);
}
