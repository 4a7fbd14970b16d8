// The schedule engine: catalog + person + history + a date in, decisions out.  PURE — no I/O, no clock,
// no database.  Every decision carries a stable code, a Japanese message, the rule and its source.
//
// Speed (decision 0028): the catalog is compiled once into a plan (plan.ts: day numbers, citations, rule
// ids and person-independent reasons ready); inside, a date is its day number (days.ts), parsed once per
// person; a dose's cross-vaccine problems are computed once per person, not once per program; components
// with the same doses (第1期's four, MR's two) are walked once.  Answers are byte-for-byte those of the
// string-based engine this replaced (test/municipality/schedule/golden.test.ts).
import { formatWareki } from '../../kernel/jp/index.js';
import {
  afterMonths,
  afterMonthsAndHalf,
  dayOf,
  FAR,
  fiscalYearEnd,
  fiscalYearOf,
  fiscalYearReachingAgeFrom,
  fiscalYearStart,
  iso,
  nextDay,
  dOf,
  mOf,
  periodEnd,
  periodEndFrom,
  seasonIn,
  wareki as w,
  yOf,
  ymd,
  ZERO,
} from './days.js';
import type { Catalog } from './loader.js';
import {
  AFTER_BIRTH,
  AGE,
  boundCount,
  catalogPlan,
  cite,
  fixed,
  FY_END_OF_AGE,
  FY_START_OF_AGE,
  GESTATION,
  notInForceTail,
  type BoundPlan,
  type CatalogPlan,
  type CrossPlan,
  type DeemedPlan,
  type DosePlan,
  type IntervalPlan,
  type ProductPlan,
  type ProgramPlan,
  type Reason,
  type SeriesPlan,
  type WindowPlan,
} from './plan.js';
import type { HistoryItem, Person, Program } from './schema.js';

// ------------------------------------------------------------------------------------------ public types

export type Status = 'upcoming' | 'due' | 'complete' | 'missed' | 'not-eligible';

export type { Reason } from './plan.js';

export interface NextDose {
  readonly dose: number;
  readonly earliest: string;
  readonly latest: string;
  readonly standardFrom: string;
  readonly standardUntil: string;
}

export interface ProgramResult {
  readonly program: string;
  readonly name: string;
  readonly category: string;
  readonly status: Status;
  readonly dosesCounted: number;
  readonly nextDose: NextDose | null;
  readonly reasons: readonly Reason[];
}

export interface EvaluateResult {
  readonly asOf: string;
  readonly catalogVersion: string;
  readonly results: readonly ProgramResult[];
}

export interface CheckProblem {
  readonly code: string;
  readonly message: string;
  readonly rule?: string;
  readonly source?: string;
}

export interface ProgramCheck {
  readonly program: string;
  readonly dose: number | null;
  readonly allowed: boolean;
  readonly problems: readonly CheckProblem[];
}

export interface CheckResult {
  readonly allowed: boolean;
  readonly program: string | null;
  readonly dose: number | null;
  readonly problems: readonly CheckProblem[];
  /** Non-blocking remarks (e.g. outside the standard period). */
  readonly notes: readonly CheckProblem[];
  /** Other programs the same dose would also count toward (combination vaccines) or could belong to. */
  readonly others: readonly ProgramCheck[];
}

export interface ProposedDose {
  readonly product: string;
  readonly date: string;
  readonly doctorJudgement?: boolean | undefined;
  /** Restrict the check to one program (otherwise the engine picks the program the dose belongs to). */
  readonly program?: string | undefined;
}

// ------------------------------------------------------------------------------------------ internals

const reason = (code: string, message: string, rule: string, source: string): Reason => ({ code, message, rule, source });

interface Cond {
  readonly code: string;
  readonly from: number | undefined;
  readonly until: number | undefined;
  readonly resolvedOn: number | undefined;
  readonly edd: number | undefined;
  readonly programs: readonly string[] | undefined;
}

interface Dose {
  readonly idx: number;
  readonly product: string;
  readonly date: number;
  readonly doctorJudgement: boolean;
  readonly proposed: boolean;
  readonly prod: ProductPlan | undefined;
}

interface Span {
  readonly from: number;
  readonly until: number;
  readonly w: WindowPlan;
}

interface Ctx {
  readonly cp: CatalogPlan;
  readonly birth: number;
  readonly sex: string;
  readonly conds: readonly Cond[];
  /** Every dose of the person (and the proposed one in a check), by date. */
  readonly all: readonly Dose[];
  /** Cross-vaccine problems of each dose against `all`, computed on first need. */
  cross: Map<Dose, Reason[]> | null;
  /** The doses of `all` by antigen of their product, built on first need. */
  byAntigen: Map<string, Dose[]> | null;
  /** The doses counted by a program another program follows (afterProgram), by program code, on first need. */
  phases: Map<string, Phase> | null;
}

/** What an earlier phase (日本脳炎 第1期 for 第2期) counted in the person's history. */
interface Phase {
  readonly name: string;
  readonly counted: ReadonlySet<Dose>;
  /** The day of its last counted dose (null: none). */
  readonly last: number | null;
  /** Every component's series is complete. */
  readonly complete: boolean;
}

const opt = (s: string | undefined): number | undefined => (s === undefined ? undefined : dayOf(s));

function normConds(person: Person): Cond[] {
  return person.conditions.map((c) =>
    typeof c === 'string'
      ? { code: c, from: undefined, until: undefined, resolvedOn: undefined, edd: undefined, programs: undefined }
      : { code: c.code, from: opt(c.from), until: opt(c.until), resolvedOn: opt(c.resolvedOn), edd: opt(c.expectedDeliveryDate), programs: c.programs },
  );
}

function toDoses(cp: CatalogPlan, history: readonly HistoryItem[]): Dose[] {
  const out: Dose[] = [];
  for (let idx = 0; idx < history.length; idx++) {
    const h = history[idx]!;
    out.push({ idx, product: h.product, date: dayOf(h.date), doctorJudgement: h.doctorJudgement ?? false, proposed: false, prod: cp.products.get(h.product) });
  }
  if (out.length > 1) out.sort((a, b) => a.date - b.date || a.idx - b.idx);
  return out;
}

function makeCtx(cp: CatalogPlan, person: Person, all: readonly Dose[]): Ctx {
  return { cp, birth: dayOf(person.birthDate), sex: person.sex, conds: normConds(person), all, cross: null, byAntigen: null, phases: null };
}

// The birth date last asked about, as y-m-d, and its bounds by bound id (a person's programs share most).
let memoBirth = NaN;
let memoY = 0;
let memoM = 0;
let memoD = 0;
let memoStamp = 0;
let memoValue = new Float64Array(64);
let memoAt = new Int32Array(64);

function computeBound(b: BoundPlan, birth: number): number {
  switch (b.kind) {
    case AGE:
      return periodEndFrom(memoY, memoM, memoD, b.n);
    case AFTER_BIRTH:
      return birth + b.n;
    case FY_START_OF_AGE:
      return fiscalYearStart(fiscalYearReachingAgeFrom(memoY, memoM, memoD, b.n));
    case FY_END_OF_AGE:
      return fiscalYearEnd(fiscalYearReachingAgeFrom(memoY, memoM, memoD, b.n));
    default:
      return b.n;
  }
}

