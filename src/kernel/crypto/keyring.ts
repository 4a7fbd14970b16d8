// Master keys (key-encryption keys) and the audit signing key.
//
// The master key wraps every per-tenant data key; it is never written to the database.
// Sources, in order: MAMORI_MASTER_KEY (base64, 32 bytes; earlier keys in MAMORI_MASTER_KEY_PREVIOUS,
// comma-separated) or key files under <keyDir>/master/ (created on first use, mode 0600).
// A production deployment replaces LocalKeyring with a KMS/HSM behind the same interface.
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Problem } from '../problems/index.js';
import { open, seal } from './aead.js';

/** The KMS interface: wraps and unwraps data keys under a named key-encryption key. */
export interface KeyEncryptionKeys {
  currentId(): string;
  wrap(dataKey: Buffer, context: string): { kekId: string; wrapped: Buffer };
  unwrap(kekId: string, wrapped: Buffer, context: string): Buffer;
  /** Derives a purpose-specific key from a named master key (e.g. backup encryption). */
  derive(kekId: string, label: string): Buffer;
  has(kekId: string): boolean;
}

function fingerprint(key: Buffer): string {
  return 'mk-' + createHash('sha256').update('mamori-master-key-id').update(key).digest('hex').slice(0, 16);
}

function decodeKey(b64: string, what: string): Buffer {
  const k = Buffer.from(b64.trim(), 'base64');
  if (k.length !== 32) throw new Problem(500, 'MASTER_KEY_INVALID', 'マスター鍵が不正です', `${what} は32バイトの鍵をBase64で指定してください。`);
  return k;
}

export class LocalKeyring implements KeyEncryptionKeys {
  private readonly keys = new Map<string, Buffer>();
  private current: string;

  private constructor(
    private readonly dir: string,
    private readonly fromEnv: boolean,
    keys: Map<string, Buffer>,
    current: string,
  ) {
    this.keys = keys;
    this.current = current;
  }

  static open(keyDir: string, env: NodeJS.ProcessEnv = process.env): LocalKeyring {
    const envKey = env['MAMORI_MASTER_KEY'];
    if (envKey && envKey.trim()) {
      const keys = new Map<string, Buffer>();
      for (const prev of (env['MAMORI_MASTER_KEY_PREVIOUS'] ?? '').split(',').filter((s) => s.trim())) {
        const k = decodeKey(prev, 'MAMORI_MASTER_KEY_PREVIOUS');
        keys.set(fingerprint(k), k);
      }
      const k = decodeKey(envKey, 'MAMORI_MASTER_KEY');
      keys.set(fingerprint(k), k);
      return new LocalKeyring(keyDir, true, keys, fingerprint(k));
    }
    const mdir = join(keyDir, 'master');
    ensurePrivateDir(mdir);
    const keys = new Map<string, Buffer>();
    for (const f of readdirSync(mdir).filter((f) => f.endsWith('.key'))) {
      const k = decodeKey(readFileSync(join(mdir, f), 'utf8'), join(mdir, f));
      keys.set(fingerprint(k), k);
    }
    const curFile = join(mdir, 'CURRENT');
    let current = existsSync(curFile) ? readFileSync(curFile, 'utf8').trim() : '';
    if (!current || !keys.has(current)) {
      if (keys.size > 0 && current) {
        throw new Problem(500, 'MASTER_KEY_MISSING', 'マスター鍵が見つかりません', `${curFile} が指す鍵 ${current} がありません。`);
      }
      const k = randomBytes(32);
      current = fingerprint(k);
      writePrivate(join(mdir, `${current}.key`), k.toString('base64') + '\n');
      writePrivate(curFile, current + '\n');
      keys.set(current, k);
    }
    return new LocalKeyring(keyDir, false, keys, current);
  }

  currentId(): string {
    return this.current;
  }

