// The one CSV writer (decision 0121): RFC 4180 quoting and spreadsheet formula neutralisation.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, csvDocument, csvLine, csvText, looksLikeFormula } from '../../src/kernel/csv/index.js';

describe('kernel/csv writer', () => {
  it('prefixes a single quote to text a spreadsheet would run as a formula', () => {
    for (const s of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1', '  =1', '\u3000@SUM(A1)', '\u3000\u3000-1', '＝HYPERLINK("x")', '＋cmd', '－1', '＠cmd', '\n=1']) {
      expect(looksLikeFormula(s), JSON.stringify(s)).toBe(true);
      const cell = (parse(csvText(s)) as string[][])[0]![0];
      expect(cell, JSON.stringify(s)).toBe(`'${s}`);
    }
  });

  it('leaves ordinary text alone', () => {
    for (const s of ['山田 太郎', '2025-04-01', 'a=b', 'x-1', '12.5', '', ' 鳥取', 'メール a@example.jp', '〓']) {
      expect(looksLikeFormula(s), s).toBe(false);
      expect(csvText(s)).toBe(s);
    }
  });

  it('quotes fields with comma, quote, CR or LF and doubles the quotes (RFC 4180)', () => {
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('a\nb')).toBe('"a\nb"');
    expect(csvText('a\r\nb')).toBe('"a\r\nb"');
    expect(csvText('=HYPERLINK("http://example.invalid","x")')).toBe(`"'=HYPERLINK(""http://example.invalid"",""x"")"`);
    expect(csvText('\r=1')).toBe(`"'\r=1"`);
  });

  it('writes numbers as numbers (a negative count is not text) and dates as ISO 8601', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(10n)).toBe('10');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(new Date('2025-04-01T00:00:00Z'))).toBe('2025-04-01T00:00:00.000Z');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    // Text from data that looks like a negative number is text.
    expect(csvCell('-3')).toBe("'-3");
  });

  it('a document has a BOM, the header and CRLF after every line', () => {
    const doc = csvDocument(['名前', '件数'], [['=cmd', -1], ['山田, 太郎', 2]]);
    expect(doc).toBe("\uFEFF名前,件数\r\n'=cmd,-1\r\n\"山田, 太郎\",2\r\n");
    expect(csvDocument(['a'], [], { bom: false })).toBe('a\r\n');
    expect(csvLine(['x', 1, null])).toBe('x,1,\r\n');
    const back = parse(doc.slice(1)) as string[][];
    expect(back).toEqual([['名前', '件数'], ["'=cmd", '-1'], ['山田, 太郎', '2']]);
  });
});
