// Dose registration by an institution (PMH-16 items only, docs/formats/clinic-protocol.md §2 `Dose`): the
// live schedule check (the municipality's schedule engine on the target's history), the refusals of the
// contract, and one transaction that writes the dose, the target's history row (what マイナポータル shows),
// the visit's status, the questionnaire answer's `used`, and the handling-log row.  A replay under the same
// Idempotency-Key gives the first answer.  Keyed by 予防接種対象者番号 only (PMH-13).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { Problem, parseInput, validationFailed } from '../../kernel/problems/index.js';
import { isValidGtin14, parseGs1 } from '../../municipality/records/gs1.js';
import { checkWith, type HistoryItem } from '../../municipality/schedule/index.js';
import { programCode } from '../model.js';
import { withTenant, type Tx } from '../store.js';
import { asTenant, handled, type ClinicContext, type ClinicUser } from './context.js';
import { contractedOn, noContract } from './institutions.js';
import { newId, targetInfo, VISIT_COLUMNS, type VisitRow } from './visits.js';

export interface DoseWarning {
  readonly code: string;
  readonly level: 'problem' | 'note';
  readonly message: string;
}

/** A refusal that carries the schedule warnings (409 SCHEDULE_PROBLEMS). */
export class ScheduleProblem extends Problem {
  constructor(readonly warnings: readonly DoseWarning[]) {
    super(409, 'SCHEDULE_PROBLEMS', '予防接種のスケジュールに問題があります', `${warnings.filter((w) => w.level === 'problem').map((w) => w.message).join('。')}。接種する場合は理由（overrideReason）を記入してください。`);
  }
}

export const ROUTES = ['皮下注射', '筋肉内注射', '経口', '経皮', '皮内注射', '鼻腔内'] as const;

const isoDate = z
  .string({ message: '日付（YYYY-MM-DD）を指定してください' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: '日付は YYYY-MM-DD で指定してください' })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, { message: '存在しない日付です' });
const text = (label: string, max: number) =>
  z.string({ message: `${label}を入力してください` }).trim().min(1, { message: `${label}を入力してください` }).max(max, { message: `${label}は${max}文字以内です` });

/** The Dose of the contract: PMH-16 items only; anything else is refused. */
export const doseSchema = z
  .object({
    targetId: z.string({ message: '予防接種対象者番号（targetId）を指定してください' }).regex(/^T[0-9]{15}$/, { message: '予防接種対象者番号の形式が正しくありません' }),
    visitId: z.string({ message: '受付番号（visitId）を指定してください' }).regex(/^V[0-9A-Z]{20}$/, { message: '受付番号の形式が正しくありません' }),
    answerId: z.string().regex(/^A[0-9A-Z]{20}$/, { message: '予診票の番号の形式が正しくありません' }).optional(),
    programCode,
    dose: z.number({ message: '回数（dose）は整数です' }).int({ message: '回数（dose）は整数です' }).min(1).max(20),
    product: z.string({ message: 'ワクチン（product）を指定してください' }).regex(/^[a-z0-9-]{1,40}$/, { message: 'ワクチンのコードは英小文字・数字・ハイフンです' }),
    vaccinatedOn: isoDate,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: '接種時刻は HH:MM です' }).optional(),
    consent: z.literal(true, { message: '接種の同意（consent: true）が必要です' }),
    doctorName: text('医師名（doctorName）', 50),
    place: text('接種場所（place）', 100).optional(),
    implementationClass: z.enum(['individual', 'group'], { message: '実施区分（implementationClass）は individual（個別）か group（集団）です' }),
    vaccinationClass: z.enum(['routine', 'voluntary', 'temporary'], { message: '接種区分（vaccinationClass）は routine（定期）・voluntary（任意）・temporary（臨時）のいずれかです' }),
    gtin: z.string({ message: 'GTIN を指定してください' }).refine(isValidGtin14, { message: 'GTIN の桁数またはチェックデジットが正しくありません' }),
    manufacturer: text('製造販売業者（manufacturer）', 100),
    vaccineName: text('ワクチン名（vaccineName）', 100),
    lot: z.string({ message: 'ロット番号（lot）を入力してください' }).trim().min(1, { message: 'ロット番号（lot）を入力してください' }).max(20, { message: 'ロット番号は20文字以内です' }).regex(/^[\x21-\x7e]+$/, { message: 'ロット番号は英数字・記号（半角）です' }),
    amount: text('接種量（amount）', 20),
    site: text('接種部位（site）', 40),
    route: z.enum(ROUTES, { message: `接種経路（route）は ${ROUTES.join('・')} のいずれかです` }),
    expiry: isoDate,
    caution: z.boolean({ message: '要注意者（caution）は true か false です' }),
    specialCircumstances: text('特別な事情（specialCircumstances）', 200).optional(),
    overseas: z.literal(false, { message: '海外での接種（overseas）は医療機関からは登録できません（false）' }),
    overrideReason: text('スケジュールの問題を承知で接種する理由（overrideReason）', 500).optional(),
  })
  .strict();
