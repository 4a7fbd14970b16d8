// 健康被害救済の事案 (VAX-34; decisions 0161, 0162): the application with the applicant's My Number taken
// directly from the applicant after an ID check (the number into the vault, never into a case table, screen or
// log), the vaccination records concerned, the documents received, the information obtained through the
// 情報提供ネットワーク, the 予防接種健康被害調査委員会, the 進達 to the state and the state's decision, then the
// benefits.  Every step runs in the caller's one transaction under the case's row lock: it checks the status
// (STEP_ALLOWED), writes, moves the status, adds a timeline row and an operation-log entry.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { toHalfWidthDigits } from '../../kernel/jp/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { invalidField, notFound, parseInput, Problem } from '../../kernel/problems/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import {
  APPLICANT_SUBJECT, BENEFIT_KINDS, BENEFIT_LABELS, DOCUMENT_KINDS, ID_METHODS, INFORMATION_ITEMS, LUMP_SUMS, RELATIONS, RELIEF_PURPOSE,
  requireReliefWrite, requireStep, type BenefitKind, type CaseStatus, type Step,
} from './model.js';
import { blankToUndef, isoDate as date, optText, text, UUID } from './input.js';

/** The resident's vault subject (residents/apply.ts SUBJECT). */
const PERSON_SUBJECT = 'person';
const yen = (label: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(toHalfWidthDigits(v.trim().replace(/[,，円]/g, ''))) : v),
    z.number({ message: `${label}を円単位の整数で入力してください` }).int(`${label}は円単位の整数です`).min(1, `${label}は1円以上です`).max(100_000_000, `${label}が大きすぎます`),
  );
const kinds = z.array(z.enum(BENEFIT_KINDS, { message: '給付の種類が正しくありません' })).min(1, '給付の種類を一つ以上選んでください').max(BENEFIT_KINDS.length);

function notFuture(w: Work, field: string, label: string, d: string): void {
  if (d > w.clock.today()) throw invalidField(field, 'DATE_FUTURE', `${label}が未来の日付です`);
}

// ------------------------------------------------------------------ the application

export const ApplicationInput = z.object({
  atenaNo: z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v), z.string({ message: '被接種者の宛名番号を入力してください' }).regex(/^\d{10}$/, '宛名番号は10桁の数字です')),
  appliedOn: date('申請日'),
  claimedKinds: kinds,
  summary: text('健康被害の概要', 2000),
  applicant: z.object({
    relation: z.enum(RELATIONS, { message: '申請者と被接種者の関係を選んでください' }),
    name: text('申請者の氏名', 100),
    kana: text('申請者の氏名（カナ）', 100),
    address: text('申請者の住所', 200),
    phone: optText('申請者の電話番号', 30),
  }),
  /** Taken directly from the applicant; checked, sealed into the vault, never stored or shown elsewhere. */
  myNumber: z.string({ message: '申請者の個人番号を入力してください' }),
  idCheck: z.object({
    method: z.enum(ID_METHODS, { message: '本人確認の方法を選んでください' }),
    note: optText('本人確認の補足', 200),
  }).refine((c) => c.method !== 'other' || c.note !== undefined, { message: 'その他の書類で確認したときは書類の名称を入力してください', path: ['note'] }),
  recordIds: z.array(z.string().regex(UUID, '接種記録の指定が正しくありません')).max(20).default([]),
});
export type ApplicationInput = z.input<typeof ApplicationInput>;

export interface ReceiveResult {
  readonly id: string;
  readonly caseNo: number;
  /** True when the same application had already been received (a repeated submission writes nothing). */
  readonly existing: boolean;
}

/**
 * 申請の受付.  The number is checked (検査用数字) and, when the applicant is the injured person, compared with
 * the number on the resident record through the vault's blind index: a different number is refused.
 */
