// 接種券番号 (decision 0056): 団体コード(6) + 年度(2) + 連番(9) + Luhn check digit; property tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkVoucherNumber, formatVoucherNumber, isValidVoucherNumber, makeVoucherNumber, voucherCheckDigit } from '../../../src/municipality/documents/index.js';

/** Valid 全国地方公共団体コード: 5 digits (prefecture 01–47) + the mod-11 check digit. */
const orgCode = fc
  .tuple(fc.integer({ min: 1, max: 47 }), fc.integer({ min: 0, max: 999 }))
  .map(([pref, rest]) => {
    const five = `${String(pref).padStart(2, '0')}${String(rest).padStart(3, '0')}`;
    const sum = [...five].reduce((s, d, i) => s + Number(d) * [6, 5, 4, 3, 2][i]!, 0);
    return `${five}${(11 - (sum % 11)) % 10}`;
  });
const parts = fc.record({ orgCode, fiscalYear: fc.integer({ min: 2000, max: 2099 }), serial: fc.integer({ min: 1, max: 999_999_999 }) });

describe('voucher number', () => {
  it('is 18 digits that carry the organisation code, the fiscal year and the serial, and read back', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const n = makeVoucherNumber(p);
        expect(n).toMatch(/^\d{18}$/);
        expect(n.slice(0, 6)).toBe(p.orgCode);
        const c = checkVoucherNumber(n);
        expect(c).toEqual({ ok: true, number: n, parts: p });
      }),
    );
  });

  it('detects every single-digit error', () => {
    fc.assert(
      fc.property(parts, fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 9 }), (p, pos, delta) => {
        const n = makeVoucherNumber(p);
        const wrong = n.slice(0, pos) + String((Number(n[pos]) + delta) % 10) + n.slice(pos + 1);
        expect(isValidVoucherNumber(wrong)).toBe(false);
      }),
    );
  });

  it('detects every swap of two adjacent different digits except 09 ↔ 90 (Luhn’s one blind spot)', () => {
    fc.assert(
      fc.property(parts, fc.integer({ min: 0, max: 16 }), (p, pos) => {
        const n = makeVoucherNumber(p);
        const a = n[pos]!;
        const b = n[pos + 1]!;
        fc.pre(a !== b && !((a === '0' && b === '9') || (a === '9' && b === '0')));
        const swapped = n.slice(0, pos) + b + a + n.slice(pos + 2);
        expect(isValidVoucherNumber(swapped)).toBe(false);
      }),
    );
  });

  it('the check digit is Luhn over the first 17 digits (worked example)', () => {
    // 3120112600000123 4, read from the right, doubling every other digit starting with the rightmost:
    // 4→8, 3, 2→4, 1, 0…0, 6, 2→4, 1, 1→2, 0, 2→4, 1, 3→6; sum 40; check digit (10 − 40 mod 10) mod 10 = 0.
    expect(voucherCheckDigit('31201126000001234')).toBe(0);
    expect(makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 1234 })).toBe('312011260000012340');
    expect(formatVoucherNumber('312011260000012340')).toBe('312011-26-000001234-0');
  });

  it('reads what people and scanners write: hyphens, spaces and full-width digits', () => {
    const n = makeVoucherNumber({ orgCode: '131237', fiscalYear: 2027, serial: 42 });
    const printed = formatVoucherNumber(n);
    expect(checkVoucherNumber(printed)).toMatchObject({ ok: true, number: n });
    expect(checkVoucherNumber(` ${printed.replace(/-/g, ' ')} `)).toMatchObject({ ok: true, number: n });
    const fullWidth = printed.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).replace(/-/g, '－');
    expect(checkVoucherNumber(fullWidth)).toMatchObject({ ok: true, number: n });
  });

  it('refuses bad input with a Japanese reason', () => {
    expect(checkVoucherNumber('31201126000001234')).toEqual({ ok: false, reason: '接種券番号は18桁です（入力は17桁）' });
    expect(checkVoucherNumber('3120112600000123A4')).toEqual({ ok: false, reason: '接種券番号は数字で入力してください' });
    expect(checkVoucherNumber('312011260000012345')).toMatchObject({ ok: false, reason: expect.stringContaining('検査数字') });
    // A well-formed Luhn digit over an organisation code whose own check digit is wrong.
    const bad = '31201226000001234';
    expect(checkVoucherNumber(`${bad}${voucherCheckDigit(bad)}`)).toMatchObject({ ok: false, reason: expect.stringContaining('地方公共団体コード') });
    const zero = '31201126000000000';
    expect(checkVoucherNumber(`${zero}${voucherCheckDigit(zero)}`)).toMatchObject({ ok: false, reason: '接種券番号の連番が0です' });
    expect(() => makeVoucherNumber({ orgCode: '312012', fiscalYear: 2026, serial: 1 })).toThrow('検査数字');
    expect(() => makeVoucherNumber({ orgCode: '312011', fiscalYear: 1999, serial: 1 })).toThrow('2000〜2099');
    expect(() => makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 0 })).toThrow('連番');
    expect(() => makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 1e9 })).toThrow('連番');
  });
});
