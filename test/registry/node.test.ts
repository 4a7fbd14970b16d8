// The registry as its own organisation (issue 15 Must have 1; QUA-33; decision 0169): node `registry` on its
// own port with its own schema, database role, keys and message log; its tenants are the 資格管理者 of the
// catalog; a staff member sees only the qualifications of their jurisdiction and duties — another
// administrator's answers 404 exactly like an unknown code, and the attempt is logged under the reader's tenant;
// RLS keeps each administrator's rows to itself whatever a query says.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageLogOf, startOrganisations, type Organisations } from '../../src/app/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { allDuties, isDuty } from '../../src/kernel/policy/index.js';
import { accessLog, applyForStaff, approveStaff, deleteStaff, issueStaffToken, REGISTRY_ROLE, syncAdministrators, withRegistryTenant } from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';

let app: TestApp;
let orgs: Organisations;
let db: Kysely<UntypedDatabase>;
let base = '';
const tokens: Record<string, string> = {};

const get = async (token: string | undefined, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  app = await testApp('server');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry' });
  base = orgs.nodes[0]!.url;
  db = await app.db.forRole(REGISTRY_ROLE);
  const clock = app.config.clock;
  // Each administrator's first supervisor is approved by the operator; the supervisor approves the others.
  const add = async (tenant: string, userId: string, affiliation: string, affiliationName: string, qualifications: string[]) => {
    const chief = `chief-${tenant}`;
    if ((await withRegistryTenant(db, tenant, (tx) => sql`SELECT 1 FROM registry.staff WHERE user_id = ${chief}`.execute(tx))).rows.length === 0) {
      await applyForStaff(db, clock, { tenant, userId: chief, name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: [qualifications[0]], reason: '審査責任者', appliedBy: 'operator' });
      await approveStaff(db, clock, tenant, chief, 'operator');
    }
    await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation, affiliationName, role: 'clerk', qualifications, reason: '登録事務の担当', appliedBy: chief });
    await approveStaff(db, clock, tenant, userId, chief);
    tokens[userId] = (await issueStaffToken(db, clock, tenant, userId)).token;
  };
  await add('mhlw-isei', 'ijika1', 'ministry', '医政局医事課試験免許室', ['ishi']);
  await add('mhlw-isei', 'kango1', 'ministry', '医政局看護課', ['kangoshi', 'hokenshi', 'josanshi']);
  await add('mhlw-iyaku', 'yaku1', 'ministry', '医薬・生活衛生局総務課', ['yakuzaishi']);
  await add('mhlw-kenko', 'hc-tottori', 'health-centre', '鳥取県倉吉保健所', ['kanrieiyoshi']);
  await add('mhlw-shaen', 'sssc1', 'designated-body', '社会福祉振興・試験センター 登録部', ['kaigofukushishi']);
}, 120_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
});

