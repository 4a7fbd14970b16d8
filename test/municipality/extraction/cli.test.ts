// `mamori extract` (docs/formats/extraction-cli.md): the JSON contract, list/show, exit codes, and a run killed
// with SIGKILL mid-way then resumed with --resume: same members and content hash as an uninterrupted run.
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openApp } from '../../../src/app/index.js';
import { freshConfig } from '../../harness/app.js';
import { runCli } from '../../harness/cli.js';
import { person, writeCsv } from '../../harness/residents.js';
import { MAMORI_BIN, ROOT, CLI_LOG } from '../../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-xcli-'));
const PEOPLE = 3000;

/** Birth dates from 2019 to 2026 (children with programs due) and a few elderly people. */
function birth(i: number): string {
  if (i % 10 === 0) return `19${String(50 + (i % 12)).padStart(2, '0')}0${1 + (i % 9)}15`;
  const y = 2019 + (i % 8);
  const m = 1 + (i % 12);
  const d = 1 + (i % 28);
  const s = `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
  return s > '20261101' ? '20260901' : s;
}

describe('mamori extract (server)', () => {
  let store: Awaited<ReturnType<typeof freshConfig>>;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], timeoutMs = 120_000) => runCli([...args, '--data', store.config.dataDir], { env, timeoutMs });
  const ALL = ['extract', '--tenant', '312011', '--all', '--as-of', '2026-11-21', '--chunk', '100'];

  beforeAll(async () => {
    store = await freshConfig('server');
    env = { DATABASE_URL: store.config.databaseUrl! };
    const file = writeCsv(join(dir, 'pop.csv'), 'full', Array.from({ length: PEOPLE }, (_, i) => person(i + 1, { 生年月日: birth(i + 1), 住民となった日: birth(i + 1), 最新異動日: birth(i + 1), 性別: i % 2 ? '1' : '2', 地区コード: i % 3 ? '01' : '02', 支援措置: i % 97 === 0 ? '1' : '0' })));
    expect((await cli(['org', 'add', '--code', '312011', '--name', '鳥取市'])).code).toBe(0);
    const imported = await cli(['import', 'residents', file, '--tenant', '312011', '--base-date', '2026-04-01', '--json'], 300_000);
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: PEOPLE, rejected: 0 });
  }, 400_000);
  afterAll(async () => {
    await store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs, prints the JSON contract, lists and shows the run (members by 宛名番号 only)', async () => {
    const r = await cli([...ALL, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { counts: { persons: number; members: number; memberPersons: number; protectedPersons: number }; runId: string };
    expect(j).toMatchObject({ status: 'complete', kind: 'targets', asOf: '2026-11-21', all: true, diff: null, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), runId: expect.any(String) });
    expect(j.counts.persons).toBe(PEOPLE);
    expect(j.counts.members).toBeGreaterThan(PEOPLE);
    expect(j.counts.protectedPersons).toBeGreaterThan(0);

    const again = JSON.parse((await cli([...ALL, '--json'])).stdout) as { contentHash: string; diff: { added: number; dropped: number; previousRunId: string } };
    expect(again.contentHash).toBe(j['contentHash']);
    expect(again.diff).toMatchObject({ previousRunId: j.runId, added: 0, dropped: 0 });

    const listed = JSON.parse((await cli(['extract', 'list', '--tenant', '312011', '--json'])).stdout) as { runId: string }[];
    expect(listed.map((x) => x.runId)).toContain(j.runId);
    const human = await cli(['extract', 'show', j.runId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(String(j['contentHash']));
    const shown = JSON.parse((await cli(['extract', 'show', j.runId, '--members', '--program', 'hib', '--json'])).stdout) as { members: Record<string, unknown>[] };
    expect(shown.members.length).toBeGreaterThan(0);
    expect(Object.keys(shown.members[0]!).sort()).toEqual(['atenaNo', 'dose', 'earliest', 'late', 'latest', 'program', 'protected', 'standardFrom', 'standardUntil', 'status']);
    expect(shown.members.every((m) => m['program'] === 'hib')).toBe(true);
  }, 300_000);

  it('exit codes: 2 for malformed input (naming the field), 1 for a refused operation', async () => {
    const bad = await cli(['extract', '--tenant', '312011', '--program', 'no-such', '--as-of', '2026-11-21']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('programs');
    expect((await cli(['extract', '--tenant', '312011', '--all', '--as-of', '2026-02-30'])).code).toBe(2);
    expect((await cli(['extract', '--tenant', '312011', '--all'])).code).toBe(2);
    const done = JSON.parse((await cli(['extract', 'list', '--tenant', '312011', '--json'])).stdout) as { runId: string }[];
    const again = await cli(['extract', '--resume', done[0]!.runId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('RUN_COMPLETE');
  }, 120_000);

  it('kill -9 mid-run, then --resume: the same members and content hash as an uninterrupted run', async () => {
    const clean = JSON.parse((await cli([...ALL, '--kind', 'unvaccinated', '--json'])).stdout) as { contentHash: string; runId: string; counts: unknown };
    const child = spawn(process.execPath, [MAMORI_BIN, ...ALL, '--kind', 'unvaccinated', '--data', store.config.dataDir], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let killedAt = 0;
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString('utf8');
        const m = [...err.matchAll(/(\d+) 人を処理しました/g)].at(-1);
        if (m && Number(m[1]) >= 500 && !killedAt) {
          killedAt = Number(m[1]);
          child.kill('SIGKILL');
        }
      });
      child.on('close', () => resolve());
    });
    appendFileSync(CLI_LOG, `$ mamori extract … (killed with SIGKILL after ${killedAt} persons)\n`);
    expect(killedAt).toBeGreaterThanOrEqual(500);
    expect(killedAt).toBeLessThan(PEOPLE);
    const runs = JSON.parse((await cli(['extract', 'list', '--tenant', '312011', '--json'])).stdout) as { runId: string; status: string }[];
    const interrupted = runs.find((x) => x.status === 'running')!;
    expect(interrupted).toBeDefined();
    const resumed = await cli(['extract', '--resume', interrupted.runId, '--json']);
    expect(resumed.code).toBe(0);
    const j = JSON.parse(resumed.stdout) as { contentHash: string; resumedAfter: string; counts: unknown; resumed: number; diff: { previousRunId: string; added: number; dropped: number } };
    expect(j.resumedAfter).toMatch(/^\d{10}$/);
    expect(j.resumed).toBe(1);
    expect(j.contentHash).toBe(clean.contentHash);
    expect(j.counts).toEqual(clean.counts);
    expect(j.diff).toMatchObject({ previousRunId: clean.runId, added: 0, dropped: 0 });
    // No member row was written twice (the primary key) and the rows are the clean run's.
    const app = await openApp(store.config);
    try {
      const fp = async (run: string) => (await sql<{ n: number; h: string }>`SELECT count(*)::int AS n, md5(string_agg(atena_no || program || coalesce(dose::text, '') || status || coalesce(earliest::text, '') || protected::text, '|' ORDER BY atena_no, program)) AS h FROM municipality.extraction_members WHERE run_id = ${run}::uuid`.execute(app.db.system)).rows[0]!;
      expect(await fp(interrupted.runId)).toEqual(await fp(clean.runId));
    } finally {
      await app.close();
    }
  }, 300_000);
});
