// 国家資格の申請 in real Chromium, every organisation real (issue 15 "Done when": an applicant applies in the
// portal with a card file and PIN and pays; an examiner approves; the applicant sees the result notice): the
// applicant logs in with the card, chooses 医師・新規登録, fills in the form item by item (a missing item is named
// next to its input), attaches a PDF, signs with the card file and PIN (券面事項入力補助 and 署名用 key opened in
// the page), sees the receipt with the fee, pays it on 公金決済's payer page; the examiner logs in to the
// registry's screens, runs the checks (住基ネット and 戸籍 through their own organisations, the passer list) and
// approves; the applicant then sees the notice with the 登録番号 and 登録年月日.  Screenshots in .test-output/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, type Kysely } from 'kysely';
import { addPaymentMerchant, kosekiDeps, registryKosekiDeps } from '../../src/app/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { formatWareki } from '../../src/kernel/jp/index.js';
import { syncResidentsToJlis } from '../../src/municipality/exchange/index.js';
import { recordPerson } from '../../src/peers/koseki/index.js';
import { applyForStaff, approveStaff, importPassers, issueStaffToken, REGISTRY_ROLE, syncAdministrators, syncFeePayments, withRegistryTenant } from '../../src/registry/index.js';
import { TOTTORI } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { person } from '../harness/residents.js';

