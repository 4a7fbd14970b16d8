// The My Number scan of the leak test (test/final/leakscan.test.ts), kept here so that the main suite can
// prove it finds what it must (test/kernel/leak-scanner.test.ts).  KRN-07, KRN-31.
import { isValidMyNumber } from '../../src/kernel/mynumber/index.js';
import { toHalfWidthDigits } from '../../src/kernel/jp/index.js';

// UUIDs (request ids, job and item ids in URLs) are blanked before the scan: their digit groups are random
// and one in eleven 4-4-4 or 12-digit runs has a valid check digit (a nil UUID's last group always does), so
// they would fail the scan by chance while holding no My Number (no id is ever made from one).
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
// Half-width or full-width digits, bare or grouped 4-4-4 with hyphens or spaces of either width.
const SHAPES = /(?<![0-9０-９])(?:[0-9０-９]{12}|[0-9０-９]{4}[-‐－ \u3000][0-9０-９]{4}[-‐－ \u3000][0-9０-９]{4})(?![0-9０-９])/g;

/** Offsets of every valid My Number (test range or not) in `text`. */
export function findMyNumbers(text: string): number[] {
  const blanked = text.replace(UUID, (u) => 'x'.repeat(u.length));
  const found: number[] = [];
  for (const m of blanked.matchAll(SHAPES)) {
    const digits = toHalfWidthDigits(m[0]).replace(/[^0-9]/g, '');
    if (digits.length === 12 && isValidMyNumber(digits)) found.push(m.index);
  }
  return found;
}
