// Clinic login, sessions and logout (docs/formats/clinic-protocol.md §2).  The cookie holds a random token;
// only its SHA-256 is stored, with a per-session CSRF token, an absolute expiry and an idle timeout.  A wrong
// password counts towards the lock (5 in a row); an unknown user costs the same argon2 time as a known one.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { verify } from '@node-rs/argon2';
import { hashPassword } from '../../kernel/access/index.js';
import { Problem, parseInput } from '../../kernel/problems/index.js';
import { clinicLog, type ClinicContext, type ClinicUser } from './context.js';
import { MAX_LOGIN_FAILURES } from './institutions.js';

/** A session ends 8 hours after login, or after 30 minutes without a request. */
export const SESSION_HOURS = 8;
export const SESSION_IDLE_MINUTES = 30;
/** last_seen_at is written at most once a minute per session (not on every request). */
const TOUCH_MS = 60_000;
/**
 * A session found in the database is trusted for this long without asking again (the hot path of dose
 * registration); a logout here ends it at once, a lock or an idle timeout within this time.
 */
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

export interface ClinicSession extends ClinicUser {
  readonly tokenHash: Buffer;
  readonly csrf: string;
}

const loginSchema = z.object({
  institutionCode: z.string({ message: '医療機関コードを入力してください' }).regex(/^[0-9]{10}$/, { message: '医療機関コードは10桁の数字です' }),
  userId: z.string({ message: 'ユーザーIDを入力してください' }).min(1, { message: 'ユーザーIDを入力してください' }).max(40),
  password: z.string({ message: 'パスワードを入力してください' }).min(1, { message: 'パスワードを入力してください' }).max(128),
});

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
const refused = () => new Problem(401, 'LOGIN_FAILED', 'ログインできません', '医療機関コード・ユーザーID・パスワードを確認してください。');

export async function clinicLogin(c: ClinicContext, raw: unknown): Promise<{ token: string; session: ClinicSession }> {
  const input = parseInput(loginSchema, raw);
  const now = c.clock.now();
  const r = await sql<{ user_id: string; name: string; role: ClinicUser['role']; password_hash: string; locked_at: Date | null; institution_name: string }>`
    SELECT a.user_id, a.name, a.role, a.password_hash, a.locked_at, t.name AS institution_name
    FROM platform.clinic_accounts a JOIN platform.tenants t ON t.tenant_code = a.institution_code AND t.kind = 'institution' AND t.status = 'active'
    WHERE a.institution_code = ${input.institutionCode} AND a.user_id = ${input.userId} AND a.disabled_at IS NULL`.execute(c.db);
  const acc = r.rows[0];
  const log = (outcome: 'ok' | 'refused', code: string | null) => clinicLog(c.db, now, { institution: input.institutionCode, userId: input.userId, action: 'login', outcome, code });
  if (!acc) {
    // Burn the same argon2 time as a known user (the kernel's parameters), so "no such user" is not faster.
    await hashPassword(input.password);
    // Logged against a known institution only (the log names institutions, not guesses).
    const known = await sql`SELECT 1 FROM platform.tenants WHERE tenant_code = ${input.institutionCode} AND kind = 'institution'`.execute(c.db);
    if (known.rows.length) await log('refused', 'UNKNOWN_USER');
    throw refused();
  }
  if (acc.locked_at) {
    await log('refused', 'ACCOUNT_LOCKED');
    throw new Problem(403, 'ACCOUNT_LOCKED', 'アカウントがロックされています', `パスワードを${MAX_LOGIN_FAILURES}回続けて間違えたため、このアカウントはロックされています。管理者に解除を依頼してください。`);
  }
  if (!(await verify(acc.password_hash, input.password).catch(() => false))) {
    const f = await sql<{ failures: number }>`
      UPDATE platform.clinic_accounts SET failures = failures + 1, locked_at = CASE WHEN failures + 1 >= ${MAX_LOGIN_FAILURES} THEN ${now}::timestamptz ELSE locked_at END
      WHERE institution_code = ${input.institutionCode} AND user_id = ${input.userId} RETURNING failures`.execute(c.db);
    const failures = Number(f.rows[0]?.failures ?? 0);
    await log('refused', failures >= MAX_LOGIN_FAILURES ? 'ACCOUNT_LOCKED' : 'PASSWORD_INCORRECT');
    if (failures >= MAX_LOGIN_FAILURES) throw new Problem(403, 'ACCOUNT_LOCKED', 'アカウントがロックされました', `パスワードを${MAX_LOGIN_FAILURES}回続けて間違えたため、このアカウントをロックしました。管理者に解除を依頼してください。`);
    throw refused();
  }
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const tokenHash = sha256(token);
  await c.db.transaction().execute(async (tx) => {
    await sql`UPDATE platform.clinic_accounts SET failures = 0 WHERE institution_code = ${input.institutionCode} AND user_id = ${input.userId}`.execute(tx);
    // Sessions past their end are removed here (housekeeping without a timer).
    await sql`DELETE FROM platform.clinic_sessions WHERE expires_at < ${new Date(now.getTime() - 86_400_000)}`.execute(tx);
    await sql`INSERT INTO platform.clinic_sessions (token_hash, institution_code, user_id, csrf, created_at, last_seen_at, expires_at)
              VALUES (${tokenHash}, ${input.institutionCode}, ${input.userId}, ${csrf}, ${now}, ${now}, ${new Date(now.getTime() + SESSION_HOURS * 3600_000)})`.execute(tx);
    await clinicLog(tx, now, { institution: input.institutionCode, userId: input.userId, action: 'login', outcome: 'ok' });
  });
  return { token, session: { tokenHash, csrf, institutionCode: input.institutionCode, institutionName: acc.institution_name, userId: input.userId, name: acc.name, role: acc.role } };
}

