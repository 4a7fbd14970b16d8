// The 中間サーバー schema's migrations (peers_chukan, role mamori_chukan; decision 0139).
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../../../kernel/db/index.js';

export const chukanMigrations: MigrationSource = {
  schema: 'peers_chukan',
  dir: fileURLToPath(new URL('./', import.meta.url)),
};
