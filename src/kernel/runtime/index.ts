// The kernel's services, opened together: database (migrated), keys, vault, audit signing, retention.
import type { MamoriConfig } from '../config/index.js';
import { openDatabase, migrate, kernelMigrations, type MamoriDb, type MigrationSource, type AppliedMigration } from '../db/index.js';
import { AuditKeys, LocalKeyring, TenantKeyService } from '../crypto/index.js';
import { Vault } from '../vault/index.js';
import { Retention } from '../retention/index.js';
import { logger } from '../log/index.js';
import { AuditTrust, AuditWitness, closeAuditWriter } from '../audit/index.js';
import { relative, isAbsolute } from 'node:path';

export interface Kernel {
  readonly config: MamoriConfig;
  readonly db: MamoriDb;
  readonly keyring: LocalKeyring;
  readonly tenantKeys: TenantKeyService;
  readonly vault: Vault;
  /** Chain MAC key, checkpoint signing key, witness file and clock of the operation log (KRN-34). */
  readonly auditKeys: AuditTrust;
  readonly retention: Retention;
  readonly migrations: readonly MigrationSource[];
  readonly applied: readonly AppliedMigration[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Every migration folder, the kernel's first (default: the kernel's alone). */
  readonly migrations?: readonly MigrationSource[];
  /** Apply pending migrations on open (default true). */
  readonly migrate?: boolean;
}

export async function openKernel(config: MamoriConfig, opts: OpenOptions = {}): Promise<Kernel> {
  const keyring = LocalKeyring.open(config.keyDir);
  const auditKeys = new AuditTrust(AuditKeys.open(config.keyDir), new AuditWitness(config.auditWitness), config.clock);
  const inside = relative(config.dataDir, config.auditWitness);
  if (!inside.startsWith('..') && !isAbsolute(inside)) {
    logger().warn({ witness: config.auditWitness }, 'the audit witness file is inside the data directory: set MAMORI_AUDIT_WITNESS to a path outside it (KRN-34)');
  }
  const db = await openDatabase(config);
  const sources = opts.migrations ?? [kernelMigrations];
  let applied: AppliedMigration[] = [];
  try {
    if (opts.migrate !== false) applied = await migrate(db.system, sources);
  } catch (e) {
    await db.close();
    throw e;
  }
  if (applied.length) logger().info({ applied: applied.map((m) => `${m.schema}/${m.version}_${m.name}`) }, 'migrations applied');
  const tenantKeys = new TenantKeyService(keyring);
  return {
    config,
    db,
    keyring,
    tenantKeys,
    vault: new Vault(tenantKeys),
    auditKeys,
    retention: new Retention(),
    migrations: sources,
    applied,
    async close() {
      await closeAuditWriter(db);
      await db.close();
    },
  };
}
