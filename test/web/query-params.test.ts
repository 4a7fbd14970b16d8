// Malformed query parameters (issue 10 point 6, decision 0133): on every GET route of the staff pages, the
// JSON API and the public pages, each query parameter the route reads (and two it does not) is sent with
// malformed values — non-numbers, out-of-range numbers, impossible dates, unknown choices, bad
// percent-encoding, NUL, 10 kB strings.  Never a 5xx; where the value is malformed for that field, a 400
// that names the field (its Japanese label or its name on the error page; `errors[].field` on the API).
//
// The routes come from Fastify itself: a GET route missing from ROUTES below fails the test, so a new
// route has to say which query parameters it reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, visibleText, type TestWeb } from '../harness/web.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { allDuties } from '../../src/kernel/access/index.js';
import { buildTown } from '../municipality/extraction/fixtures.js';

/** How a parameter is read: which values are malformed for it. */
type Kind = 'page' | 'date' | 'datetime' | 'int' | 'enum' | 'text' | 'multi' | 'bool';

interface Param {
  readonly kind: Kind;
  /** The Japanese label the page shows (the error names the field by it or by its name). */
  readonly label: string;
}

const P = (kind: Kind, label: string): Param => ({ kind, label });
const PAGE = P('page', 'ページ');

/**
 * Every GET route → the query parameters it reads.  `{}` = it reads none (still probed with unknown ones).
 * Paths with parameters are filled in by `concrete` with existing ids.
 */
