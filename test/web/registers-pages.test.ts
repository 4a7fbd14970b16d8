// The safeguard registers on screen (decision 0126): a keeper records a disclosure request through the form
// (a refused save names the fields by label, a My Number is refused), the list shows its total and pages 20 at
// a time keeping the filter, the entry shows its deadline, steps and versions, the CSV downloads, and the home
// shows the requests near or past their deadline, hand-overs past their use deadline and, to the administrator
// and the auditor, the flagged inquiries, open incidents and incidents past their 確報 deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { createEntry } from '../../src/kernel/registers/index.js';
import { addTenant, GOOD_PASSWORD, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, visibleText, type TestWeb } from '../harness/web.js';
import { auditRows } from '../harness/sql.js';

function workItems(text: string): Map<string, [number, string]> {
  const out = new Map<string, [number, string]>();
  for (const m of text.matchAll(/<li class="worklist__item[^"]*"><a href="([^"]+)"><span class="worklist__title">([^<]+)<\/span><span class="worklist__count">([\d,]+)<small>件<\/small><\/span><\/a>/g)) {
    out.set(m[2]!, [Number(m[3]!.replace(/,/g, '')), m[1]!.replace(/&amp;/g, '&')]);
  }
  return out;
}

const form = {
  kind: '開示', requester: '本人', requesterName: '鳥取　花子', principalName: '', idDocuments: '運転免許証', designatedForm: 'はい', receivedOn: '2026-11-10', fee: '0', content: '予防接種記録の開示',
};

describe('safeguard register pages', () => {
  let app: TestApp;
  let web: TestWeb;
  const keeper = new PageClient('');

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const k = await staff(app, TOTTORI, { login: 'rp-keeper', duties: ['safeguards'] });
    const clerk = await staff(app, TOTTORI, { login: 'rp-vax', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'rp-admin', role: 'admin' });
    await staff(app, TOTTORI, { login: 'rp-kansa', role: 'auditor' });
    // 24 old requests (all decided by now? no: past their deadline) for the pager and the home.
    await runAs(app.db, k.principal, async (w) => {
      for (let i = 0; i < 24; i++) await createEntry(w, 'disclosure', { ...form, requesterName: `請求者${i}`, receivedOn: '2026-10-01' });
      // An incident past its 確報 deadline and a hand-over past its use deadline.
      await createEntry(w, 'incident', { title: '媒体の紛失', discoveredOn: '2026-10-01', kind: '漏えい等のおそれ', cause: '紛失・盗難', unlawful: 'いいえ', summary: '媒体を紛失', reporter: '係長' });
      await createEntry(w, 'handover', { company: '株式会社入力', content: '入力票', medium: '紙', items: '30', handedOn: '2026-10-01', useUntil: '2026-11-01', returnMethod: '返却', handedBy: '係員', receivedBy: '入力 花子' });
    });
    await runAs(app.db, clerk.principal, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '他人の通知書が届いた', leak: 'はい', takenBy: '受付' }));
    web = await startWeb(app);
    Object.assign(keeper, new PageClient(web.url));
    await keeper.login(TOTTORI, 'rp-keeper', GOOD_PASSWORD);
  });
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  it('creates a request through the form: refusals name the field by label, a My Number is refused, the deadline is computed', async () => {
    const blank = await keeper.get('/registers/disclosure/new');
    expect(blank.status).toBe(200);
    expect(blank.text).toContain('個人番号（マイナンバー）は書かないでください');
    expect(blank.text).toContain('value="2026-11-21"'); // the receipt date defaults to today (kernel clock)
    const refused = await keeper.post('/registers/disclosure/new', { _csrf: PageClient.csrf(blank.text), ...form, requesterName: '', content: '番号 123456789012 の記録' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('入力内容を確認してください');
    expect(refused.text).toContain('請求者の氏名: 入力してください');
    expect(refused.text).toContain('請求の内容: 個人番号（12桁の番号）と思われる数字は記録できません');
    expect(refused.text).not.toContain('123456789012');
    const ok = await keeper.post('/registers/disclosure/new', { _csrf: PageClient.csrf(refused.text), ...form });
    expect(ok.status).toBe(302);
    expect(ok.location).toBe('/registers/disclosure/25');
    const d = await keeper.get(ok.location!);
    expect(d.text).toContain('第25号として記録しました');
    expect(visibleText(d.text)).toContain('2026-11-24（受付日の翌日から14日以内）');
    // Extend, then correct: the old version stays visible.
    const ext = await keeper.post('/registers/disclosure/25/steps/extend', { _csrf: PageClient.csrf(d.text), on: '2026-11-21', reason: '対象文書が多い', newDeadline: '2026-12-10' });
    expect(ext.status).toBe(302);
    const bad = await keeper.post('/registers/disclosure/25/steps/decide', { _csrf: PageClient.csrf(d.text), on: '2026-11-21', decision: '訂正する', actor: '課長' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('決定の内容: 「開示」の請求には');
    const edit = await keeper.get('/registers/disclosure/25/edit');
    const fixed = await keeper.post('/registers/disclosure/25/edit', { _csrf: PageClient.csrf(edit.text), ...form, requesterName: '鳥取　華子', reason: '氏名の誤記' });
    expect(fixed.status).toBe(302);
    const after = visibleText((await keeper.get('/registers/disclosure/25')).text);
    expect(after).toContain('2026-12-10（延長後）');
    expect(after).toContain('第2版（訂正あり）');
    expect(after).toContain('氏名の誤記');
    expect(after).toContain('鳥取　花子 → 鳥取　華子');
    expect(after).toMatch(/延長の理由\s*：\s*対象文書が多い/);
  });

  it('lists a register with its total, 20 to a page, keeping the filter; the index shows open counts', async () => {
    const index = visibleText((await keeper.get('/registers')).text);
    expect(index).toContain('開示・訂正・利用停止請求の受付簿');
    expect(index).toMatch(/開示・訂正・利用停止請求の受付簿\s*25件\s*25件/);
    const list = await keeper.get('/registers/disclosure?status=open');
    expect(list.text).toContain('全 25 件中 1–20 件を表示');
    expect(list.text).toContain('href="/registers/disclosure?status=open&amp;page=2"');
    const p2 = await keeper.get('/registers/disclosure?status=open&page=2');
    expect(p2.text).toContain('全 25 件中 21–25 件を表示');
    expect(p2.text).toContain('期限超過');
    const none = await keeper.get('/registers/disclosure?status=notified');
    expect(none.text).toContain('条件に合う記録はありません');
  });

  it('exports the register as CSV (BOM, CRLF) and logs the export', async () => {
    const csv = await keeper.get('/registers/disclosure/export.csv');
    expect(csv.status).toBe(200);
    expect(csv.res.headers.get('content-type')).toContain('text/csv');
    expect(csv.res.headers.get('content-disposition')).toContain('register-disclosure-');
    const rows = csv.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(rows[0]).toContain('番号,状態,請求の種類,請求者の区分');
    expect(rows.filter((r) => /^\d+,/.test(r))).toHaveLength(25);
    expect((await auditRows(app, TOTTORI, { action: 'export', actor_login: 'rp-keeper' })).some((r) => r.target_type === 'register-disclosure')).toBe(true);
  });

  it('puts deadlines on the keeper’s home and escalations on the administrator’s and auditor’s; others neither see nor open them', async () => {
    const home = workItems((await keeper.get('/')).text);
    expect(home.get('決定期限を過ぎた開示・訂正・利用停止請求')).toEqual([24, '/registers/disclosure?status=open']);
    // The keeper records incidents, so sees the escalations too.
    expect(home.get('漏えい等の可能性がある問合せ')).toEqual([1, '/registers/inquiry?status=open&flagged=1']);
    expect(home.get('利用期限を過ぎた受渡（返却・消去の確認待ち）')).toEqual([1, '/registers/handover?status=out']);
    for (const login of ['rp-admin', 'rp-kansa']) {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, login, GOOD_PASSWORD);
      const items = workItems((await c.get('/')).text);
      expect(items.get('漏えい等の可能性がある問合せ'), login).toEqual([1, '/registers/inquiry?status=open&flagged=1']);
      expect(items.get('個人情報保護委員会への確報の期限を過ぎた事故・漏えい等'), login).toEqual([1, '/registers/incident?status=open']);
      expect(items.get('対応中の事故・漏えい等'), login).toEqual([1, '/registers/incident?status=open']);
      expect(visibleText((await c.get('/registers/incident/1')).text)).toContain('2026-10-31（発覚日から30日以内）');
      const list = await c.get('/registers/inquiry?status=open&flagged=1');
      expect(list.text).toContain('全 1 件中 1–1 件を表示');
      expect(list.text).toContain('他人の通知書が届いた');
      expect(items.has('決定期限を過ぎた開示・訂正・利用停止請求')).toBe(false);
    }
    const vax = new PageClient(web.url);
    await vax.login(TOTTORI, 'rp-vax', GOOD_PASSWORD);
    expect(workItems((await vax.get('/')).text).has('漏えい等の可能性がある問合せ')).toBe(false);
    expect((await vax.get('/registers/disclosure')).status).toBe(403);
    expect((await vax.get('/registers/inquiry')).status).toBe(200);
    expect((await auditRows(app, TOTTORI, { action: 'access_denied', actor_login: 'rp-vax' })).some((r) => r.target_type === 'register-disclosure')).toBe(true);
  });
});
