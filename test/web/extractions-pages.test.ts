// Extraction screens (issue 5 point 1): the new-run form with programs as Japanese checkboxes, progress and
// the run page (parameters, counts, exclusions, hash, members with 支援措置 marked and no address), the diff
// with the previous run, the resume button of an interrupted run, and refusal for another duty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { mn } from '../harness/residents.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { buildTown } from '../municipality/extraction/fixtures.js';

describe('extraction screens', () => {
  let app: TestApp;
  let web: TestWeb;
  let id: Awaited<ReturnType<typeof buildTown>>;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-xpages-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'vax-nurse', role: 'nurse', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'atena-clerk', duties: ['addressee'] });
    id = await buildTown(app, operatorOf(TOTTORI), dir);
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitDone = async (c: PageClient, path: string) => {
    let p = await c.get(path);
    for (let i = 0; i < 100 && p.text.includes('抽出中です'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      p = await c.get(path);
    }
    return p;
  };

  it('runs from the form and shows the run: counts, exclusions, hash, members without address, 支援措置 marked, then the diff', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'vax-nurse', 'Mamori-Test-2026!');
    const home = await c.get('/');
    expect(home.text).toContain('href="/extractions"');
    const form = await c.get('/extractions');
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="hib"');
    expect(form.text).toContain('Hib感染症');

    const bad = await c.post('/extractions', { _csrf: PageClient.csrf(form.text), kind: 'targets', asOf: '2026-11-21' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('予防接種の種類を選ぶか');

    const started = await c.post('/extractions', { _csrf: PageClient.csrf(form.text), kind: 'targets', asOf: '2026-11-21', programs: ['hib', 'bcg'] });
    expect(started.status).toBe(302);
    const run = await waitDone(c, started.location!);
    expect(run.status).toBe(200);
    expect(run.text).toContain('完了');
    expect(run.text).toMatch(/<code>[0-9a-f]{64}<\/code>/);
    expect(run.text).toContain('転出');
    expect(run.text).toContain('職権消除');
    expect(run.text).toContain(id.A);
    expect(run.text).toContain('郵送不可（支援措置）');
    expect(run.text).toContain('令和8年8月15日');
    expect(run.text).not.toContain('鳥取県鳥取市尚徳町');
    expect(run.text).not.toContain(mn(2));
    expect(run.text).toContain('同じ種類・予防接種・条件の完了した抽出がない');
    // The members listed are the run's (C moved out before the as-of date).
    expect(run.text).not.toContain(`>${id.C}<`);

    const again = await c.post('/extractions', { _csrf: PageClient.csrf(form.text), kind: 'targets', asOf: '2026-11-21', programs: ['hib', 'bcg'] });
    const second = await waitDone(c, again.location!);
    expect(second.text).toContain('前回の抽出（基準日 2026-11-21）との差');
    expect(second.text).toContain('新たに対象になった人はいません');
    const list = await c.get('/extractions');
    expect(list.text.match(/href="\/extractions\/[0-9a-f-]{36}"/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('an interrupted run offers to resume; resuming completes it', async () => {
    const nurse = (await staff(app, TOTTORI, { login: 'vax-nurse2', role: 'nurse', duties: ['vaccination'] })).principal;
    const cut = await startExtraction(app.db, nurse, { programs: ['hib'], asOf: '2026-11-21', chunkSize: 2 }, { stopAfterChunks: 1 });
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'vax-nurse', 'Mamori-Test-2026!');
    const p = await c.get(`/extractions/${cut.run.id}`);
    expect(p.text).toContain('中断しています');
    expect(p.text).toContain(`action="/extractions/${cut.run.id}/resume"`);
    const r = await c.post(`/extractions/${cut.run.id}/resume`, { _csrf: PageClient.csrf(p.text) });
    expect(r.status).toBe(302);
    const done = await waitDone(c, `/extractions/${cut.run.id}`);
    expect(done.text).toMatch(/再開の回数<\/dt><dd>1/);
    expect(done.text).toMatch(/<code>[0-9a-f]{64}<\/code>/);
  });

  it('another duty is refused', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena-clerk', 'Mamori-Test-2026!');
    expect((await c.get('/')).text).not.toContain('href="/extractions"');
    expect((await c.get('/extractions')).status).toBe(403);
  });
});
