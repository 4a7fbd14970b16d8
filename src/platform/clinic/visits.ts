// Visits (来院) of an institution: opened by the reception (reception.ts), then the examination-room
// identity check (PMH-14), the questionnaire (PMH-11/17), the decision 接種不可, cancel, and the doses
// (doses.ts).  A visit is keyed by 予防接種対象者番号 (targetId) — never a My Number (PMH-13, PMH-16).  Every
// read or change of a target's data is a row of the municipality's handling log (PMH-22).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { Problem, notFound, parseInput } from '../../kernel/problems/index.js';
import { SEX_LABELS, type BasicFiveInfo, type PlatformDb as Tx, type Template } from '../index.js';
import { actorOf, asTenant, handled, withInstitution, type ClinicContext, type ClinicUser } from './context.js';

export const IDENTITY_METHOD_LABELS = {
  card: 'マイナンバーカード',
  insurance: '健康保険証',
  qualification: '資格確認書',
  boshi: '母子健康手帳',
  license: '運転免許証',
  other: 'その他',
} as const;
export type IdentityMethod = keyof typeof IDENTITY_METHOD_LABELS;

export const VISIT_STATUS_LABELS = { 'checked-in': '受付済', examined: '本人確認済（診察室）', 'not-vaccinable': '接種不可', vaccinated: '接種済', cancelled: '取消' } as const;
export type VisitStatus = keyof typeof VISIT_STATUS_LABELS;

const methods = Object.keys(IDENTITY_METHOD_LABELS) as [IdentityMethod, ...IdentityMethod[]];
export const identityCheckSchema = z
  .object(
    {
      method: z.enum(methods, { message: `本人確認の方法（method）は ${methods.join('・')} のいずれかです` }),
      note: z.string().trim().max(200, { message: '備考は200文字以内です' }).optional(),
    },
    { message: '本人確認（identityCheck）を指定してください' },
  )
  .strict()
  .refine((v) => v.method !== 'other' || !!v.note, { message: '「その他」のときは確認した書類を備考（note）に記入してください', path: ['note'] });
export type IdentityCheck = z.output<typeof identityCheckSchema>;

const reasonSchema = (what: string) => z.string({ message: `${what}（reason）を記入してください` }).trim().min(1, { message: `${what}（reason）を記入してください` }).max(500, { message: `${what}は500文字以内です` });

export interface Person {
  readonly name: string;
  readonly kana: string;
  readonly birthDate: string;
  readonly sex: string;
}

export interface VisitSummary {
  readonly visitId: string;
  readonly targetId: string;
  readonly status: VisitStatus;
  readonly statusName: string;
  readonly visitDate: string;
  readonly municipality: { readonly code: string; readonly name: string };
  readonly person: Person;
  readonly receptionCheck: { readonly method: IdentityMethod; readonly note: string | null; readonly via: 'card' | 'qr'; readonly by: string; readonly at: string };
  readonly examCheck: { readonly method: IdentityMethod; readonly note: string | null; readonly by: string; readonly at: string } | null;
}

export interface Visit extends VisitSummary {
  readonly answerId: string | null;
  readonly due: { programCode: string; name: string; dose: number; dueFrom: string | null; dueUntil: string | null }[];
  readonly answers: { answerId: string; programCode: string; dose: number; answeredAt: string; status: string }[];
  readonly decision: { readonly vaccinable: false; readonly reason: string; readonly by: string; readonly at: string } | null;
  readonly cancelReason: string | null;
  readonly doses: { recordId: string; programCode: string; dose: number; product: string; vaccineName: string; lot: string; vaccinatedOn: string; doctorName: string }[];
}

export interface VisitDetail extends Visit {
  /** The answers of the 予診票 with item labels (doctor and admin only; null for the reception). */
  readonly questionnaire: { answerId: string; programCode: string; dose: number; title: string; answeredAt: string; status: string; items: { itemId: string; label: string; value: string | number | boolean | null }[] }[] | null;
  readonly history: { programCode: string; programName: string; dose: number | null; date: string; product: string | null; vaccineName: string | null; lot: string | null; institutionName: string | null }[];
}

