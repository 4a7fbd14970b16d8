// 情報提供許可証 (XCH-08): the network's signed statement that one inquiry is permitted — which body asks
// which body for which item under which 事務 and legal basis.  JWS compact, ES256 with the network node's
// signing key (the same key as its messages; the provider verifies it against the network's JWKS).
import { createHash, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { Problem } from '../../kernel/problems/index.js';
import type { Directory, NodeKeys } from '../../kernel/exchange/index.js';

export const PERMIT_TYPE = 'mamori-permit+jws';
/** How long a permit is good for (the provider refuses an expired one). */
export const PERMIT_SECONDS = 600;

export interface Permit {
  readonly permitId: string;
  readonly exchangeId: string;
  /** Node names, e.g. 'chukan-131237'. */
  readonly requester: string;
  readonly provider: string;
  readonly jimu: string;
  readonly item: string;
  readonly legalBasis: string;
  /**
   * A batch inquiry (inquiry.batch, decision 0185): the digest of the provider's subjects (`subjectsDigest`
   * of the {exchangeId, code} pairs it is asked about) and the day from which changes are asked.  The
   * provider answers for exactly those subjects.
   */
  readonly subjects?: string;
  readonly since?: string;
  readonly iat: number;
  readonly exp: number;
}

export async function issuePermit(keys: NodeKeys, now: Date, p: Omit<Permit, 'iat' | 'exp' | 'permitId'> & { permitId?: string }): Promise<{ jws: string; permit: Permit }> {
  const iat = Math.floor(now.getTime() / 1000);
  const permit: Permit = {
    permitId: p.permitId ?? randomUUID(),
    exchangeId: p.exchangeId,
    requester: p.requester,
    provider: p.provider,
    jimu: p.jimu,
    item: p.item,
    legalBasis: p.legalBasis,
    ...(p.subjects ? { subjects: p.subjects } : {}),
    ...(p.since ? { since: p.since } : {}),
    iat,
    exp: iat + PERMIT_SECONDS,
  };
  const sig = keys.signingKey();
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(permit)))
    .setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: PERMIT_TYPE })
    .sign(sig.privateKey);
  return { jws, permit };
}

/** The digest a batch permit binds: the provider's subjects in the order given. */
export function subjectsDigest(subjects: readonly { readonly exchangeId: string; readonly code: string }[]): string {
  return createHash('sha256').update(JSON.stringify(subjects.map((s) => [s.exchangeId, s.code]))).digest('base64url');
}

const bad = (detail: string) => new Problem(403, 'PERMIT_INVALID', '情報提供許可証を確認できません', detail);

/**
 * Verifies a permit for a provider: signed by `network` (default 'network') with a key it publishes, not
 * expired, and (when given) for this provider.  Throws 403 PERMIT_INVALID.
 */
export async function verifyPermit(directory: Directory, jws: string, opts: { now: Date; provider?: string; network?: string }): Promise<Permit> {
  const network = opts.network ?? 'network';
  let kid: string | undefined;
  try {
    const h = decodeProtectedHeader(jws);
    if (h.typ !== PERMIT_TYPE || h.alg !== 'ES256') throw new Error('type');
    kid = h.kid;
  } catch {
    throw bad('情報提供許可証の形式が正しくありません。');
  }
  const key = await directory.verificationKey(network, kid);
  if (!key) throw bad('情報提供許可証の署名鍵が情報提供ネットワークシステムの公開鍵にありません。');
  let permit: Permit;
  try {
    const { payload } = await compactVerify(jws, key, { algorithms: ['ES256'] });
    permit = JSON.parse(new TextDecoder().decode(payload)) as Permit;
  } catch {
    throw bad('情報提供許可証の署名が正しくありません。');
  }
  const now = Math.floor(opts.now.getTime() / 1000);
  if (!Number.isInteger(permit.exp) || permit.exp < now) throw bad('情報提供許可証の有効期限が切れています。');
  if (opts.provider && permit.provider !== opts.provider) throw bad('この情報提供許可証は別の情報提供者あてです。');
  return permit;
}
