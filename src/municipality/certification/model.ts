// What a certificate application holds and what an issued certificate certifies (VAX-27, VAX-35, VAX-42,
// KRN-15; docs/decisions/0070 and 0073).  Validated at every boundary; the 旅券番号 is input only — it is
// sealed before it reaches a table and never part of a list, a log line or the content snapshot.
import { z } from 'zod';
import { fields } from '../../kernel/access/index.js';

export const CERTIFICATE_KINDS = ['completion', 'history', 'covid19-domestic', 'covid19-overseas'] as const;
export type CertificateKindCode = (typeof CERTIFICATE_KINDS)[number];

/** What staff call each kind (申請種別). */
export const KIND_LABELS: Readonly<Record<CertificateKindCode, string>> = {
  completion: '予防接種済証（予防接種済証明書）',
  history: '接種記録の証明（予防接種記録証明書）',
  'covid19-domestic': '新型コロナワクチン接種証明書（国内用）',
  'covid19-overseas': '新型コロナワクチン接種証明書（海外用）',
};

/** Short labels for lists and the register. */
export const KIND_SHORT: Readonly<Record<CertificateKindCode, string>> = {
  completion: '予防接種済証',
  history: '接種記録の証明',
  'covid19-domestic': 'コロナ（国内用）',
  'covid19-overseas': 'コロナ（海外用）',
};

export const isCovidKind = (k: CertificateKindCode): k is 'covid19-domestic' | 'covid19-overseas' => k === 'covid19-domestic' || k === 'covid19-overseas';

export const CHANNELS = ['counter', 'mail', 'app', 'kiosk'] as const;
export type ChannelCode = (typeof CHANNELS)[number];
/** 受付方法.  app and kiosk are reserved for the electronic channels (VAX-40, VAX-41) and not accepted yet. */
export const CHANNEL_LABELS: Readonly<Record<ChannelCode, string>> = { counter: '窓口', mail: '郵送', app: '電子申請（アプリ）', kiosk: 'コンビニ交付' };
export const ACCEPTED_CHANNELS = ['counter', 'mail'] as const;

export type ApplicantKind = 'self' | 'agent';
export const APPLICANT_LABELS: Readonly<Record<ApplicantKind, string>> = { self: '本人', agent: '代理人' };

/** 代理人の資格.  A voluntary agent (任意代理人) must bring a 委任状 (KRN-15). */
export const AGENT_RELATIONS = ['parent', 'guardian', 'proxy'] as const;
export type AgentRelation = (typeof AGENT_RELATIONS)[number];
export const AGENT_RELATION_LABELS: Readonly<Record<AgentRelation, string>> = {
  parent: '法定代理人（親権者）',
  guardian: '法定代理人（成年後見人等）',
  proxy: '任意代理人（委任状）',
};

/** KRN-15: the document the applicant's (or agent's) identity was checked with. */
export const IDENTITY_DOCUMENTS = ['mynumber-card', 'driver-licence', 'passport', 'residence-card', 'photo-id-other', 'two-documents', 'mailed-copy'] as const;
export type IdentityDocument = (typeof IDENTITY_DOCUMENTS)[number];
export const IDENTITY_DOCUMENT_LABELS: Readonly<Record<IdentityDocument, string>> = {
  'mynumber-card': 'マイナンバーカード',
  'driver-licence': '運転免許証',
  passport: '旅券（パスポート）',
  'residence-card': '在留カード・特別永住者証明書',
  'photo-id-other': 'その他の官公署発行の顔写真付き証明書',
  'two-documents': '健康保険の資格確認書等（2点）',
  'mailed-copy': '本人確認書類の写し（郵送）',
};

/** 申請理由 (VAX-27). */
export const REASONS = ['入学・就学', '就職・実習', '留学・海外渡航', '医療機関・施設への提出', '紛失・汚損による再交付', '記録の確認', 'その他'] as const;

// ------------------------------------------------------------------ application input

