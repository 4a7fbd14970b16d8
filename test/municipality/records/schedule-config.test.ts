// The municipality's own schedule configuration stored in the database (issue 4 point 1 "Municipalities configure
// 臨時, 特措法 and 任意 programs in the same format without code changes"; decision 0029): a supervisor saves a
// version, the ledger checks doses with it at once; clerks may not change it (refusal logged); invalid
// configurations are refused naming the field and save nothing; the CLI and the screen do the same.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { catalogFor, createRecord, listScheduleConfigs, saveScheduleConfig } from '../../../src/municipality/records/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { person, writeCsv } from '../../harness/residents.js';
import { runCli } from '../../harness/cli.js';
import { PageClient, startWeb } from '../../harness/web.js';
import { ROOT } from '../../harness/paths.js';

const EXAMPLE = join(ROOT, 'docs/formats/examples/schedule-municipal-config.json');
const config = () => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { programs: { code: string }[]; products: { code: string }[] };

describe('municipal schedule configuration', () => {
  let app: TestApp;
  let chief: Principal;
  let clerk: Principal;
  let atena: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    chief = (await staff(app, TOTTORI, { login: 'vax-chief', role: 'supervisor', duties: ['vaccination'] })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'vax-clerk', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(app.tmp, 'p.csv'), 'full', [person(1, { 生年月日: '20240510', 住民となった日: '20240510', 最新異動日: '20240510' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
  }, 120_000);
  afterAll(async () => app.cleanup());

  it('a supervisor saves a version; the ledger uses its programs at once', async () => {
    const before = await runAs(app.db, clerk, (w) => catalogFor(w));
    expect(before.catalog.programsByCode.has('mumps-subsidy')).toBe(false);
    const v = await runAs(app.db, chief, (w) => saveScheduleConfig(w, config(), 'おたふくかぜ助成の開始'));
    expect(v).toMatchObject({ version: 1, note: 'おたふくかぜ助成の開始', createdBy: 'vax-chief', programs: [{ code: 'mumps-subsidy', category: '任意' }] });
    const after = await runAs(app.db, clerk, (w) => catalogFor(w));
    expect(after.catalog.programsByCode.has('mumps-subsidy')).toBe(true);
    expect(after.version).toContain(`${TOTTORI}.1`);
    const rec = await runAs(app.db, clerk, (w) => createRecord(w, atena, { product: 'mumps', vaccinatedOn: '2025-06-01', lot: 'MU1' }, { source: 'counter' }));
    expect(rec.data.program).toBe('mumps-subsidy');
    expect(rec.data.category).toBe('任意');
    const log = await app.db.system.selectFrom('kernel.audit_log').select(['action', 'actor_login', 'target_id']).where('target_type', '=', 'schedule-config').execute();
    expect(log).toEqual([{ action: 'settings_change', actor_login: 'vax-chief', target_id: '1' }]);
  });

  it('a clerk cannot change it (the refusal is logged); an invalid configuration names the field and saves nothing', async () => {
    await expect(runAs(app.db, clerk, (w) => saveScheduleConfig(w, config()))).rejects.toMatchObject({ status: 403 });
    const denied = await app.db.system.selectFrom('kernel.audit_log').select(['outcome']).where('action', '=', 'access_denied').where('actor_login', '=', 'vax-clerk').where('target_type', '=', 'schedule-config').execute();
    expect(denied).toEqual([{ outcome: 'denied' }]);
    const bad = config();
    bad.products[0]!.code = 'mr'; // a national product code
    await expect(runAs(app.db, chief, (w) => saveScheduleConfig(w, bad))).rejects.toMatchObject({ status: 400, errors: expect.arrayContaining([expect.objectContaining({ field: 'products.0.code', code: 'DUPLICATE' })]) });
    expect((await runAs(app.db, clerk, (w) => listScheduleConfigs(w))).map((v) => v.version)).toEqual([1]);
  });

  it('mamori schedule config set|list|show', async () => {
    const env = { DATABASE_URL: app.databaseUrl! };
    const data = ['--data', app.config.dataDir];
    const set = await runCli(['schedule', 'config', 'set', EXAMPLE, '--tenant', TOTTORI, '--note', 'CLI', '--json', ...data], { env });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ version: 2, note: 'CLI' });
    const list = JSON.parse((await runCli(['schedule', 'config', 'list', '--tenant', TOTTORI, '--json', ...data], { env })).stdout) as { version: number }[];
    expect(list.map((v) => v.version)).toEqual([2, 1]);
    const show = await runCli(['schedule', 'config', 'show', '--tenant', TOTTORI, '--version', '1', ...data], { env });
    expect(JSON.parse(show.stdout)).toEqual(config());
    const broken = await runCli(['schedule', 'config', 'set', join(ROOT, 'package.json'), '--tenant', TOTTORI, ...data], { env });
    expect(broken.code).toBe(2);
  }, 120_000);

  it('the screen: a supervisor uploads a version, a clerk only reads', async () => {
    const web = await startWeb(app);
    try {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'vax-chief', 'Mamori-Test-2026!');
      const pageText = (await c.get('/vaccinations/schedule-config')).text;
      expect(pageText).toContain('おたふくかぜ予防接種費用助成');
      const bad = await c.post('/vaccinations/schedule-config', { _csrf: PageClient.csrf(pageText), config: '{"programs": [', note: '' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('JSONとして読めません');
      const ok = await c.post('/vaccinations/schedule-config', { _csrf: PageClient.csrf(pageText), config: JSON.stringify(config()), note: '画面から' });
      expect(ok.status).toBe(302);
      expect((await c.get('/vaccinations/schedule-config')).text).toContain('画面から');
      const k = new PageClient(web.url);
      await k.login(TOTTORI, 'vax-clerk', 'Mamori-Test-2026!');
      const read = await k.get('/vaccinations/schedule-config');
      expect(read.status).toBe(200);
      expect(read.text).not.toContain('新しい版を登録する');
    } finally {
      await web.close();
    }
  });
});
