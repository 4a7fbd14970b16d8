// Opening the one database: embedded PGlite under <data>/pg, or a PostgreSQL server from DATABASE_URL.
//
// Two Kysely instances share the store:
//   app    — runs as the non-owner role `mamori_app`; Row-Level Security applies; tenant set per transaction.
//   system — runs as the owner; used only for migrations, audit sealing, retention purges and backups.
// Value parsing is identical in both modes: int8 → number, date → 'YYYY-MM-DD' string, numeric → string,
// bytea → Buffer, timestamptz → Date.
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { MamoriConfig } from '../config/index.js';
import { Problem } from '../problems/index.js';
import { logger } from '../log/index.js';
import { Mutex, PGliteDialect, type PGliteShared } from './pglite-dialect.js';
import type { Database } from './types.js';
import { APP_ROLE, checkAppRole } from './failclosed.js';
import type { UntypedDatabase } from './types.js';

export { APP_ROLE };

export interface MamoriDb {
  readonly kind: 'embedded' | 'server';
  /** Non-owner application role: RLS applies. */
  readonly app: Kysely<Database>;
  /** Owner role: migrations, sealing, purge, backup. */
  readonly system: Kysely<Database>;
  readonly config: MamoriConfig;
  /**
   * A connection pool running as another organisation's role (wave 2: each node has its own schema and
   * role, decision 0134).  The role must exist (its node's migration creates it) and must be neither
   * superuser nor BYPASSRLS; one pool per role, closed with the store.
   */
  /**
   * The database as a node's own role (decision 0134).  `pool`: the node's connection pool on a server (default
   * 8, or MAMORI_NODE_DB_POOL for every node); the first call for a role decides it.
   */
  forRole(role: string, opts?: { pool?: number }): Promise<Kysely<UntypedDatabase>>;
  close(): Promise<void>;
}

const ROLE_NAME = /^mamori_[a-z0-9_]{1,40}$/;

function checkRoleName(role: string): void {
  if (!ROLE_NAME.test(role)) throw new Error(`invalid node role name: ${role}`);
}

async function checkNodeRole(db: Kysely<UntypedDatabase>, role: string): Promise<void> {
  const r = await sql<{ u: string; sup: boolean; bypass: boolean }>`
    SELECT current_user::text AS u, r.rolsuper AS sup, r.rolbypassrls AS bypass FROM pg_roles r WHERE r.rolname = current_user`.execute(db);
  const row = r.rows[0];
  if (!row || row.u !== role || row.sup || row.bypass) {
    throw new Problem(500, 'DB_NODE_ROLE', 'データベースの組織用ロールに切り替えられません', `組織のロール ${role} で接続できないため起動を中止しました（${row ? row.u : '不明'} で動いています）。`);
  }
}

const OID = { int8: 20, date: 1082, bytea: 17, numeric: 1700 } as const;

function parseByteaText(v: string): Buffer {
  return v.startsWith('\\x') ? Buffer.from(v.slice(2), 'hex') : Buffer.from(v, 'binary');
}

export async function openDatabase(config: MamoriConfig): Promise<MamoriDb> {
  return config.databaseUrl ? openServer(config, config.databaseUrl) : openEmbedded(config);
}

// ---------------------------------------------------------------- embedded