export type Dose = z.output<typeof doseSchema>;

const notCheckedIn = () =>
  new Problem(403, 'NOT_CHECKED_IN', '受付されていない方です', 'この予防接種対象者番号の方は、本日この医療機関の受付で確認されていません。受付で本人確認をしてから登録してください。');

/** GS1 DataMatrix / GS1-128 text (AI 01/17/10) → GTIN, lot and expiry. */
export function readGs1(raw: unknown): { gtin: string; lot: string | null; expiry: string | null } {
  const { scan } = parseInput(z.object({ scan: z.string({ message: '読み取った内容（scan）を指定してください' }).min(1, { message: '読み取った内容（scan）を指定してください' }).max(200) }).strict(), raw);
  const r = parseGs1(scan);
  if (!r.ok) throw validationFailed([{ field: 'scan', code: 'GS1_INVALID', message: r.message }]);
  return { gtin: r.value.gtin!, lot: r.value.lot, expiry: r.value.expiry };
}

interface Checked {
  readonly visit: VisitRow;
  readonly reductionCategory: string | null;
  readonly programCode: string;
  readonly dose: number;
  readonly warnings: DoseWarning[];
}

const SEX: Record<string, 'male' | 'female'> = { '1': 'male', '2': 'female' };

/**
 * The checks shared by `/doses/check` and `/doses`, inside the caller's transaction (switched to the
 * visit's municipality on return): the visit of today at this institution for this target, the contract,
 * and the schedule engine on the person and their history.
 */
async function checkIn(c: ClinicContext, tx: Tx, u: ClinicUser, d: Dose): Promise<Checked> {
  const today = c.clock.today();
  const r = await sql<VisitRow>`
    SELECT ${VISIT_COLUMNS} FROM platform.visits v
    WHERE v.visit_id = ${d.visitId} AND v.institution_code = ${u.institutionCode} AND v.target_id = ${d.targetId} AND v.visit_date = ${today}::date AND v.status <> 'cancelled'
    FOR UPDATE`.execute(tx);
  const visit = r.rows[0];
  if (!visit) throw notCheckedIn();
  if (!(await contractedOn(tx, u.institutionCode, [visit.tenant_code], d.vaccinatedOn)).size) throw noContract();
  await asTenant(tx, visit.tenant_code);
  const t = await targetInfo(c, tx, visit.tenant_code, d.targetId);
  if (!t) throw notCheckedIn();
  const hist = await sql<{ record_id: string; program_code: string; product: string | null; vaccinated_on: string }>`
    SELECT record_id, program_code, product, vaccinated_on::text AS vaccinated_on FROM platform.target_records
    WHERE tenant_code = ${visit.tenant_code} AND target_id = ${d.targetId} ORDER BY vaccinated_on, record_id`.execute(tx);
  const warnings: DoseWarning[] = [];
  const cat = c.catalog;
  const history: HistoryItem[] = [];
  let unknown = 0;
  for (const h of hist.rows) {
    // A history row without its vaccine (older municipality data) counts as the program's first vaccine.
    const product = h.product && cat.productByCode.has(h.product) ? h.product : cat.programsByCode.get(h.program_code)?.[0]?.products[0]?.code;
    if (product && cat.productByCode.has(product)) history.push({ product, date: h.vaccinated_on, ref: h.record_id.slice(0, 64) });
    else unknown++;
  }
  if (unknown) warnings.push({ code: 'HISTORY_INCOMPLETE', level: 'note', message: `接種歴のうち${unknown}件はワクチンが分からないため、確認に含めていません` });
  if (!cat.productByCode.has(d.product)) {
    warnings.push({ code: 'UNKNOWN_PRODUCT', level: 'problem', message: 'スケジュールの確認に使うワクチンの一覧にないワクチンです' });
    return { visit, reductionCategory: t.reductionCategory, programCode: d.programCode, dose: d.dose, warnings };
  }
  const sex = SEX[t.info.sex];
  if (!sex) warnings.push({ code: 'SEX_UNKNOWN', level: 'note', message: '性別が不明のため、性別による対象の確認はしていません' });
  const program = cat.programsByCode.has(d.programCode) ? d.programCode : undefined;
  if (!program) warnings.push({ code: 'PROGRAM_NOT_IN_CATALOG', level: 'note', message: 'この予防接種はスケジュールの確認の対象外です（市区町村独自の事業）' });
  const res = checkWith(cat, { birthDate: t.info.dateOfBirth, sex: sex ?? 'female', conditions: [] }, history, { product: d.product, date: d.vaccinatedOn, program });
  if (program) {
    for (const p of res.problems) warnings.push({ code: p.code, level: 'problem', message: p.message });
    if (res.dose !== null && res.dose !== d.dose) warnings.push({ code: 'DOSE_MISMATCH', level: 'problem', message: `接種歴からは第${res.dose}回にあたります（登録しようとしているのは第${d.dose}回）` });
  }
  for (const n of res.notes) warnings.push({ code: n.code, level: 'note', message: n.message });
  return { visit, reductionCategory: t.reductionCategory, programCode: (program && res.program) || d.programCode, dose: (program && res.dose) || d.dose, warnings };
}

