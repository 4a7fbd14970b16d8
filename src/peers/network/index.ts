// Public face of the 情報提供ネットワークシステム node (`network`, decision 0134): 符号 (decision 0137),
// the permission list as data (decision 0136), inquiries with a 情報提供許可証, the 情報提供等記録.
// Contract: docs/formats/exchange-protocol.md.
import { createNodeServer, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import { openFugoKey } from './fugo.js';
import { networkServices } from './services.js';
import { failInterrupted, listPermissions, loadPermissions } from './store.js';
import { purgeNetworkRecords as purgeRecords, recordYears as yearsOf } from './retention.js';
import { logger } from '../../kernel/log/index.js';

export { networkMigrations } from './migrations/index.js';
export { PERMISSION_ENTRIES, JIMU_NAMES, ITEM_NAMES, PUBLIC_FUNDS_ACCOUNT_ITEM, VACCINATION_SUBSIDY_JIMU, KOUKIN_ACT_FROM, KOSEKI_INFO_ITEM, QUALIFICATION_LICENCE_JIMU, MINISTERIAL_ORDINANCE_FROM, APPENDED_TABLE_2_UNTIL, type PermissionEntry, type BodyKind } from './permissions.js';
export { issuePermit, verifyPermit, subjectsDigest, PERMIT_TYPE, PERMIT_SECONDS, type Permit } from './permit.js';
export { bodyOfNode, chukanNode, nodeOfBody, kindOfBody, mayRequest, mayProvide, NATIONAL_BODIES, FUGO_KEY_FILE } from './fugo.js';
export { listRecords, listPermissions, loadPermissions, findPermission, failInterrupted, type ExchangeRecord, type RecordStatus } from './store.js';
export { networkServices, MAX_BATCH_CODES } from './services.js';
export { issueOwnCode, tryIssueOwnCode, permissionCheck, buildProviderNode, type ProviderService } from './provider.js';
export { recordsCsv, STATUS_NAMES } from './export.js';

export { purgeNetworkRecords, recordYears, DEFAULT_RECORD_YEARS } from './retention.js';

export const NETWORK_ROLE = 'mamori_network';
export const NETWORK_SCHEMA = 'peers_network';
export const NETWORK_NODE = 'network';

export async function buildNetworkNode(ctx: PeerContext): Promise<PeerService> {
  await loadPermissions(ctx.db);
  await failInterrupted(ctx.db, ctx.clock.now());
  const fugoKey = openFugoKey(ctx.config.keyDir, ctx.name);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, networkServices({ ctx, fugoKey }));
  // For people: the 照会許可用照合リスト currently in force (no personal data).
  fastify.get('/permissions', async (_req, reply) => reply.header('cache-control', 'no-store').send(await listPermissions(ctx.db)));
  // XCH-14: records past their keeping period are deleted at start and every six hours.
  const years = yearsOf();
  const purge = () => purgeRecords(ctx.db, ctx.clock, years).catch((e: unknown) => logger().error({ node: ctx.name, err: (e as Error).message }, 'network record purge failed'));
  await purge();
  const timer = setInterval(() => void purge(), 6 * 3600_000);
  timer.unref();
  return {
    fastify,
    async close() {
      clearInterval(timer);
    },
  };
}
