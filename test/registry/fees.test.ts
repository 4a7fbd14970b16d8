// Fees of an application (issue 15 Must have 7; QUA-19…22; decisions 0196–0198), on real PostgreSQL with the
// 公金決済 node and the registry node started as their own organisations, talking over HTTP: fees opened from
// the catalog; settlement required before completion; online payment through the payer page with the signed
// event accepted by the registry (forged, altered and replayed events refused, nothing booked); the sync job
// as a fallback when the callback is lost; the revenue-stamp path recorded by staff; refunds on withdrawal
// (online through the payment node, stamps recorded as returned); a payment made after withdrawal refunded
// by itself; income and expenditure for a period and category, reconciling with the payment node's totals;
// the portal's service; the staff API; the CLI.  No My Number in any fee table or answer.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPaymentMerchant, paymentDeps, startOrganisations, type Organisations } from '../../src/app/index.js';
import { SetClock } from '../../src/kernel/clock/index.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { createNodeServer, exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { jstToday } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { paymentTotals, signPaymentEvent, type PaymentEvent } from '../../src/kernel/payment/index.js';
import type { PaymentDeps } from '../../src/peers/payment/index.js';
import {
  applyForStaff, approveStaff, assertFeesSettled, catalog, feeSettlement, confirmFeeAmount, feeStatus, feeTotals, getApplication, insertApplication, issueStaffToken, openFees, payFees,
  recordStampPayment, recordStampRefund, refundOnWithdrawal, REGISTRY_ROLE, RegistrySecrets, syncAdministrators, syncFeePayments, transitionApplication, withRegistryTenant,
  type ApplicationView, type FeeDeps, type FeeStatus, type Procedure,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { TEST_NOW, TEST_TODAY } from '../harness/clock.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';

const clock = new SetClock(TEST_NOW, { frozen: true });
let app: TestApp;
let payOrgs: Organisations;
let regOrgs: Organisations;
let db: Kysely<UntypedDatabase>;
let secrets: RegistrySecrets;
let deps: FeeDeps;
let pay: PaymentDeps;
let registryUrl: string;
let portal: ExchangeNode;
let portalServer: FastifyInstance;
const numbers: string[] = [];

function myNumber(): string {
  const n = syntheticMyNumber('registry-fees', numbers.length);
  numbers.push(n);
  return n;
}

async function newApplication(qualification: string, channel: 'online' | 'paper', procedure: Procedure = 'new'): Promise<ApplicationView> {
  const tenant = catalog().qualification(qualification)!.administrator;
  return withRegistryTenant(db, tenant, async (tx) => {
    const a = await insertApplication(tx, { clock, secrets }, tenant, {
      qualification,
      procedure,
      channel,
      form: { 氏名: { 姓: '手数', 名: '花子' } },
      registrationNo: procedure === 'new' ? null : 1,
      myNumber: myNumber(),
      portalPseudonym: channel === 'online' ? `mp-${randomBytes(8).toString('hex')}` : null,
      signed: channel === 'online' ? { text: '{"申請":"模擬"}', certPem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----', signature: 'c2ln' } : null,
      identityProof: channel === 'paper' ? { documents: ['マイナンバーカード'], checkedBy: 'madoguchi1' } : null,
      receivedBy: channel === 'online' ? 'mynaportal' : 'madoguchi1',
    });
    await openFees(tx, clock, a);
    return (await getApplication(tx, a.id))!;
  });
}

async function status(a: ApplicationView): Promise<FeeStatus> {
  return withRegistryTenant(db, a.tenant, async (tx) => feeStatus(tx, (await getApplication(tx, a.id))!));
}

async function reload(a: ApplicationView): Promise<ApplicationView> {
  return withRegistryTenant(db, a.tenant, async (tx) => (await getApplication(tx, a.id))!);
}

/** The payer's browser on the payment node's page: chooses card and pays (or cancels). */
async function payerPays(payUrl: string, action: 'pay' | 'cancel' = 'pay'): Promise<Response> {
  expect((await fetch(payUrl)).status).toBe(200);
  return fetch(payUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(payUrl).origin },
    body: new URLSearchParams(action === 'pay' ? { action, method: 'card' } : { action }).toString(),
  });
}

const returnUrl = () => `${registryUrl}/portal/return`;

