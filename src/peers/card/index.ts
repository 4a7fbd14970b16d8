// 公的個人認証サービス（J-LIS）node `card` (issue 12; contract: docs/formats/platform-protocol.md).
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';

export const CARD_SCHEMA = 'peers_card';
export const CARD_ROLE = 'mamori_card';
export const CARD_NODE = 'card';

export const cardMigrations: MigrationSource = {
  schema: CARD_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export async function buildCardNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  return { fastify };
}
