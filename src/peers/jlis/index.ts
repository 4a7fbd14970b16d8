// Public face of peers/jlis: the 住基ネット 全国サーバ (J-LIS) node (decision 0138).  The composition root
// opens its role pool (JLIS_ROLE), builds its ExchangeNode and calls buildJlisNode; the CLI reads the
// query log through queryLog; scale tests feed loadIdentities.
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { MigrationSource } from '../../kernel/db/index.js';
import { JlisSecrets } from './secrets.js';
import { loadIdentities as load, type IdentityInput } from './store.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export const jlisMigrations: MigrationSource = {
  schema: 'peers_jlis',
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export { JLIS_ROLE, JLIS_SCHEMA, queryLog, MAX_CHANGES, MAX_MATCHES, type IdentityChange, type IdentityInput, type IdentityStatus, type Match, type QueryLogRow, type UpdateResult } from './store.js';
export { buildJlisNode, MY_NUMBER_RECIPIENTS, CHANGE_CALLERS, mayQuery, type JlisOptions } from './services.js';
export { identityChanges, parseChangesQuery, MAX_CHANGE_CODES, type ChangesQuery, type ChangesAnswer, type ChangedIdentity } from './changes.js';
export { JlisSecrets, JLIS_NODE } from './secrets.js';
export { nameKey, addressKey } from './normalize.js';
export { parseQueryFile, formatAnswerFile, queryRecord, readAnswerFile, QUERY_FORMAT, ANSWER_FORMAT, MAX_FILE_QUERIES } from './queryfile.js';

/**
 * Bulk load of 本人確認情報 (scale tests, 初期移行): upserts `rows` in batches, no HTTP, no history.  The
 * node's keys are read from <keyDir>/nodes/jlis/ (created on first use).
 */
export async function loadIdentities(
  db: Kysely<UntypedDatabase>,
  rows: Iterable<IdentityInput> | AsyncIterable<IdentityInput>,
  opts: { keyDir: string; batchSize?: number; at?: Date },
): Promise<{ loaded: number }> {
  return load(db, rows, { secrets: JlisSecrets.open(opts.keyDir), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.at ? { at: opts.at } : {}) });
}
