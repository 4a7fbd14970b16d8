// KRN-47 (decision 0117): the roster of named handlers of 特定個人情報 (取扱者名簿) derived from the accounts —
// screen and CSV for the account administrator, logged — and requests to a contractor company for its
// handling logs, with due date, overdue flag and receipt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { handlerRoster, handlerRosterCsv, listContractorLogRequests, receiveContractorLogs, requestContractorLogs, revokeAccount } from '../../src/kernel/access/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { addTenant, GOOD_PASSWORD, staff, testApp, TOTTORI, SENDAI, type TestApp } from '../harness/app.js';
import { auditRows } from '../harness/sql.js';
import { expectProblem } from '../harness/expect.js';
import { PageClient, startWeb, type TestWeb } from '../harness/web.js';

describe('handler roster and contractor log requests (KRN-47)', () => {
  let app: TestApp;
  let web: TestWeb;
  let admin: Principal;
  let clerk: Principal;
  const page = new PageClient('');
  let today: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    today = app.config.clock.today();
    admin = (await staff(app, TOTTORI, { login: 'hr-admin', role: 'admin' })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'hr-vax', duties: ['vaccination'] })).principal; // no My Number: not on the roster
    await staff(app, TOTTORI, { login: 'hr-atena', duties: ['addressee'] });
    await staff(app, TOTTORI, { login: 'hr-viewer', role: 'viewer', duties: ['vaccination'], mynumberView: true });
    await staff(app, TOTTORI, { login: 'hr-chief', role: 'supervisor', duties: ['addressee'], mynumberView: true });
    await staff(app, TOTTORI, { login: 'hr-print', kind: 'contractor', duties: ['vaccination'] });
    const gone = await staff(app, TOTTORI, { login: 'hr-gone', duties: ['addressee'] });
    await runAs(app.db, admin, (w) => revokeAccount(w, gone.account.id, { cause: 'transfer', reason: '人事異動' }));
    await staff(app, SENDAI, { login: 'sd-atena', duties: ['addressee'] });
    web = await startWeb(app);
    Object.assign(page, new PageClient(web.url));
    await page.login(TOTTORI, 'hr-admin', GOOD_PASSWORD);
  });
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  it('lists exactly the live accounts that may handle 特定個人情報, with 取扱責任者 and 事務取扱担当者, and logs the view', async () => {
    const roster = await runAs(app.db, admin, (w) => handlerRoster(w));
    const byLogin = new Map(roster.map((e) => [e.account.loginId, e]));
    expect([...byLogin.keys()].sort()).toEqual(['hr-atena', 'hr-chief', 'hr-print', 'hr-viewer']);
    expect(byLogin.get('hr-chief')).toMatchObject({ handlerClass: '取扱責任者', grounds: ['mynumber-view', 'mynumber-duty'] });
    expect(byLogin.get('hr-atena')).toMatchObject({ handlerClass: '事務取扱担当者', grounds: ['mynumber-duty'] });
    expect(byLogin.get('hr-viewer')).toMatchObject({ grounds: ['mynumber-view'] });
    expect(byLogin.get('hr-print')).toMatchObject({ grounds: ['contractor'] });
    expect(byLogin.get('hr-print')!.account.contractorCompany).toBe('株式会社テスト');
    expect((await auditRows(app, TOTTORI, { action: 'read', actor_login: 'hr-admin' })).some((r) => r.target_type === 'handler-roster')).toBe(true);
    await expectProblem(runAs(app.db, clerk, (w) => handlerRoster(w)), { status: 403 });
  });

  it('exports the roster as CSV (no secrets, formula-safe) and shows it on the screen', async () => {
    // A name a spreadsheet would run as a formula is written as text (decision 0121).
    await sql`UPDATE kernel.accounts SET full_name = ${'\u3000@SUM(A1)'}, department = ${'\t=1+1'} WHERE tenant_code = ${TOTTORI} AND login_id = 'hr-viewer'`.execute(app.db.system);
    const formulaSafe = await runAs(app.db, admin, (w) => handlerRosterCsv(w));
    expect(formulaSafe).toContain(`,'\u3000@SUM(A1),hr-viewer,'\t=1+1,`);
    await sql`UPDATE kernel.accounts SET full_name = 'テスト hr-viewer', department = NULL WHERE tenant_code = ${TOTTORI} AND login_id = 'hr-viewer'`.execute(app.db.system);
    const csv = await runAs(app.db, admin, (w) => handlerRosterCsv(w));
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toContain('取扱区分,種別,委託先事業者');
    expect(lines).toHaveLength(5);
    expect(csv).toContain('取扱責任者,職員,,,テスト hr-chief,hr-chief');
    expect(csv).not.toMatch(/password|hash|totp/i);
    expect((await auditRows(app, TOTTORI, { action: 'export', actor_login: 'hr-admin' })).some((r) => r.target_type === 'handler-roster')).toBe(true);
    const p = await page.get('/admin/handlers');
    expect(p.status).toBe(200);
    for (const s of ['取扱者名簿（4名）', 'hr-chief', '株式会社テスト', '委託先従事者']) expect(p.text).toContain(s);
    expect(p.text).not.toContain('hr-gone');
    const dl = await page.get('/admin/handlers.csv');
    expect(dl.status).toBe(200);
    expect(dl.res.headers.get('content-type')).toContain('text/csv');
  });

  it('records a log request to a contractor with period and due date, flags it overdue, and records the receipt (logged)', async () => {
    await expectProblem(runAs(app.db, admin, (w) => requestContractorLogs(w, { company: '株式会社ほか', periodFrom: addDaysIso(today, -30), periodTo: today, dueOn: addDaysIso(today, 14) })), { status: 400, field: 'company', code: 'CONTRACTOR_UNKNOWN' });
    await expectProblem(runAs(app.db, admin, (w) => requestContractorLogs(w, { company: '株式会社テスト', periodFrom: today, periodTo: addDaysIso(today, -1), dueOn: addDaysIso(today, 14) })), { status: 400, field: 'periodTo' });
    await expectProblem(runAs(app.db, clerk, (w) => requestContractorLogs(w, { company: '株式会社テスト', periodFrom: addDaysIso(today, -30), periodTo: today, dueOn: addDaysIso(today, 14) })), { status: 403 });

    // Through the screen.
    const form = await page.get('/admin/handlers');
    const posted = await page.post('/admin/handlers/requests', { _csrf: PageClient.csrf(form.text), company: '株式会社テスト', periodFrom: addDaysIso(today, -90), periodTo: addDaysIso(today, -1), dueOn: addDaysIso(today, 14), note: '四半期分の取扱記録' });
    expect(posted.status).toBe(302);
    const [req] = await runAs(app.db, admin, (w) => listContractorLogRequests(w));
    expect(req).toMatchObject({ company: '株式会社テスト', status: 'requested', requestedOn: today, dueOn: addDaysIso(today, 14), overdue: false, requestedBy: 'hr-admin' });
    expect((await auditRows(app, TOTTORI, { action: 'contractor_log_request' }))).toHaveLength(1);

    // Past the due date it is overdue (the kernel clock moves on).
    const clock = app.config.clock as unknown as { set(at: Date): void; now(): Date };
    const start = clock.now();
    clock.set(new Date(start.getTime() + 20 * 86400_000));
    try {
      const [late] = await runAs(app.db, admin, (w) => listContractorLogRequests(w));
      expect(late!.overdue).toBe(true);
      const later = app.config.clock.today();
      await expectProblem(runAs(app.db, admin, (w) => receiveContractorLogs(w, req!.id, { receivedOn: addDaysIso(later, 1) })), { status: 400, field: 'receivedOn' });
      const got = await runAs(app.db, admin, (w) => receiveContractorLogs(w, req!.id, { receivedOn: later, note: 'CD-R 1枚で受領、内容確認済み' }));
      expect(got).toMatchObject({ status: 'received', receivedOn: later, receivedBy: 'hr-admin', overdue: false });
      await expectProblem(runAs(app.db, admin, (w) => receiveContractorLogs(w, req!.id, { receivedOn: later })), { status: 409 });
      expect((await auditRows(app, TOTTORI, { action: 'contractor_log_receive' }))).toHaveLength(1);
    } finally {
      clock.set(start); // (the page session would have timed out 20 days later)
    }
    const after = await page.get('/admin/handlers');
    expect(after.text).toContain('受領済み');
    expect(after.text).toContain('CD-R 1枚で受領');
  });
});
