// 全角/半角 normalisation helpers.  The general text rule (used for names and addresses) is NFKC,
// which maps full-width ASCII to half-width and half-width katakana to full-width katakana.
// Digits-only inputs (codes, My Number) map only U+FF10..U+FF19 to ASCII so that anything else
// still fails validation visibly instead of being silently reinterpreted.

export function toHalfWidthDigits(s: string): string {
  return s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

export function hasFullWidthDigits(s: string): boolean {
  return /[０-９]/.test(s);
}

/** NFKC plus collapsing of whitespace runs (including U+3000) to one ASCII space, trimmed. */
export function normalizeText(s: string): string {
  return s.normalize('NFKC').replace(/[\s\u3000]+/g, ' ').trim();
}
