// Evaluating chunks: the pure schedule engine per person, membership (decision 0060), the age pre-filter
// and memo (decision 0063), in the run's process or in a worker thread (`EvaluatorPool`), so that a large
// run's evaluation overlaps the reads and writes of the main thread.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fiscalYearEnd, fiscalYearOf, fiscalYearStart } from '../../kernel/jp/index.js';
import type { CohortRow } from '../residents/index.js';
import type { SubjectInputs } from '../records/index.js';
import { evaluateWith, programVersionAt, type Bound, type Catalog, type EvaluateResult, type HistoryItem, type Person, type Program } from '../schedule/index.js';
import type { MemberRow } from './hash.js';
import { byCode, emptyCounts, emptyProgramCounts, type ExtractionCounts, type ExtractionParameters } from './model.js';

export interface Chunk {
  readonly rows: CohortRow[];
  readonly last: string | null;
  readonly subjects: Map<string, SubjectInputs>;
}

export interface Evaluated {
  readonly members: MemberRow[];
  readonly last: string;
}

/** Adds a chunk's counts into the run's. */
export function addCounts(into: ExtractionCounts, c: ExtractionCounts): void {
  into.persons += c.persons;
  into.evaluated += c.evaluated;
  into.members += c.members;
  into.memberPersons += c.memberPersons;
  into.protectedPersons += c.protectedPersons;
  for (const [k, n] of Object.entries(c.excluded)) into.excluded[k as keyof ExtractionCounts['excluded']] += n;
  for (const [code, p] of Object.entries(c.byProgram)) {
    const t = (into.byProgram[code] ??= emptyProgramCounts());
    for (const [k, n] of Object.entries(p)) t[k as keyof typeof t] += n;
  }
}


const STATUS_KEY = { due: 'due', upcoming: 'upcoming', complete: 'complete', missed: 'missed', 'not-eligible': 'notEligible' } as const;

/**
 * Evaluates a chunk with the pure engine and decides membership (decision 0060).  Results are memoised by
 * the engine's whole input (birth date, sex, conditions, history): many adults share a birth date and have
 * no routine doses, and the engine is a pure function of its input.
 */
export class Evaluator {
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

// ------------------------------------------------------------------------------------------ worker

export interface WorkerInit {
  readonly catalog: Catalog;
  readonly params: ExtractionParameters;
  readonly asOf: string;
  readonly prefilter: boolean;
}

interface WorkerRequest {
  readonly id: number;
  readonly rows: CohortRow[];
  readonly last: string;
  readonly subjects: [string, SubjectInputs][];
}

export interface WorkerReply {
  readonly id: number;
  readonly members?: MemberRow[];
  readonly counts?: ExtractionCounts;
  readonly error?: string;
}

/** The worker side: evaluates each chunk it is sent and replies with the members and the chunk's counts. */
export function serveEvaluations(port: { on(e: 'message', f: (m: WorkerRequest) => void): void; postMessage(m: WorkerReply): void }, init: WorkerInit): void {
  const ev = new Evaluator(init.catalog, init.params, init.asOf, init.prefilter);
  port.on('message', (m) => {
    try {
      const counts = emptyCounts([]);
      const out = ev.evaluate({ rows: m.rows, last: m.last, subjects: new Map(m.subjects) }, counts);
      port.postMessage({ id: m.id, members: out.members, counts });
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).message });
    }
  });
}

/**
 * Evaluation in a worker thread (decision 0063).  The catalog (plain data and Maps) is cloned into the
 * worker once; chunks go over by structured clone.  Under tsx (development, tests) the worker loads the
 * TypeScript source through tsx as the main thread does.
 */
export class EvaluatorPool {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(init: WorkerInit) {
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(`./eval-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
    if (!ts) this.worker = new Worker(entry, { workerData: init });
    else {
      // Worker threads do not inherit the main thread's loader hooks: register tsx in the worker first.
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
      this.worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData: init });
    }
    this.worker.on('message', (r: WorkerReply) => {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (w) w.resolve(r);
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`evaluation worker exited with ${code}`));
    });
  }

  async evaluate(chunk: Chunk, counts: ExtractionCounts): Promise<Evaluated> {
    if (this.failed) throw this.failed;
    const id = ++this.seq;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows: chunk.rows, last: chunk.last!, subjects: [...chunk.subjects] } satisfies WorkerRequest);
    });
    if (reply.error) throw new Error(reply.error);
    addCounts(counts, reply.counts!);
    return { members: reply.members!, last: chunk.last! };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
