// Tenants, the user master (PMH-20) and API tokens (PMH-02).  A tenant is a contracting municipality (or,
// with the clinic issue, a medical institution).  Users follow the kernel's account lifecycle: an
// application, approved by a *different* administrator of the same tenant (KRN-18), an expiry, and the
// deletion flag that ends it.  A Bearer token is issued only to an active user holding the registration
// permission, and only its SHA-256 is kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { Problem, parseInput, notFound, conflict } from '../kernel/problems/index.js';
import { withTenant, type Db } from './store.js';

export const PERMISSION_LABELS = { admin: '管理者', register: '連携登録', view: '閲覧' } as const;
export const USER_CATEGORY_LABELS = { 'municipal-staff': '自治体職員', 'institution-staff': '医療機関職員', operator: '運用保守事業者' } as const;

export interface Tenant {
  readonly code: string;
  readonly kind: 'municipality' | 'institution';
  readonly name: string;
  readonly node: string;
  readonly status: 'active' | 'ended';
}

const tenantInput = z.object({
  code: z.string().regex(/^[0-9]{6,10}$/, { message: '団体コード（6桁）または医療機関コード（10桁）を指定してください' }),
  kind: z.enum(['municipality', 'institution']).default('municipality'),
  name: z.string().trim().min(1).max(100),
  node: z.string().regex(/^[a-z0-9-]{1,40}$/).default('municipality'),
});

/** Adds a tenant (a platform contract); idempotent for the same code and name. */
export async function addTenant(db: Db, clock: Clock, raw: unknown): Promise<Tenant> {
  const t = parseInput(tenantInput, raw);
  await sql`INSERT INTO platform.tenants (tenant_code, kind, name, node, created_at) VALUES (${t.code}, ${t.kind}, ${t.name}, ${t.node}, ${clock.now()})
            ON CONFLICT (tenant_code) DO UPDATE SET name = EXCLUDED.name, node = EXCLUDED.node WHERE platform.tenants.status = 'active'`.execute(db);
  const got = await getTenant(db, t.code);
  if (!got) throw notFound('契約団体');
  return got;
}

export async function getTenant(db: Db, code: string): Promise<Tenant | undefined> {
  const r = await sql<{ tenant_code: string; kind: Tenant['kind']; name: string; node: string; status: Tenant['status'] }>`
    SELECT tenant_code, kind, name, node, status FROM platform.tenants WHERE tenant_code = ${code}`.execute(db);
  const row = r.rows[0];
  return row ? { code: row.tenant_code, kind: row.kind, name: row.name, node: row.node, status: row.status } : undefined;
}

export async function listTenants(db: Db): Promise<Tenant[]> {
  const r = await sql<{ tenant_code: string; kind: Tenant['kind']; name: string; node: string; status: Tenant['status'] }>`
    SELECT tenant_code, kind, name, node, status FROM platform.tenants ORDER BY tenant_code`.execute(db);
  return r.rows.map((row) => ({ code: row.tenant_code, kind: row.kind, name: row.name, node: row.node, status: row.status }));
}

/** The active tenant a message sender may act for; anything else is refused the same way. */
export async function tenantForNode(db: Db, code: unknown, node: string): Promise<Tenant> {
  const t = typeof code === 'string' ? await getTenant(db, code) : undefined;
  if (!t || t.node !== node || t.status !== 'active') {
    throw new Problem(403, 'TENANT_MISMATCH', 'この団体のデータは扱えません', '呼び出し元はこの団体（tenant）の契約先として登録されていません。');
  }
  return t;
}

// ---------------------------------------------------------------- users (PMH-20)

export interface PlatformUser {
  readonly tenant: string;
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly category: keyof typeof USER_CATEGORY_LABELS;
  readonly permissionId: keyof typeof PERMISSION_LABELS;
  readonly myNumberViewable: boolean;
  readonly deleted: boolean;
  readonly status: 'applied' | 'active' | 'rejected' | 'deleted';
  readonly validUntil: string | null;
}

