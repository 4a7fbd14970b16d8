// Starts one throwaway PostgreSQL 15 server for the whole run, prepares a migrated template database
// (each test file clones it) and a migrated PGlite template, and routes every log line of the run —
// the test processes' and the CLI children's — into .test-output/logs for the leak scan.
import { mkdirSync, rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startEphemeralPostgres, openDatabase, migrate } from '../../src/kernel/db/index.js';
import { resolveConfig } from '../../src/kernel/config/index.js';
import { allMigrations } from '../../src/app/index.js';
import { LOG_DIR, LOG_FILE, OUT, PGLITE_TEMPLATE } from './paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplateDb: string;
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  process.env['MAMORI_LOG_FILE'] = LOG_FILE;
  process.env['MAMORI_LOG_LEVEL'] = 'info';
  process.env['MAMORI_LOG_STDERR'] = 'off';

  const pg = await startEphemeralPostgres({ durable: false });
  const template = 'mamori_template';
  const admin = await openDatabase(resolveConfig({ data: `${OUT}/unused` }, { DATABASE_URL: pg.url }));
  const { sql } = await import('kysely');
  await sql.raw(`CREATE DATABASE ${template}`).execute(admin.system);
  await admin.close();
  const tdb = await openDatabase(resolveConfig({ data: `${OUT}/unused` }, { DATABASE_URL: pg.urlFor(template) }));
  await migrate(tdb.system, allMigrations());
  await tdb.close();

  // A template per run, so that two test runs on one checkout do not rebuild each other's template.
  const liteTemplate = `${PGLITE_TEMPLATE}-${process.pid}`;
  rmSync(liteTemplate, { recursive: true, force: true });
  const lite = await openDatabase(resolveConfig({ data: liteTemplate }, {}));
  await migrate(lite.system, allMigrations());
  await lite.close();

  project.provide('pgAdminUrl', pg.url);
  project.provide('pgTemplateDb', template);
  project.provide('pgliteTemplate', liteTemplate);
  return async () => {
    await pg.stop();
    rmSync(liteTemplate, { recursive: true, force: true });
  };
}
