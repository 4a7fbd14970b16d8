// Issue 3 "Done when": a crash mid-import (the test kills the importing child process with SIGKILL) followed
// by a re-run reaches the same final state as an uninterrupted import, with no duplicates — on the server
// and on embedded PGlite.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openApp } from '../../../src/app/index.js';
import { freshConfig, type Mode } from '../../harness/app.js';
import { runCli } from '../../harness/cli.js';
import { csv, person } from '../../harness/residents.js';
import { MAMORI_BIN, ROOT, CLI_LOG } from '../../harness/paths.js';
import { appendFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'mamori-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 6000;
const file = join(dir, 'big.csv');
writeFileSync(
  file,
  '\uFEFF' +
    csv(
      'full',
      Array.from({ length: ROWS }, (_, i) => person(i + 1, { 生年月日: `19${String(40 + (i % 60)).padStart(2, '0')}0${1 + (i % 9)}1${i % 10}`, 住所: `鳥取県鳥取市尚徳町${1 + (i % 300)}番地`, 個人番号: i % 3 === 0 ? '' : undefined })),
    ),
);

function env(config: { databaseUrl: string | undefined }): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', DATABASE_URL: config.databaseUrl ?? '' };
}

/** Starts an import and SIGKILLs it once it reports `killAfter` rows committed. */
async function importAndKill(args: string[], e: NodeJS.ProcessEnv, killAfter: number): Promise<number> {
  const child = spawn(process.execPath, [MAMORI_BIN, ...args], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let killedAt = 0;
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      const m = [...err.matchAll(/(\d+) 行を処理しました/g)].at(-1);
      if (m && Number(m[1]) >= killAfter && !killedAt) {
        killedAt = Number(m[1]);
        child.kill('SIGKILL');
      }
    });
    child.on('close', () => resolve());
  });
  appendFileSync(CLI_LOG, `$ mamori ${args.join(' ')} (killed with SIGKILL after ${killedAt} rows)\n`);
  return killedAt;
}

async function fingerprint(config: Awaited<ReturnType<typeof freshConfig>>['config']) {
  const app = await openApp(config);
  try {
    const q = (t: string) => sql<{ n: number; h: string }>`SELECT count(*)::int AS n, md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS h FROM (${sql.raw(t)}) s(x)`.execute(app.db.system).then((r) => r.rows[0]!);
    return {
      persons: await q(`SELECT atena_no || ':' || coalesce(juminhyo_code,'') || ':' || coalesce(integrated_no,'') || ':' || encode(state_hash, 'hex') FROM municipality.persons`),
      versions: await q(`SELECT atena_no || ':' || version || ':' || effective_date FROM municipality.person_versions`),
      vault: await q(`SELECT subject_id || ':' || encode(blind_index, 'hex') FROM kernel.mynumber_vault`),
      runs: await q(`SELECT status || ':' || accepted || ':' || created || ':' || rejected FROM municipality.import_runs`),
    };
  } finally {
    await app.close();
  }
}

describe.each<Mode>(['server', 'embedded'])('crash and resume of a residents import (%s)', (mode) => {
  it('kill -9 mid-import, then re-run: same final state as an uninterrupted import, no duplicates', async () => {
    const clean = await freshConfig(mode);
    const crashed = await freshConfig(mode);
    try {
      const args = (c: typeof clean) => ['import', 'residents', file, '--tenant', '312011', '--batch', '250', '--base-date', '2026-04-01', '--data', c.config.dataDir];
      for (const c of [clean, crashed]) {
        const r = await runCli(['org', 'add', '--code', '312011', '--name', '鳥取市', '--data', c.config.dataDir], { env: { DATABASE_URL: c.config.databaseUrl ?? '' } });
        expect(r.code).toBe(0);
      }
      // Same master key for both stores, so blind indexes are comparable.
      const { cpSync } = await import('node:fs');
      rmSync(join(crashed.config.dataDir, 'keys'), { recursive: true, force: true });
      cpSync(join(clean.config.dataDir, 'keys'), join(crashed.config.dataDir, 'keys'), { recursive: true });
      if (mode === 'server') {
        // Tenant keys were made with the clean store's master key in its own database: copy them over.
        const a = await openApp(clean.config);
        const keys = await a.db.system.selectFrom('kernel.tenant_keys').selectAll().execute();
        await a.close();
        const b = await openApp(crashed.config);
        await b.db.system.deleteFrom('kernel.tenant_keys').execute();
        await b.db.system.insertInto('kernel.tenant_keys').values(keys).execute();
        await b.close();
      } else {
        rmSync(crashed.config.dataDir, { recursive: true, force: true });
        cpSync(clean.config.dataDir, crashed.config.dataDir, { recursive: true });
      }

      const full = await runCli([...args(clean), '--json'], { env: { DATABASE_URL: clean.config.databaseUrl ?? '' }, timeoutMs: 300_000 });
      expect(full.code).toBe(0);
      const report = JSON.parse(full.stdout) as { accepted: number; created: number };
      expect(report.created).toBe(ROWS);

      const killedAt = await importAndKill(args(crashed), env(crashed.config), 1000);
      expect(killedAt).toBeGreaterThanOrEqual(1000);
      expect(killedAt).toBeLessThan(ROWS);
      const resumed = await runCli([...args(crashed), '--json'], { env: { DATABASE_URL: crashed.config.databaseUrl ?? '' }, timeoutMs: 300_000 });
      expect(resumed.code).toBe(0);
      const rr = JSON.parse(resumed.stdout) as { resumedFromRow: number; created: number; alreadyImported: boolean };
      expect(rr.alreadyImported).toBe(false);
      expect(rr.resumedFromRow).toBeGreaterThanOrEqual(killedAt - 250);
      expect(rr.created).toBe(ROWS);

      const a = await fingerprint(clean.config);
      const b = await fingerprint(crashed.config);
      expect(b.persons.n).toBe(ROWS);
      expect(b).toEqual(a);
      // And once more: nothing changes.
      const again = await runCli([...args(crashed), '--json'], { env: { DATABASE_URL: crashed.config.databaseUrl ?? '' } });
      expect(JSON.parse(again.stdout)).toMatchObject({ alreadyImported: true, created: 0, updated: 0 });
    } finally {
      await clean.drop();
      await crashed.drop();
    }
  }, 300_000);
});
