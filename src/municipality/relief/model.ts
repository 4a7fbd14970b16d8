// The vocabulary of 健康被害救済 (VAX-34; decision 0161): case statuses, steps and where each may be taken,
// benefit kinds, documents and ID checks, all with the words staff use.  Who may touch relief data: only the
// 健康被害救済 duty ('relief'); a refusal is logged (authorize → Problem.withAudit).
import type { Work } from '../../kernel/context/index.js';
import { authorize, can, type Permission } from '../../kernel/policy/index.js';
import { Problem } from '../../kernel/problems/index.js';

export const RELIEF_DUTY = 'relief';
export const RELIEF_PURPOSE = '予防接種による健康被害の救済';
/** The vault subject of the applicant's My Number (the case id is the subject id). */
export const APPLICANT_SUBJECT = 'relief-applicant';

export function requireReliefRead(w: Work, caseId?: string): void {
  authorize(w.actor, 'personal.read', RELIEF_DUTY, { type: caseId ? 'relief-case' : 'relief-cases', ...(caseId ? { id: caseId } : {}) });
}

export function requireReliefWrite(w: Work, caseId?: string): void {
  authorize(w.actor, 'personal.write', RELIEF_DUTY, { type: caseId ? 'relief-case' : 'relief-cases', ...(caseId ? { id: caseId } : {}) });
}

/**
 * The payment batch's side of the contract (orders.ts): the relief clerk, or staff of 費用・支払 ('money')
 * who run the person payment batch, or the system's batch job.  A refusal is logged like the others.
 */
export function requireOrdersAccess(w: Work, permission: Permission): void {
  if (w.actor.kind === 'system') return;
  if (can(w.actor, permission, RELIEF_DUTY) || can(w.actor, permission, 'money')) return;
  authorize(w.actor, permission, RELIEF_DUTY, { type: 'relief-payment-orders' });
}

