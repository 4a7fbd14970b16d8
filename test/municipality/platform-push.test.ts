// The municipality's push to the digital vaccination platform (issue 12 point 3; PMH-02…04, PMH-21, RES-22;
// decision 0147) against the real platform node (src/platform) and the real 支払基金 node (src/peers/insurerhub),
// each on its own loopback port, over real HTTP and signed, encrypted messages; what the platform holds is read
// from its own tables.  A run's persons registered and linked to a PMH key, nothing resent when unchanged, a
// change → updated, 転出/死亡 → modificationSeg "2" (the platform marks the target deleted), a row the platform
// fails (支払基金 holds another カナ氏名) kept and retried, the platform unreachable → the batch failed and a later
// retry succeeds, a crashed push resumed without duplicates, the linkage read back, and `datause.provide`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { exchangeNodeFor, type ExchangeNode, type PeerService } from '../../src/kernel/exchange/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createBatchFromRun, saveNoticeSettings } from '../../src/municipality/notices/index.js';
import { chukanNodeName } from '../../src/municipality/exchange/index.js';
import { buildWebServer } from '../../src/web/index.js';
import { PageClient, visibleText } from '../harness/web.js';
import { launch } from '../harness/browser.js';
import {
  getPushBatch, batchRows, enrollInsured, linkageCounts, listFailedTargets, listPushBatches, personLinkage, platformJobPrincipal, pushMovements, pushRun, refreshLinkage, retryFailed, syncPlatform,
  type PlatformExchange,
} from '../../src/municipality/platform/index.js';
import { addTenant as addPlatformTenant, buildPlatformNode, deleteByOperator, PLATFORM_ROLE, withPlatformTenant } from '../../src/platform/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { mn, movement, person, writeCsv } from '../harness/residents.js';
import { buildTown, SETTINGS, TOWN, type Town } from './notices/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-platform-'));
const AS_OF = '2026-11-21';
const iso = (ymd: string) => `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`;

/** A target as the platform holds it (platform.targets), without the sealed contents. */
interface Held {
  identity_key: string;
  target_id: string;
  link_status: string;
  link_error: string | null;
  pmh_key: string | null;
  change_category: string | null;
  movement_date: string | null;
  target_category: string | null;
  reduction_category: string | null;
  content: string | null;
  holds_number: boolean;
}