export interface VisitRow {
  visit_id: string;
  tenant_code: string;
  institution_code: string;
  visit_date: string;
  target_id: string;
  status: VisitStatus;
  answer_id: string | null;
  reception_method: IdentityMethod;
  reception_note: string | null;
  reception_via: 'card' | 'qr';
  reception_by: string;
  reception_at: Date;
  exam_method: IdentityMethod | null;
  exam_note: string | null;
  exam_by: string | null;
  exam_at: Date | null;
  decision: 'not-vaccinable' | null;
  decision_reason: string | null;
  decision_by: string | null;
  decision_at: Date | null;
  cancel_reason: string | null;
}

export const VISIT_COLUMNS = sql.raw(
  `v.visit_id, v.tenant_code, v.institution_code, v.visit_date::text AS visit_date, v.target_id, v.status, v.answer_id, v.reception_method, v.reception_note, v.reception_via, v.reception_by, v.reception_at,
   v.exam_method, v.exam_note, v.exam_by, v.exam_at, v.decision, v.decision_reason, v.decision_by, v.decision_at, v.cancel_reason`,
);

const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** `prefix` + 20 random characters of [0-9A-Z]. */
export function newId(prefix: 'V' | 'R'): string {
  const b = randomBytes(20);
  let s = prefix;
  for (const x of b) s += ALPHA[x % 36];
  return s;
}

export function personOf(info: BasicFiveInfo): Person {
  return { name: info.name, kana: info.nameKana, birthDate: info.dateOfBirth, sex: SEX_LABELS[info.sex as keyof typeof SEX_LABELS] ?? '不明' };
}

/** The basic information of a target (opened from its sealed copy), or undefined when deleted / unknown. */
export async function targetInfo(c: ClinicContext, tx: Tx, tenant: string, targetId: string): Promise<{ info: BasicFiveInfo; reductionCategory: string | null; pmhKey: string | null } | undefined> {
  const r = await sql<{ sealed: Buffer | null; reduction_category: string | null; pmh_key: string | null }>`
    SELECT sealed, reduction_category, pmh_key FROM platform.targets WHERE tenant_code = ${tenant} AND target_id = ${targetId} AND NOT deleted`.execute(tx);
  const row = r.rows[0];
  if (!row?.sealed) return undefined;
  const s = c.secrets.open<{ basicFiveInfo: BasicFiveInfo }>('target', tenant, targetId, Buffer.from(row.sealed));
  return { info: s.basicFiveInfo, reductionCategory: row.reduction_category, pmhKey: row.pmh_key };
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function summaryOf(v: VisitRow, municipalityName: string, person: Person): VisitSummary {
  return {
    visitId: v.visit_id,
    targetId: v.target_id,
    status: v.status,
    statusName: VISIT_STATUS_LABELS[v.status],
    visitDate: v.visit_date,
    municipality: { code: v.tenant_code, name: municipalityName },
    person,
    receptionCheck: { method: v.reception_method, note: v.reception_note, via: v.reception_via, by: v.reception_by, at: iso(v.reception_at)! },
    examCheck: v.exam_method ? { method: v.exam_method, note: v.exam_note, by: v.exam_by ?? '', at: iso(v.exam_at)! } : null,
  };
}

async function municipalityName(tx: Tx, code: string): Promise<string> {
  return (await sql<{ name: string }>`SELECT name FROM platform.tenants WHERE tenant_code = ${code}`.execute(tx)).rows[0]?.name ?? code;
}

/** The full Visit (transaction already on the visit's municipality). */
export async function visitOf(c: ClinicContext, tx: Tx, v: VisitRow): Promise<Visit> {
  const t = await targetInfo(c, tx, v.tenant_code, v.target_id);
  if (!t) throw notFound('受付');
  const [name, due, answers, doses] = [
    await municipalityName(tx, v.tenant_code),
    await sql<{ program_code: string; name: string | null; dose: number; due_from: string | null; due_until: string | null }>`
      SELECT tv.program_code, s.name, tv.dose, tv.due_from::text AS due_from, tv.due_until::text AS due_until
      FROM platform.target_vaccinations tv LEFT JOIN platform.vaccination_settings s ON s.tenant_code = tv.tenant_code AND s.program_code = tv.program_code
      WHERE tv.tenant_code = ${v.tenant_code} AND tv.target_id = ${v.target_id}
        AND NOT EXISTS (SELECT 1 FROM platform.target_records r WHERE r.tenant_code = tv.tenant_code AND r.target_id = tv.target_id AND r.program_code = tv.program_code AND r.dose = tv.dose)
      ORDER BY tv.due_from NULLS LAST, tv.program_code, tv.dose`.execute(tx),
    await sql<{ answer_id: string; program_code: string; dose: number; answered_at: Date; status: string }>`
      SELECT answer_id, program_code, dose, answered_at, status FROM platform.answers
      WHERE tenant_code = ${v.tenant_code} AND target_id = ${v.target_id} AND status <> 'withdrawn' ORDER BY answered_at DESC`.execute(tx),
    await sql<{ record_id: string; program_code: string; dose: number; product: string; vaccine_name: string; lot: string; vaccinated_on: string; doctor_name: string }>`
      SELECT record_id, program_code, dose, product, vaccine_name, lot, vaccinated_on::text AS vaccinated_on, doctor_name FROM platform.institution_doses
      WHERE tenant_code = ${v.tenant_code} AND visit_id = ${v.visit_id} ORDER BY seq`.execute(tx),
  ];
  return {
    ...summaryOf(v, name, personOf(t.info)),
    answerId: v.answer_id,
    due: due.rows.map((d) => ({ programCode: d.program_code, name: d.name ?? d.program_code, dose: d.dose, dueFrom: d.due_from, dueUntil: d.due_until })),
    answers: answers.rows.map((a) => ({ answerId: a.answer_id, programCode: a.program_code, dose: a.dose, answeredAt: iso(a.answered_at)!, status: a.status })),
    decision: v.decision ? { vaccinable: false, reason: v.decision_reason ?? '', by: v.decision_by ?? '', at: iso(v.decision_at)! } : null,
    cancelReason: v.cancel_reason,
    doses: doses.rows.map((d) => ({ recordId: d.record_id, programCode: d.program_code, dose: d.dose, product: d.product, vaccineName: d.vaccine_name, lot: d.lot, vaccinatedOn: d.vaccinated_on, doctorName: d.doctor_name })),
  };
}

/**
 * A visit of this institution, in a transaction switched to the visit's municipality (RLS).  Another
 * institution's visit, or an unknown id, is the same 404.
 */
export async function withVisit<T>(c: ClinicContext, u: ClinicUser, visitId: string, fn: (tx: Tx, v: VisitRow) => Promise<T>): Promise<T> {
  if (!/^V[0-9A-Z]{20}$/.test(visitId)) throw notFound('受付');
  return withInstitution(c.db, u.institutionCode, {}, async (tx) => {
    const r = await sql<VisitRow>`SELECT ${VISIT_COLUMNS} FROM platform.visits v WHERE v.visit_id = ${visitId} AND v.institution_code = ${u.institutionCode} FOR UPDATE`.execute(tx);
    const v = r.rows[0];
    if (!v) throw notFound('受付');
    await asTenant(tx, v.tenant_code);
    return fn(tx, v);
  });
}

const listQuery = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: '日付は YYYY-MM-DD で指定してください' }).optional(),
  page: z.coerce.number({ message: 'ページ（page）は1以上の整数です' }).int().min(1).max(10_000).default(1),
});
export const VISITS_PAGE_SIZE = 50;

