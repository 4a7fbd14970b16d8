// Certificate content model (no database) and its FHIR R4 Bundle for a SMART Health Card.
//
// The items follow Japan's 新型コロナワクチン接種証明書 (2021-12 onward, docs/decisions/0050, 0051):
// domestic (国内用) = 氏名, 生年月日, and per dose ワクチンの種類・製品名・接種年月日・ロット番号;
// overseas (海外用) adds ローマ字氏名, 国籍・地域, 旅券番号 (and per dose 接種回数, 接種国).  Only what the
// Japanese SMART Health Card itself carried goes into the Bundle: 氏名 (+ ローマ字氏名 for overseas), 生年月日,
// and one Immunization per dose (CVX code, date, lot, performer).  国籍 and 旅券番号 stay on the paper
// certificate (Japan put them in the ICAO VDS-NC code, never in the SHC).  Never a My Number.
//
// Minification (spec.smarthealth.cards "Health Cards are Compact"): no Resource.id / meta / text, no
// CodeableConcept.text, no Coding.display; fullUrl "resource:N"; references "resource:0".
import { z } from 'zod';
import { checkLocalGovernmentCode, isIsoDate } from '../../kernel/jp/index.js';
import { parseInput } from '../../kernel/problems/index.js';

/** Code systems the SHC vaccination IG allows in Immunization.vaccineCode. */
export const VACCINE_CODE_SYSTEMS = {
  cvx: 'http://hl7.org/fhir/sid/cvx',
  gtin: 'https://www.gs1.org/gtin',
  snomed: 'http://snomed.info/sct',
  icd11: 'http://id.who.int/icd/release/11/mms',
  atc: 'http://www.whocc.no/atc',
} as const;

/** Manufacturer identifier systems the IG allows (only used with a non-CVX vaccine code). */
export const MANUFACTURER_SYSTEMS = { mvx: 'http://hl7.org/fhir/sid/mvx', gln: 'https://www.gs1.org/gln' } as const;

/** The 接種制度の所管者 Japan's certificate put in every Immunization.performer (docs/decisions/0050). */
export const JAPAN_PERFORMER = 'MHLW_Gov_of_JAPAN';

export interface CovidVaccine {
  readonly cvx: string;
  /** ワクチンの種類 as Japan's certificate printed it (manufacturer short name). */
  readonly kind: string;
  /** 製品名 */
  readonly product: string;
  readonly manufacturer: string;
}

/**
 * COVID-19 vaccines used (or approved) in Japan with their CDC CVX codes — a display aid for verification
 * and the default product/manufacturer text for the paper certificate.  Codes not listed still verify;
 * they are shown as "CVX nnn".  Check new products against CDC's CVX table before adding.
 */
export const COVID19_VACCINES: readonly CovidVaccine[] = [
  { cvx: '208', kind: 'ファイザー', product: 'コミナティ筋注（12歳以上用）', manufacturer: 'ファイザー株式会社' },
  { cvx: '217', kind: 'ファイザー', product: 'コミナティ筋注（12歳以上用、希釈不要）', manufacturer: 'ファイザー株式会社' },
  { cvx: '218', kind: 'ファイザー', product: 'コミナティ筋注5～11歳用', manufacturer: 'ファイザー株式会社' },
  { cvx: '219', kind: 'ファイザー', product: 'コミナティ筋注6ヵ月～4歳用', manufacturer: 'ファイザー株式会社' },
  { cvx: '309', kind: 'ファイザー', product: 'コミナティ筋注（2023-2024 XBB.1.5、12歳以上用）', manufacturer: 'ファイザー株式会社' },
  { cvx: '207', kind: 'モデルナ', product: 'スパイクバックス筋注（COVID-19ワクチンモデルナ筋注）', manufacturer: 'モデルナ・ジャパン株式会社' },
  { cvx: '210', kind: 'アストラゼネカ', product: 'バキスゼブリア筋注', manufacturer: 'アストラゼネカ株式会社' },
  { cvx: '211', kind: '武田（ノババックス）', product: 'ヌバキソビッド筋注', manufacturer: '武田薬品工業株式会社' },
  { cvx: '212', kind: 'ヤンセン', product: 'ジェコビデン筋注', manufacturer: 'ヤンセンファーマ株式会社' },
  { cvx: '213', kind: '（製品不明）', product: '新型コロナワクチン（製剤不明）', manufacturer: '' },
];

export function covidVaccineByCvx(code: string): CovidVaccine | undefined {
  return COVID19_VACCINES.find((v) => v.cvx === code);
}

