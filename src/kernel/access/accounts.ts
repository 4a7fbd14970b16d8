// Staff account lifecycle (KRN-17..25, KRN-47): application → approval → active with an expiry date →
// suspended / revoked (transfer, retirement, contract end) or expired.  Individual accounts only: there is
// no shared or group account kind.  Every step is written to the issuance ledger (kernel.account_events)
// and to the operation log.
import { z } from 'zod';
import type { Selectable } from 'kysely';
import { jsonb, type AccountTable } from '../db/index.js';
import type { Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { Problem, conflict, invalidField, notFound, parseInput } from '../problems/index.js';
import { csvDocument } from '../csv/index.js';
import { jstToday, addDaysIso } from '../jp/index.js';
import { authorize, isDuty, role as roleDef, roleDutyConflict, ROLES, dutyLabel } from '../policy/index.js';
import { email, kana, loginId, optionalText, plainDate, text } from '../fields/index.js';
import { generateInitialPassword, hashPassword, passwordProblems, type PasswordPolicy } from './passwords.js';
import { loadSettings, policyOf } from './settings.js';

export type AccountRow = Selectable<AccountTable>;

/** What screens and APIs may show of an account: never hashes or secrets. */
export interface AccountView {
  id: string;
  tenant: string;
  loginId: string;
  kind: 'staff' | 'contractor';
  fullName: string;
  fullNameKana: string | null;
  department: string | null;
  email: string | null;
  contractorCompany: string | null;
  contractEnd: string | null;
  status: AccountRow['status'];
  statusReason: string | null;
  role: string | null;
  duties: string[];
  mynumberView: boolean;
  expiresOn: string | null;
  requestedRole: string | null;
  requestedDuties: string[];
  applicationReason: string;
  appliedAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  lastLoginAt: Date | null;
  locked: boolean;
  totpEnabled: boolean;
  mustChangePassword: boolean;
}

export function toView(r: AccountRow, now: Date): AccountView {
  return {
    id: r.id,
    tenant: r.tenant_code,
    loginId: r.login_id,
    kind: r.kind,
    fullName: r.full_name,
    fullNameKana: r.full_name_kana,
    department: r.department,
    email: r.email,
    contractorCompany: r.contractor_company,
    contractEnd: r.contract_end,
    status: r.status,
    statusReason: r.status_reason,
    role: r.role,
    duties: r.duties,
    mynumberView: r.mynumber_view,
    expiresOn: r.expires_on,
    requestedRole: r.requested_role,
    requestedDuties: r.requested_duties,
    applicationReason: r.application_reason,
    appliedAt: r.applied_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at as Date | null,
    lastLoginAt: r.last_login_at as Date | null,
    locked: !!r.locked_until && new Date(r.locked_until as Date) > now,
    totpEnabled: r.totp_enabled,
    mustChangePassword: r.must_change_password,
  };
}

// ------------------------------------------------------------------ inputs

const roleCode = z.string().refine((s) => ROLES.some((r) => r.code === s), { message: '不明な役割です', params: { code: 'ROLE_UNKNOWN' } });
const dutyList = z
  .array(z.string().refine((c) => isDuty(c), { message: '不明な所掌事務です', params: { code: 'DUTY_UNKNOWN' } }))
  .max(20)
  .transform((a) => [...new Set(a)].sort());

export const ApplicationInput = z
  .object({
    loginId,
    kind: z.enum(['staff', 'contractor']).default('staff'),
    fullName: text(50),
    fullNameKana: kana(50),
    department: optionalText(100),
    email,
    contractorCompany: optionalText(100),
    contractEnd: plainDate.optional(),
    requestedRole: roleCode,
    requestedDuties: dutyList.default([]),
    reason: text(500),
    /** Self-application sets the password now; an application made on someone's behalf leaves it empty. */
    password: z.string().max(128).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'contractor') {
      if (!v.contractorCompany) ctx.addIssue({ code: 'custom', path: ['contractorCompany'], message: '委託先アカウントには委託先事業者名が必要です', params: { code: 'CONTRACTOR_COMPANY_REQUIRED' } });
      if (!v.contractEnd) ctx.addIssue({ code: 'custom', path: ['contractEnd'], message: '委託先アカウントには契約終了日が必要です', params: { code: 'CONTRACT_END_REQUIRED' } });
    }
    if (v.kind === 'contractor' && roleDef(v.requestedRole)?.privileged) {
      ctx.addIssue({ code: 'custom', path: ['requestedRole'], message: '委託先アカウントに特権の役割は付与できません', params: { code: 'CONTRACTOR_PRIVILEGED' } });
    }
  });
