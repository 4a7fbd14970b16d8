// `mamori schedule evaluate|check` — the schedule engine's CLI contract (docs/formats/schedule-cli.md).
// JSON on stdin, JSON on stdout; exit 0 on success, 2 with a message on stderr for malformed input.
// No database and no app runtime: this module loads only the pure engine, so it starts fast.
import { readFileSync } from 'node:fs';
import { invalidField } from '../../kernel/problems/index.js';
import { check, defaultCatalog, evaluate, withMunicipalConfig, type Catalog } from '../../municipality/schedule/index.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw invalidField('(標準入力)', 'NO_INPUT', 'JSONを標準入力から渡してください（例: mamori schedule evaluate < input.json）');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, what: string): unknown {
  if (!text.trim()) throw invalidField(what, 'EMPTY_INPUT', '入力が空です。JSONを渡してください');
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    throw invalidField(what, 'MALFORMED_JSON', `JSONとして読めません（${(e as Error).message}）`);
  }
}

function catalogFrom(opts: Record<string, unknown>): Catalog {
  const files = opts['config'] as string[] | undefined;
  if (!files?.length) return defaultCatalog();
  const configs = files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      throw invalidField('--config', 'CONFIG_UNREADABLE', `設定ファイルを読めません: ${f}`);
    }
    return parseJson(text, `--config ${f}`);
  });
  return withMunicipalConfig(defaultCatalog(), ...configs);
}

function out(v: unknown, opts: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(v, null, opts['compact'] ? undefined : 2) + '\n');
}

export async function evaluateCmd(opts: Record<string, unknown>): Promise<number> {
  const catalog = catalogFrom(opts);
  const input = parseJson(await readStdin(), '(標準入力)');
  out(evaluate(input, catalog), opts);
  return 0;
}

export async function checkCmd(opts: Record<string, unknown>): Promise<number> {
  const catalog = catalogFrom(opts);
  const input = parseJson(await readStdin(), '(標準入力)');
  out(check(input, catalog), opts);
  return 0;
}

/** `mamori schedule catalog`: prints the catalog in force (with municipal configurations) as JSON. */
export async function catalogCmd(opts: Record<string, unknown>): Promise<number> {
  const c = catalogFrom(opts);
  out({ version: c.version, municipal: c.municipalVersions, effectiveFrom: c.effectiveFrom, conditions: c.conditions, products: c.products, crossIntervals: c.crossIntervals, programs: c.programs }, opts);
  return 0;
}