async function openEmbedded(config: MamoriConfig): Promise<MamoriDb> {
  mkdirSync(config.dataDir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = new PGlite(join(config.dataDir, 'pg'), {
      parsers: {
        [OID.int8]: (v: string) => Number(v),
        [OID.date]: (v: string) => v,
        [OID.bytea]: parseByteaText,
        [OID.numeric]: (v: string) => v,
      },
    });
    await pglite.waitReady;
    const shared: PGliteShared = { pg: pglite, mutex: new Mutex(), currentRole: null };
    await ensureAppRole(new Kysely<Database>({ dialect: new PGliteDialect(shared, null) }));
    const app = new Kysely<Database>({ dialect: new PGliteDialect(shared, APP_ROLE) });
    const system = new Kysely<Database>({ dialect: new PGliteDialect(shared, null) });
    await checkAppRole(app, true, 'postgres');
    let closed = false;
    const roles = new Map<string, Kysely<UntypedDatabase>>();
    return {
      kind: 'embedded',
      app,
      system,
      config,
      async forRole(role) {
        checkRoleName(role);
        let k = roles.get(role);
        if (!k) {
          k = new Kysely<UntypedDatabase>({ dialect: new PGliteDialect(shared, role) });
          await checkNodeRole(k, role);
          roles.set(role, k);
        }
        return k;
      },
      async close() {
        if (closed) return;
        closed = true;
        const release = await shared.mutex.lock();
        try {
          await pglite.close();
        } finally {
          release();
          unlock();
        }
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}

/** One process at a time may open an embedded store (PGlite is single-process). */
function lockDataDir(dir: string): () => void {
  const path = join(dir, 'mamori.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Problem(
          409,
          'DATA_DIR_IN_USE',
          'データディレクトリは使用中です',
          `${dir} は別のプロセス（PID ${pid}）が使用しています。そのプロセスを終了するか、DATABASE_URL でサーバーを指定してください。`,
        );
      }
      rmSync(path, { force: true }); // stale lock of a process that died (e.g. kill -9)
    }
  }
  throw new Problem(409, 'DATA_DIR_IN_USE', 'データディレクトリは使用中です', `${dir} をロックできません。`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------- server

function serverTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === OID.int8) return (v: string) => Number(v);
      if (oid === OID.date) return (v: string) => v;
      if (oid === OID.numeric) return (v: string) => v;
      return pg.types.getTypeParser(oid, format ?? 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

async function openServer(config: MamoriConfig, url: string): Promise<MamoriDb> {
  const systemPool = new pg.Pool({ connectionString: url, types: serverTypes(), max: 4, application_name: 'mamori-system' });
  systemPool.on('error', poolError('system'));
  const system = new Kysely<Database>({ dialect: new PostgresDialect({ pool: systemPool, cursor: Cursor }) });
  try {
    const v = await sql<{ v: number }>`select current_setting('server_version_num')::int as v`.execute(system);
    if ((v.rows[0]?.v ?? 0) < 150000) {
      throw new Problem(500, 'DB_VERSION', 'PostgreSQL のバージョンが古すぎます', 'PostgreSQL 15 以上が必要です。');
    }
    await ensureAppRole(system);
  } catch (e) {
    await systemPool.end();
    if (e instanceof Problem) throw e;
    throw new Problem(503, 'DB_UNAVAILABLE', 'データベースに接続できません', `DATABASE_URL のサーバーに接続できません（${(e as Error).message}）。`);
  }
  const appPool = new pg.Pool({
    connectionString: config.appDatabaseUrl ?? url,
    types: serverTypes(),
    max: Number(process.env['MAMORI_DB_POOL'] ?? 16),
    application_name: 'mamori-app',
    // Same login as the owner, but every app connection asks for the non-owner role in its startup
    // packet: a login that may not become mamori_app cannot connect at all, so the app never runs as
    // the owner (which RLS does not confine).  Decision 0123.
    ...(config.appDatabaseUrl ? {} : { options: `-c role=${APP_ROLE}` }),
  });
  appPool.on('error', poolError('app'));
  const app = new Kysely<Database>({ dialect: new PostgresDialect({ pool: appPool, cursor: Cursor }) });
  try {
    await checkAppRole(app, !config.appDatabaseUrl, loginOf(config.appDatabaseUrl ?? url));
  } catch (e) {
    await app.destroy();
    await system.destroy();
    throw e;
  }
  const roles = new Map<string, Promise<Kysely<UntypedDatabase>>>();
  return {
    kind: 'server',
    app,
    system,
    config,
    forRole(role, opts) {
      checkRoleName(role);
      let k = roles.get(role);
      if (!k) {
        k = (async () => {
          const pool = new pg.Pool({ connectionString: url, types: serverTypes(), max: Number(process.env['MAMORI_NODE_DB_POOL'] ?? opts?.pool ?? 8), application_name: role, options: `-c role=${role}` });
          pool.on('error', poolError(role));
          const db = new Kysely<UntypedDatabase>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
          try {
            await checkNodeRole(db, role);
          } catch (e) {
            await db.destroy();
            throw e;
          }
          return db;
        })();
        roles.set(role, k);
        k.catch(() => roles.delete(role));
      }
      return k;
    },
    async close() {
      for (const k of roles.values()) await k.then((d) => d.destroy(), () => undefined);
      await app.destroy();
      await system.destroy();
    },
  };
}

/** The user name of a connection URL (for messages); PGUSER or the OS user when the URL names none. */
function loginOf(url: string): string {
  try {
    const u = decodeURIComponent(new URL(url).username);
    if (u) return u;
  } catch {
    // not a URL (key=value connection string): fall through
  }
  return process.env['PGUSER'] ?? process.env['USER'] ?? '(unknown)';
}

/**
 * An idle pooled connection that the server ends (restart, pg_terminate_backend, DROP DATABASE … FORCE,
 * or one still closing after `close()`) is reported as a pool 'error' event.  Without a listener Node
 * treats it as unhandled and the whole process dies; the pool has already discarded the connection.
 */
function poolError(pool: string): (e: Error) => void {
  return (e) => logger().warn({ pool, code: (e as { code?: string }).code }, `database connection lost: ${e.message}`);
}

/** The application role exists before any migration grants to it. */
async function ensureAppRole(db: Kysely<Database>): Promise<void> {
  await sql`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_app') THEN
        CREATE ROLE mamori_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    END $$`.execute(db);
}

export function embeddedStoreExists(config: MamoriConfig): boolean {
  return existsSync(join(config.dataDir, 'pg', 'PG_VERSION'));
}
