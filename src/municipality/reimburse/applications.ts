// 償還払い (VAX-33; decisions 0159, 0160): a resident's application with the receipt (counter entry, or an
// electronic application handed over by the e-apply part through `createReimbursementApplication`), its
// examination against the subsidy program and the ledger (the dose recorded? the person eligible on the
// vaccination date? the same dose not reimbursed before?) giving a decided amount and the reasons, the approval
// by another official than the examiner, and the payment in a payment batch (billing/payments.ts) to the
// person's refund account.  Status: received → examined → approved → paid, or rejected.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { isIsoDate, legalAge, toHalfWidthDigits } from '../../kernel/jp/index.js';
import { conflict, forbidden, notFound, parseInput, validationFailed } from '../../kernel/problems/index.js';
import { requireBillingRead, requireBillingWrite } from '../billing/index.js';
import { personAsOf } from '../residents/index.js';
import { AtenaNo, BankAccountInput, storePersonAccount } from './accounts.js';
import { getSubsidyProgram, subsidyAmount, AMOUNT_KINDS } from './programs.js';

export const REIMBURSEMENT_STATUS = { received: '受付', examined: '審査済み', approved: '承認済み', rejected: '却下', paid: '支払済み' } as const;
export type ReimbursementStatus = keyof typeof REIMBURSEMENT_STATUS;
export const REIMBURSEMENT_CHANNELS = { counter: '窓口', electronic: '電子申請' } as const;

const yen = (label: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(toHalfWidthDigits(v.trim().replace(/[,，円]/g, ''))) : v),
    z.number({ message: `${label}を円単位の整数で入力してください` }).int(`${label}は円単位の整数です`).min(1, `${label}は1円以上です`).max(1_000_000, `${label}が大きすぎます`),
  );
const date = (label: string) => z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v), z.string({ message: `${label}を入力してください` }).refine((s) => isIsoDate(s), `${label}は YYYY-MM-DD です`));
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * The contract for every channel (counter screen, e-apply): the applicant (宛名番号, already resolved), the
 * subsidy program, the receipt and optionally the refund account to register.  `externalRef` (the e-apply
 * application's id) makes an arrival idempotent: the same ref again returns the first application.
 */
export const ReimbursementInput = z
  .object({
    atenaNo: AtenaNo,
    /** The subsidy program; or leave it out and give `program` (the catalog's program, as e-apply forms carry it). */
    subsidyCode: z.preprocess(blank, z.string().trim().min(1).max(40).optional()),
    program: z.preprocess(blank, z.string().trim().min(1).max(60).optional()),
    channel: z.enum(['counter', 'electronic']).default('counter'),
    externalRef: z.preprocess(blank, z.string().trim().min(1).max(100).optional()),
    receivedOn: z.preprocess(blank, date('受付日').optional()),
    receipt: z.object({
      clinicName: z.string({ message: '医療機関名を入力してください' }).trim().min(1, '医療機関名を入力してください').max(100, '医療機関名は100文字以内です'),
      institutionCode: z.preprocess(blank, z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v), z.string().regex(/^\d{10}$/, '医療機関コードは10桁の数字です')).optional()),
      vaccinatedOn: date('接種日'),
      amountPaid: yen('支払った金額'),
    }),
    account: BankAccountInput.optional(),
    /** 「公金受取口座を利用する」: the applicant consents to the account being obtained through the exchange (decision 0164). */
    koukinConsent: z.preprocess((v) => (v === 'on' || v === 'true' || v === '1' ? true : v === '' || v === 'false' || v === '0' ? false : v), z.boolean({ message: '公金受取口座の利用の同意は はい か いいえ です' }).default(false)),
  })
  .refine((p) => p.channel !== 'electronic' || p.externalRef !== undefined, { message: '電子申請には申請の識別子が必要です', path: ['externalRef'] })
  .refine((p) => p.subsidyCode !== undefined || p.program !== undefined, { message: '助成制度を選んでください', path: ['subsidyCode'] });
export type ReimbursementInput = z.input<typeof ReimbursementInput>;

