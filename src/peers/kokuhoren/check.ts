// The 審査 of one claim item (decision 0148, docs/formats/kokuhoren-protocol.md): pure rules, no database.
// One code per item — the first that applies in RETURN_ORDER.  DUPLICATE_CLAIM needs what was accepted
// before, so it is decided in store.ts (checkClaims), before these rules.
import { daysInMonth, institutionCodeValid } from '../../kernel/jp/index.js';

export const RETURN_ORDER = ['DUPLICATE_CLAIM', 'INSTITUTION_CODE_INVALID', 'DATE_MISSING', 'DATE_AFTER_MONTH', 'PRICE_MISSING', 'AMOUNT_MISMATCH'] as const;
export type ReturnCode = (typeof RETURN_ORDER)[number];

export interface ClaimItem {
  readonly itemId: string;
  readonly programCode: string;
  readonly dose: number;
  /** YYYY-MM-DD, or null when the claim left it empty (DATE_MISSING). */
  readonly vaccinatedOn: string | null;
  readonly unitPrice: number;
  readonly copay: number;
  readonly amount: number;
}

export interface Claim {
  readonly claimId: string;
  readonly institutionCode: string;
  readonly items: readonly ClaimItem[];
}

export interface Returned {
  readonly code: ReturnCode;
  /** 返戻理由, in Japanese, for the municipality's staff and the institution. */
  readonly reason: string;
}

const returned = (code: ReturnCode, reason: string): Returned => ({ code, reason });

export const REASONS = {
  duplicate: returned('DUPLICATE_CLAIM', 'この接種の請求はすでに受け付けています（二重請求）。'),
  duplicateInMessage: returned('DUPLICATE_CLAIM', '同じ接種の請求がこの請求の中で重複しています（二重請求）。'),
  changedAfterAcceptance: returned('DUPLICATE_CLAIM', 'この接種の請求はすでに受け付けています。受付後に内容を変えて請求し直すことはできません。'),
  institution: returned('INSTITUTION_CODE_INVALID', '医療機関コードが正しくありません（10桁の数字と検証番号を確認してください）。'),
  dateMissing: returned('DATE_MISSING', '接種日が記載されていません。'),
  dateAfterMonth: returned('DATE_AFTER_MONTH', '接種日が請求月より後です。'),
  priceMissing: returned('PRICE_MISSING', '単価が設定されていません。'),
  negative: returned('AMOUNT_MISMATCH', '金額に負の値があります。'),
  amount: returned('AMOUNT_MISMATCH', '請求額が「単価 − 自己負担額」と一致しません。'),
} as const;

/** The last day of a claim month 'YYYY-MM', as YYYY-MM-DD. */
export function lastDayOfMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return `${month}-${String(daysInMonth(y, m)).padStart(2, '0')}`;
}

/** The content rules of one item of one claim: null when it passes, else the first code that applies. */
export function checkItem(month: string, claim: Pick<Claim, 'institutionCode'>, item: ClaimItem): Returned | null {
  if (!institutionCodeValid(claim.institutionCode)) return REASONS.institution;
  if (item.vaccinatedOn === null) return REASONS.dateMissing;
  // ISO dates compare as text.
  if (item.vaccinatedOn > lastDayOfMonth(month)) return REASONS.dateAfterMonth;
  if (item.unitPrice === 0) return REASONS.priceMissing;
  if (item.unitPrice < 0 || item.copay < 0 || item.amount < 0) return REASONS.negative;
  if (item.amount !== item.unitPrice - item.copay) return REASONS.amount;
  return null;
}
