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
import { fiscalYearEnd, fiscalYearOf, fiscalYearStart } from '../../kernel/jp/index.js';
import { cohortChunk, countCohort, type CohortRow } from '../residents/index.js';
import { catalogFor, subjectsInRange, type SubjectInputs } from '../records/index.js';
import { evaluateWith, programVersionAt, type Bound, type Catalog, type EvaluateResult, type HistoryItem, type Person, type Program } from '../schedule/index.js';
import { requireExtraction } from './access.js';
import { memberLine, newContentHash, paramsKey, type MemberRow } from './hash.js';
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
  /** Evaluate every program for every person (no age pre-filter; for verification — same members, slower). */
  readonly fullEvaluation?: boolean;
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
  // The screen follows the run's progress in the database; an error ends the run as failed.
  work.catch(() => undefined);
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

interface Chunk {
  readonly rows: CohortRow[];
  readonly last: string | null;
  readonly subjects: Map<string, SubjectInputs>;
}

interface Evaluated {
  readonly members: MemberRow[];
  readonly last: string;
}

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
  try {
    const hash = newContentHash(params, run.asOf, run.catalogVersion);
    if (run.cursor) await rehash(db, who, runId, run.cursor, hash);
    const ev = new Evaluator(catalog, params, run.asOf, !opts.fullEvaluation);
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
      const out = ev.evaluate(chunk, counts);
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
        .set({ status: 'complete', content_hash: contentHash, completed_at: new Date(), previous_run_id: prevRun?.id ?? null, diff: diff ? jsonb(diff) : null, counts: jsonb(counts) })
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
      // Test hook: leave the run as a crash would (running, cursor at the last committed chunk).
      const r = await runAs(db, who, (w) => loadRun(w, runId));
      return { run: r, resumedAfter, diff: null };
    }
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
async function rehash(db: MamoriDb, who: Principal, runId: string, cursor: string, hash: Hash): Promise<void> {
  let after = '';
  const page = 20_000;
  for (;;) {
    const rows = await runAs(db, who, async (w) => {
      const r = await sql<{ atena_no: string; program: string; dose: number | null; status: 'due' | 'upcoming'; late: boolean; earliest: string | null; latest: string | null; standard_from: string | null; standard_until: string | null; protected: boolean }>`
        SELECT atena_no, program, dose, status, late, earliest, latest, standard_from, standard_until, protected
        FROM municipality.extraction_members
        WHERE tenant_code = ${w.tenant} AND run_id = ${runId}::uuid AND atena_no > ${after} AND atena_no <= ${cursor}
        ORDER BY atena_no COLLATE "C", program COLLATE "C" LIMIT ${page}`.execute(w.tx);
      return r.rows;
    });
    if (!rows.length) return;
    // A page may end inside a person's programs: keep only whole persons unless this is the last page.
    let end = rows.length;
    if (rows.length === page) {
      const lastAtena = rows[rows.length - 1]!.atena_no;
      while (end > 0 && rows[end - 1]!.atena_no === lastAtena) end--;
      if (end === 0) end = rows.length;
    }
    for (let i = 0; i < end; i++) {
      const r = rows[i]!;
      hash.update(memberLine({ atenaNo: r.atena_no, program: r.program, dose: r.dose, status: r.status, late: r.late, earliest: r.earliest, latest: r.latest, standardFrom: r.standard_from, standardUntil: r.standard_until, protected: r.protected }));
    }
    if (rows.length < page) return;
    after = rows[end - 1]!.atena_no;
  }
}

// ------------------------------------------------------------------------------------------ evaluation

const STATUS_KEY = { due: 'due', upcoming: 'upcoming', complete: 'complete', missed: 'missed', 'not-eligible': 'notEligible' } as const;

/**
 * Evaluates a chunk with the pure engine and decides membership (decision 0060).  Results are memoised by
 * the engine's whole input (birth date, sex, conditions, history): many adults share a birth date and have
 * no routine doses, and the engine is a pure function of its input.
 */
class Evaluator {
  private readonly memo = new Map<string, { result: EvaluateResult; skipped: readonly string[] }>();
  private readonly programs: readonly string[] | undefined;
  private readonly horizonStart: string;
  private readonly horizonEnd: string;
  private readonly districts: ReadonlySet<string> | null;
  private readonly ranges: ReadonlyMap<string, readonly WindowRange[] | null> | null;

