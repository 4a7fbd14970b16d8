// Legal date arithmetic: worked examples from MHLW/municipal sources, then exhaustive and property checks
// against an independent reference built on Date.UTC.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  afterBirthWeeks,
  afterDaysInterval,
  afterMonthsAndHalfInterval,
  afterMonthsInterval,
  ageAtFiscalYearEnd,
  correspondingDay,
  dayNumber,
  daysBetween,
  daysInMonth,
  fiscalYearOf,
  fiscalYearReachingAge,
  formatFiscalYearWareki,
  formatWareki,
  formatWarekiShort,
  fromDayNumber,
  gestationDay,
  isIsoDate,
  legalAge,
  legalMonthAge,
  parseIsoDate,
  parseWareki,
  periodEnd,
  reachAge,
  reachMonthAge,
  schoolEntryDate,
  seasonInFiscalYear,
} from './index.js';

// Independent reference: Date.UTC arithmetic, used only in tests.
const utc = (s: string): Date => new Date(`${s}T00:00:00Z`);
const iso = (d: Date): string => d.toISOString().slice(0, 10);
function refReach(birth: string, months: number): string {
  const b = utc(birth);
  const y = b.getUTCFullYear();
  const m = b.getUTCMonth() + months;
  const day = b.getUTCDate();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  if (day > last) return iso(new Date(Date.UTC(y, m, last))); // no corresponding day: last day of that month
  return iso(new Date(Date.UTC(y, m, day - 1))); // the day before the corresponding day
}
function everyDay(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = utc(from); iso(d) <= to; d = new Date(d.getTime() + 86_400_000)) out.push(iso(d));
  return out;
}
const dateArb = fc.integer({ min: dayNumber('1900-01-01'), max: dayNumber('2100-12-31') }).map(fromDayNumber);

