// Public face of kernel/csv: the one CSV writer every export uses (decision 0121).
//
// - RFC 4180: fields are separated by ',', records end with CRLF; a field holding ',', '"', CR or LF is
//   quoted and its quotes are doubled.
// - Spreadsheet formula injection (OWASP "CSV Injection"): a text cell that a spreadsheet would run as a
//   formula — one starting with '=', '+', '-', '@', a tab or a CR, also after leading spaces (half- or
//   full-width, U+3000) or line feeds, and with the full-width forms ＝ ＋ － ＠ — gets a single quote in
//   front.  Excel and LibreOffice then show the text as typed, with the quote.
// - Only text is neutralised.  Numbers (`number`, `bigint`) are the code's own values and are written as
//   numbers, so a negative count stays -3; dates (`Date`) are written as ISO 8601 (they start with a
//   digit).  A number that came from data as text (e.g. '-3' typed in a file) is text and is neutralised.
// - null and undefined are empty cells.

/** What a cell may be. */
export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

/** First characters a spreadsheet reads as the start of a formula (after skipping leading blanks). */
const FORMULA_START = /^[ \u3000\n]*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** True when a spreadsheet could read this text as a formula. */
export function looksLikeFormula(s: string): boolean {
  return FORMULA_START.test(s);
}

/** One text cell, neutralised and quoted as needed. */
export function csvText(s: string): string {
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One cell of any kind (see the rules above). */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  return csvText(v);
}

/** One record with its CRLF. */
export function csvLine(cells: readonly CsvValue[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export interface CsvDocumentOptions {
  /** Start with a UTF-8 byte order mark so that Excel reads UTF-8 (default true). */
  readonly bom?: boolean;
}

/** A whole CSV text: (BOM,) header, records, each line ending with CRLF. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly CsvValue[]>, o: CsvDocumentOptions = {}): string {
  const parts: string[] = [o.bom === false ? '' : '\uFEFF', csvLine(header)];
  for (const r of rows) parts.push(csvLine(r));
  return parts.join('');
}
