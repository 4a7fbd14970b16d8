// Runs `bin/mamori` as a child process, the way operators and external checks call it.
//
// Everything the child prints is appended to CLI_LOG so that the final leak scan reads it too.  The
// command line is logged with My Number-shaped arguments and any long digit run masked (the test chose
// to pass them; the scan is about what Mamori prints).  Output that is My Numbers by design
// (`mynumber generate`) can be withheld from the log with `withholdStdout`; its size is logged instead.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactMyNumbers } from '../../src/kernel/log/index.js';
import { CLI_LOG, MAMORI_BIN, ROOT } from './paths.js';
import { TEST_NOW } from './clock.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Extra environment (merged over the test process's environment). */
  readonly env?: NodeJS.ProcessEnv;
  /** Remove these variables from the child's environment (e.g. DATABASE_URL for embedded mode). */
  readonly unsetEnv?: readonly string[];
  readonly cwd?: string;
  /** Do not copy stdout into CLI_LOG (for output that is synthetic My Numbers by design). */
  readonly withholdStdout?: boolean;
  readonly timeoutMs?: number;
}

export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  // The child runs on the suite's clock unless the test gives it another (MAMORI_CLOCK).
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', MAMORI_CLOCK: TEST_NOW, ...opts.env };
  for (const k of opts.unsetEnv ?? []) delete env[k];
  // Embedded mode unless the caller asks for a server explicitly.
  if (!opts.env?.['DATABASE_URL']) delete env['DATABASE_URL'];
  const child = spawn(process.execPath, [MAMORI_BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  }).finally(() => clearTimeout(timer));
  const result = { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  logRun(args, result, opts.withholdStdout ?? false);
  return result;
}

function logRun(args: readonly string[], r: CliResult, withhold: boolean): void {
  mkdirSync(dirname(CLI_LOG), { recursive: true });
  const stdout = withhold ? `[stdout withheld: ${r.stdout.split('\n').filter(Boolean).length} lines of synthetic output]\n` : r.stdout;
  appendFileSync(
    CLI_LOG,
    `$ mamori ${redactMyNumbers(args.join(' ')).replace(/[0-9０-９]{8,}/g, '[数字列]')}\n[exit ${r.code}]\n--- stdout\n${stdout}--- stderr\n${r.stderr}--- end\n`,
  );
}
