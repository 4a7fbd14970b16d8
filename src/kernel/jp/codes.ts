// Japanese public code systems with check digits.
//
// - 全国地方公共団体コード (6 digits): 5-digit code + check digit.  Weights 6,5,4,3,2; remainder r of the
//   weighted sum mod 11; check digit = last digit of (11 - r).  Source: 総務省「全国地方公共団体コード」
//   (昭和43年行政管理庁告示), e.g. 131016 千代田区, 312011 鳥取市, 041009 仙台市.
// - 法人番号 (13 digits): leading check digit = 9 - (Σ Pn·Qn mod 9), Pn the n-th digit of the 12-digit
//   base counted from the right, Qn = 1 (n odd) or 2 (n even).  Source: 法人番号の指定等に関する省令 第2条.
//   Used as the code of national bodies (e.g. 厚生労働省 6000012070001).
// - 医療機関コード (10 digits): 都道府県番号(2) + 点数表番号(1) + 郡市区番号(2) + 医療機関番号(4) + 検証番号(1);
//   the check digit is the Luhn (modulus 10, weights 2·1 from the right) digit of the first nine digits.
import { toHalfWidthDigits } from './width.js';

export type CodeCheck = { ok: true; code: string } | { ok: false; reason: string };

export function localGovernmentCheckDigit(first5: string): number {
  const weights = [6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += Number(first5[i]) * weights[i]!;
  return (11 - (sum % 11)) % 10;
}

export function checkLocalGovernmentCode(input: string): CodeCheck {
  const code = toHalfWidthDigits(input.trim());
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: '地方公共団体コードは6桁の数字で入力してください' };
  if (localGovernmentCheckDigit(code.slice(0, 5)) !== Number(code[5])) {
    return { ok: false, reason: '地方公共団体コードの検査数字が一致しません' };
  }
  if (code.slice(0, 2) === '00' || Number(code.slice(0, 2)) > 47) {
    return { ok: false, reason: '地方公共団体コードの都道府県番号（先頭2桁）は01〜47です' };
  }
  return { ok: true, code };
}

export function corporateNumberCheckDigit(base12: string): number {
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const p = Number(base12[12 - n]);
    sum += p * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

export function checkCorporateNumber(input: string): CodeCheck {
  const code = toHalfWidthDigits(input.trim());
  if (!/^\d{13}$/.test(code)) return { ok: false, reason: '法人番号は13桁の数字で入力してください' };
  if (corporateNumberCheckDigit(code.slice(1)) !== Number(code[0])) {
    return { ok: false, reason: '法人番号の検査用数字（先頭1桁）が一致しません' };
  }
  return { ok: true, code };
}

export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[digits.length - 1 - i]);
    const p = i % 2 === 0 ? d * 2 : d;
    sum += p > 9 ? p - 9 : p;
  }
  return (10 - (sum % 10)) % 10;
}

export function checkMedicalInstitutionCode(input: string): CodeCheck {
  const code = toHalfWidthDigits(input.trim());
  if (!/^\d{10}$/.test(code)) return { ok: false, reason: '医療機関コードは10桁の数字で入力してください' };
  const pref = Number(code.slice(0, 2));
  if (pref < 1 || pref > 47) return { ok: false, reason: '医療機関コードの都道府県番号（先頭2桁）は01〜47です' };
  if (!['1', '3', '4'].includes(code[2]!)) return { ok: false, reason: '医療機関コードの点数表番号（3桁目）は1（医科）・3（歯科）・4（調剤）のいずれかです' };
  if (luhnCheckDigit(code.slice(0, 9)) !== Number(code[9])) {
    return { ok: false, reason: '医療機関コードの検証番号が一致しません' };
  }
  return { ok: true, code };
}

/**
 * Whether `code` is a valid 医療機関コード exactly as given: 10 half-width digits (no width folding, no
 * spaces), 都道府県番号 01–47, 点数表番号 1/3/4, and the 検証番号 (Luhn over the first nine digits) right —
 * e.g. `0110113719`.  For codes that arrive in messages and files, where nothing is normalised
 * (the 国保連's claim check, billing); screens use `checkMedicalInstitutionCode`, which folds widths.
 */
export function institutionCodeValid(code: unknown): boolean {
  return typeof code === 'string' && /^[0-9]{10}$/.test(code) && checkMedicalInstitutionCode(code).ok;
}
