// Bank accounts as the 全銀協 総合振込 file carries them (docs/formats/zengin-transfer.md; decisions 0150,
// 0159): the ONE set of validators for every account the municipality pays to or from — institutions'
// payees, the 依頼人 (the municipality's own account) and persons (償還払い, benefits).  On entry (zod:
// codes, account type, kana converted to 全銀 characters and refused with the characters named) and at file
// time (stored data checked again; field errors naming who and which field, and no file).
import { z } from 'zod';
import { toHalfWidthDigits } from '../../kernel/jp/index.js';
import type { FieldError } from '../../kernel/problems/index.js';
import { isZenginText, zenginKana, type ZenginAccount } from './zengin.js';

/** 全銀協 金融機関コード run from 0001: 0000 names no bank (a placeholder typed where the code was unknown). */
export const NO_BANK = '0000';
export const NO_BANK_MESSAGE = '金融機関コード 0000 の金融機関はありません。通帳などで全銀協の4桁の金融機関コードを確かめて入力してください';

export const digits = (n: number, label: string) =>
  z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : typeof v === 'number' ? String(v) : v), z.string().regex(new RegExp(`^\\d{${n}}$`), `${label}は${n}桁の数字です`));

/** 全銀 kana: converted, then refused with the characters that have no 全銀 form. */
export const zkana = (max: number, label: string) =>
  z.string().trim().min(1, `${label}を入力してください`).transform((s, ctx) => {
    const r = zenginKana(s);
    if (r.invalid.length) {
      ctx.addIssue({ code: 'custom', message: `${label}に振込で使えない文字があります（${r.invalid.join('')}）。カタカナ・英大文字・数字で入力してください`, params: { code: 'ZENGIN_KANA' } });
      return z.NEVER;
    }
    if (r.text.length > max) {
      ctx.addIssue({ code: 'custom', message: `${label}は半角${max}文字以内です`, params: { code: 'TOO_LONG' } });
      return z.NEVER;
    }
    return r.text;
  });
export const optKana = (max: number, label: string) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), zkana(max, label).optional()).transform((v) => v ?? null);

export const ACCOUNT_TYPE = z.preprocess((v) => (typeof v === 'string' ? ({ 普通: '1', 当座: '2', 貯蓄: '4' } as Record<string, string>)[v.trim()] ?? toHalfWidthDigits(v.trim()) : v), z.enum(['1', '2', '4'], { message: '預金種目は 1（普通）・2（当座）・4（貯蓄）のいずれかです' }));

/** A bank account as the 総合振込 file needs it (payees, the 依頼人 and persons alike). */
export const ACCOUNT_FIELDS = {
  bankCode: digits(4, '金融機関コード').refine((v) => v !== NO_BANK, { message: NO_BANK_MESSAGE, params: { code: 'BANK_CODE_INVALID' } }),
  bankKana: optKana(15, '金融機関名（カナ）'),
  branchCode: digits(3, '支店コード'),
  branchKana: optKana(15, '支店名（カナ）'),
  accountType: ACCOUNT_TYPE,
  accountNo: digits(7, '口座番号'),
};

// ------------------------------------------------------------------ at file time

/** A kana field of the file: converted to 全銀 characters, or a field error naming the institution and the field. */
export function fileKana(v: string | null, max: number, field: string, label: string, errors: FieldError[]): string {
  if (v === null || v === '') return '';
  const k = zenginKana(v);
  if (k.invalid.length || !isZenginText(k.text)) errors.push({ field, code: 'ZENGIN_KANA', message: `${label}に振込で使えない文字があります（${k.invalid.join('')}）` });
  else if (k.text.length > max) errors.push({ field, code: 'TOO_LONG', message: `${label}は半角${max}文字以内です` });
  return k.text;
}

export function fileDigits(v: string, n: number, field: string, label: string, errors: FieldError[]): string {
  if (!new RegExp(`^\\d{${n}}$`).test(v)) errors.push({ field, code: 'FORMAT', message: `${label}は${n}桁の数字です` });
  return v;
}

export function fileAccountType(v: string, field: string, label: string, errors: FieldError[]): string {
  if (!['1', '2', '4'].includes(v)) errors.push({ field, code: 'FORMAT', message: `${label}は 1（普通）・2（当座）・4（貯蓄）のいずれかです` });
  return v;
}

/** An account's fields for the file, each checked; errors named `<prefix>.<field>`, messages `<who><label>`. */
export function fileAccount(a: { bankCode: string; bankKana: string | null; branchCode: string; branchKana: string | null; accountType: string; accountNo: string }, prefix: string, who: string, errors: FieldError[]): ZenginAccount {
  return {
    bankCode: a.bankCode === NO_BANK ? (errors.push({ field: `${prefix}.bankCode`, code: 'BANK_CODE_INVALID', message: `${who}${NO_BANK_MESSAGE}` }), a.bankCode) : fileDigits(a.bankCode, 4, `${prefix}.bankCode`, `${who}金融機関コード`, errors),
    bankKana: fileKana(a.bankKana, 15, `${prefix}.bankKana`, `${who}金融機関名（カナ）`, errors),
    branchCode: fileDigits(a.branchCode, 3, `${prefix}.branchCode`, `${who}支店コード`, errors),
    branchKana: fileKana(a.branchKana, 15, `${prefix}.branchKana`, `${who}支店名（カナ）`, errors),
    accountType: fileAccountType(a.accountType, `${prefix}.accountType`, `${who}預金種目`, errors),
    accountNo: fileDigits(a.accountNo, 7, `${prefix}.accountNo`, `${who}口座番号`, errors),
  };
}

/** 口座名義（カナ）: 30 全銀 characters (the data record's 受取人名). */
export const holderKana = () => zkana(30, '口座名義（カナ）');

/** An account's columns as stored (payees, person accounts, copies in payments, relief orders). */
export interface AccountColumns {
  bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null; account_type: string; account_no: string; holder_kana: string;
}

/** The stored columns of an account as the views name them. */
export function accountOfRow<T extends AccountColumns>(r: T): { bankCode: string; bankKana: string | null; branchCode: string; branchKana: string | null; accountType: T['account_type']; accountNo: string; holderKana: string } {
  return { bankCode: r.bank_code, bankKana: r.bank_kana, branchCode: r.branch_code, branchKana: r.branch_kana, accountType: r.account_type, accountNo: r.account_no, holderKana: r.holder_kana };
}
