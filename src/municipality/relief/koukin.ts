// 健康被害救済給付 paid to the 公金受取口座 (VAX-34 (4), RES-20; decisions 0162, 0163, 0164): when the applicant
// is the injured person themself, staff of the relief duty may ask デジタル庁's 公金受取口座登録システム through
// the exchange (事務 relief-or-fee) with the applicant's consent, and order the payment to the account
// obtained (source 公金受取口座, confirmed today).  The order's input is checked before the inquiry; the account
// is checked with billing's 全銀 validators; nothing is ordered when there is none, when it is refused, or when
// the exchange fails.
import { sql } from 'kysely';
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { invalidField, notFound, parseInput, Problem } from '../../kernel/problems/index.js';
import type { MunicipalExchange } from '../exchange/index.js';
import { askPublicFundsAccount } from '../reimburse/index.js';
import { orderPayment } from './orders.js';
import { requireOrdersAccess } from './model.js';
import { isoDate as date, UUID } from './input.js';

const KoukinOrderInput = z.object({
  benefitId: z.string({ message: '給付を選んでください' }).regex(UUID, '給付の指定が正しくありません'),
  amount: z.unknown().optional(),
  payOn: date('支払予定日'),
  staffConfirmed: z.preprocess((v) => v === 'on' || v === true, z.boolean()),
});

export type KoukinOrderResult = { readonly status: 'ordered'; readonly id: string; readonly amount: number; readonly exchangeId: string } | { readonly status: 'none'; readonly exchangeId: string };

/** Asks for the injured person's 公金受取口座 and, when found, orders (part of) a benefit to it in one transaction. */
export async function orderToPublicFundsAccount(db: MamoriDb, who: Principal, x: MunicipalExchange, caseId: string, raw: unknown): Promise<KoukinOrderResult> {
  const o = parseInput(KoukinOrderInput, raw);
  const atenaNo = await runAs(db, who, async (w) => {
    requireOrdersAccess(w, 'personal.write');
    if (!UUID.test(caseId)) throw notFound('救済の事案');
    if (o.payOn < w.clock.today()) throw invalidField('payOn', 'DATE_PAST', '支払予定日が過去の日付です');
    const c = await sql<{ atena_no: string; applicant_relation: string }>`
      SELECT atena_no, applicant_relation FROM municipality.relief_cases WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid`.execute(w.tx);
    if (!c.rows[0]) throw notFound('救済の事案');
    if (c.rows[0].applicant_relation !== 'self') {
      throw new Problem(409, 'KOUKIN_NOT_SELF', '申請者の公金受取口座は照会できません', '公金受取口座を照会できるのは、被接種者本人が申請者のときだけです。申請者が指定した口座で支払を指示してください。');
    }
    return c.rows[0].atena_no;
  });
  const r = await askPublicFundsAccount(db, who, x, atenaNo, { duty: 'relief', staffConfirmed: o.staffConfirmed });
  if (r.status === 'none') return { status: 'none', exchangeId: r.exchangeId };
  const a = r.account;
  const ordered = await runAs(db, who, (w) =>
    orderPayment(w, caseId, {
      benefitId: o.benefitId, amount: o.amount, payOn: o.payOn, accountSource: 'public-receipt', accountConfirmedOn: w.clock.today(),
      bankCode: a.bankCode, bankKana: a.bankKana ?? undefined, branchCode: a.branchCode, branchKana: a.branchKana ?? undefined, accountType: a.accountType, accountNo: a.accountNo, holderKana: a.holderKana,
    }),
  );
  return { status: 'ordered', id: ordered.id, amount: ordered.amount, exchangeId: r.exchangeId };
}
