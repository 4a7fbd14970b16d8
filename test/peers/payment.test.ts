// 公金決済 (issue 15, Must have 7; QUA-19…22; decisions 0173–0175), over HTTP with real nodes: the payment node
// `payment` as startOrganisations runs it, and two merchant nodes of their own (a registry-like 「模擬 登録センター」
// and another) on their own ports with their own keys and message logs.  Create → the payer's page settles →
// the merchant receives a verified signed event; cancel; forged events (another key, altered amount, another
// merchant) refused; replayed and stale events refused; partial and full refunds, over-refund refused; totals
// for a period and category; the merchant down at settlement (delivered later, or caught up by pull); the
// payment node down → a clean failure.  No My Number anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addPaymentMerchant, messageLogOf, paymentDeps, startOrganisations, type Organisations } from '../../src/app/index.js';
import { createNodeServer, ExchangeNode, MessageLog, NodeKeys, sealEnvelope, type Directory } from '../../src/kernel/exchange/index.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  acceptPaymentEvent, createPayment, memoryPaymentStore, paymentNotifyService, paymentStatus, paymentTotals, refundPayment, signPaymentEvent, syncPaymentEvents, verifyPaymentEvent,
  type PaymentEvent, type PaymentEventStore,
} from '../../src/kernel/payment/index.js';
import { deliverEvents, eventsOf, expirePayments, merchantOf, type PaymentDeps } from '../../src/peers/payment/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { fixedClock } from '../../src/kernel/clock/index.js';
import { addDaysIso, formatJst, formatWareki, jstToday } from '../../src/kernel/jp/index.js';
import { TEST_NOW, TEST_TODAY } from '../harness/clock.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { visibleText } from '../harness/web.js';
import { runCli } from '../harness/cli.js';

const clock = fixedClock(TEST_NOW); // frozen: the events' times are the test's
let app: TestApp;
let orgs: Organisations;
let directory: Directory;
let pay: PaymentDeps;
const servers = new Map<string, FastifyInstance>();

interface Merchant {
  readonly node: ExchangeNode;
  readonly store: ReturnType<typeof memoryPaymentStore>;
  url: string;
}
let shop: Merchant;
let other: Merchant;

async function listen(m: Merchant): Promise<void> {
  const f = await createNodeServer(m.node.name);
  m.node.serve(f, { 'payment.notify': paymentNotifyService({ merchant: m.node.name, directory, withStore: (fn) => fn(m.store) }) });
  await f.listen({ host: '127.0.0.1', port: 0 });
  const a = f.server.address();
  m.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  servers.set(m.node.name, f);
  directory.set({ name: m.node.name, title: m.node.name === 'shop' ? '模擬 登録センター' : '模擬 別の加盟店', url: m.url });
}

async function merchant(name: string): Promise<Merchant> {
  const node = new ExchangeNode(name, NodeKeys.open(app.config.keyDir, name), directory, new MessageLog(untyped(app.db.system), 'municipality', name), clock);
  const m: Merchant = { node, store: memoryPaymentStore(), url: '' };
  await listen(m);
  return m;
}

let refNo = 0;
/** The merchant creates a payment (recording what it expects first, as a merchant's own table would). */
async function create(m: Merchant, o: { amount?: number; category?: string; description?: string } = {}) {
  const reference = `APP-${++refNo}`;
  const amount = o.amount ?? 3000;
  m.store.expect(reference, amount);
  const r = await createPayment(m.node, { reference, amount, category: o.category ?? '登録手数料', description: o.description ?? '看護師籍 登録手数料', payer: `payer-${refNo}-xyz`, returnUrl: `${m.url}/applications/${reference}/paid` });
  return { ...r, reference, amount };
}

/** The payer's browser: the page, then the form posted as the page posts it. */
async function payerChooses(payUrl: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const page = await fetch(payUrl);
  expect(page.status).toBe(200);
  const res = await fetch(payUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(payUrl).origin, ...headers }, body: new URLSearchParams(form).toString() });
  return { page: await page.text(), res };
}

/** A validly signed event made with the payment node's own key (what a compromised or faulty sender could send). */
async function signedAsPayment(e: Partial<PaymentEvent> & Pick<PaymentEvent, 'paymentId' | 'reference' | 'aud'>): Promise<string> {
  return signPaymentEvent(NodeKeys.open(app.config.keyDir, 'payment'), {
    v: 1, iss: 'payment', eventId: randomUUID(), seq: 1, category: '登録手数料', kind: 'settled', status: 'settled', amount: 3000, refundedTotal: 0,
    settledAt: clock.now().toISOString(), at: clock.now().toISOString(), ...e,
  });
}