/** The day a bound falls on for a person born on `birth` (null: a gestation bound without a due date). */
function resolveBound(b: BoundPlan, birth: number, edd?: number): number | null {
  if (b.kind === GESTATION) return edd !== undefined ? edd + b.n : null;
  if (birth !== memoBirth) {
    const p = ymd(birth);
    memoBirth = birth;
    memoY = yOf(p);
    memoM = mOf(p);
    memoD = dOf(p);
    memoStamp++;
  }
  if (b.id >= memoAt.length) {
    const n = Math.max(boundCount(), b.id + 1) * 2;
    const v = new Float64Array(n);
    const a = new Int32Array(n);
    v.set(memoValue);
    a.set(memoAt);
    memoValue = v;
    memoAt = a;
  }
  if (memoAt[b.id] === memoStamp) return memoValue[b.id]!;
  const x = computeBound(b, birth);
  memoValue[b.id] = x;
  memoAt[b.id] = memoStamp;
  return x;
}

/** A bound that the catalog guarantees resolvable (not a gestation bound); NaN compares false like the old null did. */
const rb = (b: BoundPlan, birth: number): number => resolveBound(b, birth) ?? NaN;

function intervalEarliest(ref: number, i: IntervalPlan, doctor: boolean): number {
  if (i.days !== undefined) return ref + (doctor && i.doctorDays !== undefined ? i.doctorDays : i.days) + 1;
  return i.half ? afterMonthsAndHalf(ref, i.months) : afterMonths(ref, i.months);
}

/** The entry (rule version) of a program in force on `date`; falls back to the latest one started before it. */
export function programVersionAt(catalog: Catalog, code: string, date: string): Program | undefined {
  const list = catalog.programsByCode.get(code) ?? [];
  return list.find((p) => p.effectiveFrom <= date && (!p.effectiveUntil || date <= p.effectiveUntil));
}

function latestVersionBefore(catalog: Catalog, code: string, date: string): Program | undefined {
  const list = catalog.programsByCode.get(code) ?? [];
  return [...list].reverse().find((p) => p.effectiveFrom <= date);
}

function productAccepted(pp: ProgramPlan, product: string, date: number): boolean {
  for (const x of pp.products) if (x.code === product && (x.from === null || x.from <= date) && (x.until === null || date <= x.until)) return true;
  return false;
}

// ------------------------------------------------------------------------------------------ windows

function dropSex(win: WindowPlan): Reason {
  return (win.drops.sex ??= fixed('NOT_ELIGIBLE_SEX', `「${win.label}」は${win.sex === 'female' ? '女性' : '男性'}が対象です`, win.rule, win.cite));
}

function dropBirth(win: WindowPlan): Reason {
  const b = win.def.birth!;
  return (win.drops.birth ??= fixed('NOT_ELIGIBLE_BIRTH', `「${win.label}」は生年月日${b.from ? `${formatWareki(b.from)}から` : ''}${b.until ? `${formatWareki(b.until)}まで` : ''}の者が対象です`, win.rule, win.cite));
}

function dropPrior(win: WindowPlan): Reason {
  const r = win.requiresPriorDose!;
  return (win.drops.prior ??= fixed('NOT_ELIGIBLE_PRIOR_DOSE', `「${win.label}」は${w(r.from)}から${w(r.until)}までに1回以上接種した者が対象です`, win.rule, win.cite));
}

function dropPeriod(pp: ProgramPlan, win: WindowPlan): Reason {
  return (win.drops.period ??= fixed('NOT_ELIGIBLE_PERIOD', `「${win.label}」は事業の実施期間（${w(Math.max(pp.effFrom, win.periodFrom ?? pp.effFrom))}から）と重なりません`, win.rule, win.cite));
}

function dropCondition(win: WindowPlan): Reason {
  return (win.drops.condition ??= fixed('NOT_ELIGIBLE_CONDITION', `「${win.label}」は条件（${win.requiresCondition!.anyOf.join('、')}）に該当する者が対象です`, win.rule, win.cite));
}

interface Spans {
  readonly spans: Span[];
  readonly dropped: Reason[];
}

function makeSpan(ctx: Ctx, pp: ProgramPlan, win: WindowPlan, out: Spans, edd: number | undefined, cFrom: number | undefined, cUntil: number | undefined): void {
  let from = win.from ? resolveBound(win.from, ctx.birth, edd) : ctx.birth;
  let until = win.until ? resolveBound(win.until, ctx.birth, edd) : FAR;
  if (from === null || until === null) return;
  from = Math.max(from, pp.effFrom, win.periodFrom ?? ZERO);
  until = Math.min(until, pp.effUntil, win.periodUntil ?? FAR);
  if (cFrom !== undefined) from = Math.max(from, cFrom);
  if (cUntil !== undefined) until = Math.min(until, cUntil);
  if (from <= until) out.spans.push({ from, until, w: win });
  else if (!win.requiresCondition) out.dropped.push(dropPeriod(pp, win));
}

/** The person's eligibility windows for a program as concrete day spans. */
function personSpans(ctx: Ctx, pp: ProgramPlan): Spans {
  const birth = ctx.birth;
  const out: Spans = { spans: [], dropped: [] };
  for (const win of pp.windows) {
    if (win.sex && win.sex !== ctx.sex) {
      out.dropped.push(dropSex(win));
      continue;
    }
    if ((win.birthFrom !== null && birth < win.birthFrom) || (win.birthUntil !== null && birth > win.birthUntil)) {
      out.dropped.push(dropBirth(win));
      continue;
    }
    if (win.requiresPriorDose) {
      const { from, until } = win.requiresPriorDose;
      let has = false;
      for (const d of ctx.all) {
        if (!d.proposed && pp.listed.has(d.product) && d.date >= from && d.date <= until) {
          has = true;
          break;
        }
      }
      if (!has) {
        out.dropped.push(dropPrior(win));
        continue;
      }
    }
    const rc = win.requiresCondition;
    if (rc) {
      // A dated condition limits the window (e.g. 障害の認定日から); an antibody test date only qualifies.
      let held = false;
      for (const c of ctx.conds) {
        if (!rc.anyOf.includes(c.code)) continue;
        if (rc.recordedOnOrBefore !== null && !(c.from !== undefined && c.from <= rc.recordedOnOrBefore)) continue;
        held = true;
        makeSpan(ctx, pp, win, out, c.edd, rc.recordedOnOrBefore !== null ? undefined : c.from, c.until);
      }
      if (!held) out.dropped.push(dropCondition(win));
    } else makeSpan(ctx, pp, win, out, undefined, undefined, undefined);
  }
  // 長期療養特例: from the day the special circumstance ended, for `years` (capped by age).
  const lti = pp.lti;
  if (lti) {
    const normal = out.spans.length;
    for (const c of ctx.conds) {
      if (c.code !== 'long-term-illness' || c.resolvedOn === undefined) continue;
      if (c.programs && !c.programs.includes(pp.code)) continue;
      const resolved = c.resolvedOn;
      const illFrom = c.from ?? birth;
      let overlaps = false;
      for (let i = 0; i < normal; i++) {
        const s = out.spans[i]!;
        if (s.from <= resolved && illFrom <= s.until) overlaps = true;
      }
      if (!overlaps) continue;
      let until = periodEnd(resolved, lti.years * 12);
      if (lti.capMonths !== null) until = Math.min(until, periodEnd(birth, lti.capMonths));
      until = Math.min(until, pp.effUntil);
      const from = Math.max(resolved, pp.effFrom);
      if (from <= until) out.spans.push({ from, until, w: lti.window });
    }
  }
  if (out.spans.length > 1) out.spans.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return out;
}

/** Spans usable with a product (product-specific windows such as ロタ 1価/5価). */
function spansFor(spans: readonly Span[], product: string | null): readonly Span[] {
  if (product === null || spans.every((s) => !s.w.products || s.w.products.has(product))) return spans;
  return spans.filter((s) => !s.w.products || s.w.products.has(product));
}

