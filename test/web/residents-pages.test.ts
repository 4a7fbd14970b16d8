// Resident screens (issue 3 point 7): upload a 住基 file and read the report (downloadable rejects), search
// without My Numbers in the list, the detail page with its history timeline, the protected address, and the
// My Number inquiry that needs the view flag and a purpose and is logged (KRN-07, KRN-29).
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { mn, movement, person, writeCsv } from '../harness/residents.js';

describe('resident screens', () => {
  let app: TestApp;
  let web: TestWeb;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-respages-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'atena-view', duties: ['addressee'], mynumberView: true });
    await staff(app, TOTTORI, { login: 'vax-clerk', duties: ['vaccination'] });
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
  });

  it('uploads a file, shows the report with downloadable rejects, then searches, shows history and reveals a My Number with a purpose', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena-view', 'Mamori-Test-2026!');
    const imports = await c.get('/residents/imports');
    expect(imports.status).toBe(200);
    const file = writeCsv(join(dir, 'screen.csv'), 'full', [person(1, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ' }), person(2, { 生年月日: '20259999' }), person(3, { 支援措置: '1', 氏名: '山﨑　美咲', 氏名カナ: 'ヤマサキ　ミサキ' })], { encoding: 'sjis' });
    const fd = new FormData();
    fd.append('_csrf', PageClient.csrf(imports.text));
    fd.append('encoding', 'auto');
    fd.append('baseDate', '2026-04-01');
    fd.append('file', new Blob([readFileSync(file)]), 'screen.csv');
    const up = await c.post('/residents/imports', fd);
    expect(up.status).toBe(302);
    let report = await c.get(up.location!);
    for (let i = 0; i < 50 && report.text.includes('取り込んでいます'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      report = await c.get(up.location!);
    }
    expect(report.text).toContain('取込の結果');
    expect(report.text).toMatch(/新規<\/dt><dd>2/);
    expect(report.text).toContain('生年月日');
    const rejectsLink = /href="(\/residents\/imports\/[^"]+\/rejects\.csv)"/.exec(report.text)![1]!;
    const csv = await c.get(rejectsLink);
    expect(csv.res.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain('\r\n3,生年月日,DATE_INVALID,');

    // A movement file through the same screen: a 転居 for 髙橋.
    const diff = writeCsv(join(dir, 'move.csv'), 'diff', [movement('SC-1', '20', '20260601', person(1, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ', 住所: '鳥取県鳥取市幸町７１番地' }))]);
    const page2 = await c.get('/residents/imports');
    const fd2 = new FormData();
    fd2.append('_csrf', PageClient.csrf(page2.text));
    fd2.append('file', new Blob([readFileSync(diff)]), 'move.csv');
    const up2 = await c.post('/residents/imports', fd2);
    for (let i = 0; i < 50 && (await c.get(up2.location!)).text.includes('取り込んでいます'); i++) await new Promise((r) => setTimeout(r, 100));

    const list = await c.get(`/residents?kana=${encodeURIComponent('たかはし')}`);
    expect(list.text).toContain('髙橋　一郎');
    expect(list.text).not.toContain(mn(1));
    const atenaNo = /href="\/residents\/(\d{10})"/.exec(list.text)![1]!;
    const detail = await c.get(`/residents/${atenaNo}`);
    expect(detail.text).toContain('異動・変更の履歴');
    expect(detail.text).toContain('転居');
    expect(detail.text).toContain('move.csv 2行目');
    expect(detail.text).toContain('住所');
    expect(detail.text).not.toContain(mn(1));

    // Reveal: the purpose is required, then the number is shown once and the reveal is logged.
    const noPurpose = await c.post(`/residents/${atenaNo}/reveal`, { _csrf: PageClient.csrf(detail.text), purpose: '' });
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.text).not.toContain(mn(1));
    const shown = await c.post(`/residents/${atenaNo}/reveal`, { _csrf: PageClient.csrf(detail.text), purpose: '情報連携データの修正のため' });
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`${mn(1).slice(0, 4)} ${mn(1).slice(4, 8)} ${mn(1).slice(8)}`);
    const log = await app.db.system.selectFrom('kernel.audit_log').select(['purpose', 'subject_ref']).where('action', '=', 'mynumber_reveal').where('actor_login', '=', 'atena-view').where('outcome', '=', 'success').execute();
    expect(log).toEqual([{ purpose: '情報連携データの修正のため', subject_ref: 'resident:' + atenaNo }]); // in the resident's access history with every other access
  });

  it('a vaccination clerk sees no protected address, no reveal form, and cannot open the import screen', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'vax-clerk', 'Mamori-Test-2026!');
    const list = await c.get(`/residents?kana=${encodeURIComponent('ヤマサキ')}`);
    expect(list.text).toContain('支援措置の対象のため表示しません');
    expect(list.text).not.toContain('尚徳町');
    const atenaNo = /href="\/residents\/(\d{10})"/.exec(list.text)![1]!;
    const detail = await c.get(`/residents/${atenaNo}`);
    expect(detail.text).toContain('DV等支援措置');
    expect(detail.text).not.toContain('個人番号を表示する');
    const imports = await c.get('/residents/imports');
    expect(imports.status).toBe(403);
  });
});
