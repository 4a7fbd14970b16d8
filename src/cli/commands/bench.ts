// `mamori bench [--quick] [--json FILE] [--case NAME…]`
import { writeFileSync } from 'node:fs';
import { runBench, type BenchRun } from '../../app/index.js';
import { formatTable } from '../../kernel/bench/index.js';
import { webBenchCases } from '../../web/bench/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { print, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function bench(o: O): Promise<number> {
  configureLogging({ level: 'warn' });
  const started = new Date().toISOString();
  // The JSON file is rewritten after every case, so that a long run cut short keeps what it measured.
  const save = (run: BenchRun): void => {
    if (o['json']) writeFileSync(String(o['json']), JSON.stringify({ machine: run.machine, date: started, quick: !!o['quick'], cases: run.results }, null, 2) + '\n');
  };
  const run = await runBench({ quick: !!o['quick'], only: (o['case'] as string[] | undefined) ?? [], log: (s) => warn(s), extraCases: webBenchCases(), onResult: save });
  print(formatTable(run.results));
  for (const r of run.results) if (r.notes) print(`  ${r.name}: ${r.notes}`);
  if (o['json']) {
    save(run);
    print(`結果を ${String(o['json'])} に保存しました。`);
  }
  // A missed goal is a result (exit 0); a case that could not run is an error (exit 1).
  return run.results.some((r) => r.error !== undefined) ? 1 : 0;
}
