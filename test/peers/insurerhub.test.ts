// The 支払基金 node (医療保険者等向け中間サーバー + オンライン資格確認等システム, synthetic) over real HTTP on
// loopback, with real message-layer stand-ins for its callers (platform, municipality, card, mynaportal).
// PMH-05…09, PMH-22, D-07; contract: docs/formats/platform-protocol.md, "insurerhub serves".
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Directory, createNodeServer, exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import {
  buildInsurerHubNode, handlingLog, purgeHandlingLog, normaliseBasic, InsurerHubSecrets, INSURERHUB_ROLE, INSURERHUB_SCHEMA, type InsurerHubService,
} from '../../src/peers/insurerhub/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { testClock } from '../harness/clock.js';
import { findMyNumbers } from '../harness/leaks.js';

const SEED = 'insurerhub-test';
const N = (i: number) => syntheticMyNumber(SEED, i);
const INSURER = '131235';

interface Member { myNumber: string; name: string; nameKana: string; dateOfBirth: string; sex: string; address: string }
const member = (i: number, over: Partial<Member> = {}): Member => ({
  myNumber: N(i),
  name: `山田 花子${i}`,
  nameKana: `ヤマダ ハナコ${i}`,
  dateOfBirth: '2025-04-01',
  sex: '2',
  address: `東京都江戸川区中央一丁目4番${i}号`,
  ...over,
});
const basic = (m: Member) => ({ name: m.name, nameKana: m.nameKana, address: m.address, dateOfBirth: m.dateOfBirth, sex: m.sex });

