// The catalog format (programs, products, conditions, cross-vaccine interval rules) and the engine's input
// shapes, as zod schemas.  The built-in catalog and every municipal configuration (臨時, 特措法, 任意) pass
// through the same schemas, so a municipality expresses its programs as data — never as code.
// Messages are Japanese and name the field (see loader.ts).
import { z } from 'zod';
import { isIsoDate } from '../../kernel/jp/index.js';

const code = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'コードは英小文字・数字・ハイフンで指定してください');
export const isoDate = z.string().refine((s) => isIsoDate(s), { message: '日付は YYYY-MM-DD 形式の実在する日付で指定してください' });
const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, '月日は MM-DD 形式で指定してください');
const count = z.number().int().min(0).max(1200);

/** A citation: the law, notice or page the rule comes from. */
export const sourceSchema = z.object({
  title: z.string().min(1, '出典の名称を入力してください'),
  url: z.string().url('出典のURLが正しくありません').optional(),
  notice: z.string().optional(),
});

/**
 * A boundary day computed from the person:
 * - age: the day the person reaches `years` years + `months` months (the day before the corresponding day);
 * - afterBirth: 出生W週D日後 (birth day = 0週0日);
 * - fiscalYearStartOfAge / fiscalYearEndOfAge: 1 April / 31 March of 「age歳となる日の属する年度」;
 * - gestation: 妊娠W週D日 from the `pregnancy` condition's expected delivery date;
 * - date: a fixed day.
 */
export const boundSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('age'), years: count.default(0), months: count.default(0) }),
  z.object({ kind: z.literal('afterBirth'), weeks: count, days: count.default(0) }),
  z.object({ kind: z.literal('fiscalYearStartOfAge'), age: count }),
  z.object({ kind: z.literal('fiscalYearEndOfAge'), age: count }),
  z.object({ kind: z.literal('gestation'), weeks: count, days: count.default(0) }),
  z.object({ kind: z.literal('date'), date: isoDate }),
]);

const dateRange = z.object({ from: isoDate.optional(), until: isoDate.optional() });

/** An eligibility window: the person may receive doses of the program between `from` and `until` inclusive. */
export const windowSchema = z.object({
  id: code,
  label: z.string().min(1),
  from: boundSchema.optional(),
  until: boundSchema.optional(),
  /** Calendar period during which this window exists (e.g. a catch-up or an extension). */
  period: dateRange.optional(),
  /** Birth dates this window applies to. */
  birth: dateRange.optional(),
  sex: z.enum(['male', 'female']).optional(),
  /** The person must hold one of these conditions (and the window is cut to the condition's dates). */
  requiresCondition: z
    .object({ anyOf: z.array(code).min(1), recordedOnOrBefore: isoDate.optional() })
    .optional(),
  /** The person must already have a dose of this program between these dates (経過措置). */
  requiresPriorDose: dateRange.optional(),
  /** The window applies only to these products (e.g. ロタ 1価 vs 5価). */
  products: z.array(code).optional(),
  source: sourceSchema,
});

/** A minimum (or standard) interval from an earlier dose of the same series. */
export const intervalSchema = z
  .object({
    /** 'previous' = the dose just before; a number = that dose of the series (or the last one before it if skipped). */
    fromDose: z.union([z.literal('previous'), z.number().int().min(1)]).default('previous'),
    days: count.optional(),
    months: count.optional(),
    /** 「●月半」: adds half of the month reached. */
    half: z.boolean().optional(),
    /** 「医師が必要と認めた場合」の短縮日数 (e.g. Hib 20日). */
    doctorDays: count.optional(),
  })
  .refine((i) => (i.days === undefined) !== (i.months === undefined), { message: 'days と months のどちらか一方を指定してください' });

export const doseRuleSchema = z.object({
  dose: z.number().int().min(1),
  label: z.string().min(1),
  minIntervals: z.array(intervalSchema).default([]),
  /** Intervals that replace minIntervals when an earlier dose of the series was skipped. */
  minIntervalsIfSkipped: z.array(intervalSchema).optional(),
  notBefore: boundSchema.optional(),
  notAfter: boundSchema.optional(),
  /** When notAfter has passed (or skipIfPreviousAfter holds) the dose is not given and the series moves on. */
  skippable: z.boolean().default(false),
  /** Skip this dose when the previous dose was given after this day (小児肺炎球菌: 2回目が生後12月超 → 3回目なし). */
  skipIfPreviousAfter: boundSchema.optional(),
  standard: z
    .object({
      from: boundSchema.optional(),
      until: boundSchema.optional(),
      fromInterval: intervalSchema.optional(),
      untilInterval: intervalSchema.optional(),
    })
    .optional(),
  source: sourceSchema.optional(),
});

