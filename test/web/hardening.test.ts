// Web hardening (issue 10 point 6, decision 0125).  Each test names why it failed on the code before
// the decision.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, freshConfig, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { MAMORI_BIN, ROOT } from '../harness/paths.js';
import { TEST_NOW } from '../harness/clock.js';

async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; out: () => string; err: () => string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, MAMORI_CLOCK: TEST_NOW, ...env };
  delete childEnv['MAMORI_INSECURE_COOKIES'];
  const child = spawn(process.execPath, [MAMORI_BIN, 'serve', '--port', '0', ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const end = Date.now() + 60_000;
  while (!out.includes('停止するには')) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    if (Date.now() > end) throw new Error(`serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url: /起動しました: (\S+)/.exec(out)![1]!, out: () => out, err: () => err };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
}

describe('(a) cookies are Secure unless the insecure flag is given explicitly', () => {
  let store: Awaited<ReturnType<typeof freshConfig>>;
  beforeAll(async () => {
    store = await freshConfig('server');
  });
  afterAll(async () => store?.drop());

  // Before: `mamori serve` on a loopback host (its default, 127.0.0.1) silently dropped Secure.
  it('`mamori serve` on 127.0.0.1 without the flag sends Secure cookies', async () => {
    const s = await startServe(['--data', join(store.tmp, 'data')], { DATABASE_URL: store.config.databaseUrl! });
    try {
      const r = await fetch(`${s.url}login`);
      const cookies = r.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) expect(c).toMatch(/;\s*Secure/i);
      expect(s.err()).not.toMatch(/Secure なし/);
    } finally {
      await stop(s.child);
    }
  }, 90_000);

  // Before: there was no --insecure-cookies flag and no warning.
  it('--insecure-cookies drops Secure and warns at start', async () => {
    const s = await startServe(['--insecure-cookies', '--data', join(store.tmp, 'data')], { DATABASE_URL: store.config.databaseUrl! });
    try {
      const r = await fetch(`${s.url}login`);
      for (const c of r.headers.getSetCookie()) expect(c).not.toMatch(/;\s*Secure/i);
      expect(s.err()).toMatch(/警告: Cookie を Secure なしで送ります/);
    } finally {
      await stop(s.child);
    }
  }, 90_000);
});

describe('(b)–(d) on a running web server', () => {
  let app: TestApp;
  let web: TestWeb;
  let clerkId: string;
  let cookie: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'hd-admin', role: 'admin' });
    clerkId = (await staff(app, TOTTORI, { login: 'hd-clerk' })).account.id;
    await staff(app, TOTTORI, { login: 'hd-known' });
    web = await startWeb(app);
    const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TOTTORI, loginId: 'hd-admin', password: GOOD_PASSWORD }) });
    expect(r.status).toBe(200);
    cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  });
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  // Before: the API only refused non-JSON bodies, so a bodiless cross-site POST with the (SameSite
  // cookie of a) logged-in browser went through — 200.
  it('(b) a bodiless cookie-authenticated POST from a foreign Origin is refused with 403', async () => {
    const post = (headers: Record<string, string>) => fetch(`${web.url}/api/v1/accounts/${clerkId}/unlock`, { method: 'POST', headers: { cookie, ...headers } });
    const foreign = await post({ origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { code: string }).code).toBe('CROSS_SITE_REQUEST');
    expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    // The same request from Mamori's own pages goes through.
    expect((await post({ origin: web.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    // A foreign login (login CSRF) is refused too.
    const login = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ tenant: TOTTORI, loginId: 'hd-admin', password: GOOD_PASSWORD }) });
    expect(login.status).toBe(403);
  });

  // Before: pages read each query parameter as a string; `?q=a&q=b` made an array and a 500.
  it('(c) repeated query parameters are a 400 naming the field, on every page and API route', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'hd-admin', GOOD_PASSWORD);
    const page = await c.get('/admin/accounts?q=a&q=b');
    expect(page.status).toBe(400);
    expect(page.text).toContain('q: 「q」が複数回指定されています');
    const api = await fetch(`${web.url}/api/v1/accounts?status=active&status=applied`, { headers: { cookie } });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['status']);
    // Every GET route without path parameters (list pages, CSV, API) under hostile query strings.
    const paths = getRoutes(web.server.printRoutes({ commonPrefix: false })).filter((p) => !p.includes(':') && !p.startsWith('/assets') && p !== '/healthz');
    expect(paths.length).toBeGreaterThan(20);
    const hostile = ['page=99999999999999999999999', 'page=abc', 'page=-1', 'from=2026-13-45&to=2026-02-30', 'date=x&month=2026-99&fiscalYear=1e400', 'q=%FF%FE&kana=%E3%81', 'limit=1e400&beforeId=1.5&offset=-5'];
    const bad: string[] = [];
    for (const p of paths) {
      const rep = await c.get(`${p}?page=1&page=2`);
      if (rep.status !== 400 || !rep.text.includes('page')) bad.push(`${p}?page=1&page=2 → ${rep.status}`);
      for (const h of hostile) {
        const r = await c.get(`${p}?${h}`);
        if (r.status >= 500) bad.push(`${p}?${h} → ${r.status}`);
      }
    }
    expect(bad).toEqual([]);
  }, 120_000);

  // Before: the wrong password that reached the lockout threshold, and every wrong password while
  // locked, answered 403 ACCOUNT_LOCKED (and skipped the password hash) — an unknown id always 401.
  it('(d) lockout does not reveal which login ids exist', async () => {
    const attempt = async (loginId: string, password = 'Wrong-Password-1') => {
      const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TOTTORI, loginId, password }) });
      const j = (await r.json()) as { code: string; title: string; detail: string };
      return { status: r.status, code: j.code, title: j.title, detail: j.detail };
    };
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await attempt('hd-known'));
      unknown.push(await attempt('hd-nobody'));
    }
    expect(known).toEqual(unknown);
    expect(new Set(known.map((k) => JSON.stringify(k))).size).toBe(1);
    // Only the person who knows the password learns that the account is locked.
    expect((await attempt('hd-known', GOOD_PASSWORD)).code).toBe('ACCOUNT_LOCKED');
  });

  // Before: a self-application for a taken login id answered 409 LOGIN_ID_TAKEN, a free one 201.
  it('(d) a self-application answers the same whether or not the login id exists', async () => {
    const apply = async (loginId: string) => {
      const r = await fetch(`${web.url}/api/v1/account-applications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: TOTTORI, loginId, fullName: '申請 一郎', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: '配属', password: 'Apply-Password-2026!' }),
      });
      const j = (await r.json()) as Record<string, unknown>;
      return { status: r.status, body: { ...j, loginId: undefined } };
    };
    const taken = await apply('hd-known');
    const free = await apply('hd-newcomer');
    expect(taken).toEqual(free);
    expect(taken.status).toBe(202);
    // The taken id's account is untouched; the free one is a pending application.
    const rows = await app.db.system.selectFrom('kernel.accounts').select(['login_id', 'status']).where('login_id', 'in', ['hd-known', 'hd-newcomer']).orderBy('login_id').execute();
    expect(rows).toEqual([{ login_id: 'hd-known', status: 'active' }, { login_id: 'hd-newcomer', status: 'applied' }]);
    // The page says the same too.
    const c = new PageClient(web.url);
    const texts: string[] = [];
    for (const loginId of ['hd-known', 'hd-newcomer2']) {
      const form = await c.get('/apply');
      const r = await c.post('/apply', {
        _csrf: PageClient.csrf(form.text), tenant: TOTTORI, loginId, kind: 'staff', fullName: '申請 二郎', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: '配属',
        password: 'Apply-Password-2026!', passwordConfirm: 'Apply-Password-2026!',
      });
      expect(r.status).toBe(200);
      texts.push(r.text.replace(loginId, 'LOGIN').replace(/name="_csrf" value="[^"]*"/g, ''));
    }
    expect(texts[0]).toBe(texts[1]);
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
