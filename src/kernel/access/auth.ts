// Login, sessions and second factor (KRN-19, KRN-22, KRN-23, KRN-27, KRN-30).
//
// - Failed attempts are counted and lock the account for `lockout_minutes` after `lockout_threshold`.
// - Expired, suspended, revoked, rejected and not-yet-approved accounts cannot log in; their sessions end.
// - Sessions end after `idle_timeout_minutes` without a request and after `session_max_hours` in any case.
// - The session token is random (256 bits); only its SHA-256 is stored.  Cookie value: "<tenant>.<token>".
// - Optional TOTP (RFC 6238) per account, required per tenant when `mfa_required` is set; codes cannot be replayed.
import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import type { Selectable } from 'kysely';
import type { AccountTable, MamoriDb } from '../db/index.js';
import { runAs, type Actor, type Meta, type Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { Problem, invalidField, parseInput } from '../problems/index.js';
import { jstToday } from '../jp/index.js';
import { open, seal, type TenantKeyService } from '../crypto/index.js';
import { z } from 'zod';
import { loginId as loginIdField, tenantCode } from '../fields/index.js';
import { verifyPassword } from './passwords.js';
import { loadSettings } from './settings.js';
import { setOwnPassword, toView, type AccountView } from './accounts.js';

type AccountRow = Selectable<AccountTable>;

export const SESSION_COOKIE = 'mamori_session';

export function actorOf(a: AccountRow): Actor {
  return { kind: a.kind, id: a.id, login: a.login_id, role: a.role, duties: a.duties, mynumberView: a.mynumber_view };
}

const LoginInput = z.object({
  tenant: tenantCode,
  loginId: z.string().trim().min(1, 'ログインIDを入力してください').max(64, 'ログインIDが長すぎます'),
  password: z.string().min(1, 'パスワードを入力してください').max(256, 'パスワードが長すぎます'),
  totp: z
    .string()
    .trim()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || /^\d{6}$/.test(s), { message: '確認コードは6桁の数字です', params: { code: 'TOTP_FORMAT' } }),
});

export type LoginFailureCode =
  | 'AUTH_FAILED'
  | 'ACCOUNT_LOCKED'
  | 'ACCOUNT_PENDING'
  | 'ACCOUNT_SUSPENDED'
  | 'ACCOUNT_REVOKED'
  | 'ACCOUNT_EXPIRED'
  | 'MFA_REQUIRED'
  | 'MFA_FAILED';

const FAILURE_TEXT: Record<LoginFailureCode, [number, string]> = {
  AUTH_FAILED: [401, '団体コード、ログインIDまたはパスワードが正しくありません。'],
  ACCOUNT_LOCKED: [403, 'ログインの失敗が続いたためアカウントがロックされています。時間をおいて再度お試しいただくか、アカウント管理者にロック解除を依頼してください。'],
  ACCOUNT_PENDING: [403, 'このアカウントは申請中で、まだ承認されていません。'],
  ACCOUNT_SUSPENDED: [403, 'このアカウントは停止されています。アカウント管理者にお問い合わせください。'],
  ACCOUNT_REVOKED: [403, 'このアカウントは失効しています（異動・退職・契約終了等）。'],
  ACCOUNT_EXPIRED: [403, 'このアカウントは有効期限が過ぎています。アカウント管理者に更新を依頼してください。'],
  MFA_REQUIRED: [401, '確認コード（認証アプリの6桁の数字）を入力してください。'],
  MFA_FAILED: [401, '確認コードが正しくありません。'],
};

export function loginProblem(code: LoginFailureCode): Problem {
  const [status, detail] = FAILURE_TEXT[code];
  return new Problem(status, code, 'ログインできません', detail);
}

export interface SessionInfo {
  readonly tenant: string;
  readonly sessionId: string;
  readonly actor: Actor;
  readonly mustChangePassword: boolean;
  readonly mustEnrollMfa: boolean;
  readonly fullName: string;
}