export const seriesSchema = z.object({
  id: code,
  label: z.string().min(1),
  /** Chosen by the first counted dose: its product and the day it was given (bounds inclusive; `after` exclusive). */
  when: z
    .object({
      products: z.array(code).optional(),
      firstDoseFrom: boundSchema.optional(),
      firstDoseAfter: boundSchema.optional(),
      firstDoseUntil: boundSchema.optional(),
      /** Birth dates of the people this series applies to (日本脳炎 特例). */
      birth: dateRange.optional(),
    })
    .default({}),
  /** Used only when a product switch names it (productSwitch.allowed[].series), never chosen by the first dose. */
  switchOnly: z.boolean().default(false),
  /** Series to fall back to when a dose misses this one's interval but meets theirs (9価HPV 2回→3回). */
  alternatives: z.array(code).default([]),
  doses: z.array(doseRuleSchema).min(1),
  source: sourceSchema,
});

export const exclusionSchema = z.object({
  label: z.string().min(1),
  /** The person holds this condition. */
  condition: code.optional(),
  /** …or had at least `minCount` doses of these products before their first window opened. */
  priorProducts: z.array(code).optional(),
  minCount: z.number().int().min(1).default(1),
  source: sourceSchema,
});

/**
 * Doses given before the program became routine (or before a person's window opened) that the 実施要領 deems
 * routine doses (「定期接種を受けたものとみなす」): a dose dated before `before`, of a listed product (or one of
 * `products`), given to a person born within `birth`, on or after the `from` bound and on or before the `until`
 * bound, counts as a dose of the series although it lies outside the person's windows.  Intervals still apply.
 */
export const deemedDosesSchema = z.object({
  label: z.string().min(1),
  before: isoDate,
  birth: dateRange.optional(),
  from: boundSchema.optional(),
  until: boundSchema.optional(),
  products: z.array(code).optional(),
  source: sourceSchema,
});

/**
 * A program whose doses come after another program's series in one history (日本脳炎 第2期 after 第1期): a dose
 * the other program counts is not this program's, and this program's first dose needs `minDays` after the other
 * program's last counted dose.
 */
export const afterProgramSchema = z.object({
  program: code,
  minDays: count.default(0),
  /** People born in this range receive this program only once the other program's series is complete (特例). */
  requireCompleteForBirth: dateRange.optional(),
  source: sourceSchema,
});

export const programSchema = z
  .object({
    code,
    name: z.string().min(1),
    category: z.enum(['A類定期', 'B類定期', '臨時', '特措法', '任意']),
    effectiveFrom: isoDate,
    effectiveUntil: isoDate.optional(),
    antigens: z.array(code).min(1),
    /** Accepted products, each with the dates it is accepted for this program. */
    products: z.array(z.object({ code, from: isoDate.optional(), until: isoDate.optional() })).min(1),
    windows: z.array(windowSchema).min(1),
    series: z.array(seriesSchema).min(1),
    /** 'same': the series is finished with the product that started it, except for listed switches. */
    productSwitch: z
      .object({
        policy: z.enum(['any', 'same']),
        allowed: z.array(z.object({ from: code, to: code, series: code.optional() })).default([]),
        source: sourceSchema.optional(),
      })
      .default({ policy: 'any', allowed: [] }),
    /** Standard period of the first dose (標準的な接種期間). */
    standard: z.object({ from: boundSchema.optional(), until: boundSchema.optional() }).optional(),
    /** The series starts again every fiscal year (B類 毎年度1回) or for every window (妊娠ごとに1回). */
    resetPer: z.enum(['fiscalYear', 'window']).optional(),
    /** Implementation season within each fiscal year (MM-DD, inclusive). */
    season: z.object({ from: monthDay, until: monthDay, source: sourceSchema }).optional(),
    exclusions: z.array(exclusionSchema).default([]),
    /** Earlier doses deemed routine doses (経過措置「定期接種を受けたものとみなす」). */
    deemedDoses: z.array(deemedDosesSchema).default([]),
    /** This program's doses follow another program's series (第1期 → 第2期). */
    afterProgram: afterProgramSchema.optional(),
    /** 長期療養特例: eligible for `years` from the day the special circumstance ended, up to `capAge`. */
    longTermIllness: z
      .object({ years: z.number().int().min(1), capAge: z.object({ years: count, months: count.default(0) }).optional(), source: sourceSchema })
      .optional(),
    sources: z.array(sourceSchema).min(1),
    notes: z.array(z.string()).default([]),
  })
  .superRefine((p, ctx) => {
    const ids = new Set(p.series.map((s) => s.id));
    p.series.forEach((s, i) => {
      s.doses.forEach((d, j) => {
        if (d.dose !== j + 1) ctx.addIssue({ code: 'custom', path: ['series', i, 'doses', j, 'dose'], message: `接種回数は1から順に番号を付けてください（${j + 1}が必要）` });
      });
      s.alternatives.forEach((a, j) => {
        if (!ids.has(a)) ctx.addIssue({ code: 'custom', path: ['series', i, 'alternatives', j], message: `シリーズ「${a}」が定義されていません` });
      });
    });
    p.productSwitch.allowed.forEach((a, i) => {
      if (a.series && !ids.has(a.series)) ctx.addIssue({ code: 'custom', path: ['productSwitch', 'allowed', i, 'series'], message: `シリーズ「${a.series}」が定義されていません` });
    });
    if (p.season && p.resetPer !== 'fiscalYear') ctx.addIssue({ code: 'custom', path: ['season'], message: '接種期間（season）は resetPer: "fiscalYear" の事業にのみ指定できます' });
  });

