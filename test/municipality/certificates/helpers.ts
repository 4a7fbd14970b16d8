// Shared fixtures for the SMART Health Card tests: throwaway key directories and independent decoders
// (node:crypto and node:zlib only, so that the checks do not lean on the code under test).
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export function tempKeyDir(): string {
  return mkdtempSync(join(tmpdir(), 'mamori-shc-'));
}

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  rawPayload: Buffer;
  signature: Buffer;
  signingInput: string;
}

/** Splits a compact JWS and raw-inflates its payload, without any JOSE library. */
export function decodeJws(jws: string): DecodedJws {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const rawPayload = Buffer.from(p, 'base64url');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(inflateRawSync(rawPayload).toString('utf8')) as Record<string, unknown>,
    rawPayload,
    signature: Buffer.from(s, 'base64url'),
    signingInput: `${h}.${p}`,
  };
}

/** ES256 check with node:crypto (IEEE P1363 r||s signature, as JWS uses). */
export function nodeVerifyEs256(jws: string, jwk: { kty: string; crv: string; x: string; y: string }): boolean {
  const d = decodeJws(jws);
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
  return cryptoVerify('sha256', Buffer.from(d.signingInput), { key, dsaEncoding: 'ieee-p1363' }, d.signature);
}

/** Rebuilds a JWS with one bit flipped in byte `i` of the given segment's decoded bytes. */
export function flipByte(jws: string, segment: 0 | 1 | 2, i: number): string {
  const parts = jws.split('.');
  const bytes = Buffer.from(parts[segment]!, 'base64url');
  bytes[i] = bytes[i]! ^ 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}
