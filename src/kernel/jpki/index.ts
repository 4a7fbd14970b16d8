// Synthetic 公的個人認証 (JPKI) for synthetic My Number cards: the code every organisation shares
// (decision 0144, docs/formats/card-file.md).  The CA itself is the `card` node (src/peers/card); what is
// here is what the other sides need without asking it:
// - the certificate profile (which certificate is 利用者証明用 and which 署名用, where the 4情報 are);
// - `verifyCardSignature`: a 利用者証明用 certificate issued by the given CA, valid now, and its key's
//   RSASSA-PKCS1-v1_5 SHA-256 signature over a challenge (what マイナポータル does at card login; the
//   revocation check is a separate step: `card.status`);
// - the card file: the two private keys as PKCS#8, each encrypted under the PIN with PBKDF2-SHA256 and
//   AES-256-GCM, in a form a browser can open with WebCrypto (src/web/assets/card-login.js does).
import { randomBytes, webcrypto } from 'node:crypto';
import { z } from 'zod';
import { Problem } from '../problems/index.js';
import { x509 } from './x509.js';

export { x509 };

const subtle = webcrypto.subtle;
export type CardCryptoKey = webcrypto.CryptoKey;
export type CardKeyPair = webcrypto.CryptoKeyPair;

// ---------------------------------------------------------------- profile

/**
 * The OID arc of the synthetic JPKI: J-LIS's real arc (1.2.392.200149) mirrored under the arc ITU-T X.660
 * reserves for examples (2.999), so that nothing here can be mistaken for — or collide with — a real
 * certificate profile.  (A UUID arc, 2.25.<128-bit integer>, was tried first: the ASN.1 library cannot
 * decode arcs above 2^53.)
 */
export const JPKI_ARC = '2.999.392.200149';
/** Certificate policy of a 利用者証明用電子証明書 (authentication; no 4情報). */
export const AUTH_POLICY_OID = `${JPKI_ARC}.1.1`;
/** Certificate policy of a 署名用電子証明書 (signing; carries the 4情報). */
export const SIGN_POLICY_OID = `${JPKI_ARC}.1.2`;
/** Non-critical extension of the 署名用 certificate: SEQUENCE { name, nameKana, dateOfBirth, sex, address } (UTF8String each). */
export const HOLDER_EXTENSION_OID = `${JPKI_ARC}.2.1`;

/** RSASSA-PKCS1-v1_5 with SHA-256: the signature of the CA and of the card keys (as real JPKI). */
export const RSA_ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/** Key generation parameters: RSA-2048, e = 65537. */
export const RSA_GEN = { ...RSA_ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
/** Both certificates of a card are valid this many years from issuance. */
export const CERT_VALIDITY_YEARS = 5;

export type CertKind = 'auth' | 'sign';

export interface Holder {
  readonly name: string;
  readonly nameKana: string;
  /** YYYY-MM-DD */
  readonly dateOfBirth: string;
  /** JIS X 0303: '1' 男, '2' 女, '9' 不明. */
  readonly sex: '1' | '2' | '9';
  readonly address: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    len.unshift(0x80 | len.length);
  }
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(body, 1 + len.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** DER of the holder extension's value. */
export function encodeHolder(h: Holder): Uint8Array {
  return tlv(0x30, concat([h.name, h.nameKana, h.dateOfBirth, h.sex, h.address].map((s) => tlv(0x0c, enc.encode(s)))));
}

function readTlv(buf: Uint8Array, at: number): { tag: number; start: number; end: number } {
  const tag = buf[at];
  let lenByte = buf[at + 1];
  if (tag === undefined || lenByte === undefined) throw new Error('truncated');
  let start = at + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const k = lenByte & 0x7f;
    if (k < 1 || k > 3) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < k; i++) {
      lenByte = buf[start + i];
      if (lenByte === undefined) throw new Error('truncated');
      len = len * 256 + lenByte;
    }
    start += k;
  }
  if (start + len > buf.length) throw new Error('truncated');
  return { tag, start, end: start + len };
}

