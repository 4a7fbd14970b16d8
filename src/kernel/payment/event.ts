// A payment event of 公金決済 (decisions 0173, 0174; docs/formats/payment-protocol.md): what the payment node
// tells a merchant about one of its payments — settled, cancelled, refunded — as a JWS compact signed with
// the payment node's own published signing key (ES256, typ mamori-payment-event+jws).  Expiry of an unpaid
// payment is an event too, so the merchant learns the payer gave up without asking.  The same signed event
// reaches the merchant by push (`payment.notify`) and by pull (`payment.status`), so its proof does not
// depend on the channel.  Merchants verify it against the directory's keys exactly as the message layer does.
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { Problem } from '../problems/index.js';
import type { Directory, NodeKeys } from '../exchange/index.js';

export const PAYMENT_EVENT_TYPE = 'mamori-payment-event+jws';
/** The payment node's name in the directory (the default; a merchant may be told another). */
export const PAYMENT_NODE = 'payment';
/** The largest payment (円). */
export const MAX_PAYMENT_YEN = 10_000_000;

export const PAYMENT_EVENT_KINDS = ['settled', 'cancelled', 'expired', 'refunded'] as const;
export const PAYMENT_STATUSES = ['pending', 'settled', 'cancelled', 'partially_refunded', 'refunded', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** 支払の状態 as people read them. */
export const PAYMENT_STATUS_LABELS: Readonly<Record<PaymentStatus, string>> = {
  pending: 'お支払い待ち',
  settled: '支払済み',
  cancelled: '取りやめ',
  partially_refunded: '一部返金済み',
  refunded: '全額返金済み',
  expired: '期限切れ',
};

const instant = z.iso.datetime({ offset: true });

export const PaymentEvent = z.strictObject({
  v: z.literal(1),
  /** The payment node that signed it. */
  iss: z.string().min(1).max(64),
  /** The merchant node the event is for. */
  aud: z.string().min(1).max(64),
  /** Unique per event (UUID); a merchant records each once. */
  eventId: z.uuid(),
  /** 1, 2, 3 … per payment, in the order the payment node made them. */
  seq: z.number().int().positive(),
  paymentId: z.uuid(),
  /** The merchant's own reference given at creation. */
  reference: z.string().min(1).max(64),
  category: z.string().min(1).max(40),
  kind: z.enum(PAYMENT_EVENT_KINDS),
  /** The payment's status after this event. */
  status: z.enum(['settled', 'cancelled', 'expired', 'partially_refunded', 'refunded']),
  /** The payment's amount (円), as created. */
  amount: z.number().int().positive().max(MAX_PAYMENT_YEN),
  /** With kind 'refunded': this refund's id and amount. */
  refundId: z.uuid().optional(),
  refundAmount: z.number().int().positive().max(MAX_PAYMENT_YEN).optional(),
  /** Refunded so far, this event included. */
  refundedTotal: z.number().int().min(0).max(MAX_PAYMENT_YEN),
  settledAt: instant.nullable(),
  /** When the event happened at the payment node. */
  at: instant,
});
export type PaymentEvent = z.infer<typeof PaymentEvent>;

/** Signs an event with the payment node's current signing key (the payment node only). */
export async function signPaymentEvent(keys: NodeKeys, event: PaymentEvent): Promise<string> {
  const e = PaymentEvent.parse(event);
  if (e.iss !== keys.node) throw new Error('a payment event is signed by its issuer');
  const sig = keys.signingKey();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(e))).setProtectedHeader({ alg: 'ES256', kid: sig.kid, typ: PAYMENT_EVENT_TYPE }).sign(sig.privateKey);
}

const refused = (status: number, code: string, title: string, detail: string) => new Problem(status, code, title, detail);

/**
 * Verifies a signed payment event: JWS of the payment node (its key from the directory, as the message layer
 * fetches it), for `merchant`, well formed.  Throws a named Problem: PAYMENT_EVENT_UNSIGNED,
 * PAYMENT_EVENT_BAD_SIGNATURE (another key, or altered), PAYMENT_EVENT_WRONG_ISSUER, PAYMENT_EVENT_WRONG_AUDIENCE,
 * PAYMENT_EVENT_MALFORMED.  Says nothing about replay: that is `acceptPaymentEvent`'s (client.ts).
 */
export async function verifyPaymentEvent(directory: Directory, jws: string, opts: { merchant: string; paymentNode?: string }): Promise<PaymentEvent> {
  const paymentNode = opts.paymentNode ?? PAYMENT_NODE;
  if (typeof jws !== 'string' || jws.length > 16_384 || jws.split('.').length !== 3) {
    throw refused(401, 'PAYMENT_EVENT_UNSIGNED', '署名のない決済通知は受け付けません', '決済通知は決済サービスの署名付き（JWS compact）で送られます。');
  }
  let kid: string | undefined;
  try {
    const h = decodeProtectedHeader(jws);
    if (h.alg !== 'ES256' || h.typ !== PAYMENT_EVENT_TYPE) throw new Error('header');
    kid = h.kid;
  } catch {
    throw refused(401, 'PAYMENT_EVENT_UNSIGNED', '署名のない決済通知は受け付けません', `署名方式は ES256、種別は ${PAYMENT_EVENT_TYPE} に限ります。`);
  }
  if (!directory.has(paymentNode)) throw refused(503, 'PAYMENT_NODE_UNKNOWN', '決済サービスが接続先一覧にありません', `組織「${paymentNode}」は接続先一覧にありません。`);
  const key = await directory.verificationKey(paymentNode, kid);
  if (!key) throw refused(401, 'PAYMENT_EVENT_BAD_SIGNATURE', '決済通知の署名を検証できません', `「${directory.title(paymentNode)}」の公開鍵にこの鍵IDはありません（別の鍵で署名されています）。`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch {
    throw refused(401, 'PAYMENT_EVENT_BAD_SIGNATURE', '決済通知の署名を検証できません', '決済通知の署名が正しくありません（改ざんされたか、別の鍵で署名されています）。');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    raw = undefined;
  }
  const parsed = PaymentEvent.safeParse(raw);
  if (!parsed.success) throw refused(400, 'PAYMENT_EVENT_MALFORMED', '決済通知の形式が正しくありません', `項目 ${parsed.error.issues.map((i) => i.path.join('.') || '(全体)').join(', ')} が正しくありません。`);
  const e = parsed.data;
  if (e.iss !== paymentNode) throw refused(403, 'PAYMENT_EVENT_WRONG_ISSUER', '決済サービス以外が発行した決済通知です', `発行者が「${directory.title(paymentNode)}」ではありません。`);
  if (e.aud !== opts.merchant) throw refused(403, 'PAYMENT_EVENT_WRONG_AUDIENCE', '別の加盟店あての決済通知です', 'この決済通知はこの組織あてではありません。');
  const statusOk = e.kind === 'refunded' ? e.status === 'partially_refunded' || e.status === 'refunded' : e.status === e.kind;
  if (!statusOk || (e.kind === 'refunded') !== (e.refundId !== undefined && e.refundAmount !== undefined) || e.refundedTotal > e.amount || ((e.kind === 'settled' || e.kind === 'refunded') && !e.settledAt)) {
    throw refused(400, 'PAYMENT_EVENT_MALFORMED', '決済通知の形式が正しくありません', '種別・状態・返金額・支払日時の組合せが正しくありません。');
  }
  return e;
}
