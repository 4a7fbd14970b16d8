// Whether an application's fees are settled (decision 0194): the one question examination asks before an
// approval.  This module is the seam the fees part (src/registry/fees.ts, branch wt/fees) replaces: it keeps
// the signature `assertFeesSettled(tx, application)` and answers from the payments it records.
//
// Until then the answer is: settled when the catalog's fee for the application's procedure is 0 (or 「なし」),
// or when the application's history holds a `fee_settled` event (written by whoever confirmed the payment:
// the payment node's signed event, or staff for a 収入印紙 on paper).  An unknown amount (catalog status
// 要確認, amount null) is not settled without that event.
import { sql } from 'kysely';
import { conflict } from '../kernel/problems/index.js';
import type { ApplicationView } from './applications.js';
import { catalog } from './catalog.js';
import type { Tx } from './store.js';

export interface Settlement {
  readonly settled: boolean;
  /** Why (Japanese, for the examiner's screen). */
  readonly reason: string;
  readonly amount: number | null;
}

/** The application's fee state, read in the caller's transaction. */
export async function feeSettlement(tx: Tx, application: Pick<ApplicationView, 'id' | 'qualification' | 'procedure'>): Promise<Settlement> {
  const fee = catalog().qualification(application.qualification)?.fees.find((f) => f.procedure === application.procedure);
  if (!fee || fee.kind === 'なし' || fee.amount === 0) return { settled: true, reason: 'この手続に手数料はありません', amount: 0 };
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.application_events WHERE application_id = ${application.id} AND kind = 'fee_settled'`.execute(tx);
  if ((r.rows[0]?.n ?? 0) > 0) return { settled: true, reason: `${fee.kind}の納付を確認済みです`, amount: fee.amount };
  return { settled: false, reason: `${fee.kind}${fee.amount === null ? '' : `（${fee.amount.toLocaleString('ja-JP')}円）`}の納付が確認できていません`, amount: fee.amount };
}

/** 409 FEES_NOT_SETTLED unless the application's fees are settled. */
export async function assertFeesSettled(tx: Tx, application: Pick<ApplicationView, 'id' | 'qualification' | 'procedure'>): Promise<void> {
  const s = await feeSettlement(tx, application);
  if (!s.settled) throw conflict('FEES_NOT_SETTLED', `${s.reason}。納付の確認後に承認してください。`);
}