export const CASE_STATUSES = ['received', 'examined', 'reported', 'approved', 'denied', 'paying', 'closed', 'withdrawn'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_STATUS_LABELS: Record<CaseStatus, string> = {
  received: '申請受付',
  examined: '調査委員会審議済',
  reported: '国へ進達済（判定待ち）',
  approved: '国が認定',
  denied: '国が否認',
  paying: '給付中',
  closed: '終結',
  withdrawn: '取下げ',
};

export const STEPS = ['receive', 'records', 'document', 'information', 'committee', 'report', 'decision', 'benefit', 'order', 'close', 'withdraw'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_LABELS: Record<Step, string> = {
  receive: '申請の受付',
  records: '接種記録の紐付け',
  document: '書類の受付',
  information: '情報連携による情報の入手',
  committee: '予防接種健康被害調査委員会の記録',
  report: '国への進達',
  decision: '国の判定の記録',
  benefit: '給付の決定',
  order: '支払指示',
  close: '終結',
  withdraw: '取下げ',
};

/** The statuses in which each step may be taken (the state machine). */
export const STEP_ALLOWED: Record<Exclude<Step, 'receive'>, readonly CaseStatus[]> = {
  records: ['received'],
  document: ['received', 'examined', 'reported', 'approved', 'denied', 'paying'],
  information: ['received', 'examined'],
  committee: ['received', 'examined'],
  report: ['examined'],
  decision: ['reported'],
  benefit: ['approved', 'paying'],
  order: ['approved', 'paying'],
  close: ['denied', 'approved', 'paying'],
  withdraw: ['received', 'examined', 'reported'],
};

/** Why a step is refused in a status, in words that tell staff what comes first. */
const WHY: Partial<Record<Exclude<Step, 'receive'>, string>> = {
  records: '接種記録の紐付けは調査委員会の審議の前に行います。',
  information: '情報連携による情報の入手は国への進達の前に行います。',
  committee: '調査委員会の記録は申請受付の後、国への進達の前に行います。',
  report: '国への進達は予防接種健康被害調査委員会の意見を記録した後に行います。',
  decision: '国の判定は国へ進達した後に記録します。',
  benefit: '給付は国の認定が記録された後に決定します（最終決定は国が行います）。',
  order: '支払指示は国の認定と給付の決定の後に行います（最終決定は国が行います）。',
  close: '終結は国の判定が記録された後に行います。判定の前は取下げとして記録してください。',
  withdraw: '国の判定が記録された事案は取り下げられません。',
};

export function requireStep(step: Exclude<Step, 'receive'>, status: CaseStatus): void {
  if (STEP_ALLOWED[step].includes(status)) return;
  throw new Problem(
    409,
    'RELIEF_STEP_OUT_OF_ORDER',
    `今の状態では「${STEP_LABELS[step]}」はできません`,
    `この事案は「${CASE_STATUS_LABELS[status]}」です。${WHY[step] ?? ''}`,
    [{ field: 'status', code: 'RELIEF_STEP_OUT_OF_ORDER', message: `「${CASE_STATUS_LABELS[status]}」の事案では${STEP_LABELS[step]}はできません。${WHY[step] ?? ''}` }],
  );
}

export const BENEFIT_KINDS = ['medical-expenses', 'medical-allowance', 'child-disability-pension', 'disability-pension', 'death-lump-sum', 'funeral'] as const;
export type BenefitKind = (typeof BENEFIT_KINDS)[number];

export const BENEFIT_LABELS: Record<BenefitKind, string> = {
  'medical-expenses': '医療費',
  'medical-allowance': '医療手当',
  'child-disability-pension': '障害児養育年金',
  'disability-pension': '障害年金',
  'death-lump-sum': '死亡一時金',
  funeral: '葬祭料',
};

/** Lump sums: paid once per case and without a period. */
export const LUMP_SUMS: readonly BenefitKind[] = ['death-lump-sum', 'funeral'];

export const RELATIONS = ['self', 'guardian', 'bereaved', 'other'] as const;
export const RELATION_LABELS: Record<(typeof RELATIONS)[number], string> = {
  self: '本人',
  guardian: '保護者',
  bereaved: '遺族',
  other: 'その他（代理人等）',
};

export const ID_METHODS = ['mynumber-card', 'notification-card-and-photo-id', 'resident-record-and-photo-id', 'other'] as const;
export const ID_METHOD_LABELS: Record<(typeof ID_METHODS)[number], string> = {
  'mynumber-card': 'マイナンバーカード',
  'notification-card-and-photo-id': '通知カードと写真付き身分証明書',
  'resident-record-and-photo-id': '個人番号付きの住民票の写しと写真付き身分証明書',
  other: 'その他の書類',
};

export const NUMBER_CHECK_LABELS: Record<string, string> = {
  'matches-resident': '住民記録の個人番号と一致',
  'resident-has-none': '住民記録に個人番号なし（申請時に取得）',
  'not-the-person': '申請者は被接種者本人ではない',
};

/** Documents an application comes with (予防接種法施行規則10条・11条); free uploads are not taken. */
export const DOCUMENT_KINDS = {
  application: '給付の請求書',
  'medical-certificate': '診断書（受診証明書）',
  'medical-record': '診療録・検査結果の写し',
  'vaccination-proof': '予防接種を受けたことを証明する書類（予診票・母子健康手帳等）',
  receipts: '医療費の領収書・明細書',
  'disability-certificate': '障害の状態に関する診断書',
  'death-certificate': '死亡診断書（死体検案書）',
  'funeral-proof': '葬祭を行ったことを証明する書類',
  'family-register': '戸籍謄本等（続柄の証明）',
  other: 'その他の書類',
} as const;
export type DocumentKind = keyof typeof DOCUMENT_KINDS;

export const DOCUMENT_HANDLING_LABELS = { sealed: '原本を封入して保管', referenced: '文書番号等で参照' } as const;

/** What the 情報提供ネットワーク provides for relief (番号法別表の事務: 予防接種法による給付の支給). */
export const INFORMATION_ITEMS = {
  'vaccination-history': '予防接種の記録（接種歴）',
  'resident-tax': '地方税関係情報（所得の状況）',
  'livelihood-protection': '生活保護関係情報',
} as const;
export type InformationItem = keyof typeof INFORMATION_ITEMS;

export const ACCOUNT_SOURCE_LABELS = { 'public-receipt': '公金受取口座', applicant: '申請者が指定した口座' } as const;
export const ORDER_STATUS_LABELS = { ordered: '支払指示済', batched: '振込データ作成済', paid: '支払済' } as const;
