// 公金決済 node `payment` (synthetic; decisions 0173–0175; contract: docs/formats/payment-protocol.md).  A
// payment service for organisations that charge fees online (the registry's 登録手数料): a registered
// merchant creates a payment over the signed message layer, the payer settles or cancels it on this node's
// page, and this node tells the merchant by a signed event (`payment.notify`), which it delivers until the
// merchant has it.  Refunds and totals per period and category.  The merchant's end is kernel/payment.
import { fileURLToPath } from 'node:url';
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { logger } from '../../kernel/log/index.js';
import { paymentServices } from './services.js';
import { payerPages } from './page.js';
import { deliverEvents, expirePayments, PAYMENT_SCHEMA } from './store.js';

export {
  PAYMENT_SCHEMA, PAYMENT_ROLE, PAYMENT_NODE, PAYMENT_TTL_MINUTES, MerchantInput, registerMerchant, merchantOf, paymentByToken, deliverEvents, expirePayments, eventsOf,
  type PaymentDeps, type Merchant, type Payment,
} from './store.js';
export { paymentServices, type PaymentServiceOptions } from './services.js';

export const paymentMigrations: MigrationSource = {
  schema: PAYMENT_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** How often the node delivers the events a merchant has not yet received. */
export const PAYMENT_DELIVERY_INTERVAL_MS = 60_000;

export interface PaymentService extends PeerService {
  /** Expires the unpaid payments past their time, then delivers the undelivered events (what the job does). */
  deliver(): Promise<{ delivered: number; failed: number }>;
  close(): Promise<void>;
}

export async function buildPaymentNode(ctx: PeerContext, opts: { intervalMs?: number; publicUrl?: string } = {}): Promise<PaymentService> {
  const fastify = await createNodeServer(ctx.name, { bodyLimit: 1024 * 1024 });
  const deps = { db: ctx.db, node: ctx.node, clock: ctx.clock };
  // A refund's event is delivered right after the answer (the merchant also has it in the answer); the node
  // waits for these deliveries when it closes.
  const inFlight = new Set<Promise<unknown>>();
  const afterRefund = (paymentId: string) => {
    const p: Promise<unknown> = new Promise((resolve) => setImmediate(resolve))
      .then(() => deliverEvents(deps, { paymentId }))
      .catch((e: unknown) => logger().error({ node: ctx.name, err: (e as Error).message }, 'payment event delivery failed'))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  ctx.node.serve(fastify, paymentServices(deps, { publicUrl: opts.publicUrl, afterRefund }));
  payerPages(fastify, deps);
  const deliver = async () => {
    await expirePayments(deps);
    return deliverEvents(deps);
  };
  const stop = await everyInterval(ctx.name, 'payment event delivery', deliver, opts.intervalMs ?? PAYMENT_DELIVERY_INTERVAL_MS);
  return {
    fastify,
    deliver,
    async close() {
      stop();
      await Promise.all([...inFlight]);
    },
  };
}
