// The 中間サーバー (decision 0139): 符号取得 (XCH-01), 副本登録 (XCH-04/05/06), 情報照会 through a stand-in
// 情報提供ネットワークシステム (XCH-09/16), 自動応答不可フラグ and 上長承認 (XCH-12/13), the 情報提供等記録
// (XCH-14), the automatic deletion of results (XCH-15), tenant separation by RLS.  Every node runs on
// real HTTP on 127.0.0.1, on a server and on an embedded database; the network here is a small stand-in
// built in this file to the contract (docs/formats/exchange-protocol.md), not src/peers/network.
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactSign } from 'jose';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import {
  Directory,
  ExchangeNode,
  MessageLog,
  NodeKeys,
  bodyOf,
  createNodeServer,
  exchangeNodeFor,
  type Envelope,
  type Incoming,
  type ServiceDef,
} from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import { buildChukanNode, chukanNodeName, CHUKAN_ROLE, CHUKAN_SCHEMA, PERMIT_TYPE, type ChukanService } from '../../src/peers/chukan/index.js';
import { testApp, EDOGAWA, SENDAI, type Mode, type TestApp } from '../harness/app.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { testClock } from '../harness/clock.js';

const DAY = 86_400_000;
const JIMU = 'vaccination';
const ITEM = 'vaccination-history';
const LEGAL = '主務省令第2条の表 25';

// Persons: the same person (住民票コード) is known to both municipalities under their own 統合宛名番号.
const P1 = { juminhyoCode: '10000000011', edogawa: '131237000000001', sendai: '041009000000001' };
const P2 = { juminhyoCode: '10000000022', edogawa: '131237000000002', sendai: '041009000000002' };
const P3 = { juminhyoCode: '10000000033', edogawa: '131237000000003' };
const UNKNOWN_JUMINHYO = '99999999999';

const HISTORY = { records: [{ program: 'MR', dose: 1, date: '2021-04-10', product: '乾燥弱毒生麻しん風しん混合ワクチン', lot: 'K123' }, { program: 'MR', dose: 2, date: '2026-05-01' }] };

interface StandIn {
  node: ExchangeNode;
  /** The provider answers the network relayed (for the assertion that the network cannot read them). */
  providerAnswers: Incoming[];
  permitKeys: NodeKeys;
  /** When set, the stand-in relays an earlier provider answer instead of this exchange's (a relay that alters, XCH-07). */
  relayStale: boolean;
  /** Signs a 情報提供許可証 with the network's key (for tests of the provider's checks). */
  permitOf(p: Record<string, unknown>): Promise<string>;
}

