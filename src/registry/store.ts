// The registry's database access (decision 0169).  Every statement on a tenant's rows runs in a transaction
// that first sets the tenant (mamori.registry_tenant, transaction-local), so RLS confines it to that 資格管理者's
// rows even when a WHERE clause forgets the tenant.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { UntypedDatabase } from '../kernel/db/index.js';

export type Db = Kysely<UntypedDatabase>;
export type Tx = Transaction<UntypedDatabase>;

export async function withTenant<T>(db: Db, tenant: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('mamori.registry_tenant', ${tenant}, true)`.execute(tx);
    return fn(tx);
  });
}