export async function receiveApplication(w: Work, vault: Vault, raw: unknown): Promise<ReceiveResult> {
  requireReliefWrite(w);
  const input = parseInput(ApplicationInput, raw);
  const c = checkMyNumber(input.myNumber);
  if (!c.ok) throw invalidField('myNumber', c.code, c.message);
  notFuture(w, 'appliedOn', '申請日', input.appliedOn);
  const person = await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${input.atenaNo}`.execute(w.tx);
  if (!person.rows[0]) throw invalidField('atenaNo', 'PERSON_NOT_FOUND', 'この宛名番号の住民は登録されていません');
  // One receipt per (person, day, kinds, applicant) while open: a repeated submission finds the first one.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`relief:${w.tenant}`}))`.execute(w.tx);
  const kindsSorted = [...new Set(input.claimedKinds)].sort();
  const dup = await sql<{ id: string; case_no: string }>`
    SELECT id::text AS id, case_no FROM municipality.relief_cases
    WHERE tenant_code = ${w.tenant} AND atena_no = ${input.atenaNo} AND applied_on = ${input.appliedOn}::date AND claimed_kinds = ${kindsSorted}::text[]
      AND applicant_name = ${input.applicant.name} AND status NOT IN ('closed', 'withdrawn')`.execute(w.tx);
  if (dup.rows[0]) return { id: dup.rows[0].id, caseNo: Number(dup.rows[0].case_no), existing: true };

  let numberCheck: 'matches-resident' | 'resident-has-none' | 'not-the-person' = 'not-the-person';
  if (input.applicant.relation === 'self') {
    const stored = (await vault.storedIndexes(w, PERSON_SUBJECT, [input.atenaNo])).get(input.atenaNo);
    if (!stored) numberCheck = 'resident-has-none';
    else if (stored.equals(await vault.indexOf(w, c.value))) numberCheck = 'matches-resident';
    else {
      // Logged (after the rollback): a number that is not the person's is a fact worth seeing in the log.
      throw invalidField('myNumber', 'MYNUMBER_MISMATCH', '申請者の個人番号が住民記録の個人番号と一致しません。番号確認書類をもう一度確かめてください')
        .withAudit({ action: 'relief_receive', targetType: 'relief-cases', subjectRef: `resident:${input.atenaNo}`, purpose: RELIEF_PURPOSE, outcome: 'failure', detail: { code: 'MYNUMBER_MISMATCH', idMethod: input.idCheck.method } });
    }
  }
  const no = await sql<{ n: string }>`SELECT coalesce(max(case_no), 0) + 1 AS n FROM municipality.relief_cases WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const caseNo = Number(no.rows[0]!.n);
  const now = w.clock.now();
  const ins = await sql<{ id: string }>`
    INSERT INTO municipality.relief_cases (tenant_code, case_no, atena_no, status, applied_on, claimed_kinds, summary, applicant_relation, applicant_name, applicant_kana,
      applicant_address, applicant_phone, id_method, id_note, id_checked_by, id_checked_at, number_check, created_at, created_by, updated_at)
    VALUES (${w.tenant}, ${caseNo}, ${input.atenaNo}, 'received', ${input.appliedOn}::date, ${kindsSorted}::text[], ${input.summary}, ${input.applicant.relation},
      ${input.applicant.name}, ${input.applicant.kana}, ${input.applicant.address}, ${input.applicant.phone ?? null}, ${input.idCheck.method}, ${input.idCheck.note ?? null},
      ${w.actor.login}, ${now}, ${numberCheck}, ${now}, ${w.actor.login}, ${now})
    RETURNING id::text AS id`.execute(w.tx);
  const id = ins.rows[0]!.id;
  await vault.store(w, { subjectType: APPLICANT_SUBJECT, subjectId: id }, c.value, { purpose: `${RELIEF_PURPOSE}（申請者から直接取得）`, subjectRef: `resident:${input.atenaNo}` });
  const linked = input.recordIds.length ? await insertRecords(w, id, input.atenaNo, input.recordIds) : 0;
  await event(w, id, 'receive', 'received', { caseNo, claimedKinds: kindsSorted, idMethod: input.idCheck.method, numberCheck, records: linked });
  await appendEntry(w.tx, w, {
    action: 'relief_receive', targetType: 'relief-case', targetId: id, subjectRef: `resident:${input.atenaNo}`, purpose: RELIEF_PURPOSE,
    detail: { caseNo, claimedKinds: kindsSorted, relation: input.applicant.relation, idMethod: input.idCheck.method, numberCheck, records: linked },
  });
  return { id, caseNo, existing: false };
}

// ------------------------------------------------------------------ the step runner

interface CaseRow {
  id: string;
  case_no: string;
  atena_no: string;
  status: CaseStatus;
  claimed_kinds: string[];
  approved_kinds: string[] | null;
  decision_on: string | null;
}

async function lockCase(w: Work, caseId: string): Promise<CaseRow> {
  if (!UUID.test(caseId)) throw notFound('健康被害救済の事案');
  const r = await sql<CaseRow>`
    SELECT id::text AS id, case_no, atena_no, status, claimed_kinds, approved_kinds, to_char(decision_on, 'YYYY-MM-DD') AS decision_on
    FROM municipality.relief_cases WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid FOR UPDATE`.execute(w.tx);
  if (!r.rows[0]) throw notFound('健康被害救済の事案');
  return r.rows[0];
}

async function event(w: Work, caseId: string, step: Step, statusAfter: CaseStatus, detail: Record<string, unknown>): Promise<void> {
  await sql`INSERT INTO municipality.relief_events (tenant_code, case_id, seq, step, status_after, detail, at, by_login)
    SELECT ${w.tenant}, ${caseId}::uuid, coalesce(max(seq), 0) + 1, ${step}, ${statusAfter}, ${JSON.stringify(detail)}::jsonb, ${w.clock.now()}, ${w.actor.login}
    FROM municipality.relief_events WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid`.execute(w.tx);
}

const ACTIONS: Record<Exclude<Step, 'receive'>, string> = {
  records: 'relief_record', document: 'relief_record', information: 'relief_record', committee: 'relief_committee', report: 'relief_report',
  decision: 'relief_decision', benefit: 'relief_benefit', order: 'relief_payment_order', close: 'relief_close', withdraw: 'relief_close',
};

/**
 * One step on a case: the write lock, the refusal of a step out of order, the work, the new status, the
 * timeline row and the log entry.  `run` returns the status after the step and the facts to record.
 */
export async function caseStep<T>(
  w: Work, caseId: string, step: Exclude<Step, 'receive'>,
  run: (c: CaseRow) => Promise<{ status?: CaseStatus; detail: Record<string, unknown>; result: T }>,
): Promise<T> {
  requireReliefWrite(w, UUID.test(caseId) ? caseId : undefined);
  const c = await lockCase(w, caseId);
  requireStep(step, c.status);
  const r = await run(c);
  const status = r.status ?? c.status;
  await sql`UPDATE municipality.relief_cases SET status = ${status}, version = version + 1, updated_at = ${w.clock.now()} WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid`.execute(w.tx);
  await event(w, caseId, step, status, r.detail);
  await appendEntry(w.tx, w, {
    action: ACTIONS[step], targetType: 'relief-case', targetId: caseId, subjectRef: `resident:${c.atena_no}`, purpose: RELIEF_PURPOSE,
    detail: { step, from: c.status, to: status, ...r.detail },
  });
  return r.result;
}

// ------------------------------------------------------------------ records, documents, information

async function insertRecords(w: Work, caseId: string, atenaNo: string, ids: readonly string[]): Promise<number> {
  const uniq = [...new Set(ids.map((i) => i.toLowerCase()))];
  const own = await sql<{ id: string }>`SELECT id::text AS id FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND id = ANY(${uniq}::uuid[]) AND atena_no = ${atenaNo} AND status = 'active'`.execute(w.tx);
  const found = new Set(own.rows.map((r) => r.id));
  const missing = uniq.filter((i) => !found.has(i));
  if (missing.length) throw invalidField('recordIds', 'RECORD_NOT_OF_PERSON', '被接種者本人の有効な接種記録ではないものが指定されています');
  const r = await sql`INSERT INTO municipality.relief_case_records (tenant_code, case_id, record_id, added_at, added_by)
    SELECT ${w.tenant}, ${caseId}::uuid, x, ${w.clock.now()}, ${w.actor.login} FROM unnest(${uniq}::uuid[]) AS x
    ON CONFLICT DO NOTHING`.execute(w.tx);
  return Number(r.numAffectedRows ?? 0);
}

export const RecordsInput = z.object({ recordIds: z.array(z.string().regex(UUID, '接種記録の指定が正しくありません')).min(1, '接種記録を選んでください').max(20) });

/** 接種記録の紐付け: the injured person's own active records (before the committee). */
export async function linkRecords(w: Work, caseId: string, raw: unknown): Promise<{ added: number }> {
  const input = parseInput(RecordsInput, raw);
  return caseStep(w, caseId, 'records', async (c) => {
    const added = await insertRecords(w, caseId, c.atena_no, input.recordIds);
    return { detail: { added }, result: { added } };
  });
}

export const DocumentInput = z.object({
  kind: z.enum(Object.keys(DOCUMENT_KINDS) as [keyof typeof DOCUMENT_KINDS, ...(keyof typeof DOCUMENT_KINDS)[]], { message: '書類の種類を選んでください' }),
  receivedOn: date('受付日'),
  handling: z.enum(['sealed', 'referenced'], { message: '保管の方法（封入保管・文書番号等で参照）を選んでください' }),
  reference: optText('文書番号・保管場所', 100),
  note: optText('備考', 500),
}).refine((d) => d.handling !== 'referenced' || d.reference !== undefined, { message: '参照する文書番号等を入力してください', path: ['reference'] })
  .refine((d) => d.kind !== 'other' || d.note !== undefined, { message: 'その他の書類は備考に書類の名称を入力してください', path: ['note'] });

/** 書類の受付: a kind from the list, the day, sealed or referenced (no file is taken). Repeating it writes nothing. */
export async function addDocument(w: Work, caseId: string, raw: unknown): Promise<{ id: string; existing: boolean }> {
  const d = parseInput(DocumentInput, raw);
  notFuture(w, 'receivedOn', '受付日', d.receivedOn);
  requireReliefWrite(w, UUID.test(caseId) ? caseId : undefined);
  if (UUID.test(caseId)) {
    const same = await sql<{ id: string }>`SELECT id::text AS id FROM municipality.relief_documents WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid
      AND kind = ${d.kind} AND received_on = ${d.receivedOn}::date AND handling = ${d.handling} AND reference IS NOT DISTINCT FROM ${d.reference ?? null}`.execute(w.tx);
    if (same.rows[0]) return { id: same.rows[0].id, existing: true };
  }
  return caseStep(w, caseId, 'document', async () => {
    const r = await sql<{ id: string }>`INSERT INTO municipality.relief_documents (tenant_code, case_id, kind, received_on, handling, reference, note, recorded_at, recorded_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${d.kind}, ${d.receivedOn}::date, ${d.handling}, ${d.reference ?? null}, ${d.note ?? null}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
    return { detail: { kind: d.kind, receivedOn: d.receivedOn, handling: d.handling }, result: { id: r.rows[0]!.id, existing: false } };
  });
}