/** A stand-in 情報提供ネットワークシステム: code.issue, permissions.list, inquiry (relaying to the provider), inquiry.result, records.person. */
function standInNetwork(node: ExchangeNode): { state: StandIn; services: Record<string, ServiceDef> } {
  const secret = 'stand-in-network-secret';
  const persons = new Map<string, string>(); // `${node}|${code}` → juminhyoCode
  const exchanges = new Map<string, { permit: string; provider: string; requester: string; permitId: string }>();
  const permitOf = async (p: Record<string, unknown>) => {
    const sig = node.keys.signingKey();
    return new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: PERMIT_TYPE }).sign(sig.privateKey);
  };
  const state: StandIn = { node, providerAnswers: [], permitKeys: node.keys, relayStale: false, permitOf };
  const fromChukan = (s: string) => /^chukan-[0-9]{6}$/.test(s);
  const codeFor = (body: string, juminhyoCode: string) => {
    const code = createHmac('sha256', secret).update(`${body}|${juminhyoCode}`).digest('base64url');
    persons.set(`${body}|${code}`, juminhyoCode);
    return code;
  };
  const relay = (exchangeId: string, fresh: Incoming) => {
    const a = state.relayStale && state.providerAnswers.length ? state.providerAnswers[0]! : fresh;
    state.providerAnswers.push(fresh);
    const ex = exchanges.get(exchangeId)!;
    const status = a.envelope.enc ? 'provided' : (a.body as { status: string }).status;
    return { body: { exchangeId, permitId: ex.permitId, legalBasis: LEGAL, status, provider: ex.provider }, relayed: [a.jws] };
  };
  const services: Record<string, ServiceDef> = {
    'code.issue': {
      title: '符号発行',
      from: fromChukan,
      async handle(msg) {
        const { juminhyoCode } = msg.body as { juminhyoCode: string };
        if (juminhyoCode === UNKNOWN_JUMINHYO) throw new Problem(404, 'PERSON_NOT_FOUND', '住民票コードに該当する者がいません', '住基ネットに該当する者がいません。');
        return { personal: true, body: { code: codeFor(msg.sender, juminhyoCode) } };
      },
    },
    'permissions.list': {
      title: '照会許可用照合リスト',
      from: fromChukan,
      async handle() {
        return { body: { version: 1, entries: [{ jimu: JIMU, item: ITEM, legalBasis: LEGAL }] } };
      },
    },
    inquiry: {
      title: '情報照会',
      from: fromChukan,
      async handle(msg) {
        const b = msg.body as { inquiryId: string; code: string; jimu: string; item: string; provider: string };
        const juminhyoCode = persons.get(`${msg.sender}|${b.code}`);
        if (!juminhyoCode) throw new Problem(404, 'CODE_UNKNOWN', '符号が登録されていません');
        if (b.jimu !== JIMU || b.item !== ITEM) throw new Problem(403, 'NOT_PERMITTED', '照会許可用照合リストにない照会です');
        const providerNode = chukanNodeName(b.provider);
        const exchangeId = randomUUID();
        const permitId = randomUUID();
        const iat = Math.floor(node.clock.now().getTime() / 1000);
        const permit = await permitOf({ permitId, exchangeId, requester: msg.sender, provider: b.provider, jimu: b.jimu, item: b.item, legalBasis: LEGAL, iat, exp: iat + 300 });
        exchanges.set(exchangeId, { permit, provider: b.provider, requester: msg.sender, permitId });
        const a = await node.call(providerNode, 'provide', { permit, code: codeFor(providerNode, juminhyoCode), item: b.item, requester: msg.sender }, { personal: true });
        return relay(exchangeId, a);
      },
    },
    'inquiry.result': {
      title: '情報照会結果',
      from: fromChukan,
      async handle(msg) {
        const { exchangeId } = msg.body as { exchangeId: string };
        const ex = exchanges.get(exchangeId);
        if (!ex || ex.requester !== msg.sender) throw new Problem(404, 'EXCHANGE_NOT_FOUND', '情報連携が見つかりません');
        const a = await node.call(chukanNodeName(ex.provider), 'provide.result', { exchangeId, permit: ex.permit });
        return relay(exchangeId, a);
      },
    },
    'records.person': {
      title: '本人の情報提供等記録',
      from: fromChukan,
      async handle(msg) {
        const { code } = msg.body as { code: string };
        const known = persons.has(`${msg.sender}|${code}`);
        return { personal: true, body: { records: known ? [{ exchangeId: [...exchanges.keys()][0] ?? null, note: 'stand-in' }] : [] } };
      },
    },
  };  return { state, services };
}

async function listen(f: FastifyInstance): Promise<string> {
  return f.listen({ host: '127.0.0.1', port: 0 });
}

