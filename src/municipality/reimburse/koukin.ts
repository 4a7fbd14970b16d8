// 公金受取口座 obtained through the exchange (RES-20, VAX-33; decisions 0163, 0164): with the resident's
// consent, staff ask デジタル庁's 公金受取口座登録システム — through this municipality's 中間サーバー and the
// 情報提供ネットワークシステム, by 符号, under a 情報提供許可証 — for the account the resident registered,
// and keep it as the person's account (source 公金受取口座).  The account is checked with billing's one set
// of 全銀 validators first: an account the 総合振込 file cannot carry is refused with the field named, and
// nothing is stored.  The inquiry happens between transactions: when the exchange fails nothing is stored
// and the failure is in the operation log; asking again is always safe.
import { sql } from 'kysely';
import type { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { fieldErrorsFromZod, forbidden, isProblem, notFound, Problem } from '../../kernel/problems/index.js';
import { can } from '../../kernel/policy/index.js';
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

export interface AskOptions {
  /** Whose business the payment is: the subsidy (償還払い, default) or the relief benefit. */
  readonly duty?: KoukinDuty;
  /** The consent: the reimbursement application whose 「公金受取口座を利用する」 is ticked, or … */
  readonly reimbursementId?: string;
  /** … the staff's explicit confirmation that the resident consented (recorded in the operation log). */
  readonly staffConfirmed?: boolean;
}

export interface ObtainOptions extends AskOptions {
  /** Which of the person's accounts the obtained one becomes (default refund for the subsidy, benefit for relief). */
  readonly purpose?: AccountPurpose;
}

/** The account as the 全銀 file carries it (billing's validators applied). */
export type PublicFundsAccount = z.output<typeof BankAccountInput>;

export type AskResult =
  | { readonly status: 'found'; readonly exchangeId: string; readonly legalBasis: string | null; readonly account: PublicFundsAccount; readonly registeredOn: string | null; readonly changedOn: string | null }
  | { readonly status: 'none'; readonly exchangeId: string; readonly legalBasis: string | null };

export type ObtainResult =
  | { readonly status: 'stored'; readonly exchangeId: string; readonly legalBasis: string | null; readonly account: PersonAccountView; readonly registeredOn: string | null; readonly changedOn: string | null }
  | { readonly status: 'none'; readonly exchangeId: string; readonly legalBasis: string | null };

type Consent = { kind: 'application'; reimbursementNo: string } | { kind: 'staff-confirmed' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The rights of each duty: the subsidy's staff store persons' accounts (billing's write right); relief's order payments. */
function authorizeDuty(w: Work, duty: KoukinDuty): void {
  if (duty === 'vaccination') return requireBillingWrite(w);
  if (w.actor.kind === 'system' || can(w.actor, 'personal.write', 'relief') || can(w.actor, 'personal.write', 'money')) return;
  throw forbidden('公金受取口座の照会には「予防接種健康被害救済」の所掌事務と登録の権限が必要です。').withAudit({ action: 'access_denied', targetType: 'koukin-inquiry', outcome: 'denied', detail: { duty } });
}

async function prepare(w: Work, atenaNo: string, duty: KoukinDuty, opts: AskOptions): Promise<{ integratedNo: string; consent: Consent }> {
  authorizeDuty(w, duty);
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
      '申請書の「公金受取口座を利用する」に同意があるか、本人の同意を確認したうえで「同意を得た」を選んでから照会してください。', [
        { field: 'consent', code: 'REQUIRED', message: '本人の同意を確認してください' },
      ]);
  }
  if (!p.rows[0].integrated_no) {
    throw new Problem(409, 'NO_INTEGRATED_NO', '団体内統合宛名番号がありません', 'この方には団体内統合宛名番号がないため、情報提供ネットワークシステムで照会できません。申請書の口座を使ってください。');
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
 * Asks the 公金受取口座登録システム for the person's registered account, and checks it with billing's 全銀
 * validators; stores nothing (the caller keeps it: a person's account, a relief payment order).  Every outcome
 * is an `exchange_inquiry` log entry (target `koukin-inquiry`) with the consent.  Throws 409 without the
 * resident's consent, 422 KOUKIN_ACCOUNT_UNUSABLE (fields `account.<field>`) for an account the file cannot
 * carry, and the exchange's own problem (e.g. 503) when the inquiry could not be made.
 */
export async function askPublicFundsAccount(db: MamoriDb, who: Principal, x: MunicipalExchange, atenaNo: string, opts: AskOptions = {}): Promise<AskResult> {
  const duty: KoukinDuty = opts.duty ?? 'vaccination';
  const jimu = KOUKIN_JIMU[duty];
  const { integratedNo, consent } = await runAs(db, who, (w) => prepare(w, atenaNo, duty, opts));
  const target = { targetType: 'koukin-inquiry', subjectRef: `resident:${atenaNo}`, purpose: PURPOSE_TEXT[duty] };
  const consentDetail = consent.kind === 'application' ? { consent: 'application', reimbursementNo: consent.reimbursementNo } : { consent: 'staff-confirmed' };
  const log = (outcome: 'success' | 'failure', detail: Record<string, unknown>, exchangeId?: string) =>
    runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'exchange_inquiry', ...target, ...(exchangeId ? { targetId: exchangeId } : {}), ...(outcome === 'failure' ? { outcome } : {}), detail: { provider: KOUKIN_PROVIDER, item: PUBLIC_FUNDS_ACCOUNT, ...consentDetail, ...detail } }));

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
    await log('failure', { code: isProblem(e) ? e.code : 'ERROR' });
    throw e;
  }
  const exchangeId = typeof answer.exchangeId === 'string' ? answer.exchangeId : '';
  const legalBasis = typeof answer.legalBasis === 'string' ? answer.legalBasis : null;
  if (!exchangeId || (answer.status !== 'provided' && answer.status !== 'none')) {
    await log('failure', { code: 'EXCHANGE_BAD_ANSWER' });
    throw new Problem(502, 'EXCHANGE_BAD_ANSWER', '照会の応答を読めません', '公金受取口座の照会の応答の形式が正しくありません。口座は登録していません。');
  }
  const record = Array.isArray(answer.records) ? (answer.records[0] as Record<string, unknown> | undefined) : undefined;
  if (answer.status === 'none' || !record || typeof record !== 'object') {
    await log('success', { legalBasis, status: 'none' }, exchangeId);
    return { status: 'none', exchangeId, legalBasis };
  }
  // The account as the 全銀 file needs it, checked by billing's validators (the same as every account).
  const fields = { bankCode: record['bankCode'], branchCode: record['branchCode'], accountType: record['accountType'], accountNo: record['accountNo'], holderKana: record['holderKana'] };
  const parsed = BankAccountInput.safeParse(fields);
  if (!parsed.success) {
    const errors = fieldErrorsFromZod(parsed.error, 'account').map((f) => ({ ...f, message: `公金受取口座の${f.message}` }));
    await log('failure', { code: 'KOUKIN_ACCOUNT_UNUSABLE', legalBasis, fields: errors.map((f) => f.field) }, exchangeId);
    throw new Problem(422, 'KOUKIN_ACCOUNT_UNUSABLE', '公金受取口座を振込に使えません',
      `登録されている公金受取口座は全銀の振込データで扱えないため、使いませんでした（${errors.map((f) => f.message).join('、')}）。申請書の口座を使ってください。`, errors);
  }
  await log('success', { legalBasis, status: 'provided' }, exchangeId);
  const date = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
  return { status: 'found', exchangeId, legalBasis, account: parsed.data, registeredOn: date(record['registeredOn']), changedOn: date(record['changedOn']) };
}

/**
 * Asks for the person's 公金受取口座 (askPublicFundsAccount) and, when there is one the 全銀 file can carry,
 * stores it as the person's account for the purpose (source 公金受取口座) in one transaction.  Nothing is
 * stored when there is none, when it is refused, or when the exchange fails.
 */
export async function obtainPublicFundsAccount(db: MamoriDb, who: Principal, x: MunicipalExchange, atenaNo: string, opts: ObtainOptions = {}): Promise<ObtainResult> {
  const duty: KoukinDuty = opts.duty ?? 'vaccination';
  const purpose: AccountPurpose = opts.purpose ?? (duty === 'relief' ? 'benefit' : 'refund');
  const r = await askPublicFundsAccount(db, who, x, atenaNo, opts);
  if (r.status === 'none') return r;
  return runAs(db, who, async (w) => {
    const account = await storePersonAccount(w, { ...r.account, atenaNo, purpose, source: 'koukin' });
    return { status: 'stored' as const, exchangeId: r.exchangeId, legalBasis: r.legalBasis, account, registeredOn: r.registeredOn, changedOn: r.changedOn };
  });
}