export interface ReimbursementView {
  readonly id: string;
  /** 申請番号. */
  readonly no: string;
  readonly atenaNo: string;
  readonly name: string;
  readonly subsidyCode: string;
  readonly subsidyName: string;
  readonly channel: keyof typeof REIMBURSEMENT_CHANNELS;
  readonly receivedOn: string;
  readonly clinicName: string;
  readonly institutionCode: string | null;
  readonly vaccinatedOn: string;
  readonly amountPaid: number;
  readonly status: ReimbursementStatus;
  readonly recordId: string | null;
  readonly eligible: boolean | null;
  readonly decidedAmount: number | null;
  readonly reason: string | null;
  readonly examinedBy: string | null;
  readonly examinedAt: Date | null;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  readonly paymentBatchId: string | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  /** The applicant consented to the 公金受取口座 being obtained through the exchange. */
  readonly koukinConsent: boolean;
}

interface Row {
  id: string; no: string; atena_no: string; name: string; subsidy_code: string; subsidy_name: string; channel: keyof typeof REIMBURSEMENT_CHANNELS; received_on: string;
  clinic_name: string; institution_code: string | null; vaccinated_on: string; amount_paid: number; status: ReimbursementStatus; record_id: string | null; eligible: boolean | null;
  decided_amount: number | null; reason: string | null; examined_by: string | null; examined_at: Date | null; approved_by: string | null; approved_at: Date | null;
  payment_batch_id: string | null; created_at: Date; created_by: string; koukin_consent: boolean;
}
const SELECT = sql`
  SELECT r.id::text AS id, r.no::text AS no, r.atena_no, p.name_kanji AS name, r.subsidy_code, s.name AS subsidy_name, r.channel, to_char(r.received_on, 'YYYY-MM-DD') AS received_on,
    r.clinic_name, r.institution_code, to_char(r.vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, r.amount_paid, r.status, r.record_id::text AS record_id, r.eligible, r.decided_amount, r.reason,
    r.examined_by, r.examined_at, r.approved_by, r.approved_at, r.payment_batch_id::text AS payment_batch_id, r.created_at, r.created_by, r.koukin_consent
  FROM municipality.reimbursements r
    JOIN municipality.persons p ON p.tenant_code = r.tenant_code AND p.atena_no = r.atena_no
    JOIN municipality.subsidy_programs s ON s.tenant_code = r.tenant_code AND s.code = r.subsidy_code`;
const view = (r: Row): ReimbursementView => ({
  id: r.id, no: r.no, atenaNo: r.atena_no, name: r.name, subsidyCode: r.subsidy_code, subsidyName: r.subsidy_name, channel: r.channel, receivedOn: r.received_on,
  clinicName: r.clinic_name, institutionCode: r.institution_code, vaccinatedOn: r.vaccinated_on, amountPaid: r.amount_paid, status: r.status, recordId: r.record_id,
  eligible: r.eligible, decidedAmount: r.decided_amount, reason: r.reason, examinedBy: r.examined_by, examinedAt: r.examined_at, approvedBy: r.approved_by, approvedAt: r.approved_at,
  paymentBatchId: r.payment_batch_id, createdAt: r.created_at, createdBy: r.created_by, koukinConsent: r.koukin_consent,
});
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function load(w: Work, id: string, lock = false): Promise<ReimbursementView> {
  if (!ID.test(id)) throw notFound('償還払いの申請');
  const r = await sql<Row>`${SELECT} WHERE r.tenant_code = ${w.tenant} AND r.id = ${id}::uuid ${lock ? sql`FOR UPDATE OF r` : sql``}`.execute(w.tx);
  if (!r.rows[0]) throw notFound('償還払いの申請');
  return view(r.rows[0]);
}

export interface CreatedApplication {
  readonly id: string;
  readonly no: string;
  readonly status: ReimbursementStatus;
  /** false when an application with the same externalRef already existed (nothing written). */
  readonly created: boolean;
}

/**
 * Registers a reimbursement application (and the refund account it carries) in the caller's transaction.
 * Refused (400, fields named) for a bad receipt or account; 404 for an unknown person or program.
 */
