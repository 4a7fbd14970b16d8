// The 旅券番号 at rest (decision 0072): AES-256-GCM under the tenant's current 'mynumber' data key (the key of
// the 特定個人情報 file the passport items belong to, VAX-35), bound to its row by the associated data
// "passport|<団体コード>|certificate-application|<申請ID>|<key version>", so a ciphertext copied to another row
// or tenant does not open.  Blob: key version (uint16, big-endian) ‖ kernel/crypto seal() output.
import type { Work } from '../../kernel/context/index.js';
import { open, seal, type TenantKeyService } from '../../kernel/crypto/index.js';
import { Problem } from '../../kernel/problems/index.js';

const PURPOSE = 'mynumber' as const;

function aad(tenant: string, applicationId: string, version: number): string {
  return `passport|${tenant}|certificate-application|${applicationId}|${version}`;
}

export async function sealPassportNumber(keys: TenantKeyService, w: Work, applicationId: string, passportNumber: string): Promise<Buffer> {
  const series = await keys.series(w.tx, w.tenant, PURPOSE);
  const v = Buffer.alloc(2);
  v.writeUInt16BE(series.current);
  return Buffer.concat([v, seal(series.keys.get(series.current)!, Buffer.from(passportNumber, 'utf8'), aad(w.tenant, applicationId, series.current))]);
}

export async function openPassportNumber(keys: TenantKeyService, w: Work, applicationId: string, blob: Buffer): Promise<string> {
  if (blob.length < 3) throw new Problem(500, 'PASSPORT_CIPHERTEXT_INVALID', '旅券番号を復号できません', '暗号文の形式が不正です。');
  const version = blob.readUInt16BE(0);
  const series = await keys.series(w.tx, w.tenant, PURPOSE, version);
  const key = series.keys.get(version);
  if (!key) throw new Problem(500, 'PASSPORT_KEY_MISSING', '旅券番号を復号できません', `データ鍵（版 ${version}）がありません。`);
  try {
    return open(key, blob.subarray(2), aad(w.tenant, applicationId, version)).toString('utf8');
  } catch {
    throw new Problem(500, 'PASSPORT_CIPHERTEXT_INVALID', '旅券番号を復号できません', '暗号文がこの申請のものではないか、改ざんされています。');
  }
}
