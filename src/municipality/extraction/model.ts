// What an extraction run is: its kinds, parameters, counts and views (decision 0060).
import { z } from 'zod';
import { fiscalYearOf, isIsoDate } from '../../kernel/jp/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { programVersionAt, type Catalog } from '../schedule/index.js';

export const EXTRACTION_KINDS = ['targets', 'unvaccinated'] as const;
export type ExtractionKind = (typeof EXTRACTION_KINDS)[number];

export const KIND_LABELS: Record<ExtractionKind, string> = {
  targets: '対象者抽出（予診票・案内）',
  unvaccinated: '未接種者抽出（勧奨）',
};

/** Why a person of the cohort was not evaluated (decision 0060). */
export const EXCLUSION_REASONS = ['moved-out', 'deceased', 'removed', 'non-resident', 'not-registered', 'birth-range', 'district'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export const EXCLUSION_LABELS: Record<ExclusionReason, string> = {
  'moved-out': '転出',
  deceased: '死亡',
  removed: '職権消除',
  'non-resident': '住登外',
  'not-registered': '基準日に未登録（出生・転入前）',
  'birth-range': '生年月日が範囲外（基準日の記録）',
  district: '地区が対象外',
};

export const MEMBER_STATUS_LABELS: Record<string, string> = { due: '接種時期', upcoming: 'これから' };

export interface ExtractionFilters {
  readonly birthFrom: string | null;
  readonly birthTo: string | null;
  /** 地区コード; empty = every district. */
  readonly districts: readonly string[];
  /** 年度 (April–March) the next dose's window must meet; null = the fiscal year of the as-of date. */
  readonly fiscalYear: number | null;
}

/** Canonical parameters (what the content hash and the "same run" comparison are made of, with the as-of date). */
export interface ExtractionParameters {
  readonly kind: ExtractionKind;
  /** True when the run covers every program in force on the as-of date. */
  readonly all: boolean;
  /** Program codes, sorted (resolved from the catalog when `all`). */
  readonly programs: readonly string[];
  readonly filters: ExtractionFilters;
}

export interface ProgramCounts {
  /** Rows in the run for this program. */
  members: number;
  /** Members past the standard period (標準的な接種期間) on the as-of date. */
  late: number;
  /** Engine statuses of every evaluated person for this program. */
  due: number;
  upcoming: number;
  complete: number;
  missed: number;
  notEligible: number;
  /** Not evaluated for this program: the person's age is outside every window it has (decision 0063). */
  outOfRange: number;
}

export interface ExtractionCounts {
  /** Persons read from the resident register (birth-date range applied by the database). */
  persons: number;
  /** Persons evaluated by the schedule engine (residents on the as-of date within the filters). */
  evaluated: number;
  /** Member rows (person × program). */
  members: number;
  /** Distinct persons with at least one member row. */
  memberPersons: number;
  /** Distinct member persons under 支援措置 (no document by mail). */
  protectedPersons: number;
  excluded: Record<ExclusionReason, number>;
  byProgram: Record<string, ProgramCounts>;
}

export function emptyCounts(programs: readonly string[]): ExtractionCounts {
  return {
    persons: 0,
    evaluated: 0,
    members: 0,
    memberPersons: 0,
    protectedPersons: 0,
    excluded: Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>,
    byProgram: Object.fromEntries(programs.map((p) => [p, emptyProgramCounts()])),
  };
}

export const emptyProgramCounts = (): ProgramCounts => ({ members: 0, late: 0, due: 0, upcoming: 0, complete: 0, missed: 0, notEligible: 0, outOfRange: 0 });

export interface DiffSummary {
  readonly previousRunId: string;
  readonly previousAsOf: string;
  /** Member rows (person × program) in this run and not in the previous one. */
  readonly added: number;
  readonly dropped: number;
  /** Distinct persons with an added / a dropped row. */
  readonly addedPersons: number;
  readonly droppedPersons: number;
  readonly byProgram: Record<string, { added: number; dropped: number }>;
}

export interface ExtractionRunView {
  readonly id: string;
  readonly kind: ExtractionKind;
  readonly status: 'running' | 'complete' | 'failed';
  readonly asOf: string;
  readonly all: boolean;
  readonly programs: string[];
  readonly filters: ExtractionFilters;
  readonly catalogVersion: string;
  readonly counts: ExtractionCounts;
  readonly contentHash: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly completedAt: string | null;
  /** Last 宛名番号 whose chunk is committed ('' before the first). */
  readonly cursor: string;
  readonly chunkSize: number;
  readonly chunksDone: number;
  /** Persons the walk will visit (taken at the start, for progress). */
  readonly personsEstimate: number;
  readonly resumed: number;
  readonly error: string | null;
  readonly previousRunId: string | null;
  readonly diff: DiffSummary | null;
}

export interface RunMember {
  readonly atenaNo: string;
  readonly program: string;
  readonly dose: number | null;
  readonly status: string;
  readonly earliest: string | null;
  readonly latest: string | null;
  readonly standardFrom: string | null;
  readonly standardUntil: string | null;
  /** 支援措置: never address a document to this person by mail (decision 0043). */
  readonly protected: boolean;
  /** Past the standard period on the as-of date. */
  readonly late: boolean;
  /** The person now (names and birth date as registered; never an address, never a My Number). */
  readonly nameKanji: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
}

const date = z.string().trim().refine((s) => isIsoDate(s), { message: '日付は YYYY-MM-DD 形式の実在する日付で指定してください', params: { code: 'DATE_FORMAT' } });
const optDate = z.union([z.null(), z.literal(''), date]).optional().transform((v) => v || null);

export const ExtractionInput = z.object({
  kind: z.enum(EXTRACTION_KINDS, { message: '抽出の種類は targets（対象者）か unvaccinated（未接種者）です' }).default('targets'),
  all: z.boolean().default(false),
  programs: z.array(z.string().trim().min(1)).default([]),
  asOf: date,
  birthFrom: optDate,
  birthTo: optDate,
  districts: z.array(z.string().trim().min(1).max(20)).default([]),
  fiscalYear: z.union([z.null(), z.coerce.number().int().min(1990, '年度は西暦4桁で指定してください').max(2200)]).optional().transform((v) => v ?? null),
  chunkSize: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type ExtractionInputRaw = z.input<typeof ExtractionInput>;

/** Validates the input against the catalog and returns the canonical parameters and the as-of date. */
export function canonicalParameters(raw: unknown, catalog: Catalog): { params: ExtractionParameters; asOf: string; chunkSize: number | undefined } {
  const v = parseInput(ExtractionInput, raw);
  if (v.birthFrom && v.birthTo && v.birthTo < v.birthFrom) throw invalidField('birthTo', 'RANGE', '生年月日の終わりが始まりより前です');
  if (v.fiscalYear !== null && v.fiscalYear < fiscalYearOf(v.asOf)) throw invalidField('fiscalYear', 'FISCAL_YEAR_PAST', '年度は基準日の年度以降を指定してください');
  let programs: string[];
  if (v.all) {
    programs = catalog.programCodes.filter((c) => programVersionAt(catalog, c, v.asOf) !== undefined);
  } else {
    if (!v.programs.length) throw invalidField('programs', 'REQUIRED', '予防接種の種類を選ぶか、すべてを指定してください');
    const unknown = v.programs.filter((p) => !catalog.programsByCode.has(p));
    if (unknown.length) throw invalidField('programs', 'UNKNOWN_PROGRAM', `カタログにない予防接種の種類です（${unknown.join('、')}）`);
    programs = [...new Set(v.programs)];
  }
  programs.sort(byCode);
  const districts = [...new Set(v.districts)].sort(byCode);
  return {
    params: { kind: v.kind, all: v.all, programs, filters: { birthFrom: v.birthFrom, birthTo: v.birthTo, districts, fiscalYear: v.fiscalYear } },
    asOf: v.asOf,
    chunkSize: v.chunkSize,
  };
}

/** Code-unit order (= PostgreSQL's COLLATE "C"), independent of locale. */
export function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
