// KRN-01, KRN-04, KRN-05: tenant separation by Row-Level Security, proven by queries that forget
// the tenant filter on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs } from '../../src/kernel/context/index.js';
import { addTenant, staff, testApp, TOTTORI, SENDAI, type Mode, type TestApp } from '../harness/app.js';

describe.each<Mode>(['server', 'embedded'])('tenancy (%s)', (mode) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    await staff(app, TOTTORI, { login: 'tottori-clerk' });
    await staff(app, SENDAI, { login: 'sendai-clerk' });
  });
  afterAll(async () => app.cleanup());

  it('a query without any tenant filter sees only its own tenant', async () => {
    const p = (await staff(app, TOTTORI, { login: 'tottori-2' })).principal;
    const rows = await runAs(app.db, p, (w) => sql<{ tenant_code: string; login_id: string }>`SELECT tenant_code, login_id FROM kernel.accounts`.execute(w.tx));
    expect(rows.rows.length).toBeGreaterThan(0);
    expect(new Set(rows.rows.map((r) => r.tenant_code))).toEqual(new Set([TOTTORI]));
    const all = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts`.execute(app.db.system);
    expect(all.rows[0]!.n).toBeGreaterThan(rows.rows.length);
  });

  it('the application role sees nothing when no tenant is set', async () => {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts`.execute(app.db.app);
    expect(r.rows[0]!.n).toBe(0);
  });

  it('cannot write a row into another tenant', async () => {
    const p = (await staff(app, TOTTORI, { login: 'tottori-3' })).principal;
    await expect(
      runAs(app.db, p, (w) => sql`INSERT INTO kernel.retention_policies (tenant_code, data_class, mode, deletion, updated_by) VALUES (${SENDAI}, 'sessions', 'permanent', 'physical', 'x')`.execute(w.tx)),
    ).rejects.toThrow(/row-level security/);
  });

  it('cannot delete another tenant\'s rows (KRN-05)', async () => {
    const p = (await staff(app, TOTTORI, { login: 'tottori-4' })).principal;
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.password_history WHERE tenant_code = ${SENDAI}`.execute(app.db.system);
    expect(before.rows[0]!.n).toBeGreaterThan(0);
    const r = await runAs(app.db, p, (w) => sql`DELETE FROM kernel.password_history WHERE tenant_code = ${SENDAI}`.execute(w.tx));
    expect(Number(r.numAffectedRows)).toBe(0);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.password_history WHERE tenant_code = ${SENDAI}`.execute(app.db.system);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('the application role is not the owner and cannot bypass RLS', async () => {
    const r = await runAs(app.db, (await staff(app, TOTTORI, { login: 'tottori-5' })).principal, (w) =>
      sql<{ u: string; super: boolean; bypass: boolean }>`SELECT current_user AS u, rolsuper AS super, rolbypassrls AS bypass FROM pg_roles WHERE rolname = current_user`.execute(w.tx),
    );
    expect(r.rows[0]).toEqual({ u: 'mamori_app', super: false, bypass: false });
  });
});

describe('audit columns on every personal-data row (KRN-32)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
  });
  afterAll(async () => app.cleanup());

  it('creator and last updater, with time, terminal and program, are stamped by the database', async () => {
    const admin = (await staff(app, TOTTORI, { login: 'stamp-admin', role: 'admin' })).principal;
    const clerk = await staff(app, TOTTORI, { login: 'stamp-clerk' });
    const { changeGrants } = await import('../../src/kernel/access/index.js');
    const { addDaysIso } = await import('../../src/kernel/jp/index.js');
    await runAs(app.db, admin, (w) => changeGrants(w, clerk.account.id, { role: 'viewer', duties: ['vaccination'], expiresOn: addDaysIso(app.config.clock.today(), 30), reason: '異動に伴う変更' }));
    const row = await app.db.system.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', TOTTORI).where('id', '=', clerk.account.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ created_by: 'system:test-operator', created_program: 'test', updated_by: 'stamp-admin', updated_terminal: 'test-terminal', updated_program: 'test' });
    expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());
    // An attempt to forge the creator on update is overridden.
    await runAs(app.db, admin, (w) => w.tx.updateTable('kernel.accounts').set({ created_by: 'someone-else', department: '保健予防課' }).where('id', '=', clerk.account.id).execute());
    const again = await app.db.system.selectFrom('kernel.accounts').select(['created_by', 'updated_by']).where('id', '=', clerk.account.id).executeTakeFirstOrThrow();
    expect(again).toEqual({ created_by: 'system:test-operator', updated_by: 'stamp-admin' });
  });
});