beforeAll(async () => {
  app = await testApp('server', { clock });
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'payment' });
  directory = orgs.directory;
  pay = await paymentDeps(app, directory);
  shop = await merchant('shop');
  other = await merchant('othershop');
  await addPaymentMerchant(app, { node: 'shop', merchantCode: 'SHOP0001', name: '模擬 国家資格登録センター' });
  await addPaymentMerchant(app, { node: 'othershop', merchantCode: 'OTHER001', name: '模擬 別の加盟店' });
}, 120_000);

afterAll(async () => {
  for (const f of servers.values()) await f.close();
  await orgs?.close();
  await app?.cleanup();
});

describe('公金決済: a payment from creation to the merchant\'s verified event', () => {
  it('runs the payment node as its own organisation', () => {
    expect(orgs.nodes.map((n) => n.name)).toEqual(['payment']);
  });

  it('create → the payer page (amount, what for, card/bank, 支払う/やめる) settles → the merchant records the verified event once', async () => {
    const p = await create(shop);
    expect(p).toMatchObject({ status: 'pending', created: true });
    expect(p.payUrl.startsWith(`${directory.entry('payment').url}/pay/`)).toBe(true);
    // The same reference and content again: the same payment (idempotent); other content: refused.
    expect(await createPayment(shop.node, { reference: p.reference, amount: 3000, category: '登録手数料', description: '看護師籍 登録手数料', payer: `payer-${refNo}-xyz`, returnUrl: `${shop.url}/applications/${p.reference}/paid` }))
      .toMatchObject({ paymentId: p.paymentId, payUrl: p.payUrl, created: false });
    await expectProblem(createPayment(shop.node, { reference: p.reference, amount: 4000, category: '登録手数料', payer: 'payer-other-1', returnUrl: `${shop.url}/x` }), { status: 409, code: 'PAYMENT_REFERENCE_CONFLICT' });

    const { page, res } = await payerChooses(p.payUrl, { action: 'pay', method: 'card' });
    const text = visibleText(page);
    for (const s of ['お支払い内容の確認', '模擬 国家資格登録センター', '看護師籍 登録手数料', '3,000円', `${formatWareki(jstToday(new Date(new Date(TEST_NOW).getTime() + 30 * 60_000)))} ${formatJst(new Date(new Date(TEST_NOW).getTime() + 30 * 60_000)).slice(11, 16)}まで`, 'クレジットカード（模擬）', '銀行口座から支払う（模擬）', '支払う', 'やめる']) expect(text).toContain(s);
    expect(text).not.toContain(p.reference); // no internal codes on the payer's screen
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${shop.url}/applications/${p.reference}/paid?payment=${p.paymentId}`);

    const got = shop.store.events(p.paymentId);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'settled', status: 'settled', amount: 3000, reference: p.reference, paymentId: p.paymentId, aud: 'shop', iss: 'payment', seq: 1, refundedTotal: 0, settledAt: clock.now().toISOString() });
    expect(await eventsOf(pay.db, p.paymentId)).toEqual([{ seq: 1, kind: 'settled', delivered: true, attempts: 1, lastError: null }]);
    const st = await paymentStatus(shop.node, { reference: p.reference });
    expect(st).toMatchObject({ status: 'settled', amount: 3000, refundedTotal: 0 });
    expect(st.events).toHaveLength(1);
    // The page now says it is done; paying again is refused and changes nothing.
    expect(visibleText(await (await fetch(p.payUrl)).text())).toContain('このお支払いは完了しています');
    const again = await fetch(p.payUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay&method=bank' });
    expect(again.status).toBe(409);
    expect(shop.store.events(p.paymentId)).toHaveLength(1);
  });

  it('the page asks for a method, refuses a form posted from another site, and says so for an unknown address', async () => {
    const p = await create(shop);
    const none = await payerChooses(p.payUrl, { action: 'pay' });
    expect(none.res.status).toBe(400);
    expect(visibleText(await none.res.text())).toContain('お支払い方法を選んでください。');
    const cross = await payerChooses(p.payUrl, { action: 'pay', method: 'card' }, { origin: 'https://evil.example' });
    expect(cross.res.status).toBe(403);
    expect((await paymentStatus(shop.node, { paymentId: p.paymentId })).status).toBe('pending');
    const res = await fetch(`${directory.entry('payment').url}/pay/${'A'.repeat(43)}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(visibleText(await res.text())).toContain('お支払いが見つかりません');
  });

  it('a double submit (two posts at once) settles once: one 303, one 409, one event', async () => {
    const p = await create(shop);
    const post = () => fetch(p.payUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pay&method=card' });
    const [a, b] = await Promise.all([post(), post()]);
    expect([a.status, b.status].sort()).toEqual([303, 409]);
    expect(await eventsOf(pay.db, p.paymentId)).toHaveLength(1);
    expect(shop.store.events(p.paymentId).map((e) => e.kind)).toEqual(['settled']);
  });

  it('やめる cancels: the merchant records the cancelled event; a cancelled payment cannot be refunded', async () => {
    const p = await create(shop);
    const { res } = await payerChooses(p.payUrl, { action: 'cancel' });
    expect(res.status).toBe(303);
    expect(shop.store.events(p.paymentId).map((e) => [e.kind, e.status, e.settledAt])).toEqual([['cancelled', 'cancelled', null]]);
    await expectProblem(refundPayment(shop.node, { paymentId: p.paymentId, amount: 100, reason: '誤り', refundRef: 'R1' }), { status: 409, code: 'PAYMENT_NOT_SETTLED' });
  });

  it('a payment past its time can no longer be paid; the node\'s job closes it and tells the merchant (expired event)', async () => {
    const p = await create(shop);
    clock.advance(31 * 60_000);
    try {
      expect((await paymentStatus(shop.node, { paymentId: p.paymentId })).status).toBe('expired');
      const { res } = await payerChooses(p.payUrl, { action: 'pay', method: 'bank' });
      expect(res.status).toBe(410);
      expect(visibleText(await res.text())).toContain('お支払いの期限が過ぎました');
      expect(shop.store.events(p.paymentId)).toHaveLength(0);
      // The job: expire, then deliver (run here as the node's job does every minute).
      expect((await expirePayments(pay)).expired).toBeGreaterThanOrEqual(1);
      await deliverEvents(pay);
      expect(shop.store.events(p.paymentId).map((e) => [e.kind, e.status, e.settledAt])).toEqual([['expired', 'expired', null]]);
      expect((await expirePayments(pay)).expired).toBe(0); // once
      const again = await payerChooses(p.payUrl, { action: 'pay', method: 'bank' });
      expect(again.res.status).toBe(410);
      await expectProblem(refundPayment(shop.node, { paymentId: p.paymentId, amount: 1, reason: '誤り', refundRef: 'E-1' }), { status: 409, code: 'PAYMENT_NOT_SETTLED' });
    } finally {
      clock.advance(-31 * 60_000);
    }
  });
});

describe('forged and replayed events are refused, each with a named Problem, and nothing is recorded twice', () => {
  let settled: { paymentId: string; reference: string; jws: string };

  beforeAll(async () => {
    const p = await create(shop);
    await payerChooses(p.payUrl, { action: 'pay', method: 'bank' });
    settled = { paymentId: p.paymentId, reference: p.reference, jws: (await paymentStatus(shop.node, { paymentId: p.paymentId })).events[0]! };
  });

  it('another key (a payment node impostor) → PAYMENT_EVENT_BAD_SIGNATURE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-forger-'));
    try {
      const forger = NodeKeys.open(dir, 'payment'); // same name, its own key: not the one the directory publishes
      const jws = await signPaymentEvent(forger, { v: 1, iss: 'payment', aud: 'shop', eventId: randomUUID(), seq: 5, paymentId: settled.paymentId, reference: settled.reference, category: '登録手数料', kind: 'refunded', status: 'refunded', amount: 3000, refundId: randomUUID(), refundAmount: 3000, refundedTotal: 3000, settledAt: clock.now().toISOString(), at: clock.now().toISOString() });
      await expectProblem(acceptPaymentEvent(directory, jws, shop.store, { merchant: 'shop' }), { status: 401, code: 'PAYMENT_EVENT_BAD_SIGNATURE' });
      // Even under the real key id, another key's signature does not verify.
      const [h, b, s] = jws.split('.') as [string, string, string];
      const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), kid: NodeKeys.open(app.config.keyDir, 'payment').signingKey().kid };
      await expectProblem(acceptPaymentEvent(directory, `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${b}.${s}`, shop.store, { merchant: 'shop' }), { status: 401, code: 'PAYMENT_EVENT_BAD_SIGNATURE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(shop.store.events(settled.paymentId)).toHaveLength(1);
  });

  it('an altered amount → PAYMENT_EVENT_BAD_SIGNATURE; a validly signed event with another amount → PAYMENT_EVENT_AMOUNT_MISMATCH', async () => {
    const [h, b, s] = settled.jws.split('.') as [string, string, string];
    const body = { ...JSON.parse(Buffer.from(b, 'base64url').toString()), amount: 30, eventId: randomUUID(), seq: 9 };
    await expectProblem(acceptPaymentEvent(directory, `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`, shop.store, { merchant: 'shop' }), { status: 401, code: 'PAYMENT_EVENT_BAD_SIGNATURE' });
    const wrongAmount = await signedAsPayment({ aud: 'shop', paymentId: settled.paymentId, reference: settled.reference, amount: 30, seq: 9 });
    await expectProblem(acceptPaymentEvent(directory, wrongAmount, shop.store, { merchant: 'shop' }), { status: 409, code: 'PAYMENT_EVENT_AMOUNT_MISMATCH' });
    const otherId = await signedAsPayment({ aud: 'shop', paymentId: randomUUID(), reference: settled.reference, seq: 9 });
    await expectProblem(acceptPaymentEvent(directory, otherId, shop.store, { merchant: 'shop' }), { status: 409, code: 'PAYMENT_EVENT_REFERENCE_MISMATCH' });
    const unknown = await signedAsPayment({ aud: 'shop', paymentId: randomUUID(), reference: 'NOT-MINE' });
    await expectProblem(acceptPaymentEvent(directory, unknown, shop.store, { merchant: 'shop' }), { status: 404, code: 'PAYMENT_EVENT_UNKNOWN_PAYMENT' });
    await expectProblem(acceptPaymentEvent(directory, 'not.a-jws', shop.store, { merchant: 'shop' }), { status: 401, code: 'PAYMENT_EVENT_UNSIGNED' });
    expect(shop.store.events(settled.paymentId)).toHaveLength(1);
  });

  it('an event for another merchant → PAYMENT_EVENT_WRONG_AUDIENCE, also when the payment node delivers it over HTTP', async () => {
    const forOther = await signedAsPayment({ aud: 'othershop', paymentId: settled.paymentId, reference: settled.reference, seq: 2 });
    await expectProblem(acceptPaymentEvent(directory, forOther, shop.store, { merchant: 'shop' }), { status: 403, code: 'PAYMENT_EVENT_WRONG_AUDIENCE' });
    await expectProblem(pay.node.call('shop', 'payment.notify', { event: forOther }), { status: 403, code: 'PAYMENT_EVENT_WRONG_AUDIENCE' });
    // Another organisation may not notify at all (the service is the payment node's only).
    await expectProblem(other.node.call('shop', 'payment.notify', { event: settled.jws }), { status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    // …nor see or refund another merchant's payment.
    await expectProblem(paymentStatus(other.node, { paymentId: settled.paymentId }), { status: 404, code: 'PAYMENT_NOT_FOUND' });
    await expectProblem(refundPayment(other.node, { paymentId: settled.paymentId, amount: 1, reason: '不正', refundRef: 'X' }), { status: 404, code: 'PAYMENT_NOT_FOUND' });
    expect(shop.store.events(settled.paymentId)).toHaveLength(1);
  });

  it('the same event again → PAYMENT_EVENT_REPLAY; an older one under a new id → PAYMENT_EVENT_STALE; the message itself again → EXCHANGE_REPLAY', async () => {
    await expectProblem(pay.node.call('shop', 'payment.notify', { event: settled.jws }), { status: 409, code: 'PAYMENT_EVENT_REPLAY' });
    await expectProblem(acceptPaymentEvent(directory, settled.jws, shop.store, { merchant: 'shop' }), { status: 409, code: 'PAYMENT_EVENT_REPLAY' });
    const older = await signedAsPayment({ aud: 'shop', paymentId: settled.paymentId, reference: settled.reference, seq: 1, kind: 'cancelled', status: 'cancelled', settledAt: null });
    await expectProblem(acceptPaymentEvent(directory, older, shop.store, { merchant: 'shop' }), { status: 409, code: 'PAYMENT_EVENT_STALE' });
    // A captured notify message posted again: the message layer refuses the replayed message id.
    const { jws } = await sealEnvelope(pay.node.keys, directory, clock.now(), { to: 'shop', svc: 'payment.notify', body: { event: settled.jws } });
    const post = () => fetch(`${shop.url}/exchange/v1/payment.notify`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
    expect((await post()).status).toBe(409); // PAYMENT_EVENT_REPLAY (the event is recorded already)
    const second = await post();
    expect(second.status).toBe(409);
    expect(((await second.json()) as { code: string }).code).toBe('EXCHANGE_REPLAY');
    expect(shop.store.events(settled.paymentId)).toHaveLength(1);
  });
});

describe('refunds (full or partial, never above what was paid) and totals', () => {
  let p: Awaited<ReturnType<typeof create>>;

  beforeAll(async () => {
    p = await create(shop, { amount: 3000 });
    await payerChooses(p.payUrl, { action: 'pay', method: 'card' });
  });

  it('partial, the same refund again (idempotent), over-refund refused, then the rest; each by a signed event', async () => {
    const r1 = await refundPayment(shop.node, { paymentId: p.paymentId, amount: 1000, reason: '申請の取下げ（一部返金）', refundRef: 'WD-1' });
    expect(r1).toMatchObject({ amount: 1000, refundedTotal: 1000, status: 'partially_refunded', created: true });
    const again = await refundPayment(shop.node, { paymentId: p.paymentId, amount: 1000, reason: '申請の取下げ（一部返金）', refundRef: 'WD-1' });
    expect(again).toMatchObject({ refundId: r1.refundId, refundedTotal: 1000, created: false, event: r1.event });
    await expectProblem(refundPayment(shop.node, { paymentId: p.paymentId, amount: 2001, reason: '過大', refundRef: 'WD-2' }), { status: 409, code: 'PAYMENT_REFUND_EXCEEDS' });
    expect((await paymentStatus(shop.node, { paymentId: p.paymentId })).refundedTotal).toBe(1000);
    const r2 = await refundPayment(shop.node, { paymentId: p.paymentId, amount: 2000, reason: '申請の取下げ', refundRef: 'WD-3' });
    expect(r2).toMatchObject({ refundedTotal: 3000, status: 'refunded' });
    await expectProblem(refundPayment(shop.node, { paymentId: p.paymentId, amount: 1, reason: '過大', refundRef: 'WD-4' }), { status: 409, code: 'PAYMENT_REFUND_EXCEEDS' });
    // The refund events reach the merchant by callback (sent right after each answer), verified and in order.
    await vi.waitFor(() => expect(shop.store.events(p.paymentId)).toHaveLength(3), { timeout: 5_000, interval: 20 });
    expect(shop.store.events(p.paymentId).map((e) => [e.seq, e.kind, e.status, e.refundAmount ?? null, e.refundedTotal])).toEqual([
      [1, 'settled', 'settled', null, 0], [2, 'refunded', 'partially_refunded', 1000, 1000], [3, 'refunded', 'refunded', 2000, 3000],
    ]);
    // The refund answer's event is the same signed event the callback carried.
    expect((await verifyPaymentEvent(directory, r1.event, { merchant: 'shop' })).seq).toBe(2);
  });

  it('two refunds at once that together exceed the payment: one made, the other refused', async () => {
    const q = await create(shop, { amount: 3000 });
    await payerChooses(q.payUrl, { action: 'pay', method: 'card' });
    const ask = (ref: string) => refundPayment(shop.node, { paymentId: q.paymentId, amount: 2000, reason: '取下げ', refundRef: ref }).then(() => 'ok', (e: { code?: string }) => e.code);
    expect((await Promise.all([ask('C-1'), ask('C-2')])).sort()).toEqual(['PAYMENT_REFUND_EXCEEDS', 'ok']);
    expect((await paymentStatus(shop.node, { paymentId: q.paymentId })).refundedTotal).toBe(2000);
  });

  it('totals for a period and a category: income by settlement date, refunds by refund date, net (JST days)', async () => {
    const day = (n: number) => clock.set(`${addDaysIso(TEST_TODAY, n)}T10:00:00+09:00`);
    try {
      // A fresh period 40 days ahead: 2 registration fees, 1 reissue fee, 1 refund the day after.
      day(40);
      const a = await create(shop, { amount: 15_000, category: '登録手数料' });
      await payerChooses(a.payUrl, { action: 'pay', method: 'card' });
      const b = await create(shop, { amount: 9_000, category: '登録手数料' });
      await payerChooses(b.payUrl, { action: 'pay', method: 'bank' });
      const c = await create(shop, { amount: 3_050, category: '再交付手数料' });
      await payerChooses(c.payUrl, { action: 'pay', method: 'card' });
      const cancelled = await create(shop, { amount: 7_000, category: '登録手数料' });
      await payerChooses(cancelled.payUrl, { action: 'cancel' });
      const o = await create(other, { amount: 1_000, category: '登録手数料' });
      await payerChooses(o.payUrl, { action: 'pay', method: 'card' });
      day(41);
      await refundPayment(shop.node, { paymentId: b.paymentId, amount: 4_000, reason: '減額', refundRef: 'T-1' });
      const from = addDaysIso(TEST_TODAY, 40);
      const to = addDaysIso(TEST_TODAY, 41);
      const all = await paymentTotals(shop.node, { from, to });
      expect(all).toMatchObject({ income: 27_050, refunds: 4_000, net: 23_050, payments: 3, refundCount: 1, category: null });
      expect(all.byCategory).toEqual([
        { category: '再交付手数料', income: 3_050, refunds: 0, net: 3_050, payments: 1, refundCount: 0 },
        { category: '登録手数料', income: 24_000, refunds: 4_000, net: 20_000, payments: 2, refundCount: 1 },
      ]);
      expect(await paymentTotals(shop.node, { from, to, category: '登録手数料' })).toMatchObject({ income: 24_000, refunds: 4_000, net: 20_000 });
      expect(await paymentTotals(shop.node, { from, to: from, category: '登録手数料' })).toMatchObject({ income: 24_000, refunds: 0, net: 24_000 });
      expect(await paymentTotals(shop.node, { from: to, to })).toMatchObject({ income: 0, refunds: 4_000, net: -4_000 });
      expect(await paymentTotals(other.node, { from, to })).toMatchObject({ income: 1_000, refunds: 0, net: 1_000 });
      await expectProblem(paymentTotals(shop.node, { from: to, to: from }), { status: 400, field: 'to' });
    } finally {
      clock.set(TEST_NOW);
    }
  });
});

// A merchant that keeps its own tables, as the registry will: its applications (what it asked for, paid or
// not) and the events it recorded, in one transaction per event with the application row locked.
interface SqlStore extends PaymentEventStore {
  readonly trx: Kysely<UntypedDatabase>;
}
const sqlStore = (trx: Kysely<UntypedDatabase>): SqlStore => ({
  trx,
  async payment(reference) {
    const r = await sql<{ payment_id: string | null; amount: number }>`SELECT payment_id, amount FROM test_merchant.applications WHERE reference = ${reference} FOR UPDATE`.execute(trx);
    return r.rows[0] && { paymentId: r.rows[0].payment_id, amount: r.rows[0].amount };
  },
  async hasEvent(eventId) {
    return (await sql`SELECT 1 FROM test_merchant.payment_events WHERE event_id = ${eventId}`.execute(trx)).rows.length > 0;
  },
  async latestSeq(paymentId) {
    return (await sql<{ n: number }>`SELECT coalesce(max(seq), 0)::int AS n FROM test_merchant.payment_events WHERE payment_id = ${paymentId}`.execute(trx)).rows[0]!.n;
  },
  async record(e) {
    const r = await sql`INSERT INTO test_merchant.payment_events (event_id, payment_id, seq, kind) VALUES (${e.eventId}, ${e.paymentId}, ${e.seq}, ${e.kind}) ON CONFLICT DO NOTHING`.execute(trx);
    return Number(r.numAffectedRows ?? 0) === 1;
  },
});

describe('a merchant with its own tables (the registry\'s pattern)', () => {
  let registry: ExchangeNode;
  let url: string;
  const db = () => untyped(app.db.system);
  const withStore = <T,>(fn: (store: SqlStore) => Promise<T>) => db().transaction().execute((trx) => fn(sqlStore(trx)));
  const application = async (reference: string) =>
    (await sql<{ paid: boolean; refunded: number; payment_id: string | null }>`SELECT paid, refunded, payment_id FROM test_merchant.applications WHERE reference = ${reference}`.execute(db())).rows[0]!;

  beforeAll(async () => {
    await sql`CREATE SCHEMA test_merchant`.execute(db());
    await sql`CREATE TABLE test_merchant.applications (reference text PRIMARY KEY, amount int NOT NULL, payment_id uuid, paid boolean NOT NULL DEFAULT false, refunded int NOT NULL DEFAULT 0)`.execute(db());
    await sql`CREATE TABLE test_merchant.payment_events (event_id uuid PRIMARY KEY, payment_id uuid NOT NULL, seq int NOT NULL, kind text NOT NULL, UNIQUE (payment_id, seq))`.execute(db());
    registry = new ExchangeNode('sqlshop', NodeKeys.open(app.config.keyDir, 'sqlshop'), directory, new MessageLog(db(), 'municipality', 'sqlshop'), clock);
    const f = await createNodeServer('sqlshop');
    registry.serve(f, {
      'payment.notify': paymentNotifyService<SqlStore>({
        merchant: 'sqlshop',
        directory,
        withStore,
        // The completion rule (QUA-20) acts in the same transaction as the record of the event.
        onEvent: async (e, store) => {
          const paid = e.status === 'settled' || e.status === 'partially_refunded' || e.status === 'refunded';
          await sql`UPDATE test_merchant.applications SET payment_id = ${e.paymentId}, paid = ${paid}, refunded = ${e.refundedTotal} WHERE reference = ${e.reference}`.execute(store.trx);
        },
      }),
    });
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.set('sqlshop', f);
    const a = f.server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    directory.set({ name: 'sqlshop', title: '模擬 登録センター（表あり）', url });
    await addPaymentMerchant(app, { node: 'sqlshop', merchantCode: 'SQLSHOP1', name: '模擬 国家資格登録センター（表あり）' });
  });

  it('the application is paid only by the verified event, recorded once even when delivered twice at once; a refund is recorded by its answer', async () => {
    await sql`INSERT INTO test_merchant.applications (reference, amount) VALUES ('REG-1', 15000)`.execute(db());
    const p = await createPayment(registry, { reference: 'REG-1', amount: 15000, category: '登録手数料', payer: 'applicant-0001', returnUrl: `${url}/done` });
    expect(await application('REG-1')).toMatchObject({ paid: false });
    const { res } = await payerChooses(p.payUrl, { action: 'pay', method: 'bank' });
    expect(res.status).toBe(303);
    expect(await application('REG-1')).toEqual({ paid: true, refunded: 0, payment_id: p.paymentId });
    // The same event delivered twice at once: one answer is REPLAY, one row.
    const jws = (await paymentStatus(registry, { paymentId: p.paymentId })).events[0]!;
    await sql`DELETE FROM test_merchant.payment_events`.execute(db());
    const answers = await Promise.all([1, 2].map(() => pay.node.call('sqlshop', 'payment.notify', { event: jws }).then(() => 'ok', (e: { code?: string }) => e.code)));
    expect(answers.sort()).toEqual(['PAYMENT_EVENT_REPLAY', 'ok']);
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM test_merchant.payment_events`.execute(db())).rows[0]!.n)).toBe(1);
    // Withdrawal: the refund's answer carries the signed event, accepted at once in the merchant's transaction.
    const r = await refundPayment(registry, { paymentId: p.paymentId, amount: 15000, reason: '申請の取下げ', refundRef: 'REG-1-WD' });
    await withStore(async (store) => {
      const e = await acceptPaymentEvent(directory, r.event, store, { merchant: 'sqlshop' }).catch((x: { code?: string }) => x.code);
      if (typeof e === 'object') await sql`UPDATE test_merchant.applications SET refunded = ${e.refundedTotal} WHERE reference = ${e.reference}`.execute(store.trx);
    });
    await vi.waitFor(async () => expect(await application('REG-1')).toMatchObject({ refunded: 15000 }), { timeout: 5_000, interval: 20 });
    expect((await sql<{ kind: string }>`SELECT kind FROM test_merchant.payment_events ORDER BY seq`.execute(db())).rows.map((x) => x.kind)).toEqual(['settled', 'refunded']);
  });
});

describe('mamori payment merchant', () => {
  it('registers an organisation as a merchant (again: changed), and refuses a bad merchant code with the field named', async () => {
    const env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
    const r = await runCli(['payment', 'merchant', '--node', 'thirdshop', '--code', 'THIRD001', '--name', '模擬 第三の加盟店', '--return-origin', 'https://third.example.jp', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ node: 'thirdshop', merchantCode: 'THIRD001', name: '模擬 第三の加盟店', returnOrigins: ['https://third.example.jp'], active: true });
    const again = await runCli(['payment', 'merchant', '--node', 'thirdshop', '--code', 'THIRD001', '--name', '模擬 第三の加盟店（改称）'], { env });
    expect(again.stdout).toContain('公金決済の加盟店「模擬 第三の加盟店（改称）」');
    expect((await merchantOf(pay.db, 'thirdshop'))?.name).toBe('模擬 第三の加盟店（改称）');
    const bad = await runCli(['payment', 'merchant', '--node', 'fourth', '--code', 'x', '--name', '模擬'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('merchantCode');
    expect(bad.stderr).toContain('加盟店コードは英大文字・数字の4〜16文字です');
  }, 60_000);
});

describe('when a node is down', () => {
  it('the merchant down at settlement: the payer is sent back, the event waits and is delivered later; a missed event can be pulled', async () => {
    const p1 = await create(shop);
    const p2 = await create(shop);
    await servers.get('shop')!.close();
    const { res } = await payerChooses(p1.payUrl, { action: 'pay', method: 'card' });
    expect(res.status).toBe(303);
    await payerChooses(p2.payUrl, { action: 'pay', method: 'card' });
    const waiting = await eventsOf(pay.db, p1.paymentId);
    expect(waiting).toMatchObject([{ seq: 1, delivered: false, lastError: expect.stringContaining('EXCHANGE_UNREACHABLE') }]);
    expect(shop.store.events(p1.paymentId)).toHaveLength(0);
    await listen(shop); // back, on a new port
    // p2: the merchant catches up by itself (pull), before the node's job comes round.
    const pulled = await syncPaymentEvents(shop.node, { paymentId: p2.paymentId }, (fn) => fn(shop.store));
    expect(pulled.map((e) => e.kind)).toEqual(['settled']);
    expect((await deliverEvents(pay)).failed).toBe(0); // p1 delivered; p2 "already received"
    expect(shop.store.events(p1.paymentId).map((e) => e.kind)).toEqual(['settled']);
    expect(shop.store.events(p2.paymentId)).toHaveLength(1);
    expect((await eventsOf(pay.db, p1.paymentId))[0]).toMatchObject({ delivered: true, lastError: null });
    expect((await eventsOf(pay.db, p2.paymentId))[0]).toMatchObject({ delivered: true });
  });

  it('an organisation that is not a merchant cannot create payments', async () => {
    {
      const stranger = new ExchangeNode('stranger', NodeKeys.open(app.config.keyDir, 'stranger'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'stranger'), clock);
      const f = await createNodeServer('stranger');
      stranger.serve(f, {});
      await f.listen({ host: '127.0.0.1', port: 0 });
      servers.set('stranger', f);
      const a = f.server.address();
      directory.set({ name: 'stranger', title: '未登録の組織', url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
      await expectProblem(createPayment(stranger, { reference: 'S-1', amount: 100, category: '登録手数料', payer: 'payer-stranger', returnUrl: 'https://example.jp/' }), { status: 403, code: 'PAYMENT_MERCHANT_UNKNOWN' });
      // A return URL outside the merchant's site is refused (no open redirect through the payment page).
      await expectProblem(createPayment(shop.node, { reference: 'S-2', amount: 100, category: '登録手数料', payer: 'payer-stranger', returnUrl: 'https://evil.example/' }), { status: 400, code: 'RETURN_URL_NOT_ALLOWED', field: 'returnUrl' });
    }
  });

  it('no My Number: refused as a payer id by the client and by the node; none in either message log or the node\'s tables', async () => {
    const n = syntheticMyNumber('payment', 1);
    const e = await expectProblem(createPayment(shop.node, { reference: 'MN-1', amount: 100, category: '登録手数料', payer: n, returnUrl: `${shop.url}/x` }), { status: 400, code: 'PAYER_LOOKS_LIKE_MYNUMBER', field: 'payer' });
    expect(findMyNumbers(JSON.stringify(e))).toEqual([]);
    // Sent raw past the client: the node refuses it too (the exchange message is encrypted, the log has digests only).
    await expectProblem(shop.node.call('payment', 'payment.create', { reference: 'MN-2', amount: 100, category: '登録手数料', payer: n, returnUrl: `${shop.url}/x` }, { personal: true }), { status: 400 });
    const logs = JSON.stringify([(await (await messageLogOf(app, 'payment')).list({ limit: 10_000 })).rows, (await shop.node.log.list({ limit: 10_000 })).rows]);
    expect(findMyNumbers(logs)).toEqual([]);
    const tables = await sql<{ t: string }>`SELECT (SELECT json_agg(p) FROM peers_payment.payments p)::text || (SELECT json_agg(r) FROM peers_payment.refunds r)::text || (SELECT json_agg(e) FROM peers_payment.events e)::text AS t`.execute(app.db.system);
    expect(tables.rows[0]!.t.length).toBeGreaterThan(100);
    expect(findMyNumbers(tables.rows[0]!.t)).toEqual([]);
  });

  it('the payment node down: creating a payment fails cleanly (503, nothing created)', async () => {
    const before = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_payment.payments`.execute(app.db.system)).rows[0]!.n);
    expect(await orgs.stop('payment')).toBe(true);
    shop.store.expect('DOWN-1', 3000);
    await expectProblem(createPayment(shop.node, { reference: 'DOWN-1', amount: 3000, category: '登録手数料', payer: 'payer-down-1', returnUrl: `${shop.url}/x` }), { status: 503, code: 'EXCHANGE_UNREACHABLE' });
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_payment.payments`.execute(app.db.system)).rows[0]!.n)).toBe(before);
  });
});