describe('worked examples from the sources', () => {
  it('reaching an age or month-age is the day before the corresponding day (schedule reference, 名取市)', () => {
    expect(reachMonthAge('2018-04-01', 2)).toBe('2018-05-31');
    expect(reachAge('2018-04-01', 1)).toBe('2019-03-31');
    expect(reachAge('2020-04-01', 1)).toBe('2021-03-31'); // 登米市: 令和2年4月1日生 → 令和3年3月31日
  });
  it('no corresponding day → last day of that month', () => {
    expect(reachMonthAge('2018-12-31', 2)).toBe('2019-02-28');
    expect(reachMonthAge('2019-12-31', 2)).toBe('2020-02-29');
    expect(reachMonthAge('2018-07-31', 2)).toBe('2018-09-30'); // ロタQ&A問5: 7月31日生 → 9月30日に生後2月
    expect(reachMonthAge('2019-01-29', 1)).toBe('2019-02-28');
    expect(reachMonthAge('2019-01-28', 1)).toBe('2019-02-27');
  });
  it('2/29 birthdays reach their age on 2/28 in common years and 2/28 in leap years', () => {
    expect(reachAge('2020-02-29', 1)).toBe('2021-02-28'); // no 2021-02-29 → last day of February
    expect(reachAge('2020-02-29', 4)).toBe('2024-02-28'); // corresponding day exists → the day before
    expect(legalAge('2020-02-29', '2021-02-27')).toBe(0);
    expect(legalAge('2020-02-29', '2021-02-28')).toBe(1);
  });
  it('「N日以上の間隔」 → D+N+1: 27日 after a Tuesday is the Tuesday four weeks later', () => {
    expect(afterDaysInterval('2026-11-03', 27)).toBe('2026-12-01'); // both Tuesdays
    expect(utc('2026-11-03').getUTCDay()).toBe(2);
    expect(utc('2026-12-01').getUTCDay()).toBe(2);
    expect(afterDaysInterval('2025-01-01', 139)).toBe('2025-05-21');
  });
  it('「N月の間隔」 → the corresponding day, or the 1st of the next month (MHLW 9価HPV資料)', () => {
    expect(afterMonthsInterval('2023-04-01', 3)).toBe('2023-07-01');
    expect(afterMonthsInterval('2022-11-30', 3)).toBe('2023-03-01'); // 2/28 で3か月経過 → 3/1
    expect(afterMonthsInterval('2024-01-31', 1)).toBe('2024-03-01'); // 名取市: 翌月に同日がなければ翌々月の初日
    expect(afterMonthsInterval('2024-01-29', 1)).toBe('2024-02-29');
    expect(afterMonthsInterval('2025-01-29', 1)).toBe('2025-03-01');
  });
  it('「●月半」 adds 14/15/15/16 days by the month reached (MHLW: 4/1 + 2月半 → 6/16)', () => {
    expect(afterMonthsAndHalfInterval('2023-04-01', 2)).toBe('2023-06-16');
    expect(afterMonthsAndHalfInterval('2022-12-01', 2)).toBe('2023-02-15'); // February 28 days → 14
    expect(afterMonthsAndHalfInterval('2023-12-01', 2)).toBe('2024-02-16'); // February 29 days → 15
    expect(afterMonthsAndHalfInterval('2023-05-01', 2)).toBe('2023-07-17'); // July 31 days → 16
  });
  it('出生W週D日後 counts the birth day as 0週0日 (ロタQ&A問5)', () => {
    expect(afterBirthWeeks('2026-01-05', 6, 0)).toBe('2026-02-16'); // the 6th same weekday
    expect(afterBirthWeeks('2026-01-05', 14, 6)).toBe('2026-04-19'); // the day before the 15th same weekday
    expect(afterBirthWeeks('2026-01-05', 24, 0)).toBe('2026-06-22');
    expect(utc('2026-06-22').getUTCDay()).toBe(utc('2026-01-05').getUTCDay());
  });
  it('妊娠週数 counts from the expected delivery date as 40週0日', () => {
    expect(gestationDay('2026-07-01', 40, 0)).toBe('2026-07-01');
    expect(gestationDay('2026-07-01', 28, 0)).toBe('2026-04-08');
    expect(gestationDay('2026-07-01', 36, 6)).toBe('2026-06-09');
  });
  it('fiscal years and 早生まれ', () => {
    expect(fiscalYearOf('2026-03-31')).toBe(2025);
    expect(fiscalYearOf('2026-04-01')).toBe(2026);
    // 1 April births reach every age on 31 March: they belong to the earlier school year.
    expect(fiscalYearReachingAge('2014-04-01', 12)).toBe(2025);
    expect(fiscalYearReachingAge('2014-04-02', 12)).toBe(2026);
    expect(schoolEntryDate('2019-04-01')).toBe('2025-04-01');
    expect(schoolEntryDate('2019-04-02')).toBe('2026-04-01');
    // 帯状疱疹 R7年度 65歳 = 昭和35年4月2日〜昭和36年4月1日生 (延岡市)
    expect(fiscalYearReachingAge('1960-04-02', 65)).toBe(2025);
    expect(fiscalYearReachingAge('1961-04-01', 65)).toBe(2025);
    expect(fiscalYearReachingAge('1960-04-01', 65)).toBe(2024);
    expect(ageAtFiscalYearEnd('1961-04-01', 2025)).toBe(65);
  });
  it('seasons map month-days into the fiscal year', () => {
    expect(seasonInFiscalYear(2026, '10-01', '01-31')).toEqual({ from: '2026-10-01', until: '2027-01-31' });
    expect(seasonInFiscalYear(2026, '04-01', '03-31')).toEqual({ from: '2026-04-01', until: '2027-03-31' });
  });
});

describe('和暦', () => {
  it('formats era boundaries and 元年 as officials write them', () => {
    expect(formatWareki('2026-11-21')).toBe('令和8年11月21日');
    expect(formatWareki('2019-04-30')).toBe('平成31年4月30日');
    expect(formatWareki('2019-05-01')).toBe('令和元年5月1日');
    expect(formatWareki('2019-05-01', { gannen: false })).toBe('令和1年5月1日');
    expect(formatWareki('1989-01-07')).toBe('昭和64年1月7日');
    expect(formatWareki('1989-01-08')).toBe('平成元年1月8日');
    expect(formatWareki('1926-12-25')).toBe('昭和元年12月25日');
    expect(formatWareki('1912-07-30')).toBe('大正元年7月30日');
    expect(formatWareki('1900-01-01')).toBe('明治33年1月1日');
    expect(formatWarekiShort('2026-11-21')).toBe('R8.11.21');
    expect(() => formatWareki('1872-12-31')).toThrow(RangeError);
  });
  it('names fiscal years as ministries do', () => {
    expect(formatFiscalYearWareki(2026)).toBe('令和8年度');
    expect(formatFiscalYearWareki(2019)).toBe('令和元年度');
    expect(formatFiscalYearWareki(2018)).toBe('平成30年度');
    expect(formatFiscalYearWareki(1988)).toBe('昭和63年度');
    expect(formatFiscalYearWareki(1989)).toBe('平成元年度');
  });
  it('parses what it formats and rejects impossible era dates', () => {
    expect(parseWareki('令和元年5月1日')).toBe('2019-05-01');
    expect(parseWareki('Ｒ８．１１．２１')).toBe('2026-11-21');
    expect(parseWareki('令和1年4月30日')).toBeNull(); // 令和 began on 5月1日
    expect(parseWareki('平成31年5月1日')).toBeNull();
    expect(parseWareki('平成31年2月29日')).toBeNull();
    for (const d of everyDay('1988-12-01', '1989-02-01').concat(everyDay('2019-04-01', '2019-06-01'))) {
      expect(parseWareki(formatWareki(d))).toBe(d);
      expect(parseWareki(formatWarekiShort(d))).toBe(d);
    }
  });
});

