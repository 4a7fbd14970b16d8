// Issue 4 browser acceptance: a staff user enters a dose that breaks an interval, sees the warning (live and on
// submit), overrides with a reason, and the record's version history shows it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { runAs } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { launch } from '../harness/browser.js';
import { person, writeCsv } from '../harness/residents.js';

describe('vaccination entry in a browser', () => {
  let app: TestApp;
  let web: TestWeb;
  let browser: Browser;
  let atena: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const nurse = await staff(app, TOTTORI, { login: 'hokenshi', role: 'nurse', duties: ['vaccination'] });
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(mkdtempSync(join(tmpdir(), 'mamori-vb-')), 'r.csv'), 'full', [person(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    await runAs(app.db, nurse.principal, (w) => createRecord(w, atena, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-10', lot: 'AB1234' }, { source: 'staff' }));
    web = await startWeb(app);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.cleanup();
  });

  it('warns about a too-short interval, accepts it only with a reason, and the history shows the reason', async () => {
    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await page.goto(`${web.url}/login`);
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', 'hokenshi');
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${web.url}/`);
    await page.goto(`${web.url}/residents/${atena}/vaccinations`);
    expect(await page.textContent('main')).toContain('Hib感染症');

    await page.selectOption('#f-product', 'dpt-ipv-hib');
    await page.fill('#f-vaccinatedOn', '2025-11-20');
    await page.fill('#f-gs1', '(01)04987123456784(17)271231(10)LOT777');
    // The live check (script) shows the engine's warning before anything is submitted.
    await page.waitForSelector('#live-check:not([hidden])');
    await expect.poll(() => page.textContent('#live-check')).toContain('規則に合いません');

    await page.click('button:has-text("登録する")');
    expect(await page.textContent('.notice--warning')).toContain('接種の規則に合いません');
    expect(await page.isVisible('#f-overrideReason')).toBe(true);
    await page.fill('#f-gs1', '(01)04987123456784(17)271231(10)LOT777');
    await page.fill('#f-overrideReason', '医療機関の誤接種として記録（保護者へ説明済み）');
    await page.click('button:has-text("理由を付けて登録する")');
    await page.waitForURL(/\/vaccinations$/);
    expect(await page.textContent('.notice')).toContain('理由を付けて接種記録を登録しました');
    const rows = await page.$$eval('section:has(h2:text("接種記録")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    const bad = rows.find((r) => r.includes('2025-11-20'))!;
    expect(bad).toContain('警告');
    expect(bad).toContain('LOT777');

    await page.click('tr:has-text("2025-11-20") >> text=詳細・修正');
    const versions = await page.$$eval('section:has(h2:text("版の履歴")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toContain('医療機関の誤接種として記録（保護者へ説明済み）');
    expect(versions[0]).toContain('hokenshi');
    // A correction makes a second version with its reason.
    await page.fill('#f-vaccinatedOn', '2025-12-10');
    await page.selectOption('#f-reasonKind', '母子手帳を元に修正');
    await page.fill('#f-reason', '母子健康手帳の記載で接種日を訂正');
    await page.click('button:has-text("修正する")');
    const after = await page.$$eval('section:has(h2:text("版の履歴")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(after).toHaveLength(2);
    expect(after[1]).toContain('母子手帳を元に修正');
  });
});
