// Payment batches and the 総合振込 file (docs/formats/clinic-protocol.md §5, docs/formats/zengin-transfer.md;
// VAX-32, VAX-33; decisions 0150, 0160).  A batch pays institutions, persons, or both, in one file:
// * institutions: the accepted items of a month's claims that are not held, one payment per institution;
//   each record paid gets paid = true, paid_on (the transfer date) and the batch.  A record already paid or
//   marked 支払対象外 (data.notPayable, also when marked after the check) is never paid: the selection reads
//   the record's own flags under the month lock, in the batch's transaction.
// * persons (償還払い): every approved reimbursement not yet paid, one payment each, to the person's refund
//   account as it stands when the batch is made (a copy is kept with the payment).  The rows are locked and
//   re-checked, and person_payments holds a reimbursement at most once (UNIQUE): a batch built twice, or two
//   at once, pays nothing twice.
// * 健康被害救済の給付 (decision 0167): a batch of its own kind ('relief'), made by the relief part from its
//   payment orders through createPersonBatch, seen and written only by the relief or money duty — never in
//   the vaccination duty's list — and written by the same 全銀 writer.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { addDays, isIsoDate } from '../../kernel/jp/index.js';
import { invalidField, notFound, Problem, type FieldError } from '../../kernel/problems/index.js';
import { lockMonth } from './claims.js';
import { accountOfRow, fileAccount, fileDigits, fileKana } from './bank.js';
import { parseMonth, payeesOf, requesterOf, requireBillingRead, requireBillingWrite, requireReliefPayments, type BatchKind } from './setup.js';
import { zenginFile, type ZenginTransfer } from './zengin.js';

export interface BatchReport {
  readonly batch: string;
  readonly payments: number;
  /** 円. */
  readonly amount: number;
}

/** The default transfer date: a week after today, moved off a weekend to the Monday. */
export function defaultTransferDate(today: string): string {
  const d = addDays(today, 7);
  const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
  return dow === 6 ? addDays(d, 2) : dow === 0 ? addDays(d, 1) : d;
}

const TransferDate = z.string().trim().refine((s) => isIsoDate(s), '振込日は YYYY-MM-DD です');

export interface BatchOptions {
  readonly transferDate?: string | undefined;
  /** Also pay every approved, unpaid reimbursement (償還払い) in this batch. */
  readonly reimbursements?: boolean | undefined;
}

interface InstitutionItem { claim_id: string; institution_code: string; record_id: string; amount: number }
interface PersonItem {
  id: string; no: string; atena_no: string; amount: number;
  bank_code: string | null; bank_kana: string | null; branch_code: string | null; branch_kana: string | null; account_type: string | null; account_no: string | null; holder_kana: string | null; source: string | null;
}

/** 顧客コード1 of a person's data record: the reimbursement's 申請番号, 10 digits. */
export const personCustomerCode = (no: string | number): string => String(no).padStart(10, '0');

/**
 * Makes a payment batch: with a month, approves and pays the accepted, unpaid, payable items of the month's
 * claims that are not held (institutions); with `reimbursements`, pays every approved, unpaid reimbursement
 * (persons).  Either or both; nothing to pay is a 409.  One transaction: all or nothing.
 */
/** The transfer date asked for (not in the past), or the default a week from today. */
export function transferDateOf(w: Work, raw: string | undefined): string {
  const today = w.clock.today();
  if (raw === undefined || raw.trim() === '') return defaultTransferDate(today);
  const t = TransferDate.safeParse(raw);
  if (!t.success) throw invalidField('transferDate', 'DATE_INVALID', '振込日は YYYY-MM-DD で指定してください');
  if (t.data < today) throw invalidField('transferDate', 'DATE_PAST', '振込日が過去の日付です');
  return t.data;
}

