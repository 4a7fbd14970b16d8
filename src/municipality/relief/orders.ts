// 給付の支払指示 (VAX-34 (4); decision 0162): an order pays (part of) a decided benefit to the 公金受取口座 or to
// the account the applicant named, as confirmed on a day; the orders are what the person payment batch (the
// 全銀 総合振込 another part generalises for persons) reads through `reliefPaymentOrders` and marks with
// `markReliefOrders`.  No second file writer here.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { isIsoDate, toHalfWidthDigits } from '../../kernel/jp/index.js';
import { invalidField, parseInput, Problem } from '../../kernel/problems/index.js';
import { accountOfRow, ACCOUNT_FIELDS, holderKana } from '../billing/index.js';
import { caseStep } from './cases.js';
import { BENEFIT_LABELS, RELIEF_PURPOSE, requireOrdersAccess, type BenefitKind } from './model.js';
import { isoDate as date, UUID } from './input.js';

export const OrderInput = z.object({
  benefitId: z.string({ message: '給付を選んでください' }).regex(UUID, '給付の指定が正しくありません'),
  /** 円; by default what is left of the benefit. */
  amount: z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(toHalfWidthDigits(v.trim().replace(/[,，円]/g, '')))) : v),
    z.number({ message: '支払額を円単位の整数で入力してください' }).int('支払額は円単位の整数です').min(1, '支払額は1円以上です').optional(),
  ),
  payOn: date('支払予定日'),
  accountSource: z.enum(['public-receipt', 'applicant'], { message: '支払先の口座（公金受取口座・申請者が指定した口座）を選んでください' }),
  accountConfirmedOn: date('口座の確認日'),
  // The account: billing's one set of 全銀 validators (billing/bank.ts), as for payees and 償還払い.
  ...ACCOUNT_FIELDS,
  holderKana: holderKana(),
});

/** 支払指示: part or the rest of a decided benefit, never more than is left of it. */
export async function orderPayment(w: Work, caseId: string, raw: unknown): Promise<{ id: string; amount: number }> {
  const o = parseInput(OrderInput, raw);
  const today = w.clock.today();
  if (o.payOn < today) throw invalidField('payOn', 'DATE_PAST', '支払予定日が過去の日付です');
  if (o.accountConfirmedOn > today) throw invalidField('accountConfirmedOn', 'DATE_FUTURE', '口座の確認日が未来の日付です');
  return caseStep(w, caseId, 'order', async () => {
    const b = await sql<{ kind: BenefitKind; amount: string; ordered: string }>`
      SELECT b.kind, b.amount, coalesce((SELECT sum(o.amount) FROM municipality.relief_payment_orders o WHERE o.tenant_code = b.tenant_code AND o.benefit_id = b.id), 0) AS ordered
      FROM municipality.relief_benefits b WHERE b.tenant_code = ${w.tenant} AND b.case_id = ${caseId}::uuid AND b.id = ${o.benefitId}::uuid`.execute(w.tx);
    const ben = b.rows[0];
    if (!ben) throw invalidField('benefitId', 'BENEFIT_NOT_FOUND', 'この事案で決定された給付ではありません');
    const left = Number(ben.amount) - Number(ben.ordered);
    if (left <= 0) throw new Problem(409, 'BENEFIT_FULLY_ORDERED', `${BENEFIT_LABELS[ben.kind]}は全額の支払を指示済みです`, 'この給付の支給額は全額、支払指示済みです。', [{ field: 'benefitId', code: 'BENEFIT_FULLY_ORDERED', message: '全額の支払を指示済みです' }]);
    const amount = o.amount ?? left;
    if (amount > left) throw invalidField('amount', 'AMOUNT_OVER_BENEFIT', `支払額が給付の残り（${left.toLocaleString('ja-JP')}円）を超えています`);
    const r = await sql<{ id: string }>`INSERT INTO municipality.relief_payment_orders (tenant_code, case_id, benefit_id, amount, pay_on, account_source, account_confirmed_on,
        bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, holder_kana, status, created_at, created_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${o.benefitId}::uuid, ${amount}, ${o.payOn}::date, ${o.accountSource}, ${o.accountConfirmedOn}::date,
        ${o.bankCode}, ${o.bankKana ?? null}, ${o.branchCode}, ${o.branchKana ?? null}, ${o.accountType}, ${o.accountNo}, ${o.holderKana!}, 'ordered', ${w.clock.now()}, ${w.actor.login})
      RETURNING id::text AS id`.execute(w.tx);
    return { detail: { order: r.rows[0]!.id, benefit: o.benefitId, kind: ben.kind, amount, payOn: o.payOn, accountSource: o.accountSource }, result: { id: r.rows[0]!.id, amount } };
  });
}

