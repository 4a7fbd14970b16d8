// Why a SMART Health Card was refused: a stable code and a Japanese explanation (never card contents).
import { Problem } from '../../kernel/problems/index.js';

export const SHC_ERRORS = {
  SHC_MALFORMED: 'SMART Health Card として読めません',
  SHC_QR_INVALID: 'QRの内容が正しくありません',
  SHC_CHUNKS_INCOMPLETE: '分割されたQRがそろっていません',
  SHC_QR_TOO_LARGE: 'QRコードが大きすぎます',
  SHC_HEADER_INVALID: '署名ヘッダーが仕様に合いません',
  SHC_PAYLOAD_INVALID: '内容（ペイロード）を読めません',
  SHC_ISSUER_UNKNOWN: '発行者の公開鍵が見つかりません',
  SHC_SIGNATURE_INVALID: '電子署名が正しくありません',
  SHC_NOT_YET_VALID: '有効期間の開始前です',
  SHC_EXPIRED: '有効期限が過ぎています',
  SHC_TYPE_INVALID: '証明書の種別（vc.type）が仕様に合いません',
  SHC_BUNDLE_INVALID: '証明内容（FHIR Bundle）が仕様に合いません',
} as const;

export type ShcErrorCode = keyof typeof SHC_ERRORS;

/** A card (or QR text) that fails a check.  Status 422: the input was understood and refused. */
export class ShcError extends Problem {
  declare readonly code: ShcErrorCode;
  constructor(code: ShcErrorCode, detail: string) {
    super(422, code, SHC_ERRORS[code], detail);
    this.name = 'ShcError';
  }
}

export function isShcError(e: unknown): e is ShcError {
  return e instanceof ShcError;
}