export async function createPaymentBatch(w: Work, monthRaw: string | null, o: BatchOptions = {}): Promise<BatchReport> {
  requireBillingWrite(w);
  const month = monthRaw === null || (monthRaw.trim() === '' && o.reimbursements) ? null : parseMonth(monthRaw);
  if (month === null && !o.reimbursements) throw invalidField('month', 'MONTH_INVALID', '請求年月を指定するか、償還払いの支払を選んでください');
  const transferDate = transferDateOf(w, o.transferDate);
  let items: InstitutionItem[] = [];
  if (month !== null) {
    await lockMonth(w, month);
    items = (await sql<InstitutionItem>`
      SELECT i.claim_id::text AS claim_id, c.institution_code, i.record_id::text AS record_id, i.amount
      FROM municipality.claim_items i
        JOIN municipality.claims c ON c.tenant_code = i.tenant_code AND c.id = i.claim_id
        JOIN municipality.vaccination_records r ON r.tenant_code = i.tenant_code AND r.id = i.record_id
      WHERE i.tenant_code = ${w.tenant} AND c.month = ${month} AND c.status IN ('checked', 'approved') AND i.result = 'accepted'
        AND r.status = 'active' AND NOT r.paid AND coalesce(r.data->>'notPayable', 'false') <> 'true' AND i.amount > 0
      ORDER BY c.institution_code, i.record_id
      FOR UPDATE OF r`.execute(w.tx)).rows;
  }
  let persons: PersonItem[] = [];
  if (o.reimbursements) {
    // Locked, then re-read: a concurrent batch that paid one first leaves it out here (status and batch re-checked).
    persons = (await sql<PersonItem>`
      SELECT r.id::text AS id, r.no::text AS no, r.atena_no, r.decided_amount AS amount,
        a.bank_code, a.bank_kana, a.branch_code, a.branch_kana, a.account_type, a.account_no, a.holder_kana, a.source
      FROM municipality.reimbursements r
        LEFT JOIN municipality.person_accounts a ON a.tenant_code = r.tenant_code AND a.atena_no = r.atena_no AND a.purpose = 'refund'
      WHERE r.tenant_code = ${w.tenant} AND r.status = 'approved' AND r.payment_batch_id IS NULL AND r.decided_amount > 0
      ORDER BY r.no
      FOR UPDATE OF r`.execute(w.tx)).rows;
  }
  if (items.length === 0 && persons.length === 0) {
    const what = [month !== null ? `${month.replace('-', '年')}月分に、審査で受け付けられ保留されていない未払いの請求はありません` : '', o.reimbursements ? '承認済みで未払いの償還払いはありません' : ''].filter(Boolean).join('。');
    throw new Problem(409, 'NOTHING_TO_PAY', o.reimbursements ? '支払うものがありません' : '支払う請求がありません', `${what}。`);
  }
  const byInst = new Map<string, { amount: number; items: number }>();
  for (const i of items) {
    const p = byInst.get(i.institution_code) ?? { amount: 0, items: 0 };
    p.amount += i.amount;
    p.items += 1;
    byInst.set(i.institution_code, p);
  }
  const payees = await payeesOf(w, [...byInst.keys()]);
  const missing = [...byInst.keys()].filter((c) => !payees.has(c));
  const noAccount = persons.filter((p) => p.bank_code === null);
  if (missing.length || noAccount.length) {
    const errors: FieldError[] = [
      ...missing.map((c) => ({ field: `payees.${c}`, code: 'PAYEE_MISSING', message: `医療機関コード ${c} の支払先口座が登録されていません` })),
      ...noAccount.map((p) => ({ field: `persons.${p.no}`, code: 'ACCOUNT_MISSING', message: `償還払い 申請番号 ${p.no} の申請者の振込先口座が登録されていません` })),
    ];
    throw new Problem(409, 'PAYEE_MISSING', '振込先口座が登録されていない支払先があります', `${errors.map((e) => e.message).join('／')}。口座を登録してから支払を作成してください。`, errors);
  }
  const total = items.reduce((s, i) => s + i.amount, 0) + persons.reduce((s, p) => s + p.amount, 0);
  const count = byInst.size + persons.length;
  const b = await sql<{ id: string }>`
    INSERT INTO municipality.payment_batches (tenant_code, month, transfer_date, payments, amount, created_at, created_by)
    VALUES (${w.tenant}, ${month}, ${transferDate}::date, ${count}, ${total}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
  const batchId = b.rows[0]!.id;
  const pays = [...byInst].map(([institution_code, p]) => ({ institution_code, amount: p.amount, items: p.items }));
  if (pays.length) {
    await sql`INSERT INTO municipality.payments (tenant_code, batch_id, institution_code, amount, items, transfer_date)
      SELECT ${w.tenant}, ${batchId}::uuid, x.institution_code, x.amount, x.items, ${transferDate}::date FROM jsonb_to_recordset(${JSON.stringify(pays)}::jsonb) AS x(institution_code text, amount bigint, items int)`.execute(w.tx);
    const claimIds = [...new Set(items.map((i) => i.claim_id))];
    await sql`UPDATE municipality.claims SET status = 'paid', payment_batch_id = ${batchId}::uuid, decided_at = coalesce(decided_at, ${w.clock.now()}), decided_by = coalesce(decided_by, ${w.actor.login})
      WHERE tenant_code = ${w.tenant} AND id = ANY(${claimIds}::uuid[])`.execute(w.tx);
    const upd = await sql`UPDATE municipality.vaccination_records SET paid = true, paid_on = ${transferDate}::date, payment_batch_id = ${batchId}::uuid
      WHERE tenant_code = ${w.tenant} AND id = ANY(${items.map((i) => i.record_id)}::uuid[]) AND NOT paid`.execute(w.tx);
    if (Number(upd.numAffectedRows ?? 0) !== items.length) throw new Problem(409, 'PAYMENT_CONFLICT', '支払を作成できません', '同じ接種記録が同時に支払われました。もう一度やり直してください。');
  }
  if (persons.length) {
    const rows = persons.map((p) => ({ ...p, customer_code: personCustomerCode(p.no) }));
    await sql`INSERT INTO municipality.person_payments (tenant_code, batch_id, kind, source_id, reimbursement_id, atena_no, amount, customer_code, bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, holder_kana, account_source, transfer_date)
      SELECT ${w.tenant}, ${batchId}::uuid, 'reimbursement', x.id, x.id, x.atena_no, x.amount, x.customer_code, x.bank_code, x.bank_kana, x.branch_code, x.branch_kana, x.account_type, x.account_no, x.holder_kana, x.source, ${transferDate}::date
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id uuid, atena_no text, amount bigint, customer_code text, bank_code text, bank_kana text, branch_code text, branch_kana text, account_type text, account_no text, holder_kana text, source text)`.execute(w.tx);
    const upd = await sql`UPDATE municipality.reimbursements SET status = 'paid', payment_batch_id = ${batchId}::uuid
      WHERE tenant_code = ${w.tenant} AND id = ANY(${persons.map((p) => p.id)}::uuid[]) AND status = 'approved' AND payment_batch_id IS NULL`.execute(w.tx);
    if (Number(upd.numAffectedRows ?? 0) !== persons.length) throw new Problem(409, 'PAYMENT_CONFLICT', '支払を作成できません', '同じ償還払いが同時に支払われました。もう一度やり直してください。');
  }
  const purpose = [pays.length ? '医療機関への接種委託料の支払' : '', persons.length ? '償還払い（接種費用の助成）の支払' : ''].filter(Boolean).join('・');
  await appendEntry(w.tx, w, { action: 'payment_batch', targetType: 'payment-batch', targetId: batchId, purpose, detail: { month, transferDate, payments: pays.length, items: items.length, persons: persons.length, amount: total } });
  return { batch: batchId, payments: count, amount: total };
}

export interface BatchView {
  readonly id: string;
  /** The claim month paid, null for a batch of reimbursements only. */
  readonly month: string | null;
  readonly transferDate: string;
  /** Transfers: institutions and persons. */
  readonly payments: number;
  readonly amount: number;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface PaymentView {
  readonly institutionCode: string;
  readonly name: string | null;
  readonly amount: number;
  readonly items: number;
  readonly transferDate: string;
}

/** A person paid in a batch (償還払い), with the account copied when the batch was made. */
export interface PersonPaymentView {
  readonly reimbursementId: string;
  /** 申請番号. */
  readonly no: string;
  readonly atenaNo: string;
  readonly name: string;
  readonly amount: number;
  readonly transferDate: string;
  readonly customerCode: string;
  readonly account: { readonly bankCode: string; readonly bankKana: string | null; readonly branchCode: string; readonly branchKana: string | null; readonly accountType: string; readonly accountNo: string; readonly holderKana: string; readonly source: string };
}

type BatchRow = { id: string; month: string | null; transfer_date: string; payments: number; amount: string; created_at: Date; created_by: string };
const BATCH_SELECT = sql`SELECT id::text AS id, month, to_char(transfer_date, 'YYYY-MM-DD') AS transfer_date, payments, amount, created_at, created_by FROM municipality.payment_batches`;
const batchView = (r: BatchRow): BatchView => ({ id: r.id, month: r.month, transferDate: r.transfer_date, payments: r.payments, amount: Number(r.amount), createdAt: r.created_at, createdBy: r.created_by });

export async function listPaymentBatches(w: Work, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; amount: number; rows: BatchView[] }> {
  requireBillingRead(w);
  return batchesOf(w, 'vaccination', o);
}

async function batchesOf(w: Work, kind: BatchKind, o: { page?: number; pageSize?: number }): Promise<{ total: number; amount: number; rows: BatchView[] }> {
  const size = Math.min(Math.max(o.pageSize ?? 50, 1), 500);
  const page = Math.max(o.page ?? 1, 1);
  const t = await sql<{ n: number; amount: string }>`SELECT count(*)::int AS n, coalesce(sum(amount), 0) AS amount FROM municipality.payment_batches WHERE tenant_code = ${w.tenant} AND kind = ${kind}`.execute(w.tx);
  const r = await sql<BatchRow>`${BATCH_SELECT} WHERE tenant_code = ${w.tenant} AND kind = ${kind} ORDER BY created_at DESC, id LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  return { total: t.rows[0]!.n, amount: Number(t.rows[0]!.amount), rows: r.rows.map(batchView) };
}

