// The signed envelope every message between organisations travels in (decision 0135, X-Road's
// discipline).  The sender signs the whole envelope (JWS compact, ES256, its own published key); a body
// that carries personal data is encrypted to the receiver (JWE compact, ECDH-ES+A256KW / A256GCM), so that
// a relay sees only the envelope (XCH-07, XCH-16).  The receiver checks the signature, the audience, the
// time window and the message id before it acts; the message id also guards against replay (see log.ts).
import { createHash, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { decryptJwe, encryptJwe, jweKid } from './jwe.js';
import { Problem } from '../problems/index.js';
import type { Directory } from './directory.js';
import type { NodeKeys } from './keys.js';

export const MESSAGE_TYPE = 'mamori-msg+jws';
/** Accepted clock difference between organisations, and a message's lifetime. */
export const SKEW_SECONDS = 300;
export const LIFETIME_SECONDS = 120;

export interface Envelope {
  readonly v: 1;
  /** Message id (UUID), unique per sender. */
  readonly id: string;
  /** Sender node. */
  readonly iss: string;
  /** Receiver node. */
  readonly aud: string;
  /** Service called, e.g. 'inquiry'. */
  readonly svc: string;
  /** Issued at / expires (seconds since the epoch). */
  readonly iat: number;
  readonly exp: number;
  /** The request this message answers. */
  readonly re?: string;
  /** Body in clear (no personal data). */
  readonly body?: unknown;
  /** Body encrypted to `to` (personal data). */
  readonly enc?: { readonly to: string; readonly jwe: string };
  /** Messages of other organisations passed on unchanged (XCH-07), each a signed envelope. */
  readonly relayed?: readonly string[];
}

/** A refusal of the message layer: the receiver (or the client reading a reply) does not act on it. */
export function refused(status: number, code: string, title: string, detail: string): Problem {
  return new Problem(status, code, title, detail);
}

export function digestOf(jws: string): string {
  return createHash('sha256').update(jws).digest('hex');
}

export interface SealInput {
  readonly to: string;
  readonly svc: string;
  readonly body?: unknown;
  /** Encrypt the body (to `encTo`, default the receiver). */
  readonly personal?: boolean;
  readonly encTo?: string;
  /**
   * With `personal`: a clear body beside the encrypted one, for what a relay must read and record but is not
   * personal (e.g. a status and a count); the reader of the encrypted body gets the encrypted body.
   */
  readonly clear?: unknown;
  readonly re?: string;
  readonly relayed?: readonly string[];
}

export async function sealEnvelope(keys: NodeKeys, directory: Directory, now: Date, input: SealInput): Promise<{ jws: string; envelope: Envelope }> {
  const iat = Math.floor(now.getTime() / 1000);
  let enc: Envelope['enc'];
  let body: unknown = input.body;
  if (input.personal) {
    const to = input.encTo ?? input.to;
    const reader = await directory.encryptionKey(to);
    const jwe = encryptJwe(Buffer.from(JSON.stringify(input.body ?? null), 'utf8'), reader, now.getTime());
    enc = { to, jwe };
    body = input.clear;
  }
  const envelope: Envelope = {
    v: 1,
    id: randomUUID(),
    iss: keys.node,
    aud: input.to,
    svc: input.svc,
    iat,
    exp: iat + LIFETIME_SECONDS,
    ...(input.re ? { re: input.re } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(enc ? { enc } : {}),
    ...(input.relayed?.length ? { relayed: input.relayed } : {}),
  };
  const sig = keys.signingKey();
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(envelope)))
    .setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: MESSAGE_TYPE })
    .sign(sig.privateKey);
  return { jws, envelope };
}

/** The sender a JWS claims (before verification; used only to find its key and for the log). */
export function claimedSender(jws: string): string | undefined {
  try {
    const payload = jws.split('.')[1];
    if (!payload) return undefined;
    const env = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof env.iss === 'string' && env.iss.length <= 64 ? env.iss : undefined;
  } catch {
    return undefined;
  }
}

export interface OpenOptions {
  /** The node that must be the audience (the receiver itself), or undefined for a relayed message. */
  readonly aud?: string;
  readonly now: Date;
  /** Skip the time window (a relayed message already checked by the relay's own envelope). */
  readonly ignoreTime?: boolean;
}

