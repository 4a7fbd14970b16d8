// 給付の支払 (VAX-34 (4); decision 0167): the relief or money duty pays the payment orders due by the transfer
// date in one batch of its own kind through billing's one 全銀 writer.  One transaction: the orders are read
// locked, the batch and its transfers written, the orders marked batched and then paid on the transfer date
// (as records and 償還払い are paid when their batch is made).  A batch made again finds nothing to pay.
import type { Work } from '../../kernel/context/index.js';
import { createPersonBatch, transferDateOf, type BatchReport } from '../billing/index.js';
import { markReliefOrders, reliefPaymentOrders } from './orders.js';
import { requireOrdersAccess } from './model.js';
import { sql } from 'kysely';

/** 顧客コード1 of a relief transfer: the case's 受付番号, 10 digits. */
export const reliefCustomerCode = (caseNo: number): string => String(caseNo).padStart(10, '0');

export async function createReliefPaymentBatch(w: Work, o: { transferDate?: string | undefined } = {}): Promise<BatchReport> {
  requireOrdersAccess(w, 'personal.write');
  const transferDate = transferDateOf(w, o.transferDate);
  const orders = await reliefPaymentOrders(w, { payBy: transferDate });
  const atena = orders.length
    ? new Map((await sql<{ id: string; atena_no: string }>`SELECT id::text AS id, atena_no FROM municipality.relief_cases WHERE tenant_code = ${w.tenant} AND id = ANY(${[...new Set(orders.map((x) => x.caseId))]}::uuid[])`.execute(w.tx)).rows.map((r) => [r.id, r.atena_no]))
    : new Map<string, string>();
  const report = await createPersonBatch(
    w,
    'relief',
    orders.map((x) => ({
      sourceId: x.id,
      atenaNo: atena.get(x.caseId)!,
      amount: x.amount,
      customerCode: reliefCustomerCode(x.caseNo),
      account: { bankCode: x.bankCode, bankKana: x.bankKana, branchCode: x.branchCode, branchKana: x.branchKana, accountType: x.accountType, accountNo: x.accountNo, holderKana: x.holderKana },
      accountSource: x.accountSource,
    })),
    { transferDate, purpose: '健康被害救済の給付の支払' },
  );
  const ids = orders.map((x) => x.id);
  await markReliefOrders(w, ids, { status: 'batched', batchId: report.batch });
  await markReliefOrders(w, ids, { status: 'paid', paidOn: transferDate });
  return report;
}
