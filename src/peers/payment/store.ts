// The 公金決済 node's store (decisions 0173–0175): merchants, payments, refunds and the signed events told
// to each merchant.  Every change is one transaction with the payment row locked; an event is signed in
// the same transaction as the change it reports, and delivered after the commit (deliverEvents).
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { parseInput, Problem } from '../../kernel/problems/index.js';
import { ALREADY_RECEIVED, PAYMENT_STATUS_LABELS, CreatePaymentInput, RefundInput, signPaymentEvent, TotalsInput, StatusInput, type PaymentEvent, type PaymentStatus } from '../../kernel/payment/index.js';

export const PAYMENT_SCHEMA = 'peers_payment';
export const PAYMENT_ROLE = 'mamori_payment';
export { PAYMENT_NODE } from '../../kernel/payment/index.js';
/** How long a payer has to pay once the payment is created. */
export const PAYMENT_TTL_MINUTES = 30;

export interface PaymentDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly node: ExchangeNode;
  readonly clock: Clock;
}

type Db = Kysely<UntypedDatabase> | Transaction<UntypedDatabase>;

export const MerchantInput = z.strictObject({
  node: z.string({ message: '加盟店の組織（ノード）名を指定してください' }).regex(/^[a-z][a-z0-9-]{1,40}$/, '組織（ノード）名は英小文字・数字・-です'),
  merchantCode: z.string({ message: '加盟店コードを指定してください' }).regex(/^[A-Z0-9]{4,16}$/, '加盟店コードは英大文字・数字の4〜16文字です'),
  name: z.string({ message: '加盟店の名称を指定してください' }).trim().min(1, '加盟店の名称を指定してください').max(80),
  returnOrigins: z.array(z.url().refine((u) => new URL(u).origin === u.replace(/\/$/, ''), '戻り先はオリジン（https://host[:port]）で指定してください')).max(8).optional(),
});
export type MerchantInput = z.input<typeof MerchantInput>;

export interface Merchant {
  readonly node: string;
  readonly merchantCode: string;
  readonly name: string;
  readonly returnOrigins: string[];
  readonly active: boolean;
}

/** Registers (or updates) a merchant: an organisation of the directory that may create payments. */
export async function registerMerchant(deps: Pick<PaymentDeps, 'db' | 'clock'>, raw: unknown): Promise<Merchant> {
  const m = parseInput(MerchantInput, raw);
  try {
    await sql`
      INSERT INTO peers_payment.merchants (node, merchant_code, name, return_origins, active, registered_at)
      VALUES (${m.node}, ${m.merchantCode}, ${m.name}, ${m.returnOrigins ?? []}::text[], true, ${deps.clock.now()})
      ON CONFLICT (node) DO UPDATE SET merchant_code = excluded.merchant_code, name = excluded.name, return_origins = excluded.return_origins, active = true`.execute(deps.db);
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new Problem(409, 'PAYMENT_MERCHANT_CODE_TAKEN', '加盟店コードは使われています', `加盟店コード ${m.merchantCode} は別の組織に登録されています。`, [{ field: 'merchantCode', code: 'TAKEN', message: '加盟店コードは使われています' }]);
    throw e;
  }
  return (await merchantOf(deps.db, m.node))!;
}

export async function merchantOf(db: Db, node: string): Promise<Merchant | undefined> {
  const r = await sql<{ node: string; merchant_code: string; name: string; return_origins: string[]; active: boolean }>`
    SELECT node, merchant_code, name, return_origins, active FROM peers_payment.merchants WHERE node = ${node}`.execute(db);
  const x = r.rows[0];
  return x && { node: x.node, merchantCode: x.merchant_code, name: x.name, returnOrigins: x.return_origins, active: x.active };
}

async function activeMerchant(db: Db, node: string): Promise<Merchant> {
  const m = await merchantOf(db, node);
  if (!m?.active) throw new Problem(403, 'PAYMENT_MERCHANT_UNKNOWN', '加盟店として登録されていない組織です', 'この組織は決済サービスの加盟店として登録されていません。');
  return m;
}

