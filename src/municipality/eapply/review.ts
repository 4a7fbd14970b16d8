// 申請管理: the status workflow of electronic applications (XCH-29, XCH-30; decision 0156):
//   checked（確認済: signature verified, applicant identified) → under_review（審査中） → accepted（受理） / rejected（却下）
// A resubmission makes the earlier open application 'superseded'; only the current version can be reviewed.
// Acceptance produces the application's effect in the same transaction — 予防接種依頼書 through the notices
// ledger (issueForPerson), 予防接種済証の再交付 through the certification ledger (receiveApplication,
// channel 'app'), 償還払い as a hand-over record of kind 'reimbursement' for the reimbursement work — and a
// decision (accepted or rejected) erases the sealed signed document (XCH-30).  Every step is authorised
// ('personal.read' / 'personal.write' in 予防接種), kept in the status history and in the operation log.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { conflict, notFound, parseInput } from '../../kernel/problems/index.js';
import { canonicalDocumentText } from '../../kernel/jpki/index.js';
import { EFORM_KIND_LABELS, withoutMyNumber, type CertificateReissueForm, type EformKind, type ReimbursementForm, type VaccinationRequestForm } from '../../kernel/eforms/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { issueForPerson } from '../notices/index.js';
import { receiveApplication } from '../certification/index.js';
import { recordEvent } from './events.js';
import { openDocument } from './seal.js';
import type { EapplyDeps } from './receive.js';

export type EapplicationStatus = 'checked' | 'under_review' | 'accepted' | 'rejected' | 'superseded';
export const EAPPLICATION_STATUSES: readonly EapplicationStatus[] = ['checked', 'under_review', 'accepted', 'rejected', 'superseded'];

/** 状態 as staff read it. */
export const EAPPLICATION_STATUS_LABELS: Readonly<Record<EapplicationStatus, string>> = {
  checked: '確認済（審査待ち）',
  under_review: '審査中',
  accepted: '受理',
  rejected: '却下',
  superseded: '再申請により置換',
};

export const EAPPLICATION_KIND_LABELS: Readonly<Record<EformKind | 'unknown', string>> = { ...EFORM_KIND_LABELS, unknown: '（種類不明）' };