export type ApplicationInput = z.input<typeof ApplicationInput>;

export const GrantInput = z.object({
  role: roleCode,
  duties: dutyList,
  mynumberView: z.boolean().default(false),
  expiresOn: plainDate,
  reason: optionalText(500),
});
export type GrantInput = z.input<typeof GrantInput>;

export const RevokeInput = z.object({
  cause: z.enum(['transfer', 'retirement', 'contract-end', 'other']),
  reason: text(500),
});
export type RevokeInput = z.input<typeof RevokeInput>;

export const REVOKE_CAUSE_LABELS = { transfer: '人事異動', retirement: '退職', 'contract-end': '契約終了', other: 'その他' } as const;

// ------------------------------------------------------------------ helpers

async function byId(w: Work, id: string, forUpdate = false): Promise<AccountRow> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('アカウント');
  let q = w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  if (!r) throw notFound('アカウント');
  return r;
}

async function event(w: Work, accountId: string, ev: string, reason: string | null, detail: Record<string, unknown> = {}): Promise<void> {
  await w.tx
    .insertInto('kernel.account_events')
    .values({ tenant_code: w.tenant, account_id: accountId, event: ev, reason, detail: jsonb(detail), actor: w.actor.login })
    .execute();
}

function checkGrant(kind: 'staff' | 'contractor', contractEnd: string | null, g: z.output<typeof GrantInput>, today: string): void {
  const conflictReason = roleDutyConflict(g.role, g.duties);
  if (conflictReason) throw invalidField('duties', 'ROLE_DUTY_CONFLICT', conflictReason);
  const r = roleDef(g.role)!;
  if (!r.privileged && g.duties.length === 0) throw invalidField('duties', 'DUTY_REQUIRED', '所掌事務を1つ以上選択してください');
  if (g.mynumberView && r.privileged) throw invalidField('mynumberView', 'MYNUMBER_FLAG_PRIVILEGED', '特権アカウントには個人番号閲覧可能フラグを付与できません');
  if (kind === 'contractor' && r.privileged) throw invalidField('role', 'CONTRACTOR_PRIVILEGED', '委託先アカウントに特権の役割は付与できません');
  if (g.expiresOn < today) throw invalidField('expiresOn', 'EXPIRY_IN_PAST', '有効期限は今日以降の日付にしてください');
  if (g.expiresOn > addDaysIso(today, 366 * 5)) throw invalidField('expiresOn', 'EXPIRY_TOO_FAR', '有効期限は5年以内にしてください');
  if (kind === 'contractor' && contractEnd && g.expiresOn > contractEnd) {
    throw invalidField('expiresOn', 'EXPIRY_AFTER_CONTRACT', '委託先アカウントの有効期限は契約終了日以前にしてください');
  }
}

function checkPassword(pw: string, policy: PasswordPolicy, login: string, field = 'password'): void {
  const problems = passwordProblems(pw, policy, login);
  if (problems.length) throw invalidField(field, 'PASSWORD_POLICY', `パスワードは${problems.join('、')}`);
}

// ------------------------------------------------------------------ operations