/** ローマ字 as in the passport (MRZ/VIZ): Latin letters, spaces, hyphens, apostrophes; stored upper-case. */
const romaji = (max: number) =>
  z
    .string()
    .trim()
    .transform((s) => s.normalize('NFKC').toUpperCase())
    .refine((s) => /^[A-Z][A-Z '-]*$/.test(s), { message: 'ローマ字（英字）で入力してください', params: { code: 'ROMAJI_ONLY' } })
    .refine((s) => s.length <= max, `${max}文字以内で入力してください`);

const passportSchema = z.object({
  romajiFamily: romaji(39),
  romajiGiven: z.union([z.literal(''), romaji(39)]).optional().transform((s) => s || undefined),
  /** 国籍・地域: ISO 3166-1 alpha-3 as in the passport (JPN). */
  nationality: z
    .string()
    .trim()
    .transform((s) => s.normalize('NFKC').toUpperCase())
    .refine((s) => /^[A-Z]{3}$/.test(s), { message: '国籍・地域は ISO 3166-1 の英字3文字（例 JPN）で入力してください', params: { code: 'NATIONALITY_FORMAT' } }),
  /** 旅券番号: letters and digits as printed (Japanese passports: 2 letters + 7 digits). */
  passportNumber: z
    .string()
    .trim()
    .transform((s) => s.normalize('NFKC').toUpperCase().replace(/[\s-]/g, ''))
    .refine((s) => /^[A-Z0-9]{5,20}$/.test(s), { message: '旅券番号は英字と数字（5〜20文字）で入力してください', params: { code: 'PASSPORT_NUMBER_FORMAT' } }),
  /** 旧姓・別姓・別名 when the passport carries one (printed on the 海外用 certificate). */
  otherName: fields.optionalText(60),
});
export type PassportInput = z.output<typeof passportSchema>;

export const ApplicationInput = z
  .object({
    kind: z.enum(CERTIFICATE_KINDS, { message: '証明書の種類を選んでください' }),
    channel: z.enum(ACCEPTED_CHANNELS, { message: '受付方法は窓口または郵送です（電子申請・コンビニ交付は未対応）' }).default('counter'),
    receivedOn: fields.plainDate.optional(),
    applicant: z.enum(['self', 'agent']).default('self'),
    agentName: fields.optionalText(50),
    agentRelation: z.union([z.literal(''), z.enum(AGENT_RELATIONS)]).optional().transform((s) => s || undefined),
    identityDocument: z.enum(IDENTITY_DOCUMENTS, { message: '確認した本人確認書類を選んでください' }),
    powerOfAttorney: z.boolean().default(false),
    reason: z.enum(REASONS, { message: '申請理由を選んでください' }),
    reasonDetail: fields.optionalText(100),
    /** 予防接種の種類 (program codes) to certify; empty = every program (接種記録の証明 only). */
    programs: z.array(z.string().trim().min(1).max(40)).max(60).default([]),
    /** 再交付: the number of the certificate this one replaces. */
    reissueOf: fields.optionalText(30),
    passport: passportSchema.optional(),
    note: fields.optionalText(200),
  })
  .superRefine((v, ctx) => {
    if (v.applicant === 'agent') {
      if (!v.agentName) ctx.addIssue({ code: 'custom', path: ['agentName'], message: '代理人の氏名を入力してください', params: { code: 'REQUIRED' } });
      if (!v.agentRelation) ctx.addIssue({ code: 'custom', path: ['agentRelation'], message: '代理人の資格を選んでください', params: { code: 'REQUIRED' } });
      if (v.agentRelation === 'proxy' && !v.powerOfAttorney) ctx.addIssue({ code: 'custom', path: ['powerOfAttorney'], message: '任意代理人の申請には委任状の確認が必要です', params: { code: 'POWER_OF_ATTORNEY_REQUIRED' } });
    }
    if (v.kind === 'completion' && v.programs.length === 0) ctx.addIssue({ code: 'custom', path: ['programs'], message: '予防接種済証には証明する予防接種の種類を選んでください', params: { code: 'REQUIRED' } });
    if (v.kind === 'covid19-overseas' && !v.passport && !v.reissueOf) ctx.addIssue({ code: 'custom', path: ['passport'], message: '海外用にはローマ字氏名・国籍・旅券番号が必要です', params: { code: 'OVERSEAS_ITEMS_REQUIRED' } });
    if (v.kind !== 'covid19-overseas' && v.passport) ctx.addIssue({ code: 'custom', path: ['passport'], message: '旅券の項目は海外用の接種証明書にだけ記載します', params: { code: 'PASSPORT_NOT_ALLOWED' } });
    if (v.kind !== 'completion' && v.kind !== 'history' && v.programs.length) ctx.addIssue({ code: 'custom', path: ['programs'], message: '新型コロナワクチン接種証明書では予防接種の種類は選べません', params: { code: 'PROGRAMS_NOT_ALLOWED' } });
  });
export type ApplicationInputRaw = z.input<typeof ApplicationInput>;

// ------------------------------------------------------------------ what a certificate certifies

/** A record and the version of it that was certified. */
export interface RecordRef {
  readonly id: string;
  readonly version: number;
}

/** Why a record of the requested scope was not printed (decision 0073). */
export type ExclusionReason = 'date-unknown' | 'after-issue-date';
export const EXCLUSION_LABELS: Readonly<Record<ExclusionReason, string>> = {
  'date-unknown': '接種日不明のため日付を証明できません',
  'after-issue-date': '発行日より後の接種日です',
};

export interface ExcludedRecord extends RecordRef {
  readonly reason: ExclusionReason;
  /** 予防接種の種類 and 回数 as a short label, e.g. "BCG 1回目" (no personal values). */
  readonly label: string;
}

export interface CertifiedDose extends RecordRef {
  /** Position on the certificate (1, 2, …), in date order. */
  readonly seq: number;
  readonly date: string;
  readonly program: string | null;
  readonly programName: string;
  /** 回数 as recorded (e.g. 2), and the 期 label when there is one (第1期). */
  readonly dose: number | null;
  readonly doseLabel: string | null;
  /**
   * 回数 as printed — the same text as the staff screens (records' doseNumberOf, decision 0097): 「3回目」,
   * 「令和6年度 1回目」.  Absent in certificates issued before 2026-12 (the printer then rebuilds it from
   * dose and doseLabel as it used to).
   */
  readonly doseText?: string | undefined;
  readonly category: string;
  readonly productCode: string | null;
  readonly productName: string;
  readonly manufacturer: string | null;
  readonly lot: string | null;
  /** 接種した医療機関 (name when the clinic is registered, else its code or the free text). */
  readonly institution: string | null;
  /** COVID-19 only: the card's vaccine coding and the paper certificate's ワクチンの種類. */
  readonly covid?: { readonly system: string; readonly code: string; readonly kind: string } | undefined;
}

export interface CertificateContent {
  readonly v: 1;
  readonly kind: CertificateKindCode;
  /** 17 digits (decision 0071). */
  readonly certificateNo: string;
  readonly issueDate: string;
  readonly issuer: { readonly code: string; readonly name: string; readonly head: string };
  readonly person: {
    readonly name: string;
    readonly family: string;
    readonly given: string | null;
    readonly kana: string;
    readonly birthDate: string;
    readonly sex: 'male' | 'female';
    /** Printed on 予防接種済証 / 接種記録の証明 only; null under 支援措置 (decision 0073) and on COVID-19 certificates. */
    readonly address: string | null;
  };
  /** 海外用: ローマ字氏名, 国籍・地域, 旧姓・別名 — never the 旅券番号 (it stays sealed in the application). */
  readonly passport: { readonly romajiFamily: string; readonly romajiGiven: string | null; readonly nationality: string; readonly otherName: string | null } | null;
  /** Requested 予防接種の種類 (empty = all). */
  readonly programs: readonly string[];
  readonly doses: readonly CertifiedDose[];
  readonly excluded: readonly ExcludedRecord[];
  /** 再交付: the replaced certificate's number. */
  readonly reissueOf: string | null;
}