type IssueAnswer = { ref: string | number; pmhKey?: string; myNumber?: string; error?: { code: string; fields?: string[] } };

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('insurerhub node (支払基金: 医療保険者等向け中間サーバー・オンライン資格確認等システム)', () => {
  let app: TestApp;
  const clock = testClock();
  const directory = new Directory([]);
  const servers: FastifyInstance[] = [];
  let hubDb: Kysely<UntypedDatabase>;
  let hub: InsurerHubService;
  let platform: ExchangeNode;
  let municipality: ExchangeNode;
  let card: ExchangeNode;
  let mynaportal: ExchangeNode;
  const usedNumbers = new Set<string>();

  async function listen(name: string, title: string, f: FastifyInstance): Promise<void> {
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.push(f);
    directory.set({ name, title, url: `http://127.0.0.1:${(f.server.address() as AddressInfo).port}` });
  }

  const enroll = async (members: Member[], insurer = INSURER) => {
    for (const m of members) usedNumbers.add(m.myNumber);
    return (await municipality.call('insurerhub', 'insured.enroll', { insurer, members }, { personal: true })).body as { enrolled: number; unchanged: number };
  };
  const issue = async (items: { ref: string | number; myNumber: string; basicFiveInfo: ReturnType<typeof basic> }[], from: ExchangeNode = platform) => {
    for (const it of items) usedNumbers.add(it.myNumber);
    const a = await from.call('insurerhub', 'pmhkey.issue', { items }, { personal: true });
    expect(a.envelope.enc?.to).toBe(from.name);
    return (a.body as { items: IssueAnswer[] }).items;
  };
  const issueOne = async (m: Member, b = basic(m)) => (await issue([{ ref: 'r', myNumber: m.myNumber, basicFiveInfo: b }]))[0]!;

  beforeAll(async () => {
    app = await testApp('server', { clock });
    const keyDir = app.config.keyDir;
    hubDb = await app.db.forRole(INSURERHUB_ROLE);
    const node = exchangeNodeFor({ name: 'insurerhub', schema: INSURERHUB_SCHEMA, db: hubDb, keyDir, directory, clock });
    hub = await buildInsurerHubNode({ name: 'insurerhub', db: hubDb, node, clock, config: app.config });
    await listen('insurerhub', '医療保険者等向け中間サーバー・オンライン資格確認等システム（支払基金）', hub.fastify);
    // Stand-ins for the callers: real message-layer ends (keys, JWKS, log in the municipality schema).
    const standIn = async (name: string, title: string) => {
      const n = exchangeNodeFor({ name, schema: 'municipality', db: untyped(app.db.system), keyDir, directory, clock });
      const f = await createNodeServer(name);
      n.serve(f, {});
      await listen(name, title, f);
      return n;
    };
    platform = await standIn('platform', '予防接種記録管理システム');
    municipality = await standIn('municipality', '市区町村（国保保険者）');
    card = await standIn('card', '公的個人認証サービス');
    mynaportal = await standIn('mynaportal', 'マイナポータル');
  });

  afterAll(async () => {
    await hub?.close();
    for (const s of servers) await s.close().catch(() => undefined);
    await app?.cleanup();
  });

  it('enrols insured persons idempotently; new basic info for the same number replaces the old', async () => {
    expect(await enroll([member(1), member(2), member(3)])).toEqual({ enrolled: 3, unchanged: 0 });
    expect(await enroll([member(1), member(2), member(3)])).toEqual({ enrolled: 0, unchanged: 3 });
    // 転居: member 3's address changes; the 紐付番号 stays.
    const before = await sql<{ link_no: string }>`SELECT link_no FROM peers_insurerhub.insured_persons ORDER BY link_no`.execute(hubDb);
    expect(await enroll([member(1), member(3, { address: '東京都江戸川区船堀二丁目1番1号' })])).toEqual({ enrolled: 1, unchanged: 1 });
    const after = await sql<{ link_no: string }>`SELECT link_no FROM peers_insurerhub.insured_persons ORDER BY link_no`.execute(hubDb);
    expect(after.rows).toEqual(before.rows);
    expect(after.rows[0]!.link_no).toMatch(/^L[A-Z2-7]{26}$/);
    // The old address no longer matches, the new one does.
    expect((await issueOne(member(3))).error).toEqual({ code: 'MISMATCH', fields: ['address'] });
    expect(await enroll([member(3)])).toEqual({ enrolled: 1, unchanged: 0 });
  });

  it('stores the number only encrypted and blind-indexed under the node\'s own keys', async () => {
    const rows = await sql<{ link_no: string; my_number_ct: Buffer; my_number_key: number }>`
      SELECT link_no, my_number_ct, my_number_key FROM peers_insurerhub.insured_persons`.execute(hubDb);
    const secrets = InsurerHubSecrets.open(app.config.keyDir);
    const opened = rows.rows.map((r) => secrets.openMyNumber(r.link_no, r.my_number_ct, r.my_number_key)).sort();
    expect(opened).toEqual([N(1), N(2), N(3)].sort());
    // Bound to its 紐付番号: a ciphertext moved to another row does not open.
    expect(() => secrets.openMyNumber(rows.rows[1]!.link_no, rows.rows[0]!.my_number_ct, rows.rows[0]!.my_number_key)).toThrow();
  });

  it('issues a PMH key with the number exactly as sent, and reuses it on a second issue (PMH-05, PMH-06, PMH-08)', async () => {
    const first = await issue([
      { ref: 'a', myNumber: N(1), basicFiveInfo: basic(member(1)) },
      { ref: 7, myNumber: N(2), basicFiveInfo: basic(member(2)) },
    ]);
    expect(first).toHaveLength(2);
    expect(first[0]).toEqual({ ref: 'a', pmhKey: expect.stringMatching(/^PK[A-Z2-7]{20}$/), myNumber: N(1) });
    expect(first[1]).toEqual({ ref: 7, pmhKey: expect.stringMatching(/^PK[A-Z2-7]{20}$/), myNumber: N(2) });
    expect(first[0]!.pmhKey).not.toBe(first[1]!.pmhKey);
    // PMH-05: nothing else (no basic info, no 紐付番号) in the answer.
    expect(Object.keys(first[0]!).sort()).toEqual(['myNumber', 'pmhKey', 'ref']);

    const second = await issue([
      { ref: 'b', myNumber: N(2), basicFiveInfo: basic(member(2)) },
      { ref: 'c', myNumber: N(1), basicFiveInfo: basic(member(1)) },
      { ref: 'd', myNumber: N(1), basicFiveInfo: basic(member(1)) },
    ]);
    expect(second.map((x) => x.pmhKey)).toEqual([first[1]!.pmhKey, first[0]!.pmhKey, first[0]!.pmhKey]);
    const keys = await sql<{ n: string }>`SELECT count(*) AS n FROM peers_insurerhub.pmh_keys`.execute(hubDb);
    expect(Number(keys.rows[0]!.n)).toBe(2);

    // PMH-08: a number sent in full-width digits comes back exactly as sent (and finds the same person).
    const wide = N(1).replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const w = await issue([{ ref: 'w', myNumber: wide, basicFiveInfo: basic(member(1)) }]);
    expect(w[0]).toEqual({ ref: 'w', pmhKey: first[0]!.pmhKey, myNumber: wide });

    const log = (await handlingLog(hubDb)).filter((r) => r.service === 'pmhkey.issue' && r.outcome === 'ok');
    expect(log.at(-3)!.counts).toMatchObject({ items: 2, issued: 2, reused: 0 });
    expect(log.at(-2)!.counts).toMatchObject({ items: 3, issued: 0, reused: 3 });
  });

  it('two concurrent issues for the same new person give one key (PMH-06)', async () => {
    await enroll([member(10)]);
    const [a, b] = await Promise.all([issueOne(member(10)), issueOne(member(10))]);
    expect(a!.pmhKey).toMatch(/^PK/);
    expect(b!.pmhKey).toBe(a!.pmhKey);
  });

  it('refuses to link on a basic-info mismatch and names the field, never the value (PMH-07, D-07)', async () => {
    await enroll([member(4)]);
    const m = member(4);
    const cases: [keyof ReturnType<typeof basic>, string][] = [
      ['nameKana', 'ヤマダ ハナエ4'],
      ['name', '山田 花江4'],
      ['dateOfBirth', '2025-04-02'],
      ['sex', '1'],
      ['address', '東京都江戸川区中央一丁目4番5号'],
    ];
    const answers = await issue(cases.map(([f, v], i) => ({ ref: `m${i}`, myNumber: m.myNumber, basicFiveInfo: { ...basic(m), [f]: v } })));
    answers.forEach((a, i) => {
      expect(a).toEqual({ ref: `m${i}`, error: { code: 'MISMATCH', fields: [cases[i]![0]] } });
    });
    // Several at once: named in the contract's order.
    const several = await issueOne(m, { ...basic(m), address: '大阪府', nameKana: 'タナカ', sex: '9' });
    expect(several.error).toEqual({ code: 'MISMATCH', fields: ['nameKana', 'sex', 'address'] });
    // No link was made.
    const keys = await sql<{ n: string }>`SELECT count(*) AS n FROM peers_insurerhub.pmh_keys k JOIN peers_insurerhub.insured_persons p USING (link_no)
      WHERE p.my_number_index = ${InsurerHubSecrets.open(app.config.keyDir).blindIndex(m.myNumber)}`.execute(hubDb);
    expect(Number(keys.rows[0]!.n)).toBe(0);
    // Spelling differences of width, spaces and kana script are not differences.
    const same = await issueOne(m, { ...basic(m), nameKana: 'ﾔﾏﾀﾞﾊﾅｺ４', name: '山田　花子４', address: '東京都江戸川区中央一丁目４番４号 ' });
    expect(same.pmhKey).toMatch(/^PK[A-Z2-7]{20}$/);
    expect(normaliseBasic('やまだ　はなこ')).toBe('ヤマダハナコ');
  });

  it('answers NOT_ENROLLED for a number no insurer enrolled, beside the others', async () => {
    const stranger = member(99);
    const a = await issue([
      { ref: 1, myNumber: stranger.myNumber, basicFiveInfo: basic(stranger) },
      { ref: 2, myNumber: N(1), basicFiveInfo: basic(member(1)) },
    ]);
    expect(a[0]).toEqual({ ref: 1, error: { code: 'NOT_ENROLLED' } });
    expect(a[1]!.pmhKey).toMatch(/^PK/);
  });

  it('refuses pmhkey.issue from any node but the platform, and malformed items naming the field only', async () => {
    const m = member(1);
    for (const other of [municipality, card, mynaportal]) {
      const p = await refusal(other.call('insurerhub', 'pmhkey.issue', { items: [{ ref: 1, myNumber: m.myNumber, basicFiveInfo: basic(m) }] }, { personal: true }));
      expect(p.status).toBe(403);
      expect(p.code).toBe('EXCHANGE_NOT_ALLOWED');
    }
    const bad = m.myNumber.slice(0, 11) + String((Number(m.myNumber[11]) + 1) % 10);
    usedNumbers.add(bad);
    const p = await refusal(platform.call('insurerhub', 'pmhkey.issue', { items: [{ ref: 1, myNumber: N(2), basicFiveInfo: basic(member(2)) }, { ref: 2, myNumber: bad, basicFiveInfo: basic(m) }] }, { personal: true }));
    expect(p.status).toBe(400);
    expect(p.code).toBe('VALIDATION_FAILED');
    expect(p.detail).toMatch(/^items\.1\.myNumber: /);
    expect(JSON.stringify(p)).not.toContain(bad);
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ref: i, myNumber: N(1), basicFiveInfo: basic(m) }));
    const q = await refusal(platform.call('insurerhub', 'pmhkey.issue', { items: tooMany }, { personal: true }));
    expect(q.status).toBe(400);
    expect(q.detail).toMatch(/^items: /);
    const sex = await refusal(platform.call('insurerhub', 'pmhkey.issue', { items: [{ ref: 1, myNumber: N(1), basicFiveInfo: { ...basic(m), sex: 'F' } }] }, { personal: true }));
    expect(sex.detail).toMatch(/^items\.0\.basicFiveInfo\.sex: /);
    // The handler's refusal is in the handling log.
    const log = await handlingLog(hubDb);
    expect(log.filter((r) => r.service === 'pmhkey.issue' && r.outcome === 'refused' && r.code === 'VALIDATION_FAILED').length).toBeGreaterThanOrEqual(3);
  });

  it('links a card and gives マイナポータル a stable 仮名識別子 and, once issued, the PMH key (PMH-09)', async () => {
    await enroll([member(5)]);
    const m = member(5);
    const linked = await card.call('insurerhub', 'card.link', { serial: '0a:1b:2c:3d', myNumber: m.myNumber }, { personal: true });
    expect(linked.body).toEqual({ linked: true });
    // Again: the same answer.
    expect((await card.call('insurerhub', 'card.link', { serial: 'A1B2C3D', myNumber: m.myNumber }, { personal: true })).body).toEqual({ linked: true });

    const r1 = await mynaportal.call('insurerhub', 'portal.resolve', { serial: 'A1B2C3D' });
    expect(r1.envelope.enc?.to).toBe('mynaportal');
    const b1 = r1.body as { pseudonymId: string; pmhKey?: string };
    expect(b1.pseudonymId).toMatch(/^[0-9a-f]{32}$/);
    expect(b1.pmhKey).toBeUndefined();

    const issued = await issueOne(m);
    const b2 = (await mynaportal.call('insurerhub', 'portal.resolve', { serial: '0a1b2c3d' })).body as { pseudonymId: string; pmhKey?: string };
    expect(b2).toEqual({ pseudonymId: b1.pseudonymId, pmhKey: issued.pmhKey });

    // Another person's card, another 仮名識別子.
    await card.call('insurerhub', 'card.link', { serial: 'FF01', myNumber: N(1) }, { personal: true });
    const b3 = (await mynaportal.call('insurerhub', 'portal.resolve', { serial: 'ff01' })).body as { pseudonymId: string; pmhKey?: string };
    expect(b3.pseudonymId).not.toBe(b1.pseudonymId);
    expect(b3.pmhKey).toMatch(/^PK/);

    const unknown = await refusal(mynaportal.call('insurerhub', 'portal.resolve', { serial: 'DEAD' }));
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('CARD_NOT_LINKED');
    expect(unknown.title).toBe('このカードは健康保険証の利用登録がされていません');

    const notEnrolled = await refusal(card.call('insurerhub', 'card.link', { serial: 'BEEF', myNumber: N(98) }, { personal: true }));
    usedNumbers.add(N(98));
    expect(notEnrolled.status).toBe(404);
    expect(notEnrolled.code).toBe('NOT_ENROLLED');
    const elsewhere = await refusal(card.call('insurerhub', 'card.link', { serial: 'FF01', myNumber: m.myNumber }, { personal: true }));
    expect(elsewhere.code).toBe('CARD_ALREADY_LINKED');

    const wrong = await refusal(platform.call('insurerhub', 'portal.resolve', { serial: 'A1B2C3D' }));
    expect(wrong.code).toBe('EXCHANGE_NOT_ALLOWED');
    const wrongLink = await refusal(mynaportal.call('insurerhub', 'card.link', { serial: 'AB', myNumber: m.myNumber }, { personal: true }));
    expect(wrongLink.code).toBe('EXCHANGE_NOT_ALLOWED');
  });

  it('holds no My Number in clear anywhere in its schema, and none in its logs', async () => {
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'peers_insurerhub' AND table_type = 'BASE TABLE'`.execute(app.db.system);
    const names = tables.rows.map((t) => t.table_name).sort();
    expect(names).toEqual(['card_links', 'exchange_messages', 'handling_log', 'insured_persons', 'pmh_keys']);
    const numbers = [...usedNumbers];
    expect(numbers.length).toBeGreaterThan(5);
    for (const t of names) {
      const rows = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(`peers_insurerhub.${t}`)} x`.execute(app.db.system);
      expect(rows.rows.length).toBeGreaterThan(0);
      for (const r of rows.rows) for (const n of numbers) expect(r.j.includes(n), `${t} holds a My Number`).toBe(false);
    }
    // The logs: no valid My Number in any form (ids and digests are hex and uuids, checked above by value).
    const logs = await sql<{ j: string }>`
      SELECT concat_ws('|', at, caller, service, outcome, code, items, counts::text) AS j FROM peers_insurerhub.handling_log
      UNION ALL SELECT concat_ws('|', node, direction, peer, service, at, outcome, code, status) FROM peers_insurerhub.exchange_messages`.execute(app.db.system);
    expect(logs.rows.length).toBeGreaterThan(20);
    for (const r of logs.rows) expect(findMyNumbers(r.j)).toEqual([]);
    const log = await handlingLog(hubDb);
    expect(new Set(log.map((r) => r.service))).toEqual(new Set(['insured.enroll', 'pmhkey.issue', 'card.link', 'portal.resolve']));
    expect(log.every((r) => ['platform', 'municipality', 'card', 'mynaportal'].includes(r.caller))).toBe(true);
  });

  it('deletes handling-log rows 3 years after their creation, from the node (PMH-22)', async () => {
    const before = await handlingLog(hubDb);
    expect(before.length).toBeGreaterThan(0);
    const newest = before.at(-1)!.at.getTime();
    // Just under 3 years: nothing goes.
    expect(await purgeHandlingLog(hubDb, new Date(before[0]!.at.getTime() + (3 * 365 - 1) * 86400_000))).toBe(0);
    // The node's clock moves on 3 years and a day; a new call is logged at the new time.
    clock.set(new Date(newest + (3 * 366 + 1) * 86400_000));
    await issueOne(member(1));
    const deleted = await hub.purge();
    expect(deleted).toBe(before.length);
    const after = await handlingLog(hubDb);
    expect(after).toHaveLength(1);
    expect(after[0]!.service).toBe('pmhkey.issue');
    // The timer's start run does the same: a node built now finds nothing more to delete.
    const again = await buildInsurerHubNode({ name: 'insurerhub', db: hubDb, node: exchangeNodeFor({ name: 'insurerhub', schema: INSURERHUB_SCHEMA, db: hubDb, keyDir: app.config.keyDir, directory, clock }), clock, config: app.config });
    await again.close();
    await again.fastify.close();
    expect(await handlingLog(hubDb)).toHaveLength(1);
  });
});
