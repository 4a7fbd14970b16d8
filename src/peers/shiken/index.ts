// (公財)社会福祉振興・試験センター 登録情報連携システム node `shiken` (synthetic; decisions 0229–0232; contract:
// docs/formats/registry-foundation.md).  The foundation holds the 介護福祉士 paper applications and 試験合格者 and
// exchanges them with the registry by message (随時・API連携) or encrypted file (定期・ファイル連携), only the items
// 3–80 of 別添2 and the 資格仮名ID; a paper application's My Number only until its 資格仮名ID came back (QUA-30, 31, 32).
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../../kernel/db/index.js';
import { createNodeServer, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import { shikenServices } from './services.js';
import { SHIKEN_SCHEMA } from './store.js';

export {
  SHIKEN_SCHEMA, SHIKEN_ROLE, SHIKEN_NODE, SHIKEN_ITEMS, PAPER_DOCUMENTS, recordPasser, recordPaperApplication, applyLinks, storeApplications, applyRegistryBatch, listShikenApplications, paperApplications,
  pendingForRegistry, sendToRegistry, checkShikenItems, type ShikenDeps, type ShikenItems, type PaperInput, type PaperState, type ShikenApplication,
} from './store.js';
export { shikenServices, parseRegistryRows } from './services.js';
export { writeInboundMedia, readOutboundMedia, SHIKEN_INBOUND_COLUMNS, SHIKEN_OUTBOUND_COLUMNS } from './media.js';

export const shikenMigrations: MigrationSource = {
  schema: SHIKEN_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export async function buildShikenNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, shikenServices({ db: ctx.db, node: ctx.node, clock: ctx.clock }));
  return { fastify };
}
