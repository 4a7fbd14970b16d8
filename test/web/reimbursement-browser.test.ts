// Issue 14 acceptance in real Chromium, every organisation real: a parent signs an electronic reimbursement
// application (償還払い) with the synthetic My Number card and submits it to サービス検索・電子申請機能; in the
// staff screens official A collects it on 申請管理, reviews and accepts it, takes it into 償還払い and examines
// it against the subsidy program and the ledger; official B (approval is never by the examiner) approves it;
// a payment batch with 償還払い is made on /payments and the 全銀 総合振込 file is downloaded through the page's
// link.  The bytes are checked against docs/formats/zengin-transfer.md; no page, no answer and no file holds a
// My Number.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runAs } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { canonicalDocumentText, signDocument } from '../../src/kernel/jpki/index.js';
import { EFORM_FORMAT } from '../../src/kernel/eforms/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import { setRequester } from '../../src/municipality/billing/index.js';
import { setSubsidyProgram } from '../../src/municipality/reimburse/index.js';
import { GOOD_PASSWORD, staff, TOTTORI } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { person } from '../harness/residents.js';
import { CHILD_BIRTH, PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';

const ACCOUNT = { bankCode: '0168', branchCode: '101', accountType: '1', accountNumber: '7654321', holderKana: 'トットリ　タロウ' };

describe('電子申請の償還払い in a browser: review, examination, approval by another official, 総合振込 file', () => {
  let w: PlatformWorld;
  let browser: Browser;
  let shots = '';
  let today = '';
  const seen: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    w = await platformWorld();
    today = w.app.config.clock.today();
    shots = process.env['MAMORI_REIMBURSE_SHOTS'] || join(w.app.tmp, 'shots');
    mkdirSync(shots, { recursive: true });
    for (const login of ['shinsa-a', 'shonin-b']) await staff(w.app, TOTTORI, { login, duties: ['vaccination'] });
    // The dose in the ledger (the child's Hib, ten days ago), the subsidy program and the 振込依頼人.
    await runAs(w.app.db, w.nurse, async (x) => {
      await createRecord(x, w.atena.child, { product: 'hib', vaccinatedOn: addDaysIso(today, -10), lot: 'HB001', institutionCode: '3110100013' }, { source: 'staff' });
      await setSubsidyProgram(x, { code: 'hib-kouiki', name: 'ヒブ接種費用助成（広域・償還払い）', program: 'hib', minAge: 0, maxAge: 5, amountKind: 'up-to-cost', amount: 6000, validFrom: addDaysIso(today, -365) });
      await setRequester(x, { requesterCode: '1234567890', requesterKana: 'トットリシ', bankCode: '0168', bankKana: 'トットリギンコウ', branchCode: '001', branchKana: 'ホンテン', accountType: '1', accountNo: '1111111' });
    });
    // The parent signs the standard form with the card's 署名用 certificate and submits it to the portal.
    const d = {
      format: EFORM_FORMAT, tenant: TOTTORI, kind: 'reimbursement',
      form: {
        subject: { name: '鳥取　はな', nameKana: 'トットリ　ハナ', birthDate: CHILD_BIRTH }, relation: 'parent', phone: '0857-00-1111', myNumber: person(WHO.child)['個人番号']!,
        program: 'hib', dose: 1, vaccinatedOn: addDaysIso(today, -10), clinicName: '大阪こどもクリニック', receiptDate: addDaysIso(today, -10), amountPaid: 8800, bank: ACCOUNT,
      },
    };
    const s = await signDocument(w.cards.parent, PIN, d);
    const eapply = w.orgs.nodes.find((x) => x.name === 'eapply')!.url;
    const res = await fetch(`${eapply}/eapply/v1/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document: canonicalDocumentText(d), signature: { certPem: s.certPem, value: s.signature } }) });
    expect(res.status, await res.clone().text()).toBe(201);
    browser = await launch();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const official = async (login: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', async (r) => {
      const type = r.headers()['content-type'] ?? '';
      if (type.startsWith('text/html') || type.includes('json')) seen.push(await r.text().catch(() => ''));
    });
    await page.goto(`${w.url.staff}/login`);
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', login);
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${w.url.staff}/`);
    return { context, page };
  };
  const shot = async (page: Page, name: string) => {
    seen.push((await page.textContent('body')) ?? '');
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  const submit = async (page: Page, label: string) => Promise.all([page.waitForNavigation(), page.click(`button:has-text("${label}")`)]);

  it('A reviews and accepts, takes it in and examines; B approves; the 総合振込 file carries the person\'s account and amount', async () => {
    // ── official A: 申請管理 ──
    const a = await official('shinsa-a');
    let page = a.page;
    await page.goto(`${w.url.staff}/eapply`);
    expect(await page.textContent('h1')).toContain('電子申請');
    await submit(page, '電子申請を取り込む');
    expect(await page.textContent('main')).toContain('受信 1件（確認済 1件、却下 0件）');
    expect(await page.locator('tbody tr', { hasText: '償還払い' }).textContent()).toContain(`鳥取　はな（${w.atena.child}）`);
    await shot(page, '01-eapply-list');
    await Promise.all([page.waitForNavigation(), page.click('tr:has-text("償還払い") >> text=詳細')]);
    const detail = (await page.textContent('main')) ?? '';
    expect(detail).toContain('鳥取　はな');
    expect(detail).toContain('8,800円');
    expect(detail).toMatch(/検証済（署名用電子証明書のシリアル番号 [0-9a-f]+、有効期限 令和\d+年\d+月\d+日）/);
    expect(detail).toContain('記載あり（署名検証・本人特定に使用。表示しません）');
    await shot(page, '02-eapply-detail');
    await submit(page, '審査を開始する');
    expect(await page.textContent('main')).toContain('審査を開始しました');
    await submit(page, '受理する');
    expect(await page.textContent('main')).toContain('受理しました');
    expect(await page.textContent('main')).toContain('償還払いの審査に引き継ぎました（償還払いへの取込待ち）');
    await shot(page, '03-eapply-accepted');
    const eapplyDetail = page.url();

    // ── 償還払い: take the accepted application in and examine it ──
    await page.goto(`${w.url.staff}/reimbursements`);
    await submit(page, '受理した電子申請を取り込む');
    expect(await page.textContent('main')).toContain('電子申請を取り込みました：1件');
    const row = page.locator('tbody tr', { hasText: '電子申請' });
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('鳥取　はな');
    expect(await row.textContent()).toContain('8,800円');
    await shot(page, '04-reimbursements');
    await Promise.all([page.waitForNavigation(), row.locator('text=詳細・審査').click()]);
    const url = page.url();
    // The e-application now leads to the 償還払い application it became.
    await page.goto(eapplyDetail);
    expect(await page.getAttribute('a:has-text("償還払いの申請を開く")', 'href')).toBe(new URL(url).pathname);
    await page.goto(url);
    expect(await page.textContent('main')).toContain('ﾄﾂﾄﾘ ﾀﾛｳ'); // the account of the application, in 全銀 characters
    expect(await page.textContent('main')).toMatch(/接種を受けた方\s*鳥取　はな/);
    await submit(page, '助成制度と接種記録で審査する');
    expect(await page.textContent('main')).toContain('審査しました：助成対象（6,000円）');
    expect(await page.textContent('main')).toContain('審査した職員とは別の職員が承認します');
    expect(await page.locator('button:has-text("助成を承認する")').count()).toBe(0);
    await shot(page, '05-reimbursement-examined');
    await a.context.close();

    // ── official B: approval, the payment batch and the file ──
    const b = await official('shonin-b');
    page = b.page;
    await page.goto(url);
    await submit(page, '6,000円の助成を承認する');
    expect(await page.textContent('main')).toContain('承認しました。次の支払で振り込みます。');
    await shot(page, '06-reimbursement-approved');
    await page.goto(`${w.url.staff}/payments`);
    expect(await page.textContent('h1')).toBe('支払と振込ファイル（医療機関・償還払い）');
    expect(await page.textContent('main')).toContain('承認済みの償還払い 1件（6,000円）も支払う');
    expect(await page.isChecked('input[name="reimbursements"]')).toBe(true);
    await shot(page, '07-payments');
    await submit(page, '承認して支払を作成');
    expect(await page.textContent('main')).toContain('支払を作成しました：振込 1件、合計 6,000円。');
    expect(await page.textContent('main')).toContain('償還払い（全1件）');
    expect(await page.locator('tbody tr', { hasText: '鳥取　はな' }).textContent()).toContain('金融機関 0168・支店 101・普通 7654321・ﾄﾂﾄﾘ ﾀﾛｳ');
    await shot(page, '08-payment-batch');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("総合振込ファイルをダウンロード")')]);
    const bytes = readFileSync((await download.path())!);
    expect(download.suggestedFilename()).toMatch(/\.txt$|\.dat$|^[^/]+$/);

    // ── the file: 120-byte records with CRLF, Shift_JIS, header · one data record · trailer · end ──
    expect(bytes.length).toBe(4 * 122);
    const records: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 122) {
      expect(bytes.subarray(i + 120, i + 122).toString('latin1')).toBe('\r\n');
      records.push(bytes.subarray(i, i + 120));
    }
    expect(records.map((r) => r.toString('latin1')[0])).toEqual(['1', '2', '8', '9']);
    const text = iconv.decode(bytes, 'Shift_JIS');
    expect(iconv.encode(text, 'Shift_JIS').equals(bytes)).toBe(true);
    const field = (r: Buffer, from: number, len: number) => iconv.decode(r.subarray(from - 1, from - 1 + len), 'Shift_JIS');
    const [header, data, trailer] = records as [Buffer, Buffer, Buffer];
    expect(field(header, 2, 2)).toBe('21');
    expect(field(header, 5, 10)).toBe('1234567890');
    expect(field(header, 15, 40).trimEnd()).toBe('ﾄﾂﾄﾘｼ');
    expect(field(data, 2, 4)).toBe('0168');
    expect(field(data, 21, 3)).toBe('101');
    expect(field(data, 43, 1)).toBe('1');
    expect(field(data, 44, 7)).toBe('7654321');
    expect(field(data, 51, 30)).toBe('ﾄﾂﾄﾘ ﾀﾛｳ'.padEnd(30, ' '));
    expect(field(data, 81, 10)).toBe('0000006000');
    expect(field(data, 92, 10)).toBe('0000000001'); // 顧客コード1: the 申請番号, nothing personal
    expect(field(data, 112, 1)).toBe('7');
    expect(field(trailer, 2, 6)).toBe('000001');
    expect(field(trailer, 8, 12)).toBe('000000006000');
    expect(findMyNumbers(text)).toEqual([]);
    await b.context.close();

    expect(errors).toEqual([]);
    expect(findMyNumbers(seen.join('\n'))).toEqual([]);
  }, 300_000);
});
