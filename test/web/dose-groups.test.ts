// Dose registrations through the JSON API are written in groups (issue 10 point 7, decision 0130): the
// requests of one session and terminal that arrive together share one transaction, which also checks the
// session.  Each request is still decided and answered on its own, with its own record and operation-log
// entry; the session rules (idle timeout, account status) hold exactly as for any other request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { suspendAccount } from '../../src/kernel/access/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, GOOD_PASSWORD, type TestApp } from '../harness/app.js';
import { startWeb, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';
import { TEST_NOW, TEST_TODAY } from '../harness/clock.js';
import type { SetClock } from '../../src/kernel/clock/index.js';

const PEOPLE = 40;

describe('group commit of dose registrations through the API', () => {
  let app: TestApp;
  let web: TestWeb;
  let atenas: string[];
  let nurseAccount: string;

  const login = async (loginId: string): Promise<string> => {
    const r = await fetch(`${web.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TOTTORI, loginId, password: GOOD_PASSWORD }) });
    expect(r.status).toBe(200);
    return ((await r.json()) as { token: string }).token;
  };
  const post = async (token: string, atena: string, body: unknown, terminal = 'booth-01') => {
    const r = await fetch(`${web.url}/api/v1/residents/${atena}/vaccinations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-terminal-id': terminal },
      body: JSON.stringify(body),
    });
    return { status: r.status, requestId: r.headers.get('x-request-id'), json: (await r.json()) as Record<string, unknown> };
  };
  const dose = (over: Record<string, unknown> = {}) => ({ product: 'dpt-ipv-hib', vaccinatedOn: TEST_TODAY, lot: 'AB1234', institutionCode: '3110000001', ...over });
  const count = async (): Promise<number> => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.vaccination_records`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurseAccount = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).account.id;
    await staff(app, TOTTORI, { login: 'clerk-addr', role: 'clerk', duties: ['addressee'] });
    await staff(app, TOTTORI, { login: 'admin', role: 'admin' });
    const dir = mkdtempSync(join(tmpdir(), 'mamori-groups-'));
    // Babies of about four months on the test day: the first DPT-IPV-Hib dose is due.
    const rows = Array.from({ length: PEOPLE }, (_, i) => person(i + 1, { 生年月日: '20260715', 住民となった日: '20260715', 性別: i % 2 ? '1' : '2' }));
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', rows) });
    atenas = (await app.db.system.selectFrom('municipality.persons').select('atena_no').orderBy('atena_no').execute()).map((r) => r.atena_no);
    expect(atenas).toHaveLength(PEOPLE);
    web = await startWeb(app);
  }, 120_000);
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  it('concurrent registrations share transactions, and each gets its own record, version and log entry', async () => {
    const token = await login('nurse');
    const before = web.server.doseGroups!.stats();
    const answers = await Promise.all(atenas.slice(0, 30).map((a) => post(token, a, dose())));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(201));
    const ids = answers.map((a) => a.json['id'] as string);
    expect(new Set(ids).size).toBe(30);
    const after = web.server.doseGroups!.stats();
    // 30 requests in fewer transactions than requests: at least one group held more than one dose.
    expect(after.items - before.items).toBe(30);
    expect(after.groups - before.groups).toBeLessThan(30);
    expect(after.largest).toBeGreaterThan(1);
    // Each record is the nurse's (the 作成者 stamp, also for the group that learnt the session's actor),
    // made on the booth's terminal, with its first version and an operation-log entry carrying the
    // request's own id.
    const recs = await sql<{ id: string; created_by: string; created_terminal: string; versions: number }>`
      SELECT r.id, r.created_by, r.created_terminal, (SELECT count(*)::int FROM municipality.vaccination_record_versions v WHERE v.record_id = r.id) AS versions
        FROM municipality.vaccination_records r WHERE r.id = ANY(${ids}::uuid[])`.execute(app.db.system);
    expect(recs.rows).toHaveLength(30);
    for (const r of recs.rows) expect(r).toMatchObject({ created_by: 'nurse', created_terminal: 'booth-01', versions: 1 });
    const log = await sql<{ target_id: string; request_id: string; actor_login: string; terminal_id: string }>`
      SELECT target_id, request_id, actor_login, terminal_id FROM kernel.audit_log WHERE action = 'create' AND target_type = 'vaccination-record' AND target_id = ANY(${ids})`.execute(app.db.system);
    expect(log.rows).toHaveLength(30);
    const byTarget = new Map(log.rows.map((r) => [r.target_id, r]));
    answers.forEach((a) => expect(byTarget.get(a.json['id'] as string)).toMatchObject({ request_id: a.requestId, actor_login: 'nurse', terminal_id: 'booth-01' }));
  });

  it('a refused request does not stop the others of its group, and nothing is stored for it', async () => {
    const token = await login('nurse');
    const before = await count();
    const free = atenas.slice(30, 36);
    const answers = await Promise.all([
      post(token, free[0]!, dose()),
      post(token, free[1]!, dose({ vaccinatedOn: '2026-02-30' })), // not a date
      post(token, free[2]!, dose({ vaccinatedOn: '2099-01-01' })), // in the future
      post(token, '9999999999', dose()), // nobody
      post(token, free[3]!, dose()),
      post(token, free[3]!, dose()), // the same dose twice for one person: one is too soon after the other
      post(token, free[4]!, dose({ product: 'dpt-ipv-hib', vaccinatedOn: '2026-08-01' })), // before two months of age
      post(token, free[5]!, dose({ vaccinatedOn: '2026-08-01', overrideReason: '医療機関の誤接種として記録（保護者へ説明済み）' })),
    ]);
    const st = answers.map((a) => a.status);
    expect(st[0]).toBe(201);
    expect(st[1]).toBe(400);
    expect(st[2]).toBe(400);
    expect(st[3]).toBe(404);
    expect([st[4], st[5]].sort()).toEqual([201, 409]);
    expect(st[6]).toBe(409);
    expect(answers[6]!.json['code']).toBe('SCHEDULE_PROBLEMS');
    expect(st[7]).toBe(201);
    expect(answers[7]!.json['overrideReason']).toBe('医療機関の誤接種として記録（保護者へ説明済み）');
    expect(await count()).toBe(before + 3);
  });

  it('a member of staff without the vaccination duty is refused, and the refusal is logged', async () => {
    const token = await login('clerk-addr');
    const before = await count();
    const a = await post(token, atenas[36]!, dose());
    expect(a.status).toBe(403);
    expect(await count()).toBe(before);
    const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login = 'clerk-addr' AND request_id = ${a.requestId}`.execute(app.db.system);
    expect(denied.rows[0]!.n).toBe(1);
  });

  it('no token, a malformed one, or another tenant\'s: 401 and nothing stored', async () => {
    const before = await count();
    const none = await fetch(`${web.url}/api/v1/residents/${atenas[37]}/vaccinations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(dose()) });
    expect(none.status).toBe(401);
    expect((await post('nonsense', atenas[37]!, dose())).status).toBe(401);
    expect((await post(`131237.${'A'.repeat(43)}`, atenas[37]!, dose())).status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('the session is checked in the registration\'s transaction: a suspended account and an idle session are refused', async () => {
    const clock = app.config.clock as SetClock;
    const token = await login('nurse');
    expect((await post(token, atenas[37]!, dose())).status).toBe(201);
    // Idle beyond the tenant's timeout (15 minutes): refused, the session is ended with its reason.
    clock.set(new Date(Date.parse(TEST_NOW) + 20 * 60_000));
    try {
      const idle = await post(token, atenas[38]!, dose());
      expect(idle.status).toBe(401);
      expect(String(idle.json['detail'])).toContain('セッションが終了しました');
      const ended = await sql<{ end_reason: string }>`SELECT end_reason FROM kernel.sessions s JOIN kernel.accounts a ON a.id = s.account_id WHERE a.login_id = 'nurse' AND s.ended_at IS NOT NULL ORDER BY s.ended_at DESC LIMIT 1`.execute(app.db.system);
      expect(ended.rows[0]!.end_reason).toBe('idle-timeout');
      // A fresh session of a suspended account: refused at once, though the token was valid a moment ago.
      const fresh = await login('nurse');
      expect((await post(fresh, atenas[38]!, dose())).status).toBe(201);
      const admin = (await staff(app, TOTTORI, { login: 'admin2', role: 'admin' })).principal;
      await runAs(app.db, admin, (w) => suspendAccount(w, nurseAccount, '異動のため'));
      const after = await post(fresh, atenas[39]!, dose());
      expect(after.status).toBe(401);
      expect(await app.db.system.selectFrom('municipality.vaccination_records').select('id').where('atena_no', '=', atenas[39]!).execute()).toEqual([]);
    } finally {
      clock.set(TEST_NOW);
    }
  });
});
