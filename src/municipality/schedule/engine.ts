// The schedule engine: catalog + person + history + a date in, decisions out.  PURE — no I/O, no clock,
// no database.  Every decision carries a stable code, a Japanese message, the rule and its source.
import {
  addDays,
  afterDaysInterval,
  afterMonthsAndHalfInterval,
  afterMonthsInterval,
  afterBirthWeeks,
  fiscalYearEnd,
  fiscalYearOf,
  fiscalYearReachingAge,
  fiscalYearStart,
  formatWareki,
  gestationDay,
  maxDate,
  minDate,
  periodEnd,
  seasonInFiscalYear,
} from '../../kernel/jp/index.js';
import type { Catalog } from './loader.js';
import type { Bound, DoseRule, HistoryItem, Interval, Person, Program, SeriesDef, Source } from './schema.js';

// ------------------------------------------------------------------------------------------ public types

export type Status = 'upcoming' | 'due' | 'complete' | 'missed' | 'not-eligible';

export interface Reason {
  readonly code: string;
  readonly message: string;
  /** Which rule decided: program/series/dose or program/window. */
  readonly rule: string;
  /** The citation of that rule. */
  readonly source: string;
}

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

const FAR = '9999-12-31';
const cite = (s: Source | undefined): string => (s ? `${s.title}${s.url ? `（${s.url}）` : s.notice ? `（${s.notice}）` : ''}` : '');
const w = (d: string): string => formatWareki(d);

interface Cond {
  readonly code: string;
  readonly from?: string | undefined;
  readonly until?: string | undefined;
  readonly resolvedOn?: string | undefined;
  readonly expectedDeliveryDate?: string | undefined;
  readonly programs?: readonly string[] | undefined;
}

interface Dose {
  readonly idx: number;
  readonly product: string;
  readonly date: string;
  readonly doctorJudgement: boolean;
  readonly proposed: boolean;
}

interface Span {
  readonly from: string;
  readonly until: string;
  readonly id: string;
  readonly label: string;
  readonly products: readonly string[] | undefined;
  readonly source: Source;
}

interface Ctx {
  readonly catalog: Catalog;
  readonly person: Person;
  readonly conds: readonly Cond[];
  readonly all: readonly Dose[];
}

function normConds(person: Person): Cond[] {
  return person.conditions.map((c) => (typeof c === 'string' ? { code: c } : c));
}

function resolveBound(b: Bound, birth: string, edd?: string): string | null {
  switch (b.kind) {
    case 'age':
      return periodEnd(birth, b.years * 12 + b.months);
    case 'afterBirth':
      return afterBirthWeeks(birth, b.weeks, b.days);
    case 'fiscalYearStartOfAge':
      return fiscalYearStart(fiscalYearReachingAge(birth, b.age));
    case 'fiscalYearEndOfAge':
      return fiscalYearEnd(fiscalYearReachingAge(birth, b.age));
    case 'gestation':
      return edd ? gestationDay(edd, b.weeks, b.days) : null;
    case 'date':
      return b.date;
  }
}

function intervalEarliest(ref: string, i: Interval, doctor: boolean): string {
  if (i.days !== undefined) return afterDaysInterval(ref, doctor && i.doctorDays !== undefined ? i.doctorDays : i.days);
  const m = i.months ?? 0;
  return i.half ? afterMonthsAndHalfInterval(ref, m) : afterMonthsInterval(ref, m);
}