/** The visits of a day (today by default), newest reception first, paged with the total. */
export async function listVisits(c: ClinicContext, u: ClinicUser, raw: unknown): Promise<{ total: number; page: number; pageSize: number; date: string; items: VisitSummary[] }> {
  const q = parseInput(listQuery, raw ?? {});
  const date = q.date ?? c.clock.today();
  const now = c.clock.now();
  return withInstitution(c.db, u.institutionCode, {}, async (tx) => {
    const r = await sql<VisitRow & { total: string }>`
      SELECT ${VISIT_COLUMNS}, count(*) OVER ()::text AS total FROM platform.visits v
      WHERE v.institution_code = ${u.institutionCode} AND v.visit_date = ${date}::date
      ORDER BY v.reception_at DESC, v.visit_id LIMIT ${VISITS_PAGE_SIZE} OFFSET ${(q.page - 1) * VISITS_PAGE_SIZE}`.execute(tx);
    const total = r.rows[0] ? Number(r.rows[0].total) : 0;
    const byTenant = new Map<string, VisitRow[]>();
    for (const v of r.rows) byTenant.set(v.tenant_code, [...(byTenant.get(v.tenant_code) ?? []), v]);
    const items = new Map<string, VisitSummary>();
    for (const [tenant, vs] of byTenant) {
      await asTenant(tx, tenant);
      const name = await municipalityName(tx, tenant);
      const ts = await sql<{ target_id: string; sealed: Buffer | null }>`SELECT target_id, sealed FROM platform.targets WHERE tenant_code = ${tenant} AND target_id = ANY(${vs.map((v) => v.target_id)}::text[])`.execute(tx);
      const sealed = new Map(ts.rows.map((t) => [t.target_id, t.sealed]));
      for (const v of vs) {
        const s = sealed.get(v.target_id);
        // A target deleted since (moved away) is shown without its data.
        const person = s ? personOf(c.secrets.open<{ basicFiveInfo: BasicFiveInfo }>('target', tenant, v.target_id, Buffer.from(s)).basicFiveInfo) : { name: '（削除済み）', kana: '', birthDate: '', sex: '' };
        items.set(v.visit_id, summaryOf(v, name, person));
      }
      await sql`INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose)
                SELECT ${tenant}, ${now}, 'institution', ${actorOf(u)}, 'clinic.visits', t, '予防接種の受付一覧の表示（医療機関）'
                FROM unnest(${[...new Set(vs.map((v) => v.target_id))]}::text[]) AS t`.execute(tx);
    }
    return { total, page: q.page, pageSize: VISITS_PAGE_SIZE, date, items: r.rows.map((v) => items.get(v.visit_id)!) };
  });
}

