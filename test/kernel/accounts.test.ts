// Staff accounts and access (issue 2 "Staff accounts and access", "Bad input"): individual accounts only
// (KRN-17), application → approval by an administrator (KRN-18, KRN-25), expiry and revocation that end
// sessions (KRN-19, KRN-20), role × duty × My Number flag with privileged accounts kept apart (KRN-24,
// KRN-28, KRN-29), contractor accounts (KRN-47), password policy, argon2id, lockout, TOTP and idle
// timeout (KRN-22, KRN-23, KRN-27), login/logout/failed login in the operation log (KRN-30, KRN-31),
// the access table and review report (KRN-21, KRN-25), and injection-shaped input in every text field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { runAs, newMeta, type Principal } from '../../src/kernel/context/index.js';
import {
  accessTableCsv,
  accountEvents,
  applyForAccount,
  approveAccount,
  authenticate,
  beginTotpEnrollment,
  changeGrants,
  changePassword,
  confirmTotpEnrollment,
  expireAccounts,
  login,
  logout,
  reinstateAccount,
  rejectApplication,
  revokeAccount,
  reviewReport,
  suspendAccount,
  unlockAccount,
  updateSettings,
  type LoginOutcome,
  type SessionInfo,
} from '../../src/kernel/access/index.js';
import type { Problem } from '../../src/kernel/problems/index.js';
import { sealPending, verifyChains } from '../../src/kernel/audit/index.js';
import { addOrganisation } from '../../src/kernel/tenancy/index.js';
import { addDaysIso, jstToday } from '../../src/kernel/jp/index.js';
import { addTenant, operatorOf, staff, testApp, GOOD_PASSWORD, TOTTORI, SENDAI, EDOGAWA, type Mode, type TestApp } from '../harness/app.js';
import { auditRows } from '../harness/sql.js';
import { expectProblem, problemOf } from '../harness/expect.js';
import { TEST_TODAY } from '../harness/clock.js';

const KOBE = '281000'; // expiry sweep
const SAPPORO = '011002'; // injection-shaped input
const CLINIC = '3110112343'; // a clinic code is an organisation but not a tenant

const today = (): string => TEST_TODAY;
const meta = () => newMeta('test', { clientAddress: '192.0.2.10', terminalId: 'lgwan-01' });
const minutes = (n: number) => n * 60_000;
const days = (n: number) => n * 86_400_000;

function failed(o: LoginOutcome): string {
  expect(o.ok, 'expected the login to fail').toBe(false);
  return o.ok ? '' : o.problem.code;
}

function ok(o: LoginOutcome): Extract<LoginOutcome, { ok: true }> {
  if (!o.ok) throw new Error(`login failed unexpectedly: ${o.problem.code}`);
  return o;
}

