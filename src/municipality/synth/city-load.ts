// Loading a synthetic city into the database through the real import paths (issue 6 point 1, `--into-db`
// and `mamori import city DIR`): the 住基 snapshot, the movement weeks in order, then every clinic batch in
// 請求年月 order — each file through the same intake as `mamori import residents|records` (validation,
// matching, the schedule engine's checks, vault, operation log, idempotency by file hash, resume after a
// crash).  Re-running a load skips the files already imported and resumes the one that was interrupted.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Principal } from '../../kernel/context/index.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import { Problem } from '../../kernel/problems/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { IntakeReport } from '../intake/index.js';
import { importRecords } from '../records/index.js';
import { importResidents } from '../residents/index.js';
import { MANIFEST_NAME, type CityFile, type CityFileKind, type CityManifest } from './city.js';

export interface CityLoadDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

export type CityPart = 'residents' | 'records';

export interface CityLoadOptions {
  /** Only the 住基 files, or only the clinic batches (default: both, in that order). */
  readonly only?: CityPart;
  /** Rows per transaction (the intake's batch; default 1000, at most 5000). */
  readonly batchSize?: number;
  /** Check every file's SHA-256 against the manifest before importing anything (default true). */
  readonly verify?: boolean;
  /** After each file. */
  readonly onFile?: (file: CityFile, report: CityFileReport, index: number, total: number) => void;
  /** Rows committed in the current file. */
  readonly onProgress?: (file: CityFile, rowsDone: number) => void;
}

/** One file's outcome: the intake's counts (IntakeReport) and where the file stands in the manifest. */
export type CityFileReport = Pick<IntakeReport, 'rows' | 'accepted' | 'rejected' | 'created' | 'updated' | 'unchanged' | 'queued' | 'alreadyImported' | 'resumedFromRow'> & {
  readonly path: string;
  readonly kind: CityFileKind;
};

export interface CityLoadTotals {
  files: number;
  rows: number;
  accepted: number;
  rejected: number;
  created: number;
  updated: number;
  unchanged: number;
  queued: number;
  alreadyImported: number;
  resumed: number;
}

export interface CityLoadSummary {
  readonly contentHash: string;
  readonly tenant: string;
  readonly residents: CityLoadTotals;
  readonly records: CityLoadTotals;
  readonly seconds: { readonly residents: number; readonly records: number };
}

/** Reads and checks a city directory's manifest.json. */
export function readCityManifest(dir: string): CityManifest {
  let m: CityManifest;
  try {
    m = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as CityManifest;
  } catch {
    throw new Problem(400, 'CITY_MANIFEST', '合成都市のディレクトリではありません', `${MANIFEST_NAME} を読めません（mamori synth city --out で作成したディレクトリを指定してください）。`);
  }
  if (m?.format !== 'mamori-synth-city' || m.version !== 1 || !Array.isArray(m.files)) {
    throw new Problem(400, 'CITY_MANIFEST', '合成都市のディレクトリではありません', `${MANIFEST_NAME} の形式が違います。`);
  }
  return m;
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Checks that every file of the manifest is present and unchanged. */
export async function verifyCityFiles(dir: string, m: CityManifest, only?: CityPart): Promise<void> {
  for (const f of m.files) {
    if (only && partOf(f.kind) !== only) continue;
    const actual = await sha256Of(join(dir, f.path)).catch(() => null);
    if (actual !== f.sha256) {
      throw new Problem(400, 'CITY_FILE_CHANGED', '合成都市のファイルが一致しません', `${f.path} が${actual === null ? 'ありません' : '目録（manifest.json）の SHA-256 と一致しません'}。何も取り込んでいません。`);
    }
  }
}

const partOf = (k: CityFileKind): CityPart => (k === 'records-clinic' ? 'records' : 'residents');

const zero = (): CityLoadTotals => ({ files: 0, rows: 0, accepted: 0, rejected: 0, created: 0, updated: 0, unchanged: 0, queued: 0, alreadyImported: 0, resumed: 0 });

/**
 * Imports the city in `dir` for `who.tenant` (the tenant must exist).  Files already imported are reported
 * as such and change nothing; an interrupted file resumes after its last committed batch.
 */
export async function loadCity(deps: CityLoadDeps, who: Principal, dir: string, opts: CityLoadOptions = {}): Promise<CityLoadSummary> {
  const m = readCityManifest(dir);
  if (m.options.tenant !== who.tenant) {
    throw new Problem(400, 'CITY_TENANT', '団体コードが違います', `この合成都市は団体 ${m.options.tenant} のものです（指定は ${who.tenant}）。`);
  }
  if (opts.verify !== false) await verifyCityFiles(dir, m, opts.only);
  const totals = { residents: zero(), records: zero() };
  const seconds = { residents: 0, records: 0 };
  const files = m.files.filter((f) => !opts.only || partOf(f.kind) === opts.only);
  let index = 0;
  for (const f of files) {
    const started = performance.now();
    const file = join(dir, f.path);
    const common = { file, fileName: f.path, encoding: f.encoding, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.onProgress ? { onProgress: (n: number) => opts.onProgress!(f, n) } : {}) };
    const r =
      f.kind === 'records-clinic'
        ? await importRecords(deps.db, who, common)
        : await importResidents(deps, who, { ...common, kind: f.kind === 'residents-full' ? 'full' : 'diff', ...(f.kind === 'residents-full' ? { baseDate: f.date } : {}) });
    const part = partOf(f.kind);
    const t = totals[part];
    t.files += 1;
    t.rows += r.rows;
    t.accepted += r.accepted;
    t.rejected += r.rejected;
    t.created += r.created;
    t.updated += r.updated;
    t.unchanged += r.unchanged;
    t.queued += r.queued;
    if (r.alreadyImported) t.alreadyImported += 1;
    if (r.resumedFromRow) t.resumed += 1;
    seconds[part] += (performance.now() - started) / 1000;
    const report: CityFileReport = { path: f.path, kind: f.kind, rows: r.rows, accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, alreadyImported: r.alreadyImported, resumedFromRow: r.resumedFromRow };
    opts.onFile?.(f, report, ++index, files.length);
  }
  return { contentHash: m.contentHash, tenant: m.options.tenant, residents: totals.residents, records: totals.records, seconds: { residents: Math.round(seconds.residents * 10) / 10, records: Math.round(seconds.records * 10) / 10 } };
}