/** A readable label for a vaccine coding, e.g. "コミナティ筋注（12歳以上用） (CVX 208)". */
export function vaccineLabel(system: string, code: string): string {
  if (system === VACCINE_CODE_SYSTEMS.cvx) {
    const v = covidVaccineByCvx(code);
    return v ? `${v.product} (CVX ${code})` : `CVX ${code}`;
  }
  const name = Object.entries(VACCINE_CODE_SYSTEMS).find(([, url]) => url === system)?.[0]?.toUpperCase() ?? system;
  return `${name} ${code}`;
}

// ------------------------------------------------------------------ input

const isoDate = z.string().refine((s) => isIsoDate(s), { message: '日付は YYYY-MM-DD で入力してください', params: { code: 'INVALID_DATE' } });
const nameText = z.string().trim().min(1, '入力してください').max(100, '100文字以内で入力してください');
/** ローマ字 as in the passport's MRZ/VIZ: Latin letters, spaces, hyphens and apostrophes. */
const romaji = nameText.regex(/^[A-Za-z][A-Za-z '-]*$/, 'ローマ字（英字）で入力してください').transform((s) => s.toUpperCase());

export const personNameSchema = z.object({ family: nameText, given: nameText.optional() });
export const romajiNameSchema = z.object({ family: romaji, given: romaji.optional() });

export const doseSchema = z.object({
  /** 接種年月日 */
  date: isoDate,
  vaccineCode: z.object({
    system: z.enum(Object.values(VACCINE_CODE_SYSTEMS) as [string, ...string[]]).default(VACCINE_CODE_SYSTEMS.cvx),
    code: z.string().trim().regex(/^[A-Za-z0-9.-]{1,40}$/, 'ワクチンのコードが正しくありません'),
  }),
  /** 製品名 for the paper certificate (not in the card: Coding.display is not allowed). */
  productName: z.string().trim().max(100).optional(),
  /** メーカー名 for the paper certificate. */
  manufacturer: z.string().trim().max(100).optional(),
  /** Manufacturer identifier put in the card only with a non-CVX code (the IG's rule for COVID-19). */
  manufacturerId: z.object({ system: z.enum([MANUFACTURER_SYSTEMS.mvx, MANUFACTURER_SYSTEMS.gln]), value: z.string().trim().min(1).max(20) }).optional(),
  /** ロット番号 (製造番号) */
  lotNumber: z.string().trim().min(1).max(40).optional(),
  /** Immunization.performer.actor.display; Japan used 'MHLW_Gov_of_JAPAN' throughout. */
  performer: z.string().trim().min(1).max(100).default(JAPAN_PERFORMER),
  /** 接種国 (ISO 3166-1 alpha-3) for the overseas paper certificate. */
  country: z.string().regex(/^[A-Z]{3}$/, '国コードは ISO 3166-1 の英大文字3文字です').default('JPN'),
});

export const certificateInputSchema = z
  .object({
    /** 国内用 / 海外用 */
    kind: z.enum(['domestic', 'overseas']),
    /** 証明書ID (recorded in the ledger and printed on the paper certificate). */
    certificateId: z.string().trim().regex(/^[A-Za-z0-9-]{1,40}$/, '証明書IDは英数字とハイフン40文字以内です'),
    /** 発行年月日 */
    issueDate: isoDate,
    issuer: z.object({
      municipalityCode: z.string().superRefine((s, ctx) => {
        const c = checkLocalGovernmentCode(s);
        if (!c.ok) ctx.addIssue({ code: 'custom', message: c.reason, params: { code: 'INVALID_MUNICIPALITY_CODE' } });
      }),
      /** 市区町村名 (交付者) */
      name: nameText,
      /** The SHC `iss`: https, no trailing slash; its /.well-known/jwks.json publishes the keys. */
      url: z.string().superRefine((s, ctx) => {
        const why = issuerUrlProblem(s);
        if (why) ctx.addIssue({ code: 'custom', message: why, params: { code: 'INVALID_ISSUER_URL' } });
      }),
    }),
    person: z.object({
      /** 氏名 as on the certificate */
      name: personNameSchema,
      birthDate: isoDate,
      /** 海外用の追加項目 */
      overseas: z.object({ romajiName: romajiNameSchema, nationality: z.string().regex(/^[A-Z]{3}$/, '国籍・地域は ISO 3166-1 の英大文字3文字です'), passportNumber: z.string().trim().regex(/^[A-Z0-9]{5,20}$/, '旅券番号は英大文字と数字です') }).optional(),
    }),
    doses: z.array(doseSchema).min(1, '接種記録が1件以上必要です').max(20, '接種記録は20件までです'),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'overseas' && !c.person.overseas) ctx.addIssue({ code: 'custom', path: ['person', 'overseas'], message: '海外用にはローマ字氏名・国籍・旅券番号が必要です', params: { code: 'OVERSEAS_ITEMS_REQUIRED' } });
    if (c.kind === 'domestic' && c.person.overseas) ctx.addIssue({ code: 'custom', path: ['person', 'overseas'], message: '国内用には旅券の項目を含めません', params: { code: 'DOMESTIC_HAS_PASSPORT' } });
    c.doses.forEach((d, i) => {
      if (d.date < c.person.birthDate) ctx.addIssue({ code: 'custom', path: ['doses', i, 'date'], message: '接種日が生年月日より前です', params: { code: 'DOSE_BEFORE_BIRTH' } });
      if (d.date > c.issueDate) ctx.addIssue({ code: 'custom', path: ['doses', i, 'date'], message: '接種日が発行日より後です', params: { code: 'DOSE_AFTER_ISSUE' } });
    });
  });

export type CertificateInput = z.input<typeof certificateInputSchema>;
export type Certificate = z.output<typeof certificateInputSchema>;
export type CertificateDose = Certificate['doses'][number];
export type CertificateKind = Certificate['kind'];
export type PersonName = z.output<typeof personNameSchema>;

/** Validates certificate input; throws a 400 Problem naming each bad field. */
export function parseCertificate(input: unknown): Certificate {
  const c = parseInput(certificateInputSchema, input);
  // Doses in date order: the card lists them as the series happened.
  return { ...c, doses: [...c.doses].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)) };
}

