// 国家資格の申請 in the resident portal, in real Chromium (issue 15 "Done when": the applicant applies in the
// portal with a card file and PIN and later sees the result notice), every organisation real: the applicant
// logs in with the card, chooses 医師・新規登録, fills in the form item by item (a missing item is named next to
// its input), attaches a PDF, signs with the card file and PIN (券面事項入力補助 and 署名用 key opened in the
// page), sees the receipt; the examination's approval is made here directly (transitionApplication +
// registerEntry, the examination part is another's); the applicant then sees the result notice with the
// 登録番号 and 登録年月日 on 「申請の状況」.  Screenshots in .test-output/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, type Kysely } from 'kysely';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { formatWareki } from '../../src/kernel/jp/index.js';
import { applicationMyNumber, registerEntry, REGISTRY_ROLE, RegistrySecrets, transitionApplication, withRegistryTenant } from '../../src/registry/index.js';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, type PlatformWorld } from '../harness/platform.js';

describe('国家資格の申請 in a browser (real organisations)', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let db: Kysely<UntypedDatabase>;
  const shots = join(process.cwd(), '.test-output');

  beforeAll(async () => {
    w = await platformWorld();
    db = await w.app.db.forRole(REGISTRY_ROLE);
    browser = await launch();
    mkdirSync(shots, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('applies with the card file and PIN, and later sees the approval notice', async () => {
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
    await fill('住所.住所', '鳥取県鳥取市見本町1番地');
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

    // The examination approves (another part of issue 15; here directly): the register entry, then the application.
    const clock = w.app.config.clock;
    const secrets = RegistrySecrets.open(w.app.config.keyDir);
    const { form, myNumber } = await withRegistryTenant(db, 'mhlw-isei', async (tx) => ({
      form: (await sql<{ form: Record<string, unknown> }>`SELECT form FROM registry.applications WHERE id = ${id}`.execute(tx)).rows[0]!.form,
      myNumber: await applicationMyNumber(tx, secrets, id),
    }));
    expect(form['国家試験']).toEqual({ 回数: 120, 受験番号: '012345', 合格年月日: '2026-03-16' });
    const entry = await registerEntry({ db, clock, secrets }, { applicationId: id, qualification: 'ishi', application: form, myNumber, approvedBy: 'shinsa1' });
    await withRegistryTenant(db, 'mhlw-isei', (tx) => transitionApplication(tx, clock, id, { from: ['received'], to: 'approved', by: 'shinsa1', registrationNo: entry.number }));

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
