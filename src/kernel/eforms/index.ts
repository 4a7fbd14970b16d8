// The electronic application forms of サービス検索・電子申請機能 (XCH-26; decision 0155): the items of the national
// standard forms (国の標準基準様式) and nothing else, one strict schema per kind.  Shared by the portal node
// (peers/eapply, which refuses any other item) and the municipality (municipality/eapply, which checks the
// signed document again on receipt).  The schemas never transform a value: what the card signed is what
// is read — a value with surrounding spaces or in another form is refused, not corrected.
import { z } from 'zod';
import { isIsoDate } from '../jp/index.js';
import { checkMyNumber } from '../mynumber/index.js';

export const EFORM_FORMAT = 'mamori-eapply/1';

export const EFORM_KINDS = ['vaccination-request', 'certificate-reissue', 'reimbursement'] as const;
export type EformKind = (typeof EFORM_KINDS)[number];

/** 申請の種類 as residents and staff read them. */
export const EFORM_KIND_LABELS: Readonly<Record<EformKind, string>> = {
  'vaccination-request': '予防接種依頼書の交付申請（住所地以外での接種）',
  'certificate-reissue': '予防接種済証の再交付申請',
  reimbursement: '予防接種費用の償還払い申請',
};

/** The largest amount (円) a reimbursement application may carry. */
export const MAX_EFORM_YEN = 10_000_000;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const text = (label: string, max: number) =>
  z
    .string({ message: `${label}を入力してください` })
    .min(1, { message: `${label}を入力してください` })
    .max(max, { message: `${label}は${max}文字以内です` })
    .refine((s) => s === s.trim() && !CONTROL.test(s), { message: `${label}の前後の空白や制御文字は使えません` });
const date = (label: string) => z.string({ message: `${label}を入力してください` }).refine((s) => isIsoDate(s), { message: `${label}は YYYY-MM-DD 形式の実在する日付です` });
const kana = (label: string, max: number) => text(label, max).refine((s) => /^[\u30a1-\u30f6\u30fc\u3000 ]+$/.test(s), { message: `${label}は全角カタカナで入力してください` });
const phone = (label: string) => z.string({ message: `${label}を入力してください` }).regex(/^0[0-9]{1,4}-?[0-9]{1,4}-?[0-9]{3,4}$/, { message: `${label}は数字とハイフンで入力してください` });
const program = z.string({ message: '予防接種の種類（program）を指定してください' }).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: '予防接種の種類（program）が正しくありません' });

/** 被接種者（申請の対象者）: the person vaccinated — the signer, or a child of the signer's household. */
const subjectSchema = z
  .object({
    name: text('被接種者の氏名', 50),
    nameKana: kana('被接種者の氏名（カナ）', 50),
    birthDate: date('被接種者の生年月日'),
  })
  .strict();

/** Items every form has. */
const common = {
  /** 被接種者の個人番号 (read from the card's 券面事項入力補助AP, KRN-14): when present the form must be signed. */
  myNumber: z
    .string({ message: '個人番号は12桁の数字です' })
    .refine((s) => checkMyNumber(s).ok, { message: '個人番号が正しくありません' })
    .optional(),
  subject: subjectSchema,
  /** 申請者と被接種者の関係. */
  relation: z.enum(['self', 'parent', 'guardian'], { message: '申請者と被接種者の関係（relation）は self・parent・guardian のいずれかです' }),
  phone: phone('申請者の電話番号'),
};

export const REQUEST_REASONS = ['里帰り出産', '長期入院・施設入所', '単身赴任・就学等による長期滞在', 'かかりつけ医が住所地外', 'その他'] as const;
export const REISSUE_REASONS = ['紛失', '汚損・破損', 'その他'] as const;

const vaccinationRequest = z
  .object({
    ...common,
    program,
    dose: z.number({ message: '回数（dose）は数値です' }).int().min(1).max(20).optional(),
    reason: z.enum(REQUEST_REASONS, { message: '申請理由を選んでください' }),
    destination: text('接種を受ける医療機関・市区町村（依頼先）', 40),
    stayAddress: text('滞在先住所', 80),
    stayPhone: phone('滞在先電話番号').optional(),
    periodFrom: date('滞在期間（開始）'),
    periodUntil: date('滞在期間（終了）'),
  })
  .strict()
  .refine((f) => f.periodFrom <= f.periodUntil, { path: ['periodUntil'], message: '滞在期間の終了が開始より前です' });

