// Reading runs: one run, the list, the members (paged or streamed), and the difference from the previous
// run with the same kind, programs and filters (new and dropped persons).
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { notFound } from '../../kernel/problems/index.js';
import { requireExtraction } from './access.js';
import type { DiffSummary, ExtractionKind, ExtractionParameters, ExtractionRunView, RunMember } from './model.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type RunRow = {
  id: string;
  kind: ExtractionKind;
  parameters: ExtractionParameters;
  as_of: string;
  catalog_version: string;
  status: 'running' | 'complete' | 'failed';
  cursor: string;
  chunk_size: number;
  chunks_done: number;
  persons_estimate: number;
  counts: ExtractionRunView['counts'];
  content_hash: string | null;
  previous_run_id: string | null;
  diff: DiffSummary | null;
  error: string | null;
  resumed: number;
  created_by: string;
  created_at: Date;
  completed_at: Date | null;
};

const RUN_COLS = ['id', 'kind', 'parameters', 'as_of', 'catalog_version', 'status', 'cursor', 'chunk_size', 'chunks_done', 'persons_estimate', 'counts', 'content_hash', 'previous_run_id', 'diff', 'error', 'resumed', 'created_by', 'created_at', 'completed_at'] as const;

function view(r: RunRow): ExtractionRunView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    asOf: r.as_of,
    all: r.parameters.all,
    programs: [...r.parameters.programs],
    filters: r.parameters.filters,
    catalogVersion: r.catalog_version,
    counts: r.counts,
    contentHash: r.content_hash,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    completedAt: r.completed_at ? r.completed_at.toISOString() : null,
    cursor: r.cursor,
    chunkSize: r.chunk_size,
    chunksDone: r.chunks_done,
    personsEstimate: r.persons_estimate,
    resumed: r.resumed,
    error: r.error,
    previousRunId: r.previous_run_id,
    diff: r.diff,
  };
}

/** A run without the access check (inside the room). */
export async function loadRun(w: Work, runId: string): Promise<ExtractionRunView> {
  if (!UUID.test(runId)) throw notFound('抽出');
  const r = await w.tx.selectFrom('municipality.extraction_runs').select(RUN_COLS).where('tenant_code', '=', w.tenant).where('id', '=', runId).executeTakeFirst();
  if (!r) throw notFound('抽出');
  return view(r as unknown as RunRow);
}

/** A run: parameters, catalog version, counts, hash, diff summary (no personal data; not logged). */
export async function getExtractionRun(w: Work, runId: string): Promise<ExtractionRunView> {
  requireExtraction(w.actor);
  return loadRun(w, runId);
}

export interface ListRunsOptions {
  readonly limit?: number;
  readonly kind?: ExtractionKind;
  readonly status?: ExtractionRunView['status'];
}

/** Runs, newest first. */
export async function listExtractionRuns(w: Work, opts: ListRunsOptions = {}): Promise<ExtractionRunView[]> {
  requireExtraction(w.actor);
  let q = w.tx.selectFrom('municipality.extraction_runs').select(RUN_COLS).where('tenant_code', '=', w.tenant);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  if (opts.status) q = q.where('status', '=', opts.status);
  const rows = await q.orderBy('created_at', 'desc').limit(Math.min(opts.limit ?? 50, 500)).execute();
  return rows.map((r) => view(r as unknown as RunRow));
}

type MemberDbRow = {
  atena_no: string;
  program: string;
  dose: number | null;
  status: string;
  earliest: string | null;
  latest: string | null;
  standard_from: string | null;
  standard_until: string | null;
  protected: boolean;
  late: boolean;
  name_kanji: string | null;
  name_kana: string | null;
  birth_date: string | null;
  sex: 'male' | 'female' | null;
};

