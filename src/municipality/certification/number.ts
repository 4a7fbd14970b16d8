// 証明書番号 (certificate ID, decision 0071): 17 digits
//
//   312011 26 3 0000123 2      printed  312011-26-3-0000123-2
//   └─┬──┘ └┬┘ │ └──┬──┘ └ 検査数字: Luhn over the first 16 digits
//     │     │  │    └──── 連番: 7 digits, per municipality and fiscal year (all kinds together)
//     │     │  └───────── 種別: 1 予防接種済証, 2 接種記録の証明, 3 COVID-19 国内用, 4 COVID-19 海外用
//     │     └──────────── 年度: last two digits of the fiscal year of the issue date
//     └────────────────── 全国地方公共団体コード (with its own check digit)
//
// It names a certificate, never a person, and is 17 digits long so it cannot be mistaken for a My Number.
import type { Work } from '../../kernel/context/index.js';
import { checkLocalGovernmentCode, fiscalYearOf, luhnCheckDigit, toHalfWidthDigits } from '../../kernel/jp/index.js';
import { Problem } from '../../kernel/problems/index.js';
import type { CertificateKindCode } from './model.js';

export const CERTIFICATE_NUMBER_LENGTH = 17;
export const CERTIFICATE_SERIAL_MAX = 9_999_999;

export const KIND_DIGITS: Readonly<Record<CertificateKindCode, string>> = { completion: '1', history: '2', 'covid19-domestic': '3', 'covid19-overseas': '4' };
const KIND_BY_DIGIT = new Map(Object.entries(KIND_DIGITS).map(([k, d]) => [d, k as CertificateKindCode]));

export interface CertificateNumberParts {
  readonly orgCode: string;
  readonly fiscalYear: number;
  readonly kind: CertificateKindCode;
  readonly serial: number;
}

/** Composes a number from its parts (the check digit is computed). */
export function makeCertificateNumber(p: CertificateNumberParts): string {
  if (!checkLocalGovernmentCode(p.orgCode).ok || !/^\d{6}$/.test(p.orgCode)) throw new Error('invalid organisation code');
  if (!Number.isInteger(p.fiscalYear) || p.fiscalYear < 2000 || p.fiscalYear > 2099) throw new Error('fiscal year out of range');
  if (!Number.isInteger(p.serial) || p.serial < 1 || p.serial > CERTIFICATE_SERIAL_MAX) throw new Error('serial out of range');
  const body = `${p.orgCode}${String(p.fiscalYear % 100).padStart(2, '0')}${KIND_DIGITS[p.kind]}${String(p.serial).padStart(7, '0')}`;
  return body + String(luhnCheckDigit(body));
}

export type CertificateNumberCheck = { readonly ok: true; readonly number: string; readonly parts: CertificateNumberParts } | { readonly ok: false; readonly reason: string };

/** Reads a number as people and scanners write it: full-width digits, hyphens and spaces are accepted. */
export function checkCertificateNumber(input: string): CertificateNumberCheck {
  const s = toHalfWidthDigits(input.normalize('NFKC')).replace(/[\s\-‐－ー―]/g, '');
  if (!/^\d+$/.test(s)) return { ok: false, reason: '証明書番号は数字17桁です（ハイフン・空白は省略できます）' };
  if (s.length !== CERTIFICATE_NUMBER_LENGTH) return { ok: false, reason: `証明書番号は17桁です（${s.length}桁あります）` };
  if (luhnCheckDigit(s.slice(0, 16)) !== Number(s[16])) return { ok: false, reason: '証明書番号の検査数字が一致しません（入力の誤りがないか確認してください）' };
  const org = checkLocalGovernmentCode(s.slice(0, 6));
  if (!org.ok) return { ok: false, reason: `証明書番号の団体コードが正しくありません（${org.reason}）` };
  const kind = KIND_BY_DIGIT.get(s[8]!);
  if (!kind) return { ok: false, reason: '証明書番号の種別（9桁目）が正しくありません' };
  const serial = Number(s.slice(9, 16));
  if (serial === 0) return { ok: false, reason: '証明書番号の連番が 0 です' };
  return { ok: true, number: s, parts: { orgCode: s.slice(0, 6), fiscalYear: 2000 + Number(s.slice(6, 8)), kind, serial } };
}

export function isValidCertificateNumber(input: string): boolean {
  return checkCertificateNumber(input).ok;
}

/** 31201126300001232 → 312011-26-3-0000123-2 (as printed). */
export function formatCertificateNumber(n: string): string {
  return `${n.slice(0, 6)}-${n.slice(6, 8)}-${n.slice(8, 9)}-${n.slice(9, 16)}-${n.slice(16)}`;
}

/**
 * The next number for a certificate issued on `issueDate`, from the tenant's per-fiscal-year serial, in the
 * caller's transaction (a rolled-back issue gives its serial back; concurrent issues wait on the row).
 */
export async function allocateCertificateNumber(w: Work, kind: CertificateKindCode, issueDate: string): Promise<string> {
  const fy = fiscalYearOf(issueDate);
  const row = await w.tx
    .insertInto('municipality.certificate_serials')
    .values({ tenant_code: w.tenant, fiscal_year: fy, last_serial: 1 })
    .onConflict((oc) => oc.columns(['tenant_code', 'fiscal_year']).doUpdateSet((eb) => ({ last_serial: eb('municipality.certificate_serials.last_serial', '+', 1) })))
    .returning('last_serial')
    .executeTakeFirstOrThrow()
    .catch((e: unknown) => {
      // The CHECK on last_serial: the fiscal year's 9,999,999 numbers are used up.
      if (String((e as { message?: string }).message ?? '').includes('certificate_serials_last_serial_check')) {
        throw new Problem(409, 'CERTIFICATE_SERIALS_EXHAUSTED', '証明書番号を採番できません', `${fy}年度の証明書番号をすべて使用しました。`);
      }
      throw e;
    });
  return makeCertificateNumber({ orgCode: w.tenant, fiscalYear: fy, kind, serial: row.last_serial });
}
