// Strict reading of intake files (decision 0122): the bytes of a file are cut into complete CSV records,
// checked and decoded, before the CSV reader sees any text.
//
// - Each byte is looked at once, by a small state machine that knows CSV quoting (',' '"' CR LF are ASCII and
//   are never the second byte of a Shift_JIS character, so this works on the raw bytes of both encodings).
//   When a chunk holds the end of a record, the bytes up to the last record end are decoded in one call and
//   handed on; the rest waits for the next chunk as a list of pieces (joined once).  Nothing is scanned twice,
//   so the work grows linearly with the file, whatever the length of its lines.
// - A record longer than MAX_ROW_BYTES is refused as soon as the limit is passed: at most the limit plus one
//   chunk is ever held.
// - Decoding is fatal: an invalid UTF-8 or Shift_JIS (CP932) sequence stops the file with its row (as a
//   spreadsheet numbers rows: the header is row 1) and its byte position, never a U+FFFD.  In Shift_JIS a
//   user-defined character (外字, 0xF040–0xF9FC) is refused too: it would decode to a private-use code point
//   that means nothing outside the machine that made the file.
// Errors name the row and the position, never the bytes or the text around them (a row may hold a My Number).

import { TextDecoder } from 'node:util';

export type FileEncoding = 'utf8' | 'sjis';

/** The longest record (row) an intake file may have, in bytes, line end excluded (docs/formats/residents-csv.md). */
export const MAX_ROW_BYTES = 64 * 1024;

export class InputError extends Error {
  constructor(
    readonly reason: 'invalid-bytes' | 'user-defined-char' | 'row-too-long',
    /** The row as a spreadsheet numbers it (header = 1). */
    readonly row: number,
    /** Byte position in the file, 0 = the first byte. */
    readonly offset: number,
    readonly encoding: FileEncoding,
  ) {
    super(inputErrorText(reason, row, offset, encoding));
  }
}

