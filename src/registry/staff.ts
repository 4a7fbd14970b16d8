// Tenants and staff of the registry (QUA-33; decision 0169).  The tenants are the 資格管理者 of the catalog,
// written to registry.administrators when the node starts; their staff (本省, and for 管理栄養士 the
// 都道府県 and 保健所, for 介護福祉士 the 指定登録機関) hold a kernel role and one duty per qualification
// (registerDuty 'qualification:<code>'), never outside their tenant's jurisdiction.  A staff member reaches the
// node's API with a Bearer token `reg_<id>.<secret>` (only the SHA-256 of the secret is kept).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import type { Actor } from '../kernel/context/index.js';
import { can, registerDuty } from '../kernel/policy/index.js';
import { Problem, conflict, invalidField, notFound, parseInput } from '../kernel/problems/index.js';
import { AFFILIATION_LABELS, catalog, type Affiliation, type QualificationEntry } from './catalog.js';
import { withTenant, type Db } from './store.js';

export const DUTY_PREFIX = 'qualification:';
export const dutyOf = (qualification: string): string => `${DUTY_PREFIX}${qualification}`;

// One duty per qualification (kernel/policy: "later systems register their own duties"), held by the
// registry's staff only: the municipality's account screens and account checks do not offer them.
for (const q of catalog().qualifications) registerDuty({ code: dutyOf(q.code), label: `${q.name}（${q.registerName}）`, organisation: 'registry' });

export const STAFF_ROLE_LABELS = { viewer: '閲覧者', clerk: '審査担当', supervisor: '審査責任者' } as const;
export type StaffRole = keyof typeof STAFF_ROLE_LABELS;

export interface Administrator {
  readonly code: string;
  readonly name: string;
  readonly divisions: readonly string[];
  readonly qualifications: readonly string[];
}

/** Writes the catalog's 資格管理者 and their jurisdictions (idempotent; the node runs it at start). */
export async function syncAdministrators(db: Db, clock: Clock): Promise<Administrator[]> {
  const c = catalog();
  await db.transaction().execute(async (tx) => {
    for (const a of c.administrators) {
      await sql`INSERT INTO registry.administrators (tenant_code, name, divisions, affiliations, synced_at)
                VALUES (${a.code}, ${a.name}, ${a.divisions}, ${a.affiliations}, ${clock.now()})
                ON CONFLICT (tenant_code) DO UPDATE SET name = EXCLUDED.name, divisions = EXCLUDED.divisions, affiliations = EXCLUDED.affiliations, synced_at = EXCLUDED.synced_at`.execute(tx);
    }
    for (const q of c.qualifications) {
      await sql`INSERT INTO registry.jurisdictions (qualification_code, tenant_code, file_code, name) VALUES (${q.code}, ${q.administrator}, ${q.file}, ${q.name})
                ON CONFLICT (qualification_code) DO UPDATE SET tenant_code = EXCLUDED.tenant_code, file_code = EXCLUDED.file_code, name = EXCLUDED.name`.execute(tx);
    }
  });
  return c.administrators.map((a) => ({ code: a.code, name: a.name, divisions: a.divisions, qualifications: c.jurisdiction(a.code).map((q) => q.code) }));
}

export interface RegistryStaff {
  readonly tenant: string;
  readonly userId: string;
  readonly name: string;
  readonly affiliation: Affiliation;
  readonly affiliationName: string;
  readonly role: StaffRole;
  /** The qualifications the staff member's duties cover. */
  readonly qualifications: readonly string[];
  readonly status: 'applied' | 'active' | 'rejected' | 'deleted';
  readonly approvedBy: string | null;
  readonly validUntil: string | null;
}

export const STAFF_STATUS_LABELS = { applied: '申請中', active: '有効', rejected: '却下', deleted: '削除' } as const;

const dateOf = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