interface Merged {
  from: number;
  until: number;
  span: Span;
}

/** The day after `until` as the old engine compared it: past 9999-12-31 its string sorted below most dates. */
function adjacent(from: number, until: number): boolean {
  const next = nextDay(until);
  return next > FAR ? iso(from) <= iso(next) : from <= next;
}

/** Union of overlapping/adjacent spans. */
function merge(spans: readonly Span[]): Merged[] {
  const out: Merged[] = [];
  const sorted = spans.length > 1 ? [...spans].sort((a, b) => (a.from < b.from ? -1 : 1)) : spans;
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && adjacent(s.from, last.until)) last.until = Math.max(last.until, s.until);
    else out.push({ from: s.from, until: s.until, span: s });
  }
  return out;
}

const NO_REASONS: readonly Reason[] = Object.freeze([]);

function exclusionReasons(ctx: Ctx, pp: ProgramPlan, spans: readonly Span[]): readonly Reason[] {
  if (!pp.exclusions.length) return NO_REASONS;
  const out: Reason[] = [];
  const firstOpen = spans[0]?.from ?? FAR;
  for (const x of pp.exclusions) {
    let hit = false;
    if (x.condition) for (const c of ctx.conds) if (c.code === x.condition) hit = true;
    if (x.priorProducts) {
      let n = 0;
      for (const d of ctx.all) if (!d.proposed && x.priorProducts.includes(d.product) && d.date < firstOpen) n++;
      if (n >= x.minCount) hit = true;
    }
    if (hit) out.push(x.reason);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the walk

interface Slot {
  readonly rule: DosePlan;
  readonly dose: Dose | null; // null = skipped
}

interface Skip {
  readonly rule: DosePlan;
  readonly why: string;
}

interface Verdict {
  readonly dose: Dose;
  readonly counted: boolean;
  readonly position: number | null; // 1-based, null when the series was already complete
  readonly label: string | null;
  readonly problems: Reason[];
  readonly skipped: readonly Skip[];
  readonly seriesId: string | null;
}

interface WalkState {
  series: SeriesPlan | null;
  product: string | null;
  slots: Slot[];
}

const NO_SKIPS: readonly Skip[] = Object.freeze([]);

function complete(st: WalkState): boolean {
  return st.series !== null && st.slots.length >= st.series.doses.length;
}

function lastCounted(slots: readonly Slot[], before = slots.length): Dose | null {
  for (let i = Math.min(before, slots.length) - 1; i >= 0; i--) if (slots[i]!.dose) return slots[i]!.dose;
  return null;
}

function refDose(slots: readonly Slot[], i: IntervalPlan): Dose | null {
  if (i.fromDose === 'previous') return lastCounted(slots);
  const s = slots[i.fromDose - 1];
  if (!s) return null;
  return s.dose ?? lastCounted(slots, i.fromDose - 1);
}

function selectSeries(pp: ProgramPlan, product: string, date: number, birth: number): SeriesPlan | null {
  for (const s of pp.series) {
    if (s.switchOnly) continue;
    if (s.whenProducts && !s.whenProducts.includes(product)) continue;
    if (s.firstDoseFrom && date < rb(s.firstDoseFrom, birth)) continue;
    if (s.firstDoseAfter && date <= rb(s.firstDoseAfter, birth)) continue;
    if (s.firstDoseUntil && date > rb(s.firstDoseUntil, birth)) continue;
    if ((s.birthFrom !== null && birth < s.birthFrom) || (s.birthUntil !== null && birth > s.birthUntil)) continue;
    return s;
  }
  return null;
}

/** The interval that decided the last intervalsEarliest() (read right after the call). */
let limiting: IntervalPlan | null = null;

/** Earliest day allowed by a dose rule's intervals given the slots so far (null: no interval applies). */
function intervalsEarliest(rule: DosePlan, slots: readonly Slot[], doctor: boolean): number | null {
  let skippedBefore = false;
  for (const s of slots) if (s.dose === null) skippedBefore = true;
  const list = skippedBefore && rule.minIntervalsIfSkipped ? rule.minIntervalsIfSkipped : rule.minIntervals;
  let best: number | null = null;
  let lim: IntervalPlan | null = null;
  for (const i of list) {
    const ref = refDose(slots, i);
    if (!ref) continue;
    const e = intervalEarliest(ref.date, i, doctor);
    if (best === null || e > best) {
      best = e;
      lim = i;
    }
  }
  limiting = lim;
  return best;
}

/** Positions to skip before giving the next dose on `date`. */
function skipsBefore(series: SeriesPlan, slots: readonly Slot[], date: number, birth: number): readonly Skip[] {
  let out: Skip[] | null = null;
  const prev = lastCounted(slots);
  for (let idx = slots.length; idx < series.doses.length; idx++) {
    const rule = series.doses[idx]!;
    if (!rule.skippable) break;
    const notAfter = rule.notAfter ? resolveBound(rule.notAfter, birth) : null;
    const prevLimit = rule.skipIfPreviousAfter ? resolveBound(rule.skipIfPreviousAfter, birth) : null;
    if (notAfter !== null && date > notAfter) (out ??= []).push({ rule, why: `${rule.label}は${w(notAfter)}までに行うこととされ、それを過ぎたため行いません` });
    else if (prevLimit !== null && prev && prev.date > prevLimit) (out ??= []).push({ rule, why: `前回の接種が${w(prevLimit)}より後のため${rule.label}は行いません` });
    else break;
  }
  return out ?? NO_SKIPS;
}

/** The index of the first dose on or after `day` in date-ordered doses. */
function firstOnOrAfter(all: readonly Dose[], day: number): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid]!.date < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The cross-vaccine problems of dose `d` against every other dose of the person (once per dose). */
function crossProblems(ctx: Ctx, d: Dose): Reason[] {
  const memo = (ctx.cross ??= new Map());
  let out = memo.get(d);
  if (out) return out;
  out = [];
  const later = d.prod;
  if (later) {
    for (const rule of ctx.cp.cross) {
      if (rule.from !== null && d.date < rule.from) continue;
      if (rule.until !== null && d.date > rule.until) continue;
      if (!rule.later(later)) continue;
      // Only doses before d's date and within the rule's days can conflict; `all` is in date order.
      const all = ctx.all;
      for (let i = firstOnOrAfter(all, d.date - rule.minDays); i < all.length; i++) {
        const h = all[i]!;
        if (h.date >= d.date) break;
        if (h === d || h.product === d.product) continue;
        const earlier = h.prod;
        if (!earlier || !rule.earlier(earlier)) continue;
        const allowed = h.date + rule.minDays + 1;
        if (d.date < allowed) out.push(reason(rule.code, `${w(h.date)}に${earlier.name}を接種しているため、${w(allowed)}以降でなければ接種できません（${rule.label}）`, rule.rule, rule.cite));
      }
    }
  }
  memo.set(d, out);
  return out;
}

function notEligibleDropped(r: Reason): Reason {
  let x = droppedAsProblem.get(r);
  if (!x) {
    x = fixed('NOT_ELIGIBLE', `対象外：${r.message}`, r.rule, r.source);
    droppedAsProblem.set(r, x);
  }
  return x;
}
const droppedAsProblem = new WeakMap<Reason, Reason>();

/** The rule by which an earlier dose is deemed a routine dose (経過措置), if any. */
function deemedBy(pp: ProgramPlan, d: Dose, birth: number): DeemedPlan | null {
  for (const x of pp.deemed) {
    if (d.date >= x.before) continue;
    if ((x.birthFrom !== null && birth < x.birthFrom) || (x.birthUntil !== null && birth > x.birthUntil)) continue;
    if (x.products ? !x.products.includes(d.product) : !pp.listed.has(d.product)) continue;
    if (x.from && d.date < rb(x.from, birth)) continue;
    if (x.until && d.date > rb(x.until, birth)) continue;
    return x;
  }
  return null;
}

/** The earliest day of a program's first dose after an earlier phase (afterProgram), and why. */
interface Floor {
  readonly day: number;
  readonly reason: Reason;
  /** The earlier phase is incomplete: no dose counts yet (whatever its date). */
  readonly blocksAll: boolean;
}

/** What the program `code` (the earlier phase) counts in the person's history; memoised per person. */
function phaseOf(ctx: Ctx, code: string, date: string): Phase | null {
  const memo = (ctx.phases ??= new Map());
  const hit = memo.get(code);
  if (hit) return hit;
  const catalog = ctx.cp.catalog;
  const p = programVersionAt(catalog, code, date) ?? latestVersionBefore(catalog, code, date) ?? catalog.programsByCode.get(code)?.[0];
  if (!p) return null;
  const op = ctx.cp.plan(p);
  const counted = new Set<Dose>();
  let last: number | null = null;
  let any = false;
  let done = true;
  for (const d of ctx.all) if (op.listed.has(d.product)) any = true;
  if (!any) done = false;
  else {
    const { spans, dropped } = personSpans(ctx, op);
    const excluded = exclusionReasons(ctx, op, spans);
    for (const antigen of op.antigens) {
      const { verdicts, state } = walk(ctx, op, spans, dosesFor(ctx, op, antigen), excluded, dropped);
      if (!complete(state)) done = false;
      for (const v of verdicts) {
        if (!v.counted) continue;
        counted.add(v.dose);
        if (last === null || v.dose.date > last) last = v.dose.date;
      }
    }
  }
  const out: Phase = { name: op.name, counted, last, complete: done };
  memo.set(code, out);
  return out;
}

/** The doses of an afterProgram program (without those the earlier phase counts) and its first dose's floor. */
function afterPhase(ctx: Ctx, pp: ProgramPlan, date: string): { phase: Phase | null; floor: Floor | null } {
  const a = pp.after;
  if (!a) return { phase: null, floor: null };
  const phase = phaseOf(ctx, a.program, date);
  if (!phase) return { phase, floor: null };
  const rule = `${pp.code}/afterProgram`;
  // 特例: 第1期を終えてから第2期 — while the earlier phase is incomplete, no dose of this program counts.
  if (a.completeFrom !== null && !phase.complete && ctx.birth >= a.completeFrom && ctx.birth <= a.completeUntil!) {
    return { phase, floor: { day: phase.last === null ? ZERO : phase.last + a.minDays + 1, reason: reason('PRIOR_PHASE_INCOMPLETE', `「${phase.name}」を終えてから接種します`, rule, a.cite), blocksAll: true } };
  }
  if (phase.last === null) return { phase, floor: null };
  const day = phase.last + a.minDays + 1;
  return { phase, floor: { day, reason: reason('INTERVAL_TOO_SHORT', `「${phase.name}」の最後の接種（${w(phase.last)}）から${a.minDays}日以上の間隔が必要です（${w(day)}以降）`, rule, a.cite), blocksAll: false } };
}

/** Remarks that do not stop a dose from counting. */
const nonBlocking = (r: Reason): boolean => r.code === 'SERIES_CHANGED' || r.code === 'DEEMED_ROUTINE';

/**
 * Walks one antigen's doses through the program's series, deciding which count.  `floor`: the first dose may
 * not come before this day (the earlier phase's last dose + its interval, afterProgram).
 */
function walk(ctx: Ctx, pp: ProgramPlan, spans: readonly Span[], doses: readonly Dose[], excluded: readonly Reason[], dropped: readonly Reason[], floor: Floor | null = null): { verdicts: Verdict[]; state: WalkState } {
  const birth = ctx.birth;
  const st: WalkState = { series: null, product: null, slots: [] };
  const verdicts: Verdict[] = [];
  for (const d of doses) {
    const problems: Reason[] = [];
    const date = d.date;
    const prodName = d.prod?.name ?? d.product;
    // 経過措置: an earlier dose deemed a routine dose is judged by the deeming rule, not the windows.
    const deemed = pp.deemed.length && !d.proposed && date >= birth ? deemedBy(pp, d, birth) : null;
    if (date < birth) problems.push(pp.dateBeforeBirth);
    if (deemed) problems.push(deemed.reason);
    else if (date < pp.effFrom || (pp.effUntilSet && date > pp.effUntil)) problems.push(reason('PROGRAM_NOT_IN_FORCE', `${w(date)}${notInForceTail(pp)}`, pp.r.effective, pp.cite0));
    if (!deemed && !productAccepted(pp, d.product, date)) {
      const x = pp.products.find((y) => y.code === d.product);
      problems.push(
        reason(
          'PRODUCT_MISMATCH',
          x ? `${prodName}は${w(date)}には「${pp.name}」に使用できません（${x.from !== null ? `${w(x.from)}から` : ''}${x.until !== null ? `${w(x.until)}まで` : ''}）` : `${prodName}は「${pp.name}」に使用するワクチンではありません`,
          pp.r.products,
          pp.cite0,
        ),
      );
    }
    for (const x of excluded) problems.push(x);
    // Eligibility window
    const usable = spansFor(spans, st.product ?? d.product);
    let inSpan = deemed !== null;
    for (const s of usable) if (s.from <= date && date <= s.until) inSpan = true;
    if (!inSpan) {
      if (!usable.length) {
        if (dropped.length) for (const r of dropped) problems.push(notEligibleDropped(r));
        else problems.push(pp.notEligible);
      } else {
        const first = usable[0]!;
        let lastUntil = ZERO;
        for (const s of usable) lastUntil = Math.max(lastUntil, s.until);
        const last = usable.find((s) => s.until === lastUntil)!;
        if (date < first.from) problems.push(reason('TOO_YOUNG', `${w(date)}はまだ対象期間前です（「${first.w.label}」は${w(first.from)}から）`, first.w.rule, first.w.cite));
        else if (date > lastUntil) problems.push(reason('TOO_OLD', `${w(date)}は対象期間を過ぎています（「${last.w.label}」は${w(last.until)}まで）`, last.w.rule, last.w.cite));
        else {
          const next = usable.find((s) => s.from > date)!;
          problems.push(reason('OUTSIDE_PERIOD', `${w(date)}は対象期間外です（次の対象期間「${next.w.label}」は${w(next.from)}から）`, next.w.rule, next.w.cite));
        }
      }
    }
    if (pp.season && !deemed) {
      const s = seasonIn(fiscalYearOf(date), pp.season.from, pp.season.until);
      if (date < s.from || date > s.until) problems.push(reason('OUTSIDE_SEASON', `${w(date)}は接種期間（${w(s.from)}から${w(s.until)}まで）の外です`, pp.r.season, pp.season.cite));
    }
    // Series position
    let series = st.series;
    let position: number | null = null;
    let label: string | null = null;
    let skips: readonly Skip[] = NO_SKIPS;
    if (complete(st)) {
      problems.push(st.series!.completeReason);
    } else {
      if (lastCounted(st.slots)?.date === date) problems.push(pp.sameDay);
      let switchTo: SeriesPlan | null = null;
      if (!series) {
        series = selectSeries(pp, d.product, date, birth);
        if (!series) problems.push(reason('NOT_ELIGIBLE', `${prodName}で開始できる接種方法がありません`, pp.r.series, pp.cite0));
      } else if (st.product && d.product !== st.product && pp.switchPolicy === 'same') {
        const allowed = pp.switches.find((a) => a.from === st.product && a.to === d.product);
        const startedName = ctx.cp.products.get(st.product)?.name ?? st.product;
        if (!allowed) problems.push(reason('PRODUCT_MISMATCH', `${startedName}で開始した接種は同じワクチンで完了します（${prodName}は使用できません）`, pp.r.productSwitch, pp.switchCite));
        else if (allowed.series) switchTo = allowed.series;
      }
      if (series) {
        const cur = switchTo ?? series;
        skips = skipsBefore(cur, st.slots, date, birth);
        const idx = st.slots.length + skips.length;
        if (idx >= cur.doses.length) {
          problems.push(reason('SERIES_COMPLETE', `「${pp.name}」はこれ以上接種しません（${skips.map((s) => s.why).join('。')}）`, cur.rule, cur.cite));
        } else {
          const rule = cur.doses[idx]!;
          position = idx + 1;
          label = rule.label;
          if (rule.notBefore) {
            const nb = rb(rule.notBefore, birth);
            if (date < nb) problems.push(reason('TOO_YOUNG', `${rule.label}は${w(nb)}以降に行います`, rule.rule, rule.cite));
          }
          if (rule.notAfter) {
            const na = rb(rule.notAfter, birth);
            if (date > na) problems.push(reason('TOO_OLD', `${rule.label}は${w(na)}までに行います`, rule.rule, rule.cite));
          }
          const slotsWithSkips: readonly Slot[] = skips.length ? [...st.slots, ...skips.map((s) => ({ rule: s.rule, dose: null }))] : st.slots;
          const e = intervalsEarliest(rule, slotsWithSkips, d.doctorJudgement);
          const lim = limiting;
          if (floor && idx === 0 && (floor.blocksAll || date < floor.day)) problems.push(floor.reason);
          if (e !== null && date < e) {
            // A fallback series may accept the doses so far (9価HPV: 5月未満 → 3回接種).
            let alt: SeriesPlan | undefined;
            if (cur.alternatives.length) {
              const sofar = [...st.slots.map((s) => s.dose).filter((x): x is Dose => x !== null), d];
              alt = cur.alternatives.find((a) => fits(a, sofar));
            }
            if (alt) {
              series = alt;
              switchTo = alt;
              label = alt.doses[idx]?.label ?? label;
              problems.push(reason('SERIES_CHANGED', `${rule.label}が${lim!.text}を満たさないため「${alt.label}」に切り替えます`, alt.rule, alt.cite));
            } else {
              problems.push(reason('INTERVAL_TOO_SHORT', `${rule.label}は${lim!.text}の間隔が必要です（${w(e)}以降）`, rule.rule, rule.cite));
            }
          }
        }
        if (switchTo) series = switchTo;
      }
    }
    const cross = crossProblems(ctx, d);
    for (const r of cross) problems.push(r);
    let blocking = problems;
    for (const r of problems) {
      if (nonBlocking(r)) {
        blocking = problems.filter((x) => !nonBlocking(x));
        break;
      }
    }
    const counted = blocking.length === 0 && series !== null && position !== null;
    if (counted) {
      st.series = series;
      st.product = d.product;
      for (const s of skips) st.slots.push({ rule: s.rule, dose: null });
      st.slots.push({ rule: series!.doses[position! - 1]!, dose: d });
    }
    verdicts.push({ dose: d, counted, position, label, problems: counted ? problems : blocking, skipped: counted ? skips : NO_SKIPS, seriesId: series?.id ?? null });
  }
  return { verdicts, state: st };
}

/** Whether a series accepts these doses in order, by its intervals alone. */
function fits(s: SeriesPlan, doses: readonly Dose[]): boolean {
  if (doses.length > s.doses.length) return false;
  const slots: Slot[] = [];
  for (let i = 0; i < doses.length; i++) {
    const rule = s.doses[i]!;
    const e = intervalsEarliest(rule, slots, doses[i]!.doctorJudgement);
    if (e !== null && doses[i]!.date < e) return false;
    slots.push({ rule, dose: doses[i]! });
  }
  return true;
}

// ------------------------------------------------------------------------------------------ instances

interface Instance {
  readonly from: number;
  readonly until: number;
  readonly spans: readonly Span[];
  readonly label: string;
}

/**
 * The span sets the series runs within: everything, or one per fiscal-year season, or one per window.
 * With `stopAt`, fiscal-year instances stop after the first one with a span reaching that day (the
 * evaluation's current instance: what comes after it is never used).
 */
function instances(pp: ProgramPlan, spans: readonly Span[], around: number, stopAt?: number): Instance[] {
  if (!pp.resetPer) return [{ from: ZERO, until: FAR, spans, label: '' }];
  if (pp.resetPer === 'window') {
    return merge(spans).map((m) => ({ from: m.from, until: m.until, spans: spans.filter((s) => s.from <= m.until && s.until >= m.from), label: m.span.w.label }));
  }
  const out: Instance[] = [];
  if (!spans.length) return out;
  // Only the fiscal years that matter: around the date, and where each span begins or ends.
  const fy0 = fiscalYearOf(around);
  const years: number[] = [fy0 - 1, fy0, fy0 + 1];
  for (const s of spans) {
    const a = fiscalYearOf(s.from);
    const b = s.until === FAR ? a + 1 : fiscalYearOf(s.until);
    for (const y of [a - 1, a, a + 1, b - 1, b]) if (y >= fy0 - 1 && !years.includes(y)) years.push(y);
  }
  years.sort((x, y) => x - y);
  let minFrom = FAR;
  let maxUntil = ZERO;
  for (const s of spans) {
    if (s.from < minFrom) minFrom = s.from;
    if (s.until > maxUntil) maxUntil = s.until;
  }
  for (const fy of years) {
    // A season lies within its fiscal year: a year outside every span cuts nothing.
    if (fiscalYearEnd(fy) < minFrom || fiscalYearStart(fy) > maxUntil) continue;
    const season = pp.season ? seasonIn(fy, pp.season.from, pp.season.until) : { from: fiscalYearStart(fy), until: fiscalYearEnd(fy) };
    const cut: Span[] = [];
    for (const s of spans) {
      const from = Math.max(s.from, season.from);
      const until = Math.min(s.until, season.until);
      if (from <= until) cut.push({ from, until, w: s.w });
    }
    if (!cut.length) continue;
    out.push({ from: fiscalYearStart(fy), until: fiscalYearEnd(fy), spans: cut, label: `${fy}年度` });
    if (stopAt !== undefined && cut.some((c) => c.until >= stopAt)) break;
  }
  return out;
}

// ------------------------------------------------------------------------------------------ evaluate

function dosesFor(ctx: Ctx, pp: ProgramPlan, antigen: string, within?: { from: number; until: number }): Dose[] {
  let index = ctx.byAntigen;
  if (!index) {
    index = new Map();
    for (const d of ctx.all) {
      if (!d.prod) continue;
      for (const a of d.prod.antigens) {
        const list = index.get(a);
        if (list) list.push(d);
        else index.set(a, [d]);
      }
    }
    ctx.byAntigen = index;
  }
  const list = index.get(antigen);
  if (!list) return [];
  const out: Dose[] = [];
  for (const d of list) {
    if (!pp.listed.has(d.product)) continue;
    if (!within || (d.date >= within.from && d.date <= within.until)) out.push(d);
  }
  return out;
}

const resolveStandard = (b: BoundPlan | null, birth: number): number | null => (b ? resolveBound(b, birth) : null);

interface Next {
  readonly status: Status;
  readonly next: NextDose | null;
  readonly reasons: Reason[];
}

const NO_RULES: readonly CrossPlan[] = Object.freeze([]);

/** The cross-vaccine rules in force on `asOf` that every candidate product of the next dose falls under. */
function crossRulesFor(cp: CatalogPlan, rules: readonly CrossPlan[], candidates: readonly string[], asOf: number): readonly CrossPlan[] {
  let out: CrossPlan[] | null = null;
  let lives: ProductPlan[] | null = null;
  for (const r of rules) {
    if ((r.from !== null && asOf < r.from) || (r.until !== null && asOf > r.until)) continue;
    if (!lives) {
      lives = [];
      for (const c of candidates) {
        const x = cp.products.get(c);
        if (x !== undefined) lives.push(x);
      }
    }
    if (lives.length && lives.every(r.later)) (out ??= []).push(r);
  }
  return out ?? NO_RULES;
}

/** The candidates of a program's next dose when no product is set yet: its products accepted on `asOf`, and their rules (memoised per program for the last day asked). */
function openCandidates(cp: CatalogPlan, pp: ProgramPlan, asOf: number): { prods: readonly string[]; rules: readonly CrossPlan[] } {
  const m = pp.crossMemo;
  if (m && m.asOf === asOf && m.cp === cp) return m;
  const prods = pp.products.filter((x) => (x.from === null || x.from <= asOf) && (x.until === null || asOf <= x.until)).map((x) => x.code);
  const memo = { cp, asOf, prods, rules: crossRulesFor(cp, cp.cross, prods, asOf) };
  pp.crossMemo = memo;
  return memo;
}

function nextDose(ctx: Ctx, pp: ProgramPlan, inst: Instance, st: WalkState, asOf: number, floor: Floor | null = null): Next {
  const birth = ctx.birth;
  const reasons: Reason[] = [];
  if (complete(st)) {
    const s = st.series!;
    return { status: 'complete', next: null, reasons: [pp.resetPer === 'fiscalYear' ? reason('COMPLETE', `${inst.label}の接種は済んでいます`, s.rule, s.cite) : s.doneReason] };
  }
  const usable = spansFor(inst.spans, st.product);
  const merged = merge(usable);
  if (!merged.length) return { status: 'not-eligible', next: null, reasons };
  let idx = st.slots.length;
  let slots: Slot[] = st.slots;
  const series = st.series;
  let earliest: number | null;
  let latest: number | null;
  let stdFrom: number | null = null;
  let stdUntil: number | null = null;
  let rule: DosePlan | null;
  let candidates: readonly string[];
  let crossRules: readonly CrossPlan[];
  if (st.product) {
    candidates = [st.product];
    crossRules = crossRulesFor(ctx.cp, ctx.cp.cross, candidates, asOf);
  } else {
    const open = openCandidates(ctx.cp, pp, asOf);
    candidates = open.prods;
    crossRules = open.rules;
  }
  for (;;) {
    rule = series ? (series.doses[idx] ?? null) : null;
    if (series && !rule) return { status: 'complete', next: null, reasons: [series.noMoreReason] };
    let e0 = floor && idx === 0 ? floor.day : ZERO;
    let cap = FAR;
    if (rule) {
      const e = intervalsEarliest(rule, slots, false);
      if (e !== null) e0 = Math.max(e0, e);
      if (rule.notBefore) e0 = Math.max(e0, rb(rule.notBefore, birth));
      if (rule.notAfter) cap = rb(rule.notAfter, birth);
    }
    // 注射生ワクチン: the program's next dose waits for the cross-vaccine interval too.
    for (const r of crossRules) {
      for (const h of ctx.all) {
        const hp = h.prod;
        if (!hp || candidates.includes(h.product)) continue;
        if (!r.earlier(hp)) continue;
        const after = h.date + r.minDays + 1;
        if (after > e0 && h.date <= asOf) {
          e0 = after;
          reasons.push(reason(r.code, `${w(h.date)}の${hp.name}から${r.minDays}日以上の間隔が必要なため${w(after)}以降です`, r.rule, r.cite));
        }
      }
    }
    const target = Math.max(e0, asOf);
    const m = merged.find((x) => x.until >= target && x.until >= e0);
    if (m) {
      earliest = Math.max(e0, m.from);
      latest = Math.min(m.until, cap);
    } else {
      earliest = null;
      latest = null;
    }
    const infeasible = earliest === null || latest === null || latest < earliest || latest < asOf;
    if (rule && rule.skippable && (infeasible || (rule.skipIfPreviousAfter && (lastCounted(slots)?.date ?? -Infinity) > rb(rule.skipIfPreviousAfter, birth)))) {
      reasons.push(reason('DOSE_SKIPPED', `${rule.label}は行いません（期限${rule.notAfter ? `：${w(rb(rule.notAfter, birth))}` : ''}を過ぎたか、前回の接種時期による）`, rule.rule, rule.cite));
      if (slots === st.slots) slots = [...st.slots];
      slots.push({ rule, dose: null });
      idx++;
      continue;
    }
    if (infeasible) {
      const lastSpan = merged[merged.length - 1]!;
      const lastEnd = lastSpan.until;
      const msg = asOf > lastEnd ? `対象期間（${w(lastEnd)}まで）を過ぎました` : `次の接種（${rule?.label ?? '1回目'}）を対象期間内に行うことができません`;
      reasons.push(reason('MISSED', msg, pp.r.window, lastSpan.span.w.cite));
      return { status: 'missed', next: null, reasons };
    }
    // Standard period (標準的な接種期間)
    if (rule) {
      const sd = rule.standard;
      const ref = (i: IntervalPlan | null | undefined): number | null => {
        if (!i) return null;
        const r = refDose(slots, i);
        return r ? intervalEarliest(r.date, i, false) : null;
      };
      stdFrom = ref(sd?.fromInterval) ?? resolveStandard(sd?.from ?? null, birth);
      stdUntil = ref(sd?.untilInterval) ?? resolveStandard(sd?.until ?? null, birth);
    }
    if (idx === 0 && pp.hasStandard) {
      stdFrom = stdFrom ?? resolveStandard(pp.standardFrom, birth);
      stdUntil = stdUntil ?? resolveStandard(pp.standardUntil, birth);
    }
    break;
  }
  const e = earliest!;
  const l = latest!;
  let sFrom = stdFrom !== null ? Math.max(stdFrom, e) : e;
  let sUntil = stdUntil !== null ? Math.min(stdUntil, l) : l;
  if (sFrom > sUntil) {
    reasons.push(reason('STANDARD_PERIOD_PASSED', `標準的な接種期間（${stdFrom !== null ? w(stdFrom) : ''}〜${stdUntil !== null ? w(stdUntil) : ''}）には間に合いませんが、対象期間内は接種できます`, pp.r.standard, series ? series.cite : pp.cite0));
    sFrom = e;
    sUntil = l;
  }
  const doseNo = idx + 1;
  const label = rule?.label ?? '1回目';
  const status: Status = asOf < e ? 'upcoming' : 'due';
  const ruleId = series ? rule!.rule : pp.r.window;
  const src = series ? series.cite : merged[0]!.span.w.cite;
  reasons.push(status === 'due' ? reason('DUE', `${label}を${w(e)}から${w(l)}までに接種できます`, ruleId, src) : reason('UPCOMING', `${label}は${w(e)}から接種できます（${w(l)}まで）`, ruleId, src));
  return { status, next: { dose: doseNo, earliest: iso(e), latest: iso(l), standardFrom: iso(sFrom), standardUntil: iso(sUntil) }, reasons };
}

function verdictReasons(pp: ProgramPlan, v: Verdict, out: Reason[]): void {
  const prodName = v.dose.prod?.name ?? v.dose.product;
  const series = v.seriesId === null ? undefined : pp.seriesById.get(v.seriesId);
  for (const s of v.skipped) out.push(reason('DOSE_SKIPPED', s.why, series ? series.rule : `${pp.code}/series/${v.seriesId}`, s.rule.skipCite));
  if (v.counted) {
    const rule = series && v.position !== null ? series.doses[v.position - 1]?.rule : undefined;
    out.push(reason('DOSE_COUNTED', `${w(v.dose.date)}の${prodName}を${v.label}として数えました`, rule ?? `${pp.code}/series/${v.seriesId}/dose-${v.position}`, series ? series.cite : ''));
    for (const r of v.problems) out.push(r); // SERIES_CHANGED, DEEMED_ROUTINE
  } else if (v.problems.length) {
    const head = `${w(v.dose.date)}の${prodName}は定期接種として数えません：`;
    for (const r of v.problems) out.push(reason(r.code, head + r.message, r.rule, r.source));
  }
}

/** Keeps the first reason of each code and message. */
function dedupe(rs: Reason[]): Reason[] {
  if (rs.length < 2) return rs;
  if (rs.length <= 16) {
    const out: Reason[] = [];
    for (const r of rs) {
      let seen = false;
      for (const o of out) {
        if (o.code === r.code && o.message === r.message) {
          seen = true;
          break;
        }
      }
      if (!seen) out.push(r);
    }
    return out;
  }
  const seen = new Set<string>();
  return rs.filter((r) => {
    const k = `${r.code}\u0000${r.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

interface Track {
  readonly doses: readonly Dose[];
  readonly verdicts: Verdict[];
  readonly next: Next;
  readonly counted: number;
  /** Same doses as an earlier component: same verdicts and reasons (reported once). */
  readonly repeat: boolean;
}

function sameDoses(a: readonly Dose[], b: readonly Dose[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_PHASE: { phase: Phase | null; floor: Floor | null } = Object.freeze({ phase: null, floor: null });

function evaluateProgram(ctx: Ctx, pp: ProgramPlan, asOf: number): ProgramResult {
  const { spans, dropped } = personSpans(ctx, pp);
  const excluded = exclusionReasons(ctx, pp, spans);
  if (excluded.length) return { program: pp.code, name: pp.name, category: pp.category, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons: excluded };
  if (!spans.length) return { program: pp.code, name: pp.name, category: pp.category, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons: dropped.length ? dropped : [pp.notEligible] };
  const insts = pp.resetPer ? instances(pp, spans, asOf, asOf) : [{ from: ZERO, until: FAR, spans, label: '' }];
  if (!insts.length) return { program: pp.code, name: pp.name, category: pp.category, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons: [pp.noWindow] };
  const current = insts.find((i) => i.spans.some((s) => s.until >= asOf)) ?? insts[insts.length - 1]!;
  const reasons: Reason[] = [];
  if (pp.resetPer === 'fiscalYear' && fiscalYearOf(asOf) < fiscalYearOf(current.from)) {
    const prev = insts.find((i) => fiscalYearOf(i.from) === fiscalYearOf(asOf));
    if (prev) reasons.push(reason('SEASON_ENDED', `${prev.label}の接種期間は終わりました。次は${current.label}です`, pp.r.season, pp.season ? pp.season.cite : pp.cite0));
  }
  const tracks: Track[] = [];
  const { phase, floor } = pp.after ? afterPhase(ctx, pp, iso(asOf)) : NO_PHASE;
  for (const antigen of pp.antigens) {
    let doses = dosesFor(ctx, pp, antigen, pp.resetPer ? current : undefined);
    if (phase && phase.counted.size) doses = doses.filter((d) => !phase.counted.has(d));
    const same = tracks.find((t) => sameDoses(t.doses, doses));
    if (same) {
      tracks.push({ ...same, repeat: true });
      continue;
    }
    const { verdicts, state } = walk(ctx, pp, current.spans, doses, excluded, dropped, floor);
    const next = nextDose(ctx, pp, current, state, asOf, floor);
    let counted = 0;
    for (const s of state.slots) if (s.dose) counted++;
    tracks.push({ doses, verdicts, next, counted, repeat: false });
  }
  // The program stands where its least-advanced component stands (成分ごとに数える).
  let lead = tracks[0]!;
  for (const t of tracks) if (t.counted < lead.counted) lead = t;
  for (const t of tracks) if (!t.repeat) for (const v of t.verdicts) verdictReasons(pp, v, reasons);
  for (const r of lead.next.reasons) reasons.push(r);
  let status = lead.next.status;
  if (floor && floor.blocksAll && lead.counted === 0 && (status === 'due' || status === 'upcoming')) {
    reasons.push(floor.reason);
    status = 'upcoming';
  }
  const out = dedupe(reasons);
  if (tracks.length > 1 && tracks.some((t) => t.counted !== lead.counted)) {
    const detail = pp.antigens.map((a, i) => `${a} ${tracks[i]!.counted}回`).join('、');
    out.push(reason('COMPONENTS_UNEVEN', `成分ごとの接種回数が異なります（${detail}）。最も少ない成分で判断します`, pp.r.antigens, pp.cite0));
  }
  return { program: pp.code, name: pp.name, category: pp.category, status, dosesCounted: lead.counted, nextDose: lead.next.next, reasons: out };
}

/** Programs to evaluate by default: every program in force on `asOf`, in catalog order (memoised per day). */
function defaultPrograms(cp: CatalogPlan, asOf: string): readonly ProgramPlan[] {
  let plans = cp.defaults.get(asOf);
  if (!plans) {
    plans = [];
    for (const c of cp.catalog.programCodes) {
      const p = programVersionAt(cp.catalog, c, asOf);
      if (p) plans.push(cp.plan(p));
    }
    if (cp.defaults.size > 1000) cp.defaults.clear();
    cp.defaults.set(asOf, plans);
  }
  return plans;
}

// The last `asOf` parsed (bulk callers evaluate many people on one day).
let lastAsOf = '';
let lastAsOfDay = 0;

/**
 * Evaluates every requested program for a person on `asOf`: status, doses counted, the next dose and the
 * reasons.  Pure: the same inputs always give the same answer.
 */
export function evaluateWith(catalog: Catalog, person: Person, history: readonly HistoryItem[], asOf: string, programs?: readonly string[]): EvaluateResult {
  const cp = catalogPlan(catalog);
  const ctx = makeCtx(cp, person, toDoses(cp, history));
  const day = asOf === lastAsOf ? lastAsOfDay : ((lastAsOfDay = dayOf(asOf)), (lastAsOf = asOf), lastAsOfDay);
  if (!programs || !programs.length) return { asOf, catalogVersion: cp.version, results: defaultPrograms(cp, asOf).map((pp) => evaluateProgram(ctx, pp, day)) };
  const results = programs.map((code): ProgramResult => {
    const p = programVersionAt(catalog, code, asOf) ?? latestVersionBefore(catalog, code, asOf);
    if (!p) {
      const first = catalog.programsByCode.get(code)?.[0];
      if (!first) throw new RangeError(`unknown program ${code}`);
      return {
        program: code,
        name: first.name,
        category: first.category,
        status: 'not-eligible' as const,
        dosesCounted: 0,
        nextDose: null,
        reasons: [reason('PROGRAM_NOT_IN_FORCE', `「${first.name}」は${formatWareki(first.effectiveFrom)}から実施されます`, `${code}/effective`, cite(first.sources[0]))],
      };
    }
    return evaluateProgram(ctx, cp.plan(p), day);
  });
  return { asOf, catalogVersion: cp.version, results };
}

// ------------------------------------------------------------------------------------------ check

const strip = (r: Reason): CheckProblem => ({ code: r.code, message: r.message, rule: r.rule, source: r.source });

function checkProgram(ctx: Ctx, pp: ProgramPlan, proposed: Dose, proposedDate: string): ProgramCheck & { score: number; notes: CheckProblem[] } {
  const { spans, dropped } = personSpans(ctx, pp);
  const excluded = exclusionReasons(ctx, pp, spans);
  const prod = ctx.cp.products.get(proposed.product)!;
  const antigens = pp.antigens.filter((a) => prod.antigens.includes(a));
  const date = proposed.date;
  let insts = instances(pp, spans, date);
  let inst = insts.find((i) => i.from <= date && date <= i.until);
  if (pp.resetPer === 'fiscalYear' && !inst) {
    // Outside every eligible season: still judge against the season of that fiscal year.
    const fy = fiscalYearOf(date);
    insts = [{ from: fiscalYearStart(fy), until: fiscalYearEnd(fy), spans, label: `${fy}年度` }];
    inst = insts[0];
  }
  const within = pp.resetPer === 'window' ? (inst ?? { from: date, until: date, spans, label: '' }) : inst;
  const useSpans = within ? within.spans : spans;
  let dose: number | null = null;
  let allowed = antigens.length > 0;
  const problems: Reason[] = [];
  const notes: CheckProblem[] = [];
  const { phase, floor } = pp.after ? afterPhase(ctx, pp, proposedDate) : NO_PHASE;
  if (phase && phase.counted.has(proposed)) {
    // The earlier phase counts this dose (日本脳炎: a 第1期 dose given at 9歳以上 is not 第2期).
    return { program: pp.code, dose: null, allowed: false, problems: [{ code: 'COUNTED_IN_OTHER_PROGRAM', message: `この接種は「${phase.name}」として数えます`, rule: `${pp.code}/afterProgram`, source: pp.after!.cite }], score: 3, notes };
  }
  for (const antigen of antigens) {
    const own = phase && phase.counted.size ? dosesFor(ctx, pp, antigen, pp.resetPer ? within : undefined).filter((d) => !d.proposed && !phase.counted.has(d)) : dosesFor(ctx, pp, antigen, pp.resetPer ? within : undefined).filter((d) => !d.proposed);
    const doses = [...own, proposed].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.proposed ? 1 : b.proposed ? -1 : a.idx - b.idx));
    const { verdicts } = walk(ctx, pp, useSpans, doses, excluded, dropped, floor);
    const v = verdicts.find((x) => x.dose === proposed)!;
    if (!v.counted) allowed = false;
    problems.push(...v.problems.filter((r) => !nonBlocking(r)));
    if (v.counted) {
      for (const r of v.problems) notes.push(strip(r));
      for (const s of v.skipped) notes.push({ code: 'DOSE_SKIPPED', message: s.why });
    }
    if (v.position !== null) dose = Math.max(dose ?? 0, v.position);
  }
  const uniq = dedupe(problems);
  const codes = new Set(uniq.map((r) => r.code));
  const windowCodes = ['TOO_YOUNG', 'TOO_OLD', 'OUTSIDE_PERIOD', 'OUTSIDE_SEASON', 'PROGRAM_NOT_IN_FORCE'];
  // How well the dose belongs to this program: 0 allowed; 1 within the person's window but another rule
  // fails; 2 outside the window; 4 never eligible.  A completed series ranks a little lower.
  let score = 0;
  if (!allowed) {
    if (codes.has('NOT_ELIGIBLE') || codes.has('DATE_BEFORE_BIRTH')) score = 4;
    // A program not in force on the day fits worse than one in force whose window or season the dose misses
    // (a 2024-05 COVID dose is the B類 program's out-of-season dose, not the ended 特例臨時接種's; decision 0096).
    else if (codes.has('PROGRAM_NOT_IN_FORCE')) score = 3;
    else if (windowCodes.some((c) => codes.has(c))) score = 2;
    else score = 1;
    if (codes.has('SERIES_COMPLETE')) score += 0.5;
  }
  if (allowed && dose !== null) {
    // Remark when outside the standard period (標準的な接種期間).
    const r = evaluateProgram({ ...ctx, all: ctx.all.filter((d) => !d.proposed), cross: null, byAntigen: null, phases: null }, pp, date);
    const nd = r.nextDose;
    if (nd && nd.dose === dose && (proposedDate < nd.standardFrom || proposedDate > nd.standardUntil)) {
      notes.push({ code: 'OUTSIDE_STANDARD_PERIOD', message: `標準的な接種期間（${formatWareki(nd.standardFrom)}〜${formatWareki(nd.standardUntil)}）の外ですが、対象期間内のため接種できます` });
    }
  }
  return { program: pp.code, dose: uniq.some((r) => r.code === 'SERIES_COMPLETE') && dose === null ? null : dose, allowed, problems: uniq.map(strip), score, notes };
}

/**
 * Checks a proposed dose: which program and dose number it would be, and whether it is allowed.  A dose that
 * breaks a rule may still be given and recorded; the problems say why it would not count as routine.
 */
export function checkWith(catalog: Catalog, person: Person, history: readonly HistoryItem[], proposed: ProposedDose): CheckResult {
  const cp = catalogPlan(catalog);
  const base = toDoses(cp, history);
  const pd: Dose = { idx: base.length, product: proposed.product, date: dayOf(proposed.date), doctorJudgement: proposed.doctorJudgement ?? false, proposed: true, prod: cp.products.get(proposed.product) };
  const ctx = makeCtx(cp, person, [...base, pd].sort((a, b) => a.date - b.date || a.idx - b.idx));
  const codes = proposed.program ? [proposed.program] : catalog.programCodes;
  const checks: Array<ReturnType<typeof checkProgram>> = [];
  for (const code of codes) {
    const p = programVersionAt(catalog, code, proposed.date) ?? latestVersionBefore(catalog, code, proposed.date) ?? catalog.programsByCode.get(code)?.[0];
    if (!p) continue;
    const pp = cp.plan(p);
    if (!pp.listed.has(proposed.product)) continue;
    checks.push(checkProgram(ctx, pp, pd, proposed.date));
  }
  if (!checks.length) {
    const name = catalog.productByCode.get(proposed.product)?.name ?? proposed.product;
    const problem = proposed.program
      ? { code: 'PRODUCT_MISMATCH', message: `${name}は「${proposed.program}」に使用するワクチンではありません` }
      : { code: 'NOT_ELIGIBLE', message: `${name}を使用する定期接種・市区町村の事業はありません（任意接種）` };
    return { allowed: false, program: proposed.program ?? null, dose: null, problems: [problem], notes: [], others: [] };
  }
  // Best fit first; among equals, the program covering more of the product's antigens (5種混合 → 第1期).
  const cover = (code: string): number => {
    const p = catalog.programsByCode.get(code)?.[0];
    const prod = catalog.productByCode.get(proposed.product);
    return p && prod ? p.antigens.filter((a) => prod.antigens.includes(a)).length : 0;
  };
  const best = [...checks].sort((a, b) => a.score - b.score || cover(b.program) - cover(a.program))[0]!;
  const others = checks.filter((c) => c !== best && c.score <= 1).map(({ program, dose, allowed, problems }) => ({ program, dose, allowed, problems }));
  return { allowed: best.allowed, program: best.program, dose: best.dose, problems: best.problems, notes: best.notes, others };
}
