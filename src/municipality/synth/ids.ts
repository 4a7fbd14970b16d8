// Identifiers of synthetic residents: 住民票コード (unique, random-looking, 11 digits), the seed tag of
// 異動ID, and small deterministic hashes for attributes derived from a person's index.
import { createHash } from 'node:crypto';

const HALF = 100_000; // 10^5 × 10^5 = the ten free digits

function round(key: number, x: number, r: number): number {
  let h = (Math.imul(x, 0x9e3779b1) + key + Math.imul(r + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) % HALF;
}

/** A 32-bit key from a seed text. */
export function seedKey(seed: string): number {
  return createHash('sha256').update(`mamori-synth:${seed}`).digest().readUInt32LE(0);
}

/**
 * The 住民票コード of person `index`: a four-round Feistel permutation of the ten free digits (so distinct
 * indexes never collide) and a check digit (modulus 11, weights 2–7 from the right).  The check digit is
 * Mamori's synthetic convention; the file format only requires eleven digits.
 */
export function juminhyoCode(key: number, index: number): string {
  let l = Math.floor(index / HALF);
  let r = index % HALF;
  for (let i = 0; i < 4; i++) {
    const nl = r;
    r = (l + round(key, r, i)) % HALF;
    l = nl;
  }
  const base = String(l * HALF + r).padStart(10, '0');
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (base.charCodeAt(9 - i) - 48) * (2 + (i % 6));
  const rem = sum % 11;
  return base + String(rem <= 1 ? 0 : 11 - rem);
}

/** The seed's tag in 異動ID: the same seed gives the same ids, different seeds do not collide. */
export function movementTag(seed: string): string {
  return 'SY' + createHash('sha256').update(`mamori-synth-movement:${seed}`).digest('hex').slice(0, 8);
}

/** A well-mixed 32-bit hash of (index, salt), for attributes that must not depend on generation order. */
export function mix(index: number, salt: number): number {
  let h = (Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(salt + 0x27d4eb2f, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