function staffOf(r: Record<string, unknown>): RegistryStaff {
  return {
    tenant: r['tenant_code'] as string,
    userId: r['user_id'] as string,
    name: r['name'] as string,
    affiliation: r['affiliation'] as Affiliation,
    affiliationName: r['affiliation_name'] as string,
    role: r['role'] as StaffRole,
    qualifications: (r['duties'] as string[]).map((d) => d.slice(DUTY_PREFIX.length)),
    status: r['status'] as RegistryStaff['status'],
    approvedBy: (r['approved_by'] as string | null) ?? null,
    validUntil: dateOf(r['valid_until']),
  };
}

const staffInput = z.object({
  tenant: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, { message: '資格管理者のコードを指定してください' }),
  userId: z.string().regex(/^[A-Za-z0-9._-]{3,40}$/, { message: '利用者IDは英数字3〜40文字です' }),
  name: z.string().trim().min(1, { message: '氏名を入力してください' }).max(100),
  affiliation: z.enum(Object.keys(AFFILIATION_LABELS) as [Affiliation, ...Affiliation[]], { message: '所属の種別は ministry, prefecture, health-centre, designated-body のいずれかです' }),
  affiliationName: z.string().trim().min(1, { message: '所属名を入力してください' }).max(100),
  role: z.enum(Object.keys(STAFF_ROLE_LABELS) as [StaffRole, ...StaffRole[]], { message: '役割は viewer, clerk, supervisor のいずれかです' }),
  qualifications: z.array(z.string()).min(1, { message: '所掌する資格を一つ以上指定してください' }),
  reason: z.string().trim().min(1, { message: '申請理由を入力してください' }).max(500),
  appliedBy: z.string().trim().min(1).max(100),
});

/**
 * A staff application (利用者登録の申請) for a 資格管理者.  Duties outside the tenant's jurisdiction, or an
 * affiliation the administrator does not have, are refused with the field named.  The account works only after
 * `approveStaff`.
 */
export async function applyForStaff(db: Db, clock: Clock, raw: unknown): Promise<RegistryStaff> {
  const s = parseInput(staffInput, raw);
  const admin = catalog().administrator(s.tenant);
  if (!admin) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', '登録されていない資格管理者です');
  if (!admin.affiliations.includes(s.affiliation)) {
    throw invalidField('affiliation', 'AFFILIATION_NOT_ALLOWED', `${admin.name}の利用者に「${AFFILIATION_LABELS[s.affiliation]}」の所属はありません`);
  }
  const own = new Set(catalog().jurisdiction(s.tenant).map((q) => q.code));
  const outside = s.qualifications.filter((q) => !own.has(q));
  if (outside.length) throw invalidField('qualifications', 'OUTSIDE_JURISDICTION', `${admin.name}の所掌ではない資格です: ${outside.join(', ')}`);
  return withTenant(db, s.tenant, async (tx) => {
    const r = await sql<Record<string, unknown>>`
      INSERT INTO registry.staff (tenant_code, user_id, name, affiliation, affiliation_name, role, duties, status, reason, applied_by, applied_at)
      VALUES (${s.tenant}, ${s.userId}, ${s.name}, ${s.affiliation}, ${s.affiliationName}, ${s.role}, ${[...new Set(s.qualifications)].map(dutyOf)},
              'applied', ${s.reason}, ${s.appliedBy}, ${clock.now()})
      ON CONFLICT (tenant_code, user_id) DO NOTHING RETURNING *`.execute(tx);
    if (!r.rows[0]) throw conflict('STAFF_EXISTS', `利用者ID ${s.userId} はすでに申請または登録されています。`);
    return staffOf(r.rows[0]);
  });
}

/**
 * Approves an application (KRN-18): `approver` is an active supervisor of the same 資格管理者 other than the
 * applicant, or `operator` for a tenant that has no active supervisor yet (its first one).
 */
