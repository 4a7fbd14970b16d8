// マイナポータル node `mynaportal` (issue 12; contract: docs/formats/platform-protocol.md).
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';

export const MYNAPORTAL_SCHEMA = 'peers_mynaportal';
export const MYNAPORTAL_ROLE = 'mamori_mynaportal';
export const MYNAPORTAL_NODE = 'mynaportal';

export const mynaportalMigrations: MigrationSource = {
  schema: MYNAPORTAL_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** What the resident portal pages (src/web/portal) use of the マイナポータル node. */
export interface MynaPortal {
  readonly node: PeerContext['node'];
}

export async function buildMynaportalNode(ctx: PeerContext): Promise<PeerService & { portal: MynaPortal }> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  return { fastify, portal: { node: ctx.node } };
}