export async function getPaymentBatch(w: Work, batchId: string): Promise<{ batch: BatchView; payments: PaymentView[]; persons: PersonPaymentView[] } | null> {
  requireBillingRead(w);
  if (!/^[0-9a-f-]{36}$/i.test(batchId)) return null;
  const b = await sql<BatchRow>`${BATCH_SELECT} WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid AND kind = 'vaccination'`.execute(w.tx);
  if (!b.rows[0]) return null;
  const p = await sql<{ institution_code: string; name: string | null; amount: string; items: number; transfer_date: string }>`
    SELECT y.institution_code, p.name, y.amount, y.items, to_char(y.transfer_date, 'YYYY-MM-DD') AS transfer_date
    FROM municipality.payments y LEFT JOIN municipality.payees p ON p.tenant_code = y.tenant_code AND p.institution_code = y.institution_code
    WHERE y.tenant_code = ${w.tenant} AND y.batch_id = ${batchId}::uuid ORDER BY y.institution_code`.execute(w.tx);
  const q = await sql<{ reimbursement_id: string; no: string; atena_no: string; name: string; amount: string; transfer_date: string; customer_code: string; bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null; account_type: string; account_no: string; holder_kana: string; account_source: string }>`
    SELECT y.reimbursement_id::text AS reimbursement_id, r.no::text AS no, y.atena_no, p.name_kanji AS name, y.amount, to_char(y.transfer_date, 'YYYY-MM-DD') AS transfer_date, y.customer_code,
      y.bank_code, y.bank_kana, y.branch_code, y.branch_kana, y.account_type, y.account_no, y.holder_kana, y.account_source
    FROM municipality.person_payments y
      JOIN municipality.reimbursements r ON r.tenant_code = y.tenant_code AND r.id = y.reimbursement_id
      JOIN municipality.persons p ON p.tenant_code = y.tenant_code AND p.atena_no = y.atena_no
    WHERE y.tenant_code = ${w.tenant} AND y.batch_id = ${batchId}::uuid AND y.kind = 'reimbursement' ORDER BY r.no`.execute(w.tx);
  return {
    batch: batchView(b.rows[0]),
    payments: p.rows.map((x) => ({ institutionCode: x.institution_code, name: x.name, amount: Number(x.amount), items: x.items, transferDate: x.transfer_date })),
    persons: q.rows.map((x) => ({
      reimbursementId: x.reimbursement_id, no: x.no, atenaNo: x.atena_no, name: x.name, amount: Number(x.amount), transferDate: x.transfer_date, customerCode: x.customer_code,
      account: { ...accountOfRow(x), source: x.account_source },
    })),
  };
}

