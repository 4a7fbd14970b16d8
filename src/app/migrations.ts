// Every system's migration folders, kernel first.  Later systems append theirs here.
import { kernelMigrations, type MigrationSource } from '../kernel/db/index.js';
import { municipalityMigrations } from '../municipality/migrations/index.js';
import { chukanMigrations } from '../peers/chukan/migrations/index.js';

export function allMigrations(): MigrationSource[] {
  return [kernelMigrations, municipalityMigrations, chukanMigrations];
}