/** Reads the holder extension's value (throws on anything else). */
export function decodeHolder(der: Uint8Array): Holder {
  const seq = readTlv(der, 0);
  if (seq.tag !== 0x30 || seq.end !== der.length) throw new Error('not a SEQUENCE');
  const items: string[] = [];
  for (let at = seq.start; at < seq.end; ) {
    const t = readTlv(der, at);
    if (t.tag !== 0x0c) throw new Error('not a UTF8String');
    items.push(dec.decode(der.subarray(t.start, t.end)));
    at = t.end;
  }
  const [name, nameKana, dateOfBirth, sex, address] = items;
  if (items.length !== 5 || (sex !== '1' && sex !== '2' && sex !== '9')) throw new Error('bad holder');
  return { name: name!, nameKana: nameKana!, dateOfBirth: dateOfBirth!, sex, address: address! };
}

// ---------------------------------------------------------------- certificates

const malformed = (what: string) => new Problem(400, 'CARD_CERT_MALFORMED', '電子証明書を読めません', `${what} は PEM 形式の X.509 証明書ではありません。`);

/** Parses a PEM (or base64 DER) certificate; 400 CARD_CERT_MALFORMED otherwise. */
export function parseCertificate(pem: string, what = '電子証明書'): InstanceType<typeof x509.X509Certificate> {
  if (typeof pem !== 'string' || pem.length === 0 || pem.length > 64 * 1024) throw malformed(what);
  try {
    return new x509.X509Certificate(pem);
  } catch {
    throw malformed(what);
  }
}

const CERTIFICATE_POLICIES_OID = '2.5.29.32';

/** Which of the two certificates of a card this is, by its certificate policy; null for neither. */
export function certKind(cert: InstanceType<typeof x509.X509Certificate>): CertKind | null {
  const ext = cert.getExtension(CERTIFICATE_POLICIES_OID);
  // Re-read from the raw extension: the parsed object's class depends on how the library was loaded.
  let policies: readonly string[];
  try {
    policies = ext ? new x509.CertificatePolicyExtension(ext.rawData).policies : [];
  } catch {
    policies = [];
  }
  const auth = policies.includes(AUTH_POLICY_OID);
  const sign = policies.includes(SIGN_POLICY_OID);
  return auth && !sign ? 'auth' : sign && !auth ? 'sign' : null;
}

/** The 4情報 of a 署名用 certificate (null when the certificate carries none, e.g. a 利用者証明用 one). */
export function readHolder(certPem: string): Holder | null {
  const cert = parseCertificate(certPem);
  const ext = cert.getExtension(HOLDER_EXTENSION_OID);
  if (!ext) return null;
  try {
    return decodeHolder(new Uint8Array(ext.value));
  } catch {
    throw malformed('署名用電子証明書の基本4情報');
  }
}

/** Lower-case hex serial number of a certificate. */
export function certSerial(certPem: string): string {
  return parseCertificate(certPem).serialNumber.toLowerCase();
}

/** 16 random bytes as hex, the first byte in 01..7f (a positive DER INTEGER of exactly 16 bytes). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! % 0x7f) + 1;
  return b.toString('hex');
}

export interface VerifyCardInput {
  readonly certPem: string;
  readonly caCertPem: string;
  /** The challenge's bytes, or a string: their base64url. */
  readonly challenge: Uint8Array | string;
  /** base64url of the RSASSA-PKCS1-v1_5 SHA-256 signature. */
  readonly signature: string;
  readonly now: Date;
}