async function withdraw(a: ApplicationView): Promise<void> {
  await withRegistryTenant(db, a.tenant, (tx) => transitionApplication(tx, clock, a.id, { from: ['received', 'returned'], to: 'withdrawn', by: 'applicant', reason: '申請者による取下げ' }));
}

/** Every row of the fee tables, as text (for the leak scan). */
async function feeTablesText(): Promise<string> {
  let out = '';
  for (const t of ['application_fees', 'fee_payments', 'fee_payment_events', 'fee_ledger']) {
    out += JSON.stringify((await sql.raw(`SELECT row_to_json(x)::text AS j FROM registry.${t} x`).execute(app.db.system)).rows);
  }
  return out;
}

beforeAll(async () => {
  app = await testApp('server', { clock });
  payOrgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'payment' });
  regOrgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry', directoryEntries: payOrgs.directory.list() });
  const reg = regOrgs.directory.entry('registry');
  payOrgs.directory.set(reg);
  registryUrl = reg.url;
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, clock);
  secrets = RegistrySecrets.open(app.config.keyDir);
  const node: ExchangeNode = exchangeNodeFor({ name: 'registry', schema: 'registry', db, keyDir: app.config.keyDir, directory: regOrgs.directory, clock });
  deps = { db, clock, node };
  pay = await paymentDeps(app, payOrgs.directory);
  // The マイナポータル's end of the message layer (its keys published), the caller of applications.fees.
  portal = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: untyped(app.db.system), keyDir: app.config.keyDir, directory: regOrgs.directory, clock });
  portalServer = await createNodeServer('mynaportal');
  portal.serve(portalServer, {});
  await portalServer.listen({ host: '127.0.0.1', port: 0 });
  const addr = portalServer.server.address();
  regOrgs.directory.set({ name: 'mynaportal', title: 'マイナポータル', url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
  await addPaymentMerchant(app, { node: 'registry', merchantCode: 'REG00001', name: '厚生労働省 国家資格登録' });
}, 120_000);

afterAll(async () => {
  await portalServer?.close();
  await regOrgs?.close();
  await payOrgs?.close();
  await app?.cleanup();
});

describe('fees opened from the catalog, settlement required before completion (QUA-20)', () => {
  it('opens one line per fee of the qualification and procedure; nothing due is settled at once', async () => {
    const nurse = await newApplication('kangoshi', 'online');
    expect((await status(nurse)).lines.map((l) => [l.kind, l.amount])).toEqual([['登録免許税', 9000]]);
    const care = await newApplication('kaigofukushishi', 'paper');
    const s = await status(care);
    expect(s.lines.map((l) => [l.kind, l.amount])).toEqual([['登録免許税', 9000], ['登録手数料', 3320]]);
    expect(s).toMatchObject({ due: 12320, outstanding: 12320, settled: false, opened: true });
    // Opening again changes nothing.
    await withRegistryTenant(db, care.tenant, (tx) => openFees(tx, clock, care));
    expect((await status(care)).lines).toHaveLength(2);
    expect((await reload(care)).events.filter((e) => e.kind === 'fees_opened')).toHaveLength(1);
    // 抹消 on request costs nothing: settled, with the event examination's placeholder reads.
    const erase = await newApplication('ishi', 'paper', 'erasure');
    expect(await status(erase)).toMatchObject({ due: 0, settled: true, lines: [] });
    expect((await reload(erase)).events.map((e) => e.kind)).toEqual(['received', 'fees_opened', 'fee_settled']);
    await withRegistryTenant(db, erase.tenant, (tx) => assertFeesSettled(tx, erase));
  });

  it('refuses completion while unpaid (FEES_NOT_SETTLED) and while an amount is unknown (FEE_AMOUNT_UNKNOWN) until a supervisor confirms it', async () => {
    const a = await newApplication('yakuzaishi', 'online');
    const e = await expectProblem(withRegistryTenant(db, a.tenant, (tx) => assertFeesSettled(tx, a)), { status: 409, code: 'FEES_NOT_SETTLED', field: 'fees' });
    expect(e.detail).toContain('30,000円');
    // The seam examination calls (settlement.ts): the same answer from only the id, qualification and procedure.
    const seam = { id: a.id, qualification: a.qualification, procedure: a.procedure };
    expect(await withRegistryTenant(db, a.tenant, (tx) => feeSettlement(tx, seam))).toMatchObject({ settled: false, amount: 30000, outstanding: 30000 });
    await expectProblem(withRegistryTenant(db, a.tenant, (tx) => assertFeesSettled(tx, seam)), { status: 409, code: 'FEES_NOT_SETTLED' });
    const c = await newApplication('kaigofukushishi', 'paper', 'correction');
    await expectProblem(withRegistryTenant(db, c.tenant, (tx) => assertFeesSettled(tx, c)), { status: 409, code: 'FEE_AMOUNT_UNKNOWN' });
    await expectProblem(recordStampPayment(db, clock, c.tenant, c.id, { instrument: '収入印紙', amount: 1000, seenOn: TEST_TODAY, by: 'madoguchi1' }), { status: 409, code: 'FEE_AMOUNT_UNKNOWN' });
    await confirmFeeAmount(db, clock, c.tenant, c.id, { kind: '手数料', amount: 1000, source: '社会福祉士及び介護福祉士法施行令（模擬確認）', by: 'chief1' });
    await expectProblem(confirmFeeAmount(db, clock, c.tenant, c.id, { kind: '手数料', amount: 2000, source: '二度目の確定', by: 'chief1' }), { status: 409, code: 'FEE_AMOUNT_KNOWN' });
    const s = await recordStampPayment(db, clock, c.tenant, c.id, { instrument: '収入印紙', amount: 1000, seenOn: TEST_TODAY, by: 'madoguchi1' });
    expect(s.settled).toBe(true);
    await withRegistryTenant(db, c.tenant, (tx) => assertFeesSettled(tx, c));
  });
});

