// The 情報提供ネットワークシステム node over real HTTP, with real message-layer nodes for its
// counterparties: two 中間サーバー (江戸川区 131237 asks, 仙台市 041009 provides), and a stand-in for
// 住基ネット's person.link.  XCH-07, XCH-08, XCH-11, XCH-14, XCH-16, XCH-18, XCH-19.
import { randomUUID, createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactEncrypt, CompactSign, importJWK } from 'jose';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import {
  Directory, ExchangeNode, MessageLog, NodeKeys, createNodeServer, exchangeNodeFor, MESSAGE_TYPE, type Incoming,
} from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import {
  buildNetworkNode, listRecords, recordsCsv, verifyPermit, NETWORK_ROLE, NETWORK_SCHEMA, FUGO_KEY_FILE, PERMISSION_ENTRIES, type Permit,
} from '../../src/peers/network/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { testClock } from '../harness/clock.js';

const REQ = 'chukan-131237';
const PROV = 'chukan-041009';
const ALICE = '12345678901'; // 住民票コード (test values)
const BOB = '23456789012';
const CAROL = '34567890123';

/** A signed answer with a clear body for the relay and a body encrypted to the requester (what a real `provide` answers). */
async function sealAnswer(node: ExchangeNode, re: string, svc: string, body: unknown, encTo: string, encBody: unknown): Promise<string> {
  // Encrypted with jose itself: the message layer's own JWE reader must read what the library writes.
  const { kid, jwk } = await node.directory.encryptionKey(encTo);
  const key = await importJWK(jwk, 'ECDH-ES+A256KW');
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(encBody)))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid, cty: 'json' })
    .encrypt(key);
  const iat = Math.floor(node.clock.now().getTime() / 1000);
  const env = { v: 1, id: randomUUID(), iss: node.name, aud: 'network', svc, iat, exp: iat + 120, re, body, enc: { to: encTo, jwe } };
  const sig = node.keys.signingKey();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(env))).setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: MESSAGE_TYPE }).sign(sig.privateKey);
}

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('network node (情報提供ネットワークシステム)', () => {
  let app: TestApp;
  const clock = testClock();
  const directory = new Directory([]);
  const servers: FastifyInstance[] = [];
  let netDb: Kysely<UntypedDatabase>;
  let network: ExchangeNode;
  let requester: ExchangeNode;
  let provider: ExchangeNode;
  let providerServer: FastifyInstance;
  let networkServer: FastifyInstance;
  const permitsSeen: Permit[] = [];
  const answersSent: string[] = [];
  /** What the provider holds, by the 符号 it was given. */
  const providerData = new Map<string, unknown[]>();
  const pendingAt = new Map<string, string>();

  async function listen(name: string, title: string, f: FastifyInstance): Promise<void> {
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.push(f);
    directory.set({ name, title, url: `http://127.0.0.1:${(f.server.address() as AddressInfo).port}` });
  }

  const issue = async (node: ExchangeNode, juminhyoCode: string) => {
    const a = await node.call('network', 'code.issue', { juminhyoCode }, { personal: true });
    return (a.body as { code: string }).code;
  };

  beforeAll(async () => {
    app = await testApp('server', { clock });
    const keyDir = app.config.keyDir;
    netDb = await app.db.forRole(NETWORK_ROLE);
    network = exchangeNodeFor({ name: 'network', schema: NETWORK_SCHEMA, db: netDb, keyDir, directory, clock });
    const counterpart = (name: string) => new ExchangeNode(name, NodeKeys.open(keyDir, name), directory, new MessageLog(untyped(app.db.system), 'municipality', name), clock);
    const jlis = counterpart('jlis');
    requester = counterpart(REQ);
    provider = counterpart(PROV);

    const svc = await buildNetworkNode({ name: 'network', db: netDb, node: network, clock, config: app.config });
    networkServer = svc.fastify;
    await listen('network', '情報提供ネットワークシステム', networkServer);

    // 住基ネット stand-in: person.link only, a deterministic link that is not the 住民票コード.
    const jf = await createNodeServer('jlis');
    jlis.serve(jf, {
      'person.link': {
        title: '個人の連携情報',
        from: (s) => s === 'network',
        async handle(msg) {
          const { juminhyoCode } = msg.body as { juminhyoCode: string };
          return { body: { link: createHash('sha256').update(`link:${juminhyoCode}`).digest('base64url') }, personal: true };
        },
      },
    });
    await listen('jlis', '住基ネット（全国サーバ）', jf);

    const rf = await createNodeServer(REQ);
    requester.serve(rf, {});
    await listen(REQ, '江戸川区 中間サーバー', rf);

    // The provider's 中間サーバー stand-in: checks the permit and answers {status} + records encrypted to the requester.
    providerServer = await createNodeServer(PROV);
    provider.serve(providerServer, {});
    const answer = async (msg: Incoming, svc: string, code: string, permitJws: string, requesterNode: string, pendingOk: boolean) => {
      const permit = await verifyPermit(provider.directory, permitJws, { now: clock.now(), provider: PROV });
      permitsSeen.push(permit);
      if (permit.requester !== requesterNode) throw new Problem(403, 'PERMIT_INVALID', '許可証の照会元が違います');
      if (pendingOk && permit.jimu === 'relief-illness') {
        pendingAt.set(permit.exchangeId, code);
        return sealAnswer(provider, msg.id, svc, { status: 'pending' }, requesterNode, { records: [] });
      }
      const records = providerData.get(code) ?? [];
      return sealAnswer(provider, msg.id, svc, { status: records.length ? 'provided' : 'none' }, requesterNode, { records });
    };
    providerServer.post('/exchange/v1/provide', async (req, reply) => {
      const msg = await provider.verify(String(req.body), 'network');
      const b = msg.body as { permit: string; code: string; item: string; requester: string };
      if (b.item === 'resident-tax') throw new Problem(403, 'ITEM_NOT_HELD', 'この項目の副本はありません');
      const jws = await answer(msg, 'provide', b.code, b.permit, b.requester, true);
      answersSent.push(jws);
      return reply.type('application/jose').send(jws);
    });
    providerServer.post('/exchange/v1/provide.result', async (req, reply) => {
      const msg = await provider.verify(String(req.body), 'network');
      const b = msg.body as { exchangeId: string; permit: string };
      const code = pendingAt.get(b.exchangeId);
      if (!code) throw new Problem(404, 'EXCHANGE_NOT_FOUND', '照会が見つかりません');
      const jws = await answer(msg, 'provide.result', code, b.permit, REQ, false);
      answersSent.push(jws);
      return reply.type('application/jose').send(jws);
    });
    await listen(PROV, '仙台市 中間サーバー', providerServer);
  });

  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
    await app?.cleanup();
  });

  it('issues 符号 that are stable per body and differ between bodies (XCH-18)', async () => {
    const a1 = await issue(requester, ALICE);
    const a2 = await issue(requester, ALICE);
    const aProv = await issue(provider, ALICE);
    const b1 = await issue(requester, BOB);
    expect(a1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a2).toBe(a1);
    expect(aProv).not.toBe(a1);
    expect(b1).not.toBe(a1);
    // The network keeps J-LIS's link, never the 住民票コード.
    const persons = await sql<{ link: string }>`SELECT link FROM peers_network.linked_persons`.execute(netDb);
    expect(persons.rows).toHaveLength(2);
    expect(JSON.stringify(persons.rows)).not.toContain(ALICE);
    // The secret lives in the network's key folder, readable by the owner only.
    const st = statSync(join(app.config.keyDir, 'nodes', 'network', FUGO_KEY_FILE));
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('distributes the permission list as data (XCH-19)', async () => {
    const a = await requester.call('network', 'permissions.list', {});
    const list = a.body as { version: string; entries: { id: string; legalBasis: string; validFrom: string; validTo: string | null }[] };
    expect(list.version).toMatch(/^[0-9a-f]{16}$/);
    expect(list.entries).toHaveLength(PERMISSION_ENTRIES.length);
    const byId = new Map(list.entries.map((e) => [e.id, e]));
    for (const n of ['25', '26', '27', '28', '29', '153', '154']) {
      expect([...byId.values()].some((e) => e.legalBasis === `番号法第19条第8号 主務省令第2条の表 ${n}の項` && e.validFrom === '2024-05-27' && e.validTo === null)).toBe(true);
    }
    for (const n of ['16の2', '17', '18', '19']) {
      expect([...byId.values()].some((e) => e.legalBasis === `番号法第19条第8号 別表第二 ${n}の項` && e.validTo === '2024-05-26')).toBe(true);
    }
    const human = await networkServer.inject({ method: 'GET', url: '/permissions' });
    expect(human.statusCode).toBe(200);
    expect(human.json().version).toBe(list.version);
    // Loading the list again at start changes nothing.
    const again = await buildNetworkNode({ name: 'network', db: netDb, node: network, clock, config: app.config });
    await again.fastify.close();
    expect((await requester.call('network', 'permissions.list', {})).body).toEqual(list);
  });

  it('refuses a 符号 of one body presented by another', async () => {
    const aliceAtEdogawa = await issue(requester, ALICE);
    const p = await refusal(provider.call('network', 'inquiry', { inquiryId: 'x-1', code: aliceAtEdogawa, jimu: 'vaccination', item: 'vaccination-history', provider: '131237' }, { personal: true }));
    expect(p.status).toBe(404);
    expect(p.code).toBe('CODE_UNKNOWN');
    const recs = await listRecords(netDb, { body: '041009' });
    expect(recs.find((r) => r.inquiryId === 'x-1')).toMatchObject({ status: 'refused', refusalCode: 'CODE_UNKNOWN', personId: null });
  });

  it('permits an inquiry, issues a permit and relays the provider answer unchanged (XCH-07, XCH-08, XCH-11, XCH-16)', async () => {
    const aliceAtEdogawa = await issue(requester, ALICE);
    const aliceAtSendai = await issue(provider, ALICE);
    providerData.set(aliceAtSendai, [{ vaccine: 'MR', dose: 1, date: '2020-04-01' }]);

    const a = await requester.call('network', 'inquiry', { inquiryId: 'q-1', code: aliceAtEdogawa, jimu: 'vaccination', item: 'vaccination-history', provider: '041009' }, { personal: true });
    const body = a.body as { exchangeId: string; permitId: string; legalBasis: string; status: string; provider: string };
    expect(body).toMatchObject({ status: 'provided', provider: '041009', legalBasis: '番号法第19条第8号 主務省令第2条の表 25の項' });
    expect(a.envelope.relayed).toHaveLength(1);
    const relayed = a.envelope.relayed![0]!;
    expect(relayed).toBe(answersSent.at(-1));

    const permit = permitsSeen.at(-1)!;
    expect(permit).toMatchObject({ exchangeId: body.exchangeId, permitId: body.permitId, requester: REQ, provider: PROV, jimu: 'vaccination', item: 'vaccination-history' });

    const opened = await requester.verifyRelayed(relayed, PROV);
    expect(opened.body).toEqual({ records: [{ vaccine: 'MR', dose: 1, date: '2020-04-01' }] });
    // The network only relays: the personal part is not for it.
    const atNetwork = await network.verifyRelayed(relayed, PROV);
    expect(atNetwork.envelope.enc?.to).toBe(REQ);
    expect(atNetwork.body).toBeUndefined();

    const rec = (await listRecords(netDb)).find((r) => r.exchangeId === body.exchangeId)!;
    expect(rec).toMatchObject({ status: 'provided', requesterBody: '131237', providerBody: '041009', requesterCode: aliceAtEdogawa, providerCode: aliceAtSendai, permitId: body.permitId });

    // Same inquiry id again: refused, the first one stands.
    const dup = await refusal(requester.call('network', 'inquiry', { inquiryId: 'q-1', code: aliceAtEdogawa, jimu: 'vaccination', item: 'vaccination-history', provider: '041009' }, { personal: true }));
    expect(dup.code).toBe('INQUIRY_DUPLICATE');
  });

  it('refuses an inquiry the My Number Act does not permit, and records it (XCH-08, XCH-14)', async () => {
    const code = await issue(requester, ALICE);
    const p = await refusal(requester.call('network', 'inquiry', { inquiryId: 'q-2', code, jimu: 'vaccination', item: 'livelihood-protection', provider: '041009' }, { personal: true }));
    expect(p.status).toBe(403);
    expect(p.code).toBe('PERMISSION_DENIED');
    expect(p.detail).toContain('予防接種法による予防接種の実施に関する事務');
    expect(p.detail).toContain('生活保護関係情報');
    expect(p.detail).toContain('番号法で認められた情報連携ではありません');
    const rec = (await listRecords(netDb, { body: '131237' })).find((r) => r.inquiryId === 'q-2')!;
    expect(rec).toMatchObject({ status: 'refused', refusalCode: 'PERMISSION_DENIED', permitId: null });
    expect(rec.refusalReason).toContain('番号法で認められた情報連携ではありません');
    const csv = recordsCsv(await listRecords(netDb, { body: '131237' }));
    expect(csv).toContain('拒否');
    expect(csv).toContain('生活保護関係情報');
    expect(csv).not.toContain(code);
  });

  it('applies the list of the day: 別表第二 before 2024-05-27', async () => {
    const code = await issue(requester, ALICE);
    const saved = clock.now();
    clock.set('2024-05-20T10:00:00+09:00');
    try {
      const a = await requester.call('network', 'inquiry', { inquiryId: 'q-old', code, jimu: 'vaccination', item: 'vaccination-history', provider: '041009' }, { personal: true });
      expect((a.body as { legalBasis: string }).legalBasis).toBe('番号法第19条第8号 別表第二 16の2の項');
    } finally {
      clock.set(saved);
    }
  });

  it('a provider that refuses: 502 PROVIDER_REFUSED, the record says failed', async () => {
    const code = await issue(requester, ALICE);
    const p = await refusal(requester.call('network', 'inquiry', { inquiryId: 'q-tax', code, jimu: 'relief-or-fee', item: 'resident-tax', provider: '041009' }, { personal: true }));
    expect(p.status).toBe(502);
    expect(p.code).toBe('PROVIDER_REFUSED');
    expect(p.detail).toContain('ITEM_NOT_HELD');
    expect((await listRecords(netDb)).find((r) => r.inquiryId === 'q-tax')).toMatchObject({ status: 'failed', refusalCode: 'ITEM_NOT_HELD', legalBasis: '番号法第19条第8号 主務省令第2条の表 28の項' });
  });

  it('answers none without asking a provider that holds no 符号 for the person', async () => {
    const carol = await issue(requester, CAROL);
    const before = answersSent.length;
    const a = await requester.call('network', 'inquiry', { inquiryId: 'q-3', code: carol, jimu: 'vaccination', item: 'vaccination-history', provider: '041009' }, { personal: true });
    expect(a.body).toMatchObject({ status: 'none' });
    expect(a.envelope.relayed).toBeUndefined();
    expect(answersSent.length).toBe(before);
  });

  it('re-asks the provider for a pending answer (inquiry.result)', async () => {
    const code = await issue(requester, ALICE);
    const a = await requester.call('network', 'inquiry', { inquiryId: 'q-4', code, jimu: 'relief-illness', item: 'vaccination-history', provider: '041009' }, { personal: true });
    const { exchangeId, status } = a.body as { exchangeId: string; status: string };
    expect(status).toBe('pending');
    // Only the requester may ask for the result.
    const other = await refusal(provider.call('network', 'inquiry.result', { exchangeId }));
    expect(other.code).toBe('EXCHANGE_NOT_FOUND');
    const r = await requester.call('network', 'inquiry.result', { exchangeId });
    expect(r.body).toMatchObject({ exchangeId, status: 'provided', legalBasis: '番号法第19条第8号 主務省令第2条の表 27の項' });
    const opened = await requester.verifyRelayed(r.envelope.relayed![0]!, PROV);
    expect((opened.body as { records: unknown[] }).records).toHaveLength(1);
    expect((await listRecords(netDb)).find((x) => x.exchangeId === exchangeId)!.status).toBe('provided');
  });

  it('lists a person\'s 情報提供等記録 for all bodies (records.person)', async () => {
    const aliceAtEdogawa = await issue(requester, ALICE);
    const a = await requester.call('network', 'records.person', { code: aliceAtEdogawa }, { personal: true });
    expect(a.envelope.enc?.to).toBe(REQ);
    const records = (a.body as { records: { requester: string; requesterName?: string; provider: string; status: string; jimuName: string; itemName: string; legalBasis: string | null }[] }).records;
    expect(records.map((r) => r.status).sort()).toEqual(['failed', 'provided', 'provided', 'provided', 'refused']);
    expect(records[0]).toMatchObject({ requester: '131237', requesterName: '江戸川区 中間サーバー', provider: '041009', jimuName: '予防接種法による予防接種の実施に関する事務', itemName: '予防接種の実施に関する情報' });
    // The same person seen from the other body: the same records.
    const aliceAtSendai = await issue(provider, ALICE);
    const b = await provider.call('network', 'records.person', { code: aliceAtSendai }, { personal: true });
    expect((b.body as { records: unknown[] }).records).toEqual(records);
    // Bob has no records; an unknown code is refused.
    expect(((await requester.call('network', 'records.person', { code: await issue(requester, BOB) }, { personal: true })).body as { records: unknown[] }).records).toEqual([]);
    expect((await refusal(requester.call('network', 'records.person', { code: 'A'.repeat(43) }, { personal: true }))).code).toBe('CODE_UNKNOWN');
  });

  it('refuses callers that are not a 中間サーバー', async () => {
    const jlisAsCaller = new ExchangeNode('jlis', NodeKeys.open(app.config.keyDir, 'jlis'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'jlis'), clock);
    const p = await refusal(jlisAsCaller.call('network', 'code.issue', { juminhyoCode: ALICE }, { personal: true }));
    expect(p.status).toBe(403);
    expect(p.code).toBe('EXCHANGE_NOT_ALLOWED');
  });

  it('provider down: 503, the record says failed, nothing half-done remains', async () => {
    const code = await issue(requester, ALICE);
    await providerServer.close();
    const p = await refusal(requester.call('network', 'inquiry', { inquiryId: 'q-5', code, jimu: 'vaccination', item: 'vaccination-history', provider: '041009' }, { personal: true }));
    expect(p.status).toBe(503);
    expect(p.code).toBe('PROVIDER_UNREACHABLE');
    const rec = (await listRecords(netDb)).find((r) => r.inquiryId === 'q-5')!;
    expect(rec).toMatchObject({ status: 'failed', refusalCode: 'EXCHANGE_UNREACHABLE' });
    expect((await listRecords(netDb)).filter((r) => r.status === 'permitted')).toEqual([]);
    const out = await sql<{ outcome: string }>`SELECT outcome FROM peers_network.exchange_messages WHERE service = 'provide' AND direction = 'out' ORDER BY seq DESC LIMIT 1`.execute(netDb);
    expect(out.rows[0]!.outcome).toBe('failed');
  });

  it('marks an inquiry interrupted by a stop as failed when the node starts again', async () => {
    const exchangeId = randomUUID();
    const at = new Date(clock.now().getTime() - 3600_000);
    await sql`INSERT INTO peers_network.exchange_records (exchange_id, inquiry_id, at, updated_at, requester_body, provider_body, jimu, item, permit_id, permit_exp, status)
              VALUES (${exchangeId}, 'q-crash', ${at}, ${at}, '131237', '041009', 'vaccination', 'vaccination-history', ${randomUUID()}, ${new Date(at.getTime() + 600_000)}, 'permitted')`.execute(netDb);
    const again = await buildNetworkNode({ name: 'network', db: netDb, node: network, clock, config: app.config });
    await again.fastify.close();
    expect((await listRecords(netDb)).find((r) => r.exchangeId === exchangeId)).toMatchObject({ status: 'failed', refusalCode: 'INTERRUPTED' });
  });

  it('deletes 情報提供等記録 older than the keeping period, on its own clock, and keeps the rest (XCH-14)', async () => {
    const { purgeNetworkRecords, DEFAULT_RECORD_YEARS } = await import('../../src/peers/network/index.js');
    const { SetClock } = await import('../../src/kernel/clock/index.js');
    const count = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_network.exchange_records`.execute(app.db.system)).rows[0]!.n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    // Nothing is old enough today …
    expect(await purgeNetworkRecords(netDb, clock, DEFAULT_RECORD_YEARS)).toBe(0);
    // … and everything is, seven years and a day later.
    const later = new SetClock(new Date(clock.now().getTime() + (7 * 366 + 1) * 86_400_000));
    expect(await purgeNetworkRecords(netDb, later, DEFAULT_RECORD_YEARS)).toBe(before);
    expect(await count()).toBe(0);
  });

  it('keeps its schema from the staff system: mamori_app has no access', async () => {
    await expect(sql`SELECT count(*) FROM peers_network.codes`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM peers_network.exchange_records`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    // The node's own role reads its tables but cannot rewrite a record's parties.
    await expect(sql`UPDATE peers_network.exchange_records SET requester_body = '999999'`.execute(netDb)).rejects.toThrow(/permission denied/);
  });
});