  constructor(
    private readonly catalog: Catalog,
    private readonly params: ExtractionParameters,
    private readonly asOf: string,
    prefilter: boolean,
  ) {
    this.programs = params.all ? undefined : params.programs;
    const fy = params.filters.fiscalYear ?? fiscalYearOf(asOf);
    this.horizonStart = fiscalYearStart(fy);
    this.horizonEnd = fiscalYearEnd(fy);
    this.districts = params.filters.districts.length ? new Set(params.filters.districts) : null;
    this.ranges = prefilter ? new Map(params.programs.map((p) => [p, windowRanges(programVersionAt(catalog, p, asOf))])) : null;
  }

  evaluate(chunk: Chunk, counts: ExtractionCounts): Evaluated {
    const members: MemberRow[] = [];
    const { birthFrom, birthTo } = this.params.filters;
    const unvaccinated = this.params.kind === 'unvaccinated';
    for (const p of chunk.rows) {
      counts.persons++;
      if (p.status === null || !p.birthDate || !p.sex) {
        counts.excluded['not-registered']++;
        continue;
      }
      if (p.status !== 'resident') {
        counts.excluded[p.status]++;
        continue;
      }
      // The database filtered on today's birth date; a correction after the as-of date is checked here.
      if ((birthFrom && p.birthDate < birthFrom) || (birthTo && p.birthDate > birthTo)) {
        counts.excluded['birth-range']++;
        continue;
      }
      if (this.districts && (p.districtCode === null || !this.districts.has(p.districtCode))) {
        counts.excluded.district++;
        continue;
      }
      counts.evaluated++;
      const s = chunk.subjects.get(p.atenaNo);
      const { result, skipped } = this.run(p.birthDate, p.sex, s?.conditions ?? [], s?.history ?? []);
      for (const code of skipped) (counts.byProgram[code] ??= emptyProgramCounts()).outOfRange++;
      const mine: MemberRow[] = [];
      for (const r of result.results) {
        const pc = (counts.byProgram[r.program] ??= emptyProgramCounts());
        pc[STATUS_KEY[r.status]]++;
        if ((r.status !== 'due' && r.status !== 'upcoming') || !r.nextDose) continue;
        const nd = r.nextDose;
        if (nd.latest < this.horizonStart) continue;
        const late = this.asOf > nd.standardUntil;
        const member = unvaccinated ? r.status === 'due' && (late || nd.latest <= this.horizonEnd) : nd.earliest <= this.horizonEnd;
        if (!member) continue;
        pc.members++;
        if (late) pc.late++;
        mine.push({ atenaNo: p.atenaNo, program: r.program, dose: nd.dose, status: r.status, late, earliest: nd.earliest, latest: nd.latest, standardFrom: nd.standardFrom, standardUntil: nd.standardUntil, protected: p.dvSupport });
      }
      if (mine.length) {
        if (mine.length > 1) mine.sort((a, b) => byCode(a.program, b.program));
        counts.members += mine.length;
        counts.memberPersons++;
        if (p.dvSupport) counts.protectedPersons++;
        for (const m of mine) members.push(m);
      }
    }
    return { members, last: chunk.last! };
  }

  private run(birthDate: string, sex: 'male' | 'female', conditions: unknown[], history: HistoryItem[]): { result: EvaluateResult; skipped: readonly string[] } {
    let key = birthDate + sex;
    if (conditions.length) key += JSON.stringify(conditions);
    for (const h of history) key += `|${h.product}${h.date}`;
    let r = this.memo.get(key);
    if (!r) {
      const person = { birthDate, sex, conditions } as Person;
      let programs = this.programs;
      const skipped: string[] = [];
      // A person with conditions may hold a window that needs one (B類 60–64, 長期療養特例): evaluate everything.
      if (this.ranges && !conditions.length) {
        const ageNow = monthsBetween(birthDate, this.asOf);
        const ageAtEnd = monthsBetween(birthDate, this.horizonEnd);
        const keep: string[] = [];
        for (const code of this.params.programs) {
          const ws = this.ranges.get(code);
          if (!ws || ws.some((x) => possible(x, birthDate, sex, ageNow, ageAtEnd, this.asOf, this.horizonEnd))) keep.push(code);
          else skipped.push(code);
        }
        if (skipped.length) programs = keep;
      }
      const result: EvaluateResult = programs && !programs.length ? { asOf: this.asOf, catalogVersion: this.catalog.version, results: [] } : evaluateWith(this.catalog, person, history, this.asOf, programs);
      r = { result, skipped };
      if (this.memo.size >= 200_000) this.memo.clear();
      this.memo.set(key, r);
    }
    return r;
  }
}

