// The resident's 連絡先・生活保護等の情報 page (RES-18, RES-21): contacts added through the form (全角 normalised,
// a wrong number refused with the field named and the form kept), ended; the feed facts with their file and
// row; a user of no resident duty refused.  And the dose entry's record page shows the co-payment decision.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { importEligibility, setCopayRule } from '../../src/municipality/copay/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';
import { findMyNumbers } from '../harness/leaks.js';

describe('contacts and eligibility page', () => {
  let app: TestApp;
  let web: TestWeb;
  let atenaNo: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-contacts-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'] });
    const nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await staff(app, TOTTORI, { login: 'stats', role: 'viewer', duties: ['statistics'] });
    await staff(app, TOTTORI, { login: 'relief', role: 'viewer', duties: ['relief'] });
    const op = operatorOf(TOTTORI);
    await importResidents(app, op, { file: writeCsv(join(dir, 'r.csv'), 'full', [person(1, { 生年月日: '19500601', 続柄: '世帯主' })]) });
    atenaNo = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    writeFileSync(join(dir, 'seiho-20261101.csv'), `宛名番号,ケース番号,区分,開始日,終了日\r\n${atenaNo},C-77,受給,20260401,\r\n`);
    await importEligibility(app.db, op, { kind: 'seikatsuhogo', file: join(dir, 'seiho-20261101.csv') });
    writeFileSync(join(dir, 'kazei.csv'), `宛名番号,賦課年度,課税区分\r\n${atenaNo},2026,非課税\r\n`);
    await importEligibility(app.db, op, { kind: 'kazei', file: join(dir, 'kazei.csv') });
    await runAs(app.db, nurse, (w) => setCopayRule(w, { program: 'influenza-elderly', fiscalYear: 2026, rule: { amounts: { 一般: 2500, 生活保護: 0 }, defaultCategory: '一般', exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }] } }));
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
  });

  it('adds, refuses and ends contacts; shows the feed facts with file and row', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena', GOOD_PASSWORD);
    const p = await c.get(`/residents/${atenaNo}/contacts`);
    expect(p.status).toBe(200);
    expect(p.text).toContain('連絡先は登録されていません');
    expect(p.text).toContain('C-77');
    expect(p.text).toContain('seiho-20261101.csv 2行目');
    expect(p.text).toContain('令和8年度');
    expect(p.text).toContain('市町村民税 非課税');
    const add = await c.post(`/residents/${atenaNo}/contacts`, { _csrf: PageClient.csrf(p.text), kind: 'mobile', value: '０９０－１１１１－２２２２', source: 'counter', setOn: '2026-11-21', consent: 'yes', note: '' });
    expect(add.status).toBe(302);
    const after = await c.get(`/residents/${atenaNo}/contacts`);
    expect(after.text).toContain('090-1111-2222');
    expect(after.text).toContain('同意あり');
    const bad = await c.post(`/residents/${atenaNo}/contacts`, { _csrf: PageClient.csrf(after.text), kind: 'mobile', value: '0857-20-3000', source: 'counter', setOn: '2026-11-21', consent: 'yes', note: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('携帯電話番号は 060・070・080・090 で始まる11桁です');
    expect(bad.text).toContain('0857-20-3000'); // the form keeps what was typed
    const endAction = /action="(\/residents\/\d{10}\/contacts\/[0-9a-f-]{36}\/end)"/.exec(after.text)![1]!;
    const end = await c.post(endAction, { _csrf: PageClient.csrf(after.text), endedOn: '2026-11-21' });
    expect(end.status).toBe(302);
    expect((await c.get(`/residents/${atenaNo}/contacts`)).text).toContain('令和8年11月21日まで');
    expect(findMyNumbers(after.text)).toEqual([]);
  });

  it('the feeds\' upload screen imports a 介護保険 file chosen by kind, with its report and rejects', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena', GOOD_PASSWORD);
    const form = await c.get('/eligibility/imports');
    expect(form.status).toBe(200);
    const fd = new FormData();
    fd.append('_csrf', PageClient.csrf(form.text));
    fd.append('feedKind', 'kaigo');
    fd.append('file', new Blob([`宛名番号,賦課年度,所得段階\r\n${atenaNo},2026,3\r\n${atenaNo},2025,99\r\n`]), 'kaigo.csv');
    const up = await c.post('/eligibility/imports', fd);
    expect(up.status).toBe(302);
    let report = await c.get(up.location!);
    for (let i = 0; i < 50 && report.text.includes('取り込んでいます'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      report = await c.get(up.location!);
    }
    expect(report.text).toContain('取込の結果');
    expect(report.text).toContain('所得段階');
    expect((await c.get(`/residents/${atenaNo}/contacts`)).text).toContain('介護保険料 第3段階');
    // The staff home points 宛名管理 at the rejected row.
    expect((await c.get('/')).text).toContain('取り込めなかった行のある生活保護・課税・介護保険ファイル');
  });

  it('a user with no resident duty is refused; one of another duty does not see the eligibility facts', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'stats', GOOD_PASSWORD);
    expect((await c.get(`/residents/${atenaNo}/contacts`)).status).toBe(403);
    // 健康被害救済 staff see the contacts but not the 生活保護・課税・介護 facts.
    const r = new PageClient(web.url);
    await r.login(TOTTORI, 'relief', GOOD_PASSWORD);
    const p = await r.get(`/residents/${atenaNo}/contacts`);
    expect(p.status).toBe(200);
    expect(p.text).toContain('連絡先');
    expect(p.text).not.toContain('C-77');
    expect(p.text).not.toContain('非課税');
  });

  it('a dose registered on the entry screen shows its 自己負担区分, amount, 徴収区分 and the reasons', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'nurse', GOOD_PASSWORD);
    const t = await c.get(`/residents/${atenaNo}/vaccinations`);
    expect(t.text).toContain('徴収区分');
    const r = await c.post(`/residents/${atenaNo}/vaccinations`, { _csrf: PageClient.csrf(t.text), product: 'influenza', vaccinatedOn: '2026-11-02', copayCategory: '', feeCollection: '', feeAmount: '' });
    expect(r.status).toBe(302);
    const list = await c.get(`/residents/${atenaNo}/vaccinations`);
    expect(list.text).toContain('自己負担区分「生活保護」・0円・徴収なし');
    const recordHref = /href="(\/vaccinations\/[0-9a-f-]{36})"/.exec(list.text)![1]!;
    const rec = await c.get(recordHref);
    expect(rec.text).toContain('生活保護');
    expect(rec.text).toContain('0円');
    expect(rec.text).toContain('徴収なし');
    expect(rec.text).toContain('seiho-20261101.csv」2行目');
    expect(rec.text).not.toContain('"code"'); // no raw JSON or internal codes
    // A correction of the 徴収区分 alone keeps the decided category.
    const fixed = await c.post(`${recordHref}/correct`, { _csrf: PageClient.csrf(rec.text), vaccinatedOn: '2026-11-02', lot: '', institutionCode: '', dose: '1', copayCategory: '', feeCollection: 'municipality', feeAmount: '0', reasonKind: '職権修正', reason: '市で徴収' });
    expect(fixed.status).toBe(302);
    const after = await c.get(recordHref);
    expect(after.text).toContain('市区町村で徴収');
    expect(after.text).toContain('生活保護');
  });
});
