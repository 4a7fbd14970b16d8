// Japan has one time zone (JST, UTC+9, no daylight saving): a business date is the JST date of an instant.
// These are pure functions of their arguments; "now" and "today" come from the kernel clock (kernel/clock).

/** The JST calendar date of an instant: 'YYYY-MM-DD'. */
export function jstToday(instant: Date): string {
  return new Date(instant.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD' plus `days` (may be negative), by plain calendar arithmetic. */
export function addDaysIso(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** JST wall-clock rendering of an instant: 2026-11-21 14:03:09 */
export function formatJst(instant: Date): string {
  return new Date(instant.getTime() + 9 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}
