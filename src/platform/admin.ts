// What a tenant manages on the platform besides its targets: 予防接種設定 and templates (PMH-01), the linkage
// status of its targets (PMH-21), an operator's deletion (PMH-03) and its SPI handling log (PMH-22).
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { csvDocument } from '../kernel/csv/index.js';
import { notFound, parseInput } from '../kernel/problems/index.js';
import { identityKey, settingsSchema, templateSchema, type Template } from './model.js';
import { eraseTarget } from './registration.js';
import { withTenant, type Db } from './store.js';

export async function putSettings(db: Db, clock: Clock, tenant: string, raw: unknown): Promise<{ vaccinations: number; templates: number }> {
  const s = parseInput(settingsSchema, raw);
  const now = clock.now();
  await withTenant(db, tenant, async (tx) => {
    for (const v of s.vaccinations) {
      await sql`INSERT INTO platform.vaccination_settings (tenant_code, program_code, name, doses, updated_at) VALUES (${tenant}, ${v.programCode}, ${v.name}, ${v.doses}, ${now})
                ON CONFLICT (tenant_code, program_code) DO UPDATE SET name = EXCLUDED.name, doses = EXCLUDED.doses, updated_at = EXCLUDED.updated_at`.execute(tx);
    }
    for (const t of s.templates) {
      const { templateId, ...content } = t;
      await upsertTemplate(tx, tenant, templateId, content as Template, now);
    }
  });
  return { vaccinations: s.vaccinations.length, templates: s.templates.length };
}

async function upsertTemplate(tx: Db, tenant: string, templateId: string, t: Template, now: Date): Promise<number> {
  const r = await sql<{ version: number }>`
    INSERT INTO platform.templates (tenant_code, template_id, kind, version, content, updated_at) VALUES (${tenant}, ${templateId}, ${t.kind}, 1, ${JSON.stringify(t)}::jsonb, ${now})
    ON CONFLICT (tenant_code, template_id) DO UPDATE SET
      version = platform.templates.version + CASE WHEN platform.templates.content = EXCLUDED.content THEN 0 ELSE 1 END,
      content = EXCLUDED.content, kind = EXCLUDED.kind, updated_at = EXCLUDED.updated_at
    RETURNING version`.execute(tx);
  return r.rows[0]!.version;
}

export async function putTemplate(db: Db, clock: Clock, tenant: string, templateId: string, raw: unknown): Promise<{ templateId: string; version: number }> {
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(templateId)) throw notFound('雛形');
  const t = parseInput(templateSchema, raw);
  const version = await withTenant(db, tenant, (tx) => upsertTemplate(tx, tenant, templateId, t, clock.now()));
  return { templateId, version };
}

export async function putVaccinationSettings(db: Db, clock: Clock, tenant: string, raw: unknown): Promise<{ vaccinations: number }> {
  const r = await putSettings(db, clock, tenant, { vaccinations: raw });
  return { vaccinations: r.vaccinations };
}

export interface LinkageRow {
  readonly municipalityIdentityKey: string;
  readonly targetId: string;
  readonly status: 'linked' | 'error' | 'deleted';
  readonly error: string | null;
  readonly fileName: string;
  readonly at: string;
  readonly changeCategory: string | null;
  readonly movementDate: string | null;
  readonly targetCategory: string | null;
  readonly reductionCategory: string | null;
  readonly flags: { readonly recovery: boolean; readonly notDisclosed: boolean; readonly viewingSuspended: boolean };
}

const linkageQuery = z.object({
  status: z.enum(['linked', 'error', 'deleted']).optional(),
  keys: z.array(identityKey).max(10_000).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  perPage: z.coerce.number().int().min(1).max(10_000).default(100),
});

