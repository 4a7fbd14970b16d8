// The registry's staff screens in a real browser (issue 15 Must have 4 and 5; decision 0195): a 審査責任者
// logs in with their staff token, finds the application in the 審査待ち一覧, reads it (form items under their
// Japanese names, attachment, checks, what approval needs), approves it and sees the 登録番号; then opens the
// entry and records a 行政処分.  No page shows a My Number.  Screenshots go to $REGISTRY_SHOTS when set.
import { sql, type Kysely } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  applyForStaff, approveStaff, checkAttachment, exampleForm, importPassers, insertApplication, issueStaffToken, recordCheck, REGISTRY_ROLE, RegistrySecrets, syncAdministrators,
  withRegistryTenant,
} from '../../src/registry/index.js';
import { registryPages } from '../../src/web/registry/index.js';
import { launch } from '../harness/browser.js';
import { settleFeesByStamps } from '../harness/registry.js';
import { testApp, type TestApp } from '../harness/app.js';
import { findMyNumbers } from '../harness/leaks.js';

let app: TestApp;
let db: Kysely<UntypedDatabase>;
let orgs: Organisations;
let browser: Browser;
let url: string;
const SHOTS = process.env['REGISTRY_SHOTS'];
const T = 'mhlw-isei';

beforeAll(async () => {
  app = await testApp('server');
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry', registryPages: registryPages({ secureCookies: false }) });
  url = orgs.nodes[0]!.url;
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await orgs?.close();
  await app?.cleanup();
});

