// The 全国サーバ's own secret keys (decision 0138), next to its message-layer keys under
// <keyDir>/nodes/jlis/ (mode 0600, created on first use):
//   mynumber-0001.key  AES-256-GCM key of the My Number column (ciphertext bound to the 住民票コード);
//   index.key          HMAC-SHA-256 key of the My Number blind index (exact lookup without decrypting);
//   link.key           HMAC-SHA-256 key of person.link (the opaque per-network link of a person);
//   querylog.key       HMAC-SHA-256 key of the query log's key hashes (the log never holds a key value).
// The node's keys are its own: no other organisation's key (the municipality's vault keys) is used here.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { ensureKeyFile as ensureKey, nodeKeyDir, open, seal, versionedKeys } from '../../kernel/crypto/index.js';

export const JLIS_NODE = 'jlis';

export class JlisSecrets {
  private constructor(
    readonly encVersion: number,
    private readonly enc: ReadonlyMap<number, Buffer>,
    private readonly index: Buffer,
    private readonly link: Buffer,
    private readonly logKey: Buffer,
  ) {}

  static open(keyDir: string): JlisSecrets {
    const dir = nodeKeyDir(keyDir, JLIS_NODE);
    const { version, keys } = versionedKeys(dir, 'mynumber');
    return new JlisSecrets(version, keys, ensureKey(join(dir, 'index.key')), ensureKey(join(dir, 'link.key')), ensureKey(join(dir, 'querylog.key')));
  }

  private static aad(juminhyoCode: string, version: number): string {
    return `jlis|mynumber|${juminhyoCode}|${version}`;
  }

  sealMyNumber(juminhyoCode: string, myNumber: string): { ciphertext: Buffer; version: number } {
    return { ciphertext: seal(this.enc.get(this.encVersion)!, Buffer.from(myNumber, 'ascii'), JlisSecrets.aad(juminhyoCode, this.encVersion)), version: this.encVersion };
  }

  openMyNumber(juminhyoCode: string, ciphertext: Buffer, version: number): string {
    const key = this.enc.get(version);
    if (!key) throw new Error(`jlis: My Number key version ${version} missing`);
    return open(key, ciphertext, JlisSecrets.aad(juminhyoCode, version)).toString('ascii');
  }

  blindIndex(myNumber: string): Buffer {
    return createHmac('sha256', this.index).update(`jlis|mynumber|${myNumber}`).digest();
  }

  /** person.link: stable and opaque; the same 住民票コード always gives the same link. */
  linkOf(juminhyoCode: string): string {
    return createHmac('sha256', this.link).update(`jlis|link|${juminhyoCode}`).digest('base64url');
  }

  /** The query log's keyed hash of a query key (kind and value). */
  keyHash(kind: string, value: string): Buffer {
    return createHmac('sha256', this.logKey).update(`jlis|query|${kind}|${value}`).digest();
  }
}
