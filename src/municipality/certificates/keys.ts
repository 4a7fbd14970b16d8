// Issuer signing keys for SMART Health Cards, one P-256 key per municipality (docs/decisions/0052).
//
// Files under <keyDir>/shc/ (directory 0700), like the audit keys of kernel/crypto:
//   <tenant>.private.jwk.json  the current private JWK (0600), created on first signing;
//   <tenant>.jwks.json         the published JWK set (0644): the current public key and every earlier one
//                              still needed to verify cards already issued.
// Rotation writes a new private key over the old one (the spec: retired private keys SHALL be destroyed)
// and appends the new public key to the set; withdrawing a compromised key removes it from the set.
// Reading (JWKS, verification) never creates files.  A production deployment can keep the private key in
// an HSM behind the same `ShcSigner` shape.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { checkLocalGovernmentCode } from '../../kernel/jp/index.js';
import { Problem } from '../../kernel/problems/index.js';

/** A public issuer key as published in jwks.json (spec: kty EC, use sig, alg ES256, crv P-256, kid = thumbprint). */
export interface ShcPublicJwk {
  kty: 'EC';
  kid: string;
  use: 'sig';
  alg: 'ES256';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface Jwks {
  keys: ShcPublicJwk[];
}

/** The key that signs one municipality's cards. */
export interface ShcSigner {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: ShcPublicJwk;
}

/** Finds the public keys that may have signed a card with this `iss` and `kid`. */
export interface IssuerKeyResolver {
  resolve(iss: string, kid: string): Promise<ResolvedKey | undefined>;
}

export interface ResolvedKey {
  readonly jwk: ShcPublicJwk;
  /** Where the key came from: one of our municipalities, or a key set the caller supplied. */
  readonly source: { kind: 'local'; tenant: string } | { kind: 'jwks'; label: string };
}

const PRIVATE_SUFFIX = '.private.jwk.json';
const JWKS_SUFFIX = '.jwks.json';

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key — the SHC `kid`. */
export async function jwkThumbprint(jwk: { kty?: string; crv?: string; x?: string; y?: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
}

async function publicJwkOf(key: KeyObject): Promise<ShcPublicJwk> {
  const j = createPublicKey(key).export({ format: 'jwk' }) as JsonWebKey;
  if (j.kty !== 'EC' || j.crv !== 'P-256' || !j.x || !j.y) throw new Problem(500, 'SHC_KEY_INVALID', '発行者鍵が不正です', 'P-256 の楕円曲線鍵ではありません。');
  const kid = await jwkThumbprint(j);
  return { kty: 'EC', kid, use: 'sig', alg: 'ES256', crv: 'P-256', x: j.x, y: j.y };
}

/** Checks the shape the spec requires of a published issuer key (and that it carries no private part). */
export function isShcPublicJwk(k: unknown): k is ShcPublicJwk {
  if (!k || typeof k !== 'object') return false;
  const j = k as Record<string, unknown>;
  return j['kty'] === 'EC' && j['crv'] === 'P-256' && typeof j['x'] === 'string' && typeof j['y'] === 'string' && typeof j['kid'] === 'string' && !('d' in j) && (j['use'] === undefined || j['use'] === 'sig') && (j['alg'] === undefined || j['alg'] === 'ES256');
}

function tenantCode(tenant: string): string {
  const c = checkLocalGovernmentCode(tenant);
  if (!c.ok) throw new Problem(400, 'INVALID_MUNICIPALITY_CODE', '団体コードが正しくありません', c.reason, [{ field: 'tenant', code: 'INVALID_MUNICIPALITY_CODE', message: c.reason }]);
  return c.code;
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Per-municipality SHC issuer keys under <keyDir>/shc. */
export class ShcKeyStore {
  readonly dir: string;

  constructor(keyDir: string) {
    this.dir = join(keyDir, 'shc');
  }

  private privatePath(tenant: string): string {
    return join(this.dir, `${tenant}${PRIVATE_SUFFIX}`);
  }

  private jwksPath(tenant: string): string {
    return join(this.dir, `${tenant}${JWKS_SUFFIX}`);
  }

  /** The municipalities that have (or had) issuer keys here. */
  tenants(): string[] {
    if (!existsSync(this.dir)) return [];
    const names = readdirSync(this.dir).flatMap((f) => (f.endsWith(JWKS_SUFFIX) ? [f.slice(0, -JWKS_SUFFIX.length)] : f.endsWith(PRIVATE_SUFFIX) ? [f.slice(0, -PRIVATE_SUFFIX.length)] : []));
    return [...new Set(names)].filter((t) => checkLocalGovernmentCode(t).ok).sort();
  }

  /** The published key set (public keys only, current and earlier).  Empty when the tenant has none. */
  publicJwks(tenant: string): Jwks {
    const path = this.jwksPath(tenantCode(tenant));
    if (!existsSync(path)) return { keys: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new Problem(500, 'SHC_JWKS_UNREADABLE', '発行者の公開鍵集合を読めません', `${path} が JSON として読めません。`);
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new Problem(500, 'SHC_JWKS_UNREADABLE', '発行者の公開鍵集合を読めません', `${path} に keys がありません。`);
    // Never publish anything but the public members, whatever is in the file.
    return { keys: keys.filter(isShcPublicJwk).map(({ kty, kid, use, alg, crv, x, y }) => ({ kty, kid, use: use ?? 'sig', alg: alg ?? 'ES256', crv, x, y })) };
  }

  /** The current signing key, created (with its JWKS entry) on first use. */
  async signer(tenant: string): Promise<ShcSigner> {
    const t = tenantCode(tenant);
    const privateKey = this.loadPrivate(t) ?? this.createKey(t);
    const publicJwk = await publicJwkOf(privateKey);
    this.publish(t, publicJwk);
    return { kid: publicJwk.kid, privateKey, publicJwk };
  }

  /** The kid of the current signing key, if the municipality has one (creates nothing). */
  async currentKid(tenant: string): Promise<string | undefined> {
    const key = this.loadPrivate(tenantCode(tenant));
    return key ? (await publicJwkOf(key)).kid : undefined;
  }

  /** Replaces the signing key: the old private key is destroyed, its public key stays published. */
  async rotate(tenant: string): Promise<{ kid: string; previousKid: string | undefined }> {
    const t = tenantCode(tenant);
    const old = this.loadPrivate(t);
    let previousKid: string | undefined;
    if (old) {
      const oldJwk = await publicJwkOf(old);
      this.publish(t, oldJwk);
      previousKid = oldJwk.kid;
    }
    const next = await publicJwkOf(this.createKey(t, true));
    this.publish(t, next);
    return { kid: next.kid, previousKid };
  }

  /**
   * Withdraws a key (e.g. compromised): removed from the published set at once, so cards it signed stop
   * verifying; if it is the current key its private key is deleted and the next signing creates a new one.
   */
  async withdraw(tenant: string, kid: string): Promise<boolean> {
    const t = tenantCode(tenant);
    const current = await this.currentKid(t);
    if (current === kid) unlinkSync(this.privatePath(t));
    const jwks = this.publicJwks(t);
    const kept = jwks.keys.filter((k) => k.kid !== kid);
    if (kept.length === jwks.keys.length) return current === kid;
    writeAtomic(this.jwksPath(t), JSON.stringify({ keys: kept }, null, 2) + '\n', 0o644);
    return true;
  }

  /** A resolver over our own municipalities' published keys (see `localIssuerResolver`). */
  resolver(tenantOfIssuer: (iss: string) => string | undefined = tenantFromIssuerUrl): IssuerKeyResolver {
    return localIssuerResolver(this, tenantOfIssuer);
  }

  private loadPrivate(tenant: string): KeyObject | undefined {
    const path = this.privatePath(tenant);
    if (!existsSync(path)) return undefined;
    try {
      return createPrivateKey({ key: JSON.parse(readFileSync(path, 'utf8')) as JsonWebKey, format: 'jwk' });
    } catch {
      throw new Problem(500, 'SHC_KEY_UNREADABLE', '発行者の署名鍵を読めません', `${path} が P-256 の秘密鍵（JWK）ではありません。`);
    }
  }

  /**
   * A new private key.  On first use (`replace` false) the file is created exclusively, so two processes
   * signing their first card at once end up with the same key; rotation replaces the file atomically.
   */
  private createKey(tenant: string, replace = false): KeyObject {
    ensurePrivateDir(this.dir);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const content = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }) + '\n';
    const path = this.privatePath(tenant);
    if (replace) {
      writeAtomic(path, content, 0o600);
      return privateKey;
    }
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, content, { mode: 0o600 });
    try {
      linkSync(tmp, path);
      return privateKey;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return this.loadPrivate(tenant)!;
    } finally {
      unlinkSync(tmp);
    }
  }

  private publish(tenant: string, jwk: ShcPublicJwk): void {
    const jwks = this.publicJwks(tenant);
    if (jwks.keys.some((k) => k.kid === jwk.kid)) return;
    ensurePrivateDir(this.dir);
    writeAtomic(this.jwksPath(tenant), JSON.stringify({ keys: [...jwks.keys, jwk] }, null, 2) + '\n', 0o644);
  }
}

/** Mamori's issuer URLs end in /issuers/<municipality code> (the JWKS route lives beneath). */
export function tenantFromIssuerUrl(iss: string): string | undefined {
  const m = /\/issuers\/(\d{6})$/.exec(iss);
  return m && checkLocalGovernmentCode(m[1]!).ok ? m[1] : undefined;
}

/**
 * Resolves keys of our own issuers: the `iss` names the municipality (by `tenantOfIssuer`), and the `kid`
 * must be in that municipality's published set — a key of one municipality never vouches for another.
 */
export function localIssuerResolver(store: ShcKeyStore, tenantOfIssuer: (iss: string) => string | undefined = tenantFromIssuerUrl): IssuerKeyResolver {
  return {
    async resolve(iss, kid) {
      const tenant = tenantOfIssuer(iss);
      if (!tenant || !checkLocalGovernmentCode(tenant).ok) return undefined;
      const jwk = store.publicJwks(tenant).keys.find((k) => k.kid === kid);
      return jwk ? { jwk, source: { kind: 'local', tenant } } : undefined;
    },
  };
}

/**
 * Resolves keys from a JWK set the caller trusts (e.g. a foreign issuer's jwks.json saved to a file).
 * With `iss` given, only cards naming that issuer resolve.
 */
export function jwksResolver(jwks: unknown, opts: { label?: string; iss?: string } = {}): IssuerKeyResolver {
  const keys = ((jwks as { keys?: unknown } | null)?.keys ?? []) as unknown[];
  if (!Array.isArray(keys)) throw new Problem(400, 'SHC_JWKS_INVALID', '公開鍵集合が正しくありません', 'JWKS には keys 配列が必要です。');
  const usable = keys.filter(isShcPublicJwk);
  return {
    async resolve(iss, kid) {
      if (opts.iss !== undefined && opts.iss !== iss) return undefined;
      const jwk = usable.find((k) => k.kid === kid);
      return jwk ? { jwk: { ...jwk, use: 'sig', alg: 'ES256' }, source: { kind: 'jwks', label: opts.label ?? 'JWKS' } } : undefined;
    },
  };
}

/** Tries each resolver in turn. */
export function combineResolvers(...resolvers: readonly (IssuerKeyResolver | undefined)[]): IssuerKeyResolver {
  return {
    async resolve(iss, kid) {
      for (const r of resolvers) {
        const k = await r?.resolve(iss, kid);
        if (k) return k;
      }
      return undefined;
    },
  };
}
