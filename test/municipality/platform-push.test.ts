// The municipality's push to the digital vaccination platform (issue 12 point 3; PMH-02…04, PMH-21, RES-22;
// decision 0147) against a stand-in platform node over real HTTP and signed, encrypted messages: a run's
// persons registered, nothing resent when unchanged, a change → updated, 転出/死亡 → modificationSeg "2",
// a row the platform fails kept and retried, the platform unreachable → the batch failed and a later retry
// succeeds, a crashed push resumed without duplicates, and `datause.provide`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { createNodeServer, Directory, exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { untyped } from '../../src/kernel/db/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createBatchFromRun, saveNoticeSettings } from '../../src/municipality/notices/index.js';
import { chukanNodeName, registerMunicipalityServices } from '../../src/municipality/exchange/index.js';
import { buildWebServer } from '../../src/web/index.js';
import { PageClient, visibleText } from '../harness/web.js';
import { launch } from '../harness/browser.js';
import {
  getPushBatch, batchRows, linkageCounts, listFailedTargets, listPushBatches, personLinkage, pushMovements, pushRun, refreshLinkage, retryFailed, syncPlatform, type PlatformExchange,
} from '../../src/municipality/platform/index.js';
import { PLATFORM_ROLE } from '../../src/platform/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { mn, movement, person, writeCsv } from '../harness/residents.js';
import { buildTown, SETTINGS, TOWN, type Town } from './notices/fixtures.js';
import { startPlatformStandIn, type PlatformStandIn } from '../harness/platform-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-platform-'));
const AS_OF = '2026-11-21';

