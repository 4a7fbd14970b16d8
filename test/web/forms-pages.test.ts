// The UI kit's shared form behaviour (decision 0107) and the web font (decision 0105): a refused save shows
// every problem at the top of the page, each named by its field's label and linking to the field, with the
// message also beside the field; and /assets/fonts serves the Japanese font the stylesheet names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { pageRequest, pager, within } from '../../src/web/ui/index.js';

describe('forms and assets', () => {
  let app: TestApp;
  let web: TestWeb;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'atena-clerk', duties: ['addressee'] });
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
  });

  it('a POST with several missing fields lists every one by its label, linking to the field, at the top of the page', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'atena-clerk', 'Mamori-Test-2026!');
    const form = await c.get('/residents/register');
    const r = await c.post('/residents/register', { _csrf: PageClient.csrf(form.text), category: 'non-registered', sex: 'female', nameKanji: '', nameKana: '', birthDate: '', address: '', note: '' });
    expect(r.status).toBe(400);
    const box = /<div class="error-summary" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(r.text)?.[1] ?? '';
    expect(box).toContain('入力内容を確認してください');
    for (const [id, label] of [['nameKanji', '氏名'], ['nameKana', '氏名カナ'], ['birthDate', '生年月日'], ['address', '住所'], ['note', '登録の根拠・申出者']] as const) {
      expect(box).toContain(`<a href="#f-${id}">${label}: 入力してください</a>`);
      // The message beside the field, tied to it.
      expect(r.text).toMatch(new RegExp(`<p class="error-text" id="f-${id}-error">`));
      expect(r.text).toMatch(new RegExp(`id="f-${id}" data-label="[^"]*" aria-describedby="f-${id}-error" aria-invalid="true"`));
    }
    // No internal field names on the screen, and the box sits right under the heading, once.
    expect(box).not.toMatch(/nameKanji:|birthDate:/);
    expect(r.text.match(/class="error-summary"/g)).toHaveLength(1);
    expect(r.text.indexOf('class="error-summary"')).toBeLessThan(r.text.indexOf('<form method="post" action="/residents/register"'));
    expect(r.text).toMatch(/<h1>住登外者の登録<\/h1>\s*<div class="error-summary"/);
    // What was typed is kept.
    expect(r.text).toContain('value="female" selected');
  });

  it('serves BIZ UDPゴシック under /assets/fonts with a long cache, and the stylesheet uses it first', async () => {
    const c = new PageClient(web.url);
    const css = await c.get('/assets/mamori.css');
    const url = /@font-face \{[^}]*src: url\('(\/assets\/fonts\/[^']+\.ttf)'\)/.exec(css.text)?.[1];
    expect(url).toBeDefined();
    expect(css.text).toMatch(/body \{[^}]*font-family: 'BIZ UDPGothic', var\(--font-family-sans\)/);
    const res = await fetch(web.url + url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('font/ttf');
    expect(res.headers.get('cache-control')).toContain('max-age=31536000');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect([...bytes.slice(0, 4)]).toEqual([0, 1, 0, 0]); // a TrueType outline font
    expect((await fetch(`${web.url}/assets/fonts/../server.ts`)).status).toBe(404);
    expect((await fetch(`${web.url}/assets/fonts/nope.ttf`)).status).toBe(404);
  });

  it('the pager says when a list is capped and never offers a page past the cap', () => {
    const at = pageRequest({ page: '40' }, 50, 1000);
    expect(at).toEqual({ page: 20, pageSize: 50, offset: 950 });
    const out = pager({ total: 1001, request: within(at, 1001, 1000), shown: 50, path: '/residents', filters: { kana: 'さとう', birthDate: '' }, cap: 1000 }).value;
    expect(out).toContain('上位 1,000 件のみ表示しています。条件を絞り込んでください。');
    expect(out).toContain('951–1,000 件を表示');
    expect(out).not.toContain('page=21');
    expect(out).toContain('href="/residents?kana=%E3%81%95%E3%81%A8%E3%81%86&amp;page=19" rel="prev"');
    expect(out).toContain('aria-label="1ページ"');
    expect(out).toContain('<li class="pager__gap" aria-hidden="true">…</li>');
    // Decision 0133: a page that is not a whole number ≥ 1 is a 400 naming 「ページ」; past the end is clamped.
    expect(() => pageRequest({ page: 'x' }, 50)).toThrow(/「ページ」の指定が正しくありません/);
    expect(pageRequest({}, 50)).toEqual({ page: 1, pageSize: 50, offset: 0 });
    expect(pageRequest({ page: '99999999999' }, 50, 1000).page).toBe(20);
  });
});