/**
 * The 全銀協 総合振込 file of a batch (Shift_JIS, 120-byte records): institutions (医療機関コード order), then
 * persons (申請番号 order).  Every account and the 依頼人 are checked first: a wrong bank/branch code, account
 * or a kana name outside the 全銀 set is a Problem naming the institution or the application and the field,
 * and no file.
 */
export async function paymentFile(w: Work, batchId: string): Promise<{ fileName: string; content: Buffer }> {
  const kind = /^[0-9a-f-]{36}$/i.test(batchId)
    ? (await sql<{ kind: BatchKind }>`SELECT kind FROM municipality.payment_batches WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid`.execute(w.tx)).rows[0]?.kind
    : undefined;
  if (kind === 'relief') return reliefFile(w, batchId);
  requireBillingWrite(w);
  const got = await getPaymentBatch(w, batchId);
  if (!got) throw notFound('支払');
  const requester = await requesterOf(w);
  const errors: FieldError[] = [];
  const req = requesterRecord(requester, errors);
  const payees = await payeesOf(w, got.payments.map((p) => p.institutionCode));
  const transfers: ZenginTransfer[] = [];
  for (const p of got.payments) {
    const y = payees.get(p.institutionCode);
    const who = `医療機関コード ${p.institutionCode}${y ? `（${y.name}）` : ''}の`;
    if (!y) {
      errors.push({ field: `payees.${p.institutionCode}`, code: 'PAYEE_MISSING', message: `${who}支払先口座が登録されていません` });
      continue;
    }
    const f = (name: string) => `payees.${p.institutionCode}.${name}`;
    transfers.push({
      ...fileAccount(y, `payees.${p.institutionCode}`, who, errors),
      holderKana: fileKana(y.holderKana, 30, f('holderKana'), `${who}口座名義（カナ）`, errors),
      amount: p.amount,
      customerCode: p.institutionCode,
    });
    if (p.amount > 9_999_999_999) errors.push({ field: f('amount'), code: 'TOO_LARGE', message: `${who}振込金額が10桁を超えます` });
  }
  for (const p of got.persons) transfers.push(personTransfer(p, `persons.${p.no}`, `償還払い 申請番号 ${p.no} の振込先の`, errors));
  refuseInvalid(errors);
  const content = zenginFile(req, got.batch.transferDate, transfers);
  const purpose = [got.payments.length ? '医療機関への接種委託料の振込' : '', got.persons.length ? '償還払い（接種費用の助成）の振込' : ''].filter(Boolean).join('・');
  await appendEntry(w.tx, w, { action: 'export', targetType: 'payment-file', targetId: batchId, purpose, detail: { format: 'zengin-sogo-furikomi', records: transfers.length, institutions: got.payments.length, persons: got.persons.length, amount: got.batch.amount, bytes: content.length } });
  return { fileName: `furikomi-${got.batch.month ?? got.batch.transferDate}-${batchId.slice(0, 8)}.txt`, content };
}

