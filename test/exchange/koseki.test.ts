// 戸籍 checks of the national qualification registry through the 情報提供ネットワークシステム (issue 15 Must have
// 4 and 6, 戸籍 part; QUA-17, QUA-16, QUA-35; decisions 0184–0187), every organisation real on its own loopback
// port: 法務省's 戸籍情報連携システム (node koseki) is a provider on the network, the registry an inquiry-only
// requester with its own 符号.  An application's 本籍 and 氏名 are checked against the 戸籍 with the name
// history; a person whose 戸籍 is not linked → a 戸籍 extract is asked for; a death in the 戸籍 is reported; the
// periodic check proposes name, 本籍 and death changes of registrants; nothing can be asked of the registry;
// an inquiry not on the permission list is refused and recorded; the person's 情報提供等記録 show the
// registry's inquiries; no My Number in any message log or provider table.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kosekiDeps, messageLogOf, registryKosekiDeps, seedDemoKoseki, startOrganisations, syntheticKoseki, type Organisations } from '../../src/app/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { CHUKAN_ROLE, CHUKAN_SCHEMA } from '../../src/peers/chukan/index.js';
import { listKosekiProvisions, recordEvent, recordPerson, type KosekiDeps, type KosekiPersonInput } from '../../src/peers/koseki/index.js';
import { issuePermit, subjectsDigest, MAX_BATCH_CODES, NETWORK_ROLE, NETWORK_SCHEMA } from '../../src/peers/network/index.js';
import { checkKoseki, closeProposal, exampleForm, kosekiChanges, kosekiChecksDue, listProposals, registerEntry, runKosekiChecks, withRegistryTenant, type KosekiCheckDeps } from '../../src/registry/index.js';
import { addTenant, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { person, writeCsv } from '../harness/residents.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { TEST_TODAY } from '../harness/clock.js';

const num = (i: number) => syntheticMyNumber('registry-koseki', i);
const jc = (i: number) => String(40_000_000_000 + i);
const TENANT = 'mhlw-isei';
const QUAL = 'ishi';

/** The persons of the test: in 住基 (1–9), with a 戸籍 linked or not. */
const P = { married: 1, otherHonseki: 2, unlinked: 3, dead: 4, periodic: 5, periodicDeath: 6, periodicSame: 7, periodicUnlinked: 8 } as const;

let app: TestApp;
let orgs: Organisations;
let koseki: KosekiDeps;
let registry: KosekiCheckDeps;
let chukan: ExchangeNode;
let network: ExchangeNode;
let clock: SetClock;

const birth = (i: number, over: Partial<KosekiPersonInput['events'][number]> = {}) => ({
  occurredOn: '1990-04-0' + String((i % 9) + 1), reason: 'birth' as const, honsekiCode: '31', honseki: '鳥取県鳥取市東町一丁目220番地', hittosha: '因幡　一郎', surname: '因幡', givenName: `${i}子`, ...over,
});

function form(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...exampleForm(QUAL), 氏名: { 姓: '因幡', 名: `${i}子` }, フリガナ: { 姓: 'イナバ', 名: 'コ' }, 生年月日: birth(i).occurredOn, 性別: '2', 本籍: { 都道府県コード: '31' }, ...over };
}

const check = (i: number, over: Record<string, unknown> = {}) =>
  checkKoseki(registry, { tenant: TENANT, qualification: QUAL, myNumber: num(i), form: form(i), ref: `app-${i}`, by: 'shinsa1', ...over });