describe('platform push (municipality side, against the real platform and 支払基金)', () => {
  let app: TestApp;
  let orgs: Organisations;
  let platformDb: Kysely<UntypedDatabase>;
  let nurse: Principal;
  let nursePassword: string;
  let viewer: Principal;
  let town: Town;
  let runId: string;
  let x: PlatformExchange;
  /** Platform nodes started here after `orgs.stop('platform')` (same database and keys). */
  const restarted: PeerService[] = [];

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
    // Every organisation real, on loopback ports; the platform contract for 鳥取市 (運用保守) and 鳥取市 as
    // 国保保険者 telling 支払基金 its insured persons (what PMH-key issuance checks against).
    orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
    platformDb = await app.db.forRole(PLATFORM_ROLE);
    await addPlatformTenant(platformDb, app.config.clock, { code: TOTTORI, name: '鳥取市', node: 'municipality' });
    x = { node: orgs.municipal.node };
    const enrolled = await feed();
    expect(enrolled).toMatchObject({ withoutNumber: 0 });
  }, 240_000);

  afterAll(async () => {
    for (const s of restarted) {
      await s.close?.();
      await s.fastify.close();
    }
    await orgs?.close();
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The 国保 feed to 支払基金 (the residents' basic info as the municipality holds it now). */
  async function feed(atenaNos?: string[]) {
    const job = platformJobPrincipal(TOTTORI);
    return enrollInsured({ db: app.db, vault: app.vault }, { ...job, actor: { ...job.actor, mynumberView: true } }, x, atenaNos ? { atenaNos } : {});
  }

  /** 支払基金 told other basic info for one person of the town (as another insurer's record would have it). */
  async function enrollOther(who: 'A' | 'B' | 'C' | 'D', i: number, over: { nameKana?: string; address?: string }) {
    const p = TOWN[who];
    await orgs.municipal.node.call('insurerhub', 'insured.enroll', {
      insurer: `01${TOTTORI}`,
      members: [{ myNumber: mn(i), name: p['氏名'], nameKana: over.nameKana ?? p['氏名カナ'], dateOfBirth: iso(p['生年月日']!), sex: p['性別'] ?? '2', address: over.address ?? p['住所'] }],
    }, { personal: true });
  }

  const held = () =>
    withPlatformTenant(platformDb, TOTTORI, async (tx) =>
      (await sql<Held>`
        SELECT identity_key, target_id, link_status, link_error, pmh_key, change_category, to_char(movement_date, 'YYYY-MM-DD') AS movement_date,
               target_category, reduction_category, encode(content_hash, 'hex') AS content, (sealed IS NOT NULL OR mynumber_index IS NOT NULL) AS holds_number
          FROM platform.targets ORDER BY identity_key`.execute(tx)).rows);
  const heldOne = async (key: string) => (await held()).find((t) => t.identity_key === key);
  const calls = () =>
    withPlatformTenant(platformDb, TOTTORI, async (tx) =>
      (await sql<{ idempotency_key: string | null; sent: number; registered: number; updated: number; deleted: number; unchanged: number; failed: number }>`
        SELECT idempotency_key, sent, registered, updated, deleted, unchanged, failed FROM platform.calls ORDER BY at, idempotency_key`.execute(tx)).rows);
  const callOf = async (key: string) => (await calls()).filter((c) => c.idempotency_key === key);

  async function stopPlatform() {
    if (await orgs.stop('platform')) return;
    const s = restarted.pop()!;
    await s.close?.();
    await s.fastify.close();
  }

  /** A platform node again on the same database and keys, as src/app/nodes.ts builds it. */
  async function startPlatform() {
    const clock = app.config.clock;
    const db = await app.db.forRole(PLATFORM_ROLE);
    const node = exchangeNodeFor({ name: 'platform', schema: 'platform', db, keyDir: app.config.keyDir, directory: orgs.directory, clock });
    const service = await buildPlatformNode({ name: 'platform', db, node, clock, config: app.config }, { retentionMinutes: 0 });
    await service.fastify.listen({ host: '127.0.0.1', port: 0 });
    restarted.push(service);
    orgs.directory.set({ name: 'platform', title: '予診情報・予防接種記録管理／請求支払システム', url: `http://127.0.0.1:${(service.fastify.server.address() as AddressInfo).port}` });
  }

  it('first push: settings first, then every person of the run registered and linked to a PMH key (the My Number and basic info matched 支払基金)', async () => {
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'complete', sent: 4, registered: 4, updated: 0, deleted: 0, failed: 0 });
    // 予防接種設定 and the templates, as the platform holds them.
    const settings = await withPlatformTenant(platformDb, TOTTORI, async (tx) => ({
      vaccinations: (await sql<{ program_code: string; name: string }>`SELECT program_code, name FROM platform.vaccination_settings`.execute(tx)).rows,
      templates: (await sql<{ kind: string; content: unknown }>`SELECT kind, content FROM platform.templates`.execute(tx)).rows,
    }));
    expect(settings.vaccinations.find((v) => v.program_code === 'hib')?.name).toMatch(/ヒブ|Hib/);
    const q = settings.templates.find((t) => t.kind === 'questionnaire')!;
    expect(JSON.stringify(q.content)).toMatch(/体温.*今日体に具合の悪いところ.*ひきつけ.*アレルギー/s);
    // One call, under the batch's first idempotency key; every Target valid (the platform refuses a bad one
    // with 400) and linked: 支払基金 found each My Number and the same basic info (PMH-05…08).
    expect(await calls()).toMatchObject([{ idempotency_key: `${r.batchId}:1`, sent: 4, registered: 4, failed: 0 }]);
    const targets = await held();
    expect(targets.map((t) => t.identity_key).sort()).toEqual([town.A, town.B, town.C, town.D].sort());
    for (const t of targets) expect(t).toMatchObject({ link_status: 'linked', link_error: null, pmh_key: expect.stringMatching(/^PK[A-Z2-7]{20}$/), holds_number: true });
    expect(targets.find((t) => t.identity_key === town.A)).toMatchObject({ target_category: '1', reduction_category: '0' });
    const a = (await heldOne(town.A))!;
    const detail = await withPlatformTenant(platformDb, TOTTORI, async (tx) => ({
      vaccinations: (await sql<{ program_code: string; dose: number }>`SELECT program_code, dose FROM platform.target_vaccinations WHERE target_id = ${a.target_id}`.execute(tx)).rows,
      notices: (await sql<{ voucher_no: string }>`SELECT voucher_no FROM platform.notices WHERE target_id = ${a.target_id}`.execute(tx)).rows,
    }));
    expect(detail.vaccinations[0]).toMatchObject({ program_code: 'hib', dose: 1 });
    expect(detail.notices[0]!.voucher_no).toMatch(/^\d{18}$/);
    // Linkage status per person (PMH-21).
    const counts = await runAs(app.db, nurse, (w) => linkageCounts(w));
    expect(counts).toMatchObject({ linked: 4, error: 0, total: 4 });
    const link = await runAs(app.db, nurse, (w) => personLinkage(w, town.A));
    expect(link).toMatchObject({ status: 'linked', targetId: a.target_id });
    // The batch and its rows hold no My Number.
    const rows = await runAs(app.db, nurse, (w) => batchRows(w, r.batchId!));
    expect(rows.total).toBe(4);
    expect(JSON.stringify(rows)).not.toContain(mn(1));
    const stored = await sql<{ t: string }>`SELECT row_to_json(x)::text AS t FROM municipality.platform_targets x`.execute(app.db.system);
    for (const i of [1, 2, 3, 4]) expect(JSON.stringify(stored.rows)).not.toContain(mn(i));
  });

  it('second push: nothing is sent (unchanged); --all sends them again and the platform finds them unchanged', async () => {
    const before = await calls();
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'nothing', sent: 0, registered: 0, failed: 0 });
    expect(await calls()).toEqual(before);
    const all = await pushRun(app, nurse, x, { runId, all: true });
    expect(all).toMatchObject({ sent: 4, unchanged: 4, registered: 0 });
    expect(await callOf(`${all.batchId}:1`)).toMatchObject([{ sent: 4, unchanged: 4, registered: 0, updated: 0 }]);
  });

  it('a changed resident is sent again and updated; the others are not', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv1.csv'), 'diff', [movement('PF-1', '20', '20261101', { ...TOWN.A, 住所: '鳥取県鳥取市東町二丁目2番地' })]) });
    await feed([town.A]);
    const before = await held();
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ sent: 1, updated: 1, registered: 0 });
    expect(await callOf(`${r.batchId}:1`)).toMatchObject([{ sent: 1, updated: 1 }]);
    const after = await held();
    const changed = after.filter((t) => before.find((b) => b.identity_key === t.identity_key)!.content !== t.content).map((t) => t.identity_key);
    expect(changed).toEqual([town.A]);
    expect(after.find((t) => t.identity_key === town.A)).toMatchObject({ link_status: 'linked', pmh_key: before.find((b) => b.identity_key === town.A)!.pmh_key });
  });

  it('a row the platform fails (支払基金 holds another カナ氏名: PMH-07) is kept with its error and retried; the platform keeps the earlier link meanwhile; the others are not disturbed', async () => {
    const linkedBefore = (await heldOne(town.C))!;
    const address = '鳥取県鳥取市本町四丁目4番地';
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv2.csv'), 'diff', [movement('PF-2', '20', '20261102', { ...TOWN.C, 住所: address })]) });
    await enrollOther('C', 3, { address, nameKana: 'チガウ　カナ' });
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'complete', sent: 1, failed: 1 });
    const failed = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    expect(failed.rows).toMatchObject([{ atenaNo: town.C, attempts: 1, error: expect.stringContaining('カナ氏名') }]);
    expect(failed.rows[0]!.nextRetryAt!.getTime()).toBeGreaterThan(app.config.clock.now().getTime());
    const c = (await heldOne(town.C))!;
    // The update is not applied: C stays linked with what the platform held, and the error is recorded.
    expect(c).toMatchObject({ link_status: 'linked', link_error: expect.stringContaining('カナ氏名'), pmh_key: linkedBefore.pmh_key, content: linkedBefore.content });
    for (const k of [town.A, town.B, town.D]) expect((await heldOne(k))?.link_status).toBe('linked');
    // Not due yet: the background retry sends nothing.
    expect((await retryFailed(app, nurse, x)).status).toBe('nothing');
    // 支払基金 is told the right kana (the 国保 feed); a forced retry (the 再送 button) sends it again, and the
    // update is applied to the same target.
    await feed([town.C]);
    const again = await retryFailed(app, nurse, x, { force: true });
    expect(again).toMatchObject({ status: 'complete', sent: 1, updated: 1, failed: 0 });
    expect((await runAs(app.db, nurse, (w) => personLinkage(w, town.C)))?.status).toBe('linked');
    expect(await heldOne(town.C)).toMatchObject({ target_id: c.target_id, link_status: 'linked', link_error: null, pmh_key: expect.stringMatching(/^PK/) });
  });

  it('the platform unreachable: the batch fails, the persons are kept for a retry, which later succeeds', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv3.csv'), 'diff', [movement('PF-3', '20', '20261103', { ...TOWN.D, 住所: '鳥取県鳥取市河原町五番地' })]) });
    await feed([town.D]);
    const d = (await heldOne(town.D))!;
    await stopPlatform();
    const r = await pushRun(app, nurse, x, { runId });
    expect(r).toMatchObject({ status: 'failed', sent: 0, failed: 1 });
    expect(r.error).toContain('接続できません');
    const b = await runAs(app.db, nurse, (w) => getPushBatch(w, r.batchId!));
    expect(b).toMatchObject({ status: 'failed', failed: 1 });
    const stillDown = await retryFailed(app, nurse, x, { force: true });
    expect(stillDown).toMatchObject({ status: 'failed', failed: 1 });
    const f = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    expect(f.rows).toMatchObject([{ atenaNo: town.D, attempts: 2 }]);
    expect((await heldOne(town.D))!.content).toBe(d.content);
    await startPlatform();
    const ok = await retryFailed(app, nurse, x, { force: true });
    expect(ok).toMatchObject({ status: 'complete', sent: 1, updated: 1 });
    expect((await runAs(app.db, nurse, (w) => listFailedTargets(w))).total).toBe(0);
    const now = (await heldOne(town.D))!;
    expect(now).toMatchObject({ target_id: d.target_id, link_status: 'linked' });
    expect(now.content).not.toBe(d.content);
  });

  it('a push that crashes after the platform stored a chunk resumes with the same idempotency key: no duplicates', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv4.csv'), 'diff', [
        movement('PF-4', '20', '20261104', { ...TOWN.A, 住所: '鳥取県鳥取市東町三丁目3番地' }),
        movement('PF-5', '20', '20261104', { ...TOWN.B, 住所: '鳥取県鳥取市西町三丁目3番地' }),
      ]),
    });
    await feed([town.A, town.B]);
    const municipal = orgs.municipal.node;
    let n = 0;
    const crashing: PlatformExchange = {
      node: Object.assign(Object.create(municipal) as ExchangeNode, {
        async call(...a: Parameters<ExchangeNode['call']>) {
          const res = await municipal.call(...a);
          if (a[1] === 'targets.register' && ++n === 2) throw new Error('process killed');
          return res;
        },
      }),
    };
    await expect(pushRun(app, nurse, crashing, { runId, chunkSize: 1 })).rejects.toThrow('process killed');
    const running = await sql<{ id: string; status: string; chunks_done: number }>`SELECT id, status, chunks_done FROM municipality.platform_push_batches WHERE status = 'running'`.execute(app.db.system);
    expect(running.rows).toMatchObject([{ status: 'running', chunks_done: 1 }]);
    const id = running.rows[0]!.id;
    // The platform stored both chunks (the second before the crash).
    expect(await callOf(`${id}:1`)).toMatchObject([{ sent: 1, updated: 1 }]);
    expect(await callOf(`${id}:2`)).toMatchObject([{ sent: 1, updated: 1 }]);
    const resumed = await pushRun(app, nurse, x, { runId, chunkSize: 1 });
    // The second chunk was answered from the platform's idempotency store: `updated` (a fresh call with the
    // same rows would be `unchanged`), and no new call was recorded.
    expect(resumed).toMatchObject({ status: 'complete', sent: 2, updated: 2 });
    expect((await calls()).filter((c) => c.idempotency_key?.startsWith(`${id}:`))).toHaveLength(2);
    const targets = await held();
    for (const k of [town.A, town.B]) expect(targets.filter((t) => t.identity_key === k)).toMatchObject([{ link_status: 'linked' }]);
    expect(targets).toHaveLength(4);
  });

  it('転出 and 死亡 since the last push → modificationSeg "2": the platform marks the targets deleted with changeCategory 11/12 and the movement date (RES-22)', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv5.csv'), 'diff', [
        movement('PF-6', '11', '20261110', { ...TOWN.A, 住所: '鳥取県鳥取市東町三丁目3番地', 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20261110', 消除事由: '転出' }),
        movement('PF-7', '12', '20261112', { ...TOWN.B, 住所: '鳥取県鳥取市西町三丁目3番地', 住民でなくなった日: '20261112', 消除事由: '死亡' }),
      ]),
    });
    const r = await syncPlatform(app, x, TOTTORI);
    expect(r.movements).toMatchObject({ status: 'complete', sent: 2, deleted: 2 });
    expect(await callOf(`${r.movements.batchId}:1`)).toMatchObject([{ sent: 2, deleted: 2, registered: 0, updated: 0, failed: 0 }]);
    // Deleted on the platform, and its My Number and basic info with it.
    expect(await heldOne(town.A)).toMatchObject({ link_status: 'deleted', change_category: '11', movement_date: '2026-11-10', pmh_key: null, holds_number: false });
    expect(await heldOne(town.B)).toMatchObject({ link_status: 'deleted', change_category: '12', movement_date: '2026-11-12', pmh_key: null, holds_number: false });
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.B))).toMatchObject({ status: 'deleted', changeCategory: '12' });
    // Again: nothing more to delete; a re-push of the run does not bring them back.
    const before = await calls();
    expect((await pushMovements(app, nurse, x)).status).toBe('nothing');
    expect((await pushRun(app, nurse, x, { runId })).status).toBe('nothing');
    expect(await calls()).toEqual(before);
    expect((await heldOne(town.A))?.link_status).toBe('deleted');
  });

  it('the batches list carries totals; a viewer may read but not push', async () => {
    const l = await runAs(app.db, nurse, (w) => listPushBatches(w));
    expect(l.total).toBeGreaterThanOrEqual(6);
    expect(l.totals.deleted).toBe(2);
    await expectProblem(pushRun(app, viewer, x, { runId }), { status: 403 });
    expect((await runAs(app.db, viewer, (w) => listPushBatches(w))).total).toBe(l.total);
  });

  it('datause.provide: the person’s data use in Japanese, for the platform only', async () => {
    // The platform's end of the exchange (its keys; the running platform node publishes them).
    const platform = exchangeNodeFor({ name: 'platform', schema: 'platform', db: platformDb, keyDir: app.config.keyDir, directory: orgs.directory, clock: app.config.clock });
    const res = await platform.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: town.C }, {});
    expect(res.envelope.enc?.to).toBe('platform');
    const entries = (res.body as { entries: { at: string; who: string; organisation: string; action: string; purpose: string }[] }).entries;
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(['action', 'at', 'organisation', 'purpose', 'who']);
      expect(e.organisation).toContain('鳥取市');
    }
    expect(entries.some((e) => e.purpose === '予防接種プラットフォームへの接種対象者の登録')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(mn(3));
    // An unknown person: 404; another node (the real マイナポータル's keys) may not ask.
    await expect(platform.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: '9999999999' }, {})).rejects.toMatchObject({ status: 404 });
    const other = exchangeNodeFor({ name: 'mynaportal', schema: 'platform', db: platformDb, keyDir: app.config.keyDir, directory: orgs.directory, clock: app.config.clock });
    await expect(other.call('municipality', 'datause.provide', { tenant: TOTTORI, municipalityIdentityKey: town.C }, {})).rejects.toMatchObject({ status: 403 });
  });

  it('a registration owed for someone who has since moved out is retried as a deletion', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv7.csv'), 'diff', [movement('PF-9', '20', '20261113', { ...TOWN.C, 住所: '鳥取県鳥取市本町五丁目5番地' })]) });
    await stopPlatform();
    expect(await pushRun(app, nurse, x, { runId })).toMatchObject({ status: 'failed', failed: 1 });
    await startPlatform();
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv8.csv'), 'diff', [movement('PF-10', '11', '20261114', { ...TOWN.C, 住所: '鳥取県鳥取市本町五丁目5番地', 転出先住所: '東京都江戸川区中央一丁目', 住民でなくなった日: '20261114', 消除事由: '転出' })]),
    });
    const r = await retryFailed(app, nurse, x, { force: true });
    expect(r).toMatchObject({ status: 'complete', deleted: 1 });
    // Only the deletion was sent: no registration of the old address first.
    expect(await callOf(`${r.batchId}:1`)).toMatchObject([{ sent: 1, deleted: 1, registered: 0, updated: 0 }]);
    expect(await heldOne(town.C)).toMatchObject({ link_status: 'deleted', change_category: '11', movement_date: '2026-11-14', holds_number: false });
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.C))).toMatchObject({ status: 'deleted', changeCategory: '11', nextRetryAt: null });
  });

  it('a person of the run without a My Number is not sent (kept as an error, not retried); a later run keeps the earlier 接種券', async () => {
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'mv10.csv'), 'diff', [movement('PF-12', '01', '20261116', person(9, { 個人番号: '', 生年月日: '20260901', 住民となった日: '20261116', 最新異動日: '20261116', 転入前住所: '東京都千代田区千代田１番１号' }))]),
    });
    const late = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: AS_OF })).run.id;
    const before = await held();
    const r = await pushRun(app, nurse, x, { runId: late });
    expect(r.failed).toBe(1);
    const failed = await runAs(app.db, nurse, (w) => listFailedTargets(w));
    const noNumber = failed.rows.find((f) => f.error?.includes('個人番号が登録されていない'))!;
    expect(noNumber).toMatchObject({ nextRetryAt: null });
    // The platform holds nobody new (the person without a number was never sent).
    expect((await held()).map((t) => t.identity_key)).toEqual(before.map((t) => t.identity_key));
    expect(await heldOne(noNumber.atenaNo)).toBeUndefined();
    // D's 接種券 from the first run is still the one the platform holds.
    const d = (await heldOne(town.D))!;
    const notices = await withPlatformTenant(platformDb, TOTTORI, async (tx) => (await sql<{ voucher_no: string }>`SELECT voucher_no FROM platform.notices WHERE target_id = ${d.target_id}`.execute(tx)).rows);
    expect(notices).toHaveLength(1);
  });

  it('staff screens: 送信の記録, one batch, the failed persons with 再送 (CSRF), in Japanese and without My Numbers', async () => {
    // D moves within the city; the 国保 feed has not yet told 支払基金: the mis-link check fails on 住所.
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv6.csv'), 'diff', [movement('PF-8', '20', '20261115', { ...TOWN.D, 住所: '鳥取県鳥取市河原町六番地' })]) });
    const failedPush = await pushRun(app, nurse, x, { runId });
    expect(failedPush.failed).toBe(1);
    const web = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000, exchange: { node: orgs.municipal.node, chukanOf: chukanNodeName } });
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
      expect(visibleText(failed.text)).toContain('基本情報と一致しません: 住所');
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
      // 再送 without a CSRF token is refused; with it (支払基金 now told the new address), the person is sent again.
      const noToken = await c.post('/platform/failed/retry', { atena: town.D });
      expect(noToken.status).toBe(403);
      await feed([town.D]);
      const retried = await c.post('/platform/failed/retry', { _csrf: PageClient.csrf(failed.text), atena: town.D });
      expect(retried.status).toBe(302);
      expect(retried.location).toBe('/platform/failed');
      const after = await c.get('/platform/failed');
      expect(visibleText(after.text)).toContain('再送しました');
      expect(after.text).not.toContain(`name="atena" value="${town.D}"`);
      expect(visibleText(after.text)).toContain('個人番号が登録されていないため登録できません');
      expect((await heldOne(town.D))?.link_status).toBe('linked');
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

  it('linkage is known at registration; refreshLinkage reads back an operator\'s deletion, and the next push sends the person again (PMH-21, PMH-03)', async () => {
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv9.csv'), 'diff', [movement('PF-11', '20', '20261117', { ...TOWN.D, 住所: '鳥取県鳥取市河原町七番地' })]) });
    await feed([town.D]);
    expect(await pushRun(app, nurse, x, { runId })).toMatchObject({ updated: 1 });
    const d = (await heldOne(town.D))!;
    expect(d).toMatchObject({ link_status: 'linked', pmh_key: expect.stringMatching(/^PK/) });
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.D))).toMatchObject({ status: 'linked', targetId: d.target_id });
    const before = await refreshLinkage(app, nurse, x);
    expect(before.asked).toBeGreaterThan(0);
    expect(before.changed).toBe(0);
    // An operator deletes D on the platform (PMH-03): the read-back learns it, and the next push registers D again.
    await deleteByOperator(platformDb, app.config.clock, TOTTORI, town.D, 'operator:test', '削除依頼（試験）');
    expect(await heldOne(town.D)).toMatchObject({ link_status: 'deleted', holds_number: false });
    expect(await refreshLinkage(app, nurse, x)).toMatchObject({ changed: 1 });
    expect(await runAs(app.db, nurse, (w) => personLinkage(w, town.D))).toMatchObject({ status: 'deleted' });
    expect(await pushRun(app, nurse, x, { runId })).toMatchObject({ registered: 1, failed: 0 });
    expect(await heldOne(town.D)).toMatchObject({ link_status: 'linked' });
  });
});
