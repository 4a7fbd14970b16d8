// Issue 2 browser acceptance: an administrator logs in (changing the initial password), approves a new
// account applied for through the application form, the new account logs in and finds its own actions
// in the audit viewer.  (KRN-17, KRN-18, KRN-22, KRN-30, KRN-33)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { runAs } from '../../src/kernel/context/index.js';
import { bootstrapAdministrator } from '../../src/kernel/access/index.js';
import { addTenant, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { launch } from '../harness/browser.js';

describe('staff web shell in a browser', () => {
  let app: TestApp;
  let web: TestWeb;
  let browser: Browser;
  let adminPassword: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const r = await runAs(app.db, operatorOf(TOTTORI), (w) => bootstrapAdministrator(w, { loginId: 'admin', fullName: '管理 花子' }));
    adminPassword = r.initialPassword!;
    web = await startWeb(app);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.cleanup();
  });

  it('admin approves a new account, which then finds its own actions in the audit viewer', async () => {
    const admin = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await admin.goto(`${web.url}/login`);
    await admin.fill('#f-tenant', TOTTORI);
    await admin.fill('#f-loginId', 'admin');
    await admin.fill('#f-password', adminPassword);
    await admin.click('button:has-text("ログイン")');
    // The initial password must be changed first (KRN-22).
    await admin.waitForURL(/\/password$/);
    await admin.fill('#f-currentPassword', adminPassword);
    await admin.fill('#f-newPassword', 'Kanri-Hanako-2026!');
    await admin.fill('#f-newPasswordConfirm', 'Kanri-Hanako-2026!');
    await admin.click('button:has-text("変更する")');
    await admin.waitForURL(`${web.url}/`);
    expect(await admin.textContent('.notice')).toContain('パスワードを変更しました');

    // The newcomer applies for an account (KRN-18).
    const newcomer = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await newcomer.goto(`${web.url}/apply`);
    await newcomer.fill('#f-tenant', TOTTORI);
    await newcomer.fill('#f-fullName', '監査 太郎');
    await newcomer.fill('#f-department', '総務部 情報政策課');
    await newcomer.selectOption('#f-requestedRole', 'auditor');
    await newcomer.check('input[name="requestedDuties"][value="audit-review"]');
    await newcomer.fill('#f-reason', '操作ログの定期確認のため');
    await newcomer.fill('#f-loginId', 'kansa.taro');
    await newcomer.fill('#f-password', 'Kansa-Taro-2026!');
    await newcomer.fill('#f-passwordConfirm', 'Kansa-Taro-2026!');
    await newcomer.click('button:has-text("申請する")');
    await expect.poll(() => newcomer.textContent('h1')).toContain('申請を受け付けました');

    // Before approval the newcomer cannot log in.
    await newcomer.goto(`${web.url}/login`);
    await newcomer.fill('#f-tenant', TOTTORI);
    await newcomer.fill('#f-loginId', 'kansa.taro');
    await newcomer.fill('#f-password', 'Kansa-Taro-2026!');
    await newcomer.click('button:has-text("ログイン")');
    expect(await newcomer.textContent('.error-summary')).toContain('まだ承認されていません');

    // The administrator approves it as an auditor (audit-review duty).
    await admin.goto(`${web.url}/admin/accounts?status=applied`);
    await admin.click('a:has-text("kansa.taro")');
    await admin.selectOption('#f-role', 'auditor');
    for (const box of await admin.$$('input[name="duties"]')) {
      if ((await box.getAttribute('value')) === 'audit-review') await box.check();
      else await box.uncheck();
    }
    await admin.click('button:has-text("承認して発行する")');
    await expect.poll(() => admin.textContent('.notice')).toContain('承認し、アカウントを発行しました');
    expect(await admin.textContent('main')).toContain('監査担当');

    // The newcomer logs in and finds its own login in the audit viewer (KRN-30, KRN-33).
    await newcomer.fill('#f-tenant', TOTTORI);
    await newcomer.fill('#f-loginId', 'kansa.taro');
    await newcomer.fill('#f-password', 'Kansa-Taro-2026!');
    await newcomer.click('button:has-text("ログイン")');
    await newcomer.waitForURL(`${web.url}/`);
    await newcomer.click('nav >> text=操作ログ');
    await newcomer.waitForURL(/\/audit/);
    await newcomer.fill('#f-actor', 'kansa.taro');
    await newcomer.click('button:has-text("検索")');
    const rows = await newcomer.$$eval('table tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(rows.some((r) => r.includes('kansa.taro') && r.includes('ログイン'))).toBe(true);
    // …and the administrator's approval of this account is in the same log.
    await newcomer.fill('#f-actor', 'admin');
    await newcomer.selectOption('#f-action', 'account_approve');
    await newcomer.click('button:has-text("検索")');
    const approvals = await newcomer.$$eval('table tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(approvals.length).toBe(1);
    await newcomer.screenshot({ path: '.test-output/audit-viewer.png', fullPage: true });
  });
});