beforeAll(async () => {
  app = await testApp('server');
  clock = app.config.clock as SetClock;
  await addTenant(app, TOTTORI, '鳥取市');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
  koseki = await kosekiDeps(app, orgs.directory);
  registry = await registryKosekiDeps(app, orgs.directory);
  const keyDir = app.config.keyDir;
  chukan = exchangeNodeFor({ name: `chukan-${TOTTORI}`, schema: CHUKAN_SCHEMA, db: await app.db.forRole(CHUKAN_ROLE), keyDir, directory: orgs.directory, clock });
  network = exchangeNodeFor({ name: 'network', schema: NETWORK_SCHEMA, db: await app.db.forRole(NETWORK_ROLE), keyDir, directory: orgs.directory, clock });
  // 住基ネット knows persons 1–9 (鳥取市's 市町村CS sends them).
  const changes = Array.from({ length: 9 }, (_, k) => {
    const i = k + 1;
    return {
      juminhyoCode: jc(i), myNumber: num(i), name: `因幡　${i}子`, nameKana: `イナバ　${i}コ`, birthDate: birth(i).occurredOn, sex: 'female', address: '鳥取県鳥取市東町一丁目220番地',
      status: 'resident', movement: '01', movementDate: '2020-04-01', seq: i,
    };
  });
  await orgs.municipal.node.call('jlis', 'identity.update', { tenant: TOTTORI, changes }, { personal: true });
  // 法務省's 戸籍: a marriage (氏 changed), another 本籍, a death; person 3 and 8 not linked to 住基.
  const add = (i: number, events: KosekiPersonInput['events'], linked = true) =>
    recordPerson(koseki, { ...(linked ? { juminhyoCode: jc(i) } : {}), birthDate: birth(i).occurredOn, sex: '2', birthPlace: '鳥取県', events });
  expect(await add(P.married, [birth(P.married, { surname: '山本', hittosha: '山本　一郎' }), { ...birth(P.married), occurredOn: '2018-06-10', reason: 'marriage', hittosha: '因幡　太郎' }])).toMatchObject({ created: true, code: 'acquired' });
  await add(P.otherHonseki, [birth(P.otherHonseki, { honsekiCode: '13', honseki: '東京都千代田区千代田一番地' })]);
  expect(await add(P.unlinked, [birth(P.unlinked)], false)).toMatchObject({ code: 'unlinked' });
  await add(P.dead, [birth(P.dead), { ...birth(P.dead), occurredOn: addDaysIso(TEST_TODAY, -20), reason: 'death', deathDate: addDaysIso(TEST_TODAY, -20) }]);
  for (const i of [P.periodic, P.periodicDeath, P.periodicSame]) await add(i, [birth(i)]);
}, 180_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
});

