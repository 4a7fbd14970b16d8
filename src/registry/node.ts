// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint and the
// staff API.  Fees (decision 0196): `payment.notify` from 公金決済, `applications.fees` from マイナポータル,
// the staff fee API, and the job that pulls missed payment events and refunds what is owed.
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import { registerRegistryApi } from './api.js';
import { FEE_SYNC_INTERVAL_MS, registerFeeApi } from './fees-api.js';
import { feeServices, syncFeePayments } from './fees.js';
import { syncAdministrators } from './staff.js';

export async function buildRegistryNode(ctx: PeerContext, opts: { feeSyncIntervalMs?: number } = {}): Promise<PeerService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  const feeDeps = { db: ctx.db, clock: ctx.clock, node: ctx.node };
  ctx.node.serve(fastify, { ...feeServices(feeDeps) });
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerFeeApi(fastify, feeDeps);
  const stopFeeSync = await everyInterval(ctx.name, 'fee payment sync', () => syncFeePayments(feeDeps), opts.feeSyncIntervalMs ?? FEE_SYNC_INTERVAL_MS);
  return {
    fastify,
    async close() {
      stopFeeSync();
    },
  };
}