export interface VerifiedCard {
  /** Serial of the 利用者証明用 certificate (lower-case hex): what `card.status` and insurerhub's `portal.resolve` take. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: string;
  readonly issuer: string;
}

const B64U = /^[A-Za-z0-9_-]+={0,2}$/;

export function challengeBytes(challenge: Uint8Array | string): Uint8Array {
  if (typeof challenge !== 'string') return challenge;
  if (!B64U.test(challenge) || challenge.length > 4096) throw new Problem(400, 'CARD_CHALLENGE_MALFORMED', 'チャレンジの形式が正しくありません', 'チャレンジは base64url で指定してください。');
  return new Uint8Array(Buffer.from(challenge, 'base64url'));
}

const untrusted = (detail: string) => new Problem(401, 'CARD_UNTRUSTED', '公的個人認証サービスが発行した電子証明書ではありません', detail);

type Certificate = InstanceType<typeof x509.X509Certificate>;

/** The certificate was issued by the CA (its signature, its issuer) and both are within their validity at `at`. */
async function checkIssuedAndValid(cert: Certificate, ca: Certificate, at: Date): Promise<void> {
  let chained: boolean;
  try {
    chained = cert.issuer === ca.subject && (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  } catch {
    chained = false;
  }
  if (!chained) throw untrusted('この電子証明書は、指定された認証局の署名を持っていません。');
  const now = at.getTime();
  if (now < ca.notBefore.getTime() || now > ca.notAfter.getTime()) throw untrusted('認証局の証明書が有効期間外です。');
  if (now > cert.notAfter.getTime()) {
    throw new Problem(401, 'CARD_EXPIRED', '電子証明書の有効期限が切れています', `有効期限は ${cert.notAfter.toISOString()} でした。市区町村の窓口で電子証明書の更新を受けてください。`);
  }
  if (now < cert.notBefore.getTime()) throw new Problem(401, 'CARD_NOT_YET_VALID', '電子証明書の有効期間が始まっていません', `有効期間の開始は ${cert.notBefore.toISOString()} です。`);
}

/** The base64url RSASSA-PKCS1-v1_5 SHA-256 signature over `data` verifies under the certificate's key; 401 CARD_BAD_SIGNATURE otherwise. */
async function checkSignature(cert: Certificate, signature: unknown, data: Uint8Array, detail: string): Promise<void> {
  const bad = () => new Problem(401, 'CARD_BAD_SIGNATURE', '署名を検証できません', detail);
  if (typeof signature !== 'string' || !B64U.test(signature) || signature.length > 2048) throw bad();
  let ok: boolean;
  try {
    const key = (await cert.publicKey.export(RSA_ALG, ['verify'])) as unknown as CardCryptoKey;
    ok = await subtle.verify(RSA_ALG, key, Buffer.from(signature, 'base64url'), data);
  } catch {
    ok = false;
  }
  if (!ok) throw bad();
}

/**
 * Checks a card login: the certificate was issued by the CA (its signature by the CA's key, its issuer the
 * CA's subject), both are within their validity at `now`, it is a 利用者証明用 certificate, and the
 * signature over the challenge verifies under its key.  Not checked here: revocation (`card.status`).
 * Refusals are Problems: 401 CARD_EXPIRED / CARD_NOT_YET_VALID / CARD_UNTRUSTED / CARD_NOT_AUTH /
 * CARD_BAD_SIGNATURE, 400 CARD_CERT_MALFORMED / CARD_CHALLENGE_MALFORMED.
 */
export async function verifyCardSignature(input: VerifyCardInput): Promise<VerifiedCard> {
  const cert = parseCertificate(input.certPem, '利用者証明用電子証明書');
  const ca = parseCertificate(input.caCertPem, '認証局の証明書');
  const data = challengeBytes(input.challenge);
  await checkIssuedAndValid(cert, ca, input.now);
  if (certKind(cert) !== 'auth') throw new Problem(401, 'CARD_NOT_AUTH', '利用者証明用電子証明書ではありません', 'ログインには利用者証明用電子証明書を使ってください。');
  await checkSignature(cert, input.signature, data, '利用者証明用電子証明書の鍵による署名ではないか、署名の対象が違います。');
  return { serial: cert.serialNumber.toLowerCase(), notBefore: cert.notBefore, notAfter: cert.notAfter, subject: cert.subject, issuer: cert.issuer };
}

// ---------------------------------------------------------------- card keys and the card file

export const CARD_FORMAT = 'mamori-card/1';
export const CARD_KEY_ALG = 'PBKDF2-SHA256/A256GCM';
export const CARD_PBKDF2_ITERATIONS = 100_000;
/** The 利用者証明用 PIN of a card: 4 digits. */
export const PIN_PATTERN = /^[0-9]{4}$/;

const B64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, { message: 'base64 で書いてください' }).max(16_384);
const encryptedKeySchema = z.object({
  alg: z.literal(CARD_KEY_ALG),
  iterations: z.number().int().min(10_000).max(10_000_000),
  salt: B64,
  iv: B64,
  data: B64,
});
const PEM = z.string().min(1).max(64 * 1024);
const cardFileSchema = z.object({
  format: z.literal(CARD_FORMAT),
  label: z.string().max(200),
  authCert: PEM,
  signCert: PEM,
  caCert: PEM,
  authKey: encryptedKeySchema,
  signKey: encryptedKeySchema,
  /** 券面事項入力補助 (decision 0188): the issuer-signed block, encrypted under the PIN; absent in cards issued before it. */
  kenmen: encryptedKeySchema.optional(),
});

export type EncryptedKey = z.infer<typeof encryptedKeySchema>;
export type CardFile = z.infer<typeof cardFileSchema>;

/** A 4-digit PIN, or 400 CARD_PIN_INVALID. */
export function checkPin(pin: unknown): string {
  if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new Problem(400, 'CARD_PIN_INVALID', '暗証番号の形式が正しくありません', '暗証番号は4桁の数字です。');
  return pin;
}

const pinWrong = () => new Problem(401, 'CARD_PIN_WRONG', '暗証番号が違います', '暗証番号を確かめて、もう一度入力してください。');

async function pinKey(pin: string, salt: Uint8Array, iterations: number): Promise<CardCryptoKey> {
  const base = await subtle.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Encrypts a private key (an extractable CryptoKey, or its PKCS#8 DER) under the PIN. */
export async function encryptPrivateKey(key: CardCryptoKey | Uint8Array, pin: string, iterations = CARD_PBKDF2_ITERATIONS): Promise<EncryptedKey> {
  return encryptBytes(key instanceof Uint8Array ? key : new Uint8Array(await subtle.exportKey('pkcs8', key)), pin, iterations);
}

/** Encrypts bytes under the PIN (PBKDF2-SHA256 → AES-256-GCM), as the keys of a card file are. */
async function encryptBytes(pkcs8: Uint8Array, pin: string, iterations = CARD_PBKDF2_ITERATIONS): Promise<EncryptedKey> {
  checkPin(pin);
  const salt = new Uint8Array(randomBytes(16));
  const iv = new Uint8Array(randomBytes(12));
  const data = await subtle.encrypt({ name: 'AES-GCM', iv }, await pinKey(pin, salt, iterations), pkcs8);
  const b64 = (b: Uint8Array | ArrayBuffer) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('base64');
  return { alg: CARD_KEY_ALG, iterations, salt: b64(salt), iv: b64(iv), data: b64(data) };
}

/** Decrypts a private key of a card file; 401 CARD_PIN_WRONG when AES-GCM refuses (a wrong PIN). */
export async function decryptPrivateKey(k: EncryptedKey, pin: string): Promise<CardCryptoKey> {
  return subtle.importKey('pkcs8', await decryptBytes(k, pin), RSA_ALG, false, ['sign']);
}

async function decryptBytes(k: EncryptedKey, pin: string): Promise<ArrayBuffer> {
  checkPin(pin);
  try {
    return await subtle.decrypt({ name: 'AES-GCM', iv: Buffer.from(k.iv, 'base64') }, await pinKey(pin, Buffer.from(k.salt, 'base64'), k.iterations), Buffer.from(k.data, 'base64'));
  } catch {
    throw pinWrong();
  }
}

/** Reads a card file (JSON text or the parsed object); 400 CARD_FILE_MALFORMED otherwise. */
export function parseCardFile(input: string | unknown): CardFile {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      raw = undefined;
    }
  }
  const r = cardFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Problem(400, 'CARD_FILE_MALFORMED', 'カードのファイルを読めません', `形式 ${CARD_FORMAT} のファイルではありません${issue ? `（${issue.path.join('.') || '全体'}）` : ''}。`);
  }
  return r.data;
}

