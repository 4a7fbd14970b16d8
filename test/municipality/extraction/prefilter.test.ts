// Decision 0063: the age pre-filter skips programs a person cannot be due or upcoming for within the
// horizon.  Over a synthetic population (every age, late/missed/erroneous doses, conditions) the members and
// the content hash must be exactly those of evaluating every program for every person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/kernel/context/index.js';
import { loadBenchPopulation, startExtraction } from '../../../src/municipality/extraction/index.js';
import { addTenant, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';

describe('age pre-filter', () => {
  let app: TestApp;
  let nurse: Principal;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await loadBenchPopulation(app.db, TOTTORI, 4000, () => undefined);
  }, 120_000);
  afterAll(async () => app.cleanup());

  it.each([
    ['targets', '2026-11-21', null],
    ['targets', '2026-11-21', 2027],
    ['unvaccinated', '2026-11-21', null],
    ['targets', '2026-04-01', null],
  ] as const)('%s as of %s (fiscal year %s): same members and hash as a full evaluation', async (kind, asOf, fiscalYear) => {
    const input = { kind, all: true, asOf, fiscalYear };
    const fast = await startExtraction(app.db, nurse, input);
    const full = await startExtraction(app.db, nurse, input, { fullEvaluation: true });
    expect(fast.run.counts.members).toBeGreaterThan(100);
    expect(fast.run.contentHash).toBe(full.run.contentHash);
    expect(fast.run.counts.members).toBe(full.run.counts.members);
    expect(fast.run.counts.memberPersons).toBe(full.run.counts.memberPersons);
    const skipped = Object.values(fast.run.counts.byProgram).reduce((n, p) => n + p.outOfRange, 0);
    expect(skipped).toBeGreaterThan(fast.run.counts.evaluated * 5);
    expect(Object.values(full.run.counts.byProgram).every((p) => p.outOfRange === 0)).toBe(true);
    for (const [code, p] of Object.entries(fast.run.counts.byProgram)) expect(p.members, code).toBe(full.run.counts.byProgram[code]!.members);
  }, 120_000);

  it('evaluating in a worker thread gives the same members, counts and hash as in the run\'s thread', async () => {
    const input = { kind: 'targets', all: true, asOf: '2026-11-21', chunkSize: 700 };
    const here = await startExtraction(app.db, nurse, input, { workers: 0 });
    const worker = await startExtraction(app.db, nurse, input, { workers: 1 });
    expect(worker.run.contentHash).toBe(here.run.contentHash);
    expect(worker.run.counts).toEqual(here.run.counts);
  }, 120_000);
});
