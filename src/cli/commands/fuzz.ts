// `mamori fuzz [--inputs N] [--seed S] [--target T…] [--db-inputs M] [--json [file]]` (issue 10 point 8): the
// file parsers fed generated inputs; a sample of them imported into a throwaway embedded database of its own
// (never the configured one).  Exit 0 when there were no crashes and no partial writes, 1 otherwise.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUZZ_TARGETS, openApp, runFuzz, type FuzzReport, type FuzzTarget } from '../../app/index.js';
import { resolveConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { addOrganisation } from '../../kernel/tenancy/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

const FUZZ_TENANT = '312011';

function integer(v: unknown, field: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const s = String(v).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidField(field, `${field.toUpperCase().replace('-', '_')}_RANGE`, `--${field} は${min}〜${max}の整数で指定してください`);
  return n;
}

export function fuzzTable(rs: readonly FuzzReport[]): string {
  return table([
    ['target', 'inputs', 'refused', 'parsed', 'rows ok', 'rows rejected', 'crashes', 'imported', 'import refused', 'import completed', 'partial writes', 'seconds'],
    ...rs.map((r) => [r.target, r.inputs, r.refused, r.parsed, r.rowsAccepted, r.rowsRejected, r.crashes, r.dbInputs, r.dbRefused, r.dbCompleted, r.partialWrites, r.seconds]),
  ]);
}

export async function fuzz(o: O): Promise<number> {
  configureLogging({ level: 'error' });
  const inputs = integer(o['inputs'], 'inputs', 1, 100_000_000, 10_000);
  const seed = integer(o['seed'], 'seed', 0, 2 ** 31 - 1, 1);
  const dbInputs = integer(o['dbInputs'], 'db-inputs', 0, 1_000_000, Math.min(1000, inputs));
  const targets = (o['target'] as string[] | undefined) ?? [...FUZZ_TARGETS];
  for (const t of targets) if (!(FUZZ_TARGETS as readonly string[]).includes(t)) throw invalidField('target', 'TARGET_UNKNOWN', `--target は ${FUZZ_TARGETS.join(' / ')} のいずれかです`);
  const dir = mkdtempSync(join(tmpdir(), 'mamori-fuzz-db-'));
  // A database of its own: generated files are never imported into the configured one.
  const config = { ...resolveConfig({ data: dir }), databaseUrl: undefined, logFile: undefined };
  const app = dbInputs > 0 ? await openApp(config) : undefined;
  try {
    if (app) await addOrganisation(app.db.system, app.tenantKeys, { code: FUZZ_TENANT, name: '鳥取市' });
    let last = 0;
    const reports = await runFuzz(
      {
        inputs, seed, dbInputs, targets: targets as FuzzTarget[], today: config.clock.today(),
        onProgress: (t, done) => {
          if (done === inputs || performance.now() - last > 10_000) {
            last = performance.now();
            warn(`${t}: ${done.toLocaleString()} / ${inputs.toLocaleString()}`);
          }
        },
      },
      app,
      FUZZ_TENANT,
    );
    if (o['json'] !== undefined) {
      const doc = { date: config.clock.now().toISOString(), inputs, seed, dbInputs, reports };
      if (typeof o['json'] === 'string') writeFileSync(o['json'], JSON.stringify(doc, null, 2) + '\n');
      else printJson(doc);
    }
    if (typeof o['json'] !== 'boolean') print(fuzzTable(reports));
    for (const r of reports) for (const c of r.crashSamples) warn(`${r.target} #${c.index} (${c.stage}): ${c.error}`);
    return reports.some((r) => r.crashes > 0 || r.partialWrites > 0) ? 1 : 0;
  } finally {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
