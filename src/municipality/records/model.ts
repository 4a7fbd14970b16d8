// What a vaccination record holds: the union of the seeds' record items (003's 60 items, 000/001/002's
// vaccination items; VAX-24, VAX-12, VAX-32, D-08), validated at every boundary.
import { z } from 'zod';
import { fields } from '../../kernel/access/index.js';
import { FEE_COLLECTIONS, FEE_COLLECTION_LABELS } from '../copay/index.js';

export const CATEGORIES = ['A類定期', 'B類定期', '臨時', '特措法', '任意'] as const;
export type Category = (typeof CATEGORIES)[number];

export const SOURCES = ['counter', 'clinic-batch', 'other-municipality', 'platform', 'staff', 'api'] as const;
export { FEE_COLLECTIONS, FEE_COLLECTION_LABELS };

/** An amount in 円, or nothing (an empty form field is nothing, not 0). */
const yenOpt = (label: string) =>
  z.preprocess((v) => (v === '' ? null : v), z.coerce.number().int(`${label}は円単位の整数です`).min(0, `${label}は0円以上です`).max(1_000_000, `${label}が大きすぎます`).nullable().optional()).transform((v) => v ?? null);

export type RecordSource = (typeof SOURCES)[number];

export const SOURCE_LABELS: Record<RecordSource, string> = {
  counter: '窓口（本人・代理人の届出）',
  'clinic-batch': '医療機関の月次ファイル',
  'other-municipality': '他団体から',
  platform: '予防接種プラットフォーム',
  staff: '職員入力',
  api: 'API',
};

export const REASON_KINDS = ['職権修正', '本人申出', '母子手帳を元に修正', '医療機関からの訂正', 'その他'] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

const opt = (max: number) => z.union([z.null(), fields.optionalText(max)]).optional().transform((v) => v ?? null);
const flag = z.boolean().default(false);