interface PaymentRow {
  id: string; merchant: string; reference: string; amount: number; category: string; description: string | null; payer: string; return_url: string; page_token: string;
  status: PaymentStatus; method: 'card' | 'bank' | null; refunded: number; created_at: Date; expires_at: Date; settled_at: Date | null; cancelled_at: Date | null;
}

export interface Payment {
  readonly id: string;
  readonly merchant: string;
  readonly reference: string;
  readonly amount: number;
  readonly category: string;
  readonly description: string | null;
  readonly returnUrl: string;
  /** The stored status, or 'expired' for a pending payment past its time. */
  readonly status: PaymentStatus;
  readonly method: 'card' | 'bank' | null;
  readonly refundedTotal: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly settledAt: Date | null;
}

const paymentOf = (r: PaymentRow, now: Date): Payment => ({
  id: r.id, merchant: r.merchant, reference: r.reference, amount: r.amount, category: r.category, description: r.description, returnUrl: r.return_url,
  status: r.status === 'pending' && r.expires_at <= now ? 'expired' : r.status, method: r.method, refundedTotal: r.refunded, createdAt: r.created_at, expiresAt: r.expires_at, settledAt: r.settled_at,
});

/** The return URL must be https (or http to a loopback host) and on an origin the merchant may send payers back to. */
function checkReturnUrl(url: string, merchant: Merchant, directoryUrl: string | undefined): void {
  const u = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  const allowed = merchant.returnOrigins.length ? merchant.returnOrigins : directoryUrl ? [new URL(directoryUrl).origin] : [];
  if (!(u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) || u.username || u.password || !allowed.includes(u.origin)) {
    throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', '戻り先URLは加盟店として登録されたサイトのものにしてください。', [{ field: 'returnUrl', code: 'RETURN_URL_NOT_ALLOWED', message: '戻り先URLは加盟店として登録されたサイトのものにしてください' }]);
  }
}

/**
 * `payment.create`: a pending payment of the calling merchant (idempotent on its reference: the same content
 * gives the same payment back, other content is 409 PAYMENT_REFERENCE_CONFLICT).
 */
export async function createPaymentFor(deps: PaymentDeps, merchantNode: string, raw: unknown): Promise<{ payment: Payment; token: string; created: boolean }> {
  const p = parseInput(CreatePaymentInput, raw);
  return deps.db.transaction().execute(async (trx) => {
    const merchant = await activeMerchant(trx, merchantNode);
    checkReturnUrl(p.returnUrl, merchant, deps.node.directory.has(merchantNode) ? deps.node.directory.entry(merchantNode).url : undefined);
    const now = deps.clock.now();
    const expires = new Date(now.getTime() + PAYMENT_TTL_MINUTES * 60_000);
    const token = randomBytes(32).toString('base64url');
    const ins = await sql<PaymentRow>`
      INSERT INTO peers_payment.payments (id, merchant, reference, amount, category, description, payer, return_url, page_token, status, created_at, expires_at)
      VALUES (${randomUUID()}, ${merchantNode}, ${p.reference}, ${p.amount}, ${p.category}, ${p.description ?? null}, ${p.payer}, ${p.returnUrl}, ${token}, 'pending', ${now}, ${expires})
      ON CONFLICT (merchant, reference) DO NOTHING RETURNING *`.execute(trx);
    if (ins.rows[0]) return { payment: paymentOf(ins.rows[0], now), token, created: true };
    const had = (await sql<PaymentRow>`SELECT * FROM peers_payment.payments WHERE merchant = ${merchantNode} AND reference = ${p.reference}`.execute(trx)).rows[0]!;
    if (had.amount !== p.amount || had.category !== p.category || had.payer !== p.payer || had.return_url !== p.returnUrl || had.description !== (p.description ?? null)) {
      throw new Problem(409, 'PAYMENT_REFERENCE_CONFLICT', 'この参照番号の決済は別の内容で作成されています', '同じ参照番号で、金額・区分・支払者・戻り先が異なる決済は作成できません。');
    }
    return { payment: paymentOf(had, now), token: had.page_token, created: false };
  });
}

