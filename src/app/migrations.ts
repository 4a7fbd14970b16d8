// Every system's migration folders, kernel first.  Later systems append theirs here.
import { kernelMigrations, type MigrationSource } from '../kernel/db/index.js';
import { municipalityMigrations } from '../municipality/migrations/index.js';
import { networkMigrations } from '../peers/network/index.js';

export function allMigrations(): MigrationSource[] {
  return [kernelMigrations, municipalityMigrations, networkMigrations];
}
