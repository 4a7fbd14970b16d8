// The bench run keeps going when a case throws, records it as failed with the reason, and hands the results
// so far to onResult after every case (the CLI rewrites its JSON file then, so a long run cut short keeps
// what it measured).  Issue 6: the full run takes hours on the reference machine.
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/app/index.js';
import type { BenchCase, BenchResult } from '../../src/kernel/bench/index.js';
import type { AppBenchContext } from '../../src/app/index.js';

const ok = (name: string): BenchCase<AppBenchContext> => ({
  name,
  description: 'test',
  run: async (): Promise<BenchResult> => ({ name, value: 2, unit: 'x/s', baseline: 4, baselineUnit: 'x/s', ratio: 0.5, goal: '≥ 1/s', pass: true }),
});

describe('runBench', () => {
  it('records a throwing case as failed with its reason, runs the next one, and reports after each case', async () => {
    const boom: BenchCase<AppBenchContext> = { name: 'test.boom', description: 'test', run: () => Promise.reject(new Error('接続が切れました')) };
    const seen: string[][] = [];
    const run = await runBench({ quick: true, only: ['test.first', 'test.boom', 'test.last'], log: () => undefined, extraCases: [ok('test.first'), boom, ok('test.last')], onResult: (r) => seen.push(r.results.map((x) => x.name)) });
    expect(run.results.map((r) => r.name)).toEqual(['test.first', 'test.boom', 'test.last']);
    const failed = run.results[1]!;
    expect(failed.pass).toBe(false);
    expect(failed.error).toBe('接続が切れました');
    expect(run.results[0]!.error).toBeUndefined();
    expect(seen).toEqual([['test.first'], ['test.first', 'test.boom'], ['test.first', 'test.boom', 'test.last']]);
    expect(run.machine.cpus).toBeGreaterThan(0);
  });
});
