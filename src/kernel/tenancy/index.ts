// Organisations: municipalities (6-digit 地方公共団体コード) and national bodies (13-digit 法人番号) are
// tenants; clinics (10-digit 医療機関コード) are members attached to tenants (KRN-01).
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database, OrganisationTable } from '../db/index.js';
import type { Selectable } from 'kysely';
import type { TenantKeyService } from '../crypto/index.js';
import { checkCorporateNumber, checkLocalGovernmentCode, checkMedicalInstitutionCode, type CodeCheck } from '../jp/index.js';
import { Problem, invalidField, parseInput } from '../problems/index.js';
import { text } from '../fields/index.js';

export type Organisation = Selectable<OrganisationTable>;
export type OrganisationKind = Organisation['kind'];

export const ORG_KIND_LABELS: Record<OrganisationKind, string> = { municipality: '地方公共団体', national: '国の機関・法人', clinic: '医療機関' };

export function checkOrganisationCode(kind: OrganisationKind, code: string): CodeCheck {
  switch (kind) {
    case 'municipality':
      return checkLocalGovernmentCode(code);
    case 'national':
      return checkCorporateNumber(code);
    case 'clinic':
      return checkMedicalInstitutionCode(code);
  }
}

const OrgInput = z.object({
  code: z.string().trim().min(1, '団体コードを入力してください'),
  name: text(100),
  nameKana: z.string().trim().max(100).optional(),
  kind: z.enum(['municipality', 'national', 'clinic']).default('municipality'),
});

/**
 * Adds an organisation (owner role: creating a tenant is an operator task, not a tenant's own).
 * A tenant gets its security settings row and its data keys.
 */
export async function addOrganisation(system: Kysely<Database>, keys: TenantKeyService, raw: unknown): Promise<Organisation> {
  const input = parseInput(OrgInput, raw);
  const check = checkOrganisationCode(input.kind, input.code);
  if (!check.ok) throw invalidField('code', 'ORG_CODE_INVALID', check.reason);
  const existing = await system.selectFrom('kernel.organisations').selectAll().where('code', '=', check.code).executeTakeFirst();
  if (existing) {
    if (existing.name === input.name && existing.kind === input.kind) return existing;
    throw new Problem(409, 'ORG_EXISTS', '処理を完了できません', `団体コード ${check.code} は「${existing.name}」として登録済みです。`, [
      { field: 'code', code: 'ORG_EXISTS', message: '登録済みの団体コードです' },
    ]);
  }
  const org = await system.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('kernel.organisations')
      .values({ code: check.code, kind: input.kind, name: input.name, name_kana: input.nameKana ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.kind !== 'clinic') {
      await tx.insertInto('kernel.tenant_settings').values({ tenant_code: row.code }).onConflict((oc) => oc.doNothing()).execute();
    }
    return row;
  });
  if (input.kind !== 'clinic') await keys.provision(system, org.code);
  return org;
}

export async function listOrganisations(db: Kysely<Database>): Promise<Organisation[]> {
  return db.selectFrom('kernel.organisations').selectAll().orderBy('kind').orderBy('code').execute();
}

export async function getOrganisation(db: Kysely<Database>, code: string): Promise<Organisation | undefined> {
  return db.selectFrom('kernel.organisations').selectAll().where('code', '=', code).executeTakeFirst();
}

/**
 * Attaches a member organisation (a clinic under contract, or a contractor company) to a tenant.  Clinics are
 * not tenants: they act for the municipalities they are attached to (KRN-01).  Operator task (owner role).
 */
export async function attachMember(system: Kysely<Database>, raw: unknown): Promise<void> {
  const input = parseInput(
    z.object({
      tenant: z.string().trim().min(1, '団体コードを入力してください'),
      member: z.string().trim().min(1, '医療機関コードを入力してください'),
      relation: z.enum(['clinic', 'contractor']).default('clinic'),
      validFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD 形式で入力してください').optional(),
    }),
    raw,
  );
  const tenant = await getOrganisation(system, input.tenant);
  if (!tenant || tenant.kind === 'clinic') throw invalidField('tenant', 'ORG_UNKNOWN', '登録されていない団体コードです');
  const member = await getOrganisation(system, input.member);
  if (!member) throw invalidField('member', 'ORG_UNKNOWN', '登録されていない団体コードです（先に org add --kind clinic で登録してください）');
  if (input.relation === 'clinic' && member.kind !== 'clinic') throw invalidField('member', 'NOT_A_CLINIC', '医療機関として登録された団体ではありません');
  await system
    .insertInto('kernel.memberships')
    .values({ tenant_code: tenant.code, member_code: member.code, relation: input.relation, ...(input.validFrom ? { valid_from: input.validFrom } : {}) })
    .onConflict((oc) => oc.columns(['tenant_code', 'member_code', 'relation']).doUpdateSet({ valid_until: null }))
    .execute();
}

export async function listMembers(db: Kysely<Database>, tenant: string): Promise<(Organisation & { relation: string; valid_from: string; valid_until: string | null })[]> {
  return db
    .selectFrom('kernel.memberships as m')
    .innerJoin('kernel.organisations as o', 'o.code', 'm.member_code')
    .selectAll('o')
    .select(['m.relation', 'm.valid_from', 'm.valid_until'])
    .where('m.tenant_code', '=', tenant)
    .orderBy('o.code')
    .execute();
}
