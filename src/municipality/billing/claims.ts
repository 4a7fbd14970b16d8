// The monthly claim (docs/formats/clinic-protocol.md §4–5; VAX-32, PMH-18; decision 0149).  closeMonth builds
// one claim per institution from the month's active records of both channels (platform and clinic batch) —
// claim month = the record's 請求年月, else the month of its vaccination date — leaving out paid records,
// 支払対象外 (data.notPayable) and records already accepted; each item is priced from the unit price in force
// on the vaccination date, less what the clinic collected from the resident (the record's 徴収区分 and 徴収額,
// else the price's 自己負担額, 0 when the record's 自己負担区分 is one the price waives); the claims go to
// 国保連 (`claims.check`, encrypted) and the per-item results are kept.
//
// Three steps, like the platform push: (1) one transaction plans the claims (status `checking`) and marks the
// records claimed; (2) the message to 国保連 is sent outside any transaction (the node logs it in its own);
// (3) one transaction stores the answer.  A re-run first resends claims left `checking` by a failure, then
// builds new ones only from what is claimable: a returned item is claimed again only after its record was
// corrected or its price changed, so the same month closed twice makes no duplicate claim.
import { sql } from 'kysely';
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { notFound, Problem } from '../../kernel/problems/index.js';
import { parseMonth, requireBillingRead, requireBillingWrite } from './setup.js';

export const KOKUHOREN_NODE = 'kokuhoren';
export const CLAIM_STATUS_LABELS: Record<string, string> = { checking: '審査中', checked: '審査済', approved: '承認済', held: '保留', paid: '支払済' };

export interface BillingDeps {
  readonly db: MamoriDb;
}
/** The municipality node's end of the exchange (MunicipalExchange has it). */
export interface BillingExchange {
  readonly node: ExchangeNode;
}

export interface CloseReport {
  /** Claims checked by this run. */
  readonly claims: number;
  readonly accepted: number;
  readonly returned: number;
  /** The accepted total, 円. */
  readonly amount: number;
}

const answerSchema = z.object({
  checkedAt: z.string(),
  claims: z.array(z.object({
    claimId: z.string(),
    items: z.array(z.object({ itemId: z.string(), result: z.enum(['accepted', 'returned']), code: z.string().max(60).optional(), reason: z.string().max(500).optional() })),
  })),
});

