// KRN-34: tampering raises an alert without anyone running `mamori audit verify` (decision 0115).  The
// maintenance job verifies every chain; a row altered by the database owner opens an alert that
// administrators and auditors see on every staff page and on the audit viewer until an auditor acknowledges
// it with a reason (logged); a clerk never sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs } from '../../src/kernel/context/index.js';
import { acknowledgeAuditAlert, appendEntry, openAuditAlerts, sealPending } from '../../src/kernel/audit/index.js';
import { runMaintenance } from '../../src/app/index.js';
import { addTenant, GOOD_PASSWORD, staff, testApp, TOTTORI, SENDAI, type TestApp } from '../harness/app.js';
import { asRogueDba, auditRows } from '../harness/sql.js';
import { PageClient, startWeb, type TestWeb } from '../harness/web.js';

describe('scheduled operation-log verification and alerts (KRN-34)', () => {
  let app: TestApp;
  let web: TestWeb;
  const auditor = new PageClient('');
  const admin = new PageClient('');
  const clerk = new PageClient('');

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    const c = await staff(app, TOTTORI, { login: 'al-clerk' });
    await staff(app, TOTTORI, { login: 'al-auditor', role: 'auditor' });
    await staff(app, TOTTORI, { login: 'al-admin', role: 'admin' });
    await runAs(app.db, c.principal, async (w) => {
      for (let i = 1; i <= 5; i++) await appendEntry(w.tx, w, { action: 'read', targetType: 'person', targetId: `p-${i}`, purpose: `照会 ${i}` });
    });
    await sealPending(app.db.system, app.auditKeys);
    web = await startWeb(app);
    for (const [client, login] of [[auditor, 'al-auditor'], [admin, 'al-admin'], [clerk, 'al-clerk']] as const) {
      Object.assign(client, new PageClient(web.url));
      await client.login(TOTTORI, login, GOOD_PASSWORD);
    }
  });
  afterAll(async () => {
    await web?.close();
    await app?.close();
  });

  it('an intact log: the maintenance run records a good verification and raises nothing', async () => {
    await runMaintenance(app);
    expect(await openAuditAlerts(app.db.system, TOTTORI)).toEqual([]);
    const page = await auditor.get('/audit');
    expect(page.text).toContain('最終検証');
    expect(page.text).toMatch(/正常（\d+件）/);
    expect(page.text).not.toContain('改ざんを検知しました');
  });

  it('a row altered by the database owner: the maintenance run opens one alert, shown to the auditor and the administrator on every page, not to a clerk', async () => {
    const seq = (await sql<{ seq: number }>`SELECT seq FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND seq IS NOT NULL AND action = 'read' ORDER BY seq LIMIT 1 OFFSET 2`.execute(app.db.system)).rows[0]!.seq;
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_log SET purpose = '改ざん' WHERE tenant_code = ${TOTTORI} AND seq = ${seq}`.execute(tx));
    await runMaintenance(app);
    const open = await openAuditAlerts(app.db.system, TOTTORI);
    expect(open).toHaveLength(1);
    expect(open[0]!.kind).toBe('hash-mismatch');
    expect(open[0]!.seq).toBe(Number(seq));
    expect(open[0]!.message).toContain(`seq ${seq}`);
    expect(await openAuditAlerts(app.db.system, SENDAI)).toEqual([]); // the other tenant's chain is intact

    // The next hour finds the same broken entry: still one alert, seen again.
    await runMaintenance(app);
    expect(await openAuditAlerts(app.db.system, TOTTORI)).toHaveLength(1);
    expect((await auditRows(app, TOTTORI)).filter((r) => r.action === 'audit_alert')).toHaveLength(1);

    for (const c of [auditor, admin]) {
      for (const path of ['/', '/account']) {
        const p = await c.get(path);
        expect(p.status).toBe(200);
        expect(p.text).toContain('操作ログの改ざんを検知しました（1件未確認）');
        expect(p.text).toContain(`seq ${seq}`);
      }
    }
    const home = await clerk.get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('改ざんを検知');
    const viewer = await auditor.get('/audit');
    expect(viewer.text).toContain('確認済みにする');
    expect(viewer.text).toContain('不正を検出');
  });

  it('only an auditor acknowledges, and only with a reason; the acknowledgement is logged and clears the banner', async () => {
    const [alert] = await openAuditAlerts(app.db.system, TOTTORI);
    const adminPage = await admin.get('/audit');
    expect(adminPage.text).not.toContain('確認済みにする');
    const refused = await admin.post(`/audit/alerts/${alert!.id}/ack`, { _csrf: PageClient.csrf(adminPage.text), reason: '見ました' });
    expect(refused.status).toBe(403);

    const page = await auditor.get('/audit');
    const empty = await auditor.post(`/audit/alerts/${alert!.id}/ack`, { _csrf: PageClient.csrf(page.text), reason: '' });
    expect(empty.status).toBe(400);
    expect(await openAuditAlerts(app.db.system, TOTTORI)).toHaveLength(1);

    const page2 = await auditor.get('/audit');
    const ok = await auditor.post(`/audit/alerts/${alert!.id}/ack`, { _csrf: PageClient.csrf(page2.text), reason: 'DB管理者の作業記録と照合し、不正な更新として情報セキュリティ責任者に報告した' });
    expect(ok.status).toBe(302);
    expect(await openAuditAlerts(app.db.system, TOTTORI)).toEqual([]);
    const after = await auditor.get('/');
    expect(after.text).not.toContain('改ざんを検知しました');
    const acks = (await auditRows(app, TOTTORI)).filter((r) => r.action === 'audit_alert_ack');
    expect(acks).toHaveLength(1);
    expect(acks[0]!.actor_login).toBe('al-auditor');
    expect(acks[0]!.purpose).toContain('情報セキュリティ責任者に報告');
    const viewer = await auditor.get('/audit');
    expect(viewer.text).toContain('情報セキュリティ責任者に報告'); // the acknowledged alert stays listed

    // The same broken entry found again does not reopen it; a second acknowledgement is refused.
    await runMaintenance(app);
    expect(await openAuditAlerts(app.db.system, TOTTORI)).toEqual([]);
    const a = await staff(app, TOTTORI, { login: 'al-auditor2', role: 'auditor' });
    await expect(runAs(app.db, a.principal, (w) => acknowledgeAuditAlert(w, alert!.id, '再確認'))).rejects.toThrow(/確認済み/);
  });
});
