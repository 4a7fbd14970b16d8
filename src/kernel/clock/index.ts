// The one clock (issue 9: "time is an input").
//
// Domain code never reads the system time: it asks a Clock for "now" (an instant) and "today" (the
// business date in Japan, JST, 'YYYY-MM-DD').  The clock travels with the configuration
// (`MamoriConfig.clock`), so every `Work` carries it (`w.clock`) and every route, job and command gets
// the same one.  Production uses the system clock; a rehearsal or a demo may start the clock at another
// instant (MAMORI_CLOCK); tests fix it.  Measuring durations (performance.now) is not reading the clock.
import { jstToday } from '../jp/index.js';

export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Today's date in Japan (JST): 'YYYY-MM-DD'. */
  today(): string;
}

/** The machine's clock: what a production deployment runs on. */
export const systemClock: Clock = {
  now: () => new Date(),
  today: () => jstToday(new Date()),
};

/**
 * A clock that tests (and rehearsals) set: it starts at `at` and runs at the machine's pace, so that
 * instants keep their order, until it is `set` or `advance`d.  The elapsed time is measured on the
 * monotonic clock, so a machine whose wall clock is far away (libfaketime, a wrong date) changes nothing.
 */
export class SetClock implements Clock {
  private base: number;
  private startedAt: number;
  private frozen: boolean;

  constructor(at: Date | string, opts: { frozen?: boolean } = {}) {
    this.base = instantOf(at).getTime();
    this.startedAt = performance.now();
    this.frozen = opts.frozen ?? false;
  }

  now(): Date {
    return new Date(this.frozen ? this.base : this.base + Math.floor(performance.now() - this.startedAt));
  }

  today(): string {
    return jstToday(this.now());
  }

  /** Moves the clock to `at` (it runs on from there unless frozen). */
  set(at: Date | string): void {
    this.base = instantOf(at).getTime();
    this.startedAt = performance.now();
  }

  /** Moves the clock forward (or back, with a negative number) by `ms` milliseconds. */
  advance(ms: number): void {
    this.set(new Date(this.now().getTime() + ms));
  }

  /** The setting that gives a child process (a CLI command in a test) this clock: MAMORI_CLOCK. */
  setting(): string {
    return `${this.frozen ? 'fixed:' : ''}${this.now().toISOString()}`;
  }
}

/** A clock stopped at `at`. */
export function fixedClock(at: Date | string): SetClock {
  return new SetClock(at, { frozen: true });
}

/** A clock that starts at `at` and runs on. */
export function clockStartingAt(at: Date | string): SetClock {
  return new SetClock(at);
}

/**
 * A date 'YYYY-MM-DD' means 09:00 JST of that day (office hours, far from midnight either way); anything
 * else must be an ISO 8601 instant with its offset.
 */
function instantOf(at: Date | string): Date {
  if (at instanceof Date) return new Date(at.getTime());
  const text = /^\d{4}-\d{2}-\d{2}$/.test(at) ? `${at}T09:00:00+09:00` : at;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) throw new ClockSettingError(at);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ClockSettingError(at);
  return d;
}

export class ClockSettingError extends Error {
  constructor(value: string) {
    super(`MAMORI_CLOCK の値が読めません: ${JSON.stringify(value)}（例: 2026-04-01、2026-04-01T09:00:00+09:00、fixed:2026-04-01T09:00:00+09:00）`);
    this.name = 'ClockSettingError';
  }
}

/**
 * MAMORI_CLOCK: unset → the system clock; 'YYYY-MM-DD' or an ISO instant → a clock that starts there and
 * runs on; 'fixed:<instant>' → a stopped clock.  An unreadable value is refused (never silently ignored).
 */
export function clockFromSetting(value: string | undefined): Clock {
  const v = value?.trim();
  if (!v) return systemClock;
  if (v.startsWith('fixed:')) return fixedClock(v.slice('fixed:'.length));
  return clockStartingAt(v);
}
