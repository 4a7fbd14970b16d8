// Terminal output helpers for the CLI: results on stdout, diagnostics on stderr (never personal data).
import { isProblem } from '../kernel/problems/index.js';
import { redactMyNumbers } from '../kernel/log/index.js';

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Diagnostics go through the My Number redactor: stderr ends up in journals and cron mail (decision 0124). */
export function warn(line: string): void {
  process.stderr.write(redactMyNumbers(line) + '\n');
}

/** Prints an error the way operators read it and returns the exit code (2: bad input, 1: other). */
export function reportError(e: unknown): number {
  if (e instanceof CliExit) return e.code;
  if (isProblem(e)) {
    warn(`エラー [${e.code}] ${e.title}${e.detail ? `: ${e.detail}` : ''}`);
    for (const f of e.errors.slice(1)) warn(`  - ${f.field}: ${f.message}`);
    return e.status === 400 ? 2 : 1;
  }
  const err = e as Error;
  warn(`エラー: ${err?.message ?? String(e)}`);
  if (process.env['MAMORI_DEBUG']) warn(err?.stack ?? '');
  return 1;
}

export function table(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const widths: number[] = [];
  const w = (s: string): number => [...s].reduce((n, ch) => n + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, w(c))));
  return cells.map((r) => r.map((c, i) => c + ' '.repeat((widths[i] ?? 0) - w(c))).join('  ').trimEnd()).join('\n');
}