describe('online payment through 公金決済 (QUA-19)', () => {
  let a: ApplicationView;
  let settledEvent: string;

  it('answers the payer page URL, reuses a pending payment, and settles on the signed event the payment node delivers', async () => {
    a = await newApplication('kangoshi', 'online');
    const p = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
    expect(p).toMatchObject({ settled: false, outstanding: 9000 });
    expect(p.payUrl!.startsWith(`${payOrgs.directory.entry('payment').url}/pay/`)).toBe(true);
    expect(p.reference).toBe(`${a.tenant}.${a.id}.1`);
    // Asking again while it is pending: the same page.
    expect(await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() })).toMatchObject({ payUrl: p.payUrl, paymentId: p.paymentId });
    const page = await fetch(p.payUrl!);
    expect(await page.text()).toContain('9,000');
    const res = await payerPays(p.payUrl!);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')!.startsWith(returnUrl())).toBe(true);
    const s = await status(a);
    expect(s).toMatchObject({ settled: true, received: 9000, outstanding: 0 });
    expect(s.payments[0]).toMatchObject({ status: 'settled', amount: 9000, paymentId: p.paymentId });
    expect(s.ledger).toEqual([expect.objectContaining({ entry: 'receipt', channel: 'online', kind: '登録免許税', amount: 9000, bookedOn: jstToday(clock.now()), recordedBy: 'payment' })]);
    expect((await reload(a)).events.map((e) => e.kind)).toEqual(['received', 'fees_opened', 'fee_payment_created', 'fee_paid', 'fee_settled']);
    await withRegistryTenant(db, a.tenant, (tx) => assertFeesSettled(tx, a));
    // Nothing more to pay: no new payment.
    expect(await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() })).toEqual({ applicationId: a.id, settled: true, outstanding: 0 });
    settledEvent = (await withRegistryTenant(db, a.tenant, (tx) => sql<{ jws: string }>`SELECT jws FROM registry.fee_payment_events WHERE reference = ${p.reference}`.execute(tx))).rows[0]!.jws;
  });

  it('refuses a forged event (another key), a validly signed one with another amount, and a replay — over HTTP from the payment node, nothing booked', async () => {
    const before = await status(a);
    const e: PaymentEvent = JSON.parse(Buffer.from(settledEvent.split('.')[1]!, 'base64url').toString('utf8'));
    const forgedJws = await signWithOtherKey({ ...e, eventId: randomUUID(), seq: 2 });
    await expectProblem(pay.node.call('registry', 'payment.notify', { event: forgedJws }), { status: 401, code: 'PAYMENT_EVENT_BAD_SIGNATURE' });
    const altered = await signPaymentEvent(pay.node.keys, { ...e, eventId: randomUUID(), seq: 2, amount: 1 });
    await expectProblem(pay.node.call('registry', 'payment.notify', { event: altered }), { status: 409, code: 'PAYMENT_EVENT_AMOUNT_MISMATCH' });
    await expectProblem(pay.node.call('registry', 'payment.notify', { event: settledEvent }), { status: 409, code: 'PAYMENT_EVENT_REPLAY' });
    const stale = await signPaymentEvent(pay.node.keys, { ...e, eventId: randomUUID() });
    await expectProblem(pay.node.call('registry', 'payment.notify', { event: stale }), { status: 409, code: 'PAYMENT_EVENT_STALE' });
    // A reference the registry never made.
    const unknown = await signPaymentEvent(pay.node.keys, { ...e, eventId: randomUUID(), reference: `mhlw-isei.${randomUUID()}.1`, paymentId: randomUUID() });
    await expectProblem(pay.node.call('registry', 'payment.notify', { event: unknown }), { status: 404, code: 'PAYMENT_EVENT_UNKNOWN_PAYMENT' });
    // Only the payment node may notify.
    await expectProblem(portal.call('registry', 'payment.notify', { event: settledEvent }), { status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    const after = await status(a);
    expect(after.ledger).toEqual(before.ledger);
    expect(after.received).toBe(9000);
  });

  it('a lost callback is caught up by the sync job (pull), once', async () => {
    const b = await newApplication('hokenshi', 'online');
    const p = await payFees(deps, b.tenant, b.id, { returnUrl: returnUrl() });
    // The registry unreachable for the payment node while the payer pays.
    payOrgs.directory.set({ name: 'registry', title: '国家資格等情報連携・活用システム（厚生労働省）', url: 'http://127.0.0.1:9' });
    try {
      expect((await payerPays(p.payUrl!)).status).toBe(303);
    } finally {
      payOrgs.directory.set(regOrgs.directory.entry('registry'));
    }
    expect((await status(b)).settled).toBe(false);
    const r = await syncFeePayments(deps);
    expect(r.accepted).toBeGreaterThanOrEqual(1);
    expect(r.failed).toBe(0);
    expect(await status(b)).toMatchObject({ settled: true, received: 9000 });
    // Again: nothing new.
    expect((await syncFeePayments(deps)).accepted).toBe(0);
    expect((await status(b)).ledger).toHaveLength(1);
  });

  it('a cancelled payment leaves the fee open and a new payment can be made', async () => {
    const c = await newApplication('josanshi', 'online');
    const p1 = await payFees(deps, c.tenant, c.id, { returnUrl: returnUrl() });
    expect((await payerPays(p1.payUrl!, 'cancel')).status).toBe(303);
    expect(await status(c)).toMatchObject({ settled: false, outstanding: 9000 });
    const p2 = await payFees(deps, c.tenant, c.id, { returnUrl: returnUrl() });
    expect(p2.reference).toBe(`${c.tenant}.${c.id}.2`);
    expect(p2.payUrl).not.toBe(p1.payUrl);
    await payerPays(p2.payUrl!);
    expect((await status(c)).settled).toBe(true);
    expect((await reload(c)).events.map((e) => e.kind)).toContain('fee_payment_cancelled');
  });
});

