// Retention of former residents' contacts and eligibility facts (decision 0157): nothing is due for a person
// who still lives here; a moved-out person's rows go 5 years after the 住民でなくなった日 (with approval).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { addContact, importEligibility } from '../../../src/municipality/copay/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { movement, person, writeCsv } from '../../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-copay-ret-'));

describe('resident-eligibility retention', () => {
  let app: TestApp;
  let chief: Principal;
  const sys = () => ({ system: app.db.system, auditKeys: app.auditKeys });
  const rows = async () => Number((await sql<{ n: number }>`SELECT (SELECT count(*) FROM municipality.person_contacts) + (SELECT count(*) FROM municipality.eligibility_tax) AS n`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const op = operatorOf(TOTTORI);
    chief = (await staff(app, TOTTORI, { login: 'chief', role: 'supervisor', duties: ['addressee', 'vaccination'] })).principal;
    const clerk = (await staff(app, TOTTORI, { login: 'clerk', duties: ['addressee'] })).principal;
    await importResidents(app, op, { file: writeCsv(join(dir, 'full.csv'), 'full', [person(1), person(2)]), baseDate: '2026-04-01' });
    const a = (await app.db.system.selectFrom('municipality.persons').select('atena_no').orderBy('juminhyo_code').execute()).map((r) => r.atena_no);
    writeFileSync(join(dir, 'kazei.csv'), `宛名番号,賦課年度,課税区分\r\n${a[0]},2026,非課税\r\n${a[1]},2026,非課税\r\n`);
    await importEligibility(app.db, op, { kind: 'kazei', file: join(dir, 'kazei.csv') });
    for (const x of a) await runAs(app.db, clerk, (w) => addContact(w, x, { kind: 'phone', value: '0857-20-3000', source: 'counter', setOn: '2026-05-01', consent: true }));
    await importResidents(app, op, { file: writeCsv(join(dir, 'move.csv'), 'diff', [movement('E-1', '11', '20260710', { ...person(1), 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20260710', 消除事由: '転出' })]) });
  });
  afterAll(async () => app.cleanup());

  const runAt = async (at: string) => {
    const now = new Date(at);
    for (const r of await app.retention.runTenant(app.db, sys(), TOTTORI, now)) if (r.requestId) await runAs(app.db, chief, (w) => app.retention.decide(w, r.requestId!, true, '保存期間の経過を確認した'));
    return (await app.retention.runTenant(app.db, sys(), TOTTORI, now)).filter((d) => d.dataClass === 'resident-eligibility' && d.action === 'deleted').map((d) => d.count);
  };

  it('keeps everything before 5 years; then deletes the moved-out person\'s rows only', async () => {
    expect(await runAt('2031-07-09T00:00:00Z')).toEqual([]);
    expect(await rows()).toBe(4);
    expect(await runAt('2031-07-11T00:00:00Z')).toEqual([2]);
    expect(await rows()).toBe(2);
  });
});
