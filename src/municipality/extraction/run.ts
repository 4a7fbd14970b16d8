// Running an extraction (issue 5 point 1; VAX-04, VAX-06; decisions 0060–0063): the cohort as of a date is
// walked in 宛名番号 keyset chunks; each chunk's persons, doses and conditions are read in one read
// transaction, evaluated with the pure schedule engine, and its member rows are committed together with the
// run's cursor and counts.  A crash loses at most the chunk in flight: `resumeExtraction` continues after
// the cursor and ends with the same members and hash as an uninterrupted run.  Reads of the next chunk
// overlap the evaluation of the current one and the write of the previous one.
import type { Hash } from 'node:crypto';
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { conflict, isProblem } from '../../kernel/problems/index.js';
import { logger } from '../../kernel/log/index.js';
import { cohortChunk, countCohort } from '../residents/index.js';
import { catalogFor, subjectsInRange, type SubjectInputs } from '../records/index.js';
import { requireExtraction } from './access.js';
import { memberLine, newContentHash, paramsKey } from './hash.js';
import { Evaluator, EvaluatorPool, type Chunk, type Evaluated } from './evaluate.js';
import { KIND_LABELS, byCode, canonicalParameters, emptyCounts, emptyProgramCounts, type DiffSummary, type ExtractionCounts, type ExtractionParameters, type ExtractionRunView } from './model.js';
import { computeDiff, loadRun } from './queries.js';

export const DEFAULT_CHUNK = 5000;

export interface ExtractionOptions {
  /** Called after each committed chunk. */
  readonly onProgress?: (p: { chunksDone: number; persons: number; members: number; personsEstimate: number }) => void;
  /** Start and return at once; the run continues in the background (the web screen).  Errors end in a failed run. */
  readonly background?: boolean;
  /** Test hook: stop (as if the process died) after this many chunks of this call. */
  readonly stopAfterChunks?: number;
  /** Test hook: rows per page when a resumed run re-reads its committed members (default 20,000). */
  readonly rehashPage?: number;
  /** Evaluate every program for every person (no age pre-filter; for verification — same members, slower). */
  readonly fullEvaluation?: boolean;
  /**
   * Evaluate in a worker thread (1) or in this thread (0, the default).  A worker overlaps evaluation with the
   * main thread's reads and writes on an idle multi-core machine; on a loaded one it costs more CPU than it
   * saves (decision 0063), so it is opt-in.
   */
  readonly workers?: 0 | 1;
}

export interface ExtractionResult {
  readonly run: ExtractionRunView;
  /** The cursor the run resumed after (null for a fresh start). */
  readonly resumedAfter: string | null;
  readonly diff: DiffSummary | null;
  /** Where this call's time went (milliseconds): waiting for reads, evaluating, waiting for writes, completing. */
  readonly timing?: { readWait: number; evaluate: number; writeWait: number; finish: number; total: number };
}