function member(r: MemberDbRow): RunMember {
  return {
    atenaNo: r.atena_no,
    program: r.program,
    dose: r.dose,
    status: r.status,
    earliest: r.earliest,
    latest: r.latest,
    standardFrom: r.standard_from,
    standardUntil: r.standard_until,
    protected: r.protected,
    late: r.late,
    nameKanji: r.name_kanji ?? '',
    nameKana: r.name_kana ?? '',
    birthDate: r.birth_date ?? '',
    sex: r.sex ?? 'female',
  };
}

function membersQuery(w: Work, runId: string) {
  return w.tx
    .selectFrom('municipality.extraction_members as m')
    .leftJoin('municipality.persons as p', (j) => j.onRef('p.tenant_code', '=', 'm.tenant_code').onRef('p.atena_no', '=', 'm.atena_no'))
    .select(['m.atena_no', 'm.program', 'm.dose', 'm.status', 'm.earliest', 'm.latest', 'm.standard_from', 'm.standard_until', 'm.protected', 'm.late', 'p.name_kanji', 'p.name_kana', 'p.birth_date', 'p.sex'])
    .where('m.tenant_code', '=', w.tenant)
    .where('m.run_id', '=', runId);
}

/**
 * Streams a run's members in (宛名番号, program) order, `batch` at a time (default 1,000), optionally for one
 * program — for the documents built on a run.  One operation-log entry per iteration (a read of the run's
 * members), not one per person.
 */
export async function* iterateRunMembers(w: Work, runId: string, opts: { batch?: number; program?: string } = {}): AsyncGenerator<RunMember[]> {
  requireExtraction(w.actor, runId);
  await loadRun(w, runId);
  const batch = Math.max(1, Math.min(opts.batch ?? 1000, 50_000));
  let after: [string, string] = ['', ''];
  let total = 0;
  for (;;) {
    let q = membersQuery(w, runId).where((eb) => eb(eb.refTuple('m.atena_no', 'm.program'), '>', eb.tuple(after[0], after[1])));
    if (opts.program) q = q.where('m.program', '=', opts.program);
    const rows = (await q.orderBy('m.atena_no').orderBy('m.program').limit(batch).execute()) as MemberDbRow[];
    if (!rows.length) break;
    total += rows.length;
    const lastRow = rows[rows.length - 1]!;
    after = [lastRow.atena_no, lastRow.program];
    yield rows.map(member);
    if (rows.length < batch) break;
  }
  await appendEntry(w.tx, w, { action: 'read', targetType: 'extraction-members', targetId: runId, detail: { program: opts.program ?? null, members: total } });
}

export interface MemberPage {
  readonly members: RunMember[];
  readonly total: number;
}

/** One page of a run's members for a screen (logged: one entry per page shown). */
export async function listRunMembers(w: Work, runId: string, opts: { program?: string | undefined; offset?: number; limit?: number } = {}): Promise<MemberPage> {
  requireExtraction(w.actor, runId);
  await loadRun(w, runId);
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 500));
  const offset = Math.max(0, opts.offset ?? 0);
  let q = membersQuery(w, runId);
  let c = w.tx.selectFrom('municipality.extraction_members').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_code', '=', w.tenant).where('run_id', '=', runId);
  if (opts.program) {
    q = q.where('m.program', '=', opts.program);
    c = c.where('program', '=', opts.program);
  }
  const rows = (await q.orderBy('m.atena_no').orderBy('m.program').limit(limit).offset(offset).execute()) as MemberDbRow[];
  const total = Number((await c.executeTakeFirstOrThrow()).n);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'extraction-members', targetId: runId, detail: { program: opts.program ?? null, offset, shown: rows.length } });
  return { members: rows.map(member), total };
}