function requesterRecord(requester: Awaited<ReturnType<typeof requesterOf>>, errors: FieldError[]): Parameters<typeof zenginFile>[0] {
  if (!requester) throw new Problem(409, 'REQUESTER_MISSING', '振込依頼人の口座が登録されていません', '市区町村の委託者コードと口座（振込依頼人）を登録してから振込ファイルを作成してください。', [{ field: 'requester', code: 'REQUESTER_MISSING', message: '振込依頼人の口座が登録されていません' }]);
  return {
    code: fileDigits(requester.requesterCode, 10, 'requester.requesterCode', '依頼人の委託者コード', errors),
    kana: fileKana(requester.requesterKana, 40, 'requester.requesterKana', '依頼人名（カナ）', errors),
    ...fileAccount(requester, 'requester', '依頼人の', errors),
  };
}

/** A person's data record from the account copied into the batch, each field checked (errors named by `prefix`). */
function personTransfer(p: { account: PersonTransferInput['account']; amount: number; customerCode: string }, prefix: string, who: string, errors: FieldError[]): ZenginTransfer {
  return {
    ...fileAccount(p.account, prefix, who, errors),
    holderKana: fileKana(p.account.holderKana, 30, `${prefix}.holderKana`, `${who}口座名義（カナ）`, errors),
    amount: p.amount,
    customerCode: fileDigits(p.customerCode, 10, `${prefix}.customerCode`, `${who}顧客コード`, errors),
  };
}