export const InformationInput = z.object({
  item: z.enum(Object.keys(INFORMATION_ITEMS) as [keyof typeof INFORMATION_ITEMS, ...(keyof typeof INFORMATION_ITEMS)[]], { message: '入手する情報を選んでください' }),
  providerCode: z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) || undefined : v), z.string().regex(/^\d{6}$/, '情報の提供元は6桁の団体コードです').optional()),
  /** The exchange inquiry the information came from (municipality.exchange_inquiries), when it is one. */
  exchangeId: optText('照会の番号', 64),
  obtainedOn: z.preprocess(blankToUndef, date('入手日').optional()),
  note: optText('備考', 500),
}).refine((i) => i.exchangeId === undefined || i.obtainedOn !== undefined, { message: '照会の結果を記録するときは入手日を入力してください', path: ['obtainedOn'] });

/**
 * 情報連携による情報: planned (a step still to do, no `obtainedOn`) or obtained — from one of this
 * municipality's exchange inquiries on the injured person (named by its number and checked), or otherwise.
 */
export async function addInformation(w: Work, caseId: string, raw: unknown): Promise<{ id: string }> {
  const i = parseInput(InformationInput, raw);
  if (i.obtainedOn) notFuture(w, 'obtainedOn', '入手日', i.obtainedOn);
  return caseStep(w, caseId, 'information', async (c) => {
    let provider = i.providerCode ?? null;
    if (i.exchangeId) {
      const q = await sql<{ provider_code: string; status: string }>`SELECT provider_code, status FROM municipality.exchange_inquiries
        WHERE tenant_code = ${w.tenant} AND exchange_id = ${i.exchangeId} AND atena_no = ${c.atena_no}`.execute(w.tx);
      if (!q.rows[0]) throw invalidField('exchangeId', 'INQUIRY_NOT_FOUND', 'この番号の、被接種者についての情報照会はありません');
      if (q.rows[0].status === 'pending') throw invalidField('exchangeId', 'INQUIRY_NOT_PROVIDED', 'この情報照会にはまだ情報が提供されていません');
      provider = q.rows[0].provider_code;
    }
    const status = i.obtainedOn ? 'obtained' : 'planned';
    const r = await sql<{ id: string }>`INSERT INTO municipality.relief_information (tenant_code, case_id, item, provider_code, status, exchange_id, obtained_on, note, recorded_at, recorded_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${i.item}, ${provider}, ${status}, ${i.exchangeId ?? null}, ${i.obtainedOn ?? null}::date, ${i.note ?? null}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
    return { detail: { item: i.item, status, provider, exchangeId: i.exchangeId ?? null }, result: { id: r.rows[0]!.id } };
  });
}

export const ObtainedInput = z.object({ obtainedOn: date('入手日'), exchangeId: optText('照会の番号', 64), note: optText('備考', 500) });

/** A planned information step done: the day it was obtained and, when it was an inquiry, which one. */
export async function markInformationObtained(w: Work, caseId: string, infoId: string, raw: unknown): Promise<void> {
  const i = parseInput(ObtainedInput, raw);
  notFuture(w, 'obtainedOn', '入手日', i.obtainedOn);
  if (!UUID.test(infoId)) throw notFound('入手予定の情報');
  await caseStep(w, caseId, 'information', async (c) => {
    if (i.exchangeId) {
      const q = await sql<{ status: string }>`SELECT status FROM municipality.exchange_inquiries WHERE tenant_code = ${w.tenant} AND exchange_id = ${i.exchangeId} AND atena_no = ${c.atena_no}`.execute(w.tx);
      if (!q.rows[0]) throw invalidField('exchangeId', 'INQUIRY_NOT_FOUND', 'この番号の、被接種者についての情報照会はありません');
      if (q.rows[0].status === 'pending') throw invalidField('exchangeId', 'INQUIRY_NOT_PROVIDED', 'この情報照会にはまだ情報が提供されていません');
    }
    const r = await sql`UPDATE municipality.relief_information SET status = 'obtained', obtained_on = ${i.obtainedOn}::date, exchange_id = coalesce(${i.exchangeId ?? null}, exchange_id),
      note = coalesce(${i.note ?? null}, note) WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND id = ${infoId}::uuid AND status = 'planned'`.execute(w.tx);
    if (Number(r.numAffectedRows ?? 0) !== 1) throw new Problem(409, 'INFORMATION_NOT_PLANNED', '入手予定の情報ではありません', 'この情報は既に入手済みか、この事案のものではありません。');
    return { detail: { information: infoId, obtainedOn: i.obtainedOn, exchangeId: i.exchangeId ?? null }, result: undefined };
  });
}

// ------------------------------------------------------------------ committee, 進達, the state's decision

export const CommitteeInput = z.object({
  heldOn: date('開催日'),
  members: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[、,，\n]/).map((s) => s.trim()).filter(Boolean) : v),
    z.array(text('委員の氏名', 60)).min(1, '出席した委員を入力してください').max(30, '委員は30人までです'),
  ),
  opinion: text('委員会の意見', 4000),
});

/** 予防接種健康被害調査委員会: a meeting with its members and opinion (needs a vaccination record on the case). */
export async function recordCommittee(w: Work, caseId: string, raw: unknown): Promise<void> {
  const m = parseInput(CommitteeInput, raw);
  notFuture(w, 'heldOn', '開催日', m.heldOn);
  await caseStep(w, caseId, 'committee', async () => {
    const rec = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_case_records WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid`.execute(w.tx);
    if (rec.rows[0]!.n === 0) throw new Problem(409, 'RELIEF_NO_RECORD', '接種記録が紐付いていません', '調査委員会の前に、健康被害の原因とされる予防接種の記録を事案に紐付けてください。', [{ field: 'recordIds', code: 'RELIEF_NO_RECORD', message: '接種記録が紐付いていません' }]);
    const same = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_committee WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND held_on = ${m.heldOn}::date`.execute(w.tx);
    if (same.rows[0]!.n > 0) throw invalidField('heldOn', 'COMMITTEE_DUPLICATE', 'この開催日の委員会は既に記録されています');
    await sql`INSERT INTO municipality.relief_committee (tenant_code, case_id, held_on, members, opinion, recorded_at, recorded_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${m.heldOn}::date, ${m.members}::text[], ${m.opinion}, ${w.clock.now()}, ${w.actor.login})`.execute(w.tx);
    return { status: 'examined', detail: { heldOn: m.heldOn, members: m.members.length }, result: undefined };
  });
}

export const ReportInput = z.object({ reportedOn: date('進達日'), reference: text('進達の文書番号', 100), note: optText('備考', 500) });

/** 国への進達 (through the prefecture): after the committee, with every planned information step done. */
export async function reportToState(w: Work, caseId: string, raw: unknown): Promise<void> {
  const r = parseInput(ReportInput, raw);
  notFuture(w, 'reportedOn', '進達日', r.reportedOn);
  await caseStep(w, caseId, 'report', async () => {
    const open = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_information WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND status = 'planned'`.execute(w.tx);
    if (open.rows[0]!.n > 0) throw new Problem(409, 'RELIEF_INFORMATION_PENDING', 'まだ入手していない情報があります', `情報連携で入手する予定の情報が${open.rows[0]!.n}件残っています。入手してから進達してください。`, [{ field: 'information', code: 'RELIEF_INFORMATION_PENDING', message: '入手していない情報があります' }]);
    const held = await sql<{ last: string }>`SELECT to_char(max(held_on), 'YYYY-MM-DD') AS last FROM municipality.relief_committee WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid`.execute(w.tx);
    if (held.rows[0]!.last && r.reportedOn < held.rows[0]!.last) throw invalidField('reportedOn', 'DATE_BEFORE_COMMITTEE', '進達日が調査委員会の開催日より前です');
    await sql`INSERT INTO municipality.relief_reports (tenant_code, case_id, reported_on, reference, note, recorded_at, recorded_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${r.reportedOn}::date, ${r.reference}, ${r.note ?? null}, ${w.clock.now()}, ${w.actor.login})`.execute(w.tx);
    return { status: 'reported', detail: { reportedOn: r.reportedOn, reference: r.reference }, result: undefined };
  });
}

