// Issue 11 browser acceptance: a 江戸川区 保健師 opens a child who moved in from 鳥取市, sees the previous
// municipality, asks it for the vaccination history through the network, sees the answer, adopts it, and
// the timeline shows the doses as 他団体から; the resident-facing "who used my data" API lists the inquiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { EDOGAWA, GOOD_PASSWORD, staff } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { moveInWorld, type MoveInWorld } from '../harness/exchange.js';

describe('move-in inquiry in a browser', () => {
  let world: MoveInWorld;
  let browser: Browser;

  beforeAll(async () => {
    world = await moveInWorld();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('asks the previous municipality, adopts the answer, and the timeline shows the doses from elsewhere', async () => {
    const { webUrl, movedAtena } = world;
    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await page.goto(`${webUrl}/login`);
    await page.fill('#f-tenant', EDOGAWA);
    await page.fill('#f-loginId', 'nurse-e');
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${webUrl}/`);

    await page.goto(`${webUrl}/residents/${movedAtena}/vaccinations`);
    await page.click('a:has-text("他団体への接種歴の照会")');
    await page.waitForURL(/\/exchange$/);
    const main = await page.textContent('main');
    expect(main).toContain('鳥取県鳥取市尚徳町116番地');
    expect(main).toContain('鳥取市（団体コード 312011）');
    await page.screenshot({ path: '.test-output/exchange-person.png', fullPage: true });

    await page.click('button:has-text("鳥取市に接種歴を照会する")');
    await page.waitForURL(/\/exchange\/inquiries\//);
    expect(await page.textContent('.notice')).toContain('鳥取市から接種記録が3件提供されました');
    const rows = await page.$$eval('section:has(h2:text("提供された接種記録")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('Hib');
    expect(await page.textContent('main')).toContain('番号法');
    await page.screenshot({ path: '.test-output/exchange-answer.png', fullPage: true });

    await page.click('button:has-text("選んだ記録を台帳に取り込む")');
    await page.waitForURL(/\/vaccinations$/);
    expect(await page.textContent('.notice')).toContain('3件を予防接種台帳に取り込みました');
    const ledger = await page.$$eval('section:has(h2:text("接種記録")) tbody tr', (trs: unknown[]) => trs.map((tr) => (tr as { innerText: string }).innerText));
    expect(ledger.filter((r) => r.includes('他団体から'))).toHaveLength(3);
    await page.screenshot({ path: '.test-output/exchange-timeline.png', fullPage: true });

    // The "who used my data" API (for the portal; here read by the auditor) lists the inquiry.
    const { password } = await staff(world.app, EDOGAWA, { login: 'audit-api', role: 'auditor', duties: ['audit-review'] });
    const login = await fetch(`${webUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: EDOGAWA, loginId: 'audit-api', password }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const use = await fetch(`${webUrl}/api/v1/residents/${movedAtena}/data-use`, { headers: { authorization: `Bearer ${token}` } });
    expect(use.status).toBe(200);
    const body = (await use.json()) as { exchanges: { requester: string; provider: string; status: string }[]; accesses: { action: string }[] };
    expect(body.exchanges).toContainEqual(expect.objectContaining({ requester: EDOGAWA, provider: '312011', status: 'provided' }));
    expect(body.accesses.map((a) => a.action)).toContain('exchange_inquiry');
  });
});
