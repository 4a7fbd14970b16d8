// The staff home shows the day's work by duty (decision 0106), and lists show their total and page
// (decision 0108): a fresh town with a queue item on each side, an import with rejects and one that stopped,
// a batch not yet 発送済 and a certificate application not yet issued → each item with its count and link,
// only for a user whose duties allow it; the residents search pages 60 matches 50 at a time, keeping filters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { jsonb } from '../../src/kernel/db/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { issueForPerson, saveNoticeSettings } from '../../src/municipality/notices/index.js';
import { receiveApplication } from '../../src/municipality/certification/index.js';
import { ShcKeyStore } from '../../src/municipality/certificates/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';

/** The work list on the home page: title → [count, href]. */
function workItems(text: string): Map<string, [number, string]> {
  const out = new Map<string, [number, string]>();
  for (const m of text.matchAll(/<li class="worklist__item[^"]*"><a href="([^"]+)"><span class="worklist__title">([^<]+)<\/span><span class="worklist__count">([\d,]+)<small>件<\/small><\/span><\/a>/g)) {
    out.set(m[2]!, [Number(m[3]!.replace(/,/g, '')), m[1]!]);
  }
  return out;
}

describe('staff home work items and list paging', () => {
  let app: TestApp;
  let web: TestWeb;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-home-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const vax = await staff(app, TOTTORI, { login: 'home-vax', role: 'clerk', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'home-atena', role: 'clerk', duties: ['addressee'] });
    await staff(app, TOTTORI, { login: 'home-look', role: 'viewer', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'home-fresh', role: 'clerk', duties: ['vaccination'] });
    // 60 サトウ (for the pager), a few others, and one row refused (an impossible birth date): an import with rejects.
    const rows = [
      ...Array.from({ length: 60 }, (_, i) => person(100 + i, { 氏名: '佐藤　健太', 氏名カナ: 'サトウ　ケンタ' })),
      person(1, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ' }),
      person(2, { 生年月日: '20259999' }),
    ];
    const r = await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'town.csv'), 'full', rows) });
    expect(r.rejected).toBe(1);
    const atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('search_kana', 'like', 'タカハシ%').executeTakeFirstOrThrow()).atena_no;

    // A clinic-record import that stopped part-way (still "running" two hours after it started).
    await app.db.system
      .insertInto('municipality.import_runs')
      .values({ tenant_code: TOTTORI, kind: 'records-clinic', file_name: 'clinic.csv', file_sha256: 'x'.repeat(64), file_bytes: 10, encoding: 'utf8', base_date: '2026-11-21', status: 'running', started_by: 'home-vax', started_at: new Date(app.config.clock.now().getTime() - 2 * 3600_000) })
      .execute();
    // One open item on each review queue, two more on the records side.
    for (const source of ['residents-import', 'records-import', 'records-import', 'records-import']) {
      await app.db.system.insertInto('municipality.match_queue').values({ tenant_code: TOTTORI, source, query: jsonb({ nameKanji: '照合　待子', birthDate: '2025-01-01' }), candidates: jsonb([]), status: 'open' }).execute();
    }
    // A batch of one mailed document, not yet 発送済; a certificate application received, not issued.
    await runAs(app.db, vax.principal, async (w) => {
      await saveNoticeSettings(w, { head: '鳥取市長', department: '健康・子育て推進課', postalCode: '680-8571', address: '鳥取県鳥取市幸町71番地', phone: '0857-00-0000' });
      const issued = await issueForPerson(w, { keys: app.tenantKeys }, { atenaNo: atena, docType: 'questionnaire', program: 'hib' });
      expect(issued.mail).toBe(true);
    });
    await runAs(app.db, vax.principal, (w) =>
      receiveApplication(w, { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(join(app.tmp, 'keys')), publicUrl: 'https://mamori.test' }, atena, {
        kind: 'completion', programs: ['hib'], channel: 'counter', applicant: 'self', identityDocument: 'mynumber-card', reason: '記録の確認', receivedOn: '2026-11-20',
      }),
    );
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each user sees the work their duties allow, with its count and a link that opens', async () => {
    const vax = new PageClient(web.url);
    await vax.login(TOTTORI, 'home-vax', GOOD_PASSWORD);
    const home = await vax.get('/');
    expect(home.text).toContain('対応が必要な作業');
    const items = workItems(home.text);
    expect(items.get('接種記録の照合の確認待ち')).toEqual([3, '/vaccinations/queue']);
    expect(items.get('取込の記録：途中で止まった接種記録ファイル')).toEqual([1, '/vaccinations/imports']);
    expect(items.get('発送待ちの通知書')).toEqual([1, '/notices']);
    expect(items.get('交付待ちの証明書の申請')).toEqual([1, '/certificates/applications']);
    // Not this user's duty: the 住基 side.
    expect(items.has('住民の照合の確認待ち')).toBe(false);
    expect([...items.keys()].some((k) => k.includes('住基'))).toBe(false);
    // What must not wait comes first.
    expect([...items.keys()][0]).toBe('取込の記録：途中で止まった接種記録ファイル');
    for (const [, href] of items.values()) expect((await vax.get(href)).status, href).toBe(200);
    const waiting = await vax.get('/certificates/applications');
    expect(waiting.text).toContain('全 1 件中 1–1 件を表示');
    expect(waiting.text).toContain('内容の確認・交付');
    const queue = await vax.get('/vaccinations/queue');
    expect(queue.text).toContain('全 3 件中 1–3 件を表示');

    const atena = new PageClient(web.url);
    await atena.login(TOTTORI, 'home-atena', GOOD_PASSWORD);
    const a = workItems((await atena.get('/')).text);
    expect(a.get('住民の照合の確認待ち')).toEqual([1, '/residents/queue']);
    expect(a.get('取込の記録：取り込めなかった行のある住基ファイル')).toEqual([1, '/residents/imports']);
    expect(a.has('接種記録の照合の確認待ち')).toBe(false);
    expect(a.has('発送待ちの通知書')).toBe(false);
    expect(a.has('交付待ちの証明書の申請')).toBe(false);
    const rq = await atena.get('/residents/queue');
    expect(rq.text).toContain('全 1 件中 1–1 件を表示');
    expect(rq.text).toContain('照合　待子');
    // A refused decision says which field, by its label, not by its internal name.
    const action = /<form method="post" action="(\/residents\/queue\/[^"]+)"/.exec(rq.text)![1]!;
    const refused = await atena.post(action, { _csrf: PageClient.csrf(rq.text), action: 'dismiss', note: '' });
    expect(refused.status).toBe(302);
    const back = await atena.get(refused.location!);
    expect(back.text).toContain('確定できませんでした: 確認した内容（理由）: 入力してください');
    expect(back.text).not.toContain('note:');

    // A viewer (no write permission) has nothing to do here.
    const look = new PageClient(web.url);
    await look.login(TOTTORI, 'home-look', GOOD_PASSWORD);
    const l = await look.get('/');
    expect(workItems(l.text).size).toBe(0);
    expect(l.text).toContain('対応が必要な作業はありません');
  });

  it('an unacknowledged tamper alert is the first work item of the auditor (KRN-34); staff without the duty do not see it', async () => {
    await staff(app, TOTTORI, { login: 'home-kansa', role: 'auditor' });
    const now = app.config.clock.now();
    await app.db.system
      .insertInto('kernel.audit_alerts')
      .values({ tenant_code: TOTTORI, signature: 'home-test', kind: 'chain', seq: 12, message: '操作ログの連番12の内容が署名と一致しません', raised_at: now, last_seen_at: now, acknowledged_at: null, acknowledged_by: null, ack_reason: null })
      .execute();
    try {
      const kansa = new PageClient(web.url);
      await kansa.login(TOTTORI, 'home-kansa', GOOD_PASSWORD);
      const items = workItems((await kansa.get('/')).text);
      expect([...items.keys()][0]).toBe('操作ログの改ざん検知（未確認）');
      expect(items.get('操作ログの改ざん検知（未確認）')).toEqual([1, '/audit#alerts']);
      expect((await kansa.get('/audit')).text).toContain('操作ログの連番12の内容が署名と一致しません');
      const vax = new PageClient(web.url);
      await vax.login(TOTTORI, 'home-vax', GOOD_PASSWORD);
      expect(workItems((await vax.get('/')).text).has('操作ログの改ざん検知（未確認）')).toBe(false);
    } finally {
      await app.db.system.deleteFrom('kernel.audit_alerts').where('signature', '=', 'home-test').execute();
    }
  });

  it('the residents search shows its total and pages 50 at a time, keeping the filters in every link', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'home-atena', GOOD_PASSWORD);
    const first = await c.get(`/residents?kana=${encodeURIComponent('さとう')}&former=on`);
    expect(first.text).toContain('全 60 件中 1–50 件を表示');
    expect(first.text.match(/href="\/residents\/\d{10}"/g)).toHaveLength(50);
    expect(first.text).toContain('aria-current="page">1<');
    const next = /<a href="([^"]+)" rel="next">次へ<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    const params = new URLSearchParams(next!.split('?')[1]);
    expect(params.get('kana')).toBe('さとう');
    expect(params.get('former')).toBe('on');
    expect(params.get('page')).toBe('2');
    expect(first.text).toMatch(/<a href="[^"]*page=2" aria-label="2ページ">2<\/a>/);
    const second = await c.get(next!);
    expect(second.text).toContain('全 60 件中 51–60 件を表示');
    expect(second.text.match(/href="\/residents\/\d{10}"/g)).toHaveLength(10);
    expect(second.text).toContain('rel="prev">前へ</a>');
    expect(second.text).not.toContain('rel="next"');
    // A page past the end is the last page; one match is a list of one without page links.
    expect((await c.get(`/residents?kana=${encodeURIComponent('さとう')}&former=on&page=99`)).text).toContain('全 60 件中 51–60 件を表示');
    const one = await c.get(`/residents?kana=${encodeURIComponent('たかはし')}`);
    expect(one.text).toContain('全 1 件中 1–1 件を表示');
    expect(one.text).not.toContain('class="pager__pages"');
  });

  it('the operation log pages with its filters and says when it is capped', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'home-fresh', GOOD_PASSWORD);
    const mine = await c.get('/audit?outcome=success');
    expect(mine.text).toMatch(/全 \d+ 件中 1–\d+ 件を表示（新しい順）/);
    expect(mine.text).not.toContain('条件を絞り込んでください');
  });
});
