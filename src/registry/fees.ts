// Fees of an application (issue 15 Must have 7; QUA-19…22; decisions 0196–0198).  When an application is
// received, the fees of its qualification and procedure (catalog) are opened as lines.  An online applicant
// pays through the 公金決済 node: the registry is a merchant, one payment per application (reference
// `<tenant>.<application>.<n>`), the payer sent to the node's page; the node's signed events are accepted
// (verified, checked against the registry's own record, each once and in order) and booked in the ledger.
// A paper applicant pays with 収入印紙 or 登録免許税の領収証書, which staff record with what they saw.  An
// application completes only when its fees are settled (`assertFeesSettled`, called by examination); a
// withdrawn one is refunded (`refundOnWithdrawal`).  The ledger gives income and expenditure for any period
// and category (`feeTotals`), and reconciles with the payment node's totals.  No My Number anywhere here.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode, ServiceDef } from '../kernel/exchange/index.js';
import { jstToday } from '../kernel/jp/index.js';
import { logger } from '../kernel/log/index.js';
import {
  ALREADY_RECEIVED, PAYMENT_NODE, PAYMENT_STATUS_LABELS, acceptPaymentEvent, createPayment, paymentStatus, refundPayment, verifyPaymentEvent,
  type PaymentEvent, type PaymentEventStore, type PaymentStatus,
} from '../kernel/payment/index.js';
import { Problem, conflict, notFound, parseInput } from '../kernel/problems/index.js';
import { APPLICATION_STATUS_LABELS, OPEN_STATUSES, addApplicationEvent, getApplication, type ApplicationStatus, type ApplicationView } from './applications.js';
import { PROCEDURE_LABELS, catalog, type Procedure } from './catalog.js';
import { withTenant, type Db, type Tx } from './store.js';

export const FEE_KINDS = ['登録免許税', '登録手数料', '手数料'] as const;
export type FeeKind = (typeof FEE_KINDS)[number];
export const FEE_CHANNEL_LABELS = { online: 'オンライン決済', stamp: '収入印紙・領収証書' } as const;
export type FeeChannel = keyof typeof FEE_CHANNEL_LABELS;
/** What staff saw on paper: 収入印紙 affixed to the form, or the 領収証書 of 登録免許税 paid at a bank or tax office. */
export const STAMP_INSTRUMENTS = ['収入印紙', '領収証書'] as const;
/** How a paper payment is given back: unused stamps returned, or the 過誤納金 claim (登録免許税法第31条). */
export const STAMP_REFUND_METHODS = { stamp_returned: '収入印紙の返還', overpayment: '過誤納金の還付手続' } as const;
export type StampRefundMethod = keyof typeof STAMP_REFUND_METHODS;
/** Who records what the payment node tells. */
export const PAYMENT_ACTOR = 'payment';
/** Application statuses whose money is owed back (取下げ, 却下). */
const ENDED_UNREGISTERED: readonly ApplicationStatus[] = ['withdrawn', 'rejected'];

export interface FeeDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The registry's node (the merchant). */
  readonly node: ExchangeNode;
  readonly paymentNode?: string;
}

export interface FeeLine {
  readonly line: number;
  readonly kind: FeeKind;
  /** Yen; null while the catalog does not know it (staff confirm it). */
  readonly amount: number | null;
  readonly source: string;
  readonly received: number;
  readonly refunded: number;
  /** received − refunded. */
  readonly net: number;
}

export interface FeePaymentView {
  readonly reference: string;
  readonly paymentId: string | null;
  readonly amount: number;
  readonly status: PaymentStatus;
  readonly statusLabel: string;
  readonly refundedTotal: number;
  readonly payUrl: string | null;
  readonly expiresAt: string | null;
  readonly settledAt: string | null;
  readonly createdAt: string;
}

export interface LedgerView {
  readonly id: string;
  readonly entry: 'receipt' | 'refund';
  readonly channel: FeeChannel;
  readonly kind: FeeKind;
  readonly amount: number;
  readonly bookedOn: string;
  readonly evidence: Record<string, unknown>;
  readonly recordedBy: string;
  readonly note: string | null;
}

