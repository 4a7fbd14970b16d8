// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint (no
// services yet: applications, 住基 and 戸籍 checks come with the later parts of issue 15) and the staff API.
import { createNodeServer, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import { registerRegistryApi } from './api.js';
import { registerCredentialRoutes } from './credentials-api.js';
import { IssuerKeys } from './credentials.js';
import { syncAdministrators } from './staff.js';

export async function buildRegistryNode(ctx: PeerContext): Promise<PeerService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerCredentialRoutes(fastify, { db: ctx.db, clock: ctx.clock, keys: IssuerKeys.open(ctx.config.keyDir), baseUrl: () => ctx.node.directory.entry(ctx.name).url });
  return { fastify };
}
