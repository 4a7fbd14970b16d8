// Issue 5 browser acceptance (documents): a staff user runs an extraction on the extraction screen, creates the
// 予診票 from the run page, downloads the PDF (one page per person, read back), reissues one voucher with an
// identity check and a reason, and sees the print history with the voided number and the reissue.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { runAs } from '../../src/kernel/context/index.js';
import { saveNoticeSettings } from '../../src/municipality/notices/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { launch } from '../harness/browser.js';
import { norm, readText } from '../municipality/documents/read-pdf.js';
import { buildTown, SETTINGS, TOWN, type Town } from '../municipality/notices/fixtures.js';

describe('notices in a browser', () => {
  let app: TestApp;
  let web: TestWeb;
  let browser: Browser;
  let town: Town;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-nb-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const nurse = await staff(app, TOTTORI, { login: 'hokenshi', role: 'nurse', duties: ['vaccination'] });
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    await runAs(app.db, nurse.principal, (w) => saveNoticeSettings(w, SETTINGS));
    web = await startWeb(app);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an extraction, creates the documents, downloads the PDF, reissues one voucher and sees the print history', async () => {
    const page = await (await browser.newContext({ locale: 'ja-JP', acceptDownloads: true })).newPage();
    await page.goto(`${web.url}/login`);
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', 'hokenshi');
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${web.url}/`);

    // 1. The extraction, on the extraction screen.
    await page.click('nav >> text=対象者の抽出');
    await page.fill('#f-asOf', '2026-11-21');
    await page.check('input[name="programs"][value="hib"]');
    await page.click('main form[action="/extractions"] button[type="submit"]');
    await page.waitForURL(/\/extractions\/[0-9a-f-]{36}$/);
    for (let i = 0; i < 50 && !(await page.textContent('main'))!.includes('通知書を作成'); i++) {
      await page.waitForTimeout(200);
      await page.reload();
    }

    // 2. 「通知書を作成」 on the run page: the 予診票 for every member.
    const section = page.locator('section:has(h2:text("通知書を作成"))');
    await section.locator('select[name="docType"]').selectOption('questionnaire');
    await section.locator('button:has-text("通知書を作成")').click();
    await page.waitForURL(/\/notices\/batches\/[0-9a-f-]{36}$/);
    expect(await page.textContent('main')).toContain('4人（郵送 3人・窓口交付 1人）');

    // 3. The PDF: one page set per person, names and voucher numbers in the text layer.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("PDF（すべて）")')]);
    const file = join(dir, 'batch.pdf');
    await download.saveAs(file);
    const pages = await readText(readFileSync(file));
    expect(pages).toHaveLength(4);
    expect(pages.join('\n')).toContain(norm(TOWN.A['氏名']!));
    // The number sits in its own box under the label 「接種券番号」 (decision 0101), so the text layer has both.
    expect(pages[0]).toContain('接種券番号');
    expect(pages[0]).toMatch(/312011-26-\d{9}-\d/);

    // 4. Reissue A's voucher from the person's print history.
    await page.click(`a:has-text("${town.A}")`);
    await page.waitForURL(new RegExp(`/residents/${town.A}/notices$`));
    const before = (await page.textContent('main'))!;
    const oldNumber = /312011-26-\d{9}-\d/.exec(before)![0];
    await page.click('a:has-text("再発行")');
    await page.selectOption('#f-identityCheck', 'マイナンバーカード');
    await page.fill('#f-reason', '紛失したため（窓口で本人確認）');
    await page.click('button:has-text("再発行する")');
    expect(await page.textContent('.notice--success')).toContain('再発行しました（1回目）');
    expect(await page.textContent('main')).toContain(`元の接種券番号 ${oldNumber}は無効になりました`);
    const [again] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("再発行した通知書のPDF")')]);
    await again.saveAs(join(dir, 'reissue.pdf'));
    const reissued = await readText(readFileSync(join(dir, 'reissue.pdf')));
    expect(reissued).toHaveLength(1);
    expect(reissued[0]).not.toContain(norm(oldNumber));

    // 5. The print history: the voided number and the reissue with its count, reason and identity check.
    await page.goto(`${web.url}/residents/${town.A}/notices`);
    const rows = await page.$$eval('section:has(h2:text("印刷履歴")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('再発行');
    expect(rows[0]).toContain('令和8年11月21日');
    expect(rows[0]).toContain('1回目（紛失したため（窓口で本人確認）・マイナンバーカード）');
    expect(rows[1]).toContain(oldNumber);
    expect(rows[1]).toContain('無効（紛失したため（窓口で本人確認））');
    await page.screenshot({ path: join(tmpdir(), 'mamori-notices-history.png'), fullPage: true });
  });
});
