// Application forms (decision 0171): what an applicant gives for a new registration (新規登録), per
// qualification, as zod schemas whose keys are the item names of seed 004 and of the paper forms (氏名,
// フリガナ, 本籍, 国家試験 …), so a missing or malformed item is named in the Problem as the applicant knows
// it ("国家試験.受験番号").  The 住民票の写し is not asked (QUA-18: the 住基 lookup replaces it); the My
// Number comes from the card (券面事項入力補助, QUA-03), never from the form.  `exampleForm` prints a complete
// form to fill in (`mamori registry form`); every example validates against its own schema (tested).
import { z } from 'zod';
import { fieldErrorsFromZod, invalidField, validationFailed } from '../kernel/problems/index.js';
import { catalog, PROCEDURE_LABELS, qualificationOf, type FileCode, type Procedure } from './catalog.js';

const FORM_VERSION = 1;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'YYYY-MM-DD の形式で入力してください' })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, { message: '存在しない日付です' });
const yearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'YYYY-MM の形式で入力してください' });
const kanjiName = z.string().trim().min(1, { message: '入力してください' }).max(30, { message: '30文字以内で入力してください' });
const kana = z
  .string()
  .trim()
  .min(1, { message: '入力してください' })
  .max(40)
  .regex(/^[ァ-ヶー　 ]+$/, { message: '全角カタカナで入力してください' });
const personName = z.object({ 姓: kanjiName, 名: kanjiName }).strict();
const kanaName = z.object({ 姓: kana, 名: kana }).strict();
const prefecture = z.string().regex(/^(0[1-9]|[1-3][0-9]|4[0-7])$/, { message: '都道府県コード（01〜47）を入力してください' });
const phone = z.string().regex(/^0\d{1,4}-?\d{1,4}-?\d{3,4}$/, { message: '電話番号の形式が正しくありません（例: 03-1234-5678）' });

const examination = z
  .object({
    回数: z.number({ message: '試験の回（数字）を入力してください' }).int().min(1).max(300),
    受験番号: z.string().regex(/^[0-9A-Z-]{1,16}$/, { message: '受験番号は半角英数字で入力してください' }),
    合格年月日: isoDate,
  })
  .strict();

/** The items every application has. */
const base = {
  procedure: z.literal('new', { message: '申請の種類は new（新規登録）です' }),
  氏名: personName,
  フリガナ: kanaName,
  旧姓: kanjiName.optional(),
  通称: personName.optional(),
  生年月日: isoDate,
  性別: z.enum(['1', '2'], { message: '性別コード（1: 男、2: 女）を入力してください' }),
  本籍: z
    .object({ 都道府県コード: prefecture.optional(), 国籍: z.string().trim().min(1).max(40).optional() })
    .strict()
    .refine((b) => (b.都道府県コード === undefined) !== (b.国籍 === undefined), { message: '本籍の都道府県コード、または日本の国籍を有しない方は国籍の、どちらか一つを入力してください' }),
  住所: z.object({ 郵便番号: z.string().regex(/^\d{3}-\d{4}$/, { message: '郵便番号は 123-4567 の形式です' }), 住所: z.string().trim().min(1).max(200) }).strict(),
  電話番号: phone,
  メールアドレス: z.string().email({ message: 'メールアドレスの形式が正しくありません' }).max(200).optional(),
  /** 欠格事由の申告 (each law's 相対的欠格事由: 罰金以上の刑, 業務に関する犯罪又は不正の行為). */
  欠格事由: z.object({ 罰金以上の刑: z.boolean({ message: '「はい」「いいえ」で答えてください' }), 業務に関する犯罪又は不正の行為: z.boolean({ message: '「はい」「いいえ」で答えてください' }) }).strict(),
};