const DUTY = ['vaccination'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EapplicationSummary {
  readonly id: string;
  readonly applicationNo: string;
  readonly kind: EformKind | 'unknown';
  readonly status: EapplicationStatus;
  readonly submittedAt: Date;
  readonly fetchedAt: Date;
  readonly verified: boolean;
  readonly rejectReason: string | null;
  readonly applicantAtena: string | null;
  readonly subjectAtena: string | null;
  readonly supersedesId: string | null;
  readonly supersededBy: string | null;
  readonly decidedAt: Date | null;
}

export interface EapplicationEvent {
  readonly at: Date;
  readonly actor: string;
  readonly from: EapplicationStatus | null;
  readonly to: EapplicationStatus;
  readonly note: string | null;
}

export interface EapplicationView extends EapplicationSummary {
  readonly relation: string | null;
  /** The form without its My Number (null for an application rejected at receipt). */
  readonly form: Record<string, unknown> | null;
  readonly hadMyNumber: boolean;
  readonly certSerial: string | null;
  readonly certNotAfter: Date | null;
  readonly reviewedBy: string | null;
  readonly decidedBy: string | null;
  readonly decisionNote: string | null;
  readonly effect: Record<string, unknown> | null;
  /** For a hand-over: what the receiving part made of it (the 償還払い application's id), null while open. */
  readonly handoverRef: string | null;
  /** The signed document is erased (decided or superseded). */
  readonly erased: boolean;
  /** The form was erased at the end of its keeping period (data class 'eapplication-content'). */
  readonly contentErased: boolean;
  readonly events: readonly EapplicationEvent[];
  /** 氏名 of the applicant and of the person vaccinated from the 住民記録 (null when not identified). */
  readonly applicantName: string | null;
  readonly subjectName: string | null;
}

interface Row {
  id: string;
  application_no: string;
  kind: EformKind | 'unknown';
  status: EapplicationStatus;
  submitted_at: Date;
  fetched_at: Date;
  verified: boolean;
  reject_reason: string | null;
  applicant_atena: string | null;
  subject_atena: string | null;
  supersedes_id: string | null;
  superseded_by: string | null;
  decided_at: Date | null;
  relation: string | null;
  form: Record<string, unknown> | null;
  had_mynumber: boolean;
  cert_serial: string | null;
  cert_not_after: Date | null;
  reviewed_by: string | null;
  decided_by: string | null;
  decision_note: string | null;
  effect: Record<string, unknown> | null;
  erased_at: Date | null;
  content_erased_at: Date | null;
  has_document: boolean;
  document_sha256: string;
  sealed_document: Buffer | null;
}

const SUMMARY_COLS = sql`id, application_no, kind, status, submitted_at, fetched_at, verified, reject_reason, applicant_atena, subject_atena, supersedes_id, superseded_by, decided_at`;

function summary(r: Row): EapplicationSummary {
  return {
    id: r.id, applicationNo: r.application_no, kind: r.kind, status: r.status, submittedAt: r.submitted_at, fetchedAt: r.fetched_at, verified: r.verified, rejectReason: r.reject_reason,
    applicantAtena: r.applicant_atena, subjectAtena: r.subject_atena, supersedesId: r.supersedes_id, supersededBy: r.superseded_by, decidedAt: r.decided_at,
  };
}

export const listFilter = z
  .object({
    status: z.union([z.literal(''), z.enum(['checked', 'under_review', 'accepted', 'rejected', 'superseded'])]).optional().transform((s) => s || undefined),
    kind: z.union([z.literal(''), z.enum(['vaccination-request', 'certificate-reissue', 'reimbursement', 'unknown'])]).optional().transform((s) => s || undefined),
    page: z.coerce.number().int().min(1).max(1e12).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export interface EapplicationList {
  /** Each with the 氏名 of the person vaccinated from the 住民記録 (null when not identified). */
  readonly rows: readonly (EapplicationSummary & { readonly subjectName: string | null })[];
  /** Rows matching the filter. */
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  /** Applications per status (the whole tenant, regardless of the filter). */
  readonly totals: Readonly<Record<EapplicationStatus, number>>;
}

/** The applications (newest first), with totals per status.  'personal.read' in 予防接種. */
export async function listEapplications(w: Work, raw: unknown = {}): Promise<EapplicationList> {
  requireResidentAccess(w.actor, 'personal.read', DUTY);
  const f = parseInput(listFilter, raw);
  const where = sql`tenant_code = ${w.tenant} ${f.status ? sql`AND status = ${f.status}` : sql``} ${f.kind ? sql`AND kind = ${f.kind}` : sql``}`;
  const rows = await sql<Row>`SELECT ${SUMMARY_COLS} FROM municipality.eapplications WHERE ${where} ORDER BY fetched_at DESC, id LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`.execute(w.tx);
  const total = await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.eapplications WHERE ${where}`.execute(w.tx);
  const per = await sql<{ status: EapplicationStatus; n: string }>`SELECT status, count(*) AS n FROM municipality.eapplications WHERE tenant_code = ${w.tenant} GROUP BY status`.execute(w.tx);
  const totals = Object.fromEntries(EAPPLICATION_STATUSES.map((s) => [s, 0])) as Record<EapplicationStatus, number>;
  for (const p of per.rows) totals[p.status] = Number(p.n);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'eapplication-list', detail: { status: f.status ?? null, kind: f.kind ?? null, page: f.page, rows: rows.rows.length } });
  const subjects = [...new Set(rows.rows.map((r) => r.subject_atena).filter((x): x is string => !!x))];
  const names = new Map<string, string>();
  if (subjects.length) {
    const p = await sql<{ atena_no: string; name_kanji: string }>`SELECT atena_no, name_kanji FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${subjects})`.execute(w.tx);
    for (const x of p.rows) names.set(x.atena_no, x.name_kanji);
  }
  return { rows: rows.rows.map((r) => ({ ...summary(r), subjectName: r.subject_atena ? (names.get(r.subject_atena) ?? null) : null })), total: Number(total.rows[0]!.n), page: f.page, pageSize: f.pageSize, totals };
}

async function load(w: Work, id: string, lock = false): Promise<Row> {
  if (!UUID.test(id)) throw notFound('電子申請');
  const r = await sql<Row>`SELECT *, sealed_document IS NOT NULL AS has_document FROM municipality.eapplications WHERE tenant_code = ${w.tenant} AND id = ${id} ${lock ? sql`FOR UPDATE` : sql``}`.execute(w.tx);
  if (!r.rows[0]) throw notFound('電子申請');
  return r.rows[0];
}

async function view(w: Work, r: Row): Promise<EapplicationView> {
  const ev = await sql<{ at: Date; actor: string; from_status: EapplicationStatus | null; to_status: EapplicationStatus; note: string | null }>`
    SELECT at, actor, from_status, to_status, note FROM municipality.eapplication_events WHERE tenant_code = ${w.tenant} AND application_id = ${r.id} ORDER BY seq`.execute(w.tx);
  const names = new Map<string, string>();
  const ids = [r.applicant_atena, r.subject_atena].filter((x): x is string => !!x);
  if (ids.length) {
    const p = await sql<{ atena_no: string; name_kanji: string }>`SELECT atena_no, name_kanji FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${ids})`.execute(w.tx);
    for (const x of p.rows) names.set(x.atena_no, x.name_kanji);
  }
  const hid = r.effect && r.effect['kind'] === 'handover' && typeof r.effect['id'] === 'string' && UUID.test(r.effect['id']) ? r.effect['id'] : null;
  const handoverRef = hid
    ? ((await sql<{ taken_ref: string | null }>`SELECT taken_ref FROM municipality.eapplication_handovers WHERE tenant_code = ${w.tenant} AND id = ${hid}`.execute(w.tx)).rows[0]?.taken_ref ?? null)
    : null;
  return {
    ...summary(r),
    handoverRef,
    applicantName: r.applicant_atena ? (names.get(r.applicant_atena) ?? null) : null,
    subjectName: r.subject_atena ? (names.get(r.subject_atena) ?? null) : null,
    relation: r.relation, form: r.form, hadMyNumber: r.had_mynumber, certSerial: r.cert_serial, certNotAfter: r.cert_not_after, reviewedBy: r.reviewed_by, decidedBy: r.decided_by,
    decisionNote: r.decision_note, effect: r.effect, erased: !r.has_document, contentErased: r.content_erased_at !== null,
    events: ev.rows.map((e) => ({ at: e.at, actor: e.actor, from: e.from_status, to: e.to_status, note: e.note })),
  };
}

/** One application with its history.  'personal.read' in 予防接種; logged. */
export async function getEapplication(w: Work, id: string): Promise<EapplicationView> {
  requireResidentAccess(w.actor, 'personal.read', DUTY);
  const r = await load(w, id);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'eapplication', targetId: r.id, ...(r.subject_atena ? { subjectRef: `resident:${r.subject_atena}` } : {}) });
  return view(w, r);
}

function requireCurrent(r: Row, allowed: readonly EapplicationStatus[], what: string): void {
  if (r.status === 'superseded') throw conflict('EAPPLICATION_SUPERSEDED', 'この申請は再申請により置き換えられています。最新の申請を審査してください。');
  if (!allowed.includes(r.status)) throw conflict('EAPPLICATION_STATUS', `この申請は「${EAPPLICATION_STATUS_LABELS[r.status]}」のため、${what}できません。`);
}

const noteSchema = z.object({ note: z.string().trim().max(200, { message: '200文字以内で入力してください' }).optional().transform((s) => s || undefined) }).strict();
const rejectSchema = z
  .object({ reason: z.string({ message: '却下の理由を入力してください' }).trim().min(1, { message: '却下の理由を入力してください' }).max(200, { message: '200文字以内で入力してください' }) })
  .strict();

/** 審査を開始する: checked → under_review.  'personal.write' in 予防接種. */
export async function startReview(w: Work, id: string): Promise<EapplicationView> {
  requireResidentAccess(w.actor, 'personal.write', DUTY);
  const r = await load(w, id, true);
  requireCurrent(r, ['checked'], '審査を開始');
  await sql`UPDATE municipality.eapplications SET status = 'under_review', reviewed_by = ${w.actor.login}, reviewed_at = ${w.clock.now()} WHERE tenant_code = ${w.tenant} AND id = ${r.id}`.execute(w.tx);
  await recordEvent(w, r.id, r.status, 'under_review', null);
  await appendEntry(w.tx, w, { action: 'eapply_review', targetType: 'eapplication', targetId: r.id, subjectRef: `resident:${r.subject_atena}`, detail: { kind: r.kind } });
  return view(w, await load(w, r.id));
}

/** 却下: checked / under_review → rejected, with the reason; the signed document is erased. */
export async function rejectEapplication(w: Work, id: string, raw: unknown): Promise<EapplicationView> {
  requireResidentAccess(w.actor, 'personal.write', DUTY);
  const q = parseInput(rejectSchema, raw);
  const r = await load(w, id, true);
  requireCurrent(r, ['checked', 'under_review'], '却下');
  const now = w.clock.now();
  await sql`UPDATE municipality.eapplications SET status = 'rejected', reject_code = 'STAFF', reject_reason = ${q.reason}, decided_by = ${w.actor.login}, decided_at = ${now},
              sealed_document = NULL, erased_at = ${now} WHERE tenant_code = ${w.tenant} AND id = ${r.id}`.execute(w.tx);
  await recordEvent(w, r.id, r.status, 'rejected', q.reason);
  await appendEntry(w.tx, w, { action: 'eapply_decide', targetType: 'eapplication', targetId: r.id, subjectRef: `resident:${r.subject_atena}`, detail: { kind: r.kind, decision: 'rejected' } });
  return view(w, await load(w, r.id));
}

/**
 * 受理: under_review → accepted, producing the application's effect in the same transaction (a failure of the
 * effect — e.g. no 通知書 settings, an unknown program — leaves the application under review, nothing written).
 */
export async function acceptEapplication(w: Work, deps: Pick<EapplyDeps, 'vault' | 'tenantKeys'>, id: string, raw: unknown = {}): Promise<EapplicationView> {
  requireResidentAccess(w.actor, 'personal.write', DUTY);
  const q = parseInput(noteSchema, raw);
  const r = await load(w, id, true);
  requireCurrent(r, ['under_review'], '受理');
  await requireAsSigned(w, deps, r);
  const subject = r.subject_atena!;
  const applicant = r.applicant_atena!;
  let effect: Record<string, unknown>;
  if (r.kind === 'vaccination-request') {
    const f = r.form as unknown as Omit<VaccinationRequestForm, 'myNumber'>;
    const issued = await issueForPerson(w, { keys: deps.tenantKeys }, {
      atenaNo: subject, docType: 'request', program: f.program, ...(f.dose ? { dose: f.dose } : {}),
      request: { destination: f.destination, reason: f.reason, stayAddress: f.stayAddress, ...(f.stayPhone ? { stayPhone: f.stayPhone } : {}) },
    });
    effect = { kind: 'notice', batchId: issued.batchId, itemId: issued.itemId, referenceNo: issued.referenceNo };
  } else if (r.kind === 'certificate-reissue') {
    const f = r.form as unknown as Omit<CertificateReissueForm, 'myNumber'>;
    const agentName = applicant === subject ? undefined : await nameOf(w, applicant);
    const app = await receiveApplication(w, deps, subject, {
      kind: 'completion', receivedOn: w.clock.today(), applicant: agentName ? 'agent' : 'self', ...(agentName ? { agentName, agentRelation: r.relation === 'guardian' ? 'guardian' : 'parent' } : {}),
      identityDocument: 'mynumber-card', reason: '紛失・汚損による再交付', reasonDetail: `電子申請（${f.reason}）`, programs: f.programs,
      ...(f.previousCertificateNo ? { reissueOf: f.previousCertificateNo } : {}),
    }, { channel: 'app' });
    effect = { kind: 'certificate-application', id: app.id };
  } else if (r.kind === 'reimbursement') {
    const f = r.form as unknown as Omit<ReimbursementForm, 'myNumber'>;
    const payload = { applicationNo: r.application_no, program: f.program, dose: f.dose ?? null, vaccinatedOn: f.vaccinatedOn, clinicName: f.clinicName, receiptDate: f.receiptDate, amountPaid: f.amountPaid, bank: f.bank ?? null, useKoukin: f.useKoukin === true, relation: r.relation, phone: f.phone };
    const h = await sql<{ id: string }>`INSERT INTO municipality.eapplication_handovers (tenant_code, kind, application_id, applicant_atena, subject_atena, payload, created_at)
              VALUES (${w.tenant}, 'reimbursement', ${r.id}, ${applicant}, ${subject}, ${JSON.stringify(payload)}::jsonb, ${w.clock.now()}) RETURNING id`.execute(w.tx);
    effect = { kind: 'handover', handover: 'reimbursement', id: h.rows[0]!.id };
  } else {
    throw conflict('EAPPLICATION_KIND', '種類の分からない申請は受理できません。');
  }
  const now = w.clock.now();
  await sql`UPDATE municipality.eapplications SET status = 'accepted', decided_by = ${w.actor.login}, decided_at = ${now}, decision_note = ${q.note ?? null}, effect = ${JSON.stringify(effect)}::jsonb,
              sealed_document = NULL, erased_at = ${now} WHERE tenant_code = ${w.tenant} AND id = ${r.id}`.execute(w.tx);
  await recordEvent(w, r.id, r.status, 'accepted', q.note ?? null);
  await appendEntry(w.tx, w, { action: 'eapply_decide', targetType: 'eapplication', targetId: r.id, subjectRef: `resident:${subject}`, detail: { kind: r.kind, decision: 'accepted', effect: String(effect['kind']) } });
  return view(w, await load(w, r.id));
}

/**
 * What is accepted is what was signed: the sealed original's digest is the one recorded at receipt, and the
 * stored form is the signed form without its My Number.  409 EAPPLICATION_TAMPERED otherwise (nothing done).
 */
async function requireAsSigned(w: Work, deps: Pick<EapplyDeps, 'tenantKeys'>, r: Row): Promise<void> {
  const tampered = () => conflict('EAPPLICATION_TAMPERED', '保存中の申請内容が、署名された申請データと一致しません。受理できません（システム管理者に連絡してください）。');
  if (!r.sealed_document) throw tampered();
  const d = await openDocument(deps.tenantKeys, w, r.id, r.sealed_document);
  if (createHash('sha256').update(d.document, 'utf8').digest('hex') !== r.document_sha256) throw tampered();
  const signed = JSON.parse(d.document) as { form: Record<string, unknown> };
  if (canonicalDocumentText(withoutMyNumber(signed.form)) !== canonicalDocumentText(r.form)) throw tampered();
}

async function nameOf(w: Work, atena: string): Promise<string> {
  const r = await sql<{ name_kanji: string }>`SELECT name_kanji FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${atena}`.execute(w.tx);
  return r.rows[0]?.name_kanji ?? '';
}

// ------------------------------------------------------------------ hand-over (docs/formats/eapply-protocol.md; taken by reimburse/electronic.ts)

export interface Handover {
  readonly id: string;
  readonly kind: 'reimbursement';
  readonly applicationId: string;
  readonly applicantAtena: string;
  readonly subjectAtena: string;
  /** kind 'reimbursement': {applicationNo, program, dose, vaccinatedOn, clinicName, receiptDate, amountPaid, bank{bankCode, branchCode, accountType, accountNumber, holderKana}, relation, phone}. */
  readonly payload: Record<string, unknown>;
  readonly createdAt: Date;
  readonly takenAt: Date | null;
  readonly takenRef: string | null;
}

/**
 * Accepted applications waiting to be taken by the part that does their work.  'personal.read' in 予防接種, or
 * the server's sync job (system actor) that hands them over, as it collects them (receive.ts).
 */
export async function openHandovers(w: Work, kind: 'reimbursement'): Promise<Handover[]> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', DUTY);
  const r = await sql<{ id: string; kind: 'reimbursement'; application_id: string; applicant_atena: string; subject_atena: string; payload: Record<string, unknown>; created_at: Date; taken_at: Date | null; taken_ref: string | null }>`
    SELECT id, kind, application_id, applicant_atena, subject_atena, payload, created_at, taken_at, taken_ref FROM municipality.eapplication_handovers
    WHERE tenant_code = ${w.tenant} AND kind = ${kind} AND taken_at IS NULL ORDER BY created_at, id`.execute(w.tx);
  return r.rows.map((h) => ({ id: h.id, kind: h.kind, applicationId: h.application_id, applicantAtena: h.applicant_atena, subjectAtena: h.subject_atena, payload: h.payload, createdAt: h.created_at, takenAt: h.taken_at, takenRef: h.taken_ref }));
}

/** Marks a hand-over taken (idempotent for the same ref; another ref is a conflict).  'personal.write' or the sync job. */
export async function takeHandover(w: Work, id: string, ref: string): Promise<void> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.write', DUTY);
  if (!UUID.test(id)) throw notFound('引継ぎ');
  const r = await sql<{ taken_ref: string | null; subject_atena: string }>`SELECT taken_ref, subject_atena FROM municipality.eapplication_handovers WHERE tenant_code = ${w.tenant} AND id = ${id} FOR UPDATE`.execute(w.tx);
  const h = r.rows[0];
  if (!h) throw notFound('引継ぎ');
  if (h.taken_ref === ref) return;
  if (h.taken_ref !== null) throw conflict('HANDOVER_TAKEN', 'この申請はすでに引き継がれています。');
  await sql`UPDATE municipality.eapplication_handovers SET taken_at = ${w.clock.now()}, taken_by = ${w.actor.login}, taken_ref = ${ref} WHERE tenant_code = ${w.tenant} AND id = ${id}`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'update', targetType: 'eapplication-handover', targetId: id, subjectRef: `resident:${h.subject_atena}`, detail: { ref } });
}