/** One order as the relief payment batch reads it (relief/payments.ts; decision 0167). */
export interface ReliefPaymentOrder {
  readonly id: string;
  readonly caseId: string;
  readonly caseNo: number;
  readonly benefitKind: BenefitKind;
  /** 円. */
  readonly amount: number;
  readonly payOn: string;
  readonly accountSource: 'public-receipt' | 'applicant';
  readonly bankCode: string;
  readonly bankKana: string | null;
  readonly branchCode: string;
  readonly branchKana: string | null;
  readonly accountType: '1' | '2' | '4';
  readonly accountNo: string;
  readonly holderKana: string;
  readonly status: 'ordered' | 'batched' | 'paid';
  readonly batchId: string | null;
  readonly paidOn: string | null;
}

type OrderRow = { id: string; case_id: string; case_no: string; kind: BenefitKind; amount: string; pay_on: string; account_source: 'public-receipt' | 'applicant'; bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null; account_type: '1' | '2' | '4'; account_no: string; holder_kana: string; status: 'ordered' | 'batched' | 'paid'; batch_id: string | null; paid_on: string | null };
const ORDER_SELECT = sql`SELECT o.id::text AS id, o.case_id::text AS case_id, c.case_no, b.kind, o.amount, to_char(o.pay_on, 'YYYY-MM-DD') AS pay_on, o.account_source,
  o.bank_code, o.bank_kana, o.branch_code, o.branch_kana, o.account_type, o.account_no, o.holder_kana, o.status, o.batch_id::text AS batch_id, to_char(o.paid_on, 'YYYY-MM-DD') AS paid_on
  FROM municipality.relief_payment_orders o
  JOIN municipality.relief_cases c ON c.tenant_code = o.tenant_code AND c.id = o.case_id
  JOIN municipality.relief_benefits b ON b.tenant_code = o.tenant_code AND b.id = o.benefit_id`;
export const orderView = (r: OrderRow): ReliefPaymentOrder => ({
  id: r.id, caseId: r.case_id, caseNo: Number(r.case_no), benefitKind: r.kind, amount: Number(r.amount), payOn: r.pay_on, accountSource: r.account_source,
  ...accountOfRow(r),
  status: r.status, batchId: r.batch_id, paidOn: r.paid_on,
});

export async function ordersOfCase(w: Work, caseId: string): Promise<ReliefPaymentOrder[]> {
  const r = await sql<OrderRow>`${ORDER_SELECT} WHERE o.tenant_code = ${w.tenant} AND o.case_id = ${caseId}::uuid ORDER BY o.created_at, o.id`.execute(w.tx);
  return r.rows.map(orderView);
}

/** The orders a batch paid, in 受付番号 order. */
export async function ordersOfBatch(w: Work, batchId: string): Promise<ReliefPaymentOrder[]> {
  requireOrdersAccess(w, 'personal.read');
  if (!UUID.test(batchId)) return [];
  const r = await sql<OrderRow>`${ORDER_SELECT} WHERE o.tenant_code = ${w.tenant} AND o.batch_id = ${batchId}::uuid ORDER BY c.case_no, o.id`.execute(w.tx);
  return r.rows.map(orderView);
}

