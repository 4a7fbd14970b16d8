// JWE compact, ECDH-ES+A256KW / A256GCM (RFC 7516, RFC 7518 §4.6), with the key agreement cached (decision
// 0135).  A standard JWE: every message has its own random content key, wrapped with AES-KW under a key
// derived by ECDH from an ephemeral key (`epk` in the header) and the reader's published key.  What is
// cached is the ephemeral key: a sender uses one per reader key for at most EPK_LIFETIME_MS (then a new one),
// and a reader keeps the derived wrapping key per (its key, epk).  The ECDH and key generation — 95 % of
// the cost of a fresh JWE — happen once per pair and period instead of once per message; forward secrecy is
// per period instead of per message.  Node's own crypto does the work (ECDH, Concat KDF over SHA-256,
// AES-KW, AES-GCM); `jose` decrypts these messages and we decrypt its (tested both ways).
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

const ALG = 'ECDH-ES+A256KW';
const ENC = 'A256GCM';
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
export const EPK_LIFETIME_MS = 10 * 60_000;
const CACHE_MAX = 2048;

function lenPrefixed(b: Buffer): Buffer {
  const l = Buffer.alloc(4);
  l.writeUInt32BE(b.length);
  return Buffer.concat([l, b]);
}

/** RFC 7518 §4.6.2 Concat KDF (single round, 256 bits) for ECDH-ES+A256KW with empty apu/apv. */
function concatKdf(z: Buffer): Buffer {
  const supp = Buffer.alloc(4);
  supp.writeUInt32BE(256);
  const round = Buffer.from([0, 0, 0, 1]);
  return createHash('sha256').update(round).update(z).update(lenPrefixed(Buffer.from(ALG))).update(lenPrefixed(Buffer.alloc(0))).update(lenPrefixed(Buffer.alloc(0))).update(supp).digest();
}

function wrap(kek: Buffer, cek: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
  return Buffer.concat([c.update(cek), c.final()]);
}

function unwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
  return Buffer.concat([d.update(wrapped), d.final()]);
}

function bounded<K, V>(m: Map<K, V>): void {
  if (m.size <= CACHE_MAX) return;
  const first = m.keys().next();
  if (!first.done) m.delete(first.value);
}

interface SenderPair {
  readonly at: number;
  readonly epk: JWK;
  readonly kek: Buffer;
}

const senderPairs = new Map<string, SenderPair>();
const readerKeks = new Map<string, Buffer>();

/** Encrypts `plaintext` to the reader's published key `jwk` (with its `kid`). */
export function encryptJwe(plaintext: Uint8Array, reader: { kid: string; jwk: JWK }, nowMs: number = Date.now()): string {
  const id = `${reader.kid}|${reader.jwk.x}|${reader.jwk.y}`;
  let pair = senderPairs.get(id);
  if (!pair || nowMs - pair.at > EPK_LIFETIME_MS || nowMs < pair.at) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const readerKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: reader.jwk.x!, y: reader.jwk.y! }, format: 'jwk' });
    const z = diffieHellman({ privateKey, publicKey: readerKey });
    const e = publicKey.export({ format: 'jwk' }) as JWK;
    pair = { at: nowMs, epk: { kty: 'EC', crv: 'P-256', x: e.x!, y: e.y! }, kek: concatKdf(z) };
    senderPairs.delete(id);
    senderPairs.set(id, pair);
    bounded(senderPairs);
  }
  const header = Buffer.from(JSON.stringify({ alg: ALG, enc: ENC, kid: reader.kid, cty: 'json', epk: pair.epk })).toString('base64url');
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', cek, iv);
  c.setAAD(Buffer.from(header, 'ascii'));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return [header, wrap(pair.kek, cek).toString('base64url'), iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

/** The kid a JWE names (undefined when unreadable). */
export function jweKid(jwe: string): string | undefined {
  try {
    const h = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof h.kid === 'string' ? h.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Decrypts a JWE compact (ECDH-ES+A256KW / A256GCM) with the reader's private key; throws when it is not one. */
export function decryptJwe(jwe: string, privateKey: KeyObject, kid: string): Buffer {
  const parts = jwe.split('.');
  if (parts.length !== 5) throw new Error('not a JWE compact');
  const [h, ek, ivB, ctB, tagB] = parts as [string, string, string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; enc?: string; epk?: JWK; crit?: unknown };
  if (header.alg !== ALG || header.enc !== ENC || header.crit !== undefined || !header.epk || header.epk.kty !== 'EC' || header.epk.crv !== 'P-256') throw new Error('unsupported JWE');
  const id = `${kid}|${header.epk.x}|${header.epk.y}`;
  let kek = readerKeks.get(id);
  if (!kek) {
    const epk = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: header.epk.x!, y: header.epk.y! }, format: 'jwk' });
    kek = concatKdf(diffieHellman({ privateKey, publicKey: epk }));
    readerKeks.set(id, kek);
    bounded(readerKeks);
  }
  const cek = unwrap(kek, Buffer.from(ek, 'base64url'));
  const d = createDecipheriv('aes-256-gcm', cek, Buffer.from(ivB, 'base64url'));
  d.setAAD(Buffer.from(h, 'ascii'));
  d.setAuthTag(Buffer.from(tagB, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ctB, 'base64url')), d.final()]);
}
