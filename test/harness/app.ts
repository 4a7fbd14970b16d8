// Per-test Mamori instances on a fresh database: a clone of the migrated template on the run's
// PostgreSQL server, or a copy of the migrated PGlite template for the embedded mode.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { openApp, type App } from '../../src/app/index.js';
import { resolveConfig, type MamoriConfig } from '../../src/kernel/config/index.js';
import { runAs, newMeta, systemActor, type Principal } from '../../src/kernel/context/index.js';
import { addOrganisation } from '../../src/kernel/tenancy/index.js';
import { applyForAccount, approveAccount, actorOf, type AccountView } from '../../src/kernel/access/index.js';
import { configureLogging } from '../../src/kernel/log/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import type { Clock } from '../../src/kernel/clock/index.js';
import { testClock } from './clock.js';

export type Mode = 'server' | 'embedded';

export interface TestApp extends App {
  readonly mode: Mode;
  readonly tmp: string;
  /** Server mode: the database URL (owner). */
  readonly databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

configureLogging({ level: 'info' });

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** The URL of database `db` on the throwaway server (same host, port and socket directory as the admin URL). */
export function serverUrl(db: string): string {
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh migrated database: returns the config to open it (and a cleanup). */
export async function freshConfig(mode: Mode, clock: Clock = testClock()): Promise<{ config: MamoriConfig; tmp: string; dbName?: string; drop: () => Promise<void> }> {
  const tmp = mkdtempSync(join(tmpdir(), 'mamori-test-'));
  if (mode === 'embedded') {
    cpSync(inject('pgliteTemplate'), join(tmp, 'data'), { recursive: true });
    rmSync(join(tmp, 'data', 'mamori.lock'), { force: true });
    const config = { ...resolveConfig({ data: join(tmp, 'data') }, { MAMORI_LOG_LEVEL: 'info' }), clock };
    return { config, tmp, drop: async () => rmSync(tmp, { recursive: true, force: true }) };
  }
  const dbName = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${dbName} TEMPLATE ${inject('pgTemplateDb')}`);
  const config = { ...resolveConfig({ data: join(tmp, 'data') }, { DATABASE_URL: serverUrl(dbName), MAMORI_LOG_LEVEL: 'info' }), clock };
  return {
    config,
    tmp,
    dbName,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** A fresh app; its clock is the suite's (TEST_NOW, running on) unless the test passes one. */
export async function testApp(mode: Mode = 'server', opts: { clock?: Clock } = {}): Promise<TestApp> {
  const f = await freshConfig(mode, opts.clock);
  const app = await openApp(f.config);
  return Object.assign(app, {
    mode,
    tmp: f.tmp,
    databaseUrl: f.config.databaseUrl,
    async cleanup() {
      await app.close();
      await f.drop();
    },
  });
}

export function operatorOf(tenant: string): Principal {
  return { tenant, actor: systemActor('test-operator'), meta: newMeta('test') };
}

/** Real-format municipality codes with valid check digits. */
export const TOTTORI = '312011';
export const SENDAI = '041009';
export const EDOGAWA = '131237';

export async function addTenant(app: App, code: string, name: string): Promise<string> {
  await addOrganisation(app.db.system, app.tenantKeys, { code, name });
  return code;
}

export interface StaffOptions {
  login: string;
  role?: string;
  duties?: string[];
  mynumberView?: boolean;
  kind?: 'staff' | 'contractor';
  password?: string;
  expiresOn?: string;
}

export const GOOD_PASSWORD = 'Mamori-Test-2026!';

/** An approved account created through the real application/approval flow; returns its principal. */
export async function staff(app: App, tenant: string, o: StaffOptions): Promise<{ principal: Principal; account: AccountView; password: string }> {
  const password = o.password ?? GOOD_PASSWORD;
  const role = o.role ?? 'clerk';
  const duties = o.duties ?? (role === 'admin' ? ['account-admin'] : role === 'auditor' ? ['audit-review'] : ['vaccination']);
  const account = await runAs(app.db, operatorOf(tenant), async (w) => {
    const a = await applyForAccount(w, {
      loginId: o.login,
      fullName: `テスト ${o.login}`,
      kind: o.kind ?? 'staff',
      requestedRole: role,
      requestedDuties: duties,
      reason: 'テスト用',
      password,
      ...(o.kind === 'contractor' ? { contractorCompany: '株式会社テスト', contractEnd: addDaysIso(w.clock.today(), 400) } : {}),
    });
    const r = await approveAccount(w, a.id, { role, duties, mynumberView: o.mynumberView ?? false, expiresOn: o.expiresOn ?? addDaysIso(w.clock.today(), 365) });
    return r.account;
  });
  const actor = actorOf({
    kind: account.kind, id: account.id, login_id: account.loginId, role: account.role, duties: account.duties, mynumber_view: account.mynumberView,
  } as Parameters<typeof actorOf>[0]);
  return { principal: { tenant, actor, meta: newMeta('test', { clientAddress: '127.0.0.1', terminalId: 'test-terminal' }) }, account, password };
}
