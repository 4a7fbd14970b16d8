// Public face of kernel/fields: input field schemas shared by every form, API and CLI command.
// Field schemas shared by the account API, forms and CLI.  Free text is kept exactly as entered
// (no NFKC: it would rewrite 異体字 in names) apart from trimming; control characters are refused.
import { z } from 'zod';
import { toHalfWidthDigits } from '../jp/index.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, '入力してください')
    .max(max, `${max}文字以内で入力してください`)
    .refine((s) => !CONTROL.test(s), { message: '制御文字は使用できません', params: { code: 'CONTROL_CHARACTER' } });

export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `${max}文字以内で入力してください`)
    .refine((s) => !CONTROL.test(s), { message: '制御文字は使用できません', params: { code: 'CONTROL_CHARACTER' } })
    .optional()
    .transform((s) => (s ? s : undefined));

export const kana = (max: number) =>
  z
    .string()
    .trim()
    .transform((s) => s.normalize('NFKC'))
    .refine((s) => s === '' || /^[\u30a0-\u30ff\u3000 ]+$/.test(s), { message: '全角カタカナで入力してください', params: { code: 'KANA_ONLY' } })
    .refine((s) => s.length <= max, `${max}文字以内で入力してください`)
    .optional()
    .transform((s) => (s ? s : undefined));

export const loginId = z
  .string()
  .trim()
  .transform((s) => s.normalize('NFKC').toLowerCase())
  .refine((s) => /^[a-z0-9][a-z0-9._-]{2,31}$/.test(s), {
    message: 'ログインIDは英小文字・数字で始まる3〜32文字（英小文字・数字・. _ -）で入力してください',
    params: { code: 'LOGIN_ID_FORMAT' },
  });

export const email = z
  .string()
  .trim()
  .max(254)
  .refine((s) => s === '' || /^[^\s@<>"'`]+@[^\s@<>"'`]+\.[^\s@<>"'`]+$/.test(s), { message: 'メールアドレスの形式が正しくありません', params: { code: 'EMAIL_FORMAT' } })
  .optional()
  .transform((s) => (s ? s : undefined));

/** 'YYYY-MM-DD' calendar date (full-width digits accepted); an empty one is reported as missing (入力してください). */
export const plainDate = z
  .string()
  .trim()
  .min(1, '入力してください')
  .transform((s) => toHalfWidthDigits(s).replace(/\//g, '-'))
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isRealDate(s), { message: '日付は YYYY-MM-DD 形式の実在する日付で入力してください', params: { code: 'DATE_FORMAT' } });

export function isRealDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d && y >= 1900 && y <= 2200;
}

export const tenantCode = z
  .string()
  .trim()
  .transform(toHalfWidthDigits)
  .refine((s) => /^\d{6}$|^\d{10}$|^\d{13}$/.test(s), { message: '団体コードは6桁（地方公共団体コード）または13桁（法人番号）で入力してください', params: { code: 'TENANT_CODE_FORMAT' } });
