// A catalog compiled once for the engine (cached by catalog object): every date as a day number, every
// bound as a small record, every citation, rule id and person-independent message as a ready string, every
// product lookup as a Map.  The engine then works per person on integers and writes only the messages that
// depend on the person.  Compiling changes nothing the engine decides: the plan is the catalog, indexed.
import { dayOf, FAR, monthDay, wareki, ZERO, type MonthDay } from './days.js';
import type { Catalog } from './loader.js';
import type { Bound, CrossInterval, DoseRule, Interval, Product, Program, SeriesDef, Source, WindowDef } from './schema.js';

export interface Reason {
  readonly code: string;
  readonly message: string;
  /** Which rule decided: program/series/dose or program/window. */
  readonly rule: string;
  /** The citation of that rule. */
  readonly source: string;
}

export const cite = (s: Source | undefined): string => (s ? `${s.title}${s.url ? `（${s.url}）` : s.notice ? `（${s.notice}）` : ''}` : '');

/** A reason that depends on no person: built once, shared (frozen) by every answer that carries it. */
export const fixed = (code: string, message: string, rule: string, source: string): Reason => Object.freeze({ code, message, rule, source });

// ------------------------------------------------------------------------------------------ bounds

export const AGE = 0; // n = months
export const AFTER_BIRTH = 1; // n = days
export const FY_START_OF_AGE = 2; // n = age
export const FY_END_OF_AGE = 3; // n = age
export const GESTATION = 4; // n = days from the expected delivery date
export const DATE = 5; // n = day number

export interface BoundPlan {
  readonly kind: number;
  readonly n: number;
  /** Interned: one id per distinct (kind, n), across catalogs (the engine memoises bounds by it). */
  readonly id: number;
}

const interned = new Map<string, BoundPlan>();

/** The number of distinct bounds compiled so far (ids are 0 … boundCount() − 1). */
export const boundCount = (): number => interned.size;

function intern(kind: number, n: number): BoundPlan {
  const key = `${kind}:${n}`;
  let b = interned.get(key);
  if (!b) {
    b = { kind, n, id: interned.size };
    interned.set(key, b);
  }
  return b;
}

function bound(b: Bound): BoundPlan;
function bound(b: Bound | undefined): BoundPlan | null;
function bound(b: Bound | undefined): BoundPlan | null {
  if (!b) return null;
  switch (b.kind) {
    case 'age':
      return intern(AGE, b.years * 12 + b.months);
    case 'afterBirth':
      return intern(AFTER_BIRTH, b.weeks * 7 + b.days);
    case 'fiscalYearStartOfAge':
      return intern(FY_START_OF_AGE, b.age);
    case 'fiscalYearEndOfAge':
      return intern(FY_END_OF_AGE, b.age);
    case 'gestation':
      return intern(GESTATION, b.weeks * 7 + b.days - 280);
    case 'date':
      return intern(DATE, dayOf(b.date));
  }
}

// ------------------------------------------------------------------------------------------ products

export interface ProductPlan {
  readonly code: string;
  readonly name: string;
  readonly live: boolean;
  readonly route: string;
  readonly antigens: readonly string[];
}

/** A cross-vaccine interval rule (注射生ワクチン同士は27日以上 …). */
export interface CrossPlan {
  readonly id: string;
  readonly code: string;
  readonly label: string;
  readonly from: number | null;
  readonly until: number | null;
  readonly minDays: number;
  readonly rule: string;
  readonly cite: string;
  /** Whether a product may be the earlier / the later dose of this rule. */
  readonly earlier: (p: ProductPlan) => boolean;
  readonly later: (p: ProductPlan) => boolean;
}

function crossPlan(r: CrossInterval): CrossPlan {
  const side = (s: CrossInterval['earlier']) => (p: ProductPlan): boolean => (s.live === undefined || s.live === p.live) && (!s.routes || s.routes.includes(p.route));
  return {
    id: r.id,
    code: r.code,
    label: r.label,
    from: r.effectiveFrom ? dayOf(r.effectiveFrom) : null,
    until: r.effectiveUntil ? dayOf(r.effectiveUntil) : null,
    minDays: r.minDays,
    rule: `crossInterval/${r.id}`,
    cite: cite(r.source),
    earlier: side(r.earlier),
    later: side(r.later),
  };
}