/** Application for a new account (by the person, or by a supervisor on their behalf). */
export async function applyForAccount(w: Work, raw: unknown): Promise<AccountView> {
  const input = parseInput(ApplicationInput, raw);
  const settings = await loadSettings(w);
  // The password policy is checked before the login id's existence, so that a self-applicant learns
  // nothing about other accounts from which error comes first (decision 0125).
  const hasPassword = input.password !== undefined && input.password !== '';
  if (hasPassword) checkPassword(input.password!, policyOf(settings), input.loginId);
  const exists = await w.tx.selectFrom('kernel.accounts').select('id').where('tenant_code', '=', w.tenant).where('login_id', '=', input.loginId).executeTakeFirst();
  if (exists) {
    // Same work as an accepted application (the hash), so that the refusal is not measurably faster.
    if (hasPassword) await hashPassword(input.password!);
    throw new Problem(409, 'LOGIN_ID_TAKEN', '処理を完了できません', 'このログインIDは既に使われています。', [{ field: 'loginId', code: 'LOGIN_ID_TAKEN', message: 'このログインIDは既に使われています' }]);
  }
  const passwordHash: string | null = hasPassword ? await hashPassword(input.password!) : null;
  const row = await w.tx
    .insertInto('kernel.accounts')
    .values({
      tenant_code: w.tenant,
      login_id: input.loginId,
      kind: input.kind,
      full_name: input.fullName,
      full_name_kana: input.fullNameKana ?? null,
      department: input.department ?? null,
      email: input.email ?? null,
      contractor_company: input.kind === 'contractor' ? (input.contractorCompany ?? null) : null,
      contract_end: input.kind === 'contractor' ? (input.contractEnd ?? null) : null,
      status: 'applied',
      requested_role: input.requestedRole,
      requested_duties: input.requestedDuties,
      application_reason: input.reason,
      applied_by: w.actor.kind === 'anonymous' ? 'self' : w.actor.login,
      password_hash: passwordHash,
      password_changed_at: passwordHash ? w.clock.now() : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await event(w, row.id, 'applied', input.reason, { requestedRole: input.requestedRole, requestedDuties: input.requestedDuties, kind: input.kind });
  await appendEntry(w.tx, w, { action: 'account_apply', targetType: 'account', targetId: row.id, subjectRef: `account:${row.id}`, detail: { loginId: row.login_id } });
  return toView(row, w.clock.now());
}

/** What a self-applicant (not logged in) is told: the same whether or not the login id was free. */
export interface SelfApplicationReceipt {
  readonly loginId: string;
  readonly message: string;
}

export const SELF_APPLICATION_MESSAGE = 'ログインIDの利用申請を受け付けました。アカウント管理者が確認し、承認されると申請時のパスワードでログインできます。';

/**
 * A self-application from the login screen or the anonymous API (decision 0125).  A login id that is
 * already taken is not revealed: the applicant gets the same receipt, the application is not stored,
 * and the operation log records the refused duplicate for the administrators.
 */
export async function applyForAccountSelf(w: Work, raw: unknown): Promise<SelfApplicationReceipt> {
  try {
    const v = await applyForAccount(w, raw);
    return { loginId: v.loginId, message: SELF_APPLICATION_MESSAGE };
  } catch (e) {
    if (!(e instanceof Problem) || e.code !== 'LOGIN_ID_TAKEN') throw e;
    const input = parseInput(ApplicationInput, raw);
    await appendEntry(w.tx, w, { action: 'account_apply', targetType: 'account', outcome: 'failure', detail: { reason: 'LOGIN_ID_TAKEN', loginId: input.loginId } });
    return { loginId: input.loginId, message: SELF_APPLICATION_MESSAGE };
  }
}

export interface ApprovalResult {
  account: AccountView;
  /** Present when the applicant set no password: shown once to the administrator, must be changed at first login. */
  initialPassword?: string;
}

export async function approveAccount(w: Work, id: string, raw: unknown, today = w.clock.today()): Promise<ApprovalResult> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const g = parseInput(GrantInput, raw);
  const acc = await byId(w, id, true);
  if (acc.status !== 'applied') throw conflict('NOT_PENDING', 'この申請は承認待ちではありません。');
  checkGrant(acc.kind, acc.contract_end, g, today);
  let initialPassword: string | undefined;
  let passwordHash = acc.password_hash;
  if (!passwordHash) {
    initialPassword = generateInitialPassword();
    passwordHash = await hashPassword(initialPassword);
  }
  const row = await w.tx
    .updateTable('kernel.accounts')
    .set({
      status: 'active',
      status_reason: g.reason ?? null,
      status_changed_at: w.clock.now(),
      role: g.role,
      duties: g.duties,
      mynumber_view: g.mynumberView,
      expires_on: g.expiresOn,
      approved_by: w.actor.login,
      approved_at: w.clock.now(),
      password_hash: passwordHash,
      password_changed_at: acc.password_changed_at ?? w.clock.now(),
      must_change_password: initialPassword !== undefined,
    })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (initialPassword) await w.tx.insertInto('kernel.password_history').values({ tenant_code: w.tenant, account_id: id, password_hash: passwordHash }).execute();
  else if (acc.password_hash) await w.tx.insertInto('kernel.password_history').values({ tenant_code: w.tenant, account_id: id, password_hash: acc.password_hash }).execute();
  const grant = { role: g.role, duties: g.duties, mynumberView: g.mynumberView, expiresOn: g.expiresOn };
  await event(w, id, 'approved', g.reason ?? null, grant);
  await appendEntry(w.tx, w, { action: 'account_approve', targetType: 'account', targetId: id, subjectRef: `account:${id}`, detail: grant });
  await appendEntry(w.tx, w, { action: 'permission_change', targetType: 'account', targetId: id, subjectRef: `account:${id}`, detail: { before: null, after: grant } });
  return initialPassword ? { account: toView(row, w.clock.now()), initialPassword } : { account: toView(row, w.clock.now()) };
}

export async function rejectApplication(w: Work, id: string, reasonRaw: unknown): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const reason = parseInput(text(500), reasonRaw, 'reason');
  const acc = await byId(w, id, true);
  if (acc.status !== 'applied') throw conflict('NOT_PENDING', 'この申請は承認待ちではありません。');
  const row = await setStatus(w, id, 'rejected', reason);
  await event(w, id, 'rejected', reason);
  await appendEntry(w.tx, w, { action: 'account_reject', targetType: 'account', targetId: id, subjectRef: `account:${id}`, purpose: reason });
  return toView(row, w.clock.now());
}

