// `mamori import residents FILE` and the upload screen (RES-01, RES-02, RES-03).
//
// 1. A first pass reads the whole file once: SHA-256, encoding (UTF-8 or CP932), CSV structure, header and
//    column counts.  A file that is not well-formed stops here, before anything is written.
// 2. The run is looked up by (tenant, kind, file hash): a completed run means the file was imported already —
//    nothing changes and the report says so; a run left open by a crash is resumed after its last committed
//    row; otherwise a new run starts.
// 3. The second pass validates rows and applies them in batches; each batch commits together with the run's
//    progress and its rejects, so a crash (even kill -9) loses nothing and duplicates nothing on re-run.
// Memory stays constant: rows stream through, only one batch is held.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { Problem, type FieldError } from '../../kernel/problems/index.js';
import { jstToday } from '../../kernel/jp/index.js';
import { checkHeader, detectKind, validateMovement, validatePerson, type FileKind } from './format.js';
import { applyBatch, type BatchItem } from './apply.js';
import { requireImport, requireImportView } from './access.js';

export type Encoding = 'utf8' | 'sjis';

export interface ImportOptions {
  readonly file: string;
  /** Shown in reports (default: the file's base name). */
  readonly fileName?: string;
  readonly encoding?: Encoding | 'auto';
  readonly kind?: FileKind | 'auto';
  /** Effective date for full-snapshot rows without 最新異動日 (default: today in Japan). */
  readonly baseDate?: string;
  readonly batchSize?: number;
  /** Called after each committed batch (rows done so far). */
  readonly onProgress?: (rowsDone: number) => void;
}

export interface RejectReport {
  readonly rowNo: number;
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface ImportReport {
  readonly runId: string;
  readonly kind: FileKind;
  readonly fileName: string;
  readonly encoding: Encoding;
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly queued: number;
  /** True when this exact file had been imported before: nothing was changed. */
  readonly alreadyImported: boolean;
  readonly resumedFromRow: number;
  /** The first rejects (all of them are kept with the run). */
  readonly rejects: readonly RejectReport[];
}

export interface ResidentsImportDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

async function detectEncoding(file: string): Promise<Encoding> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead), { stream: true });
      return 'utf8';
    } catch {
      return 'sjis';
    }
  } finally {
    await fh.close();
  }
}

function records(file: string, encoding: Encoding, onBytes?: (b: Buffer) => void) {
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      onBytes?.(chunk);
      cb(null, chunk);
    },
  });
  const decoded = encoding === 'sjis' ? source.pipe(tap).pipe(iconv.decodeStream('cp932')) : source.pipe(tap);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, ...(encoding === 'utf8' ? { encoding: 'utf8' } : {}) });
  decoded.on('error', (e) => parser.destroy(e));
  return decoded.pipe(parser) as AsyncIterable<string[]>;
}

interface Scan {
  sha256: string;
  bytes: number;
  rows: number;
  header: string[];
}

/** First pass: hash, header and CSV structure.  Throws a 400 Problem for a file that cannot be imported. */
async function scan(file: string, encoding: Encoding): Promise<Scan> {
  const hash = createHash('sha256');
  let bytes = 0;
  let header: string[] | null = null;
  let rows = 0;
  try {
    for await (const rec of records(file, encoding, (b) => {
      hash.update(b);
      bytes += b.length;
    })) {
      if (!header) {
        header = rec.map((h) => h.replace(/^\uFEFF/, '').trim());
        continue;
      }
      rows += 1;
      if (rec.length !== header.length) {
        throw new Problem(400, 'CSV_COLUMN_COUNT', 'ファイルの形式が正しくありません', `${rows}行目（ヘッダーを除く）の列数が ${rec.length} で、ヘッダーの ${header.length} と違います。ファイルは取り込んでいません。`);
      }
    }
  } catch (e) {
    if (e instanceof Problem) throw e;
    throw new Problem(400, 'CSV_MALFORMED', 'ファイルの形式が正しくありません', `CSV として読めません（${(e as Error).message.split('\n')[0]?.slice(0, 200)}）。ファイルは取り込んでいません。`);
  }
  if (!header) throw new Problem(400, 'CSV_EMPTY', 'ファイルが空です', 'ヘッダー行がありません。');
  return { sha256: hash.digest('hex'), bytes, rows, header };
}

