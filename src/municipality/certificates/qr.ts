// Numeric QR codes for SMART Health Cards (spec.smarthealth.cards "Health Cards as QR Codes").
//
// A QR holds two segments: `shc:/` in byte mode (plus `C/N/` when chunked), then the JWS in numeric mode,
// each JWS character c written as the two digits of ord(c) − 45 ('-' is 45, the lowest JWS character).
// A JWS of at most 1195 characters fits one Version 22 QR at error correction level L; longer ones are
// split into balanced chunks of at most 1191 characters (chunking is deprecated since VCI 1.3.0, so
// issuers should keep cards small; we still read and write it).
import QRCode from 'qrcode';
import { ShcError } from './errors.js';

/** Longest JWS that may be one QR code (Version 22, level L). */
export const SHC_SINGLE_QR_MAX = 1195;
/** Longest JWS chunk when a card is split over several QR codes. */
export const SHC_CHUNK_MAX = 1191;
/** Largest QR version the spec allows (105×105 modules, printable at 40 mm × 40 mm). */
export const SHC_QR_MAX_VERSION = 22;
/** Error correction level the size limits are computed for. */
export const SHC_QR_ERROR_CORRECTION = 'L' as const;

const JWS_CHARS = /^[A-Za-z0-9_.-]+$/;

/** JWS → digits (two per character). */
export function encodeNumeric(jws: string): string {
  if (!JWS_CHARS.test(jws)) throw new ShcError('SHC_MALFORMED', 'JWS に使えない文字が含まれています（base64url と "." のみ）。');
  let out = '';
  for (let i = 0; i < jws.length; i++) out += String(jws.charCodeAt(i) - 45).padStart(2, '0');
  return out;
}

/** Digits → JWS; every pair must decode to a JWS character. */
export function decodeNumeric(digits: string): string {
  if (!/^\d*$/.test(digits)) throw new ShcError('SHC_QR_INVALID', 'QRの数字部分に数字以外の文字があります。');
  if (digits.length % 2 !== 0) throw new ShcError('SHC_QR_INVALID', 'QRの数字部分の桁数が奇数です（2桁で1文字）。');
  let out = '';
  for (let i = 0; i < digits.length; i += 2) {
    const ch = String.fromCharCode(Number(digits.slice(i, i + 2)) + 45);
    if (!JWS_CHARS.test(ch)) throw new ShcError('SHC_QR_INVALID', `QRの数字部分の ${i + 1} 桁目の組がJWSの文字になりません。`);
    out += ch;
  }
  return out;
}

/** Splits a JWS for QR presentation: one piece if it fits, else balanced chunks of ≤ 1191 characters. */
export function splitJws(jws: string): string[] {
  if (jws.length <= SHC_SINGLE_QR_MAX) return [jws];
  const count = Math.ceil(jws.length / SHC_CHUNK_MAX);
  const size = Math.ceil(jws.length / count);
  const out: string[] = [];
  for (let i = 0; i < jws.length; i += size) out.push(jws.slice(i, i + size));
  return out;
}

export interface QrChunk {
  /** The byte-mode prefix: `shc:/` or `shc:/C/N/`. */
  readonly prefix: string;
  /** The numeric-mode digits. */
  readonly digits: string;
  /** prefix + digits: what a QR reader returns. */
  readonly text: string;
}

/** The QR texts for a JWS (one, or several when chunked). */
export function qrChunks(jws: string): QrChunk[] {
  const parts = splitJws(jws);
  return parts.map((p, i) => {
    const prefix = parts.length > 1 ? `shc:/${i + 1}/${parts.length}/` : 'shc:/';
    const digits = encodeNumeric(p);
    return { prefix, digits, text: prefix + digits };
  });
}

/**
 * Reassembles a JWS from scanned QR texts (any order; duplicates of the same chunk are tolerated).
 * Throws SHC_QR_INVALID for a malformed text and SHC_CHUNKS_INCOMPLETE when chunks are missing.
 */
