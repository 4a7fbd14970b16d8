// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint and the staff
// API, and runs:
// - the periodic 住基ネット check of every 資格管理者 once a day (decision 0181: the job looks every hour whether
//   a tenant's check is due; an unfinished run is continued);
// - fees (decision 0196): `payment.notify` from 公金決済, `applications.fees` from マイナポータル, the staff fee
//   API, and the job that pulls missed payment events and refunds what is owed;
// - the public issuer metadata, JWKS and status lists of the digital certificates (issue 16, decision 0201).
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import { logger } from '../kernel/log/index.js';
import { registerRegistryApi } from './api.js';
import { registerCredentialRoutes } from './credentials-api.js';
import { IssuerKeys } from './credentials.js';
import { FEE_SYNC_INTERVAL_MS, registerFeeApi } from './fees-api.js';
import { feeServices, syncFeePayments } from './fees.js';
import { registerJukiApi } from './juki-api.js';
import { runDueChecks } from './juki.js';
import { RegistrySecrets } from './secrets.js';
import { syncAdministrators } from './staff.js';

/** How often the node looks whether a 資格管理者's daily 住基 check is due. */
export const REGISTRY_CHECK_INTERVAL_MS = 3600_000;

export interface RegistryNodeOptions {
  /** 0 turns the scheduled 住基 checks off (tests drive runChecks themselves). */
  readonly checkIntervalMs?: number;
  /** How often missed payment events are pulled (default FEE_SYNC_INTERVAL_MS). */
  readonly feeSyncIntervalMs?: number;
}

export async function buildRegistryNode(ctx: PeerContext, opts: RegistryNodeOptions = {}): Promise<PeerService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  const feeDeps = { db: ctx.db, clock: ctx.clock, node: ctx.node };
  ctx.node.serve(fastify, { ...feeServices(feeDeps) });
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerJukiApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerFeeApi(fastify, feeDeps);
  registerCredentialRoutes(fastify, { db: ctx.db, clock: ctx.clock, keys: IssuerKeys.open(ctx.config.keyDir), baseUrl: () => ctx.node.directory.entry(ctx.name).url });
  const interval = opts.checkIntervalMs ?? REGISTRY_CHECK_INTERVAL_MS;
  const deps = { db: ctx.db, clock: ctx.clock, node: ctx.node, secrets: RegistrySecrets.open(ctx.config.keyDir) };
  const stopChecks = interval > 0
    ? await everyInterval(ctx.name, 'registry 住基 checks', () => runDueChecks(deps, (tenant, r) => {
        if (r instanceof Error) logger().warn({ node: ctx.name, tenant, err: r.message }, 'registry 住基 check failed (continued on the next run)');
        else logger().info({ node: ctx.name, tenant, checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved }, 'registry 住基 check');
      }), interval)
    : () => undefined;
  const stopFeeSync = await everyInterval(ctx.name, 'fee payment sync', () => syncFeePayments(feeDeps), opts.feeSyncIntervalMs ?? FEE_SYNC_INTERVAL_MS);
  return {
    fastify,
    async close() {
      stopChecks();
      stopFeeSync();
    },
  };
}
