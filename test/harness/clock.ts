// The tests' clock (issue 9: time is an input).  Every test app, web server and CLI child runs on a clock
// set to TEST_NOW unless a test sets another: the suite's answers do not depend on the machine's date.
import { SetClock } from '../../src/kernel/clock/index.js';

/** The instant the suite's clock starts at: a weekday morning in JST, far from midnight. */
export const TEST_NOW = '2026-11-21T10:00:00+09:00';
/** TEST_NOW's business date. */
export const TEST_TODAY = '2026-11-21';

/** A fresh clock at TEST_NOW (or `at`), running from there; tests may set or advance it. */
export function testClock(at: string = TEST_NOW): SetClock {
  return new SetClock(at);
}
