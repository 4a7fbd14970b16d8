// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint (no
// services yet: applications, 住基 and 戸籍 checks come with the later parts of issue 15) and the staff API.
import { createNodeServer, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import { registerRegistryApi } from './api.js';
import type { ExaminationDeps } from './examination.js';
import { RegistrySecrets } from './secrets.js';
import { syncAdministrators } from './staff.js';

export interface RegistryNodeService extends PeerService {
  /** What examination runs on (the staff API and the staff screens, src/web/registry, share it). */
  readonly examination: ExaminationDeps;
}

export async function buildRegistryNode(ctx: PeerContext): Promise<RegistryNodeService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  // The 住基 and 戸籍 checks (checkJuki, checkKoseki) are plugged in here as `checkers` (docs/wip/exam.md).
  const examination: ExaminationDeps = { db: ctx.db, clock: ctx.clock, secrets: RegistrySecrets.open(ctx.config.keyDir), checkers: {} };
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock, examination });
  return { fastify, examination };
}