type Cache = Map<string, { session: ClinicSession; at: number; until: number }>;
const caches = new WeakMap<ClinicContext, Cache>();
const cacheOf = (c: ClinicContext): Cache => {
  let m = caches.get(c);
  if (!m) caches.set(c, (m = new Map()));
  return m;
};

/** The live session of a cookie token, or null (unknown, ended, expired, idle, locked account). */
export async function clinicSession(c: ClinicContext, token: string | undefined): Promise<ClinicSession | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const now = c.clock.now();
  const tokenHash = sha256(token);
  const key = tokenHash.toString('hex');
  const cache = cacheOf(c);
  const hit = cache.get(key);
  if (hit && now.getTime() - hit.at < CACHE_MS && now.getTime() < hit.until) return hit.session;
  cache.delete(key);
  const s = await lookup(c, tokenHash, now);
  if (s) {
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { session: s.session, at: now.getTime(), until: s.expiresAt });
  }
  return s?.session ?? null;
}

async function lookup(c: ClinicContext, tokenHash: Buffer, now: Date): Promise<{ session: ClinicSession; expiresAt: number } | null> {
  const r = await sql<{ institution_code: string; user_id: string; csrf: string; last_seen_at: Date; expires_at: Date; name: string; role: ClinicUser['role']; institution_name: string }>`
    SELECT s.institution_code, s.user_id, s.csrf, s.last_seen_at, s.expires_at, a.name, a.role, t.name AS institution_name
    FROM platform.clinic_sessions s
    JOIN platform.clinic_accounts a ON a.institution_code = s.institution_code AND a.user_id = s.user_id
    JOIN platform.tenants t ON t.tenant_code = s.institution_code
    WHERE s.token_hash = ${tokenHash} AND s.ended_at IS NULL AND s.expires_at > ${now}
      AND s.last_seen_at > ${new Date(now.getTime() - SESSION_IDLE_MINUTES * 60_000)}
      AND a.locked_at IS NULL AND a.disabled_at IS NULL AND t.status = 'active'`.execute(c.db);
  const row = r.rows[0];
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_MS) {
    await sql`UPDATE platform.clinic_sessions SET last_seen_at = ${now} WHERE token_hash = ${tokenHash}`.execute(c.db);
  }
  return {
    session: { tokenHash, csrf: row.csrf, institutionCode: row.institution_code, institutionName: row.institution_name, userId: row.user_id, name: row.name, role: row.role },
    expiresAt: new Date(row.expires_at).getTime(),
  };
}

export function csrfMatches(session: ClinicSession, header: string | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function clinicLogout(c: ClinicContext, s: ClinicSession): Promise<void> {
  const now = c.clock.now();
  cacheOf(c).delete(s.tokenHash.toString('hex'));
  await sql`UPDATE platform.clinic_sessions SET ended_at = ${now} WHERE token_hash = ${s.tokenHash}`.execute(c.db);
  await clinicLog(c.db, now, { institution: s.institutionCode, userId: s.userId, action: 'logout', outcome: 'ok' });
}
