// Issue 4 point 5b: clinic batches have "the same idempotency and crash-resume guarantees as resident
// import" — the importing CLI is killed with SIGKILL mid-file, re-run, and must end exactly like an
// uninterrupted import, with no dose registered twice.
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openApp } from '../../../src/app/index.js';
import { freshConfig } from '../../harness/app.js';
import { runCli } from '../../harness/cli.js';
import { person, writeCsv, writeRecordsCsv, dose } from '../../harness/residents.js';
import { MAMORI_BIN, ROOT, CLI_LOG } from '../../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-rcrash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PEOPLE = 800;
const DOSES_EACH = 5;

describe('crash and resume of a clinic batch import (server)', () => {
  it('kill -9 mid-import, then re-run: same records as an uninterrupted import, none twice', async () => {
    const residents = writeCsv(join(dir, 'pop.csv'), 'full', Array.from({ length: PEOPLE }, (_, i) => person(i + 1, { 生年月日: '20250910', 性別: i % 2 ? '1' : '2' })));
    const stores = [await freshConfig('server'), await freshConfig('server')];
    try {
      for (const c of stores) {
        const env = { DATABASE_URL: c.config.databaseUrl! };
        expect((await runCli(['org', 'add', '--code', '312011', '--name', '鳥取市', '--data', c.config.dataDir], { env })).code).toBe(0);
        expect((await runCli(['import', 'residents', residents, '--tenant', '312011', '--base-date', '2026-04-01', '--data', c.config.dataDir, '--json'], { env })).code).toBe(0);
      }
      const a = await openApp(stores[0]!.config);
      const atenas = (await a.db.system.selectFrom('municipality.persons').select('atena_no').orderBy('juminhyo_code').execute()).map((r) => r.atena_no);
      await a.close();
      const products = ['dpt-ipv-hib', 'pcv20', 'hepb', 'bcg', 'rota1'];
      const dates = ['20251110', '20251215', '20260120', '20260301', '20251110'];
      const rows = atenas.flatMap((atenaNo, i) => products.slice(0, DOSES_EACH).map((p, k) => dose(`${i}-${k}`, { 宛名番号: atenaNo, 性別: i % 2 ? '1' : '2', ワクチン: p, 接種日: dates[k]! })));
      const file = writeRecordsCsv(join(dir, 'records.csv'), rows);
      const args = (c: (typeof stores)[number]) => ['import', 'records', file, '--tenant', '312011', '--batch', '200', '--data', c.config.dataDir];

      const clean = await runCli([...args(stores[0]!), '--json'], { env: { DATABASE_URL: stores[0]!.config.databaseUrl! }, timeoutMs: 300_000 });
      expect(JSON.parse(clean.stdout)).toMatchObject({ created: PEOPLE * DOSES_EACH, rejected: 0, queued: 0 });

      const child = spawn(process.execPath, [MAMORI_BIN, ...args(stores[1]!)], { cwd: ROOT, env: { ...process.env, DATABASE_URL: stores[1]!.config.databaseUrl! }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let killedAt = 0;
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (b: Buffer) => {
          err += b.toString('utf8');
          const m = [...err.matchAll(/(\d+) 行を処理しました/g)].at(-1);
          if (m && Number(m[1]) >= 1000 && !killedAt) {
            killedAt = Number(m[1]);
            child.kill('SIGKILL');
          }
        });
        child.on('close', () => resolve());
      });
      appendFileSync(CLI_LOG, `$ mamori import records … (killed with SIGKILL after ${killedAt} rows)\n`);
      expect(killedAt).toBeGreaterThanOrEqual(1000);
      expect(killedAt).toBeLessThan(PEOPLE * DOSES_EACH);
      const resumed = await runCli([...args(stores[1]!), '--json'], { env: { DATABASE_URL: stores[1]!.config.databaseUrl! }, timeoutMs: 300_000 });
      expect(JSON.parse(resumed.stdout)).toMatchObject({ created: PEOPLE * DOSES_EACH, alreadyImported: false });

      const fp = async (c: (typeof stores)[number]) => {
        const app = await openApp(c.config);
        try {
          const r = await sql<{ n: number; h: string }>`SELECT count(*)::int AS n, md5(string_agg(atena_no || product || vaccinated_on || source_row || program || coalesce(dose::text, '') || warnings::text, '|' ORDER BY atena_no, source_row)) AS h FROM municipality.vaccination_records`.execute(app.db.system);
          return r.rows[0]!;
        } finally {
          await app.close();
        }
      };
      const [x, y] = [await fp(stores[0]!), await fp(stores[1]!)];
      expect(y.n).toBe(PEOPLE * DOSES_EACH);
      expect(y).toEqual(x);
    } finally {
      for (const c of stores) await c.drop();
    }
  }, 300_000);
});
