// The merchant's end of 公金決済 (decisions 0173, 0174; docs/formats/payment-protocol.md): a node that charges
// a fee (the registry's 登録手数料) creates payments, asks their status, refunds and reads totals over the
// signed message layer, and accepts the payment node's signed events — verified, checked against its own
// record (amount, reference), refused when replayed or stale, recorded once.  The merchant keeps its own
// tables; it gives `acceptPaymentEvent` a store bound to the transaction that acts on the event.
import { z } from 'zod';
import { parseInput, Problem } from '../problems/index.js';
import type { Directory, ExchangeNode, ServiceDef } from '../exchange/index.js';
import { MAX_PAYMENT_YEN, PAYMENT_NODE, PAYMENT_STATUSES, verifyPaymentEvent, type PaymentEvent } from './event.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const text = (label: string, max: number) =>
  z
    .string({ message: `${label}を入力してください` })
    .trim()
    .min(1, { message: `${label}を入力してください` })
    .max(max, { message: `${label}は${max}文字以内です` })
    .refine((s) => !CONTROL.test(s), { message: `${label}に制御文字は使えません` });
const isoDate = (label: string) => z.string({ message: `${label}を指定してください` }).regex(/^\d{4}-\d{2}-\d{2}$/, `${label}は YYYY-MM-DD です`);

/** A payer pseudonym: the merchant's own opaque id for the payer, never a My Number (12 digits refused). */
export const PayerPseudonym = z
  .string({ message: '支払者の仮名IDを指定してください' })
  .regex(/^[A-Za-z0-9_-]{8,64}$/, '支払者の仮名IDは英数字・-・_ の8〜64文字です')
  .refine((s) => !/^\d{12}$/.test(s), { message: '支払者の仮名IDに12桁の数字（個人番号の形）は使えません', params: { code: 'PAYER_LOOKS_LIKE_MYNUMBER' } });

export const CreatePaymentInput = z.strictObject({
  /** The merchant's own reference (unique per merchant): creating again with the same one is idempotent. */
  reference: z.string({ message: '加盟店の参照番号を指定してください' }).regex(/^[A-Za-z0-9_.:-]{1,64}$/, '加盟店の参照番号は英数字と _.:- の64文字以内です'),
  amount: z.number({ message: '金額を指定してください' }).int('金額は円単位の整数です').min(1, '金額は1円以上です').max(MAX_PAYMENT_YEN, `金額は${MAX_PAYMENT_YEN.toLocaleString('ja-JP')}円以下です`),
  /** 収入の区分, e.g. 登録手数料 (totals are kept per category). */
  category: text('区分', 40),
  /** What the payer reads on the payment page, e.g. 看護師籍 登録手数料. */
  description: text('支払の内容', 80).optional(),
  payer: PayerPseudonym,
  /** Where the payer's browser goes back to after paying or cancelling (the merchant's own site). */
  returnUrl: z.url({ message: '戻り先URLが正しくありません' }).max(500),
});
export type CreatePaymentInput = z.input<typeof CreatePaymentInput>;

export const RefundInput = z.strictObject({
  paymentId: z.uuid({ message: '決済IDが正しくありません' }),
  amount: z.number({ message: '返金額を指定してください' }).int('返金額は円単位の整数です').min(1, '返金額は1円以上です').max(MAX_PAYMENT_YEN),
  reason: text('返金の理由', 200),
  /** The merchant's own id of this refund: asking again with the same one is idempotent. */
  refundRef: z.string({ message: '返金の参照番号を指定してください' }).regex(/^[A-Za-z0-9_.:-]{1,64}$/, '返金の参照番号は英数字と _.:- の64文字以内です'),
});
export type RefundInput = z.input<typeof RefundInput>;

export const TotalsInput = z
  .strictObject({
    /** JST dates, both included. */
    from: isoDate('開始日'),
    to: isoDate('終了日'),
    category: text('区分', 40).optional(),
  })
  .refine((t) => t.from <= t.to, { message: '開始日は終了日以前にしてください', path: ['to'] });
