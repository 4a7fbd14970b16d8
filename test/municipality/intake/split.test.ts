// Strict reading of intake files (decision 0122): RecordSplitter cuts the bytes into complete records and
// decodes them fatally — the same records as csv-parse in any chunking, an invalid byte sequence or a 外字
// named by row (header = row 1) and byte position, an over-long row refused after reading at most the limit
// plus one chunk, and every byte scanned, decoded and parsed once (no timing: the work is counted).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { CsvError, CsvReader, InputError, MAX_ROW_BYTES, RecordSplitter } from '../../../src/municipality/intake/index.js';

type Enc = 'utf8' | 'sjis';

const reference = (text: string): string[][] | 'error' => {
  try {
    return parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch {
    return 'error';
  }
};

/** The records of `bytes` fed in pieces cut at `cuts`, through RecordSplitter and CsvReader.completeRecords. */
function read(bytes: Buffer, enc: Enc, cuts: readonly number[] = []): { records: string[][]; splitter: RecordSplitter; reader: CsvReader } {
  const splitter = new RecordSplitter(enc);
  const reader = new CsvReader();
  const records: string[][] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(Math.max(c, at), bytes.length);
    const t = splitter.push(bytes.subarray(at, to));
    if (t !== null) records.push(...reader.completeRecords(t));
    at = to;
  }
  const t1 = splitter.push(bytes.subarray(at));
  if (t1 !== null) records.push(...reader.completeRecords(t1));
  const t2 = splitter.end();
  if (t2 !== null) records.push(...reader.completeRecords(t2));
  return { records, splitter, reader };
}

const ours = (bytes: Buffer, enc: Enc, cuts: readonly number[] = []): string[][] | 'error' => {
  try {
    return read(bytes, enc, cuts).records;
  } catch (e) {
    if (e instanceof CsvError) return 'error';
    throw e;
  }
};

const inputError = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no InputError');
};

const piece = fc.constantFrom('a', 'b', '山', '﨑', '髙', 'ｱ', ' ', ',', '"', '""', '\r\n', '\n', ',"x"', '"a,b"', '"c""d"', '"e\r\nf"', '', '1');
const csvText = (eol: string) => fc.array(fc.array(piece, { maxLength: 6 }).map((p) => p.join('')), { maxLength: 8 }).map((lines) => lines.join(eol).replace(/\r?\n/g, eol));