/** Two fresh RSA-2048 key pairs (extractable, for the card file), 利用者証明用 and 署名用. */
export async function generateCardKeys(): Promise<{ auth: CardKeyPair; sign: CardKeyPair }> {
  const gen = () => subtle.generateKey(RSA_GEN, true, ['sign', 'verify']) as Promise<CardKeyPair>;
  const [auth, sign] = await Promise.all([gen(), gen()]);
  return { auth, sign };
}

/** base64 DER SubjectPublicKeyInfo of a public key (what `card.issue` takes). */
export async function spkiBase64(publicKey: CardCryptoKey): Promise<string> {
  return Buffer.from(await subtle.exportKey('spki', publicKey)).toString('base64');
}

export interface CardFileInput {
  readonly label: string;
  readonly authCert: string;
  readonly signCert: string;
  readonly caCert: string;
  readonly authKey: CardCryptoKey | Uint8Array;
  readonly signKey: CardCryptoKey | Uint8Array;
  readonly pin: string;
  readonly iterations?: number;
  /** The issuer-signed 券面事項入力補助 block (from `card.issue`), written encrypted under the PIN. */
  readonly kenmen?: KenmenBlock;
}

/** The card file of two issued certificates and their private keys, the keys encrypted under the PIN. */
export async function cardFileFromKeys(input: CardFileInput): Promise<CardFile> {
  const pin = checkPin(input.pin);
  for (const [what, pem] of [['authCert', input.authCert], ['signCert', input.signCert], ['caCert', input.caCert]] as const) parseCertificate(pem, what);
  return {
    format: CARD_FORMAT,
    label: input.label,
    authCert: input.authCert,
    signCert: input.signCert,
    caCert: input.caCert,
    authKey: await encryptPrivateKey(input.authKey, pin, input.iterations),
    signKey: await encryptPrivateKey(input.signKey, pin, input.iterations),
    ...(input.kenmen ? { kenmen: await encryptBytes(enc.encode(JSON.stringify(input.kenmen)), pin, input.iterations) } : {}),
  };
}

