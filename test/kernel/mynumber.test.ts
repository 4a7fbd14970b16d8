// 個人番号 rules (issue 2 "My Number", "Bad input"): structure and check digit (番号法施行令第8条,
// 平成26年総務省令第85号第5条), the documented full-width rule, error messages that never repeat the
// input (KRN-07), the synthetic test range, masking for screens (KRN-07), and the CLI contract of
// `mamori mynumber validate|generate`.  No database is needed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkMyNumber,
  isTestRangeMyNumber,
  isValidMyNumber,
  maskMyNumber,
  myNumberCheckDigit,
  syntheticMyNumber,
  syntheticMyNumbers,
  TEST_RANGE_PREFIX,
} from '../../src/kernel/mynumber/index.js';
import { runCli } from '../harness/cli.js';

// ------------------------------------------------------------------ an independent check digit
// 総務省令第85号第5条: r = (Σ_{n=1..11} Pn × Qn) mod 11, Pn = n-th digit counted from the RIGHT of the
// first eleven, Qn = n+1 (1 ≤ n ≤ 6) or n−5 (7 ≤ n ≤ 11); check digit = 0 if r ≤ 1, otherwise 11 − r.
// Written here the other way round (weights from the LEFT) so that the test does not repeat the code:
//   position from left  1 2 3 4 5 6 7 8 9 10 11
//   n (from right)     11 10 9 8 7 6 5 4 3  2  1
//   Qn                  6 5 4 3 2 7 6 5 4  3  2
const WEIGHTS_FROM_LEFT = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

function remainderOf(first11: string): number {
  return [...first11].reduce((s, ch, i) => s + Number(ch) * WEIGHTS_FROM_LEFT[i]!, 0) % 11;
}

function expectedCheckDigit(first11: string): number {
  const r = remainderOf(first11);
  return r <= 1 ? 0 : 11 - r;
}

/** Digit strings are built here; the test never names a number in a test title. */
const withCheck = (first11: string): string => first11 + String(expectedCheckDigit(first11));
const toFullWidth = (s: string): string => s.replace(/[0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const noLongDigitRun = (s: string): void => {
  // A message may say "12桁" or "3文字目", never a run of the input's digits.
  expect(s).not.toMatch(/[0-9０-９]{4,}/);
};

describe('check digit (番号法施行令第8条, 総務省令第85号第5条)', () => {
  // Hand-worked cases (all in the synthetic test range, prefix 999):
  //  a) 999 0000 0000:  9·6 + 9·5 + 9·4 = 54+45+36 = 135; 135 mod 11 = 3 → 11−3 = 8
  //  b) 999 1234 5678:  135 + 1·3 + 2·2 + 3·7 + 4·6 + 5·5 + 6·4 + 7·3 + 8·2 = 135+3+4+21+24+25+24+21+16 = 273;
  //                     273 mod 11 = 9 → 11−9 = 2
  //  c) 999 0000 0004:  135 + 4·2 = 143 = 13·11 → r = 0 → 0
  //  d) 999 0000 0030:  135 + 3·3 = 144; 144 mod 11 = 1 → r ≤ 1 → 0
  //  e) 999 0000 0005:  135 + 5·2 = 145; 145 mod 11 = 2 → 11−2 = 9
  const cases: [string, number][] = [
    ['99900000000', 8],
    ['99912345678', 2],
    ['99900000004', 0],
    ['99900000030', 0],
    ['99900000005', 9],
  ];

  it('matches hand-worked values, including both remainders that give 0', () => {
    for (const [base, cd] of cases) {
      expect(expectedCheckDigit(base)).toBe(cd); // the independent formula agrees with the hand calculation
      expect(myNumberCheckDigit(base)).toBe(cd);
      expect(checkMyNumber(base + String(cd))).toEqual({ ok: true, value: base + String(cd), convertedFullWidth: false });
    }
  });

  it('agrees with the independent formula for any eleven digits (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), (base) => {
        expect(myNumberCheckDigit(base)).toBe(expectedCheckDigit(base));
        expect(isValidMyNumber(withCheck(base))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every wrong check digit (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), fc.integer({ min: 1, max: 9 }), (base, shift) => {
        const wrong = base + String((expectedCheckDigit(base) + shift) % 10);
        const r = checkMyNumber(wrong);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.code).toBe('MYNUMBER_CHECK_DIGIT');
      }),
      { numRuns: 1000 },
    );
  });

  it('detects any single-digit change, except the collision the rule itself allows (property)', () => {
    // Changing one digit of the first eleven changes the sum by Qn·δ with 2 ≤ Qn ≤ 7 and 1 ≤ |δ| ≤ 9, never
    // a multiple of 11, so the remainder always changes.  Because r = 0 and r = 1 both give check digit 0,
    // a change between those two remainders is the one case no check digit can catch.
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 9 }), (base, pos, shift) => {
        const valid = withCheck(base);
        const changed = valid.slice(0, pos) + String((Number(valid[pos]) + shift) % 10) + valid.slice(pos + 1);
        expect(changed).not.toBe(valid);
        const before = remainderOf(base);
        const after = remainderOf(changed.slice(0, 11));
        const collision = pos < 11 && before <= 1 && after <= 1;
        expect(isValidMyNumber(changed)).toBe(collision);
        if (pos === 11) expect(isValidMyNumber(changed)).toBe(false); // the check digit itself: always caught
      }),
      { numRuns: 3000 },
    );
    // The collision is real: both of these are valid and differ in one digit (r = 0 and r = 1).
    expect(isValidMyNumber(withCheck('99900000004'))).toBe(true);
    expect(isValidMyNumber(withCheck('99900000044'))).toBe(true);
    expect(withCheck('99900000004').slice(11)).toBe(withCheck('99900000044').slice(11));
  });
});