/** Serialises the closes and payments of one tenant's month (two operators at once wait for each other). */
export async function lockMonth(w: Work, month: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`billing:${w.tenant}:${month}`}))`.execute(w.tx);
}

interface Candidate {
  id: string;
  version: number;
  institution_code: string;
  program: string;
  dose: number | null;
  vaccinated_on: string | null;
  unit_price: number | null;
  copay: number | null;
  waived: boolean;
  fee_collection: string | null;
  fee_amount: number | null;
}

/**
 * What the clinic collected from the resident, deducted from the unit price (decision 0166).  A record with a
 * 徴収区分 (VAX-31; set by the co-payment engine or given) says it: 医療機関で徴収 → its 徴収額; 市区町村で徴収 or
 * 徴収なし → nothing (the clinic is paid the whole price).  A record without one (no co-payment rule for its
 * fiscal year) falls back to the price's 自己負担額, waived for the 減免区分 the price lists (issue 13).
 */
export function deductedCopay(rec: Pick<Candidate, 'copay' | 'waived' | 'fee_collection' | 'fee_amount'>, unitPrice: number): number {
  if (rec.fee_collection === 'clinic') return Math.min(Math.max(rec.fee_amount ?? 0, 0), unitPrice);
  if (rec.fee_collection === 'municipality' || rec.fee_collection === 'none') return 0;
  return rec.waived ? 0 : Math.min(rec.copay ?? 0, unitPrice);
}

/** Plans the new claims of the month (records not yet claimable are left alone).  Returns the claim ids. */
async function planClaims(w: Work, month: string): Promise<string[]> {
  // The month's claimable records with the price in force on the vaccination date (or the month's first day).
  const c = await sql<Candidate>`
    WITH rec AS (
      SELECT r.id, r.version, r.institution_code, r.program, r.dose, r.vaccinated_on, r.data->>'copayCategory' AS copay_category,
        r.data->>'feeCollection' AS fee_collection, (r.data->>'feeAmount')::int AS fee_amount
      FROM municipality.vaccination_records r
      WHERE r.tenant_code = ${w.tenant} AND r.status = 'active' AND r.source IN ('platform', 'clinic-batch')
        AND coalesce(r.claim_month, to_char(r.vaccinated_on, 'YYYY-MM')) = ${month}
        AND NOT r.paid AND coalesce(r.data->>'notPayable', 'false') <> 'true'
        AND r.institution_code IS NOT NULL AND r.program IS NOT NULL AND r.dose IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM municipality.claim_items i WHERE i.tenant_code = r.tenant_code AND i.record_id = r.id AND (i.result = 'accepted' OR i.result IS NULL))
    )
    SELECT rec.id::text AS id, rec.version, rec.institution_code, rec.program, rec.dose, to_char(rec.vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on,
      p.unit_price, p.copay, coalesce(rec.copay_category = ANY(p.copay_waived_for), false) AS waived,
      rec.fee_collection, rec.fee_amount
    FROM rec LEFT JOIN LATERAL (
      SELECT unit_price, copay, copay_waived_for FROM municipality.billing_prices bp
      WHERE bp.tenant_code = ${w.tenant} AND bp.program = rec.program AND bp.valid_from <= coalesce(rec.vaccinated_on, (${month} || '-01')::date)
      ORDER BY bp.valid_from DESC LIMIT 1
    ) p ON true
    ORDER BY rec.institution_code, rec.vaccinated_on, rec.id`.execute(w.tx);
  if (c.rows.length === 0) return [];
  // A record returned before is claimed again only when something changed since: its version or its price.
  const last = await sql<{ record_id: string; record_version: number; unit_price: number; copay: number }>`
    SELECT DISTINCT ON (i.record_id) i.record_id::text AS record_id, i.record_version, i.unit_price, i.copay
    FROM municipality.claim_items i JOIN municipality.claims cl ON cl.tenant_code = i.tenant_code AND cl.id = i.claim_id
    WHERE i.tenant_code = ${w.tenant} AND i.record_id = ANY(${c.rows.map((r) => r.id)}::uuid[]) AND i.result = 'returned'
    ORDER BY i.record_id, cl.seq DESC`.execute(w.tx);
  const prev = new Map(last.rows.map((r) => [r.record_id, r]));
  const byInstitution = new Map<string, { rec: Candidate; unitPrice: number; copay: number }[]>();
  for (const rec of c.rows) {
    const unitPrice = rec.unit_price ?? 0;
    const copay = deductedCopay(rec, unitPrice);
    const p = prev.get(rec.id);
    if (p && p.record_version === rec.version && p.unit_price === unitPrice && p.copay === copay) continue;
    const l = byInstitution.get(rec.institution_code) ?? [];
    l.push({ rec, unitPrice, copay });
    byInstitution.set(rec.institution_code, l);
  }
  const ids: string[] = [];
  const today = w.clock.today();
  for (const [inst, items] of byInstitution) {
    const amount = items.reduce((s, i) => s + i.unitPrice - i.copay, 0);
    const cl = await sql<{ id: string }>`
      INSERT INTO municipality.claims (tenant_code, month, institution_code, status, items, amount, created_at, created_by)
      VALUES (${w.tenant}, ${month}, ${inst}, 'checking', ${items.length}, ${amount}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
    const claimId = cl.rows[0]!.id;
    ids.push(claimId);
    const rows = items.map((i) => ({ record_id: i.rec.id, record_version: i.rec.version, program: i.rec.program, dose: i.rec.dose, vaccinated_on: i.rec.vaccinated_on, unit_price: i.unitPrice, copay: i.copay, amount: i.unitPrice - i.copay }));
    await sql`
      INSERT INTO municipality.claim_items (tenant_code, claim_id, record_id, record_version, program, dose, vaccinated_on, unit_price, copay, amount)
      SELECT ${w.tenant}, ${claimId}::uuid, x.record_id, x.record_version, x.program, x.dose, x.vaccinated_on, x.unit_price, x.copay, x.amount
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(record_id uuid, record_version int, program text, dose int, vaccinated_on date, unit_price int, copay int, amount int)`.execute(w.tx);
    await sql`UPDATE municipality.vaccination_records SET claim_id = ${claimId}::uuid, claimed_on = ${today}::date
      WHERE tenant_code = ${w.tenant} AND id = ANY(${rows.map((r) => r.record_id)}::uuid[])`.execute(w.tx);
  }
  return ids;
}