export async function importResidents(deps: ResidentsImportDeps, who: Principal, opts: ImportOptions): Promise<ImportReport> {
  await runAs(deps.db, who, async (w) => requireImport(w.actor)); // a refusal is logged
  const fileName = opts.fileName ?? basename(opts.file);
  await stat(opts.file).catch(() => {
    throw new Problem(400, 'FILE_NOT_FOUND', 'ファイルが見つかりません', `${fileName} を開けません。`);
  });
  const encoding = !opts.encoding || opts.encoding === 'auto' ? await detectEncoding(opts.file) : opts.encoding;
  const s = await scan(opts.file, encoding);
  const kind = !opts.kind || opts.kind === 'auto' ? detectKind(s.header) : opts.kind;
  const headerErrors = checkHeader(kind, s.header);
  if (headerErrors.length) {
    throw new Problem(400, 'CSV_HEADER', 'ファイルの様式が違います', `${headerErrors[0]!.message}${headerErrors.length > 1 ? `（ほか${headerErrors.length - 1}件）` : ''}。ファイルは取り込んでいません。`, headerErrors);
  }
  const runKind = `residents-${kind}`;
  const today = jstToday();
  const baseDate = opts.baseDate ?? today;

  // Find or start the run.
  const start = await runAs(deps.db, who, async (w) => {
    const prior = await w.tx.selectFrom('municipality.import_runs').selectAll().where('tenant_code', '=', w.tenant).where('kind', '=', runKind).where('file_sha256', '=', s.sha256).forUpdate().executeTakeFirst();
    if (prior?.status === 'completed') return { run: prior, done: true as const };
    if (prior) {
      await w.tx.updateTable('municipality.import_runs').set((eb) => ({ resumed: eb('resumed', '+', 1) })).where('tenant_code', '=', w.tenant).where('id', '=', prior.id).execute();
      return { run: prior, done: false as const };
    }
    const run = await w.tx
      .insertInto('municipality.import_runs')
      .values({ tenant_code: w.tenant, kind: runKind, file_name: fileName, file_sha256: s.sha256, file_bytes: s.bytes, encoding, base_date: baseDate, status: 'running', started_by: w.actor.login })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { run, done: false as const };
  });
  const run = start.run;

  if (start.done) {
    const rejects = await listRejects(deps, who, run.id, 100);
    await runAs(deps.db, who, (w) => appendEntry(w.tx, w, { action: 'import', targetType: runKind, targetId: run.id, detail: { file: fileName, sha256: s.sha256, alreadyImported: true } }));
    return { runId: run.id, kind, fileName, encoding, rows: s.rows, accepted: run.accepted, rejected: run.rejected, created: 0, updated: 0, unchanged: run.accepted, queued: 0, alreadyImported: true, resumedFromRow: 0, rejects };
  }

  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 1000, 5000));
  const resumeAfter = run.rows_done;
  let header: string[] | null = null;
  let rowNo = 0;
  let batch: BatchItem[] = [];
  let batchRejects: { rowNo: number; errors: FieldError[] }[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0 && batchRejects.length === 0) return;
    const items = batch;
    const invalid = batchRejects;
    const upTo = rowNo;
    batch = [];
    batchRejects = [];
    await runAs(deps.db, who, async (w) => {
      const o = await applyBatch(w, deps.vault, { id: run.id, baseDate: run.base_date }, items);
      const rejects = [...invalid, ...o.rejects];
      const rows = rejects.flatMap((r) => r.errors.map((e, seq) => ({ tenant_code: w.tenant, run_id: run.id, row_no: r.rowNo, seq, field: e.field, code: e.code, message: e.message })));
      for (let i = 0; i < rows.length; i += 1000) await w.tx.insertInto('municipality.import_rejects').values(rows.slice(i, i + 1000)).onConflict((oc) => oc.doNothing()).execute();
      const rejectedRows = rejects.length;
      await w.tx
        .updateTable('municipality.import_runs')
        .set((eb) => ({
          rows_done: upTo,
          accepted: eb('accepted', '+', items.length - o.rejects.length - o.queued),
          rejected: eb('rejected', '+', rejectedRows),
          created: eb('created', '+', o.created),
          updated: eb('updated', '+', o.updated),
          unchanged: eb('unchanged', '+', o.unchanged),
          queued: eb('queued', '+', o.queued),
        }))
        .where('tenant_code', '=', w.tenant)
        .where('id', '=', run.id)
        .execute();
    });
    opts.onProgress?.(upTo);
  };

  for await (const rec of records(opts.file, encoding)) {
    if (!header) {
      header = rec.map((h) => h.replace(/^\uFEFF/, '').trim());
      continue;
    }
    rowNo += 1;
    if (rowNo <= resumeAfter) continue;
    const raw: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) raw[header[i]!] = rec[i] ?? '';
    if (kind === 'full') {
      const v = validatePerson(raw, today);
      if (v.ok && !v.value.juminhyoCode) batchRejects.push({ rowNo, errors: [{ field: '住民票コード', code: 'REQUIRED', message: '全件ファイルでは住民票コードが必須です' }] });
      else if (v.ok) batch.push({ rowNo, kind: 'full', row: v.value });
      else batchRejects.push({ rowNo, errors: v.errors });
    } else {
      const v = validateMovement(raw, today);
      if (v.ok) batch.push({ rowNo, kind: 'diff', row: v.value });
      else batchRejects.push({ rowNo, errors: v.errors });
    }
    if (batch.length + batchRejects.length >= batchSize) await flush();
  }
  await flush();

  const final = await runAs(deps.db, who, async (w) => {
    const r = await w.tx
      .updateTable('municipality.import_runs')
      .set({ status: 'completed', finished_at: new Date(), rows_done: rowNo })
      .where('tenant_code', '=', w.tenant)
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await w.tx.deleteFrom('municipality.import_seen').where('tenant_code', '=', w.tenant).where('run_id', '=', run.id).execute();
    await appendEntry(w.tx, w, {
      action: 'import',
      targetType: runKind,
      targetId: run.id,
      detail: { file: fileName, sha256: s.sha256, rows: rowNo, accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, resumedFromRow: resumeAfter },
    });
    return r;
  });
  const rejects = await listRejects(deps, who, run.id, 100);
  return {
    runId: run.id,
    kind,
    fileName,
    encoding,
    rows: rowNo,
    accepted: final.accepted,
    rejected: final.rejected,
    created: final.created,
    updated: final.updated,
    unchanged: final.unchanged,
    queued: final.queued,
    alreadyImported: false,
    resumedFromRow: resumeAfter,
    rejects,
  };
}