// ------------------------------------------------------------------------------------------ programs

export interface IntervalPlan {
  readonly fromDose: 'previous' | number;
  readonly days: number | undefined;
  readonly months: number;
  readonly half: boolean;
  readonly doctorDays: number | undefined;
  /** 「前回から27日以上（医師が必要と認めた場合は20日）」 */
  readonly text: string;
}

function intervalPlan(i: Interval): IntervalPlan {
  const n = i.days !== undefined ? `${i.days}日` : `${i.months}月${i.half ? '半' : ''}`;
  const from = i.fromDose === 'previous' ? '前回' : `${i.fromDose}回目`;
  return {
    fromDose: i.fromDose,
    days: i.days,
    months: i.months ?? 0,
    half: i.half === true,
    doctorDays: i.doctorDays,
    text: `${from}から${n}以上${i.doctorDays !== undefined ? `（医師が必要と認めた場合は${i.doctorDays}日）` : ''}`,
  };
}

export interface DosePlan {
  readonly index: number;
  readonly label: string;
  readonly minIntervals: readonly IntervalPlan[];
  readonly minIntervalsIfSkipped: readonly IntervalPlan[] | null;
  readonly notBefore: BoundPlan | null;
  readonly notAfter: BoundPlan | null;
  readonly skippable: boolean;
  readonly skipIfPreviousAfter: BoundPlan | null;
  readonly standard: {
    readonly from: BoundPlan | null;
    readonly until: BoundPlan | null;
    readonly fromInterval: IntervalPlan | null;
    readonly untilInterval: IntervalPlan | null;
  } | null;
  /** `program/series/id/dose-n` */
  readonly rule: string;
  /** cite(rule.source ?? series.source) — the walk's and the next dose's citation. */
  readonly cite: string;
  /** cite(rule.source ?? program.sources[0]) — the citation of a skip reported among the counted doses. */
  readonly skipCite: string;
}

export interface SeriesPlan {
  readonly id: string;
  readonly label: string;
  readonly switchOnly: boolean;
  readonly whenProducts: readonly string[] | null;
  readonly firstDoseFrom: BoundPlan | null;
  readonly firstDoseAfter: BoundPlan | null;
  readonly firstDoseUntil: BoundPlan | null;
  readonly birthFrom: number | null;
  readonly birthUntil: number | null;
  alternatives: readonly SeriesPlan[];
  readonly doses: readonly DosePlan[];
  readonly cite: string;
  /** `program/series/id` */
  readonly rule: string;
  /** SERIES_COMPLETE when a dose comes after the series is complete. */
  readonly completeReason: Reason;
  /** COMPLETE in the evaluation (programs not renewed every fiscal year). */
  readonly doneReason: Reason;
  /** COMPLETE when the series has no further dose. */
  readonly noMoreReason: Reason;
}

export interface WindowPlan {
  readonly id: string;
  readonly label: string;
  readonly from: BoundPlan | null;
  readonly until: BoundPlan | null;
  readonly periodFrom: number | null;
  readonly periodUntil: number | null;
  readonly birthFrom: number | null;
  readonly birthUntil: number | null;
  readonly sex: string | undefined;
  readonly requiresCondition: { readonly anyOf: readonly string[]; readonly recordedOnOrBefore: number | null } | null;
  readonly requiresPriorDose: { readonly from: number; readonly until: number } | null;
  readonly products: ReadonlySet<string> | null;
  readonly cite: string;
  /** `program/window/id` */
  readonly rule: string;
  /** Why the window does not apply (built on first use: some need 和暦 of catalog dates). */
  readonly drops: { sex?: Reason; birth?: Reason; prior?: Reason; period?: Reason; condition?: Reason };
  readonly def: WindowDef;
}

/** Earlier doses deemed routine doses (経過措置). */
export interface DeemedPlan {
  readonly before: number;
  readonly birthFrom: number | null;
  readonly birthUntil: number | null;
  readonly from: BoundPlan | null;
  readonly until: BoundPlan | null;
  readonly products: readonly string[] | null;
  /** DEEMED_ROUTINE: a remark on the counted dose, not a problem. */
  readonly reason: Reason;
}