export async function createReimbursementApplication(w: Work, raw: unknown): Promise<CreatedApplication> {
  requireBillingWrite(w);
  const p = parseInput(ReimbursementInput, raw);
  if (p.externalRef !== undefined) {
    const had = await sql<{ id: string; no: string; status: ReimbursementStatus }>`
      SELECT id::text AS id, no::text AS no, status FROM municipality.reimbursements WHERE tenant_code = ${w.tenant} AND external_ref = ${p.externalRef}`.execute(w.tx);
    if (had.rows[0]) return { ...had.rows[0], created: false };
  }
  const person = await sql<{ n: number }>`SELECT 1 AS n FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${p.atenaNo}`.execute(w.tx);
  if (!person.rows[0]) throw validationFailed([{ field: 'atenaNo', code: 'PERSON_UNKNOWN', message: 'この宛名番号の住民は登録されていません' }]);
  const subsidyCode = p.subsidyCode ?? (await subsidyFor(w, p.program!, p.receipt.vaccinatedOn));
  const program = await getSubsidyProgram(w, subsidyCode);
  if (!program) throw validationFailed([{ field: 'subsidyCode', code: 'SUBSIDY_UNKNOWN', message: '登録されていない助成制度です' }]);
  const today = w.clock.today();
  const receivedOn = p.receivedOn ?? today;
  if (receivedOn > today) throw validationFailed([{ field: 'receivedOn', code: 'DATE_FUTURE', message: '受付日が未来の日付です' }]);
  if (p.receipt.vaccinatedOn > receivedOn) throw validationFailed([{ field: 'receipt.vaccinatedOn', code: 'DATE_FUTURE', message: '接種日が受付日より後です' }]);
  if (p.account) await storePersonAccount(w, { ...p.account, atenaNo: p.atenaNo, purpose: 'refund', source: 'application' });
  const r = await sql<{ id: string; no: string }>`
    INSERT INTO municipality.reimbursements (tenant_code, atena_no, subsidy_code, channel, external_ref, received_on, clinic_name, institution_code, vaccinated_on, amount_paid, status, created_at, created_by, koukin_consent)
    VALUES (${w.tenant}, ${p.atenaNo}, ${subsidyCode}, ${p.channel}, ${p.externalRef ?? null}, ${receivedOn}::date, ${p.receipt.clinicName}, ${p.receipt.institutionCode ?? null},
      ${p.receipt.vaccinatedOn}::date, ${p.receipt.amountPaid}, 'received', ${w.clock.now()}, ${w.actor.login}, ${p.koukinConsent})
    RETURNING id::text AS id, no::text AS no`.execute(w.tx);
  const { id, no } = r.rows[0]!;
  await appendEntry(w.tx, w, { action: 'reimbursement_receive', targetType: 'reimbursement', targetId: id, subjectRef: `resident:${p.atenaNo}`, purpose: '予防接種費用の償還払い', detail: { no, channel: p.channel, subsidy: subsidyCode, amountPaid: p.receipt.amountPaid, account: p.account !== undefined, koukinConsent: p.koukinConsent } });
  return { id, no, status: 'received', created: true };
}

/** The one subsidy program of a catalog program covering the vaccination date (for applications that name the vaccine only). */
async function subsidyFor(w: Work, program: string, vaccinatedOn: string): Promise<string> {
  const r = await sql<{ code: string }>`SELECT code FROM municipality.subsidy_programs WHERE tenant_code = ${w.tenant} AND program = ${program}
    AND valid_from <= ${vaccinatedOn}::date AND (valid_until IS NULL OR valid_until >= ${vaccinatedOn}::date) ORDER BY code`.execute(w.tx);
  if (r.rows.length === 1) return r.rows[0]!.code;
  throw validationFailed([{ field: 'program', code: r.rows.length ? 'SUBSIDY_AMBIGUOUS' : 'SUBSIDY_NONE', message: r.rows.length ? 'この予防接種と接種日に当てはまる助成制度が複数あります。助成制度を選んでください' : 'この予防接種と接種日に当てはまる助成制度がありません' }]);
}

export interface ListQuery {
  readonly status?: ReimbursementStatus | undefined;
  readonly page?: number;
  readonly pageSize?: number;
}

export interface ReimbursementList {
  readonly total: number;
  /** Over every application of the filter, not only the page. */
  readonly totals: { readonly amountPaid: number; readonly decidedAmount: number; readonly paidAmount: number };
  readonly rows: ReimbursementView[];
}