export type TotalsInput = z.input<typeof TotalsInput>;

export const StatusInput = z.union([z.strictObject({ paymentId: z.uuid({ message: '決済IDが正しくありません' }) }), z.strictObject({ reference: CreatePaymentInput.shape.reference })]);
export type StatusInput = z.input<typeof StatusInput>;

export const CreatedPayment = z.object({ paymentId: z.uuid(), payUrl: z.url(), status: z.enum(PAYMENT_STATUSES), expiresAt: z.iso.datetime({ offset: true }), created: z.boolean() });
export type CreatedPayment = z.infer<typeof CreatedPayment>;

export const PaymentState = z.object({
  paymentId: z.uuid(),
  reference: z.string(),
  category: z.string(),
  amount: z.number().int(),
  status: z.enum(PAYMENT_STATUSES),
  refundedTotal: z.number().int(),
  settledAt: z.iso.datetime({ offset: true }).nullable(),
  expiresAt: z.iso.datetime({ offset: true }),
  /** Every signed event of the payment, in order (seq 1, 2, …). */
  events: z.array(z.string()),
});
export type PaymentState = z.infer<typeof PaymentState>;

export const RefundResult = z.object({ refundId: z.uuid(), paymentId: z.uuid(), amount: z.number().int(), refundedTotal: z.number().int(), status: z.enum(PAYMENT_STATUSES), created: z.boolean(), event: z.string() });
export type RefundResult = z.infer<typeof RefundResult>;

export const CategoryTotals = z.object({ category: z.string(), income: z.number().int(), refunds: z.number().int(), net: z.number().int(), payments: z.number().int(), refundCount: z.number().int() });
export const Totals = z.object({
  from: z.string(),
  to: z.string(),
  category: z.string().nullable(),
  income: z.number().int(),
  refunds: z.number().int(),
  net: z.number().int(),
  payments: z.number().int(),
  refundCount: z.number().int(),
  byCategory: z.array(CategoryTotals),
});
export type Totals = z.infer<typeof Totals>;

function answer<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new Problem(502, 'PAYMENT_BAD_ANSWER', '決済サービスの応答が正しくありません', `応答の項目 ${r.error.issues.map((i) => i.path.join('.') || '(全体)').join(', ')} が正しくありません。`);
  return r.data;
}

export interface PaymentClientOptions {
  /** The payment node's name (default 'payment'). */
  readonly paymentNode?: string;
  readonly timeoutMs?: number;
}

/**
 * Creates a payment at the payment node (idempotent on `reference`: the same reference with the same
 * content gives the same payment; with other content 409 PAYMENT_REFERENCE_CONFLICT).  The payer is sent to
 * `payUrl`.  An unreachable payment node is 503 EXCHANGE_UNREACHABLE and nothing is created.
 */
export async function createPayment(node: ExchangeNode, input: CreatePaymentInput, opts: PaymentClientOptions = {}): Promise<CreatedPayment> {
  const body = parseInput(CreatePaymentInput, input);
  const a = await node.call(opts.paymentNode ?? PAYMENT_NODE, 'payment.create', body, { personal: true, timeoutMs: opts.timeoutMs });
  return answer(CreatedPayment, a.body);
}

/** The payment's state and every signed event of it (to catch up on a lost callback: `syncPaymentEvents`). */
export async function paymentStatus(node: ExchangeNode, input: StatusInput, opts: PaymentClientOptions = {}): Promise<PaymentState> {
  const a = await node.call(opts.paymentNode ?? PAYMENT_NODE, 'payment.status', parseInput(StatusInput, input), { timeoutMs: opts.timeoutMs });
  return answer(PaymentState, a.body);
}

/** Refunds part or all of a settled payment; never more than was paid (409 PAYMENT_REFUND_EXCEEDS). */
export async function refundPayment(node: ExchangeNode, input: RefundInput, opts: PaymentClientOptions = {}): Promise<RefundResult> {
  const a = await node.call(opts.paymentNode ?? PAYMENT_NODE, 'payment.refund', parseInput(RefundInput, input), { timeoutMs: opts.timeoutMs });
  return answer(RefundResult, a.body);
}