export function jwsFromQr(texts: readonly string[]): string {
  const parsed = texts.map((raw) => {
    const t = raw.trim();
    const m = /^shc:\/(?:(\d+)\/(\d+)\/)?(\d*)$/i.exec(t);
    if (!m) throw new ShcError('SHC_QR_INVALID', 'QRの内容が shc:/ で始まる数字列ではありません。');
    const [c, n] = m[1] !== undefined ? [Number(m[1]), Number(m[2])] : [1, 1];
    if (n < 1 || c < 1 || c > n || n > 99) throw new ShcError('SHC_QR_INVALID', `QRの分割番号 ${c}/${n} が正しくありません。`);
    if (!m[3]) throw new ShcError('SHC_QR_INVALID', 'QRに数字部分がありません。');
    return { c, n, jws: decodeNumeric(m[3]) };
  });
  const total = parsed[0]?.n ?? 0;
  if (total === 0) throw new ShcError('SHC_MALFORMED', 'QRの内容がありません。');
  if (parsed.some((p) => p.n !== total)) throw new ShcError('SHC_QR_INVALID', '分割QRの総数が一致しません（別のカードのQRが混ざっています）。');
  const byIndex = new Map<number, string>();
  for (const p of parsed) {
    const seen = byIndex.get(p.c);
    if (seen !== undefined && seen !== p.jws) throw new ShcError('SHC_QR_INVALID', `分割QRの ${p.c} 番目が2種類あります。`);
    byIndex.set(p.c, p.jws);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) throw new ShcError('SHC_CHUNKS_INCOMPLETE', `分割QR（全${total}枚）のうち ${missing.join('・')} 番目が読み取られていません。`);
  return Array.from({ length: total }, (_, i) => byIndex.get(i + 1)!).join('');
}

function segments(chunk: QrChunk): QRCode.QRCodeSegment[] {
  return [
    { data: Buffer.from(chunk.prefix, 'latin1'), mode: 'byte' },
    { data: chunk.digits, mode: 'numeric' },
  ];
}

/** The QR version (1–40) a chunk needs at level L; the spec allows at most 22. */
export function qrVersion(chunk: QrChunk): number {
  return QRCode.create(segments(chunk), { errorCorrectionLevel: SHC_QR_ERROR_CORRECTION }).version;
}

function checkVersion(chunk: QrChunk): void {
  const v = qrVersion(chunk);
  if (v > SHC_QR_MAX_VERSION) throw new ShcError('SHC_QR_TOO_LARGE', `QRがバージョン ${v} になり、上限の ${SHC_QR_MAX_VERSION} を超えます。`);
}

/**
 * The modules of one QR chunk (same segments, level and version limit as the images): `size` × `size`,
 * `dark(row, col)` true for a dark module, without the quiet zone — for drawing the code as vector
 * rectangles (e.g. on a PDF page).
 */
export function qrMatrix(chunk: QrChunk): { readonly size: number; readonly version: number; dark(row: number, col: number): boolean } {
  checkVersion(chunk);
  const qr = QRCode.create(segments(chunk), { errorCorrectionLevel: SHC_QR_ERROR_CORRECTION });
  const { size, data } = qr.modules;
  return { size, version: qr.version, dark: (row, col) => data[row * size + col] === 1 };
}

/** PNG image of one QR chunk (level L, two segments as the spec requires). */
export async function qrPng(chunk: QrChunk, opts: { scale?: number; margin?: number } = {}): Promise<Buffer> {
  checkVersion(chunk);
  return QRCode.toBuffer(segments(chunk), { type: 'png', errorCorrectionLevel: SHC_QR_ERROR_CORRECTION, scale: opts.scale ?? 4, margin: opts.margin ?? 4 });
}

/** SVG image of one QR chunk. */
export async function qrSvg(chunk: QrChunk, opts: { margin?: number } = {}): Promise<string> {
  checkVersion(chunk);
  return QRCode.toString(segments(chunk), { type: 'svg', errorCorrectionLevel: SHC_QR_ERROR_CORRECTION, margin: opts.margin ?? 4 });
}