async function signWithOtherKey(e: PaymentEvent): Promise<string> {
  const { CompactSign, generateKeyPair } = await import('jose');
  const { privateKey } = await generateKeyPair('ES256');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(e))).setProtectedHeader({ alg: 'ES256', kid: 'forged', typ: 'mamori-payment-event+jws' }).sign(privateKey);
}

describe('the revenue-stamp path (収入印紙 / 領収証書) recorded by staff (QUA-19)', () => {
  it('records what staff saw, line by line; refuses over-payment, a missing kind, a future date; idempotent per record id', async () => {
    const a = await newApplication('kaigofukushishi', 'paper');
    await expectProblem(recordStampPayment(db, clock, a.tenant, a.id, { instrument: '収入印紙', amount: 9000, seenOn: TEST_TODAY, by: 'madoguchi1' }), { status: 422, code: 'FEE_KIND_REQUIRED', field: 'kind' });
    await expectProblem(recordStampPayment(db, clock, a.tenant, a.id, { kind: '登録免許税', instrument: '収入印紙', amount: 9001, seenOn: TEST_TODAY, by: 'madoguchi1' }), { status: 409, code: 'FEE_OVERPAID', field: 'amount' });
    await expectProblem(recordStampPayment(db, clock, a.tenant, a.id, { kind: '登録免許税', instrument: '収入印紙', amount: 9000, seenOn: '2999-01-01', by: 'madoguchi1' }), { status: 422, code: 'DATE_IN_FUTURE' });
    await expectProblem(recordStampPayment(db, clock, a.tenant, a.id, { kind: '登録免許税', instrument: '小切手', amount: 9000, seenOn: TEST_TODAY, by: 'madoguchi1' }), { status: 400, field: 'instrument' });
    const id = randomUUID();
    const one = { id, kind: '登録免許税', instrument: '収入印紙', amount: 9000, seenOn: TEST_TODAY, reference: '9,000円分、消印済み', by: 'madoguchi1' } as const;
    expect(await recordStampPayment(db, clock, a.tenant, a.id, one)).toMatchObject({ received: 9000, outstanding: 3320, settled: false });
    expect(await recordStampPayment(db, clock, a.tenant, a.id, one)).toMatchObject({ received: 9000 });
    await expectProblem(withRegistryTenant(db, a.tenant, (tx) => assertFeesSettled(tx, a)), { code: 'FEES_NOT_SETTLED' });
    const s = await recordStampPayment(db, clock, a.tenant, a.id, { instrument: '領収証書', amount: 3320, seenOn: TEST_TODAY, reference: '領収証書 No.123', by: 'madoguchi1' });
    expect(s).toMatchObject({ settled: true, received: 12320 });
    expect(s.ledger.map((l) => [l.channel, l.kind, l.amount, l.evidence['instrument'], l.recordedBy]).sort((x, y) => Number(y[2]) - Number(x[2]))).toEqual([
      ['stamp', '登録免許税', 9000, '収入印紙', 'madoguchi1'],
      ['stamp', '登録手数料', 3320, '領収証書', 'madoguchi1'],
    ]);
    await withRegistryTenant(db, a.tenant, (tx) => assertFeesSettled(tx, a));
    expect((await reload(a)).events.filter((e) => e.kind === 'fee_settled')).toHaveLength(1);
  });
});