// ------------------------------------------------------------------------------------------ age pre-filter

/**
 * What the pre-filter knows of one eligibility window: its age bounds in months after birth (a fiscal-year
 * bound counts as a whole year wider), fixed dates, the period, sex and birth range.  Decision 0063: a
 * program is skipped for a person without conditions only when every window is certainly closed on the
 * as-of date or certainly not open by the end of the fiscal-year horizon, with twelve months of slack on
 * age bounds; such a person can be neither due nor upcoming within the horizon, so never a member.
 */
interface WindowRange {
  /** A bound the pre-filter does not reason about (gestation): always possible. */
  readonly open: boolean;
  readonly needsCondition: boolean;
  readonly sex: string | undefined;
  readonly birthFrom: string | undefined;
  readonly birthUntil: string | undefined;
  readonly periodFrom: string | undefined;
  readonly periodUntil: string | undefined;
  readonly fromMonths: number | null;
  readonly fromDate: string | null;
  readonly untilMonths: number | null;
  readonly untilDate: string | null;
}

const SLACK_MONTHS = 12;

type Edge = { m: number | null; d: string | null; open: boolean };

function lowerEdge(b: Bound | undefined): Edge {
  if (!b) return { m: 0, d: null, open: false };
  switch (b.kind) {
    case 'age':
      return { m: b.years * 12 + b.months, d: null, open: false };
    case 'afterBirth':
      return { m: Math.floor((b.weeks * 7 + b.days) / 31), d: null, open: false };
    case 'fiscalYearStartOfAge':
    case 'fiscalYearEndOfAge':
      return { m: Math.max(0, (b.age - 1) * 12), d: null, open: false };
    case 'date':
      return { m: null, d: b.date, open: false };
    default:
      return { m: null, d: null, open: true };
  }
}

function upperEdge(b: Bound | undefined): Edge {
  if (!b) return { m: null, d: null, open: false };
  switch (b.kind) {
    case 'age':
      return { m: b.years * 12 + b.months, d: null, open: false };
    case 'afterBirth':
      return { m: Math.ceil((b.weeks * 7 + b.days) / 28), d: null, open: false };
    case 'fiscalYearStartOfAge':
    case 'fiscalYearEndOfAge':
      return { m: (b.age + 1) * 12, d: null, open: false };
    case 'date':
      return { m: null, d: b.date, open: false };
    default:
      return { m: null, d: null, open: true };
  }
}

function windowRanges(p: Program | undefined): WindowRange[] | null {
  if (!p) return null;
  return p.windows.map((w) => {
    const lo = lowerEdge(w.from);
    const up = upperEdge(w.until);
    return {
      open: lo.open || up.open,
      needsCondition: !!w.requiresCondition,
      sex: w.sex,
      birthFrom: w.birth?.from,
      birthUntil: w.birth?.until,
      periodFrom: w.period?.from,
      periodUntil: w.period?.until,
      fromMonths: lo.m,
      fromDate: lo.d,
      untilMonths: up.m,
      untilDate: up.d,
    };
  });
}

function possible(x: WindowRange, birth: string, sex: string, ageNow: number, ageAtEnd: number, asOf: string, horizonEnd: string): boolean {
  if (x.needsCondition) return false;
  if (x.open) return true;
  if (x.sex && x.sex !== sex) return false;
  if ((x.birthFrom && birth < x.birthFrom) || (x.birthUntil && birth > x.birthUntil)) return false;
  if ((x.periodUntil && asOf > x.periodUntil) || (x.periodFrom && horizonEnd < x.periodFrom)) return false;
  if ((x.untilMonths !== null && ageNow > x.untilMonths + SLACK_MONTHS) || (x.untilDate !== null && asOf > x.untilDate)) return false;
  if ((x.fromMonths !== null && ageAtEnd < x.fromMonths - SLACK_MONTHS) || (x.fromDate !== null && horizonEnd < x.fromDate)) return false;
  return true;
}

/** Whole months from `a` to `b` ('YYYY-MM-DD'; negative when b is before a). */
function monthsBetween(a: string, b: string): number {
  const ya = +a.slice(0, 4);
  const ma = +a.slice(5, 7);
  const da = +a.slice(8, 10);
  const yb = +b.slice(0, 4);
  const mb = +b.slice(5, 7);
  const db = +b.slice(8, 10);
  return (yb - ya) * 12 + (mb - ma) - (db < da ? 1 : 0);
}
