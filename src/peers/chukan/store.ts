// The 中間サーバー's database access: every statement runs in a transaction that first sets the node's
// tenant (mamori.chukan_tenant, transaction-local), so RLS confines it to this municipality's rows even
// when a WHERE clause forgets the tenant.  The result key seals inquiry results at rest (XCH-15/16).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { seal, open } from '../../kernel/crypto/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export type Tx = Transaction<UntypedDatabase>;

export async function withTenant<T>(db: Kysely<UntypedDatabase>, tenant: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('mamori.chukan_tenant', ${tenant}, true)`.execute(tx);
    return fn(tx);
  });
}

export async function rows<T = Record<string, unknown>>(tx: Tx, q: ReturnType<typeof sql>): Promise<T[]> {
  return (await q.execute(tx)).rows as T[];
}

/** The node's key for inquiry results at rest: <keyDir>/nodes/<node>/results.key (32 random bytes, 0600). */
export class ResultKey {
  private constructor(private readonly key: Buffer) {}

  static open(keyDir: string, node: string): ResultKey {
    const dir = join(keyDir, 'nodes', node);
    const path = join(dir, 'results.key');
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    }
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`result key of ${node} is not 32 bytes`);
    return new ResultKey(key);
  }

  seal(value: unknown, aad: string): Buffer {
    return seal(this.key, Buffer.from(JSON.stringify(value), 'utf8'), aad);
  }

  open(blob: Buffer, aad: string): unknown {
    return JSON.parse(open(this.key, blob, aad).toString('utf8'));
  }
}