describe('国家資格の申請 in a browser (real organisations)', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let db: Kysely<UntypedDatabase>;
  let examinerToken: string;
  const shots = join(process.cwd(), '.test-output');

  beforeAll(async () => {
    w = await platformWorld();
    db = await w.app.db.forRole(REGISTRY_ROLE);
    // The applicant as 住基ネット and 戸籍 know him: the municipality's 市町村CS sends its residents to the 全国
    // サーバ; 法務省 holds his 戸籍 (本籍 in 鳥取県); the registry is a merchant of 公金決済 sending payers back
    // to the portal; 医政局 has a 審査責任者 and the 医師国家試験 passer list.
    await syncResidentsToJlis(w.app, w.orgs.municipal.node, TOTTORI);
    const parent = person(WHO.parent);
    await recordPerson(await kosekiDeps(w.app, w.orgs.directory), {
      juminhyoCode: parent['住民票コード']!, birthDate: '1992-06-01', sex: '1', birthPlace: '鳥取県',
      events: [{ occurredOn: '1992-06-01', reason: 'birth', honsekiCode: '31', honseki: '鳥取県鳥取市東町一丁目220番地', hittosha: '鳥取　一郎', surname: '鳥取', givenName: '太郎' }],
    });
    await addPaymentMerchant(w.app, { node: 'registry', merchantCode: 'REG00001', name: '厚生労働省 国家資格登録', returnOrigins: [new URL(w.url.portal).origin] });
    const clock = w.app.config.clock;
    await syncAdministrators(db, clock);
    await applyForStaff(db, clock, { tenant: 'mhlw-isei', userId: 'shinsa-chief', name: '医事 審査責任者', affiliation: 'ministry', affiliationName: '医政局医事課', role: 'supervisor', qualifications: ['ishi'], reason: '医師免許の審査', appliedBy: 'operator' });
    await approveStaff(db, clock, 'mhlw-isei', 'shinsa-chief', 'operator');
    examinerToken = (await issueStaffToken(db, clock, 'mhlw-isei', 'shinsa-chief')).token;
    const header = '試験回数,受験番号,氏名（姓）,氏名（名）,フリガナ（姓）,フリガナ（名）,生年月日,合格年月日,合格証書番号';
    await withRegistryTenant(db, 'mhlw-isei', (tx) => importPassers(tx, clock, 'mhlw-isei', { qualification: 'ishi', by: 'operator' }, Buffer.from(`${header}\n120,012345,鳥取,太郎,トットリ,タロウ,1992-06-01,2026-03-16,\n`)));
    browser = await launch();
    mkdirSync(shots, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('applies with the card file and PIN, pays, is approved by the examiner on the registry screens, and sees the notice', async () => {
    const cardFile = join(w.dir, 'parent-card.json');
    writeFileSync(cardFile, JSON.stringify(w.cards.parent));
    const pdf = join(w.dir, '診断書.pdf');
    writeFileSync(pdf, '%PDF-1.4\n% synthetic\n');
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const portal = w.url.portal;

    await page.goto(`${portal}/`);
    await page.setInputFiles('#f-card', cardFile);
    await page.fill('#f-pin', PIN);
    await page.click('button:has-text("ログインする")');
    await page.waitForURL(`${portal}/home`, { timeout: 20_000 });
    await page.click('a:has-text("国家資格の申請")');
    await page.waitForURL(/\/registry\/new$/);
    await page.selectOption('#f-q', 'ishi');
    await page.selectOption('#f-p', 'new');
    await page.screenshot({ path: join(shots, 'registry-apply-choose.png'), fullPage: true });
    await page.click('button:has-text("申請書を入力する")');
    await page.waitForURL(/\/registry\/new\?qualification=ishi&procedure=new$/);
    expect(await page.textContent('h1')).toBe('医師の新規登録の申請');
    const fill = async (name: string, value: string) => page.fill(`[name="${name}"]`, value);
    await fill('氏名.姓', '鳥取');
    await fill('氏名.名', '太郎');
    await fill('フリガナ.姓', 'トットリ');
    await fill('フリガナ.名', 'タロウ');
    await fill('生年月日', '1992-06-01');
    await page.selectOption('[name="性別"]', '1');
    await page.selectOption('[name="本籍.都道府県コード"]', '31');
    await fill('住所.郵便番号', '680-0000');
    await fill('住所.住所', person(WHO.parent)['住所']!);
    await fill('電話番号', '0857-00-0000');
    await fill('国家試験.回数', '120');
    await fill('国家試験.合格年月日', '2026-03-16');
    await page.check('[name="欠格事由.罰金以上の刑"][value="false"]');
    await page.check('[name="欠格事由.業務に関する犯罪又は不正の行為"][value="false"]');
    await page.setInputFiles('#rf-files', pdf);
    await page.setInputFiles('#f-card', cardFile);
    await page.fill('#f-pin', PIN);
    // 受験番号 left empty: the registry names the item, the page shows it next to its input.
    await page.click('button:has-text("署名して申請する")');
    await expect.poll(() => page.isVisible('#registry-errors'), { timeout: 20_000 }).toBe(true);
    expect(await page.textContent('#registry-errors')).toContain('「受験番号」入力してください');
    expect(await page.textContent('[data-field="国家試験.受験番号"] .error-text')).not.toBe('');
    await page.screenshot({ path: join(shots, 'registry-apply-error.png'), fullPage: true });
    expect(await page.evaluate(() => 1)).toBe(1);
    const stored = await sql<{ n: string }>`SELECT count(*)::text AS n FROM registry.applications`.execute(w.app.db.system);
    expect(stored.rows[0]!.n).toBe('0');

    await fill('国家試験.受験番号', '012345');
    await page.fill('#f-pin', PIN);
    await page.click('button:has-text("署名して申請する")');
    await page.waitForURL(/\/registry\/applications\/[0-9a-f-]{36}\?submitted=1$/, { timeout: 30_000 });
    expect(await page.textContent('main')).toContain('申請を受け付けました');
    expect(await page.textContent('main')).toContain('審査待ち');
    await page.screenshot({ path: join(shots, 'registry-apply-received.png'), fullPage: true });
    const id = /applications\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    // The fee: shown on the receipt, paid on 公金決済's payer page, back to the portal.
    expect(await page.textContent('#registry-fee')).toContain('登録免許税');
    await page.click('button:has-text("手数料を支払う")');
    await page.waitForURL(new RegExp(`/registry/applications/${id}$`), { timeout: 20_000 });
    await page.click('a:has-text("公金決済サービスでお支払いへ進む")');
    await page.waitForURL(/\/pay\//, { timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'registry-apply-pay.png'), fullPage: true });
    await page.check('input[name="method"][value="card"]');
    await page.click('button[value="pay"]');
    await page.waitForURL(/\?paid=1&payment=/, { timeout: 20_000 });
    expect(await page.textContent('main')).toContain('お支払いの手続が終わりました');
    // 公金決済 tells the registry at once by a signed event (the registry's own sync is the fallback; it finds nothing more).
    expect(await syncFeePayments(await registryKosekiDeps(w.app, w.orgs.directory))).toMatchObject({ accepted: 0, failed: 0 });
    await page.reload();
    expect(await page.textContent('#registry-fee')).toContain('お支払いが確認できました');

    // The examiner: the registry's own screens, on its own node.
    const reg = w.url.registry;
    const staffPage = await context.newPage();
    await staffPage.goto(`${reg}/registry/login`);
    await staffPage.fill('#f-token', examinerToken);
    await staffPage.click('button:has-text("ログインする")');
    await staffPage.waitForURL(`${reg}/registry/applications`);
    expect(await staffPage.textContent('main')).toContain('鳥取　太郎');
    await staffPage.click('a:has-text("詳細")');
    await staffPage.waitForURL(`${reg}/registry/applications/${id}`);
    await staffPage.click('button:has-text("照会を実行する")');
    await staffPage.waitForURL(/done=checks/, { timeout: 30_000 });
    const checks = (await staffPage.textContent('main'))!;
    await staffPage.screenshot({ path: join(shots, 'registry-examine-checks.png'), fullPage: true });
    expect(checks).not.toContain('照会できませんでした');
    expect(checks).not.toContain('不一致');
    await staffPage.click('button:has-text("承認する")');
    await staffPage.waitForURL(/done=approved/, { timeout: 30_000 });
    const approvedText = (await staffPage.textContent('main'))!;
    const number = Number(/登録番号\s*(\d+)/.exec(approvedText)?.[1] ?? (await sql<{ n: string }>`SELECT registration_no::text AS n FROM registry.applications WHERE id = ${id}`.execute(w.app.db.system)).rows[0]!.n);
    await staffPage.screenshot({ path: join(shots, 'registry-examine-approved.png'), fullPage: true });
    const registered = (await sql<{ registration_no: string; registered_on: string }>`SELECT registration_no::text, to_char(registered_on, 'YYYY-MM-DD') AS registered_on FROM registry.entries WHERE application_id = ${id}`.execute(w.app.db.system)).rows[0]!;
    const entry = { number: Number(registered.registration_no), registeredOn: registered.registered_on };
    expect(entry.number).toBe(number);
    expect(findMyNumbers(checks + approvedText)).toEqual([]);

    await page.goto(`${portal}/home`);
    await page.click('a:has-text("国家資格の申請の状況")');
    await page.waitForURL(/\/registry$/);
    const list = (await page.textContent('main'))!;
    expect(list).toContain('医師・新規登録');
    expect(list).toContain('承認済み');
    expect(list).toContain(`登録番号は ${entry.number}`);
    await page.screenshot({ path: join(shots, 'registry-status-list.png'), fullPage: true });
    await page.click(`a[href="/registry/applications/${id}"]`);
    const detail = (await page.textContent('main'))!;
    expect(detail).toContain('新規登録の申請が承認されました');
    expect(detail).toContain(String(entry.number));
    expect(detail).toContain(formatWareki(entry.registeredOn));
    await page.screenshot({ path: join(shots, 'registry-status-notice.png'), fullPage: true });
    expect(findMyNumbers(await page.content())).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
