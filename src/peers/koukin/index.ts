// デジタル庁 公金受取口座登録システム node `koukin` (synthetic; decision 0163; contract:
// docs/formats/koukin-protocol.md).  A national body connected to the 情報提供ネットワークシステム directly:
// it holds the 公金受取口座 registered by residents (公金受取口座登録法), acquires its own 符号 for each
// registrant, and provides the account to a municipality only on an inquiry the network has permitted.
// Provision records are kept 7 years and purged by the node itself.
import { fileURLToPath } from 'node:url';
import type { PeerContext } from '../../kernel/exchange/index.js';
import { buildProviderNode, type ProviderService } from '../network/index.js';
import type { MigrationSource } from '../../kernel/db/index.js';
import { koukinServices } from './services.js';
import { acquireMissingCodes, KOUKIN_SCHEMA, purgeKoukin } from './store.js';

export {
  KOUKIN_SCHEMA, KOUKIN_ROLE, KOUKIN_NODE, PROVISION_YEARS, RegistrationInput, registerAccount, acquireMissingCodes, accountOfCode, deregisterAccount,
  listProvisions, purgeKoukin, type KoukinDeps, type RegisteredAccount, type ProvisionRecord,
} from './store.js';
export { koukinServices } from './services.js';

export const koukinMigrations: MigrationSource = {
  schema: KOUKIN_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** How often the node acquires missing 符号 and deletes provision records past their keeping period. */
export const KOUKIN_JOB_INTERVAL_MS = 3600_000;

export type KoukinService = ProviderService;

export async function buildKoukinNode(ctx: PeerContext, opts: { intervalMs?: number } = {}): Promise<KoukinService> {
  return buildProviderNode(ctx, {
    services: koukinServices(ctx),
    purge: () => purgeKoukin(ctx.db, ctx.clock.now()),
    acquireCodes: () => acquireMissingCodes(ctx),
    intervalMs: opts.intervalMs ?? KOUKIN_JOB_INTERVAL_MS,
  });
}
