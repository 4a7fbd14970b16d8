// 予診情報・予防接種記録管理／請求支払システム (the platform, reached through PMH): node `platform` (issue 12;
// contract: docs/formats/platform-protocol.md).
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService } from '../kernel/exchange/index.js';
import type { MigrationSource } from '../kernel/db/index.js';

export const PLATFORM_SCHEMA = 'platform';
export const PLATFORM_ROLE = 'mamori_platform';
export const PLATFORM_NODE = 'platform';

export const platformMigrations: MigrationSource = {
  schema: PLATFORM_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export async function buildPlatformNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  return { fastify };
}
