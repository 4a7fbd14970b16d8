// Medical institutions on the platform (docs/formats/clinic-protocol.md §1): an institution is a tenant of
// kind 'institution' whose code is its 医療機関コード; a contract (委託契約) says which municipalities'
// residents it may vaccinate; its staff have individual accounts (受付・医師・管理者) with the kernel's
// argon2id hashing and password policy.  Created by the platform operator (`mamori platform clinic …`).
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../../kernel/clock/index.js';
import { hashPassword, passwordProblems, type PasswordPolicy } from '../../kernel/access/index.js';
import { checkMedicalInstitutionCode } from '../../kernel/jp/index.js';
import { Problem, notFound, parseInput, validationFailed } from '../../kernel/problems/index.js';
import { addTenant, getTenant, type PlatformDb as Db, type Tenant } from '../index.js';

export const CLINIC_ROLE_LABELS = { reception: '受付', doctor: '医師', admin: '管理者' } as const;
export type ClinicRole = keyof typeof CLINIC_ROLE_LABELS;

/** The password policy of clinic accounts: the kernel's defaults (docs/decisions/0005-password-defaults.md). */
export const CLINIC_PASSWORD_POLICY: PasswordPolicy = { minLength: 12, minClasses: 3, history: 0, maxAgeDays: 0 };

/** Failed logins in a row before an account is locked. */
export const MAX_LOGIN_FAILURES = 5;

/**
 * A 医療機関コード the clinic side accepts: 10 digits, 都道府県番号 01–47, 点数表番号 1 (医科) or 3 (歯科),
 * and the 検証番号 (Luhn, weights 2·1 from the right over the first nine digits) — `0110113719` is valid.
 * The kernel's checkMedicalInstitutionCode does the digits; a pharmacy (4) does not vaccinate.
 */
export function institutionCodeProblem(code: unknown): string | null {
  if (typeof code !== 'string') return '医療機関コード（10桁）を指定してください';
  const c = checkMedicalInstitutionCode(code);
  if (!c.ok) return c.reason;
  if (c.code[2] !== '1' && c.code[2] !== '3') return '医療機関コードの点数表番号（3桁目）は1（医科）か3（歯科）です';
  return null;
}

export function institutionCodeValid(code: unknown): boolean {
  return institutionCodeProblem(code) === null;
}

function requireInstitutionCode(code: unknown, field = 'code'): string {
  const p = institutionCodeProblem(code);
  if (p) throw new Problem(400, 'INSTITUTION_CODE_INVALID', '医療機関コードが正しくありません', `${field}: ${p}`, [{ field, code: 'INSTITUTION_CODE_INVALID', message: p }]);
  return code as string;
}

/** Adds (or renames) an institution; idempotent. */
export async function addInstitution(db: Db, clock: Clock, raw: unknown): Promise<Tenant> {
  const input = parseInput(z.object({ code: z.unknown(), name: z.string({ message: '名称（name）を指定してください' }).trim().min(1, { message: '名称（name）を指定してください' }).max(100) }), raw);
  const code = requireInstitutionCode(input.code);
  const existing = await getTenant(db, code);
  if (existing && existing.kind !== 'institution') throw new Problem(409, 'TENANT_KIND_MISMATCH', '処理を完了できません', 'このコードは医療機関以外の契約団体として登録されています。');
  // The clinic app is the institution's node: the platform itself serves it (no message services).
  return addTenant(db, clock, { code, kind: 'institution', name: input.name, node: 'clinic' });
}

export interface Contract {
  readonly institutionCode: string;
  readonly municipalityCode: string;
  readonly from: string;
  readonly until: string | null;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: '日付は YYYY-MM-DD で指定してください' });

/** Records a contract (委託契約) of an institution with a municipality tenant; idempotent for the same start. */
export async function addContract(db: Db, clock: Clock, raw: unknown): Promise<Contract> {
  const c = parseInput(z.object({ institution: z.unknown(), municipality: z.string().regex(/^[0-9]{6}$/, { message: '団体コード（6桁）を指定してください' }), from: isoDate.optional(), until: isoDate.nullish() }), raw);
  const inst = requireInstitutionCode(c.institution, 'institution');
  const from = c.from ?? clock.today();
  if (c.until && c.until < from) throw validationFailed([{ field: 'until', code: 'INVALID', message: '契約の終了日が開始日より前です' }]);
  const i = await getTenant(db, inst);
  if (!i || i.kind !== 'institution' || i.status !== 'active') throw notFound('医療機関');
  const m = await getTenant(db, c.municipality);
  if (!m || m.kind !== 'municipality' || m.status !== 'active') throw notFound('市区町村');
  await sql`INSERT INTO platform.contracts (institution_code, municipality_code, valid_from, valid_until, created_at) VALUES (${inst}, ${c.municipality}, ${from}, ${c.until ?? null}, ${clock.now()})
            ON CONFLICT (institution_code, municipality_code, valid_from) DO UPDATE SET valid_until = EXCLUDED.valid_until`.execute(db);
  return { institutionCode: inst, municipalityCode: c.municipality, from, until: c.until ?? null };
}

