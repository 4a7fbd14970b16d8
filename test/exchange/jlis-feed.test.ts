// 住基ネット fed by the synth generator (issue 11 point 3): the same people as `mamori synth residents`,
// loaded once however often it runs, and no My Number in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { parse } from 'csv-parse/sync';
import { feedJlisFromSynth } from '../../src/app/index.js';
import { SyntheticResidents } from '../../src/municipality/synth/index.js';
import { testApp, type TestApp } from '../harness/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp('server');
});
afterAll(async () => {
  await app?.cleanup();
});

describe('feedJlisFromSynth', () => {
  it('loads the synthetic snapshot as 本人確認情報, idempotently, with the numbers encrypted', async () => {
    const opts = { count: 300, seed: 'jlis-feed', tenant: '131237' };
    const first = await feedJlisFromSynth(app, opts);
    const again = await feedJlisFromSynth(app, opts);
    expect(again.loaded).toBe(first.loaded);
    const header = SyntheticResidents.header('full').split(',');
    const lines = [...new SyntheticResidents(opts).snapshot()].map((l) => (parse(l) as string[][])[0]!);
    const codes = lines.map((c) => c[header.indexOf('住民票コード')]!).filter(Boolean);
    expect(first.loaded).toBe(codes.length);
    const numbers = lines.map((c) => c[header.indexOf('個人番号')]!).filter(Boolean).slice(0, 20);
    expect(numbers.length).toBeGreaterThan(0);
    const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'peers_jlis' AND table_type = 'BASE TABLE'`.execute(app.db.system);
    let found = 0;
    for (const { t } of tables.rows) {
      const txt = (await sql<{ x: string | null }>`SELECT string_agg(r::text, ' ') AS x FROM ${sql.table(`peers_jlis.${t}`)} r`.execute(app.db.system)).rows[0]?.x ?? '';
      if (txt.includes(codes[0]!)) found++;
      for (const n of numbers) expect(txt, `peers_jlis.${t}`).not.toContain(n);
    }
    expect(found).toBeGreaterThan(0);
  });
});
