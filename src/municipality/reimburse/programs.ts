// 任意接種の助成制度 (VAX-33, VAX-01 任意; decision 0159): per tenant, as data — who (age on the vaccination
// date, residence on that date, conditions the examiner confirms), which program of the catalog, how much (a
// fixed amount, or what was paid up to a ceiling; never more than was paid) and for vaccinations from/until.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { isIsoDate, toHalfWidthDigits } from '../../kernel/jp/index.js';
import { parseInput, validationFailed } from '../../kernel/problems/index.js';
import { requireBillingRead, requireBillingWrite } from '../billing/index.js';
import { catalogFor } from '../records/index.js';

export const AMOUNT_KINDS = { fixed: '定額', 'up-to-cost': '実費（上限あり）' } as const;

const int = (label: string, min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(toHalfWidthDigits(v.trim().replace(/[,，円歳]/g, '')))) : v),
    z.number({ message: `${label}を数字で入力してください` }).int(`${label}は整数です`).min(min, `${label}は${min}以上です`).max(max, `${label}は${max.toLocaleString('ja-JP')}以下です`),
  );
const date = (label: string) => z.string().trim().refine((s) => isIsoDate(s), `${label}は YYYY-MM-DD です`);
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const bool = z.preprocess((v) => (v === 'on' || v === 'true' || v === '1' ? true : v === 'false' || v === '0' || v === '' ? false : v), z.boolean());

export const SubsidyProgramInput = z
  .object({
    code: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, '制度の識別名は英小文字・数字・ハイフンの40文字以内です'),
    name: z.string().trim().min(1, '制度の名前を入力してください').max(100, '制度の名前は100文字以内です'),
    program: z.string().trim().min(1, '予防接種を選んでください').max(60),
    minAge: int('対象年齢（下限）', 0, 150),
    maxAge: z.preprocess(blankToUndefined, int('対象年齢（上限）', 0, 150).optional()).transform((v) => v ?? null),
    residentsOnly: bool.default(true),
    conditions: z.preprocess(
      (v) => (typeof v === 'string' ? v.split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : v),
      z.array(z.string().trim().min(1).max(100, '条件は1行100文字以内です')).max(10, '条件は10行までです'),
    ).default([]),
    amountKind: z.enum(['fixed', 'up-to-cost'], { message: '助成額の決め方は 定額 か 実費（上限あり） です' }),
    amount: int('助成額', 1, 1_000_000),
    validFrom: date('対象の接種日（開始）'),
    validUntil: z.preprocess(blankToUndefined, date('対象の接種日（終了）').optional()).transform((v) => v ?? null),
  })
  .refine((p) => p.maxAge === null || p.maxAge >= p.minAge, { message: '対象年齢の上限は下限以上です', path: ['maxAge'] })
  .refine((p) => p.validUntil === null || p.validUntil >= p.validFrom, { message: '終了日は開始日以後です', path: ['validUntil'] });
export type SubsidyProgramInput = z.input<typeof SubsidyProgramInput>;

export interface SubsidyProgramView {
  readonly code: string;
  readonly name: string;
  readonly program: string;
  readonly minAge: number;
  readonly maxAge: number | null;
  readonly residentsOnly: boolean;
  readonly conditions: readonly string[];
  readonly amountKind: keyof typeof AMOUNT_KINDS;
  readonly amount: number;
  readonly validFrom: string;
  readonly validUntil: string | null;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

interface Row {
  code: string; name: string; program: string; min_age: number; max_age: number | null; residents_only: boolean; conditions: string[];
  amount_kind: keyof typeof AMOUNT_KINDS; amount: number; valid_from: string; valid_until: string | null; updated_at: Date; updated_by: string;
}
const COLS = sql`code, name, program, min_age, max_age, residents_only, conditions, amount_kind, amount, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_until, 'YYYY-MM-DD') AS valid_until, updated_at, updated_by`;
const view = (r: Row): SubsidyProgramView => ({
  code: r.code, name: r.name, program: r.program, minAge: r.min_age, maxAge: r.max_age, residentsOnly: r.residents_only, conditions: r.conditions,
  amountKind: r.amount_kind, amount: r.amount, validFrom: r.valid_from, validUntil: r.valid_until, updatedAt: r.updated_at, updatedBy: r.updated_by,
});

/** Registers or replaces a subsidy program (the program must be in the tenant's catalog). */
export async function setSubsidyProgram(w: Work, raw: unknown): Promise<SubsidyProgramView> {
  requireBillingWrite(w);
  const p = parseInput(SubsidyProgramInput, raw);
  const { catalog } = await catalogFor(w);
  if (!catalog.programsByCode.has(p.program)) throw validationFailed([{ field: 'program', code: 'PROGRAM_UNKNOWN', message: '予防接種の設定にない予防接種です' }]);
  const r = await sql<Row>`
    INSERT INTO municipality.subsidy_programs (tenant_code, code, name, program, min_age, max_age, residents_only, conditions, amount_kind, amount, valid_from, valid_until, updated_at, updated_by)
    VALUES (${w.tenant}, ${p.code}, ${p.name}, ${p.program}, ${p.minAge}, ${p.maxAge}, ${p.residentsOnly}, ${p.conditions}::text[], ${p.amountKind}, ${p.amount}, ${p.validFrom}::date, ${p.validUntil}::date, ${w.clock.now()}, ${w.actor.login})
    ON CONFLICT (tenant_code, code) DO UPDATE SET name = excluded.name, program = excluded.program, min_age = excluded.min_age, max_age = excluded.max_age, residents_only = excluded.residents_only,
      conditions = excluded.conditions, amount_kind = excluded.amount_kind, amount = excluded.amount, valid_from = excluded.valid_from, valid_until = excluded.valid_until,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by
    RETURNING ${COLS}`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'subsidy-program', targetId: p.code, detail: { program: p.program, amountKind: p.amountKind, amount: p.amount, validFrom: p.validFrom, validUntil: p.validUntil } });
  return view(r.rows[0]!);
}

export async function listSubsidyPrograms(w: Work): Promise<SubsidyProgramView[]> {
  requireBillingRead(w);
  const r = await sql<Row>`SELECT ${COLS} FROM municipality.subsidy_programs WHERE tenant_code = ${w.tenant} ORDER BY valid_from DESC, code`.execute(w.tx);
  return r.rows.map(view);
}

export async function getSubsidyProgram(w: Work, code: string): Promise<SubsidyProgramView | null> {
  requireBillingRead(w);
  const r = await sql<Row>`SELECT ${COLS} FROM municipality.subsidy_programs WHERE tenant_code = ${w.tenant} AND code = ${code}`.execute(w.tx);
  return r.rows[0] ? view(r.rows[0]) : null;
}

/** The amount a program pays for what was paid: a fixed amount or the cost up to the ceiling, never more than paid. */
export function subsidyAmount(p: Pick<SubsidyProgramView, 'amountKind' | 'amount'>, paid: number): number {
  return Math.min(p.amount, paid);
}