export async function approveStaff(db: Db, clock: Clock, tenant: string, userId: string, approver: string, validDays = 365): Promise<RegistryStaff> {
  return withTenant(db, tenant, async (tx) => {
    if (approver === userId) throw new Problem(403, 'SELF_APPROVAL', '自分の申請は承認できません', '同じ資格管理者の別の審査責任者が承認してください。');
    const today = clock.today();
    const supervisors = await sql<{ user_id: string }>`
      SELECT user_id FROM registry.staff WHERE status = 'active' AND role = 'supervisor' AND valid_until >= ${today}::date`.execute(tx);
    const may = supervisors.rows.length === 0 ? approver === 'operator' : supervisors.rows.some((r) => r.user_id === approver);
    if (!may) throw new Problem(403, 'NOT_SUPERVISOR', '承認する権限がありません', '承認できるのは、この資格管理者の有効な審査責任者だけです（最初の審査責任者は運用者が承認します）。');
    const until = new Date(`${today}T00:00:00Z`);
    until.setUTCDate(until.getUTCDate() + validDays);
    const r = await sql<Record<string, unknown>>`
      UPDATE registry.staff SET status = 'active', approved_by = ${approver}, approved_at = ${clock.now()}, valid_until = ${until.toISOString().slice(0, 10)}::date
      WHERE user_id = ${userId} AND status = 'applied' RETURNING *`.execute(tx);
    if (!r.rows[0]) throw notFound('申請中の利用者');
    return staffOf(r.rows[0]);
  });
}

/** Ends a staff member (削除): the account and every token issued to it stop working at once. */
export async function deleteStaff(db: Db, clock: Clock, tenant: string, userId: string): Promise<void> {
  await withTenant(db, tenant, async (tx) => {
    const r = await sql`UPDATE registry.staff SET status = 'deleted', deleted_at = ${clock.now()} WHERE user_id = ${userId} AND status <> 'deleted' RETURNING 1`.execute(tx);
    if (r.rows.length === 0) throw notFound('利用者');
    await sql`UPDATE registry.staff_tokens SET revoked_at = ${clock.now()} WHERE tenant_code = ${tenant} AND user_id = ${userId} AND revoked_at IS NULL`.execute(tx);
  });
}