/** The payment a payer page token opens (undefined for an unknown token). */
export async function paymentByToken(deps: Pick<PaymentDeps, 'db' | 'clock'>, token: string): Promise<{ payment: Payment; merchantName: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const r = await sql<PaymentRow & { merchant_name: string }>`
    SELECT p.*, m.name AS merchant_name FROM peers_payment.payments p JOIN peers_payment.merchants m ON m.node = p.merchant WHERE p.page_token = ${token}`.execute(deps.db);
  const x = r.rows[0];
  return x && { payment: paymentOf(x, deps.clock.now()), merchantName: x.merchant_name };
}

/** Signs and stores the next event of a locked payment (same transaction as the change it reports). */
async function addEvent(deps: PaymentDeps, trx: Db, p: PaymentRow, kind: PaymentEvent['kind'], at: Date, refund?: { id: string; amount: number }): Promise<string> {
  const seq = Number((await sql<{ n: number }>`SELECT coalesce(max(seq), 0)::int AS n FROM peers_payment.events WHERE payment_id = ${p.id}`.execute(trx)).rows[0]!.n) + 1;
  const event: PaymentEvent = {
    v: 1, iss: deps.node.name, aud: p.merchant, eventId: randomUUID(), seq, paymentId: p.id, reference: p.reference, category: p.category, kind,
    status: p.status as PaymentEvent['status'], amount: p.amount, ...(refund ? { refundId: refund.id, refundAmount: refund.amount } : {}), refundedTotal: p.refunded,
    settledAt: p.settled_at ? p.settled_at.toISOString() : null, at: at.toISOString(),
  };
  const jws = await signPaymentEvent(deps.node.keys, event);
  await sql`INSERT INTO peers_payment.events (id, payment_id, seq, kind, refund_id, jws, at) VALUES (${event.eventId}, ${p.id}, ${seq}, ${kind}, ${refund?.id ?? null}, ${jws}, ${at})`.execute(trx);
  return jws;
}

/**
 * The payer's decision on the payment page: 'pay' (with a synthetic method) settles, 'cancel' cancels.  Only a
 * pending payment before its time: otherwise 409 PAYMENT_NOT_PENDING / 410 PAYMENT_EXPIRED.  The event is
 * delivered to the merchant afterwards (deliverEvents).
 */
export async function decide(deps: PaymentDeps, token: string, action: { kind: 'pay'; method: 'card' | 'bank' } | { kind: 'cancel' }): Promise<Payment> {
  return deps.db.transaction().execute(async (trx) => {
    const r = await sql<PaymentRow>`SELECT * FROM peers_payment.payments WHERE page_token = ${token} FOR UPDATE`.execute(trx);
    const p = r.rows[0];
    if (!p) throw new Problem(404, 'PAYMENT_NOT_FOUND', 'お支払いが見つかりません', 'お支払いのページのアドレスが正しくありません。');
    const now = deps.clock.now();
    if (p.status === 'expired') throw new Problem(410, 'PAYMENT_EXPIRED', 'お支払いの期限が過ぎました', '申請先のページからもう一度お手続きください。');
    if (p.status !== 'pending') throw new Problem(409, 'PAYMENT_NOT_PENDING', 'このお支払いは手続き済みです', `このお支払いは「${p.status === 'cancelled' ? '取りやめ' : '支払済み'}」です。`);
    if (p.expires_at <= now) throw new Problem(410, 'PAYMENT_EXPIRED', 'お支払いの期限が過ぎました', '申請先のページからもう一度お手続きください。');
    const u = action.kind === 'pay'
      ? await sql<PaymentRow>`UPDATE peers_payment.payments SET status = 'settled', method = ${action.method}, settled_at = ${now} WHERE id = ${p.id} RETURNING *`.execute(trx)
      : await sql<PaymentRow>`UPDATE peers_payment.payments SET status = 'cancelled', cancelled_at = ${now} WHERE id = ${p.id} RETURNING *`.execute(trx);
    const row = u.rows[0]!;
    await addEvent(deps, trx, row, action.kind === 'pay' ? 'settled' : 'cancelled', now);
    return paymentOf(row, now);
  });
}