const applyInput = z.object({
  tenant: z.string().regex(/^[0-9]{6,10}$/),
  userId: z.string().regex(/^[A-Za-z0-9._-]{3,40}$/, { message: '機関ユーザーID は英数字3〜40文字です' }),
  email: z.string().email({ message: 'メールアドレスの形式が正しくありません' }).max(200),
  name: z.string().trim().min(1).max(100),
  category: z.enum(['municipal-staff', 'institution-staff', 'operator']).default('municipal-staff'),
  permissionId: z.enum(['admin', 'register', 'view']),
  myNumberViewable: z.boolean().default(false),
  reason: z.string().trim().min(1, { message: '申請理由を記入してください' }).max(500),
  appliedBy: z.string().min(1).max(100),
});

function userOf(r: Record<string, unknown>): PlatformUser {
  return {
    tenant: r['tenant_code'] as string,
    userId: r['user_id'] as string,
    email: r['email'] as string,
    name: r['name'] as string,
    category: r['category'] as PlatformUser['category'],
    permissionId: r['permission_id'] as PlatformUser['permissionId'],
    myNumberViewable: r['mynumber_viewable'] as boolean,
    deleted: r['deleted'] as boolean,
    status: r['status'] as PlatformUser['status'],
    validUntil: r['valid_until'] ? String(r['valid_until']).slice(0, 10) : null,
  };
}

/** A user application (利用者登録の申請).  The first administrator of a tenant is applied by the operator. */
export async function applyForUser(db: Db, clock: Clock, raw: unknown): Promise<PlatformUser> {
  const a = parseInput(applyInput, raw);
  return withTenant(db, a.tenant, async (tx) => {
    const r = await sql<Record<string, unknown>>`
      INSERT INTO platform.users (tenant_code, user_id, email, name, category, permission_id, mynumber_viewable, status, applied_by, applied_at, reason)
      VALUES (${a.tenant}, ${a.userId}, ${a.email}, ${a.name}, ${a.category}, ${a.permissionId}, ${a.myNumberViewable}, 'applied', ${a.appliedBy}, ${clock.now()}, ${a.reason})
      ON CONFLICT (tenant_code, user_id) DO NOTHING RETURNING *`.execute(tx);
    if (!r.rows[0]) throw conflict('USER_EXISTS', `機関ユーザーID ${a.userId} はすでに申請または登録されています。`);
    return userOf(r.rows[0]);
  });
}

/**
 * Approves an application.  `approver` is an active administrator of the tenant other than the applicant's
 * user, or `operator` for a tenant's first administrator (the contract's set-up by 運用保守).
 */
export async function approveUser(db: Db, clock: Clock, tenant: string, userId: string, approver: string, validDays = 365): Promise<PlatformUser> {
  return withTenant(db, tenant, async (tx) => {
    const admins = await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.users WHERE status = 'active' AND permission_id = 'admin'`.execute(tx);
    const hasAdmin = Number(admins.rows[0]?.n ?? 0) > 0;
    if (approver === userId) throw new Problem(403, 'SELF_APPROVAL', '自分の申請は承認できません', '別の管理者が承認してください。');
    if (hasAdmin || approver !== 'operator') {
      const ok = await sql`SELECT 1 FROM platform.users WHERE user_id = ${approver} AND status = 'active' AND permission_id = 'admin' AND (valid_until IS NULL OR valid_until >= ${clock.today()}::date)`.execute(tx);
      if (ok.rows.length === 0) throw new Problem(403, 'NOT_ADMIN', '承認する権限がありません', '承認できるのは、この団体の有効な管理者だけです。');
    }
    const validUntil = new Date(`${clock.today()}T00:00:00Z`);
    validUntil.setUTCDate(validUntil.getUTCDate() + validDays);
    const r = await sql<Record<string, unknown>>`
      UPDATE platform.users SET status = 'active', approved_by = ${approver}, approved_at = ${clock.now()}, valid_until = ${validUntil.toISOString().slice(0, 10)}::date
      WHERE user_id = ${userId} AND status = 'applied' RETURNING *`.execute(tx);
    if (!r.rows[0]) throw notFound('申請中の利用者');
    return userOf(r.rows[0]);
  });
}

/** Sets the user deletion flag (ユーザー削除フラグ): the user and the tokens issued to them stop working. */
export async function deleteUser(db: Db, clock: Clock, tenant: string, userId: string): Promise<void> {
  await withTenant(db, tenant, async (tx) => {
    const r = await sql`UPDATE platform.users SET status = 'deleted', deleted = true, deleted_at = ${clock.now()} WHERE user_id = ${userId} AND status <> 'deleted' RETURNING 1`.execute(tx);
    if (r.rows.length === 0) throw notFound('利用者');
    await sql`UPDATE platform.api_tokens SET revoked_at = ${clock.now()} WHERE tenant_code = ${tenant} AND issued_to = ${userId} AND revoked_at IS NULL`.execute(tx);
  });
}

export async function listUsers(db: Db, tenant: string): Promise<PlatformUser[]> {
  return withTenant(db, tenant, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM platform.users ORDER BY user_id`.execute(tx)).rows.map(userOf));
}