export interface OpenedCard {
  readonly label: string;
  readonly authCert: string;
  readonly signCert: string;
  readonly caCert: string;
  readonly authSerial: string;
  readonly signSerial: string;
  readonly notAfter: Date;
  /** Private keys (not extractable, usage 'sign'). */
  readonly authKey: CardCryptoKey;
  readonly signKey: CardCryptoKey;
}

/** Opens a card file with its PIN (Node side: tests and the CLI); 401 CARD_PIN_WRONG on a wrong PIN. */
export async function openCardFile(json: string | unknown, pin: string): Promise<OpenedCard> {
  const f = parseCardFile(json);
  checkPin(pin);
  const authKey = await decryptPrivateKey(f.authKey, pin);
  const signKey = await decryptPrivateKey(f.signKey, pin);
  const auth = parseCertificate(f.authCert, 'authCert');
  return { label: f.label, authCert: f.authCert, signCert: f.signCert, caCert: f.caCert, authSerial: auth.serialNumber.toLowerCase(), signSerial: certSerial(f.signCert), notAfter: auth.notAfter, authKey, signKey };
}

/**
 * Signs a login challenge with the card's 利用者証明用 key, as the browser asset does:
 * `{certPem: the 利用者証明用 certificate, signature: base64url RSASSA-PKCS1-v1_5 SHA-256}`.
 */
export async function signChallenge(card: string | CardFile | OpenedCard, pin: string, challenge: Uint8Array | string): Promise<{ certPem: string; signature: string }> {
  return signWithCard(card, pin, 'auth', challengeBytes(challenge));
}

/** Signs bytes with one of the card's two keys (an opened card, or a card file opened with the PIN). */
async function signWithCard(card: string | CardFile | OpenedCard, pin: string, kind: CertKind, data: Uint8Array): Promise<{ certPem: string; signature: string }> {
  let certPem: string;
  let key: CardCryptoKey;
  if (typeof card === 'object' && card !== null && 'authSerial' in card) {
    certPem = kind === 'auth' ? card.authCert : card.signCert;
    key = kind === 'auth' ? card.authKey : card.signKey;
  } else {
    const f = parseCardFile(card);
    certPem = kind === 'auth' ? f.authCert : f.signCert;
    key = await decryptPrivateKey(kind === 'auth' ? f.authKey : f.signKey, pin);
  }
  const sig = await subtle.sign(RSA_ALG, key, data);
  return { certPem, signature: Buffer.from(sig).toString('base64url') };
}

/**
 * The CA certificate of the card CA (公的個人認証サービス's `/card/v1/ca.pem`), as a relying party keeps it:
 * fetched once, kept for `cacheMs` (default an hour), one fetch for concurrent callers.  `url` is asked at
 * each fetch (the directory may change).  Unreachable → 503 CARD_CA_UNREACHABLE in Japanese.
 */
export function caCertSource(url: () => string, now: () => Date, cacheMs = 3600_000): () => Promise<string> {
  let cache: { pem: string; at: number } | undefined;
  let pending: Promise<string> | undefined;
  const unreachable = (detail: string) => new Problem(503, 'CARD_CA_UNREACHABLE', '電子証明書を確認できません', detail);
  const fetchCa = async (): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(url(), { signal: AbortSignal.timeout(10_000) });
    } catch {
      throw unreachable('公的個人認証サービスに接続できません。時間をおいてやり直してください。');
    }
    if (!res.ok) throw unreachable('公的個人認証サービスから証明書を取得できません。時間をおいてやり直してください。');
    const pem = await res.text();
    cache = { pem, at: now().getTime() };
    return pem;
  };
  return async () => {
    if (cache && now().getTime() - cache.at < cacheMs) return cache.pem;
    pending ??= fetchCa().finally(() => (pending = undefined));
    return pending;
  };
}