function describeInterval(i: Interval): string {
  const n = i.days !== undefined ? `${i.days}日` : `${i.months}月${i.half ? '半' : ''}`;
  const from = i.fromDose === 'previous' ? '前回' : `${i.fromDose}回目`;
  return `${from}から${n}以上${i.doctorDays !== undefined ? `（医師が必要と認めた場合は${i.doctorDays}日）` : ''}`;
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

function productAccepted(p: Program, product: string, date: string): boolean {
  return p.products.some((x) => x.code === product && (!x.from || x.from <= date) && (!x.until || date <= x.until));
}

function productListed(p: Program, product: string): boolean {
  return p.products.some((x) => x.code === product);
}

interface Spans {
  readonly spans: Span[];
  readonly dropped: Reason[];
}

/** The person's eligibility windows for a program as concrete date spans. */
function personSpans(ctx: Ctx, p: Program): Spans {
  const { person, conds } = ctx;
  const birth = person.birthDate;
  const spans: Span[] = [];
  const dropped: Reason[] = [];
  const drop = (code: string, message: string, wid: string, src: Source): void => {
    dropped.push({ code, message, rule: `${p.code}/window/${wid}`, source: cite(src) });
  };
  const progFrom = p.effectiveFrom;
  const progUntil = p.effectiveUntil ?? FAR;
  for (const win of p.windows) {
    if (win.sex && win.sex !== person.sex) {
      drop('NOT_ELIGIBLE_SEX', `「${win.label}」は${win.sex === 'female' ? '女性' : '男性'}が対象です`, win.id, win.source);
      continue;
    }
    if (win.birth && ((win.birth.from && birth < win.birth.from) || (win.birth.until && birth > win.birth.until))) {
      drop('NOT_ELIGIBLE_BIRTH', `「${win.label}」は生年月日${win.birth.from ? `${w(win.birth.from)}から` : ''}${win.birth.until ? `${w(win.birth.until)}まで` : ''}の者が対象です`, win.id, win.source);
      continue;
    }
    if (win.requiresPriorDose) {
      const { from = '0000-01-01', until = FAR } = win.requiresPriorDose;
      const has = ctx.all.some((d) => !d.proposed && productListed(p, d.product) && d.date >= from && d.date <= until);
      if (!has) {
        drop('NOT_ELIGIBLE_PRIOR_DOSE', `「${win.label}」は${w(from)}から${w(until)}までに1回以上接種した者が対象です`, win.id, win.source);
        continue;
      }
    }
    const make = (edd?: string, cFrom?: string, cUntil?: string): void => {
      let from = win.from ? resolveBound(win.from, birth, edd) : birth;
      let until = win.until ? resolveBound(win.until, birth, edd) : FAR;
      if (from === null || until === null) return;
      from = maxDate(from, maxDate(progFrom, win.period?.from ?? '0000-01-01'));
      until = minDate(until, minDate(progUntil, win.period?.until ?? FAR));
      if (cFrom) from = maxDate(from, cFrom);
      if (cUntil) until = minDate(until, cUntil);
      if (from <= until) spans.push({ from, until, id: win.id, label: win.label, products: win.products, source: win.source });
      else if (!win.requiresCondition) drop('NOT_ELIGIBLE_PERIOD', `「${win.label}」は事業の実施期間（${w(maxDate(progFrom, win.period?.from ?? progFrom))}から）と重なりません`, win.id, win.source);
    };
    if (win.requiresCondition) {
      const rc = win.requiresCondition;
      const held = conds.filter((c) => rc.anyOf.includes(c.code) && (!rc.recordedOnOrBefore || (c.from !== undefined && c.from <= rc.recordedOnOrBefore)));
      if (!held.length) {
        drop('NOT_ELIGIBLE_CONDITION', `「${win.label}」は条件（${rc.anyOf.join('、')}）に該当する者が対象です`, win.id, win.source);
        continue;
      }
      // A dated condition limits the window (e.g. 障害の認定日から); an antibody test date only qualifies.
      for (const c of held) make(c.expectedDeliveryDate, rc.recordedOnOrBefore ? undefined : c.from, c.until);
    } else make();
  }
  // 長期療養特例: from the day the special circumstance ended, for `years` (capped by age).
  if (p.longTermIllness) {
    const lti = p.longTermIllness;
    const normal = [...spans];
    for (const c of conds) {
      if (c.code !== 'long-term-illness' || !c.resolvedOn) continue;
      if (c.programs && !c.programs.includes(p.code)) continue;
      const illFrom = c.from ?? birth;
      if (!normal.some((s) => s.from <= c.resolvedOn! && illFrom <= s.until)) continue;
      let until = periodEnd(c.resolvedOn, lti.years * 12);
      if (lti.capAge) until = minDate(until, periodEnd(birth, lti.capAge.years * 12 + lti.capAge.months));
      until = minDate(until, progUntil);
      const from = maxDate(c.resolvedOn, progFrom);
      if (from <= until) {
        spans.push({ from, until, id: 'long-term-illness', label: `長期療養特例（特別の事情がなくなった日から${lti.years}年${lti.capAge ? `、${lti.capAge.years}歳に至るまで` : ''}）`, products: undefined, source: lti.source });
      }
    }
  }
  spans.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return { spans, dropped };
}

/** Spans usable with a product (product-specific windows such as ロタ 1価/5価). */
function spansFor(spans: readonly Span[], product: string | null): Span[] {
  return spans.filter((s) => !s.products || product === null || s.products.includes(product));
}

/** Union of overlapping/adjacent spans. */
function merge(spans: readonly Span[]): Array<{ from: string; until: string; span: Span }> {
  const out: Array<{ from: string; until: string; span: Span }> = [];
  for (const s of [...spans].sort((a, b) => (a.from < b.from ? -1 : 1))) {
    const last = out[out.length - 1];
    if (last && s.from <= addDays(last.until, 1)) last.until = maxDate(last.until, s.until);
    else out.push({ from: s.from, until: s.until, span: s });
  }
  return out;
}

function exclusionReasons(ctx: Ctx, p: Program, spans: readonly Span[]): Reason[] {
  const out: Reason[] = [];
  const firstOpen = spans[0]?.from ?? FAR;
  for (const x of p.exclusions) {
    let hit = false;
    if (x.condition && ctx.conds.some((c) => c.code === x.condition)) hit = true;
    if (x.priorProducts) {
      const n = ctx.all.filter((d) => !d.proposed && x.priorProducts!.includes(d.product) && d.date < firstOpen).length;
      if (n >= x.minCount) hit = true;
    }
    if (hit) out.push({ code: 'NOT_ELIGIBLE_EXCLUDED', message: `対象外：${x.label}`, rule: `${p.code}/exclusion`, source: cite(x.source) });
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the walk

interface Slot {
  readonly rule: DoseRule;
  readonly dose: Dose | null; // null = skipped
}

interface Verdict {
  readonly dose: Dose;
  readonly counted: boolean;
  readonly position: number | null; // 1-based, null when the series was already complete
  readonly label: string | null;
  readonly problems: Reason[];
  readonly skipped: Array<{ rule: DoseRule; why: string }>;
  readonly seriesId: string | null;
}

interface WalkState {
  series: SeriesDef | null;
  product: string | null;
  slots: Slot[];
}

function complete(st: WalkState): boolean {
  return st.series !== null && st.slots.length >= st.series.doses.length;
}

function lastCounted(slots: readonly Slot[], before = slots.length): Dose | null {
  for (let i = Math.min(before, slots.length) - 1; i >= 0; i--) if (slots[i]!.dose) return slots[i]!.dose;
  return null;
}

function refDose(slots: readonly Slot[], i: Interval): Dose | null {
  if (i.fromDose === 'previous') return lastCounted(slots);
  const s = slots[i.fromDose - 1];
  if (!s) return null;
  return s.dose ?? lastCounted(slots, i.fromDose - 1);
}

function selectSeries(p: Program, product: string, date: string, birth: string): SeriesDef | null {
  for (const s of p.series) {
    if (s.switchOnly) continue;
    const c = s.when;
    if (c.products && !c.products.includes(product)) continue;
    if (c.firstDoseFrom && date < resolveBound(c.firstDoseFrom, birth)!) continue;
    if (c.firstDoseAfter && date <= resolveBound(c.firstDoseAfter, birth)!) continue;
    if (c.firstDoseUntil && date > resolveBound(c.firstDoseUntil, birth)!) continue;
    return s;
  }
  return null;
}

/** Earliest day allowed by a dose rule's intervals given the slots so far. */
function intervalsEarliest(rule: DoseRule, slots: readonly Slot[], doctor: boolean): { date: string | null; limiting: Interval | null } {
  const skippedBefore = slots.some((s) => s.dose === null);
  const list = skippedBefore && rule.minIntervalsIfSkipped ? rule.minIntervalsIfSkipped : rule.minIntervals;
  let best: string | null = null;
  let limiting: Interval | null = null;
  for (const i of list) {
    const ref = refDose(slots, i);
    if (!ref) continue;
    const e = intervalEarliest(ref.date, i, doctor);
    if (best === null || e > best) {
      best = e;
      limiting = i;
    }
  }
  return { date: best, limiting };
}

/** Positions to skip before giving the next dose on `date`. */
function skipsBefore(st: WalkState, date: string, birth: string): Array<{ rule: DoseRule; why: string }> {
  const out: Array<{ rule: DoseRule; why: string }> = [];
  if (!st.series) return out;
  const prev = lastCounted(st.slots);
  for (let idx = st.slots.length; idx < st.series.doses.length; idx++) {
    const rule = st.series.doses[idx]!;
    if (!rule.skippable) break;
    const notAfter = rule.notAfter ? resolveBound(rule.notAfter, birth) : null;
    const prevLimit = rule.skipIfPreviousAfter ? resolveBound(rule.skipIfPreviousAfter, birth) : null;
    if (notAfter && date > notAfter) out.push({ rule, why: `${rule.label}は${w(notAfter)}までに行うこととされ、それを過ぎたため行いません` });
    else if (prevLimit && prev && prev.date > prevLimit) out.push({ rule, why: `前回の接種が${w(prevLimit)}より後のため${rule.label}は行いません` });
    else break;
  }
  return out;
}

function crossProblems(ctx: Ctx, d: Dose): Reason[] {
  const out: Reason[] = [];
  const later = ctx.catalog.productByCode.get(d.product);
  if (!later) return out;
  for (const rule of ctx.catalog.crossIntervals) {
    if (rule.effectiveFrom && d.date < rule.effectiveFrom) continue;
    if (rule.effectiveUntil && d.date > rule.effectiveUntil) continue;
    if (rule.later.live !== undefined && rule.later.live !== later.live) continue;
    if (rule.later.routes && !rule.later.routes.includes(later.route)) continue;
    for (const h of ctx.all) {
      if (h === d || h.date >= d.date || h.product === d.product) continue;
      const earlier = ctx.catalog.productByCode.get(h.product);
      if (!earlier) continue;
      if (rule.earlier.live !== undefined && rule.earlier.live !== earlier.live) continue;
      if (rule.earlier.routes && !rule.earlier.routes.includes(earlier.route)) continue;
      const allowed = afterDaysInterval(h.date, rule.minDays);
      if (d.date < allowed) {
        out.push({
          code: rule.code,
          message: `${w(h.date)}に${earlier.name}を接種しているため、${w(allowed)}以降でなければ接種できません（${rule.label}）`,
          rule: `crossInterval/${rule.id}`,
          source: cite(rule.source),
        });
      }
    }
  }
  return out;
}

/** Walks one antigen's doses through the program's series, deciding which count. */
function walk(ctx: Ctx, p: Program, spans: readonly Span[], doses: readonly Dose[], excluded: readonly Reason[], dropped: readonly Reason[]): { verdicts: Verdict[]; state: WalkState } {
  const birth = ctx.person.birthDate;
  const st: WalkState = { series: null, product: null, slots: [] };
  const verdicts: Verdict[] = [];
  const prog = (suffix: string): string => `${p.code}/${suffix}`;
  for (const d of doses) {
    const problems: Reason[] = [];
    const add = (code: string, message: string, rule: string, src: Source | undefined): void => {
      problems.push({ code, message, rule, source: cite(src) });
    };
    const prodName = ctx.catalog.productByCode.get(d.product)?.name ?? d.product;
    if (d.date < birth) add('DATE_BEFORE_BIRTH', '接種日が生年月日より前です', prog('person'), p.sources[0]);
    if (d.date < p.effectiveFrom || (p.effectiveUntil && d.date > p.effectiveUntil)) {
      add('PROGRAM_NOT_IN_FORCE', `${w(d.date)}は定期接種「${p.name}」の実施期間外です（${w(p.effectiveFrom)}から${p.effectiveUntil ? `${w(p.effectiveUntil)}まで` : ''}）`, prog('effective'), p.sources[0]);
    }
    if (!productAccepted(p, d.product, d.date)) {
      const pp = p.products.find((x) => x.code === d.product);
      add('PRODUCT_MISMATCH', pp ? `${prodName}は${w(d.date)}には「${p.name}」に使用できません（${pp.from ? `${w(pp.from)}から` : ''}${pp.until ? `${w(pp.until)}まで` : ''}）` : `${prodName}は「${p.name}」に使用するワクチンではありません`, prog('products'), p.sources[0]);
    }
    for (const x of excluded) problems.push(x);
    // Eligibility window
    const usable = spansFor(spans, st.product ?? d.product);
    const inSpan = usable.find((s) => s.from <= d.date && d.date <= s.until);
    if (!inSpan) {
      if (!usable.length) {
        if (dropped.length) for (const r of dropped) problems.push({ ...r, code: 'NOT_ELIGIBLE', message: `対象外：${r.message}` });
        else add('NOT_ELIGIBLE', `「${p.name}」の対象者ではありません`, prog('window'), p.sources[0]);
      } else {
        const first = usable[0]!;
        const lastUntil = usable.reduce((m, s) => maxDate(m, s.until), '0000-01-01');
        const last = usable.find((s) => s.until === lastUntil)!;
        if (d.date < first.from) add('TOO_YOUNG', `${w(d.date)}はまだ対象期間前です（「${first.label}」は${w(first.from)}から）`, prog(`window/${first.id}`), first.source);
        else if (d.date > lastUntil) add('TOO_OLD', `${w(d.date)}は対象期間を過ぎています（「${last.label}」は${w(last.until)}まで）`, prog(`window/${last.id}`), last.source);
        else {
          const next = usable.find((s) => s.from > d.date)!;
          add('OUTSIDE_PERIOD', `${w(d.date)}は対象期間外です（次の対象期間「${next.label}」は${w(next.from)}から）`, prog(`window/${next.id}`), next.source);
        }
      }
    }
    if (p.season) {
      const s = seasonInFiscalYear(fiscalYearOf(d.date), p.season.from, p.season.until);
      if (d.date < s.from || d.date > s.until) add('OUTSIDE_SEASON', `${w(d.date)}は接種期間（${w(s.from)}から${w(s.until)}まで）の外です`, prog('season'), p.season.source);
    }
    // Series position
    let series = st.series;
    let position: number | null = null;
    let label: string | null = null;
    let skips: Array<{ rule: DoseRule; why: string }> = [];
    if (complete(st)) {
      add('SERIES_COMPLETE', p.resetPer === 'fiscalYear' ? `今年度の「${p.name}」は接種済みです` : `「${p.name}」は接種を完了しています（${st.series!.label}）`, prog(`series/${st.series!.id}`), st.series!.source);
    } else {
      if (lastCounted(st.slots)?.date === d.date) add('SAME_DAY_DUPLICATE', `同じ日に「${p.name}」を2回数えることはできません`, prog('series'), p.sources[0]);
      let switchTo: SeriesDef | null = null;
      if (!series) {
        series = selectSeries(p, d.product, d.date, birth);
        if (!series) add('NOT_ELIGIBLE', `${prodName}で開始できる接種方法がありません`, prog('series'), p.sources[0]);
      } else if (st.product && d.product !== st.product && p.productSwitch.policy === 'same') {
        const allowed = p.productSwitch.allowed.find((a) => a.from === st.product && a.to === d.product);
        const startedName = ctx.catalog.productByCode.get(st.product)?.name ?? st.product;
        if (!allowed) add('PRODUCT_MISMATCH', `${startedName}で開始した接種は同じワクチンで完了します（${prodName}は使用できません）`, prog('productSwitch'), p.productSwitch.source ?? p.sources[0]);
        else if (allowed.series) switchTo = p.series.find((s) => s.id === allowed.series) ?? null;
      }
      if (series) {
        const trial: WalkState = { series: switchTo ?? series, product: st.product, slots: st.slots };
        skips = skipsBefore(trial, d.date, birth);
        const idx = st.slots.length + skips.length;
        const cur = trial.series!;
        if (idx >= cur.doses.length) {
          add('SERIES_COMPLETE', `「${p.name}」はこれ以上接種しません（${skips.map((s) => s.why).join('。')}）`, prog(`series/${cur.id}`), cur.source);
        } else {
          const rule = cur.doses[idx]!;
          position = idx + 1;
          label = rule.label;
          const src = rule.source ?? cur.source;
          const rid = prog(`series/${cur.id}/dose-${position}`);
          if (rule.notBefore) {
            const nb = resolveBound(rule.notBefore, birth)!;
            if (d.date < nb) add('TOO_YOUNG', `${rule.label}は${w(nb)}以降に行います`, rid, src);
          }
          if (rule.notAfter) {
            const na = resolveBound(rule.notAfter, birth)!;
            if (d.date > na) add('TOO_OLD', `${rule.label}は${w(na)}までに行います`, rid, src);
          }
          const slotsWithSkips: Slot[] = [...st.slots, ...skips.map((s) => ({ rule: s.rule, dose: null }))];
          const e = intervalsEarliest(rule, slotsWithSkips, d.doctorJudgement);
          if (e.date && d.date < e.date) {
            // A fallback series may accept the doses so far (9価HPV: 5月未満 → 3回接種).
            const alt = cur.alternatives.map((id) => p.series.find((s) => s.id === id)!).find((a) => fits(a, [...st.slots.map((s) => s.dose).filter((x): x is Dose => x !== null), d]));
            if (alt) {
              series = alt;
              switchTo = alt;
              label = alt.doses[idx]?.label ?? label;
              add('SERIES_CHANGED', `${rule.label}が${describeInterval(e.limiting!)}を満たさないため「${alt.label}」に切り替えます`, prog(`series/${alt.id}`), alt.source);
            } else {
              add('INTERVAL_TOO_SHORT', `${rule.label}は${describeInterval(e.limiting!)}の間隔が必要です（${w(e.date)}以降）`, rid, src);
            }
          }
        }
        if (switchTo) series = switchTo;
      }
    }
    problems.push(...crossProblems(ctx, d));
    const blocking = problems.filter((r) => r.code !== 'SERIES_CHANGED');
    const counted = blocking.length === 0 && series !== null && position !== null;
    if (counted) {
      st.series = series;
      st.product = d.product;
      for (const s of skips) st.slots.push({ rule: s.rule, dose: null });
      st.slots.push({ rule: series!.doses[position! - 1]!, dose: d });
    }
    verdicts.push({ dose: d, counted, position, label, problems: counted ? problems : blocking, skipped: counted ? skips : [], seriesId: series?.id ?? null });
  }
  return { verdicts, state: st };
}

/** Whether a series accepts these doses in order, by its intervals alone. */
function fits(s: SeriesDef, doses: readonly Dose[]): boolean {
  if (doses.length > s.doses.length) return false;
  const slots: Slot[] = [];
  for (let i = 0; i < doses.length; i++) {
    const rule = s.doses[i]!;
    const e = intervalsEarliest(rule, slots, doses[i]!.doctorJudgement);
    if (e.date && doses[i]!.date < e.date) return false;
    slots.push({ rule, dose: doses[i]! });
  }
  return true;
}

// ------------------------------------------------------------------------------------------ instances

interface Instance {
  readonly from: string;
  readonly until: string;
  readonly spans: Span[];
  readonly label: string;
}

/** The span sets the series runs within: everything, or one per fiscal-year season, or one per window. */
function instances(p: Program, spans: readonly Span[], around: string): Instance[] {
  if (!p.resetPer) return [{ from: '0000-01-01', until: FAR, spans: [...spans], label: '' }];
  if (p.resetPer === 'window') {
    return merge(spans).map((m) => ({ from: m.from, until: m.until, spans: spans.filter((s) => s.from <= m.until && s.until >= m.from), label: m.span.label }));
  }
  const out: Instance[] = [];
  if (!spans.length) return out;
  // Only the fiscal years that matter: around the date, and where each span begins or ends.
  const fy0 = fiscalYearOf(around);
  const years = new Set<number>([fy0 - 1, fy0, fy0 + 1]);
  for (const s of spans) {
    const a = fiscalYearOf(s.from);
    const b = s.until === FAR ? a + 1 : fiscalYearOf(s.until);
    for (const y of [a - 1, a, a + 1, b - 1, b]) if (y >= fy0 - 1) years.add(y);
  }
  for (const fy of [...years].sort((x, y) => x - y)) {
    const season = p.season ? seasonInFiscalYear(fy, p.season.from, p.season.until) : { from: fiscalYearStart(fy), until: fiscalYearEnd(fy) };
    const cut = spans
      .map((s) => ({ ...s, from: maxDate(s.from, season.from), until: minDate(s.until, season.until) }))
      .filter((s) => s.from <= s.until);
    if (cut.length) out.push({ from: fiscalYearStart(fy), until: fiscalYearEnd(fy), spans: cut, label: `${fy}年度` });
  }
  return out;
}

// ------------------------------------------------------------------------------------------ evaluate

interface ProgramCtx {
  readonly p: Program;
  readonly spans: Span[];
  readonly dropped: Reason[];
  readonly excluded: Reason[];
}

function programCtx(ctx: Ctx, p: Program): ProgramCtx {
  const { spans, dropped } = personSpans(ctx, p);
  return { p, spans, dropped, excluded: exclusionReasons(ctx, p, spans) };
}

function dosesFor(ctx: Ctx, p: Program, antigen: string, within?: { from: string; until: string }): Dose[] {
  return ctx.all.filter((d) => {
    if (!productListed(p, d.product)) return false;
    const prod = ctx.catalog.productByCode.get(d.product);
    if (!prod || !prod.antigens.includes(antigen)) return false;
    return !within || (d.date >= within.from && d.date <= within.until);
  });
}

function resolveStandard(b: Bound | undefined, birth: string): string | null {
  return b ? resolveBound(b, birth) : null;
}

interface Next {
  readonly status: Status;
  readonly next: NextDose | null;
  readonly reasons: Reason[];
}

function nextDose(ctx: Ctx, p: Program, inst: Instance, st: WalkState, asOf: string): Next {
  const birth = ctx.person.birthDate;
  const reasons: Reason[] = [];
  const rid = (s: string): string => `${p.code}/${s}`;
  if (complete(st)) return { status: 'complete', next: null, reasons: [{ code: 'COMPLETE', message: p.resetPer === 'fiscalYear' ? `${inst.label}の接種は済んでいます` : `「${p.name}」の接種は完了しています（${st.series!.label}）`, rule: rid(`series/${st.series!.id}`), source: cite(st.series!.source) }] };
  const usable = spansFor(inst.spans, st.product);
  const merged = merge(usable);
  if (!merged.length) return { status: 'not-eligible', next: null, reasons };
  let idx = st.slots.length;
  const slots: Slot[] = [...st.slots];
  const series = st.series;
  let earliest: string | null;
  let latest: string | null;
  let stdFrom: string | null = null;
  let stdUntil: string | null = null;
  let rule: DoseRule | null;
  for (;;) {
    rule = series ? (series.doses[idx] ?? null) : null;
    if (series && !rule) {
      return { status: 'complete', next: null, reasons: [{ code: 'COMPLETE', message: `「${p.name}」はこれ以上接種しません`, rule: rid(`series/${series.id}`), source: cite(series.source) }] };
    }
    let e0 = '0000-01-01';
    let cap = FAR;
    if (rule) {
      const e = intervalsEarliest(rule, slots, false);
      if (e.date) e0 = maxDate(e0, e.date);
      if (rule.notBefore) e0 = maxDate(e0, resolveBound(rule.notBefore, birth)!);
      if (rule.notAfter) cap = resolveBound(rule.notAfter, birth)!;
    }
    // 注射生ワクチン: the program's next dose waits for the cross-vaccine interval too.
    const prods = p.products.filter((x) => (!x.from || x.from <= asOf) && (!x.until || asOf <= x.until)).map((x) => x.code);
    const candidates = st.product ? [st.product] : prods;
    const lives = candidates.map((c) => ctx.catalog.productByCode.get(c)).filter((x) => x !== undefined);
    for (const r of ctx.catalog.crossIntervals) {
      if ((r.effectiveFrom && asOf < r.effectiveFrom) || (r.effectiveUntil && asOf > r.effectiveUntil)) continue;
      if (!lives.length || !lives.every((x) => (r.later.live === undefined || r.later.live === x.live) && (!r.later.routes || r.later.routes.includes(x.route)))) continue;
      for (const h of ctx.all) {
        const hp = ctx.catalog.productByCode.get(h.product);
        if (!hp || candidates.includes(h.product)) continue;
        if ((r.earlier.live !== undefined && r.earlier.live !== hp.live) || (r.earlier.routes && !r.earlier.routes.includes(hp.route))) continue;
        const after = afterDaysInterval(h.date, r.minDays);
        if (after > e0 && h.date <= asOf) {
          e0 = after;
          reasons.push({ code: r.code, message: `${w(h.date)}の${hp.name}から${r.minDays}日以上の間隔が必要なため${w(after)}以降です`, rule: `crossInterval/${r.id}`, source: cite(r.source) });
        }
      }
    }
    const target = maxDate(e0, asOf);
    const m = merged.find((x) => x.until >= target && x.until >= e0);
    if (m) {
      earliest = maxDate(e0, m.from);
      latest = minDate(m.until, cap);
    } else {
      earliest = null;
      latest = null;
    }
    const infeasible = earliest === null || latest === null || latest < earliest || latest < asOf;
    if (rule && rule.skippable && (infeasible || (rule.skipIfPreviousAfter && (lastCounted(slots)?.date ?? '') > resolveBound(rule.skipIfPreviousAfter, birth)!))) {
      reasons.push({ code: 'DOSE_SKIPPED', message: `${rule.label}は行いません（期限${rule.notAfter ? `：${w(resolveBound(rule.notAfter, birth)!)}` : ''}を過ぎたか、前回の接種時期による）`, rule: rid(`series/${series!.id}/dose-${idx + 1}`), source: cite(rule.source ?? series!.source) });
      slots.push({ rule, dose: null });
      idx++;
      continue;
    }
    if (infeasible) {
      const lastEnd = merged[merged.length - 1]!.until;
      const msg = asOf > lastEnd ? `対象期間（${w(lastEnd)}まで）を過ぎました` : `次の接種（${rule?.label ?? '1回目'}）を対象期間内に行うことができません`;
      return { status: 'missed', next: null, reasons: [...reasons, { code: 'MISSED', message: msg, rule: rid('window'), source: cite(merged[merged.length - 1]!.span.source) }] };
    }
    // Standard period (標準的な接種期間)
    if (rule) {
      const sd = rule.standard;
      const ref = (i: Interval | undefined): string | null => {
        if (!i) return null;
        const r = refDose(slots, i);
        return r ? intervalEarliest(r.date, i, false) : null;
      };
      stdFrom = ref(sd?.fromInterval) ?? resolveStandard(sd?.from, birth);
      stdUntil = ref(sd?.untilInterval) ?? resolveStandard(sd?.until, birth);
    }
    if (idx === 0 && p.standard) {
      stdFrom = stdFrom ?? resolveStandard(p.standard.from, birth);
      stdUntil = stdUntil ?? resolveStandard(p.standard.until, birth);
    }
    break;
  }
  const e = earliest!;
  const l = latest!;
  let sFrom = stdFrom ? maxDate(stdFrom, e) : e;
  let sUntil = stdUntil ? minDate(stdUntil, l) : l;
  if (sFrom > sUntil) {
    reasons.push({ code: 'STANDARD_PERIOD_PASSED', message: `標準的な接種期間（${stdFrom ? w(stdFrom) : ''}〜${stdUntil ? w(stdUntil) : ''}）には間に合いませんが、対象期間内は接種できます`, rule: rid('standard'), source: cite(series?.source ?? p.sources[0]) });
    sFrom = e;
    sUntil = l;
  }
  const doseNo = idx + 1;
  const label = rule?.label ?? '1回目';
  const status: Status = asOf < e ? 'upcoming' : 'due';
  reasons.push(
    status === 'due'
      ? { code: 'DUE', message: `${label}を${w(e)}から${w(l)}までに接種できます`, rule: rid(series ? `series/${series.id}/dose-${doseNo}` : 'window'), source: cite(series?.source ?? merged[0]!.span.source) }
      : { code: 'UPCOMING', message: `${label}は${w(e)}から接種できます（${w(l)}まで）`, rule: rid(series ? `series/${series.id}/dose-${doseNo}` : 'window'), source: cite(series?.source ?? merged[0]!.span.source) },
  );
  return { status, next: { dose: doseNo, earliest: e, latest: l, standardFrom: sFrom, standardUntil: sUntil }, reasons };
}

function verdictReasons(ctx: Ctx, p: Program, v: Verdict): Reason[] {
  const prodName = ctx.catalog.productByCode.get(v.dose.product)?.name ?? v.dose.product;
  const out: Reason[] = [];
  for (const s of v.skipped) out.push({ code: 'DOSE_SKIPPED', message: s.why, rule: `${p.code}/series/${v.seriesId}`, source: cite(s.rule.source ?? p.sources[0]) });
  if (v.counted) {
    const series = p.series.find((s) => s.id === v.seriesId);
    out.push({ code: 'DOSE_COUNTED', message: `${w(v.dose.date)}の${prodName}を${v.label}として数えました`, rule: `${p.code}/series/${v.seriesId}/dose-${v.position}`, source: cite(series?.source) });
    for (const r of v.problems) out.push(r); // SERIES_CHANGED
  } else {
    for (const r of v.problems) out.push({ ...r, message: `${w(v.dose.date)}の${prodName}は定期接種として数えません：${r.message}` });
  }
  return out;
}

function dedupe(rs: readonly Reason[]): Reason[] {
  const seen = new Set<string>();
  return rs.filter((r) => {
    const k = `${r.code}\u0000${r.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function evaluateProgram(ctx: Ctx, p: Program, asOf: string): ProgramResult {
  const base = { program: p.code, name: p.name, category: p.category };
  const pc = programCtx(ctx, p);
  if (pc.excluded.length) return { ...base, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons: pc.excluded };
  if (!pc.spans.length) {
    const reasons = pc.dropped.length ? pc.dropped : [{ code: 'NOT_ELIGIBLE', message: `「${p.name}」の対象者ではありません`, rule: `${p.code}/window`, source: cite(p.sources[0]) }];
    return { ...base, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons };
  }
  const insts = instances(p, pc.spans, asOf);
  if (!insts.length) return { ...base, status: 'not-eligible', dosesCounted: 0, nextDose: null, reasons: [{ code: 'NOT_ELIGIBLE', message: `「${p.name}」の対象期間がありません`, rule: `${p.code}/window`, source: cite(p.sources[0]) }] };
  const current = insts.find((i) => i.spans.some((s) => s.until >= asOf)) ?? insts[insts.length - 1]!;
  const pre: Reason[] = [];
  if (p.resetPer === 'fiscalYear' && fiscalYearOf(asOf) < fiscalYearOf(current.from)) {
    const prev = insts.find((i) => fiscalYearOf(i.from) === fiscalYearOf(asOf));
    if (prev) pre.push({ code: 'SEASON_ENDED', message: `${prev.label}の接種期間は終わりました。次は${current.label}です`, rule: `${p.code}/season`, source: cite(p.season?.source ?? p.sources[0]) });
  }
  const tracks: Array<{ verdicts: Verdict[]; state: WalkState; next: Next; counted: number }> = [];
  for (const antigen of p.antigens) {
    const doses = dosesFor(ctx, p, antigen, p.resetPer ? current : undefined);
    const { verdicts, state } = walk(ctx, p, current.spans, doses, pc.excluded, pc.dropped);
    const next = nextDose(ctx, p, current, state, asOf);
    tracks.push({ verdicts, state, next, counted: state.slots.filter((s) => s.dose).length });
  }
  // The program stands where its least-advanced component stands (成分ごとに数える).
  const lead = tracks.reduce((a, b) => (b.counted < a.counted ? b : a));
  const reasons = dedupe([...pre, ...tracks.flatMap((t) => t.verdicts.flatMap((v) => verdictReasons(ctx, p, v))), ...lead.next.reasons]);
  if (p.antigens.length > 1 && tracks.some((t) => t.counted !== lead.counted)) {
    const detail = p.antigens.map((a, i) => `${a} ${tracks[i]!.counted}回`).join('、');
    reasons.push({ code: 'COMPONENTS_UNEVEN', message: `成分ごとの接種回数が異なります（${detail}）。最も少ない成分で判断します`, rule: `${p.code}/antigens`, source: cite(p.sources[0]) });
  }
  return { ...base, status: lead.next.status, dosesCounted: lead.counted, nextDose: lead.next.next, reasons };
}

function toDoses(history: readonly HistoryItem[]): Dose[] {
  return history
    .map((h, idx) => ({ idx, product: h.product, date: h.date, doctorJudgement: h.doctorJudgement ?? false, proposed: false }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.idx - b.idx));
}

/** Programs to evaluate by default: every program in force on `asOf`, in catalog order. */
function defaultPrograms(catalog: Catalog, asOf: string): string[] {
  return catalog.programCodes.filter((c) => programVersionAt(catalog, c, asOf) !== undefined);
}

/**
 * Evaluates every requested program for a person on `asOf`: status, doses counted, the next dose and the
 * reasons.  Pure: the same inputs always give the same answer.
 */
export function evaluateWith(catalog: Catalog, person: Person, history: readonly HistoryItem[], asOf: string, programs?: readonly string[]): EvaluateResult {
  const ctx: Ctx = { catalog, person, conds: normConds(person), all: toDoses(history) };
  const codes = programs && programs.length ? programs : defaultPrograms(catalog, asOf);
  const results = codes.map((code) => {
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
        reasons: [{ code: 'PROGRAM_NOT_IN_FORCE', message: `「${first.name}」は${w(first.effectiveFrom)}から実施されます`, rule: `${code}/effective`, source: cite(first.sources[0]) }],
      };
    }
    return evaluateProgram(ctx, p, asOf);
  });
  return { asOf, catalogVersion: [catalog.version, ...catalog.municipalVersions].join(' + '), results };
}

// ------------------------------------------------------------------------------------------ check

const strip = (r: Reason): CheckProblem => ({ code: r.code, message: r.message, rule: r.rule, source: r.source });

function checkProgram(ctx: Ctx, p: Program, proposed: Dose): ProgramCheck & { score: number; notes: CheckProblem[] } {
  const pc = programCtx(ctx, p);
  const prod = ctx.catalog.productByCode.get(proposed.product)!;
  const antigens = p.antigens.filter((a) => prod.antigens.includes(a));
  let insts = instances(p, pc.spans, proposed.date);
  let inst = insts.find((i) => i.from <= proposed.date && proposed.date <= i.until);
  if (p.resetPer === 'fiscalYear' && !inst) {
    // Outside every eligible season: still judge against the season of that fiscal year.
    const fy = fiscalYearOf(proposed.date);
    insts = [{ from: fiscalYearStart(fy), until: fiscalYearEnd(fy), spans: pc.spans, label: `${fy}年度` }];
    inst = insts[0];
  }
  const within = p.resetPer === 'window' ? (inst ?? { from: proposed.date, until: proposed.date, spans: pc.spans, label: '' }) : inst;
  const spans = within ? within.spans : pc.spans;
  let dose: number | null = null;
  let allowed = antigens.length > 0;
  const problems: Reason[] = [];
  const notes: CheckProblem[] = [];
  for (const antigen of antigens) {
    const doses = [...dosesFor(ctx, p, antigen, p.resetPer ? within : undefined).filter((d) => !d.proposed), proposed].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.proposed ? 1 : b.proposed ? -1 : a.idx - b.idx));
    const { verdicts } = walk(ctx, p, spans, doses, pc.excluded, pc.dropped);
    const v = verdicts.find((x) => x.dose === proposed)!;
    if (!v.counted) allowed = false;
    problems.push(...v.problems.filter((r) => r.code !== 'SERIES_CHANGED'));
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
    else if (windowCodes.some((c) => codes.has(c))) score = 2;
    else score = 1;
    if (codes.has('SERIES_COMPLETE')) score += 0.5;
  }
  if (allowed && dose !== null) {
    // Remark when outside the standard period (標準的な接種期間).
    const r = evaluateProgram({ ...ctx, all: ctx.all.filter((d) => !d.proposed) }, p, proposed.date);
    const nd = r.nextDose;
    if (nd && nd.dose === dose && (proposed.date < nd.standardFrom || proposed.date > nd.standardUntil)) {
      notes.push({ code: 'OUTSIDE_STANDARD_PERIOD', message: `標準的な接種期間（${w(nd.standardFrom)}〜${w(nd.standardUntil)}）の外ですが、対象期間内のため接種できます` });
    }
  }
  return { program: p.code, dose: uniq.some((r) => r.code === 'SERIES_COMPLETE') && dose === null ? null : dose, allowed, problems: uniq.map(strip), score, notes };
}

/**
 * Checks a proposed dose: which program and dose number it would be, and whether it is allowed.  A dose that
 * breaks a rule may still be given and recorded; the problems say why it would not count as routine.
 */
export function checkWith(catalog: Catalog, person: Person, history: readonly HistoryItem[], proposed: ProposedDose): CheckResult {
  const base = toDoses(history);
  const pd: Dose = { idx: base.length, product: proposed.product, date: proposed.date, doctorJudgement: proposed.doctorJudgement ?? false, proposed: true };
  const ctx: Ctx = { catalog, person, conds: normConds(person), all: [...base, pd].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.idx - b.idx)) };
  const codes = proposed.program ? [proposed.program] : catalog.programCodes;
  const checks: Array<ReturnType<typeof checkProgram>> = [];
  const listedAnywhere: string[] = [];
  for (const code of codes) {
    const p = programVersionAt(catalog, code, proposed.date) ?? latestVersionBefore(catalog, code, proposed.date) ?? catalog.programsByCode.get(code)?.[0];
    if (!p || !productListed(p, proposed.product)) continue;
    listedAnywhere.push(code);
    checks.push(checkProgram(ctx, p, pd));
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

