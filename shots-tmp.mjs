import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const url = process.argv[2];
const creds = JSON.parse(readFileSync('/tmp/demo1/demo-credentials.json', 'utf8'));
const NEW = 'Kyou-no-shigoto-2026!';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
async function login(login) {
  const page = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  await page.goto(url + 'login');
  await page.fill('#f-tenant', '312011');
  await page.fill('#f-loginId', login);
  await page.fill('#f-password', creds[`312011/${login}`] ?? NEW);
  await page.click('button:has-text("ログイン")');
  await page.waitForLoadState();
  if (page.url().endsWith('/password')) {
    await page.fill('#f-currentPassword', creds[`312011/${login}`]);
    await page.fill('#f-newPassword', NEW);
    await page.fill('#f-newPasswordConfirm', NEW);
    await page.click('main button[type="submit"]');
    await page.waitForLoadState();
  }
  return page;
}
const shot = async (page, path, name) => { await page.goto(url + path.replace(/^\//, '')); await page.screenshot({ path: `/tmp/shots/${name}.png`, fullPage: true }); console.log(name, page.url()); };
const h = await login('hokenshi');
await shot(h, '/', 'home');
await shot(h, '/vaccinations/queue', 'queue');
await shot(h, '/vaccinations/imports', 'imports');
await shot(h, '/residents?kana=ヤ', 'residents');
const href = await h.locator('main tbody tr a').first().getAttribute('href');
await shot(h, href, 'resident');
await shot(h, href + '/vaccinations', 'resident-vax');
await shot(h, '/notices', 'notices');
await shot(h, '/certificates/applications', 'applications');
const k = await login('kansa');
await shot(k, '/', 'kansa-home');
await shot(k, '/audit', 'audit');
const anon = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
await shot(anon, '/verify', 'verify');
await browser.close();