async function ownPayment(db: Db, merchant: string, q: { paymentId: string } | { reference: string }, lock = false): Promise<PaymentRow> {
  const where = 'paymentId' in q ? sql`id = ${q.paymentId}` : sql`reference = ${q.reference}`;
  const r = await sql<PaymentRow>`SELECT * FROM peers_payment.payments WHERE merchant = ${merchant} AND ${where} ${lock ? sql`FOR UPDATE` : sql``}`.execute(db);
  // Another merchant's payment is "not found" too: its existence is not told.
  if (!r.rows[0]) throw new Problem(404, 'PAYMENT_NOT_FOUND', '決済が見つかりません', 'この加盟店の決済に該当するものはありません。');
  return r.rows[0];
}

/** `payment.status`: the state and every signed event, for the calling merchant's own payment only. */
export async function statusFor(deps: PaymentDeps, merchant: string, raw: unknown): Promise<Record<string, unknown>> {
  const q = parseInput(StatusInput, raw);
  await activeMerchant(deps.db, merchant);
  const p = await ownPayment(deps.db, merchant, q);
  const ev = await sql<{ jws: string }>`SELECT jws FROM peers_payment.events WHERE payment_id = ${p.id} ORDER BY seq`.execute(deps.db);
  const x = paymentOf(p, deps.clock.now());
  return {
    paymentId: x.id, reference: x.reference, category: x.category, amount: x.amount, status: x.status, refundedTotal: x.refundedTotal,
    settledAt: x.settledAt?.toISOString() ?? null, expiresAt: x.expiresAt.toISOString(), events: ev.rows.map((e) => e.jws),
  };
}

/**
 * `payment.refund`: part or all of a settled payment, with a reason; the refunds of a payment never exceed
 * what was paid (409 PAYMENT_REFUND_EXCEEDS, nothing changed).  Idempotent on refundRef (the same amount).
 */
export async function refundFor(deps: PaymentDeps, merchant: string, raw: unknown): Promise<Record<string, unknown>> {
  const q = parseInput(RefundInput, raw);
  return deps.db.transaction().execute(async (trx) => {
    await activeMerchant(trx, merchant);
    const p = await ownPayment(trx, merchant, { paymentId: q.paymentId }, true);
    const had = (await sql<{ id: string; amount: number }>`SELECT id, amount FROM peers_payment.refunds WHERE payment_id = ${p.id} AND refund_ref = ${q.refundRef}`.execute(trx)).rows[0];
    if (had) {
      if (had.amount !== q.amount) throw new Problem(409, 'PAYMENT_REFUND_CONFLICT', 'この参照番号の返金は別の金額で行われています', `返金の参照番号 ${q.refundRef} の返金額は ${had.amount.toLocaleString('ja-JP')}円です。`);
      const ev = (await sql<{ jws: string }>`SELECT jws FROM peers_payment.events WHERE refund_id = ${had.id}`.execute(trx)).rows[0]!;
      return { refundId: had.id, paymentId: p.id, amount: had.amount, refundedTotal: p.refunded, status: p.status, created: false, event: ev.jws };
    }
    if (p.status === 'pending' || p.status === 'cancelled' || p.status === 'expired') {
      throw new Problem(409, 'PAYMENT_NOT_SETTLED', '支払の済んでいない決済は返金できません', `この決済は「${PAYMENT_STATUS_LABELS[paymentOf(p, deps.clock.now()).status]}」です。`);
    }
    const left = p.amount - p.refunded;
    if (q.amount > left) {
      throw new Problem(409, 'PAYMENT_REFUND_EXCEEDS', '返金額が支払額を超えます', `返金できるのは残り ${left.toLocaleString('ja-JP')}円までです（支払額 ${p.amount.toLocaleString('ja-JP')}円、返金済み ${p.refunded.toLocaleString('ja-JP')}円）。`, [{ field: 'amount', code: 'REFUND_EXCEEDS', message: `返金できるのは残り ${left.toLocaleString('ja-JP')}円までです` }]);
    }
    const now = deps.clock.now();
    const id = randomUUID();
    await sql`INSERT INTO peers_payment.refunds (id, payment_id, refund_ref, amount, reason, at) VALUES (${id}, ${p.id}, ${q.refundRef}, ${q.amount}, ${q.reason}, ${now})`.execute(trx);
    const row = (await sql<PaymentRow>`
      UPDATE peers_payment.payments SET refunded = refunded + ${q.amount}, status = CASE WHEN refunded + ${q.amount} = amount THEN 'refunded' ELSE 'partially_refunded' END
      WHERE id = ${p.id} RETURNING *`.execute(trx)).rows[0]!;
    const jws = await addEvent(deps, trx, row, 'refunded', now, { id, amount: q.amount });
    return { refundId: id, paymentId: p.id, amount: q.amount, refundedTotal: row.refunded, status: row.status, created: true, event: jws };
  });
}

