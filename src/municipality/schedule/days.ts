// Day-number twins of kernel/jp's legal date arithmetic, for the engine's hot path.  Inside the engine a
// date is its day number (days since 1970-01-01): each input date is parsed once, arithmetic is integer,
// and only the dates the engine prints are formatted (memoised).  Every function here equals its kernel/jp
// namesake on the same dates (test/municipality/schedule/days.test.ts compares them exhaustively); the rules
// and their sources are in kernel/jp/dates.ts and decision 0020.
//
// One extension keeps the engine's answers identical to the string-based engine it replaced: a season
// day that does not exist in a given year (a municipal season "02-29" in a common year, or "11-31") is a
// string the old engine compared but could not format.  Here it is a fractional day number between the
// month's last day and the next month's first (so it compares exactly as the string did), printed as that
// string, and formatting it in 和暦 throws the same error as before.
import { addDays, formatWareki, fromDayNumber } from '../../kernel/jp/index.js';

/** Day number of y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil; kernel/jp dayNumber). */
export function civil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** '0000-01-01' and '9999-12-31': the engine's "no lower / no upper limit". */
export const ZERO = civil(0, 1, 1);
export const FAR = civil(9999, 12, 31);
/** 明治6年1月1日: the first day 和暦 formatting accepts. */
const WAREKI_MIN = civil(1873, 1, 1);

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysIn(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Packs the civil date of a day number as y·512 + m·32 + d (no allocation). */
export function ymd(n: number): number {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 512 + m * 32 + d;
}

export const yOf = (p: number): number => Math.floor(p / 512);
export const mOf = (p: number): number => (p >> 5) & 15;
export const dOf = (p: number): number => p & 31;

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** Day number of a real date 'YYYY-MM-DD' (years 1000–9999); throws kernel/jp's RangeError otherwise. */
export function dayOf(s: string): number {
  if (typeof s === 'string' && s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
    const m = digit(s, 5) * 10 + digit(s, 6);
    const d = digit(s, 8) * 10 + digit(s, 9);
    if (y >= 1000 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)) return civil(y, m, d);
  }
  throw new RangeError(`日付は YYYY-MM-DD 形式の実在する日付で指定してください: ${JSON.stringify(s)}`);
}

/** 民法143条2項: the last day of a period of `months` months counted from `n` (kernel/jp periodEnd). */
export function periodEnd(n: number, months: number): number {
  const p = ymd(n);
  return periodEndFrom(yOf(p), mOf(p), dOf(p), months);
}

/** periodEnd from the civil date y-m-d. */
export function periodEndFrom(y: number, m: number, d: number, months: number): number {
  const idx = y * 12 + m - 1 + months;
  const ny = Math.floor(idx / 12);
  const nm = (idx % 12) + 1;
  const last = daysIn(ny, nm);
  return d <= last ? civil(ny, nm, d) - 1 : civil(ny, nm, last);
}

/** fiscalYearReachingAge from the birth date y-m-d, without building the day (same answer). */
export function fiscalYearReachingAgeFrom(y: number, m: number, d: number, years: number): number {
  const ny = y + years;
  let rm = m; // the month of the day before the birthday (民法143条: the day the age is reached)
  let ry = ny;
  if (d === 1) {
    rm = m - 1;
    if (rm === 0) {
      rm = 12;
      ry = ny - 1;
    }
  }
  return rm >= 4 ? ry : ry - 1;
}

/** 「N月の間隔をおいて」: the first day allowed (kernel/jp afterMonthsInterval). */
export function afterMonths(n: number, months: number): number {
  return periodEnd(n, months) + 1;
}

/** 「N月半の間隔」 (kernel/jp afterMonthsAndHalfInterval). */
export function afterMonthsAndHalf(n: number, months: number): number {
  const e = afterMonths(n, months);
  const p = ymd(e);
  return e + Math.ceil(daysIn(yOf(p), mOf(p)) / 2);
}

/** 年度 of a day (kernel/jp fiscalYearOf). */
export function fiscalYearOf(n: number): number {
  const p = ymd(n);
  return mOf(p) >= 4 ? yOf(p) : yOf(p) - 1;
}

export const fiscalYearStart = (fy: number): number => civil(fy, 4, 1);
export const fiscalYearEnd = (fy: number): number => civil(fy + 1, 3, 31);

/** 「X歳となる日の属する年度」 (kernel/jp fiscalYearReachingAge). */
export function fiscalYearReachingAge(birth: number, years: number): number {
  return fiscalYearOf(periodEnd(birth, years * 12));
}

/** A season day 'MM-DD' compiled once: month, day, and whether it is the 02-29 end that falls back to 02-28. */
export interface MonthDay {
  readonly m: number;
  readonly d: number;
  readonly text: string;
}

export function monthDay(md: string): MonthDay {
  return { m: Number(md.slice(0, 2)), d: Number(md.slice(3, 5)), text: md };
}

// Season days that do not exist in their year: fractional day number → the string the old engine held.
const phantom = new Map<number, string>();

function seasonDay(fy: number, md: MonthDay, until: boolean): number {
  const y = md.m >= 4 ? fy : fy + 1;
  const last = daysIn(y, md.m);
  if (md.d <= last) return civil(y, md.m, md.d);
  if (until && md.text === '02-29') return civil(y, 2, 28);
  const v = civil(y, md.m, last) + (md.d - last) / 64;
  if (!phantom.has(v)) phantom.set(v, `${y}-${md.text}`);
  return v;
}

/** The season's days in fiscal year `fy` (kernel/jp seasonInFiscalYear). */
export function seasonIn(fy: number, from: MonthDay, until: MonthDay): { from: number; until: number } {
  return { from: seasonDay(fy, from, false), until: seasonDay(fy, until, true) };
}

// ------------------------------------------------------------------------------------------ formatting

// Memo of printed days: an array for 1873–2199 (every date a person or a window here can have), a Map else.
const CACHE_FROM = WAREKI_MIN;
const CACHE_SIZE = civil(2200, 1, 1) - WAREKI_MIN;
const isoArray: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);
const warekiArray: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);
const isoCache = new Map<number, string>();

/** 'YYYY-MM-DD' of a day number (memoised). */
export function iso(n: number): string {
  const k = n - CACHE_FROM;
  if (k >= 0 && k < CACHE_SIZE && Number.isInteger(n)) return (isoArray[k] ??= fromDayNumber(n));
  let s = isoCache.get(n);
  if (s === undefined) {
    if (n === ZERO) s = '0000-01-01';
    else if (!Number.isInteger(n)) s = phantom.get(n) ?? String(n);
    else s = fromDayNumber(n);
    if (isoCache.size > 100_000) isoCache.clear();
    isoCache.set(n, s);
  }
  return s;
}

/** 令和8年11月21日 of a day number (memoised; throws kernel/jp's error outside 1873–9999 or for a phantom day). */
export function wareki(n: number): string {
  const k = n - CACHE_FROM;
  if (k >= 0 && k < CACHE_SIZE && Number.isInteger(n)) return (warekiArray[k] ??= formatWareki(iso(n)));
  return formatWareki(iso(n));
}

/** `n` + 1 day where the old engine added a day to a date string: a phantom day throws as it did. */
export function nextDay(n: number): number {
  if (!Number.isInteger(n)) addDays(iso(n), 1);
  return n + 1;
}
