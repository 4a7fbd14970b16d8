// `mamori drill [--points N] [--chains C] [--residents N] [--seed S] [--only OP…] [--json]` — crash drills
// (issue 6 point 3; decision 0083): SIGKILL resident import, record import and extraction at seeded random
// moments, run them again to the end, and compare with an uninterrupted run.  Runs its own PostgreSQL server.
import { writeFileSync } from 'node:fs';
import { DRILL_OPERATIONS, runDrill, type DrillOperation, type DrillReport } from '../../app/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

function integer(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidField(field, `${field.toUpperCase()}_RANGE`, `--${field} は${min}〜${max}の整数で指定してください`);
  return n;
}

const yes = (b: boolean): string => (b ? 'yes' : 'NO');

export function drillTable(r: DrillReport): string {
  return table([
    ['operation', 'points', 'mid-data', 'chains', 'all complete', 'rows equal', 'hashes equal', 'duplicates', 'audit chain', 'reference', 'drill'],
    ...r.results.map((x) => [x.operation, x.points, x.pointsMidData, x.chains.length, yes(x.allComplete), yes(x.rowsEqual), yes(x.hashesEqual), x.duplicates, x.auditOk ? 'ok' : 'NG', `${x.referenceSeconds}s (${x.referenceRows} rows)`, `${x.seconds}s`]),
  ]);
}

export async function drill(o: O): Promise<number> {
  configureLogging({ level: 'warn' });
  const only = (o['only'] as string[] | undefined) ?? [];
  for (const x of only) if (!(DRILL_OPERATIONS as readonly string[]).includes(x)) throw invalidField('only', 'OPERATION_UNKNOWN', `--only は ${DRILL_OPERATIONS.join('・')} です`);
  const points = integer(o['points'], 'points', 1, 1000);
  const chains = integer(o['chains'], 'chains', 1, 100);
  const residents = integer(o['residents'], 'residents', 10, 10_000_000);
  const weeks = integer(o['weeks'], 'weeks', 0, 52);
  const batch = integer(o['batch'], 'batch', 1, 5000);
  const chunk = integer(o['chunk'], 'chunk', 1, 100_000);
  const report = await runDrill({
    ...(points !== undefined ? { points } : {}),
    ...(chains !== undefined ? { chains } : {}),
    ...(residents !== undefined ? { residents } : {}),
    ...(weeks !== undefined ? { weeks } : {}),
    ...(batch !== undefined ? { batchSize: batch } : {}),
    ...(chunk !== undefined ? { chunk } : {}),
    ...(o['seed'] ? { seed: String(o['seed']) } : {}),
    ...(o['historyFrom'] ? { historyFrom: String(o['historyFrom']) } : {}),
    ...(only.length ? { operations: only as DrillOperation[] } : {}),
    log: (s) => warn(s),
  });
  if (o['json'] === true) printJson(report);
  else {
    if (typeof o['json'] === 'string') writeFileSync(o['json'], JSON.stringify(report, null, 2) + '\n');
    print(`合成都市 ${report.residents}人（シード ${report.seed}、内容ハッシュ ${report.contentHash}）、接種記録 ${report.records}件`);
    print(drillTable(report));
    for (const r of report.results) {
      for (const [i, c] of r.chains.entries()) {
        print(`  ${r.operation} 連鎖${i + 1}: 強制終了 ${c.kills.map((k) => `${(k.at / 1000).toFixed(1)}s@${Math.round(k.progress * 100)}%`).join(' ')}${c.differences.length ? `、差異 ${c.differences.join(', ')}` : ''}`);
      }
    }
    print(report.pass ? '結果: 合格（すべて完了、行数・内容ハッシュが一致、重複なし、操作ログの連鎖は正常）' : '結果: 不合格');
  }
  return report.pass ? 0 : 1;
}
