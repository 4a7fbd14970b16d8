// Where Mamori keeps its data and keys, resolved once from CLI flags and the environment.
//
// Embedded mode (no DATABASE_URL): PGlite under <data>/pg.  Server mode: DATABASE_URL.
// Keys live in <data>/keys unless MAMORI_KEY_DIR says otherwise; the master key may also
// come from MAMORI_MASTER_KEY (base64, 32 bytes) so that a server deployment keeps no key file.
import { basename, dirname, resolve, join } from 'node:path';
import { clockFromSetting, type Clock } from '../clock/index.js';

export interface MamoriConfig {
  /** Embedded store and default key directory. */
  readonly dataDir: string;
  /** PostgreSQL server URL (owner/migration connection). Undefined → embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** Optional separate login for the application role; otherwise the app pool uses SET ROLE. */
  readonly appDatabaseUrl: string | undefined;
  readonly keyDir: string;
  /**
   * The operation-log checkpoint witness (KRN-34, decision 0120): an append-only file OUTSIDE the data
   * directory and the database.  MAMORI_AUDIT_WITNESS; default <data>-audit-witness.jsonl beside the data
   * directory (./data → ./data-audit-witness.jsonl).  Put it on storage the database owner cannot write.
   */
  readonly auditWitness: string;
  /** Base64 master key from the environment (takes precedence over the key file). */
  readonly masterKeyB64: string | undefined;
  /** Optional file the structured log is appended to (besides stderr). */
  readonly logFile: string | undefined;
  readonly logLevel: string;
  /**
   * The public base URL of this deployment (MAMORI_PUBLIC_URL, e.g. https://mamori.city.example), without a
   * trailing slash.  SMART Health Card issuer URLs are <publicUrl>/issuers/<団体コード> (decision 0074).
   */
  readonly publicUrl: string | undefined;
  /** The one clock (kernel/clock): the system's, or the one MAMORI_CLOCK sets for a rehearsal or a demo. */
  readonly clock: Clock;
  /** A demonstration (`mamori demo`, or MAMORI_DEMO=1): synthetic data only; screens and the verify page say so. */
  readonly demo: boolean;
}

export interface ConfigFlags {
  data?: string | undefined;
}

export function resolveConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): MamoriConfig {
  const dataDir = resolve(flags.data ?? env['MAMORI_DATA'] ?? './data');
  const databaseUrl = nonEmpty(env['DATABASE_URL']);
  return {
    dataDir,
    databaseUrl,
    appDatabaseUrl: nonEmpty(env['MAMORI_APP_DATABASE_URL']),
    keyDir: resolve(nonEmpty(env['MAMORI_KEY_DIR']) ?? join(dataDir, 'keys')),
    auditWitness: resolve(nonEmpty(env['MAMORI_AUDIT_WITNESS']) ?? join(dirname(dataDir), `${basename(dataDir)}-audit-witness.jsonl`)),
    masterKeyB64: nonEmpty(env['MAMORI_MASTER_KEY']),
    logFile: nonEmpty(env['MAMORI_LOG_FILE']),
    logLevel: nonEmpty(env['MAMORI_LOG_LEVEL']) ?? 'info',
    publicUrl: nonEmpty(env['MAMORI_PUBLIC_URL'])?.trim().replace(/\/+$/, ''),
    clock: clockFromSetting(env['MAMORI_CLOCK']),
    demo: env['MAMORI_DEMO'] === '1',
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
