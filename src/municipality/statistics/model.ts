// Vaccination statistics (issue 5 point 5; VAX-28): 対象者数, 接種者数 and 接種率 by program, dose, age band and
// fiscal year, in the shape municipalities report to MHLW and their prefecture, with small-cell suppression so
// that no individual can be identified.  Decision 0075 (definitions), 0076 (suppression rule).
import { z } from 'zod';
import { fiscalYearEnd, fiscalYearOf, fiscalYearStart, isIsoDate, legalAge, legalMonthAge } from '../../kernel/jp/index.js';

/** Smallest count that may be published (counts 1..threshold-1 are suppressed).  Decision 0076. */
export const DEFAULT_THRESHOLD = 10;
export const MIN_THRESHOLD = 3;

export const statisticsParamsSchema = z
  .object({
    fiscalYear: z.coerce.number({ message: '年度を数字で指定してください' }).int().min(2000, { message: '年度は2000年度以降を指定してください' }).max(2100, { message: '年度は2100年度までです' }),
    /** 基準日: default the fiscal year's last day, or today when the year is still running. */
    asOf: z.string().refine(isIsoDate, { message: '基準日は YYYY-MM-DD の形式で指定してください' }).optional(),
    programs: z.array(z.string().min(1).max(40)).max(100).optional(),
    districts: z.array(z.string().trim().min(1).max(20)).max(100).optional(),
    threshold: z.coerce.number({ message: '秘匿の基準を整数で指定してください' }).int({ message: '秘匿の基準を整数で指定してください' }).min(MIN_THRESHOLD, { message: `秘匿の基準は${MIN_THRESHOLD}以上です` }).max(100, { message: '秘匿の基準は100以下です' }).default(DEFAULT_THRESHOLD),
  })
  .superRefine((p, ctx) => {
    if (p.asOf && p.asOf < fiscalYearStart(p.fiscalYear)) ctx.addIssue({ code: 'custom', path: ['asOf'], message: '基準日がその年度の開始日より前です' });
  });

export type StatisticsParamsRaw = z.input<typeof statisticsParamsSchema>;
export type StatisticsParams = z.output<typeof statisticsParamsSchema>;

/** The period a report covers: 4月1日 of the fiscal year up to its 基準日 (the year's end or an earlier date). */
export function reportPeriod(fiscalYear: number, asOf: string | undefined, today: string): { from: string; until: string } {
  const from = fiscalYearStart(fiscalYear);
  const end = fiscalYearEnd(fiscalYear);
  const until = asOf ?? (fiscalYearOf(today) === fiscalYear ? today : end);
  return { from, until: until > end ? end : until };
}

/**
 * Age bands (decision 0075): 月齢 for the first year (VAX-28 "age in months": routine infant doses are timed in
 * months), single years through the school ages the programs use, then the B類 bands (60–64 with a disability,
 * 65 and the 5-year steps of the elderly programs).
 */
export const AGE_BANDS = [
  { code: 'm00-05', label: '0歳（0〜5か月）' },
  { code: 'm06-11', label: '0歳（6〜11か月）' },
  { code: 'y01', label: '1歳' },
  { code: 'y02', label: '2歳' },
  { code: 'y03', label: '3歳' },
  { code: 'y04', label: '4歳' },
  { code: 'y05', label: '5歳' },
  { code: 'y06', label: '6歳' },
  { code: 'y07-09', label: '7〜9歳' },
  { code: 'y10-12', label: '10〜12歳' },
  { code: 'y13-15', label: '13〜15歳' },
  { code: 'y16-19', label: '16〜19歳' },
  { code: 'y20-59', label: '20〜59歳' },
  { code: 'y60-64', label: '60〜64歳' },
  { code: 'y65', label: '65歳' },
  { code: 'y66-69', label: '66〜69歳' },
  { code: 'y70-74', label: '70〜74歳' },
  { code: 'y75-79', label: '75〜79歳' },
  { code: 'y80-84', label: '80〜84歳' },
  { code: 'y85-89', label: '85〜89歳' },
  { code: 'y90', label: '90歳以上' },
] as const;

export type AgeBand = (typeof AGE_BANDS)[number]['code'];

/** The band of a person on a date (年齢計算ニ関スル法律: a year is reached on the day before the birthday). */
export function ageBand(birthDate: string, date: string): AgeBand {
  const y = legalAge(birthDate, date);
  if (y <= 0) return legalMonthAge(birthDate, date) < 6 ? 'm00-05' : 'm06-11';
  if (y <= 6) return `y0${y}` as AgeBand;
  if (y <= 9) return 'y07-09';
  if (y <= 12) return 'y10-12';
  if (y <= 15) return 'y13-15';
  if (y <= 19) return 'y16-19';
  if (y <= 59) return 'y20-59';
  if (y <= 64) return 'y60-64';
  if (y === 65) return 'y65';
  if (y <= 69) return 'y66-69';
  if (y <= 74) return 'y70-74';
  if (y <= 79) return 'y75-79';
  if (y <= 84) return 'y80-84';
  if (y <= 89) return 'y85-89';
  return 'y90';
}

export const AGE_BAND_LABELS: Readonly<Record<string, string>> = Object.fromEntries(AGE_BANDS.map((b) => [b.code, b.label]));
export const ALL_AGES = 'all';

/** A published count: a number, or suppressed (秘匿) — primary (a small count) or complementary (to protect one). */
export type Cell = { readonly value: number; readonly suppressed: false } | { readonly value: null; readonly suppressed: 'primary' | 'complementary' };

export interface StatisticsRow {
  readonly program: string;
  readonly programName: string;
  readonly category: string;
  readonly dose: number;
  /** An age band code, or 'all' for the program-dose total. */
  readonly ageBand: string;
  readonly ageBandLabel: string;
  readonly targets: Cell;
  readonly vaccinated: Cell;
  /** 接種率 (%), one decimal; null when either count is suppressed or there are no targets. */
  readonly rate: number | null;
}

export interface StatisticsReport {
  readonly fiscalYear: number;
  readonly period: { readonly from: string; readonly until: string };
  readonly catalogVersion: string;
  readonly threshold: number;
  readonly districts: readonly string[] | null;
  /** Residents on the 基準日 the report was computed over. */
  readonly population: number;
  readonly rows: readonly StatisticsRow[];
  readonly suppressedCells: number;
}
