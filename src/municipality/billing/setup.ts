// Tenant data of billing (docs/formats/clinic-protocol.md §5; VAX-32): unit prices per program versioned by the
// day they apply from, the payees (the institutions' accounts) and the municipality's own account as 依頼人 of
// the 総合振込 file.  Validated with zod; kana stored in 全銀 characters (converted from what was typed).
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { checkMedicalInstitutionCode, isIsoDate, toHalfWidthDigits } from '../../kernel/jp/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { authorize, can } from '../../kernel/access/index.js';
import { accountOfRow, ACCOUNT_FIELDS, digits, holderKana, zkana } from './bank.js';

export function requireBillingRead(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
}

export function requireBillingWrite(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
}

/** Kinds of payment batch: 予防接種 (institutions and 償還払い) or 健康被害救済 (its benefits; decision 0167). */
export const BATCH_KINDS = ['vaccination', 'relief'] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

/**
 * A relief batch and its file are the relief duty's or the money duty's (費用・支払), never the vaccination
 * duty's (VAX-34: strict duty separation); a refusal is logged.
 */
export function requireReliefPayments(w: Work, permission: 'personal.read' | 'personal.write', batchId?: string): void {
  if (w.actor.kind === 'system') return;
  if (can(w.actor, permission, 'relief') || can(w.actor, permission, 'money')) return;
  authorize(w.actor, permission, 'relief', { type: 'payment-batch', ...(batchId ? { id: batchId } : {}) });
}

const yen = (label: string) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(toHalfWidthDigits(v.trim().replace(/[,，円]/g, ''))) : v), z.number({ message: `${label}を円単位の整数で入力してください` }).int(`${label}は円単位の整数です`).min(0, `${label}は0円以上です`).max(10_000_000, `${label}が大きすぎます`));

const institutionCode = z.preprocess(
  (v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v),
  z.string().superRefine((s, ctx) => {
    const c = checkMedicalInstitutionCode(s);
    if (!c.ok) ctx.addIssue({ code: 'custom', message: c.reason, params: { code: 'INSTITUTION_CODE_INVALID' } });
  }),
);

// ------------------------------------------------------------------ prices

export const PriceInput = z.object({
  program: z.string().trim().min(1, '予防接種を指定してください').max(60),
  validFrom: z.string().trim().refine((s) => isIsoDate(s), '適用開始日は YYYY-MM-DD です'),
  unitPrice: yen('単価'),
  copay: yen('自己負担額'),
  copayWaivedFor: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
}).refine((p) => p.copay <= p.unitPrice, { message: '自己負担額は単価以下です', path: ['copay'] });
export type PriceInput = z.input<typeof PriceInput>;

export interface PriceView {
  readonly program: string;
  readonly validFrom: string;
  readonly unitPrice: number;
  readonly copay: number;
  readonly copayWaivedFor: readonly string[];
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** Sets the unit price of a program from a day on (the same program and day again replaces it). */
export async function setPrice(w: Work, raw: unknown): Promise<PriceView> {
  requireBillingWrite(w);
  const p = parseInput(PriceInput, raw);
  const r = await sql<PriceRow>`
    INSERT INTO municipality.billing_prices (tenant_code, program, valid_from, unit_price, copay, copay_waived_for, updated_at, updated_by)
    VALUES (${w.tenant}, ${p.program}, ${p.validFrom}::date, ${p.unitPrice}, ${p.copay}, ${p.copayWaivedFor}::text[], ${w.clock.now()}, ${w.actor.login})
    ON CONFLICT (tenant_code, program, valid_from) DO UPDATE SET unit_price = excluded.unit_price, copay = excluded.copay, copay_waived_for = excluded.copay_waived_for,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by
    RETURNING ${PRICE_COLS}`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'billing-price', targetId: `${p.program}@${p.validFrom}`, detail: { unitPrice: p.unitPrice, copay: p.copay, copayWaivedFor: p.copayWaivedFor } });
  return priceView(r.rows[0]!);
}

interface PriceRow {
  program: string;
  valid_from: string;
  unit_price: number;
  copay: number;
  copay_waived_for: string[];
  updated_at: Date;
  updated_by: string;
}
const PRICE_COLS = sql`program, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, unit_price, copay, copay_waived_for, updated_at, updated_by`;
const priceView = (r: PriceRow): PriceView => ({ program: r.program, validFrom: r.valid_from, unitPrice: r.unit_price, copay: r.copay, copayWaivedFor: r.copay_waived_for, updatedAt: r.updated_at, updatedBy: r.updated_by });

/** Every price version, program then newest first. */
export async function listPrices(w: Work): Promise<PriceView[]> {
  requireBillingRead(w);
  const r = await sql<PriceRow>`SELECT ${PRICE_COLS} FROM municipality.billing_prices WHERE tenant_code = ${w.tenant} ORDER BY program, valid_from DESC`.execute(w.tx);
  return r.rows.map(priceView);
}

// ------------------------------------------------------------------ payees

export const PayeeInput = z.object({
  institutionCode,
  name: z.string().trim().min(1, '医療機関名を入力してください').max(100),
  kana: z.string().trim().min(1, '医療機関名（カナ）を入力してください').max(100),
  ...ACCOUNT_FIELDS,
  holderKana: holderKana(),
});
export type PayeeInput = z.input<typeof PayeeInput>;

/** A bank account as stored (kana in 全銀 characters, null when not registered). */
export interface AccountView {
  readonly bankCode: string;
  readonly bankKana: string | null;
  readonly branchCode: string;
  readonly branchKana: string | null;
  readonly accountType: string;
  readonly accountNo: string;
}