describe('the registry node', () => {
  it('runs on its own port with its own keys, schema and role, its tenants the 資格管理者', async () => {
    expect(orgs.nodes.map((n) => [n.name, n.kind])).toEqual([['registry', 'registry']]);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', node: 'registry' });
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const admins = await sql<{ tenant_code: string; name: string }>`SELECT tenant_code, name FROM registry.administrators ORDER BY tenant_code`.execute(db);
    expect(admins.rows.map((r) => r.tenant_code).sort()).toEqual(['mhlw-isei', 'mhlw-iyaku', 'mhlw-kenko', 'mhlw-shaen']);
    const j = await sql<{ qualification_code: string; tenant_code: string }>`SELECT qualification_code, tenant_code FROM registry.jurisdictions ORDER BY qualification_code`.execute(db);
    expect(j.rows).toHaveLength(10);
    expect(j.rows.find((r) => r.qualification_code === 'yakuzaishi')!.tenant_code).toBe('mhlw-iyaku');
    // Starting again changes nothing.
    await syncAdministrators(db, app.config.clock);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.administrators`.execute(db)).rows[0]!.n).toBe(4);
    // Its own message log, read as its own role.
    expect((await (await messageLogOf(app, 'registry')).list({ limit: 10 })).total).toBe(0);
  });

  it('keeps the schemas apart: the registry role reads no other organisation, no other role reads the registry', async () => {
    const whoami = await sql<{ u: string }>`SELECT current_user AS u`.execute(db);
    expect(whoami.rows[0]!.u).toBe(REGISTRY_ROLE);
    await expect(sql`SELECT count(*) FROM kernel.mynumber_vault`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM municipality.persons`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM platform.targets`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM registry.staff`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    const platformDb = await app.db.forRole('mamori_platform');
    await expect(sql`SELECT count(*) FROM registry.staff`.execute(platformDb)).rejects.toThrow(/permission denied/);
    // The node role may not rewrite its own access log.
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => sql`DELETE FROM registry.access_log`.execute(tx))).rejects.toThrow(/permission denied/);
  });

  it('isolates the 資格管理者 by RLS: a query without a tenant condition sees only its own tenant', async () => {
    const users = (tenant: string) => withRegistryTenant(db, tenant, async (tx) => (await sql<{ user_id: string }>`SELECT user_id FROM registry.staff ORDER BY user_id`.execute(tx)).rows.map((r) => r.user_id));
    expect(await users('mhlw-isei')).toEqual(['chief-mhlw-isei', 'ijika1', 'kango1']);
    expect(await users('mhlw-iyaku')).toEqual(['chief-mhlw-iyaku', 'yaku1']);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.staff`.execute(db)).rows[0]!.n).toBe(0); // no tenant set: nothing
    // Writing a row for another tenant is refused by the policy.
    await expect(
      withRegistryTenant(db, 'mhlw-isei', (tx) =>
        sql`INSERT INTO registry.staff (tenant_code, user_id, name, affiliation, affiliation_name, role, duties, status, reason, applied_by, applied_at)
            VALUES ('mhlw-iyaku', 'intruder', '侵入', 'ministry', '医政局', 'clerk', ARRAY['qualification:yakuzaishi'], 'applied', 'x', 'x', now())`.execute(tx)),
    ).rejects.toThrow(/row-level security/);
  });

  it('registers one duty per qualification for the registry\'s staff only', () => {
    expect(allDuties('registry').map((d) => [d.code, d.label])).toContainEqual(['qualification:yakuzaishi', '薬剤師（薬剤師名簿）']);
    expect(allDuties('registry')).toHaveLength(10);
    // The municipality's account screens and checks do not offer them.
    expect(allDuties().filter((d) => d.code.startsWith('qualification:'))).toEqual([]);
    expect(isDuty('qualification:ishi')).toBe(false);
    expect(isDuty('qualification:ishi', 'registry')).toBe(true);
    expect(isDuty('vaccination')).toBe(true);
  });

  it('gives staff only the qualifications of their jurisdiction and duties', async () => {
    const list = async (u: string) => ((await get(tokens[u], '/registry/v1/qualifications')).body['items'] as { code: string }[]).map((q) => q.code);
    expect(await list('ijika1')).toEqual(['ishi']);
    expect(await list('kango1')).toEqual(['kangoshi', 'hokenshi', 'josanshi']);
    expect(await list('yaku1')).toEqual(['yakuzaishi']);
    expect(await list('hc-tottori')).toEqual(['kanrieiyoshi']); // QUA-33: a 保健所 user of 管理栄養士
    expect(await list('sssc1')).toEqual(['kaigofukushishi']);
    const me = await get(tokens['hc-tottori'], '/registry/v1/me');
    expect(me.body).toMatchObject({ administrator: { code: 'mhlw-kenko', name: '厚生労働省健康局' }, affiliation: '保健所（鳥取県倉吉保健所）', role: '審査担当' });
    const ishi = await get(tokens['ijika1'], '/registry/v1/qualifications/ishi');
    expect(ishi.status).toBe(200);
    expect(ishi.body).toMatchObject({ name: '医師', registerName: '医籍', retention: { register: '永年保存', neverFullyErased: true, myNumberOfLivingAfterLoss: '保持' } });
    const yaku = await get(tokens['yaku1'], '/registry/v1/qualifications/yakuzaishi');
    expect(yaku.body).toMatchObject({ retention: { myNumberOfLivingAfterLoss: '物理削除', myNumberOfDeceased: '保持' } });
  });

  it("answers 404 for another administrator's qualification, as for an unknown one, and logs the attempt", async () => {
    const other = await get(tokens['ijika1'], '/registry/v1/qualifications/yakuzaishi');
    const sameTenantOtherDuty = await get(tokens['ijika1'], '/registry/v1/qualifications/kangoshi');
    const unknown = await get(tokens['ijika1'], '/registry/v1/qualifications/nosuch');
    for (const r of [other, sameTenantOtherDuty, unknown]) {
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 'NOT_FOUND', title: '見つかりません' });
    }
    expect(other.body).toEqual(unknown.body);
    const isei = await accessLog(db, 'mhlw-isei');
    expect(isei.filter((e) => e.outcome === 'denied').map((e) => [e.userId, e.targetId])).toEqual([['ijika1', 'nosuch'], ['ijika1', 'kangoshi'], ['ijika1', 'yakuzaishi']]);
    // The refusal is the reader's tenant's record, not the other administrator's.
    expect(await accessLog(db, 'mhlw-iyaku')).toEqual([]);
    // The 保健所 user cannot read 医師 either.
    expect((await get(tokens['hc-tottori'], '/registry/v1/qualifications/ishi')).status).toBe(404);
    expect((await accessLog(db, 'mhlw-kenko')).map((e) => [e.userId, e.targetId, e.outcome])).toEqual([['hc-tottori', 'ishi', 'denied']]);
  });

  it("shows the access log to the administrator's supervisors only", async () => {
    const clerk = await get(tokens['ijika1'], '/registry/v1/access-log');
    expect(clerk.status).toBe(403);
    const chief = (await issueStaffToken(db, app.config.clock, 'mhlw-isei', 'chief-mhlw-isei')).token;
    const log = await get(chief, '/registry/v1/access-log');
    expect(log.status).toBe(200);
    const items = log.body['items'] as { userId: string; target: string; targetId: string | null; outcome: string }[];
    expect(items.map((e) => [e.userId, e.target, e.targetId, e.outcome])).toEqual([
      ['ijika1', 'access-log', null, '拒否'],
      ['ijika1', 'qualification', 'nosuch', '拒否'],
      ['ijika1', 'qualification', 'kangoshi', '拒否'],
      ['ijika1', 'qualification', 'yakuzaishi', '拒否'],
    ]);
  });

  it("lists only the reader's own administrator's staff", async () => {
    const staff = await get(tokens['yaku1'], '/registry/v1/staff');
    expect((staff.body['items'] as { userId: string }[]).map((s) => s.userId)).toEqual(['chief-mhlw-iyaku', 'yaku1']);
  });

  it('refuses requests without a valid token, never saying which part was wrong', async () => {
    for (const t of [undefined, 'reg_0123456789abcdef.' + 'x'.repeat(43), tokens['ijika1']!.slice(0, -2) + 'zz', 'pmh_0123456789abcdef.' + 'x'.repeat(43)]) {
      const r = await get(t, '/registry/v1/qualifications');
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 'UNAUTHENTICATED', title: '認証できません' });
    }
  });

  it('refuses staff outside the jurisdiction or affiliation of their administrator, naming the field', async () => {
    const clock = app.config.clock;
    const base = { userId: 'bad1', name: '職員', role: 'clerk', reason: '担当', appliedBy: 'operator' };
    await expectProblem(applyForStaff(db, clock, { ...base, tenant: 'mhlw-isei', affiliation: 'ministry', affiliationName: '医政局', qualifications: ['yakuzaishi'] }), { status: 400, code: 'OUTSIDE_JURISDICTION', field: 'qualifications' });
    await expectProblem(applyForStaff(db, clock, { ...base, tenant: 'mhlw-isei', affiliation: 'prefecture', affiliationName: '鳥取県', qualifications: ['ishi'] }), { status: 400, code: 'AFFILIATION_NOT_ALLOWED', field: 'affiliation' });
    await expectProblem(applyForStaff(db, clock, { ...base, tenant: 'mhlw-nosuch', affiliation: 'ministry', affiliationName: 'x', qualifications: ['ishi'] }), { status: 400, field: 'tenant' });
    await expectProblem(applyForStaff(db, clock, { ...base, reason: '', tenant: 'mhlw-isei', affiliation: 'ministry', affiliationName: '医政局', qualifications: ['ishi'] }), { status: 400, field: 'reason' });
    await expectProblem(applyForStaff(db, clock, { ...base, userId: 'ijika1', tenant: 'mhlw-isei', affiliation: 'ministry', affiliationName: '医政局', qualifications: ['ishi'] }), { status: 409, code: 'STAFF_EXISTS' });
    expect((await withRegistryTenant(db, 'mhlw-isei', (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.staff`.execute(tx))).rows[0]!.n).toBe(3);
  });

  it('makes a staff member only from an application approved by another supervisor of the same administrator (KRN-18)', async () => {
    const clock = app.config.clock;
    await applyForStaff(db, clock, { tenant: 'mhlw-isei', userId: 'ijika2', name: '職員 二', affiliation: 'ministry', affiliationName: '医事課', role: 'supervisor', qualifications: ['ishi'], reason: '担当', appliedBy: 'chief-mhlw-isei' });
    // An applied account has no token and cannot be approved by itself, by a clerk, by the operator once a
    // supervisor exists, or by another administrator's supervisor.
    await expectProblem(issueStaffToken(db, clock, 'mhlw-isei', 'ijika2'), { status: 404 });
    await expectProblem(approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'ijika2'), { status: 403, code: 'SELF_APPROVAL' });
    await expectProblem(approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'ijika1'), { status: 403, code: 'NOT_SUPERVISOR' });
    await expectProblem(approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'operator'), { status: 403, code: 'NOT_SUPERVISOR' });
    await expectProblem(approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'chief-mhlw-iyaku'), { status: 403, code: 'NOT_SUPERVISOR' });
    const ok = await approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'chief-mhlw-isei');
    expect(ok).toMatchObject({ status: 'active', approvedBy: 'chief-mhlw-isei', validUntil: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    await expectProblem(approveStaff(db, clock, 'mhlw-isei', 'ijika2', 'chief-mhlw-isei'), { status: 404 }); // not applied any more
    // Deleting a staff member stops their tokens at once.
    const t = (await issueStaffToken(db, clock, 'mhlw-isei', 'ijika2')).token;
    expect((await get(t, '/registry/v1/me')).status).toBe(200);
    await deleteStaff(db, clock, 'mhlw-isei', 'ijika2');
    expect((await get(t, '/registry/v1/me')).status).toBe(401);
  });
});
