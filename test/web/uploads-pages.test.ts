// Import reports as staff read them (issue 9 point 4, part B): row numbers as a spreadsheet shows them (the
// header is row 1), a warning banner when rows were rejected, an empty submission refused before any job
// starts, and failed imports kept in 取込の記録 with status 失敗 and the reason.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, visibleText, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';
import { countRows } from '../harness/sql.js';

describe('import reports', () => {
  let app: TestApp;
  let web: TestWeb;
  let c: PageClient;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-uploads-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'] });
    await staff(app, TOTTORI, { login: 'hokenshi', role: 'nurse', duties: ['vaccination'] });
    web = await startWeb(app);
    c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena', GOOD_PASSWORD);
  });
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  async function upload(client: PageClient, base: string, file: Blob | null, name = 'upload.csv'): Promise<{ status: number; text: string; location: string | null }> {
    const form = await client.get(base);
    const fd = new FormData();
    fd.append('_csrf', PageClient.csrf(form.text));
    fd.append('encoding', 'auto');
    if (file) fd.append('file', file, name);
    else fd.append('file', new Blob([]), ''); // what a browser sends when no file was chosen
    const r = await client.post(base, fd);
    if (r.status !== 302) return r;
    let job = await client.get(r.location!);
    for (let i = 0; i < 100 && job.text.includes('取り込んでいます'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      job = await client.get(r.location!);
    }
    return { status: job.status, text: job.text, location: r.location };
  }

  it('a file with rejected rows says so in a warning banner and names rows as a spreadsheet does', async () => {
    const file = writeCsv(join(dir, 'some-bad.csv'), 'full', [person(1), person(2, { 生年月日: '20259999' }), person(3)]);
    const r = await upload(c, '/residents/imports', new Blob([readFileSync(file)]), 'some-bad.csv');
    expect(r.text).toContain('取込の結果');
    expect(r.text).toContain('notice--warning');
    expect(r.text).not.toContain('notice--success');
    const text = visibleText(r.text);
    expect(text).toContain('取り込みましたが、1 件の行に誤りがあります');
    // The second data row is row 3 of the sheet (row 1 is the header).
    expect(text).toMatch(/3行目\s+生年月日/);
    expect(text).not.toContain('DATE_INVALID');
    const link = /href="(\/residents\/imports\/[^"]+\/rejects\.csv)"/.exec(r.text)![1]!;
    const csv = await c.get(link);
    expect(csv.text.split('\r\n')[1]).toMatch(/^3,生年月日,DATE_INVALID,/);
    // 取込の記録 marks the run as completed with errors.
    expect(visibleText((await c.get('/residents/imports')).text)).toContain('完了（誤りのある行あり）');
  });

  it('a clean file gets the green banner', async () => {
    const file = writeCsv(join(dir, 'clean.csv'), 'full', [person(10), person(11)]);
    const r = await upload(c, '/residents/imports', new Blob([readFileSync(file)]), 'clean.csv');
    expect(r.text).toContain('notice--success');
    expect(visibleText(r.text)).toContain('取り込みました。');
  });

  it('refuses an empty submission before a job starts', async () => {
    const runs = await countRows(app.db.system, 'municipality.import_runs');
    const none = await upload(c, '/residents/imports', null);
    expect(none.status).toBe(400);
    expect(none.location).toBeNull();
    expect(visibleText(none.text)).toContain('ファイルが選ばれていません');
    const empty = await upload(c, '/residents/imports', new Blob([]), 'empty.csv');
    expect(empty.status).toBe(400);
    expect(visibleText(empty.text)).toContain('empty.csv は空のファイル（0バイト）です');
    expect(await countRows(app.db.system, 'municipality.import_runs')).toBe(runs);
    expect(await countRows(app.db.system, 'municipality.import_failures')).toBe(0);
  });

  it('a file with a wrong header or broken CSV fails, and 取込の記録 shows it as 失敗 with the reason', async () => {
    writeFileSync(join(dir, 'wrong.csv'), '\uFEFF名前,誕生日\r\n山田,20200101\r\n');
    const bad = await upload(c, '/residents/imports', new Blob([readFileSync(join(dir, 'wrong.csv'))]), 'wrong.csv');
    expect(visibleText(bad.text)).toContain('取り込めませんでした');
    const list = visibleText((await c.get('/residents/imports')).text);
    expect(list).toMatch(/wrong\.csv\s+—\s+失敗\s+ファイルの様式が違います/);

    // The clinic records screen keeps its own record.
    const nurse = new PageClient(web.url);
    await nurse.login(TOTTORI, 'hokenshi', GOOD_PASSWORD);
    const broken = await upload(nurse, '/vaccinations/imports', new Blob(['\uFEFF通番,接種日\r\n"1,20251110\r\n']), 'broken.csv');
    expect(visibleText(broken.text)).toContain('取り込めませんでした');
    const records = visibleText((await nurse.get('/vaccinations/imports')).text);
    expect(records).toMatch(/broken\.csv\s+—\s+失敗\s+ファイルの形式が正しくありません/);
    expect(records).not.toContain('wrong.csv');
    // …and the failure is in the operation log.
    const log = await app.db.system.selectFrom('kernel.audit_log').select(['action', 'outcome', 'target_type']).where('outcome', '=', 'failure').where('action', '=', 'import').execute();
    expect(log.map((l) => l.target_type).sort()).toEqual(['records-clinic', 'residents']);

    // A clinic file with a byte that is not Shift_JIS in row 3 (decision 0122): refused whole, row and byte
    // position named, kept in 取込の記録; no value from the file on the page or in the record.
    const head = Buffer.from('通番,接種日\r\n1,20251110\r\n2,2025');
    const sjis = Buffer.concat([head, Buffer.from([0x81, 0x0a]), Buffer.from('1111\r\n')]);
    const enc = await upload(nurse, '/vaccinations/imports', new Blob([sjis]), 'sjis-bad.csv');
    expect(visibleText(enc.text)).toContain(`3行目（ファイルの先頭から ${head.length} バイト目）にShift_JIS（CP932）として正しくないバイト列があります`);
    expect(visibleText(enc.text)).toContain('一部だけ書き込まれることはありません');
    const after = visibleText((await nurse.get('/vaccinations/imports')).text);
    expect(after).toMatch(/sjis-bad\.csv\s+—\s+失敗\s+文字コードが正しくありません/);
    const stored = await app.db.system.selectFrom('municipality.import_failures').select('reason').where('file_name', '=', 'sjis-bad.csv').executeTakeFirstOrThrow();
    expect(stored.reason).toContain('3行目');
    expect(stored.reason).not.toContain('\uFFFD');
  });
  it('取込の記録 shows its total and pages 20 at a time, newest first', async () => {
    const base = app.config.clock.now().getTime() - 30 * 86_400_000;
    for (let i = 0; i < 23; i++) {
      await app.db.system
        .insertInto('municipality.import_runs')
        .values({ tenant_code: TOTTORI, kind: 'residents-diff', file_name: `異動_${String(i + 1).padStart(2, '0')}.csv`, file_sha256: String(i).padStart(64, '0'), file_bytes: 10, encoding: 'utf8', base_date: '2026-10-01', status: 'completed', started_by: 'atena', started_at: new Date(base + i * 3_600_000) })
        .execute();
    }
    const runs = await app.db.system.selectFrom('municipality.import_runs').select('id').where('tenant_code', '=', TOTTORI).where('kind', 'like', 'residents-%').execute();
    const failed = await app.db.system.selectFrom('municipality.import_failures').select('id').where('tenant_code', '=', TOTTORI).where('family', '=', 'residents').execute();
    const total = runs.length + failed.length;
    expect(total).toBeGreaterThan(20);
    expect(total).toBeLessThanOrEqual(40);
    const first = visibleText((await c.get('/residents/imports')).text);
    expect(first).toContain(`全 ${total} 件中 1–20 件を表示（新しい順）`);
    const second = visibleText((await c.get('/residents/imports?page=2')).text);
    expect(second).toContain(`全 ${total} 件中 21–${total} 件を表示（新しい順）`);
    // The oldest of the inserted runs is on the last page, not on the first.
    expect(first).not.toContain('異動_01.csv');
    expect(second).toContain('異動_01.csv');
  });
});
