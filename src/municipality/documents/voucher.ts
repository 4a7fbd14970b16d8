// 接種券番号 (voucher number), decision 0056.
//
//   312011 26 000001234 0   →   printed 312011-26-000001234-0, encoded in CODE128 as 18 digits
//   ││││││ ││ │││││││││ └ 検査数字: Luhn (modulus 10, weights 2·1 from the right) over the first 17 digits
//   ││││││ ││ └└└└└└└└└── 連番: 9 digits, allocated by the issuing municipality per fiscal year
//   ││││││ └└──────────── 年度: the last two digits of the fiscal year of issue (2026年度 → 26)
//   └└└└└└─────────────── 全国地方公共団体コード (6 digits with its own mod-11 check digit)
//
// The number names a voucher, never a person: it carries no My Number, no 宛名番号 and no birth date.
import { checkLocalGovernmentCode, luhnCheckDigit, toHalfWidthDigits } from '../../kernel/jp/index.js';

export const VOUCHER_NUMBER_LENGTH = 18;
export const VOUCHER_SERIAL_MAX = 999_999_999;

export interface VoucherParts {
  /** 全国地方公共団体コード (6 digits). */
  readonly orgCode: string;
  /** Fiscal year of issue, 2000–2099 (the number keeps its last two digits). */
  readonly fiscalYear: number;
  /** 連番, 1–999,999,999. */
  readonly serial: number;
}

export type VoucherCheck = { ok: true; number: string; parts: VoucherParts } | { ok: false; reason: string };

/** The check digit of the first 17 digits (Luhn). */
export function voucherCheckDigit(first17: string): number {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('接種券番号の検査数字は先頭17桁の数字から計算します');
  return luhnCheckDigit(first17);
}

/** Builds the 18-digit voucher number; throws RangeError on an invalid part. */
export function makeVoucherNumber(parts: VoucherParts): string {
  const org = checkLocalGovernmentCode(parts.orgCode);
  if (!org.ok) throw new RangeError(org.reason);
  if (!Number.isInteger(parts.fiscalYear) || parts.fiscalYear < 2000 || parts.fiscalYear > 2099) {
    throw new RangeError('接種券番号の年度は2000〜2099年度です');
  }
  if (!Number.isInteger(parts.serial) || parts.serial < 1 || parts.serial > VOUCHER_SERIAL_MAX) {
    throw new RangeError('接種券番号の連番は1〜999999999です');
  }
  const first17 = `${org.code}${String(parts.fiscalYear % 100).padStart(2, '0')}${String(parts.serial).padStart(9, '0')}`;
  return `${first17}${voucherCheckDigit(first17)}`;
}

/**
 * Reads a voucher number as people and scanners write it: full- or half-width digits, with or without
 * hyphens and spaces.  Checks the length, the organisation code's own check digit and the Luhn digit.
 */
export function checkVoucherNumber(input: string): VoucherCheck {
  const digits = toHalfWidthDigits(input.normalize('NFKC')).replace(/[\s\-‐－ー―]/g, '');
  if (!/^\d+$/.test(digits)) return { ok: false, reason: '接種券番号は数字で入力してください' };
  if (digits.length !== VOUCHER_NUMBER_LENGTH) return { ok: false, reason: `接種券番号は${VOUCHER_NUMBER_LENGTH}桁です（入力は${digits.length}桁）` };
  if (voucherCheckDigit(digits.slice(0, 17)) !== Number(digits[17])) return { ok: false, reason: '接種券番号の検査数字が一致しません。番号を確認してください' };
  const org = checkLocalGovernmentCode(digits.slice(0, 6));
  if (!org.ok) return { ok: false, reason: `接種券番号の先頭6桁（地方公共団体コード）が正しくありません: ${org.reason}` };
  const serial = Number(digits.slice(8, 17));
  if (serial < 1) return { ok: false, reason: '接種券番号の連番が0です' };
  return { ok: true, number: digits, parts: { orgCode: digits.slice(0, 6), fiscalYear: 2000 + Number(digits.slice(6, 8)), serial } };
}

export function isValidVoucherNumber(input: string): boolean {
  return checkVoucherNumber(input).ok;
}

/** 312011-26-000001234-0: the printed form (groups: organisation, year, serial, check digit). */
export function formatVoucherNumber(input: string): string {
  const c = checkVoucherNumber(input);
  if (!c.ok) throw new RangeError(c.reason);
  const n = c.number;
  return `${n.slice(0, 6)}-${n.slice(6, 8)}-${n.slice(8, 17)}-${n.slice(17)}`;
}