/** Verifies a signed envelope; throws a refusal Problem naming what is wrong. */
export async function openEnvelope(directory: Directory, jws: string, opts: OpenOptions): Promise<Envelope> {
  if (typeof jws !== 'string' || jws.split('.').length !== 3) {
    throw refused(401, 'EXCHANGE_UNSIGNED', '署名のないメッセージは受け付けません', 'メッセージは送信元の署名付き（JWS compact）で送ってください。');
  }
  let kid: string | undefined;
  let typ: string | undefined;
  let alg: string | undefined;
  try {
    const h = decodeProtectedHeader(jws);
    kid = h.kid;
    typ = h.typ;
    alg = h.alg;
  } catch {
    throw refused(401, 'EXCHANGE_UNSIGNED', '署名のないメッセージは受け付けません', '署名のヘッダーを読めません。');
  }
  if (alg !== 'ES256' || typ !== MESSAGE_TYPE) {
    throw refused(401, 'EXCHANGE_UNSIGNED', '署名のないメッセージは受け付けません', '署名方式は ES256、種別は mamori-msg+jws に限ります。');
  }
  const sender = claimedSender(jws);
  if (!sender || !directory.has(sender)) {
    throw refused(403, 'EXCHANGE_UNKNOWN_SENDER', '登録されていない送信元です', `送信元「${sender ?? '不明'}」は接続先一覧にありません。`);
  }
  const key = await directory.verificationKey(sender, kid);
  if (!key) throw refused(401, 'EXCHANGE_BAD_SIGNATURE', '署名を検証できません', `送信元「${directory.title(sender)}」の公開鍵に鍵ID ${kid ?? '（なし）'} はありません。`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch {
    throw refused(401, 'EXCHANGE_BAD_SIGNATURE', '署名を検証できません', 'メッセージの署名が正しくありません（改ざんされたか、別の鍵で署名されています）。');
  }
  const env = JSON.parse(new TextDecoder().decode(payload)) as Envelope;
  if (env.v !== 1 || typeof env.id !== 'string' || typeof env.svc !== 'string' || typeof env.aud !== 'string' || env.iss !== sender) {
    throw refused(400, 'EXCHANGE_MALFORMED', 'メッセージの形式が正しくありません', '封筒の項目（v, id, iss, aud, svc, iat, exp）が揃っていません。');
  }
  if (opts.aud !== undefined && env.aud !== opts.aud) {
    throw refused(403, 'EXCHANGE_WRONG_AUDIENCE', '宛先の異なるメッセージです', `このメッセージの宛先は「${directory.title(env.aud)}」です。`);
  }
  if (!opts.ignoreTime) {
    const now = Math.floor(opts.now.getTime() / 1000);
    if (!Number.isInteger(env.iat) || !Number.isInteger(env.exp) || env.exp < now || env.iat > now + SKEW_SECONDS || env.iat < now - SKEW_SECONDS) {
      throw refused(401, 'EXCHANGE_EXPIRED', '有効期間外のメッセージです', `メッセージの発行時刻または有効期限が受信時刻（許容差 ${SKEW_SECONDS} 秒）に合いません。`);
    }
  }
  return env;
}

/** Decrypts an envelope's body when it is addressed to this node; its clear body otherwise. */
export async function bodyOf(keys: NodeKeys, env: Envelope): Promise<unknown> {
  if (!env.enc) return env.body;
  if (env.enc.to !== keys.node) {
    throw refused(403, 'EXCHANGE_NOT_FOR_ME', 'この組織あての暗号文ではありません', '暗号化された本文は別の組織あてです。');
  }
  const kid = jweKid(env.enc.jwe);
  const k = keys.decryptionKey(kid);
  if (!k) throw refused(400, 'EXCHANGE_DECRYPT', '本文を復号できません', `鍵ID ${kid ?? '（なし）'} の暗号化鍵はありません（鍵の更新より古いメッセージです）。`);
  try {
    return JSON.parse(decryptJwe(env.enc.jwe, k.privateKey, k.kid).toString('utf8'));
  } catch {
    throw refused(400, 'EXCHANGE_DECRYPT', '本文を復号できません', '暗号化された本文が正しくありません。');
  }
}
