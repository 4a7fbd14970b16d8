// The 情報連携 screens (中間サーバー端末) of 鳥取市: the overview with the 符号 acquisition counts and the 副本
// batches (XCH-01, XCH-05), the 副本 list and its CSV for reconciliation with the 原本 (XCH-06), a provision held by
// the 自動応答不可フラグ going through the content check and the 上長承認 by a different user (XCH-12, XCH-13)
// until 江戸川区 receives it, the settings (XCH-14, XCH-15) and the 情報提供等記録 with its CSV (XCH-14); the
// duty is required; screenshots of the overview and the pending list go to .test-output/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql } from 'kysely';
import { GOOD_PASSWORD, staff, TOTTORI } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { CHILD, moveInWorld, type MoveInWorld } from '../harness/exchange.js';
import { PageClient, visibleText } from '../harness/web.js';
import { mn, person } from '../harness/residents.js';
import { askVaccinationHistory, refreshInquiry } from '../../src/municipality/exchange/index.js';

describe('情報連携 screens (中間サーバー端末)', () => {
  let world: MoveInWorld;
  let browser: Browser;
  const clients: Record<'renkei' | 'jocho' | 'etsuran' | 'nurse', PageClient> = {} as Record<'renkei' | 'jocho' | 'etsuran' | 'nurse', PageClient>;
  let exchangeId: string;

  beforeAll(async () => {
    world = await moveInWorld();
    await staff(world.app, TOTTORI, { login: 'renkei', role: 'clerk', duties: ['exchange'] });
    await staff(world.app, TOTTORI, { login: 'jocho', role: 'supervisor', duties: ['exchange'] });
    await staff(world.app, TOTTORI, { login: 'etsuran', role: 'viewer', duties: ['exchange'] });
    for (const who of ['renkei', 'jocho', 'etsuran'] as const) {
      clients[who] = new PageClient(world.webUrl);
      await clients[who].login(TOTTORI, who, GOOD_PASSWORD);
    }
    clients.nurse = new PageClient(world.webUrl);
    await clients.nurse.login(TOTTORI, 'nurse-t', GOOD_PASSWORD);
    browser = await launch();
    mkdirSync('.test-output', { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('the overview shows the 符号 acquisition counts, the last 副本 batch and the navigation item', async () => {
    const r = await clients.renkei.get('/exchange');
    expect(r.status).toBe(200);
    const text = visibleText(r.text).replace(/\s+/g, ' ');
    expect(text).toContain('符号の取得状況');
    expect(text).toMatch(/団体内統合宛名番号のある方 2人のうち、2人の符号/);
    expect(text).toMatch(/取得済み 2人/);
    expect(text).toContain('予防接種履歴（予防接種の実施に関する情報）');
    expect(text).toMatch(/副本：2人分/);
    expect(text).not.toContain('vaccination-history');
    expect(r.text).toMatch(/<a href="\/exchange"[^>]*>情報連携<\/a>/);
  });

  it('the 副本 list shows the registered rows, and its CSV has the header and one line per dose without name or My Number', async () => {
    const r = await clients.renkei.get('/exchange/copies');
    expect(r.status).toBe(200);
    const text = visibleText(r.text).replace(/\s+/g, ' ');
    expect(text).toContain('全 2 件中 1–2 件を表示');
    expect(text).toContain('3件'); // the child's three Hib doses
    expect(text).toContain(world.firstCopies.batches[0]!.slice(0, 8));
    expect((await clients.renkei.get('/exchange/copies?page=x')).status).toBe(400);

    const csv = await clients.renkei.get('/exchange/copies.csv');
    expect(csv.status).toBe(200);
    expect(csv.res.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('統合宛名番号,特定個人情報の項目,予防接種,回数,接種日,ワクチン,ロット番号,副本の登録日時,登録の記録（バッチ番号）,ダイジェスト');
    expect(lines).toHaveLength(1 + 3 + 1); // three Hib doses and the neighbour's BCG without a date
    expect(lines.filter((l) => l.includes('LOT'))).toHaveLength(3);
    expect(lines.some((l) => l.includes('不明'))).toBe(true);
    for (const i of [CHILD, CHILD + 1]) {
      expect(csv.text).not.toContain(mn(i));
      expect(csv.text).not.toContain(person(i)['氏名']!);
    }
    const audit = await sql<{ action: string }>`SELECT action FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND actor_login = 'renkei' AND target_type = 'exchange-copies'`.execute(world.app.db.system);
    expect(audit.rows.map((a) => a.action)).toEqual(expect.arrayContaining(['read', 'export']));

    const batches = await clients.renkei.get('/exchange/batches');
    expect(visibleText(batches.text)).toContain('予防接種履歴（予防接種の実施に関する情報）');
    expect(visibleText(batches.text)).not.toContain('不備のあった行');

    // A row for a person without a 符号 is rejected: the batch record shows it with the correction procedure (XCH-06).
    await world.orgs.municipal.node.call('chukan-312011', 'copies.register', { tenant: TOTTORI, process: 'test-reject', operator: 'renkei', item: 'vaccination-history', rows: [{ integratedNo: '999999999999999', data: { records: [{ program: 'hib' }] } }] }, { personal: true });
    const faulty = visibleText((await clients.renkei.get('/exchange/batches')).text).replace(/\s+/g, ' ');
    expect(faulty).toContain('不備のあった行と修正の手順');
    expect(faulty).toContain('符号が取得されていない方の副本（1行・1回の登録');
    expect(faulty).toContain('符号の取得と副本の登録をやり直す');
    expect(faulty).not.toContain('CODE_NOT_ACQUIRED');
  });

  it('staff without the 情報連携 duty are refused', async () => {
    for (const path of ['/exchange', '/exchange/copies', '/exchange/copies.csv', '/exchange/pending', '/exchange/records', '/exchange/settings']) {
      expect((await clients.nurse.get(path)).status, path).toBe(403);
    }
    const home = await clients.nurse.get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toMatch(/<a href="\/exchange"[^>]*>情報連携<\/a>/);
  });

  it('a flagged item is held; the check by one user and the 上長承認 by another deliver it to 江戸川区', async () => {
    const settings = await clients.renkei.get('/exchange/settings');
    expect(visibleText(settings.text)).toContain('自動応答する');
    const flagged = await clients.renkei.post('/exchange/settings/items', { _csrf: PageClient.csrf(settings.text), item: 'vaccination-history', autoAnswerDisabled: 'true' });
    expect(flagged.status).toBe(302);
    expect(visibleText((await clients.renkei.get('/exchange/settings')).text)).toContain('自動応答しない（確認・承認の後に提供）');

    const asked = await askVaccinationHistory(world.app.db, world.nurseEdogawa, world.orgs.municipal, world.movedAtena);
    expect(asked.status).toBe('pending');
    exchangeId = asked.exchangeId;

    const list = await clients.renkei.get('/exchange/pending');
    expect(list.status).toBe(200);
    const text = visibleText(list.text).replace(/\s+/g, ' ');
    expect(text).toContain('江戸川区（131237）からの照会');
    expect(text).toContain(exchangeId);
    expect(text).toContain('Hib');
    expect(text).toContain('内容の確認待ち');
    expect(list.text).not.toContain('/approve"'); // a clerk holds no approval right: no approve button
    const digest = /name="digest" value="([^"]*)"/.exec(list.text)![1]!;

    // A 閲覧者 of the duty reads the list but records neither step, and has no CSV link.
    const viewer = await clients.etsuran.get('/exchange/pending');
    expect(viewer.status).toBe(200);
    expect(viewer.text).toContain(exchangeId);
    expect(viewer.text).not.toContain('/check"');
    expect((await clients.etsuran.post(`/exchange/pending/${exchangeId}/check`, { _csrf: PageClient.csrf(viewer.text), digest })).status).toBe(403);
    expect((await clients.etsuran.get('/exchange/copies')).text).not.toContain('copies.csv');

    // The supervisor checks it and cannot approve their own check.
    const jocho = await clients.jocho.get('/exchange/pending');
    const checked = await clients.jocho.post(`/exchange/pending/${exchangeId}/check`, { _csrf: PageClient.csrf(jocho.text), digest });
    expect(checked.status).toBe(302);
    const own = await clients.jocho.get('/exchange/pending');
    expect(visibleText(own.text)).toContain('内容を確認したのはあなたです');
    const self = await clients.jocho.post(`/exchange/pending/${exchangeId}/approve`, { _csrf: PageClient.csrf(own.text) });
    expect(self.status).toBe(403);
    expect(visibleText(self.text)).toContain('上長承認は、確認した職員とは別の職員（上長）が行ってください');
    const refused = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND actor_login = 'jocho' AND action = 'access_denied' AND target_id = ${exchangeId}`.execute(world.app.db.system);
    expect(refused.rows[0]!.n).toBe(1);

    // The clerk checks it again (step 1) and has no right to approve (step 2): 403, nothing approved.
    const again = await clients.renkei.get('/exchange/pending');
    expect((await clients.renkei.post(`/exchange/pending/${exchangeId}/check`, { _csrf: PageClient.csrf(again.text), digest })).status).toBe(302);
    const clerkPage = await clients.renkei.get('/exchange/pending');
    expect(visibleText(clerkPage.text)).toContain('内容確認済み（renkei');
    expect((await clients.renkei.post(`/exchange/pending/${exchangeId}/approve`, { _csrf: PageClient.csrf(clerkPage.text) })).status).toBe(403);
    expect((await refreshInquiry(world.app.db, world.nurseEdogawa, world.orgs.municipal, exchangeId)).status).toBe('pending');

    // The supervisor approves the clerk's check.
    const sup = await clients.jocho.get('/exchange/pending');
    expect(sup.text).toContain('2. 上長承認（提供する）');
    const ok = await clients.jocho.post(`/exchange/pending/${exchangeId}/approve`, { _csrf: PageClient.csrf(sup.text) });
    expect(ok.status).toBe(302);
    expect(visibleText((await clients.jocho.get('/exchange/pending')).text)).toContain('確認・承認を待っている提供はありません');
    const check = await sql<{ checked_by: string; approved_by: string }>`SELECT checked_by, approved_by FROM municipality.exchange_checks WHERE exchange_id = ${exchangeId}`.execute(world.app.db.system);
    expect(check.rows[0]).toMatchObject({ checked_by: 'renkei', approved_by: 'jocho' });

    const got = await refreshInquiry(world.app.db, world.nurseEdogawa, world.orgs.municipal, exchangeId);
    expect(got.status).toBe('provided');
    expect(got.records).toHaveLength(3);
  });

  it('the 情報提供等記録 lists the inquiry with Japanese names, exports it, and records the review', async () => {
    const r = await clients.renkei.get('/exchange/records');
    expect(r.status).toBe(200);
    const text = visibleText(r.text).replace(/\s+/g, ' ');
    expect(text).toContain('江戸川区（131237）');
    expect(text).toContain('提供');
    expect(text).toContain('上長承認');
    expect(text).toContain('予防接種の実施に関する事務');
    expect(text).toContain('renkei／jocho');
    expect((await clients.renkei.get('/exchange/records?kind=bogus')).status).toBe(400);
    const approvals = visibleText((await clients.renkei.get('/exchange/records?kind=approval')).text);
    expect(approvals).toContain('全 1 件中 1–1 件を表示');

    const csv = await clients.renkei.get('/exchange/records.csv');
    expect(csv.status).toBe(200);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('日時,種別,相手先,事務,特定個人情報の項目,根拠法令,結果,職員,連携番号,統合宛名番号');
    expect(lines.filter((l) => l.includes(exchangeId)).length).toBeGreaterThanOrEqual(3); // held, approved, provided
    expect(csv.text).toContain('江戸川区（131237）');

    const reviewed = await clients.renkei.post('/exchange/records/review', { _csrf: PageClient.csrf(r.text) });
    expect(reviewed.status).toBe(302);
    expect(visibleText((await clients.renkei.get('/exchange/records')).text)).toMatch(/前回の点検\s*\S+.*renkei/);
  });

  it('the retention settings are changed, refused out of range, and audited', async () => {
    const page = await clients.renkei.get('/exchange/settings');
    const bad = await clients.renkei.post('/exchange/settings/retention', { _csrf: PageClient.csrf(page.text), resultRetentionDays: '14', recordRetentionYears: '0', reviewIntervalDays: '90' });
    expect(bad.status).toBe(400);
    expect(visibleText(bad.text)).toContain('1 以上 100 以下の整数で入力してください');
    const ok = await clients.renkei.post('/exchange/settings/retention', { _csrf: PageClient.csrf(page.text), resultRetentionDays: '14', recordRetentionYears: '10', reviewIntervalDays: '90' });
    expect(ok.status).toBe(302);
    const text = visibleText((await clients.renkei.get('/exchange/settings')).text);
    expect(text).toContain('14日');
    expect(text).toContain('10年');
    const audit = await sql<{ detail: Record<string, unknown> }>`SELECT detail FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND action = 'settings_change' AND target_type = 'exchange-settings' ORDER BY id`.execute(world.app.db.system);
    expect(audit.rows.length).toBe(2); // the flag and the retention
    expect(audit.rows[1]!.detail).toMatchObject({ resultRetentionDays: { from: 7, to: 14 }, recordRetentionYears: { from: 7, to: 10 } });
  });

  it('screenshots of the overview, the pending list, the records, the batches and the settings', async () => {
    const ctx = await browser.newContext({ locale: 'ja-JP' });
    const page = await ctx.newPage();
    await page.goto(`${world.webUrl}/login`);
    await page.fill('#f-tenant', TOTTORI);
    await page.fill('#f-loginId', 'jocho');
    await page.fill('#f-password', GOOD_PASSWORD);
    await page.click('button:has-text("ログイン")');
    await page.waitForURL(`${world.webUrl}/`);
    await page.click('nav a:has-text("情報連携")');
    await page.waitForURL(`${world.webUrl}/exchange`);
    expect(await page.textContent('main')).toContain('符号の取得状況');
    await page.screenshot({ path: '.test-output/exchange-admin-overview.png', fullPage: true });
    // A second inquiry is held (the flag is still on) so that the list shows one waiting.
    await askVaccinationHistory(world.app.db, world.nurseEdogawa, world.orgs.municipal, world.movedAtena);
    await page.goto(`${world.webUrl}/exchange/pending`);
    expect(await page.textContent('main')).toContain('江戸川区（131237）からの照会');
    await page.screenshot({ path: '.test-output/exchange-admin-pending.png', fullPage: true });
    await page.goto(`${world.webUrl}/exchange/records`);
    await page.screenshot({ path: '.test-output/exchange-admin-records.png', fullPage: true });
    await page.goto(`${world.webUrl}/exchange/batches`);
    await page.screenshot({ path: '.test-output/exchange-admin-batches.png', fullPage: true });
    await page.goto(`${world.webUrl}/exchange/settings`);
    await page.screenshot({ path: '.test-output/exchange-admin-settings.png', fullPage: true });
    await ctx.close();
  });

  it('with its 中間サーバー down, a screen says so (503) instead of failing bare', async () => {
    expect(await world.orgs.stop('chukan-312011')).toBe(true);
    const r = await clients.renkei.get('/exchange');
    expect(r.status).toBe(503);
    expect(visibleText(r.text)).toContain('中間サーバーから応答を得られませんでした');
  });
});
