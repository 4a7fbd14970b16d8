// `mamori bench` harness.  Each case measures Mamori doing a piece of work and, in the same run, the
// machine's own limit for the same work without Mamori (the baseline), so that a figure means something
// on any machine.  JSON: {"cases":[{"name","value","unit","baseline","baselineUnit","ratio","goal","pass"}]}.

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly baselineUnit: string;
  /** value / baseline (for "lower is better" cases, baseline / value), as the case defines. */
  readonly ratio: number;
  /** Human-readable goal, e.g. "≥ 5000/s". */
  readonly goal: string;
  readonly pass: boolean;
  readonly notes?: string;
  /** Set when the case could not run to the end (it threw); value and baseline are then 0. */
  readonly error?: string;
}

export interface BenchContext {
  readonly quick: boolean;
  /** A migrated Mamori app on a durable PostgreSQL server (started on first use, shared by cases). */
  readonly log: (line: string) => void;
}

export interface BenchCase<C extends BenchContext = BenchContext> {
  readonly name: string;
  readonly description: string;
  run(ctx: C): Promise<BenchResult>;
}

/** Runs `op` with `concurrency` loops for `seconds` (after a warm-up); returns operations per second. */
export async function throughput(op: () => Promise<void>, opts: { seconds: number; concurrency: number; warmupSeconds?: number }): Promise<number> {
  const loop = async (until: number, counter: { n: number }) => {
    while (performance.now() < until) {
      await op();
      counter.n += 1;
    }
  };
  const warm = { n: 0 };
  const wEnd = performance.now() + (opts.warmupSeconds ?? 0.5) * 1000;
  await Promise.all(Array.from({ length: opts.concurrency }, () => loop(wEnd, warm)));
  const c = { n: 0 };
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  await Promise.all(Array.from({ length: opts.concurrency }, () => loop(end, c)));
  return c.n / ((performance.now() - start) / 1000);
}

/** Synchronous tight loop: operations per second over `seconds`. */
export function syncThroughput(op: (i: number) => void, seconds: number): number {
  for (let i = 0; i < 2000; i++) op(i);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 500; k++) op(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

export function formatTable(results: readonly BenchResult[]): string {
  const rows = [
    ['case', 'value', 'baseline', 'ratio', 'goal', 'pass'],
    ...results.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, `${fmt(r.baseline)} ${r.baselineUnit}`, r.ratio.toFixed(2), r.goal, r.pass ? 'yes' : 'NO']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}