/** Counts of the difference between two runs (rows and persons, per program). */
export async function computeDiff(w: Work, runId: string, previousRunId: string, previousAsOf: string): Promise<DiffSummary> {
  const rows = await sql<{ program: string; added: number; dropped: number }>`
    SELECT coalesce(c.program, p.program) AS program,
           count(*) FILTER (WHERE p.atena_no IS NULL)::int AS added,
           count(*) FILTER (WHERE c.atena_no IS NULL)::int AS dropped
    FROM (SELECT atena_no, program FROM municipality.extraction_members WHERE tenant_code = ${w.tenant} AND run_id = ${runId}::uuid) c
    FULL JOIN (SELECT atena_no, program FROM municipality.extraction_members WHERE tenant_code = ${w.tenant} AND run_id = ${previousRunId}::uuid) p
      ON c.atena_no = p.atena_no AND c.program = p.program
    WHERE c.atena_no IS NULL OR p.atena_no IS NULL
    GROUP BY 1 ORDER BY 1`.execute(w.tx);
  const persons = await sql<{ added: number; dropped: number }>`
    SELECT count(DISTINCT c.atena_no) FILTER (WHERE p.atena_no IS NULL)::int AS added,
           count(DISTINCT p.atena_no) FILTER (WHERE c.atena_no IS NULL)::int AS dropped
    FROM (SELECT atena_no, program FROM municipality.extraction_members WHERE tenant_code = ${w.tenant} AND run_id = ${runId}::uuid) c
    FULL JOIN (SELECT atena_no, program FROM municipality.extraction_members WHERE tenant_code = ${w.tenant} AND run_id = ${previousRunId}::uuid) p
      ON c.atena_no = p.atena_no AND c.program = p.program
    WHERE c.atena_no IS NULL OR p.atena_no IS NULL`.execute(w.tx);
  const byProgram: Record<string, { added: number; dropped: number }> = {};
  let added = 0;
  let dropped = 0;
  for (const r of rows.rows) {
    byProgram[r.program] = { added: r.added, dropped: r.dropped };
    added += r.added;
    dropped += r.dropped;
  }
  return { previousRunId, previousAsOf, added, dropped, addedPersons: persons.rows[0]?.added ?? 0, droppedPersons: persons.rows[0]?.dropped ?? 0, byProgram };
}

export interface DiffPage {
  readonly side: 'added' | 'dropped';
  readonly members: RunMember[];
  readonly total: number;
}

/**
 * The rows behind a diff: persons × programs new in this run ('added', as in this run) or gone since the
 * previous one ('dropped', as they were in the previous run).  Logged like a page of members.
 */
export async function listRunDiff(w: Work, runId: string, side: 'added' | 'dropped', opts: { program?: string | undefined; offset?: number; limit?: number } = {}): Promise<DiffPage> {
  requireExtraction(w.actor, runId);
  const run = await loadRun(w, runId);
  if (!run.previousRunId) return { side, members: [], total: 0 };
  const [from, other] = side === 'added' ? [runId, run.previousRunId] : [run.previousRunId, runId];
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 500));
  const offset = Math.max(0, opts.offset ?? 0);
  const program = opts.program ?? null;
  const rows = await sql<MemberDbRow & { total: number }>`
    SELECT m.atena_no, m.program, m.dose, m.status, m.earliest, m.latest, m.standard_from, m.standard_until, m.protected, m.late,
           p.name_kanji, p.name_kana, p.birth_date, p.sex, count(*) OVER ()::int AS total
    FROM municipality.extraction_members m
    LEFT JOIN municipality.persons p ON p.tenant_code = m.tenant_code AND p.atena_no = m.atena_no
    WHERE m.tenant_code = ${w.tenant} AND m.run_id = ${from}::uuid AND (${program}::text IS NULL OR m.program = ${program}::text)
      AND NOT EXISTS (SELECT 1 FROM municipality.extraction_members o WHERE o.tenant_code = m.tenant_code AND o.run_id = ${other}::uuid AND o.atena_no = m.atena_no AND o.program = m.program)
    ORDER BY m.atena_no, m.program LIMIT ${limit} OFFSET ${offset}`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'extraction-diff', targetId: runId, detail: { side, program, offset, shown: rows.rows.length } });
  return { side, members: rows.rows.map(member), total: rows.rows[0]?.total ?? 0 };
}
