// The bench case registry.checks (issue 15 "Done when"; decision 0183) at a small size: the synthetic city of
// 20,000 registrants seeded on both sides, the periodic 住基 check run against the jlis node and the baseline
// measured — counts checked against the city's rules; no timing asserted (the bench reports it).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { benchRegistryChecks, synthCityCounts } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { testApp, type TestApp } from '../harness/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp('server');
  (app.config.clock as SetClock).set('2026-11-05T15:00:00+09:00');
}, 120_000);
afterAll(async () => {
  await app?.cleanup();
});

it('checks a synthetic city of 20,000 registrants against 住基ネット and counts every change', async () => {
  const size = 20_000;
  const b = await benchRegistryChecks(app, { size });
  const e = synthCityCounts(size);
  expect(e).toEqual({ registrants: 20_000, renamed: 200, moved: 200, deceased: 100, unknown: 20 });
  expect(b.run).toMatchObject({ checked: size, changed: e.renamed + e.moved, deaths: e.deceased, unresolved: e.unknown, period: { from: '2026-11-05', until: '2026-11-05' } });
  expect(b.run.proposals).toBe(e.renamed + e.moved + e.deceased + e.unknown);
  expect(b.seconds).toBeGreaterThan(0);
  expect(b.baselineSeconds).toBeGreaterThan(0);
  const kinds = await sql<{ kind: string; n: number }>`SELECT kind, count(*)::int AS n FROM registry.check_proposals GROUP BY kind ORDER BY kind`.execute(app.db.system);
  expect(kinds.rows).toEqual([{ kind: 'address', n: 200 }, { kind: 'death', n: 100 }, { kind: 'name', n: 200 }, { kind: 'unknown', n: 20 }]);
  // Run again on the seeded store: the same counts, nothing added.
  const again = await benchRegistryChecks(app, { size });
  expect(again.run).toMatchObject({ checked: size, proposals: 0 });
}, 300_000);