async function setStatus(w: Work, id: string, status: AccountRow['status'], reason: string | null): Promise<AccountRow> {
  return w.tx
    .updateTable('kernel.accounts')
    .set({ status, status_reason: reason, status_changed_at: w.clock.now() })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function endSessions(w: Work, accountId: string, why: string): Promise<number> {
  const r = await w.tx
    .updateTable('kernel.sessions')
    .set({ ended_at: w.clock.now(), end_reason: why })
    .where('tenant_code', '=', w.tenant)
    .where('account_id', '=', accountId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Changes role, duties, the My Number flag or the expiry date (a permission change, KRN-24). */
export async function changeGrants(w: Work, id: string, raw: unknown, today = w.clock.today()): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const g = parseInput(GrantInput, raw);
  const acc = await byId(w, id, true);
  if (acc.status !== 'active' && acc.status !== 'suspended') throw conflict('NOT_ACTIVE', '有効または停止中のアカウントのみ権限を変更できます。');
  if (acc.id === w.actor.id) throw conflict('SELF_GRANT', '自分自身の権限は変更できません。別の管理者に依頼してください。');
  checkGrant(acc.kind, acc.contract_end, g, today);
  const before = { role: acc.role, duties: acc.duties, mynumberView: acc.mynumber_view, expiresOn: acc.expires_on };
  const after = { role: g.role, duties: g.duties, mynumberView: g.mynumberView, expiresOn: g.expiresOn };
  const row = await w.tx
    .updateTable('kernel.accounts')
    .set({ role: g.role, duties: g.duties, mynumber_view: g.mynumberView, expires_on: g.expiresOn })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await event(w, id, 'grants_changed', g.reason ?? null, { before, after });
  await appendEntry(w.tx, w, { action: 'permission_change', targetType: 'account', targetId: id, subjectRef: `account:${id}`, purpose: g.reason, detail: { before, after } });
  return toView(row, w.clock.now());
}

export async function suspendAccount(w: Work, id: string, reasonRaw: unknown): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const reason = parseInput(text(500), reasonRaw, 'reason');
  const acc = await byId(w, id, true);
  if (acc.status !== 'active') throw conflict('NOT_ACTIVE', '有効なアカウントのみ停止できます。');
  if (acc.id === w.actor.id) throw conflict('SELF_SUSPEND', '自分自身のアカウントは停止できません。');
  const row = await setStatus(w, id, 'suspended', reason);
  const ended = await endSessions(w, id, 'suspended');
  await event(w, id, 'suspended', reason, { sessionsEnded: ended });
  await appendEntry(w.tx, w, { action: 'account_suspend', targetType: 'account', targetId: id, subjectRef: `account:${id}`, purpose: reason });
  return toView(row, w.clock.now());
}

export async function reinstateAccount(w: Work, id: string, reasonRaw: unknown, today = w.clock.today()): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const reason = parseInput(text(500), reasonRaw, 'reason');
  const acc = await byId(w, id, true);
  if (acc.status !== 'suspended') throw conflict('NOT_SUSPENDED', '停止中のアカウントのみ再開できます。');
  if (acc.expires_on && acc.expires_on < today) throw conflict('EXPIRED', '有効期限が過ぎています。権限変更で有効期限を延長してから再開してください。');
  const row = await setStatus(w, id, 'active', reason);
  await event(w, id, 'reinstated', reason);
  await appendEntry(w.tx, w, { action: 'account_reinstate', targetType: 'account', targetId: id, subjectRef: `account:${id}`, purpose: reason });
  return toView(row, w.clock.now());
}

