// PostgreSQL array literals built in one pass, for statements that send a whole column as one parameter
// (`INSERT … SELECT FROM unnest($1::text[], …)`).  node-postgres would build the same text from a JS array,
// but escapes each element with two regular expressions and concatenates piece by piece; for a batch of
// a thousand 1 KB JSON states that cost more than the database's own work.  The literal is sent as a string
// and cast in SQL (`$1::jsonb[]`), which PGlite and node-postgres treat alike.
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPE = /[\\"]/g;
// Elements that need no quotes in an array literal: no space, separator, brace, quote or backslash, not NULL.
const BARE = /^[A-Za-z0-9_.:\u3001-\u9fff\uff00-\uffef-]+$/;

function element(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPE, '\\$&')}"` : `"${v}"`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Buffer.isBuffer(v)) return `"\\\\x${v.toString('hex')}"`;
  if (v instanceof Date) return `"${v.toISOString()}"`;
  throw new TypeError('arrayLiteral: unsupported element type');
}

/** `{"a","b\"c",NULL,12,t}`: strings are always quoted, so the text 'NULL' stays text. */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = element(values[i]);
  return `{${parts.join(',')}}`;
}

/**
 * A text[] literal of names and codes (`{a,b,個人番号}`), written without quotes when no element needs them —
 * then it needs no escaping either when sent inside another array literal.
 */
export function nameArrayLiteral(values: readonly string[]): string {
  for (const v of values) if (!BARE.test(v) || v.toUpperCase() === 'NULL') return arrayLiteral(values);
  return `{${values.join(',')}}`;
}

/**
 * Several JSON texts as one JSON array text, without re-escaping them (each must already be JSON; null is
 * written as JSON null).  Read back row by row with `jsonb_array_elements($1::jsonb)`.
 */
export function jsonArrayText(texts: readonly (string | null | undefined)[]): string {
  const parts = new Array<string>(texts.length);
  for (let i = 0; i < texts.length; i++) parts[i] = texts[i] ?? 'null';
  return `[${parts.join(',')}]`;
}
