// Deterministic pseudo-random numbers for synthetic data: same seed → same sequence on every
// machine.  sfc32 seeded from SHA-256 of the seed text.  Never used for secrets.
import { createHash } from 'node:crypto';

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  chance(p: number): boolean;
  /** A new independent stream derived from this seed and a label. */
  fork(label: string): Rng;
}

export function seededRng(seed: string | number): Rng {
  const h = createHash('sha256').update(`mamori-rng:${seed}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const u32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return r >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng: Rng = {
    next: () => u32() / 4294967296,
    int: (min, max) => min + Math.floor((u32() / 4294967296) * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from empty list');
      return items[Math.floor((u32() / 4294967296) * items.length)]!;
    },
    weighted: (items) => {
      const total = items.reduce((s, [, w]) => s + w, 0);
      let x = (u32() / 4294967296) * total;
      for (const [v, w] of items) {
        if (x < w) return v;
        x -= w;
      }
      return items[items.length - 1]![0];
    },
    chance: (p) => u32() / 4294967296 < p,
    fork: (label) => seededRng(`${seed}/${label}`),
  };
  return rng;
}
