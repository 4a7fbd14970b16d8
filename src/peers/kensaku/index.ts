// 資格確認検索システム node `kensaku` (synthetic; QUA-29; decisions 0224–0225; contract:
// docs/formats/kensaku-protocol.md).  It lists the registrants of the 医籍等 and 薬剤師名簿 for the public with
// only 氏名, 登録年 and 性別, as the registry synchronises them (`listings.sync`, accepted only from the registry
// node, checked whole against the predefined list, answered per record), and serves the public search (JSON and
// a Japanese page).
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { KENSAKU_SCHEMA, parseKensakuSync, storeKensakuSync, type KensakuDeps } from './store.js';
import { registerKensakuPages } from './page.js';

export {
  KENSAKU_SCHEMA, KENSAKU_ROLE, KENSAKU_NODE, KENSAKU_MAX_RECORDS, KENSAKU_PER_PAGE, KENSAKU_QUALIFICATIONS, KENSAKU_BODY_KEYS, KENSAKU_RECORD_KEYS, SEX_LABELS,
  nameKey, parseKensakuSync, storeKensakuSync, searchListings,
  type KensakuDeps, type KensakuRecord, type KensakuResult, type KensakuHit, type KensakuPage,
} from './store.js';
export { registerKensakuPages, yearLabel, KENSAKU_RATE_LIMIT } from './page.js';

export const kensakuMigrations: MigrationSource = {
  schema: KENSAKU_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export function kensakuServices(deps: KensakuDeps, opts: { registry?: string } = {}): Record<string, ServiceDef> {
  const registry = opts.registry ?? 'registry';
  return {
    'listings.sync': {
      title: '資格確認検索の掲載情報の同期',
      from: (s) => s === registry,
      async handle(msg) {
        const m = parseKensakuSync(msg.body, Number(deps.clock.today().slice(0, 4)));
        const results = await storeKensakuSync(deps, msg.id, m);
        return { body: { status: 'received', qualification: m.qualification, results } };
      },
    },
  };
}

export async function buildKensakuNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, kensakuServices({ db: ctx.db, clock: ctx.clock }));
  await registerKensakuPages(fastify, ctx.db);
  return { fastify };
}