describe.each<Mode>(['server', 'embedded'])('accounts (%s)', (mode) => {
  let app: TestApp;
  let admin: Principal;
  let clerk: Principal;

  const tryLogin = (tenant: string, loginId: string, password: string, extra: { totp?: string; now?: Date } = {}) =>
    login(app.db, app.tenantKeys, { tenant, loginId, password, ...(extra.totp !== undefined ? { totp: extra.totp } : {}) }, meta(), extra.now);

  const principalOf = (s: SessionInfo): Principal => ({ tenant: s.tenant, actor: s.actor, meta: meta() });

  async function apply(p: Principal, loginId: string, extra: Record<string, unknown> = {}) {
    return runAs(app.db, p, (w) =>
      applyForAccount(w, { loginId, fullName: `職員 ${loginId}`, requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: '予防接種事務の担当', password: GOOD_PASSWORD, ...extra }),
    );
  }

  const grant = (extra: Record<string, unknown> = {}) => ({ role: 'clerk', duties: ['vaccination'], expiresOn: addDaysIso(today(), 365), ...extra });

  async function lastAudit(tenant: string, action: string, actorLogin?: string) {
    const rows = await auditRows(app, tenant, { action, ...(actorLogin ? { actor_login: actorLogin } : {}) });
    return rows.at(-1);
  }

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    await addTenant(app, EDOGAWA, '江戸川区');
    await addTenant(app, KOBE, '神戸市');
    await addTenant(app, SAPPORO, '札幌市');
    await addOrganisation(app.db.system, app.tenantKeys, { code: CLINIC, name: 'テスト診療所', kind: 'clinic' });
    admin = (await staff(app, TOTTORI, { login: 'tt-admin', role: 'admin' })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'tt-clerk' })).principal;
  });
  afterAll(async () => app.cleanup());

  // ---------------------------------------------------------------- lifecycle

  it('application → approval by an administrator → active with an expiry date, all in the ledger and the log (KRN-18, KRN-19, KRN-25)', async () => {
    const applied = await apply(clerk, 'tt-new');
    expect(applied).toMatchObject({ status: 'applied', role: null, duties: [], requestedRole: 'clerk', requestedDuties: ['vaccination'], expiresOn: null });
    expect(failed(await tryLogin(TOTTORI, 'tt-new', GOOD_PASSWORD))).toBe('ACCOUNT_PENDING');
    expect((await lastAudit(TOTTORI, 'login_failed', 'tt-new'))!.detail).toMatchObject({ reason: 'ACCOUNT_PENDING' });

    const expiresOn = addDaysIso(today(), 180);
    const r = await runAs(app.db, admin, (w) => approveAccount(w, applied.id, grant({ expiresOn, reason: '4月1日付 配属' })));
    expect(r.initialPassword).toBeUndefined(); // the applicant set their own password
    expect(r.account).toMatchObject({ status: 'active', role: 'clerk', duties: ['vaccination'], mynumberView: false, expiresOn, approvedBy: 'tt-admin' });
    const approve = await lastAudit(TOTTORI, 'account_approve', 'tt-admin');
    expect(approve).toMatchObject({ target_id: applied.id, outcome: 'success', actor_kind: 'staff' });
    expect((await lastAudit(TOTTORI, 'permission_change', 'tt-admin'))!.detail).toMatchObject({ before: null, after: { role: 'clerk', duties: ['vaccination'], expiresOn } });
    const ledger = await runAs(app.db, admin, (w) => accountEvents(w, applied.id));
    expect(ledger.map((e) => [e.event, e.actor])).toEqual([['applied', 'tt-clerk'], ['approved', 'tt-admin']]);

    const s = ok(await tryLogin(TOTTORI, 'tt-new', GOOD_PASSWORD));
    expect(s).toMatchObject({ tenant: TOTTORI, mustChangePassword: false, fullName: '職員 tt-new' });
    expect(s.cookie).toMatch(/^312011\.[A-Za-z0-9_-]{43}$/);
    const entry = await lastAudit(TOTTORI, 'login', 'tt-new');
    expect(entry).toMatchObject({ outcome: 'success', target_type: 'session', target_id: s.sessionId, client_address: '192.0.2.10', terminal_id: 'lgwan-01', actor_id: applied.id });
    const who = await authenticate(app.db, s.cookie, meta());
    expect(who).toMatchObject({ sessionId: s.sessionId, actor: { id: applied.id, login: 'tt-new', role: 'clerk', duties: ['vaccination'] } });
    await logout(app.db, who!, meta());
    expect(await authenticate(app.db, s.cookie, meta())).toBeNull();
    expect(await lastAudit(TOTTORI, 'logout', 'tt-new')).toMatchObject({ target_id: s.sessionId });
  });

  it('an application without a password gets a one-time initial password that must be changed (KRN-22)', async () => {
    const a = await apply(admin, 'tt-initial', { password: undefined });
    const r = await runAs(app.db, admin, (w) => approveAccount(w, a.id, grant()));
    expect(r.initialPassword).toMatch(/^.{16}$/);
    expect(r.account.mustChangePassword).toBe(true);
    const s = ok(await tryLogin(TOTTORI, 'tt-initial', r.initialPassword!));
    expect(s.mustChangePassword).toBe(true);
    await runAs(app.db, principalOf(s), (w) => changePassword(w, { currentPassword: r.initialPassword, newPassword: 'Initial-Changed-2026' }));
    expect(ok(await tryLogin(TOTTORI, 'tt-initial', 'Initial-Changed-2026')).mustChangePassword).toBe(false);
  });

  it('approval by a non-administrator is denied (403) and logged as denied; another tenant\'s administrator finds nothing (KRN-18, KRN-24)', async () => {
    const a = await apply(clerk, 'tt-wants-in');
    const supervisor = (await staff(app, TOTTORI, { login: 'tt-super', role: 'supervisor' })).principal;
    for (const [p, login] of [[clerk, 'tt-clerk'], [supervisor, 'tt-super']] as const) {
      await expectProblem(runAs(app.db, p, (w) => approveAccount(w, a.id, grant())), { status: 403, code: 'FORBIDDEN' });
      const denied = await lastAudit(TOTTORI, 'access_denied', login);
      expect(denied).toMatchObject({ outcome: 'denied', target_type: 'account', target_id: a.id });
      expect(denied!.detail).toMatchObject({ permission: 'accounts.manage', duty: 'account-admin' });
    }
    const sendaiAdmin = (await staff(app, SENDAI, { login: 'sd-admin', role: 'admin' })).principal;
    await expectProblem(runAs(app.db, sendaiAdmin, (w) => approveAccount(w, a.id, grant())), { status: 404 });
    const row = await app.db.system.selectFrom('kernel.accounts').select(['status', 'role']).where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'applied', role: null });
    // Ordinary users have no permission-management function at all (KRN-24).
    await expectProblem(runAs(app.db, clerk, (w) => accessTableCsv(w)), { status: 403 });
    await expectProblem(runAs(app.db, clerk, (w) => updateSettings(w, { lockout_threshold: 20 })), { status: 403 });
  });

  it('role × duty separation: privileged roles hold only their own duty, and never the My Number flag (KRN-24, KRN-28, KRN-29)', async () => {
    const a = await apply(admin, 'tt-sep');
    const before = await app.db.system.selectFrom('kernel.accounts').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    const refused: [Record<string, unknown>, string, string][] = [
      [{ role: 'admin', duties: ['vaccination'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'admin', duties: ['account-admin', 'relief'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'admin', duties: ['audit-review'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'admin', duties: [] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'auditor', duties: ['account-admin'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'clerk', duties: ['account-admin'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'nurse', duties: ['vaccination', 'audit-review'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'supervisor', duties: ['account-admin'] }, 'duties', 'ROLE_DUTY_CONFLICT'],
      [{ role: 'admin', duties: ['account-admin'], mynumberView: true }, 'mynumberView', 'MYNUMBER_FLAG_PRIVILEGED'],
      [{ role: 'auditor', duties: ['audit-review'], mynumberView: true }, 'mynumberView', 'MYNUMBER_FLAG_PRIVILEGED'],
      [{ role: 'clerk', duties: [] }, 'duties', 'DUTY_REQUIRED'],
      [{ role: 'root' }, 'role', 'ROLE_UNKNOWN'],
      [{ duties: ['everything'] }, 'duties.0', 'DUTY_UNKNOWN'],
      [{ expiresOn: addDaysIso(today(), -1) }, 'expiresOn', 'EXPIRY_IN_PAST'],
      [{ expiresOn: addDaysIso(today(), 366 * 5 + 1) }, 'expiresOn', 'EXPIRY_TOO_FAR'],
      [{ expiresOn: '2026-02-30' }, 'expiresOn', 'DATE_FORMAT'],
      [{ mynumberView: 'yes' }, 'mynumberView', 'VALIDATION_FAILED'],
    ];
    for (const [g, field, code] of refused) {
      await expectProblem(runAs(app.db, admin, (w) => approveAccount(w, a.id, grant(g))), { status: 400, field, code });
    }
    const after = await app.db.system.selectFrom('kernel.accounts').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    // Allowed combinations.
    const ok1 = await runAs(app.db, admin, (w) => approveAccount(w, a.id, grant({ role: 'nurse', duties: ['relief', 'vaccination'], mynumberView: true })));
    expect(ok1.account).toMatchObject({ role: 'nurse', duties: ['relief', 'vaccination'], mynumberView: true });
    // changeGrants follows the same rules, and a change is a logged permission change.
    await expectProblem(runAs(app.db, admin, (w) => changeGrants(w, a.id, grant({ role: 'admin', duties: ['account-admin'], mynumberView: true }))), { status: 400, field: 'mynumberView' });
    const changed = await runAs(app.db, admin, (w) => changeGrants(w, a.id, grant({ role: 'viewer', duties: ['relief'], reason: '担当替え' })));
    expect(changed).toMatchObject({ role: 'viewer', duties: ['relief'], mynumberView: false });
    const pc = await lastAudit(TOTTORI, 'permission_change', 'tt-admin');
    expect(pc).toMatchObject({ target_id: a.id, purpose: '担当替え' });
    expect(pc!.detail).toMatchObject({ before: { role: 'nurse', mynumberView: true }, after: { role: 'viewer', mynumberView: false } });
    // No administrator can raise their own privileges.
    await expectProblem(runAs(app.db, admin, (w) => changeGrants(w, admin.actor.id!, grant({ role: 'admin', duties: ['account-admin'] }))), { status: 409, code: 'SELF_GRANT' });
  });

  it('contractor accounts need a company and a contract end, expire no later than it, and cannot be privileged (KRN-47)', async () => {
    const end = addDaysIso(today(), 200);
    const contractor = { kind: 'contractor', contractorCompany: '株式会社委託テスト', contractEnd: end };
    await expectProblem(apply(admin, 'ct-1', { kind: 'contractor', contractEnd: end }), { status: 400, field: 'contractorCompany' });
    await expectProblem(apply(admin, 'ct-1', { kind: 'contractor', contractorCompany: '株式会社委託テスト' }), { status: 400, field: 'contractEnd' });
    await expectProblem(apply(admin, 'ct-1', { ...contractor, requestedRole: 'admin', requestedDuties: ['account-admin'] }), { status: 400, field: 'requestedRole', code: 'CONTRACTOR_PRIVILEGED' });
    const a = await apply(admin, 'ct-1', contractor);
    expect(a).toMatchObject({ kind: 'contractor', contractorCompany: '株式会社委託テスト', contractEnd: end });
    await expectProblem(runAs(app.db, admin, (w) => approveAccount(w, a.id, grant({ expiresOn: addDaysIso(end, 1) }))), { status: 400, field: 'expiresOn', code: 'EXPIRY_AFTER_CONTRACT' });
    await expectProblem(runAs(app.db, admin, (w) => approveAccount(w, a.id, grant({ role: 'admin', duties: ['account-admin'] }))), { status: 400, field: 'role', code: 'CONTRACTOR_PRIVILEGED' });
    await expectProblem(runAs(app.db, admin, (w) => approveAccount(w, a.id, grant({ role: 'auditor', duties: ['audit-review'] }))), { status: 400, field: 'role', code: 'CONTRACTOR_PRIVILEGED' });
    const r = await runAs(app.db, admin, (w) => approveAccount(w, a.id, grant({ expiresOn: end })));
    expect(r.account).toMatchObject({ kind: 'contractor', status: 'active', expiresOn: end });
    // The database refuses an expiry past the contract end even when the application is bypassed.
    await expect(sql`UPDATE kernel.accounts SET expires_on = ${addDaysIso(end, 30)} WHERE id = ${a.id}`.execute(app.db.system)).rejects.toThrow(/check constraint/);
    await expect(sql`UPDATE kernel.accounts SET contractor_company = NULL WHERE id = ${a.id}`.execute(app.db.system)).rejects.toThrow(/check constraint/);
  });

  it('there is no shared account kind: the API refuses it and a database CHECK rejects it (KRN-17)', async () => {
    for (const kind of ['shared', 'group', 'common', 'Staff', '']) {
      await expectProblem(apply(admin, `kind-${kind.length}`, { kind }), { status: 400, field: 'kind' });
    }
    await expect(
      sql`INSERT INTO kernel.accounts (tenant_code, login_id, kind, full_name, status, application_reason) VALUES (${TOTTORI}, 'shared-desk', 'shared', '窓口共用', 'applied', 'x')`.execute(app.db.system),
    ).rejects.toThrow(/check constraint/);
    await expect(sql`UPDATE kernel.accounts SET kind = 'shared' WHERE tenant_code = ${TOTTORI} AND login_id = 'tt-clerk'`.execute(app.db.system)).rejects.toThrow(/check constraint/);
    const kinds = await sql<{ kind: string }>`SELECT DISTINCT kind FROM kernel.accounts`.execute(app.db.system);
    expect(kinds.rows.every((r) => r.kind === 'staff' || r.kind === 'contractor')).toBe(true);
    // One login id per tenant: a second application for it is refused.
    await expectProblem(apply(admin, 'tt-clerk'), { status: 409, field: 'loginId', code: 'LOGIN_ID_TAKEN' });
  });

  // ---------------------------------------------------------------- suspension and revocation

  it('suspend ends every session at once; reinstate lets the person in again (KRN-19)', async () => {
    const u = await staff(app, TOTTORI, { login: 'tt-susp' });
    const s1 = ok(await tryLogin(TOTTORI, 'tt-susp', GOOD_PASSWORD));
    const s2 = ok(await tryLogin(TOTTORI, 'tt-susp', GOOD_PASSWORD));
    expect(await authenticate(app.db, s1.cookie, meta())).not.toBeNull();
    const view = await runAs(app.db, admin, (w) => suspendAccount(w, u.account.id, '長期休職'));
    expect(view.status).toBe('suspended');
    expect(await authenticate(app.db, s1.cookie, meta())).toBeNull();
    expect(await authenticate(app.db, s2.cookie, meta())).toBeNull();
    const sessions = await app.db.system.selectFrom('kernel.sessions').select(['ended_at', 'end_reason']).where('account_id', '=', u.account.id).execute();
    expect(sessions.map((s) => s.end_reason)).toEqual(['suspended', 'suspended']);
    expect(failed(await tryLogin(TOTTORI, 'tt-susp', GOOD_PASSWORD))).toBe('ACCOUNT_SUSPENDED');
    expect(await lastAudit(TOTTORI, 'account_suspend', 'tt-admin')).toMatchObject({ target_id: u.account.id, purpose: '長期休職' });
    await runAs(app.db, admin, (w) => reinstateAccount(w, u.account.id, '復職'));
    expect(ok(await tryLogin(TOTTORI, 'tt-susp', GOOD_PASSWORD)).actor.id).toBe(u.account.id);
  });

  it.each([
    ['transfer', '人事異動'],
    ['retirement', '退職'],
    ['contract-end', '契約終了'],
  ] as const)('revocation (%s) ends every session at once and is final (KRN-20)', async (cause, label) => {
    const login = `tt-rev-${cause}`;
    const u = await staff(app, TOTTORI, { login, mynumberView: true, ...(cause === 'contract-end' ? { kind: 'contractor' as const, expiresOn: addDaysIso(today(), 100) } : {}) });
    const s = ok(await tryLogin(TOTTORI, login, GOOD_PASSWORD));
    const view = await runAs(app.db, admin, (w) => revokeAccount(w, u.account.id, { cause, reason: '令和8年4月1日付' }));
    expect(view).toMatchObject({ status: 'revoked', statusReason: `${label}: 令和8年4月1日付`, mynumberView: false });
    expect(await authenticate(app.db, s.cookie, meta())).toBeNull();
    expect(failed(await tryLogin(TOTTORI, login, GOOD_PASSWORD))).toBe('ACCOUNT_REVOKED');
    expect((await lastAudit(TOTTORI, 'login_failed', login))!.detail).toMatchObject({ reason: 'ACCOUNT_REVOKED' });
    const entries = await auditRows(app, TOTTORI, { action: 'account_revoke', target_id: u.account.id });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_login: 'tt-admin', outcome: 'success', purpose: `${label}: 令和8年4月1日付` });
    expect(entries[0]!.detail).toMatchObject({ cause });
    const ledger = await runAs(app.db, admin, (w) => accountEvents(w, u.account.id));
    expect(ledger.at(-1)).toMatchObject({ event: 'revoked', detail: { cause, sessionsEnded: 1 } });
    await expectProblem(runAs(app.db, admin, (w) => revokeAccount(w, u.account.id, { cause, reason: '再度' })), { status: 409, code: 'ALREADY_ENDED' });
    await expectProblem(runAs(app.db, admin, (w) => reinstateAccount(w, u.account.id, '戻す')), { status: 409 });
  });

  it('an administrator cannot revoke or suspend their own account', async () => {
    await expectProblem(runAs(app.db, admin, (w) => revokeAccount(w, admin.actor.id!, { cause: 'other', reason: 'x' })), { status: 409, code: 'SELF_REVOKE' });
    await expectProblem(runAs(app.db, admin, (w) => suspendAccount(w, admin.actor.id!, 'x')), { status: 409, code: 'SELF_SUSPEND' });
  });

  // ---------------------------------------------------------------- login

  it('wrong passwords count up and lock the account at the threshold (default 5); locked means locked (KRN-22)', async () => {
    const u = await staff(app, TOTTORI, { login: 'tt-lock' });
    const t0 = app.config.clock.now();
    for (let i = 1; i <= 4; i++) {
      expect(failed(await tryLogin(TOTTORI, 'tt-lock', 'Wrong-Password-1', { now: t0 }))).toBe('AUTH_FAILED');
      const row = await app.db.system.selectFrom('kernel.accounts').select(['failed_logins', 'locked_until']).where('id', '=', u.account.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ failed_logins: i, locked_until: null });
    }
    // The wrong password that locks the account answers like any other (decision 0125: no enumeration).
    expect(failed(await tryLogin(TOTTORI, 'tt-lock', 'Wrong-Password-1', { now: t0 }))).toBe('AUTH_FAILED');
    expect(failed(await tryLogin(TOTTORI, 'tt-lock', 'Wrong-Password-1', { now: t0 }))).toBe('AUTH_FAILED');
    const locked = await app.db.system.selectFrom('kernel.accounts').select(['locked_until']).where('id', '=', u.account.id).executeTakeFirstOrThrow();
    expect(new Date(locked.locked_until as Date).getTime()).toBe(t0.getTime() + minutes(30));
    expect(await lastAudit(TOTTORI, 'account_lock', 'tt-lock')).toMatchObject({ target_id: u.account.id });
    const fails = await auditRows(app, TOTTORI, { action: 'login_failed', actor_login: 'tt-lock' });
    expect(fails.map((f) => (f.detail as { reason: string }).reason)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    expect(fails.map((f) => f.detail as Record<string, unknown>).slice(4)).toEqual([expect.objectContaining({ locked: true }), expect.objectContaining({ cause: 'locked' })]);
    expect(fails.every((f) => f.outcome === 'failure' && f.client_address === '192.0.2.10')).toBe(true);
    // The right password does not help while locked …
    expect(failed(await tryLogin(TOTTORI, 'tt-lock', GOOD_PASSWORD, { now: new Date(t0.getTime() + minutes(29)) }))).toBe('ACCOUNT_LOCKED');
    // … until locked_until has passed …
    ok(await tryLogin(TOTTORI, 'tt-lock', GOOD_PASSWORD, { now: new Date(t0.getTime() + minutes(31)) }));
    // … or an administrator unlocks it.
    for (let i = 0; i < 5; i++) await tryLogin(TOTTORI, 'tt-lock', 'Wrong-Password-1');
    expect(failed(await tryLogin(TOTTORI, 'tt-lock', GOOD_PASSWORD))).toBe('ACCOUNT_LOCKED');
    await expectProblem(runAs(app.db, clerk, (w) => unlockAccount(w, u.account.id)), { status: 403 });
    expect((await runAs(app.db, admin, (w) => unlockAccount(w, u.account.id))).locked).toBe(false);
    ok(await tryLogin(TOTTORI, 'tt-lock', GOOD_PASSWORD));
  });

  it('the lockout threshold is the tenant\'s setting', async () => {
    const edAdmin = (await staff(app, EDOGAWA, { login: 'ed-admin', role: 'admin' })).principal;
    await runAs(app.db, edAdmin, (w) => updateSettings(w, { lockout_threshold: 3 }));
    await expectProblem(runAs(app.db, edAdmin, (w) => updateSettings(w, { lockout_threshold: 1 })), { status: 400, field: 'lockout_threshold' });
    await staff(app, EDOGAWA, { login: 'ed-user' });
    expect(failed(await tryLogin(EDOGAWA, 'ed-user', 'Wrong-Password-1'))).toBe('AUTH_FAILED');
    expect(failed(await tryLogin(EDOGAWA, 'ed-user', 'Wrong-Password-1'))).toBe('AUTH_FAILED');
    expect(failed(await tryLogin(EDOGAWA, 'ed-user', 'Wrong-Password-1'))).toBe('AUTH_FAILED');
    expect(failed(await tryLogin(EDOGAWA, 'ed-user', GOOD_PASSWORD))).toBe('ACCOUNT_LOCKED');
    // TOTTORI still has the default.
    await staff(app, TOTTORI, { login: 'tt-three' });
    for (let i = 0; i < 3; i++) expect(failed(await tryLogin(TOTTORI, 'tt-three', 'Wrong-Password-1'))).toBe('AUTH_FAILED');
    ok(await tryLogin(TOTTORI, 'tt-three', GOOD_PASSWORD));
    expect(await lastAudit(EDOGAWA, 'settings_change', 'ed-admin')).toMatchObject({ outcome: 'success' });
  });

  it('expired, revoked, suspended, applied and locked accounts cannot log in, each with its code and a login_failed entry (issue 2 "Bad input")', async () => {
    // Expired: approved in the past with an expiry that has passed.
    const e = await apply(admin, 'tt-expired');
    await runAs(app.db, admin, (w) => approveAccount(w, e.id, grant({ expiresOn: '2020-03-31' }), '2020-01-01'));
    expect(failed(await tryLogin(TOTTORI, 'tt-expired', GOOD_PASSWORD))).toBe('ACCOUNT_EXPIRED');
    const row = await app.db.system.selectFrom('kernel.accounts').select('status').where('id', '=', e.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    expect(await lastAudit(TOTTORI, 'account_expire', 'tt-expired')).toMatchObject({ target_id: e.id });
    expect(failed(await tryLogin(TOTTORI, 'tt-expired', GOOD_PASSWORD))).toBe('ACCOUNT_EXPIRED');

    const r = (await staff(app, TOTTORI, { login: 'tt-revoked' })).account;
    await runAs(app.db, admin, (w) => revokeAccount(w, r.id, { cause: 'retirement', reason: '定年退職' }));
    const s = (await staff(app, TOTTORI, { login: 'tt-suspended' })).account;
    await runAs(app.db, admin, (w) => suspendAccount(w, s.id, '調査中'));
    await apply(admin, 'tt-applied');
    const rej = await apply(admin, 'tt-rejected');
    await runAs(app.db, admin, (w) => rejectApplication(w, rej.id, '所属長の承認なし'));
    await staff(app, TOTTORI, { login: 'tt-locked' });
    for (let i = 0; i < 5; i++) await tryLogin(TOTTORI, 'tt-locked', 'Wrong-Password-1');

    for (const [loginId, code] of [
      ['tt-revoked', 'ACCOUNT_REVOKED'],
      ['tt-suspended', 'ACCOUNT_SUSPENDED'],
      ['tt-applied', 'ACCOUNT_PENDING'],
      ['tt-locked', 'ACCOUNT_LOCKED'],
      ['tt-rejected', 'AUTH_FAILED'],
      ['nobody-here', 'AUTH_FAILED'],
    ] as const) {
      const o = await tryLogin(TOTTORI, loginId, GOOD_PASSWORD);
      expect(failed(o), loginId).toBe(code);
      if (!o.ok) expect(o.problem.title).toBe('ログインできません');
      const f = await lastAudit(TOTTORI, 'login_failed', loginId);
      expect(f, loginId).toMatchObject({ outcome: 'failure', tenant_code: TOTTORI });
      expect((f!.detail as { reason: string }).reason).toBe(code);
    }
    // A wrong password on an ended account does not reveal the account's state.
    expect(failed(await tryLogin(TOTTORI, 'tt-revoked', 'Wrong-Password-1'))).toBe('AUTH_FAILED');
  });

  it('an unknown or malformed organisation code is an input error naming the field "tenant"', async () => {
    for (const tenant of ['999999', '000000', 'abc', '', CLINIC, '３１２０１２']) {
      const e = await expectProblem(tryLogin(tenant, 'tt-clerk', GOOD_PASSWORD), { status: 400, field: 'tenant' });
      expect(e.code).toMatch(/ORG_UNKNOWN|VALIDATION_FAILED/);
    }
    // A real tenant that has no such login.
    expect(failed(await tryLogin(SENDAI, 'tt-clerk', GOOD_PASSWORD))).toBe('AUTH_FAILED');
    // Full-width digits of a real code are accepted.
    ok(await tryLogin('３１２０１１', 'tt-clerk', GOOD_PASSWORD));
  });

  it('an idle session ends after idle_timeout_minutes and the end is logged (KRN-27)', async () => {
    await staff(app, TOTTORI, { login: 'tt-idle' });
    const t0 = app.config.clock.now();
    const s = ok(await tryLogin(TOTTORI, 'tt-idle', GOOD_PASSWORD, { now: t0 }));
    const at = (m: number) => new Date(t0.getTime() + minutes(m));
    expect(await authenticate(app.db, s.cookie, meta(), at(10))).not.toBeNull(); // within 15 minutes; activity counts
    expect(await authenticate(app.db, s.cookie, meta(), at(24))).not.toBeNull(); // 14 minutes after the last request
    expect(await authenticate(app.db, s.cookie, meta(), at(40))).toBeNull(); // 16 minutes idle
    const row = await app.db.system.selectFrom('kernel.sessions').select(['end_reason', 'ended_at']).where('id', '=', s.sessionId).executeTakeFirstOrThrow();
    expect(row.end_reason).toBe('idle-timeout');
    expect(new Date(row.ended_at as Date).getTime()).toBe(at(40).getTime());
    const end = await lastAudit(TOTTORI, 'session_end', 'tt-idle');
    expect(end).toMatchObject({ target_id: s.sessionId });
    expect(end!.detail).toMatchObject({ reason: 'idle-timeout' });
    expect(await authenticate(app.db, s.cookie, meta(), at(41))).toBeNull();
    expect((await auditRows(app, TOTTORI, { action: 'session_end', actor_login: 'tt-idle' })).length).toBe(1);
    // Garbage cookies are simply not sessions.
    for (const c of [undefined, '', 'x', `${TOTTORI}.short`, `${TOTTORI}.${'A'.repeat(43)}`, "312011.'; DROP TABLE kernel.sessions; --"]) {
      expect(await authenticate(app.db, c, meta())).toBeNull();
    }
  });

  it('a session also ends at its maximum age, and when its account expires', async () => {
    const edAdmin = (await staff(app, EDOGAWA, { login: 'ed-admin-2', role: 'admin' })).principal;
    await runAs(app.db, edAdmin, (w) => updateSettings(w, { session_max_hours: 1 }));
    await staff(app, EDOGAWA, { login: 'ed-maxage' });
    const t0 = app.config.clock.now();
    const s = ok(await tryLogin(EDOGAWA, 'ed-maxage', GOOD_PASSWORD, { now: t0 }));
    for (const m of [10, 20, 30, 40, 50]) expect(await authenticate(app.db, s.cookie, meta(), new Date(t0.getTime() + minutes(m)))).not.toBeNull();
    expect(await authenticate(app.db, s.cookie, meta(), new Date(t0.getTime() + minutes(61)))).toBeNull();
    expect((await lastAudit(EDOGAWA, 'session_end', 'ed-maxage'))!.detail).toMatchObject({ reason: 'max-age' });

    // The account's expiry date passes while the session is in use.
    const exp = await staff(app, EDOGAWA, { login: 'ed-expiring' });
    const s2 = ok(await tryLogin(EDOGAWA, 'ed-expiring', GOOD_PASSWORD));
    expect(await authenticate(app.db, s2.cookie, meta())).not.toBeNull();
    await sql`UPDATE kernel.accounts SET expires_on = ${addDaysIso(today(), -1)} WHERE id = ${exp.account.id}`.execute(app.db.system);
    expect(await authenticate(app.db, s2.cookie, meta())).toBeNull();
    expect((await lastAudit(EDOGAWA, 'session_end', 'ed-expiring'))!.detail).toMatchObject({ reason: 'account-expired' });
  });

  // ---------------------------------------------------------------- passwords

  it('password policy: length, character classes, no login id, no runs (KRN-22)', async () => {
    const bad: [string, RegExp][] = [
      ['Short-1a', /12文字以上/],
      ['alllowercaseletters', /3種類以上/],
      ['Tt-policy-User-9', /ログインID/],
      ['Aaaaa-1111-bbbb', /4回以上/],
    ];
    for (const [pw, why] of bad) {
      const e = await expectProblem(apply(admin, 'tt-policy-user', { password: pw }), { status: 400, field: 'password', code: 'PASSWORD_POLICY' });
      expect(e.errors[0]!.message).toMatch(why);
      expect(e.errors[0]!.message).not.toContain(pw);
    }
    // Three classes of four, twelve or more characters: accepted.
    expect((await apply(admin, 'tt-policy-user', { password: 'ALLUPPER-12345' })).status).toBe('applied');
  });

  it('argon2id hashes only: no password is stored or logged in clear', async () => {
    const hashes = await sql<{ h: string }>`SELECT password_hash AS h FROM kernel.accounts WHERE password_hash IS NOT NULL
                                            UNION ALL SELECT password_hash FROM kernel.password_history`.execute(app.db.system);
    expect(hashes.rows.length).toBeGreaterThan(5);
    for (const r of hashes.rows) expect(r.h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    for (const table of ['kernel.accounts', 'kernel.password_history', 'kernel.audit_log', 'kernel.account_events', 'kernel.sessions']) {
      const dump = await sql<{ j: string | null }>`SELECT string_agg(row_to_json(t)::text, '|') AS j FROM ${sql.raw(table)} t`.execute(app.db.system);
      expect(dump.rows[0]!.j ?? '', table).not.toContain(GOOD_PASSWORD);
      expect(dump.rows[0]!.j ?? '', table).not.toContain('Wrong-Password-1');
    }
  });

  it('password change: current password checked, history reuse refused, expiry forces a change (KRN-22)', async () => {
    const u = await staff(app, TOTTORI, { login: 'tt-pw' });
    const t0 = app.config.clock.now();
    const s = ok(await tryLogin(TOTTORI, 'tt-pw', GOOD_PASSWORD, { now: t0 }));
    const p = principalOf(s);
    await expectProblem(runAs(app.db, p, (w) => changePassword(w, { currentPassword: 'Not-The-Password-1', newPassword: 'Second-Password-22' })), { status: 400, field: 'currentPassword' });
    await expectProblem(runAs(app.db, p, (w) => changePassword(w, { currentPassword: GOOD_PASSWORD, newPassword: GOOD_PASSWORD })), { status: 400, field: 'newPassword', code: 'PASSWORD_SAME' });
    await expectProblem(runAs(app.db, p, (w) => changePassword(w, { currentPassword: GOOD_PASSWORD, newPassword: 'short' })), { status: 400, field: 'newPassword', code: 'PASSWORD_POLICY' });
    await runAs(app.db, p, (w) => changePassword(w, { currentPassword: GOOD_PASSWORD, newPassword: 'Second-Password-22' }));
    await runAs(app.db, p, (w) => changePassword(w, { currentPassword: 'Second-Password-22', newPassword: 'Third-Password-333' }));
    await expectProblem(runAs(app.db, p, (w) => changePassword(w, { currentPassword: 'Third-Password-333', newPassword: GOOD_PASSWORD })), { status: 400, field: 'newPassword', code: 'PASSWORD_REUSED' });
    await expectProblem(runAs(app.db, p, (w) => changePassword(w, { currentPassword: 'Third-Password-333', newPassword: 'Second-Password-22' })), { status: 400, field: 'newPassword', code: 'PASSWORD_REUSED' });
    expect(failed(await tryLogin(TOTTORI, 'tt-pw', GOOD_PASSWORD))).toBe('AUTH_FAILED');
    expect(ok(await tryLogin(TOTTORI, 'tt-pw', 'Third-Password-333')).mustChangePassword).toBe(false);
    expect((await auditRows(app, TOTTORI, { action: 'password_change', actor_login: 'tt-pw' })).length).toBe(2);
    // 181 days later (default password_max_age_days = 180) the login succeeds but forces a change.
    const later = new Date(t0.getTime() + days(181));
    const old = ok(await tryLogin(TOTTORI, 'tt-pw', 'Third-Password-333', { now: later }));
    expect(old.mustChangePassword).toBe(true);
    const row = await app.db.system.selectFrom('kernel.accounts').select('must_change_password').where('id', '=', u.account.id).executeTakeFirstOrThrow();
    expect(row.must_change_password).toBe(true);
    expect((await authenticate(app.db, old.cookie, meta(), later))!.mustChangePassword).toBe(true);
  });

  // ---------------------------------------------------------------- TOTP

  it('optional TOTP: required once enrolled, wrong and replayed codes refused (KRN-23)', async () => {
    const u = await staff(app, TOTTORI, { login: 'tt-totp' });
    const t0 = Math.floor(app.config.clock.now().getTime() / 1000 / 30) * 30; // start of a 30-second step
    const { secret, uri } = await runAs(app.db, u.principal, (w) => beginTotpEnrollment(app.tenantKeys, w, 'Mamori'));
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    const stored = await app.db.system.selectFrom('kernel.accounts').select(['totp_secret', 'totp_enabled']).where('id', '=', u.account.id).executeTakeFirstOrThrow();
    expect(stored.totp_enabled).toBe(false);
    expect(stored.totp_secret!.includes(Buffer.from(secret))).toBe(false);
    // Not enabled until confirmed: a login still works without a code.
    ok(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD));
    await expectProblem(runAs(app.db, u.principal, (w) => confirmTotpEnrollment(app.tenantKeys, w, '12ab')), { status: 400, field: 'totp' });
    const code0 = await generate({ secret, epoch: t0 });
    await runAs(app.db, u.principal, (w) => confirmTotpEnrollment(app.tenantKeys, w, code0, new Date(t0 * 1000)));
    expect(await lastAudit(TOTTORI, 'mfa_enroll', 'tt-totp')).toMatchObject({ target_id: u.account.id });

    const t1 = new Date((t0 + 90) * 1000);
    expect(failed(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: t1 }))).toBe('MFA_REQUIRED');
    const right = await generate({ secret, epoch: t0 + 90 });
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    expect(failed(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: t1, totp: wrong }))).toBe('MFA_FAILED');
    const acc = await app.db.system.selectFrom('kernel.accounts').select('failed_logins').where('id', '=', u.account.id).executeTakeFirstOrThrow();
    expect(acc.failed_logins).toBe(1);
    await expectProblem(tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: t1, totp: '12ab56' }), { status: 400, field: 'totp' });
    const s = ok(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: t1, totp: right }));
    expect((await lastAudit(TOTTORI, 'login', 'tt-totp'))!.detail).toMatchObject({ mfa: true });
    expect(s.actor.id).toBe(u.account.id);
    // The same code again (a replay) is refused, even within its validity window.
    expect(failed(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: new Date((t0 + 95) * 1000), totp: right }))).toBe('MFA_FAILED');
    // So is the code the enrolment used (long past its window); the next step's code works.
    expect(failed(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: t1, totp: code0 }))).toBe('MFA_FAILED');
    const next = await generate({ secret, epoch: t0 + 120 });
    ok(await tryLogin(TOTTORI, 'tt-totp', GOOD_PASSWORD, { now: new Date((t0 + 120) * 1000), totp: next }));
  });

  // ---------------------------------------------------------------- 棚卸し

  it('access table CSV: BOM, one row per account, no secrets, formula-safe, logged as an export (KRN-21, KRN-25)', async () => {
    await apply(admin, 'tt-formula', { fullName: '=HYPERLINK("http://example.invalid")', department: '+健康推進課' });
    await apply(admin, 'tt-formula2', { fullName: '＋cmd 全角', department: '－健康推進課' });
    const csv = await runAs(app.db, admin, (w) => accessTableCsv(w));
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('ログインID,氏名,所属,種別,委託先事業者,契約終了日,状態,役割,所掌事務,個人番号閲覧,有効期限,最終ログイン,承認者,承認日時');
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts WHERE tenant_code = ${TOTTORI}`.execute(app.db.system);
    expect(lines.length - 1).toBe(count.rows[0]!.n);
    expect(csv).toContain(`tt-formula,"'=HYPERLINK(""http://example.invalid"")",'+健康推進課,職員,`);
    expect(csv).toContain(`tt-formula2,'＋cmd 全角,'－健康推進課,職員,`);
    expect(lines.find((l) => l.startsWith('tt-admin,'))).toContain('システム管理者（特権）,アカウント管理,不可');
    expect(lines.find((l) => l.startsWith('ct-1,'))).toContain(',委託先,株式会社委託テスト,');
    expect(csv).not.toContain('$argon2');
    expect(await lastAudit(TOTTORI, 'export', 'tt-admin')).toMatchObject({ target_type: 'account' });
  });

  it('review report lists unused, expiring, privileged and My Number-capable accounts (KRN-21)', async () => {
    await staff(app, TOTTORI, { login: 'tt-mn-holder', mynumberView: true });
    await staff(app, TOTTORI, { login: 'tt-soon', expiresOn: addDaysIso(today(), 10) });
    await staff(app, TOTTORI, { login: 'tt-active' });
    const inForty = new Date(app.config.clock.now().getTime() + days(40));
    ok(await tryLogin(TOTTORI, 'tt-active', GOOD_PASSWORD, { now: new Date(app.config.clock.now().getTime() + days(35)) }));
    const r = await runAs(app.db, admin, (w) => reviewReport(w, { now: inForty, today: jstToday(inForty), expiringDays: 50 }));
    const logins = (l: { loginId: string }[]) => l.map((a) => a.loginId);
    expect(r.inactiveDays).toBe(30);
    expect(logins(r.inactive)).toContain('tt-mn-holder');
    expect(logins(r.inactive)).not.toContain('tt-active');
    expect(logins(r.expiringSoon)).toContain('tt-soon');
    expect(logins(r.expiringSoon)).not.toContain('tt-active');
    expect(logins(r.privileged)).toEqual(['tt-admin']);
    expect(logins(r.mynumberHolders)).toContain('tt-mn-holder');
    expect(r.mynumberHolders.every((a) => a.mynumberView && a.status !== 'revoked')).toBe(true);
    expect(logins(r.contractors)).toContain('ct-1');
    expect(logins(r.pendingApplications)).toContain('tt-applied');
    const current = await runAs(app.db, admin, (w) => reviewReport(w));
    expect(logins(current.locked)).toContain('tt-locked');
    expect(logins(current.inactive)).not.toContain('tt-mn-holder');
    expect(await lastAudit(TOTTORI, 'read', 'tt-admin')).toMatchObject({ target_type: 'account-review' });
  });

  it('the expiry sweep expires past-due accounts of its tenant only and ends their sessions (KRN-19)', async () => {
    const kobeOp = operatorOf(KOBE);
    await staff(app, KOBE, { login: 'kb-a', expiresOn: addDaysIso(today(), 5) });
    await staff(app, KOBE, { login: 'kb-b', expiresOn: addDaysIso(today(), 60) });
    const sA = ok(await tryLogin(KOBE, 'kb-a', GOOD_PASSWORD));
    const sB = ok(await tryLogin(KOBE, 'kb-b', GOOD_PASSWORD));
    const tottoriActive = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts WHERE tenant_code = ${TOTTORI} AND status = 'active'`.execute(app.db.system);
    const n = await runAs(app.db, kobeOp, (w) => expireAccounts(w, addDaysIso(today(), 30)));
    expect(n).toBe(1);
    const rows = await app.db.system.selectFrom('kernel.accounts').select(['login_id', 'status']).where('tenant_code', '=', KOBE).orderBy('login_id').execute();
    expect(rows).toEqual([{ login_id: 'kb-a', status: 'expired' }, { login_id: 'kb-b', status: 'active' }]);
    expect(await authenticate(app.db, sA.cookie, meta())).toBeNull();
    expect(await authenticate(app.db, sB.cookie, meta())).not.toBeNull();
    expect(failed(await tryLogin(KOBE, 'kb-a', GOOD_PASSWORD))).toBe('ACCOUNT_EXPIRED');
    expect((await auditRows(app, KOBE, { action: 'account_expire' })).length).toBe(1);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts WHERE tenant_code = ${TOTTORI} AND status = 'active'`.execute(app.db.system);
    expect(after.rows[0]!.n).toBe(tottoriActive.rows[0]!.n);
  });

  // ---------------------------------------------------------------- injection-shaped input

  describe('injection-shaped strings in every text field of the account API (issue 2 "Bad input")', () => {
    const PAYLOADS: readonly string[] = [
      "'; DROP TABLE kernel.accounts; --",
      "Robert'); DELETE FROM kernel.audit_log WHERE ('1'='1",
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      '${7*7}',
      '{{7*7}}',
      '../../etc/passwd',
      'a\u0000b',
      'line1\nline2',
      'x'.repeat(10_000),
      'ＡＢＣ全角テスト１２３',
      'ｶﾀｶﾅ',
      '😀🎉 絵文字',
      '𠮷野家',
      '=cmd|\' /C calc\'!A0',
      '%s%n%x',
      '\u202Eevil',
    ];
    let sapAdmin: Principal;
    let seq = 0;
    const nextLogin = () => `inj-${++seq}`;

    async function counts(): Promise<string> {
      const r = await sql<{ c: string }>`SELECT concat_ws(',',
          (SELECT count(*) FROM kernel.accounts), (SELECT count(*) FROM kernel.account_events), (SELECT count(*) FROM kernel.audit_log),
          (SELECT count(*) FROM kernel.password_history), (SELECT count(*) FROM kernel.sessions)) AS c`.execute(app.db.system);
      return r.rows[0]!.c;
    }

    /** Either a 400/409 Problem naming `field` with nothing written, or success. */
    async function attempt<T>(field: string, run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: Problem }> {
      const before = await counts();
      try {
        return { ok: true, value: await run() };
      } catch (e) {
        const p = await problemOf(Promise.reject(e));
        expect([400, 409], `${field}: status`).toContain(p.status);
        expect(p.errors.map((f) => f.field).some((f) => f === field || f.startsWith(`${field}.`)), `${field}: named in ${JSON.stringify(p.errors.map((x) => x.field))}`).toBe(true);
        expect(await counts(), `${field}: no partial write`).toBe(before);
        return { ok: false, problem: p };
      }
    }

    const baseApplication = (loginId: string) => ({ loginId, fullName: '札幌 太郎', requestedRole: 'clerk', requestedDuties: ['vaccination'], reason: '接種事務', kind: 'staff' });

    beforeAll(async () => {
      sapAdmin = (await staff(app, SAPPORO, { login: 'sp-admin', role: 'admin' })).principal;
    });

    it('applyForAccount: every field', async () => {
      type Case = { field: string; input: (p: string, login: string) => Record<string, unknown>; column?: string; expect?: (p: string) => string };
      const contractor = (login: string) => ({ ...baseApplication(login), kind: 'contractor', contractorCompany: '委託株式会社', contractEnd: addDaysIso(today(), 100) });
      const cases: Case[] = [
        { field: 'loginId', input: (p) => baseApplication(p), column: 'login_id', expect: (p) => p.trim().normalize('NFKC').toLowerCase() },
        { field: 'kind', input: (p, l) => ({ ...baseApplication(l), kind: p }) },
        { field: 'fullName', input: (p, l) => ({ ...baseApplication(l), fullName: p }), column: 'full_name' },
        { field: 'fullNameKana', input: (p, l) => ({ ...baseApplication(l), fullNameKana: p }), column: 'full_name_kana', expect: (p) => p.normalize('NFKC') },
        { field: 'department', input: (p, l) => ({ ...baseApplication(l), department: p }), column: 'department' },
        { field: 'email', input: (p, l) => ({ ...baseApplication(l), email: p }), column: 'email' },
        { field: 'contractorCompany', input: (p, l) => ({ ...contractor(l), contractorCompany: p }), column: 'contractor_company' },
        { field: 'contractEnd', input: (p, l) => ({ ...contractor(l), contractEnd: p }) },
        { field: 'requestedRole', input: (p, l) => ({ ...baseApplication(l), requestedRole: p }) },
        { field: 'requestedDuties', input: (p, l) => ({ ...baseApplication(l), requestedDuties: [p] }) },
        { field: 'reason', input: (p, l) => ({ ...baseApplication(l), reason: p }), column: 'application_reason' },
        { field: 'password', input: (p, l) => ({ ...baseApplication(l), password: p }), column: 'password_hash' },
      ];
      let accepted = 0;
      for (const c of cases) {
        for (const payload of PAYLOADS) {
          const loginId = nextLogin();
          const input = c.input(payload, loginId);
          const r = await attempt(c.field, () => runAs(app.db, sapAdmin, (w) => applyForAccount(w, input)));
          if (!r.ok) continue;
          accepted += 1;
          expect(c.column, `${c.field} accepted an injection-shaped value`).toBeDefined();
          const row = await app.db.system.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', SAPPORO).where('id', '=', r.value.id).executeTakeFirstOrThrow();
          const stored = row[c.column as keyof typeof row];
          if (c.field === 'password') {
            expect(String(stored)).toMatch(/^\$argon2id\$/);
            expect(String(stored)).not.toContain(payload);
          } else {
            const want = c.expect ? c.expect(payload) : payload;
            expect(stored, c.field).toBe(want);
            const viewKey = ({ login_id: 'loginId', full_name: 'fullName', full_name_kana: 'fullNameKana', department: 'department', email: 'email', contractor_company: 'contractorCompany', application_reason: 'applicationReason' } as const)[c.column as 'login_id'];
            expect(r.value[viewKey], c.field).toBe(want);
          }
        }
      }
      expect(accepted).toBeGreaterThan(20); // the free-text fields keep most payloads literally
    });

    it('approveAccount, changeGrants, rejectApplication, suspend, revoke: every field, and the id', async () => {
      const applied = async () => (await runAs(app.db, sapAdmin, (w) => applyForAccount(w, baseApplication(nextLogin())))).id;
      const grantCases: { field: string; input: (p: string) => Record<string, unknown>; column?: string }[] = [
        { field: 'role', input: (p) => grant({ role: p }) },
        { field: 'duties', input: (p) => grant({ duties: [p] }) },
        { field: 'expiresOn', input: (p) => grant({ expiresOn: p }) },
        { field: 'mynumberView', input: (p) => grant({ mynumberView: p }) },
        { field: 'reason', input: (p) => grant({ reason: p }), column: 'status_reason' },
      ];
      let target = await applied();
      for (const c of grantCases) {
        for (const payload of PAYLOADS) {
          const r = await attempt(c.field, () => runAs(app.db, sapAdmin, (w) => approveAccount(w, target, c.input(payload))));
          if (!r.ok) continue;
          expect(c.column, `${c.field} accepted an injection-shaped value`).toBeDefined();
          const row = await app.db.system.selectFrom('kernel.accounts').select(['status_reason', 'status']).where('id', '=', target).executeTakeFirstOrThrow();
          expect(row).toEqual({ status_reason: payload, status: 'active' });
          target = await applied();
        }
      }
      // rejectApplication(reason)
      for (const payload of PAYLOADS) {
        const r = await attempt('reason', () => runAs(app.db, sapAdmin, (w) => rejectApplication(w, target, payload)));
        if (!r.ok) continue;
        expect(r.value).toMatchObject({ status: 'rejected', statusReason: payload });
        target = await applied();
      }
      // suspendAccount(reason) and revokeAccount({cause, reason}) on active accounts.
      const active = async () => {
        const id = await applied();
        await runAs(app.db, sapAdmin, (w) => approveAccount(w, id, grant()));
        return id;
      };
      let live = await active();
      for (const payload of PAYLOADS) {
        const r = await attempt('reason', () => runAs(app.db, sapAdmin, (w) => suspendAccount(w, live, payload)));
        if (!r.ok) continue;
        expect(r.value).toMatchObject({ status: 'suspended', statusReason: payload });
        live = await active();
      }
      for (const payload of PAYLOADS) {
        await attempt('cause', () => runAs(app.db, sapAdmin, (w) => revokeAccount(w, live, { cause: payload, reason: '異動' }))).then((r) => expect(r.ok).toBe(false));
        const r = await attempt('reason', () => runAs(app.db, sapAdmin, (w) => revokeAccount(w, live, { cause: 'transfer', reason: payload })));
        if (!r.ok) continue;
        expect(r.value).toMatchObject({ status: 'revoked', statusReason: `人事異動: ${payload}` });
        live = await active();
      }
      // Injection-shaped ids are simply not found, and change nothing.
      for (const payload of PAYLOADS) {
        const before = await counts();
        await expectProblem(runAs(app.db, sapAdmin, (w) => approveAccount(w, payload, grant())), { status: 404 });
        await expectProblem(runAs(app.db, sapAdmin, (w) => revokeAccount(w, payload, { cause: 'transfer', reason: 'x' })), { status: 404 });
        expect(await counts()).toBe(before);
      }
    });

    it('the accounts table and the operation log are still there, and other tenants are untouched', async () => {
      const t = await sql<{ a: string | null; l: string | null }>`SELECT to_regclass('kernel.accounts')::text AS a, to_regclass('kernel.audit_log')::text AS l`.execute(app.db.system);
      expect(t.rows[0]).toEqual({ a: 'kernel.accounts', l: 'kernel.audit_log' });
      const others = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.accounts WHERE tenant_code <> ${SAPPORO} AND login_id LIKE 'inj-%'`.execute(app.db.system);
      expect(others.rows[0]!.n).toBe(0);
      expect(ok(await tryLogin(TOTTORI, 'tt-clerk', GOOD_PASSWORD)).tenant).toBe(TOTTORI);
      await sealAndVerify(app);
    });
  });
});

async function sealAndVerify(app: TestApp): Promise<void> {
  await sealPending(app.db.system, app.auditKeys);
  const r = await verifyChains(app.db.system, app.auditKeys);
  expect(r.filter((x) => !x.ok)).toEqual([]);
}
