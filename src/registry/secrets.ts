// The registry's own secret keys (decision 0177), under <keyDir>/nodes/registry/ (mode 0600, created on
// first use), as the other organisations keep theirs (the municipality's vault pattern: AES-256-GCM bound to
// its row, plus a blind index; never another organisation's key):
//   mynumber-0001.key  AES-256-GCM key of an entry's My Number (ciphertext bound to tenant, qualification and
//                      登録番号, so a ciphertext copied to another entry does not open);
//   index.key          HMAC-SHA-256 key of the My Number blind index (the same person's entries of one
//                      資格管理者 share one 資格仮名ID, found without decrypting).
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { ensureKeyFile, nodeKeyDir, open, seal, versionedKeys } from '../kernel/crypto/index.js';
import { checkMyNumber } from '../kernel/mynumber/index.js';
import { invalidField } from '../kernel/problems/index.js';

export interface EntryRef {
  readonly tenant: string;
  readonly qualification: string;
  readonly number: number;
}

export class RegistrySecrets {
  private constructor(
    readonly encVersion: number,
    private readonly enc: ReadonlyMap<number, Buffer>,
    private readonly index: Buffer,
  ) {}

  static open(keyDir: string, node = 'registry'): RegistrySecrets {
    const dir = nodeKeyDir(keyDir, node);
    const { version, keys } = versionedKeys(dir, 'mynumber');
    return new RegistrySecrets(version, keys, ensureKeyFile(join(dir, 'index.key')));
  }

  private static aad(e: EntryRef, version: number): string {
    return `registry|mynumber|${e.tenant}|${e.qualification}|${e.number}|${version}`;
  }

  /** Validates (check digit) and normalises a My Number; a 400 that never repeats the value. */
  static check(myNumber: string): string {
    const c = checkMyNumber(myNumber);
    if (!c.ok) throw invalidField('個人番号', c.code, c.message);
    return c.value;
  }

  sealMyNumber(e: EntryRef, myNumber: string): { ciphertext: Buffer; version: number } {
    return { ciphertext: seal(this.enc.get(this.encVersion)!, Buffer.from(myNumber, 'ascii'), RegistrySecrets.aad(e, this.encVersion)), version: this.encVersion };
  }

  openMyNumber(e: EntryRef, ciphertext: Buffer, version: number): string {
    const key = this.enc.get(version);
    if (!key) throw new Error(`registry: My Number key version ${version} missing`);
    return open(key, ciphertext, RegistrySecrets.aad(e, version)).toString('ascii');
  }

  private static applicationAad(tenant: string, applicationId: string, version: number): string {
    return `registry|application-mynumber|${tenant}|${applicationId}|${version}`;
  }

  /** An application's My Number, bound to the 資格管理者 and the application (decision 0179). */
  sealApplicationMyNumber(tenant: string, applicationId: string, myNumber: string): { ciphertext: Buffer; version: number } {
    return { ciphertext: seal(this.enc.get(this.encVersion)!, Buffer.from(myNumber, 'ascii'), RegistrySecrets.applicationAad(tenant, applicationId, this.encVersion)), version: this.encVersion };
  }

  openApplicationMyNumber(tenant: string, applicationId: string, ciphertext: Buffer, version: number): string {
    const key = this.enc.get(version);
    if (!key) throw new Error(`registry: My Number key version ${version} missing`);
    return open(key, ciphertext, RegistrySecrets.applicationAad(tenant, applicationId, version)).toString('ascii');
  }

  private static documentAad(tenant: string, applicationId: string, version: number): string {
    return `registry|application-document|${tenant}|${applicationId}|${version}`;
  }

  /**
   * An online application's signed document (its 券面事項入力補助 holds the My Number in clear, so it is kept
   * sealed, decision 0190), as text `sealed:<version>:<base64>` bound to the 資格管理者 and the application.
   */
  sealApplicationDocument(tenant: string, applicationId: string, text: string): string {
    const c = seal(this.enc.get(this.encVersion)!, Buffer.from(text, 'utf8'), RegistrySecrets.documentAad(tenant, applicationId, this.encVersion));
    return `sealed:${this.encVersion}:${c.toString('base64')}`;
  }

  openApplicationDocument(tenant: string, applicationId: string, stored: string): string {
    const m = /^sealed:(\d+):([A-Za-z0-9+/=]+)$/.exec(stored);
    if (!m) throw new Error('registry: not a sealed application document');
    const version = Number(m[1]);
    const key = this.enc.get(version);
    if (!key) throw new Error(`registry: My Number key version ${version} missing`);
    return open(key, Buffer.from(m[2]!, 'base64'), RegistrySecrets.documentAad(tenant, applicationId, version)).toString('utf8');
  }

  /** Per 資格管理者: the same number gives another index under another tenant. */
  blindIndex(tenant: string, myNumber: string): Buffer {
    return createHmac('sha256', this.index).update(`registry|mynumber|${tenant}|${myNumber}`).digest();
  }
}