interface ClaimMessage {
  claimId: string;
  institutionCode: string;
  items: { itemId: string; programCode: string; dose: number | null; vaccinatedOn: string | null; unitPrice: number; copay: number; amount: number }[];
}

async function messageOf(w: Work, claimIds: readonly string[]): Promise<ClaimMessage[]> {
  const r = await sql<{ claim_id: string; institution_code: string; record_id: string; program: string; dose: number | null; vaccinated_on: string | null; unit_price: number; copay: number; amount: number }>`
    SELECT i.claim_id::text AS claim_id, c.institution_code, i.record_id::text AS record_id, i.program, i.dose, to_char(i.vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, i.unit_price, i.copay, i.amount
    FROM municipality.claim_items i JOIN municipality.claims c ON c.tenant_code = i.tenant_code AND c.id = i.claim_id
    WHERE i.tenant_code = ${w.tenant} AND i.claim_id = ANY(${[...claimIds]}::uuid[]) ORDER BY c.institution_code, i.vaccinated_on, i.record_id`.execute(w.tx);
  const out = new Map<string, ClaimMessage>();
  for (const x of r.rows) {
    const m = out.get(x.claim_id) ?? { claimId: x.claim_id, institutionCode: x.institution_code, items: [] };
    // itemId = the record id: 国保連 sees the same record claimed twice (DUPLICATE_CLAIM); no personal value.
    m.items.push({ itemId: x.record_id, programCode: x.program, dose: x.dose, vaccinatedOn: x.vaccinated_on, unitPrice: x.unit_price, copay: x.copay, amount: x.amount });
    out.set(x.claim_id, m);
  }
  return [...out.values()];
}

/**
 * Closes the claim month: claims built, checked at 国保連, results stored (see the head of this file).
 * Returns what this run checked; nothing new to claim → all zero.  国保連 unreachable → the Problem is
 * thrown and the planned claims stay 審査中 to be sent again by the next run.
 */
