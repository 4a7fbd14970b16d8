// KRN-07, decision 0124: no My Number in any log.  A planted synthetic My Number, written every way a
// person or a browser may write it (myNumberForms: grouped by spaces, hyphens or '+', full-width,
// percent-encoded), is fed through every input that reaches a log — query strings, JSON bodies, form
// bodies, headers, path segments, database errors caused by the input, CLI arguments — and no form of it
// may appear in any captured log line.  The leak scan (test/final/leakscan.test.ts) checks the same run's
// logs again afterwards, for this number and every other.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { createHttpServer, type FastifyInstance } from '../../src/kernel/http/index.js';
import { logger } from '../../src/kernel/log/index.js';
import { addTenant, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers, myNumberForms, LEAK_FEED_SEED, LEAK_FEED_MARK } from '../harness/leaks.js';
import { LOG_DIR } from '../harness/paths.js';

const N = syntheticMyNumber(LEAK_FEED_SEED, 0);
const FORMS = myNumberForms(N);

/** How a form goes into a URL: percent-encoded as a value, and as written when it already is URL text. */
function inUrl(f: string): string[] {
  return /^[%0-9A-Za-z+-]+$/.test(f) ? [encodeURIComponent(f), f] : [encodeURIComponent(f)];
}
const latin1 = (f: string) => /^[\x20-\x7e]+$/.test(f);

function allLogs(): string {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
  return files(LOG_DIR).map((f) => readFileSync(f, 'utf8')).join('\n');
}

describe('no form of a planted My Number reaches a log (KRN-07)', () => {
  let app: TestApp;
  let web: TestWeb;
  let raw: FastifyInstance;
  let rawUrl: string;
  let cookie: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'feed-admin', role: 'admin' });
    web = await startWeb(app);
    const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TOTTORI, loginId: 'feed-admin', password: GOOD_PASSWORD }) });
    cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    // A route that hands its input to the database unvalidated, as a bug would: the 500 it causes is
    // logged by the kernel's error handler with the database error.
    raw = await createHttpServer({ db: app.db, secureCookies: false });
    raw.get('/api/raw-date', async (req) => {
      const v = (req.query as { d?: string }).d ?? '';
      return sql`SELECT ${v}::date AS d`.execute(app.db.app);
    });
    await raw.listen({ host: '127.0.0.1', port: 0 });
    const addr = raw.server.address();
    rawUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await raw?.close();
    await web?.close();
    await app?.cleanup();
  });

  it('feeds every form through every input, and none appears in the logs', async () => {
    logger().info({ feed: LEAK_FEED_MARK }, 'leak feed: start');
    const page = new PageClient(web.url);
    await page.login(TOTTORI, 'feed-admin', GOOD_PASSWORD);
    for (const f of FORMS) {
      for (const u of inUrl(f)) {
        // query strings: a list page, the API, a repeated parameter, an unknown route; a path segment
        await page.get(`/admin/accounts?q=${u}`);
        await page.get(`/admin/accounts?q=a&q=${u}`);
        await fetch(`${web.url}/api/v1/accounts?q=${u}`, { headers: { cookie } });
        await fetch(`${web.url}/no-such-page?x=${u}`);
        await fetch(`${web.url}/api/v1/residents/${u}?asOf=${u}`, { headers: { cookie } });
        await fetch(`${web.url}/api/v1/audit-log?subject=${u}&from=${u}`, { headers: { cookie } });
        // a database error caused by the input (the value is quoted in PostgreSQL's message)
        expect((await fetch(`${rawUrl}/api/raw-date?d=${u}`)).status).toBe(500);
      }
      // JSON bodies: login, a self-application, malformed JSON
      const json = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${web.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      await json('/api/v1/session', JSON.stringify({ tenant: TOTTORI, loginId: f, password: f }));
      await json('/api/v1/session', JSON.stringify({ tenant: f, loginId: 'x', password: 'y' }));
      await json('/api/v1/account-applications', JSON.stringify({ tenant: TOTTORI, loginId: `feed-${FORMS.indexOf(f)}`, fullName: f, requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: f, email: f }));
      await json('/api/v1/session', `{"tenant":"${f}","loginId":`);
      // form bodies: the login form with and without its CSRF token
      const anon = new PageClient(web.url);
      const form = await anon.get('/login');
      await anon.post('/login', { _csrf: PageClient.csrf(form.text), tenant: TOTTORI, loginId: f, password: f, next: `/residents?q=${f}` });
      await anon.post('/login', { tenant: f, loginId: f, password: f });
      // headers
      if (latin1(f)) {
        await fetch(`${web.url}/login`, { headers: { 'x-request-id': f, 'x-terminal-id': f, 'user-agent': f, referer: `${web.url}/?q=${f}`, authorization: `Bearer ${f}`, cookie: `mamori_session=${f}` } });
        await fetch(`${web.url}/api/v1/me`, { headers: { authorization: `Bearer ${f}`, 'x-request-id': `req-${f}` } });
      }
      // a database error in a log line written by code
      await sql`SELECT ${f}::int AS n`.execute(app.db.app).catch((err: unknown) => logger().error({ err }, 'leak feed: database error'));
    }
    // CLI arguments that the CLI echoes in its error messages
    for (const f of [FORMS[0]!, FORMS[1]!, FORMS[3]!, FORMS[4]!, FORMS[8]!]) {
      // the CLI's own message ('ポート番号が正しくありません: <value>') …
      expect((await runCli(['demo', '--port', f, '--no-serve'])).code).not.toBe(0);
      // … commander's ('unknown option --…<value>') and a command that validates the number itself
      const unknown = await runCli(['mynumber', 'validate', '1', `--x${f}`]);
      expect(unknown.stderr).toContain('unknown option');
      await runCli(['mynumber', 'validate', f]);
    }
    logger().info({ feed: LEAK_FEED_MARK }, 'leak feed: end');
    await new Promise((r) => setTimeout(r, 300));

    const logs = allLogs();
    // The feed reached the log: request lines by route pattern, and the database errors by SQLSTATE.
    expect(logs).toContain('"route":"/admin/accounts"');
    expect(logs).toMatch(/database error SQLSTATE 22007/);
    expect(logs).toMatch(/"msg":"leak feed: database error"/);
    const leaked = FORMS.filter((f) => logs.includes(f) || logs.includes(JSON.stringify(f).slice(1, -1)));
    expect(leaked).toEqual([]);
    expect(findMyNumbers(logs)).toEqual([]);
  }, 240_000);
});
