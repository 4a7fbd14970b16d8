// The signed document of an open electronic application at rest (decision 0156): AES-256-GCM under the
// tenant's current 'mynumber' data key (it may carry a My Number), bound to its row by the associated data
// "eapplication|<団体コード>|<申請ID>|<key version>".  Blob: key version (uint16, big-endian) ‖ seal() output.
// Kept only while the application is open (checked / under review); erased when it is decided or superseded.
import type { Work } from '../../kernel/context/index.js';
import { open, seal, type TenantKeyService } from '../../kernel/crypto/index.js';
import { Problem } from '../../kernel/problems/index.js';

export interface SignedDocument {
  readonly document: string;
  readonly certPem: string;
  readonly signature: string;
}

const aad = (tenant: string, id: string, version: number) => `eapplication|${tenant}|${id}|${version}`;

export async function sealDocument(keys: TenantKeyService, w: Work, id: string, d: SignedDocument): Promise<Buffer> {
  const series = await keys.series(w.tx, w.tenant, 'mynumber');
  const v = Buffer.alloc(2);
  v.writeUInt16BE(series.current);
  return Buffer.concat([v, seal(series.keys.get(series.current)!, Buffer.from(JSON.stringify(d), 'utf8'), aad(w.tenant, id, series.current))]);
}

export async function openDocument(keys: TenantKeyService, w: Work, id: string, blob: Buffer): Promise<SignedDocument> {
  const bad = () => new Problem(500, 'EAPPLICATION_CIPHERTEXT_INVALID', '申請データを復号できません', '暗号文がこの申請のものではないか、改ざんされています。');
  if (blob.length < 3) throw bad();
  const version = blob.readUInt16BE(0);
  const series = await keys.series(w.tx, w.tenant, 'mynumber', version);
  const key = series.keys.get(version);
  if (!key) throw bad();
  try {
    return JSON.parse(open(key, blob.subarray(2), aad(w.tenant, id, version)).toString('utf8')) as SignedDocument;
  } catch {
    throw bad();
  }
}