export interface FeeStatus {
  readonly applicationId: string;
  readonly qualification: string;
  readonly procedure: Procedure;
  readonly applicationStatus: ApplicationStatus;
  /** False when the lines come from the catalog only (the application's fees not opened yet). */
  readonly opened: boolean;
  readonly lines: readonly FeeLine[];
  /** Sum of the lines; null when one amount is unknown. */
  readonly due: number | null;
  readonly received: number;
  readonly refunded: number;
  readonly net: number;
  /** What is still to pay (0 when settled); null when an amount is unknown. */
  readonly outstanding: number | null;
  readonly settled: boolean;
  readonly payments: readonly FeePaymentView[];
  readonly ledger: readonly LedgerView[];
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
const dateOf = (v: unknown): string => (v instanceof Date ? jstToday(v) : String(v).slice(0, 10));

/** The catalog's fees of a qualification and procedure that cost something (なし and 0 yen open nothing). */
function catalogLines(qualification: string, procedure: Procedure): { kind: FeeKind; amount: number | null; source: string }[] {
  const q = catalog().qualification(qualification);
  if (!q) throw notFound('資格');
  return q.fees
    .filter((f) => f.procedure === procedure && f.kind !== 'なし' && f.amount !== 0)
    .map((f) => ({ kind: f.kind as FeeKind, amount: f.amount, source: f.source }));
}

async function hasEvent(tx: Tx, applicationId: string, kind: string): Promise<boolean> {
  const r = await sql`SELECT 1 FROM registry.application_events WHERE application_id = ${applicationId} AND kind = ${kind} LIMIT 1`.execute(tx);
  return r.rows.length > 0;
}

/**
 * Opens the fees of a received application (idempotent): one line per fee of its qualification and
 * procedure, an event `fees_opened`, and `fee_settled` at once when nothing is due.  Intake calls it right
 * after `insertApplication`, in the same transaction; the payment and examination paths call it too.
 */
export async function openFees(tx: Tx, clock: Clock, application: ApplicationView): Promise<void> {
  await sql`SELECT 1 FROM registry.applications WHERE id = ${application.id} FOR UPDATE`.execute(tx);
  if (await hasEvent(tx, application.id, 'fees_opened')) return;
  const lines = catalogLines(application.qualification, application.procedure);
  const now = clock.now();
  let n = 0;
  for (const l of lines) {
    n += 1;
    await sql`INSERT INTO registry.application_fees (tenant_code, qualification_code, application_id, line, kind, amount, source, opened_at)
              VALUES (${application.tenant}, ${application.qualification}, ${application.id}, ${n}, ${l.kind}, ${l.amount}, ${l.source}, ${now})`.execute(tx);
  }
  const due = lines.some((l) => l.amount === null) ? null : lines.reduce((s, l) => s + (l.amount ?? 0), 0);
  await addApplicationEvent(tx, clock, application.tenant, application.id, 'fees_opened', { due, lines: lines.map((l) => ({ kind: l.kind, amount: l.amount })) }, 'registry');
  if (due === 0) await addApplicationEvent(tx, clock, application.tenant, application.id, 'fee_settled', { amount: 0 }, 'registry');
}

/** The fees of an application: lines (opened, or the catalog's when not yet), money received and refunded, payments, ledger. */
export async function feeStatus(tx: Tx, application: ApplicationView): Promise<FeeStatus> {
  const stored = await sql<{ line: number; kind: FeeKind; amount: number | null; source: string }>`
    SELECT line, kind, amount, source FROM registry.application_fees WHERE application_id = ${application.id} ORDER BY line`.execute(tx);
  const opened = stored.rows.length > 0 || (await hasEvent(tx, application.id, 'fees_opened'));
  const base = opened ? stored.rows : catalogLines(application.qualification, application.procedure).map((l, i) => ({ line: i + 1, ...l }));
  const led = await sql<Record<string, unknown>>`
    SELECT id, entry, channel, kind, amount, booked_on, evidence, recorded_by, note FROM registry.fee_ledger
    WHERE application_id = ${application.id} ORDER BY at, id`.execute(tx);
  const ledger: LedgerView[] = led.rows.map((r) => ({
    id: String(r['id']), entry: r['entry'] as 'receipt' | 'refund', channel: r['channel'] as FeeChannel, kind: r['kind'] as FeeKind, amount: Number(r['amount']),
    bookedOn: dateOf(r['booked_on']), evidence: r['evidence'] as Record<string, unknown>, recordedBy: String(r['recorded_by']), note: (r['note'] as string | null) ?? null,
  }));
  const sum = (kind: FeeKind, entry: 'receipt' | 'refund') => ledger.filter((l) => l.kind === kind && l.entry === entry).reduce((s, l) => s + l.amount, 0);
  const lines: FeeLine[] = base.map((l) => {
    const received = sum(l.kind, 'receipt');
    const refunded = sum(l.kind, 'refund');
    return { line: Number(l.line), kind: l.kind, amount: l.amount === null ? null : Number(l.amount), source: l.source, received, refunded, net: received - refunded };
  });
  const due = lines.some((l) => l.amount === null) ? null : lines.reduce((s, l) => s + (l.amount ?? 0), 0);
  const received = ledger.filter((l) => l.entry === 'receipt').reduce((s, l) => s + l.amount, 0);
  const refunded = ledger.filter((l) => l.entry === 'refund').reduce((s, l) => s + l.amount, 0);
  const outstanding = due === null ? null : lines.reduce((s, l) => s + Math.max(0, (l.amount ?? 0) - l.net), 0);
  const pays = await sql<Record<string, unknown>>`SELECT * FROM registry.fee_payments WHERE application_id = ${application.id} ORDER BY created_at, reference`.execute(tx);
  return {
    applicationId: application.id,
    qualification: application.qualification,
    procedure: application.procedure,
    applicationStatus: application.status,
    opened,
    lines,
    due,
    received,
    refunded,
    net: received - refunded,
    outstanding,
    settled: outstanding === 0,
    payments: pays.rows.map(paymentView),
    ledger,
  };
}

function paymentView(r: Record<string, unknown>): FeePaymentView {
  const status = r['status'] as PaymentStatus;
  return {
    reference: String(r['reference']),
    paymentId: (r['payment_id'] as string | null) ?? null,
    amount: Number(r['amount']),
    status,
    statusLabel: PAYMENT_STATUS_LABELS[status],
    refundedTotal: Number(r['refunded_total']),
    payUrl: (r['pay_url'] as string | null) ?? null,
    expiresAt: iso(r['expires_at']),
    settledAt: iso(r['settled_at']),
    createdAt: iso(r['created_at'])!,
  };
}

/** Whether an application's fees are settled, why (Japanese, for the examiner's screen) and what is due. */
export interface Settlement {
  readonly settled: boolean;
  readonly reason: string;
  /** The total due (yen); null while an amount is unknown. */
  readonly amount: number | null;
  /** What is still to pay; null while an amount is unknown. */
  readonly outstanding: number | null;
}

/**
 * The settlement of an application (QUA-20), read in the caller's transaction (already set to its tenant):
 * settled when every fee line's amount is known and paid in full (or nothing is due).  The lines are the
 * opened ones, or the catalog's when the application's fees were not opened yet.
 */
export async function settlementOf(tx: Tx, application: Pick<ApplicationView, 'id'>): Promise<Settlement> {
  const a = await applicationIn(tx, application.id);
  const s = await feeStatus(tx, a);
  const kinds = s.lines.map((l) => l.kind).join('・');
  if (s.settled) return { settled: true, reason: s.lines.length === 0 ? 'この手続に手数料はありません' : `${kinds}の納付を確認済みです`, amount: s.due, outstanding: 0 };
  if (s.outstanding === null) {
    const unknown = s.lines.filter((l) => l.amount === null).map((l) => l.kind).join('・');
    return { settled: false, reason: `${unknown}の額が確定していません（審査責任者が額を確定してください）`, amount: null, outstanding: null };
  }
  return { settled: false, reason: `${kinds}の未納額が${s.outstanding.toLocaleString('ja-JP')}円あり、納付が確認できていません`, amount: s.due, outstanding: s.outstanding };
}

/** Writes `fee_settled` once the fees are paid in full (the examination placeholder reads it too). */
async function markSettled(tx: Tx, clock: Clock, application: ApplicationView, actor: string): Promise<FeeStatus> {
  const s = await feeStatus(tx, application);
  if (s.settled && !(await hasEvent(tx, application.id, 'fee_settled'))) {
    await addApplicationEvent(tx, clock, application.tenant, application.id, 'fee_settled', { amount: s.due ?? 0 }, actor);
  }
  return s;
}

async function applicationIn(tx: Tx, id: string): Promise<ApplicationView> {
  const a = await getApplication(tx, id);
  if (!a) throw notFound('申請');
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Online payment (the registry as a merchant of 公金決済)

const MAX_TENANT_IN_REFERENCE = 20;

/** The tenant a reference was made for (`<tenant>.<application id>.<n>`), or undefined. */
export function tenantOfReference(reference: string): string | undefined {
  const m = /^([a-z][a-z0-9-]{1,19})\.[0-9a-f-]{36}\.\d{1,3}$/.exec(reference);
  return m && catalog().administrator(m[1]!) ? m[1] : undefined;
}

const PayInput = z.strictObject({
  returnUrl: z.url({ message: '戻り先URLが正しくありません' }).max(500, { message: '戻り先URLは500文字以内です' }),
  /** When given (the portal), the application must be this マイナポータル仮名ID's. */
  portalPseudonym: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { message: 'マイナポータル仮名IDの形式が正しくありません' }).optional(),
});

export interface PayAnswer {
  readonly applicationId: string;
  readonly settled: boolean;
  readonly outstanding: number;
  /** The payment node's page to send the payer to (absent when nothing is to pay). */
  readonly payUrl?: string;
  readonly paymentId?: string;
  readonly expiresAt?: string;
  readonly reference?: string;
}

/**
 * Starts (or resumes) the online payment of an application's outstanding fees: records reference → amount
 * and its split over the lines, then creates the payment at the 公金決済 node (idempotent on the reference),
 * and answers the payer page URL.  A pending, unexpired payment of the same amount is reused.  Only open
 * applications (審査待ち, 補正依頼中) take payments.
 */
export async function payFees(deps: FeeDeps, tenant: string, applicationId: string, raw: unknown): Promise<PayAnswer> {
  const input = parseInput(PayInput, raw);
  if (tenant.length > MAX_TENANT_IN_REFERENCE) throw new Problem(500, 'TENANT_CODE_TOO_LONG', '資格管理者コードが長すぎます', '決済の参照番号に入る資格管理者コードは20文字までです。');
  const plan = await withTenant(deps.db, tenant, async (tx) => {
    const a = await getApplication(tx, applicationId);
    if (!a || (input.portalPseudonym !== undefined && a.portalPseudonym !== input.portalPseudonym)) throw notFound('申請');
    if (!OPEN_STATUSES.includes(a.status)) throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[a.status]}」のため、手数料等を納付できません。`);
    await openFees(tx, deps.clock, a); // locks the application row: one payment plan at a time
    const s = await feeStatus(tx, a);
    if (s.outstanding === null) throw new Problem(409, 'FEE_AMOUNT_UNKNOWN', '手数料等の額が確定していません', '額が確定していない手数料があるため、オンラインで納付できません。資格管理者にお問い合わせください。');
    if (s.outstanding === 0) return { done: true as const, outstanding: 0 };
    const now = deps.clock.now();
    const reusable = s.payments.find((p) => p.status === 'pending' && p.amount === s.outstanding && (p.expiresAt === null || new Date(p.expiresAt) > now));
    if (reusable && reusable.payUrl && reusable.paymentId) return { done: true as const, outstanding: s.outstanding, reuse: reusable };
    let row: Record<string, unknown>;
    if (reusable) {
      row = (await sql<Record<string, unknown>>`SELECT * FROM registry.fee_payments WHERE reference = ${reusable.reference}`.execute(tx)).rows[0]!;
    } else {
      const q = catalog().qualification(a.qualification)!;
      const allocation = s.lines.filter((l) => (l.amount ?? 0) > l.net).map((l) => ({ line: l.line, kind: l.kind, amount: (l.amount ?? 0) - l.net }));
      const reference = `${tenant}.${a.id}.${s.payments.length + 1}`;
      const description = `${q.registerName} ${PROCEDURE_LABELS[a.procedure]}の${allocation.map((x) => x.kind).join('・')}`.slice(0, 80);
      const payer = `rp-${randomBytes(12).toString('hex')}`;
      const r = await sql<Record<string, unknown>>`
        INSERT INTO registry.fee_payments (tenant_code, qualification_code, application_id, reference, amount, allocation, category, description, return_url, payer, status, created_at, updated_at)
        VALUES (${tenant}, ${a.qualification}, ${a.id}, ${reference}, ${s.outstanding}, ${JSON.stringify(allocation)}::jsonb, ${q.name}, ${description}, ${input.returnUrl}, ${payer}, 'pending', ${now}, ${now})
        RETURNING *`.execute(tx);
      row = r.rows[0]!;
    }
    return { done: false as const, outstanding: s.outstanding, row };
  });
  if (plan.done) {
    const p = 'reuse' in plan ? plan.reuse : undefined;
    return { applicationId, settled: plan.outstanding === 0, outstanding: plan.outstanding, ...(p ? { payUrl: p.payUrl!, paymentId: p.paymentId!, expiresAt: p.expiresAt!, reference: p.reference } : {}) };
  }
  const row = plan.row;
  const created = await createPayment(
    deps.node,
    { reference: String(row['reference']), amount: Number(row['amount']), category: String(row['category']), description: String(row['description']), payer: String(row['payer']), returnUrl: String(row['return_url']) },
    { paymentNode: deps.paymentNode },
  );
  await withTenant(deps.db, tenant, async (tx) => {
    const u = await sql`UPDATE registry.fee_payments SET payment_id = ${created.paymentId}, pay_url = ${created.payUrl}, expires_at = ${created.expiresAt}, updated_at = ${deps.clock.now()}
              WHERE reference = ${String(row['reference'])} AND pay_url IS NULL`.execute(tx);
    if (Number(u.numAffectedRows ?? 0) > 0) {
      await addApplicationEvent(tx, deps.clock, tenant, applicationId, 'fee_payment_created', { reference: String(row['reference']), amount: Number(row['amount']), expiresAt: created.expiresAt }, 'registry');
    }
  });
  return { applicationId, settled: false, outstanding: plan.outstanding, payUrl: created.payUrl, paymentId: created.paymentId, expiresAt: created.expiresAt, reference: String(row['reference']) };
}

/** The registry's record of its payments and their events, bound to one tenant transaction. */
export interface RegistryPaymentStore extends PaymentEventStore {
  readonly tx: Tx;
  readonly tenant: string;
}

function paymentStoreOf(tx: Tx, tenant: string, clock: Clock): RegistryPaymentStore {
  return {
    tx,
    tenant,
    async payment(reference) {
      const r = await sql<{ payment_id: string | null; amount: number }>`SELECT payment_id, amount FROM registry.fee_payments WHERE reference = ${reference} FOR UPDATE`.execute(tx);
      const row = r.rows[0];
      return row ? { paymentId: row.payment_id, amount: Number(row.amount) } : undefined;
    },
    async hasEvent(eventId) {
      return (await sql`SELECT 1 FROM registry.fee_payment_events WHERE event_id = ${eventId}`.execute(tx)).rows.length > 0;
    },
    async latestSeq(paymentId) {
      const r = await sql<{ s: number | null }>`SELECT max(seq) AS s FROM registry.fee_payment_events WHERE payment_id = ${paymentId}`.execute(tx);
      return Number(r.rows[0]?.s ?? 0);
    },
    async record(e, jws) {
      const r = await sql`
        INSERT INTO registry.fee_payment_events (tenant_code, event_id, reference, payment_id, seq, kind, status, amount, refund_id, refund_amount, refunded_total, settled_at, at, jws, received_at)
        VALUES (${tenant}, ${e.eventId}, ${e.reference}, ${e.paymentId}, ${e.seq}, ${e.kind}, ${e.status}, ${e.amount}, ${e.refundId ?? null}, ${e.refundAmount ?? null}, ${e.refundedTotal},
                ${e.settledAt}, ${e.at}, ${jws}, ${clock.now()})
        ON CONFLICT DO NOTHING RETURNING event_id`.execute(tx);
      return r.rows.length > 0;
    },
  };
}

/**
 * Acts on an accepted event in the same transaction: the payment's state, the ledger (a settlement is a
 * receipt per fee line it pays; a refund a refund row per kind), the application's history, and
 * `fee_settled` when paid in full.  Answers whether money is now owed back (the application was withdrawn
 * or rejected, or it is paid twice).
 */
async function applyPaymentEvent(store: RegistryPaymentStore, clock: Clock, e: PaymentEvent): Promise<{ applicationId: string; refundOwed: boolean }> {
  const { tx, tenant } = store;
  const p = (await sql<Record<string, unknown>>`SELECT * FROM registry.fee_payments WHERE reference = ${e.reference} FOR UPDATE`.execute(tx)).rows[0]!;
  const applicationId = String(p['application_id']);
  await sql`UPDATE registry.fee_payments SET payment_id = COALESCE(payment_id, ${e.paymentId}::uuid), status = ${e.status}, refunded_total = ${e.refundedTotal},
              settled_at = ${e.settledAt}, updated_at = ${clock.now()} WHERE reference = ${e.reference}`.execute(tx);
  const allocation = p['allocation'] as { line: number; kind: FeeKind; amount: number }[];
  const qualification = String(p['qualification_code']);
  const evidence = { paymentId: e.paymentId, eventId: e.eventId, reference: e.reference };
  if (e.kind === 'settled') {
    for (const a of allocation) {
      await sql`INSERT INTO registry.fee_ledger (tenant_code, qualification_code, application_id, id, entry, channel, kind, amount, booked_on, at, payment_id, event_id, evidence, recorded_by)
                VALUES (${tenant}, ${qualification}, ${applicationId}, ${randomUUID()}, 'receipt', 'online', ${a.kind}, ${a.amount}, ${jstToday(new Date(e.settledAt!))}, ${e.settledAt},
                        ${e.paymentId}, ${e.eventId}, ${JSON.stringify(evidence)}::jsonb, ${PAYMENT_ACTOR})`.execute(tx);
    }
    await addApplicationEvent(tx, clock, tenant, applicationId, 'fee_paid', { channel: 'online', amount: e.amount, reference: e.reference }, PAYMENT_ACTOR);
    const a = await applicationIn(tx, applicationId);
    const s = await markSettled(tx, clock, a, PAYMENT_ACTOR);
    return { applicationId, refundOwed: ENDED_UNREGISTERED.includes(a.status) || (s.due !== null && s.net > s.due) };
  }
  if (e.kind === 'refunded') {
    // This refund back over the kinds the payment paid, last line first.
    const done = await sql<{ kind: FeeKind; n: number }>`SELECT kind, sum(amount)::int AS n FROM registry.fee_ledger WHERE payment_id = ${e.paymentId} AND entry = 'refund' GROUP BY kind`.execute(tx);
    const refundedOf = new Map(done.rows.map((r) => [r.kind, Number(r.n)]));
    let left = e.refundAmount!;
    for (const a of [...allocation].reverse()) {
      const take = Math.min(left, a.amount - (refundedOf.get(a.kind) ?? 0));
      if (take <= 0) continue;
      left -= take;
      await sql`INSERT INTO registry.fee_ledger (tenant_code, qualification_code, application_id, id, entry, channel, kind, amount, booked_on, at, payment_id, event_id, evidence, recorded_by)
                VALUES (${tenant}, ${qualification}, ${applicationId}, ${randomUUID()}, 'refund', 'online', ${a.kind}, ${take}, ${jstToday(new Date(e.at))}, ${e.at},
                        ${e.paymentId}, ${e.eventId}, ${JSON.stringify({ ...evidence, method: 'payment', refundId: e.refundId })}::jsonb, ${PAYMENT_ACTOR})`.execute(tx);
    }
    await addApplicationEvent(tx, clock, tenant, applicationId, 'fee_refunded', { channel: 'online', amount: e.refundAmount, refundedTotal: e.refundedTotal, reference: e.reference }, PAYMENT_ACTOR);
    return { applicationId, refundOwed: false };
  }
  await addApplicationEvent(tx, clock, tenant, applicationId, e.kind === 'cancelled' ? 'fee_payment_cancelled' : 'fee_payment_expired', { reference: e.reference }, PAYMENT_ACTOR);
  return { applicationId, refundOwed: false };
}

/** Accepts one signed event for a tenant (verify, check, record once, act) in one transaction. */
async function acceptFeeEvent(deps: FeeDeps, tenant: string, jws: string): Promise<{ event: PaymentEvent; applicationId: string; refundOwed: boolean }> {
  return withTenant(deps.db, tenant, async (tx) => {
    const store = paymentStoreOf(tx, tenant, deps.clock);
    const event = await acceptPaymentEvent(deps.node.directory, jws, store, { merchant: deps.node.name, paymentNode: deps.paymentNode });
    return { event, ...(await applyPaymentEvent(store, deps.clock, event)) };
  });
}

/** After an event that leaves money owed back: refunds it now (the job retries when this fails). */
async function refundIfOwed(deps: FeeDeps, tenant: string, r: { applicationId: string; refundOwed: boolean }): Promise<void> {
  if (!r.refundOwed) return;
  await refundOwed(deps, tenant, r.applicationId, '申請の取下げ等による返金').catch((e: unknown) =>
    logger().error({ node: deps.node.name, err: (e as Error).message }, 'fee refund after payment failed; the fee job retries'));
}

/**
 * The registry's `payment.notify` (from the 公金決済 node only): the signed event verified, its tenant read
 * from the reference the registry made, then accepted in that tenant's transaction.  Forged, altered,
 * another merchant's: refused (401/403/409); replayed or stale: 409 (the node counts it delivered).
 */
export function feeNotifyService(deps: FeeDeps): ServiceDef {
  const paymentNode = deps.paymentNode ?? PAYMENT_NODE;
  return {
    title: '手数料等の決済結果の通知',
    from: (s) => s === paymentNode,
    async handle(msg) {
      const jws = (msg.body as { event?: unknown } | undefined)?.event;
      if (typeof jws !== 'string') throw new Problem(400, 'PAYMENT_EVENT_UNSIGNED', '署名のない決済通知は受け付けません', '本文に event（署名付きの決済通知）がありません。');
      const e = await verifyPaymentEvent(deps.node.directory, jws, { merchant: deps.node.name, paymentNode });
      const tenant = tenantOfReference(e.reference);
      if (!tenant) throw new Problem(404, 'PAYMENT_EVENT_UNKNOWN_PAYMENT', 'この組織が作成していない決済の通知です', '参照番号に対応する決済の記録がありません。');
      const r = await acceptFeeEvent(deps, tenant, jws);
      await refundIfOwed(deps, tenant, r);
      return { body: { received: r.event.eventId, seq: r.event.seq } };
    },
  };
}

/**
 * The fallback job (QUA-20): for every tenant, pulls the events of payments still open at the registry
 * (pending with a payment id; settled ones of withdrawn or rejected applications) from the payment node and
 * accepts those it missed, then refunds what is owed.  Returns what it did.
 */
export async function syncFeePayments(deps: FeeDeps): Promise<{ checked: number; accepted: number; refunded: number; failed: number }> {
  const out = { checked: 0, accepted: 0, refunded: 0, failed: 0 };
  for (const admin of catalog().administrators) {
    const tenant = admin.code;
    const open = await withTenant(deps.db, tenant, async (tx) =>
      (await sql<{ reference: string; payment_id: string }>`SELECT reference, payment_id FROM registry.fee_payments WHERE status = 'pending' AND payment_id IS NOT NULL ORDER BY created_at`.execute(tx)).rows);
    for (const p of open) {
      out.checked += 1;
      try {
        const state = await paymentStatus(deps.node, { paymentId: p.payment_id }, { paymentNode: deps.paymentNode });
        for (const jws of state.events) {
          try {
            const r = await acceptFeeEvent(deps, tenant, jws);
            out.accepted += 1;
            await refundIfOwed(deps, tenant, r);
          } catch (e) {
            if (!(e instanceof Problem && ALREADY_RECEIVED.has(e.code))) throw e;
          }
        }
      } catch (e) {
        out.failed += 1;
        logger().error({ node: deps.node.name, err: (e as Error).message }, 'fee payment sync failed');
      }
    }
    const owed = await withTenant(deps.db, tenant, async (tx) =>
      (await sql<{ application_id: string }>`
        SELECT DISTINCT p.application_id FROM registry.fee_payments p JOIN registry.applications a ON a.id = p.application_id
        WHERE p.status IN ('settled', 'partially_refunded') AND a.status IN ('withdrawn', 'rejected')`.execute(tx)).rows);
    for (const o of owed) {
      try {
        const r = await refundOwed(deps, tenant, o.application_id, '申請の取下げ等による返金');
        out.refunded += r.refundedOnline;
      } catch (e) {
        out.failed += 1;
        logger().error({ node: deps.node.name, err: (e as Error).message }, 'fee refund failed');
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Refunds (QUA-20: on withdrawal the amount owed is tracked and refunded)

export interface RefundReport {
  readonly applicationId: string;
  /** Refunded through the payment node by this call. */
  readonly refundedOnline: number;
  /** Paid by stamp or receipt and not yet given back: staff return the stamps or start the 過誤納 claim. */
  readonly stampOwed: number;
  readonly fees: FeeStatus;
}

/**
 * Refunds what an application's applicant is owed: everything paid when it was withdrawn or rejected, the
 * excess when it was paid twice.  Online payments are refunded through the 公金決済 node (idempotent per
 * payment: refundRef `<reference>.rf`), each refund's signed event accepted at once; what was paid by stamp
 * is recorded as owed (`fee_refund_due`) for staff to give back (`recordStampRefund`).
 */
async function refundOwed(deps: FeeDeps, tenant: string, applicationId: string, reason: string): Promise<RefundReport> {
  const plan = await withTenant(deps.db, tenant, async (tx) => {
    const a = await applicationIn(tx, applicationId);
    const s = await feeStatus(tx, a);
    const ended = ENDED_UNREGISTERED.includes(a.status);
    const owed = ended ? s.net : s.due === null ? 0 : Math.max(0, s.net - s.due);
    const onlineNet = s.ledger.filter((l) => l.channel === 'online').reduce((n, l) => n + (l.entry === 'receipt' ? l.amount : -l.amount), 0);
    const stampNet = s.net - onlineNet;
    const refunds: { paymentId: string; reference: string; amount: number }[] = [];
    const onlineOwed = Math.min(owed, onlineNet);
    let left = onlineOwed;
    for (const p of [...s.payments].reverse()) {
      if (left <= 0) break;
      if ((p.status !== 'settled' && p.status !== 'partially_refunded') || !p.paymentId) continue;
      const amount = Math.min(left, p.amount - p.refundedTotal);
      if (amount <= 0) continue;
      refunds.push({ paymentId: p.paymentId, reference: p.reference, amount });
      left -= amount;
    }
    const stampOwed = Math.max(0, Math.min(owed - onlineOwed, stampNet));
    if (stampOwed > 0) {
      const last = [...a.events].reverse().find((e) => e.kind === 'fee_refund_due');
      if (!last || Number(last.detail['amount']) !== stampOwed) {
        await addApplicationEvent(tx, deps.clock, tenant, applicationId, 'fee_refund_due', { channel: 'stamp', amount: stampOwed }, 'registry');
      }
    }
    return { refunds, stampOwed };
  });
  let refundedOnline = 0;
  for (const r of plan.refunds) {
    const res = await refundPayment(deps.node, { paymentId: r.paymentId, amount: r.amount, reason, refundRef: `${r.reference}.rf` }, { paymentNode: deps.paymentNode });
    try {
      await acceptFeeEvent(deps, tenant, res.event);
    } catch (e) {
      if (!(e instanceof Problem && ALREADY_RECEIVED.has(e.code))) throw e;
    }
    refundedOnline += r.amount;
  }
  const fees = await withTenant(deps.db, tenant, async (tx) => feeStatus(tx, await applicationIn(tx, applicationId)));
  return { applicationId, refundedOnline, stampOwed: plan.stampOwed, fees };
}

/**
 * Refunds on withdrawal (取下げ before registration) or rejection: the application must be withdrawn or
 * rejected (409 APPLICATION_STATE otherwise).  Intake calls it after `transitionApplication(... 'withdrawn')`
 * has committed; re-running it refunds nothing twice.
 */
export async function refundOnWithdrawal(deps: FeeDeps, tenant: string, applicationId: string): Promise<RefundReport> {
  await withTenant(deps.db, tenant, async (tx) => {
    const a = await applicationIn(tx, applicationId);
    if (!ENDED_UNREGISTERED.includes(a.status)) throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[a.status]}」のため、返金できません（取下げ・却下の申請に限ります）。`);
  });
  return refundOwed(deps, tenant, applicationId, '申請の取下げによる返金');
}