export interface PayeeView extends AccountView {
  readonly institutionCode: string;
  readonly name: string;
  readonly kana: string;
  readonly holderKana: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

interface PayeeRow {
  institution_code: string;
  name: string;
  kana: string;
  bank_code: string;
  bank_kana: string | null;
  branch_code: string;
  branch_kana: string | null;
  account_type: string;
  account_no: string;
  holder_kana: string;
  updated_at: Date;
  updated_by: string;
}
const payeeView = (r: PayeeRow): PayeeView => ({
  institutionCode: r.institution_code, name: r.name, kana: r.kana, ...accountOfRow(r), updatedAt: r.updated_at, updatedBy: r.updated_by,
});

/** Registers or replaces the payee of an institution. */
export async function setPayee(w: Work, raw: unknown): Promise<PayeeView> {
  requireBillingWrite(w);
  const p = parseInput(PayeeInput, raw);
  const r = await sql<PayeeRow>`
    INSERT INTO municipality.payees (tenant_code, institution_code, name, kana, bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, holder_kana, updated_at, updated_by)
    VALUES (${w.tenant}, ${p.institutionCode}, ${p.name}, ${p.kana}, ${p.bankCode}, ${p.bankKana}, ${p.branchCode}, ${p.branchKana}, ${p.accountType}, ${p.accountNo}, ${p.holderKana}, ${w.clock.now()}, ${w.actor.login})
    ON CONFLICT (tenant_code, institution_code) DO UPDATE SET name = excluded.name, kana = excluded.kana, bank_code = excluded.bank_code, bank_kana = excluded.bank_kana,
      branch_code = excluded.branch_code, branch_kana = excluded.branch_kana, account_type = excluded.account_type, account_no = excluded.account_no,
      holder_kana = excluded.holder_kana, updated_at = excluded.updated_at, updated_by = excluded.updated_by
    RETURNING *`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'payee', targetId: p.institutionCode, detail: { bankCode: p.bankCode, branchCode: p.branchCode } });
  return payeeView(r.rows[0]!);
}

export async function listPayees(w: Work, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; rows: PayeeView[] }> {
  requireBillingRead(w);
  const size = Math.min(Math.max(o.pageSize ?? 100, 1), 1000);
  const page = Math.max(o.page ?? 1, 1);
  const t = await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.payees WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const r = await sql<PayeeRow>`SELECT * FROM municipality.payees WHERE tenant_code = ${w.tenant} ORDER BY institution_code LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  return { total: Number(t.rows[0]!.n), rows: r.rows.map(payeeView) };
}

export async function payeesOf(w: Work, codes: readonly string[]): Promise<Map<string, PayeeView>> {
  const r = await sql<PayeeRow>`SELECT * FROM municipality.payees WHERE tenant_code = ${w.tenant} AND institution_code = ANY(${[...codes]}::text[])`.execute(w.tx);
  return new Map(r.rows.map((x) => [x.institution_code, payeeView(x)]));
}

// ------------------------------------------------------------------ the municipality's own account (依頼人)

export const RequesterInput = z.object({
  requesterCode: digits(10, '委託者コード'),
  requesterKana: zkana(40, '依頼人名（カナ）'),
  ...ACCOUNT_FIELDS,
});
export type RequesterInput = z.input<typeof RequesterInput>;

export interface RequesterView extends AccountView {
  readonly requesterCode: string;
  readonly requesterKana: string;
}

/** The 依頼人 of the 総合振込 file: the municipality's 委託者コード and its own account. */
export async function setRequester(w: Work, raw: unknown): Promise<RequesterView> {
  requireBillingWrite(w);
  const p = parseInput(RequesterInput, raw);
  await sql`
    INSERT INTO municipality.billing_settings (tenant_code, requester_code, requester_kana, bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, updated_at, updated_by)
    VALUES (${w.tenant}, ${p.requesterCode}, ${p.requesterKana}, ${p.bankCode}, ${p.bankKana}, ${p.branchCode}, ${p.branchKana}, ${p.accountType}, ${p.accountNo}, ${w.clock.now()}, ${w.actor.login})
    ON CONFLICT (tenant_code) DO UPDATE SET requester_code = excluded.requester_code, requester_kana = excluded.requester_kana, bank_code = excluded.bank_code, bank_kana = excluded.bank_kana,
      branch_code = excluded.branch_code, branch_kana = excluded.branch_kana, account_type = excluded.account_type, account_no = excluded.account_no, updated_at = excluded.updated_at, updated_by = excluded.updated_by`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'billing-settings', detail: { bankCode: p.bankCode, branchCode: p.branchCode } });
  return p;
}

export async function getRequester(w: Work): Promise<RequesterView | null> {
  requireBillingRead(w);
  return requesterOf(w);
}

/**
 * The 依頼人 without the vaccination duty's check: the municipality's own account (no personal data), read by
 * the payment file of a batch whose own check was made (a relief batch: 健康被害救済・費用・支払).
 */
export async function requesterOf(w: Work): Promise<RequesterView | null> {
  const r = await sql<{ requester_code: string; requester_kana: string; bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null; account_type: string; account_no: string }>`
    SELECT * FROM municipality.billing_settings WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const x = r.rows[0];
  if (!x) return null;
  return { requesterCode: x.requester_code, requesterKana: x.requester_kana, bankCode: x.bank_code, bankKana: x.bank_kana, branchCode: x.branch_code, branchKana: x.branch_kana, accountType: x.account_type, accountNo: x.account_no };
}

/** `YYYY-MM`, or a Problem on the field. */
export function parseMonth(month: unknown, field = 'month'): string {
  const m = typeof month === 'string' ? toHalfWidthDigits(month.trim()) : '';
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(m)) throw invalidField(field, 'MONTH_INVALID', '請求年月は YYYY-MM で指定してください');
  return m;
}