describe('refunds on withdrawal (QUA-20)', () => {
  it('refunds an online payment through the payment node, once; the history and the ledger show it', async () => {
    const a = await newApplication('rigakuryohoshi', 'online');
    const p = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
    await payerPays(p.payUrl!);
    await expectProblem(refundOnWithdrawal(deps, a.tenant, a.id), { status: 409, code: 'APPLICATION_STATE' });
    await withdraw(a);
    const r = await refundOnWithdrawal(deps, a.tenant, a.id);
    expect(r).toMatchObject({ refundedOnline: 9000, stampOwed: 0 });
    expect(r.fees).toMatchObject({ received: 9000, refunded: 9000, net: 0 });
    expect(r.fees.payments[0]).toMatchObject({ status: 'refunded', refundedTotal: 9000 });
    expect((await refundOnWithdrawal(deps, a.tenant, a.id)).refundedOnline).toBe(0);
    expect((await reload(a)).events.map((e) => e.kind)).toEqual(['received', 'fees_opened', 'fee_payment_created', 'fee_paid', 'fee_settled', 'withdrawn', 'fee_refunded']);
    expect((await status(a)).ledger.filter((l) => l.entry === 'refund')).toEqual([expect.objectContaining({ channel: 'online', kind: '登録免許税', amount: 9000, evidence: expect.objectContaining({ method: 'payment' }) })]);
  });

  it('a payment made after the withdrawal is refunded by itself', async () => {
    const a = await newApplication('rinshokensagishi', 'online');
    const p = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
    await withdraw(a);
    await payerPays(p.payUrl!);
    expect(await status(a)).toMatchObject({ received: 9000, refunded: 9000, net: 0 });
    // A withdrawn application takes no new payment.
    await expectProblem(payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() }), { status: 409, code: 'APPLICATION_STATE' });
  });

  it('paid twice (stamps seen, then the open payment page paid): the excess is refunded by itself', async () => {
    const a = await newApplication('kangoshi', 'online');
    const p = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
    // The applicant declined to pay online after all and sent 収入印紙; staff record them …
    expect((await recordStampPayment(db, clock, a.tenant, a.id, { instrument: '収入印紙', amount: 9000, seenOn: TEST_TODAY, by: 'madoguchi1' })).settled).toBe(true);
    // … and then the still-open payment page is paid too.
    await payerPays(p.payUrl!);
    const s = await status(a);
    expect(s).toMatchObject({ settled: true, received: 18000, refunded: 9000, net: 9000 });
    expect(s.payments[0]).toMatchObject({ status: 'refunded', refundedTotal: 9000 });
  });

  it('stamps: the amount owed is recorded, then staff record the stamps returned (never more than was paid)', async () => {
    const a = await newApplication('ishi', 'paper');
    await recordStampPayment(db, clock, a.tenant, a.id, { instrument: '収入印紙', amount: 60000, seenOn: TEST_TODAY, by: 'madoguchi1' });
    await expectProblem(recordStampRefund(db, clock, a.tenant, a.id, { method: 'stamp_returned', amount: 60000, on: TEST_TODAY, by: 'madoguchi1' }), { status: 409, code: 'APPLICATION_STATE' });
    await withdraw(a);
    const r = await refundOnWithdrawal(deps, a.tenant, a.id);
    expect(r).toMatchObject({ refundedOnline: 0, stampOwed: 60000 });
    expect((await reload(a)).events.find((e) => e.kind === 'fee_refund_due')!.detail).toEqual({ channel: 'stamp', amount: 60000 });
    await expectProblem(recordStampRefund(db, clock, a.tenant, a.id, { method: 'overpayment', amount: 60001, on: TEST_TODAY, by: 'madoguchi1' }), { status: 409, code: 'REFUND_EXCEEDS_PAID' });
    const s = await recordStampRefund(db, clock, a.tenant, a.id, { method: 'stamp_returned', amount: 60000, on: TEST_TODAY, by: 'madoguchi1', note: '未消印の印紙を返送' });
    expect(s).toMatchObject({ received: 60000, refunded: 60000, net: 0 });
    expect((await refundOnWithdrawal(deps, a.tenant, a.id)).stampOwed).toBe(0);
  });
});

