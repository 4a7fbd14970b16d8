// Notices screens (issue 5 points 2 and 3) over HTTP: 「通知書を作成」 on the run page, the batch page with the
// PDF and 発送, the contractor package download, the person's print history and a one-off document, 再発行 by
// 接種券番号, 返送 by scanner lines and the follow-up list, template editing with a refused placeholder and a
// new version, the hand-over ledger, and what a viewer may not do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, configure } from '@zip.js/zip.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { PageClient, startWeb, type TestWeb } from '../harness/web.js';
import { readText } from '../municipality/documents/read-pdf.js';
import { buildTown, type Town } from '../municipality/notices/fixtures.js';

configure({ useWebWorkers: false });

async function download(web: TestWeb, c: PageClient, path: string, form?: Record<string, string>): Promise<{ status: number; type: string | null; bytes: Buffer; text: string }> {
  const cookie = (c as unknown as { cookieHeader(): string }).cookieHeader();
  const res = form
    ? await fetch(web.url + path, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), redirect: 'manual' })
    : await fetch(web.url + path, { headers: { cookie }, redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), bytes, text: bytes.toString('utf8') };
}

describe('notices screens', () => {
  let app: TestApp;
  let web: TestWeb;
  let town: Town;
  let runId: string;
  let batchPath: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-npages-'));
  const nurse = new PageClient('');

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const n = await staff(app, TOTTORI, { login: 'vax-nurse', role: 'nurse', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'vax-viewer', role: 'viewer', duties: ['vaccination'] });
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    runId = (await startExtraction(app.db, n.principal, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
    web = await startWeb(app);
    Object.assign(nurse, new PageClient(web.url));
    await nurse.login(TOTTORI, 'vax-nurse', GOOD_PASSWORD);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the sender block first, then 「通知書を作成」 on the run page makes the batch', async () => {
    const home = await nurse.get('/');
    expect(home.text).toContain('href="/notices"');
    const tpl = await nurse.get('/notices/templates');
    const bad = await nurse.post('/notices/settings', { _csrf: PageClient.csrf(tpl.text), head: '鳥取市長', department: '健康・子育て推進課', postalCode: '68085', phone: '0857-00-0000' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('郵便番号は7桁');
    const ok = await nurse.post('/notices/settings', { _csrf: PageClient.csrf(tpl.text), head: '鳥取市長', department: '健康・子育て推進課', postalCode: '680-8571', phone: '0857-00-0000' });
    expect(ok.status).toBe(302);

    const run = await nurse.get(`/extractions/${runId}`);
    expect(run.text).toContain('通知書を作成');
    const made = await nurse.post('/notices/batches', { _csrf: PageClient.csrf(run.text), runId, docType: 'questionnaire', program: '', issueDate: '2026-11-21' });
    expect(made.status).toBe(302);
    batchPath = made.location!;
    const b = await nurse.get(batchPath);
    expect(b.text).toContain('4人（郵送 3人・窓口交付 1人）');
    expect(b.text).toContain('312011-26-000000001-');
    expect((await nurse.get(`/extractions/${runId}`)).text).toContain(`href="${batchPath}"`);
    // A long creation continues in the background behind /notices/jobs/:id; an unknown job is a 404.
    expect((await nurse.get('/notices/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('the batch PDF downloads as one PDF with one page per person; 発送 is recorded', async () => {
    const pdf = await download(web, nurse, `${batchPath}/pdf?part=all`);
    expect(pdf.type).toBe('application/pdf');
    expect(await readText(pdf.bytes)).toHaveLength(4);
    expect((await readText((await download(web, nurse, `${batchPath}/pdf?part=mail`)).bytes))).toHaveLength(3);
    const b = await nurse.get(batchPath);
    const r = await nurse.post(`${batchPath}/dispatch`, { _csrf: PageClient.csrf(b.text), date: '2026-11-21' });
    expect(r.status).toBe(302);
    expect((await nurse.get(batchPath)).text).toContain('3件を発送済みにしました');
  });

  it('the contractor package downloads encrypted; a refused input re-renders the form without the password', async () => {
    const b = await nurse.get(batchPath);
    expect(b.text).toContain('暗号化ZIP');
    const form = { _csrf: PageClient.csrf(b.text), recipient: '株式会社サンプル印刷', medium: '暗号化ファイルのダウンロード（LGWAN 経由で授受）', passwordDelivery: '別途電話で伝達', useUntil: '2026-12-31', returnMethod: 'データ消去証明書の提出', encoding: 'utf8' };
    const weak = await download(web, nurse, `${batchPath}/package`, { ...form, password: 'weakweakweak' });
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('3種類以上');
    expect(weak.text).not.toContain('weakweakweak');
    const zip = await download(web, nurse, `${batchPath}/package`, { ...form, password: 'Tottori-Print-2026!' });
    expect(zip.status).toBe(200);
    expect(zip.type).toBe('application/zip');
    const zr = new ZipReader(new Uint8ArrayReader(zip.bytes), { password: 'Tottori-Print-2026!' });
    const entries = await zr.getEntries();
    expect(entries.map((e) => e.filename.replace(/^.*\./, ''))).toEqual(['csv', 'pdf', 'txt']);
    const csv = entries[0]!;
    if (csv.directory) throw new Error('expected a file');
    expect(Buffer.from(await csv.getData(new Uint8ArrayWriter())).toString('utf8').split('\r\n')).toHaveLength(5); // header, 3 rows, ''
    const ledger = await nurse.get('/notices/handovers');
    expect(ledger.text).toContain('株式会社サンプル印刷');
    expect(ledger.text).toContain('受け渡し済み');
  });

  it('print history, one-off document, 再発行 by 接種券番号, then the history shows the void and the reissue', async () => {
    const h = await nurse.get(`/residents/${town.D}/notices`);
    expect(h.status).toBe(200);
    expect(h.text).toContain('印刷履歴');
    const number = /312011-26-\d{9}-\d/.exec(h.text)![0];
    const found = await nurse.get(`/notices/reissue?number=${encodeURIComponent(number.replace(/-/g, ''))}`);
    const link = /href="(\/notices\/items\/[0-9a-f-]+\/reissue)"/.exec(found.text)![1]!;
    const form = await nurse.get(link);
    const missing = await nurse.post(link, { _csrf: PageClient.csrf(form.text), identityCheck: 'マイナンバーカード', reason: '' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('再発行の理由を入力してください');
    const done = await nurse.post(link, { _csrf: PageClient.csrf(form.text), identityCheck: 'マイナンバーカード', reason: '紛失したため' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('再発行しました（1回目）');
    expect(done.text).toContain(`元の接種券番号 ${number}は無効になりました`);
    const pdfLink = /href="(\/notices\/items\/[0-9a-f-]+\/pdf)"/.exec(done.text)![1]!;
    expect((await readText((await download(web, nurse, pdfLink)).bytes))).toHaveLength(1);
    const after = await nurse.get(`/residents/${town.D}/notices`);
    expect(after.text).toContain('無効（紛失したため）');
    expect(after.text).toContain('1回目（紛失したため・マイナンバーカード）');

    const one = await nurse.post(`/residents/${town.D}/notices`, { _csrf: PageClient.csrf(after.text), docType: 'request', program: 'hib', destination: '', reason: '', stayAddress: '' });
    expect(one.status).toBe(400);
    expect(one.text).toContain('依頼先');
  });

  it('返送 by scanner lines, then the follow-up list and its resolution', async () => {
    const h = await nurse.get(`/residents/${town.C}/notices`);
    const number = /312011-26-\d{9}-\d/.exec(h.text)![0];
    const page = await nurse.get('/notices/returns');
    const r = await nurse.post('/notices/returns', { _csrf: PageClient.csrf(page.text), numbers: `${number}\r\n312011-26-000000999-1\r\n`, date: '2026-11-21', reason: '転居先不明' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('1件を返送として登録しました');
    expect(r.text).toContain('2行目');
    const f = await nurse.get('/notices/follow-ups');
    expect(f.text).toContain('転居先不明');
    const item = /action="(\/notices\/items\/[0-9a-f-]+\/follow-up)"/.exec(f.text)![1]!;
    const done = await nurse.post(item, { _csrf: PageClient.csrf(f.text), note: '送付先を確認し再送付' });
    expect(done.status).toBe(302);
    expect((await nurse.get('/notices/follow-ups')).text).toContain('対応待ちはありません');
  });

  it('templates: a mistyped placeholder is refused with a hint; a valid edit becomes version 2; the preview is a PDF', async () => {
    const t = await nurse.get('/notices/templates/reminder');
    const body = '　{{氏名}}さんの予防接種がお済みでないようです。\n\n　{{接種期限}}までに受けてください。';
    const bad = await nurse.post('/notices/templates/reminder', { _csrf: PageClient.csrf(t.text), baseVersion: '1', title: '予防接種のおすすめ', body: body.replace('{{氏名}}', '{{指名}}'), notes: '', contact: '{{問合せ先}}', note: '短くした', action: 'save' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('{{氏名}} の誤りではありませんか');
    const preview = await download(web, nurse, '/notices/templates/reminder', { _csrf: PageClient.csrf(t.text), baseVersion: '1', title: '予防接種のおすすめ', body, notes: '', contact: '{{問合せ先}}', note: '', action: 'preview' });
    expect(preview.type).toBe('application/pdf');
    expect((await readText(preview.bytes))[0]).toContain('までに受けてください。');
    const ok = await nurse.post('/notices/templates/reminder', { _csrf: PageClient.csrf(t.text), baseVersion: '1', title: '予防接種のおすすめ', body, notes: '', contact: '{{問合せ先}}', note: '短くした', action: 'save' });
    expect(ok.status).toBe(302);
    const v = await nurse.get('/notices/templates/reminder');
    expect(v.text).toContain('第2版');
    expect(v.text).toContain('短くした');
  });

  it('a viewer sees history but no issuing forms, and is refused the PDF, the package and 再発行', async () => {
    const viewer = new PageClient(web.url);
    await viewer.login(TOTTORI, 'vax-viewer', GOOD_PASSWORD);
    const b = await viewer.get(batchPath);
    expect(b.status).toBe(200);
    expect(b.text).not.toContain('暗号化ZIP');
    expect(b.text).not.toContain('発送の登録');
    expect((await download(web, viewer, `${batchPath}/pdf?part=all`)).status).toBe(403);
    expect((await viewer.get('/notices/reissue')).status).toBe(403);
    expect((await viewer.get(`/residents/${town.A}/notices`)).status).toBe(200);
  });
});
