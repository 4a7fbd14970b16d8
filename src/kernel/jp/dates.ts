// Legal date arithmetic on plain calendar dates ('YYYY-MM-DD'), as Japanese law and MHLW practice count
// them.  No JS Date, no time zone: a date is a civil date in Japan, handled as a day number.
//
// Sources (see docs/decisions/0020-legal-date-arithmetic.md):
// - 年齢計算ニ関スル法律 (明治35年法律第50号): age counts from the day of birth (初日算入).
// - 民法143条2項: a period in months/years ends on the day before the corresponding day (応当日) of the
//   last month; if the last month has no corresponding day, on the last day of that month.
// - 厚生労働省 事務連絡 (2014-03-11 ほか) and 定期接種実施要領: 「X歳に至るまで」「X歳未満」 include the day the
//   person reaches X; 「N日以上の間隔をおいて」 → from day D+N+1; 「N月の間隔」 → from the corresponding day
//   N months later (no such day → the 1st of the following month); 「●月半」 adds 14/15/15/16 days by the
//   length of the month reached; 「出生●週●日後」 counts the birth day as 0週0日.

export interface CivilDate {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!;
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** Parses a real calendar date 'YYYY-MM-DD' (years 1000–9999) or returns null. */
export function parseIsoDate(s: string): CivilDate | null {
  if (typeof s !== 'string' || s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const m = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  if (Number.isNaN(y + m + d)) return null;
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return { y, m, d };
}

export function isIsoDate(s: unknown): s is string {
  return typeof s === 'string' && parseIsoDate(s) !== null;
}

function must(s: string): CivilDate {
  const c = parseIsoDate(s);
  if (!c) throw new RangeError(`日付は YYYY-MM-DD 形式の実在する日付で指定してください: ${JSON.stringify(s)}`);
  return c;
}

function pad2(n: number): string {
  return (n < 10 ? '0' : '') + n;
}

export function formatIsoDate(c: CivilDate): string {
  return `${c.y}-${pad2(c.m)}-${pad2(c.d)}`;
}

/** Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's days_from_civil). */
export function dayNumber(date: string): number {
  const { y: y0, m, d } = must(date);
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day number (inverse of dayNumber). */
export function fromDayNumber(n: number): string {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return formatIsoDate({ y, m, d });
}

/** `date` plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  return fromDayNumber(dayNumber(date) + days);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}

export function compareDates(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function minDate(a: string, b: string): string {
  return a <= b ? a : b;
}

export function maxDate(a: string, b: string): string {
  return a >= b ? a : b;
}

/** Last day of the month of `date`. */
export function endOfMonth(date: string): string {
  const { y, m } = must(date);
  return formatIsoDate({ y, m, d: daysInMonth(y, m) });
}

/** The day `months` later with the same day of month, or null when that month has no such day. */
export function correspondingDay(start: string, months: number): string | null {
  const { y, m, d } = must(start);
  const idx = y * 12 + (m - 1) + months;
  const ny = Math.floor(idx / 12);
  const nm = (idx % 12) + 1;
  return d <= daysInMonth(ny, nm) ? formatIsoDate({ y: ny, m: nm, d }) : null;
}

/**
 * The day on which a period of `months` months counted from `start` (inclusive, 初日算入) is complete:
 * the day before the corresponding day, or — when the last month has no corresponding day — the last day
 * of that month (民法143条2項).  For a birth date this is the day the person reaches that month-age.
 */
export function periodEnd(start: string, months: number): string {
  const c = correspondingDay(start, months);
  if (c !== null) return addDays(c, -1);
  const { y, m } = must(start);
  const idx = y * 12 + (m - 1) + months;
  const ny = Math.floor(idx / 12);
  const nm = (idx % 12) + 1;
  return formatIsoDate({ y: ny, m: nm, d: daysInMonth(ny, nm) });
}

/** The day a person born on `birthDate` reaches 生後`months`月 (e.g. born 2018-04-01 → 2月: 2018-05-31). */
export function reachMonthAge(birthDate: string, months: number): string {
  return periodEnd(birthDate, months);
}

/** The day a person reaches `years` (and optionally extra `months`) of age: the day before the birthday. */
export function reachAge(birthDate: string, years: number, months = 0): string {
  return periodEnd(birthDate, years * 12 + months);
}

/**
 * Legal age in completed years on `date`: the largest X with reachAge(birth, X) ≤ date.  On the day
 * before a birthday the person already counts as the new age (「X歳以上」 starts that day); note that
 * 「X歳未満」 also still includes that day (see reachAge).
 */
export function legalAge(birthDate: string, date: string): number {
  return Math.floor(legalMonthAge(birthDate, date) / 12);
}

/** Legal age in completed months on `date` (largest N with reachMonthAge(birth, N) ≤ date); −1 before birth's eve. */
export function legalMonthAge(birthDate: string, date: string): number {
  const b = must(birthDate);
  const t = must(date);
  let n = (t.y - b.y) * 12 + (t.m - b.m) + 1;
  while (n >= 0 && reachMonthAge(birthDate, n) > date) n--;
  return n < 0 ? -1 : n;
}

/** First day allowed after 「N日以上の間隔をおいて」 from a dose on `date`: D + N + 1. */
export function afterDaysInterval(date: string, days: number): string {
  return addDays(date, days + 1);
}

/**
 * First day allowed after 「N月の間隔をおいて」 (「N月以上」) from a dose on `date`: the corresponding day N
 * months later, or the 1st of the next month when there is none (MHLW: 4/1 + 3月 → 7/1; 11/30 + 3月 →
 * 2/28 で経過 → 3/1).  Equal to periodEnd(date, N) + 1.
 */
export function afterMonthsInterval(date: string, months: number): string {
  return addDays(periodEnd(date, months), 1);
}

/**
 * First day allowed after 「N月半の間隔」: the N-month day E (afterMonthsInterval) plus half of E's month —
 * 14 days in a 28-day month, 15 in a 29- or 30-day month, 16 in a 31-day month (MHLW: 4/1 + 2月半 → 6/16).
 */
export function afterMonthsAndHalfInterval(date: string, months: number): string {
  const e = afterMonthsInterval(date, months);
  const { y, m } = must(e);
  return addDays(e, Math.ceil(daysInMonth(y, m) / 2));
}

/** 「出生W週D日後」: the birth day is 0週0日, the next day 0週1日 (MHLW ロタウイルスワクチンQ&A 問5). */
export function afterBirthWeeks(birthDate: string, weeks: number, days = 0): string {
  return addDays(birthDate, weeks * 7 + days);
}

/** 妊娠W週D日 on the day counted from the expected delivery date (40週0日). */
export function gestationDay(expectedDeliveryDate: string, weeks: number, days = 0): string {
  return addDays(expectedDeliveryDate, weeks * 7 + days - 280);
}

// ------------------------------------------------------------------------------------------ fiscal years

/** The fiscal year (年度, April–March) of `date`, named by the calendar year in which it starts. */
export function fiscalYearOf(date: string): number {
  const { y, m } = must(date);
  return m >= 4 ? y : y - 1;
}

export function fiscalYearStart(fy: number): string {
  return `${fy}-04-01`;
}

export function fiscalYearEnd(fy: number): string {
  return `${fy + 1}-03-31`;
}

/**
 * 「X歳となる日の属する年度」: the fiscal year containing the day the person reaches X.  Someone born on
 * 1 April reaches X on 31 March and so belongs to the earlier year (早生まれ).
 */
export function fiscalYearReachingAge(birthDate: string, years: number): number {
  return fiscalYearOf(reachAge(birthDate, years));
}

/** 年度末年齢: legal age on 31 March of fiscal year `fy`. */
export function ageAtFiscalYearEnd(birthDate: string, fy: number): number {
  return legalAge(birthDate, fiscalYearEnd(fy));
}

/**
 * 小学校就学の始期 (学校教育法17条1項): the first 1 April after the day the person reaches 6.  Born on
 * 1 April → reaches 6 on 31 March → starts school the next day (早生まれ).
 */
export function schoolEntryDate(birthDate: string): string {
  return fiscalYearStart(fiscalYearReachingAge(birthDate, 6) + 1);
}

/** The season dates ('MM-DD') that fall in fiscal year `fy`: e.g. 10-01..01-31 → fy-10-01..(fy+1)-01-31. */
export function seasonInFiscalYear(fy: number, fromMonthDay: string, untilMonthDay: string): { from: string; until: string } {
  const at = (md: string): string => `${Number(md.slice(0, 2)) >= 4 ? fy : fy + 1}-${md}`;
  const from = at(fromMonthDay);
  let until = at(untilMonthDay);
  if (untilMonthDay === '02-29' && !isIsoDate(until)) until = `${fy + 1}-02-28`;
  return { from, until };
}

// ------------------------------------------------------------------------------------------ 和暦

export interface Era {
  readonly name: string;
  readonly short: string;
  readonly start: string;
  /** Gregorian year of the era's first year (明治元年 = 1868, although we only date from 1873). */
  readonly firstYear: number;
}

/** Eras since the Gregorian calendar was adopted (明治6年 = 1873-01-01). */
export const ERAS: readonly Era[] = [
  { name: '令和', short: 'R', start: '2019-05-01', firstYear: 2019 },
  { name: '平成', short: 'H', start: '1989-01-08', firstYear: 1989 },
  { name: '昭和', short: 'S', start: '1926-12-25', firstYear: 1926 },
  { name: '大正', short: 'T', start: '1912-07-30', firstYear: 1912 },
  { name: '明治', short: 'M', start: '1873-01-01', firstYear: 1868 },
];

export interface WarekiOptions {
  /** Write the first year as 元年 (default true, as official documents do); false gives 1年. */
  readonly gannen?: boolean;
}

export interface WarekiParts {
  readonly era: string;
  readonly short: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function warekiParts(date: string): WarekiParts {
  const c = must(date);
  const era = ERAS.find((e) => date >= e.start);
  if (!era) throw new RangeError('和暦は明治6年（1873年）1月1日以降の日付にのみ対応しています');
  return { era: era.name, short: era.short, year: c.y - era.firstYear + 1, month: c.m, day: c.d };
}

const yearLabel = (n: number, o: WarekiOptions): string => (n === 1 && (o.gannen ?? true) ? '元' : String(n));

/** 令和8年11月21日 / 令和元年5月1日 / 平成31年4月30日. */
export function formatWareki(date: string, opts: WarekiOptions = {}): string {
  const p = warekiParts(date);
  return `${p.era}${yearLabel(p.year, opts)}年${p.month}月${p.day}日`;
}

/** R8.11.21 (the abbreviated form used in tables and forms). */
export function formatWarekiShort(date: string): string {
  const p = warekiParts(date);
  return `${p.short}${p.year}.${p.month}.${p.day}`;
}

/**
 * 年度 label: 令和8年度.  A fiscal year is named by the era of its starting calendar year as that year is
 * known at its end, so FY2019 (started under 平成) is 令和元年度 and FY1988 is 昭和63年度, as ministries
 * write them.
 */
export function formatFiscalYearWareki(fy: number, opts: WarekiOptions = {}): string {
  const p = warekiParts(`${fy}-12-31`);
  return `${p.era}${yearLabel(p.year, opts)}年度`;
}

/** Parses 和暦 dates written 令和8年11月21日, 令和元年5月1日 or R8.11.21 (full- or half-width digits). */
export function parseWareki(text: string): string | null {
  const s = text.normalize('NFKC').replace(/\s+/g, '');
  const long = /^(令和|平成|昭和|大正|明治)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日$/.exec(s);
  const short = /^([RHSTM])(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{1,2})$/i.exec(s);
  const r = long ?? short;
  if (!r) return null;
  const era = ERAS.find((e) => e.name === r[1] || e.short === r[1]!.toUpperCase());
  if (!era) return null;
  const n = r[2] === '元' ? 1 : Number(r[2]);
  if (n < 1) return null;
  const iso = formatIsoDate({ y: era.firstYear + n - 1, m: Number(r[3]), d: Number(r[4]) });
  if (!isIsoDate(iso)) return null;
  const p = warekiParts(iso);
  return p.era === era.name && p.year === n ? iso : null;
}