describe('法務省 戸籍情報連携システム on the network', () => {
  it('runs as its own organisation; its 符号 acquired from the network, no My Number in its tables', async () => {
    expect(orgs.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['koseki', 'registry', 'network']));
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_koseki.persons WHERE code IS NOT NULL`.execute(koseki.db);
    expect(r.rows[0]!.n).toBe(6);
    // A second record of a linked person changes nothing.
    expect(await recordPerson(koseki, { juminhyoCode: jc(P.married), birthDate: '1990-04-02', sex: '2', events: [birth(P.married)] })).toMatchObject({ created: false, code: 'acquired' });
  });

  it('answers the network only', async () => {
    await expect(orgs.municipal.node.call('koseki', 'provide', { code: 'x'.repeat(20) }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    await expect(registry.node.call('koseki', 'provide.changes', { subjects: [] }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    // A permit forged by anyone but the network is refused by the provider.
    await expect(network.call('koseki', 'provide', { permit: 'a.b.c', code: 'x'.repeat(20), item: 'koseki-info', requester: 'registry' }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'PERMIT_INVALID' });
  });
});

describe('the registry checks an application against the 戸籍 (QUA-17)', () => {
  it('本籍 and 氏名 match; the name history (出生 → 婚姻) is given for the register', async () => {
    const c = await check(P.married);
    expect(c).toMatchObject({
      outcome: 'matches', needsExtract: false, deceased: null,
      honseki: { form: '31', koseki: '31', kosekiText: '鳥取県鳥取市東町一丁目220番地', matches: true },
      name: { form: { 姓: '因幡', 名: '1子' }, koseki: { 姓: '因幡', 名: '1子' }, matches: true },
    });
    expect(c.nameHistory).toEqual([
      { 姓: '山本', 名: '1子', from: birth(P.married).occurredOn, until: '2018-06-10', reason: '出生' },
      { 姓: '因幡', 名: '1子', from: '2018-06-10', until: null, reason: '婚姻' },
    ]);
    expect(c.legalBasis).toMatch(/主務省令第2条の表/);
    expect(c.exchangeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.message).toBe('申請書の本籍・氏名は戸籍と一致します。');
    // The registry kept the inquiry and its 符号 (by the blind index only).
    const rows = await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ outcome: string; ref: string; exchange_id: string }>`SELECT outcome, ref, exchange_id FROM registry.koseki_inquiries WHERE ref = 'app-1'`.execute(tx));
    expect(rows.rows).toEqual([{ outcome: 'matches', ref: 'app-1', exchange_id: c.exchangeId }]);
  });

  it('a 本籍 that differs from the form is said (and the name on the form that differs)', async () => {
    const c = await check(P.otherHonseki, { form: form(P.otherHonseki, { 氏名: { 姓: '稲葉', 名: '2子' } }) });
    expect(c).toMatchObject({ outcome: 'differs', needsExtract: false, honseki: { form: '31', koseki: '13', matches: false }, name: { koseki: { 姓: '因幡', 名: '2子' }, matches: false } });
    expect(c.message).toBe('申請書の本籍・氏名が戸籍と異なります。申請者に確認してください。');
  });

  it('the 本籍 cannot be identified (no 戸籍関係情報 linked) → a 戸籍 extract is asked for', async () => {
    const c = await check(P.unlinked);
    expect(c).toMatchObject({ outcome: 'unidentified', needsExtract: true, deceased: null, nameHistory: [], honseki: { koseki: null, matches: null } });
    expect(c.message).toContain('戸籍謄本または抄本の提出を求めてください');
    expect(c.exchangeId).toMatch(/^[0-9a-f-]{36}$/); // asked, and the network answered 'none'
    // A person 住基ネット does not know: no 符号, the same answer without an inquiry.
    const u = await checkKoseki(registry, { tenant: TENANT, qualification: QUAL, myNumber: num(50), form: form(50), by: 'shinsa1' });
    expect(u).toMatchObject({ outcome: 'unidentified', needsExtract: true, exchangeId: null });
  });

  it('a death in the 戸籍 is reported (QUA-16)', async () => {
    const c = await check(P.dead);
    expect(c.deceased).toEqual({ on: addDaysIso(TEST_TODAY, -20), uncertain: null });
    expect(c.message).toContain(`戸籍に死亡の記載があります（死亡日 ${addDaysIso(TEST_TODAY, -20)}）`);
  });

  it('an applicant without Japanese nationality: no 戸籍, nothing asked', async () => {
    const before = (await (await messageLogOf(app, 'registry')).list({ limit: 100_000 })).rows.length;
    const c = await check(9, { form: form(9, { 本籍: { 国籍: 'ブラジル' } }) });
    expect(c).toMatchObject({ outcome: 'not-applicable', needsExtract: false, exchangeId: null });
    expect((await (await messageLogOf(app, 'registry')).list({ limit: 100_000 })).rows.length).toBe(before);
  });

  it('bad input: another administrator\'s qualification is 404, a malformed form names the item', async () => {
    await expectProblem(check(P.married, { qualification: 'yakuzaishi' }), { status: 404 });
    await expectProblem(check(P.married, { form: form(P.married, { 本籍: { 都道府県コード: '99' } }) }), { status: 400, field: '本籍.都道府県コード' });
    const p = await expectProblem(check(P.married, { myNumber: '123456789012' }), { status: 400 });
    expect(p.detail ?? '').not.toContain('123456789012');
  });
});

describe('the registry is inquiry-only, on the permission list (QUA-35)', () => {
  it('nothing can be asked of the registry: it has no provider service, and the network refuses it as a provider', async () => {
    await expect(network.call('registry', 'provide', { code: 'x'.repeat(20) }, { personal: true })).rejects.toMatchObject({ status: 404, code: 'EXCHANGE_NO_SERVICE' });
    const issued = await chukan.call('network', 'code.issue', { juminhyoCode: jc(P.married) }, { personal: true });
    const code = (issued.body as { code: string }).code;
    await expect(chukan.call('network', 'inquiry', { inquiryId: 'to-registry-1', code, jimu: 'vaccination', item: 'vaccination-history', provider: 'registry' }, { personal: true }))
      .rejects.toMatchObject({ status: 403, code: 'PROVIDER_INQUIRY_ONLY' });
    const rec = await sql<{ status: string; refusal_code: string }>`SELECT status, refusal_code FROM peers_network.exchange_records WHERE inquiry_id = 'to-registry-1'`.execute(app.db.system);
    expect(rec.rows).toEqual([{ status: 'refused', refusal_code: 'PROVIDER_INQUIRY_ONLY' }]);
  });

  it('an inquiry without a permission-list entry is refused and recorded', async () => {
    const code = (await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ code: string }>`SELECT code FROM registry.network_codes LIMIT 1`.execute(tx))).rows[0]!.code;
    await expect(registry.node.call('network', 'inquiry', { inquiryId: 'no-permission-1', code, jimu: 'vaccination', item: 'koseki-info', provider: 'koseki' }, { personal: true }))
      .rejects.toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
    const rec = await sql<{ status: string; refusal_code: string; requester_body: string }>`
      SELECT status, refusal_code, requester_body FROM peers_network.exchange_records WHERE inquiry_id = 'no-permission-1'`.execute(app.db.system);
    expect(rec.rows).toEqual([{ status: 'refused', refusal_code: 'PERMISSION_DENIED', requester_body: 'registry' }]);
    const logged = (await (await messageLogOf(app, 'registry')).list({ limit: 100_000 })).rows.filter((r) => r.direction === 'out' && r.service === 'inquiry' && r.outcome === 'refused');
    expect(logged.length).toBeGreaterThan(0);
    // A 中間サーバー may not use the registry's 事務 either (requester kind).
    const issued = await chukan.call('network', 'code.issue', { juminhyoCode: jc(P.married) }, { personal: true });
    await expect(chukan.call('network', 'inquiry', { inquiryId: 'chukan-koseki-1', code: (issued.body as { code: string }).code, jimu: 'qualification-licence', item: 'koseki-info', provider: 'koseki' }, { personal: true }))
      .rejects.toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
  });

  it('the person\'s 情報提供等記録 show the registry\'s inquiries to 法務省, with the legal basis', async () => {
    const issued = await chukan.call('network', 'code.issue', { juminhyoCode: jc(P.married) }, { personal: true });
    const a = await chukan.call('network', 'records.person', { code: (issued.body as { code: string }).code }, { personal: true });
    const records = (a.body as { records: Record<string, unknown>[] }).records.filter((r) => r['requester'] === 'registry' && r['status'] === 'provided');
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ requesterName: '国家資格等情報連携・活用システム（厚生労働省）', provider: 'koseki', providerName: '戸籍情報連携システム（法務省）', itemName: '戸籍関係情報' });
    expect(String(records[0]!['legalBasis'])).toMatch(/主務省令/);
  });
});

describe('the periodic 戸籍 check (QUA-17, QUA-16)', () => {
  let since: string;

  beforeAll(async () => {
    const secrets = registry.secrets;
    for (const i of [P.periodic, P.periodicDeath, P.periodicSame, P.periodicUnlinked]) {
      await registerEntry({ db: registry.db, clock, secrets }, { applicationId: `periodic-${i}`, qualification: QUAL, application: form(i), myNumber: num(i), approvedBy: 'shinsa1' });
    }
    since = addDaysIso(clock.today(), 1);
    clock.set(`${since}T09:00:00+09:00`);
    await recordEvent(koseki, jc(P.periodic), { occurredOn: since, reason: 'marriage', honsekiCode: '27', honseki: '大阪府大阪市北区中之島一丁目3番20号', hittosha: '浪速　太郎', surname: '浪速', givenName: `${P.periodic}子` });
    await recordEvent(koseki, jc(P.periodicDeath), { ...birth(P.periodicDeath), occurredOn: addDaysIso(since, -1), reason: 'death', deathDate: addDaysIso(since, -1), deathUncertain: '2' });
  });

  it('proposes the name and 本籍 changes and the death, for examination; the unchanged and the unlinked are not proposed', async () => {
    const r = await kosekiChanges(registry, { tenant: TENANT, since });
    expect(r).toMatchObject({ checked: 4, changed: 2, deaths: 1, unresolved: 1 });
    const byKind = Object.fromEntries(r.proposals.map((p) => [`${p.kind}:${p.entry.number}`, p]));
    const entryNo = async (i: number) => Number((await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ registration_no: string }>`SELECT registration_no FROM registry.entries WHERE application_id = ${`periodic-${i}`}`.execute(tx))).rows[0]!.registration_no);
    const n5 = await entryNo(P.periodic);
    const n6 = await entryNo(P.periodicDeath);
    expect(Object.keys(byKind).sort()).toEqual([`death:${n6}`, `honseki:${n5}`, `name:${n5}`].sort());
    expect(byKind[`name:${n5}`]).toMatchObject({ source: 'koseki', kind: 'name', occurredOn: since, detail: { from: { 姓: '因幡', 名: '5子' }, to: { 姓: '浪速', 名: '5子' }, 事由: '婚姻' } });
    expect(byKind[`honseki:${n5}`]).toMatchObject({ kind: 'honseki', detail: { from: '31', to: '27', 本籍: '大阪府大阪市北区中之島一丁目3番20号' } });
    expect(byKind[`death:${n6}`]).toMatchObject({ kind: 'death', occurredOn: addDaysIso(since, -1), detail: { 死亡日: addDaysIso(since, -1), '死亡日の不詳・推定区分': '2' } });
    expect(byKind[`death:${n6}`]!.pseudonymId).toMatch(/^Q[0-9A-F]{20}$/);
    // Nothing in the register changed; the provider recorded each person asked, with the day asked from.
    const names = await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ names: { 姓: string }[] }>`SELECT names FROM registry.entries WHERE registration_no = ${n5} AND qualification_code = ${QUAL}`.execute(tx));
    expect(names.rows[0]!.names[0]!.姓).toBe('因幡');
    const provisions = (await listKosekiProvisions(koseki.db)).filter((p) => p.since === since);
    expect(provisions.map((p) => p.status).sort()).toEqual(['provided', 'provided', 'provided']);
    // A registrant can be checked again by 資格仮名ID (the registry's kept 符号): the 戸籍 now differs from the form.
    const again = await checkKoseki(registry, { tenant: TENANT, qualification: QUAL, pseudonymId: byKind[`name:${n5}`]!.pseudonymId, form: form(P.periodic), by: 'shinsa1' });
    expect(again).toMatchObject({ outcome: 'differs', honseki: { koseki: '27' }, name: { koseki: { 姓: '浪速', 名: '5子' } } });
    expect(again.nameHistory.map((n) => [n.姓, n.reason])).toEqual([['因幡', '出生'], ['浪速', '婚姻']]);
    // A second run from the next day finds nothing new.
    expect(await kosekiChanges(registry, { tenant: TENANT, since: addDaysIso(since, 1) })).toMatchObject({ checked: 4, changed: 0, deaths: 0, unresolved: 1, proposals: [] });
  });

  it('the periodic 戸籍 run stores the proposals for examination (once), and accepting them changes the register (本籍, 氏名; 死亡 → 抹消)', async () => {
    const r = await runKosekiChecks(registry, { tenant: TENANT, since });
    expect(r).toMatchObject({ checked: 4, changed: 2, deaths: 1, unresolved: 1, proposals: 3 });
    expect(await kosekiChecksDue(registry, TENANT)).toBe(false);
    // The same period again adds nothing (unique per entry, kind and value).
    expect(await runKosekiChecks(registry, { tenant: TENANT, since })).toMatchObject({ proposals: 0 });
    const list = await listProposals(registry.db, { tenant: TENANT, status: 'open' });
    const mine = list.rows.filter((p) => p.source === 'koseki');
    expect(mine.map((p) => p.kind).sort()).toEqual(['death', 'honseki', 'name']);
    const byKind = Object.fromEntries(mine.map((p) => [p.kind, p]));
    await closeProposal(registry, { tenant: TENANT, id: byKind['honseki']!.id, decision: 'accept', by: 'shinsa1' });
    await closeProposal(registry, { tenant: TENANT, id: byKind['name']!.id, decision: 'accept', name: { 姓: '浪速', 名: '5子', フリガナ: { 姓: 'ナニワ', 名: 'ゴコ' } }, keepOldNameAs: '旧姓', by: 'shinsa1' });
    await closeProposal(registry, { tenant: TENANT, id: byKind['death']!.id, decision: 'accept', by: 'shinsa1' });
    const rows = await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ registration_no: string; items: Record<string, unknown>; erasure_cause: string | null; deceased: boolean }>`
      SELECT registration_no, items, erasure_cause, deceased FROM registry.entries WHERE registration_no IN (${byKind['name']!.number}, ${byKind['death']!.number}) AND qualification_code = ${QUAL}`.execute(tx));
    const changedEntry = rows.rows.find((x) => Number(x.registration_no) === byKind['name']!.number)!;
    expect(changedEntry.items).toMatchObject({ 本籍地コード: '27', 姓: '浪速' });
    const dead = rows.rows.find((x) => Number(x.registration_no) === byKind['death']!.number)!;
    expect(dead).toMatchObject({ erasure_cause: 'death', deceased: true });
  });

  it('a 戸籍 run still running refuses a second (409); one left running by a dead process for over an hour is abandoned', async () => {
    const insertRunning = (startedAt: Date) => sql`INSERT INTO registry.check_runs (tenant_code, run_no, source, period_from, period_until, status, started_at)
      SELECT ${TENANT}, COALESCE(max(run_no), 0) + 1, 'koseki', ${since}, ${since}, 'running', ${startedAt} FROM registry.check_runs WHERE tenant_code = ${TENANT}`.execute(app.db.system);
    await insertRunning(clock.now());
    await expectProblem(runKosekiChecks(registry, { tenant: TENANT, since }), { status: 409, code: 'CHECK_RUNNING' });
    await sql`UPDATE registry.check_runs SET started_at = ${new Date(clock.now().getTime() - 2 * 3600_000)} WHERE tenant_code = ${TENANT} AND source = 'koseki' AND status = 'running'`.execute(app.db.system);
    expect(await runKosekiChecks(registry, { tenant: TENANT, since })).toMatchObject({ checked: expect.any(Number) });
    const states = await sql<{ status: string }>`SELECT status FROM registry.check_runs WHERE tenant_code = ${TENANT} AND source = 'koseki' ORDER BY run_no`.execute(app.db.system);
    expect(states.rows.map((r) => r.status)).toContain('abandoned');
    expect(states.rows.some((r) => r.status === 'running')).toBe(false);
  });

  it('a batch is bounded and well-formed: more than the limit, a repeated code or a bad date is refused', async () => {
    const codes = Array.from({ length: MAX_BATCH_CODES + 1 }, (_, i) => `code-${String(i).padStart(16, '0')}`);
    const body = { inquiryId: 'batch-big', jimu: 'qualification-licence', item: 'koseki-info', provider: 'koseki', since: TEST_TODAY };
    await expect(registry.node.call('network', 'inquiry.batch', { ...body, codes }, { personal: true })).rejects.toMatchObject({ status: 400 });
    await expect(registry.node.call('network', 'inquiry.batch', { ...body, codes: [codes[0], codes[0]] }, { personal: true })).rejects.toMatchObject({ status: 400 });
    await expect(registry.node.call('network', 'inquiry.batch', { ...body, codes: [codes[0]], since: '2026-02-30' }, { personal: true })).rejects.toMatchObject({ status: 400 });
    // A code the registry was never given: refused for that person, recorded.
    const a = await registry.node.call('network', 'inquiry.batch', { ...body, inquiryId: 'batch-unknown', codes: [codes[0]] }, { personal: true });
    expect((a.body as { results: { status: string }[] }).results).toEqual([expect.objectContaining({ status: 'refused' })]);
  });

  it('the provider answers a batch only for the persons its permit names (subjects digest) and the day it names', async () => {
    const codes = (await sql<{ code: string }>`SELECT code FROM peers_koseki.persons WHERE code IS NOT NULL ORDER BY code LIMIT 2`.execute(koseki.db)).rows.map((r) => r.code);
    const asked = [{ exchangeId: randomUUID(), code: codes[0]! }];
    const { jws } = await issuePermit(network.keys, clock.now(), {
      exchangeId: randomUUID(), requester: 'registry', provider: 'koseki', jimu: 'qualification-licence', item: 'koseki-info', legalBasis: 'test', subjects: subjectsDigest(asked), since,
    });
    const req = { permit: jws, item: 'koseki-info', requester: 'registry', since };
    // The network's permit for one person cannot be used for another, nor for another day.
    await expect(network.call('koseki', 'provide.changes', { ...req, subjects: [{ exchangeId: asked[0]!.exchangeId, code: codes[1]! }] }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'PERMIT_MISMATCH' });
    await expect(network.call('koseki', 'provide.changes', { ...req, subjects: [...asked, { exchangeId: randomUUID(), code: codes[1]! }] }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'PERMIT_MISMATCH' });
    await expect(network.call('koseki', 'provide.changes', { ...req, since: TEST_TODAY, subjects: asked }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'PERMIT_MISMATCH' });
    // A single-person permit is not a batch permit either.
    const single = await issuePermit(network.keys, clock.now(), { exchangeId: randomUUID(), requester: 'registry', provider: 'koseki', jimu: 'qualification-licence', item: 'koseki-info', legalBasis: 'test' });
    await expect(network.call('koseki', 'provide.changes', { ...req, permit: single.jws, subjects: asked }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'PERMIT_MISMATCH' });
    const ok = await network.call('koseki', 'provide.changes', { ...req, subjects: asked }, { personal: true });
    expect(ok.envelope.body).toMatchObject({ status: 'provided', statuses: { [asked[0]!.exchangeId]: 'provided' } });
    expect(ok.envelope.enc?.to).toBe('registry');
  });

  it('no My Number in any message log, provider table or network record', async () => {
    const numbers = Array.from({ length: 9 }, (_, k) => num(k + 1));
    for (const org of ['registry', 'network', 'koseki', 'jlis', `chukan-${TOTTORI}`]) {
      const text = JSON.stringify((await (await messageLogOf(app, org)).list({ limit: 100_000 })).rows);
      expect(findMyNumbers(text), org).toEqual([]);
      for (const n of numbers) expect(text).not.toContain(n);
    }
    for (const t of ['peers_koseki.persons', 'peers_koseki.events', 'peers_koseki.provisions', 'peers_network.exchange_records', 'registry.koseki_inquiries', 'registry.network_codes']) {
      const r = await sql<{ txt: string }>`SELECT coalesce(string_agg(x::text, ' '), '') AS txt FROM ${sql.table(t)} x`.execute(app.db.system);
      expect(findMyNumbers(r.rows[0]!.txt), t).toEqual([]);
      for (const n of numbers) expect(r.rows[0]!.txt).not.toContain(n);
    }
  });
});

describe('the demo\'s synthetic 戸籍', () => {
  it('records a 戸籍 for the linked residents of a city, and a second run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-koseki-'));
    try {
      await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', Array.from({ length: 24 }, (_, k) => person(100 + k))), kind: 'full' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const count = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_koseki.persons`.execute(koseki.db)).rows[0]!.n);
    const before = await count();
    const first = await seedDemoKoseki(app, orgs.directory, TOTTORI);
    expect(first.linked + first.unlinked).toBe(24);
    expect(await count()).toBe(before + first.linked);
    expect(await seedDemoKoseki(app, orgs.directory, TOTTORI)).toEqual(first);
    expect(await count()).toBe(before + first.linked);
  });

  it('is deterministic by 住民票コード; about one in twelve is not linked; a married woman has her former 氏', () => {
    const people = Array.from({ length: 600 }, (_, i) => ({ juminhyoCode: String(50_000_000_000 + i), nameKanji: '鳥取　花子', birthDate: '1980-01-01', sex: 'female' as const }));
    const a = people.map((p) => syntheticKoseki(p, '31', TEST_TODAY));
    expect(people.map((p) => syntheticKoseki(p, '31', TEST_TODAY))).toEqual(a);
    const unlinked = a.filter((x) => !x).length;
    expect(unlinked).toBeGreaterThan(20);
    expect(unlinked).toBeLessThan(90);
    const married = a.filter((x) => x && x.events.some((e) => e.reason === 'marriage'));
    expect(married.length).toBeGreaterThan(100);
    for (const m of married) expect(m!.events[0]!.surname).not.toBe('鳥取');
  });
});


describe('法務省 unreachable', () => {
  it('the check fails cleanly (503), recorded by the registry and as failed in the 情報提供等記録', async () => {
    expect(await orgs.stop('koseki')).toBe(true);
    await expectProblem(check(P.married, { ref: 'app-down' }), { status: 503, code: 'PROVIDER_UNREACHABLE' });
    const rows = await withRegistryTenant(registry.db, TENANT, (tx) => sql<{ outcome: string; detail: { code: string } }>`SELECT outcome, detail FROM registry.koseki_inquiries WHERE ref = 'app-down'`.execute(tx));
    expect(rows.rows).toEqual([{ outcome: 'failed', detail: { code: 'PROVIDER_UNREACHABLE' } }]);
    const rec = await sql<{ status: string }>`SELECT status FROM peers_network.exchange_records WHERE requester_body = 'registry' ORDER BY at DESC, updated_at DESC LIMIT 1`.execute(app.db.system);
    expect(rec.rows[0]!.status).toBe('failed');
  });
});
