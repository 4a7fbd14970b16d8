// The fast import path (decision 0044) keeps every guarantee of decision 0042 across batch boundaries, in
// both database modes: duplicates found whatever batch the first occurrence was in (written, unchanged,
// rejected or held rows), import_seen left empty by a first import, every row's registration and My Number
// logged, values with quotes, backslashes and 異体字 stored exactly, and the tables analysed on a fresh
// database so that lookups use their indexes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Principal } from '../../../src/kernel/context/index.js';
import { importResidents, personHistory } from '../../../src/municipality/residents/index.js';
import { runAs } from '../../../src/kernel/context/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type Mode, type TestApp } from '../../harness/app.js';
import { movement, person, writeCsv } from '../../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-resb-'));
const f = (name: string) => join(dir, name);

describe.each<Mode>(['server', 'embedded'])('residents import in batches (%s)', (mode) => {
  let app: TestApp;
  let op: Principal;
  const count = async (q: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(q)}`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    op = operatorOf(TOTTORI);
  });
  afterAll(async () => app.cleanup());

  it('a first import of a full file stages no keys, logs a registration and a My Number entry per person, and analyses the lookup tables', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => person(400 + i));
    rows[3] = person(403, { 氏名: '山﨑　"髙"\\橋', 住所: '鳥取県鳥取市尚徳町116番地, NULL 棟' });
    const r = await importResidents(app, op, { file: writeCsv(f('first.csv'), 'full', rows), batchSize: 2 });
    expect(r).toMatchObject({ rows: 7, created: 7, rejected: 0 });
    expect(await count(`municipality.import_seen`)).toBe(0);
    expect(await count(`kernel.audit_log WHERE action = 'create' AND target_type = 'resident' AND detail->>'runId' = '${r.runId}'`)).toBe(7);
    expect(await count(`kernel.audit_log WHERE action = 'mynumber_store' AND detail->>'runId' = '${r.runId}'`)).toBe(7);
    const p = (await sql<{ name_kanji: string; address: string; state: { nameKanji: string }; changed: string[] }>`SELECT p.name_kanji, p.state->>'address' AS address, p.state, v.changed FROM municipality.persons p JOIN municipality.person_versions v USING (tenant_code, atena_no) WHERE p.juminhyo_code = ${person(403)['住民票コード']!}`.execute(app.db.system)).rows[0]!;
    expect(p.name_kanji).toBe('山﨑　"髙"\\橋');
    expect(p.state.nameKanji).toBe('山﨑　"髙"\\橋');
    expect(p.address).toBe('鳥取県鳥取市尚徳町116番地, NULL 棟');
    expect(p.changed).toEqual([]); // a first version is the registration: nothing "changed"
    const analysed = (await sql<{ relname: string; reltuples: number }>`SELECT relname, reltuples FROM pg_class WHERE oid IN ('municipality.persons'::regclass, 'municipality.person_versions'::regclass, 'kernel.mynumber_vault'::regclass)`.execute(app.db.system)).rows;
    for (const t of analysed) expect(t.reltuples, t.relname).toBeGreaterThanOrEqual(0);
  });

  it('finds a duplicate 住民票コード in a later batch whether the first row was written, unchanged or rejected', async () => {
    const rows = [
      person(400), // unchanged since the first import
      person(410), // new
      person(411, { 個人番号: person(400)['個人番号']! }), // rejected: the number belongs to 400
      person(412),
      person(400, { 住所: '別の住所' }), // duplicate of an unchanged row
      person(410, { 住所: '別の住所' }), // duplicate of a written row
      person(411, { 個人番号: '' }), // duplicate of a rejected row
    ];
    const r = await importResidents(app, op, { file: writeCsv(f('dups.csv'), 'full', rows), batchSize: 2 });
    const byRow = new Map(r.rejects.map((x) => [x.rowNo, x.code]));
    expect(byRow.get(3)).toBe('DUPLICATE_PERSON');
    expect(byRow.get(5)).toBe('DUPLICATE_IN_FILE');
    expect(byRow.get(6)).toBe('DUPLICATE_IN_FILE');
    expect(byRow.get(7)).toBe('DUPLICATE_IN_FILE');
    expect(r).toMatchObject({ created: 2, unchanged: 1, rejected: 4 });
    expect(await count(`municipality.import_seen`)).toBe(0); // removed when the run completed
  });

  it('finds a duplicate 異動ID in a later batch, and skips movements applied by an earlier file', async () => {
    const first = [movement('MB-1', '20', '20260501', person(401, { 住所: '鳥取県鳥取市幸町71' })), movement('MB-2', '21', '20260502', person(402, { 氏名: '改名　花子' }))];
    const r1 = await importResidents(app, op, { file: writeCsv(f('mv1.csv'), 'diff', first), batchSize: 1 });
    expect(r1).toMatchObject({ updated: 2, rejected: 0 });
    const second = [
      movement('MB-1', '20', '20260501', person(401, { 住所: '鳥取県鳥取市幸町71' })), // applied by mv1.csv
      movement('MB-3', '20', '20260601', person(404, { 住所: '鳥取県鳥取市栄町1' })),
      movement('MB-4', '11', '20260601', person(499)), // unknown person: rejected
      movement('MB-3', '20', '20260602', person(404, { 住所: '鳥取県鳥取市栄町2' })), // duplicate of a written row
      movement('MB-1', '20', '20260501', person(401)), // duplicate of a skipped row
      movement('MB-4', '11', '20260601', person(499)), // duplicate of a rejected row
    ];
    const r2 = await importResidents(app, op, { file: writeCsv(f('mv2.csv'), 'diff', second), batchSize: 2 });
    const byRow = new Map(r2.rejects.map((x) => [x.rowNo, x.code]));
    expect(byRow.get(3)).toBe('UNKNOWN_PERSON');
    expect(byRow.get(4)).toBe('DUPLICATE_IN_FILE');
    expect(byRow.get(5)).toBe('DUPLICATE_IN_FILE');
    expect(byRow.get(6)).toBe('DUPLICATE_IN_FILE');
    expect(r2).toMatchObject({ updated: 1, unchanged: 1, rejected: 4 });
    const clerk = (await staff(app, TOTTORI, { login: `atena-${mode}`, duties: ['addressee'] })).principal;
    const atena = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE juminhyo_code = ${person(404)['住民票コード']!}`.execute(app.db.system)).rows[0]!.atena_no;
    const h = await runAs(app.db, clerk, (w) => personHistory(w, atena));
    expect(h).toHaveLength(2);
    expect(h[1]!.changed).toEqual(['address', 'latestMovement', 'latestMovementOn', 'latestNotifiedOn']);
  });
});