function refuseInvalid(errors: readonly FieldError[]): void {
  if (errors.length) throw new Problem(422, 'TRANSFER_DATA_INVALID', '振込ファイルを作成できません', `${errors.map((e) => e.message).join('／')}。口座を直してからもう一度作成してください。`, [...errors]);
}

// ------------------------------------------------------------------ batches of another part (健康被害救済)

/** One transfer to a person that the relief part prepared (its payment order), with the account it confirmed. */
export interface PersonTransferInput {
  /** The order's id: a thing is paid to a person once, ever (person_payments UNIQUE (kind, source)). */
  readonly sourceId: string;
  readonly atenaNo: string;
  /** 円, > 0. */
  readonly amount: number;
  /** 顧客コード1: 10 digits the requester recognises the transfer by (the relief part: 受付番号). */
  readonly customerCode: string;
  readonly account: { readonly bankCode: string; readonly bankKana: string | null; readonly branchCode: string; readonly branchKana: string | null; readonly accountType: string; readonly accountNo: string; readonly holderKana: string };
  /** Where the account came from, as the relief part names it (e.g. 'public-receipt', 'applicant'). */
  readonly accountSource: string;
}

/**
 * A batch of kind 'relief' paying the given transfers (decision 0167): the relief or money duty only; one
 * transaction with the caller's marking of its orders.  A thing already paid makes the batch fail whole
 * (UNIQUE), so a batch built twice pays nothing twice.
 */