// ---------------------------------------------------------------------------------------------------------
// The paper path: 収入印紙 / 登録免許税の領収証書 seen by staff

const userId = z.string({ message: '記録した職員を指定してください' }).regex(/^[A-Za-z0-9_.@-]{1,64}$/, { message: '職員の利用者IDの形式が正しくありません' });
const isoDate = (label: string) => z.string({ message: `${label}を指定してください` }).regex(/^\d{4}-\d{2}-\d{2}$/, { message: `${label}は YYYY-MM-DD です` });
const yen = (label: string) => z.number({ message: `${label}を指定してください` }).int({ message: `${label}は円単位の整数です` }).min(1, { message: `${label}は1円以上です` }).max(1_000_000, { message: `${label}は1,000,000円以下です` });
const note = z.string().trim().max(500, { message: '備考は500文字以内です' }).optional();

export const StampPaymentInput = z.strictObject({
  /** Client-made id of this record (a repeated submission records nothing twice). */
  id: z.uuid({ message: '記録IDが正しくありません' }).optional(),
  kind: z.enum(FEE_KINDS, { message: '手数料の種類は 登録免許税・登録手数料・手数料 のいずれかです' }).optional(),
  instrument: z.enum(STAMP_INSTRUMENTS, { message: '納付の方法は 収入印紙 か 領収証書 です' }),
  amount: yen('金額'),
  /** The day staff saw the stamps or the receipt (JST; not in the future). */
  seenOn: isoDate('確認日'),
  /** 領収証書の番号 or how the stamps were affixed (e.g. 9,000円分 3枚、消印済み). */
  reference: z.string().trim().min(1).max(100, { message: '番号・内容は100文字以内です' }).optional(),
  by: userId,
  note,
});
export type StampPaymentInput = z.input<typeof StampPaymentInput>;

