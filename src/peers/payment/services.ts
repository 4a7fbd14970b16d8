// The 公金決済 node's services on the message layer (docs/formats/payment-protocol.md), each for a registered
// merchant only (403 PAYMENT_MERCHANT_UNKNOWN otherwise) and about its own payments only:
//   payment.create  a pending payment and the payer-facing URL (idempotent on the merchant's reference)
//   payment.status  a payment's state and every signed event of it
//   payment.refund  a full or partial refund of a settled payment (never above what was paid)
//   payment.totals  income, refunds and net for a period and category (QUA-21)
import type { Outgoing, ServiceDef } from '../../kernel/exchange/index.js';
import { createPaymentFor, refundFor, statusFor, totalsFor, type PaymentDeps } from './store.js';

export interface PaymentServiceOptions {
  /** The payer-facing base URL of this node (default: its URL in the directory). */
  readonly publicUrl?: string;
  /** Called after a refund is committed: deliver its event (without holding up the answer). */
  readonly afterRefund?: (paymentId: string) => void;
}

export function paymentServices(deps: PaymentDeps, opts: PaymentServiceOptions = {}): Record<string, ServiceDef> {
  const base = () => (opts.publicUrl ?? deps.node.directory.entry(deps.node.name).url).replace(/\/+$/, '');
  const anyone = () => true; // the merchant check needs the database: made in each handler
  return {
    'payment.create': {
      title: '決済の作成',
      from: anyone,
      async handle(msg): Promise<Outgoing> {
        const r = await createPaymentFor(deps, msg.sender, msg.body);
        return { body: { paymentId: r.payment.id, payUrl: `${base()}/pay/${r.token}`, status: r.payment.status, expiresAt: r.payment.expiresAt.toISOString(), created: r.created } };
      },
    },
    'payment.status': {
      title: '決済の状況照会',
      from: anyone,
      async handle(msg): Promise<Outgoing> {
        return { body: await statusFor(deps, msg.sender, msg.body) };
      },
    },
    'payment.refund': {
      title: '返金',
      from: anyone,
      async handle(msg): Promise<Outgoing> {
        const r = await refundFor(deps, msg.sender, msg.body);
        if (r['created'] === true) opts.afterRefund?.(String(r['paymentId']));
        return { body: r };
      },
    },
    'payment.totals': {
      title: '収入・返金の集計',
      from: anyone,
      async handle(msg): Promise<Outgoing> {
        return { body: await totalsFor(deps, msg.sender, msg.body) };
      },
    },
  };
}