/** The stored content of a record (the `data` column); no personal identifiers beyond the 宛名番号 key. */
export const RecordInput = z
  .object({
    program: z.string().trim().max(40).nullable().optional().transform((v) => v || null),
    dose: z.coerce.number().int().min(1, '回数は1以上です').max(99).nullable().optional().transform((v) => v ?? null),
    doseLabel: opt(40),
    category: z.enum(CATEGORIES).optional(),
    vaccinatedOn: fields.plainDate.nullable().optional().transform((v) => v ?? null),
    dateUnknown: flag,
    time: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '実施時間は HH:MM です').nullable().optional().transform((v) => v ?? null),
    product: z.string().trim().max(40).nullable().optional().transform((v) => v || null),
    vaccineName: opt(100),
    manufacturer: opt(100),
    lot: z.string().trim().max(20).regex(/^[\x21-\x7e]*$/, 'ロット番号は英数字・記号（半角）です').nullable().optional().transform((v) => v || null),
    gtin: z.string().trim().regex(/^\d{14}$/, 'GTIN は14桁の数字です').nullable().optional().transform((v) => v || null),
    expiry: fields.plainDate.nullable().optional().transform((v) => v ?? null),
    amount: z.string().trim().max(20).nullable().optional().transform((v) => v || null),
    site: opt(40),
    route: z.enum(['皮下注射', '筋肉内注射', '経口', '経皮', '皮内注射', '鼻腔内']).nullable().optional().transform((v) => v ?? null),
    institutionCode: z.string().trim().transform((s) => s.normalize('NFKC')).refine((s) => s === '' || /^\d{10}$/.test(s), { message: '医療機関コードは10桁の数字です', params: { code: 'FORMAT' } }).nullable().optional().transform((v) => v || null),
    institutionOther: opt(100),
    doctorName: opt(50),
    screeningDoctor: opt(50),
    place: opt(100),
    overseas: flag,
    outsideCity: flag,
    simultaneous: flag,
    caution: flag,
    consent: z.boolean().nullable().optional().transform((v) => v ?? null),
    specialCircumstances: opt(200),
    copayCategory: opt(40),
    /** 自己負担額 (円) under the tenant's rule (decided by municipality/copay, or entered). */
    copayAmount: yenOpt('自己負担額'),
    /** Why the 自己負担区分 is what it is (the co-payment engine's reasons; empty when entered by hand). */
    copayBasis: z.array(z.object({ code: z.string().max(40), message: z.string().max(300), rule: z.string().max(100), source: z.string().max(300) })).max(20).nullable().optional().transform((v) => v ?? null),
    /** 徴収区分 (VAX-31): who collects the amount. */
    feeCollection: z.preprocess((v) => (v === '' ? null : v), z.enum(FEE_COLLECTIONS, { message: '徴収区分は 医療機関で徴収・市区町村で徴収・徴収なし のいずれかです' }).nullable().optional()).transform((v) => v ?? null),
    /** 徴収額 (円). */
    feeAmount: yenOpt('徴収額'),
    claimMonth: z.string().trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '請求年月は YYYY-MM です').nullable().optional().transform((v) => v || null),
    notPayable: flag,
    voucherNo: z.string().trim().max(30).nullable().optional().transform((v) => v || null),
    sourceRef: z.string().trim().max(40).nullable().optional().transform((v) => v || null),
    remarks: opt(500),
  })
  .superRefine((v, ctx) => {
    if (v.dateUnknown && v.vaccinatedOn) ctx.addIssue({ code: 'custom', path: ['vaccinatedOn'], message: '接種日不明のときは接種日を空にしてください', params: { code: 'INCONSISTENT' } });
    if (!v.dateUnknown && !v.vaccinatedOn) ctx.addIssue({ code: 'custom', path: ['vaccinatedOn'], message: '接種日を入力してください（不明なら接種日不明にしてください）', params: { code: 'REQUIRED' } });
    if (!v.product && !v.program) ctx.addIssue({ code: 'custom', path: ['product'], message: 'ワクチンまたは予防接種の種類を入力してください', params: { code: 'REQUIRED' } });
    if (v.feeCollection === 'none' && v.feeAmount) ctx.addIssue({ code: 'custom', path: ['feeAmount'], message: '徴収なしのときは徴収額を0円にしてください', params: { code: 'INCONSISTENT' } });
    if (v.expiry && v.vaccinatedOn && v.expiry < v.vaccinatedOn) ctx.addIssue({ code: 'custom', path: ['expiry'], message: '接種日にワクチンの有効期限が切れています', params: { code: 'EXPIRED_VACCINE' } });
  });

export type RecordInputRaw = z.input<typeof RecordInput>;
export type RecordData = z.output<typeof RecordInput> & { category: Category };

export interface Warning {
  readonly code: string;
  readonly message: string;
  /** 'problem': the rules forbid it (needed an override); 'note': outside the standard period etc. */
  readonly level: 'problem' | 'note';
}

export const FIELD_LABELS: Record<string, string> = {
  program: '予防接種の種類', dose: '回数', doseLabel: '期・回数', category: '実施区分', vaccinatedOn: '接種日', dateUnknown: '接種日不明', time: '実施時間',
  product: 'ワクチン', vaccineName: 'ワクチン名', manufacturer: 'メーカー', lot: 'ロット番号', gtin: 'GTIN', expiry: '有効期限', amount: '接種量', site: '接種部位',
  route: '接種方法', institutionCode: '医療機関コード', institutionOther: '医療機関（その他）', doctorName: '医師名', screeningDoctor: '予診医', place: '実施場所',
  overseas: '海外接種', outsideCity: '市外接種', simultaneous: '同時接種', caution: '要注意接種', consent: '接種同意', specialCircumstances: '特別の事情',
  copayCategory: '自己負担区分', copayAmount: '自己負担額', copayBasis: '自己負担区分の根拠', feeCollection: '徴収区分', feeAmount: '徴収額', claimMonth: '請求年月', notPayable: '支払対象外', voucherNo: '接種券番号', sourceRef: '通番', remarks: '備考',
};