const certificateReissue = z
  .object({
    ...common,
    programs: z.array(program, { message: '再交付する予防接種の種類（programs）を指定してください' }).min(1, { message: '再交付する予防接種の種類を1つ以上指定してください' }).max(30),
    reason: z.enum(REISSUE_REASONS, { message: '再交付の理由を選んでください' }),
    previousCertificateNo: z.string().regex(/^[0-9A-Z-]{1,30}$/, { message: '前回の証明書番号が正しくありません' }).optional(),
  })
  .strict();

const bankAccount = z
  .object({
    bankCode: z.string({ message: '金融機関コードは4桁の数字です' }).regex(/^[0-9]{4}$/, { message: '金融機関コードは4桁の数字です' }).refine((s) => s !== '0000', { message: '金融機関コード 0000 はありません' }),
    branchCode: z.string({ message: '支店コードは3桁の数字です' }).regex(/^[0-9]{3}$/, { message: '支店コードは3桁の数字です' }),
    accountType: z.enum(['1', '2', '4'], { message: '預金種目は 1（普通）・2（当座）・4（貯蓄）のいずれかです' }),
    accountNumber: z.string({ message: '口座番号は7桁の数字です' }).regex(/^[0-9]{7}$/, { message: '口座番号は7桁の数字です' }),
    holderKana: kana('口座名義（カナ）', 48),
  })
  .strict();

const reimbursement = z
  .object({
    ...common,
    program,
    dose: z.number({ message: '回数（dose）は数値です' }).int().min(1).max(20).optional(),
    vaccinatedOn: date('接種日'),
    clinicName: text('接種を受けた医療機関', 60),
    receiptDate: date('領収日'),
    amountPaid: z.number({ message: '支払った金額（円）を数値で入力してください' }).int({ message: '金額は円単位の整数です' }).min(1, { message: '金額は1円以上です' }).max(MAX_EFORM_YEN, { message: '金額が範囲外です' }),
    // 受取口座: the account written on the form, or 「公金受取口座を利用する」 (the consent to obtain it through
    // the 情報提供ネットワークシステム, decision 0164) — one of the two.
    bank: bankAccount.optional(),
    useKoukin: z.boolean({ message: '公金受取口座の利用（useKoukin）は true か false です' }).optional(),
  })
  .strict()
  .refine((f) => f.vaccinatedOn <= f.receiptDate, { path: ['receiptDate'], message: '領収日が接種日より前です' })
  .refine((f) => f.bank !== undefined || f.useKoukin === true, { path: ['bank'], message: '振込先の口座を入力するか、公金受取口座を利用するを選んでください' });

export const EFORM_SCHEMAS = {
  'vaccination-request': vaccinationRequest,
  'certificate-reissue': certificateReissue,
  reimbursement,
} as const;

export type VaccinationRequestForm = z.output<typeof vaccinationRequest>;
export type CertificateReissueForm = z.output<typeof certificateReissue>;
export type ReimbursementForm = z.output<typeof reimbursement>;
export type EformBody = VaccinationRequestForm | CertificateReissueForm | ReimbursementForm;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The document a resident signs: the form and where it goes. */
export const eformDocumentSchema = z
  .object({
    format: z.literal(EFORM_FORMAT, { message: `format は ${EFORM_FORMAT} です` }),
    tenant: z.string({ message: '提出先の団体コード（tenant）を指定してください' }).regex(/^[0-9]{6}$/, { message: '提出先の団体コード（tenant）は6桁です' }),
    kind: z.enum(EFORM_KINDS, { message: `申請の種類（kind）は ${EFORM_KINDS.join('・')} のいずれかです` }),
    /** 再申請: the application number (申請番号) of the earlier application this one replaces. */
    supersedes: z.string().regex(UUID, { message: '再申請する元の申請番号（supersedes）が正しくありません' }).optional(),
    form: z.record(z.string(), z.unknown(), { message: '申請内容（form）を指定してください' }),
  })
  .strict()
  .superRefine((d, ctx) => {
    const r = EFORM_SCHEMAS[d.kind].safeParse(d.form);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['form', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message });
  });

export type EformDocument = z.output<typeof eformDocumentSchema>;

/** Whether a form carries a My Number (then it must be signed with the card, XCH-27). */
export function formHasMyNumber(form: Record<string, unknown>): boolean {
  return typeof form['myNumber'] === 'string';
}

/** The form without its My Number (what is kept after receipt and shown to staff). */
export function withoutMyNumber(form: Record<string, unknown>): Record<string, unknown> {
  const { myNumber: _drop, ...rest } = form;
  void _drop;
  return rest;
}