describe('platform push (municipality side)', () => {
  let app: TestApp;
  let nurse: Principal;
  let nursePassword: string;
  let viewer: Principal;
  let town: Town;
  let runId: string;
  let standIn: PlatformStandIn;
  let municipal: ExchangeNode;
  let municipalServer: FastifyInstance;
  let x: PlatformExchange;
  const directory = new Directory([]);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const n = await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] });
    nurse = n.principal;
    nursePassword = n.password;
    viewer = (await staff(app, TOTTORI, { login: 'viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    runId = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: AS_OF })).run.id;
    await runAs(app.db, nurse, (w) => saveNoticeSettings(w, SETTINGS));
    await runAs(app.db, nurse, (w) => createBatchFromRun(w, { keys: app.tenantKeys }, { runId, docType: 'questionnaire' }));
    // The municipality node (its JWKS and datause.provide) and the stand-in platform, on loopback ports.
    municipal = exchangeNodeFor({ name: 'municipality', schema: 'municipality', db: untyped(app.db.app), keyDir: app.config.keyDir, directory, clock: app.config.clock });
    municipalServer = await createNodeServer('municipality');
    registerMunicipalityServices(municipalServer, app, municipal);
    await municipalServer.listen({ host: '127.0.0.1', port: 0 });
    directory.set({ name: 'municipality', title: '鳥取市', url: `http://127.0.0.1:${(municipalServer.server.address() as AddressInfo).port}` });
    standIn = await startPlatformStandIn({ db: await app.db.forRole(PLATFORM_ROLE), keyDir: app.config.keyDir, directory, clock: app.config.clock });
    x = { node: municipal };
  });

  afterAll(async () => {
    await standIn?.close();
    await municipalServer?.close();
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const seg1Without = () => standIn.received.filter((r) => r.item['modificationSeg'] === '1' && !/^\d{12}$/.test(String(r.item['myNumber'] ?? '')));

  it('first push: settings first, then every person of the run registered, each Target valid with its My Number', async () => {
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'complete', sent: 4, registered: 4, updated: 0, deleted: 0, failed: 0 });
    expect(standIn.settings).toHaveLength(1);
    const settings = standIn.settings[0]!;
    expect((settings['vaccinations'] as { programCode: string; name: string }[]).find((v) => v.programCode === 'hib')?.name).toMatch(/ヒブ|Hib/);
    const q = (settings['templates'] as { kind: string; items?: { label: string }[] }[]).find((t) => t.kind === 'questionnaire')!;
    expect(q.items!.map((i) => i.label).join()).toMatch(/体温.*今日体に具合の悪いところ.*ひきつけ.*アレルギー/s);
    expect(standIn.invalid).toEqual([]);
    expect(seg1Without()).toEqual([]);
    const a = standIn.received.find((t) => t.item['municipalityIdentityKey'] === town.A)!.item;
    expect(a).toMatchObject({ modificationSeg: '1', myNumber: TOWN.A['個人番号'], targetCategory: '1', reductionCategory: '0', guardianName: '鳥取　太郎' });
    expect(a['basicFiveInfo']).toMatchObject({ name: '鳥取　花子', dateOfBirth: '2026-08-15', sex: '2' });
    expect((a['vaccinations'] as { programCode: string; dose: number }[])[0]).toMatchObject({ programCode: 'hib', dose: 1 });
    expect((a['notices'] as { voucherNo: string }[])[0]!.voucherNo).toMatch(/^\d{18}$/);
    expect(standIn.received.every((t) => t.key === `${r.batchId}:1`)).toBe(true);
    // Linkage status per person (PMH-21).
    const counts = await runAs(app.db, nurse, (w) => linkageCounts(w));
    expect(counts).toMatchObject({ linked: 4, error: 0, total: 4 });
    const link = await runAs(app.db, nurse, (w) => personLinkage(w, town.A));
    expect(link).toMatchObject({ status: 'linked', targetId: expect.stringMatching(/^T\d{15}$/) });
    // The batch and its rows hold no My Number.
    const rows = await runAs(app.db, nurse, (w) => batchRows(w, r.batchId!));
    expect(rows.total).toBe(4);
    expect(JSON.stringify(rows)).not.toContain(mn(1));
    const stored = await sql<{ t: string }>`SELECT row_to_json(x)::text AS t FROM municipality.platform_targets x`.execute(app.db.system);
    for (const i of [1, 2, 3, 4]) expect(JSON.stringify(stored.rows)).not.toContain(mn(i));
  });

  it('second push: nothing is sent (unchanged); --all sends them again and the platform finds them unchanged', async () => {
    const before = standIn.received.length;
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'nothing', sent: 0, registered: 0, failed: 0 });
    expect(standIn.received.length).toBe(before);
    expect(standIn.settings).toHaveLength(1);
    const all = await pushRun(app, nurse, x, { runId, all: true });
    expect(all).toMatchObject({ sent: 4, unchanged: 4, registered: 0 });
  });

  it('a changed resident is sent again and updated; the others are not', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv1.csv'), 'diff', [movement('PF-1', '20', '20261101', { ...TOWN.A, 住所: '鳥取県鳥取市東町二丁目2番地' })]) });
    const before = standIn.received.length;
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ sent: 1, updated: 1, registered: 0 });
    expect(standIn.received.slice(before).map((t) => t.item['municipalityIdentityKey'])).toEqual([town.A]);
    expect((standIn.received.at(-1)!.item['basicFiveInfo'] as { address: string }).address).toContain('東町二丁目');
  });

  it('a row the platform fails (PMH-key linkage) is kept with its error and retried; the others are not disturbed', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv2.csv'), 'diff', [movement('PF-2', '20', '20261102', { ...TOWN.C, 住所: '鳥取県鳥取市本町四丁目4番地' })]) });
    standIn.failKeys.set(town.C, 'MISMATCH: nameKana');
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'complete', sent: 1, failed: 1 });
    const failed = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    expect(failed.rows).toMatchObject([{ atenaNo: town.C, attempts: 1, error: expect.stringContaining('MISMATCH') }]);
    expect(failed.rows[0]!.nextRetryAt!.getTime()).toBeGreaterThan(app.config.clock.now().getTime());
    // Not due yet: the background retry sends nothing.
    expect((await retryFailed(app, nurse, x)).status).toBe('nothing');
    // The platform's problem is fixed; a forced retry (the 再送 button) sends it again.
    standIn.failKeys.clear();
    const again = await retryFailed(app, nurse, x, { force: true });
    expect(again).toMatchObject({ status: 'complete', sent: 1, updated: 1, failed: 0 });
    expect((await runAs(app.db, nurse, (w) => personLinkage(w, town.C)))?.status).toBe('linked');
  });

  it('the platform unreachable: the batch fails, the persons are kept for a retry, which later succeeds', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv3.csv'), 'diff', [movement('PF-3', '20', '20261103', { ...TOWN.D, 住所: '鳥取県鳥取市河原町五番地' })]) });
    standIn.setReachable(false);
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'failed', sent: 0, failed: 1 });
    expect(r.error).toContain('接続できません');
    const b = await runAs(app.db, nurse, (w) => getPushBatch(w, r.batchId!));
    expect(b).toMatchObject({ status: 'failed', failed: 1 });
    const stillDown = await retryFailed(app, nurse, x, { force: true });
    expect(stillDown).toMatchObject({ status: 'failed', failed: 1 });
    const f = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    expect(f.rows).toMatchObject([{ atenaNo: town.D, attempts: 2 }]);
    standIn.setReachable(true);
    const ok = await retryFailed(app, nurse, x, { force: true });
    expect(ok).toMatchObject({ status: 'complete', sent: 1, updated: 1 });
    expect((await runAs(app.db, nurse, (w) => listFailedTargets(w))).total).toBe(0);
  });

  it('a push that crashes after the platform stored a chunk resumes with the same idempotency key: no duplicates', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv4.csv'), 'diff', [
        movement('PF-4', '20', '20261104', { ...TOWN.A, 住所: '鳥取県鳥取市東町三丁目3番地' }),
        movement('PF-5', '20', '20261104', { ...TOWN.B, 住所: '鳥取県鳥取市西町三丁目3番地' }),
      ]),
    });
    let calls = 0;
    const crashing: PlatformExchange = {
      node: Object.assign(Object.create(municipal) as ExchangeNode, {
        async call(...a: Parameters<ExchangeNode['call']>) {
          const res = await municipal.call(...a);
          if (a[1] === 'targets.register' && ++calls === 2) throw new Error('process killed');
          return res;
        },
      }),
    };
    await expect(pushRun(app, nurse, crashing, { runId, chunkSize: 1 })).rejects.toThrow('process killed');
    const running = await sql<{ status: string; chunks_done: number }>`SELECT status, chunks_done FROM municipality.platform_push_batches WHERE status = 'running'`.execute(app.db.system);
    expect(running.rows).toEqual([{ status: 'running', chunks_done: 1 }]);
    const replays = standIn.replays;
    const resumed = await pushRun(app, nurse, x, { runId, chunkSize: 1 });
    expect(resumed).toMatchObject({ status: 'complete', sent: 2, updated: 2 });
    expect(standIn.replays).toBe(replays + 1);
  });

  it('転出 and 死亡 since the last push → modificationSeg "2" with changeCategory 11/12 and the movement date (RES-22)', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv5.csv'), 'diff', [
        movement('PF-6', '11', '20261110', { ...TOWN.A, 住所: '鳥取県鳥取市東町三丁目3番地', 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20261110', 消除事由: '転出' }),
        movement('PF-7', '12', '20261112', { ...TOWN.B, 住所: '鳥取県鳥取市西町三丁目3番地', 住民でなくなった日: '20261112', 消除事由: '死亡' }),
      ]),
    });
    const before = standIn.received.length;
    const r = await syncPlatform(app, x, TOTTORI);
    expect(r.movements).toMatchObject({ status: 'complete', sent: 2, deleted: 2 });
    const sent = standIn.received.slice(before).map((t) => t.item);
    expect(sent).toEqual(expect.arrayContaining([
      { modificationSeg: '2', municipalityIdentityKey: town.A, changeCategory: '11', movementDate: '2026-11-10' },
      { modificationSeg: '2', municipalityIdentityKey: town.B, changeCategory: '12', movementDate: '2026-11-12' },
    ]));
    expect(JSON.stringify(sent)).not.toMatch(/myNumber/);
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.B))).toMatchObject({ status: 'deleted', changeCategory: '12' });
    // Again: nothing more to delete; a re-push of the run does not bring them back.
    expect((await pushMovements(app, nurse, x)).status).toBe('nothing');
    expect((await pushRun(app, nurse, x, { runId })).status).toBe('nothing');
    expect(standIn.invalid).toEqual([]);
    expect(seg1Without()).toEqual([]);
  });

  it('the batches list carries totals; a viewer may read but not push', async () => {
    const l = await runAs(app.db, nurse, (w) => listPushBatches(w));
    expect(l.total).toBeGreaterThanOrEqual(6);
    expect(l.totals.deleted).toBe(2);
    await expectProblem(pushRun(app, viewer, x, { runId }), { status: 403 });
    expect((await runAs(app.db, viewer, (w) => listPushBatches(w))).total).toBe(l.total);
  });

  it('datause.provide: the person’s data use in Japanese, for the platform only', async () => {
    const res = await standIn.node.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: town.C }, {});
    expect(res.envelope.enc?.to).toBe('platform');
    const entries = (res.body as { entries: { at: string; who: string; organisation: string; action: string; purpose: string }[] }).entries;
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(['action', 'at', 'organisation', 'purpose', 'who']);
      expect(e.organisation).toContain('鳥取市');
    }
    expect(entries.some((e) => e.purpose === '予防接種プラットフォームへの接種対象者の登録')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(mn(3));
    // An unknown person: 404; another node may not ask.
    await expect(standIn.node.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: '9999999999' }, {})).rejects.toMatchObject({ status: 404 });
    const other = exchangeNodeFor({ name: 'mynaportal', schema: 'platform', db: await app.db.forRole(PLATFORM_ROLE), keyDir: app.config.keyDir, directory, clock: app.config.clock });
    const srv = await createNodeServer('mynaportal');
    other.serve(srv, {});
    await srv.listen({ host: '127.0.0.1', port: 0 });
    directory.set({ name: 'mynaportal', title: 'マイナポータル', url: `http://127.0.0.1:${(srv.server.address() as AddressInfo).port}` });
    try {
      await expect(other.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: town.C }, {})).rejects.toMatchObject({ status: 403 });
    } finally {
      await srv.close();
    }
  });
  it('a registration owed for someone who has since moved out is retried as a deletion', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv7.csv'), 'diff', [movement('PF-9', '20', '20261113', { ...TOWN.C, 住所: '鳥取県鳥取市本町五丁目5番地' })]) });
    standIn.setReachable(false);
    expect(await pushRun(app, nurse, x, { runId })).toMatchObject({ status: 'failed', failed: 1 });
    standIn.setReachable(true);
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv8.csv'), 'diff', [movement('PF-10', '11', '20261114', { ...TOWN.C, 住所: '鳥取県鳥取市本町五丁目5番地', 転出先住所: '東京都江戸川区中央一丁目', 住民でなくなった日: '20261114', 消除事由: '転出' })]),
    });
    const before = standIn.received.length;
    const r = await retryFailed(app, nurse, x, { force: true });
    expect(r).toMatchObject({ status: 'complete', deleted: 1 });
    expect(standIn.received.slice(before).map((t) => t.item)).toEqual([{ modificationSeg: '2', municipalityIdentityKey: town.C, changeCategory: '11', movementDate: '2026-11-14' }]);
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.C))).toMatchObject({ status: 'deleted', changeCategory: '11', nextRetryAt: null });
  });

  it('a PMH-key linkage still pending at registration is read back later through linkage.list (PMH-21)', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv9.csv'), 'diff', [movement('PF-11', '20', '20261114', { ...TOWN.D, 住所: '鳥取県鳥取市河原町七番地' })]) });
    standIn.pendingKeys.add(town.D);
    expect(await pushRun(app, nurse, x, { runId })).toMatchObject({ updated: 1 });
    expect((await runAs(app.db, nurse, (w) => personLinkage(w, town.D)))?.status).toBe('pending');
    expect(await refreshLinkage(app, nurse, x)).toEqual({ asked: 1, changed: 0 });
    standIn.targets.get(`${TOTTORI}|${town.D}`)!.linkage = { status: 'linked', error: null };
    standIn.pendingKeys.clear();
    expect(await refreshLinkage(app, nurse, x)).toEqual({ asked: 1, changed: 1 });
    expect((await runAs(app.db, nurse, (w) => personLinkage(w, town.D)))?.status).toBe('linked');
  });

  it('a person of the run without a My Number is not sent (kept as an error, not retried); a later run keeps the earlier 接種券', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv10.csv'), 'diff', [movement('PF-12', '01', '20261116', person(9, { 個人番号: '', 生年月日: '20260901', 住民となった日: '20261116', 最新異動日: '20261116', 転入前住所: '東京都千代田区千代田１番１号' }))]),
    });
    const late = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: AS_OF })).run.id;
    const before = standIn.received.length;
    const r = await pushRun(app, nurse, x, { runId: late });
    expect(r.failed).toBe(1);
    const sent = standIn.received.slice(before).map((t) => t.item);
    expect(sent.map((t) => t['municipalityIdentityKey'])).not.toContain(undefined);
    expect(seg1Without()).toEqual([]);
    const failed = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    const noNumber = failed.rows.find((f) => f.error?.includes('個人番号が登録されていない'))!;
    expect(noNumber).toMatchObject({ nextRetryAt: null });
    // D was sent again only if its Target changed; its 接種券 from the first run is still on it.
    const d = [...standIn.received].reverse().find((t) => t.item['municipalityIdentityKey'] === town.D)!.item;
    expect((d['notices'] as unknown[]).length).toBe(1);
  });

  it('staff screens: 送信の記録, one batch, the failed persons with 再送 (CSRF), in Japanese and without My Numbers', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv6.csv'), 'diff', [movement('PF-8', '20', '20261115', { ...TOWN.D, 住所: '鳥取県鳥取市河原町六番地' })]) });
    standIn.failKeys.set(town.D, 'MISMATCH: address');
    const failedPush = await pushRun(app, nurse, x, { runId });
    expect(failedPush.failed).toBe(1);
    const web = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000, exchange: { node: municipal, chukanOf: chukanNodeName } });
    await web.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
    try {
      const c = new PageClient(url);
      await c.login(TOTTORI, 'nurse', nursePassword);
      const home = await c.get('/');
      expect(home.text).toContain('href="/platform"');
      const list = await c.get('/platform');
      expect(list.status).toBe(200);
      const text = visibleText(list.text);
      expect(text).toContain('予防接種プラットフォーム連携');
      expect(text).toContain('紐付け済み');
      expect(text).toContain('抽出結果の登録');
      const batch = /href="\/platform\/batches\/([0-9a-f-]{36})"/.exec(list.text)![1]!;
      const one = await c.get(`/platform/batches/${batch}`);
      expect(one.status).toBe(200);
      expect(visibleText(one.text)).toContain('対象者ごとの結果');
      const failed = await c.get('/platform/failed');
      expect(visibleText(failed.text)).toContain('MISMATCH: address');
      expect(failed.text).toContain(`name="atena" value="${town.D}"`);
      const person = await c.get(`/platform/persons/${town.B}`);
      expect(visibleText(person.text)).toContain('死亡');
      for (const page of [list.text, one.text, failed.text, person.text]) for (const i of [1, 2, 3, 4]) expect(page).not.toContain(mn(i));
      const shots = process.env['PLATFORM_SCREENSHOTS'];
      if (shots) {
        const browser = await launch();
        try {
          const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          await p.goto(`${url}/login`);
          await p.fill('input[name="tenant"]', TOTTORI);
          await p.fill('input[name="loginId"]', 'nurse');
          await p.fill('input[name="password"]', nursePassword);
          await Promise.all([p.waitForNavigation(), p.click('form button[type="submit"]')]);
          for (const [name, path] of [['list', '/platform'], ['batch', `/platform/batches/${batch}`], ['failed', '/platform/failed'], ['person', `/platform/persons/${town.B}`]] as const) {
            await p.goto(url + path);
            await p.screenshot({ path: join(shots, `platform-${name}.png`), fullPage: true });
          }
        } finally {
          await browser.close();
        }
      }
      // 再送 without a CSRF token is refused; with it, the person is sent again.
      const noToken = await c.post('/platform/failed/retry', { atena: town.D });
      expect(noToken.status).toBe(403);
      standIn.failKeys.clear();
      const retried = await c.post('/platform/failed/retry', { _csrf: PageClient.csrf(failed.text), atena: town.D });
      expect(retried.status).toBe(302);
      expect(retried.location).toBe('/platform/failed');
      const after = await c.get('/platform/failed');
      expect(visibleText(after.text)).toContain('再送しました');
      expect(after.text).not.toContain(`name="atena" value="${town.D}"`);
      expect(visibleText(after.text)).toContain('個人番号が登録されていないため登録できません');
      // 送信 from the screen: the run chosen from the list, with the CSRF token.
      const top = await c.get('/platform');
      expect(top.text).toContain(`<option value="${runId}"`);
      const pushed = await c.post('/platform/push', { _csrf: PageClient.csrf(top.text), runId });
      expect(pushed.status).toBe(302);
      expect(visibleText((await c.get('/platform')).text)).toMatch(/送信しました|送信する変更はありませんでした/);
    } finally {
      await web.close();
    }
  });
});