/** Creates a run and processes it (or, with `background`, starts processing and returns the running run). */
export async function startExtraction(db: MamoriDb, who: Principal, raw: unknown, opts: ExtractionOptions = {}): Promise<ExtractionResult> {
  const id = await runAs(db, who, async (w) => {
    requireExtraction(w.actor);
    const { catalog, version } = await catalogFor(w);
    const { params, asOf, chunkSize } = canonicalParameters(raw, catalog);
    const estimate = await countCohort(w, params.filters);
    const row = await w.tx
      .insertInto('municipality.extraction_runs')
      .values({
        tenant_code: w.tenant,
        kind: params.kind,
        parameters: jsonb(params),
        params_key: paramsKey(params),
        as_of: asOf,
        catalog_version: version,
        status: 'running',
        chunk_size: chunkSize ?? DEFAULT_CHUNK,
        persons_estimate: estimate,
        counts: jsonb(emptyCounts(params.programs)),
        content_hash: null,
        previous_run_id: null,
        diff: null,
        error: null,
        created_by: w.actor.login,
        completed_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
  return launch(db, who, id, opts);
}

/** Continues an interrupted (running but abandoned) or failed run after its cursor. */
export async function resumeExtraction(db: MamoriDb, who: Principal, runId: string, opts: ExtractionOptions = {}): Promise<ExtractionResult> {
  await runAs(db, who, async (w) => {
    requireExtraction(w.actor);
    const run = await loadRun(w, runId);
    if (run.status === 'complete') throw conflict('RUN_COMPLETE', 'この抽出は完了しています。再開するものはありません。');
  });
  return launch(db, who, runId, opts);
}

async function launch(db: MamoriDb, who: Principal, runId: string, opts: ExtractionOptions): Promise<ExtractionResult> {
  if (local.has(`${who.tenant}/${runId}`)) throw runBusy();
  const work = withRunLock(db, who.tenant, runId, () => processRun(db, who, runId, opts));
  if (!opts.background) return work;
  // The screen follows the run's progress in the database; an error ends the run as failed.  The error is
  // logged by kind only (no values): a run left 'running' after its process gave up must be explainable.
  work.catch((e: unknown) => logger().error({ runId, error: isProblem(e) ? e.code : e instanceof Error ? e.name : 'unknown', sqlState: (e as { code?: unknown }).code }, 'background extraction run ended with an error'));
  const run = await runAs(db, who, (w) => loadRun(w, runId));
  return { run, resumedAfter: run.cursor || null, diff: null };
}

// ------------------------------------------------------------------------------------------ the lock

const LOCK_NAMESPACE = 0x4d4d45; // 'MME'
const local = new Set<string>();
const runBusy = () => conflict('RUN_IN_PROGRESS', 'この抽出は別の処理が実行中です。終了してから再開してください。');

/** True while this process works on the run (the screen shows progress instead of a resume button). */
export function isRunActiveHere(tenant: string, runId: string): boolean {
  return local.has(`${tenant}/${runId}`);
}

/**
 * One process works on a run at a time: an in-process set (embedded PGlite is single-process by its data
 * directory lock) and, on a server, a session advisory lock held on a dedicated connection for the whole
 * run — released by PostgreSQL when the process dies, so a crashed run can be resumed at once.
 */
async function withRunLock<T>(db: MamoriDb, tenant: string, runId: string, fn: () => Promise<T>): Promise<T> {
  const key = `${tenant}/${runId}`;
  const busy = runBusy;
  if (local.has(key)) throw busy();
  local.add(key);
  try {
    if (db.kind !== 'server') return await fn();
    return await db.app.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${LOCK_NAMESPACE}::int, hashtext(${key})) AS ok`.execute(conn);
      if (!got.rows[0]?.ok) throw busy();
      try {
        return await fn();
      } finally {
        await sql`SELECT pg_advisory_unlock(${LOCK_NAMESPACE}::int, hashtext(${key}))`.execute(conn).catch(() => undefined);
      }
    });
  } finally {
    local.delete(key);
  }
}

// ------------------------------------------------------------------------------------------ processing

class Stopped extends Error {}

async function processRun(db: MamoriDb, who: Principal, runId: string, opts: ExtractionOptions): Promise<ExtractionResult> {
  const start = await runAs(db, who, async (w) => {
    requireExtraction(w.actor);
    const run = await loadRun(w, runId);
    if (run.status === 'complete') throw conflict('RUN_COMPLETE', 'この抽出は完了しています。');
    const cat = await catalogFor(w);
    if (cat.version !== run.catalogVersion) {
      throw conflict('CATALOG_CHANGED', `抽出の開始後に予防接種の設定が変わりました（${run.catalogVersion} → ${cat.version}）。新しく抽出してください。`);
    }
    const meta = await w.tx.selectFrom('municipality.extraction_runs').select(['data_cutoff', 'parameters']).where('tenant_code', '=', w.tenant).where('id', '=', runId).executeTakeFirstOrThrow();
    if (run.status === 'failed' || run.cursor) {
      await w.tx.updateTable('municipality.extraction_runs').set((eb) => ({ status: 'running', error: null, resumed: eb('resumed', '+', 1) })).where('tenant_code', '=', w.tenant).where('id', '=', runId).execute();
    }
    return { run, catalog: cat.catalog, cutoff: meta.data_cutoff, params: meta.parameters };
  });
  const { run, catalog, cutoff, params } = start;
  const resumedAfter = run.cursor || null;
  let pool: EvaluatorPool | null = null;
  try {
    const hash = newContentHash(params, run.asOf, run.catalogVersion);
    if (run.cursor) await rehash(db, who, runId, run.cursor, hash, opts.rehashPage ?? 20_000);
    const useWorker = opts.workers === 1;
    pool = useWorker ? new EvaluatorPool({ catalog, params, asOf: run.asOf, prefilter: !opts.fullEvaluation }) : null;
    const local = pool ? null : new Evaluator(catalog, params, run.asOf, !opts.fullEvaluation);
    const evaluate = (c: Chunk, into: ExtractionCounts): Promise<Evaluated> => (pool ? pool.evaluate(c, into) : Promise.resolve(local!.evaluate(c, into)));
    const counts: ExtractionCounts = structuredClone(run.counts);
    for (const p of params.programs) counts.byProgram[p] ??= emptyProgramCounts();
    let cursor = run.cursor;
    let chunksDone = run.chunksDone;
    let thisCall = 0;
    const read = (after: string): Promise<Chunk> =>
      runAs(db, who, async (w) => {
        const { rows, last } = await cohortChunk(w, { asOf: run.asOf, after, limit: run.chunkSize, birthFrom: params.filters.birthFrom, birthTo: params.filters.birthTo, recordedBy: cutoff });
        const subjects = last ? await subjectsInRange(w, { after, last, asOf: run.asOf, recordedBy: cutoff }) : new Map<string, SubjectInputs>();
        return { rows, last, subjects };
      });
    const timing = { readWait: 0, evaluate: 0, writeWait: 0, finish: 0, total: 0 };
    const t0 = performance.now();
    let next: Promise<Chunk> = read(cursor);
    let pending: Promise<void> = Promise.resolve();
    for (;;) {
      let t = performance.now();
      const chunk = await next;
      timing.readWait += performance.now() - t;
      if (!chunk.last) break;
      next = read(chunk.last);
      next.catch(() => undefined); // awaited in the next turn (or dropped when stopping)
      t = performance.now();
      const out = await evaluate(chunk, counts);
      const snapshot = structuredClone(counts);
      const prev = cursor;
      timing.evaluate += performance.now() - t;
      t = performance.now();
      await pending;
      timing.writeWait += performance.now() - t;
      if (opts.stopAfterChunks !== undefined && thisCall >= opts.stopAfterChunks) throw new Stopped();
      pending = writeChunk(db, who, runId, prev, out, snapshot).then(() => {
        chunksDone++;
        opts.onProgress?.({ chunksDone, persons: snapshot.persons, members: snapshot.members, personsEstimate: run.personsEstimate });
      });
      pending.catch(() => undefined);
      for (const m of out.members) hash.update(memberLine(m));
      cursor = out.last;
      thisCall++;
    }
    let t = performance.now();
    await pending;
    timing.writeWait += performance.now() - t;
    await pool?.close();
    pool = null;
    t = performance.now();
    const contentHash = hash.digest('hex');
    const done = await runAs(db, who, async (w) => {
      const prevRun = await w.tx
        .selectFrom('municipality.extraction_runs')
        .select(['id', 'as_of'])
        .where('tenant_code', '=', w.tenant)
        .where('params_key', '=', paramsKey(params))
        .where('status', '=', 'complete')
        .where('id', '!=', runId)
        .orderBy('completed_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const diff = prevRun ? await computeDiff(w, runId, prevRun.id, prevRun.as_of) : null;
      await w.tx
        .updateTable('municipality.extraction_runs')
        .set({ status: 'complete', content_hash: contentHash, completed_at: w.clock.now(), previous_run_id: prevRun?.id ?? null, diff: diff ? jsonb(diff) : null, counts: jsonb(counts) })
        .where('tenant_code', '=', w.tenant)
        .where('id', '=', runId)
        .execute();
      const finished = await loadRun(w, runId);
      await logRun(w, runId, params, run.asOf, counts, { outcome: 'success', contentHash, resumed: finished.resumed });
      return { run: finished, diff };
    });
    timing.finish = performance.now() - t;
    timing.total = performance.now() - t0;
    return { run: done.run, resumedAfter, diff: done.diff, timing };
  } catch (e) {
    if (e instanceof Stopped) {
      await pool?.close();
      // Test hook: leave the run as a crash would (running, cursor at the last committed chunk).
      const r = await runAs(db, who, (w) => loadRun(w, runId));
      return { run: r, resumedAfter, diff: null };
    }
    void pool?.close();
    pool = null;
    await runAs(db, who, async (w) => {
      const message = isProblem(e) ? `${e.code}: ${e.title}` : 'システムエラー';
      await w.tx.updateTable('municipality.extraction_runs').set({ status: 'failed', error: message }).where('tenant_code', '=', w.tenant).where('id', '=', runId).where('status', '=', 'running').execute();
      const r = await loadRun(w, runId);
      await logRun(w, runId, params, run.asOf, r.counts, { outcome: 'failure', error: message });
    }).catch(() => undefined);
    throw e;
  }
}

/** The one operation-log entry of a run (KRN-31: a bulk read of personal data, with parameters and counts). */
async function logRun(w: Work, runId: string, p: ExtractionParameters, asOf: string, c: ExtractionCounts, extra: { outcome: 'success' | 'failure'; contentHash?: string; resumed?: number; error?: string }): Promise<void> {
  await appendEntry(w.tx, w, {
    action: 'read',
    targetType: 'extraction-run',
    targetId: runId,
    purpose: KIND_LABELS[p.kind],
    outcome: extra.outcome,
    detail: {
      kind: p.kind,
      asOf,
      programs: p.all ? 'all' : p.programs,
      filters: p.filters,
      persons: c.persons,
      evaluated: c.evaluated,
      members: c.members,
      memberPersons: c.memberPersons,
      protectedPersons: c.protectedPersons,
      excluded: c.excluded,
      ...(extra.contentHash ? { contentHash: extra.contentHash } : {}),
      ...(extra.resumed ? { resumed: extra.resumed } : {}),
      ...(extra.error ? { error: extra.error } : {}),
    },
  });
}

/** Commits one chunk: its members (idempotent by primary key) with the cursor and counts, if the cursor is still `prev`. */
async function writeChunk(db: MamoriDb, who: Principal, runId: string, prev: string, out: Evaluated, counts: ExtractionCounts): Promise<void> {
  await runAs(db, who, async (w) => {
    const m = out.members;
    for (let i = 0; i < m.length; i += 20_000) {
      const part = m.slice(i, i + 20_000);
      await sql`
        INSERT INTO municipality.extraction_members (tenant_code, run_id, atena_no, program, dose, status, late, earliest, latest, standard_from, standard_until, protected)
        SELECT ${w.tenant}, ${runId}::uuid, * FROM unnest(
          ${part.map((x) => x.atenaNo)}::text[], ${part.map((x) => x.program)}::text[], ${part.map((x) => x.dose)}::int[], ${part.map((x) => x.status)}::text[],
          ${part.map((x) => x.late)}::bool[], ${part.map((x) => x.earliest)}::date[], ${part.map((x) => x.latest)}::date[],
          ${part.map((x) => x.standardFrom)}::date[], ${part.map((x) => x.standardUntil)}::date[], ${part.map((x) => x.protected)}::bool[])
        ON CONFLICT DO NOTHING`.execute(w.tx);
    }
    const r = await w.tx
      .updateTable('municipality.extraction_runs')
      .set((eb) => ({ cursor: out.last, chunks_done: eb('chunks_done', '+', 1), counts: jsonb(counts) }))
      .where('tenant_code', '=', w.tenant)
      .where('id', '=', runId)
      .where('cursor', '=', prev)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw conflict('RUN_MOVED', 'この抽出は別の処理が進めたか、中止されました。');
  });
}

/** After a crash: feeds the committed members (up to the cursor) into a fresh hash, in hash order. */
async function rehash(db: MamoriDb, who: Principal, runId: string, cursor: string, hash: Hash, page: number): Promise<void> {
  type Row = { atena_no: string; program: string; dose: number | null; status: 'due' | 'upcoming'; late: boolean; earliest: string | null; latest: string | null; standard_from: string | null; standard_until: string | null; protected: boolean };
  // 宛名番号 are ten digits, so the index order is the code-unit order; a person's programs are re-sorted in
  // code-unit order (the database collation may order '-' differently), so a person is fed whole.
  let person: Row[] = [];
  const flush = () => {
    person.sort((a, b) => byCode(a.program, b.program));
    for (const r of person) hash.update(memberLine({ atenaNo: r.atena_no, program: r.program, dose: r.dose, status: r.status, late: r.late, earliest: r.earliest, latest: r.latest, standardFrom: r.standard_from, standardUntil: r.standard_until, protected: r.protected }));
    person = [];
  };
  let after: [string, string] = ['', ''];
  for (;;) {
    const rows = await runAs(db, who, async (w) => {
      const r = await sql<Row>`
        SELECT atena_no, program, dose, status, late, earliest, latest, standard_from, standard_until, protected
        FROM municipality.extraction_members
        WHERE tenant_code = ${w.tenant} AND run_id = ${runId}::uuid AND (atena_no, program) > (${after[0]}, ${after[1]}) AND atena_no <= ${cursor}
        ORDER BY atena_no, program LIMIT ${page}`.execute(w.tx);
      return r.rows;
    });
    for (const r of rows) {
      if (person.length && person[0]!.atena_no !== r.atena_no) flush();
      person.push(r);
    }
    if (rows.length < page) {
      flush();
      return;
    }
    const last = rows[rows.length - 1]!;
    after = [last.atena_no, last.program];
  }
}