// ---------------------------------------------------------------- signed documents (電子申請, decision 0155)

/**
 * The canonical bytes of a document: UTF-8 JSON with object keys sorted (code-point order) at every level,
 * no whitespace, arrays in order.  What a card signs and what the verifier re-derives; a document whose
 * text is not already canonical is refused by the verifier (one text, one meaning).
 */
export function canonicalDocumentText(v: unknown): string {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const val = (x as Record<string, unknown>)[k];
        if (val !== undefined) out[k] = walk(val);
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(walk(v));
}

/**
 * Signs a document with the card's 署名用 key (what the portal's signing step does with the card):
 * `{certPem: the 署名用 certificate, signature: base64url RSASSA-PKCS1-v1_5 SHA-256 over the canonical bytes}`.
 */
export async function signDocument(card: string | CardFile | OpenedCard, pin: string, document: unknown): Promise<{ certPem: string; signature: string }> {
  return signWithCard(card, pin, 'sign', enc.encode(canonicalDocumentText(document)));
}

export interface VerifyDocumentInput {
  /** The document's text exactly as received (must be canonical). */
  readonly text: string;
  readonly certPem: string;
  readonly caCertPem: string;
  /** base64url RSASSA-PKCS1-v1_5 SHA-256 signature. */
  readonly signature: string;
  readonly now: Date;
}

export interface VerifiedDocument {
  /** Serial of the 署名用 certificate (lower-case hex): what `card.status` takes. */
  readonly serial: string;
  readonly notAfter: Date;
  /** The 4情報 of the certificate. */
  readonly holder: Holder;
}

/**
 * Checks a signed document (XCH-27): the certificate chains to the CA and both are valid at `now`, it is a
 * 署名用 certificate carrying the 4情報, the text is canonical, and the signature over its bytes verifies
 * under the certificate's key (so any change after signing fails).  Revocation is a separate step
 * (`card.status`).  Refusals: the Problems of verifyCardSignature, plus 401 CARD_NOT_SIGN and
 * 400 DOCUMENT_NOT_CANONICAL.
 */
export async function verifyDocumentSignature(input: VerifyDocumentInput): Promise<VerifiedDocument> {
  const cert = parseCertificate(input.certPem, '署名用電子証明書');
  const ca = parseCertificate(input.caCertPem, '認証局の証明書');
  await checkIssuedAndValid(cert, ca, input.now);
  if (certKind(cert) !== 'sign') throw new Problem(401, 'CARD_NOT_SIGN', '署名用電子証明書ではありません', '電子申請の署名には署名用電子証明書を使ってください。');
  const holder = readHolder(input.certPem);
  if (!holder) throw new Problem(401, 'CARD_NOT_SIGN', '署名用電子証明書ではありません', '電子証明書に基本4情報がありません。');
  let canonical: boolean;
  try {
    canonical = canonicalDocumentText(JSON.parse(input.text)) === input.text;
  } catch {
    canonical = false;
  }
  if (!canonical) throw new Problem(400, 'DOCUMENT_NOT_CANONICAL', '申請データの形式が正しくありません', '申請データが正規化された JSON ではありません。');
  await checkSignature(cert, input.signature, enc.encode(input.text), '署名用電子証明書の鍵による署名ではないか、署名の後に申請データが変更されています。');
  return { serial: cert.serialNumber.toLowerCase(), notAfter: cert.notAfter, holder };
}

// ---------------------------------------------------------------- 券面事項入力補助 (decision 0188)

/**
 * The card's 券面事項入力補助機能 (seed 004: the My Number "その改変を不可能ならしめることにより真正性を担保
 * する"): the My Number and the 4情報 as the issuer wrote them, bound to the card's two certificates and
 * signed by the issuing CA's key (RSASSA-PKCS1-v1_5 SHA-256 over the canonical text).  In the card file it
 * is encrypted under the PIN (`kenmen`); a relying party verifies the issuer's signature with the CA
 * certificate, so any change of the number or of the 4情報 is detected.
 */
export const KENMEN_FORMAT = 'mamori-kenmen/1';

export interface KenmenBlock {
  /** Canonical JSON of KenmenData (canonicalDocumentText). */
  readonly text: string;
  /** base64url RSASSA-PKCS1-v1_5 SHA-256 by the issuing CA's key over the text's UTF-8 bytes. */
  readonly signature: string;
}