export const DecisionInput = z.object({
  outcome: z.enum(['approved', 'denied'], { message: '国の判定（認定・否認）を選んでください' }),
  decidedOn: date('判定日'),
  reference: text('国の通知の文書番号', 100),
  /** The benefit kinds the state approved (only with 認定). */
  approvedKinds: z.array(z.enum(BENEFIT_KINDS, { message: '給付の種類が正しくありません' })).max(BENEFIT_KINDS.length).default([]),
}).refine((d) => d.outcome === 'denied' || d.approvedKinds.length > 0, { message: '認定された給付の種類を選んでください', path: ['approvedKinds'] })
  .refine((d) => d.outcome === 'approved' || d.approvedKinds.length === 0, { message: '否認のときは給付の種類を選びません', path: ['approvedKinds'] });

/** 国の判定: recorded as the state decided it (the municipality never decides). */
export async function recordDecision(w: Work, caseId: string, raw: unknown): Promise<void> {
  const d = parseInput(DecisionInput, raw);
  notFuture(w, 'decidedOn', '判定日', d.decidedOn);
  await caseStep(w, caseId, 'decision', async () => {
    const rep = await sql<{ reported_on: string }>`SELECT to_char(reported_on, 'YYYY-MM-DD') AS reported_on FROM municipality.relief_reports WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid`.execute(w.tx);
    if (rep.rows[0] && d.decidedOn < rep.rows[0].reported_on) throw invalidField('decidedOn', 'DATE_BEFORE_REPORT', '判定日が進達日より前です');
    const approved = [...new Set(d.approvedKinds)].sort();
    await sql`UPDATE municipality.relief_cases SET decision = ${d.outcome}, decision_on = ${d.decidedOn}::date, decision_ref = ${d.reference},
      approved_kinds = ${d.outcome === 'approved' ? approved : null}::text[] WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid`.execute(w.tx);
    return { status: d.outcome, detail: { outcome: d.outcome, decidedOn: d.decidedOn, reference: d.reference, approvedKinds: approved }, result: undefined };
  });
}