/** Revocation on transfer, retirement or contract end (KRN-20): final; sessions end at once. */
export async function revokeAccount(w: Work, id: string, raw: unknown): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const input = parseInput(RevokeInput, raw);
  const acc = await byId(w, id, true);
  if (acc.status === 'revoked' || acc.status === 'rejected') throw conflict('ALREADY_ENDED', 'このアカウントは既に失効または却下されています。');
  if (acc.id === w.actor.id) throw conflict('SELF_REVOKE', '自分自身のアカウントは失効できません。');
  const reason = `${REVOKE_CAUSE_LABELS[input.cause]}: ${input.reason}`;
  const row = await w.tx
    .updateTable('kernel.accounts')
    .set({ status: 'revoked', status_reason: reason, status_changed_at: w.clock.now(), mynumber_view: false })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const ended = await endSessions(w, id, 'revoked');
  await event(w, id, 'revoked', reason, { cause: input.cause, sessionsEnded: ended });
  await appendEntry(w.tx, w, { action: 'account_revoke', targetType: 'account', targetId: id, subjectRef: `account:${id}`, purpose: reason, detail: { cause: input.cause } });
  return toView(row, w.clock.now());
}

export async function unlockAccount(w: Work, id: string): Promise<AccountView> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  await byId(w, id, true);
  const row = await w.tx
    .updateTable('kernel.accounts')
    .set({ locked_until: null, failed_logins: 0 })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await event(w, id, 'unlocked', null);
  await appendEntry(w.tx, w, { action: 'account_unlock', targetType: 'account', targetId: id, subjectRef: `account:${id}` });
  return toView(row, w.clock.now());
}

/** Issues a new initial password (e.g. the user forgot theirs); it must be changed at the next login. */
export async function resetPassword(w: Work, id: string): Promise<{ account: AccountView; initialPassword: string }> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const acc = await byId(w, id, true);
  if (acc.status !== 'active') throw conflict('NOT_ACTIVE', '有効なアカウントのみパスワードを再発行できます。');
  const initialPassword = generateInitialPassword();
  const h = await hashPassword(initialPassword);
  const row = await w.tx
    .updateTable('kernel.accounts')
    .set({ password_hash: h, password_changed_at: w.clock.now(), must_change_password: true, failed_logins: 0, locked_until: null })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await endSessions(w, id, 'password-reset');
  await event(w, id, 'password_reset', null);
  await appendEntry(w.tx, w, { action: 'password_change', targetType: 'account', targetId: id, subjectRef: `account:${id}`, detail: { by: 'administrator' } });
  return { account: toView(row, w.clock.now()), initialPassword };
}

export interface AccountFilter {
  status?: AccountRow['status'] | undefined;
  kind?: 'staff' | 'contractor' | undefined;
  q?: string | undefined;
}

export async function listAccounts(w: Work, f: AccountFilter = {}): Promise<AccountView[]> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account' });
  let q = w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or([eb('login_id', 'like', like), eb('full_name', 'like', like), eb('department', 'like', like)]));
  }
  const rows = await q.orderBy('status').orderBy('login_id').limit(1000).execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'account', detail: { status: f.status ?? null, kind: f.kind ?? null, results: rows.length } });
  return rows.map((r) => toView(r, w.clock.now()));
}