/** The live check of a proposed dose: nothing is written. */
export async function checkDose(c: ClinicContext, u: ClinicUser, raw: unknown): Promise<{ programCode: string; dose: number; warnings: DoseWarning[] }> {
  const d = parseInput(doseSchema, raw);
  return withTenant(c.db, u.institutionCode, async (tx) => {
    const k = await checkIn(c, tx, u, d);
    if (d.expiry < d.vaccinatedOn) k.warnings.unshift({ code: 'LOT_EXPIRED', level: 'problem', message: '接種日にワクチンの有効期限が切れています' });
    return { programCode: k.programCode, dose: k.dose, warnings: k.warnings };
  });
}

export interface DoseAnswer {
  readonly recordId: string;
  readonly targetId: string;
  readonly warnings: DoseWarning[];
}

/** Registers a dose (doctor).  `idempotencyKey`: the same key and body give the first answer again. */
export async function registerDose(c: ClinicContext, u: ClinicUser, raw: unknown, idempotencyKey?: string): Promise<{ replay: boolean; answer: DoseAnswer }> {
  const d = parseInput(doseSchema, raw);
  if (idempotencyKey !== undefined && !/^[A-Za-z0-9._:-]{1,100}$/.test(idempotencyKey)) {
    throw validationFailed([{ field: 'Idempotency-Key', code: 'INVALID', message: '英数字と . _ : - の100文字以内で指定してください' }]);
  }
  const bodyHash = createHash('sha256').update(JSON.stringify(d)).digest();
  const now = c.clock.now();
  const replayOf = async (tx: Tx): Promise<DoseAnswer | null> => {
    if (!idempotencyKey) return null;
    const p = await sql<{ record_id: string; target_id: string; warnings: DoseWarning[]; body_hash: Buffer }>`
      SELECT record_id, target_id, warnings, body_hash FROM platform.institution_doses WHERE institution_code = ${u.institutionCode} AND idempotency_key = ${idempotencyKey}`.execute(tx);
    const row = p.rows[0];
    if (!row) return null;
    if (!Buffer.from(row.body_hash).equals(bodyHash)) throw new Problem(409, 'IDEMPOTENCY_CONFLICT', '処理を完了できません', '同じ Idempotency-Key で別の内容が送られました。新しいキーで送ってください。');
    return { recordId: row.record_id, targetId: row.target_id, warnings: row.warnings };
  };
  try {
    return await withTenant(c.db, u.institutionCode, async (tx) => {
      const prior = await replayOf(tx);
      if (prior) return { replay: true, answer: prior };
      const k = await checkIn(c, tx, u, d);
      const v = k.visit;
      if (!v.exam_at) throw new Problem(409, 'IDENTITY_CHECK_REQUIRED', '診察室での本人確認が必要です', '接種の前に、診察室で本人確認をして記録してください。');
      if (v.decision === 'not-vaccinable') throw new Problem(409, 'NOT_VACCINABLE', '接種不可と判断された方です', `この受付では接種不可と判断されています（${v.decision_reason ?? ''}）。`);
      if (d.expiry < d.vaccinatedOn) throw new Problem(422, 'LOT_EXPIRED', 'ワクチンの有効期限が切れています', `ロット ${d.lot} の有効期限（${d.expiry}）は接種日より前です。`, [{ field: 'expiry', code: 'LOT_EXPIRED', message: '接種日にワクチンの有効期限が切れています' }]);
      if (d.vaccinatedOn !== v.visit_date) throw validationFailed([{ field: 'vaccinatedOn', code: 'NOT_VISIT_DATE', message: '接種日は受付の日（本日）です' }]);
      if (k.warnings.some((w) => w.level === 'problem') && !d.overrideReason) throw new ScheduleProblem(k.warnings);
      // The 予診票 the dose uses: the one given, or the latest answer of this program and dose.
      const ans = await sql<{ answer_id: string }>`
        SELECT answer_id FROM platform.answers WHERE tenant_code = ${v.tenant_code} AND target_id = ${d.targetId} AND status <> 'withdrawn'
          AND CASE WHEN ${d.answerId ?? null}::text IS NULL THEN program_code = ${d.programCode} AND dose = ${d.dose} ELSE answer_id = ${d.answerId ?? null} END
        ORDER BY answered_at DESC LIMIT 1`.execute(tx);
      if (d.answerId && !ans.rows[0]) throw validationFailed([{ field: 'answerId', code: 'UNKNOWN_ANSWER', message: 'この方の予診票ではありません' }]);
      const answerId = d.answerId ?? ans.rows[0]?.answer_id ?? null;
      const recordId = newId('R');
      const institutionName = u.institutionName;
      await sql`
        INSERT INTO platform.institution_doses (tenant_code, record_id, institution_code, target_id, visit_id, answer_id, program_code, dose, product, vaccinated_on, time, doctor_name, place,
          implementation_class, vaccination_class, gtin, manufacturer, vaccine_name, lot, amount, site, route, expiry, consent, caution, special_circumstances, overseas, warnings,
          override_reason, reduction_category, registered_by, registered_at, idempotency_key, body_hash)
        VALUES (${v.tenant_code}, ${recordId}, ${u.institutionCode}, ${d.targetId}, ${v.visit_id}, ${answerId}, ${d.programCode}, ${d.dose}, ${d.product}, ${d.vaccinatedOn}, ${d.time ?? null},
          ${d.doctorName}, ${d.place ?? null}, ${d.implementationClass}, ${d.vaccinationClass}, ${d.gtin}, ${d.manufacturer}, ${d.vaccineName}, ${d.lot}, ${d.amount}, ${d.site}, ${d.route},
          ${d.expiry}, ${d.consent}, ${d.caution}, ${d.specialCircumstances ?? null}, ${d.overseas}, ${JSON.stringify(k.warnings)}::jsonb, ${d.overrideReason ?? null}, ${k.reductionCategory},
          ${u.userId}, ${now}, ${idempotencyKey ?? null}, ${bodyHash})`.execute(tx);
      await sql`
        INSERT INTO platform.target_records (tenant_code, target_id, record_id, program_code, dose, vaccinated_on, vaccine_name, lot_number, institution_name, source, product)
        VALUES (${v.tenant_code}, ${d.targetId}, ${recordId}, ${d.programCode}, ${d.dose}, ${d.vaccinatedOn}, ${d.vaccineName}, ${d.lot}, ${institutionName}, 'institution', ${d.product})`.execute(tx);
      await sql`UPDATE platform.visits SET status = 'vaccinated' WHERE visit_id = ${v.visit_id}`.execute(tx);
      if (answerId) await sql`UPDATE platform.answers SET status = 'used' WHERE tenant_code = ${v.tenant_code} AND answer_id = ${answerId}`.execute(tx);
      await handled(tx, now, v.tenant_code, u, 'clinic.dose', d.targetId, d.overrideReason ? `予防接種の記録の登録（医療機関・スケジュールの問題を承知で接種: ${d.overrideReason}）` : '予防接種の記録の登録（医療機関）');
      return { replay: false, answer: { recordId, targetId: d.targetId, warnings: k.warnings } };
    });
  } catch (e) {
    // Two requests with the same key at once: the loser gives the winner's answer.
    if (idempotencyKey && (e as { code?: string }).code === '23505') {
      const again = await withTenant(c.db, u.institutionCode, replayOf);
      if (again) return { replay: true, answer: again };
    }
    throw e;
  }
}
