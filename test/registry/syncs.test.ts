// The registry's syncs over HTTP (issue 16 Must have 6 and "Done when": each sync proved over HTTP with its item
// limits; QUA-28, QUA-29; decisions 0221–0225).  Every organisation runs on its own loopback port (platformWorld):
// the registry sends to 免許登録管理システム (node menkyo) and 資格確認検索システム (node kensaku) through the
// exchange layer (signed, encrypted, logged at both ends).  Persons are registered through examination (paper
// application, the 住基・戸籍・合格者名簿 results recorded as the checkers record them, fees settled, a 審査責任者's
// approval); one is written straight into the register without any check (never sent).  Covered: only persons
// registrable without problems (a pending 訂正 withholds one until it is decided), SPI only inside the message
// encrypted to menkyo, the copy kept by version, per-record acknowledgements, idempotent re-runs, a stop half-way
// and a lost acknowledgement, an item outside the predefined list refused whole, foreign and unsigned senders
// refused, the public search answering only 氏名・登録年・性別 (also when a stored row holds more), removal on
// 免許取消 and 抹消, no My Number at the kensaku node, and its public page (real Chromium, screenshot).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kosekiDeps, messageLogOf } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { KENSAKU_RATE_LIMIT, KENSAKU_ROLE } from '../../src/peers/kensaku/index.js';
import { MENKYO_ROLE, MenkyoSecrets, menkyoEntries, menkyoItemList, menkyoMyNumber } from '../../src/peers/menkyo/index.js';
import {
  applyForStaff, approveStaff, authenticateStaff, catalog, closeProposal, decideApplication, listProposals, rememberJuminhyoCode, runChecks, eraseEntry, exampleForm, insertApplication, issueStaffToken, kensakuKey, recordCheck, recordDisposition, registerEntry,
  REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA, RegistrySecrets, runSync, syncAdministrators, withRegistryTenant, type ExaminationDeps, type StaffSession, type SyncDeps,
} from '../../src/registry/index.js';
import { TOTTORI } from '../harness/app.js';
import { launch } from '../harness/browser.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { platformWorld, type PlatformWorld } from '../harness/platform.js';
import { settleFeesByStamps } from '../harness/registry.js';

let w: PlatformWorld;
let clock: SetClock;
let db: Kysely<UntypedDatabase>;
let menkyoDb: Kysely<UntypedDatabase>;
let kensakuDb: Kysely<UntypedDatabase>;
let secrets: RegistrySecrets;
let deps: SyncDeps;
let exam: ExaminationDeps;
let kensakuUrl = '';
const chiefs = new Map<string, StaffSession>();
const numbers: string[] = [];
let seq = 0;
let fixId = '';

const myNumber = (): string => {
  const n = syntheticMyNumber('registry-syncs', seq++);
  numbers.push(n);
  return n;
};

interface Person { q: string; tenant: string; number: number; mn: string; name: string; pseudonymId?: string }
const P: Record<string, Person> = {};