/** Why `url` cannot be an SHC issuer (`iss`), or undefined when it can. */
export function issuerUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '発行者URLが URL として読めません';
  }
  if (u.protocol !== 'https:') return '発行者URLは https で始めてください（SMART Health Cards の要件）';
  if (url.endsWith('/')) return '発行者URLの末尾に / を付けないでください（SMART Health Cards の要件）';
  if (u.search || u.hash || u.username || u.password) return '発行者URLにクエリ・フラグメント・認証情報は含められません';
  return undefined;
}

/** The issuer URL Mamori serves for a municipality: <base>/issuers/<code> (JWKS beneath it). */
export function issuerUrlFor(baseUrl: string, municipalityCode: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/issuers/${municipalityCode}`;
}

// ------------------------------------------------------------------ FHIR

export interface FhirCoding {
  system: string;
  code: string;
}
export interface FhirHumanName {
  family: string;
  given?: string[];
}
export interface FhirPatient {
  resourceType: 'Patient';
  name: FhirHumanName[];
  birthDate: string;
}
export interface FhirImmunization {
  resourceType: 'Immunization';
  status: 'completed';
  vaccineCode: { coding: FhirCoding[] };
  patient: { reference: string };
  occurrenceDateTime: string;
  manufacturer?: { identifier: { system: string; value: string } };
  lotNumber?: string;
  performer: { actor: { display: string } }[];
}
export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'collection';
  entry: { fullUrl: string; resource: FhirPatient | FhirImmunization }[];
}

function humanName(n: { family: string; given?: string | undefined }): FhirHumanName {
  return n.given ? { family: n.family, given: [n.given] } : { family: n.family };
}

/**
 * The minified FHIR Bundle for a certificate: Patient at resource:0 (氏名, then ローマ字氏名 for overseas,
 * 生年月日), then one Immunization per dose in date order referencing resource:0.
 */
export function buildFhirBundle(input: CertificateInput | Certificate): FhirBundle {
  const c = parseCertificate(input);
  const names = [humanName(c.person.name)];
  if (c.kind === 'overseas' && c.person.overseas) names.push(humanName(c.person.overseas.romajiName));
  const patient: FhirPatient = { resourceType: 'Patient', name: names, birthDate: c.person.birthDate };
  const immunizations = c.doses.map((d): FhirImmunization => {
    const imm: FhirImmunization = {
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: { coding: [{ system: d.vaccineCode.system, code: d.vaccineCode.code }] },
      patient: { reference: 'resource:0' },
      occurrenceDateTime: d.date,
      performer: [{ actor: { display: d.performer } }],
    };
    if (d.manufacturerId && d.vaccineCode.system !== VACCINE_CODE_SYSTEMS.cvx) imm.manufacturer = { identifier: { ...d.manufacturerId } };
    if (d.lotNumber) imm.lotNumber = d.lotNumber;
    return imm;
  });
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [patient, ...immunizations].map((resource, i) => ({ fullUrl: `resource:${i}`, resource })),
  };
}