/** Income, refunds and net of this merchant for a period (JST dates, both included) and optionally a category. */
export async function paymentTotals(node: ExchangeNode, input: TotalsInput, opts: PaymentClientOptions = {}): Promise<Totals> {
  const a = await node.call(opts.paymentNode ?? PAYMENT_NODE, 'payment.totals', parseInput(TotalsInput, input), { timeoutMs: opts.timeoutMs });
  return answer(Totals, a.body);
}

/**
 * What a merchant keeps about its payments and their events, in its own tables.  The functions run inside
 * the merchant's transaction; `record` must be unique on the event id (a second record returns false).
 */
export interface PaymentEventStore {
  /** The merchant's own record of the payment it created under `reference`: the payment id and amount it expects. */
  payment(reference: string): Promise<{ paymentId: string | null; amount: number } | undefined>;
  hasEvent(eventId: string): Promise<boolean>;
  /** The highest seq recorded for the payment (0 when none). */
  latestSeq(paymentId: string): Promise<number>;
  /** Records the event once; false when its id is already recorded. */
  record(event: PaymentEvent, jws: string): Promise<boolean>;
}

export interface AcceptOptions {
  /** This merchant's node name (the events' audience). */
  readonly merchant: string;
  readonly paymentNode?: string;
}

/**
 * Verifies a signed event (verifyPaymentEvent), checks it against the merchant's own record — a payment it
 * created (PAYMENT_EVENT_UNKNOWN_PAYMENT), the same payment id (PAYMENT_EVENT_REFERENCE_MISMATCH), the same
 * amount (PAYMENT_EVENT_AMOUNT_MISMATCH) — refuses a replay (PAYMENT_EVENT_REPLAY: the event id was recorded)
 * and a stale event (PAYMENT_EVENT_STALE: not newer than the latest recorded for the payment), and records it.
 */
export async function acceptPaymentEvent(directory: Directory, jws: string, store: PaymentEventStore, opts: AcceptOptions): Promise<PaymentEvent> {
  const e = await verifyPaymentEvent(directory, jws, { merchant: opts.merchant, paymentNode: opts.paymentNode });
  const mine = await store.payment(e.reference);
  if (!mine) throw new Problem(404, 'PAYMENT_EVENT_UNKNOWN_PAYMENT', 'この組織が作成していない決済の通知です', '参照番号に対応する決済の記録がありません。');
  if (mine.paymentId !== null && mine.paymentId !== e.paymentId) throw new Problem(409, 'PAYMENT_EVENT_REFERENCE_MISMATCH', '決済IDと参照番号が一致しません', '通知の決済IDが、この参照番号で作成した決済と異なります。');
  if (mine.amount !== e.amount) throw new Problem(409, 'PAYMENT_EVENT_AMOUNT_MISMATCH', '決済通知の金額が一致しません', `通知の金額（${e.amount.toLocaleString('ja-JP')}円）が請求した金額（${mine.amount.toLocaleString('ja-JP')}円）と異なります。`);
  if (await store.hasEvent(e.eventId)) throw new Problem(409, 'PAYMENT_EVENT_REPLAY', '同じ決済通知が再送されました', '受信済みの決済通知です（記録は変わりません）。');
  const latest = await store.latestSeq(e.paymentId);
  if (e.seq <= latest) throw new Problem(409, 'PAYMENT_EVENT_STALE', '古い決済通知です', `この決済についてより新しい通知（${latest}番目）を受信済みです。`);
  if (!(await store.record(e, jws))) throw new Problem(409, 'PAYMENT_EVENT_REPLAY', '同じ決済通知が再送されました', '受信済みの決済通知です（記録は変わりません）。');
  return e;
}

