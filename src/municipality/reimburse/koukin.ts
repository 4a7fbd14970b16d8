// 公金受取口座 obtained through the exchange (RES-20, VAX-33; decisions 0163, 0164): with the resident's
// consent, staff ask デジタル庁's 公金受取口座登録システム — through this municipality's 中間サーバー and the
// 情報提供ネットワークシステム, by 符号, under a 情報提供許可証 — for the account the resident registered,
// and keep it as the person's account (source 公金受取口座).  The account is checked with billing's one set
// of 全銀 validators first: an account the 総合振込 file cannot carry is refused with the field named, and
// nothing is stored.  The inquiry happens between transactions: when the exchange fails nothing is stored
// and the failure is in the operation log; asking again is always safe.
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { fieldErrorsFromZod, isProblem, notFound, Problem } from '../../kernel/problems/index.js';
import { requireBillingWrite } from '../billing/index.js';
import type { MunicipalExchange } from '../exchange/index.js';
import { BankAccountInput, storePersonAccount, type AccountPurpose, type PersonAccountView } from './accounts.js';

/** The provider body (its node) and the item on the permission list. */
export const KOUKIN_PROVIDER = 'koukin';
export const PUBLIC_FUNDS_ACCOUNT = 'public-funds-account';
/** The 事務 under which the municipality asks, per purpose of the payment. */
export const KOUKIN_JIMU = { vaccination: 'vaccination-subsidy', relief: 'relief-or-fee' } as const;
export type KoukinDuty = keyof typeof KOUKIN_JIMU;

const PURPOSE_TEXT: Record<KoukinDuty, string> = {
  vaccination: '予防接種費用の償還払い（公金受取口座の取得）',
  relief: '予防接種健康被害救済給付の支払（公金受取口座の取得）',
};

export interface ObtainOptions {
  /** Whose business the payment is: the subsidy (償還払い, default) or the relief benefit. */
  readonly duty?: KoukinDuty;
  /** Which of the person's accounts the obtained one becomes (default refund for the subsidy, benefit for relief). */
  readonly purpose?: AccountPurpose;
  /** The consent: the reimbursement application whose 「公金受取口座を利用する」 is ticked, or … */
  readonly reimbursementId?: string;
  /** … the staff's explicit confirmation that the resident consented (recorded in the operation log). */
  readonly staffConfirmed?: boolean;
}

export type ObtainResult =
  | { readonly status: 'stored'; readonly exchangeId: string; readonly legalBasis: string | null; readonly account: PersonAccountView; readonly registeredOn: string | null; readonly changedOn: string | null }
  | { readonly status: 'none'; readonly exchangeId: string; readonly legalBasis: string | null };