function inputErrorText(reason: InputError['reason'], row: number, offset: number, encoding: FileEncoding): string {
  const enc = encoding === 'sjis' ? 'Shift_JIS（CP932）' : 'UTF-8';
  if (reason === 'row-too-long') {
    return `${row}行目が長すぎます（1行の上限は ${MAX_ROW_BYTES.toLocaleString('en-US')} バイトです。行はファイルの先頭から ${offset} バイト目で始まります。引用符（"）の閉じ忘れでも起こります）`;
  }
  if (reason === 'user-defined-char') return `${row}行目（ファイルの先頭から ${offset} バイト目）に外字（利用者定義文字）があります。標準の文字に置き換えてください`;
  return `${row}行目（ファイルの先頭から ${offset} バイト目）に${enc}として正しくないバイト列があります。ファイルの文字コードを確認してください`;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

// States of the byte scanner.
const START = 0; // at the start of a line: nothing of a record yet
const FIELD = 1; // at the start of a field after ','
const PLAIN = 2; // inside an unquoted field
const QUOTED = 3; // inside a quoted field
const QUOTE_SEEN = 4; // a '"' inside a quoted field: the end of the field, or the first half of ""

/** Counts for tests: every byte is scanned once and decoded once. */
export interface SplitterStats {
  scanned: number;
  decoded: number;
}

/**
 * Push the file's bytes in any chunking; each push returns the decoded text of the complete records it
 * finished (or null), end() the rest.  The text of consecutive calls concatenated is the file's text.
 */
export class RecordSplitter {
  readonly stats: SplitterStats = { scanned: 0, decoded: 0 };
  private readonly decoder: TextDecoder;
  private state = START;
  /** Absolute offset of the next byte to scan. */
  private at = 0;
  /** Absolute offset where the pending (not yet decoded) bytes start. */
  private cut = 0;
  private pending: Buffer[] = [];
  /** Absolute offset of the first byte of the record being scanned. */
  private recordStart = 0;
  /** Records begun so far (= the spreadsheet row of the record being scanned). */
  private rows = 0;
  /** Start offsets of the records begun in the pending bytes, and the row of the first of them. */
  private starts: number[] = [];
  private firstPendingRow = 1;
  /** Absolute offset of the first byte of the last record end seen (CR of CRLF, or a lone CR or LF). */
  private lastEnd = -1;
  private lastWasCr = false;
  /** Bytes of a UTF-8 BOM matched at the start of the file. */
  private bom = 0;

  constructor(readonly encoding: FileEncoding) {
    this.decoder = new TextDecoder(encoding === 'sjis' ? 'shift_jis' : 'utf-8', { fatal: true, ignoreBOM: true });
  }

  push(chunk: Buffer): string | null {
    const n = chunk.length;
    const base = this.at;
    let st = this.state;
    let lastEnd = this.lastEnd;
    let lastWasCr = this.lastWasCr;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (st === QUOTED) {
        // Skip to the next quote: the bytes in between are data.
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) break; // the rest of the chunk is inside the quotes
        i = q;
        st = QUOTE_SEEN;
        lastWasCr = false;
        continue;
      }
      if (b === CR || b === LF) {
        if (st !== START) {
          // The end of a record.
          if (base + i - this.recordStart > MAX_ROW_BYTES) throw new InputError('row-too-long', this.rows, this.recordStart, this.encoding);
          st = START;
        }
        if (!(b === LF && lastWasCr && lastEnd === base + i - 1)) lastEnd = base + i;
        lastWasCr = b === CR;
        continue;
      }
      lastWasCr = false;
      if (st === START && base + i < 3 && this.bom === base + i && b === UTF8_BOM[base + i]) {
        this.bom++; // a UTF-8 byte order mark at the very start is not part of the first record
        continue;
      }
      if (st === START) {
        this.rows++;
        this.recordStart = base + i;
        this.starts.push(base + i);
        st = b === QUOTE ? QUOTED : b === COMMA ? FIELD : PLAIN;
      } else if (st === FIELD) {
        st = b === QUOTE ? QUOTED : b === COMMA ? FIELD : PLAIN;
      } else if (st === PLAIN) {
        if (b === COMMA) st = FIELD;
      } else {
        // QUOTE_SEEN: "" stays in the field; ',' ends it; anything else is an error the CSV reader reports.
        st = b === QUOTE ? QUOTED : b === COMMA ? FIELD : PLAIN;
      }
    }
    this.stats.scanned += n;
    this.at = base + n;
    this.state = st;
    this.lastEnd = lastEnd;
    this.lastWasCr = lastWasCr;
    if (st !== START && this.at - this.recordStart > MAX_ROW_BYTES) throw new InputError('row-too-long', this.rows, this.recordStart, this.encoding);
    this.pending.push(chunk);
    if (lastEnd <= this.cut) return null;
    // Decode everything up to the last record end; the record end itself starts the next piece.
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const split = lastEnd - this.cut;
    const text = this.decode(all.subarray(0, split));
    this.pending = [all.subarray(split)];
    this.cut = lastEnd;
    const keep = this.starts.findIndex((s) => s >= lastEnd);
    const done = keep < 0 ? this.starts.length : keep;
    this.firstPendingRow += done;
    this.starts = this.starts.slice(done);
    return text;
  }

  end(): string | null {
    if (this.pending.length === 0) return null;
    const all = Buffer.concat(this.pending);
    this.pending = [];
    const text = this.decode(all);
    this.cut = this.at;
    return text;
  }

  private decode(bytes: Buffer): string {
    this.stats.decoded += bytes.length;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      throw this.locate(bytes);
    }
    if (this.encoding === 'sjis' && /[\uE000-\uF8FF]/.test(text)) throw this.locate(bytes);
    return text;
  }

  /** The error for the first bad sequence of `bytes` (which start at this.cut). */
  private locate(bytes: Buffer): InputError {
    const at = this.encoding === 'sjis' ? firstBadSjis(bytes) : firstBadUtf8(bytes);
    const offset = this.cut + at.index;
    let row = this.firstPendingRow - 1;
    for (const s of this.starts) {
      if (s > offset) break;
      row++;
    }
    return new InputError(at.userDefined ? 'user-defined-char' : 'invalid-bytes', Math.max(row, 1), offset, this.encoding);
  }
}

const sjisPair = new TextDecoder('shift_jis', { fatal: true });

/** The first byte of `b` that does not start a valid CP932 character (or starts a 外字). */
function firstBadSjis(b: Buffer): { index: number; userDefined: boolean } {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80 || (c >= 0xa1 && c <= 0xdf)) {
      i++;
      continue;
    }
    if (!((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) || i + 1 >= b.length) return { index: i, userDefined: false };
    let ch: string;
    try {
      ch = sjisPair.decode(b.subarray(i, i + 2));
    } catch {
      return { index: i, userDefined: false };
    }
    if (/[\uE000-\uF8FF]/.test(ch)) return { index: i, userDefined: true };
    i += 2;
  }
  return { index: Math.max(0, b.length - 1), userDefined: false };
}

/** The first byte of `b` where an invalid UTF-8 sequence starts. */
function firstBadUtf8(b: Buffer): { index: number; userDefined: boolean } {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > b.length) return { index: i, userDefined: false };
    if (len > 1) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(i, i + len));
      } catch {
        return { index: i, userDefined: false };
      }
    }
    i += len;
  }
  return { index: Math.max(0, b.length - 1), userDefined: false };
}