export interface ProgramPlan {
  readonly p: Program;
  readonly code: string;
  readonly name: string;
  readonly category: string;
  readonly effFrom: number;
  readonly effUntil: number;
  readonly effUntilSet: boolean;
  readonly antigens: readonly string[];
  readonly products: readonly { readonly code: string; readonly from: number | null; readonly until: number | null }[];
  readonly listed: ReadonlySet<string>;
  readonly windows: readonly WindowPlan[];
  readonly series: readonly SeriesPlan[];
  readonly seriesById: ReadonlyMap<string, SeriesPlan>;
  readonly switchPolicy: 'any' | 'same';
  readonly switches: readonly { readonly from: string; readonly to: string; readonly series: SeriesPlan | null }[];
  readonly switchCite: string;
  readonly standardFrom: BoundPlan | null;
  readonly standardUntil: BoundPlan | null;
  readonly hasStandard: boolean;
  readonly resetPer: 'fiscalYear' | 'window' | undefined;
  readonly season: { readonly from: MonthDay; readonly until: MonthDay; readonly cite: string } | null;
  readonly exclusions: readonly { readonly condition: string | undefined; readonly priorProducts: readonly string[] | null; readonly minCount: number; readonly reason: Reason }[];
  readonly deemed: readonly DeemedPlan[];
  readonly after: { readonly program: string; readonly minDays: number; readonly completeFrom: number | null; readonly completeUntil: number | null; readonly cite: string } | null;
  readonly lti: { readonly years: number; readonly capMonths: number | null; readonly window: WindowPlan } | null;
  readonly cite0: string;
  /** The program's own rule ids and person-independent reasons. */
  readonly r: {
    readonly person: string;
    readonly effective: string;
    readonly products: string;
    readonly window: string;
    readonly season: string;
    readonly series: string;
    readonly productSwitch: string;
    readonly standard: string;
    readonly antigens: string;
    readonly exclusion: string;
  };
  readonly notEligible: Reason;
  readonly noWindow: Reason;
  readonly dateBeforeBirth: Reason;
  readonly sameDay: Reason;
  /** 「…は定期接種「name」の実施期間外です（…から…まで）」 after the dose's date (see notInForceTail). */
  notInForceTail: string;
  /** Memo of the next dose's candidate products and cross-vaccine rules on a day, for one catalog (engine nextDose). */
  crossMemo: { readonly cp: CatalogPlan; readonly asOf: number; readonly prods: readonly string[]; readonly rules: readonly CrossPlan[] } | null;
}

function windowPlan(p: Program, w: WindowDef): WindowPlan {
  return {
    id: w.id,
    label: w.label,
    from: bound(w.from),
    until: bound(w.until),
    periodFrom: w.period?.from ? dayOf(w.period.from) : null,
    periodUntil: w.period?.until ? dayOf(w.period.until) : null,
    birthFrom: w.birth?.from ? dayOf(w.birth.from) : null,
    birthUntil: w.birth?.until ? dayOf(w.birth.until) : null,
    sex: w.sex,
    requiresCondition: w.requiresCondition ? { anyOf: w.requiresCondition.anyOf, recordedOnOrBefore: w.requiresCondition.recordedOnOrBefore ? dayOf(w.requiresCondition.recordedOnOrBefore) : null } : null,
    requiresPriorDose: w.requiresPriorDose ? { from: w.requiresPriorDose.from ? dayOf(w.requiresPriorDose.from) : ZERO, until: w.requiresPriorDose.until ? dayOf(w.requiresPriorDose.until) : FAR } : null,
    products: w.products ? new Set(w.products) : null,
    cite: cite(w.source),
    rule: `${p.code}/window/${w.id}`,
    drops: {},
    def: w,
  };
}