/** One visit with its questionnaire (doctor/admin) and the target's history. */
export async function visitDetail(c: ClinicContext, u: ClinicUser, visitId: string): Promise<VisitDetail> {
  const now = c.clock.now();
  return withVisit(c, u, visitId, async (tx, v) => {
    const visit = await visitOf(c, tx, v);
    const hist = await sql<{ program_code: string; program_name: string | null; dose: number | null; vaccinated_on: string; product: string | null; vaccine_name: string | null; lot_number: string | null; institution_name: string | null }>`
      SELECT r.program_code, s.name AS program_name, r.dose, r.vaccinated_on::text AS vaccinated_on, r.product, r.vaccine_name, r.lot_number, r.institution_name
      FROM platform.target_records r LEFT JOIN platform.vaccination_settings s ON s.tenant_code = r.tenant_code AND s.program_code = r.program_code
      WHERE r.tenant_code = ${v.tenant_code} AND r.target_id = ${v.target_id} ORDER BY r.vaccinated_on, r.record_id`.execute(tx);
    let questionnaire: VisitDetail['questionnaire'] = null;
    if (u.role !== 'reception') {
      const rows = await sql<{ answer_id: string; program_code: string; dose: number; sealed: Buffer; status: string; answered_at: Date; template_id: string; content: Template | null }>`
        SELECT a.answer_id, a.program_code, a.dose, a.sealed, a.status, a.answered_at, a.template_id, t.content
        FROM platform.answers a LEFT JOIN platform.templates t ON t.tenant_code = a.tenant_code AND t.template_id = a.template_id
        WHERE a.tenant_code = ${v.tenant_code} AND a.target_id = ${v.target_id} AND a.status <> 'withdrawn'
        ORDER BY a.answered_at DESC`.execute(tx);
      questionnaire = rows.rows.map((a) => {
        const given = c.secrets.open<Record<string, string | number | boolean>>('answer', v.tenant_code, a.answer_id, Buffer.from(a.sealed));
        const items = a.content?.kind === 'questionnaire' ? a.content.items : [];
        const known = new Set(items.map((i) => i.itemId));
        return {
          answerId: a.answer_id, programCode: a.program_code, dose: a.dose, title: a.content?.title ?? '予診票', answeredAt: iso(a.answered_at)!, status: a.status === 'submitted' ? 'read' : a.status,
          items: [
            ...items.map((i) => ({ itemId: i.itemId, label: i.label, value: given[i.itemId] ?? null })),
            // An item of an older template version is still shown, under its id.
            ...Object.keys(given).filter((k) => !known.has(k)).map((k) => ({ itemId: k, label: k, value: given[k] ?? null })),
          ],
        };
      });
      await sql`UPDATE platform.answers SET status = 'read' WHERE tenant_code = ${v.tenant_code} AND target_id = ${v.target_id} AND status = 'submitted'`.execute(tx);
      await handled(tx, now, v.tenant_code, u, 'clinic.questionnaire', v.target_id, '予診票の確認（医療機関）');
    }
    await handled(tx, now, v.tenant_code, u, 'clinic.visit', v.target_id, '予防接種の受付内容の表示（医療機関）');
    return {
      ...visit,
      answers: visit.answers.map((a) => (a.status === 'submitted' && questionnaire ? { ...a, status: 'read' } : a)),
      questionnaire,
      history: hist.rows.map((h) => ({ programCode: h.program_code, programName: h.program_name ?? h.program_code, dose: h.dose, date: h.vaccinated_on, product: h.product, vaccineName: h.vaccine_name, lot: h.lot_number, institutionName: h.institution_name })),
    };
  });
}