  has(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  private key(kekId: string): Buffer {
    const k = this.keys.get(kekId);
    if (!k) throw new Problem(500, 'MASTER_KEY_MISSING', 'マスター鍵が見つかりません', `鍵 ${kekId} が鍵ディレクトリにありません。`);
    return k;
  }

  wrap(dataKey: Buffer, context: string): { kekId: string; wrapped: Buffer } {
    return { kekId: this.current, wrapped: seal(this.key(this.current), dataKey, `wrap:${context}`) };
  }

  unwrap(kekId: string, wrapped: Buffer, context: string): Buffer {
    try {
      return open(this.key(kekId), wrapped, `wrap:${context}`);
    } catch (e) {
      if (e instanceof Problem) throw e;
      throw new Problem(500, 'KEY_UNWRAP_FAILED', 'データ鍵を復号できません', `鍵 ${kekId} でのアンラップに失敗しました（${context}）。`);
    }
  }

  derive(kekId: string, label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key(kekId), Buffer.alloc(0), `mamori:${label}`, 32));
  }

  /** Creates a new master key and makes it current (file mode).  Old keys stay for old wraps and backups. */
  rotate(): string {
    if (this.fromEnv) {
      throw new Problem(
        400,
        'MASTER_KEY_FROM_ENV',
        'マスター鍵は環境変数で管理されています',
        '新しい鍵を MAMORI_MASTER_KEY に、旧鍵を MAMORI_MASTER_KEY_PREVIOUS に設定してから keys rotate を実行してください。',
      );
    }
    const mdir = join(this.dir, 'master');
    const k = randomBytes(32);
    const id = fingerprint(k);
    writePrivate(join(mdir, `${id}.key`), k.toString('base64') + '\n');
    writePrivate(join(mdir, 'CURRENT'), id + '\n');
    this.keys.set(id, k);
    this.current = id;
    return id;
  }

  get envManaged(): boolean {
    return this.fromEnv;
  }
}

// ------------------------------------------------------------------ audit signing key (Ed25519)

export interface SigningKey {
  readonly keyId: string;
  sign(data: Buffer): Buffer;
}

export interface SignatureVerifier {
  verify(keyId: string, data: Buffer, signature: Buffer): boolean;
}

function keyIdOf(pub: KeyObject): string {
  return 'ak-' + createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * Audit checkpoint signing keys live under <keyDir>/audit; public keys are kept for verification.
 * KRN-34 (decision 0120): the same directory holds the chain MAC key (chain-mac.key, 32 random bytes,
 * mode 0600) with which every operation-log entry's hash is an HMAC-SHA256, so that the database owner —
 * who never sees this file — cannot recompute the chain after editing an entry.  It is never written to
 * the database; a backup is restored with the key directory copied, as for the signing key.
 */
export class AuditKeys implements SignatureVerifier {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly keyId: string,
    private readonly publics: Map<string, KeyObject>,
    private readonly macKey: Buffer,
    /** Fingerprint of the chain MAC key (not secret): 'am-' + 16 hex digits. */
    readonly macKeyId: string,
  ) {}

  static open(keyDir: string): AuditKeys {
    const dir = join(keyDir, 'audit');
    ensurePrivateDir(dir);
    const publics = new Map<string, KeyObject>();
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.pub.pem'))) {
      const pub = createPublicKey(readFileSync(join(dir, f), 'utf8'));
      publics.set(keyIdOf(pub), pub);
    }
    const privFile = join(dir, 'signing.pem');
    let priv: KeyObject;
    if (existsSync(privFile)) {
      priv = createPrivateKey(readFileSync(privFile, 'utf8'));
    } else {
      const pair = generateKeyPairSync('ed25519');
      priv = pair.privateKey;
      writePrivate(privFile, priv.export({ type: 'pkcs8', format: 'pem' }) as string);
    }
    const pub = createPublicKey(priv);
    const id = keyIdOf(pub);
    if (!publics.has(id)) {
      writeFileSync(join(dir, `${id}.pub.pem`), pub.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
      publics.set(id, pub);
    }
    const macFile = join(dir, 'chain-mac.key');
    let macKey: Buffer;
    if (existsSync(macFile)) {
      macKey = Buffer.from(readFileSync(macFile, 'utf8').trim(), 'base64');
      if (macKey.length !== 32) throw new Problem(500, 'AUDIT_MAC_KEY_INVALID', '操作ログの連鎖鍵が不正です', `${macFile} は32バイトの鍵をBase64で保持している必要があります。`);
    } else {
      macKey = randomBytes(32);
      writePrivate(macFile, macKey.toString('base64') + '\n');
    }
    const macKeyId = 'am-' + createHash('sha256').update('mamori-audit-mac-key-id').update(macKey).digest('hex').slice(0, 16);
    return new AuditKeys(priv, id, publics, macKey, macKeyId);
  }

  /** HMAC-SHA256 under the chain MAC key over the parts in order (KRN-34). */
  mac(...parts: (Buffer | string)[]): Buffer {
    const h = createHmac('sha256', this.macKey);
    for (const p of parts) h.update(p);
    return h.digest();
  }

  sign(data: Buffer): Buffer {
    return sign(null, data, this.privateKey);
  }

  verify(keyId: string, data: Buffer, signature: Buffer): boolean {
    const pub = this.publics.get(keyId);
    if (!pub) return false;
    return verify(null, data, pub, signature);
  }
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function writePrivate(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}