function seriesPlan(p: Program, s: SeriesDef): SeriesPlan {
  const src = cite(s.source);
  const rule = `${p.code}/series/${s.id}`;
  return {
    id: s.id,
    label: s.label,
    switchOnly: s.switchOnly,
    whenProducts: s.when.products ?? null,
    firstDoseFrom: bound(s.when.firstDoseFrom),
    firstDoseAfter: bound(s.when.firstDoseAfter),
    firstDoseUntil: bound(s.when.firstDoseUntil),
    birthFrom: s.when.birth?.from ? dayOf(s.when.birth.from) : null,
    birthUntil: s.when.birth?.until ? dayOf(s.when.birth.until) : null,
    alternatives: [],
    doses: s.doses.map((d: DoseRule, i) => ({
      index: i,
      label: d.label,
      minIntervals: d.minIntervals.map(intervalPlan),
      minIntervalsIfSkipped: d.minIntervalsIfSkipped ? d.minIntervalsIfSkipped.map(intervalPlan) : null,
      notBefore: bound(d.notBefore),
      notAfter: bound(d.notAfter),
      skippable: d.skippable,
      skipIfPreviousAfter: bound(d.skipIfPreviousAfter),
      standard: d.standard
        ? {
            from: bound(d.standard.from),
            until: bound(d.standard.until),
            fromInterval: d.standard.fromInterval ? intervalPlan(d.standard.fromInterval) : null,
            untilInterval: d.standard.untilInterval ? intervalPlan(d.standard.untilInterval) : null,
          }
        : null,
      rule: `${rule}/dose-${i + 1}`,
      cite: cite(d.source ?? s.source),
      skipCite: cite(d.source ?? p.sources[0]),
    })),
    cite: src,
    rule,
    completeReason: fixed('SERIES_COMPLETE', p.resetPer === 'fiscalYear' ? `今年度の「${p.name}」は接種済みです` : `「${p.name}」は接種を完了しています（${s.label}）`, rule, src),
    doneReason: fixed('COMPLETE', `「${p.name}」の接種は完了しています（${s.label}）`, rule, src),
    noMoreReason: fixed('COMPLETE', `「${p.name}」はこれ以上接種しません`, rule, src),
  };
}

function programPlan(p: Program): ProgramPlan {
  const cite0 = cite(p.sources[0]);
  const series = p.series.map((s) => seriesPlan(p, s));
  const byId = new Map(series.map((s) => [s.id, s]));
  p.series.forEach((s, i) => {
    series[i]!.alternatives = s.alternatives.map((id) => byId.get(id)!);
  });
  const r = {
    person: `${p.code}/person`,
    effective: `${p.code}/effective`,
    products: `${p.code}/products`,
    window: `${p.code}/window`,
    season: `${p.code}/season`,
    series: `${p.code}/series`,
    productSwitch: `${p.code}/productSwitch`,
    standard: `${p.code}/standard`,
    antigens: `${p.code}/antigens`,
    exclusion: `${p.code}/exclusion`,
  };
  const lti = p.longTermIllness;
  return {
    p,
    code: p.code,
    name: p.name,
    category: p.category,
    effFrom: dayOf(p.effectiveFrom),
    effUntil: p.effectiveUntil ? dayOf(p.effectiveUntil) : FAR,
    effUntilSet: p.effectiveUntil !== undefined,
    antigens: p.antigens,
    products: p.products.map((x) => ({ code: x.code, from: x.from ? dayOf(x.from) : null, until: x.until ? dayOf(x.until) : null })),
    listed: new Set(p.products.map((x) => x.code)),
    windows: p.windows.map((w) => windowPlan(p, w)),
    series,
    seriesById: byId,
    switchPolicy: p.productSwitch.policy,
    switches: p.productSwitch.allowed.map((a) => ({ from: a.from, to: a.to, series: a.series ? (byId.get(a.series) ?? null) : null })),
    switchCite: cite(p.productSwitch.source ?? p.sources[0]),
    standardFrom: bound(p.standard?.from),
    standardUntil: bound(p.standard?.until),
    hasStandard: p.standard !== undefined,
    resetPer: p.resetPer,
    season: p.season ? { from: monthDay(p.season.from), until: monthDay(p.season.until), cite: cite(p.season.source) } : null,
    exclusions: p.exclusions.map((x) => ({ condition: x.condition, priorProducts: x.priorProducts ?? null, minCount: x.minCount, reason: fixed('NOT_ELIGIBLE_EXCLUDED', `対象外：${x.label}`, r.exclusion, cite(x.source)) })),
    deemed: p.deemedDoses.map((x) => ({
      before: dayOf(x.before),
      birthFrom: x.birth?.from ? dayOf(x.birth.from) : null,
      birthUntil: x.birth?.until ? dayOf(x.birth.until) : null,
      from: bound(x.from),
      until: bound(x.until),
      products: x.products ?? null,
      reason: fixed('DEEMED_ROUTINE', `定期接種を受けたものとみなします（${x.label}）`, `${p.code}/deemedDoses`, cite(x.source)),
    })),
    after: p.afterProgram
      ? {
          program: p.afterProgram.program,
          minDays: p.afterProgram.minDays,
          completeFrom: p.afterProgram.requireCompleteForBirth ? (p.afterProgram.requireCompleteForBirth.from ? dayOf(p.afterProgram.requireCompleteForBirth.from) : ZERO) : null,
          completeUntil: p.afterProgram.requireCompleteForBirth ? (p.afterProgram.requireCompleteForBirth.until ? dayOf(p.afterProgram.requireCompleteForBirth.until) : FAR) : null,
          cite: cite(p.afterProgram.source),
        }
      : null,
    lti: lti
      ? {
          years: lti.years,
          capMonths: lti.capAge ? lti.capAge.years * 12 + lti.capAge.months : null,
          window: windowPlan(p, { id: 'long-term-illness', label: `長期療養特例（特別の事情がなくなった日から${lti.years}年${lti.capAge ? `、${lti.capAge.years}歳に至るまで` : ''}）`, source: lti.source }),
        }
      : null,
    cite0,
    r,
    notEligible: fixed('NOT_ELIGIBLE', `「${p.name}」の対象者ではありません`, r.window, cite0),
    noWindow: fixed('NOT_ELIGIBLE', `「${p.name}」の対象期間がありません`, r.window, cite0),
    dateBeforeBirth: fixed('DATE_BEFORE_BIRTH', '接種日が生年月日より前です', r.person, cite0),
    sameDay: fixed('SAME_DAY_DUPLICATE', `同じ日に「${p.name}」を2回数えることはできません`, r.series, cite0),
    notInForceTail: '',
    crossMemo: null,
  };
}