/** PMH-21: the linkage status of a tenant's targets (no My Number, no basic information). */
export async function linkageList(db: Db, tenant: string, raw: unknown): Promise<{ total: number; page: number; perPage: number; items: LinkageRow[] }> {
  const q = parseInput(linkageQuery, raw ?? {});
  return withTenant(db, tenant, async (tx) => {
    const where = sql`WHERE (${q.status ?? null}::text IS NULL OR link_status = ${q.status ?? null}) AND (${q.keys ?? null}::text[] IS NULL OR identity_key = ANY(${q.keys ?? null}::text[]))`;
    const total = Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.targets ${where}`.execute(tx)).rows[0]!.n);
    const rows = await sql<Record<string, unknown>>`
      SELECT identity_key, target_id, link_status, link_error, file_name, linked_at, change_category, movement_date::text AS movement_date, target_category, reduction_category, recovery, not_disclosed, viewing_suspended
      FROM platform.targets ${where} ORDER BY identity_key LIMIT ${q.perPage} OFFSET ${(q.page - 1) * q.perPage}`.execute(tx);
    return {
      total,
      page: q.page,
      perPage: q.perPage,
      items: rows.rows.map((r) => ({
        municipalityIdentityKey: r['identity_key'] as string,
        targetId: r['target_id'] as string,
        status: r['link_status'] as LinkageRow['status'],
        error: (r['link_error'] as string | null) ?? null,
        fileName: r['file_name'] as string,
        at: new Date(r['linked_at'] as string).toISOString(),
        changeCategory: (r['change_category'] as string | null) ?? null,
        movementDate: (r['movement_date'] as string | null) ?? null,
        targetCategory: (r['target_category'] as string | null) ?? null,
        reductionCategory: (r['reduction_category'] as string | null) ?? null,
        flags: { recovery: r['recovery'] as boolean, notDisclosed: r['not_disclosed'] as boolean, viewingSuspended: r['viewing_suspended'] as boolean },
      })),
    };
  });
}

/** PMH-03: deletion at an operator's request (運用保守事業者への依頼), recorded with who and why. */
export async function deleteByOperator(db: Db, clock: Clock, tenant: string, key: string, by: string, reason: unknown): Promise<{ targetId: string }> {
  const why = parseInput(z.string({ message: '削除の理由（reason）を記入してください' }).trim().min(1, { message: '削除の理由（reason）を記入してください' }).max(500), reason, 'reason');
  const now = clock.now();
  return withTenant(db, tenant, async (tx) => {
    const r = await sql<{ target_id: string }>`SELECT target_id FROM platform.targets WHERE identity_key = ${key} AND NOT deleted`.execute(tx);
    const t = r.rows[0];
    if (!t) throw notFound('対象者');
    await eraseTarget(tx, tenant, t.target_id, { at: now, how: 'operator', by, reason: why, fileName: `operator-${now.toISOString().slice(0, 10)}` });
    await sql`INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose) VALUES (${tenant}, ${now}, 'operator', ${by}, 'target.delete', ${t.target_id}, ${why})`.execute(tx);
    return { targetId: t.target_id };
  });
}

export const ACTION_LABELS: Record<string, string> = {
  'target.register': '対象者情報の登録・更新',
  'target.delete': '対象者情報の削除',
  'portal.persons': 'マイナポータルでの本人情報の表示',
  'portal.notices': 'マイナポータルでのお知らせの表示',
  'portal.questionnaire': 'マイナポータルでの予診票の表示',
  'portal.answer': 'マイナポータルでの予診票の入力',
  'portal.records': 'マイナポータルでの接種記録の表示',
  'portal.data-use': 'マイナポータルでの利用記録の表示',
  'pmhkey.issue': 'PMHキーの採番',
  'clinic.reception': '医療機関での受付',
  'clinic.refused': '医療機関での受付（契約がないため拒否）',
  'clinic.visits': '医療機関での受付一覧の表示',
  'clinic.visit': '医療機関での受付内容の表示',
  'clinic.questionnaire': '医療機関での予診票の確認',
  'clinic.identity': '医療機関の診察室での本人確認',
  'clinic.decision': '医療機関での接種不可の判断',
  'clinic.cancel': '医療機関での受付の取消',
  'clinic.dose': '医療機関での接種記録の登録',
};

export interface HandlingEntry {
  readonly at: string;
  readonly actorKind: string;
  readonly actor: string;
  readonly action: string;
  readonly actionName: string;
  readonly targetId: string | null;
  readonly count: number;
  readonly purpose: string;
}

/** PMH-22: the tenant's SPI handling log, oldest first, within [from, to). */
export async function handlingLog(db: Db, tenant: string, raw: unknown): Promise<HandlingEntry[]> {
  const q = parseInput(z.object({ from: z.string().datetime({ offset: true }).or(z.string().date()).optional(), to: z.string().datetime({ offset: true }).or(z.string().date()).optional(), limit: z.coerce.number().int().min(1).max(100_000).default(10_000) }), raw ?? {});
  return withTenant(db, tenant, async (tx) => {
    const rows = await sql<Record<string, unknown>>`
      SELECT at, actor_kind, actor, action, target_id, count, purpose FROM platform.handling_log
      WHERE (${q.from ?? null}::timestamptz IS NULL OR at >= ${q.from ?? null}::timestamptz) AND (${q.to ?? null}::timestamptz IS NULL OR at < ${q.to ?? null}::timestamptz)
      ORDER BY seq LIMIT ${q.limit}`.execute(tx);
    return rows.rows.map((r) => ({
      at: new Date(r['at'] as string).toISOString(),
      actorKind: r['actor_kind'] as string,
      actor: r['actor'] as string,
      action: r['action'] as string,
      actionName: ACTION_LABELS[r['action'] as string] ?? (r['action'] as string),
      targetId: (r['target_id'] as string | null) ?? null,
      count: Number(r['count']),
      purpose: r['purpose'] as string,
    }));
  });
}

export function handlingLogCsv(entries: readonly HandlingEntry[]): string {
  return csvDocument(['日時', '操作者の種別', '操作者', '操作', '予防接種対象者番号', '件数', '目的'], entries.map((e) => [e.at, e.actorKind, e.actor, e.actionName, e.targetId ?? '', e.count, e.purpose]));
}
