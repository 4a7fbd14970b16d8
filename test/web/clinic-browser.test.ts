// The 医療機関用アプリ in real Chromium on tablets (1024×768 landscape; the exam screen also at 768×1024),
// every organisation real (issue 13 part D, PMH-13…PMH-16).  鳥取市 recorded the child's first Hib dose ten
// days ago and pushed its targets; the parent answered the 予診票 on マイナポータル (an allergy: yes).  The
// receptionist logs in, reads the child's card file with the PIN (a wrong PIN first, refused by the card
// itself), chooses the identity check and the consent, and sees the visit; the doctor opens it from 本日の
// 受付一覧, sees the flagged answer, records the examination-room check, scans the vial (GS1 fills GTIN, lot
// and expiry), meets the interval problem, gives the reason, and registers the dose.  No screen, no API
// answer the pages received and no asset holds a My Number.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'kysely';
import { runAs } from '../../src/kernel/context/index.js';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { pushRun, QUESTIONNAIRE_ITEMS } from '../../src/municipality/platform/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import { gtinCheckDigit } from '../../src/municipality/records/gs1.js';
import { withPlatformTenant } from '../../src/platform/index.js';
import { TOTTORI } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { addClinic, PIN, platformWorld, type ClinicFixture, type PlatformWorld } from '../harness/platform.js';

const GTIN = (() => {
  const base = '0498712345678';
  return base + String(gtinCheckDigit(base));
})();

