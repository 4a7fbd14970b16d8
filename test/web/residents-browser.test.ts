// Issue 3 browser acceptance (RES-01, RES-05, KRN-29, KRN-31, KRN-33): a 宛名管理 clerk holding the My Number
// view flag uploads a full 住基 file and then a movement file with a 転入, reads the reports, searches for the
// moved-in resident, opens the person, reveals the My Number with a purpose, and finds that reveal — actor,
// purpose, subject — in the audit viewer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addTenant, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { launch } from '../harness/browser.js';
import { mn, movement, person, writeCsv } from '../harness/residents.js';

// MAMORI_SCREENSHOTS=DIR keeps a full-page screenshot of each step (for reviewing the screens by eye).
const shot = async (page: Page, name: string): Promise<void> => {
  const out = process.env['MAMORI_SCREENSHOTS'];
  if (out) await page.screenshot({ path: join(out, `residents-${name}.png`), fullPage: true });
};
const cells = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (els: unknown[]) => els.map((e) => (e as { innerText: string }).innerText));

describe('resident intake, search and My Number reveal in a browser', () => {
  let app: TestApp;
  let web: TestWeb;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-rb-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'atena-kakari', duties: ['addressee'], mynumberView: true });
    web = await startWeb(app);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.cleanup();
  });

  /** Uploads a file on the import screen and waits for the report (the job page refreshes itself). */
  async function upload(page: Page, file: string): Promise<Record<string, string>> {
    await page.goto(`${web.url}/residents/imports`);
    await page.setInputFiles('#f-file', file);
    await page.fill('#f-baseDate', '2026-04-01');
    await page.click('button:has-text("取り込む")');
    await page.waitForSelector('h1:has-text("取込の結果")', { timeout: 30_000 });
    await shot(page, `report-${file.replace(/^.*\//, '')}`);
    const terms = await cells(page, 'main dl dt');
    const values = await cells(page, 'main dl dd');
    return Object.fromEntries(terms.map((t, i) => [t.trim(), values[i]!.trim()]));
  }

  it('uploads a full file and a 転入, finds the newcomer, reveals the My Number with a purpose and sees the reveal in the audit viewer', async () => {
    const full = writeCsv(join(dir, 'jumin-zenken.csv'), 'full', [person(1), person(2), person(3, { 支援措置: '1' })], { encoding: 'sjis' });
    const newcomer = person(50, { 氏名: '転入　陽葵', 氏名カナ: 'テンニュウ　ヒマリ', 生年月日: '20240315', 住所: '鳥取県鳥取市幸町71番地', 転入前住所: '東京都江戸川区中央一丁目4番1号', 住民となった日: '20260610', 最新異動区分: '01', 最新異動日: '20260610' });
    const diff = writeCsv(join(dir, 'jumin-ido.csv'), 'diff', [movement('TN-0001', '01', '20260610', newcomer), movement('TK-0002', '20', '20260612', person(2, { 住所: '鳥取県鳥取市栄町1番地' }))], { encoding: 'sjis' });

    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await page.goto(`${web.url}/login`);
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', 'atena-kakari');
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${web.url}/`);

    // The full file, then the movement file: each report counts what happened.
    const r1 = await upload(page, full);
    expect(r1['ファイル']).toContain('jumin-zenken.csv（全件、Shift_JIS、3件）');
    expect(r1['新規']).toBe('3');
    expect(r1['誤りのある行']).toBe('0');
    const r2 = await upload(page, diff);
    expect(r2['ファイル']).toContain('jumin-ido.csv（異動、Shift_JIS、2件）');
    expect(r2['新規']).toBe('1');
    expect(r2['更新']).toBe('1');
    expect(r2['誤りのある行']).toBe('0');
    expect(await page.textContent('main')).not.toContain(mn(50));
    // Both runs are on the import screen's record.
    await page.click('text=取込画面へ戻る');
    await shot(page, 'imports');
    const runs = await cells(page, 'section:has(h2:text("取込の記録")) tbody tr');
    expect(runs.some((r) => r.includes('jumin-ido.csv') && r.includes('異動') && r.includes('完了'))).toBe(true);
    expect(runs.some((r) => r.includes('jumin-zenken.csv') && r.includes('全件') && r.includes('完了'))).toBe(true);

    // Search by kana (hiragana accepted) and open the newcomer.
    await page.goto(`${web.url}/residents`);
    await page.fill('#f-kana', 'てんにゅう');
    await page.click('button:has-text("検索")');
    await shot(page, 'search');
    const found = await cells(page, 'main tbody tr');
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('転入　陽葵');
    expect(found[0]).toContain('令和6年3月15日');
    expect(found[0]).not.toContain(mn(50));
    await page.click('main tbody tr a');
    await page.waitForURL(/\/residents\/\d{10}$/);
    const atenaNo = /\/residents\/(\d{10})$/.exec(page.url())![1]!;
    const main = (await page.textContent('main'))!;
    expect(main).toContain('転入　陽葵');
    expect(main).toContain('令和6年3月15日（2024-03-15）');
    expect(main).toContain('東京都江戸川区中央一丁目4番1号'); // 転入前住所 (RES-05)
    expect(main).not.toContain(mn(50));
    const history = await cells(page, 'section:has(h2:text("異動・変更の履歴")) tbody tr');
    expect(history).toHaveLength(1);
    expect(history[0]).toContain('転入');
    expect(history[0]).toContain('jumin-ido.csv 2行目');

    // The reveal needs a purpose; with one, the number is shown once.
    await page.click('button:has-text("個人番号を表示する")');
    expect(await page.textContent('.error-summary')).toContain('利用目的を2〜200文字で入力してください');
    expect(await page.isVisible('.secret')).toBe(false);
    await page.fill('#f-purpose', '転入に伴う予防接種履歴の照会（情報連携）のため');
    await page.click('button:has-text("個人番号を表示する")');
    await shot(page, 'revealed');
    const secret = (await page.textContent('.secret'))!;
    expect(secret.replace(/\s/g, '')).toBe(mn(50));

    // The audit viewer: the clerk's own operations, filtered to My Number reveals.
    await page.goto(`${web.url}/audit`);
    await page.selectOption('#f-action', 'mynumber_reveal');
    await page.click('button:has-text("検索")');
    await shot(page, 'audit');
    const entries = await cells(page, 'main tbody tr');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toContain('atena-kakari'); // actor
    expect(entries[0]).toContain('個人番号表示');
    expect(entries[0]).toContain('転入に伴う予防接種履歴の照会（情報連携）のため'); // purpose
    expect(entries[0]).toContain(`宛名番号 ${atenaNo}`); // subject
    expect(entries[0]).toContain('成功');
    expect(entries[0]).not.toContain(mn(50));
    // The subject links back to the person.
    await page.click(`main tbody tr a[href="/residents/${atenaNo}"]`);
    await page.waitForURL(`${web.url}/residents/${atenaNo}`);
  });
});