export async function listContracts(db: Db, institution: string): Promise<Contract[]> {
  const r = await sql<{ municipality_code: string; valid_from: string; valid_until: string | null }>`
    SELECT municipality_code, valid_from::text AS valid_from, valid_until::text AS valid_until FROM platform.contracts WHERE institution_code = ${institution} ORDER BY municipality_code, valid_from`.execute(db);
  return r.rows.map((x) => ({ institutionCode: institution, municipalityCode: x.municipality_code, from: x.valid_from, until: x.valid_until }));
}

/** The municipalities of `codes` the institution has a contract with on `date`. */
export async function contractedOn(db: Db, institution: string, codes: readonly string[], date: string): Promise<Set<string>> {
  if (!codes.length) return new Set();
  const r = await sql<{ municipality_code: string }>`
    SELECT DISTINCT c.municipality_code FROM platform.contracts c JOIN platform.tenants t ON t.tenant_code = c.municipality_code AND t.status = 'active'
    WHERE c.institution_code = ${institution} AND c.municipality_code = ANY(${codes as string[]}::text[])
      AND c.valid_from <= ${date}::date AND (c.valid_until IS NULL OR c.valid_until >= ${date}::date)`.execute(db);
  return new Set(r.rows.map((x) => x.municipality_code));
}

export const noContract = (): Problem => new Problem(403, 'NO_CONTRACT', 'この方のお住まいの市区町村とは契約がありません', 'この医療機関は、この方のお住まいの市区町村と予防接種の委託契約を結んでいないため、情報を表示・登録できません。');

export interface ClinicAccount {
  readonly institutionCode: string;
  readonly userId: string;
  readonly name: string;
  readonly role: ClinicRole;
  readonly locked: boolean;
}

const accountInput = z.object({
  institution: z.unknown(),
  userId: z.string({ message: 'ユーザーID（userId）を指定してください' }).regex(/^[A-Za-z0-9._-]{3,40}$/, { message: 'ユーザーIDは英数字と . _ - の3〜40文字です' }),
  name: z.string({ message: '氏名（name）を指定してください' }).trim().min(1, { message: '氏名（name）を指定してください' }).max(100),
  role: z.enum(['reception', 'doctor', 'admin'], { message: '役割（role）は reception（受付）・doctor（医師）・admin（管理者）のいずれかです' }),
  password: z.string({ message: 'パスワード（password）を指定してください' }),
  createdBy: z.string().min(1).max(100),
});

/**
 * Creates an account of an institution's staff.  An admin account is created by the operator or another
 * admin of the institution — never by the account itself.
 */
export async function addClinicAccount(db: Db, clock: Clock, raw: unknown): Promise<ClinicAccount> {
  const a = parseInput(accountInput, raw);
  const inst = requireInstitutionCode(a.institution, 'institution');
  if (a.createdBy === a.userId || a.createdBy === `${inst}:${a.userId}`) throw new Problem(403, 'SELF_CREATION', '自分のアカウントは作成できません', '別の管理者（または運用保守事業者）が作成してください。');
  const problems = passwordProblems(a.password, CLINIC_PASSWORD_POLICY, a.userId);
  if (problems.length) throw validationFailed(problems.map((message) => ({ field: 'password', code: 'PASSWORD_POLICY', message })));
  const t = await getTenant(db, inst);
  if (!t || t.kind !== 'institution' || t.status !== 'active') throw notFound('医療機関');
  const now = clock.now();
  const hash = await hashPassword(a.password);
  const r = await sql`INSERT INTO platform.clinic_accounts (institution_code, user_id, name, role, password_hash, created_by, created_at, password_changed_at)
                      VALUES (${inst}, ${a.userId}, ${a.name}, ${a.role}, ${hash}, ${a.createdBy}, ${now}, ${now}) ON CONFLICT DO NOTHING RETURNING 1`.execute(db);
  if (!r.rows.length) throw new Problem(409, 'ACCOUNT_EXISTS', '処理を完了できません', `ユーザーID ${a.userId} はこの医療機関にすでにあります。`);
  return { institutionCode: inst, userId: a.userId, name: a.name, role: a.role, locked: false };
}

export async function listClinicAccounts(db: Db, institution: string): Promise<ClinicAccount[]> {
  const r = await sql<{ user_id: string; name: string; role: ClinicRole; locked_at: Date | null }>`
    SELECT user_id, name, role, locked_at FROM platform.clinic_accounts WHERE institution_code = ${institution} AND disabled_at IS NULL ORDER BY user_id`.execute(db);
  return r.rows.map((x) => ({ institutionCode: institution, userId: x.user_id, name: x.name, role: x.role, locked: !!x.locked_at }));
}

/** Unlocks an account locked by failed logins (operator). */
export async function unlockClinicAccount(db: Db, institution: string, userId: string): Promise<void> {
  const r = await sql`UPDATE platform.clinic_accounts SET failures = 0, locked_at = NULL WHERE institution_code = ${institution} AND user_id = ${userId} RETURNING 1`.execute(db);
  if (!r.rows.length) throw notFound('アカウント');
}
