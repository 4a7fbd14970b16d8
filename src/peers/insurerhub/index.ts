// 支払基金（医療保険者等向け中間サーバー・オンライン資格確認等システム）node `insurerhub` (issue 12; contract: docs/formats/platform-protocol.md).
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';

export const INSURERHUB_SCHEMA = 'peers_insurerhub';
export const INSURERHUB_ROLE = 'mamori_insurerhub';
export const INSURERHUB_NODE = 'insurerhub';

export const insurerHubMigrations: MigrationSource = {
  schema: INSURERHUB_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export async function buildInsurerHubNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  return { fastify };
}
