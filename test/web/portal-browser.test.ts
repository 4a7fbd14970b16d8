// The resident portal in real Chromium on a phone-sized viewport (390×844), every organisation real (issue 12):
// 鳥取市 pushes its run to the platform; a nurse reads the child's record in the staff system; the parent logs
// in with the card file and PIN (a wrong PIN first, refused by the card itself), registers the child with the
// child's card, opens the child's notice with its 接種券番号, fills and sends the 予診票, sees the QR code, and
// finds the nurse's read on 「わたしの情報を使った記録」.  PMH-09…12, PMH-25.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql } from 'kysely';
import { pushRun, QUESTIONNAIRE_ITEMS } from '../../src/municipality/platform/index.js';
import { launch } from '../harness/browser.js';
import { PageClient } from '../harness/web.js';
import { TOTTORI } from '../harness/app.js';
import { PIN, platformWorld, type PlatformWorld } from '../harness/platform.js';

describe('resident portal in a browser (mobile, real organisations)', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let shots = '';

  beforeAll(async () => {
    w = await platformWorld();
    browser = await launch();
    shots = join(w.dir, 'screens');
    mkdirSync(shots, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('logs in with the card, adds the child, answers the questionnaire, and sees who used the data', async () => {
    expect(await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).toMatchObject({ status: 'complete', failed: 0 });
    // Earlier in the day, a nurse opens the child's record in the staff system.
    const staff = new PageClient(w.url.staff);
    await staff.login(TOTTORI, w.nurseLogin, w.nursePassword);
    expect((await staff.get(`/residents/${w.atena.child}`)).status).toBe(200);

    const parentFile = join(w.dir, 'parent-card.json');
    const childFile = join(w.dir, 'child-card.json');
    writeFileSync(parentFile, JSON.stringify(w.cards.parent));
    writeFileSync(childFile, JSON.stringify(w.cards.child));
    const voucher = (await sql<{ voucher_no: string }>`SELECT voucher_no FROM municipality.notice_items WHERE tenant_code = ${TOTTORI} AND atena_no = ${w.atena.child} AND status = 'active' LIMIT 1`.execute(w.app.db.system)).rows[0]!.voucher_no;

    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const portal = w.url.portal;

    await page.goto(`${portal}/`);
    expect(await page.textContent('h1')).toBe('ログイン');
    await page.setInputFiles('#f-card', parentFile);
    await page.fill('#f-pin', '9999');
    await page.click('button:has-text("ログインする")');
    await expect.poll(() => page.textContent('#card-message'), { timeout: 20_000 }).toContain('暗証番号が違います');
    await page.screenshot({ path: join(shots, 'portal-login.png'), fullPage: true });
    await page.fill('#f-pin', PIN);
    await page.click('button:has-text("ログインする")');
    await page.waitForURL(`${portal}/home`, { timeout: 20_000 });

    await page.click('a:has-text("お子さまを登録する")');
    await page.waitForURL(/\/agents\/new$/);
    await page.setInputFiles('#f-card', childFile);
    await page.fill('#f-pin', PIN);
    await page.check('#f-consent');
    await page.click('button:has-text("お子さまを登録する")');
    await page.waitForURL(/\/home\?added=1$/, { timeout: 20_000 });
    expect(await page.textContent('main')).toContain('鳥取　はなさん');
    await page.screenshot({ path: join(shots, 'portal-home.png'), fullPage: true });

    await page.click('section:has(h2:has-text("鳥取　はなさん")) a:has-text("お知らせ")');
    await page.click('main a[href*="/notices/"]');
    expect(await page.textContent('main')).toContain(voucher);
    await page.screenshot({ path: join(shots, 'portal-notice.png'), fullPage: true });
    await page.click('a:has-text("予診票を入力する")');
    await page.waitForURL(/\/questionnaire\?program=hib&dose=\d+$/);
    expect(await page.textContent('.purpose h2')).toBe('利用目的');
    for (const [i, it] of QUESTIONNAIRE_ITEMS.entries()) {
      if (it.type === 'number') await page.fill(`#f-q${i}`, '36.8');
      else if (it.type === 'boolean' && it.required) await page.check(`input[name="q${i}"][value="no"]`);
    }
    await page.check('#f-consent');
    await page.screenshot({ path: join(shots, 'portal-questionnaire.png'), fullPage: true });
    await page.click('button:has-text("予診票を送信する")');
    await page.waitForSelector('.qr svg');
    expect(await page.textContent('main')).toContain('医療機関の受付でこのQRコードを提示してください');
    await page.screenshot({ path: join(shots, 'portal-qr.png'), fullPage: true });

    await page.goto(`${portal}/home`);
    await page.click('section:has(h2:has-text("鳥取　はなさん")) a:has-text("接種記録")');
    expect(await page.textContent('main')).toContain('Hib感染症');
    await page.screenshot({ path: join(shots, 'portal-records.png'), fullPage: true });
    await page.goto(`${portal}/home`);
    await page.click('section:has(h2:has-text("鳥取　はなさん")) a:has-text("わたしの情報を使った記録")');
    const used = (await page.textContent('main')) ?? '';
    // The nurse's read in the staff system, told by the municipality; and the platform's own handling.
    expect(used).toContain('市区町村の職員');
    expect(used).toContain('参照');
    expect(used).toContain('マイナポータルでの予診票の入力');
    await page.screenshot({ path: join(shots, 'portal-data-use.png'), fullPage: false });

    // Nothing overflows the phone's width.
    const wide = await page.evaluate('document.documentElement.scrollWidth');
    expect(wide).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
    if (process.env['MAMORI_KEEP_SCREENSHOTS']) {
      const { cpSync } = await import('node:fs');
      cpSync(shots, process.env['MAMORI_KEEP_SCREENSHOTS'], { recursive: true });
    }
    await context.close();
  });
});