function lineFor(s: FeeStatus, kind: FeeKind | undefined, field: string): FeeLine {
  if (kind) {
    const l = s.lines.find((x) => x.kind === kind);
    if (!l) throw new Problem(422, 'FEE_KIND_NOT_DUE', 'この手数料は納付の対象ではありません', `この申請に${kind}はありません。`, [{ field, code: 'FEE_KIND_NOT_DUE', message: `${kind}はこの申請の納付対象ではありません` }]);
    return l;
  }
  const open = s.lines.filter((l) => l.amount === null || l.amount > l.net);
  if (open.length !== 1) throw new Problem(422, 'FEE_KIND_REQUIRED', '手数料の種類を指定してください', '未納の手数料が複数あるか、ありません。種類（登録免許税・登録手数料・手数料）を指定してください。', [{ field, code: 'FEE_KIND_REQUIRED', message: '手数料の種類を指定してください' }]);
  return open[0]!;
}

/**
 * Staff record a paper payment they saw (収入印紙 affixed, or the 領収証書 of 登録免許税): amount, instrument,
 * day, who.  Only for open applications and never above what is outstanding for that fee (409 FEE_OVERPAID).
 */
export async function recordStampPayment(db: Db, clock: Clock, tenant: string, applicationId: string, raw: unknown): Promise<FeeStatus> {
  const input = parseInput(StampPaymentInput, raw);
  if (input.seenOn > jstToday(clock.now())) throw new Problem(422, 'DATE_IN_FUTURE', '確認日が未来の日付です', '確認日は今日以前の日付にしてください。', [{ field: 'seenOn', code: 'DATE_IN_FUTURE', message: '確認日は今日以前です' }]);
  return withTenant(db, tenant, async (tx) => {
    const a = await applicationIn(tx, applicationId);
    await openFees(tx, clock, a);
    if (input.id) {
      const again = await sql`SELECT 1 FROM registry.fee_ledger WHERE id = ${input.id}`.execute(tx);
      if (again.rows.length) return feeStatus(tx, a);
    }
    if (!OPEN_STATUSES.includes(a.status)) throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[a.status]}」のため、納付を記録できません。`);
    const s = await feeStatus(tx, a);
    const line = lineFor(s, input.kind, 'kind');
    if (line.amount === null) throw new Problem(409, 'FEE_AMOUNT_UNKNOWN', '手数料等の額が確定していません', `${line.kind}の額を先に確定してください。`, [{ field: 'kind', code: 'FEE_AMOUNT_UNKNOWN', message: `${line.kind}の額が未確定です` }]);
    const outstanding = line.amount - line.net;
    if (input.amount > outstanding) {
      throw new Problem(409, 'FEE_OVERPAID', '納付額が未納額を超えています', `${line.kind}の未納額は${outstanding.toLocaleString('ja-JP')}円です。超える分は受け付けず、申請者に返してください。`, [
        { field: 'amount', code: 'FEE_OVERPAID', message: `未納額（${outstanding.toLocaleString('ja-JP')}円）以下にしてください` },
      ]);
    }
    const evidence = { instrument: input.instrument, seenOn: input.seenOn, ...(input.reference ? { reference: input.reference } : {}) };
    await sql`INSERT INTO registry.fee_ledger (tenant_code, qualification_code, application_id, id, entry, channel, kind, amount, booked_on, at, evidence, recorded_by, note)
              VALUES (${tenant}, ${a.qualification}, ${a.id}, ${input.id ?? randomUUID()}, 'receipt', 'stamp', ${line.kind}, ${input.amount}, ${input.seenOn}, ${clock.now()},
                      ${JSON.stringify(evidence)}::jsonb, ${input.by}, ${input.note ?? null})`.execute(tx);
    await addApplicationEvent(tx, clock, tenant, a.id, 'fee_paid', { channel: 'stamp', kind: line.kind, amount: input.amount, instrument: input.instrument }, input.by);
    return markSettled(tx, clock, await applicationIn(tx, a.id), input.by);
  });
}

export const StampRefundInput = z.strictObject({
  id: z.uuid({ message: '記録IDが正しくありません' }).optional(),
  kind: z.enum(FEE_KINDS, { message: '手数料の種類は 登録免許税・登録手数料・手数料 のいずれかです' }).optional(),
  method: z.enum(Object.keys(STAMP_REFUND_METHODS) as [StampRefundMethod, ...StampRefundMethod[]], { message: '返還の方法は stamp_returned（収入印紙の返還）か overpayment（過誤納金の還付手続）です' }),
  amount: yen('返還額'),
  on: isoDate('返還日'),
  by: userId,
  note,
});
export type StampRefundInput = z.input<typeof StampRefundInput>;

/**
 * Staff record that a paper payment of a withdrawn or rejected application was given back: the unused 収入印紙
 * returned, or the 過誤納金 claim for 登録免許税 started (登録免許税法第31条).  Never above what was paid that way.
 */
export async function recordStampRefund(db: Db, clock: Clock, tenant: string, applicationId: string, raw: unknown): Promise<FeeStatus> {
  const input = parseInput(StampRefundInput, raw);
  if (input.on > jstToday(clock.now())) throw new Problem(422, 'DATE_IN_FUTURE', '返還日が未来の日付です', '返還日は今日以前の日付にしてください。', [{ field: 'on', code: 'DATE_IN_FUTURE', message: '返還日は今日以前です' }]);
  return withTenant(db, tenant, async (tx) => {
    const a = await applicationIn(tx, applicationId);
    if (input.id && (await sql`SELECT 1 FROM registry.fee_ledger WHERE id = ${input.id}`.execute(tx)).rows.length) return feeStatus(tx, a);
    if (!ENDED_UNREGISTERED.includes(a.status)) throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[a.status]}」のため、返還を記録できません（取下げ・却下の申請に限ります）。`);
    await sql`SELECT 1 FROM registry.applications WHERE id = ${a.id} FOR UPDATE`.execute(tx);
    const s = await feeStatus(tx, a);
    const stampNet = (kind: FeeKind) => s.ledger.filter((l) => l.channel === 'stamp' && l.kind === kind).reduce((n, l) => n + (l.entry === 'receipt' ? l.amount : -l.amount), 0);
    const kinds = [...new Set(s.ledger.filter((l) => l.channel === 'stamp').map((l) => l.kind))].filter((k) => stampNet(k) > 0);
    const kind = input.kind ?? (kinds.length === 1 ? kinds[0] : undefined);
    if (!kind) throw new Problem(422, 'FEE_KIND_REQUIRED', '手数料の種類を指定してください', '返還する手数料の種類（登録免許税・登録手数料・手数料）を指定してください。', [{ field: 'kind', code: 'FEE_KIND_REQUIRED', message: '手数料の種類を指定してください' }]);
    if (input.amount > stampNet(kind)) {
      throw new Problem(409, 'REFUND_EXCEEDS_PAID', '返還額が納付額を超えています', `${kind}の収入印紙・領収証書による納付のうち返還できるのは${stampNet(kind).toLocaleString('ja-JP')}円です。`, [
        { field: 'amount', code: 'REFUND_EXCEEDS_PAID', message: `${stampNet(kind).toLocaleString('ja-JP')}円以下にしてください` },
      ]);
    }
    await sql`INSERT INTO registry.fee_ledger (tenant_code, qualification_code, application_id, id, entry, channel, kind, amount, booked_on, at, evidence, recorded_by, note)
              VALUES (${tenant}, ${a.qualification}, ${a.id}, ${input.id ?? randomUUID()}, 'refund', 'stamp', ${kind}, ${input.amount}, ${input.on}, ${clock.now()},
                      ${JSON.stringify({ method: input.method })}::jsonb, ${input.by}, ${input.note ?? null})`.execute(tx);
    await addApplicationEvent(tx, clock, tenant, a.id, 'fee_refunded', { channel: 'stamp', kind, amount: input.amount, method: input.method }, input.by);
    return feeStatus(tx, a);
  });
}