export async function closeMonth(deps: BillingDeps, who: Principal, x: BillingExchange, monthRaw: string): Promise<CloseReport> {
  const month = parseMonth(monthRaw);
  const { claimIds, message } = await runAs(deps.db, who, async (w) => {
    requireBillingWrite(w);
    await lockMonth(w, month);
    const pending = await sql<{ id: string }>`SELECT id::text AS id FROM municipality.claims WHERE tenant_code = ${w.tenant} AND month = ${month} AND status = 'checking'`.execute(w.tx);
    const claimIds = [...pending.rows.map((r) => r.id), ...(await planClaims(w, month))];
    await appendEntry(w.tx, w, { action: 'billing_close', targetType: 'billing-claim', targetId: month, purpose: '医療機関への接種委託料の請求の審査', detail: { claims: claimIds.length, resent: pending.rows.length } });
    return { claimIds, message: claimIds.length ? await messageOf(w, claimIds) : [] };
  });
  if (message.length === 0) return { claims: 0, accepted: 0, returned: 0, amount: 0 };
  const res = await x.node.call(KOKUHOREN_NODE, 'claims.check', { tenant: who.tenant, month, claims: message }, { personal: true, timeoutMs: 120_000 });
  const parsed = answerSchema.safeParse(res.body);
  if (!parsed.success) throw new Problem(502, 'KOKUHOREN_BAD_ANSWER', '国保連の応答を読めません', '審査結果の形式が正しくありません。請求は審査中のまま残り、次の締めで再送します。');
  return runAs(deps.db, who, async (w) => {
    await lockMonth(w, month);
    let accepted = 0;
    let returned = 0;
    let amount = 0;
    const wanted = new Set(claimIds);
    for (const c of parsed.data.claims) {
      if (!wanted.has(c.claimId)) continue;
      const st = await sql<{ status: string }>`SELECT status FROM municipality.claims WHERE tenant_code = ${w.tenant} AND id = ${c.claimId}::uuid FOR UPDATE`.execute(w.tx);
      if (st.rows[0]?.status !== 'checking') continue; // stored by a concurrent run already
      const results = c.items.map((i) => ({ record_id: i.itemId, result: i.result, code: i.result === 'returned' ? (i.code ?? 'RETURNED') : null, reason: i.result === 'returned' ? (i.reason ?? '返戻されました') : null }));
      await sql`
        UPDATE municipality.claim_items i SET result = x.result, return_code = x.code, return_reason = x.reason
        FROM jsonb_to_recordset(${JSON.stringify(results)}::jsonb) AS x(record_id uuid, result text, code text, reason text)
        WHERE i.tenant_code = ${w.tenant} AND i.claim_id = ${c.claimId}::uuid AND i.record_id = x.record_id`.execute(w.tx);
      const t = await sql<{ items: number; accepted: number; returned: number; amount: string; accepted_amount: string; open: number }>`
        SELECT count(*)::int AS items, count(*) FILTER (WHERE result = 'accepted')::int AS accepted, count(*) FILTER (WHERE result = 'returned')::int AS returned,
          coalesce(sum(amount), 0) AS amount, coalesce(sum(amount) FILTER (WHERE result = 'accepted'), 0) AS accepted_amount, count(*) FILTER (WHERE result IS NULL)::int AS open
        FROM municipality.claim_items WHERE tenant_code = ${w.tenant} AND claim_id = ${c.claimId}::uuid`.execute(w.tx);
      const s = t.rows[0]!;
      if (s.open > 0) throw new Problem(502, 'KOKUHOREN_BAD_ANSWER', '国保連の応答を読めません', '審査結果に明細の結果が足りません。請求は審査中のまま残り、次の締めで再送します。');
      await sql`UPDATE municipality.claims SET status = 'checked', items = ${s.items}, accepted = ${s.accepted}, returned = ${s.returned}, amount = ${Number(s.amount)},
          accepted_amount = ${Number(s.accepted_amount)}, checked_at = ${w.clock.now()} WHERE tenant_code = ${w.tenant} AND id = ${c.claimId}::uuid`.execute(w.tx);
      accepted += s.accepted;
      returned += s.returned;
      amount += Number(s.accepted_amount);
    }
    const stored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.claims WHERE tenant_code = ${w.tenant} AND id = ANY(${claimIds}::uuid[]) AND status <> 'checking'`.execute(w.tx);
    await appendEntry(w.tx, w, { action: 'billing_check', targetType: 'billing-claim', targetId: month, detail: { claims: claimIds.length, accepted, returned, amount } });
    return { claims: stored.rows[0]!.n, accepted, returned, amount };
  });
}

// ------------------------------------------------------------------ approval and hold

async function decide(w: Work, claimId: string, to: 'approved' | 'held', from: readonly string[], reason: string | null): Promise<ClaimView> {
  requireBillingWrite(w);
  if (!/^[0-9a-f-]{36}$/i.test(claimId)) throw notFound('請求');
  const cur = await sql<{ status: string; month: string }>`SELECT status, month FROM municipality.claims WHERE tenant_code = ${w.tenant} AND id = ${claimId}::uuid`.execute(w.tx);
  const c = cur.rows[0];
  if (!c) throw notFound('請求');
  await lockMonth(w, c.month);
  if (c.status !== to) {
    if (!from.includes(c.status)) {
      throw new Problem(409, 'CLAIM_STATE', '請求の状態を変更できません', `${CLAIM_STATUS_LABELS[c.status] ?? c.status}の請求は${to === 'approved' ? '承認' : '保留'}できません。`);
    }
    await sql`UPDATE municipality.claims SET status = ${to}, decided_at = ${w.clock.now()}, decided_by = ${w.actor.login}, hold_reason = ${reason}
      WHERE tenant_code = ${w.tenant} AND id = ${claimId}::uuid`.execute(w.tx);
    await appendEntry(w.tx, w, { action: to === 'approved' ? 'claim_approve' : 'claim_hold', targetType: 'billing-claim', targetId: claimId, purpose: reason ?? undefined });
  }
  return (await getClaim(w, claimId))!;
}

/** 承認: a checked (or held) claim is approved for payment. */
export function approveClaim(w: Work, claimId: string): Promise<ClaimView> {
  return decide(w, claimId, 'approved', ['checked', 'held'], null);
}

/** 保留: a checked or approved claim is held (not paid by the next batch) with a reason. */
export function holdClaim(w: Work, claimId: string, reason?: string): Promise<ClaimView> {
  const r = (reason ?? '').trim().slice(0, 500) || null;
  return decide(w, claimId, 'held', ['checked', 'approved'], r);
}

// ------------------------------------------------------------------ reading back

export interface ClaimView {
  readonly id: string;
  readonly month: string;
  readonly institutionCode: string;
  readonly institutionName: string | null;
  readonly status: string;
  readonly items: number;
  readonly accepted: number;
  readonly returned: number;
  readonly amount: number;
  readonly acceptedAmount: number;
  readonly createdAt: Date;
  readonly checkedAt: Date | null;
  readonly decidedBy: string | null;
  readonly holdReason: string | null;
  readonly paymentBatchId: string | null;
}

interface ClaimRow {
  id: string;
  month: string;
  institution_code: string;
  institution_name: string | null;
  status: string;
  items: number;
  accepted: number;
  returned: number;
  amount: string;
  accepted_amount: string;
  created_at: Date;
  checked_at: Date | null;
  decided_by: string | null;
  hold_reason: string | null;
  payment_batch_id: string | null;
}
const CLAIM_SELECT = sql`SELECT c.id::text AS id, c.month, c.institution_code, p.name AS institution_name, c.status, c.items, c.accepted, c.returned, c.amount, c.accepted_amount,
    c.created_at, c.checked_at, c.decided_by, c.hold_reason, c.payment_batch_id::text AS payment_batch_id
  FROM municipality.claims c LEFT JOIN municipality.payees p ON p.tenant_code = c.tenant_code AND p.institution_code = c.institution_code`;
const claimView = (r: ClaimRow): ClaimView => ({
  id: r.id, month: r.month, institutionCode: r.institution_code, institutionName: r.institution_name, status: r.status, items: r.items, accepted: r.accepted, returned: r.returned,
  amount: Number(r.amount), acceptedAmount: Number(r.accepted_amount), createdAt: r.created_at, checkedAt: r.checked_at, decidedBy: r.decided_by, holdReason: r.hold_reason, paymentBatchId: r.payment_batch_id,
});

export async function getClaim(w: Work, claimId: string): Promise<ClaimView | null> {
  requireBillingRead(w);
  if (!/^[0-9a-f-]{36}$/i.test(claimId)) return null;
  const r = await sql<ClaimRow>`${CLAIM_SELECT} WHERE c.tenant_code = ${w.tenant} AND c.id = ${claimId}::uuid`.execute(w.tx);
  return r.rows[0] ? claimView(r.rows[0]) : null;
}

export interface MonthSummary {
  readonly month: string;
  readonly claims: number;
  readonly accepted: number;
  readonly returned: number;
  readonly acceptedAmount: number;
  readonly paidAmount: number;
  /** What the next payment batch of the month would pay (accepted, not held, not paid, payable). */
  readonly payableAmount: number;
}

/** The months with claims, newest first, with their totals. */
export async function listClaimMonths(w: Work, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; rows: MonthSummary[] }> {
  requireBillingRead(w);
  const size = Math.min(Math.max(o.pageSize ?? 24, 1), 200);
  const page = Math.max(o.page ?? 1, 1);
  const t = await sql<{ n: number }>`SELECT count(DISTINCT month)::int AS n FROM municipality.claims WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const r = await sql<{ month: string; claims: number; accepted: number; returned: number; accepted_amount: string; paid_amount: string; payable_amount: string }>`
    SELECT month, count(*)::int AS claims, sum(accepted)::int AS accepted, sum(returned)::int AS returned, sum(accepted_amount) AS accepted_amount,
      (SELECT coalesce(sum(b.amount), 0) FROM municipality.payment_batches b WHERE b.tenant_code = c.tenant_code AND b.month = c.month) AS paid_amount,
      (SELECT coalesce(sum(i.amount), 0) FROM municipality.claim_items i
         JOIN municipality.claims c2 ON c2.tenant_code = i.tenant_code AND c2.id = i.claim_id
         JOIN municipality.vaccination_records r ON r.tenant_code = i.tenant_code AND r.id = i.record_id
       WHERE i.tenant_code = c.tenant_code AND c2.month = c.month AND c2.status IN ('checked', 'approved') AND i.result = 'accepted'
         AND r.status = 'active' AND NOT r.paid AND coalesce(r.data->>'notPayable', 'false') <> 'true') AS payable_amount
    FROM municipality.claims c WHERE tenant_code = ${w.tenant} GROUP BY tenant_code, month ORDER BY month DESC LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  return { total: t.rows[0]!.n, rows: r.rows.map((x) => ({ month: x.month, claims: x.claims, accepted: x.accepted, returned: x.returned, acceptedAmount: Number(x.accepted_amount), paidAmount: Number(x.paid_amount), payableAmount: Number(x.payable_amount) })) };
}

/** The claims of a month (institution order, then newest first), with the month's totals. */
export async function listClaims(w: Work, monthRaw: string, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; totals: { items: number; accepted: number; returned: number; acceptedAmount: number }; rows: ClaimView[] }> {
  requireBillingRead(w);
  const month = parseMonth(monthRaw);
  const size = Math.min(Math.max(o.pageSize ?? 50, 1), 500);
  const page = Math.max(o.page ?? 1, 1);
  const t = await sql<{ n: number; items: number; accepted: number; returned: number; accepted_amount: string }>`
    SELECT count(*)::int AS n, coalesce(sum(items), 0)::int AS items, coalesce(sum(accepted), 0)::int AS accepted, coalesce(sum(returned), 0)::int AS returned, coalesce(sum(accepted_amount), 0) AS accepted_amount
    FROM municipality.claims WHERE tenant_code = ${w.tenant} AND month = ${month}`.execute(w.tx);
  const r = await sql<ClaimRow>`${CLAIM_SELECT} WHERE c.tenant_code = ${w.tenant} AND c.month = ${month} ORDER BY c.institution_code, c.seq DESC LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const s = t.rows[0]!;
  return { total: s.n, totals: { items: s.items, accepted: s.accepted, returned: s.returned, acceptedAmount: Number(s.accepted_amount) }, rows: r.rows.map(claimView) };
}

export interface ReturnedItemView {
  readonly claimId: string;
  readonly institutionCode: string;
  readonly recordId: string;
  readonly program: string;
  readonly dose: number | null;
  readonly vaccinatedOn: string | null;
  readonly amount: number;
  readonly code: string | null;
  readonly reason: string | null;
  /** The record was claimed again (after a correction) since. */
  readonly reclaimed: boolean;
}

/** The returned items of a month with 国保連's reasons. */
export async function listReturnedItems(w: Work, monthRaw: string, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; rows: ReturnedItemView[] }> {
  requireBillingRead(w);
  const month = parseMonth(monthRaw);
  const size = Math.min(Math.max(o.pageSize ?? 100, 1), 1000);
  const page = Math.max(o.page ?? 1, 1);
  const base = sql`FROM municipality.claim_items i JOIN municipality.claims c ON c.tenant_code = i.tenant_code AND c.id = i.claim_id
    WHERE i.tenant_code = ${w.tenant} AND c.month = ${month} AND i.result = 'returned'`;
  const t = await sql<{ n: number }>`SELECT count(*)::int AS n ${base}`.execute(w.tx);
  const r = await sql<{ claim_id: string; institution_code: string; record_id: string; program: string; dose: number | null; vaccinated_on: string | null; amount: number; return_code: string | null; return_reason: string | null; reclaimed: boolean }>`
    SELECT i.claim_id::text AS claim_id, c.institution_code, i.record_id::text AS record_id, i.program, i.dose, to_char(i.vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, i.amount, i.return_code, i.return_reason,
      EXISTS (SELECT 1 FROM municipality.claim_items j JOIN municipality.claims c2 ON c2.tenant_code = j.tenant_code AND c2.id = j.claim_id
              WHERE j.tenant_code = i.tenant_code AND j.record_id = i.record_id AND c2.seq > c.seq) AS reclaimed
    ${base} ORDER BY c.institution_code, i.vaccinated_on, i.record_id LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  return {
    total: t.rows[0]!.n,
    rows: r.rows.map((x) => ({ claimId: x.claim_id, institutionCode: x.institution_code, recordId: x.record_id, program: x.program, dose: x.dose, vaccinatedOn: x.vaccinated_on, amount: x.amount, code: x.return_code, reason: x.return_reason, reclaimed: x.reclaimed })),
  };
}
