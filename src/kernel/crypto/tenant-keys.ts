// Per-tenant data keys (KRN-02): random 256-bit keys, one series per purpose, stored only wrapped by the
// master key in kernel.tenant_keys.  Loaded through the caller's tenant-confined transaction and cached.
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, KeyPurpose } from '../db/index.js';
import { Problem } from '../problems/index.js';
import type { KeyEncryptionKeys } from './keyring.js';

export interface KeySeries {
  readonly tenant: string;
  readonly purpose: KeyPurpose;
  /** Newest version that is not retired: new data is sealed with it. */
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
  readonly loadedAt: number;
}

export const KEY_PURPOSES: readonly KeyPurpose[] = ['mynumber', 'blind-index', 'account-secret'];
const CACHE_MS = 5 * 60_000;

export function wrapContext(tenant: string, purpose: string, version: number): string {
  return `${tenant}|${purpose}|${version}`;
}

export class TenantKeyService {
  private readonly cache = new Map<string, KeySeries>();

  constructor(readonly kek: KeyEncryptionKeys) {}

  async series(tx: Transaction<Database> | Kysely<Database>, tenant: string, purpose: KeyPurpose, needVersion = 0): Promise<KeySeries> {
    const ck = `${tenant}|${purpose}`;
    const hit = this.cache.get(ck);
    if (hit && Date.now() - hit.loadedAt < CACHE_MS && (needVersion === 0 || hit.keys.has(needVersion))) return hit;
    const rows = await tx
      .selectFrom('kernel.tenant_keys')
      .select(['version', 'kek_id', 'wrapped_key', 'retired_at'])
      .where('tenant_code', '=', tenant)
      .where('purpose', '=', purpose)
      .execute();
    const keys = new Map<number, Buffer>();
    let current = 0;
    for (const r of rows) {
      keys.set(r.version, this.kek.unwrap(r.kek_id, r.wrapped_key, wrapContext(tenant, purpose, r.version)));
      if (!r.retired_at && r.version > current) current = r.version;
    }
    if (current === 0) {
      throw new Problem(500, 'TENANT_KEYS_MISSING', 'データ鍵がありません', `団体 ${tenant} のデータ鍵（${purpose}）がありません（mamori org add で作成されます）。`);
    }
    const s: KeySeries = { tenant, purpose, current, keys, loadedAt: Date.now() };
    this.cache.set(ck, s);
    return s;
  }

  forget(): void {
    this.cache.clear();
  }

  /** Creates version 1 of every purpose for a new tenant (owner role). Idempotent. */
  async provision(system: Kysely<Database>, tenant: string): Promise<void> {
    for (const purpose of KEY_PURPOSES) {
      const { kekId, wrapped } = this.kek.wrap(randomBytes(32), wrapContext(tenant, purpose, 1));
      await system
        .insertInto('kernel.tenant_keys')
        .values({ tenant_code: tenant, purpose, version: 1, kek_id: kekId, wrapped_key: wrapped })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
}