describe('intake: strict record splitter', () => {
  it('gives the records csv-parse gives, or an error where it errs, in UTF-8 and Shift_JIS, cut at any byte', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      fc.assert(
        fc.property(csvText(eol), fc.array(fc.nat(120), { maxLength: 6 }), fc.boolean(), (text, cuts, bom) => {
          const want = reference(text);
          expect(ours(Buffer.from((bom ? '\uFEFF' : '') + text, 'utf8'), 'utf8', cuts)).toEqual(want);
          expect(ours(iconv.encode(text, 'cp932'), 'sjis', cuts)).toEqual(want);
        }),
        { numRuns: 800 },
      );
    }
  });

  it('CSV errors keep the line numbers of the whole-text reader', () => {
    const text = 'a,b\r\n"x\r\ny",1\r\n\r\nc,d"1"\r\n';
    let line = 0;
    try {
      read(Buffer.from(text), 'utf8', [3, 9, 14]);
    } catch (e) {
      line = (e as CsvError).line;
    }
    expect(line).toBe(5);
  });

  it('an invalid Shift_JIS byte in row 3 is refused naming row 3 and its byte position, never the text', () => {
    const head = iconv.encode('氏名,住所\r\n山田　太郎,鳥取市\r\n', 'cp932');
    const row3 = Buffer.concat([iconv.encode('佐藤', 'cp932'), Buffer.from([0x82, 0x20]), iconv.encode('花子,米子市\r\n', 'cp932')]);
    const bytes = Buffer.concat([head, row3, iconv.encode('鈴木,境港市\r\n', 'cp932')]);
    const offset = head.length + 4;
    for (const cuts of [[], [1], [head.length + 5], [7, 19, 23]]) {
      const e = inputError(() => read(bytes, 'sjis', cuts));
      expect(e).toMatchObject({ reason: 'invalid-bytes', row: 3, offset });
      expect(e.message).toContain(`3行目（ファイルの先頭から ${offset} バイト目）`);
      expect(e.message).not.toMatch(/佐藤|花子|米子/);
    }
    // A lead byte with nothing after it, a byte CP932 never uses (0x80, 0xA0, 0xFD–0xFF) and a 外字.
    expect(inputError(() => read(Buffer.concat([head, Buffer.from([0x41, 0x81])]), 'sjis'))).toMatchObject({ row: 3, offset: head.length + 1 });
    for (const b of [0x80, 0xa0, 0xfd, 0xff]) expect(inputError(() => read(Buffer.concat([head, Buffer.from([0x41, b, 0x0d, 0x0a])]), 'sjis'))).toMatchObject({ row: 3, offset: head.length + 1 });
    const gaiji = inputError(() => read(Buffer.concat([head, Buffer.from([0x41, 0xf0, 0x40, 0x0d, 0x0a])]), 'sjis'));
    expect(gaiji).toMatchObject({ reason: 'user-defined-char', row: 3, offset: head.length + 1 });
    expect(gaiji.message).toContain('外字');
  });

  it('an invalid UTF-8 sequence is refused naming its row and byte position; a quoted line break does not make a row', () => {
    const head = Buffer.from('\uFEFF氏名,備考\r\n"山田\r\n太郎",x\r\n', 'utf8');
    const bytes = Buffer.concat([head, Buffer.from('佐藤,', 'utf8'), Buffer.from([0xe3, 0x81, 0x41]), Buffer.from('\r\n', 'utf8')]);
    const offset = head.length + Buffer.byteLength('佐藤,');
    for (const cuts of [[], [2], [offset + 1], [offset + 2, offset + 3]]) {
      const e = inputError(() => read(bytes, 'utf8', cuts));
      expect(e).toMatchObject({ reason: 'invalid-bytes', row: 3, offset });
      expect(e.message).toContain('UTF-8');
    }
    // A character cut off at the end of the file.
    expect(inputError(() => read(Buffer.concat([head, Buffer.from([0x41, 0xe3, 0x81])]), 'utf8'))).toMatchObject({ row: 3, offset: head.length + 1 });
  });

  it(`refuses a row longer than ${MAX_ROW_BYTES} bytes after reading at most the limit and one more chunk`, () => {
    const head = Buffer.from('a,b\r\nx,y\r\n');
    const long = Buffer.alloc(4 * MAX_ROW_BYTES, 0x41);
    const chunk = 4096;
    const cuts = Array.from({ length: Math.ceil((head.length + long.length) / chunk) }, (_, k) => (k + 1) * chunk);
    const splitter = new RecordSplitter('utf8');
    let e: unknown;
    try {
      let at = 0;
      const bytes = Buffer.concat([head, long]);
      for (const c of cuts) {
        splitter.push(bytes.subarray(at, c));
        at = c;
      }
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InputError);
    expect(e).toMatchObject({ reason: 'row-too-long', row: 3, offset: head.length });
    expect((e as InputError).message).toContain('3行目が長すぎます');
    expect(splitter.stats.scanned).toBeLessThanOrEqual(head.length + MAX_ROW_BYTES + chunk);
    // Also when the whole row arrives in one piece, and inside a quote left open.
    expect(inputError(() => read(Buffer.concat([head, long, Buffer.from('\r\n')]), 'utf8'))).toMatchObject({ reason: 'row-too-long', row: 3 });
    expect(inputError(() => read(Buffer.concat([head, Buffer.from('"'), long]), 'utf8'))).toMatchObject({ reason: 'row-too-long', row: 3 });
    // A row of exactly the limit is fine.
    expect(read(Buffer.concat([head, Buffer.alloc(MAX_ROW_BYTES, 0x42), Buffer.from('\r\n')]), 'utf8').records).toHaveLength(3);
  });

  it('scans, decodes and parses every byte once, however the file is cut (the work grows linearly)', () => {
    const longField = '山'.repeat(20_000); // 60,000 bytes in UTF-8, one record with line breaks inside the quotes
    const text = `a,b\r\n"${longField}\r\n${longField.slice(0, 100)}",1\r\n` + Array.from({ length: 500 }, (_, i) => `${i},x${i}`).join('\r\n') + '\r\n';
    const bytes = Buffer.from(text, 'utf8');
    for (const step of [1, 7, 4096]) {
      const cuts = Array.from({ length: Math.floor(bytes.length / step) }, (_, k) => (k + 1) * step);
      const { records, splitter, reader } = read(bytes, 'utf8', cuts);
      expect(records).toHaveLength(502);
      expect(records[1]![0]).toBe(`${longField}\r\n${longField.slice(0, 100)}`);
      expect(splitter.stats.scanned).toBe(bytes.length);
      expect(splitter.stats.decoded).toBe(bytes.length);
      expect(reader.parsed).toBe(text.length);
    }
  });
});