describe.each<Mode>(['server', 'embedded'])('中間サーバー (%s)', (mode) => {
  const clock = testClock();
  let app: TestApp;
  let db: Kysely<UntypedDatabase>;
  let directory: Directory;
  let muni: ExchangeNode;
  let net: StandIn;
  const servers: FastifyInstance[] = [];
  const chukan = new Map<string, ChukanService>();

  const callEdogawa = (svc: string, body: Record<string, unknown>, personal = true) => muni.call(chukanNodeName(EDOGAWA), svc, { tenant: EDOGAWA, ...body }, { personal });
  const callSendai = (svc: string, body: Record<string, unknown>, personal = true) => muni.call(chukanNodeName(SENDAI), svc, { tenant: SENDAI, ...body }, { personal });
  const problemOf = async (p: Promise<unknown>): Promise<Problem> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof Problem) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  };
  const count = async (q: ReturnType<typeof sql>) => Number(((await q.execute(app.db.system)).rows[0] as { n: string }).n);

  beforeAll(async () => {
    app = await testApp(mode, { clock });
    db = await app.db.forRole(CHUKAN_ROLE);
    const keyDir = join(app.tmp, 'node-keys');
    directory = new Directory([]);

    muni = new ExchangeNode('municipality', NodeKeys.open(keyDir, 'municipality'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'municipality'), clock);
    const mf = await createNodeServer('municipality');
    muni.serve(mf, {});
    servers.push(mf);
    directory.set({ name: 'municipality', title: '予防接種事務システム', url: await listen(mf) });

    const netNode = new ExchangeNode('network', NodeKeys.open(keyDir, 'network'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'network'), clock);
    const standIn = standInNetwork(netNode);
    net = standIn.state;
    const nf = await createNodeServer('network');
    netNode.serve(nf, standIn.services);
    servers.push(nf);
    directory.set({ name: 'network', title: '情報提供ネットワークシステム', url: await listen(nf) });

    for (const [tenant, title] of [[EDOGAWA, '江戸川区中間サーバー'], [SENDAI, '仙台市中間サーバー']] as const) {
      const name = chukanNodeName(tenant);
      const node = exchangeNodeFor({ name, schema: CHUKAN_SCHEMA, db, keyDir: app.config.keyDir, directory, clock });
      const svc = await buildChukanNode({ name, db, node, clock, config: app.config }, { tenant });
      chukan.set(tenant, svc);
      servers.push(svc.fastify);
      directory.set({ name, title, url: await listen(svc.fastify) });
    }
  });

  afterAll(async () => {
    for (const s of chukan.values()) await s.close();
    for (const f of servers) await f.close();
    await app?.cleanup();
  });

  it('acquires 符号 per person, idempotently, with failures per person and no half state (XCH-01)', async () => {
    const persons = [
      { integratedNo: P1.edogawa, juminhyoCode: P1.juminhyoCode },
      { integratedNo: P2.edogawa, juminhyoCode: P2.juminhyoCode },
      { integratedNo: '131237000000009', juminhyoCode: UNKNOWN_JUMINHYO },
    ];
    const a = await callEdogawa('code.acquire', { persons });
    expect(a.envelope.enc?.to).toBe('municipality');
    expect(a.body).toEqual({ acquired: 2, already: 0, failed: [{ integratedNo: '131237000000009', reason: expect.stringMatching(/^PERSON_NOT_FOUND/) }] });
    const again = await callEdogawa('code.acquire', { persons });
    expect(again.body).toMatchObject({ acquired: 0, already: 2, failed: [{ integratedNo: '131237000000009' }] });

    const codes = await sql<{ integrated_no: string; status: string; code: string | null; reason: string | null }>`
      SELECT integrated_no, status, code, reason FROM peers_chukan.codes WHERE tenant_code = ${EDOGAWA} ORDER BY integrated_no`.execute(app.db.system);
    expect(codes.rows.map((r) => [r.integrated_no, r.status, r.code !== null])).toEqual([
      [P1.edogawa, 'acquired', true],
      [P2.edogawa, 'acquired', true],
      ['131237000000009', 'failed', false],
    ]);
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.codes WHERE status = 'requested'`)).toBe(0);

    const s = await callSendai('code.acquire', { persons: [{ integratedNo: P1.sendai, juminhyoCode: P1.juminhyoCode }, { integratedNo: P2.sendai, juminhyoCode: P2.juminhyoCode }] });
    expect(s.body).toMatchObject({ acquired: 2, already: 0, failed: [] });
    // The 符号 differs per body (the same person has another 符号 at the other municipality).
    const both = await sql<{ code: string }>`SELECT code FROM peers_chukan.codes WHERE integrated_no IN (${P1.edogawa}, ${P1.sendai})`.execute(app.db.system);
    expect(new Set(both.rows.map((r) => r.code)).size).toBe(2);
  });

  it('registers 副本 with counts registered / unchanged / rejected and one batch row per call (XCH-04, XCH-05)', async () => {
    const rows = [
      { integratedNo: P1.sendai, data: HISTORY },
      { integratedNo: P2.sendai, data: { records: [{ program: 'BCG', dose: 1, date: '2020-09-01' }] } },
      { integratedNo: '041009000000077', data: { records: [] } },
      { integratedNo: '12345', data: { records: [] } },
    ];
    const r1 = await callSendai('copies.register', { process: 'nightly-copy', operator: 'sendai-batch', item: ITEM, rows });
    expect(r1.body).toMatchObject({ registered: 2, unchanged: 0, rejected: 2 });
    expect((r1.body as { errors: { row: number; reason: string }[] }).errors.map((e) => [e.row, e.reason.split(':')[0]])).toEqual([
      [2, 'CODE_NOT_ACQUIRED'],
      [3, 'INTEGRATED_NO_FORMAT'],
    ]);
    const r2 = await callSendai('copies.register', { process: 'nightly-copy', operator: 'sendai-batch', item: ITEM, rows: [rows[0], { ...rows[1], data: { records: [{ program: 'BCG', dose: 1, date: '2020-09-02' }] } }] });
    expect(r2.body).toMatchObject({ registered: 1, unchanged: 1, rejected: 0 });

    const batches = await sql<{ process: string; operator: string; item: string; received: number; registered: number; unchanged: number; rejected: number }>`
      SELECT process, operator, item, received, registered, unchanged, rejected FROM peers_chukan.copy_batches WHERE tenant_code = ${SENDAI} ORDER BY at`.execute(app.db.system);
    expect(batches.rows).toEqual([
      { process: 'nightly-copy', operator: 'sendai-batch', item: ITEM, received: 4, registered: 2, unchanged: 0, rejected: 2 },
      { process: 'nightly-copy', operator: 'sendai-batch', item: ITEM, received: 2, registered: 1, unchanged: 1, rejected: 0 },
    ]);

    const list = await callSendai('copies.list', { item: ITEM, page: 1 }, false);
    expect(list.envelope.enc?.to).toBe('municipality');
    expect(list.body).toMatchObject({ total: 2, rows: [{ integratedNo: P1.sendai, data: HISTORY }, { integratedNo: P2.sendai }] });
  });

  it('refuses a malformed row with 400 naming the row and field, and registers nothing (XCH-06)', async () => {
    const before = await count(sql`SELECT count(*) AS n FROM peers_chukan.copy_batches`);
    const digests = await sql`SELECT integrated_no, digest FROM peers_chukan.copies ORDER BY 1`.execute(app.db.system);
    const bad = await problemOf(
      callSendai('copies.register', {
        process: 'nightly-copy',
        operator: 'sendai-batch',
        item: ITEM,
        rows: [
          { integratedNo: P1.sendai, data: { records: [{ program: 'MR', dose: 3, date: '2026-06-01' }] } },
          { integratedNo: P2.sendai, data: { records: [{ program: 'MR', dose: 1, date: '2026-13-01' }] } },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('CHUKAN_MALFORMED');
    expect(bad.detail).toContain('rows.1.data.records.0.date');

    const identifying = await problemOf(
      callSendai('copies.register', { process: 'p', operator: 'o', item: ITEM, rows: [{ integratedNo: P1.sendai, data: { records: [], name: '宮城 太郎', birthDate: '1990-01-01' } }] }),
    );
    expect(identifying.status).toBe(400);
    expect(identifying.detail).toContain('rows.0.data.name');
    expect(identifying.detail).toContain('rows.0.data.birthDate');
    const nested = await problemOf(
      callSendai('copies.register', { process: 'p', operator: 'o', item: ITEM, rows: [{ integratedNo: P1.sendai, data: { records: [{ program: 'MR', dose: 1, date: '2026-01-01', myNumber: 'x' }] } }] }),
    );
    expect(nested.detail).toContain('rows.0.data.records.0.myNumber');
    const unknown = await problemOf(callSendai('copies.register', { process: 'p', operator: 'o', item: 'tax-income', rows: [] }));
    expect([unknown.status, unknown.code]).toEqual([400, 'UNKNOWN_ITEM']);

    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.copy_batches`)).toBe(before);
    expect((await sql`SELECT integrated_no, digest FROM peers_chukan.copies ORDER BY 1`.execute(app.db.system)).rows).toEqual(digests.rows);
  });

  it('inquires end to end through the network; only the requester can read the records (XCH-09, XCH-16)', async () => {
    const missingOperator = await problemOf(callEdogawa('inquire', { integratedNo: P1.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI }));
    expect([missingOperator.status, missingOperator.code]).toEqual([400, 'OPERATOR_REQUIRED']);
    const missingNo = await problemOf(callEdogawa('inquire', { jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } }));
    expect([missingNo.status, missingNo.code]).toEqual([400, 'INTEGRATED_NO_REQUIRED']);
    const noCode = await problemOf(callEdogawa('inquire', { integratedNo: '131237000000009', jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } }));
    expect([noCode.status, noCode.code]).toEqual([409, 'CODE_NOT_ACQUIRED']);

    const a = await callEdogawa('inquire', { integratedNo: P1.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } });
    expect(a.envelope.enc?.to).toBe('municipality');
    const body = a.body as { exchangeId: string; provider: string; legalBasis: string; status: string; records: unknown[] };
    expect(body).toMatchObject({ provider: SENDAI, legalBasis: LEGAL, status: 'provided', records: HISTORY.records });

    // The network relayed the provider's answer but cannot read it: encrypted to the requester's 中間サーバー.
    const relayed = net.providerAnswers.at(-1)!;
    expect(relayed.sender).toBe(chukanNodeName(SENDAI));
    expect(relayed.envelope.enc?.to).toBe(chukanNodeName(EDOGAWA));
    expect(relayed.envelope.body).toBeUndefined();
    expect(relayed.body).toBeUndefined();
    await expect(bodyOf(net.node.keys, relayed.envelope)).rejects.toMatchObject({ code: 'EXCHANGE_NOT_FOR_ME' });
    const forged: Envelope = { ...relayed.envelope, enc: { ...relayed.envelope.enc!, to: 'network' } };
    await expect(bodyOf(net.node.keys, forged)).rejects.toMatchObject({ code: 'EXCHANGE_DECRYPT' });

    // Stored encrypted at rest, with the operator; recorded at both ends (XCH-14).
    const inq = await sql<{ result: Buffer; operator_login: string; operator_duty: string; status: string }>`
      SELECT result, operator_login, operator_duty, status FROM peers_chukan.inquiries WHERE exchange_id = ${body.exchangeId}`.execute(app.db.system);
    expect(inq.rows[0]).toMatchObject({ operator_login: 'edo-clerk', operator_duty: JIMU, status: 'provided' });
    expect(inq.rows[0]!.result.toString('latin1')).not.toContain('2021-04-10');
    const again = await callEdogawa('inquiry.result', { exchangeId: body.exchangeId }, false);
    expect(again.body).toMatchObject({ status: 'provided', records: HISTORY.records });

    const mine = (await callEdogawa('records', {}, false)).body as { records: { kind: string; exchangeId: string; status: string; operator: string; counterpart: string }[] };
    expect(mine.records.filter((r) => r.exchangeId === body.exchangeId)).toEqual([expect.objectContaining({ kind: 'inquiry', status: 'provided', operator: 'edo-clerk', counterpart: chukanNodeName(SENDAI) })]);
    const theirs = (await callSendai('records', { integratedNo: P1.sendai }, false)).body as { records: { kind: string; exchangeId: string; status: string; counterpart: string }[] };
    expect(theirs.records).toEqual([expect.objectContaining({ kind: 'provision', exchangeId: body.exchangeId, status: 'provided', counterpart: chukanNodeName(EDOGAWA) })]);

    const person = await callEdogawa('records.person', { integratedNo: P1.edogawa });
    expect((person.body as { records: unknown[] }).records.length).toBe(1);

    // An inquiry the network refuses is recorded as failed (interrupted).
    const refusedInquiry = await problemOf(callEdogawa('inquire', { integratedNo: P2.edogawa, jimu: 'other-jimu', item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } }));
    expect(refusedInquiry.code).toBe('NOT_PERMITTED');
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.inquiries WHERE tenant_code = ${EDOGAWA} AND status = 'failed'`)).toBe(1);

    // A person the provider does not know: none, and the provider keeps no person for the request (XCH-21).
    await callEdogawa('code.acquire', { persons: [{ integratedNo: P3.edogawa, juminhyoCode: P3.juminhyoCode }] });
    const none = await callEdogawa('inquire', { integratedNo: P3.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } });
    expect(none.body).toMatchObject({ status: 'none', records: [] });
    const noneRow = await sql<{ integrated_no: string | null; status: string }>`
      SELECT integrated_no, status FROM peers_chukan.provisions WHERE exchange_id = ${(none.body as { exchangeId: string }).exchangeId}`.execute(app.db.system);
    expect(noneRow.rows).toEqual([{ integrated_no: null, status: 'none' }]);
  });

  it('holds an item flagged 自動応答不可 until a person checks it and a different superior approves (XCH-12, XCH-13)', async () => {
    await callSendai('items.configure', { item: ITEM, autoAnswerDisabled: true, operator: 'sendai-admin' }, false);
    const a = await callEdogawa('inquire', { integratedNo: P1.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } });
    const { exchangeId, status, records } = a.body as { exchangeId: string; status: string; records: unknown[] };
    expect([status, records]).toEqual(['pending', []]);
    expect(net.providerAnswers.at(-1)!.envelope.body).toEqual({ status: 'pending', exchangeId });

    const still = await callEdogawa('inquiry.result', { exchangeId }, false);
    expect(still.body).toMatchObject({ status: 'pending', records: [] });

    const pending = (await callSendai('pending.list', {}, false)).body as { pending: { exchangeId: string; records: unknown[]; integratedNo: string }[] };
    expect(pending.pending).toEqual([expect.objectContaining({ exchangeId, integratedNo: P1.sendai, records: HISTORY.records })]);

    const same = await problemOf(callSendai('pending.approve', { exchangeId, checkedBy: 'sendai-clerk', approvedBy: 'sendai-clerk' }, false));
    expect([same.status, same.code]).toEqual([403, 'APPROVER_IS_CHECKER']);
    const stillPending = await callEdogawa('inquiry.result', { exchangeId }, false);
    expect(stillPending.body).toMatchObject({ status: 'pending' });

    const stale = await problemOf(callSendai('pending.approve', { exchangeId, checkedBy: 'sendai-clerk', approvedBy: 'sendai-chief', digest: 'not-what-was-checked' }, false));
    expect([stale.status, stale.code]).toEqual([409, 'CONTENT_CHANGED']);
    const digest = (pending.pending[0] as unknown as { digest: string }).digest;
    const ok = await callSendai('pending.approve', { exchangeId, checkedBy: 'sendai-clerk', approvedBy: 'sendai-chief', digest }, false);
    expect(ok.body).toEqual({ exchangeId, status: 'approved' });
    const twice = await problemOf(callSendai('pending.approve', { exchangeId, checkedBy: 'sendai-clerk', approvedBy: 'sendai-chief' }, false));
    expect(twice.code).toBe('NOT_PENDING');

    // The 副本 changes after the approval: what was approved is no longer what would be sent, so it is held again.
    const updated = { records: [...HISTORY.records, { program: 'MR', dose: 3, date: '2026-11-01' }] };
    await callSendai('copies.register', { process: 'nightly-copy', operator: 'sendai-batch', item: ITEM, rows: [{ integratedNo: P1.sendai, data: updated }] });
    const heldAgain = await callEdogawa('inquiry.result', { exchangeId }, false);
    expect(heldAgain.body).toMatchObject({ status: 'pending', records: [] });
    const again = (await callSendai('pending.list', {}, false)).body as { pending: { exchangeId: string; records: unknown[] }[] };
    expect(again.pending).toEqual([expect.objectContaining({ exchangeId, records: updated.records })]);
    await callSendai('pending.approve', { exchangeId, checkedBy: 'sendai-clerk2', approvedBy: 'sendai-chief' }, false);

    const done = await callEdogawa('inquiry.result', { exchangeId }, false);
    expect(done.body).toMatchObject({ exchangeId, status: 'provided', records: updated.records });
    expect(net.providerAnswers.at(-1)!.envelope.enc?.to).toBe(chukanNodeName(EDOGAWA));

    const prov = await sql<{ status: string; checked_by: string; approved_by: string }>`
      SELECT status, checked_by, approved_by FROM peers_chukan.provisions WHERE exchange_id = ${exchangeId}`.execute(app.db.system);
    expect(prov.rows).toEqual([{ status: 'provided', checked_by: 'sendai-clerk2', approved_by: 'sendai-chief' }]);
    const theirs = (await callSendai('records', {}, false)).body as { records: { kind: string; exchangeId: string; status: string }[] };
    expect(theirs.records.filter((r) => r.exchangeId === exchangeId).map((r) => [r.kind, r.status])).toEqual([
      ['provision', 'pending'],
      ['approval', 'approved'],
      ['provision', 'pending'],
      ['approval', 'approved'],
      ['provision', 'provided'],
    ]);
    await callSendai('items.configure', { item: ITEM, autoAnswerDisabled: false, operator: 'sendai-admin' }, false);
  });

  it('refuses a relayed answer that belongs to another exchange (XCH-07)', async () => {
    net.relayStale = true;
    try {
      const p = await problemOf(callEdogawa('inquire', { integratedNo: P1.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'edo-clerk', duty: JIMU } }));
      expect([p.status, p.code]).toEqual([502, 'RELAYED_MISMATCH']);
    } finally {
      net.relayStale = false;
    }
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.inquiries WHERE tenant_code = ${EDOGAWA} AND status = 'failed' AND failure = 'RELAYED_MISMATCH'`)).toBe(1);
  });

  it('keeps the retention settings per municipality (XCH-14, XCH-15)', async () => {
    const bad = await problemOf(callSendai('settings.configure', { resultRetentionDays: -1 }, false));
    expect([bad.status, bad.code]).toEqual([400, 'CHUKAN_MALFORMED']);
    const s = await callSendai('settings.configure', { resultRetentionDays: 3, recordRetentionYears: 10 }, false);
    expect(s.body).toEqual({ resultRetentionDays: 3, recordRetentionYears: 10, reviewIntervalDays: 30 });
    expect((await callSendai('records', {}, false)).body).toMatchObject({ recordRetentionYears: 10 });
    expect((await callEdogawa('records', {}, false)).body).toMatchObject({ recordRetentionYears: 7 });

    // The records are reviewed at the configured interval (XCH-14): due until reviewed, then again after it.
    expect((await callSendai('records', {}, false)).body).toMatchObject({ reviewDue: true, lastReviewedAt: null });
    await callSendai('records.review', { reviewer: 'sendai-auditor' }, false);
    expect((await callSendai('records', {}, false)).body).toMatchObject({ reviewDue: false, lastReviewedBy: 'sendai-auditor' });
  });

  it('refuses a permit not signed by the network, and network services from anyone else', async () => {
    const sig = muni.keys.signingKey();
    const permit = await new CompactSign(new TextEncoder().encode(JSON.stringify({ permitId: 'x', exchangeId: 'y', requester: chukanNodeName(EDOGAWA), provider: SENDAI, jimu: JIMU, item: ITEM, legalBasis: LEGAL, iat: 0, exp: 4_000_000_000 })))
      .setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: PERMIT_TYPE })
      .sign(sig.privateKey);
    const forged = await problemOf(net.node.call(chukanNodeName(SENDAI), 'provide', { permit, code: 'abcdefgh', item: ITEM, requester: chukanNodeName(EDOGAWA) }, { personal: true }));
    expect([forged.status, forged.code]).toEqual([401, 'PERMIT_INVALID']);
    const notNetwork = await problemOf(muni.call(chukanNodeName(SENDAI), 'provide', { permit, code: 'abcdefgh', item: ITEM, requester: chukanNodeName(EDOGAWA) }, { personal: true }));
    expect([notNetwork.status, notNetwork.code]).toEqual([403, 'EXCHANGE_NOT_ALLOWED']);

    // Signed by the network, but not acceptable: expired, for another provider, for a request the list does not permit.
    const now = Math.floor(clock.now().getTime() / 1000);
    const base = { permitId: randomUUID(), exchangeId: randomUUID(), requester: chukanNodeName(EDOGAWA), provider: SENDAI, jimu: JIMU, item: ITEM, legalBasis: LEGAL, iat: now, exp: now + 300 };
    const provide = async (p: Record<string, unknown>, item = ITEM) =>
      problemOf(net.node.call(chukanNodeName(SENDAI), 'provide', { permit: await net.permitOf(p), code: 'abcdefgh', item, requester: chukanNodeName(EDOGAWA) }, { personal: true }));
    expect((await provide({ ...base, iat: now - 600, exp: now - 300 })).code).toBe('PERMIT_EXPIRED');
    expect((await provide({ ...base, provider: EDOGAWA })).code).toBe('PERMIT_WRONG_PROVIDER');
    expect((await provide(base, 'other-item')).code).toBe('PERMIT_MISMATCH');
    const notListed = await provide({ ...base, jimu: 'tax-assessment' });
    expect([notListed.status, notListed.code]).toEqual([403, 'NOT_PERMITTED']);
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.provisions WHERE exchange_id = ${base.exchangeId}`)).toBe(0);
  });

  it('refuses a request for another municipality (tenant mismatch)', async () => {
    const p = await problemOf(muni.call(chukanNodeName(EDOGAWA), 'copies.list', { tenant: SENDAI }));
    expect([p.status, p.code]).toEqual([403, 'TENANT_MISMATCH']);
    const q = await problemOf(muni.call(chukanNodeName(SENDAI), 'inquire', { tenant: EDOGAWA, integratedNo: P1.edogawa, jimu: JIMU, item: ITEM, provider: SENDAI, operator: { login: 'x', duty: JIMU } }, { personal: true }));
    expect(q.code).toBe('TENANT_MISMATCH');
  });

  it('RLS: the chukan role with tenant 131237 set sees none of 041009\'s rows, and cannot write them', async () => {
    const seen = await db.transaction().execute(async (tx) => {
      await sql`SELECT set_config('mamori.chukan_tenant', ${EDOGAWA}, true)`.execute(tx);
      const out: Record<string, string[]> = {};
      for (const t of ['codes', 'copies', 'copy_batches', 'inquiries', 'provisions', 'records', 'item_settings']) {
        const r = await sql<{ tenant_code: string }>`SELECT DISTINCT tenant_code FROM ${sql.table(`peers_chukan.${t}`)}`.execute(tx);
        out[t] = r.rows.map((x) => x.tenant_code);
      }
      return out;
    });
    for (const [t, tenants] of Object.entries(seen)) expect(tenants.filter((x) => x !== EDOGAWA), t).toEqual([]);
    expect(seen['codes']).toEqual([EDOGAWA]);
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.copies WHERE tenant_code = ${SENDAI}`)).toBeGreaterThan(0);

    const none = await sql<{ n: string }>`SELECT count(*) AS n FROM peers_chukan.codes`.execute(db);
    expect(Number(none.rows[0]!.n)).toBe(0);
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`SELECT set_config('mamori.chukan_tenant', ${EDOGAWA}, true)`.execute(tx);
        await sql`INSERT INTO peers_chukan.item_settings (tenant_code, item, auto_answer_disabled, updated_at, updated_by) VALUES (${SENDAI}, 'x', true, now(), 'x')`.execute(tx);
      }),
    ).rejects.toThrow(/row-level security/);
    await expect(sql`SELECT count(*) FROM municipality.persons`.execute(db)).rejects.toThrow(/permission denied/);
  });

  it('deletes inquiry results after the retention (7 days by default) on the node\'s clock (XCH-15)', async () => {
    const withResult = () => count(sql`SELECT count(*) AS n FROM peers_chukan.inquiries WHERE tenant_code = ${EDOGAWA} AND result IS NOT NULL`);
    expect(await withResult()).toBe(2);
    const svc = chukan.get(EDOGAWA)!;
    clock.advance(6 * DAY);
    expect((await svc.purge()).results).toBe(0);
    expect(await withResult()).toBe(2);
    clock.advance(2 * DAY);
    expect((await svc.purge()).results).toBe(2);
    expect(await withResult()).toBe(0);
    const ex = await sql<{ exchange_id: string }>`SELECT exchange_id FROM peers_chukan.inquiries WHERE tenant_code = ${EDOGAWA} AND status = 'provided' LIMIT 1`.execute(app.db.system);
    const gone = await problemOf(callEdogawa('inquiry.result', { exchangeId: ex.rows[0]!.exchange_id }, false));
    expect([gone.status, gone.code]).toEqual([410, 'RESULT_DELETED']);
    // The 情報提供等記録 stay (their own retention is years).
    expect(await count(sql`SELECT count(*) AS n FROM peers_chukan.records WHERE tenant_code = ${EDOGAWA}`)).toBeGreaterThan(0);
  });
});