// ------------------------------------------------------------------ benefits

export const BenefitInput = z.object({
  kind: z.enum(BENEFIT_KINDS, { message: '給付の種類を選んでください' }),
  periodFrom: z.preprocess(blankToUndef, date('支給期間の始め').optional()),
  periodTo: z.preprocess(blankToUndef, date('支給期間の終わり').optional()),
  amount: yen('支給額'),
  decidedOn: date('支給決定日'),
  note: optText('備考', 500),
});

/** 給付の決定: a kind the state approved; a period for all but the lump sums; no overlapping period of a kind. */
export async function decideBenefit(w: Work, caseId: string, raw: unknown): Promise<{ id: string }> {
  const b = parseInput(BenefitInput, raw);
  notFuture(w, 'decidedOn', '支給決定日', b.decidedOn);
  const lump = LUMP_SUMS.includes(b.kind);
  if (lump && (b.periodFrom || b.periodTo)) throw invalidField('periodFrom', 'PERIOD_NOT_FOR_LUMP_SUM', `${BENEFIT_LABELS[b.kind]}には支給期間を入力しません`);
  if (!lump && (!b.periodFrom || !b.periodTo)) throw invalidField(b.periodFrom ? 'periodTo' : 'periodFrom', 'PERIOD_REQUIRED', `${BENEFIT_LABELS[b.kind]}は支給期間を入力してください`);
  if (b.periodFrom && b.periodTo && b.periodFrom > b.periodTo) throw invalidField('periodTo', 'PERIOD_REVERSED', '支給期間の終わりが始めより前です');
  return caseStep(w, caseId, 'benefit', async (c) => {
    if (!(c.approved_kinds ?? []).includes(b.kind)) {
      throw new Problem(409, 'BENEFIT_NOT_APPROVED', `${BENEFIT_LABELS[b.kind]}は国に認定されていません`, `国の判定で認定された給付（${(c.approved_kinds ?? []).map((k) => BENEFIT_LABELS[k as BenefitKind] ?? k).join('・') || 'なし'}）だけを決定できます。`, [{ field: 'kind', code: 'BENEFIT_NOT_APPROVED', message: '国に認定されていない給付です' }]);
    }
    if (c.decision_on && b.decidedOn < c.decision_on) throw invalidField('decidedOn', 'DATE_BEFORE_DECISION', '支給決定日が国の判定日より前です');
    const clash = lump
      ? await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_benefits WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND kind = ${b.kind}`.execute(w.tx)
      : await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_benefits WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND kind = ${b.kind}
          AND daterange(period_from, period_to, '[]') && daterange(${b.periodFrom!}::date, ${b.periodTo!}::date, '[]')`.execute(w.tx);
    if (clash.rows[0]!.n > 0) throw new Problem(409, 'BENEFIT_DUPLICATE', `${BENEFIT_LABELS[b.kind]}は既に決定されています`, lump ? `${BENEFIT_LABELS[b.kind]}は一つの事案で一度だけ支給します。` : '支給期間が既に決定した同じ給付の期間と重なっています。', [{ field: lump ? 'kind' : 'periodFrom', code: 'BENEFIT_DUPLICATE', message: '既に決定した給付と重なります' }]);
    const r = await sql<{ id: string }>`INSERT INTO municipality.relief_benefits (tenant_code, case_id, kind, period_from, period_to, amount, decided_on, note, recorded_at, recorded_by)
      VALUES (${w.tenant}, ${caseId}::uuid, ${b.kind}, ${b.periodFrom ?? null}::date, ${b.periodTo ?? null}::date, ${b.amount}, ${b.decidedOn}::date, ${b.note ?? null}, ${w.clock.now()}, ${w.actor.login})
      RETURNING id::text AS id`.execute(w.tx);
    return { status: 'paying', detail: { kind: b.kind, periodFrom: b.periodFrom ?? null, periodTo: b.periodTo ?? null, amount: b.amount, decidedOn: b.decidedOn }, result: { id: r.rows[0]!.id } };
  });
}

// ------------------------------------------------------------------ closing

export const CloseInput = z.object({ reason: text('理由', 500) });

/** 終結 (after the state's decision; no payment order still waiting) or 取下げ (before it). */
export async function closeCase(w: Work, caseId: string, how: 'close' | 'withdraw', raw: unknown): Promise<void> {
  const { reason } = parseInput(CloseInput, raw);
  await caseStep(w, caseId, how, async () => {
    if (how === 'close') {
      const open = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.relief_payment_orders WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid AND status <> 'paid'`.execute(w.tx);
      if (open.rows[0]!.n > 0) throw new Problem(409, 'RELIEF_PAYMENT_PENDING', '支払が済んでいない支払指示があります', `支払が済んでいない支払指示が${open.rows[0]!.n}件あります。支払が済んでから終結してください。`);
    }
    await sql`UPDATE municipality.relief_cases SET closed_reason = ${reason} WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid`.execute(w.tx);
    return { status: how === 'close' ? 'closed' : 'withdrawn', detail: { reason }, result: undefined };
  });
}