/**
 * `payment.totals` (QUA-21): the merchant's income (payments settled in the period, by their settlement time
 * in JST), refunds (refunds made in the period) and net, for a category or all, with the split by category.
 */
export async function totalsFor(deps: PaymentDeps, merchant: string, raw: unknown): Promise<Record<string, unknown>> {
  const q = parseInput(TotalsInput, raw);
  await activeMerchant(deps.db, merchant);
  const cat = q.category ?? null;
  const r = await sql<{ category: string; income: number; payments: number; refunds: number; refund_count: number }>`
    WITH inc AS (
      SELECT category, sum(amount)::bigint AS income, count(*)::int AS payments FROM peers_payment.payments
      WHERE merchant = ${merchant} AND settled_at IS NOT NULL AND (settled_at AT TIME ZONE 'Asia/Tokyo')::date BETWEEN ${q.from}::date AND ${q.to}::date
        AND (${cat}::text IS NULL OR category = ${cat}) GROUP BY category),
    ref AS (
      SELECT p.category, sum(r.amount)::bigint AS refunds, count(*)::int AS refund_count FROM peers_payment.refunds r JOIN peers_payment.payments p ON p.id = r.payment_id
      WHERE p.merchant = ${merchant} AND (r.at AT TIME ZONE 'Asia/Tokyo')::date BETWEEN ${q.from}::date AND ${q.to}::date
        AND (${cat}::text IS NULL OR p.category = ${cat}) GROUP BY p.category)
    SELECT coalesce(inc.category, ref.category) AS category, coalesce(inc.income, 0)::bigint AS income, coalesce(inc.payments, 0) AS payments,
           coalesce(ref.refunds, 0)::bigint AS refunds, coalesce(ref.refund_count, 0) AS refund_count
    FROM inc FULL JOIN ref ON ref.category = inc.category ORDER BY 1`.execute(deps.db);
  const byCategory = r.rows.map((x) => ({ category: x.category, income: Number(x.income), refunds: Number(x.refunds), net: Number(x.income) - Number(x.refunds), payments: x.payments, refundCount: x.refund_count }));
  const sum = (k: 'income' | 'refunds' | 'payments' | 'refundCount') => byCategory.reduce((a, c) => a + c[k], 0);
  return { from: q.from, to: q.to, category: cat, income: sum('income'), refunds: sum('refunds'), net: sum('income') - sum('refunds'), payments: sum('payments'), refundCount: sum('refundCount'), byCategory };
}