export async function getAccount(w: Work, id: string): Promise<AccountView> {
  if (w.actor.id !== id) authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  const r = await byId(w, id);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'account', targetId: id, subjectRef: `account:${id}` });
  return toView(r, w.clock.now());
}

export interface AccountEventView {
  at: Date;
  event: string;
  reason: string | null;
  actor: string;
  detail: Record<string, unknown>;
}

export async function accountEvents(w: Work, id: string): Promise<AccountEventView[]> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account', id });
  await byId(w, id);
  const rows = await w.tx
    .selectFrom('kernel.account_events')
    .selectAll()
    .where('tenant_code', '=', w.tenant)
    .where('account_id', '=', id)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ at: r.occurred_at, event: r.event, reason: r.reason, actor: r.actor, detail: r.detail }));
}

/** Sweep: active or suspended accounts past their expiry date become 'expired' and lose their sessions (KRN-19). */
export async function expireAccounts(w: Work, today = w.clock.today()): Promise<number> {
  const due = await w.tx
    .selectFrom('kernel.accounts')
    .select(['id'])
    .where('tenant_code', '=', w.tenant)
    .where('status', 'in', ['active', 'suspended'])
    .where('expires_on', '<', today)
    .execute();
  for (const { id } of due) {
    await setStatus(w, id, 'expired', `有効期限（${today}より前）の到来`);
    await endSessions(w, id, 'expired');
    await event(w, id, 'expired', null);
    await appendEntry(w.tx, w, { action: 'account_expire', targetType: 'account', targetId: id, subjectRef: `account:${id}` });
  }
  return due.length;
}

/** Personal password change; `current` is checked by the caller (auth) before this runs. */
export async function setOwnPassword(w: Work, accountId: string, next: string): Promise<void> {
  const acc = await byId(w, accountId, true);
  const settings = await loadSettings(w);
  const policy = policyOf(settings);
  checkPassword(next, policy, acc.login_id, 'newPassword');
  const { verifyPassword } = await import('./passwords.js');
  const history = await w.tx
    .selectFrom('kernel.password_history')
    .select(['password_hash', 'set_at'])
    .where('tenant_code', '=', w.tenant)
    .where('account_id', '=', accountId)
    .orderBy('set_at', 'desc')
    .limit(Math.max(policy.history, 1))
    .execute();
  for (const h of history.slice(0, policy.history)) {
    if (await verifyPassword(h.password_hash, next)) {
      throw invalidField('newPassword', 'PASSWORD_REUSED', `直近${policy.history}回に使用したパスワードは使用できません`);
    }
  }
  const hash = await hashPassword(next);
  await w.tx
    .updateTable('kernel.accounts')
    .set({ password_hash: hash, password_changed_at: w.clock.now(), must_change_password: false })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', accountId)
    .execute();
  await w.tx.insertInto('kernel.password_history').values({ tenant_code: w.tenant, account_id: accountId, password_hash: hash }).execute();
  // Keep only what the policy needs.
  const keep = await w.tx
    .selectFrom('kernel.password_history')
    .select('set_at')
    .where('tenant_code', '=', w.tenant)
    .where('account_id', '=', accountId)
    .orderBy('set_at', 'desc')
    .offset(Math.max(policy.history, 1))
    .limit(1)
    .executeTakeFirst();
  if (keep) {
    await w.tx
      .deleteFrom('kernel.password_history')
      .where('tenant_code', '=', w.tenant)
      .where('account_id', '=', accountId)
      .where('set_at', '<=', keep.set_at)
      .execute();
  }
  await event(w, accountId, 'password_changed', null);
  await appendEntry(w.tx, w, { action: 'password_change', targetType: 'account', targetId: accountId, subjectRef: `account:${accountId}`, detail: { by: 'self' } });
}

// ------------------------------------------------------------------ 棚卸し (KRN-21, KRN-25)

const ACCESS_TABLE_HEADER = ['ログインID', '氏名', '所属', '種別', '委託先事業者', '契約終了日', '状態', '役割', '所掌事務', '個人番号閲覧', '有効期限', '最終ログイン', '承認者', '承認日時'];
const STATUS_LABELS: Record<AccountRow['status'], string> = {
  applied: '申請中', active: '有効', suspended: '停止中', revoked: '失効', rejected: '却下', expired: '期限切れ',
};
export { STATUS_LABELS as ACCOUNT_STATUS_LABELS };


