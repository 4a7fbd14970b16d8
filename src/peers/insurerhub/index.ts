// 支払基金（医療保険者等向け中間サーバー・オンライン資格確認等システム）node `insurerhub` (issue 12, decision 0145;
// contract: docs/formats/platform-protocol.md, "insurerhub serves").  Synthetic: the 保険者 enrol their
// insured persons (insured.enroll), the platform gets PMH keys (pmhkey.issue, PMH-05…08), the card service
// registers a card for 健康保険証利用 (card.link) and マイナポータル learns the card's 仮名識別子 and PMH key
// (portal.resolve, PMH-09).  The handling log (PMH-22) is kept 3 years and purged by the node itself.
import { fileURLToPath } from 'node:url';
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { InsurerHubSecrets } from './secrets.js';
import { insurerHubServices } from './services.js';
import { INSURERHUB_SCHEMA, purgeHandlingLog } from './store.js';

export { INSURERHUB_NODE, InsurerHubSecrets, BASIC_FIELDS, type BasicField } from './secrets.js';
export {
  INSURERHUB_SCHEMA, INSURERHUB_ROLE, HANDLING_LOG_YEARS, purgeHandlingLog, handlingLog, enrollMembers, issueKeys, linkCard, resolveCard, linkNoOf,
  newPmhKey, newLinkNo, normaliseSerial, type BasicFiveInfo, type EnrollMember, type EnrollResult, type IssueItem, type IssueAnswer, type IssueCounts,
  type HandlingEntry, type HandlingLogRow,
} from './store.js';
export { normaliseBasic } from './normalize.js';
export { insurerHubServices, INSURERHUB_CALLERS, MAX_ISSUE_ITEMS, MAX_ENROLL_MEMBERS } from './services.js';

export const insurerHubMigrations: MigrationSource = {
  schema: INSURERHUB_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** How often the node deletes handling-log rows past their keeping period (and once at start). */
export const PURGE_INTERVAL_MS = 6 * 3600_000;

export interface InsurerHubService extends PeerService {
  /** Runs the handling-log purge now (what the timer does); returns how many rows were deleted. */
  purge(): Promise<number>;
  close(): Promise<void>;
}

/** Builds the 支払基金 node: its Fastify instance with the JWKS and the four services (not yet listening). */
export async function buildInsurerHubNode(ctx: PeerContext, opts: { purgeIntervalMs?: number } = {}): Promise<InsurerHubService> {
  const secrets = InsurerHubSecrets.open(ctx.config.keyDir);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, insurerHubServices(ctx, secrets));
  const purge = () => purgeHandlingLog(ctx.db, ctx.clock.now());
  const stop = await everyInterval(ctx.name, 'insurerhub handling-log purge', purge, opts.purgeIntervalMs ?? PURGE_INTERVAL_MS, { runNow: true });
  return {
    fastify,
    purge,
    async close() {
      stop();
    },
  };
}