/** 「…は定期接種「name」の実施期間外です（平成25年4月1日から）」 after the dose's date (built on first use). */
export function notInForceTail(pp: ProgramPlan): string {
  if (!pp.notInForceTail) {
    const p = pp.p;
    pp.notInForceTail = `は定期接種「${p.name}」の実施期間外です（${wareki(pp.effFrom)}から${p.effectiveUntil ? `${wareki(pp.effUntil)}まで` : ''}）`;
  }
  return pp.notInForceTail;
}

// ------------------------------------------------------------------------------------------ catalog

export interface CatalogPlan {
  readonly catalog: Catalog;
  readonly products: ReadonlyMap<string, ProductPlan>;
  readonly cross: readonly CrossPlan[];
  readonly version: string;
  /** Program plans by program entry (rule version). */
  plan(p: Program): ProgramPlan;
  /** The programs evaluated by default on a day: the versions in force, in catalog order (memoised by day). */
  readonly defaults: Map<string, ProgramPlan[]>;
}

const plans = new WeakMap<Catalog, CatalogPlan>();
// A program plan depends on the program entry alone, and a catalog with a municipal configuration shares the
// national catalog's entries: each entry is compiled once for every catalog that holds it.
const programPlans = new WeakMap<Program, ProgramPlan>();

/** The compiled plan of a catalog (compiled on first use, then cached for the catalog object). */
export function catalogPlan(catalog: Catalog): CatalogPlan {
  let cp = plans.get(catalog);
  if (!cp) {
    cp = {
      catalog,
      products: new Map(catalog.products.map((x: Product) => [x.code, { code: x.code, name: x.name, live: x.live, route: x.route, antigens: x.antigens }])),
      cross: catalog.crossIntervals.map(crossPlan),
      version: [catalog.version, ...catalog.municipalVersions].join(' + '),
      plan(p: Program): ProgramPlan {
        let pp = programPlans.get(p);
        if (!pp) {
          pp = programPlan(p);
          programPlans.set(p, pp);
        }
        return pp;
      },
      defaults: new Map(),
    };
    plans.set(catalog, cp);
  }
  return cp;
}


