// The platform's database access and its own keys (decision 0143).  Every statement on personal data runs in
// a transaction that first sets the tenant (mamori.platform_tenant, transaction-local), so RLS confines it to
// that tenant's rows even when a WHERE clause forgets the tenant.  The platform's keys are its own, under
// <keyDir>/nodes/platform/: data.key seals My Numbers, basic information and answers (AES-256-GCM, bound
// to tenant and target); index.key is the HMAC key of the My Number blind index.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ensureKeyFile, nodeKeyDir, open, seal } from '../kernel/crypto/index.js';
import type { UntypedDatabase } from '../kernel/db/index.js';

export type Db = Kysely<UntypedDatabase>;
export type Tx = Transaction<UntypedDatabase>;

export async function withTenant<T>(db: Db, tenant: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('mamori.platform_tenant', ${tenant}, true)`.execute(tx);
    return fn(tx);
  });
}

export class PlatformSecrets {
  private constructor(
    private readonly data: Buffer,
    private readonly index: Buffer,
  ) {}

  static open(keyDir: string, node = 'platform'): PlatformSecrets {
    const dir = nodeKeyDir(keyDir, node);
    return new PlatformSecrets(ensureKeyFile(join(dir, 'data.key')), ensureKeyFile(join(dir, 'index.key')));
  }

  static readonly VERSION = 1;

  seal(kind: string, tenant: string, id: string, value: unknown): Buffer {
    return seal(this.data, Buffer.from(JSON.stringify(value), 'utf8'), `platform|${kind}|${tenant}|${id}`);
  }

  open<T>(kind: string, tenant: string, id: string, blob: Buffer): T {
    return JSON.parse(open(this.data, blob, `platform|${kind}|${tenant}|${id}`).toString('utf8')) as T;
  }

  /** Keyed hash of a registration row (which holds a My Number, so a bare hash could be reversed). */
  contentHash(json: string): Buffer {
    return createHmac('sha256', this.index).update(`platform|content|${json}`).digest();
  }

  myNumberIndex(myNumber: string): Buffer {
    return createHmac('sha256', this.index).update(`platform|mynumber|${myNumber}`).digest();
  }
}
