// Public face of kernel/db.
import './kernel-tables.js';

export type { Database, StampColumns, UntypedDatabase } from './types.js';
export type * from './kernel-tables.js';
export { openDatabase, embeddedStoreExists, APP_ROLE, type MamoriDb } from './open.js';
export { migrate, appliedMigrations, type MigrationSource, type AppliedMigration, type MigrateOptions } from './migrate.js';
export { sql, type Kysely, type Transaction, type Selectable, type Insertable, type Updateable } from 'kysely';

import { fileURLToPath } from 'node:url';
import type { MigrationSource } from './migrate.js';

/** The kernel's own migrations; systems add theirs after it. */
export const kernelMigrations: MigrationSource = {
  schema: 'kernel',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};

import { sql as _sql, type RawBuilder, type Kysely as K } from 'kysely';
import type { Database as D, UntypedDatabase as U } from './types.js';
/** A jsonb parameter that serialises the same way on node-postgres and PGlite. */
export function jsonb<T>(value: T): RawBuilder<T> {
  return _sql<T>`cast(${JSON.stringify(value)} as jsonb)`;
}
export { startEphemeralPostgres, findPgBin, type EphemeralPostgres, type EphemeralOptions } from './ephemeral.js';
export { arrayLiteral, nameArrayLiteral, jsonArrayText } from './arrays.js';
export { analyzeIfNeverAnalyzed } from './analyze.js';
export { rlsCanary, checkAppRole } from './failclosed.js';

/** The same pool, seen without table types (a node's message log in a typed schema, e.g. the municipality's). */
export function untyped(db: K<D>): K<U> {
  return db as unknown as K<U>;
}
