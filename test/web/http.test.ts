// The HTTP surface of the kernel: tenant isolation through the API (KRN-01), problem+json errors with
// stable codes and Japanese text, request ids, security headers, CSRF on forms, JSON-only API, login
// rate limit, and the OpenAPI document kept in docs/api.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { bootstrapAdministrator } from '../../src/kernel/access/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, EDOGAWA, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { ROOT } from '../harness/paths.js';

async function api(web: TestWeb, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${web.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { res, status: res.status, json: json as Record<string, unknown>, text };
}

async function loginToken(web: TestWeb, tenant: string, loginId: string, password = GOOD_PASSWORD): Promise<string> {
  const r = await api(web, 'POST', '/api/v1/session', { tenant, loginId, password });
  expect(r.status).toBe(200);
  return String(r.json['token']);
}

describe('HTTP API and web shell', () => {
  let app: TestApp;
  let web: TestWeb;
  let limited: TestWeb;
  let adminA: string;
  let adminB: string;
  let accountOfB: string;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, EDOGAWA, '江戸川区');
    await staff(app, TOTTORI, { login: 'admin-a', role: 'admin' });
    await staff(app, EDOGAWA, { login: 'admin-b', role: 'admin' });
    accountOfB = (await staff(app, EDOGAWA, { login: 'clerk-b' })).account.id;
    web = await startWeb(app);
    limited = await startWeb(app, { loginRateLimitPerMinute: 3 });
    adminA = await loginToken(web, TOTTORI, 'admin-a');
    adminB = await loginToken(web, EDOGAWA, 'admin-b');
  });
  afterAll(async () => {
    await limited?.close();
    await web?.close();
    await app?.cleanup();
  });

  it('a staff user of tenant A gets 404 for a record of tenant B (KRN-01)', async () => {
    const own = await api(web, 'GET', `/api/v1/accounts/${accountOfB}`, undefined, adminB);
    expect(own.status).toBe(200);
    expect(own.json['loginId']).toBe('clerk-b');
    const other = await api(web, 'GET', `/api/v1/accounts/${accountOfB}`, undefined, adminA);
    expect(other.status).toBe(404);
    expect(other.res.headers.get('content-type')).toContain('application/problem+json');
    expect(other.json).toMatchObject({ status: 404, code: 'NOT_FOUND', title: '見つかりません' });
    expect(JSON.stringify(other.json)).not.toContain('clerk-b');
    // Writes are refused the same way.
    const revoke = await api(web, 'POST', `/api/v1/accounts/${accountOfB}/revocation`, { cause: 'transfer', reason: 'x' }, adminA);
    expect(revoke.status).toBe(404);
    const still = await api(web, 'GET', `/api/v1/accounts/${accountOfB}`, undefined, adminB);
    expect(still.json['status']).toBe('active');
  });

  it('lists only the caller tenant\'s accounts', async () => {
    const r = await api(web, 'GET', '/api/v1/accounts', undefined, adminA);
    const logins = (r.json as unknown as { loginId: string; tenant: string }[]).map((a) => a.tenant);
    expect(new Set(logins)).toEqual(new Set([TOTTORI]));
  });

  it('problem+json names the field for malformed input', async () => {
    const r = await api(web, 'POST', '/api/v1/account-applications', { tenant: TOTTORI, loginId: 'X', fullName: '申請 一郎', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: 'r' });
    expect(r.status).toBe(400);
    expect(r.json['code']).toBe('VALIDATION_FAILED');
    expect((r.json['errors'] as { field: string }[]).map((e) => e.field)).toContain('loginId');
    const unknownOrg = await api(web, 'POST', '/api/v1/session', { tenant: '999999', loginId: 'a', password: 'b' });
    expect(unknownOrg.status).toBe(400);
    expect(unknownOrg.json['errors']).toEqual([expect.objectContaining({ field: 'tenant', code: 'ORG_UNKNOWN' })]);
  });

  it('every response has a request id and security headers; personal pages are not cached', async () => {
    const r = await fetch(`${web.url}/login`);
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const api401 = await api(web, 'GET', '/api/v1/me');
    expect(api401.status).toBe(401);
    expect(api401.json['code']).toBe('UNAUTHENTICATED');
  });

  it('forms without a CSRF token are refused', async () => {
    const r = await fetch(`${web.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `tenant=${TOTTORI}&loginId=admin-a&password=${encodeURIComponent(GOOD_PASSWORD)}`, redirect: 'manual' });
    expect(r.status).toBe(403);
    expect(r.headers.get('set-cookie') ?? '').not.toContain('mamori_session');
  });

  it('the API accepts only JSON bodies', async () => {
    const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `tenant=${TOTTORI}&loginId=admin-a&password=x` });
    expect(r.status).toBe(415);
  });

  it('rate-limits login attempts per client', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await api(limited, 'POST', '/api/v1/session', { tenant: TOTTORI, loginId: 'nobody', password: 'wrong' })).status);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes[4]).toBe(429);
  });

  it('an account admin of one tenant cannot manage accounts without the duty (403, logged)', async () => {
    await staff(app, TOTTORI, { login: 'clerk-a' });
    const token = await loginToken(web, TOTTORI, 'clerk-a');
    const r = await api(web, 'GET', '/api/v1/accounts', undefined, token);
    expect(r.status).toBe(403);
    const denied = await app.db.system.selectFrom('kernel.audit_log').select(['action', 'outcome']).where('tenant_code', '=', TOTTORI).where('actor_login', '=', 'clerk-a').where('outcome', '=', 'denied').execute();
    expect(denied.length).toBeGreaterThan(0);
  });

  it('the initial password must be changed before anything else', async () => {
    const r = await runAs(app.db, operatorOf(TOTTORI), (w) => bootstrapAdministrator(w, { loginId: 'admin-new', fullName: '新任 管理者' }));
    const s = await api(web, 'POST', '/api/v1/session', { tenant: TOTTORI, loginId: 'admin-new', password: r.initialPassword });
    expect(s.json['mustChangePassword']).toBe(true);
    const blocked = await api(web, 'GET', '/api/v1/accounts', undefined, String(s.json['token']));
    expect(blocked.status).toBe(403);
    expect(blocked.json['code']).toBe('PASSWORD_CHANGE_REQUIRED');
    const changed = await api(web, 'PUT', '/api/v1/me/password', { currentPassword: r.initialPassword, newPassword: 'Shinnin-Kanri-2026!' }, String(s.json['token']));
    expect(changed.status).toBe(204);
  });

  it('docs/api/openapi.json matches the running server', async () => {
    const live = await api(web, 'GET', '/api/v1/openapi.json');
    const doc = JSON.parse(readFileSync(join(ROOT, 'docs', 'api', 'openapi.json'), 'utf8')) as unknown;
    expect(live.json).toEqual(doc);
  });
});
