// The shapes a caller hands the renderer: the document type, a template (wording), one item per person and
// the run's options.  Items carry only what a document prints — never a My Number (decision 0056).
import { z } from 'zod';
import { checkLocalGovernmentCode, isIsoDate } from '../../kernel/jp/index.js';
import { checkVoucherNumber } from './voucher.js';

export const DOCUMENT_TYPES = ['questionnaire', 'guidance', 'reminder', 'request'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** What staff call each document. */
export const DOCUMENT_TYPE_LABELS: Readonly<Record<DocumentType, string>> = {
  questionnaire: '予防接種予診票（接種券）',
  guidance: '予防接種のお知らせ（案内通知）',
  reminder: '予防接種の勧奨通知',
  request: '予防接種依頼書',
};

/**
 * The wording of one document type, editable per municipality and versioned (the storage of versions is
 * the ledger's; a template value is immutable once issued).  Every text may hold `{{差し込み項目}}`.
 */
export interface DocumentTemplate {
  readonly docType: DocumentType;
  /** 1, 2, … — a new version for every edit; printed small in the page footer for traceability. */
  readonly version: number;
  /** Staff's note on the version (改訂内容), never printed. */
  readonly note?: string | undefined;
  readonly title: string;
  /** Body paragraphs; a paragraph may contain "\n" for a forced line break. */
  readonly body: readonly string[];
  /** 注意事項 / 持ち物 etc., printed as a bulleted list (may be empty). */
  readonly notes: readonly string[];
  /** 予診票 only: the questions (はい／いいえ), in order.  Run-level placeholders only. */
  readonly questions?: readonly string[] | undefined;
  /** 予診票 only: the consent statement above the signature line.  Run-level placeholders only. */
  readonly consent?: string | undefined;
  /** The 問合せ先 block. */
  readonly contact: string;
}

const isoDate = z.string().refine(isIsoDate, { message: '日付は YYYY-MM-DD の形式で指定してください' });
const text = (max: number) => z.string().trim().min(1, { message: '入力してください' }).max(max, { message: `${max}文字以内で入力してください` });
const postalCode = z.string().regex(/^\d{3}-?\d{4}$/, { message: '郵便番号は7桁（例 680-8571）で指定してください' });

/** One person's items for one document (送付先 included). */
export const documentItemSchema = z.object({
  person: z.object({
    name: text(30),
    kana: text(40).optional(),
    birthDate: isoDate,
    sex: z.enum(['male', 'female']).optional(),
    postalCode: postalCode.optional(),
    address: text(80),
  }),
  /** 送付先 (window-envelope address block); defaults to the person's address and name. */
  mailTo: z
    .object({
      postalCode,
      address: text(80),
      /** 方書 (building, room, c/o). */
      addressLine2: text(40).optional(),
      name: text(40),
    })
    .optional(),
  guardianName: text(30).optional(),
  program: z.object({
    /** e.g. 麻しん風しん混合（MR）. */
    name: text(40),
    /** e.g. 第2期, 2回目. */
    dose: text(20).optional(),
    period: z.object({ from: isoDate, until: isoDate }).refine((p) => p.from <= p.until, { message: '対象期間の開始日が終了日より後です' }).optional(),
  }),
  /** 接種券番号 (18 digits, decision 0056); required on 予診票. */
  voucherNumber: z
    .string()
    .refine((v) => checkVoucherNumber(v).ok, { message: '接種券番号が正しくありません（18桁・検査数字）' })
    .optional(),
  /**
   * 整理番号 as printed on the voucher: the ledger's encrypted token (VAX-10), opaque here.  Letters, digits
   * and hyphens; never a My Number or a plain 宛名番号.
   */
  referenceNumber: z
    .string()
    .regex(/^[0-9A-Z][0-9A-Z-]{3,39}$/, { message: '整理番号は英大文字・数字・ハイフンの4〜40文字です' })
    .optional(),
  /**
   * 予診票 of a resident whose co-payment is waived or reduced (VAX-30): the line printed at the top right, e.g.
   * 「自己負担金　免除」.  Never the reason (生活保護 etc.): the form passes through other hands.
   */
  copayNote: text(30).optional(),
  /** 予防接種依頼書 only. */
  request: z
    .object({
      /** 依頼先, e.g. 大阪市長, 〇〇クリニック院長. */
      destination: text(40),
      reason: text(60),
      stayAddress: text(80),
      stayPhone: z.string().regex(/^[0-9-]{6,15}$/, { message: '電話番号は数字とハイフンで指定してください' }).optional(),
      documentNumber: text(30).optional(),
    })
    .optional(),
});
export type DocumentItem = z.input<typeof documentItemSchema>;

export const municipalitySchema = z.object({
  /** 全国地方公共団体コード. */
  code: z.string().refine((c) => checkLocalGovernmentCode(c).ok, { message: '地方公共団体コードが正しくありません' }),
  /** 鳥取市. */
  name: text(20),
  /** 首長の職名（と氏名）as signed on letters, e.g. 鳥取市長. */
  head: text(30),
  /** 担当課, e.g. 保健所 健康・子育て推進課. */
  department: text(40),
  postalCode: postalCode.optional(),
  address: text(60).optional(),
  phone: z.string().regex(/^[0-9-]{6,15}$/, { message: '電話番号は数字とハイフンで指定してください' }),
  /** The 問合せ先 text; defaults to "{name} {department}　電話 {phone}". */
  contact: text(80).optional(),
});
export type MunicipalityInfo = z.input<typeof municipalitySchema>;

/** A character the font cannot draw (e.g. a 外字 in a name): printed as 〓 and reported. */
export interface MissingGlyphWarning {
  readonly kind: 'missing-glyph';
  /** Index of the person in the run (−1 for run-level text). */
  readonly item: number;
  /** U+XXXX of the character (never the surrounding text, which may be personal). */
  readonly codePoint: string;
}

export interface RenderOptions {
  readonly municipality: MunicipalityInfo;
  /** 発行日 ('YYYY-MM-DD'). Also the PDF's creation date, so the same inputs give the same bytes. */
  readonly issueDate: string;
  /** Document title metadata, e.g. "予診票 2026-11 MR第2期"; defaults to the document type's label. */
  readonly title?: string;
  readonly onWarning?: (w: MissingGlyphWarning) => void;
}