export async function listReimbursements(w: Work, q: ListQuery = {}): Promise<ReimbursementList> {
  requireBillingRead(w);
  const size = Math.min(Math.max(q.pageSize ?? 50, 1), 500);
  const page = Math.max(q.page ?? 1, 1);
  const filter = q.status ? sql`AND r.status = ${q.status}` : sql``;
  const t = await sql<{ n: number; paid: string; decided: string; done: string }>`
    SELECT count(*)::int AS n, coalesce(sum(r.amount_paid), 0) AS paid, coalesce(sum(r.decided_amount) FILTER (WHERE r.eligible AND r.status <> 'rejected'), 0) AS decided,
      coalesce(sum(r.decided_amount) FILTER (WHERE r.status = 'paid'), 0) AS done
    FROM municipality.reimbursements r WHERE r.tenant_code = ${w.tenant} ${filter}`.execute(w.tx);
  const r = await sql<Row>`${SELECT} WHERE r.tenant_code = ${w.tenant} ${filter} ORDER BY r.no DESC LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const x = t.rows[0]!;
  return { total: x.n, totals: { amountPaid: Number(x.paid), decidedAmount: Number(x.decided), paidAmount: Number(x.done) }, rows: r.rows.map(view) };
}

export async function getReimbursement(w: Work, id: string): Promise<ReimbursementView> {
  requireBillingRead(w);
  const v = await load(w, id);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'reimbursement', targetId: id, subjectRef: `resident:${v.atenaNo}` });
  return v;
}

/** One check of the examination, in staff's words. */
export interface ExaminationCheck {
  readonly item: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ExaminationResult {
  readonly eligible: boolean;
  readonly decidedAmount: number;
  readonly checks: readonly ExaminationCheck[];
  readonly recordId: string | null;
}

export const ExamineInput = z.object({
  /** The examiner confirmed the program's conditions (documents seen); required when the program has some. */
  conditionsConfirmed: z.preprocess((v) => v === 'on' || v === 'true' || v === true, z.boolean()).default(false),
  note: z.preprocess(blank, z.string().trim().max(200, '備考は200文字以内です').optional()),
});

/**
 * Examines an application (received or examined again): the program valid on the vaccination date, the person
 * a resident then (when required) and of the program's age, the conditions confirmed, the dose in the ledger
 * (active record of the program on that date) and not reimbursed by another application.  Eligible → the
 * decided amount (fixed or cost up to the ceiling, never more than paid); otherwise 0 with the reasons.
 */
export async function examineReimbursement(w: Work, id: string, raw: unknown = {}): Promise<ExaminationResult> {
  requireBillingWrite(w);
  const input = parseInput(ExamineInput, raw);
  const a = await load(w, id, true);
  if (a.status !== 'received' && a.status !== 'examined') throw conflict('REIMBURSEMENT_STATE', `この申請は${REIMBURSEMENT_STATUS[a.status]}のため審査できません。`);
  const program = (await getSubsidyProgram(w, a.subsidyCode))!;
  const checks: ExaminationCheck[] = [];
  const d = a.vaccinatedOn;
  const inPeriod = d >= program.validFrom && (program.validUntil === null || d <= program.validUntil);
  checks.push({ item: '助成の対象期間', ok: inPeriod, detail: inPeriod ? '接種日は助成の対象期間内です' : '接種日が助成の対象期間外です' });
  const state = await personAsOf(w, a.atenaNo, d);
  if (program.residentsOnly) {
    const resident = state?.status === 'resident';
    checks.push({ item: '住所', ok: resident, detail: resident ? '接種日に住民でした' : '接種日に住民ではありませんでした' });
  }
  // Age from the registry on that day, or (not registered then: moved in later) from the person as now.
  const birth = state?.birthDate ?? (await sql<{ b: string }>`SELECT to_char(birth_date, 'YYYY-MM-DD') AS b FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${a.atenaNo}`.execute(w.tx)).rows[0]?.b ?? null;
  if (birth) {
    const age = legalAge(birth, d);
    const okAge = age >= program.minAge && (program.maxAge === null || age <= program.maxAge);
    const range = program.maxAge === null ? `${program.minAge}歳以上` : `${program.minAge}歳から${program.maxAge}歳まで`;
    checks.push({ item: '年齢', ok: okAge, detail: `接種日に${age}歳（対象は${range}）` });
  } else {
    checks.push({ item: '年齢', ok: false, detail: '生年月日が分からず年齢を確かめられません' });
  }
  if (program.conditions.length) {
    checks.push({ item: '助成の条件', ok: input.conditionsConfirmed, detail: input.conditionsConfirmed ? `確認済み（${program.conditions.join('、')}）` : `未確認（${program.conditions.join('、')}）` });
  }
  const recs = await sql<{ id: string }>`
    SELECT id::text AS id FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND atena_no = ${a.atenaNo} AND status = 'active' AND program = ${program.program} AND vaccinated_on = ${d}::date
    ORDER BY created_at, id`.execute(w.tx);
  const recordId = recs.rows[0]?.id ?? null;
  checks.push({ item: '接種記録', ok: recordId !== null, detail: recordId ? '接種記録があります' : '接種日のこの予防接種の記録が台帳にありません（記録を登録してから審査し直してください）' });
  if (recordId) {
    const other = await sql<{ no: string }>`
      SELECT no::text AS no FROM municipality.reimbursements WHERE tenant_code = ${w.tenant} AND record_id = ${recordId}::uuid AND id <> ${id}::uuid AND eligible AND status IN ('examined', 'approved', 'paid')`.execute(w.tx);
    const dup = other.rows[0]?.no;
    checks.push({ item: '重複', ok: !dup, detail: dup ? `同じ接種は申請番号 ${dup} で助成が決まっています` : '同じ接種への助成はありません' });
  }
  const eligible = checks.every((c) => c.ok);
  const amount = eligible ? subsidyAmount(program, a.amountPaid) : 0;
  const how = program.amountKind === 'fixed' ? `定額 ${program.amount.toLocaleString('ja-JP')}円` : `実費（上限 ${program.amount.toLocaleString('ja-JP')}円）`;
  const reason = [
    eligible ? `助成対象：${how}、支払額 ${a.amountPaid.toLocaleString('ja-JP')}円 → ${amount.toLocaleString('ja-JP')}円` : `助成対象外：${checks.filter((c) => !c.ok).map((c) => c.detail).join('。')}`,
    ...(input.note ? [`備考：${input.note}`] : []),
  ].join('\n');
  await sql`UPDATE municipality.reimbursements SET status = 'examined', record_id = ${eligible ? recordId : null}::uuid, eligible = ${eligible}, decided_amount = ${amount}, reason = ${reason},
    examined_at = ${w.clock.now()}, examined_by = ${w.actor.login} WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'reimbursement_examine', targetType: 'reimbursement', targetId: id, subjectRef: `resident:${a.atenaNo}`, purpose: '予防接種費用の償還払い', detail: { no: a.no, eligible, decidedAmount: amount, failed: checks.filter((c) => !c.ok).map((c) => c.item), amountKind: AMOUNT_KINDS[program.amountKind] } });
  return { eligible, decidedAmount: amount, checks, recordId };
}

