// The directory of organisations (X-Road's "global configuration", decision 0135): which nodes exist,
// where each listens, and — fetched from each node's published JWKS and cached — which keys it signs
// and encrypts with.  A sender not in the directory is unknown and refused (XCH-17).
import { importJWK, type JWK, type CryptoKey } from 'jose';
import { Problem } from '../problems/index.js';
import type { Jwks } from './keys.js';

export interface NodeEntry {
  /** Node name, e.g. 'network', 'jlis', 'chukan-131237', 'municipality'. */
  readonly name: string;
  /** Japanese name shown to people, e.g. '情報提供ネットワークシステム'. */
  readonly title: string;
  /** Base URL, e.g. 'http://127.0.0.1:8081'. */
  readonly url: string;
}

export type JwksFetcher = (url: string) => Promise<Jwks>;

const CACHE_MS = 5 * 60_000;
const REFETCH_MIN_MS = 5_000;

export const fetchJwks: JwksFetcher = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`JWKS ${url}: HTTP ${res.status}`);
  return (await res.json()) as Jwks;
};

interface Cached {
  at: number;
  keys: JWK[];
}

export class Directory {
  private readonly entries = new Map<string, NodeEntry>();
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<Cached>>();
  private readonly imported = new Map<string, CryptoKey | Uint8Array>();
  /** Key ids a node did not publish when last asked: not asked again for a few seconds (no fetch storm). */
  private readonly missed = new Map<string, number>();

  constructor(
    entries: Iterable<NodeEntry>,
    private readonly fetcher: JwksFetcher = fetchJwks,
  ) {
    for (const e of entries) this.set(e);
  }

  set(e: NodeEntry): void {
    this.entries.set(e.name, { ...e, url: e.url.replace(/\/+$/, '') });
    this.cache.delete(e.name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): NodeEntry {
    const e = this.entries.get(name);
    if (!e) throw new Problem(404, 'EXCHANGE_UNKNOWN_NODE', '宛先の組織が登録されていません', `組織「${name}」は接続先一覧にありません。`);
    return e;
  }

  list(): NodeEntry[] {
    return [...this.entries.values()];
  }

  title(name: string): string {
    return this.entries.get(name)?.title ?? name;
  }

  private async jwks(name: string): Promise<Cached> {
    const now = Date.now();
    const c = this.cache.get(name);
    if (c && now - c.at < CACHE_MS) return c;
    let p = this.pending.get(name);
    if (!p) {
      p = (async () => {
        try {
          const jwks = await this.fetcher(`${this.entry(name).url}/.well-known/jwks.json`);
          const fresh = { at: Date.now(), keys: Array.isArray(jwks.keys) ? jwks.keys : [] };
          this.cache.set(name, fresh);
          return fresh;
        } finally {
          this.pending.delete(name);
        }
      })();
      this.pending.set(name, p);
    }
    try {
      return await p;
    } catch (e) {
      if (c) return c;
      throw new Problem(503, 'EXCHANGE_UNREACHABLE', '相手の組織に接続できません', `組織「${this.title(name)}」の公開鍵を取得できません（${(e as Error).message}）。`);
    }
  }

  private async importKey(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    const id = `${jwk.kid}|${alg}`;
    let k = this.imported.get(id);
    if (!k) this.imported.set(id, (k = await importJWK(jwk, alg)));
    return k;
  }

  /** The public key `name` signs with under `kid`; undefined when the node publishes no such key. */
  async verificationKey(name: string, kid: string | undefined): Promise<CryptoKey | Uint8Array | undefined> {
    if (!kid) return undefined;
    const missKey = `${name}|${kid}`;
    for (const force of [false, true]) {
      const missedAt = this.missed.get(missKey);
      if (force && missedAt !== undefined && Date.now() - missedAt < REFETCH_MIN_MS) break;
      let keys: JWK[];
      try {
        keys = force ? (await this.refetch(name)).keys : (await this.jwks(name)).keys;
      } catch {
        return undefined; // keys that cannot be fetched cannot vouch for a message
      }
      const jwk = keys.find((k) => k.kid === kid && k.use === 'sig');
      if (jwk) {
        this.missed.delete(missKey);
        return this.importKey(jwk, 'ES256');
      }
    }
    this.missed.set(missKey, Date.now());
    return undefined;
  }

  /** Fetches a node's JWKS now (a key id it did not publish before, e.g. after its rotation). */
  private async refetch(name: string): Promise<Cached> {
    this.cache.delete(name);
    return this.jwks(name);
  }

  /** The newest public encryption key of `name`. */
  async encryptionKey(name: string): Promise<{ kid: string; jwk: JWK }> {
    const { keys } = await this.jwks(name);
    const jwk = keys.find((k) => k.use === 'enc' && k.kty === 'EC' && k.crv === 'P-256' && typeof k.x === 'string' && typeof k.y === 'string');
    if (!jwk?.kid) throw new Problem(503, 'EXCHANGE_NO_KEY', '相手の組織の暗号化鍵がありません', `組織「${this.title(name)}」は暗号化鍵を公開していません。`);
    return { kid: jwk.kid, jwk };
  }
}