describe('exhaustive: every birth date 2015-01-01..2028-12-31', () => {
  const days = everyDay('2015-01-01', '2028-12-31');
  it('day numbers agree with Date.UTC', () => {
    for (const d of days) {
      expect(dayNumber(d)).toBe(utc(d).getTime() / 86_400_000);
      expect(fromDayNumber(dayNumber(d))).toBe(d);
    }
  });
  it('reachMonthAge agrees with the reference for 0..120 months on every day', () => {
    for (const d of days) {
      for (const n of [1, 2, 3, 6, 7, 12, 24, 36, 60, 90, 120]) {
        const r = reachMonthAge(d, n);
        if (r !== refReach(d, n)) expect(r).toBe(refReach(d, n));
      }
    }
  });
  it('legalAge/legalMonthAge flip exactly on the reached day', () => {
    for (const d of days) {
      for (const years of [1, 2, 5, 6, 13]) {
        const reached = reachAge(d, years);
        expect(legalAge(d, reached)).toBe(years);
        expect(legalAge(d, addDays(reached, -1))).toBe(years - 1);
      }
      const r2 = reachMonthAge(d, 2);
      expect(legalMonthAge(d, r2)).toBe(2);
      expect(legalMonthAge(d, addDays(r2, -1))).toBe(1);
    }
  });
  it('month intervals start the day after the period ends', () => {
    for (const d of days) {
      for (const n of [1, 3, 5, 6, 7]) {
        const e = afterMonthsInterval(d, n);
        expect(e).toBe(addDays(periodEnd(d, n), 1));
        const c = correspondingDay(d, n);
        if (c) expect(e).toBe(c);
        else expect(e.slice(8)).toBe('01');
      }
    }
  });
  it('fiscal year of the reached day decides 年度 membership; April 1 births belong to the year before', () => {
    for (const d of days) {
      const fy = fiscalYearReachingAge(d, 12);
      const { y, m, d: day } = parseIsoDate(d)!;
      const expected = m > 4 || (m === 4 && day >= 2) ? y + 12 : y + 11;
      expect(fy).toBe(expected);
    }
  });
});

describe('properties', () => {
  it('the period end is never later than the corresponding day and never earlier than the month before', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 1300 }), (d, n) => {
        const e = periodEnd(d, n);
        expect(e).toBe(refReach(d, n));
        const c = correspondingDay(d, n);
        if (c) expect(daysBetween(e, c)).toBe(1);
        else {
          const { y, m } = parseIsoDate(e)!;
          expect(parseIsoDate(e)!.d).toBe(daysInMonth(y, m));
        }
      }),
    );
  });
  it('day intervals are exact and addDays is invertible', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -100_000, max: 100_000 }), (d, n) => {
        expect(daysBetween(d, addDays(d, n))).toBe(n);
        expect(addDays(addDays(d, n), -n)).toBe(d);
        expect(daysBetween(d, afterDaysInterval(d, n))).toBe(n + 1);
      }),
    );
  });
  it('reaching ages is monotone in the age', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 110 }), (d, n) => {
        expect(reachAge(d, n) < reachAge(d, n + 1)).toBe(true);
      }),
    );
  });
  it('rejects malformed and impossible dates', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '20261121', '', '2026-11-31', '0999-01-01']) {
      expect(isIsoDate(bad)).toBe(false);
    }
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
  });
});