type Consent = { kind: 'application'; reimbursementNo: string } | { kind: 'staff-confirmed' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function prepare(w: Work, atenaNo: string, opts: ObtainOptions): Promise<{ integratedNo: string; consent: Consent }> {
  requireBillingWrite(w);
  if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
  const p = await sql<{ integrated_no: string | null }>`SELECT integrated_no FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${atenaNo}`.execute(w.tx);
  if (!p.rows[0]) throw notFound('住民');
  let consent: Consent | undefined;
  if (opts.reimbursementId !== undefined) {
    if (!UUID.test(opts.reimbursementId)) throw notFound('償還払いの申請');
    const r = await sql<{ no: string; koukin_consent: boolean }>`
      SELECT no::text AS no, koukin_consent FROM municipality.reimbursements WHERE tenant_code = ${w.tenant} AND id = ${opts.reimbursementId}::uuid AND atena_no = ${atenaNo}`.execute(w.tx);
    if (!r.rows[0]) throw notFound('償還払いの申請');
    if (r.rows[0].koukin_consent) consent = { kind: 'application', reimbursementNo: r.rows[0].no };
  }
  if (!consent && opts.staffConfirmed === true) consent = { kind: 'staff-confirmed' };
  if (!consent) {
    throw new Problem(409, 'KOUKIN_CONSENT_REQUIRED', '公金受取口座の利用について本人の同意が確認できません',
      '申請書の「公金受取口座を利用する」に同意があるか、本人の同意を確認したうえで「同意を確認した」を選んでから照会してください。', [
        { field: 'consent', code: 'REQUIRED', message: '本人の同意を確認してください' },
      ]);
  }
  if (!p.rows[0].integrated_no) {
    throw new Problem(409, 'NO_INTEGRATED_NO', '団体内統合宛名番号がありません', 'この方には団体内統合宛名番号がないため、情報提供ネットワークシステムで照会できません。口座は申請書の口座を登録してください。');
  }
  return { integratedNo: p.rows[0].integrated_no, consent };
}

interface ChukanAnswer {
  exchangeId?: unknown;
  status?: unknown;
  legalBasis?: unknown;
  records?: unknown;
}

/**
 * Asks the 公金受取口座登録システム for the person's registered account and, when there is one the 全銀 file can
 * carry, stores it as the person's account (source 公金受取口座).  Throws 409 without the resident's consent,
 * 422 KOUKIN_ACCOUNT_UNUSABLE (fields `account.<field>`) for an account the file cannot carry, and the
 * exchange's own problem (e.g. 503) when the inquiry could not be made — nothing stored in each case.
 */
export async function obtainPublicFundsAccount(db: MamoriDb, who: Principal, x: MunicipalExchange, atenaNo: string, opts: ObtainOptions = {}): Promise<ObtainResult> {
  const duty: KoukinDuty = opts.duty ?? 'vaccination';
  const purpose: AccountPurpose = opts.purpose ?? (duty === 'relief' ? 'benefit' : 'refund');
  const jimu = KOUKIN_JIMU[duty];
  const { integratedNo, consent } = await runAs(db, who, (w) => prepare(w, atenaNo, opts));
  const target = { targetType: 'koukin-inquiry', subjectRef: `resident:${atenaNo}`, purpose: PURPOSE_TEXT[duty] };
  const consentDetail = consent.kind === 'application' ? { consent: 'application', reimbursementNo: consent.reimbursementNo } : { consent: 'staff-confirmed' };
  const failed = (code: string, extra: Record<string, unknown> = {}) =>
    runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'exchange_inquiry', ...target, outcome: 'failure', detail: { provider: KOUKIN_PROVIDER, item: PUBLIC_FUNDS_ACCOUNT, code, ...consentDetail, ...extra } }));

  let answer: ChukanAnswer;
  try {
    const res = await x.node.call(
      x.chukanOf(who.tenant),
      'inquire',
      { tenant: who.tenant, integratedNo, jimu, item: PUBLIC_FUNDS_ACCOUNT, provider: KOUKIN_PROVIDER, operator: { login: who.actor.login, duty } },
      { personal: true },
    );
    answer = (res.body ?? {}) as ChukanAnswer;
  } catch (e) {
    await failed(isProblem(e) ? e.code : 'ERROR');
    throw e;
  }
  const exchangeId = typeof answer.exchangeId === 'string' ? answer.exchangeId : '';
  const legalBasis = typeof answer.legalBasis === 'string' ? answer.legalBasis : null;
  if (!exchangeId || (answer.status !== 'provided' && answer.status !== 'none')) {
    await failed('EXCHANGE_BAD_ANSWER');
    throw new Problem(502, 'EXCHANGE_BAD_ANSWER', '照会の応答を読めません', '公金受取口座の照会の応答の形式が正しくありません。口座は登録していません。');
  }
  const record = Array.isArray(answer.records) ? (answer.records[0] as Record<string, unknown> | undefined) : undefined;
  if (answer.status === 'none' || !record || typeof record !== 'object') {
    await runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'exchange_inquiry', ...target, targetId: exchangeId, detail: { provider: KOUKIN_PROVIDER, item: PUBLIC_FUNDS_ACCOUNT, legalBasis, status: 'none', ...consentDetail } }));
    return { status: 'none', exchangeId, legalBasis };
  }
  // The account as the 全銀 file needs it, checked by billing's validators (the same as every account).
  const fields = { bankCode: record['bankCode'], branchCode: record['branchCode'], accountType: record['accountType'], accountNo: record['accountNo'], holderKana: record['holderKana'] };
  const parsed = BankAccountInput.safeParse(fields);
  if (!parsed.success) {
    const errors = fieldErrorsFromZod(parsed.error, 'account').map((f) => ({ ...f, message: `公金受取口座の${f.message}` }));
    await failed('KOUKIN_ACCOUNT_UNUSABLE', { exchangeId, fields: errors.map((f) => f.field) });
    throw new Problem(422, 'KOUKIN_ACCOUNT_UNUSABLE', '公金受取口座を振込に使えません',
      `登録されている公金受取口座は全銀の振込データで扱えないため、登録しませんでした（${errors.map((f) => f.message).join('、')}）。申請書の口座を登録してください。`, errors);
  }
  const date = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
  return runAs(db, who, async (w) => {
    const account = await storePersonAccount(w, { ...parsed.data, atenaNo, purpose, source: 'koukin' });
    await appendEntry(w.tx, w, {
      action: 'exchange_inquiry', ...target, targetId: exchangeId,
      detail: { provider: KOUKIN_PROVIDER, item: PUBLIC_FUNDS_ACCOUNT, legalBasis, status: 'provided', stored: purpose, ...consentDetail },
    });
    return { status: 'stored' as const, exchangeId, legalBasis, account, registeredOn: date(record['registeredOn']), changedOn: date(record['changedOn']) };
  });
}