/**
 * Closes the pending payments past their time (status 'expired', one signed event each, one transaction
 * per payment): the merchant learns that the payer did not pay.  The node's job runs it before delivering.
 */
export async function expirePayments(deps: PaymentDeps, limit = 500): Promise<{ expired: number }> {
  const now = deps.clock.now();
  const due = await sql<{ id: string }>`SELECT id FROM peers_payment.payments WHERE status = 'pending' AND expires_at <= ${now} ORDER BY expires_at LIMIT ${limit}`.execute(deps.db);
  let expired = 0;
  for (const { id } of due.rows) {
    const done = await deps.db.transaction().execute(async (trx) => {
      const u = await sql<PaymentRow>`UPDATE peers_payment.payments SET status = 'expired' WHERE id = ${id} AND status = 'pending' AND expires_at <= ${now} RETURNING *`.execute(trx);
      if (!u.rows[0]) return false; // paid or cancelled meanwhile
      await addEvent(deps, trx, u.rows[0], 'expired', now);
      return true;
    });
    if (done) expired++;
  }
  return { expired };
}

/**
 * Delivers the events not yet delivered (of one payment, or all), each payment's in order: `payment.notify`
 * to the merchant.  Delivered when the merchant accepts it or says it already has it (or something newer);
 * otherwise the attempt and its reason are kept and the node's job tries again.  A payment whose event
 * failed stops there (its later events wait).
 */
export async function deliverEvents(deps: PaymentDeps, opts: { paymentId?: string; limit?: number } = {}): Promise<{ delivered: number; failed: number }> {
  const r = await sql<{ id: string; payment_id: string; merchant: string; jws: string }>`
    SELECT e.id, e.payment_id, p.merchant, e.jws FROM peers_payment.events e JOIN peers_payment.payments p ON p.id = e.payment_id
    WHERE e.delivered_at IS NULL ${opts.paymentId ? sql`AND e.payment_id = ${opts.paymentId}` : sql``}
    ORDER BY e.payment_id, e.seq LIMIT ${opts.limit ?? 500}`.execute(deps.db);
  let delivered = 0;
  let failed = 0;
  const blocked = new Set<string>();
  for (const e of r.rows) {
    if (blocked.has(e.payment_id)) continue;
    let error: string | null = null;
    try {
      await deps.node.call(e.merchant, 'payment.notify', { event: e.jws }, { timeoutMs: 10_000 });
    } catch (x) {
      if (!(x instanceof Problem && ALREADY_RECEIVED.has(x.code))) error = x instanceof Problem ? `${x.code}: ${x.title}`.slice(0, 200) : '通知に失敗しました';
    }
    if (error === null) {
      const u = await sql`UPDATE peers_payment.events SET delivered_at = ${deps.clock.now()}, attempts = attempts + 1, last_error = NULL WHERE id = ${e.id} AND delivered_at IS NULL`.execute(deps.db);
      if (Number(u.numAffectedRows ?? 0) > 0) delivered++;
    } else {
      await sql`UPDATE peers_payment.events SET attempts = attempts + 1, last_error = ${error} WHERE id = ${e.id}`.execute(deps.db);
      failed++;
      blocked.add(e.payment_id);
    }
  }
  return { delivered, failed };
}

/** The events of a payment as the node keeps them (delivery state; for the node's own tests and screens). */
export async function eventsOf(db: Kysely<UntypedDatabase>, paymentId: string): Promise<{ seq: number; kind: string; delivered: boolean; attempts: number; lastError: string | null }[]> {
  const r = await sql<{ seq: number; kind: string; delivered_at: Date | null; attempts: number; last_error: string | null }>`
    SELECT seq, kind, delivered_at, attempts, last_error FROM peers_payment.events WHERE payment_id = ${paymentId} ORDER BY seq`.execute(db);
  return r.rows.map((x) => ({ seq: x.seq, kind: x.kind, delivered: x.delivered_at !== null, attempts: x.attempts, lastError: x.last_error }));
}
