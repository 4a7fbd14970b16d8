// 個人番号 (My Number): validation, masking and synthetic test numbers.
//
// Structure (番号法施行令第8条): eleven digits and one check digit.  Check digit (平成26年総務省令第85号
// 第5条): remainder r = Σ_{n=1..11} Pn·Qn mod 11, where Pn is the n-th digit of the eleven counted from the
// right and Qn = n+1 (1≤n≤6) or n−5 (7≤n≤11); check digit = 0 if r ≤ 1, else 11 − r.
//
// Full-width rule (docs/decisions/0004-test-range-my-numbers.md): full-width digits U+FF10–U+FF19 are
// converted to ASCII digits before validation (people type in IME full-width mode and 住基 files carry
// 全角).  Nothing else is converted: spaces, hyphens or other characters are an error.
//
// Error messages never repeat the input.
import { hasFullWidthDigits, toHalfWidthDigits } from '../jp/index.js';

export type MyNumberCheck =
  | { ok: true; value: string; convertedFullWidth: boolean }
  | { ok: false; code: 'MYNUMBER_EMPTY' | 'MYNUMBER_NOT_DIGITS' | 'MYNUMBER_LENGTH' | 'MYNUMBER_CHECK_DIGIT'; message: string };

export function myNumberCheckDigit(first11: string): number {
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = first11.charCodeAt(11 - n) - 48;
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

export function checkMyNumber(input: string): MyNumberCheck {
  if (input.length === 0) return { ok: false, code: 'MYNUMBER_EMPTY', message: '個人番号が入力されていません' };
  const convertedFullWidth = hasFullWidthDigits(input);
  const value = toHalfWidthDigits(input);
  const bad = value.search(/[^0-9]/);
  if (bad >= 0) {
    return { ok: false, code: 'MYNUMBER_NOT_DIGITS', message: `個人番号に数字以外の文字が含まれています（${bad + 1}文字目）` };
  }
  if (value.length !== 12) {
    return { ok: false, code: 'MYNUMBER_LENGTH', message: `個人番号は12桁です（入力は${value.length}桁）` };
  }
  if (myNumberCheckDigit(value.slice(0, 11)) !== value.charCodeAt(11) - 48) {
    return { ok: false, code: 'MYNUMBER_CHECK_DIGIT', message: '個人番号の検査用数字（12桁目）が一致しません' };
  }
  return { ok: true, value, convertedFullWidth };
}

export function isValidMyNumber(input: string): boolean {
  return checkMyNumber(input).ok;
}

/**
 * Masks a My Number for display.  Default shows nothing; `showLast: 4` shows the last four digits for a
 * confirmation screen.  Lists never show even that (KRN-07).
 */
export function maskMyNumber(value: string, opts: { showLast?: 0 | 4 } = {}): string {
  const last = opts.showLast === 4 && /^\d{12}$/.test(value) ? value.slice(8) : '＊＊＊＊';
  return `＊＊＊＊ ＊＊＊＊ ${last}`;
}

// ------------------------------------------------------------------ synthetic test range

/**
 * Test range: eleven-digit bases 99900000000–99999999999 (prefix "999") plus their check digit.
 * See docs/decisions/0004-test-range-my-numbers.md.  Synthetic data uses only this range.
 */
export const TEST_RANGE_PREFIX = '999';
const RANGE = 100_000_000; // eight free digits after the prefix
const HALF = 10_000;

export function isTestRangeMyNumber(value: string): boolean {
  return /^\d{12}$/.test(value) && value.startsWith(TEST_RANGE_PREFIX) && isValidMyNumber(value);
}

function roundFn(key: number, x: number, round: number): number {
  // A small integer hash (Murmur-style finaliser) as the Feistel round function.
  let h = (x * 0x9e3779b1 + key + round * 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  // `^` yields a signed 32-bit integer: back to unsigned before the modulo, or the half goes negative.
  return ((h ^ (h >>> 16)) >>> 0) % HALF;
}

/**
 * The i-th synthetic My Number for `seed`.  A four-round Feistel permutation over 10^8 makes the numbers
 * look random while guaranteeing that indexes 0..10^8−1 map to distinct numbers.
 */
export function syntheticMyNumber(seed: string | number, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= RANGE) throw new RangeError('index out of test range');
  const key = seedKey(seed);
  let l = Math.floor(index / HALF);
  let r = index % HALF;
  for (let round = 0; round < 4; round++) {
    const nl = r;
    const nr = (l + roundFn(key, r, round)) % HALF;
    l = nl;
    r = nr;
  }
  const base = TEST_RANGE_PREFIX + String(l * HALF + r).padStart(8, '0');
  return base + String(myNumberCheckDigit(base));
}

function seedKey(seed: string | number): number {
  const s = String(seed);
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function* syntheticMyNumbers(seed: string | number, count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield syntheticMyNumber(seed, i);
}