const ROUTES: Record<string, Record<string, Param>> = {
  '/': {},
  '/login': { next: P('text', '移動先') },
  '/apply': {},
  '/password': {},
  '/mfa': {},
  '/account': {},
  '/admin/accounts': { status: P('enum', '状態'), kind: P('enum', '種別'), q: P('text', 'ログインID・氏名・所属') },
  '/admin/accounts/new': {},
  '/admin/accounts/:id': {},
  '/admin/accounts.csv': {},
  '/admin/access-rights': {},
  '/admin/review': {},
  '/admin/settings': {},
  '/admin/retention': {},
  '/admin/handlers': {},
  '/admin/handlers.csv': {},
  '/audit': { actor: P('text', '操作者'), action: P('text', '操作'), targetType: P('text', '対象の種類'), subject: P('text', '本人'), outcome: P('enum', '結果'), from: P('date', '期間（開始日）'), to: P('date', '期間（終了日）'), page: PAGE },
  '/audit/people/:atenaNo': {},
  '/audit.csv': { actor: P('text', '操作者'), action: P('text', '操作'), targetType: P('text', '対象の種類'), subject: P('text', '本人'), outcome: P('enum', '結果'), from: P('date', '期間（開始日）'), to: P('date', '期間（終了日）') },
  '/residents': { atenaNo: P('text', '宛名番号'), kana: P('text', '氏名カナ'), birthDate: P('date', '生年月日'), former: P('enum', '転出・死亡・消除した人も含める'), page: PAGE },
  '/residents/items': {},
  '/residents/:atenaNo': {},
  '/residents/register': {},
  '/residents/queue': { page: PAGE },
  '/residents/imports': { page: PAGE },
  '/residents/imports/jobs/:id': {},
  '/residents/imports/:runId/rejects.csv': {},
  '/residents/:atenaNo/vaccinations': {},
  '/residents/:atenaNo/contacts': {},
  '/eligibility/imports': { page: PAGE },
  '/eligibility/imports/jobs/:id': {},
  '/eligibility/imports/:runId/rejects.csv': {},
  '/residents/:atenaNo/certificates': {},
  '/residents/:atenaNo/notices': {},
  '/residents/:atenaNo/exchange': {},
  '/residents/:atenaNo/data-use': {},
  '/exchange/inquiries/:id': {},
  '/exchange/covid-inquiries/:id': {},
  '/exchange': {},
  '/exchange/copies': { page: PAGE },
  '/exchange/copies.csv': {},
  '/exchange/batches': {},
  '/exchange/pending': {},
  '/exchange/settings': {},
  '/exchange/records': { kind: P('enum', '種別'), page: PAGE },
  '/exchange/records.csv': { kind: P('enum', '種別') },
  '/platform': { page: PAGE },
  '/platform/batches/:id': { status: P('enum', '結果'), page: PAGE },
  '/platform/failed': { page: PAGE },
  '/platform/records': { page: PAGE },
  '/platform/persons/:atenaNo': {},
  '/eapply': { status: P('enum', '状態'), kind: P('enum', '申請の種類'), page: PAGE },
  '/eapply/:id': {},
  '/billing': { month: P('enum', '請求年月'), page: PAGE },
  '/billing/prices': {},
  '/billing/payees': { page: PAGE },
  '/billing/requester': {},
  '/relief': { status: P('enum', '状態'), atenaNo: P('text', '宛名番号'), page: PAGE },
  '/relief/new': { atenaNo: P('text', '宛名番号') },
  '/relief/:id': {},
  '/relief/payments': { page: PAGE },
  '/relief/payments/:id': {},
  '/relief/payments/:id/file': {},
  '/payments': { page: PAGE },
  '/payments/:id': {},
  '/payments/:id/file': {},
  '/reimbursements': { status: P('enum', '状態'), page: PAGE },
  '/reimbursements/new': {},
  '/reimbursements/:id': {},
  '/subsidies': {},
  '/copay-rules': { program: P('text', '予防接種'), fiscalYear: P('int', '年度') },
  '/person-accounts': { atenaNo: P('text', '宛名番号') },
  '/vaccinations/:id': {},
  '/vaccinations/queue': { page: PAGE },
  '/vaccinations/imports': { page: PAGE },
  '/vaccinations/imports/jobs/:id': {},
  '/vaccinations/imports/:runId/rejects.csv': {},
  '/vaccinations/schedule-config': {},
  '/statistics': { fiscalYear: P('int', '年度'), asOf: P('date', '基準日'), programs: P('multi', '予防接種の種類'), districts: P('text', '地区コード'), threshold: P('int', '秘匿の基準') },
  '/statistics.csv': { fiscalYear: P('int', '年度'), asOf: P('date', '基準日'), programs: P('multi', '予防接種の種類'), districts: P('text', '地区コード'), threshold: P('int', '秘匿の基準') },
  '/extractions': {},
  '/extractions/:id': { diff: P('enum', '前回との差'), page: PAGE, program: P('enum', '予防接種で絞り込む') },
  '/notices': { runId: P('text', '抽出') },
  '/notices/jobs/:id': {},
  '/notices/batches/:id': { after: P('int', '表示の開始位置') },
  '/notices/batches/:id/pdf': { part: P('enum', '出力の範囲') },
  '/notices/items/:id/pdf': {},
  '/notices/reissue': { number: P('text', '接種券番号'), atenaNo: P('text', '宛名番号') },
  '/notices/items/:id/reissue': {},
  '/notices/returns': {},
  '/notices/follow-ups': {},
  '/notices/templates': {},
  '/notices/templates/:docType': {},
  '/notices/templates/:docType/:version/preview': {},
  '/notices/handovers': {},
  '/notices/handovers/:id': {},
  '/certificates': { from: P('date', '交付日（から）'), to: P('date', '交付日（まで）'), kind: P('enum', '種類'), channel: P('enum', '受付方法'), status: P('enum', '状態'), number: P('text', '証明書番号') },
  '/certificates/register.csv': { from: P('date', '交付日（から）'), to: P('date', '交付日（まで）'), kind: P('enum', '種類'), channel: P('enum', '受付方法'), status: P('enum', '状態'), number: P('text', '証明書番号') },
  '/certificates/applications': { page: PAGE },
  '/certificates/applications/:id': {},
  '/certificates/:id': {},
  '/certificates/:id/certificate.pdf': {},
  '/certificates/:id/card.smart-health-card': {},
  '/certificates/:id/qr/:n': {},
  '/registers': {},
  '/registers/:name': { status: P('enum', '状態'), flagged: P('enum', '漏えい等の可能性'), from: P('date', '（から）'), until: P('date', '（まで）'), page: PAGE },
  '/registers/:name/export.csv': {},
  '/registers/:name/new': {},
  '/registers/:name/:number/edit': {},
  '/registers/:name/:number': {},
  '/verify': {},
  '/issuers/:tenant/.well-known/jwks.json': {},
  // JSON API
  '/api/v1/me': {},
  '/api/v1/accounts': { status: P('enum', 'status'), kind: P('enum', 'kind'), q: P('text', 'q') },
  '/api/v1/accounts/:id': {},
  '/api/v1/accounts/:id/events': {},
  '/api/v1/access-table': {},
  '/api/v1/account-review': { inactiveDays: P('int', 'inactiveDays') },
  '/api/v1/audit-log': { actor: P('text', 'actor'), action: P('text', 'action'), targetType: P('text', 'targetType'), targetId: P('text', 'targetId'), subject: P('text', 'subject'), outcome: P('enum', 'outcome'), from: P('datetime', 'from'), to: P('datetime', 'to'), limit: P('int', 'limit'), beforeId: P('int', 'beforeId') },
  '/api/v1/audit-log.csv': { actor: P('text', 'actor'), action: P('text', 'action'), targetType: P('text', 'targetType'), targetId: P('text', 'targetId'), subject: P('text', 'subject'), outcome: P('enum', 'outcome'), from: P('datetime', 'from'), to: P('datetime', 'to'), limit: P('int', 'limit'), beforeId: P('int', 'beforeId') },
  '/api/v1/audit-log/subjects/:ref': {},
  '/api/v1/residents': { atenaNo: P('text', 'atenaNo'), kana: P('text', 'kana'), birthDate: P('date', 'birthDate'), former: P('bool', 'former') },
  '/api/v1/residents/:atenaNo': {},
  '/api/v1/residents/:atenaNo/data-use': {},
  '/api/v1/exchange/inquiries/:id': {},
  '/api/v1/residents/:atenaNo/vaccinations': { asOf: P('date', 'asOf') },
  '/api/v1/residents/:atenaNo/fhir': { asOf: P('date', 'asOf') },
  '/api/v1/vaccinations/:id': {},
  '/api/v1/vaccinations/:id/versions': {},
  '/api/v1/openapi.json': {},
};

