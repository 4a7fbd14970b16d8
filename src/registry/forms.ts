// Application forms (decision 0171): what an applicant gives for a new registration (新規登録), per
// qualification, as zod schemas whose keys are the item names of seed 004 and of the paper forms (氏名,
// フリガナ, 本籍, 国家試験 …), so a missing or malformed item is named in the Problem as the applicant knows
// it ("国家試験.受験番号").  The 住民票の写し is not asked (QUA-18: the 住基 lookup replaces it); the My
// Number comes from the card (券面事項入力補助, QUA-03), never from the form.  `exampleForm` prints a complete
// form to fill in (`mamori registry form`); every example validates against its own schema (tested).
import { z } from 'zod';
import { parseInput } from '../kernel/problems/index.js';
import { catalog, qualificationOf, type FileCode } from './catalog.js';

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

/** Parses a filled-in form; a 400 Problem names every missing or malformed item. */
export function parseApplication(qualification: string, raw: unknown): Record<string, unknown> {
  return parseInput(applicationSchema(qualification), raw);
}

const EXAM = { 回数: 120, 受験番号: '012345', 合格年月日: '2026-03-16' };

/** A complete example form for a qualification (synthetic person; every item filled in). */
export function exampleForm(qualification: string): Record<string, unknown> {
  const q = qualificationOf(qualification);
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
