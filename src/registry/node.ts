// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint and the staff
// API, and runs the periodic 住基ネット check of every 資格管理者 once a day (decision 0181: the job looks every
// hour whether a tenant's check is due; an unfinished run is continued).
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import { logger } from '../kernel/log/index.js';
import { registerRegistryApi } from './api.js';
import { registerJukiApi } from './juki-api.js';
import { runDueChecks } from './juki.js';
import { RegistrySecrets } from './secrets.js';
import { syncAdministrators } from './staff.js';

/** How often the node looks whether a 資格管理者's daily 住基 check is due. */
export const REGISTRY_CHECK_INTERVAL_MS = 3600_000;

export interface RegistryNodeOptions {
  /** 0 turns the scheduled 住基 checks off (tests drive runChecks themselves). */
  readonly checkIntervalMs?: number;
}

export async function buildRegistryNode(ctx: PeerContext, opts: RegistryNodeOptions = {}): Promise<PeerService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerJukiApi(fastify, { db: ctx.db, clock: ctx.clock });
  const interval = opts.checkIntervalMs ?? REGISTRY_CHECK_INTERVAL_MS;
  const deps = { db: ctx.db, clock: ctx.clock, node: ctx.node, secrets: RegistrySecrets.open(ctx.config.keyDir) };
  const stop = interval > 0
    ? await everyInterval(ctx.name, 'registry 住基 checks', () => runDueChecks(deps, (tenant, r) => {
        if (r instanceof Error) logger().warn({ node: ctx.name, tenant, err: r.message }, 'registry 住基 check failed (continued on the next run)');
        else logger().info({ node: ctx.name, tenant, checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved }, 'registry 住基 check');
      }), interval)
    : () => undefined;
  return {
    fastify,
    async close() {
      stop();
    },
  };
}