export type LoginOutcome = ({ ok: true; cookie: string } & SessionInfo) | { ok: false; problem: Problem };

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Checks an organisation code exists and is a tenant (400 naming the field otherwise). */
export async function requireTenant(db: MamoriDb, code: string): Promise<void> {
  const org = await db.app.selectFrom('kernel.organisations').select(['code', 'kind']).where('code', '=', code).executeTakeFirst();
  if (!org || org.kind === 'clinic') throw invalidField('tenant', 'ORG_UNKNOWN', '登録されていない団体コードです');
}

export async function login(db: MamoriDb, keys: TenantKeyService, raw: unknown, meta: Meta, now = db.config.clock.now()): Promise<LoginOutcome> {
  const input = parseInput(LoginInput, raw);
  await requireTenant(db, input.tenant);
  const attempted = input.loginId.normalize('NFKC').toLowerCase();
  const anon: Actor = { kind: 'anonymous', id: null, login: attempted.slice(0, 64), role: null, duties: [], mynumberView: false };
  return runAs(db, { tenant: input.tenant, actor: anon, meta }, async (w) => {
    const settings = await loadSettings(w);
    const fail = async (code: LoginFailureCode, detail: Record<string, unknown> = {}): Promise<LoginOutcome> => {
      await appendEntry(w.tx, w, { action: 'login_failed', targetType: 'account', outcome: 'failure', detail: { reason: code, ...detail } });
      return { ok: false, problem: loginProblem(code) };
    };
    const parsedLogin = loginIdField.safeParse(attempted);
    const acc = parsedLogin.success
      ? await w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).where('login_id', '=', parsedLogin.data).forUpdate().executeTakeFirst()
      : undefined;
    if (!acc) {
      await verifyPassword(null, input.password);
      return fail('AUTH_FAILED', { cause: 'unknown-login' });
    }
    const who: Work = { ...w, actor: actorOf(acc) };
    // Decision 0125: the password is checked even while the account is locked (same Argon2 work as for an
    // unknown login id), and only someone who knows the password learns that the account is locked —
    // a wrong password gets the same 401 as an unknown login id, so lockouts do not reveal which ids exist.
    const good = await verifyPassword(acc.password_hash, input.password);
    if (acc.locked_until && new Date(acc.locked_until as Date) > now) return good ? fail('ACCOUNT_LOCKED') : fail('AUTH_FAILED', { cause: 'locked' });
    const countFailure = async (code: LoginFailureCode): Promise<LoginOutcome> => {
      const failures = acc.failed_logins + 1;
      const lock = failures >= settings.lockout_threshold;
      await w.tx
        .updateTable('kernel.accounts')
        .set({ failed_logins: lock ? 0 : failures, locked_until: lock ? new Date(now.getTime() + settings.lockout_minutes * 60_000) : acc.locked_until })
        .where('tenant_code', '=', w.tenant)
        .where('id', '=', acc.id)
        .execute();
      if (lock) {
        await appendEntry(w.tx, who, { action: 'account_lock', targetType: 'account', targetId: acc.id, subjectRef: `account:${acc.id}`, detail: { failures } });
        // A wrong password that locks the account answers like any wrong password (decision 0125).
        return fail(code === 'AUTH_FAILED' ? 'AUTH_FAILED' : 'ACCOUNT_LOCKED', { failures, locked: true });
      }
      return fail(code, { failures });
    };
    if (!good) return countFailure('AUTH_FAILED');
    // The password is right: now the account's state decides.
    const today = jstToday(now);
    if (acc.status === 'applied') return fail('ACCOUNT_PENDING');
    if (acc.status === 'rejected') return fail('AUTH_FAILED', { cause: 'rejected' });
    if (acc.status === 'suspended') return fail('ACCOUNT_SUSPENDED');
    if (acc.status === 'revoked') return fail('ACCOUNT_REVOKED');
    if (acc.status === 'expired' || (acc.expires_on !== null && acc.expires_on < today)) {
      if (acc.status !== 'expired') {
        await w.tx.updateTable('kernel.accounts').set({ status: 'expired', status_reason: '有効期限の到来', status_changed_at: now }).where('tenant_code', '=', w.tenant).where('id', '=', acc.id).execute();
        await appendEntry(w.tx, who, { action: 'account_expire', targetType: 'account', targetId: acc.id, subjectRef: `account:${acc.id}` });
      }
      return fail('ACCOUNT_EXPIRED');
    }
    let totpStep: number | null = null;
    if (acc.totp_enabled && acc.totp_secret) {
      if (!input.totp) return fail('MFA_REQUIRED');
      const secret = await openTotpSecret(keys, w, acc.id, acc.totp_secret);
      const r = await verifyTotp({ secret, token: input.totp, epochTolerance: 30, ...(acc.totp_last_step !== null ? { afterTimeStep: acc.totp_last_step } : {}), epoch: Math.floor(now.getTime() / 1000) }).catch(() => ({ valid: false as const }));
      if (!r.valid) return countFailure('MFA_FAILED');
      totpStep = stepOf(r, now);
    }
    const passwordTooOld =
      settings.password_max_age_days > 0 &&
      acc.password_changed_at !== null &&
      now.getTime() - new Date(acc.password_changed_at as Date).getTime() > settings.password_max_age_days * 86400_000;
    const mustChange = acc.must_change_password || passwordTooOld;
    await w.tx
      .updateTable('kernel.accounts')
      .set({ failed_logins: 0, locked_until: null, last_login_at: now, must_change_password: mustChange, ...(totpStep !== null ? { totp_last_step: totpStep } : {}) })
      .where('tenant_code', '=', w.tenant)
      .where('id', '=', acc.id)
      .execute();
    const token = randomBytes(32).toString('base64url');
    const session = await w.tx
      .insertInto('kernel.sessions')
      .values({
        tenant_code: w.tenant,
        account_id: acc.id,
        token_hash: tokenHash(token),
        last_seen_at: now,
        expires_at: new Date(now.getTime() + settings.session_max_hours * 3600_000),
        client_address: meta.clientAddress,
        terminal_id: meta.terminalId,
        user_agent: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEntry(w.tx, who, { action: 'login', targetType: 'session', targetId: session.id, subjectRef: `account:${acc.id}`, detail: { mfa: totpStep !== null } });
    return {
      ok: true,
      cookie: `${w.tenant}.${token}`,
      tenant: w.tenant,
      sessionId: session.id,
      actor: actorOf(acc),
      mustChangePassword: mustChange,
      mustEnrollMfa: settings.mfa_required && !acc.totp_enabled,
      fullName: acc.full_name,
    };
  });
}

function parseCookie(cookie: string | undefined): { tenant: string; token: string } | null {
  if (!cookie) return null;
  const m = /^(\d{6}|\d{13})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
  return m ? { tenant: m[1]!, token: m[2]! } : null;
}

/**
 * Resolves a session cookie to the acting account, ending the session (and logging why) when it has
 * idled out, reached its maximum age, or its account is no longer active or has expired.
 */
export async function authenticate(db: MamoriDb, cookie: string | undefined, meta: Meta, now = db.config.clock.now()): Promise<SessionInfo | null> {
  const c = parseCookie(cookie);
  if (!c) return null;
  return runAs(db, { tenant: c.tenant, actor: SESSION_CHECKER, meta }, (w) => checkSession(w, c.token, now));
}

/** The actor of the session check itself (before the session's account is known). */
export const SESSION_CHECKER: Actor = { kind: 'system', id: null, login: 'system:session', role: null, duties: [], mynumberView: false };

/** The tenant a session token names (the part before the dot), or null when it is not a session token. */
export function sessionTenant(cookie: string | undefined): string | null {
  return parseCookie(cookie)?.tenant ?? null;
}

/**
 * The same check as `authenticate`, inside a transaction the caller already holds for the token's tenant
 * (decision 0130: a dose registration checks its session in its own transaction, one round trip).  Ending
 * an idle or expired session is written in that transaction, so the caller must commit it even when it
 * then refuses the request.
 */
export async function authenticateIn(w: Work, cookie: string | undefined, now = w.clock.now()): Promise<SessionInfo | null> {
  const c = parseCookie(cookie);
  if (!c || c.tenant !== w.tenant) return null;
  return checkSession(w, c.token, now);
}

async function checkSession(w: Work, token: string, now: Date): Promise<SessionInfo | null> {
  const s = await w.tx
    .selectFrom('kernel.sessions')
    .innerJoin('kernel.accounts', (j) => j.onRef('kernel.accounts.tenant_code', '=', 'kernel.sessions.tenant_code').onRef('kernel.accounts.id', '=', 'kernel.sessions.account_id'))
    // The tenant's session settings come with the session (one round trip per authenticated request).
    .leftJoin('kernel.tenant_settings', 'kernel.tenant_settings.tenant_code', 'kernel.sessions.tenant_code')
    .select(['kernel.sessions.id as sid', 'kernel.sessions.last_seen_at', 'kernel.sessions.expires_at', 'kernel.tenant_settings.idle_timeout_minutes as s_idle', 'kernel.tenant_settings.mfa_required as s_mfa'])
    .selectAll('kernel.accounts')
    .where('kernel.sessions.tenant_code', '=', w.tenant)
    .where('kernel.sessions.token_hash', '=', tokenHash(token))
    .where('kernel.sessions.ended_at', 'is', null)
    .executeTakeFirst();
  if (!s) return null;
  const settings = s.s_idle !== null && s.s_mfa !== null ? { idle_timeout_minutes: s.s_idle, mfa_required: s.s_mfa } : await loadSettings(w);
  const today = jstToday(now);
  let why: string | null = null;
  if (now.getTime() - new Date(s.last_seen_at as Date).getTime() > settings.idle_timeout_minutes * 60_000) why = 'idle-timeout';
  else if (now > new Date(s.expires_at as Date)) why = 'max-age';
  else if (s.status !== 'active') why = `account-${s.status}`;
  else if (s.expires_on !== null && s.expires_on < today) why = 'account-expired';
  const who: Work = { ...w, actor: actorOf(s) };
  if (why) {
    await w.tx.updateTable('kernel.sessions').set({ ended_at: now, end_reason: why }).where('tenant_code', '=', w.tenant).where('id', '=', s.sid).execute();
    await appendEntry(w.tx, who, { action: 'session_end', targetType: 'session', targetId: s.sid, subjectRef: `account:${s.id}`, detail: { reason: why } });
    return null;
  }
  if (now.getTime() - new Date(s.last_seen_at as Date).getTime() > 15_000) {
    await w.tx.updateTable('kernel.sessions').set({ last_seen_at: now }).where('tenant_code', '=', w.tenant).where('id', '=', s.sid).execute();
  }
  return {
    tenant: w.tenant,
    sessionId: s.sid,
    actor: actorOf(s),
    mustChangePassword: s.must_change_password,
    mustEnrollMfa: settings.mfa_required && !s.totp_enabled,
    fullName: s.full_name,
  };
}

export async function logout(db: MamoriDb, session: SessionInfo, meta: Meta): Promise<void> {
  await runAs(db, { tenant: session.tenant, actor: session.actor, meta }, async (w) => {
    await w.tx.updateTable('kernel.sessions').set({ ended_at: w.clock.now(), end_reason: 'logout' }).where('tenant_code', '=', w.tenant).where('id', '=', session.sessionId).where('ended_at', 'is', null).execute();
    await appendEntry(w.tx, w, { action: 'logout', targetType: 'session', targetId: session.sessionId, subjectRef: `account:${session.actor.id}` });
  });
}

const PasswordChange = z.object({
  currentPassword: z.string().min(1, '現在のパスワードを入力してください').max(256),
  newPassword: z.string().min(1, '新しいパスワードを入力してください').max(256),
});

export async function changePassword(w: Work, raw: unknown): Promise<void> {
  const input = parseInput(PasswordChange, raw);
  const id = w.actor.id;
  if (!id) throw new Problem(403, 'FORBIDDEN', '権限がありません');
  const acc = await w.tx.selectFrom('kernel.accounts').select(['password_hash']).where('tenant_code', '=', w.tenant).where('id', '=', id).executeTakeFirstOrThrow();
  if (!(await verifyPassword(acc.password_hash, input.currentPassword))) {
    throw invalidField('currentPassword', 'PASSWORD_WRONG', '現在のパスワードが正しくありません');
  }
  if (input.currentPassword === input.newPassword) throw invalidField('newPassword', 'PASSWORD_SAME', '現在と異なるパスワードにしてください');
  await setOwnPassword(w, id, input.newPassword);
}

// ------------------------------------------------------------------ TOTP enrolment

function stepOf(r: { delta: number }, now: Date): number {
  return Math.floor(now.getTime() / 1000 / 30) + r.delta;
}

function totpAad(tenant: string, accountId: string): string {
  return `totp|${tenant}|${accountId}`;
}

async function openTotpSecret(keys: TenantKeyService, w: Work, accountId: string, blob: Buffer): Promise<string> {
  const series = await keys.series(w.tx, w.tenant, 'account-secret', blob.readUInt16BE(0));
  return open(series.keys.get(blob.readUInt16BE(0))!, blob.subarray(2), totpAad(w.tenant, accountId)).toString('utf8');
}

async function sealTotpSecret(keys: TenantKeyService, w: Work, accountId: string, secret: string): Promise<Buffer> {
  const series = await keys.series(w.tx, w.tenant, 'account-secret');
  const v = Buffer.alloc(2);
  v.writeUInt16BE(series.current);
  return Buffer.concat([v, seal(series.keys.get(series.current)!, Buffer.from(secret, 'utf8'), totpAad(w.tenant, accountId))]);
}

/** Starts TOTP enrolment for the acting account: returns the secret and the otpauth:// URI to scan. */
export async function beginTotpEnrollment(keys: TenantKeyService, w: Work, issuer: string): Promise<{ secret: string; uri: string }> {
  const id = w.actor.id;
  if (!id) throw new Problem(403, 'FORBIDDEN', '権限がありません');
  const secret = generateSecret();
  await w.tx.updateTable('kernel.accounts').set({ totp_secret: await sealTotpSecret(keys, w, id, secret), totp_enabled: false, totp_last_step: null }).where('tenant_code', '=', w.tenant).where('id', '=', id).execute();
  return { secret, uri: generateURI({ issuer, label: `${w.actor.login}@${w.tenant}`, secret }) };
}

export async function confirmTotpEnrollment(keys: TenantKeyService, w: Work, code: string, now = w.clock.now()): Promise<void> {
  const id = w.actor.id;
  if (!id) throw new Problem(403, 'FORBIDDEN', '権限がありません');
  if (!/^\d{6}$/.test(code.trim())) throw invalidField('totp', 'TOTP_FORMAT', '確認コードは6桁の数字です');
  const acc = await w.tx.selectFrom('kernel.accounts').select(['totp_secret']).where('tenant_code', '=', w.tenant).where('id', '=', id).executeTakeFirstOrThrow();
  if (!acc.totp_secret) throw invalidField('totp', 'TOTP_NOT_STARTED', '先に認証アプリの登録を開始してください');
  const secret = await openTotpSecret(keys, w, id, acc.totp_secret);
  const r = await verifyTotp({ secret, token: code.trim(), epochTolerance: 30, epoch: Math.floor(now.getTime() / 1000) }).catch(() => ({ valid: false as const }));
  if (!r.valid) throw invalidField('totp', 'MFA_FAILED', '確認コードが正しくありません');
  await w.tx.updateTable('kernel.accounts').set({ totp_enabled: true, totp_last_step: stepOf(r, now) }).where('tenant_code', '=', w.tenant).where('id', '=', id).execute();
  await appendEntry(w.tx, w, { action: 'mfa_enroll', targetType: 'account', targetId: id, subjectRef: `account:${id}` });
}

export async function ownAccount(w: Work): Promise<AccountView> {
  const id = w.actor.id;
  if (!id) throw new Problem(403, 'FORBIDDEN', '権限がありません');
  const r = await w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).executeTakeFirstOrThrow();
  return toView(r, w.clock.now());
}