describe('registry staff screens', () => {
  it('an examiner logs in with the token, approves an application and records a 行政処分', async () => {
    const clock = app.config.clock;
    await applyForStaff(db, clock, { tenant: T, userId: 'shinsa-chief', name: '審査 花子', affiliation: 'ministry', affiliationName: '医政局医事課試験免許室', role: 'supervisor', qualifications: ['ishi'], reason: '審査', appliedBy: 'operator' });
    await approveStaff(db, clock, T, 'shinsa-chief', 'operator');
    const token = (await issueStaffToken(db, clock, T, 'shinsa-chief')).token;
    const secrets = RegistrySecrets.open(app.config.keyDir);
    const mn = syntheticMyNumber('registry-browser', 1);
    const header = '試験回数,受験番号,氏名（姓）,氏名（名）,フリガナ（姓）,フリガナ（名）,生年月日,合格年月日,合格証書番号';
    const a = await withRegistryTenant(db, T, async (tx) => {
      await importPassers(tx, clock, T, { qualification: 'ishi', by: 'operator' }, Buffer.from(`${header}\n120,012345,見本,太郎,ミホン,タロウ,2000-04-01,2026-03-16,\n`));
      const x = await insertApplication(tx, { clock, secrets }, T, {
        qualification: 'ishi', procedure: 'new', channel: 'paper', form: exampleForm('ishi'), myNumber: mn, identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi',
        attachments: [checkAttachment({ label: '診断書', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.4\n% synthetic\n') }, 0)],
      });
      await recordCheck(tx, clock, x.id, { source: 'juki', outcome: 'match', by: 'system' });
      await recordCheck(tx, clock, x.id, { source: 'koseki', outcome: 'match', by: 'system' });
      await recordCheck(tx, clock, x.id, { source: 'passers', outcome: 'match', by: 'system' });
      return x;
    });
    await settleFeesByStamps(db, clock, T, a.id);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const texts: string[] = [];
    const shot = async (name: string) => {
      texts.push(await page.content());
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
    };
    await page.goto(`${url}/registry/applications`);
    await page.waitForURL(`${url}/registry/login`);
    await shot('1-login');
    await page.fill('#f-token', 'reg_0000000000000000.wrongwrongwrongwrongwrong');
    await page.click('button:has-text("ログインする")');
    expect(await page.textContent('main')).toContain('利用者トークンが正しくない');
    await page.fill('#f-token', token);
    await page.click('button:has-text("ログインする")');
    await page.waitForURL(`${url}/registry/applications`);
    const queue = await page.textContent('main');
    expect(queue).toContain('全 1 件中 1–1 件を表示');
    expect(queue).toContain('見本　太郎');
    await shot('2-queue');

    await page.click('a:has-text("詳細")');
    await page.waitForURL(`${url}/registry/applications/${a.id}`);
    // The checks are recorded above (the 住基・戸籍 checks through the other organisations are run end to end in
    // test/registry/e2e.test.ts); here the examiner reads them and decides.
    const detail = (await page.textContent('main'))!;
    expect(detail).toContain('国家試験・受験番号');
    expect(detail).toContain('鳥取県');
    expect(detail).toContain('診断書');
    expect(detail).toContain('合格者名簿');
    expect(detail).not.toContain('mhlw-isei');
    await shot('3-detail');
    await page.click('button:has-text("承認する")');
    await page.waitForURL(/done=approved/);
    const approved = (await page.textContent('main'))!;
    expect(approved).toContain('承認しました');
    expect(approved).toMatch(/登録番号\s*1/);
    await shot('4-approved');

    await page.click('a:has-text("登録を表示する")');
    await page.waitForURL(`${url}/registry/entries/ishi/1`);
    expect(await page.textContent('main')).toContain('保有（表示しません）');
    await page.fill('#f-from', '2026-12-01');
    await page.fill('#f-until', '2027-02-28');
    await page.fill('#f-code', 'S1');
    await page.fill('#f-issueNo', '医政発1121第1号');
    await page.click('button:has-text("行政処分を記録する")');
    await page.waitForURL(/done=disposition/);
    const entry = (await page.textContent('main'))!;
    expect(entry).toContain('行政処分を記録しました');
    expect(entry).toContain('医政発1121第1号');
    await shot('5-entry');

    // A missing 処分コード: the form comes back with the field named in Japanese, nothing recorded.
    await page.fill('#f-from', '2027-03-01');
    await page.fill('#f-issueNo', '医政発0301第2号');
    await page.$eval('#f-code', (el) => el.removeAttribute('required'));
    await page.click('button:has-text("行政処分を記録する")');
    expect(await page.textContent('main')).toContain('処分コード');
    expect(await page.inputValue('#f-issueNo')).toBe('医政発0301第2号');
    await shot('6-entry-error');

    // Query parameters read strictly; another 資格管理者's application is the same 404 as none, and logged.
    const bad = await page.goto(`${url}/registry/applications?page=abc`);
    expect(bad!.status()).toBe(400);
    expect(await page.textContent('main')).toContain('ページ');
    const other = await withRegistryTenant(db, 'mhlw-iyaku', (tx) =>
      insertApplication(tx, { clock, secrets }, 'mhlw-iyaku', { qualification: 'yakuzaishi', procedure: 'new', channel: 'paper', form: exampleForm('yakuzaishi'), myNumber: syntheticMyNumber('registry-browser', 2), identityProof: { documents: ['マイナンバーカード'], checkedBy: 'x' }, receivedBy: 'x' }));
    const hidden = await page.goto(`${url}/registry/applications/${other.id}`);
    expect(hidden!.status()).toBe(404);
    expect(await page.textContent('main')).toContain('ページが見つかりません');
    const denied = await withRegistryTenant(db, T, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.access_log WHERE target_id = ${other.id} AND outcome = 'denied'`.execute(tx));
    expect(denied.rows[0]!.n).toBe(1);

    const stored = await withRegistryTenant(db, T, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.dispositions`.execute(tx));
    expect(stored.rows[0]!.n).toBe(1);
    const all = texts.join('\n');
    expect(all).not.toContain(mn);
    expect(findMyNumbers(all)).toEqual([]);
    await context.close();
  }, 120_000);

  it('the staff API: queue, detail, checks, 戸籍謄本等, decision and 行政処分, each under the staff member\'s duty', async () => {
    const clock = app.config.clock;
    const secrets = RegistrySecrets.open(app.config.keyDir);
    await applyForStaff(db, clock, { tenant: T, userId: 'api-clerk', name: '審査 次郎', affiliation: 'ministry', affiliationName: '医政局看護課', role: 'clerk', qualifications: ['kangoshi'], reason: '審査', appliedBy: 'shinsa-chief' });
    await approveStaff(db, clock, T, 'api-clerk', 'shinsa-chief');
    const token = (await issueStaffToken(db, clock, T, 'api-clerk')).token;
    const a = await withRegistryTenant(db, T, (tx) =>
      insertApplication(tx, { clock, secrets }, T, { qualification: 'kangoshi', procedure: 'new', channel: 'paper', form: exampleForm('kangoshi'), myNumber: syntheticMyNumber('registry-browser', 3), identityProof: { documents: ['マイナンバーカード'], checkedBy: 'x' }, receivedBy: 'x' }));
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${url}/registry/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const q = await call('GET', '/applications?status=received');
    expect(q.status).toBe(200);
    expect(q.json).toMatchObject({ total: 1, items: [{ id: a.id, qualification: 'kangoshi' }] });
    expect((await call('GET', '/applications?qualification=ishi')).status).toBe(404);
    expect((await call('GET', '/applications?page=0')).status).toBe(400);
    const checks = await call('POST', `/applications/${a.id}/checks`);
    expect(checks.json['items']).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'passers', outcome: 'not-found' })]));
    expect((await call('POST', `/applications/${a.id}/koseki-extract`, { state: 'requested', note: '本籍が特定できません' })).json).toMatchObject({ source: 'koseki', outcome: 'extract-requested' });
    const d = await call('GET', `/applications/${a.id}`);
    expect(d.json).toMatchObject({ approvable: false, application: { id: a.id } });
    expect((await call('POST', `/applications/${a.id}/decision`, { action: 'approve' })).status).toBe(403);
    const r = await call('POST', `/applications/${a.id}/decision`, { action: 'return', reason: '戸籍謄本を提出してください' });
    expect(r.json).toMatchObject({ application: { status: 'returned' }, entry: null });
    expect((await call('POST', '/qualifications/ishi/entries/1/dispositions', { kind: 'revocation', decidedOn: '2026-11-01', code: 'R1', from: '2026-11-01', issueNo: 'x' })).status).toBe(404);
    const all = JSON.stringify([q, checks, d, r]);
    expect(findMyNumbers(all)).toEqual([]);
  });
});
