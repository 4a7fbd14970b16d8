// The 公金決済 node seen from this store (decision 0173): its deps as its own organisation (its role, its keys,
// its message log) for registering merchants — what the payment service's operator does when an organisation
// signs up — and for its tests.
import { exchangeNodeFor, type Directory } from '../kernel/exchange/index.js';
import { PAYMENT_NODE, PAYMENT_ROLE, PAYMENT_SCHEMA, registerMerchant, type Merchant, type PaymentDeps } from '../peers/payment/index.js';
import type { App } from './index.js';

/** The 公金決済 node's own deps (role, keys, message log) on this store. */
export async function paymentDeps(app: App, directory: Directory): Promise<PaymentDeps> {
  const db = await app.db.forRole(PAYMENT_ROLE);
  const clock = app.config.clock;
  return { db, clock, node: exchangeNodeFor({ name: PAYMENT_NODE, schema: PAYMENT_SCHEMA, db, keyDir: app.config.keyDir, directory, clock }) };
}

/** Registers an organisation (by node name) as a merchant of the 公金決済 node (`mamori payment merchant`). */
export async function addPaymentMerchant(app: App, input: { node: string; merchantCode: string; name: string; returnOrigins?: string[] }): Promise<Merchant> {
  const db = await app.db.forRole(PAYMENT_ROLE);
  return registerMerchant({ db, clock: app.config.clock }, input);
}
