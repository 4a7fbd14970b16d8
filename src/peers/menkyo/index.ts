// 厚生労働省 免許登録管理システム node `menkyo` (synthetic; QUA-28; decisions 0221–0223; contract:
// docs/formats/menkyo-protocol.md).  It keeps the 医籍等 and 薬剤師名簿 as the registry synchronises them:
// one service, `register.sync`, accepted only from the registry node and only as a message encrypted to this
// node (it carries 特定個人情報), checked whole against the predefined list of items and answered with a
// per-record acknowledgement.
import { fileURLToPath } from 'node:url';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import { Problem } from '../../kernel/problems/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { MENKYO_SCHEMA, MenkyoSecrets, parseMenkyoSync, storeMenkyoSync, type MenkyoDeps } from './store.js';

export {
  MENKYO_SCHEMA, MENKYO_ROLE, MENKYO_NODE, MENKYO_MAX_RECORDS, MENKYO_BODY_KEYS, MENKYO_RECORD_KEYS, MENKYO_ERASURE_KEYS, MENKYO_DISPOSITION_KEYS,
  MenkyoSecrets, menkyoItemList, parseMenkyoSync, storeMenkyoSync, menkyoEntries, menkyoMyNumber,
  type MenkyoDeps, type MenkyoRecord, type MenkyoResult, type MenkyoEntry,
} from './store.js';

export const menkyoMigrations: MigrationSource = {
  schema: MENKYO_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export function menkyoServices(deps: MenkyoDeps, opts: { registry?: string } = {}): Record<string, ServiceDef> {
  const registry = opts.registry ?? 'registry';
  return {
    'register.sync': {
      title: '医籍等・薬剤師名簿の同期',
      from: (s) => s === registry,
      async handle(msg) {
        // 特定個人情報 travels only encrypted to this node (QUA-28): a clear body is refused before it is read.
        if (!msg.envelope.enc) throw new Problem(400, 'SYNC_NOT_ENCRYPTED', '暗号化されていない同期データは受け付けません', '特定個人情報を含む同期データは、この組織あてに暗号化して送ってください。');
        const m = parseMenkyoSync(msg.body);
        const results = await storeMenkyoSync(deps, msg.id, m);
        return { personal: true, clear: { status: 'received', count: results.length }, body: { status: 'received', qualification: m.qualification, results } };
      },
    },
  };
}

export async function buildMenkyoNode(ctx: PeerContext): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, menkyoServices({ db: ctx.db, clock: ctx.clock, secrets: MenkyoSecrets.open(ctx.config.keyDir) }));
  return { fastify };
}
