// The resident portal in real Chromium on a phone-sized viewport (390×844): a parent logs in with the card
// file and PIN (a wrong PIN first), registers the child with the child's card, opens the child's notice,
// fills and sends the 予診票, sees the QR code, and opens the records and the data-use pages.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch } from '../harness/browser.js';
import { portalWorld, type PortalWorld } from '../harness/portal-peers.js';

describe('resident portal in a browser (mobile)', () => {
  let w: PortalWorld;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-portal-browser-'));
  const shots = join(dir, 'screens');

  beforeAll(async () => {
    w = await portalWorld();
    browser = await launch();
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('logs in with the card, adds the child, answers the questionnaire and reads the records', async () => {
    const parentFile = join(dir, 'parent-card.json');
    const childFile = join(dir, 'child-card.json');
    writeFileSync(parentFile, w.cards.parent.fileText);
    writeFileSync(childFile, w.cards.child.fileText);
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${w.url}/`);
    expect(await page.textContent('h1')).toBe('ログイン');
    await page.setInputFiles('#f-card', parentFile);
    await page.fill('#f-pin', '9999');
    await page.click('button:has-text("ログインする")');
    await expect.poll(() => page.textContent('#card-message')).toContain('暗証番号が違います。あと2回');
    await page.screenshot({ path: join(shots, 'portal-login.png'), fullPage: true });
    await page.fill('#f-pin', w.cards.parent.pin);
    await page.click('button:has-text("ログインする")');
    await page.waitForURL(`${w.url}/home`);
    expect(await page.textContent('main')).toContain('山田 太郎さん');

    await page.click('a:has-text("お子さまを登録する")');
    await page.waitForURL(/\/agents\/new$/);
    await page.setInputFiles('#f-card', childFile);
    await page.fill('#f-pin', w.cards.child.pin);
    await page.check('#f-consent');
    await page.click('button:has-text("お子さまを登録する")');
    await page.waitForURL(/\/home\?added=1$/);
    expect(await page.textContent('main')).toContain('山田 花子さん');
    await page.screenshot({ path: join(shots, 'portal-home.png'), fullPage: true });

    await page.click('section:has(h2:has-text("山田 花子さん")) a:has-text("お知らせ")');
    await page.click('a:has-text("ヒブワクチン 予防接種のお知らせ")');
    expect(await page.textContent('.voucher')).toBe('0000000012');
    await page.click('a:has-text("予診票を入力する")');
    await page.waitForURL(/\/questionnaire\?program=hib&dose=2$/);
    expect(await page.textContent('.purpose h2')).toBe('利用目的');
    await page.fill('#f-q0', '36.8');
    await page.check('input[name="q1"][value="no"]');
    await page.check('input[name="q2"][value="初めての接種"]');
    await page.fill('#f-q3', '特になし');
    await page.check('#f-consent');
    await page.screenshot({ path: join(shots, 'portal-questionnaire.png'), fullPage: true });
    await page.click('button:has-text("予診票を送信する")');
    await page.waitForSelector('.qr svg');
    expect(await page.textContent('main')).toContain('医療機関の受付でこのQRコードを提示してください');
    await page.screenshot({ path: join(shots, 'portal-qr.png'), fullPage: true });
    expect(w.platform.answers.at(-1)?.answers).toEqual({ temperature: 36.8, unwell: false, reaction: '初めての接種', note: '特になし' });

    await page.goto(`${w.url}/home`);
    await page.click('section:has(h2:has-text("山田 花子さん")) a:has-text("接種記録")');
    expect(await page.textContent('main')).toContain('アクトヒブ');
    await page.screenshot({ path: join(shots, 'portal-records.png'), fullPage: true });
    await page.goto(`${w.url}/home`);
    await page.click('section:has(h2:has-text("山田 花子さん")) a:has-text("わたしの情報を使った記録")');
    expect(await page.textContent('main')).toContain('全60件');
    await page.screenshot({ path: join(shots, 'portal-data-use.png'), fullPage: false });

    // Nothing overflows the phone's width.
    const wide = await page.evaluate('document.documentElement.scrollWidth');
    expect(wide).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
    console.log(`portal screenshots: ${shots}`);
    await context.close();
  });
});
