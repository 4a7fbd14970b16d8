// Retention and deletion (issue 2 "Retention"): policies per data class with defaults (KRN-35, KRN-37),
// set only by an administrator with validated fields, deletion through an approval step when the
// policy asks for it (KRN-39), every deletion recorded in kernel.deletion_records and the operation log
// (KRN-38, KRN-39), and only the owning tenant's rows deleted (KRN-05).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { Retention, SESSION_CLASS, type TenantDataClass } from '../../src/kernel/retention/index.js';
import { addTenant, staff, testApp, TOTTORI, SENDAI, EDOGAWA, type Mode, type TestApp } from '../harness/app.js';
import { auditRows, countRows } from '../harness/sql.js';
import { expectProblem } from '../harness/expect.js';

const DAY = 86_400_000;
const SAPPORO = '011002';

describe.each<Mode>(['server', 'embedded'])('retention (%s)', (mode) => {
  let app: TestApp;
  let admin: Principal;
  let clerk: Principal;
  let supervisor: Principal;
  let sendaiAdmin: Principal;
  const accountOf = new Map<string, string>(); // tenant → an account id that sessions belong to

  const sys = () => ({ system: app.db.system, auditKeys: app.auditKeys });

  /** Ended sessions of `tenant`, `ageDays` after their end; returns their ids. */
  async function endedSessions(tenant: string, n: number, ageDays: number): Promise<string[]> {
    const ended = new Date(app.config.clock.now().getTime() - ageDays * DAY);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await app.db.system
        .insertInto('kernel.sessions')
        .values({ tenant_code: tenant, account_id: accountOf.get(tenant)!, token_hash: randomBytes(32), last_seen_at: ended, expires_at: ended, ended_at: ended, end_reason: 'logout' })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(r.id);
    }
    return ids;
  }

  const sessionIds = async (tenant: string): Promise<string[]> =>
    (await app.db.system.selectFrom('kernel.sessions').select('id').where('tenant_code', '=', tenant).orderBy('id').execute()).map((r) => r.id);

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    const a = await staff(app, TOTTORI, { login: 'tt-admin', role: 'admin' });
    admin = a.principal;
    clerk = (await staff(app, TOTTORI, { login: 'tt-clerk' })).principal;
    supervisor = (await staff(app, TOTTORI, { login: 'tt-super', role: 'supervisor' })).principal;
    const s = await staff(app, SENDAI, { login: 'sd-admin', role: 'admin' });
    sendaiAdmin = s.principal;
    accountOf.set(TOTTORI, clerk.actor.id!);
    accountOf.set(SENDAI, s.account.id);
  });
  afterAll(async () => app.cleanup());

  it('defaults: operation log 3 years and sessions 1 year, physical deletion without approval (KRN-35, KRN-37)', async () => {
    const p = await runAs(app.db, admin, (w) => app.retention.policies(w));
    const byName = Object.fromEntries(p.map((x) => [x.dataClass.name, { ...x.policy, overridden: x.overridden }]));
    expect(byName['audit-log']).toEqual({ mode: 'years', period: 3, deletion: 'physical', requiresApproval: false, overridden: false });
    expect(byName['sessions']).toEqual({ mode: 'years', period: 1, deletion: 'physical', requiresApproval: false, overridden: false });
  });

  it('setPolicy needs settings.manage (an administrator) and names every bad field; failures change nothing', async () => {
    const good = { mode: 'days', period: 30, deletion: 'physical', requiresApproval: true };
    for (const [p, login] of [[clerk, 'tt-clerk'], [supervisor, 'tt-super']] as const) {
      await expectProblem(runAs(app.db, p, (w) => app.retention.setPolicy(w, 'sessions', good)), { status: 403 });
      const denied = (await auditRows(app, TOTTORI, { action: 'access_denied', actor_login: login })).at(-1);
      expect(denied).toMatchObject({ outcome: 'denied', target_type: 'retention-policy', target_id: 'sessions' });
    }
    const bad: [string, Record<string, unknown>, string][] = [
      ['no-such-class', good, 'dataClass'],
      ['sessions', { ...good, mode: 'forever' }, 'mode'],
      ['sessions', { ...good, period: null }, 'period'],
      ['sessions', { ...good, mode: 'permanent', period: 5 }, 'period'],
      ['sessions', { ...good, period: -1 }, 'period'],
      ['sessions', { ...good, period: 0 }, 'period'],
      ['sessions', { ...good, period: 1.5 }, 'period'],
      ['sessions', { ...good, period: 'abc' }, 'period'],
      ['sessions', { ...good, period: 1001 }, 'period'],
      ['sessions', { ...good, deletion: 'shred' }, 'deletion'],
      ['audit-log', { mode: 'years', period: 5, deletion: 'logical' }, 'deletion'],
      ['sessions', { ...good, requiresApproval: 'yes' }, 'requiresApproval'],
      ['sessions', { ...good, mode: "years'; DROP TABLE kernel.retention_policies; --" }, 'mode'],
    ];
    const before = await countRows(app.db.system, 'kernel.retention_policies');
    for (const [cls, input, field] of bad) {
      await expectProblem(runAs(app.db, admin, (w) => app.retention.setPolicy(w, cls, input)), { status: 400, field });
    }
    expect(await countRows(app.db.system, 'kernel.retention_policies')).toBe(before);

    // A class with a legal minimum refuses shorter periods (e.g. vaccination records ≥ 20 years).
    const records: TenantDataClass = { ...SESSION_CLASS, name: 'vaccination-records', label: '予防接種記録', minimumYears: 20, methods: ['logical', 'physical'] };
    const r = new Retention([records]);
    await expectProblem(runAs(app.db, admin, (w) => r.setPolicy(w, 'vaccination-records', { mode: 'years', period: 5, deletion: 'logical' })), { status: 400, field: 'period', code: 'PERIOD_TOO_SHORT' });
    await expectProblem(runAs(app.db, admin, (w) => r.setPolicy(w, 'vaccination-records', { mode: 'days', period: 3650, deletion: 'logical' })), { status: 400, field: 'period' });
    expect(await runAs(app.db, admin, (w) => r.setPolicy(w, 'vaccination-records', { mode: 'years', period: 20, deletion: 'logical' }))).toMatchObject({ period: 20 });

    // A valid change is stored and logged with before and after.
    await runAs(app.db, admin, (w) => app.retention.setPolicy(w, 'sessions', good));
    const p = await runAs(app.db, admin, (w) => app.retention.policies(w));
    expect(p.find((x) => x.dataClass.name === 'sessions')).toMatchObject({ policy: good, overridden: true });
    const change = (await auditRows(app, TOTTORI, { action: 'retention_change', actor_login: 'tt-admin', target_id: 'sessions' })).at(-1);
    expect(change!.detail).toMatchObject({ before: { mode: 'years', period: 1 }, after: good });
    // SENDAI still has the default.
    const sp = await runAs(app.db, sendaiAdmin, (w) => app.retention.policies(w));
    expect(sp.find((x) => x.dataClass.name === 'sessions')).toMatchObject({ overridden: false });
  });

  it('a policy that requires approval files a deletion request; nothing is deleted until it is approved (KRN-39)', async () => {
    const old = await endedSessions(TOTTORI, 3, 60);
    const recent = await endedSessions(TOTTORI, 2, 5);
    const sendaiOld = await endedSessions(SENDAI, 2, 60); // within SENDAI's default 1 year: not due there

    const first = await app.retention.runTenant(app.db, sys(), TOTTORI);
    const req = first.find((i) => i.dataClass === 'sessions');
    expect(req).toMatchObject({ action: 'requested', count: 3 });
    const row = await app.db.system.selectFrom('kernel.deletion_requests').selectAll().where('id', '=', req!.requestId!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ tenant_code: TOTTORI, data_class: 'sessions', status: 'pending', candidate_count: 3, requested_by: 'system:retention' });
    expect(row.reason).toContain('30日');
    expect(await sessionIds(TOTTORI)).toEqual(expect.arrayContaining([...old, ...recent]));
    expect((await auditRows(app, TOTTORI, { action: 'deletion_request' })).at(-1)).toMatchObject({ target_id: req!.requestId });

    // A second run does not file another request while one is open, and still deletes nothing.
    const second = await app.retention.runTenant(app.db, sys(), TOTTORI);
    expect(second.filter((i) => i.dataClass === 'sessions')).toEqual([]);
    expect(await countRows(app.db.system, 'kernel.deletion_requests', TOTTORI)).toBe(1);
    expect(await sessionIds(TOTTORI)).toEqual(expect.arrayContaining(old));

    // Only someone with deletion.approve in the class's duty may decide; another tenant cannot even see it.
    await expectProblem(runAs(app.db, clerk, (w) => app.retention.decide(w, req!.requestId!, true, '承認')), { status: 403 });
    await expectProblem(runAs(app.db, sendaiAdmin, (w) => app.retention.decide(w, req!.requestId!, true, '承認')), { status: 404 });
    await expectProblem(runAs(app.db, admin, (w) => app.retention.decide(w, req!.requestId!, true, '')), { status: 400, field: 'reason' });
    await runAs(app.db, admin, (w) => app.retention.decide(w, req!.requestId!, true, '保存期間経過を確認'));
    await expectProblem(runAs(app.db, admin, (w) => app.retention.decide(w, req!.requestId!, false, '取消')), { status: 409, code: 'NOT_PENDING' });
    expect((await auditRows(app, TOTTORI, { action: 'deletion_decide', actor_login: 'tt-admin' })).at(-1)).toMatchObject({ target_id: req!.requestId, purpose: '保存期間経過を確認' });

    const third = await app.retention.runTenant(app.db, sys(), TOTTORI);
    expect(third).toContainEqual({ dataClass: 'sessions', action: 'deleted', count: 3, requestId: req!.requestId });
    const remaining = await sessionIds(TOTTORI);
    for (const id of old) expect(remaining).not.toContain(id);
    for (const id of recent) expect(remaining).toContain(id);
    expect(await sessionIds(SENDAI)).toEqual(expect.arrayContaining(sendaiOld));

    const done = await app.db.system.selectFrom('kernel.deletion_requests').selectAll().where('id', '=', req!.requestId!).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ status: 'executed', deleted_count: 3, decided_by: 'tt-admin' });
    expect(done.executed_at).toBeInstanceOf(Date);
    const rec = await app.db.system.selectFrom('kernel.deletion_records').selectAll().where('tenant_code', '=', TOTTORI).where('request_id', '=', req!.requestId!).execute();
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ data_class: 'sessions', method: 'physical', deleted_count: 3, executed_by: 'system:retention', reason: row.reason });
    expect([...rec[0]!.target_ids].sort()).toEqual([...old].sort());
    const purge = (await auditRows(app, TOTTORI, { action: 'purge' })).filter((e) => e.target_type === 'sessions');
    expect(purge).toHaveLength(1);
    expect(purge[0]).toMatchObject({ actor_login: 'system:retention', purpose: row.reason, outcome: 'success' });
    expect(purge[0]!.detail).toMatchObject({ count: 3, method: 'physical', requestId: req!.requestId });
  });

  it('a rejected deletion request deletes nothing', async () => {
    const old = await endedSessions(TOTTORI, 2, 90);
    const items = await app.retention.runTenant(app.db, sys(), TOTTORI);
    const req = items.find((i) => i.dataClass === 'sessions' && i.action === 'requested');
    expect(req).toBeDefined();
    const records = await countRows(app.db.system, 'kernel.deletion_records', TOTTORI);
    await runAs(app.db, admin, (w) => app.retention.decide(w, req!.requestId!, false, '監査対応のため保存'));
    await app.retention.runTenant(app.db, sys(), TOTTORI);
    expect(await sessionIds(TOTTORI)).toEqual(expect.arrayContaining(old));
    expect(await countRows(app.db.system, 'kernel.deletion_records', TOTTORI)).toBe(records);
    const r = await app.db.system.selectFrom('kernel.deletion_requests').select(['status', 'deleted_count']).where('id', '=', req!.requestId!).executeTakeFirstOrThrow();
    expect(r).toEqual({ status: 'rejected', deleted_count: null });
    // Put the policy back to no approval so that later tests see direct deletion.
    await runAs(app.db, admin, (w) => app.retention.setPolicy(w, 'sessions', { mode: 'days', period: 30, deletion: 'physical', requiresApproval: false }));
    const direct = await app.retention.runTenant(app.db, sys(), TOTTORI);
    expect(direct).toContainEqual({ dataClass: 'sessions', action: 'deleted', count: 2, requestId: null });
  });

  it('without approval the due rows are deleted at once, with a deletion record and a purge entry (KRN-38)', async () => {
    const old = await endedSessions(SENDAI, 2, 800); // beyond SENDAI's default 1 year
    const before = await countRows(app.db.system, 'kernel.deletion_records', SENDAI);
    const items = await app.retention.runTenant(app.db, sys(), SENDAI);
    expect(items).toContainEqual({ dataClass: 'sessions', action: 'deleted', count: 2, requestId: null });
    const remaining = await sessionIds(SENDAI);
    for (const id of old) expect(remaining).not.toContain(id);
    expect(remaining.length).toBeGreaterThan(0); // SENDAI's 60-day-old sessions stay (within 1 year)
    const rec = await app.db.system.selectFrom('kernel.deletion_records').selectAll().where('tenant_code', '=', SENDAI).orderBy('id', 'desc').execute();
    expect(rec.length).toBe(before + 1);
    expect(rec[0]).toMatchObject({ data_class: 'sessions', deleted_count: 2, request_id: null });
    expect([...rec[0]!.target_ids].sort()).toEqual([...old].sort());
    expect((await auditRows(app, SENDAI, { action: 'purge' })).at(-1)).toMatchObject({ target_type: 'sessions', actor_login: 'system:retention' });
  });

  it('only the owning tenant\'s rows are deleted, even by a purge that forgets the tenant filter (KRN-05)', async () => {
    const tt = await endedSessions(TOTTORI, 3, 400);
    const sd = await endedSessions(SENDAI, 4, 400);
    // A careless data class: counts and deletes every old session, with no tenant condition at all.
    const careless: TenantDataClass = {
      scope: 'tenant',
      name: 'careless-sessions',
      label: 'テスト用（テナント条件なし）',
      duty: 'account-admin',
      defaultPolicy: { mode: 'days', period: 300, deletion: 'physical', requiresApproval: false },
      methods: ['physical'],
      async count(w, cutoff) {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.sessions WHERE ended_at < ${cutoff}`.execute(w.tx);
        return r.rows[0]!.n;
      },
      async purge(w, cutoff) {
        const r = await sql<{ id: string }>`DELETE FROM kernel.sessions WHERE ended_at < ${cutoff} RETURNING id`.execute(w.tx);
        return { count: r.rows.length, targetIds: r.rows.map((x) => x.id) };
      },
    };
    const r = new Retention([careless]);
    const items = await r.runTenant(app.db, sys(), TOTTORI);
    expect(items).toEqual([{ dataClass: 'careless-sessions', action: 'deleted', count: 3, requestId: null }]);
    const left = await sessionIds(SENDAI);
    for (const id of sd) expect(left).toContain(id);
    for (const id of tt) expect(await sessionIds(TOTTORI)).not.toContain(id);
    const rec = await app.db.system.selectFrom('kernel.deletion_records').selectAll().where('data_class', '=', 'careless-sessions').execute();
    expect(rec.map((x) => [x.tenant_code, x.deleted_count])).toEqual([[TOTTORI, 3]]);

    // The kernel's own operation-log class: one tenant's run purges its own old entries, never another's.
    // (Two fresh tenants, so that the old entries are the start of their chains, as in a running log.)
    const old = new Date(app.config.clock.now().getTime() - 4 * 366 * DAY);
    for (const [t, name] of [[EDOGAWA, '江戸川区'], [SAPPORO, '札幌市']] as const) {
      await addTenant(app, t, name);
      await sql`INSERT INTO kernel.audit_log (tenant_code, occurred_at, actor_kind, actor_login, action, outcome)
                SELECT ${t}, ${old}::timestamptz + (g || ' seconds')::interval, 'staff', 'former', 'read', 'success' FROM generate_series(1, 3) g`.execute(app.db.system);
      await staff(app, t, { login: `now-${t}` });
    }
    const purged = await app.retention.runTenant(app.db, sys(), EDOGAWA);
    expect(purged).toContainEqual({ dataClass: 'audit-log', action: 'deleted', count: 3, requestId: null });
    expect((await auditRows(app, EDOGAWA, { actor_login: 'former' })).length).toBe(0);
    expect((await auditRows(app, SAPPORO, { actor_login: 'former' })).length).toBe(3);
    expect(await countRows(app.db.system, 'kernel.deletion_records', SAPPORO)).toBe(0);

    // And a tenant's transaction cannot delete another tenant's rows directly either.
    const d = await runAs(app.db, admin, (w) => sql`DELETE FROM kernel.sessions WHERE tenant_code = ${SENDAI}`.execute(w.tx));
    expect(Number(d.numAffectedRows ?? 0)).toBe(0);
    for (const id of sd) expect(await sessionIds(SENDAI)).toContain(id);
    // Nor see its deletion requests.
    const seen = await runAs(app.db, sendaiAdmin, (w) => app.retention.listRequests(w));
    expect(seen.every((x) => x.dataClass !== 'careless-sessions')).toBe(true);
    const visible = await runAs(app.db, sendaiAdmin, (w) => sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.deletion_requests UNION ALL SELECT tenant_code FROM kernel.deletion_records`.execute(w.tx));
    expect(visible.rows.every((x) => x.tenant_code === SENDAI)).toBe(true);
  });
});
