// The kernel's services, opened together: database (migrated), keys, vault, audit signing, retention.
import type { MamoriConfig } from '../config/index.js';
import { openDatabase, migrate, rlsCanary, kernelMigrations, type MamoriDb, type MigrationSource, type AppliedMigration } from '../db/index.js';
import { AuditKeys, LocalKeyring, TenantKeyService } from '../crypto/index.js';
import { Vault } from '../vault/index.js';
import { Retention } from '../retention/index.js';
import { logger } from '../log/index.js';
import { AuditTrust, AuditWitness, closeAuditWriter } from '../audit/index.js';
import { relative, isAbsolute } from 'node:path';
import { isProblem, Problem } from '../problems/index.js';

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
    // KRN-01 (decision 0123): refuse to start unless one tenant's query sees no other tenant's rows.
    // A store not yet migrated (a restore into an empty store opens without migrating) has no canary yet.
    await rlsCanaryOrRefuse(db, opts.migrate === false);
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

async function rlsCanaryOrRefuse(db: MamoriDb, skipIfMissing: boolean): Promise<void> {
  try {
    const r = await rlsCanary(db.app, { skipIfMissing });
    if (r === 'skipped') logger().warn('RLS canary skipped: the store has no kernel.rls_canary table yet (not migrated)');
  } catch (e) {
    if (isProblem(e)) throw e;
    throw new Problem(
      500,
      'RLS_CANARY_FAILED',
      '団体間のデータ分離を確認できないため起動を中止しました',
      `行レベルセキュリティの確認（kernel.rls_canary）が失敗しました: ${(e as { code?: string }).code ?? ''} / Refusing to start: the row-level security canary failed (${(e as Error).message}).`,
    );
  }
}