/** How many orders (and 円) a batch with this transfer date would pay: for the screen, nothing locked. */
export async function dueReliefOrders(w: Work, payBy: string): Promise<{ count: number; amount: number }> {
  requireOrdersAccess(w, 'personal.read');
  if (!isIsoDate(payBy)) throw invalidField('payBy', 'DATE_INVALID', '支払予定日は YYYY-MM-DD で指定してください');
  const r = await sql<{ n: number; amount: string }>`SELECT count(*)::int AS n, coalesce(sum(amount), 0) AS amount FROM municipality.relief_payment_orders
    WHERE tenant_code = ${w.tenant} AND status = 'ordered' AND pay_on <= ${payBy}::date`.execute(w.tx);
  return { count: r.rows[0]!.n, amount: Number(r.rows[0]!.amount) };
}

/**
 * THE CONTRACT for the person payment batch: the orders waiting to be paid (status 'ordered') whose
 * 支払予定日 is on or before `payBy`, locked FOR UPDATE in the caller's transaction.  Read by staff with
 * personal.read in 健康被害救済 or 費用・支払, or the system's batch job.
 */
export async function reliefPaymentOrders(w: Work, o: { payBy: string; limit?: number }): Promise<ReliefPaymentOrder[]> {
  requireOrdersAccess(w, 'personal.read');
  if (!isIsoDate(o.payBy)) throw invalidField('payBy', 'DATE_INVALID', '支払予定日は YYYY-MM-DD で指定してください');
  const limit = Math.min(Math.max(o.limit ?? 5000, 1), 50_000);
  const r = await sql<OrderRow>`${ORDER_SELECT} WHERE o.tenant_code = ${w.tenant} AND o.status = 'ordered' AND o.pay_on <= ${o.payBy}::date
    ORDER BY o.pay_on, c.case_no, o.id LIMIT ${limit} FOR UPDATE OF o`.execute(w.tx);
  return r.rows.map(orderView);
}

/**
 * THE CONTRACT, second half: the batch marks the orders it took ('batched' with its batch id) and later the
 * paid ones ('paid' with the transfer date).  All or nothing: an order in another state is a Problem.
 */
export async function markReliefOrders(w: Work, ids: readonly string[], to: { status: 'batched'; batchId: string } | { status: 'paid'; paidOn: string }): Promise<number> {
  requireOrdersAccess(w, 'personal.write');
  if (ids.length === 0) return 0;
  if (!ids.every((i) => UUID.test(i))) throw invalidField('ids', 'ID_INVALID', '支払指示の指定が正しくありません');
  const from = to.status === 'batched' ? 'ordered' : 'batched';
  const r = to.status === 'batched'
    ? await sql`UPDATE municipality.relief_payment_orders SET status = 'batched', batch_id = ${to.batchId}::uuid WHERE tenant_code = ${w.tenant} AND id = ANY(${ids}::uuid[]) AND status = ${from}`.execute(w.tx)
    : await sql`UPDATE municipality.relief_payment_orders SET status = 'paid', paid_on = ${to.paidOn}::date WHERE tenant_code = ${w.tenant} AND id = ANY(${ids}::uuid[]) AND status = ${from}`.execute(w.tx);
  if (Number(r.numAffectedRows ?? 0) !== new Set(ids).size) throw new Problem(409, 'RELIEF_ORDER_STATE', '支払指示の状態が変わっています', '指定した支払指示の中に、既に処理されたものがあります。もう一度やり直してください。');
  await appendEntry(w.tx, w, { action: 'relief_payment_order', targetType: 'relief-payment-orders', purpose: RELIEF_PURPOSE, detail: { to: to.status, orders: ids.length, ...(to.status === 'batched' ? { batch: to.batchId } : { paidOn: to.paidOn }) } });
  return ids.length;
}