type Who = 'nurse' | 'admin' | 'auditor' | 'anonymous';
/** Who may open the route: no one logged in, account administration, the operation log, or the 保健師. */
function whoFor(route: string): Who {
  if (/^\/(login|apply|verify)$|^\/issuers\//.test(route)) return 'anonymous';
  if (/^\/admin\/(accounts|access-rights|review|settings|handlers)|^\/api\/v1\/(accounts|access-table|account-review)/.test(route)) return 'admin';
  if (/^\/audit|^\/api\/v1\/audit-log/.test(route)) return 'auditor';
  return 'nurse';
}

/** Parameters a route needs to read the others (the statistics compute only for a 年度). */
const BASE: Record<string, string> = { '/statistics': 'fiscalYear=2025', '/statistics.csv': 'fiscalYear=2025' };

/** Not probed: static files and the health check (no query parameters, no session). */
const SKIP = (p: string) => p.startsWith('/assets') || p === '/healthz';

const LONG = 'a'.repeat(10_000);
/** Malformed whatever the field: bad percent-encoding, lone surrogate, NUL, control characters, 10 kB. */
const ANY_FIELD = ['%E3%81', '%ZZ', '%ED%A0%80', 'a%00b', '%01', LONG];
const MALFORMED: Record<Kind, string[]> = {
  page: ['abc', '-1', '0', '1.5', '1e99', 'Infinity', '%20', '%EF%BC%91x'],
  int: ['abc', '-1', '1e99', '1.5', '99999999999999999999'],
  date: ['2026-02-30', '2026-13-01', 'yesterday', '2026-1-1'],
  datetime: ['2026-02-30T00:00:00Z', 'yesterday'],
  enum: ['bogus'],
  bool: ['maybe'],
  text: [],
  multi: [],
};
/** Well-formed (or acceptable) values that must not be refused. */
const ACCEPTABLE: Partial<Record<Kind, string[]>> = {
  // Past the last page: clamped to the last page (decision 0133).
  page: ['99999999999', '2'],
};

interface Result {
  status: number;
  text: string;
  json: { errors?: { field: string }[]; detail?: string } | undefined;
}

describe('malformed query parameters: 400 naming the field, never 500', () => {
  let app: TestApp;
  let web: TestWeb;
  /** Per client: the page client and the API cookie.  Each route is probed by someone allowed to open it. */
  const clients: Record<Who, { page: PageClient; cookie: string }> = {} as Record<Who, { page: PageClient; cookie: string }>;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-qparams-'));
  let concrete: (route: string) => string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    // 保健師 with every business duty; the privileged duties go to an administrator and an auditor.
    const nurse = await staff(app, TOTTORI, { login: 'qp-nurse', role: 'nurse', duties: allDuties().filter((d) => !d.privileged).map((d) => d.code) });
    const admin = await staff(app, TOTTORI, { login: 'qp-admin', role: 'admin', duties: ['account-admin'] });
    await staff(app, TOTTORI, { login: 'qp-auditor', role: 'auditor', duties: ['audit-review'] });
    const town = await buildTown(app, operatorOf(TOTTORI), dir);
    const run = (await startExtraction(app.db, nurse.principal, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
    web = await startWeb(app);
    for (const who of ['nurse', 'admin', 'auditor'] as const) {
      const page = new PageClient(web.url);
      await page.login(TOTTORI, `qp-${who}`, GOOD_PASSWORD);
      const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TOTTORI, loginId: `qp-${who}`, password: GOOD_PASSWORD }) });
      clients[who] = { page, cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
    }
    clients.anonymous = { page: new PageClient(web.url), cookie: '' };
    const client = clients.nurse.page;
    // A notice batch from the run (the sender block first).
    const tpl = await client.get('/notices/templates');
    await client.post('/notices/settings', { _csrf: PageClient.csrf(tpl.text), head: '鳥取市長', department: '健康・子育て推進課', postalCode: '680-8571', phone: '0857-00-0000' });
    const runPage = await client.get(`/extractions/${run}`);
    const made = await client.post('/notices/batches', { _csrf: PageClient.csrf(runPage.text), runId: run, docType: 'questionnaire', program: '', issueDate: '2026-11-21' });
    expect(made.status).toBe(302);
    const batch = /\/notices\/batches\/([^/?#]+)/.exec(made.location!)![1]!;
    const ids: Record<string, string> = {
      '/extractions/:id': run,
      '/notices/batches/:id': batch,
      '/notices/batches/:id/pdf': batch,
      '/admin/accounts/:id': admin.account.id,
      '/api/v1/accounts/:id': admin.account.id,
      '/api/v1/accounts/:id/events': admin.account.id,
    };
    concrete = (route) =>
      route
        .replace(/:atenaNo\b/, town.A)
        .replace(/:name\b/, 'inquiry')
        .replace(/:id\b/, ids[route] ?? '00000000-0000-4000-8000-000000000000')
        .replace(/:runId\b/, '00000000-0000-4000-8000-000000000000')
        .replace(/:tenant\b/, TOTTORI)
        .replace(/:docType\b/, 'questionnaire')
        .replace(/:version\b/, '1')
        .replace(/:number\b/, '1')
        .replace(/:ref\b/, `resident:${town.A}`)
        .replace(/:n\b/, '1');
  }, 120_000);
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (route: string, path: string): Promise<Result> => {
    const c = clients[whoFor(route)];
    if (path.startsWith('/api/')) {
      const res = await fetch(web.url + path, { headers: { cookie: c.cookie }, redirect: 'manual' });
      const text = await res.text();
      let json: Result['json'];
      try {
        json = JSON.parse(text) as Result['json'];
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    }
    const r = await c.page.get(path);
    return { status: r.status, text: r.text, json: undefined };
  };

  /** The response names the field: its name in the problem's fields or detail, or its label on the page. */
  const names = (r: Result, name: string, p: Param | undefined): boolean => {
    if (r.json) return (r.json.errors ?? []).some((e) => e.field === name || e.field.endsWith(`.${name}`)) || (r.json.detail ?? '').includes(name);
    const text = visibleText(r.text);
    return text.includes(`「${name}」`) || text.includes(`${name}:`) || (p !== undefined && text.includes(p.label));
  };

  it('every GET route is in the table', async () => {
    const routes = getRoutes(web.server.printRoutes({ commonPrefix: false })).filter((p) => !SKIP(p));
    expect(routes.filter((r) => !(r in ROUTES))).toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('each parameter of each route, malformed: 400 naming it; never 5xx', async () => {
    const failures: string[] = [];
    let probes = 0;
    const probe = async (route: string, name: string, value: string, p: Param | undefined, expectRefusal: boolean | 'ok') => {
      probes++;
      const base = name === 'fiscalYear' ? undefined : BASE[route];
      const path = `${concrete(route)}?${base ? `${base}&` : ''}${name}=${value}`;
      const r = await get(route, path);
      const shown = `${route}?${name}=${value.length > 40 ? `${value.slice(0, 20)}…(${value.length})` : value}`;
      if (r.status >= 500) failures.push(`${shown} → ${r.status} (5xx)`);
      else if (expectRefusal === true && r.status !== 400) failures.push(`${shown} → ${r.status} (not 400)`);
      else if (expectRefusal === true && !names(r, name, p)) failures.push(`${shown} → 400 without naming the field`);
      else if (expectRefusal === 'ok' && r.status >= 400 && r.status !== 404) failures.push(`${shown} → ${r.status} (acceptable value refused)`);
    };
    for (const [route, params] of Object.entries(ROUTES)) {
      for (const [name, p] of Object.entries(params)) {
        for (const v of [...ANY_FIELD, ...MALFORMED[p.kind]]) await probe(route, name, v, p, true);
        for (const v of ACCEPTABLE[p.kind] ?? []) await probe(route, name, v, p, 'ok');
      }
      // Parameters the route does not read: ignored, but never a 5xx, and broken encoding is still a 400.
      for (const name of ['zz', 'page_size']) {
        for (const v of ANY_FIELD) await probe(route, name, v, undefined, true);
        await probe(route, name, 'x', undefined, false);
      }
    }
    console.log(`query-params: ${Object.keys(ROUTES).length} routes, ${Object.values(ROUTES).reduce((n, p) => n + Object.keys(p).length, 0)} parameters, ${probes} requests, ${failures.length} failures`);
    expect(failures).toEqual([]);
  }, 600_000);

  it('the error page names the field in Japanese and shows no internal code', async () => {
    const r = await clients.nurse.page.get('/residents/queue?page=abc');
    expect(r.status).toBe(400);
    const text = visibleText(r.text);
    expect(text).toContain('「ページ」の指定が正しくありません（1 以上の整数）');
    expect(text).not.toMatch(/INVALID_QUERY|INVALID_ENCODING/);
    const enc = await clients.admin.page.get('/admin/accounts?q=%E3%81');
    expect(enc.status).toBe(400);
    expect(visibleText(enc.text)).toContain('「検索語」の文字が正しく符号化されていません');
  });

  it('a logged-out visit to a long address goes to the login page, not to a 400 for a too-long 移動先', async () => {
    const long = `/statistics?fiscalYear=2025&districts=${'1,'.repeat(400)}&threshold=${'5'.padStart(300, '0')}`;
    const r = await clients.anonymous.page.get(long);
    expect(r.status).toBe(302);
    expect(r.location).toBe('/login?next=%2Fstatistics');
    expect((await clients.anonymous.page.get(r.location!)).status).toBe(200);
    const short = await clients.anonymous.page.get('/statistics?fiscalYear=2025');
    expect(short.location).toBe('/login?next=%2Fstatistics%3FfiscalYear%3D2025');
  });
});

/** Full paths of the GET routes in Fastify's printRoutes tree. */
function getRoutes(tree: string): string[] {
  const stack: string[] = [];
  const paths: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[├└]── (\S+) \(([^)]*)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const seg = m[2]!;
    const full = depth === 0 ? seg : stack[depth - 1] === '/' ? `/${seg}` : `${stack[depth - 1]}${seg}`;
    stack[depth] = full;
    stack.length = depth + 1;
    if (m[3]!.includes('GET')) paths.push(full);
  }
  return paths;
}
