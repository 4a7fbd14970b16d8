// Issue 9 point 4 (part B): screens speak to staff, not engineers.  A populated app is crawled as an
// administrator, a 保健師 (nurse), an 宛名 clerk and an auditor; no page shows a program or product code, an
// audit action identifier, a requirement ID, a raw 'resident:' / 'account:' key or a 'system:' stamp — only their Japanese names.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { ACTION_LABELS } from '../../src/kernel/audit/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { correctRecord, createRecord } from '../../src/municipality/records/index.js';
import { defaultCatalog } from '../../src/municipality/schedule/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { addStep, correctEntry, createEntry } from '../../src/kernel/registers/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, visibleText, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';

const catalog = defaultCatalog();
const CODES = [...new Set([...catalog.programCodes, ...catalog.products.map((p) => p.code)])];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A code as a token of its own (case-sensitive: 'Hib感染症' is a name, 'hib' is the code). */
const CODE_RE = new RegExp(`(?<![A-Za-z0-9_-])(${CODES.map(escape).join('|')})(?![A-Za-z0-9_-])`, 'g');
const ACTIONS = Object.keys(ACTION_LABELS).filter((a) => a.includes('_'));
const ACTION_RE = new RegExp(`(?<![A-Za-z0-9_])(${ACTIONS.map(escape).join('|')})(?![A-Za-z0-9_])`, 'g');
const REQ_RE = /\b(KRN|RES|VAX|XCH|PMH|QUA)-\d+/g;
const KEY_RE = /\b(resident|account):[0-9a-f-]+/g;
/** The system's own stamp on a row ('system:cli:alice'); staff see 「システム（コマンド操作：alice）」. */
const STAMP_RE = /\bsystem:[a-z:_-]+/g;

function engineerTalk(text: string): string[] {
  return [...text.matchAll(CODE_RE), ...text.matchAll(ACTION_RE), ...text.matchAll(REQ_RE), ...text.matchAll(KEY_RE), ...text.matchAll(STAMP_RE)].map((m) => {
    const at = m.index ?? 0;
    return `${m[0]} … ${text.slice(Math.max(0, at - 30), at + 30).replace(/\s+/g, ' ')}`;
  });
}

