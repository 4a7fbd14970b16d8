// The 支払基金 node's own secret keys (decision 0145), next to its message-layer keys under
// <keyDir>/nodes/insurerhub/ (mode 0600, created on first use):
//   mynumber-0001.key  AES-256-GCM key of the My Number column (ciphertext bound to the 紐付番号);
//   index.key          HMAC-SHA-256 key of the My Number blind index (exact lookup without decrypting);
//   basic.key          HMAC-SHA-256 key of the normalised basic-info items (the mis-link check compares hashes);
//   pseudonym.key      HMAC-SHA-256 key of the 仮名識別子 (pseudonymId = HMAC(key, 紐付番号), 32 hex).
// No other organisation's key is used here.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, seal } from '../../kernel/crypto/index.js';

export const INSURERHUB_NODE = 'insurerhub';

/** The five items of 基本4情報 + カナ氏名 the mis-link check compares (PMH-07), in the order answers name them. */
export const BASIC_FIELDS = ['nameKana', 'name', 'dateOfBirth', 'sex', 'address'] as const;
export type BasicField = (typeof BASIC_FIELDS)[number];

export class InsurerHubSecrets {
  private constructor(
    readonly encVersion: number,
    private readonly enc: ReadonlyMap<number, Buffer>,
    private readonly index: Buffer,
    private readonly basic: Buffer,
    private readonly pseudonym: Buffer,
  ) {}

  static open(keyDir: string): InsurerHubSecrets {
    const dir = join(keyDir, 'nodes', INSURERHUB_NODE);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const enc = new Map<number, Buffer>();
    for (const f of readdirSync(dir)) {
      const m = /^mynumber-(\d{4})\.key$/.exec(f);
      if (m) enc.set(Number(m[1]), readKey(join(dir, f)));
    }
    if (enc.size === 0) enc.set(1, ensureKey(join(dir, 'mynumber-0001.key')));
    const encVersion = Math.max(...enc.keys());
    return new InsurerHubSecrets(encVersion, enc, ensureKey(join(dir, 'index.key')), ensureKey(join(dir, 'basic.key')), ensureKey(join(dir, 'pseudonym.key')));
  }

  private static aad(linkNo: string, version: number): string {
    return `insurerhub|mynumber|${linkNo}|${version}`;
  }

  sealMyNumber(linkNo: string, myNumber: string): { ciphertext: Buffer; version: number } {
    return { ciphertext: seal(this.enc.get(this.encVersion)!, Buffer.from(myNumber, 'ascii'), InsurerHubSecrets.aad(linkNo, this.encVersion)), version: this.encVersion };
  }

  openMyNumber(linkNo: string, ciphertext: Buffer, version: number): string {
    const key = this.enc.get(version);
    if (!key) throw new Error(`insurerhub: My Number key version ${version} missing`);
    return open(key, ciphertext, InsurerHubSecrets.aad(linkNo, version)).toString('ascii');
  }

  /** The blind index of a (validated, half-width) My Number. */
  blindIndex(myNumber: string): Buffer {
    return createHmac('sha256', this.index).update(`insurerhub|mynumber|${myNumber}`).digest();
  }

  /** The keyed hash of one normalised basic-info item. */
  basicHash(field: BasicField, normalised: string): Buffer {
    return createHmac('sha256', this.basic).update(`insurerhub|basic|${field}|${normalised}`).digest();
  }

  /** 仮名識別子 (PMH-09 (2)): stable per 紐付番号, 32 hex characters. */
  pseudonymOf(linkNo: string): string {
    return createHmac('sha256', this.pseudonym).update(`insurerhub|pseudonym|${linkNo}`).digest('hex').slice(0, 32);
  }
}

function readKey(path: string): Buffer {
  const k = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (k.length !== 32) throw new Error(`insurerhub: key file ${path} is not a 256-bit key`);
  return k;
}

function ensureKey(path: string): Buffer {
  if (existsSync(path)) return readKey(path);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    // link() fails when the key exists: two processes creating it at once both end up with the first one's key.
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readKey(path);
}
