// The platform's input shapes (docs/formats/platform-protocol.md): PMH-style camelCase registration rows
// (PMH-02…04, PMH-21), 予防接種設定 and templates (PMH-01), and 予診票 answers (PMH-11/17).  Validation names
// the row and the field; it never echoes a My Number.
import { z } from 'zod';
import { checkMyNumber } from '../kernel/mynumber/index.js';

const isoDate = z
  .string({ message: '日付（YYYY-MM-DD）を指定してください' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: '日付は YYYY-MM-DD で指定してください' })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, { message: '存在しない日付です' });

const text = (label: string, max: number) =>
  z.string({ message: `${label}を指定してください` }).trim().min(1, { message: `${label}を指定してください` }).max(max, { message: `${label}は${max}文字以内です` });

export const SEX_LABELS = { '1': '男', '2': '女', '9': '不明' } as const;
export const TARGET_CATEGORY_LABELS = { '1': '定期接種', '2': '任意接種（助成）', '3': '臨時接種' } as const;
export const REDUCTION_CATEGORY_LABELS = { '0': 'なし', '1': '生活保護', '2': '市町村民税非課税', '3': 'その他' } as const;
export const CHANGE_CATEGORY_LABELS = { '11': '転出', '12': '死亡', '13': 'その他消除' } as const;

const enumOf = <T extends Record<string, string>>(labels: T, what: string) =>
  z.string({ message: `${what}を指定してください` }).refine((v): v is Extract<keyof T, string> => Object.hasOwn(labels, v), {
    message: `${what}は ${Object.entries(labels).map(([k, v]) => `"${k}"（${v}）`).join('、')} のいずれかです`,
  });

export const identityKey = z
  .string({ message: '自治体業務ID（municipalityIdentityKey）を指定してください' })
  .regex(/^[0-9A-Za-z-]{1,20}$/, { message: '自治体業務ID は英数字とハイフン20文字以内です' });

export const programCode = z.string({ message: '予防接種のコード（programCode）を指定してください' }).regex(/^[a-z0-9-]{1,40}$/, { message: '予防接種のコードは英小文字・数字・ハイフン40文字以内です' });

const myNumberField = z
  .string({ message: '個人番号（myNumber）を指定してください' })
  .superRefine((v, ctx) => {
    const c = checkMyNumber(v);
    if (!c.ok) ctx.addIssue({ code: 'custom', message: c.message, params: { code: c.code } });
  });

export const basicFiveInfoSchema = z.object(
  {
    name: text('氏名（name）', 100),
    nameKana: text('氏名カナ（nameKana）', 100),
    address: text('住所（address）', 200),
    dateOfBirth: isoDate,
    sex: enumOf(SEX_LABELS, '性別（sex）'),
  },
  { message: '基本5情報（basicFiveInfo）を指定してください' },
);
export type BasicFiveInfo = z.output<typeof basicFiveInfoSchema>;

const vaccinationSchema = z.object({
  programCode,
  dose: z.number({ message: '回数（dose）は整数です' }).int().min(1).max(20),
  dueFrom: isoDate.nullish(),
  dueUntil: isoDate.nullish(),
  recommendation: z.object({ ruleId: text('勧奨ルールID（ruleId）', 40), recommendedOn: isoDate }).nullish(),
  forcedExpiryDate: isoDate.nullish(),
  combinationNo: z.string().max(20).nullish(),
});

const historySchema = z.object({
  recordId: text('記録ID（recordId）', 60),
  programCode,
  dose: z.number().int().min(1).max(20).nullish(),
  date: isoDate,
  /** The vaccine (schedule catalog product code), for the clinic's schedule check. */
  product: z.string().regex(/^[a-z0-9-]{1,40}$/, { message: 'ワクチンのコード（product）は英小文字・数字・ハイフン40文字以内です' }).nullish(),
  vaccineName: z.string().max(100).nullish(),
  lotNumber: z.string().max(40).nullish(),
  institutionName: z.string().max(100).nullish(),
});

