// 国民健康保険団体連合会（審査支払）node `kokuhoren` (synthetic; issue 13 part A, decision 0148; contract:
// docs/formats/clinic-protocol.md section 4 and docs/formats/kokuhoren-protocol.md).  The municipality sends
// its monthly vaccination claims (claims.check); the node checks each item (医療機関コード, 二重請求, 接種日,
// 単価, 請求額), keeps what it checked and answers accepted/returned per item.  Checked items and the
// handling log are kept 5 years (審査記録の保存) and purged by the node itself.
import { fileURLToPath } from 'node:url';
import { createNodeServer, everyInterval, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { kokuhorenServices } from './services.js';
import { KOKUHOREN_SCHEMA, purgeKokuhoren } from './store.js';

export {
  KOKUHOREN_SCHEMA, KOKUHOREN_ROLE, RETENTION_YEARS, checkClaims, recordHandling, kokuhorenHandlingLog, purgeKokuhoren,
  type ItemAnswer, type ClaimAnswer, type CheckCounts, type CheckResult, type KokuhorenHandling, type KokuhorenHandlingRow,
} from './store.js';
export { checkItem, lastDayOfMonth, REASONS, RETURN_ORDER, type ReturnCode, type Claim, type ClaimItem, type Returned } from './check.js';
export { kokuhorenServices, checkSchema, KOKUHOREN_CALLERS, MAX_CLAIMS, MAX_ITEMS, MAX_YEN, type CheckRequest } from './services.js';

export const KOKUHOREN_NODE = 'kokuhoren';

export const kokuhorenMigrations: MigrationSource = {
  schema: KOKUHOREN_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** How often the node deletes rows past their keeping period (and once at start). */
export const KOKUHOREN_PURGE_INTERVAL_MS = 24 * 3600_000;

export interface KokuhorenService extends PeerService {
  /** Runs the 5-year purge now (what the timer does). */
  purge(): Promise<{ claimItems: number; handlingLog: number }>;
  close(): Promise<void>;
}

/** Builds the 国保連 node: its Fastify instance with the JWKS and claims.check (not yet listening). */
export async function buildKokuhorenNode(ctx: PeerContext, opts: { purgeIntervalMs?: number } = {}): Promise<KokuhorenService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, kokuhorenServices(ctx));
  const purge = () => purgeKokuhoren(ctx.db, ctx.clock.now());
  const stop = await everyInterval(ctx.name, 'kokuhoren retention purge', purge, opts.purgeIntervalMs ?? KOKUHOREN_PURGE_INTERVAL_MS, { runNow: true });
  return {
    fastify,
    purge,
    async close() {
      stop();
    },
  };
}