/** The codes that mean "the merchant already has this (or something newer)": a re-delivery is done. */
export const ALREADY_RECEIVED = new Set(['PAYMENT_EVENT_REPLAY', 'PAYMENT_EVENT_STALE']);

/**
 * The merchant's `payment.notify` service (from the payment node only): accepts the event in the merchant's
 * transaction (`withStore`), then `onEvent` acts on it in the same transaction (e.g. marks an application
 * paid).  Refusals go back to the payment node as Problems; replays and stale events as 409.
 */
export function paymentNotifyService<S extends PaymentEventStore>(opts: AcceptOptions & {
  /** The directory the merchant node uses (the payment node's keys come from it). */
  readonly directory: Directory;
  /** Runs `fn` in one transaction of the merchant with its store (which may also carry the transaction). */
  withStore<T>(fn: (store: S) => Promise<T>): Promise<T>;
  onEvent?(event: PaymentEvent, store: S): Promise<void>;
}): ServiceDef {
  const paymentNode = opts.paymentNode ?? PAYMENT_NODE;
  return {
    title: '決済結果の通知',
    from: (s) => s === paymentNode,
    async handle(msg) {
      const jws = (msg.body as { event?: unknown } | undefined)?.event;
      if (typeof jws !== 'string') throw new Problem(400, 'PAYMENT_EVENT_UNSIGNED', '署名のない決済通知は受け付けません', '本文に event（署名付きの決済通知）がありません。');
      const e = await opts.withStore(async (store) => {
        const ev = await acceptPaymentEvent(opts.directory, jws, store, opts);
        await opts.onEvent?.(ev, store);
        return ev;
      });
      return { body: { received: e.eventId, seq: e.seq } };
    },
  };
}

/**
 * Catches up on events a merchant missed (a callback lost while it was down): asks `payment.status` and
 * accepts, in order, every event it has not recorded.  Returns the events newly recorded.
 */
export async function syncPaymentEvents<S extends PaymentEventStore>(node: ExchangeNode, input: StatusInput, withStore: <T>(fn: (store: S) => Promise<T>) => Promise<T>, opts: PaymentClientOptions & { onEvent?(event: PaymentEvent, store: S): Promise<void> } = {}): Promise<PaymentEvent[]> {
  const state = await paymentStatus(node, input, opts);
  const out: PaymentEvent[] = [];
  for (const jws of state.events) {
    try {
      out.push(await withStore(async (store) => {
        const e = await acceptPaymentEvent(node.directory, jws, store, { merchant: node.name, paymentNode: opts.paymentNode });
        await opts.onEvent?.(e, store);
        return e;
      }));
    } catch (e) {
      if (!(e instanceof Problem && ALREADY_RECEIVED.has(e.code))) throw e;
    }
  }
  return out;
}

/**
 * An example store kept in memory (tests, and a model for a merchant's own tables): payments by reference,
 * events by id.  A real merchant keeps these in its schema and binds them to its transaction.
 */
export function memoryPaymentStore(): PaymentEventStore & { expect(reference: string, amount: number, paymentId?: string): void; events(paymentId?: string): PaymentEvent[] } {
  const payments = new Map<string, { paymentId: string | null; amount: number }>();
  const events = new Map<string, PaymentEvent>();
  return {
    expect(reference, amount, paymentId) {
      payments.set(reference, { paymentId: paymentId ?? null, amount });
    },
    events(paymentId) {
      return [...events.values()].filter((e) => !paymentId || e.paymentId === paymentId).sort((a, b) => a.seq - b.seq);
    },
    async payment(reference) {
      return payments.get(reference);
    },
    async hasEvent(eventId) {
      return events.has(eventId);
    },
    async latestSeq(paymentId) {
      return Math.max(0, ...[...events.values()].filter((e) => e.paymentId === paymentId).map((e) => e.seq));
    },
    async record(e) {
      if (events.has(e.eventId)) return false;
      events.set(e.eventId, e);
      const p = payments.get(e.reference);
      if (p && p.paymentId === null) p.paymentId = e.paymentId;
      return true;
    },
  };
}