export const productSchema = z.object({
  code,
  name: z.string().min(1),
  antigens: z.array(code).min(1),
  live: z.boolean(),
  route: z.enum(['injection', 'oral', 'percutaneous', 'intranasal']),
  /** 一般的名称 when `name` is a 販売名 (brand). */
  genericName: z.string().min(1).optional(),
  /** 製造販売業者 (marketing authorisation holder in Japan), printed on records and certificates. */
  manufacturer: z.string().min(1).optional(),
  /** CDC CVX code used for the product in a SMART Health Card (docs/formats/certificates.md). */
  cvx: z.string().regex(/^\d{1,3}$/, 'CVX コードは数字3桁以内です').optional(),
  source: sourceSchema.optional(),
});

/** Rule between doses of different vaccines (注射生ワクチン同士は27日以上 etc.). */
export const crossIntervalSchema = z.object({
  id: code,
  label: z.string().min(1),
  code: z.string().regex(/^[A-Z_]+$/),
  effectiveFrom: isoDate.optional(),
  effectiveUntil: isoDate.optional(),
  earlier: z.object({ live: z.boolean().optional(), routes: z.array(z.string()).optional() }),
  later: z.object({ live: z.boolean().optional(), routes: z.array(z.string()).optional() }),
  minDays: count,
  source: sourceSchema,
});

export const conditionDefSchema = z.object({
  code,
  label: z.string().min(1),
  /** Which extra fields the condition needs on a person. */
  needs: z.array(z.enum(['from', 'until', 'resolvedOn', 'expectedDeliveryDate'])).default([]),
});

export const catalogSchema = z.object({
  version: z.string().min(1),
  effectiveFrom: isoDate,
  products: z.array(productSchema),
  programs: z.array(programSchema),
  crossIntervals: z.array(crossIntervalSchema).default([]),
  conditions: z.array(conditionDefSchema).default([]),
});

/** What a municipality adds: its own programs, products and conditions, and season overrides. */
export const municipalConfigSchema = z.object({
  municipality: z.string().min(1).optional(),
  version: z.string().min(1),
  products: z.array(productSchema).default([]),
  programs: z.array(programSchema).default([]),
  conditions: z.array(conditionDefSchema).default([]),
  seasonOverrides: z.record(code, z.object({ from: monthDay, until: monthDay, source: sourceSchema })).default({}),
}).strict(); // an unknown top-level key is a mistake (a misspelt "programs" would otherwise add nothing, silently)

export type Source = z.output<typeof sourceSchema>;
export type Bound = z.output<typeof boundSchema>;
export type WindowDef = z.output<typeof windowSchema>;
export type Interval = z.output<typeof intervalSchema>;
export type DeemedDoses = z.output<typeof deemedDosesSchema>;
export type DoseRule = z.output<typeof doseRuleSchema>;
export type SeriesDef = z.output<typeof seriesSchema>;
export type Program = z.output<typeof programSchema>;
export type Product = z.output<typeof productSchema>;
export type CrossInterval = z.output<typeof crossIntervalSchema>;
export type ConditionDef = z.output<typeof conditionDefSchema>;
export type CatalogData = z.output<typeof catalogSchema>;
export type CatalogInput = z.input<typeof catalogSchema>;
export type MunicipalConfig = z.output<typeof municipalConfigSchema>;
export type MunicipalConfigInput = z.input<typeof municipalConfigSchema>;

// ------------------------------------------------------------------------------------------ engine inputs

export const conditionSchema = z.union([
  code,
  z.object({
    code,
    from: isoDate.optional(),
    until: isoDate.optional(),
    /** 長期療養特例: 特別の事情がなくなった日. */
    resolvedOn: isoDate.optional(),
    /** pregnancy: 出産予定日. */
    expectedDeliveryDate: isoDate.optional(),
    /** Limit the condition to these programs (長期療養特例). */
    programs: z.array(code).optional(),
  }),
]);

export const personSchema = z.object({
  birthDate: isoDate,
  sex: z.enum(['male', 'female']),
  conditions: z.array(conditionSchema).default([]),
});

export const historyItemSchema = z.object({
  product: code,
  date: isoDate,
  /** 医師が必要と認めた場合の短縮間隔を適用する. */
  doctorJudgement: z.boolean().optional(),
  /** Free reference kept in reasons (e.g. a record id); never personal data. */
  ref: z.string().max(64).optional(),
});

export type ConditionInput = z.input<typeof conditionSchema>;
export type Person = z.output<typeof personSchema>;
export type PersonInput = z.input<typeof personSchema>;
export type HistoryItem = z.output<typeof historyItemSchema>;
