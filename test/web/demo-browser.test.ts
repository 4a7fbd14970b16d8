// A newcomer walks the demo (issue 9 point 3 and its "done when"): `mamori demo` as a child process on a
// PostgreSQL database, exactly as the README starts it (with a smaller city), then in Chromium: log in with
// the printed password, change it, see the home with work items, open a resident with a vaccination
// history, issue a COVID-19 certificate, and verify its QR on the public page, which says it is a demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import pg from 'pg';
import { freshConfig } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { TEST_NOW } from '../harness/clock.js';
import { MAMORI_BIN, ROOT } from '../harness/paths.js';

const TOTTORI = '312011';
const NEW_PASSWORD = 'Demo-Newcomer-2026!';

describe('the demo as a newcomer sees it', () => {
  let store: Awaited<ReturnType<typeof freshConfig>>;
  let child: ChildProcess;
  let out = '';
  let url = '';
  let browser: Browser;

  beforeAll(async () => {
    store = await freshConfig('server');
    child = spawn(process.execPath, [MAMORI_BIN, 'demo', '--port', '0', '--residents', '120', '--data', join(store.tmp, 'data')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: store.config.databaseUrl!, MAMORI_CLOCK: TEST_NOW, MAMORI_INSECURE_COOKIES: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const end = Date.now() + 240_000;
    while (!out.includes('停止するには')) {
      if (child.exitCode !== null) throw new Error(`demo exited ${child.exitCode}: ${err}`);
      if (Date.now() > end) throw new Error(`demo did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    url = /^URL: (\S+)$/m.exec(out)![1]!;
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
    await store?.drop();
  });

  it('log in, home with work items, a resident with history, a COVID-19 certificate verified on the public page', async () => {
    // The banner: the log is elsewhere, the credentials are printed once per account.
    expect(out).not.toMatch(/"level":/);
    const password = new RegExp(`ログインID: hokenshi\\s+初期パスワード: (\\S{16})`).exec(out.slice(out.indexOf('鳥取市（団体コード')))?.[1];
    expect(password).toBeDefined();

    // A person of the synthetic city with COVID-19 doses (the newcomer would search; the test picks one).
    const db = new pg.Client({ connectionString: store.config.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ atena_no: string; name_kana: string; n: string }>(
      `SELECT p.atena_no, p.name_kana, count(*) AS n FROM municipality.persons p JOIN municipality.vaccination_records r ON r.tenant_code = p.tenant_code AND r.atena_no = p.atena_no
       WHERE p.tenant_code = $1 AND r.product LIKE 'covid%' AND r.status = 'active' AND p.status = 'resident' GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1`,
      [TOTTORI],
    );
    await db.end();
    expect(rows.length).toBe(1);
    const { atena_no: atenaNo } = rows[0]!;

    const page = await browser.newPage({ locale: 'ja-JP' });
    await page.goto(`${url}login`);
    await expect(page.locator('.demo-banner').innerText()).resolves.toContain('デモ環境');
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', 'hokenshi');
    await page.fill('#f-password', password!);
    await page.click('button:has-text("ログイン")');
    // First login: the initial password must be changed.
    await page.waitForURL(/\/password$/);
    await page.fill('#f-currentPassword', password!);
    await page.fill('#f-newPassword', NEW_PASSWORD);
    await page.fill('#f-newPasswordConfirm', NEW_PASSWORD);
    await page.click('main button[type="submit"]');
    await page.waitForURL(`${url}`);

    // The home shows the day's work (the demo city brings queue items, rejects and an extraction run).
    const home = await page.locator('main').innerText();
    expect(home).toContain('保健 花子');
    expect(home).toContain('対応が必要な作業');
    // The demo's morning (decision 0119): this month's clinic batch with two rows to review and one refused,
    // the 予診票 of the extraction run not yet sent, an application at the counter.
    const items = await page.locator('main .worklist__item .worklist__title').allInnerTexts();
    expect(items).toEqual(
      expect.arrayContaining(['接種記録の照合の確認待ち', '取込の記録：取り込めなかった行のある接種記録ファイル', '発送待ちの通知書', '交付待ちの証明書の申請']),
    );

    // The resident: search by 宛名番号, open, a history with COVID-19 doses.
    await page.goto(`${url}residents`);
    await page.fill('#f-atenaNo', atenaNo);
    await page.click('button:has-text("検索")');
    await page.click(`main tbody tr a[href="/residents/${atenaNo}"]`);
    await page.waitForURL(`${url}residents/${atenaNo}`);
    const residentText = await page.locator('main').innerText();
    expect(residentText).toContain('異動・変更の履歴');
    expect(residentText).not.toMatch(/system:/); // who imported the row is named, not stamped
    await page.click(`a[href="/residents/${atenaNo}/vaccinations"]`);
    await page.waitForURL(`${url}residents/${atenaNo}/vaccinations`);
    expect(await page.locator('main').innerText()).toContain('新型コロナ');

    // Issue a COVID-19 certificate (国内用) at the counter.
    await page.click(`a[href="/residents/${atenaNo}/certificates"]`);
    await page.selectOption('#f-kind', 'covid19-domestic');
    await page.selectOption('#f-identityDocument', 'mynumber-card');
    await page.selectOption('#f-reason', { index: 1 });
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/certificates\/applications\//);
    await page.click('button:has-text("交付する")');
    await page.waitForURL(/\/certificates\/[0-9a-f-]{36}$/);
    expect(await page.locator('main').innerText()).toContain('SMART Health Card');
    const certId = page.url().split('/').at(-1)!;

    // The card file as staff download it; its QR text is what a verifier app reads.
    const card = (await (await page.request.get(`${url}certificates/${certId}/card.smart-health-card`)).json()) as { verifiableCredential: string[] };
    const jws = card.verifiableCredential[0]!;
    expect(jws.split('.')).toHaveLength(3);

    // The public verify page, in a fresh context without a session.
    const anon = await browser.newPage({ locale: 'ja-JP' });
    await anon.goto(`${url}verify`);
    await expect(anon.locator('.demo-banner').innerText()).resolves.toContain('デモ');
    await anon.fill('#qr', jws);
    await anon.click('button:has-text("検証する")');
    const verdict = await anon.locator('main').innerText();
    expect(verdict).toContain('この証明書は有効です');
    expect(verdict).toContain('鳥取市');
  });
});
