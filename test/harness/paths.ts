import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const OUT = join(ROOT, '.test-output');
export const LOG_DIR = join(OUT, 'logs');
export const LOG_FILE = join(LOG_DIR, 'mamori.log');
export const CLI_LOG = join(LOG_DIR, 'cli.log');
export const PGLITE_TEMPLATE = join(OUT, 'pglite-template');
export const MAMORI_BIN = join(ROOT, 'bin', 'mamori');