const noticeSchema = z.object({
  noticeId: text('通知ID（noticeId）', 60),
  templateId: text('通知の雛形ID（templateId）', 40),
  programCode,
  dose: z.number().int().min(1).max(20).nullish(),
  voucherNo: z.string().max(20).nullish(),
  issuedOn: isoDate,
  dueUntil: isoDate.nullish(),
});

export const registerRowSchema = z
  .object({
    modificationSeg: z.literal('1'),
    municipalityIdentityKey: identityKey,
    myNumber: myNumberField,
    basicFiveInfo: basicFiveInfoSchema,
    guardianName: z.string().max(100).nullish(),
    isNotDisclosed: z.boolean({ message: '不開示（isNotDisclosed）は true か false です' }).optional().default(false),
    isDeleted: z.literal(false, { message: '削除は modificationSeg "2" で連携してください（isDeleted は false です）' }).optional().default(false),
    changeCategory: z.null().optional(),
    movementDate: z.null().optional(),
    targetCategory: enumOf(TARGET_CATEGORY_LABELS, '接種対象者区分（targetCategory）'),
    reductionCategory: enumOf(REDUCTION_CATEGORY_LABELS, '減免区分（reductionCategory）').optional().default('0'),
    vaccinations: z.array(vaccinationSchema).max(100).optional().default([]),
    history: z.array(historySchema).max(200).optional().default([]),
    notices: z.array(noticeSchema).max(100).optional().default([]),
  })
  .strict();

export const deleteRowSchema = z
  .object({
    modificationSeg: z.literal('2'),
    municipalityIdentityKey: identityKey,
    changeCategory: enumOf(CHANGE_CATEGORY_LABELS, '変更区分（changeCategory）'),
    movementDate: isoDate,
  })
  .passthrough();

export type RegisterRow = z.output<typeof registerRowSchema>;
export type DeleteRow = z.output<typeof deleteRowSchema>;
export type TargetRow = RegisterRow | DeleteRow;

/** One registration row: modificationSeg decides which shape applies ("1" register/update, "2" delete). */
export const targetSchema: z.ZodType<TargetRow> = z.unknown().transform((raw, ctx) => {
  const seg = raw && typeof raw === 'object' ? (raw as { modificationSeg?: unknown }).modificationSeg : undefined;
  if (seg !== '1' && seg !== '2') {
    ctx.addIssue({ code: 'custom', path: ['modificationSeg'], message: '変更区分（modificationSeg）は "1"（登録・更新）か "2"（削除）です', params: { code: 'INVALID_MODIFICATION_SEG' } });
    return z.NEVER;
  }
  const r = (seg === '1' ? registerRowSchema : deleteRowSchema).safeParse(raw);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ ...i, code: 'custom', path: i.path, message: i.message } as never);
    return z.NEVER;
  }
  return r.data as TargetRow;
});

export const MAX_ROWS = 10_000;

// PMH-01: 予防接種設定 and templates.
export const vaccinationSettingSchema = z.object({ programCode, name: text('予防接種の名称（name）', 100), doses: z.number().int().min(1).max(20) });

export const questionnaireItemSchema = z.object({
  itemId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, { message: '項目ID（itemId）は英数字40文字以内です' }),
  label: text('項目名（label）', 200),
  type: z.enum(['boolean', 'choice', 'text', 'number']),
  options: z.array(z.string().min(1).max(100)).max(20).optional(),
  required: z.boolean(),
  maxLength: z.number().int().min(1).max(1000).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});
export type QuestionnaireItem = z.output<typeof questionnaireItemSchema>;

export const templateSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('questionnaire'),
    title: text('題名（title）', 100),
    purpose: text('利用目的（purpose）', 1000),
    items: z.array(questionnaireItemSchema).min(1).max(100),
  }),
  z.object({ kind: z.literal('notice'), title: text('題名（title）', 100), body: text('本文（body）', 4000) }),
]);
export type Template = z.output<typeof templateSchema>;

export const settingsSchema = z.object({
  vaccinations: z.array(vaccinationSettingSchema).max(200).optional().default([]),
  templates: z.array(z.intersection(z.object({ templateId: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, { message: '雛形ID（templateId）は英数字40文字以内です' }) }), templateSchema)).max(100).optional().default([]),
});