const openStatus = (v: VisitRow) => v.status !== 'cancelled';
const notToday = () => new Problem(409, 'VISIT_CLOSED', '処理を完了できません', 'この受付は本日のものではないか、取り消されています。受付からやり直してください。');

/** PMH-14: the identity check in the examination room (doctor). */
export async function examIdentity(c: ClinicContext, u: ClinicUser, visitId: string, raw: unknown): Promise<Visit> {
  const check = parseInput(identityCheckSchema, raw);
  const now = c.clock.now();
  return withVisit(c, u, visitId, async (tx, v) => {
    if (!openStatus(v) || v.visit_date !== c.clock.today()) throw notToday();
    const r = await sql<VisitRow>`
      UPDATE platform.visits v SET exam_method = ${check.method}, exam_note = ${check.note ?? null}, exam_by = ${u.userId}, exam_at = ${now},
        status = CASE WHEN v.status = 'checked-in' THEN 'examined' ELSE v.status END
      WHERE v.visit_id = ${v.visit_id} RETURNING ${VISIT_COLUMNS}`.execute(tx);
    await handled(tx, now, v.tenant_code, u, 'clinic.identity', v.target_id, '診察室での本人確認（医療機関）');
    return visitOf(c, tx, r.rows[0]!);
  });
}

/** 接種不可 with its reason (doctor).  A visit with a dose already registered cannot be marked so. */
export async function decide(c: ClinicContext, u: ClinicUser, visitId: string, raw: unknown): Promise<Visit> {
  const d = parseInput(z.object({ vaccinable: z.literal(false, { message: '接種不可（vaccinable: false）だけを登録できます' }), reason: reasonSchema('接種不可の理由') }).strict(), raw);
  const now = c.clock.now();
  return withVisit(c, u, visitId, async (tx, v) => {
    if (!openStatus(v) || v.visit_date !== c.clock.today()) throw notToday();
    if (v.status === 'vaccinated') throw new Problem(409, 'ALREADY_VACCINATED', '処理を完了できません', 'この受付ではすでに接種を登録しています。');
    const r = await sql<VisitRow>`
      UPDATE platform.visits v SET decision = 'not-vaccinable', decision_reason = ${d.reason}, decision_by = ${u.userId}, decision_at = ${now}, status = 'not-vaccinable'
      WHERE v.visit_id = ${v.visit_id} RETURNING ${VISIT_COLUMNS}`.execute(tx);
    await handled(tx, now, v.tenant_code, u, 'clinic.decision', v.target_id, '接種不可の判断の登録（医療機関）');
    return visitOf(c, tx, r.rows[0]!);
  });
}

/** Cancels a visit (reception or doctor) — not once a dose was registered. */
export async function cancelVisit(c: ClinicContext, u: ClinicUser, visitId: string, raw: unknown): Promise<Visit> {
  const d = parseInput(z.object({ reason: reasonSchema('取消の理由') }).strict(), raw);
  const now = c.clock.now();
  return withVisit(c, u, visitId, async (tx, v) => {
    if (v.status === 'cancelled') throw new Problem(409, 'ALREADY_CANCELLED', '処理を完了できません', 'この受付はすでに取り消されています。');
    if (v.status === 'vaccinated') throw new Problem(409, 'ALREADY_VACCINATED', '処理を完了できません', '接種を登録した受付は取り消せません。');
    const r = await sql<VisitRow>`
      UPDATE platform.visits v SET status = 'cancelled', cancel_reason = ${d.reason}, cancelled_by = ${u.userId}, cancelled_at = ${now}
      WHERE v.visit_id = ${v.visit_id} RETURNING ${VISIT_COLUMNS}`.execute(tx);
    await handled(tx, now, v.tenant_code, u, 'clinic.cancel', v.target_id, '受付の取消（医療機関）');
    return visitOf(c, tx, r.rows[0]!);
  });
}