/** Approves an eligible examined application; the approver is not the examiner. */
export async function approveReimbursement(w: Work, id: string): Promise<ReimbursementView> {
  requireBillingWrite(w);
  const a = await load(w, id, true);
  if (a.status !== 'examined') throw conflict('REIMBURSEMENT_STATE', `この申請は${REIMBURSEMENT_STATUS[a.status]}のため承認できません（審査済みの申請だけを承認できます）。`);
  if (!a.eligible || !a.decidedAmount) throw conflict('REIMBURSEMENT_INELIGIBLE', '審査の結果が助成対象外のため承認できません。却下するか、審査し直してください。');
  if (a.examinedBy === w.actor.login) throw forbidden('審査した職員とは別の職員が承認してください。');
  await sql`UPDATE municipality.reimbursements SET status = 'approved', approved_at = ${w.clock.now()}, approved_by = ${w.actor.login} WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'reimbursement_approve', targetType: 'reimbursement', targetId: id, subjectRef: `resident:${a.atenaNo}`, purpose: '予防接種費用の償還払い', detail: { no: a.no, decidedAmount: a.decidedAmount } });
  return load(w, id);
}

export const RejectInput = z.object({ reason: z.string({ message: '却下の理由を入力してください' }).trim().min(1, '却下の理由を入力してください').max(200, '却下の理由は200文字以内です') });

/** Rejects an application not yet approved, with the reason given to the applicant. */
export async function rejectReimbursement(w: Work, id: string, raw: unknown): Promise<ReimbursementView> {
  requireBillingWrite(w);
  const { reason } = parseInput(RejectInput, raw);
  const a = await load(w, id, true);
  if (a.status !== 'received' && a.status !== 'examined') throw conflict('REIMBURSEMENT_STATE', `この申請は${REIMBURSEMENT_STATUS[a.status]}のため却下できません。`);
  await sql`UPDATE municipality.reimbursements SET status = 'rejected', eligible = false, decided_amount = 0, record_id = NULL,
    reason = ${`却下：${reason}`}, examined_at = coalesce(examined_at, ${w.clock.now()}), examined_by = coalesce(examined_by, ${w.actor.login})
    WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'reimbursement_reject', targetType: 'reimbursement', targetId: id, subjectRef: `resident:${a.atenaNo}`, purpose: '予防接種費用の償還払い', detail: { no: a.no } });
  return load(w, id);
}
