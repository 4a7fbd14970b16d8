// Whether an application's fees are settled (QUA-20; decisions 0194, 0196): the one question examination asks
// before an approval.  The seam examination (wt/exam) created with this signature, now answered from the
// fees (src/registry/fees.ts): the application's fee lines and the ledger of what was paid online through
// 公金決済 or by 収入印紙 / 領収証書 seen by staff, minus refunds.  When the fees become settled the
// application's history gets a `fee_settled` event.
import { Problem } from '../kernel/problems/index.js';
import type { ApplicationView } from './applications.js';
import { settlementOf, type Settlement } from './fees.js';
import type { Tx } from './store.js';

export type { Settlement };

/** The application's fee state, read in the caller's transaction. */
export async function feeSettlement(tx: Tx, application: Pick<ApplicationView, 'id' | 'qualification' | 'procedure'>): Promise<Settlement> {
  return settlementOf(tx, application);
}

/**
 * Settlement required before completion: resolves when the fees are paid in full (or nothing is due);
 * otherwise 409 FEES_NOT_SETTLED naming what is outstanding, or FEE_AMOUNT_UNKNOWN while an amount is to be
 * confirmed.  Examination approval calls it in its transaction.
 */
export async function assertFeesSettled(tx: Tx, application: Pick<ApplicationView, 'id' | 'qualification' | 'procedure'>): Promise<void> {
  const s = await settlementOf(tx, application);
  if (s.settled) return;
  const code = s.outstanding === null ? 'FEE_AMOUNT_UNKNOWN' : 'FEES_NOT_SETTLED';
  throw new Problem(409, code, s.outstanding === null ? '手数料等の額が確定していません' : '手数料等の納付が完了していません', `${s.reason}。納付の確認後に承認してください。`, [
    { field: 'fees', code, message: s.reason },
  ]);
}