const forFile: Record<FileCode, Record<string, z.ZodType>> = {
  iseki: { 国家試験: examination },
  kanrieiyoshi: {
    国家試験: examination,
    栄養士免許: z.object({ 都道府県コード: prefecture, 登録番号: z.string().regex(/^[0-9]{1,10}$/, { message: '栄養士名簿の登録番号（数字）を入力してください' }), 免許年月日: isoDate }).strict(),
  },
  yakuzaishi: { 国家試験: examination, 合格証書番号: z.string().regex(/^[0-9A-Z-]{1,16}$/, { message: '合格証書番号は半角英数字で入力してください' }) },
  kaigofukushishi: {
    資格取得: z
      .object({
        区分: z.enum(['試験', '養成施設'], { message: '「試験」または「養成施設」を選んでください' }),
        合格証書番号: z.string().regex(/^[0-9A-Z-]{1,16}$/, { message: '合格証書番号は半角英数字で入力してください' }).optional(),
        合格年月: yearMonth.optional(),
        養成施設コード: z.string().regex(/^[0-9]{1,10}$/, { message: '養成施設コード（数字）を入力してください' }).optional(),
        卒業年月: yearMonth.optional(),
      })
      .strict()
      .superRefine((v, ctx) => {
        const need = v.区分 === '試験' ? (['合格証書番号', '合格年月'] as const) : (['養成施設コード', '卒業年月'] as const);
        for (const k of need) if (v[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${v.区分}による取得では入力が必要です` });
      }),
    アルファベット氏名: z.string().regex(/^[A-Z ,.'-]{1,80}$/, { message: '半角英大文字で入力してください' }).optional(),
    携帯電話: phone.optional(),
  },
};

/** Extra items of one qualification beyond its file's. */
const forQualification: Record<string, Record<string, z.ZodType>> = {
  // 保健師・助産師 need the 看護師国家試験 too (保健師助産師看護師法 第7条).
  hokenshi: { 看護師国家試験: examination },
  josanshi: { 看護師国家試験: examination },
};

const schemas = new Map<string, z.ZodType>();

/** The new-registration form of a qualification. */
export function applicationSchema(qualification: string): z.ZodType<Record<string, unknown>> {
  const q = qualificationOf(qualification);
  let s = schemas.get(q.code);
  if (!s) {
    const obj = z.object({ formVersion: z.literal(FORM_VERSION, { message: `様式の版は ${FORM_VERSION} です` }).optional(), qualification: z.literal(q.code, { message: `この様式の資格コードは ${q.code} です` }), ...base, ...forFile[q.file], ...(forQualification[q.code] ?? {}) }).strict();
    // 助産師 is a woman's qualification (保健師助産師看護師法 第3条「…を業とする女子」).
    s = q.code === 'josanshi' ? obj.refine((f) => f.性別 === '2', { message: '助産師の免許は女子に与えられます（保健師助産師看護師法 第3条）', path: ['性別'] }) : obj;
    schemas.set(q.code, s);
  }
  return s as z.ZodType<Record<string, unknown>>;
}

// ---------------------------------------------------------------- the other procedures (decision 0190)

/** 登録番号 of the entry an application concerns (digits, as printed on the 免許証・登録証). */
const registrationNo = z.string({ message: '登録番号を入力してください' }).regex(/^[1-9][0-9]{0,11}$/, { message: '登録番号は数字で入力してください' });
const honseki = z
  .object({ 都道府県コード: prefecture.optional(), 国籍: z.string().trim().min(1).max(40).optional() })
  .strict()
  .refine((b) => (b.都道府県コード === undefined) !== (b.国籍 === undefined), { message: '本籍の都道府県コード、または国籍の、どちらか一つを入力してください' });

/** Who applies for a change of an existing entry: identified by the entry and the current 氏名・生年月日. */
const applicant = {
  登録番号: registrationNo,
  氏名: personName,
  フリガナ: kanaName,
  生年月日: isoDate,
  住所: base.住所,
  電話番号: phone,
  メールアドレス: base.メールアドレス,
};

export const CHANGE_REASONS = ['婚姻', '離婚', '養子縁組', '離縁', '転籍', '氏の変更（戸籍法第107条）', '名の変更', '誤記の訂正', 'その他'] as const;
export const REISSUE_REASONS = ['亡失', '損傷', '汚損', 'その他'] as const;
export const ERASURE_REASONS = ['業務の廃止', 'その他'] as const;

/** 籍（名簿）訂正 and 免許証（登録証）書換え交付: the changed 氏名 and/or 本籍, with the event and its date. */
const changeItems = {
  訂正事項: z
    .object({
      氏名: z.object({ 旧: personName, 新: personName, 新フリガナ: kanaName }, { message: '旧・新の氏名を入力してください' }).strict().optional(),
      本籍: z.object({ 旧: honseki, 新: honseki }, { message: '旧・新の本籍を入力してください' }).strict().optional(),
    }, { message: '訂正・書換えの事項を入力してください' })
    .strict()
    .refine((v) => v.氏名 !== undefined || v.本籍 !== undefined, { message: '氏名か本籍の少なくとも一つを入力してください' }),
  事由: z.enum(CHANGE_REASONS, { message: `事由は ${CHANGE_REASONS.join('・')} のいずれかです` }),
  事由の生じた年月日: isoDate,
};

const forProcedure: Record<Exclude<Procedure, 'new'>, Record<string, z.ZodType>> = {
  correction: changeItems,
  rewrite: changeItems,
  reissue: {
    再交付の理由: z.enum(REISSUE_REASONS, { message: `再交付の理由は ${REISSUE_REASONS.join('・')} のいずれかです` }),
    理由の詳細: z.string().trim().max(200, { message: '200文字以内で入力してください' }).optional(),
  },
  erasure: {
    抹消の理由: z.enum(ERASURE_REASONS, { message: `抹消の理由は ${ERASURE_REASONS.join('・')} のいずれかです` }),
    理由の詳細: z.string().trim().max(200, { message: '200文字以内で入力してください' }).optional(),
  },
};

/** The form of a qualification and procedure (新規登録: applicationSchema). */
export function procedureSchema(qualification: string, procedure: Procedure): z.ZodType<Record<string, unknown>> {
  if (procedure === 'new') return applicationSchema(qualification);
  const q = qualificationOf(qualification);
  const key = `${q.code}:${procedure}`;
  let s = schemas.get(key);
  if (!s) {
    s = z
      .object({
        formVersion: z.literal(FORM_VERSION, { message: `様式の版は ${FORM_VERSION} です` }).optional(),
        qualification: z.literal(q.code, { message: `この様式の資格コードは ${q.code} です` }),
        procedure: z.literal(procedure),
        ...applicant,
        ...forProcedure[procedure],
      })
      .strict();
    schemas.set(key, s);
  }
  return s as z.ZodType<Record<string, unknown>>;
}

const PROCEDURES = Object.keys(PROCEDURE_LABELS) as Procedure[];

/** The procedure a raw form names ('new' when it names none); 400 naming `procedure` for an unknown one. */
export function procedureOf(raw: unknown): Procedure {
  const p = raw && typeof raw === 'object' ? (raw as { procedure?: unknown }).procedure : undefined;
  if (p === undefined) return 'new';
  if (typeof p === 'string' && (PROCEDURES as string[]).includes(p)) return p as Procedure;
  throw invalidField('procedure', 'PROCEDURE_UNKNOWN', `申請の種類は ${PROCEDURES.map((x) => `${x}（${PROCEDURE_LABELS[x]}）`).join('・')} のいずれかです`);
}

/**
 * Parses a filled-in form of any procedure (its `procedure` item; 新規登録 when absent); a 400 Problem names
 * every missing or malformed item.
 */
export function parseApplication(qualification: string, raw: unknown): Record<string, unknown> {
  const r = procedureSchema(qualification, procedureOf(raw)).safeParse(raw, { error: (iss) => (iss.input === undefined ? '入力してください' : undefined) });
  if (!r.success) throw validationFailed(fieldErrorsFromZod(r.error));
  return r.data;
}

/** The 登録番号 a form of a procedure other than 新規登録 concerns (null for 新規登録). */
export function formRegistrationNo(form: Record<string, unknown>): number | null {
  const n = form['登録番号'];
  return typeof n === 'string' && /^[1-9][0-9]{0,11}$/.test(n) ? Number(n) : null;
}

const EXAM = { 回数: 120, 受験番号: '012345', 合格年月日: '2026-03-16' };

/** A complete example form for a qualification and procedure (synthetic person; every item filled in). */
export function exampleForm(qualification: string, procedure: Procedure = 'new'): Record<string, unknown> {
  const q = qualificationOf(qualification);
  if (procedure !== 'new') {
    const who = { formVersion: FORM_VERSION, qualification: q.code, procedure, 登録番号: '1', 氏名: { 姓: '見本', 名: '花子' }, フリガナ: { 姓: 'ミホン', 名: 'ハナコ' }, 生年月日: '2000-04-01', 住所: { 郵便番号: '680-0000', 住所: '鳥取県鳥取市見本町1番地' }, 電話番号: '0857-00-0000' };
    if (procedure === 'reissue') return { ...who, 再交付の理由: '亡失' };
    if (procedure === 'erasure') return { ...who, 抹消の理由: '業務の廃止', 理由の詳細: '業務を廃止したため' };
    return { ...who, 訂正事項: { 氏名: { 旧: { 姓: '旧姓', 名: '花子' }, 新: { 姓: '見本', 名: '花子' }, 新フリガナ: { 姓: 'ミホン', 名: 'ハナコ' } } }, 事由: '婚姻', 事由の生じた年月日: '2026-04-01' };
  }
  const form: Record<string, unknown> = {
    formVersion: FORM_VERSION,
    qualification: q.code,
    procedure: 'new',
    氏名: { 姓: '見本', 名: q.code === 'josanshi' ? '花子' : '太郎' },
    フリガナ: { 姓: 'ミホン', 名: q.code === 'josanshi' ? 'ハナコ' : 'タロウ' },
    生年月日: '2000-04-01',
    性別: q.code === 'josanshi' ? '2' : '1',
    本籍: { 都道府県コード: '31' },
    住所: { 郵便番号: '680-0000', 住所: '鳥取県鳥取市見本町1番地' },
    電話番号: '0857-00-0000',
    メールアドレス: 'mihon@example.jp',
    欠格事由: { 罰金以上の刑: false, 業務に関する犯罪又は不正の行為: false },
  };
  if (q.file === 'iseki' || q.file === 'kanrieiyoshi' || q.file === 'yakuzaishi') form['国家試験'] = { ...EXAM };
  if (q.file === 'kanrieiyoshi') form['栄養士免許'] = { 都道府県コード: '31', 登録番号: '12345', 免許年月日: '2022-04-01' };
  if (q.file === 'yakuzaishi') form['合格証書番号'] = 'Y-0123456';
  if (q.file === 'kaigofukushishi') {
    form['資格取得'] = { 区分: '試験', 合格証書番号: 'K-0123456', 合格年月: '2026-03' };
    form['アルファベット氏名'] = 'MIHON TARO';
    form['携帯電話'] = '090-0000-0000';
  }
  if (q.code === 'hokenshi' || q.code === 'josanshi') form['看護師国家試験'] = { ...EXAM, 受験番号: '054321' };
  return form;
}

/** Every qualification that has a form (all ten). */
export function formQualifications(): string[] {
  return catalog().qualifications.map((q) => q.code);
}