describe('staff screens name things in Japanese', () => {
  let app: TestApp;
  let web: TestWeb;
  let child: string;
  let elder: string;
  let recordId: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'kanri', role: 'admin' });
    const nurse = await staff(app, TOTTORI, { login: 'hokenshi', role: 'nurse', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'], mynumberView: true });
    await staff(app, TOTTORI, { login: 'kansa', role: 'auditor' });
    const dir = mkdtempSync(join(tmpdir(), 'mamori-lang-'));
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'r.csv'), 'full', [
        person(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2' }),
        person(2, { 氏名: '因幡　太郎', 氏名カナ: 'イナバ　タロウ', 生年月日: '19550401', 性別: '1' }),
        person(3, { 生年月日: '20259999' }),
      ]),
    });
    const rows = await app.db.system.selectFrom('municipality.persons').select(['atena_no', 'birth_date']).execute();
    child = rows.find((r) => String(r.birth_date).startsWith('2025'))!.atena_no;
    elder = rows.find((r) => !String(r.birth_date).startsWith('2025'))!.atena_no;
    const rec = await runAs(app.db, nurse.principal, (w) => createRecord(w, child, { product: 'hib', vaccinatedOn: '2025-11-10', lot: 'AB1234' }, { source: 'staff' }));
    recordId = rec.id;
    await runAs(app.db, nurse.principal, (w) => correctRecord(w, rec.id, { lot: 'AB1235' }, { reasonKind: '本人申出', reason: 'ロット番号の読み違い' }));
    // An extraction run (its pages list programs and members).
    await startExtraction(app.db, nurse.principal, { programs: ['hib', 'pcv', 'mr-1'], asOf: '2026-11-21' });
    // The safeguard registers (decision 0126): a request with an extension, an incident with steps, a flagged inquiry.
    const anzen = await staff(app, TOTTORI, { login: 'anzen', duties: ['safeguards'] });
    await runAs(app.db, anzen.principal, async (w) => {
      await createEntry(w, 'disclosure', { kind: '開示', requester: '法定代理人', requesterName: '鳥取　一郎', principalName: '鳥取　花子', idDocuments: '運転免許証、戸籍謄本', designatedForm: 'はい', receivedOn: '2026-11-20', content: '接種記録' });
      await addStep(w, 'disclosure', 1, 'extend', { on: '2026-11-21', reason: '文書が多い', newDeadline: '2026-12-20' });
      await createEntry(w, 'incident', { title: '誤送付', discoveredOn: '2026-11-21', kind: '漏えい', cause: '誤送付・誤交付', unlawful: 'いいえ', summary: '通知書の誤送付', reporter: '係長' });
      await addStep(w, 'incident', 1, 'ppcPreliminary', { on: '2026-11-21', content: '速報を提出', actor: '係長' });
      await createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '他人の通知書', leak: 'はい', incident: '1', takenBy: '受付' });
      await correctEntry(w, 'inquiry', 1, { channel: '窓口', receivedOn: '2026-11-21', summary: '他人の通知書', leak: 'はい', incident: '1', takenBy: '受付' }, '受付の方法の誤り');
    });
    web = await startWeb(app);
    // A failed login and a My Number reveal put some less common actions into the log.
    const c = new PageClient(web.url);
    const login = await c.get('/login');
    await c.post('/login', { _csrf: PageClient.csrf(login.text), tenant: TOTTORI, loginId: 'hokenshi', password: 'wrong-password-1', next: '/' });
  });
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  /** Same-origin pages linked from `text` that are HTML screens (no downloads, no logout). */
  function links(text: string): string[] {
    return [...text.matchAll(/href="(\/[^"#]*)"/g)]
      .map((m) => m[1]!.replace(/&amp;/g, '&'))
      .filter((h) => !/\.(csv|pdf|json|js|css|png|svg|ico|smart-health-card)(\?|$)|\/qr\/|^\/assets\/|^\/logout|^\/api\//.test(h));
  }

  async function crawl(login: string, start: string[]): Promise<Map<string, string[]>> {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, login, GOOD_PASSWORD);
    const seen = new Set<string>();
    const queue = [...start];
    const found = new Map<string, string[]>();
    while (queue.length && seen.size < 60) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const r = await c.get(path);
      if (r.status !== 200 || !(r.res.headers.get('content-type') ?? '').includes('text/html')) continue;
      const bad = engineerTalk(visibleText(r.text));
      if (bad.length) found.set(path, bad);
      for (const l of links(r.text)) if (!seen.has(l) && !l.includes('before=')) queue.push(l);
    }
    expect(seen.size).toBeGreaterThan(3);
    return found;
  }

  it('the detector itself finds codes, actions, requirement IDs and keys', () => {
    expect(engineerTalk('ワクチン hib 1回目')).toHaveLength(1);
    expect(engineerTalk('Hib感染症 1回目')).toHaveLength(0);
    expect(engineerTalk('操作 login_failed')).toHaveLength(1);
    expect(engineerTalk('（VAX-20）')).toHaveLength(1);
    expect(engineerTalk('本人 resident:0000000123')).toHaveLength(1);
    expect(visibleText('<option value="hib">Hib</option>')).not.toContain('hib');
  });

  it.each([
    ['hokenshi', () => ['/', `/residents/${child}/vaccinations`, `/vaccinations/${recordId}`, `/residents/${elder}/vaccinations`, '/vaccinations/imports', '/vaccinations/queue', '/extractions', '/notices', '/certificates', '/statistics']],
    ['atena', () => ['/', `/residents/${child}`, `/residents?kana=${encodeURIComponent('トットリ')}`, '/residents/imports', '/residents/queue']],
    ['kanri', () => ['/', '/admin/accounts', '/audit', '/registers/incident/1']],
    ['anzen', () => ['/registers', '/registers/disclosure/1', '/registers/incident/1', '/registers/inquiry/1', '/registers/media/new', '/registers/outsourcing/new', '/']],
    ['kansa', () => ['/', '/audit', `/audit?action=login_failed`, `/audit?subject=resident:${child}`, '/registers']],
  ] as const)('%s sees no internal codes', async (login, start) => {
    const found = await crawl(login, start());
    expect(Object.fromEntries(found)).toEqual({});
  });

  it('the auditor finds a person by a plain 宛名番号 and the 本人 link leads to that person\'s access history', async () => {
    const clerk = new PageClient(web.url);
    await clerk.login(TOTTORI, 'atena', GOOD_PASSWORD);
    expect((await clerk.get(`/residents/${child}`)).status).toBe(200);

    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'kansa', GOOD_PASSWORD);
    for (const typed of [child, `resident:${child}`, child.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)))]) {
      const r = await c.get(`/audit?subject=${encodeURIComponent(typed)}`);
      expect(r.status).toBe(200);
      expect(visibleText(r.text)).toContain(`宛名番号 ${child}`);
      expect(r.text).not.toMatch(/>0件/);
    }
    const list = await c.get(`/audit?subject=${child}`);
    expect(list.text).toContain(`href="/audit/people/${child}"`);
    expect(list.text).not.toContain(`href="/residents/${child}"`);
    const who = await c.get(`/audit/people/${child}`);
    expect(who.status).toBe(200);
    const text = visibleText(who.text);
    expect(text).toContain('この方の記録を誰がいつ見たか');
    expect(text).toContain('atena');
    expect(text).toContain('参照');
    // A staff account by its login ID.
    const acc = await c.get('/audit?subject=hokenshi');
    expect(visibleText(acc.text)).toContain('職員 テスト hokenshi（hokenshi）');
    // Others have no audit duty: the access history is refused.
    const nurse = new PageClient(web.url);
    await nurse.login(TOTTORI, 'hokenshi', GOOD_PASSWORD);
    expect((await nurse.get(`/audit/people/${child}`)).status).toBe(403);
  });

  it('the dose page names whose record it is and what each correction changed', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'hokenshi', GOOD_PASSWORD);
    const r = await c.get(`/vaccinations/${recordId}`);
    expect(r.status).toBe(200);
    const text = visibleText(r.text);
    const top = visibleText(/<div class="card whose">[\s\S]*?<\/div>/.exec(r.text)![0]);
    expect(top).toContain('鳥取　花子');
    expect(top).toContain(child);
    expect(top).toContain('2025-09-10');
    expect(text).toContain('ロット番号：AB1234 → AB1235');
    expect(text).toContain('ロット番号の読み違い');
    expect(text).toContain('Hib感染症');
  });

  it('a child\'s schedule leaves out programs that open decades later', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'hokenshi', GOOD_PASSWORD);
    const text = visibleText((await c.get(`/residents/${child}/vaccinations`)).text);
    const schedule = text.slice(text.indexOf('予防接種の状況'), text.indexOf('接種記録 '));
    expect(schedule).toContain('Hib感染症');
    expect(schedule).toContain('麻しん・風しん 第1期');
    for (const later of ['帯状疱疹', '高齢者がかかるもの', 'ヒトパピローマ', '麻しん・風しん 第2期', '日本脳炎 第2期']) expect(schedule).not.toContain(later);
    expect(schedule).toContain('2年より先に対象となる予防接種');
  });
});
