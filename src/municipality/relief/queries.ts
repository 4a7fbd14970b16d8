// Reading relief cases: the list with totals and paging, and one case with everything recorded on it and its
// timeline.  Only the 健康被害救済 duty; each read is logged.  No My Number: the view says only whether the
// applicant's number was taken, and how the applicant's identity was checked.
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { invalidField, notFound } from '../../kernel/problems/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { APPLICANT_SUBJECT, CASE_STATUSES, RELIEF_PURPOSE, requireReliefRead, type BenefitKind, type CaseStatus, type Step } from './model.js';
import { ordersOfCase, type ReliefPaymentOrder } from './orders.js';
import { UUID } from './input.js';


export interface CaseSummary {
  readonly id: string;
  readonly caseNo: number;
  readonly atenaNo: string;
  readonly personName: string | null;
  readonly status: CaseStatus;
  readonly appliedOn: string;
  readonly claimedKinds: readonly BenefitKind[];
  /** 円: decided benefits, and what has been ordered for payment. */
  readonly benefitAmount: number;
  readonly orderedAmount: number;
}

export interface CaseList {
  readonly total: number;
  readonly byStatus: Readonly<Partial<Record<CaseStatus, number>>>;
  readonly benefitAmount: number;
  readonly orderedAmount: number;
  readonly paidAmount: number;
  readonly rows: readonly CaseSummary[];
}

type SummaryRow = { id: string; case_no: string; atena_no: string; person_name: string | null; status: CaseStatus; applied_on: string; claimed_kinds: BenefitKind[]; benefit_amount: string; ordered_amount: string };
const SUMMARY_SELECT = sql`SELECT c.id::text AS id, c.case_no, c.atena_no, p.state->>'nameKanji' AS person_name, c.status, to_char(c.applied_on, 'YYYY-MM-DD') AS applied_on, c.claimed_kinds,
  coalesce((SELECT sum(b.amount) FROM municipality.relief_benefits b WHERE b.tenant_code = c.tenant_code AND b.case_id = c.id), 0) AS benefit_amount,
  coalesce((SELECT sum(o.amount) FROM municipality.relief_payment_orders o WHERE o.tenant_code = c.tenant_code AND o.case_id = c.id), 0) AS ordered_amount
  FROM municipality.relief_cases c LEFT JOIN municipality.persons p ON p.tenant_code = c.tenant_code AND p.atena_no = c.atena_no`;
const summaryView = (r: SummaryRow): CaseSummary => ({
  id: r.id, caseNo: Number(r.case_no), atenaNo: r.atena_no, personName: r.person_name, status: r.status, appliedOn: r.applied_on, claimedKinds: r.claimed_kinds,
  benefitAmount: Number(r.benefit_amount), orderedAmount: Number(r.ordered_amount),
});