describe('bad input is rejected with a clear reason that never repeats the input (issue 2 "Bad input")', () => {
  const valid = withCheck('99912345678');

  const bad: [label: string, input: string, code: string][] = [
    ['empty', '', 'MYNUMBER_EMPTY'],
    ['eleven digits', valid.slice(0, 11), 'MYNUMBER_LENGTH'],
    ['thirteen digits', valid + '0', 'MYNUMBER_LENGTH'],
    ['one digit', '9', 'MYNUMBER_LENGTH'],
    ['hyphenated 4-4-4', `${valid.slice(0, 4)}-${valid.slice(4, 8)}-${valid.slice(8)}`, 'MYNUMBER_NOT_DIGITS'],
    ['spaces between groups', `${valid.slice(0, 4)} ${valid.slice(4, 8)} ${valid.slice(8)}`, 'MYNUMBER_NOT_DIGITS'],
    ['leading space', ` ${valid}`, 'MYNUMBER_NOT_DIGITS'],
    ['trailing newline', `${valid}\n`, 'MYNUMBER_NOT_DIGITS'],
    ['ideographic space', `${valid.slice(0, 6)}\u3000${valid.slice(6)}`, 'MYNUMBER_NOT_DIGITS'],
    ['full-width hyphen', `${toFullWidth(valid.slice(0, 4))}－${toFullWidth(valid.slice(4))}`, 'MYNUMBER_NOT_DIGITS'],
    ['letters', 'abcdefghijkl', 'MYNUMBER_NOT_DIGITS'],
    ['letter O for zero', valid.slice(0, 5) + 'O' + valid.slice(6), 'MYNUMBER_NOT_DIGITS'],
    ['Arabic-Indic digits are not converted', '٩٩٩١٢٣٤٥٦٧٨٢', 'MYNUMBER_NOT_DIGITS'],
    ['kanji numerals are not converted', '九九九一二三四五六七八二', 'MYNUMBER_NOT_DIGITS'],
    ['SQL-shaped', "1' OR '1'='1", 'MYNUMBER_NOT_DIGITS'],
    ['bad check digit', valid.slice(0, 11) + String((Number(valid[11]) + 1) % 10), 'MYNUMBER_CHECK_DIGIT'],
    ['full-width with bad check digit', toFullWidth(valid.slice(0, 11) + String((Number(valid[11]) + 3) % 10)), 'MYNUMBER_CHECK_DIGIT'],
    ['full-width, eleven digits', toFullWidth(valid.slice(0, 11)), 'MYNUMBER_LENGTH'],
  ];

  it.each(bad)('%s', (_label, input, code) => {
    const r = checkMyNumber(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.message).toMatch(/個人番号/);
    if (input.length > 0) expect(r.message).not.toContain(input);
    noLongDigitRun(r.message);
    expect(isValidMyNumber(input)).toBe(false);
  });

  it('full-width digits U+FF10–U+FF19 are converted, then validated (documented rule)', () => {
    const r = checkMyNumber(toFullWidth(valid));
    expect(r).toEqual({ ok: true, value: valid, convertedFullWidth: true });
    const mixed = toFullWidth(valid.slice(0, 6)) + valid.slice(6);
    expect(checkMyNumber(mixed)).toEqual({ ok: true, value: valid, convertedFullWidth: true });
    expect(checkMyNumber(valid)).toEqual({ ok: true, value: valid, convertedFullWidth: false });
  });

  it('rejects any string that is not exactly 12 ASCII/full-width digits (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const r = checkMyNumber(s);
        const digits = s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
        if (!/^[0-9]{12}$/.test(digits)) expect(r.ok).toBe(false);
        if (!r.ok && s.length >= 4) expect(r.message).not.toContain(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('synthetic test range (docs/decisions/0004-test-range-my-numbers.md)', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = Array.from({ length: 50 }, (_, i) => syntheticMyNumber('seed-a', i));
    const again = Array.from({ length: 50 }, (_, i) => syntheticMyNumber('seed-a', i));
    const b = Array.from({ length: 50 }, (_, i) => syntheticMyNumber('seed-b', i));
    expect(again).toEqual(a);
    expect(b).not.toEqual(a);
    expect([...syntheticMyNumbers('seed-a', 50)]).toEqual(a);
    expect(syntheticMyNumber(42, 7)).toBe(syntheticMyNumber('42', 7));
  });

  it('gives 100,000 distinct, valid numbers in the test range for one seed', () => {
    const seen = new Set<string>();
    let bad = 0;
    for (const n of syntheticMyNumbers('mamori-test', 100_000)) {
      if (!/^[0-9]{12}$/.test(n) || !n.startsWith(TEST_RANGE_PREFIX) || !isTestRangeMyNumber(n) || Number(n[11]) !== expectedCheckDigit(n.slice(0, 11))) bad += 1;
      seen.add(n);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(100_000);
  });

  it('every index of every seed is a valid test-range number (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 99_999_999 }), (seed, i) => {
        const n = syntheticMyNumber(seed, i);
        expect(n).toMatch(/^999[0-9]{9}$/);
        expect(isTestRangeMyNumber(n)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses indexes outside the range', () => {
    expect(() => syntheticMyNumber('s', -1)).toThrow(RangeError);
    expect(() => syntheticMyNumber('s', 1.5)).toThrow(RangeError);
    expect(() => syntheticMyNumber('s', 100_000_000)).toThrow(RangeError);
  });

  it('isTestRangeMyNumber is false outside the prefix or with a bad check digit', () => {
    expect(isTestRangeMyNumber(withCheck('99812345678'))).toBe(false);
    const n = syntheticMyNumber('s', 1);
    expect(isTestRangeMyNumber(n.slice(0, 11) + String((Number(n[11]) + 1) % 10))).toBe(false);
    expect(isTestRangeMyNumber(toFullWidth(n))).toBe(false);
  });
});

describe('maskMyNumber (KRN-07)', () => {
  const n = syntheticMyNumber('mask', 3);

  it('shows no digit by default', () => {
    const m = maskMyNumber(n);
    expect(m).not.toMatch(/[0-9０-９]/);
    expect(m).toBe('＊＊＊＊ ＊＊＊＊ ＊＊＊＊');
  });

  it('shows only the last four digits when asked, and nothing of a malformed value', () => {
    const m = maskMyNumber(n, { showLast: 4 });
    expect(m).toBe(`＊＊＊＊ ＊＊＊＊ ${n.slice(8)}`);
    expect(m).not.toContain(n.slice(0, 8));
    expect(m.replace(/[^0-9]/g, '')).toBe(n.slice(8));
    expect(maskMyNumber('12345', { showLast: 4 })).not.toMatch(/[0-9]/);
    expect(maskMyNumber(`${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`, { showLast: 4 })).not.toMatch(/[0-9]/);
  });
});

describe('CLI: mamori mynumber validate|generate (issue 2 "My Number" CLI)', () => {
  const valid = syntheticMyNumber('cli', 0);

  it('validate exits 0 for a valid number and does not echo it', async () => {
    const r = await runCli(['mynumber', 'validate', valid]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/有効/);
    expect(r.stdout + r.stderr).not.toContain(valid);
  });

  it('validate converts full-width digits and says so', async () => {
    const r = await runCli(['mynumber', 'validate', toFullWidth(valid)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/全角/);
    expect(r.stdout + r.stderr).not.toContain(valid);
  });

  it.each([
    ['wrong length', valid.slice(0, 11), 'MYNUMBER_LENGTH'],
    ['bad check digit', valid.slice(0, 11) + String((Number(valid[11]) + 1) % 10), 'MYNUMBER_CHECK_DIGIT'],
    ['hyphens', `${valid.slice(0, 4)}-${valid.slice(4, 8)}-${valid.slice(8)}`, 'MYNUMBER_NOT_DIGITS'],
    ['full-width with bad check digit', toFullWidth(valid.slice(0, 11) + String((Number(valid[11]) + 2) % 10)), 'MYNUMBER_CHECK_DIGIT'],
  ])('validate exits 1 with the reason on stderr: %s', async (_label, input, code) => {
    const r = await runCli(['mynumber', 'validate', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(code);
    expect(r.stdout).toBe('');
    noLongDigitRun(r.stderr);
  });

  it('validate with an empty argument exits 1', async () => {
    const r = await runCli(['mynumber', 'validate', '']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MYNUMBER_EMPTY');
  });

  it('generate prints N valid test-range numbers, the same for the same seed', async () => {
    const a = await runCli(['mynumber', 'generate', '--count', '25', '--seed', 'cli-seed'], { withholdStdout: true });
    const b = await runCli(['mynumber', 'generate', '--count', '25', '--seed', 'cli-seed'], { withholdStdout: true });
    const c = await runCli(['mynumber', 'generate', '--count', '25', '--seed', 'other-seed'], { withholdStdout: true });
    for (const r of [a, b, c]) expect(r.code).toBe(0);
    const lines = a.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(25);
    expect(lines.every((l) => /^999[0-9]{9}$/.test(l) && isTestRangeMyNumber(l))).toBe(true);
    expect(new Set(lines).size).toBe(25);
    expect(lines).toEqual([...syntheticMyNumbers('cli-seed', 25)]);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('generate rejects a bad count naming the field', async () => {
    for (const count of ['0', '-3', 'abc', '1.5']) {
      const r = await runCli(['mynumber', 'generate', '--count', count], { withholdStdout: true });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('count');
    }
  });
});