export async function createPersonBatch(w: Work, kind: 'relief', transfers: readonly PersonTransferInput[], o: { transferDate: string; purpose: string }): Promise<BatchReport> {
  requireReliefPayments(w, 'personal.write');
  if (transfers.length === 0) throw new Problem(409, 'NOTHING_TO_PAY', '支払うものがありません', '支払予定日が振込日までに来る、未払いの支払指示はありません。');
  const total = transfers.reduce((s, t) => s + t.amount, 0);
  const b = await sql<{ id: string }>`
    INSERT INTO municipality.payment_batches (tenant_code, kind, month, transfer_date, payments, amount, created_at, created_by)
    VALUES (${w.tenant}, ${kind}, NULL, ${o.transferDate}::date, ${transfers.length}, ${total}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
  const batchId = b.rows[0]!.id;
  const rows = transfers.map((t) => ({
    id: t.sourceId, atena_no: t.atenaNo, amount: t.amount, customer_code: t.customerCode, source: t.accountSource,
    bank_code: t.account.bankCode, bank_kana: t.account.bankKana, branch_code: t.account.branchCode, branch_kana: t.account.branchKana, account_type: t.account.accountType, account_no: t.account.accountNo, holder_kana: t.account.holderKana,
  }));
  try {
    await sql`INSERT INTO municipality.person_payments (tenant_code, batch_id, kind, source_id, atena_no, amount, customer_code, bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, holder_kana, account_source, transfer_date)
      SELECT ${w.tenant}, ${batchId}::uuid, ${kind}, x.id, x.atena_no, x.amount, x.customer_code, x.bank_code, x.bank_kana, x.branch_code, x.branch_kana, x.account_type, x.account_no, x.holder_kana, x.source, ${o.transferDate}::date
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id uuid, atena_no text, amount bigint, customer_code text, bank_code text, bank_kana text, branch_code text, branch_kana text, account_type text, account_no text, holder_kana text, source text)`.execute(w.tx);
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new Problem(409, 'PAYMENT_CONFLICT', '支払を作成できません', '同じ支払指示がすでに支払に含まれています。もう一度やり直してください。');
    throw e;
  }
  await appendEntry(w.tx, w, { action: 'payment_batch', targetType: 'payment-batch', targetId: batchId, purpose: o.purpose, detail: { kind, transferDate: o.transferDate, persons: transfers.length, amount: total } });
  return { batch: batchId, payments: transfers.length, amount: total };
}

/** A person paid in a batch of another part: what the file carries (the part shows its own names). */
export interface PersonTransferView {
  readonly sourceId: string;
  readonly atenaNo: string;
  readonly amount: number;
  readonly customerCode: string;
  readonly transferDate: string;
  readonly account: PersonTransferInput['account'] & { readonly source: string };
}

/** The batches of kind 'relief' (no personal data: dates, counts, amounts), newest first, with totals. */
export async function listReliefBatches(w: Work, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; amount: number; rows: BatchView[] }> {
  requireReliefPayments(w, 'personal.read');
  return batchesOf(w, 'relief', o);
}

/** A relief batch with its transfers; null when there is none (or it is not a relief batch). */
export async function getReliefBatch(w: Work, batchId: string): Promise<{ batch: BatchView; transfers: PersonTransferView[] } | null> {
  requireReliefPayments(w, 'personal.read');
  if (!/^[0-9a-f-]{36}$/i.test(batchId)) return null;
  const b = await sql<BatchRow>`${BATCH_SELECT} WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid AND kind = 'relief'`.execute(w.tx);
  if (!b.rows[0]) return null;
  const q = await sql<{ source_id: string; atena_no: string; amount: string; customer_code: string; transfer_date: string; bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null; account_type: string; account_no: string; holder_kana: string; account_source: string }>`
    SELECT y.source_id::text AS source_id, y.atena_no, y.amount, y.customer_code, to_char(y.transfer_date, 'YYYY-MM-DD') AS transfer_date,
      y.bank_code, y.bank_kana, y.branch_code, y.branch_kana, y.account_type, y.account_no, y.holder_kana, y.account_source
    FROM municipality.person_payments y WHERE y.tenant_code = ${w.tenant} AND y.batch_id = ${batchId}::uuid AND y.kind = 'relief' ORDER BY y.customer_code, y.source_id`.execute(w.tx);
  return {
    batch: batchView(b.rows[0]),
    transfers: q.rows.map((x) => ({
      sourceId: x.source_id, atenaNo: x.atena_no, amount: Number(x.amount), customerCode: x.customer_code, transferDate: x.transfer_date,
      account: { ...accountOfRow(x), source: x.account_source },
    })),
  };
}

/** The 総合振込 file of a relief batch: the same writer and checks as every other batch. */
async function reliefFile(w: Work, batchId: string): Promise<{ fileName: string; content: Buffer }> {
  requireReliefPayments(w, 'personal.write', batchId);
  const got = await getReliefBatch(w, batchId);
  if (!got) throw notFound('支払');
  const errors: FieldError[] = [];
  const req = requesterRecord(await requesterOf(w), errors);
  const transfers = got.transfers.map((t) => personTransfer(t, `transfers.${t.sourceId}`, `健康被害救済 受付番号 ${Number(t.customerCode)} の振込先の`, errors));
  refuseInvalid(errors);
  const content = zenginFile(req, got.batch.transferDate, transfers);
  await appendEntry(w.tx, w, { action: 'export', targetType: 'payment-file', targetId: batchId, purpose: '健康被害救済の給付の振込', detail: { format: 'zengin-sogo-furikomi', kind: 'relief', records: transfers.length, persons: transfers.length, amount: got.batch.amount, bytes: content.length } });
  return { fileName: `furikomi-relief-${got.batch.transferDate}-${batchId.slice(0, 8)}.txt`, content };
}