export async function listCases(w: Work, o: { status?: string | undefined; atenaNo?: string | undefined; page?: number; pageSize?: number } = {}): Promise<CaseList> {
  requireReliefRead(w);
  if (o.atenaNo !== undefined && !/^\d{10}$/.test(o.atenaNo)) throw invalidField('atenaNo', 'INVALID_QUERY', '「宛名番号」の指定が正しくありません（10桁の数字）');
  const atena = o.atenaNo ?? null;
  if (o.status !== undefined && !(CASE_STATUSES as readonly string[]).includes(o.status)) throw invalidField('status', 'INVALID_QUERY', '「状態」の指定が正しくありません');
  const size = Math.min(Math.max(o.pageSize ?? 50, 1), 500);
  const page = Math.max(o.page ?? 1, 1);
  const status = o.status ?? null;
  const counts = await sql<{ status: CaseStatus; n: number }>`SELECT status, count(*)::int AS n FROM municipality.relief_cases WHERE tenant_code = ${w.tenant} AND (${atena}::text IS NULL OR atena_no = ${atena}) GROUP BY status`.execute(w.tx);
  const money = await sql<{ benefit: string; ordered: string; paid: string }>`SELECT
      coalesce((SELECT sum(amount) FROM municipality.relief_benefits b JOIN municipality.relief_cases c ON c.tenant_code = b.tenant_code AND c.id = b.case_id
        WHERE b.tenant_code = ${w.tenant} AND (${status}::text IS NULL OR c.status = ${status}) AND (${atena}::text IS NULL OR c.atena_no = ${atena})), 0) AS benefit,
      coalesce((SELECT sum(amount) FROM municipality.relief_payment_orders o JOIN municipality.relief_cases c ON c.tenant_code = o.tenant_code AND c.id = o.case_id
        WHERE o.tenant_code = ${w.tenant} AND (${status}::text IS NULL OR c.status = ${status}) AND (${atena}::text IS NULL OR c.atena_no = ${atena})), 0) AS ordered,
      coalesce((SELECT sum(amount) FROM municipality.relief_payment_orders o JOIN municipality.relief_cases c ON c.tenant_code = o.tenant_code AND c.id = o.case_id
        WHERE o.tenant_code = ${w.tenant} AND o.status = 'paid' AND (${status}::text IS NULL OR c.status = ${status}) AND (${atena}::text IS NULL OR c.atena_no = ${atena})), 0) AS paid`.execute(w.tx);
  const rows = await sql<SummaryRow>`${SUMMARY_SELECT} WHERE c.tenant_code = ${w.tenant} AND (${status}::text IS NULL OR c.status = ${status}) AND (${atena}::text IS NULL OR c.atena_no = ${atena})
    ORDER BY c.case_no DESC LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const byStatus = Object.fromEntries(counts.rows.map((r) => [r.status, r.n])) as Partial<Record<CaseStatus, number>>;
  const total = status ? (byStatus[status as CaseStatus] ?? 0) : counts.rows.reduce((s, r) => s + r.n, 0);
  await appendEntry(w.tx, w, { action: 'search', targetType: 'relief-cases', purpose: RELIEF_PURPOSE, ...(atena ? { subjectRef: `resident:${atena}` } : {}), detail: { status, page, shown: rows.rows.length } });
  const m = money.rows[0]!;
  return { total, byStatus, benefitAmount: Number(m.benefit), orderedAmount: Number(m.ordered), paidAmount: Number(m.paid), rows: rows.rows.map(summaryView) };
}

export interface CaseView extends CaseSummary {
  readonly personKana: string | null;
  readonly personBirthDate: string | null;
  readonly summary: string;
  readonly applicant: { readonly relation: string; readonly name: string; readonly kana: string; readonly address: string; readonly phone: string | null };
  readonly idCheck: { readonly method: string; readonly note: string | null; readonly by: string; readonly at: Date };
  readonly numberCheck: string;
  /** Whether the applicant's number is held in the vault (never the number). */
  readonly myNumberTaken: boolean;
  readonly decision: { readonly outcome: 'approved' | 'denied'; readonly decidedOn: string; readonly reference: string; readonly approvedKinds: readonly BenefitKind[] } | null;
  readonly closedReason: string | null;
  readonly records: readonly { id: string; program: string | null; dose: number | null; vaccinatedOn: string | null; institutionCode: string | null; product: string | null }[];
  readonly documents: readonly { id: string; kind: string; receivedOn: string; handling: 'sealed' | 'referenced'; reference: string | null; note: string | null; by: string }[];
  readonly information: readonly { id: string; item: string; providerCode: string | null; status: 'planned' | 'obtained'; exchangeId: string | null; obtainedOn: string | null; note: string | null }[];
  readonly committee: readonly { heldOn: string; members: readonly string[]; opinion: string; by: string }[];
  readonly report: { readonly reportedOn: string; readonly reference: string; readonly note: string | null } | null;
  readonly benefits: readonly { id: string; kind: BenefitKind; periodFrom: string | null; periodTo: string | null; amount: number; ordered: number; decidedOn: string; note: string | null }[];
  readonly orders: readonly ReliefPaymentOrder[];
  readonly timeline: readonly { seq: number; step: Step; statusAfter: CaseStatus; detail: Record<string, unknown>; at: Date; by: string }[];
}

/** One case with everything on it (logged as a read of the case and of the person). */
export async function getCase(w: Work, vault: Vault, caseId: string): Promise<CaseView | null> {
  requireReliefRead(w, UUID.test(caseId) ? caseId : undefined);
  if (!UUID.test(caseId)) return null;
  const c = await sql<SummaryRow & {
    person_kana: string | null; person_birth: string | null; summary: string; applicant_relation: string; applicant_name: string; applicant_kana: string; applicant_address: string;
    applicant_phone: string | null; id_method: string; id_note: string | null; id_checked_by: string; id_checked_at: Date; number_check: string; decision: 'approved' | 'denied' | null;
    decision_on: string | null; decision_ref: string | null; approved_kinds: BenefitKind[] | null; closed_reason: string | null;
  }>`SELECT s.*, p.state->>'nameKana' AS person_kana, p.state->>'birthDate' AS person_birth, x.summary, x.applicant_relation, x.applicant_name, x.applicant_kana, x.applicant_address,
      x.applicant_phone, x.id_method, x.id_note, x.id_checked_by, x.id_checked_at, x.number_check, x.decision, to_char(x.decision_on, 'YYYY-MM-DD') AS decision_on, x.decision_ref,
      x.approved_kinds, x.closed_reason
    FROM (${SUMMARY_SELECT} WHERE c.tenant_code = ${w.tenant} AND c.id = ${caseId}::uuid) s
    JOIN municipality.relief_cases x ON x.tenant_code = ${w.tenant} AND x.id = s.id::uuid
    LEFT JOIN municipality.persons p ON p.tenant_code = x.tenant_code AND p.atena_no = x.atena_no`.execute(w.tx);
  const r = c.rows[0];
  if (!r) return null;
  const [records, documents, information, committee, report, benefits, events] = await Promise.all([
    sql<{ id: string; program: string | null; dose: number | null; vaccinated_on: string | null; institution_code: string | null; product: string | null }>`
      SELECT v.id::text AS id, v.program, v.dose, to_char(v.vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, v.institution_code, v.product
      FROM municipality.relief_case_records l JOIN municipality.vaccination_records v ON v.tenant_code = l.tenant_code AND v.id = l.record_id
      WHERE l.tenant_code = ${w.tenant} AND l.case_id = ${caseId}::uuid ORDER BY v.vaccinated_on NULLS LAST, v.id`.execute(w.tx),
    sql<{ id: string; kind: string; received_on: string; handling: 'sealed' | 'referenced'; reference: string | null; note: string | null; recorded_by: string }>`
      SELECT id::text AS id, kind, to_char(received_on, 'YYYY-MM-DD') AS received_on, handling, reference, note, recorded_by FROM municipality.relief_documents
      WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid ORDER BY received_on, recorded_at, id`.execute(w.tx),
    sql<{ id: string; item: string; provider_code: string | null; status: 'planned' | 'obtained'; exchange_id: string | null; obtained_on: string | null; note: string | null }>`
      SELECT id::text AS id, item, provider_code, status, exchange_id, to_char(obtained_on, 'YYYY-MM-DD') AS obtained_on, note FROM municipality.relief_information
      WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid ORDER BY recorded_at, id`.execute(w.tx),
    sql<{ held_on: string; members: string[]; opinion: string; recorded_by: string }>`
      SELECT to_char(held_on, 'YYYY-MM-DD') AS held_on, members, opinion, recorded_by FROM municipality.relief_committee WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid ORDER BY held_on`.execute(w.tx),
    sql<{ reported_on: string; reference: string; note: string | null }>`
      SELECT to_char(reported_on, 'YYYY-MM-DD') AS reported_on, reference, note FROM municipality.relief_reports WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid`.execute(w.tx),
    sql<{ id: string; kind: BenefitKind; period_from: string | null; period_to: string | null; amount: string; ordered: string; decided_on: string; note: string | null }>`
      SELECT b.id::text AS id, b.kind, to_char(b.period_from, 'YYYY-MM-DD') AS period_from, to_char(b.period_to, 'YYYY-MM-DD') AS period_to, b.amount,
        coalesce((SELECT sum(o.amount) FROM municipality.relief_payment_orders o WHERE o.tenant_code = b.tenant_code AND o.benefit_id = b.id), 0) AS ordered,
        to_char(b.decided_on, 'YYYY-MM-DD') AS decided_on, b.note
      FROM municipality.relief_benefits b WHERE b.tenant_code = ${w.tenant} AND b.case_id = ${caseId}::uuid ORDER BY b.decided_on, b.recorded_at, b.id`.execute(w.tx),
    sql<{ seq: number; step: Step; status_after: CaseStatus; detail: Record<string, unknown>; at: Date; by_login: string }>`
      SELECT seq, step, status_after, detail, at, by_login FROM municipality.relief_events WHERE tenant_code = ${w.tenant} AND case_id = ${caseId}::uuid ORDER BY seq`.execute(w.tx),
  ]);
  const orders = await ordersOfCase(w, caseId);
  const myNumberTaken = await vault.has(w, { subjectType: APPLICANT_SUBJECT, subjectId: caseId });
  await appendEntry(w.tx, w, { action: 'read', targetType: 'relief-case', targetId: caseId, subjectRef: `resident:${r.atena_no}`, purpose: RELIEF_PURPOSE });
  return {
    ...summaryView(r),
    personKana: r.person_kana,
    personBirthDate: r.person_birth,
    summary: r.summary,
    applicant: { relation: r.applicant_relation, name: r.applicant_name, kana: r.applicant_kana, address: r.applicant_address, phone: r.applicant_phone },
    idCheck: { method: r.id_method, note: r.id_note, by: r.id_checked_by, at: r.id_checked_at },
    numberCheck: r.number_check,
    myNumberTaken,
    decision: r.decision ? { outcome: r.decision, decidedOn: r.decision_on!, reference: r.decision_ref ?? '', approvedKinds: r.approved_kinds ?? [] } : null,
    closedReason: r.closed_reason,
    records: records.rows.map((x) => ({ id: x.id, program: x.program, dose: x.dose, vaccinatedOn: x.vaccinated_on, institutionCode: x.institution_code, product: x.product })),
    documents: documents.rows.map((x) => ({ id: x.id, kind: x.kind, receivedOn: x.received_on, handling: x.handling, reference: x.reference, note: x.note, by: x.recorded_by })),
    information: information.rows.map((x) => ({ id: x.id, item: x.item, providerCode: x.provider_code, status: x.status, exchangeId: x.exchange_id, obtainedOn: x.obtained_on, note: x.note })),
    committee: committee.rows.map((x) => ({ heldOn: x.held_on, members: x.members, opinion: x.opinion, by: x.recorded_by })),
    report: report.rows[0] ? { reportedOn: report.rows[0].reported_on, reference: report.rows[0].reference, note: report.rows[0].note } : null,
    benefits: benefits.rows.map((x) => ({ id: x.id, kind: x.kind, periodFrom: x.period_from, periodTo: x.period_to, amount: Number(x.amount), ordered: Number(x.ordered), decidedOn: x.decided_on, note: x.note })),
    orders,
    timeline: events.rows.map((x) => ({ seq: x.seq, step: x.step, statusAfter: x.status_after, detail: x.detail, at: x.at, by: x.by_login })),
  };
}

/** The injured person's active vaccination records, for choosing the ones the application concerns. */
export async function recordsOfPerson(w: Work, atenaNo: string): Promise<{ id: string; program: string | null; dose: number | null; vaccinatedOn: string | null }[]> {
  requireReliefRead(w);
  if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
  const r = await sql<{ id: string; program: string | null; dose: number | null; vaccinated_on: string | null }>`
    SELECT id::text AS id, program, dose, to_char(vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND atena_no = ${atenaNo} AND status = 'active' ORDER BY vaccinated_on DESC NULLS LAST, id LIMIT 200`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'vaccination-history', subjectRef: `resident:${atenaNo}`, purpose: RELIEF_PURPOSE });
  return r.rows.map((x) => ({ id: x.id, program: x.program, dose: x.dose, vaccinatedOn: x.vaccinated_on }));
}