describe('医療機関用アプリ in a browser (tablet, real organisations)', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let clinic: ClinicFixture;
  let qr = '';
  const shots = process.env['MAMORI_CLINIC_SHOTS'] ?? '';
  const seen: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    w = await platformWorld();
    const today = w.app.config.clock.today();
    // The first Hib dose, ten days ago (the child is 90 days old then), in 鳥取市's ledger before the push.
    await runAs(w.app.db, w.nurse, (x) => createRecord(x, w.atena.child, { product: 'hib', vaccinatedOn: addDaysIso(today, -10), lot: 'HB001', institutionCode: '3110100013' }, { source: 'staff' }));
    // A fresh extraction after that dose: the child is now due for the second.
    const run = (await startExtraction(w.app.db, w.nurse, { kind: 'targets', programs: ['hib'], asOf: today })).run.id;
    expect((await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: run })).failed).toBe(0);
    clinic = await addClinic(w, { first9: '311010001', name: 'とっとり小児科クリニック' });
    // The parent answers the 予診票 on マイナポータル (through the platform's portal services): an allergy.
    const key = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ pmh_key: string }>`SELECT pmh_key FROM platform.targets WHERE identity_key = ${w.atena.child}`.execute(tx));
    const portal = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock: w.app.config.clock });
    const pp = `PP${'BROWSERCHILDPSEUDONYM'.padEnd(26, 'A')}`;
    await portal.call('platform', 'portal.link', { pmhPseudonym: pp, pmhKey: key.rows[0]!.pmh_key }, { personal: true });
    const answers: Record<string, unknown> = {};
    for (const it of QUESTIONNAIRE_ITEMS) if (it.required) answers[it.itemId] = it.type === 'number' ? 36.6 : it.type === 'boolean' ? it.itemId === 'allergy' : (it.options?.[0] ?? 'なし');
    qr = ((await portal.call('platform', 'portal.answer', { actor: pp, subject: pp, programCode: 'hib', dose: 2, consent: { by: 'self', at: w.app.config.clock.now().toISOString(), text: '同意します' }, answers }, { personal: true })).body as { qr: string }).qr;
    browser = await launch();
    if (shots) mkdirSync(shots, { recursive: true });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const tablet = async (width = 1024, height = 768): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width, height }, hasTouch: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', async (r) => {
      if (r.url().startsWith(w.url.platform) && !r.url().includes('/assets/fonts/')) seen.push(await r.text().catch(() => ''));
    });
    return { context, page };
  };
  const shot = async (page: Page, name: string) => {
    seen.push((await page.textContent('body')) ?? '');
    if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  const login = async (page: Page, who: { userId: string; password: string }) => {
    await page.goto(`${w.url.platform}/clinic`);
    await page.waitForSelector('#l-code');
    expect(await page.textContent('h1')).toBe('ログイン');
    await page.fill('#l-code', clinic.code);
    await page.fill('#l-user', who.userId);
    await page.fill('#l-pass', who.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#reception-form');
  };

  it('reception reads the card; the doctor checks identity, scans the vial, overrides the interval problem with a reason and registers the dose', async () => {
    const cardFile = join(w.dir, 'child-card.json');
    writeFileSync(cardFile, JSON.stringify(w.cards.child));

    // ── 受付 (the receptionist's tablet) ──
    const desk = await tablet();
    let page = desk.page;
    await page.goto(`${w.url.platform}/clinic`);
    await page.waitForSelector('#l-code');
    await page.fill('#l-code', clinic.code);
    await page.fill('#l-user', clinic.reception.userId);
    await page.fill('#l-pass', 'Wrong-password-1');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('.form-message:not([hidden])');
    expect(await page.textContent('.form-message')).not.toMatch(/[A-Z_]{6,}/); // a title in Japanese, not a code
    await shot(page, 'clinic-login');
    await login(page, clinic.reception);
    expect(await page.textContent('#who')).toContain('受付　花子（受付）');

    await page.click('#r-submit');
    expect(await page.textContent('.field:has(#r-pin) .error-text')).toContain('暗証番号は数字4桁');
    expect(await page.textContent('.field:has(#r-m-card) .error-text')).toContain('本人確認の方法を選んでください');
    await page.setInputFiles('#r-card', cardFile);
    await page.fill('#r-pin', '9999');
    await page.check('#r-consent');
    await page.click('label:has(#r-m-card)');
    await page.click('#r-submit');
    await expect.poll(() => page.textContent('.field:has(#r-pin) .error-text'), { timeout: 20_000 }).toContain('暗証番号が違います');
    await shot(page, 'clinic-reception');
    await page.fill('#r-pin', PIN);
    await page.click('#r-submit');
    await page.waitForSelector('#opened', { timeout: 20_000 });
    const opened = (await page.textContent('#opened')) ?? '';
    expect(opened).toContain('鳥取　はな');
    expect(opened).toContain('受付済');
    await shot(page, 'clinic-opened');
    // The parent then shows the 予診票's QR code: the scanner types it and Enter — the same visit.
    await page.click('a:has-text("次の方を受付する")');
    await page.click('label:has(#r-mode-qr)');
    await page.click('label:has(#r-m-other)');
    await page.fill('#r-note', '');
    await page.fill('#r-qr', qr);
    await shot(page, 'clinic-reception-qr');
    await page.press('#r-qr', 'Enter');
    expect(await page.textContent('.field:has(#r-note) .error-text')).toContain('確認した書類など');
    await page.click('label:has(#r-m-boshi)');
    await page.press('#r-qr', 'Enter');
    await page.waitForSelector('#opened', { timeout: 20_000 });
    expect(await page.textContent('#opened')).toContain('鳥取　はな');
    await page.click('a:has-text("本日の受付一覧")');
    await page.waitForSelector('#visits');
    expect(await page.textContent('#v-total')).toContain('全1件');
    expect(await page.textContent('#visits')).toContain('受付済');
    await shot(page, 'clinic-visits');
    await desk.context.close();

    // ── 診察 (the doctor's tablet) ──
    const room = await tablet();
    page = room.page;
    await login(page, clinic.doctor);
    await page.click('nav a:has-text("本日の受付一覧")');
    await page.click('#visits a.person-link');
    await page.waitForSelector('#x-identity');
    expect(await page.textContent('#x-name')).toBe('鳥取　はな');
    expect(await page.textContent('#x-birth')).toMatch(/^(令和|平成)(元|\d+)年\d+月\d+日（\d{4}年\d+月\d+日）$/);
    expect(await page.textContent('#x-age')).toBe('0歳3か月（月齢3）');
    expect(await page.textContent('#x-attention')).toContain('1件');
    expect(await page.textContent('.answer--attention')).toContain('アレルギー');
    // Nothing can be entered before the examination-room check.
    expect(await page.isDisabled('#d-lot')).toBe(true);
    await shot(page, 'clinic-exam');
    await page.click('label:has(#x-m-boshi)');
    await page.click('#x-identity-submit');
    await page.waitForSelector('#x-identity-done');
    expect(await page.textContent('#x-identity-done')).toContain('母子健康手帳');

    // The barcode scanner types the GS1 text and Enter.  A vial that expired yesterday is refused at once.
    const gs1Date = (iso: string) => iso.slice(2).replaceAll('-', '');
    await page.fill('#d-gs1', `(01)${GTIN}(17)${gs1Date(addDaysIso(w.app.config.clock.today(), -1))}(10)OLD01`);
    await page.press('#d-gs1', 'Enter');
    await expect.poll(() => page.textContent('.field:has(#d-expiry) .error-text')).toContain('が過ぎたロットです。このワクチンは使えません');
    expect(await page.isDisabled('#d-submit')).toBe(true);
    expect(await page.textContent('#d-submit-note')).toContain('有効期限が切れたロットは登録できません');
    await shot(page, 'clinic-dose-expired');
    const expiry = addDaysIso(w.app.config.clock.today(), 200);
    await page.fill('#d-gs1', `(01)${GTIN}(17)${gs1Date(expiry)}(10)HB777`);
    await page.press('#d-gs1', 'Enter');
    await expect.poll(() => page.inputValue('#d-lot')).toBe('HB777');
    expect(await page.inputValue('#d-gtin')).toBe(GTIN);
    expect(await page.inputValue('#d-expiry')).toBe(expiry);
    expect(await page.textContent('.field:has(#d-expiry) .error-text')).toBe('');
    expect(await page.inputValue('#d-vaccinatedOn')).toBe(w.app.config.clock.today());
    await page.selectOption('#d-due', { label: 'Hib感染症 2回目' });
    await page.selectOption('#d-product', 'hib');
    await page.fill('#d-manufacturer', 'サノフィ株式会社');
    await page.selectOption('#d-site', '左上腕');
    await page.selectOption('#d-route', '皮下注射');
    await page.check('#d-consent');
    // The live check: the first dose was ten days ago — a problem; 登録 waits for the reason.
    await page.waitForSelector('#d-warnings .warning--problem', { timeout: 20_000 });
    expect(await page.textContent('#d-warnings')).toMatch(/間隔|日以上/);
    expect(await page.isDisabled('#d-submit')).toBe(true);
    expect(await page.isVisible('#d-override')).toBe(true);
    await shot(page, 'clinic-dose');
    await page.fill('#d-override', '保護者の希望により、医師が必要と判断');
    await expect.poll(() => page.isDisabled('#d-submit')).toBe(false);
    await page.click('#d-submit');
    await page.waitForSelector('#done-record', { timeout: 20_000 });
    const record = (await page.textContent('#done-record')) ?? '';
    expect(record).toContain('HB777');
    expect(record).toContain('保護者の希望により、医師が必要と判断');
    await shot(page, 'clinic-done');
    const doneUrl = page.url();

    // Another child, received by the doctor: the 予診 finds a reason not to vaccinate today (接種不可).
    const otherFile = join(w.dir, 'other-card.json');
    writeFileSync(otherFile, JSON.stringify(w.cards.otherChild));
    await page.click('a:has-text("次の方を受付する")');
    await page.setInputFiles('#r-card', otherFile);
    await page.fill('#r-pin', PIN);
    await page.check('#r-consent');
    await page.click('label:has(#r-m-insurance)');
    await page.click('#r-submit');
    await page.waitForSelector('#opened', { timeout: 20_000 });
    await page.click('#opened a:has-text("診察へ進む")');
    await page.waitForSelector('#x-not-vaccinable');
    expect(await page.textContent('#x-name')).toBe('因幡　さくら');
    await page.click('#x-not-vaccinable');
    await page.click('#x-decision-form button[type=submit]');
    expect(await page.textContent('.field:has(#x-reason) .error-text')).toContain('理由を入力してください');
    await page.fill('#x-reason', '37.8℃の発熱があるため');
    await page.click('#x-decision-form button[type=submit]');
    await expect.poll(() => page.textContent('#x-decision')).toContain('接種不可と判断されました。理由：37.8℃の発熱があるため');
    expect(await page.textContent('.person__head .badge')).toBe('接種不可');
    expect(await page.$('#dose-form')).toBeNull();
    await shot(page, 'clinic-not-vaccinable');
    await page.click('nav a:has-text("本日の受付一覧")');
    await page.waitForSelector('#visits');
    expect(await page.textContent('#v-total')).toContain('全2件');
    const statuses = await page.$$eval('#visits tbody tr td:last-child', (tds) => tds.map((t) => t.textContent));
    expect(statuses.sort()).toEqual(['接種不可', '接種済']);
    await shot(page, 'clinic-visits-end');

    const kept = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ lot: string; override_reason: string }>`SELECT lot, override_reason FROM platform.institution_doses`.execute(tx));
    expect(kept.rows).toEqual([{ lot: 'HB777', override_reason: '保護者の希望により、医師が必要と判断' }]);

    // The same screen in portrait: nothing wider than the tablet.
    const portrait = await tablet(768, 1024);
    await login(portrait.page, clinic.doctor);
    await portrait.page.goto(doneUrl.replace(/\/done$/, ''));
    await portrait.page.waitForSelector('#x-identity-done');
    expect(await portrait.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(768);
    await shot(portrait.page, 'clinic-exam-portrait');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);

    for (const text of seen) expect(findMyNumbers(text)).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await room.context.close();
    await portrait.context.close();
  });
});
