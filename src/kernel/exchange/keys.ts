// Each organisation's own keys for the message layer (decision 0135): one ES256 signing key and one
// ECDH-ES (P-256) encryption key per generation, kept as PKCS#8 files under <keyDir>/nodes/<node>/
// (mode 0600).  Rotation adds a generation; the JWKS publishes the newest two generations, so messages
// signed or encrypted just before a rotation still verify and decrypt, and older keys stop being trusted.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';

export const NODE_NAME = /^[a-z][a-z0-9-]{1,40}$/;

export interface NodeKey {
  readonly kid: string;
  readonly use: 'sig' | 'enc';
  readonly generation: number;
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

export interface Jwks {
  keys: JWK[];
}

/** Generations published (and accepted): the current one and the one before it. */
export const PUBLISHED_GENERATIONS = 2;

function kidOf(node: string, use: string, generation: number, pub: KeyObject): string {
  const fp = createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 12);
  return `${node}.${use}.${generation}.${fp}`;
}

export class NodeKeys {
  private keys: NodeKey[] = [];

  private constructor(
    readonly node: string,
    private readonly dir: string,
  ) {}

  /** Opens (creating on first use) the keys of one node. */
  static open(keyDir: string, node: string): NodeKeys {
    if (!NODE_NAME.test(node)) throw new Error(`invalid node name: ${node}`);
    const dir = join(keyDir, 'nodes', node);
    const k = new NodeKeys(node, dir);
    k.load();
    if (k.keys.length === 0) k.rotate();
    return k;
  }

  private load(): void {
    if (!existsSync(this.dir)) {
      this.keys = [];
      return;
    }
    const out: NodeKey[] = [];
    for (const f of readdirSync(this.dir)) {
      const m = /^(sig|enc)-(\d{4})\.pem$/.exec(f);
      if (!m) continue;
      const use = m[1] as 'sig' | 'enc';
      const generation = Number(m[2]);
      const privateKey = createPrivateKey(readFileSync(join(this.dir, f), 'utf8'));
      const pub = createPublicKey(privateKey);
      const kid = kidOf(this.node, use, generation, pub);
      const jwk = pub.export({ format: 'jwk' }) as JWK;
      out.push({ kid, use, generation, privateKey, publicJwk: { ...jwk, kid, use, alg: use === 'sig' ? 'ES256' : 'ECDH-ES+A256KW' } });
    }
    this.keys = out.sort((a, b) => b.generation - a.generation);
  }

  /** Adds a new generation of both keys; returns it. */
  rotate(): number {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const next = (this.keys[0]?.generation ?? 0) + 1;
    for (const use of ['sig', 'enc'] as const) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const path = join(this.dir, `${use}-${String(next).padStart(4, '0')}.pem`);
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    }
    this.load();
    return next;
  }

  get generation(): number {
    return this.keys[0]?.generation ?? 0;
  }

  signingKey(): NodeKey {
    const k = this.keys.find((x) => x.use === 'sig');
    if (!k) throw new Error(`no signing key for ${this.node}`);
    return k;
  }

  /** The private encryption key named by a JWE's kid (only published generations). */
  decryptionKey(kid: string | undefined): NodeKey | undefined {
    return this.published().find((k) => k.use === 'enc' && k.kid === kid);
  }

  private published(): NodeKey[] {
    const newest = this.generation;
    return this.keys.filter((k) => k.generation > newest - PUBLISHED_GENERATIONS);
  }

  /** The public JWKS of this node (newest first). */
  jwks(): Jwks {
    return { keys: this.published().map((k) => k.publicJwk) };
  }
}
