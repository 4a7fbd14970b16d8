// Public face of municipality/intake: the file intake engine shared by every batch file Mamori reads
// (住基 files, clinic record batches, …).  See docs/decisions/0042-residents-import-guarantees.md.
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
import { analyzeIfNeverAnalyzed, type MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { Problem, type FieldError } from '../../kernel/problems/index.js';
import { csvDocument } from '../../kernel/csv/index.js';
import { CsvError, CsvReader } from './csv.js';
import { InputError, RecordSplitter } from './split.js';
import './tables.js';

export { CsvReader, CsvError, parseCsv, CSV_REASONS } from './csv.js';
export { RecordSplitter, InputError, MAX_ROW_BYTES, type SplitterStats } from './split.js';
export { intakeLonglineCase } from './bench.js';
export { insertColumns, updateColumns, insertStatement, updateStatement, StatementChain, textArrayLiteral, type BulkColumn, type ColumnValues, type Same } from './bulk.js';

export type Encoding = 'utf8' | 'sjis';

export type RowResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface RunRef {
  readonly id: string;
  readonly baseDate: string;
}

export interface BatchOutcome {
  created: number;
  updated: number;
  unchanged: number;
  queued: number;
  rejects: { rowNo: number; errors: FieldError[] }[];
}

/** One kind of intake file. */
export interface IntakeSpec<Row> {
  /** Run kind, e.g. 'residents-full' or 'records-clinic'. */
  readonly kind: string;
  /** Reports and audit entries: what the file is, in Japanese. */
  readonly label: string;
  checkHeader(header: readonly string[]): FieldError[];
  validate(raw: Readonly<Record<string, string>>, rowNo: number, today: string): RowResult<Row>;
  apply(w: Work, run: RunRef, items: readonly { rowNo: number; row: Row }[]): Promise<BatchOutcome>;
  /** Throws a (logged) Problem unless the actor may run this intake. */
  authorize(w: Work): void;
  /**
   * Tables the batches look rows up in: analysed after the first batch if they never were (kernel/db
   * analyzeIfNeverAnalyzed), so that lookups use their indexes on a fresh database.
   */
  readonly lookupTables?: readonly string[];
}

export interface IntakeOptions {
  readonly file: string;
  /** Shown in reports (default: the file's base name). */
  readonly fileName?: string;
  readonly encoding?: Encoding | 'auto';
  /** Effective date for rows that carry none (default: today in Japan). */
  readonly baseDate?: string;
  readonly batchSize?: number;
  /** Called after each committed batch (rows done so far). */
  readonly onProgress?: (rowsDone: number) => void;
  readonly today: string;
}

/**
 * The row a spreadsheet shows for the file's `rowNo`-th data row: the header is row 1, so the first data
 * row is row 2.  Row numbers are stored and resumed by data row; every report, screen and CSV for staff
 * shows them through this (decision 0112).
 */
export function sheetRow(rowNo: number): number {
  return rowNo + 1;
}

export interface RejectReport {
  readonly rowNo: number;
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface IntakeReport {
  readonly runId: string;
  readonly kind: string;
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

/**
 * The file's records, a chunk (≈1 MiB of the file) at a time: cut into complete records and decoded strictly
 * (UTF-8 or CP932) by RecordSplitter — an invalid byte sequence or an over-long row throws InputError —
 * then read by CsvReader.  `onBytes` sees the raw bytes (hashing).  Memory: one chunk and the records in it.
 */
export async function* recordChunks(file: string, encoding: Encoding, onBytes?: (b: Buffer) => void): AsyncGenerator<string[][]> {
  const splitter = new RecordSplitter(encoding);
  const reader = new CsvReader();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    onBytes?.(chunk);
    const text = splitter.push(chunk);
    const recs = text === null ? [] : reader.completeRecords(text);
    if (recs.length) yield recs;
  }
  const text = splitter.end();
  const recs = text === null ? [] : reader.completeRecords(text);
  if (recs.length) yield recs;
}

export interface FileScan {
  readonly sha256: string;
  readonly bytes: number;
  readonly rows: number;
  readonly header: string[];
  readonly encoding: Encoding;
}

/** First pass: hash, header and CSV structure.  Throws a 400 Problem for a file that cannot be imported. */
export async function scanFile(file: string, encodingOpt: Encoding | 'auto' = 'auto', fileName = basename(file)): Promise<FileScan> {
  await stat(file).catch(() => {
    throw new Problem(400, 'FILE_NOT_FOUND', 'ファイルが見つかりません', `${fileName} を開けません。`);
  });
  const encoding = encodingOpt === 'auto' ? await detectEncoding(file) : encodingOpt;
  const hash = createHash('sha256');
  let bytes = 0;
  let header: string[] | null = null;
  let rows = 0;
  try {
    for await (const recs of recordChunks(file, encoding, (b) => {
      hash.update(b);
      bytes += b.length;
    })) {
      for (const rec of recs) {
        if (!header) {
          header = rec.map((h) => h.replace(/^\uFEFF/, '').trim());
          continue;
        }
        rows += 1;
        if (rec.length !== header.length) {
          throw new Problem(400, 'CSV_COLUMN_COUNT', 'ファイルの形式が正しくありません', `${sheetRow(rows)}行目の列数が ${rec.length} で、ヘッダーの ${header.length} と違います。ファイルは取り込んでいません。`);
        }
      }
    }
  } catch (e) {
    if (e instanceof Problem) throw e;
    // InputError and CsvError name the row or line and the problem, never the values.
    if (e instanceof InputError) {
      const code = e.reason === 'row-too-long' ? 'CSV_ROW_TOO_LONG' : 'CSV_ENCODING';
      throw new Problem(400, code, e.reason === 'row-too-long' ? '行が長すぎます' : '文字コードが正しくありません', `${e.message}。ファイルは取り込んでいません。`);
    }
    const why = e instanceof CsvError ? e.message : 'ファイルを読めません';
    throw new Problem(400, 'CSV_MALFORMED', 'ファイルの形式が正しくありません', `CSV として読めません（${why}）。ファイルは取り込んでいません。`);
  }
  if (!header) throw new Problem(400, 'CSV_EMPTY', 'ファイルが空です', 'ヘッダー行がありません。');
  return { sha256: hash.digest('hex'), bytes, rows, header, encoding };
}

/** Runs one intake file through `spec` (after `scanFile`). */
export async function runIntake<Row>(db: MamoriDb, who: Principal, spec: IntakeSpec<Row>, s: FileScan, opts: IntakeOptions): Promise<IntakeReport> {
  await runAs(db, who, async (w) => spec.authorize(w)); // a refusal is logged
  const fileName = opts.fileName ?? basename(opts.file);
  const headerErrors = spec.checkHeader(s.header);
  if (headerErrors.length) {
    throw new Problem(400, 'CSV_HEADER', 'ファイルの様式が違います', `${headerErrors[0]!.message}${headerErrors.length > 1 ? `（ほか${headerErrors.length - 1}件）` : ''}。ファイルは取り込んでいません。`, headerErrors);
  }
  const baseDate = opts.baseDate ?? opts.today;

  const start = await runAs(db, who, async (w) => {
    const prior = await w.tx.selectFrom('municipality.import_runs').selectAll().where('tenant_code', '=', w.tenant).where('kind', '=', spec.kind).where('file_sha256', '=', s.sha256).forUpdate().executeTakeFirst();
    if (prior?.status === 'completed') return { run: prior, done: true as const };
    if (prior) {
      await w.tx.updateTable('municipality.import_runs').set((eb) => ({ resumed: eb('resumed', '+', 1) })).where('tenant_code', '=', w.tenant).where('id', '=', prior.id).execute();
      return { run: prior, done: false as const };
    }
    const run = await w.tx
      .insertInto('municipality.import_runs')
      .values({ tenant_code: w.tenant, kind: spec.kind, file_name: fileName, file_sha256: s.sha256, file_bytes: s.bytes, encoding: s.encoding, base_date: baseDate, status: 'running', started_by: w.actor.login, started_at: w.clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { run, done: false as const };
  });
  const run = start.run;
  const ref: RunRef = { id: run.id, baseDate: run.base_date };

  if (start.done) {
    const rejects = await listRejects(db, who, run.id, 100);
    await runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'import', targetType: spec.kind, targetId: run.id, detail: { file: fileName, sha256: s.sha256, alreadyImported: true } }));
    return { runId: run.id, kind: spec.kind, fileName, encoding: s.encoding, rows: s.rows, accepted: run.accepted, rejected: run.rejected, created: 0, updated: 0, unchanged: run.accepted, queued: 0, alreadyImported: true, resumedFromRow: 0, rejects };
  }

  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 1000, 5000));
  const resumeAfter = run.rows_done;
  let header: string[] | null = null;
  let rowNo = 0;
  let batch: { rowNo: number; row: Row }[] = [];
  let invalid: { rowNo: number; errors: FieldError[] }[] = [];

  // One batch commits (with the run's progress and its rejects) while the next one is read and validated:
  // the database and this process work at the same time, and batches still commit strictly in file order.
  const commit = async (items: { rowNo: number; row: Row }[], bad: { rowNo: number; errors: FieldError[] }[], upTo: number): Promise<void> => {
    await runAs(db, who, async (w) => {
      const o = items.length ? await spec.apply(w, ref, items) : { created: 0, updated: 0, unchanged: 0, queued: 0, rejects: [] };
      const rejects = [...bad, ...o.rejects];
      const rows = rejects.flatMap((r) => r.errors.map((e, seq) => ({ tenant_code: w.tenant, run_id: run.id, row_no: r.rowNo, seq, field: e.field, code: e.code, message: e.message })));
      for (let i = 0; i < rows.length; i += 1000) await w.tx.insertInto('municipality.import_rejects').values(rows.slice(i, i + 1000)).onConflict((oc) => oc.doNothing()).execute();
      await w.tx
        .updateTable('municipality.import_runs')
        .set((eb) => ({
          rows_done: upTo,
          accepted: eb('accepted', '+', items.length - o.rejects.length - o.queued),
          rejected: eb('rejected', '+', rejects.length),
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
  let inFlight: Promise<void> | null = null;
  let analysed = false;
  const flush = async (): Promise<void> => {
    if (inFlight) {
      await inFlight; // the previous batch first (a failure stops the run here)
      inFlight = null;
    }
    if (batch.length === 0 && invalid.length === 0) return;
    if (rowNo > batchSize && !analysed) {
      // A batch has been committed and more follow: give the planner statistics if the tables never had any.
      analysed = true;
      await analyzeIfNeverAnalyzed(db, spec.lookupTables ?? []);
    }
    const p = commit(batch, invalid, rowNo);
    p.catch(() => undefined); // awaited by the next flush or at the end
    inFlight = p;
    batch = [];
    invalid = [];
  };

  for await (const recs of recordChunks(opts.file, s.encoding)) {
    for (const rec of recs) {
      if (!header) {
        header = rec.map((h) => h.replace(/^\uFEFF/, '').trim());
        continue;
      }
      rowNo += 1;
      if (rowNo <= resumeAfter) continue;
      const raw: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) raw[header[i]!] = rec[i] ?? '';
      const v = spec.validate(raw, rowNo, opts.today);
      if (v.ok) batch.push({ rowNo, row: v.value });
      else invalid.push({ rowNo, errors: v.errors });
      if (batch.length + invalid.length >= batchSize) await flush();
    }
  }
  await flush(); // the last batch
  await flush(); // waits for it

  const final = await runAs(db, who, async (w) => {
    const r = await w.tx
      .updateTable('municipality.import_runs')
      .set({ status: 'completed', finished_at: w.clock.now(), rows_done: rowNo })
      .where('tenant_code', '=', w.tenant)
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await w.tx.deleteFrom('municipality.import_seen').where('tenant_code', '=', w.tenant).where('run_id', '=', run.id).execute();
    await appendEntry(w.tx, w, {
      action: 'import',
      targetType: spec.kind,
      targetId: run.id,
      detail: { file: fileName, sha256: s.sha256, rows: rowNo, accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, resumedFromRow: resumeAfter },
    });
    return r;
  });
  const rejects = await listRejects(db, who, run.id, 100);
  return {
    runId: run.id,
    kind: spec.kind,
    fileName,
    encoding: s.encoding,
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

export async function listRejects(db: MamoriDb, who: Principal, runId: string, limit = 100_000): Promise<RejectReport[]> {
  return runAs(db, who, async (w) => {
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

/** Import runs of some kinds, newest first (the import screens). */
export async function listImportRuns(db: MamoriDb, who: Principal, kinds: readonly string[], limit = 50): Promise<ImportRunView[]> {
  return runAs(db, who, async (w) => {
    const rows = await w.tx.selectFrom('municipality.import_runs').selectAll().where('tenant_code', '=', w.tenant).where('kind', 'in', [...kinds]).orderBy('started_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id, kind: r.kind, fileName: r.file_name, encoding: r.encoding, status: r.status, rowsDone: r.rows_done, accepted: r.accepted, rejected: r.rejected,
      created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, startedBy: r.started_by, startedAt: r.started_at, finishedAt: r.finished_at, resumed: r.resumed,
    }));
  });
}

export interface ImportFailureView {
  readonly id: string;
  readonly family: string;
  readonly fileName: string;
  readonly reason: string;
  readonly runId: string | null;
  readonly failedBy: string;
  readonly failedAt: Date;
}

/**
 * Records an import that failed (bad header, unreadable file, unexpected error) so that the import history
 * shows it; logged as a failed import.  `family` names the import screen ('residents', 'records-clinic').
 */
export async function recordImportFailure(db: MamoriDb, who: Principal, f: { family: string; fileName: string; reason: string; runId?: string | null }): Promise<void> {
  await runAs(db, who, async (w) => {
    await w.tx
      .insertInto('municipality.import_failures')
      .values({ tenant_code: w.tenant, family: f.family, file_name: f.fileName.slice(0, 200), reason: f.reason.slice(0, 1000), run_id: f.runId ?? null, failed_by: w.actor.login })
      .execute();
    await appendEntry(w.tx, w, { action: 'import', targetType: f.family, outcome: 'failure', detail: { file: f.fileName, reason: f.reason.slice(0, 200) } });
  });
}

/** Failed imports of a family, newest first. */
export async function listImportFailures(db: MamoriDb, who: Principal, family: string, limit = 50): Promise<ImportFailureView[]> {
  return runAs(db, who, async (w) => {
    const rows = await w.tx.selectFrom('municipality.import_failures').selectAll().where('tenant_code', '=', w.tenant).where('family', '=', family).orderBy('failed_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, family: r.family, fileName: r.file_name, reason: r.reason, runId: r.run_id, failedBy: r.failed_by, failedAt: r.failed_at }));
  });
}

/** The rejects of a run as CSV (UTF-8 with BOM): row number as a spreadsheet shows it, column, code, reason — no values from the file. */
export async function rejectsCsv(db: MamoriDb, who: Principal, runId: string): Promise<string> {
  const rejects = await listRejects(db, who, runId);
  await runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'export', targetType: 'import-rejects', targetId: runId, detail: { rows: rejects.length } }));
  return csvDocument(['行番号', '列', 'コード', '理由'], rejects.map((x) => [sheetRow(x.rowNo), x.field, x.code, x.message]));
}

/**
 * Duplicate rows of one run (e.g. the same 住民票コード twice in a full file, the same 通番 twice in a clinic
 * batch), across batches through municipality.import_seen and within the batch in memory.  Returns `claim(key)`:
 * true the first time the run meets the key, false afterwards.
 */
export async function firstSightings(w: Work, runId: string, keys: readonly string[]): Promise<(key: string) => boolean> {
  const fresh = new Set<string>();
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += 1000) {
    const r = await w.tx
      .insertInto('municipality.import_seen')
      .values(unique.slice(i, i + 1000).map((key) => ({ tenant_code: w.tenant, run_id: runId, key })))
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .execute();
    for (const x of r) fresh.add(x.key);
  }
  return (key: string) => fresh.delete(key);
}

/**
 * Keys of `keys` staged for this run by earlier batches (`markSeen`): for intakes that find most of their
 * earlier keys on the rows they wrote and stage only the others.
 */
export async function seenKeys(w: Work, runId: string, keys: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await w.tx.selectFrom('municipality.import_seen').select('key').where('tenant_code', '=', w.tenant).where('run_id', '=', runId).where('key', 'in', unique.slice(i, i + 1000)).execute();
    for (const r of rows) out.add(r.key);
  }
  return out;
}

/** Stages keys for the rest of the run (committed with the batch; removed when the run completes). */
export async function markSeen(w: Work, runId: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    await w.tx
      .insertInto('municipality.import_seen')
      .values(keys.slice(i, i + 1000).map((key) => ({ tenant_code: w.tenant, run_id: runId, key })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export interface ImportTrouble {
  /** Runs that finished with rows refused (the rejects file is waiting to be read). */
  readonly withRejects: number;
  /** Runs still marked running long after they started: stopped part-way (a restart, a crash) — to run again. */
  readonly stopped: number;
}

/**
 * Import runs of some kinds started on or after `since` that need someone: finished with rejects, or stopped
 * part-way (still 'running' and started before `stalledBefore`).  The caller checks the permission; a count
 * only, not logged.
 */
export async function countImportTrouble(w: Work, kinds: readonly string[], since: Date, stalledBefore: Date): Promise<ImportTrouble> {
  const r = await w.tx
    .selectFrom('municipality.import_runs')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere((f) => f.and([f('status', '=', 'completed'), f('rejected', '>', 0)])).as('rejects'),
      eb.fn.countAll<string>().filterWhere((f) => f.and([f('status', '=', 'running'), f('started_at', '<', stalledBefore)])).as('stopped'),
    ])
    .where('tenant_code', '=', w.tenant)
    .where('kind', 'in', [...kinds])
    .where('started_at', '>=', since)
    .executeTakeFirstOrThrow();
  return { withRejects: Number(r.rejects), stopped: Number(r.stopped) };
}
