// `mamori registry checks|proposals|proposal` as subprocesses (docs/formats/registry-cli.md「住基ネットの確認」;
// issue 15 Must have 9; decisions 0180–0183): the periodic 住基 check of a small synthetic city prints exactly
// {"checked","changed","deaths","unresolved"}; the proposals are listed (JSON and text) and closed — a death
// accepted erases the entry; nothing printed holds a My Number or a 住民票コード.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthCity, synthCityCounts } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { findMyNumbers } from '../harness/leaks.js';
import { runCli } from '../harness/cli.js';

const NOW = '2026-11-05T15:00:00+09:00';

describe('mamori registry checks', () => {
  let app: TestApp;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    app = await testApp('server');
    (app.config.clock as SetClock).set(NOW);
    await seedSynthCity(app, 50, '2026-11-05');
    env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_CLOCK: `fixed:${NOW}` };
  }, 120_000);
  afterAll(async () => {
    await app?.cleanup();
  });
  const cli = (...args: string[]) => runCli(['registry', ...args], { env, timeoutMs: 180_000 });
  const outputs: string[] = [];

  it('runs the periodic check and prints the four counts', async () => {
    const r = await cli('checks', '--tenant', 'mhlw-isei', '--json');
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stderr).toBe(0);
    const e = synthCityCounts(50);
    // 住基's four counts, and the day's 戸籍 run beside them (no 戸籍 is linked for this synthetic register:
    // nothing changed, nobody died there, and whoever 法務省 cannot identify is unresolved).
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({ checked: 50, changed: e.renamed + e.moved, deaths: e.deceased, unresolved: e.unknown, koseki: expect.objectContaining({ changed: 0, deaths: 0 }) });
    const k = out['koseki'] as { checked: number; unresolved: number };
    expect(k.checked).toBe(50); // every registrant in force (the deaths are proposals, not yet 抹消)
    expect(k.unresolved).toBe(k.checked);
    const again = await cli('checks', '--tenant', 'mhlw-isei', '--from', '2026-11-05', '--until', '2026-11-05');
    outputs.push(again.stdout);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('確認 50 人、変更 2 人、死亡 1 人');
    expect(again.stdout).toContain('審査への提案を 0 件追加しました');
    const bad = await cli('checks', '--tenant', 'mhlw-isei', '--from', '2026-11-05');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('until');
    expect((await cli('checks', '--tenant', 'nosuch', '--json')).code).toBe(2);
  }, 400_000);

  it('lists the proposals and closes them: a death accepted erases the entry', async () => {
    const l = await cli('proposals', '--tenant', 'mhlw-isei', '--json');
    outputs.push(l.stdout);
    expect(l.code, l.stderr).toBe(0);
    const list = JSON.parse(l.stdout) as { total: number; byKind: Record<string, number>; rows: { id: number; kind: string; number: number }[] };
    expect(list).toMatchObject({ total: 4, byKind: { name: 1, address: 1, death: 1, unknown: 1 } });
    const text = await cli('proposals', '--tenant', 'mhlw-isei', '--limit', '2');
    outputs.push(text.stdout);
    expect(text.stdout).toContain('提案 4 件');
    expect(text.stdout).toContain('1〜2 件目を表示');
    const death = list.rows.find((p) => p.kind === 'death')!;
    const c = await cli('proposal', '--tenant', 'mhlw-isei', '--id', String(death.id), '--accept', '--by', 'shinsa1', '--json');
    outputs.push(c.stdout);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ status: 'accepted', closedBy: 'shinsa1' });
    const shown = await cli('show', '--tenant', 'mhlw-isei', '--qualification', 'ishi', '--number', String(death.number), '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: { code: 'erased' }, deceased: true, erasure: { cause: 'death' } });
    const unknown = list.rows.find((p) => p.kind === 'unknown')!;
    expect((await cli('proposal', '--tenant', 'mhlw-isei', '--id', String(unknown.id))).code).toBe(2);
    const rej = await cli('proposal', '--tenant', 'mhlw-isei', '--id', String(unknown.id), '--reject', '本人に確認する');
    expect(rej.code, rej.stderr).toBe(0);
    expect(rej.stdout).toContain('反映しない（本人に確認する）');
    const open = JSON.parse((await cli('proposals', '--tenant', 'mhlw-isei', '--json')).stdout) as { total: number };
    expect(open.total).toBe(2);
  }, 400_000);

  it('prints no My Number and no 住民票コード', () => {
    const all = outputs.join('\n');
    expect(findMyNumbers(all)).toEqual([]);
    expect(all).not.toMatch(/5000000000[0-9]|590000000[0-9]{2}/);
  });
});