async function chief(tenant: string): Promise<StaffSession> {
  let s = chiefs.get(tenant);
  if (!s) {
    const userId = `sync-chief-${tenant}`;
    const qualifications = catalog().jurisdiction(tenant).map((q) => q.code);
    await applyForStaff(db, clock, { tenant, userId, name: '同期 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications, reason: '審査責任者', appliedBy: 'operator' });
    await approveStaff(db, clock, tenant, userId, 'operator');
    s = await authenticateStaff(db, clock, `Bearer ${(await issueStaffToken(db, clock, tenant, userId)).token}`);
    chiefs.set(tenant, s);
  }
  return s;
}

/** A paper application approved by a 審査責任者 with the 住基・戸籍・合格者名簿 checks matched and the fees settled. */
async function register(key: string, q: string, surname: string, given: string, kana: [string, string], sex: '1' | '2' = '1'): Promise<Person> {
  const tenant = catalog().qualification(q)!.administrator;
  const mn = myNumber();
  const form = { ...exampleForm(q), 氏名: { 姓: surname, 名: given }, フリガナ: { 姓: kana[0], 名: kana[1] }, 性別: sex };
  const a = await withRegistryTenant(db, tenant, (tx) => insertApplication(tx, { clock, secrets }, tenant, {
    qualification: q, procedure: 'new', channel: 'paper', form, myNumber: mn, registrationNo: null, identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi',
  }));
  await withRegistryTenant(db, tenant, async (tx) => {
    for (const source of ['juki', 'koseki', 'passers'] as const) await recordCheck(tx, clock, a.id, { source, outcome: 'match', by: 'system' });
  });
  await settleFeesByStamps(db, clock, tenant, a.id);
  const r = await decideApplication(exam, await chief(tenant), a.id, { action: 'approve' });
  P[key] = { q, tenant, number: r.entry!.number, mn, name: `${surname}　${given}`, pseudonymId: r.entry!.pseudonymId };
  return P[key];
}

const search = async (q: string, name: string, page?: number) => {
  const r = await fetch(`${kensakuUrl}/kensaku/v1/search?${new URLSearchParams({ qualification: q, name, ...(page ? { page: String(page) } : {}) }).toString()}`);
  return { status: r.status, text: await r.text() };
};
const hits = async (q: string, name: string) => JSON.parse((await search(q, name)).text) as { total: number; items: Record<string, unknown>[] };
const versionsAt = async (q: string) => (await menkyoEntries(menkyoDb, q)).map((e) => `${e.registrationNo}:${e.versions.join(',')}`);
const rowCount = async () => Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM peers_menkyo.register_versions`.execute(menkyoDb)).rows[0]!.n);

beforeAll(async () => {
  w = await platformWorld();
  clock = w.app.config.clock as SetClock;
  db = await w.app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, clock);
  secrets = RegistrySecrets.open(w.app.config.keyDir);
  const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock });
  deps = { db, clock, node, secrets, keyDir: w.app.config.keyDir };
  exam = { db, clock, secrets };
  menkyoDb = await w.app.db.forRole(MENKYO_ROLE);
  kensakuDb = await w.app.db.forRole(KENSAKU_ROLE);
  kensakuUrl = w.orgs.nodes.find((n) => n.name === 'kensaku')!.url;
  await register('ishi1', 'ishi', '厚労', '一郎', ['コウロウ', 'イチロウ']);
  await register('ishi2', 'ishi', '医政', '花子', ['イセイ', 'ハナコ'], '2');
  await register('kango', 'kangoshi', '看護', '良子', ['カンゴ', 'ヨシコ'], '2');
  await register('yaku', 'yakuzaishi', '薬師', '次郎', ['ヤクシ', 'ジロウ']);
  await register('yaku2', 'yakuzaishi', '調剤', '三郎', ['チョウザイ', 'サブロウ']);
  // Written straight into the register, without any 住基・戸籍 check: never registrable without problems here.
  const raw = await registerEntry({ db, clock, secrets }, { applicationId: 'sync-unchecked-1', qualification: 'ishi', application: { ...exampleForm('ishi'), 氏名: { 姓: '未確', 名: '認子' } }, myNumber: myNumber(), approvedBy: 'operator' });
  P['unchecked'] = { q: 'ishi', tenant: 'mhlw-isei', number: raw.number, mn: '', name: '未確　認子' };
  // A 訂正 application received for ishi2 and not yet decided: that person waits.
  const fix = { ...exampleForm('ishi', 'correction'), 登録番号: String(P['ishi2']!.number), 訂正事項: { 氏名: { 旧: { 姓: '医政', 名: '花子' }, 新: { 姓: '新川', 名: '花子' }, 新フリガナ: { 姓: 'シンカワ', 名: 'ハナコ' } } } };
  const c = await withRegistryTenant(db, 'mhlw-isei', (tx) => insertApplication(tx, { clock, secrets }, 'mhlw-isei', {
    qualification: 'ishi', procedure: 'correction', channel: 'paper', form: fix, myNumber: P['ishi2']!.mn, registrationNo: P['ishi2']!.number, identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi',
  }));
  fixId = c.id;
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('免許登録管理システム (QUA-28)', () => {
  it('syncs the problem-free persons of 医籍等 and 薬剤師名簿 with their My Number, encrypted, acknowledged per record; withholds the others', async () => {
    const [isei, iyaku] = await runSync(deps, 'menkyo');
    expect(isei).toMatchObject({ tenant: 'mhlw-isei', sent: 2, stored: 2, unchanged: 0, withheld: { unverified: 1, proposal: 0, application: 1 } });
    expect(iyaku).toMatchObject({ tenant: 'mhlw-iyaku', sent: 2, stored: 2, withheld: { unverified: 0, proposal: 0, application: 0 }, messages: 1 });
    expect(await versionsAt('ishi')).toEqual([`${P['ishi1']!.number}:1`]);
    expect(await versionsAt('kangoshi')).toEqual([`${P['kango']!.number}:1`]);
    // The copy holds the register items and the My Number (sealed with menkyo's own key; opened here to prove it arrived).
    const [e] = await menkyoEntries(menkyoDb, 'yakuzaishi');
    expect(e!.items).toMatchObject({ 姓: '薬師', 名: '次郎', 登録番号: P['yaku']!.number, 性別コード: '1' });
    const m = { db: menkyoDb, clock, secrets: MenkyoSecrets.open(w.app.config.keyDir) };
    expect(await menkyoMyNumber(m, 'yakuzaishi', P['yaku']!.number)).toBe(P['yaku']!.mn);
    expect(await menkyoMyNumber(m, 'ishi', P['ishi1']!.number)).toBe(P['ishi1']!.mn);
    const stored = JSON.stringify((await sql`SELECT * FROM peers_menkyo.register_versions`.execute(menkyoDb)).rows);
    for (const n of numbers) expect(stored).not.toContain(n);
    // Nobody withheld reached menkyo.
    expect((await menkyoEntries(menkyoDb, 'ishi')).map((x) => x.registrationNo)).not.toContain(P['unchecked']!.number);
  });

  it('a re-run sends nothing; a later change is sent as a new version (the copy kept by version)', async () => {
    const again = await runSync(deps, 'menkyo');
    expect(again.map((r) => [r.sent, r.messages])).toEqual([[0, 0], [0, 0]]);
    await recordDisposition({ db, clock }, { qualification: 'ishi', number: P['ishi1']!.number, kind: 'suspension', decidedOn: clock.today(), code: '21', from: clock.today(), until: clock.today(), issueNo: '医政発同期第1号', by: 'operator' });
    const [isei] = await runSync(deps, 'menkyo', { tenant: 'mhlw-isei' });
    expect(isei).toMatchObject({ sent: 1, stored: 1 });
    const [e] = await menkyoEntries(menkyoDb, 'ishi');
    expect(e).toMatchObject({ registrationNo: P['ishi1']!.number, version: 2, versions: [1, 2], dispositions: [expect.objectContaining({ kind: 'suspension', issueNo: '医政発同期第1号' })] });
  });

  it('the withheld person is sent once the pending 訂正 is decided (with the new name)', async () => {
    const appId = fixId;
    await withRegistryTenant(db, 'mhlw-isei', async (tx) => {
      for (const source of ['juki', 'koseki'] as const) await recordCheck(tx, clock, appId, { source, outcome: 'match', by: 'system' });
    });
    await settleFeesByStamps(db, clock, 'mhlw-isei', appId);
    await decideApplication(exam, await chief('mhlw-isei'), appId, { action: 'approve' });
    const [isei] = await runSync(deps, 'menkyo', { tenant: 'mhlw-isei' });
    expect(isei).toMatchObject({ sent: 1, stored: 1, withheld: { unverified: 1, application: 0 } });
    const e = (await menkyoEntries(menkyoDb, 'ishi')).find((x) => x.registrationNo === P['ishi2']!.number)!;
    expect(e).toMatchObject({ version: 2, versions: [2] });
    expect(e.items).toMatchObject({ 姓: '新川', 名: '花子' });
  });

  it('resumes after a stop half-way without loss or duplicate, and a lost acknowledgement re-sends what the copy already holds (acknowledged as held)', async () => {
    await eraseEntry({ db, clock, secrets }, { qualification: 'yakuzaishi', number: P['yaku']!.number, cause: 'request', reasonCode: '01', by: 'operator' });
    await recordDisposition({ db, clock }, { qualification: 'yakuzaishi', number: P['yaku2']!.number, kind: 'revocation', decidedOn: clock.today(), code: '31', from: clock.today(), issueNo: '薬生発同期第1号', by: 'operator' });
    const before = await rowCount();
    const [first] = await runSync(deps, 'menkyo', { tenant: 'mhlw-iyaku', batchSize: 1, maxBatches: 1 }); // stopped after one batch
    expect(first).toMatchObject({ sent: 1, stored: 1 });
    const [rest] = await runSync(deps, 'menkyo', { tenant: 'mhlw-iyaku', batchSize: 1 });
    expect(rest).toMatchObject({ sent: 1, stored: 1 });
    expect(await rowCount()).toBe(before + 2);
    // 薬剤師: the living person's My Number is deleted on 抹消 (QUA-12) and the copy's newest version holds none.
    const m = { db: menkyoDb, clock, secrets: MenkyoSecrets.open(w.app.config.keyDir) };
    expect(await menkyoMyNumber(m, 'yakuzaishi', P['yaku']!.number)).toBeNull();
    expect((await menkyoEntries(menkyoDb, 'yakuzaishi')).find((x) => x.registrationNo === P['yaku']!.number)).toMatchObject({ version: 2, erasure: { cause: 'request' } });
    // The registry lost its acknowledgements (e.g. it stopped after the answer): everything is sent again, the copy stores nothing twice.
    await sql`DELETE FROM registry.sync_state WHERE target = 'menkyo'`.execute(w.app.db.system);
    const redo = await runSync(deps, 'menkyo');
    expect(redo.map((r) => [r.sent, r.stored])).toEqual([[3, 0], [2, 0]]);
    expect(await rowCount()).toBe(before + 2);
    expect((await runSync(deps, 'menkyo')).map((r) => r.sent)).toEqual([0, 0]);
  });

  it('refuses a message carrying an item outside the predefined list whole (nothing stored), a clear message, and any sender but the registry', async () => {
    const before = await rowCount();
    const good = { registrationNo: 99_001, version: 1, registeredOn: clock.today(), pseudonymId: 'Q00000000000000000001', items: { 姓: '検証', 名: '太郎' }, myNumber: null, erasure: null, deceased: false, dispositions: [] };
    const bad = { ...good, registrationNo: 99_002, items: { 姓: '検証', 名: '次郎', 年収: '1000万円' } };
    const p = await expectProblem(deps.node.call('menkyo', 'register.sync', { qualification: 'ishi', records: [good, bad] }, { personal: true }), { status: 400, code: 'SYNC_ITEM_NOT_ALLOWED' });
    expect(p.detail).toContain('年収');
    await expectProblem(deps.node.call('menkyo', 'register.sync', { qualification: 'ishi', records: [{ ...good, 本籍: '鳥取県' }] }, { personal: true }), { status: 400, code: 'SYNC_ITEM_NOT_ALLOWED' });
    await expectProblem(deps.node.call('menkyo', 'register.sync', { qualification: 'kanrieiyoshi', records: [good] }, { personal: true }), { status: 400, code: 'SYNC_ITEM_NOT_ALLOWED' });
    await expectProblem(deps.node.call('menkyo', 'register.sync', { qualification: 'ishi', records: [good] }), { status: 400, code: 'SYNC_NOT_ENCRYPTED' });
    expect(await rowCount()).toBe(before);
    // Another organisation (法務省 戸籍) signing a sync: refused by the message layer before anything is read.
    const koseki: ExchangeNode = (await kosekiDeps(w.app, w.orgs.directory)).node;
    await expectProblem(koseki.call('menkyo', 'register.sync', { qualification: 'ishi', records: [good] }, { personal: true }), { status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    // Unsigned: refused.
    const r = await fetch(`${w.orgs.nodes.find((n) => n.name === 'menkyo')!.url}/exchange/v1/register.sync`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: 'not-a-jws' });
    expect(r.status).toBe(401);
    expect(await rowCount()).toBe(before);
    // The predefined list is the §004 register items of each qualification (the catalog's, less the identifiers).
    for (const q of Object.keys(menkyoItemList().qualifications)) {
      expect(menkyoItemList().qualifications[q]!.items).toEqual(catalog().qualification(q)!.registerItems.filter((i) => !['資格仮名ID', 'マイナポータル仮名ID', '個人番号', '機関別符号'].includes(i)));
    }
  });

  it('logs every message at both ends, and neither log holds a My Number', async () => {
    const reg = (await (await messageLogOf(w.app, 'registry')).list({ limit: 100_000 })).rows.filter((x) => x.service === 'register.sync');
    const mk = (await (await messageLogOf(w.app, 'menkyo')).list({ limit: 100_000 })).rows;
    const out = reg.filter((x) => x.direction === 'out' && x.outcome === 'ok');
    expect(out.length).toBeGreaterThanOrEqual(6);
    // Each request the registry sent and got answered is in menkyo's log as received, with the same digest.
    for (const o of out) expect(mk.find((x) => x.direction === 'in' && x.msgId === o.msgId && x.digest === o.digest && x.outcome === 'ok'), o.msgId).toBeDefined();
    expect(mk.filter((x) => x.direction === 'in' && x.outcome === 'refused').map((x) => x.code)).toEqual(expect.arrayContaining(['SYNC_ITEM_NOT_ALLOWED', 'SYNC_NOT_ENCRYPTED', 'EXCHANGE_NOT_ALLOWED', 'EXCHANGE_UNSIGNED']));
    const text = JSON.stringify([reg, mk]);
    expect(findMyNumbers(text)).toEqual([]);
  });
});

describe('資格確認検索システム (QUA-29)', () => {
  it('syncs only 氏名, 登録年 and 性別; removes the revoked and the erased; withholds the unchecked', async () => {
    const [isei, iyaku] = await runSync(deps, 'kensaku');
    expect(isei).toMatchObject({ sent: 3, stored: 3, removed: 0, withheld: { unverified: 1 } });
    expect(iyaku).toMatchObject({ sent: 2, stored: 2, removed: 2 });
    const year = Number(clock.today().slice(0, 4));
    const h = await hits('ishi', '厚労 一郎');
    expect(h.total).toBe(1);
    expect(h.items).toEqual([{ 氏名: '厚労　一郎', 登録年: year, 性別: '男' }]);
    expect((await hits('kangoshi', '看護良子')).items).toEqual([{ 氏名: '看護　良子', 登録年: year, 性別: '女' }]);
    expect((await hits('ishi', '新川 花子')).total).toBe(1);
    expect((await hits('ishi', '医政 花子')).total).toBe(0);
    expect((await hits('ishi', '未確 認子')).total).toBe(0);
    // 抹消 and 免許取消: tombstones, gone from the public search.
    expect((await hits('yakuzaishi', '薬師 次郎')).total).toBe(0);
    expect((await hits('yakuzaishi', '調剤 三郎')).total).toBe(0);
    const rows = (await sql<{ listed: boolean; items: Record<string, unknown> }>`SELECT listed, items FROM peers_kensaku.listings ORDER BY listing_key`.execute(kensakuDb)).rows;
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(Object.keys(r.items).sort()).toEqual(r.listed ? ['性別', '氏名', '登録年'].sort() : []);
    expect(await runSync(deps, 'kensaku')).toMatchObject([{ sent: 0, messages: 0 }, { sent: 0, messages: 0 }]);
  });

  it('a death removes the person at the next sync', async () => {
    await eraseEntry({ db, clock, secrets }, { qualification: 'kangoshi', number: P['kango']!.number, cause: 'death', reasonCode: '02', by: 'operator' });
    const [isei] = await runSync(deps, 'kensaku', { tenant: 'mhlw-isei' });
    expect(isei).toMatchObject({ sent: 1, removed: 1 });
    expect((await hits('kangoshi', '看護良子')).total).toBe(0);
  });

  it('answers nothing but the three items, even when a stored row would hold more', async () => {
    const key = kensakuKey(w.app.config.keyDir, 'ishi', P['ishi1']!.number);
    await sql`UPDATE peers_kensaku.listings SET items = items || ${JSON.stringify({ 生年月日: '2000-04-01', 登録番号: P['ishi1']!.number, 個人番号: P['ishi1']!.mn })}::jsonb WHERE listing_key = ${key}`.execute(w.app.db.system);
    const r = await search('ishi', '厚労　一郎');
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text) as { total: number; page: number; pages: number; items: Record<string, unknown>[] };
    expect(body).toMatchObject({ total: 1, page: 1, pages: 1 });
    expect(Object.keys(body.items[0]!).sort()).toEqual(['性別', '氏名', '登録年'].sort());
    expect(r.text).not.toContain('2000-04-01');
    expect(r.text).not.toContain(P['ishi1']!.mn);
    const page = await (await fetch(`${kensakuUrl}/kensaku?${new URLSearchParams({ qualification: 'ishi', name: '厚労　一郎' }).toString()}`)).text();
    expect(page).toContain('厚労　一郎');
    expect(page).not.toContain('2000-04-01');
    expect(findMyNumbers(page)).toEqual([]);
    await sql`UPDATE peers_kensaku.listings SET items = items - '生年月日' - '登録番号' - '個人番号' WHERE listing_key = ${key}`.execute(w.app.db.system);
    const short = await search('ishi', 'x');
    expect(short.status).toBe(400);
    expect(JSON.parse(short.text)).toMatchObject({ code: 'INVALID_REQUEST', errors: [{ field: 'name' }] });
  });

  it('refuses an item outside the list whole, and any sender but the registry', async () => {
    const count = async () => Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM peers_kensaku.listings`.execute(kensakuDb)).rows[0]!.n);
    const before = await count();
    const ok = { key: `K${'1'.repeat(32)}`, version: 1, 氏名: '検証　太郎', 登録年: 2020, 性別: '1' };
    for (const extra of [{ 生年月日: '2000-04-01' }, { 登録番号: 5 }, { 個人番号: syntheticMyNumber('x', 1) }]) {
      const bad = { ...ok, key: `K${'2'.repeat(32)}`, ...extra };
      const p = await expectProblem(deps.node.call('kensaku', 'listings.sync', { qualification: 'ishi', records: [ok, bad] }, { personal: true }), { status: 400, code: 'SYNC_ITEM_NOT_ALLOWED' });
      expect(p.detail).toContain(Object.keys(extra)[0]!);
      expect(findMyNumbers(p.detail ?? '')).toEqual([]);
    }
    await expectProblem(deps.node.call('kensaku', 'listings.sync', { qualification: 'ishi', records: [ok], 資格管理者: 'mhlw-isei' }, { personal: true }), { status: 400, code: 'SYNC_ITEM_NOT_ALLOWED' });
    await expectProblem(deps.node.call('kensaku', 'listings.sync', { qualification: 'ishi', records: [{ ...ok, 掲載終了: true }] }, { personal: true }), { status: 400, code: 'SYNC_INVALID' });
    expect(await count()).toBe(before);
    const koseki: ExchangeNode = (await kosekiDeps(w.app, w.orgs.directory)).node;
    await expectProblem(koseki.call('kensaku', 'listings.sync', { qualification: 'ishi', records: [ok] }, { personal: true }), { status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    expect(await count()).toBe(before);
  });

  it('holds no My Number, 登録番号 or birth date: its tables and its message log', async () => {
    const all = JSON.stringify([
      (await sql`SELECT * FROM peers_kensaku.listings`.execute(kensakuDb)).rows,
      (await (await messageLogOf(w.app, 'kensaku')).list({ limit: 100_000 })).rows,
    ]);
    expect(findMyNumbers(all)).toEqual([]);
    for (const n of numbers) expect(all).not.toContain(n);
    expect(all).not.toContain('2000-04-01');
    expect(all).not.toContain('登録番号');
    const log = (await (await messageLogOf(w.app, 'kensaku')).list({ limit: 100_000 })).rows;
    expect(log.filter((x) => x.direction === 'in' && x.service === 'listings.sync' && x.outcome === 'ok').length).toBeGreaterThanOrEqual(3);
  });

  it('shows the public search page in Japanese (real Chromium; screenshot)', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      await page.goto(`${kensakuUrl}/kensaku`);
      await page.selectOption('select[name=qualification]', 'ishi');
      await page.fill('input[name=name]', '新川　花子');
      await page.click('button[type=submit]');
      await page.waitForSelector('table');
      const text = await page.textContent('main');
      expect(text).toContain('医師として登録されている「新川　花子」さん: 1件');
      expect(text).toContain('女');
      expect(await page.locator('th').allTextContents()).toEqual(['氏名', '性別', '登録年']);
      mkdirSync('.test-output', { recursive: true });
      await page.screenshot({ path: join('.test-output', 'kensaku-search.png'), fullPage: true });
      await page.goto(`${kensakuUrl}/kensaku?qualification=ishi&name=x`);
      expect(await page.textContent('.error')).toContain('氏名（姓と名）を2文字以上');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('an open check proposal withholds the person until it is closed (QUA-28, decision 0222)', () => {
  it('a name change found by the periodic 住基 check: withheld from both while open, sent with the new name once accepted', async () => {
    const p = await register('juki', 'rigakuryohoshi', '住基', '確子', ['ジュウキ', 'カクコ'], '2');
    const code = '19000000077';
    const record = (over: Record<string, unknown>) => ({
      juminhyoCode: code, myNumber: p.mn, name: '住基　確子', nameKana: 'ジュウキ　カクコ', birthDate: '2000-04-01', sex: 'female', address: '鳥取県鳥取市見本町1番地',
      status: 'resident', movement: '01', movementDate: '2000-04-01', seq: 990_000 + seq++, ...over,
    });
    // 住基ネット knows the person (鳥取市's 市町村CS), and the registrant is linked to the 住民票コード.
    await w.orgs.municipal.node.call('jlis', 'identity.update', { tenant: TOTTORI, changes: [record({})] }, { personal: true });
    await withRegistryTenant(db, 'mhlw-isei', (tx) => rememberJuminhyoCode(tx, { tenant: 'mhlw-isei', pseudonymId: p.pseudonymId!, juminhyoCode: code, at: clock.now() }));
    clock.set(`${addDaysIso(clock.today(), 1)}T10:00:00+09:00`);
    await w.orgs.municipal.node.call('jlis', 'identity.update', { tenant: TOTTORI, changes: [record({ name: '改名　確子', nameKana: 'カイメイ　カクコ', movement: '41', movementDate: clock.today() })] }, { personal: true });
    const run = await runChecks({ db, clock, node: deps.node, secrets }, { tenant: 'mhlw-isei' });
    expect(run.changed).toBeGreaterThanOrEqual(1);
    const open = (await listProposals(db, { tenant: 'mhlw-isei', status: 'open' })).rows.filter((x) => x.number === p.number && x.qualification === 'rigakuryohoshi');
    expect(open.map((x) => x.kind)).toEqual(['name']);
    const [m1] = await runSync(deps, 'menkyo', { tenant: 'mhlw-isei' });
    const [k1] = await runSync(deps, 'kensaku', { tenant: 'mhlw-isei' });
    expect(m1!.withheld.proposal).toBe(1);
    expect(k1!.withheld.proposal).toBe(1);
    expect((await menkyoEntries(menkyoDb, 'rigakuryohoshi')).length).toBe(0);
    expect((await hits('rigakuryohoshi', '住基 確子')).total).toBe(0);
    await closeProposal({ db, clock }, { tenant: 'mhlw-isei', id: open[0]!.id, decision: 'accept', by: 'operator' });
    const [m2] = await runSync(deps, 'menkyo', { tenant: 'mhlw-isei' });
    const [k2] = await runSync(deps, 'kensaku', { tenant: 'mhlw-isei' });
    expect([m2!.withheld.proposal, k2!.withheld.proposal, m2!.sent, k2!.sent]).toEqual([0, 0, 1, 1]);
    expect((await menkyoEntries(menkyoDb, 'rigakuryohoshi'))[0]).toMatchObject({ registrationNo: p.number, version: 2, items: expect.objectContaining({ 姓: '改名', 名: '確子' }) });
    expect((await hits('rigakuryohoshi', '改名 確子')).items).toEqual([{ 氏名: '改名　確子', 登録年: expect.any(Number), 性別: '女' }]);
  });
});

// Last in the file: it spends this client's allowance of the minute at the public search.
describe('the public search limits harvesting (QUA-29)', () => {
  it('answers at most KENSAKU_RATE_LIMIT searches a minute from one address, then 429 in Japanese', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= KENSAKU_RATE_LIMIT.max; i++) statuses.push((await search('ishi', '見本　太郎')).status);
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThan(0);
    expect(statuses.slice(first).every((s) => s === 429)).toBe(true);
    const last = await search('ishi', '見本　太郎');
    expect(last.status).toBe(429);
    expect(JSON.parse(last.text)).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'しばらくお待ちください' });
  });
});
