// Dose registration by an institution (PMH-16 items only, docs/formats/clinic-protocol.md §2 `Dose`): the
// live schedule check (the municipality's schedule engine on the target's history), the refusals of the
// contract, and one transaction that writes the dose, the target's history row (what マイナポータル shows),
// the visit's status, the questionnaire answer's `used`, and the handling-log row.  A replay under the same
// Idempotency-Key gives the first answer.  Keyed by 予防接種対象者番号 only (PMH-13).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { isIsoDate } from '../../kernel/jp/index.js';
import { Problem, isProblem, parseInput, validationFailed } from '../../kernel/problems/index.js';
import type { BasicFiveInfo, PlatformDb as Tx } from '../index.js';
import { actorOf, clinicLog, withInstitution, type ClinicContext, type ClinicUser } from './context.js';
import { noContract } from './institutions.js';
import { newId, VISIT_COLUMNS, type VisitRow } from './visits.js';

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

const isoDate = z.string({ message: '日付（YYYY-MM-DD）を指定してください' }).refine(isIsoDate, { message: '日付は YYYY-MM-DD 形式の実在する日付で指定してください' });
/** GTIN-14 with its GS1 mod-10 check digit (weights 3·1 from the right). */
function isGtin14(g: string): boolean {
  if (!/^\d{14}$/.test(g)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(g[12 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(g[13]);
}

const text = (label: string, max: number) =>
  z.string({ message: `${label}を入力してください` }).trim().min(1, { message: `${label}を入力してください` }).max(max, { message: `${label}は${max}文字以内です` });

/** The Dose of the contract: PMH-16 items only; anything else is refused. */
export const doseSchema = z
  .object({
    targetId: z.string({ message: '予防接種対象者番号（targetId）を指定してください' }).regex(/^T[0-9]{15}$/, { message: '予防接種対象者番号の形式が正しくありません' }),
    visitId: z.string({ message: '受付番号（visitId）を指定してください' }).regex(/^V[0-9A-Z]{20}$/, { message: '受付番号の形式が正しくありません' }),
    answerId: z.string().regex(/^A[0-9A-Z]{20}$/, { message: '予診票の番号の形式が正しくありません' }).optional(),
    programCode: z.string({ message: '予防接種のコード（programCode）を指定してください' }).regex(/^[a-z0-9-]{1,40}$/, { message: '予防接種のコードは英小文字・数字・ハイフン40文字以内です' }),
    dose: z.number({ message: '回数（dose）は整数です' }).int({ message: '回数（dose）は整数です' }).min(1).max(20),
    product: z.string({ message: 'ワクチン（product）を指定してください' }).regex(/^[a-z0-9-]{1,40}$/, { message: 'ワクチンのコードは英小文字・数字・ハイフンです' }),
    vaccinatedOn: isoDate,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: '接種時刻は HH:MM です' }).optional(),
    consent: z.literal(true, { message: '接種の同意（consent: true）が必要です' }),
    doctorName: text('医師名（doctorName）', 50),
    place: text('接種場所（place）', 100).optional(),
    implementationClass: z.enum(['individual', 'group'], { message: '実施区分（implementationClass）は individual（個別）か group（集団）です' }),
    vaccinationClass: z.enum(['routine', 'voluntary', 'temporary'], { message: '接種区分（vaccinationClass）は routine（定期）・voluntary（任意）・temporary（臨時）のいずれかです' }),
    gtin: z.string({ message: 'GTIN を指定してください' }).refine(isGtin14, { message: 'GTIN の桁数またはチェックデジットが正しくありません' }),
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
export function readGs1(c: ClinicContext, raw: unknown): { gtin: string; lot: string | null; expiry: string | null } {
  const { scan } = parseInput(z.object({ scan: z.string({ message: '読み取った内容（scan）を指定してください' }).min(1, { message: '読み取った内容（scan）を指定してください' }).max(200) }).strict(), raw);
  const r = c.rules.parseGs1(scan);
  if (!r.ok) throw validationFailed([{ field: 'scan', code: 'GS1_INVALID', message: r.message }]);
  return { gtin: r.value.gtin!, lot: r.value.lot, expiry: r.value.expiry };
}

interface Checked {
  readonly visit: VisitRow;
  readonly reductionCategory: string | null;
  /** The 予診票 the dose uses: the one given (checked to be this target's), or the latest of the program and dose. */
  readonly answerId: string | null;
  readonly programCode: string;
  readonly dose: number;
  readonly warnings: DoseWarning[];
}

interface Prior {
  readonly recordId: string;
  readonly targetId: string;
  readonly warnings: DoseWarning[];
  readonly hash: string;
}

const SEX: Record<string, 'male' | 'female'> = { '1': 'male', '2': 'female' };

interface Found {
  readonly visit: VisitRow;
  readonly contracted: boolean;
  readonly prior: Prior | null;
  readonly sealed: Buffer | null;
  readonly reduction_category: string | null;
  readonly history: { r: string; p: string; x: string | null; d: string }[];
  readonly use_answer_id: string | null;
}

/**
 * One statement, in a transaction already acting for the institution and the visit's municipality
 * (withInstitution's `visitId`): today's visit of this institution for the target (locked), whether the
 * contract holds on the vaccination date, the first answer given under the Idempotency-Key, the target's
 * sealed basic information and reduction category, its history (each record with its vaccine), and the
 * 予診票 the dose uses (the one given if it is this target's, else the latest of the program and dose).
 */
async function visitFor(tx: Tx, u: ClinicUser, d: Dose, today: string, idempotencyKey: string | undefined): Promise<Found | undefined> {
  const r = await sql<VisitRow & Omit<Found, 'visit'>>`
    SELECT ${VISIT_COLUMNS},
      EXISTS (SELECT 1 FROM platform.contracts c JOIN platform.tenants m ON m.tenant_code = c.municipality_code AND m.status = 'active'
              WHERE c.institution_code = v.institution_code AND c.municipality_code = v.tenant_code
                AND c.valid_from <= ${d.vaccinatedOn}::date AND (c.valid_until IS NULL OR c.valid_until >= ${d.vaccinatedOn}::date)) AS contracted,
      (SELECT json_build_object('recordId', p.record_id, 'targetId', p.target_id, 'warnings', p.warnings, 'hash', encode(p.body_hash, 'hex'))
         FROM platform.institution_doses p WHERE p.institution_code = v.institution_code AND p.idempotency_key = ${idempotencyKey ?? null}) AS prior,
      t.sealed, t.reduction_category,
      COALESCE((SELECT json_agg(json_build_object('r', h.record_id, 'p', h.program_code, 'x', h.product, 'd', h.vaccinated_on) ORDER BY h.vaccinated_on, h.record_id)
                FROM platform.target_records h WHERE h.tenant_code = v.tenant_code AND h.target_id = v.target_id), '[]'::json) AS history,
      (SELECT a.answer_id FROM platform.answers a WHERE a.tenant_code = v.tenant_code AND a.target_id = v.target_id AND a.status <> 'withdrawn'
          AND CASE WHEN ${d.answerId ?? null}::text IS NULL THEN a.program_code = ${d.programCode} AND a.dose = ${d.dose} ELSE a.answer_id = ${d.answerId ?? null} END
        ORDER BY a.answered_at DESC LIMIT 1) AS use_answer_id
    FROM platform.visits v
    LEFT JOIN platform.targets t ON t.tenant_code = v.tenant_code AND t.target_id = v.target_id AND NOT t.deleted
    WHERE v.visit_id = ${d.visitId} AND v.institution_code = ${u.institutionCode} AND v.target_id = ${d.targetId} AND v.visit_date = ${today}::date AND v.status <> 'cancelled'
    FOR UPDATE OF v`.execute(tx);
  const row = r.rows[0];
  if (!row) return undefined;
  const { contracted, prior, sealed, reduction_category, history, use_answer_id, ...visit } = row;
  return { visit, contracted, prior, sealed, reduction_category, history, use_answer_id };
}

/**
 * The checks shared by `/doses/check` and `/doses`: the visit, the contract, and the schedule engine on the
 * person (birth date and sex from the sealed basic information) and their history.
 */
function checkIn(c: ClinicContext, d: Dose, t: Found | undefined): Checked {
  if (!t) throw notCheckedIn();
  if (!t.contracted) throw noContract();
  const visit = t.visit;
  if (!t.sealed) throw notCheckedIn();
  if (d.answerId && !t.use_answer_id) throw validationFailed([{ field: 'answerId', code: 'UNKNOWN_ANSWER', message: 'この方の予診票ではありません' }]);
  const info = c.secrets.open<{ basicFiveInfo: BasicFiveInfo }>('target', visit.tenant_code, d.targetId, Buffer.from(t.sealed)).basicFiveInfo;
  const warnings: DoseWarning[] = [];
  const rules = c.rules;
  const history: { product: string; date: string; ref: string }[] = [];
  let unknown = 0;
  for (const h of t.history) {
    // A history row without its vaccine (older municipality data) counts as the program's first vaccine.
    const product = h.x && rules.hasProduct(h.x) ? h.x : rules.firstProduct(h.p);
    if (product && rules.hasProduct(product)) history.push({ product, date: h.d, ref: h.r.slice(0, 64) });
    else unknown++;
  }
  const base = { visit, reductionCategory: t.reduction_category, answerId: t.use_answer_id };
  if (unknown) warnings.push({ code: 'HISTORY_INCOMPLETE', level: 'note', message: `接種歴のうち${unknown}件はワクチンが分からないため、確認に含めていません` });
  if (!rules.hasProduct(d.product)) {
    warnings.push({ code: 'UNKNOWN_PRODUCT', level: 'problem', message: 'スケジュールの確認に使うワクチンの一覧にないワクチンです' });
    return { ...base, programCode: d.programCode, dose: d.dose, warnings };
  }
  const sex = SEX[info.sex];
  if (!sex) warnings.push({ code: 'SEX_UNKNOWN', level: 'note', message: '性別が不明のため、性別による対象の確認はしていません' });
  const program = rules.hasProgram(d.programCode) ? d.programCode : undefined;
  if (!program) warnings.push({ code: 'PROGRAM_NOT_IN_CATALOG', level: 'note', message: 'この予防接種はスケジュールの確認の対象外です（市区町村独自の事業）' });
  const res = rules.check({ birthDate: info.dateOfBirth, sex: sex ?? 'female' }, history, { product: d.product, date: d.vaccinatedOn, program });
  if (program) {
    for (const p of res.problems) warnings.push({ code: p.code, level: 'problem', message: p.message });
    if (res.dose !== null && res.dose !== d.dose) warnings.push({ code: 'DOSE_MISMATCH', level: 'problem', message: `接種歴からは第${res.dose}回にあたります（登録しようとしているのは第${d.dose}回）` });
  }
  for (const n of res.notes) warnings.push({ code: n.code, level: 'note', message: n.message });
  return { ...base, programCode: (program && res.program) || d.programCode, dose: (program && res.dose) || d.dose, warnings };
}

/** A refused access (403: not checked in, no contract) is written to the institution's log after the rollback. */
async function loggingRefusals<T>(c: ClinicContext, u: ClinicUser, action: string, targetId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isProblem(e) && e.status === 403) {
      await clinicLog(c.db, c.clock.now(), { institution: u.institutionCode, userId: u.userId, action, outcome: 'refused', code: e.code, targetId });
    }
    throw e;
  }
}

/** The live check of a proposed dose: nothing is written (a refusal is logged). */
export async function checkDose(c: ClinicContext, u: ClinicUser, raw: unknown): Promise<{ programCode: string; dose: number; warnings: DoseWarning[] }> {
  const d = parseInput(doseSchema, raw);
  return loggingRefusals(c, u, 'dose.check', d.targetId, () => withInstitution(c.db, u.institutionCode, { visitId: d.visitId }, async (tx) => {
    const k = checkIn(c, d, await visitFor(tx, u, d, c.clock.today(), undefined));
    if (d.expiry < d.vaccinatedOn) k.warnings.unshift({ code: 'LOT_EXPIRED', level: 'problem', message: '接種日にワクチンの有効期限が切れています' });
    return { programCode: k.programCode, dose: k.dose, warnings: k.warnings };
  }));
}

export interface DoseAnswer {
  readonly recordId: string;
  readonly targetId: string;
  readonly warnings: DoseWarning[];
}

/**
 * Registers a dose (doctor): BEGIN, the visit (one statement), the target with its history and answer (one),
 * every write (one statement of data-modifying CTEs), COMMIT.  `idempotencyKey`: the same key and body give
 * the first answer again; the same key with another body is 409.
 */
export async function registerDose(c: ClinicContext, u: ClinicUser, raw: unknown, idempotencyKey?: string): Promise<{ replay: boolean; answer: DoseAnswer }> {
  const d = parseInput(doseSchema, raw);
  if (idempotencyKey !== undefined && !/^[A-Za-z0-9._:-]{1,100}$/.test(idempotencyKey)) {
    throw validationFailed([{ field: 'Idempotency-Key', code: 'INVALID', message: '英数字と . _ : - の100文字以内で指定してください' }]);
  }
  const bodyHash = createHash('sha256').update(JSON.stringify(d)).digest();
  const now = c.clock.now();
  const today = c.clock.today();
  const replay = (p: Prior): { replay: true; answer: DoseAnswer } => {
    if (p.hash !== bodyHash.toString('hex')) throw new Problem(409, 'IDEMPOTENCY_CONFLICT', '処理を完了できません', '同じ Idempotency-Key で別の内容が送られました。新しいキーで送ってください。');
    return { replay: true, answer: { recordId: p.recordId, targetId: p.targetId, warnings: p.warnings } };
  };
  const priorOf = async (tx: Tx): Promise<Prior | null> => {
    const p = await sql<{ prior: Prior }>`
      SELECT json_build_object('recordId', record_id, 'targetId', target_id, 'warnings', warnings, 'hash', encode(body_hash, 'hex')) AS prior
      FROM platform.institution_doses WHERE institution_code = ${u.institutionCode} AND idempotency_key = ${idempotencyKey ?? null}`.execute(tx);
    return p.rows[0]?.prior ?? null;
  };
  try {
    return await loggingRefusals(c, u, 'dose', d.targetId, () => withInstitution(c.db, u.institutionCode, { visitId: d.visitId }, async (tx) => {
      const found = await visitFor(tx, u, d, today, idempotencyKey);
      if (found?.prior) return replay(found.prior);
      if (!found && idempotencyKey) {
        // The visit may have changed since the first answer (e.g. cancelled): the replay still stands.
        const p = await priorOf(tx);
        if (p) return replay(p);
      }
      const k = checkIn(c, d, found);
      const v = k.visit;
      if (!v.exam_at) throw new Problem(409, 'IDENTITY_CHECK_REQUIRED', '診察室での本人確認が必要です', '接種の前に、診察室で本人確認をして記録してください。');
      if (v.decision === 'not-vaccinable') throw new Problem(409, 'NOT_VACCINABLE', '接種不可と判断された方です', `この受付では接種不可と判断されています（${v.decision_reason ?? ''}）。`);
      if (d.expiry < d.vaccinatedOn) throw new Problem(422, 'LOT_EXPIRED', 'ワクチンの有効期限が切れています', `ロット ${d.lot} の有効期限（${d.expiry}）は接種日より前です。`, [{ field: 'expiry', code: 'LOT_EXPIRED', message: '接種日にワクチンの有効期限が切れています' }]);
      if (d.vaccinatedOn !== v.visit_date) throw validationFailed([{ field: 'vaccinatedOn', code: 'NOT_VISIT_DATE', message: '接種日は受付の日（本日）です' }]);
      if (k.warnings.some((w) => w.level === 'problem') && !d.overrideReason) throw new ScheduleProblem(k.warnings);
      const recordId = newId('R');
      const m = v.tenant_code;
      const purpose = d.overrideReason ? `予防接種の記録の登録（医療機関・スケジュールの問題を承知で接種: ${d.overrideReason}）` : '予防接種の記録の登録（医療機関）';
      await sql`
        WITH dose AS (
          INSERT INTO platform.institution_doses (tenant_code, record_id, institution_code, target_id, visit_id, answer_id, program_code, dose, product, vaccinated_on, time, doctor_name, place,
            implementation_class, vaccination_class, gtin, manufacturer, vaccine_name, lot, amount, site, route, expiry, consent, caution, special_circumstances, overseas, warnings,
            override_reason, reduction_category, registered_by, registered_at, idempotency_key, body_hash)
          VALUES (${m}, ${recordId}, ${u.institutionCode}, ${d.targetId}, ${v.visit_id}, ${k.answerId}, ${d.programCode}, ${d.dose}, ${d.product}, ${d.vaccinatedOn}, ${d.time ?? null},
            ${d.doctorName}, ${d.place ?? null}, ${d.implementationClass}, ${d.vaccinationClass}, ${d.gtin}, ${d.manufacturer}, ${d.vaccineName}, ${d.lot}, ${d.amount}, ${d.site}, ${d.route},
            ${d.expiry}, ${d.consent}, ${d.caution}, ${d.specialCircumstances ?? null}, ${d.overseas}, ${JSON.stringify(k.warnings)}::jsonb, ${d.overrideReason ?? null}, ${k.reductionCategory},
            ${u.userId}, ${now}, ${idempotencyKey ?? null}, ${bodyHash})
          RETURNING record_id),
        history AS (
          INSERT INTO platform.target_records (tenant_code, target_id, record_id, program_code, dose, vaccinated_on, vaccine_name, lot_number, institution_name, source, product)
          VALUES (${m}, ${d.targetId}, ${recordId}, ${d.programCode}, ${d.dose}, ${d.vaccinatedOn}, ${d.vaccineName}, ${d.lot}, ${u.institutionName}, 'institution', ${d.product})),
        visit AS (UPDATE platform.visits SET status = 'vaccinated' WHERE visit_id = ${v.visit_id}),
        answer AS (UPDATE platform.answers SET status = 'used' WHERE tenant_code = ${m} AND answer_id = ${k.answerId}),
        logged AS (
          INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose)
          VALUES (${m}, ${now}, 'institution', ${actorOf(u)}, 'clinic.dose', ${d.targetId}, ${purpose}))
        SELECT record_id FROM dose`.execute(tx);
      return { replay: false, answer: { recordId, targetId: d.targetId, warnings: k.warnings } };
    }));
  } catch (e) {
    // Two requests with the same key at once: the loser gives the winner's answer.
    if (idempotencyKey && (e as { code?: string }).code === '23505') {
      const again = await withInstitution(c.db, u.institutionCode, {}, priorOf);
      if (again) return replay(again);
    }
    throw e;
  }
}