describe('income and expenditure for any period and category (QUA-21, QUA-22)', () => {
  it('totals per qualification × kind × channel; online totals reconcile with the payment node', async () => {
    const day = jstToday(clock.now());
    const t = await feeTotals(db, 'mhlw-isei', { from: day, until: day });
    const row = (q: string, channel: string) => t.rows.find((r) => r.qualification === q && r.channel === channel && r.kind === '登録免許税');
    expect(row('kangoshi', 'online')).toMatchObject({ receipts: 18000, refunds: 9000, receiptCount: 2, refundCount: 1 }); // one paid, one paid twice and refunded
    expect(row('rigakuryohoshi', 'online')).toMatchObject({ receipts: 9000, refunds: 9000, net: 0 });
    expect(row('ishi', 'stamp')).toMatchObject({ receipts: 60000, refunds: 60000, channelLabel: '収入印紙・領収証書' });
    expect(t.net).toBe(t.receipts - t.refunds);
    // Filters: one qualification, one channel; another period: nothing.
    expect((await feeTotals(db, 'mhlw-isei', { from: day, until: day, qualification: 'ishi', channel: 'stamp' })).rows).toHaveLength(1);
    expect((await feeTotals(db, 'mhlw-isei', { from: '2000-01-01', until: '2000-12-31' })).rows).toEqual([]);
    await expectProblem(feeTotals(db, 'mhlw-isei', { from: day, until: '2000-01-01' }), { status: 400, field: 'until' });
    // Reconciliation: the registry's online receipts and refunds, per qualification (the payment's category),
    // over every tenant, equal the payment node's totals for the same period.
    const node = await paymentTotals(deps.node, { from: day, to: day });
    let receipts = 0;
    let refunds = 0;
    for (const admin of catalog().administrators) {
      const mine = await feeTotals(db, admin.code, { from: day, until: day, channel: 'online' });
      receipts += mine.receipts;
      refunds += mine.refunds;
      for (const q of catalog().jurisdiction(admin.code)) {
        const cat = node.byCategory.find((c) => c.category === q.name);
        const rows = mine.rows.filter((r) => r.qualification === q.code);
        expect(rows.reduce((s, r) => s + r.receipts, 0)).toBe(cat?.income ?? 0);
        expect(rows.reduce((s, r) => s + r.refunds, 0)).toBe(cat?.refunds ?? 0);
      }
    }
    expect(receipts).toBe(node.income);
    expect(refunds).toBe(node.refunds);
    expect(node.income).toBeGreaterThan(0);
    expect(node.refunds).toBeGreaterThan(0);
  });
});

