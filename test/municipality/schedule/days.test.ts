// The engine's day-number arithmetic (src/municipality/schedule/days.ts) must equal kernel/jp's legal date
// arithmetic on every date: every day from 1890 to 2040 (all month ends, 1 April births, leap days, century
// years inside) against the periods and ages the catalog uses, plus phantom season days.
import { describe, expect, it } from 'vitest';
import * as K from '../../../src/kernel/jp/index.js';
import * as D from '../../../src/municipality/schedule/days.js';

const FROM = K.dayNumber('1890-01-01');
const UNTIL = K.dayNumber('2040-12-31');

describe('schedule day numbers equal kernel/jp', () => {
  it('parses, prints and formats every day the same (1890–2040)', () => {
    const bad: string[] = [];
    for (let n = FROM; n <= UNTIL; n++) {
      const s = K.fromDayNumber(n);
      if (D.dayOf(s) !== n || D.iso(n) !== s || D.wareki(n) !== K.formatWareki(s) || D.fiscalYearOf(n) !== K.fiscalYearOf(s)) bad.push(s);
    }
    expect(bad).toEqual([]);
  });

  it('periods, month intervals and fiscal years of reaching an age (every birth day 1890–2040)', () => {
    const bad: string[] = [];
    for (let n = FROM; n <= UNTIL; n++) {
      const s = K.fromDayNumber(n);
      const p = D.ymd(n);
      const [y, m, d] = [D.yOf(p), D.mOf(p), D.dOf(p)];
      for (const months of [0, 1, 2, 3, 5, 6, 7, 12, 13, 18, 24, 36, 59, 60, 90, 132, 156, 780, 1200]) {
        if (D.periodEnd(n, months) !== K.dayNumber(K.periodEnd(s, months))) bad.push(`periodEnd ${s} ${months}`);
        if (D.periodEndFrom(y, m, d, months) !== K.dayNumber(K.periodEnd(s, months))) bad.push(`periodEndFrom ${s} ${months}`);
        if (D.afterMonths(n, months) !== K.dayNumber(K.afterMonthsInterval(s, months))) bad.push(`afterMonths ${s} ${months}`);
        if (D.afterMonthsAndHalf(n, months) !== K.dayNumber(K.afterMonthsAndHalfInterval(s, months))) bad.push(`afterMonthsAndHalf ${s} ${months}`);
      }
      for (const years of [0, 1, 6, 12, 13, 16, 60, 65, 70, 100]) {
        const want = K.fiscalYearReachingAge(s, years);
        if (D.fiscalYearReachingAge(n, years) !== want || D.fiscalYearReachingAgeFrom(y, m, d, years) !== want) bad.push(`fiscalYearReachingAge ${s} ${years}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('fiscal-year bounds and seasons', () => {
    for (let fy = 1990; fy <= 2040; fy++) {
      expect(D.iso(D.fiscalYearStart(fy))).toBe(K.fiscalYearStart(fy));
      expect(D.iso(D.fiscalYearEnd(fy))).toBe(K.fiscalYearEnd(fy));
      for (const [a, b] of [['10-01', '01-31'], ['10-01', '03-31'], ['04-01', '02-29'], ['12-01', '02-28']] as const) {
        const want = K.seasonInFiscalYear(fy, a, b);
        const got = D.seasonIn(fy, D.monthDay(a), D.monthDay(b));
        expect([D.iso(got.from), D.iso(got.until)]).toEqual([want.from, want.until]);
      }
    }
  });

  it('a season day missing from its year compares like its string, prints as it, and cannot be written in 和暦', () => {
    const s = D.seasonIn(2026, D.monthDay('11-31'), D.monthDay('02-29'));
    expect(D.iso(s.from)).toBe('2026-11-31');
    expect(s.from).toBeGreaterThan(D.dayOf('2026-11-30'));
    expect(s.from).toBeLessThan(D.dayOf('2026-12-01'));
    expect(D.iso(s.until)).toBe('2027-02-28'); // 02-29 as an end falls back in a common year (kernel/jp)
    expect(() => D.wareki(s.from)).toThrow(RangeError);
    expect(() => D.nextDay(s.from)).toThrow(RangeError);
    const leap = D.seasonIn(2027, D.monthDay('02-29'), D.monthDay('03-31'));
    expect(D.iso(leap.from)).toBe('2028-02-29');
  });

  it('keeps the engine sentinels', () => {
    expect(D.iso(D.ZERO)).toBe('0000-01-01');
    expect(D.iso(D.FAR)).toBe('9999-12-31');
    expect(() => D.dayOf('2026-02-30')).toThrow(RangeError);
  });
});
