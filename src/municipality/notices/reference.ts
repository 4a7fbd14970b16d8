// The encrypted 整理番号 printed on every document (VAX-10, decision 0065): one AES-256 block holding the
// person's 宛名番号, the document's series, fiscal year and serial, a tweak byte and 32 zero bits, encrypted under a
// per-tenant key; written as a key-version digit and 26 Crockford base-32 characters in groups of four
// (e.g. 1K7Q-M3ZD-…).  Only the ledger, holding the tenant's key, can read it back; anyone else sees noise
// that differs on every document, so a token links nothing.  A token that decrypts to a block whose zero
// bits are not zero (a typo, a forgery, another municipality's token) is refused: 2⁻³² to guess one.
//
// Key: HKDF-SHA-256 from the tenant's blind-index data key (kernel/crypto, wrapped by the master key) with
// the info "mamori/notices/reference-number" — a key of its own, derived, never stored.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import type { Work } from '../../kernel/context/index.js';
import type { TenantKeyService } from '../../kernel/crypto/index.js';
import type { Series } from './tables.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const FORMAT = 1;

export interface ReferenceContent {
  readonly atenaNo: string;
  readonly series: Series;
  readonly fiscalYear: number;
  readonly serial: number;
}

/** The tenant's reference-number keys by version. */
export interface ReferenceKeys {
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

const derived = new WeakMap<Buffer, Buffer>();

function derive(tenant: string, base: Buffer): Buffer {
  let k = derived.get(base);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', base, Buffer.from(`mamori|${tenant}`, 'utf8'), Buffer.from('mamori/notices/reference-number', 'utf8'), 32));
    derived.set(base, k);
  }
  return k;
}

/** Loads (and caches, through the key service) the tenant's keys inside the caller's transaction. */
export async function referenceKeys(w: Work, keys: TenantKeyService): Promise<ReferenceKeys> {
  const s = await keys.series(w.tx, w.tenant, 'blind-index');
  const out = new Map<number, Buffer>();
  for (const [v, k] of s.keys) if (v <= 9) out.set(v, derive(w.tenant, k));
  if (!out.has(s.current)) throw new RangeError('整理番号の鍵の版は1〜9です');
  return { current: s.current, keys: out };
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let acc = 0n;
  for (const b of bytes) {
    acc = (acc << 8n) | BigInt(b);
    bits += 8;
  }
  // 128 bits → 26 characters (130 bits, two leading zero bits).
  acc <<= BigInt(26 * 5 - bits);
  let out = '';
  for (let i = 25; i >= 0; i--) out += ALPHABET[Number((acc >> BigInt(i * 5)) & 31n)];
  return out;
}

function unbase32(s: string): Buffer | null {
  if (s.length !== 26) return null;
  let acc = 0n;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 5n) | BigInt(v);
  }
  // 26 characters carry 130 bits: the block and two zero bits at the end.
  if ((acc & 3n) !== 0n) return null;
  acc >>= 2n;
  const out = Buffer.alloc(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(acc & 255n);
    acc >>= 8n;
  }
  return out;
}

/**
 * Encrypts the content into a printable token.  A token whose characters hold a run of 10 or more digits (hyphens
 * aside) could look like a My Number to the renderer's guard and to log scanners (a 12-digit run occurs in about
 * one token in a million): the tweak byte is then stepped and the block encrypted again.
 */
export function encodeReference(k: ReferenceKeys, c: ReferenceContent): string {
  if (!/^\d{10}$/.test(c.atenaNo)) throw new RangeError('宛名番号は10桁です');
  const block = Buffer.alloc(16);
  block[0] = (FORMAT << 4) | (c.series === 'voucher' ? 0 : 1);
  block.writeUIntBE(Number(c.atenaNo), 1, 5);
  block[6] = c.fiscalYear - 2000;
  block.writeUInt32BE(c.serial, 7);
  for (let tweak = 0; tweak < 256; tweak++) {
    block[11] = tweak;
    const cipher = createCipheriv('aes-256-ecb', k.keys.get(k.current)!, null).setAutoPadding(false);
    const text = `${k.current}${base32(Buffer.concat([cipher.update(block), cipher.final()]))}`;
    if (!/\d{10}/.test(text)) return text.replace(/(.{4})(?=.)/g, '$1-');
  }
  throw new RangeError('整理番号を作れません');
}

/** Reads a token as people and scanners write it (lower case, O for 0, I/L for 1, spaces, hyphens). */
export function normalizeReference(input: string): string {
  return input
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-‐－ー―]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

/** Decrypts a token; null when it is not one of this tenant's (malformed, wrong key, altered). */
export function decodeReference(k: ReferenceKeys, input: string): ReferenceContent | null {
  const t = normalizeReference(input);
  if (!/^\d/.test(t)) return null;
  const key = k.keys.get(Number(t[0]));
  const ct = unbase32(t.slice(1));
  if (!key || !ct) return null;
  const d = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const b = Buffer.concat([d.update(ct), d.final()]);
  if (b[0]! >> 4 !== FORMAT || (b[0]! & 15) > 1 || b.readUInt32BE(12) !== 0) return null;
  const atena = b.readUIntBE(1, 5);
  const fy = 2000 + b[6]!;
  const serial = b.readUInt32BE(7);
  if (atena > 9_999_999_999 || fy > 2099 || serial < 1 || serial > 999_999_999) return null;
  return { atenaNo: String(atena).padStart(10, '0'), series: (b[0]! & 15) === 0 ? 'voucher' : 'document', fiscalYear: fy, serial };
}
