// The municipality schema's migrations (予防接種事務 and 宛名).
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../../kernel/db/index.js';

export const municipalityMigrations: MigrationSource = {
  schema: 'municipality',
  dir: fileURLToPath(new URL('./', import.meta.url)),
};