/** Users with their permissions, for reconciliation against the access-rights table (CSV, UTF-8 BOM). */
export async function accessTableCsv(w: Work): Promise<string> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account' });
  const rows = await w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).orderBy('login_id').execute();
  const lines = rows.map((r) => [
    r.login_id, r.full_name, r.department, r.kind === 'contractor' ? '委託先' : '職員', r.contractor_company, r.contract_end,
    STATUS_LABELS[r.status], r.role ? (roleDef(r.role)?.label ?? r.role) : '', r.duties.map(dutyLabel).join('・'),
    r.mynumber_view ? '可' : '不可', r.expires_on, r.last_login_at, r.approved_by, r.approved_at,
  ]);
  await appendEntry(w.tx, w, { action: 'export', targetType: 'account', detail: { kind: 'access-table', rows: rows.length } });
  return csvDocument(ACCESS_TABLE_HEADER, lines);
}

export interface ReviewReport {
  today: string;
  inactiveDays: number;
  expiringDays: number;
  inactive: AccountView[];
  expiringSoon: AccountView[];
  privileged: AccountView[];
  mynumberHolders: AccountView[];
  contractors: AccountView[];
  pendingApplications: AccountView[];
  locked: AccountView[];
}

/** Periodic account review (棚卸し): unused, expiring, privileged and My Number-capable accounts. */
export async function reviewReport(w: Work, opts: { inactiveDays?: number; expiringDays?: number; today?: string; now?: Date } = {}): Promise<ReviewReport> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'account' });
  const settings = await loadSettings(w);
  const now = opts.now ?? w.clock.now();
  const today = opts.today ?? jstToday(now);
  const inactiveDays = opts.inactiveDays ?? settings.review_inactive_days;
  const expiringDays = opts.expiringDays ?? settings.review_expiring_days;
  const rows = await w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).orderBy('login_id').execute();
  const views = rows.map((r) => toView(r, now));
  const live = views.filter((v) => v.status === 'active' || v.status === 'suspended');
  const cutoff = new Date(now.getTime() - inactiveDays * 86400_000);
  const horizon = addDaysIso(today, expiringDays);
  const report: ReviewReport = {
    today,
    inactiveDays,
    expiringDays,
    inactive: live.filter((v) => (v.lastLoginAt ? v.lastLoginAt < cutoff : (v.approvedAt ?? v.appliedAt) < cutoff)),
    expiringSoon: live.filter((v) => v.expiresOn !== null && v.expiresOn <= horizon),
    privileged: live.filter((v) => !!roleDef(v.role)?.privileged),
    mynumberHolders: live.filter((v) => v.mynumberView),
    contractors: live.filter((v) => v.kind === 'contractor'),
    pendingApplications: views.filter((v) => v.status === 'applied'),
    locked: live.filter((v) => v.locked),
  };
  await appendEntry(w.tx, w, { action: 'read', targetType: 'account-review', detail: { inactive: report.inactive.length, expiringSoon: report.expiringSoon.length } });
  return report;
}

/**
 * The first administrator of a tenant, created by the operator at the command line (system actor).
 * Goes through the same application and approval records as every other account.
 */
export async function bootstrapAdministrator(
  w: Work,
  input: { loginId: string; fullName: string; expiresOn?: string; password?: string },
  today = w.clock.today(),
): Promise<ApprovalResult> {
  if (w.actor.kind !== 'system') throw new Problem(403, 'FORBIDDEN', '権限がありません', '初期管理者はサーバーの運用者のみが作成できます。');
  const applied = await applyForAccount(w, {
    loginId: input.loginId,
    fullName: input.fullName,
    requestedRole: 'admin',
    requestedDuties: ['account-admin'],
    reason: '初期アカウント管理者（運用者による作成）',
    ...(input.password ? { password: input.password } : {}),
  });
  return approveAccount(w, applied.id, { role: 'admin', duties: ['account-admin'], expiresOn: input.expiresOn ?? addDaysIso(today, 365), reason: '初期管理者' }, today);
}