/** The staff of one 資格管理者 (RLS keeps every other tenant's rows out, whatever the query says). */
export async function listStaff(db: Db, tenant: string): Promise<RegistryStaff[]> {
  return withTenant(db, tenant, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM registry.staff ORDER BY user_id`.execute(tx)).rows.map(staffOf));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Issues a Bearer token to an active staff member; the token is shown once. */
export async function issueStaffToken(db: Db, clock: Clock, tenant: string, userId: string): Promise<{ token: string; tokenId: string }> {
  return withTenant(db, tenant, async (tx) => {
    const u = await sql`SELECT 1 FROM registry.staff WHERE user_id = ${userId} AND status = 'active' AND valid_until >= ${clock.today()}::date`.execute(tx);
    if (u.rows.length === 0) throw notFound('利用者');
    const tokenId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await sql`INSERT INTO registry.staff_tokens (token_id, tenant_code, user_id, secret_hash, issued_at) VALUES (${tokenId}, ${tenant}, ${userId}, ${sha256(secret)}, ${clock.now()})`.execute(tx);
    return { token: `reg_${tokenId}.${secret}`, tokenId };
  });
}

/** A staff member acting: their record and the kernel actor the policy checks. */
export interface StaffSession {
  readonly staff: RegistryStaff;
  readonly actor: Actor;
}

/** The staff member a Bearer token stands for; 401 for anything else (never saying which part was wrong). */
export async function authenticateStaff(db: Db, clock: Clock, header: string | undefined): Promise<StaffSession> {
  const refuse = () => new Problem(401, 'UNAUTHENTICATED', '認証できません', 'Authorization: Bearer に有効なトークンを指定してください。');
  const m = /^Bearer reg_([a-f0-9]{16})\.([A-Za-z0-9_-]{20,100})$/.exec(header ?? '');
  if (!m) throw refuse();
  const r = await sql<{ tenant_code: string; user_id: string; secret_hash: Buffer; revoked_at: Date | null }>`
    SELECT t.tenant_code, t.user_id, t.secret_hash, t.revoked_at FROM registry.staff_tokens t
    JOIN registry.administrators a ON a.tenant_code = t.tenant_code AND a.status = 'active'
    WHERE t.token_id = ${m[1]!}`.execute(db);
  const row = r.rows[0];
  if (!row || row.revoked_at || !timingSafeEqual(Buffer.from(row.secret_hash), sha256(m[2]!))) throw refuse();
  const staff = await withTenant(db, row.tenant_code, async (tx) => {
    const s = await sql<Record<string, unknown>>`SELECT * FROM registry.staff WHERE user_id = ${row.user_id} AND status = 'active' AND valid_until >= ${clock.today()}::date`.execute(tx);
    return s.rows[0] ? staffOf(s.rows[0]) : undefined;
  });
  if (!staff) throw refuse();
  const actor: Actor = { kind: 'staff', id: `${staff.tenant}/${staff.userId}`, login: staff.userId, role: staff.role, duties: staff.qualifications.map(dutyOf), mynumberView: false };
  return { staff, actor };
}

/** The qualifications a staff member may read: their tenant's jurisdiction, narrowed to their duties. */
export function visibleQualifications(session: StaffSession): QualificationEntry[] {
  return catalog()
    .jurisdiction(session.staff.tenant)
    .filter((q) => can(session.actor, 'personal.read', dutyOf(q.code)));
}

export interface AccessEntry {
  readonly action: 'read' | 'list' | 'write' | 'decide';
  readonly targetType: string;
  readonly targetId?: string;
  readonly outcome: 'ok' | 'denied';
  readonly requestId?: string;
}

/** Logs an access under the reader's own tenant (its own transaction: a refusal is kept after the 404). */
export async function logAccess(db: Db, clock: Clock, session: StaffSession, e: AccessEntry): Promise<void> {
  await withTenant(db, session.staff.tenant, async (tx) => {
    await sql`INSERT INTO registry.access_log (tenant_code, at, user_id, action, target_type, target_id, outcome, request_id)
              VALUES (${session.staff.tenant}, ${clock.now()}, ${session.staff.userId}, ${e.action}, ${e.targetType}, ${e.targetId ?? null}, ${e.outcome}, ${e.requestId ?? null})`.execute(tx);
  });
}

export interface AccessLogRow {
  readonly at: string;
  readonly userId: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly outcome: 'ok' | 'denied';
}

/** One tenant's access log, newest first. */
export async function accessLog(db: Db, tenant: string, limit = 100): Promise<AccessLogRow[]> {
  return withTenant(db, tenant, async (tx) => {
    const r = await sql<{ at: Date; user_id: string; action: string; target_type: string; target_id: string | null; outcome: 'ok' | 'denied' }>`
      SELECT at, user_id, action, target_type, target_id, outcome FROM registry.access_log ORDER BY seq DESC LIMIT ${limit}`.execute(tx);
    return r.rows.map((x) => ({ at: new Date(x.at).toISOString(), userId: x.user_id, action: x.action, targetType: x.target_type, targetId: x.target_id, outcome: x.outcome }));
  });
}

/**
 * The session of a staff member named by the operator (the CLI's `--examiner`): an active, unexpired staff
 * member of the tenant, acting with their own role and duties; 404 for anyone else.
 */
export async function staffSessionOf(db: Db, clock: Clock, tenant: string, userId: string): Promise<StaffSession> {
  const staff = await withTenant(db, tenant, async (tx) => {
    const s = await sql<Record<string, unknown>>`SELECT * FROM registry.staff WHERE user_id = ${userId} AND status = 'active' AND valid_until >= ${clock.today()}::date`.execute(tx);
    return s.rows[0] ? staffOf(s.rows[0]) : undefined;
  });
  if (!staff) throw invalidField('examiner', 'STAFF_UNKNOWN', 'この資格管理者の有効な利用者ではありません');
  return { staff, actor: { kind: 'staff', id: `${staff.tenant}/${staff.userId}`, login: staff.userId, role: staff.role, duties: staff.qualifications.map(dutyOf), mynumberView: false } };
}