const kenmenDataSchema = z
  .object({
    format: z.literal(KENMEN_FORMAT),
    myNumber: z.string().regex(/^[0-9]{12}$/),
    name: z.string().min(1).max(100),
    nameKana: z.string().max(100),
    dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    sex: z.enum(['1', '2', '9']),
    address: z.string().min(1).max(200),
    authSerial: z.string().regex(/^[0-9a-f]{32}$/),
    signSerial: z.string().regex(/^[0-9a-f]{32}$/),
    issuedAt: z.string().datetime({ offset: true }),
  })
  .strict();
export type KenmenData = z.infer<typeof kenmenDataSchema>;

export const kenmenBlockSchema = z.object({ text: z.string().min(1).max(4096), signature: z.string().regex(B64U).max(2048) }).strict();

/** The canonical text of a 券面事項入力補助 block (what the issuer signs). */
export function kenmenText(d: Omit<KenmenData, 'format'>): string {
  return canonicalDocumentText({ ...d, format: KENMEN_FORMAT });
}

/** Signs a 券面事項入力補助 block with the issuing CA's private key (the `card` node at issuance). */
export async function signKenmen(caKey: CardCryptoKey, d: Omit<KenmenData, 'format'>): Promise<KenmenBlock> {
  const text = kenmenText(d);
  const sig = await subtle.sign(RSA_ALG, caKey, enc.encode(text));
  return { text, signature: Buffer.from(sig).toString('base64url') };
}

const kenmenRefused = (detail: string) => new Problem(400, 'KENMEN_INVALID', '券面事項入力補助の情報を確認できません', detail);

/**
 * Verifies a 券面事項入力補助 block: the issuing CA's signature over its text (so the My Number and the 4情報
 * are as the issuer wrote them) and its form.  400 KENMEN_INVALID otherwise.
 */
export async function verifyKenmen(block: unknown, caCertPem: string): Promise<KenmenData> {
  const b = kenmenBlockSchema.safeParse(block);
  if (!b.success) throw kenmenRefused('券面事項入力補助の情報がないか、形式が正しくありません。');
  const ca = parseCertificate(caCertPem, '認証局の証明書');
  let ok: boolean;
  try {
    const key = (await ca.publicKey.export(RSA_ALG, ['verify'])) as unknown as CardCryptoKey;
    ok = await subtle.verify(RSA_ALG, key, Buffer.from(b.data.signature, 'base64url'), enc.encode(b.data.text));
  } catch {
    ok = false;
  }
  if (!ok) throw kenmenRefused('券面事項入力補助の情報に発行者の署名がないか、発行後に書き換えられています。');
  let raw: unknown;
  try {
    raw = JSON.parse(b.data.text);
  } catch {
    raw = undefined;
  }
  const d = kenmenDataSchema.safeParse(raw);
  if (!d.success || canonicalDocumentText(d.data) !== b.data.text) throw kenmenRefused('券面事項入力補助の情報の形式が正しくありません。');
  return d.data;
}

/** Opens the card's 券面事項入力補助 block with the PIN (Node side: the CLI and tests); 409 KENMEN_ABSENT for an older card. */
export async function openKenmen(card: string | CardFile, pin: string): Promise<KenmenBlock> {
  const f = parseCardFile(card);
  if (!f.kenmen) {
    throw new Problem(409, 'KENMEN_ABSENT', 'このカードには券面事項入力補助の情報がありません', '券面事項入力補助の情報を持つカードで申請してください（市区町村の窓口でカードの再発行を受けてください）。');
  }
  const bytes = await decryptBytes(f.kenmen, pin);
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(new Uint8Array(bytes)));
  } catch {
    raw = undefined;
  }
  const b = kenmenBlockSchema.safeParse(raw);
  if (!b.success) throw new Problem(400, 'CARD_FILE_MALFORMED', 'カードのファイルを読めません', '券面事項入力補助の情報を読めません。');
  return b.data;
}

/** Whether the 4情報 of the 券面事項入力補助 are those of the 署名用 certificate (both written by the issuer). */
export function kenmenMatchesHolder(k: KenmenData, h: Holder): boolean {
  return k.name === h.name && k.nameKana === h.nameKana && k.dateOfBirth === h.dateOfBirth && k.sex === h.sex && k.address === h.address;
}