describe('the portal\'s payment step (registry service applications.fees)', () => {
  it('answers the fees and, with pay, the payer page; another applicant\'s application is 404', async () => {
    const a = await newApplication('shikaishi', 'online');
    const look = await portal.call('registry', 'applications.fees', { pseudonym: a.portalPseudonym, applicationId: a.id }, { personal: true });
    expect(look.body).toMatchObject({ applicationId: a.id, statusLabel: '審査待ち', due: 60000, paid: 0, outstanding: 60000, settled: false, payment: null, lines: [{ kind: '登録免許税', amount: 60000 }] });
    const started = await portal.call('registry', 'applications.fees', { pseudonym: a.portalPseudonym, applicationId: a.id, pay: true, returnUrl: returnUrl() }, { personal: true });
    const payUrl = (started.body as { payment: { payUrl: string } }).payment.payUrl;
    expect(payUrl).toContain('/pay/');
    await expectProblem(portal.call('registry', 'applications.fees', { pseudonym: 'mp-someoneelse1', applicationId: a.id }, { personal: true }), { status: 404 });
    await expectProblem(portal.call('registry', 'applications.fees', { pseudonym: a.portalPseudonym, applicationId: a.id, pay: true }, { personal: true }), { status: 400, field: 'returnUrl' });
    await payerPays(payUrl);
    const done = await portal.call('registry', 'applications.fees', { pseudonym: a.portalPseudonym, applicationId: a.id }, { personal: true });
    expect(done.body).toMatchObject({ paid: 60000, outstanding: 0, settled: true, payment: null });
    // Only the portal may ask.
    await expectProblem(pay.node.call('registry', 'applications.fees', { pseudonym: a.portalPseudonym, applicationId: a.id }), { status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
  });
});

describe('the staff API and the CLI', () => {
  async function token(tenant: string, userId: string, role: 'clerk' | 'supervisor', qualifications: string[], approver = 'operator'): Promise<string> {
    await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role, qualifications, reason: '手数料事務', appliedBy: approver });
    await approveStaff(db, clock, tenant, userId, approver);
    return `Bearer ${(await issueStaffToken(db, clock, tenant, userId)).token}`;
  }

  it('records a stamp payment, reads fees and totals within the duties; another duty\'s application → 404 and logged', async () => {
    const auth = await token('mhlw-isei', 'fee-chief', 'supervisor', ['kangoshi']);
    const a = await newApplication('kangoshi', 'paper');
    const post = await fetch(`${registryUrl}/registry/v1/applications/${a.id}/fees/stamps`, {
      method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ instrument: '収入印紙', amount: 9000, seenOn: TEST_TODAY, by: 'someone-else' }),
    });
    expect(post.status).toBe(201);
    const body = (await post.json()) as FeeStatus;
    expect(body).toMatchObject({ settled: true });
    expect(body.ledger[0]!.recordedBy).toBe('fee-chief'); // the session's user, never the body's
    const read = await fetch(`${registryUrl}/registry/v1/applications/${a.id}/fees`, { headers: { authorization: auth } });
    expect(read.status).toBe(200);
    const totals = await fetch(`${registryUrl}/registry/v1/fees/totals?from=${TEST_TODAY}&until=${TEST_TODAY}`, { headers: { authorization: auth } });
    const t = (await totals.json()) as { rows: { qualification: string }[] };
    expect(new Set(t.rows.map((r) => r.qualification))).toEqual(new Set(['kangoshi']));
    const other = await newApplication('ishi', 'paper');
    const denied = await fetch(`${registryUrl}/registry/v1/applications/${other.id}/fees`, { headers: { authorization: auth } });
    expect(denied.status).toBe(404);
    expect((await fetch(`${registryUrl}/registry/v1/fees/totals?from=${TEST_TODAY}&until=${TEST_TODAY}&qualification=ishi`, { headers: { authorization: auth } })).status).toBe(404);
    const log = await withRegistryTenant(db, 'mhlw-isei', (tx) => sql<{ target_id: string; outcome: string }>`SELECT target_id, outcome FROM registry.access_log WHERE user_id = 'fee-chief' AND outcome = 'denied'`.execute(tx));
    expect(log.rows.map((r) => r.target_id)).toEqual([other.id, 'ishi']);
  });

  it('confirms an unknown amount (審査責任者 only), refunds a withdrawn application and records the stamps returned over HTTP', async () => {
    const chief = await token('mhlw-shaen', 'kaigo-chief', 'supervisor', ['kaigofukushishi']);
    const clerk = await token('mhlw-shaen', 'kaigo-clerk', 'clerk', ['kaigofukushishi'], 'kaigo-chief');
    const a = await newApplication('kaigofukushishi', 'paper', 'reissue');
    const post = (path: string, auth: string, body: unknown) => fetch(`${registryUrl}/registry/v1/applications/${a.id}/fees/${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const amount = { kind: '手数料', amount: 1500, source: '指定登録機関の手数料（模擬確認）' };
    expect((await post('amounts', clerk, amount)).status).toBe(403);
    expect((await post('amounts', chief, amount)).status).toBe(200);
    expect((await post('stamps', clerk, { instrument: '収入印紙', amount: 1500, seenOn: TEST_TODAY })).status).toBe(201);
    expect((await post('refund', clerk, {})).status).toBe(409); // not withdrawn
    await withdraw(a);
    const r = await post('refund', clerk, {});
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ refundedOnline: 0, stampOwed: 1500 });
    const back = await post('stamp-refunds', clerk, { method: 'stamp_returned', amount: 1500, on: TEST_TODAY });
    expect(back.status).toBe(201);
    expect(await back.json()).toMatchObject({ net: 0, refunded: 1500 });
    // Another 資格管理者's staff: 404 as for an unknown application.
    const other = await token('mhlw-iyaku', 'iyaku-clerk', 'clerk', ['yakuzaishi']);
    expect((await post('refund', other, {})).status).toBe(404);
  });

  it('mamori registry fees prints the totals (JSON and text)', async () => {
    const env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
    const json = await runCli(['registry', 'fees', '--tenant', 'mhlw-isei', '--from', TEST_TODAY, '--until', TEST_TODAY, '--json'], { env, timeoutMs: 120_000 });
    expect(json.code, json.stderr).toBe(0);
    const t = JSON.parse(json.stdout) as { receipts: number; rows: unknown[] };
    expect(t.receipts).toBe((await feeTotals(db, 'mhlw-isei', { from: TEST_TODAY, until: TEST_TODAY })).receipts);
    const text = await runCli(['registry', 'fees', '--tenant', 'mhlw-isei', '--from', TEST_TODAY, '--until', TEST_TODAY], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('看護師');
    expect(text.stdout).toContain('収入');
    const bad = await runCli(['registry', 'fees', '--tenant', 'mhlw-isei', '--from', '2026-13-01', '--until', TEST_TODAY], { env });
    expect(bad.code).not.toBe(0);
  });

  it('keeps no My Number in any fee table', async () => {
    expect(findMyNumbers(await feeTablesText())).toEqual([]);
    for (const n of numbers) expect(await feeTablesText()).not.toContain(n);
  });
});

describe('payments that end without money, and a double submission', () => {
  it('two payment requests at once make one payment', async () => {
    const a = await newApplication('kangoshi', 'online');
    const [x, y] = await Promise.all([payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() }), payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() })]);
    expect(x.paymentId).toBe(y.paymentId);
    expect((await status(a)).payments).toHaveLength(1);
    expect((await reload(a)).events.filter((e) => e.kind === 'fee_payment_created')).toHaveLength(1);
  });

  it('an expired payment (the payer never paid) is told to the registry; the next request makes a new payment', async () => {
    const a = await newApplication('hokenshi', 'online');
    const p1 = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
    clock.set(new Date(new Date(p1.expiresAt!).getTime() + 60_000));
    try {
      const { expirePayments, deliverEvents } = await import('../../src/peers/payment/index.js');
      await expirePayments(pay);
      await deliverEvents(pay);
      const s = await status(a);
      expect(s.payments[0]).toMatchObject({ status: 'expired' });
      expect(s).toMatchObject({ settled: false, outstanding: 9000 });
      expect((await reload(a)).events.map((e) => e.kind)).toContain('fee_payment_expired');
      const p2 = await payFees(deps, a.tenant, a.id, { returnUrl: returnUrl() });
      expect(p2.reference).toBe(`${a.tenant}.${a.id}.2`);
      await payerPays(p2.payUrl!);
      expect((await status(a)).settled).toBe(true);
    } finally {
      clock.set(TEST_NOW);
    }
  });
});
