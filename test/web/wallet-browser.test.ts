// デジタル資格証 in real Chromium, every organisation real (issue 16 "Done when"; QUA-23, QUA-24): the holder
// logs in to the portal with the card file and PIN, ticks 同意 and signs with the card in the page, gets the
// credential as a wallet-style card with a QR code, chooses two items (資格名, 登録番号) and opens the QR code's
// URL: the registry's verifier page shows 有効 with those two items only.  A 免許取消 is recorded through the
// registry's own staff API; the same presentation then reads 取消し.  Before that the holder makes a one-time
// link for an employer, who opens it once.  Screenshots in .test-output/ (wallet-*.png).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Kysely } from 'kysely';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { applyForStaff, approveStaff, exampleForm, issueStaffToken, registerEntry, REGISTRY_ROLE, RegistrySecrets, syncAdministrators } from '../../src/registry/index.js';
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { person } from '../harness/residents.js';

describe('デジタル資格証 in a browser (real organisations)', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let db: Kysely<UntypedDatabase>;
  let number = 0;
  let chiefToken = '';
  const shots = join(process.cwd(), '.test-output');

  beforeAll(async () => {
    w = await platformWorld();
    db = await w.app.db.forRole(REGISTRY_ROLE);
    const clock = w.app.config.clock;
    await syncAdministrators(db, clock);
    const form = exampleForm('ishi') as Record<string, unknown>;
    number = (await registerEntry({ db, clock, secrets: RegistrySecrets.open(w.app.config.keyDir) }, {
      applicationId: 'wallet-browser-1', qualification: 'ishi', application: { ...form, 氏名: { 姓: '鳥取', 名: '太郎' }, フリガナ: { 姓: 'トットリ', 名: 'タロウ' } }, myNumber: person(WHO.parent)['個人番号']!, approvedBy: 'shinsa-chief',
    })).number;
    await applyForStaff(db, clock, { tenant: 'mhlw-isei', userId: 'shinsa-chief', name: '医事 審査責任者', affiliation: 'ministry', affiliationName: '医政局医事課', role: 'supervisor', qualifications: ['ishi'], reason: '医師免許の行政処分', appliedBy: 'operator' });
    await approveStaff(db, clock, 'mhlw-isei', 'shinsa-chief', 'operator');
    chiefToken = (await issueStaffToken(db, clock, 'mhlw-isei', 'shinsa-chief')).token;
    browser = await launch();
    mkdirSync(shots, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('gets the credential in the portal, presents two items to the verifier page → 有効; after 免許取消 → 取消し', async () => {
    const cardFile = join(w.dir, 'wallet-card.json');
    writeFileSync(cardFile, JSON.stringify(w.cards.parent));
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 900, height: 1000 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const portal = w.url.portal;

    await page.goto(`${portal}/`);
    await page.setInputFiles('#f-card', cardFile);
    await page.fill('#f-pin', PIN);
    await page.click('button:has-text("ログインする")');
    await page.waitForURL(`${portal}/home`, { timeout: 20_000 });
    await page.click('a:has-text("デジタル資格証")');
    await page.waitForURL(/\/registry\/credentials$/);
    await page.setInputFiles('#f-card', cardFile);
    await page.fill('#f-pin', PIN);
    // Without 同意 nothing is sent.
    await page.click('button:has-text("同意してデジタル資格証を受け取る")');
    await expect.poll(() => page.textContent('#card-message')).toContain('同意の内容を確認し');
    await page.check('#f-consent');
    await page.click('button:has-text("同意してデジタル資格証を受け取る")');
    await page.waitForSelector('.wallet-card .qr svg', { timeout: 30_000 }).catch(async (e: unknown) => {
      await page.screenshot({ path: join(shots, 'wallet-failed.png'), fullPage: true });
      throw new Error(`no card: ${await page.textContent('#card-message')} | ${await page.innerHTML('#wallet')} | ${errors.join(';')} | ${String(e)}`);
    });
    const card = page.locator('.wallet-card').first();
    const face = (await card.textContent())!;
    expect(face).toContain('厚生労働省医政局');
    expect(face).toContain('医師');
    expect(face).toContain(String(number));
    expect(face).toContain('鳥取　太郎');
    expect(face).toContain('有効期限');
    // 資格名 and 登録番号 are chosen by default; 生年月日 not.
    expect(await card.locator('input[name=claim][value="生年月日"]').isChecked()).toBe(false);
    expect(await card.locator('input[name=claim][value="資格名"]').isChecked()).toBe(true);
    await card.screenshot({ path: join(shots, 'wallet-card.png') });
    await page.screenshot({ path: join(shots, 'wallet-portal.png'), fullPage: true });
    const verifyHref = (await card.locator('a[data-k=verifyLink]').getAttribute('href'))!;
    expect(verifyHref.startsWith(`${w.url.registry}/verify#vp=`)).toBe(true);
    // The QR code as a reader decodes it: its modules (from the page's SVG) drawn 4 px each and read by ZXing as a pure
    // code (without PURE_BARCODE ZXing's finder misses about one random version-27 code in fifteen).
    const svg = await card.locator('.qr').innerHTML();
    const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)![1]);
    const d = /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg)![1]!;
    const px = 4;
    const W = size * px;
    const gray = new Uint8ClampedArray(W * W).fill(255);
    let x = 0;
    let y = 0;
    for (const [, op, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?/g)) {
      if (op === 'M') { x = Number(a); y = Number(b); }
      else if (op === 'm') { x += Number(a); y += Number(b); }
      else {
        for (let i = 0; i < Number(a); i++) for (let dy = 0; dy < px; dy++) for (let dx = 0; dx < px; dx++) gray[(Math.floor(y) * px + dy) * W + (x + i) * px + dx] = 0;
        x += Number(a);
      }
    }
    const decoded = new MultiFormatReader().decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(gray, W, W))),
      new Map<DecodeHintType, unknown>([[DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]], [DecodeHintType.TRY_HARDER, true], [DecodeHintType.PURE_BARCODE, true]]));
    expect(decoded.getText()).toBe(verifyHref);
    expect(findMyNumbers(await page.content())).toEqual([]);

    // The employer link, made from the same choice (signed again with the card).
    await card.locator('summary').click();
    await card.locator('input[name=recipient]').fill('鳥取中央病院');
    await card.locator('input[name=confirm-consent]').check();
    await card.locator('button[data-action=confirm]').click();
    await card.locator('a.confirm-url').waitFor({ timeout: 30_000 });
    const confirmUrl = (await card.locator('a.confirm-url').getAttribute('href'))!;
    await card.screenshot({ path: join(shots, 'wallet-card-link.png') });

    // The QR code's URL, opened by the verifier: 有効, the two items only.
    const verifier = await context.newPage();
    await verifier.goto(verifyHref);
    await verifier.waitForSelector('#verify-result', { timeout: 20_000 });
    expect(await verifier.getAttribute('#verify-result', 'data-result')).toBe('valid');
    const shown = (await verifier.textContent('#verify-result'))!;
    expect(shown).toContain('有効');
    expect(shown).toContain('厚生労働省医政局');
    expect(shown).toContain('医師');
    expect(shown).toContain(String(number));
    expect(shown).not.toContain('鳥取　太郎');
    expect(shown).not.toContain('生年月日');
    expect(verifier.url()).not.toContain('#vp=');
    await verifier.screenshot({ path: join(shots, 'wallet-verify-valid.png'), fullPage: true });

    // The employer opens the link once.
    const employer = await context.newPage();
    await employer.goto(confirmUrl);
    await employer.click('button:has-text("確認する")');
    await employer.waitForSelector('#verify-result');
    expect(await employer.getAttribute('#verify-result', 'data-result')).toBe('active');
    await employer.screenshot({ path: join(shots, 'wallet-employer.png'), fullPage: true });
    await employer.goto(confirmUrl);
    expect(await employer.textContent('main')).toContain('すでに開かれています');

    // 免許取消 through the registry's staff API (the 審査責任者), then the same QR URL → 取消し.
    const today = w.app.config.clock.today();
    const res = await fetch(`${w.url.registry}/registry/v1/qualifications/ishi/entries/${number}/dispositions`, {
      method: 'POST', headers: { authorization: `Bearer ${chiefToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'revocation', decidedOn: today, code: 'R1', from: today, issueNo: '医政発-W-1' }),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    // (A new page: the verifier page now at /verify would take the same URL with a fragment as an in-page jump.)
    await verifier.close();
    const again = await context.newPage();
    await again.goto(verifyHref);
    await again.waitForSelector('#verify-result', { timeout: 20_000 });
    expect(await again.getAttribute('#verify-result', 'data-result')).toBe('revoked');
    expect(await again.textContent('#verify-result')).toContain('取消し');
    await again.screenshot({ path: join(shots, 'wallet-verify-revoked.png'), fullPage: true });

    // 「確認の記録」 in the portal.
    await page.goto(`${portal}/registry/confirmations`);
    const log = (await page.textContent('main'))!;
    expect(log).toContain('鳥取中央病院');
    expect(log).toContain('確認用リンクが開かれました');
    expect(log).toContain('使用済みのリンクが開かれようとしました');
    await page.screenshot({ path: join(shots, 'wallet-confirmations.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
