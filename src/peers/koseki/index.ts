// 法務省 戸籍情報連携システム node `koseki` (synthetic; decision 0184; contract: docs/formats/koseki-protocol.md).
// A national body connected to the 情報提供ネットワークシステム directly: it holds the 戸籍 of persons as the
// 戸籍関係情報 is prepared from the 戸籍副本 (番号法第9条第3項・第45条の2), acquires its own 符号 for each person
// linked to 住基 by the 戸籍の附票, and provides the 戸籍関係情報 only on an inquiry the network has permitted.
// Provision records are kept 7 years and purged by the node itself.
import { fileURLToPath } from 'node:url';
import type { PeerContext } from '../../kernel/exchange/index.js';
import { buildProviderNode, type ProviderService } from '../network/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { kosekiServices } from './services.js';
import { acquireMissingKosekiCodes, KOSEKI_SCHEMA, purgeKoseki } from './store.js';

export {
  KOSEKI_SCHEMA, KOSEKI_ROLE, KOSEKI_NODE, KOSEKI_PROVISION_YEARS, KOSEKI_REASONS, KosekiEventInput, KosekiPersonInput, recordPerson, recordEvent, acquireMissingKosekiCodes,
  kosekiInfoOfCode, kosekiChangesOfCodes, listKosekiProvisions, purgeKoseki,
  type KosekiDeps, type KosekiInfo, type KosekiChange, type KosekiReason, type KosekiProvision,
} from './store.js';
export { kosekiServices } from './services.js';

export const kosekiMigrations: MigrationSource = {
  schema: KOSEKI_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** How often the node acquires missing 符号 and deletes provision records past their keeping period. */
export const KOSEKI_JOB_INTERVAL_MS = 3600_000;

export type KosekiService = ProviderService;

export async function buildKosekiNode(ctx: PeerContext, opts: { intervalMs?: number } = {}): Promise<KosekiService> {
  return buildProviderNode(ctx, {
    services: kosekiServices(ctx),
    purge: () => purgeKoseki(ctx.db, ctx.clock.now()),
    acquireCodes: () => acquireMissingKosekiCodes(ctx),
    intervalMs: opts.intervalMs ?? KOSEKI_JOB_INTERVAL_MS,
  });
}
