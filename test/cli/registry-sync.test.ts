// `mamori registry sync menkyo|kensaku` as a subprocess (docs/formats/registry-cli.md「同期」; QUA-28, QUA-29;
// decisions 0221–0222): the command starts the organisations, runs the sync as the registry node and prints the
// counts.  The synthetic register (seedSynthCity) is written straight into the register without any application
// or 住基・戸籍 check of examination, so nobody of it is registrable without problems: everyone is withheld,
// nothing reaches either system, and the text names the reason.  Nothing printed holds a My Number.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthCity } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { findMyNumbers } from '../harness/leaks.js';
import { runCli } from '../harness/cli.js';

const NOW = '2026-11-05T15:00:00+09:00';

describe('mamori registry sync', () => {
  let app: TestApp;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    app = await testApp('server');
    (app.config.clock as SetClock).set(NOW);
    await seedSynthCity(app, 20, '2026-11-05');
    env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_CLOCK: `fixed:${NOW}` };
  }, 120_000);
  afterAll(async () => {
    await app?.cleanup();
  });
  const cli = (...args: string[]) => runCli(['registry', 'sync', ...args], { env, timeoutMs: 180_000 });

  it('prints the counts per 資格管理者 (JSON and text); the unverified register is withheld, nothing is sent', async () => {
    const j = await cli('menkyo', '--json');
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([
      expect.objectContaining({ target: 'menkyo', tenant: 'mhlw-isei', sent: 0, stored: 0, messages: 0, withheld: { unverified: 20, proposal: 0, application: 0 } }),
      expect.objectContaining({ target: 'menkyo', tenant: 'mhlw-iyaku', sent: 0, messages: 0 }),
    ]);
    const t = await cli('kensaku', '--tenant', 'mhlw-isei');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('資格確認検索システムと同期しました。');
    expect(t.stdout).toContain('保留（mhlw-isei）: 住基ネット・戸籍による確認の記録がありません 20 件');
    const held = await sql<{ n: number }>`SELECT (SELECT count(*) FROM peers_menkyo.register_versions)::int + (SELECT count(*) FROM peers_kensaku.listings)::int AS n`.execute(app.db.system);
    expect(held.rows[0]!.n).toBe(0);
    expect(findMyNumbers(j.stdout + j.stderr + t.stdout + t.stderr)).toEqual([]);
  });

  it('refuses an unknown target or 資格管理者 (exit 2)', async () => {
    const a = await cli('shaken');
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('同期先は menkyo または kensaku です');
    const b = await cli('menkyo', '--tenant', 'mhlw-shaen');
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('mhlw-isei');
  });
});