export const ConfirmAmountInput = z.strictObject({
  kind: z.enum(FEE_KINDS, { message: '手数料の種類は 登録免許税・登録手数料・手数料 のいずれかです' }),
  amount: z.number({ message: '金額を指定してください' }).int({ message: '金額は円単位の整数です' }).min(0).max(1_000_000),
  source: z.string({ message: '根拠を指定してください' }).trim().min(5, { message: '根拠（法令・告示など）を5文字以上で書いてください' }).max(1000),
  by: userId,
});

/** Staff confirm an amount the catalog does not know (要確認), with its source; only once per line. */
export async function confirmFeeAmount(db: Db, clock: Clock, tenant: string, applicationId: string, raw: unknown): Promise<FeeStatus> {
  const input = parseInput(ConfirmAmountInput, raw);
  return withTenant(db, tenant, async (tx) => {
    const a = await applicationIn(tx, applicationId);
    await openFees(tx, clock, a);
    const u = await sql`UPDATE registry.application_fees SET amount = ${input.amount}, source = ${input.source}, confirmed_by = ${input.by}, confirmed_at = ${clock.now()}
                        WHERE application_id = ${a.id} AND kind = ${input.kind} AND amount IS NULL`.execute(tx);
    if (Number(u.numAffectedRows ?? 0) === 0) throw conflict('FEE_AMOUNT_KNOWN', `${input.kind}の額は確定済みか、この申請の納付対象ではありません。`);
    await addApplicationEvent(tx, clock, tenant, a.id, 'fee_amount_confirmed', { kind: input.kind, amount: input.amount }, input.by);
    return markSettled(tx, clock, await applicationIn(tx, a.id), input.by);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Income and expenditure (QUA-21, QUA-22)

export const TotalsQuery = z
  .strictObject({
    from: isoDate('開始日'),
    until: isoDate('終了日'),
    qualification: z.string().regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }).optional(),
    kind: z.enum(FEE_KINDS, { message: '手数料の種類は 登録免許税・登録手数料・手数料 のいずれかです' }).optional(),
    channel: z.enum(['online', 'stamp'], { message: '納付方法は online か stamp です' }).optional(),
  })
  .refine((q) => q.from <= q.until, { message: '開始日は終了日以前にしてください', path: ['until'] });
export type TotalsQuery = z.input<typeof TotalsQuery>;

export interface TotalsRow {
  readonly qualification: string;
  readonly qualificationName: string;
  readonly kind: FeeKind;
  readonly channel: FeeChannel;
  readonly channelLabel: string;
  readonly receipts: number;
  readonly refunds: number;
  readonly net: number;
  readonly receiptCount: number;
  readonly refundCount: number;
}

export interface FeeTotals {
  readonly tenant: string;
  readonly from: string;
  readonly until: string;
  readonly qualification: string | null;
  readonly kind: FeeKind | null;
  readonly channel: FeeChannel | null;
  readonly receipts: number;
  readonly refunds: number;
  readonly net: number;
  readonly rows: readonly TotalsRow[];
}

/**
 * Income (receipts) and expenditure (refunds) of a 資格管理者 for a period (JST dates, both included) and
 * optionally one qualification, fee kind or channel, per qualification × kind × channel.  Receipts count on
 * their settlement (or seen) date, refunds on their refund date — as the payment node's totals do.
 * `qualifications` limits it to a staff member's jurisdiction.
 */
export async function feeTotals(db: Db, tenant: string, raw: unknown, qualifications?: readonly string[]): Promise<FeeTotals> {
  const q = parseInput(TotalsQuery, raw);
  const rows = await withTenant(db, tenant, async (tx) => {
    const where = [sql`booked_on BETWEEN ${q.from}::date AND ${q.until}::date`];
    if (q.qualification) where.push(sql`qualification_code = ${q.qualification}`);
    if (q.kind) where.push(sql`kind = ${q.kind}`);
    if (q.channel) where.push(sql`channel = ${q.channel}`);
    if (qualifications) where.push(sql`qualification_code = ANY(${[...qualifications]}::text[])`);
    return (await sql<{ qualification_code: string; kind: FeeKind; channel: FeeChannel; receipts: number; refunds: number; rc: number; fc: number }>`
      SELECT qualification_code, kind, channel,
             COALESCE(sum(amount) FILTER (WHERE entry = 'receipt'), 0)::int AS receipts, COALESCE(sum(amount) FILTER (WHERE entry = 'refund'), 0)::int AS refunds,
             count(*) FILTER (WHERE entry = 'receipt')::int AS rc, count(*) FILTER (WHERE entry = 'refund')::int AS fc
      FROM registry.fee_ledger WHERE ${sql.join(where, sql` AND `)}
      GROUP BY qualification_code, kind, channel ORDER BY qualification_code, kind, channel`.execute(tx)).rows;
  });
  const out: TotalsRow[] = rows.map((r) => ({
    qualification: r.qualification_code,
    qualificationName: catalog().qualification(r.qualification_code)?.name ?? r.qualification_code,
    kind: r.kind,
    channel: r.channel,
    channelLabel: FEE_CHANNEL_LABELS[r.channel],
    receipts: Number(r.receipts),
    refunds: Number(r.refunds),
    net: Number(r.receipts) - Number(r.refunds),
    receiptCount: Number(r.rc),
    refundCount: Number(r.fc),
  }));
  const receipts = out.reduce((s, r) => s + r.receipts, 0);
  const refunds = out.reduce((s, r) => s + r.refunds, 0);
  return { tenant, from: q.from, until: q.until, qualification: q.qualification ?? null, kind: q.kind ?? null, channel: q.channel ?? null, receipts, refunds, net: receipts - refunds, rows: out };
}

// ---------------------------------------------------------------------------------------------------------
// The portal's payment step

export const PortalFeesInput = z.strictObject({
  /** The applicant's マイナポータル仮名ID (the same key as intake's applications.* services). */
  pseudonym: z.string({ message: 'マイナポータル仮名IDを指定してください' }).regex(/^[A-Za-z0-9_-]{8,64}$/, { message: 'マイナポータル仮名IDの形式が正しくありません' }),
  applicationId: z.uuid({ message: '申請IDが正しくありません' }),
  /** true: start (or resume) the online payment of what is outstanding and answer its payer page URL. */
  pay: z.boolean().optional(),
  /** Where the payment page sends the applicant back to (the portal's status page); required with pay. */
  returnUrl: z.url({ message: '戻り先URLが正しくありません' }).max(500).optional(),
});

export interface PortalFees {
  readonly applicationId: string;
  readonly status: ApplicationStatus;
  readonly statusLabel: string;
  readonly lines: readonly { kind: FeeKind; amount: number | null }[];
  readonly due: number | null;
  readonly paid: number;
  readonly outstanding: number | null;
  readonly settled: boolean;
  readonly payment: { readonly payUrl: string; readonly expiresAt: string; readonly statusLabel: string } | null;
}

/** The application of this マイナポータル仮名ID among all tenants (the portal does not know the 資格管理者). */
async function tenantOfPortalApplication(db: Db, pseudonym: string, applicationId: string): Promise<string> {
  for (const admin of catalog().administrators) {
    const found = await withTenant(db, admin.code, async (tx) =>
      (await sql`SELECT 1 FROM registry.applications WHERE id = ${applicationId} AND portal_pseudonym = ${pseudonym}`.execute(tx)).rows.length > 0);
    if (found) return admin.code;
  }
  throw notFound('申請');
}

/**
 * What the portal shows at the payment step (registry service `applications.fees`): the fees of an
 * application of this マイナポータル仮名ID, and with `pay` the payer page URL to send the applicant to.
 * Another applicant's application answers 404 as an unknown one does.
 */
export async function portalFees(deps: FeeDeps, raw: unknown): Promise<PortalFees> {
  const input = parseInput(PortalFeesInput, raw);
  const tenant = await tenantOfPortalApplication(deps.db, input.pseudonym, input.applicationId);
  let pay: PayAnswer | undefined;
  if (input.pay) {
    if (!input.returnUrl) throw new Problem(400, 'VALIDATION', '入力内容に誤りがあります', '戻り先URLを指定してください。', [{ field: 'returnUrl', code: 'REQUIRED', message: '戻り先URLを指定してください' }]);
    pay = await payFees(deps, tenant, input.applicationId, { returnUrl: input.returnUrl, portalPseudonym: input.pseudonym });
  }
  return withTenant(deps.db, tenant, async (tx) => {
    const a = await applicationIn(tx, input.applicationId);
    const s = await feeStatus(tx, a);
    const now = deps.clock.now();
    const pending = pay?.payUrl
      ? { payUrl: pay.payUrl, expiresAt: pay.expiresAt!, statusLabel: PAYMENT_STATUS_LABELS.pending }
      : (() => {
          const p = [...s.payments].reverse().find((x) => x.status === 'pending' && x.payUrl && x.expiresAt && new Date(x.expiresAt) > now);
          return p ? { payUrl: p.payUrl!, expiresAt: p.expiresAt!, statusLabel: p.statusLabel } : null;
        })();
    return {
      applicationId: a.id,
      status: a.status,
      statusLabel: APPLICATION_STATUS_LABELS[a.status],
      lines: s.lines.map((l) => ({ kind: l.kind, amount: l.amount })),
      due: s.due,
      paid: s.net,
      outstanding: s.outstanding,
      settled: s.settled,
      payment: s.settled ? null : pending,
    };
  });
}

/** The registry's exchange services for fees: `payment.notify` (from 公金決済) and `applications.fees` (from マイナポータル). */
export function feeServices(deps: FeeDeps, opts: { portalNode?: string } = {}): Record<string, ServiceDef> {
  const portal = opts.portalNode ?? 'mynaportal';
  return {
    'payment.notify': feeNotifyService(deps),
    'applications.fees': {
      title: '申請の手数料等（納付状況・決済ページ）',
      from: (s) => s === portal,
      async handle(msg) {
        return { body: await portalFees(deps, msg.body), personal: true };
      },
    },
  };
}
