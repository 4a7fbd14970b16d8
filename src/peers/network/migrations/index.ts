// The peers_network schema's migrations (情報提供ネットワークシステム).
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../../../kernel/db/index.js';

export const networkMigrations: MigrationSource = {
  schema: 'peers_network',
  dir: fileURLToPath(new URL('./', import.meta.url)),
};