export async function listRejects(deps: ResidentsImportDeps, who: Principal, runId: string, limit = 100_000): Promise<RejectReport[]> {
  return runAs(deps.db, who, async (w) => {
    requireImportView(w.actor);
    const rows = await w.tx.selectFrom('municipality.import_rejects').select(['row_no', 'field', 'code', 'message']).where('tenant_code', '=', w.tenant).where('run_id', '=', runId).orderBy('row_no').orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({ rowNo: r.row_no, field: r.field, code: r.code, message: r.message }));
  });
}

export interface ImportRunView {
  readonly id: string;
  readonly kind: string;
  readonly fileName: string;
  readonly encoding: string;
  readonly status: 'running' | 'completed';
  readonly rowsDone: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly queued: number;
  readonly startedBy: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly resumed: number;
}

/** Import runs of the tenant, newest first (the import screen). */
export async function listImportRuns(deps: ResidentsImportDeps, who: Principal, limit = 50): Promise<ImportRunView[]> {
  return runAs(deps.db, who, async (w) => {
    requireImportView(w.actor);
    const rows = await w.tx.selectFrom('municipality.import_runs').selectAll().where('tenant_code', '=', w.tenant).orderBy('started_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id, kind: r.kind, fileName: r.file_name, encoding: r.encoding, status: r.status, rowsDone: r.rows_done, accepted: r.accepted, rejected: r.rejected,
      created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, startedBy: r.started_by, startedAt: r.started_at, finishedAt: r.finished_at, resumed: r.resumed,
    }));
  });
}

/** The rejects of a run as CSV (UTF-8 with BOM): row number, column, code, reason — no values from the file. */
export async function rejectsCsv(deps: ResidentsImportDeps, who: Principal, runId: string): Promise<string> {
  const rejects = await listRejects(deps, who, runId);
  await runAs(deps.db, who, (w) => appendEntry(w.tx, w, { action: 'export', targetType: 'import-rejects', targetId: runId, detail: { rows: rejects.length } }));
  const q = (v: unknown) => `"${String(v).replace(/"/g, '""')}"`;
  return '\uFEFF' + ['行番号,列,コード,理由', ...rejects.map((x) => [x.rowNo, x.field, x.code, x.message].map(q).join(','))].join('\r\n') + '\r\n';
}