// ---------------------------------------------------------------- tokens

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Issues a Bearer token `pmh_<id>.<secret>` to an active user with the registration permission.  Shown once. */
export async function issueToken(db: Db, clock: Clock, tenant: string, userId: string): Promise<{ token: string; tokenId: string }> {
  return withTenant(db, tenant, async (tx) => {
    const u = await sql<{ permission_id: string }>`
      SELECT permission_id FROM platform.users WHERE user_id = ${userId} AND status = 'active' AND (valid_until IS NULL OR valid_until >= ${clock.today()}::date)`.execute(tx);
    const p = u.rows[0]?.permission_id;
    if (p !== 'register' && p !== 'admin') {
      throw new Problem(403, 'NO_REGISTER_PERMISSION', '連携登録の権限がありません', '連携用のトークンは、連携登録の権限を持つ有効な利用者にだけ発行できます（PMH-02）。');
    }
    const tokenId = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    await sql`INSERT INTO platform.api_tokens (token_id, tenant_code, secret_hash, issued_to, issued_at) VALUES (${tokenId}, ${tenant}, ${sha256(secret)}, ${userId}, ${clock.now()})`.execute(tx);
    return { token: `pmh_${tokenId}.${secret}`, tokenId };
  });
}

/** The tenant and user a Bearer token stands for; 401 for anything else (never saying which part was wrong). */
export async function authenticateToken(db: Db, clock: Clock, header: string | undefined): Promise<{ tenant: Tenant; userId: string; tokenId: string }> {
  const refuse = () => new Problem(401, 'UNAUTHENTICATED', '認証できません', 'Authorization: Bearer に有効なトークンを指定してください。');
  const m = /^Bearer pmh_([a-z0-9]{16})\.([A-Za-z0-9_-]{20,100})$/.exec(header ?? '');
  if (!m) throw refuse();
  const r = await sql<{ tenant_code: string; secret_hash: Buffer; issued_to: string; revoked_at: Date | null }>`
    SELECT tenant_code, secret_hash, issued_to, revoked_at FROM platform.api_tokens WHERE token_id = ${m[1]!}`.execute(db);
  const row = r.rows[0];
  const given = sha256(m[2]!);
  if (!row || row.revoked_at || !timingSafeEqual(Buffer.from(row.secret_hash), given)) throw refuse();
  const tenant = await getTenant(db, row.tenant_code);
  if (!tenant || tenant.status !== 'active') throw refuse();
  const user = await withTenant(db, tenant.code, async (tx) =>
    (await sql`SELECT 1 FROM platform.users WHERE user_id = ${row.issued_to} AND status = 'active' AND (valid_until IS NULL OR valid_until >= ${clock.today()}::date)`.execute(tx)).rows.length > 0,
  );
  if (!user) throw refuse();
  return { tenant, userId: row.issued_to, tokenId: m[1]! };
}
