// The My Number scan of the leak test (test/final/leakscan.test.ts), kept here so that the main suite can
// prove it finds what it must (test/kernel/leak-scanner.test.ts).  KRN-07, KRN-31.
import { isValidMyNumber } from '../../src/kernel/mynumber/index.js';
import { toHalfWidthDigits } from '../../src/kernel/jp/index.js';

// UUIDs (request ids, job and item ids in URLs) are blanked before the scan: their digit groups are random
// and one in eleven 4-4-4 or 12-digit runs has a valid check digit (a nil UUID's last group always does), so
// they would fail the scan by chance while holding no My Number (no id is ever made from one).
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
// Hex ids (key ids, certificate serials, digests): 16 or more hex characters with at least one letter and
// one digit, standing alone or as PostgreSQL's bytea text (`\x…`, e.g. a blind index in a row cast to text).
// Their digit runs are random in the same way (a key id 'mk-…' once held a run of 12 digits with a valid check
// digit; so did a blind index in registry.network_codes).  The tests that scan such text also look for each
// test number by value, so a number hidden inside a hex word is still caught there.
const HEX_ID = /(?:(?<=\\x)|(?<![0-9a-z]))(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{16,}(?![0-9a-z])/gi;
// Digits (ASCII, full-width, or percent-encoded as %30-%39 / %EF%BC%90-%EF%BC%99), 12 in a run, with at most
// one separator between two digits: hyphen or space of either width, '+', or %20 / %2B / %2D / %E3%80%80.
const D = '(?:[0-9０-９]|%3[0-9]|%EF%BC%9[0-9])';
const S = '(?:[-‐－ \u3000+]|%20|%2B|%2D|%E3%80%80)';
const SHAPES = new RegExp(`(?<!${D}${S}?)${D}(?:${S}?${D}){11}(?!${S}?${D})`, 'gi');

function digitsOf(run: string): string {
  return toHalfWidthDigits(run.replace(/%EF%BC%9([0-9])/gi, '$1').replace(/%3([0-9])/g, '$1').replace(/%20|%2B|%2D|%E3%80%80/gi, ' ')).replace(/[^0-9]/g, '');
}

/** Offsets of every valid My Number (test range or not) in `text`. */
export function findMyNumbers(text: string): number[] {
  const blanked = text.replace(UUID, (u) => 'x'.repeat(u.length)).replace(HEX_ID, (h) => 'x'.repeat(h.length));
  const found: number[] = [];
  for (const m of blanked.matchAll(SHAPES)) {
    const digits = digitsOf(m[0]);
    if (digits.length === 12 && isValidMyNumber(digits)) found.push(m.index);
  }
  return found;
}

/**
 * Every way a My Number may be written in an input that reaches a log (decision 0124): bare, grouped by
 * spaces, hyphens or '+', full-width, irregularly grouped, percent-encoded digit by digit, and with
 * %20 / %2B / %2D separators.
 */
export function myNumberForms(n: string): string[] {
  const g = (sep: string, x = n) => `${x.slice(0, 4)}${sep}${x.slice(4, 8)}${sep}${x.slice(8)}`;
  const wide = n.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
  const pct = (x: string) => [...x].map((d) => `%3${d}`).join('');
  return [
    n,
    g(' '),
    g('-'),
    g('+'),
    wide,
    g('－', wide),
    g('\u3000', wide),
    `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`,
    pct(n),
    `${pct(n.slice(0, 4))}%20${pct(n.slice(4, 8))}%20${pct(n.slice(8))}`,
    g('%20'),
    g('%2B'),
    g('%2D'),
    [...n].map((d) => `%EF%BC%9${d}`).join(''),
  ];
}

/** The seed of the My Number that test/kernel/log-leaks.test.ts plants, and the mark of its log lines. */
export const LEAK_FEED_SEED = 'log-feed';
export const LEAK_FEED_MARK = 'krn07-leak-feed';
