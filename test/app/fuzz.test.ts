// Issue 10 point 8: the fuzzer itself (the million-input runs are `mamori fuzz`, figures in docs/benchmarks.md).
// A small run must reach every kind of outcome — whole files refused, rows accepted and rejected, imports
// completed and refused in the database — with no crash and no partial write, and the same seed must give
// the same inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz } from '../../src/app/index.js';
import { addTenant, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { TEST_TODAY } from '../harness/clock.js';

describe('mamori fuzz', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
  });
  afterAll(async () => {
    await app.cleanup();
  });

  it('reaches refusals, accepted and rejected rows, completed and refused imports — with no crash and no partial write', async () => {
    const reports = await runFuzz({ inputs: 300, seed: 7, dbInputs: 30, today: TEST_TODAY }, app, TOTTORI);
    expect(reports.map((r) => r.target)).toEqual(['residents-full', 'residents-diff', 'records-clinic']);
    for (const r of reports) {
      expect(r.crashSamples, r.target).toEqual([]);
      expect(r.crashes, r.target).toBe(0);
      expect(r.partialWrites, r.target).toBe(0);
      expect(r.refused + r.parsed, r.target).toBe(300);
      expect(r.refused, r.target).toBeGreaterThan(0);
      expect(r.rowsAccepted, r.target).toBeGreaterThan(0);
      expect(r.rowsRejected, r.target).toBeGreaterThan(0);
      expect(r.dbInputs, r.target).toBe(30);
      expect(r.dbCompleted, r.target).toBeGreaterThan(0);
      expect(r.dbRefused, r.target).toBeGreaterThan(0);
    }
  });

  it('the same seed gives the same outcomes; another seed other inputs', async () => {
    const a = await runFuzz({ inputs: 200, seed: 11, today: TEST_TODAY, targets: ['records-clinic'] });
    const b = await runFuzz({ inputs: 200, seed: 11, today: TEST_TODAY, targets: ['records-clinic'] });
    const c = await runFuzz({ inputs: 200, seed: 12, today: TEST_TODAY, targets: ['records-clinic'] });
    const key = (r: (typeof a)[number]) => [r.refused, r.parsed, r.rowsAccepted, r.rowsRejected];
    expect(key(a[0]!)).toEqual(key(b[0]!));
    expect(key(c[0]!)).not.toEqual(key(a[0]!));
  });
});
