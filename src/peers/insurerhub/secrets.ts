// The 支払基金 node's own secret keys (decision 0145), next to its message-layer keys under
// <keyDir>/nodes/insurerhub/ (mode 0600, created on first use):
//   mynumber-0001.key  AES-256-GCM key of the My Number column (ciphertext bound to the 紐付番号);
//   index.key          HMAC-SHA-256 key of the My Number blind index (exact lookup without decrypting);
//   basic.key          HMAC-SHA-256 key of the normalised basic-info items (the mis-link check compares hashes);
//   pseudonym.key      HMAC-SHA-256 key of the 仮名識別子 (pseudonymId = HMAC(key, 紐付番号), 32 hex).
// No other organisation's key is used here.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { ensureKeyFile, nodeKeyDir, open, seal, versionedKeys } from '../../kernel/crypto/index.js';

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
    const dir = nodeKeyDir(keyDir, INSURERHUB_NODE);
    const { version, keys } = versionedKeys(dir, 'mynumber');
    return new InsurerHubSecrets(version, keys, ensureKeyFile(join(dir, 'index.key')), ensureKeyFile(join(dir, 'basic.key')), ensureKeyFile(join(dir, 'pseudonym.key')));
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
