// The intake's CSV reader (decision 0044) against csv-parse, which it replaced on the intake path: the same
// records for any input both accept, an error where csv-parse gives one, in any chunking; errors name the
// line and never a value.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { CsvError, CsvReader, parseCsv } from '../../../src/municipality/intake/index.js';

const reference = (text: string): string[][] | 'error' => {
  try {
    return parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch {
    return 'error';
  }
};

const ours = (text: string, cuts: readonly number[] = []): string[][] | 'error' => {
  const r = new CsvReader();
  const out: string[][] = [];
  let at = 0;
  try {
    for (const c of [...cuts].sort((a, b) => a - b)) {
      const to = Math.min(Math.max(c, at), text.length);
      out.push(...r.push(text.slice(at, to)));
      at = to;
    }
    out.push(...r.push(text.slice(at)), ...r.end());
    return out;
  } catch (e) {
    if (e instanceof CsvError) return 'error';
    throw e;
  }
};

// Text made of the characters that matter to CSV, plus kanji and a surrogate pair.
const piece = fc.constantFrom('a', 'b', '山', '﨑', '𠮷', ' ', ',', '"', '""', '\r\n', '\n', ',"x"', '"a,b"', '"c""d"', '"e\r\nf"', '', '1');
const csvText = (eol: string) => fc.array(fc.array(piece, { maxLength: 6 }).map((p) => p.join('')), { maxLength: 8 }).map((lines) => lines.join(eol).replace(/\r?\n/g, eol));

describe('intake CSV reader', () => {
  it('reads quoted fields, doubled quotes, separators and line ends inside quotes, CRLF/LF/CR, a BOM, empty lines and a last line without an end', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x,1","He said ""hi"""\r\n\r\n"multi\r\nline",\n末尾,')).toEqual([
      ['a', 'b'],
      ['x,1', 'He said "hi"'],
      ['multi\r\nline', ''],
      ['末尾', ''],
    ]);
    expect(parseCsv('a\rb\nc\r\nd')).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('""')).toEqual([['']]);
  });

  it('refuses a quote inside an unquoted field, text after a closing quote and an unclosed quote, naming the line but no value', () => {
    const err = (t: string) => {
      try {
        parseCsv(t);
      } catch (e) {
        return e as CsvError;
      }
      throw new Error('no error');
    };
    expect(err('a,b\r\nc,d"123456789012"')).toMatchObject({ line: 2, reason: 'quote-in-field' });
    expect(err('a\n"x"y,1')).toMatchObject({ line: 2, reason: 'after-closing-quote' });
    expect(err('a\n"open\nstill open')).toMatchObject({ line: 2, reason: 'unclosed-quote' });
    expect(err('a,b\r\nc,d"123456789012"').message).not.toContain('123456789012');
  });

  it('gives the records csv-parse gives, or an error where it errs, for LF, CRLF and CR files in any chunking', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      fc.assert(
        fc.property(csvText(eol), fc.array(fc.nat(200), { maxLength: 5 }), (text, cuts) => {
          const want = reference(text);
          expect(ours(text)).toEqual(want);
          expect(ours(text, cuts)).toEqual(want);
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('reads a large file in 64 KiB pieces with the same result as in one piece', () => {
    const row = (i: number) => `${i},"山﨑 ${i}","住所,${i}番地",${i % 7 === 0 ? '"a""b"' : ''}`;
    const text = Array.from({ length: 20_000 }, (_, i) => row(i)).join('\r\n') + '\r\n';
    const cuts = Array.from({ length: Math.ceil(text.length / 65_536) }, (_, k) => k * 65_536 + 17);
    const whole = parseCsv(text);
    expect(whole).toHaveLength(20_000);
    expect(whole[7]).toEqual(['7', '山﨑 7', '住所,7番地', 'a"b']);
    expect(ours(text, cuts)).toEqual(whole);
  });
});
