// Payment batches and the 総合振込 file (docs/formats/clinic-protocol.md §5, docs/formats/zengin-transfer.md;
// VAX-32; decision 0150).  A batch approves and pays the accepted items of the month's claims that are not
// held: one payment per institution; each record paid gets paid = true, paid_on (the transfer date) and the
// batch.  A record already paid or marked 支払対象外 (data.notPayable, also when marked after the check) is
// never paid: the selection reads the record's own flags under the month lock, in the batch's transaction.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { addDays, isIsoDate } from '../../kernel/jp/index.js';
import { invalidField, notFound, Problem, type FieldError } from '../../kernel/problems/index.js';
import { lockMonth } from './claims.js';
import { getRequester, parseMonth, payeesOf, requireBillingRead, requireBillingWrite, NO_BANK, NO_BANK_MESSAGE } from './setup.js';
import { isZenginText, zenginFile, zenginKana, type ZenginAccount, type ZenginTransfer } from './zengin.js';

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

/** Approves and pays the accepted, unpaid, payable items of the month's claims that are not held. */
export async function createPaymentBatch(w: Work, monthRaw: string, o: { transferDate?: string | undefined } = {}): Promise<BatchReport> {
  requireBillingWrite(w);
  const month = parseMonth(monthRaw);
  const today = w.clock.today();
  let transferDate = defaultTransferDate(today);
  if (o.transferDate !== undefined) {
    const t = TransferDate.safeParse(o.transferDate);
    if (!t.success) throw invalidField('transferDate', 'DATE_INVALID', '振込日は YYYY-MM-DD で指定してください');
    if (t.data < today) throw invalidField('transferDate', 'DATE_PAST', '振込日が過去の日付です');
    transferDate = t.data;
  }
  await lockMonth(w, month);
  const items = await sql<{ claim_id: string; institution_code: string; record_id: string; amount: number }>`
    SELECT i.claim_id::text AS claim_id, c.institution_code, i.record_id::text AS record_id, i.amount
    FROM municipality.claim_items i
      JOIN municipality.claims c ON c.tenant_code = i.tenant_code AND c.id = i.claim_id
      JOIN municipality.vaccination_records r ON r.tenant_code = i.tenant_code AND r.id = i.record_id
    WHERE i.tenant_code = ${w.tenant} AND c.month = ${month} AND c.status IN ('checked', 'approved') AND i.result = 'accepted'
      AND r.status = 'active' AND NOT r.paid AND coalesce(r.data->>'notPayable', 'false') <> 'true' AND i.amount > 0
    ORDER BY c.institution_code, i.record_id
    FOR UPDATE OF r`.execute(w.tx);
  if (items.rows.length === 0) throw new Problem(409, 'NOTHING_TO_PAY', '支払う請求がありません', `${month.replace('-', '年')}月分に、審査で受け付けられ保留されていない未払いの請求はありません。`);
  const byInst = new Map<string, { amount: number; items: number }>();
  for (const i of items.rows) {
    const p = byInst.get(i.institution_code) ?? { amount: 0, items: 0 };
    p.amount += i.amount;
    p.items += 1;
    byInst.set(i.institution_code, p);
  }
  const payees = await payeesOf(w, [...byInst.keys()]);
  const missing = [...byInst.keys()].filter((c) => !payees.has(c));
  if (missing.length) {
    throw new Problem(409, 'PAYEE_MISSING', '支払先口座が登録されていない医療機関があります', `医療機関コード ${missing.join('、')} の支払先口座を登録してから支払を作成してください。`, missing.map((c) => ({ field: `payees.${c}`, code: 'PAYEE_MISSING', message: `医療機関コード ${c} の支払先口座が登録されていません` })));
  }
  const total = items.rows.reduce((s, i) => s + i.amount, 0);
  const b = await sql<{ id: string }>`
    INSERT INTO municipality.payment_batches (tenant_code, month, transfer_date, payments, amount, created_at, created_by)
    VALUES (${w.tenant}, ${month}, ${transferDate}::date, ${byInst.size}, ${total}, ${w.clock.now()}, ${w.actor.login}) RETURNING id::text AS id`.execute(w.tx);
  const batchId = b.rows[0]!.id;
  const pays = [...byInst].map(([institution_code, p]) => ({ institution_code, amount: p.amount, items: p.items }));
  await sql`INSERT INTO municipality.payments (tenant_code, batch_id, institution_code, amount, items, transfer_date)
    SELECT ${w.tenant}, ${batchId}::uuid, x.institution_code, x.amount, x.items, ${transferDate}::date FROM jsonb_to_recordset(${JSON.stringify(pays)}::jsonb) AS x(institution_code text, amount bigint, items int)`.execute(w.tx);
  const claimIds = [...new Set(items.rows.map((i) => i.claim_id))];
  await sql`UPDATE municipality.claims SET status = 'paid', payment_batch_id = ${batchId}::uuid, decided_at = coalesce(decided_at, ${w.clock.now()}), decided_by = coalesce(decided_by, ${w.actor.login})
    WHERE tenant_code = ${w.tenant} AND id = ANY(${claimIds}::uuid[])`.execute(w.tx);
  const upd = await sql`UPDATE municipality.vaccination_records SET paid = true, paid_on = ${transferDate}::date, payment_batch_id = ${batchId}::uuid
    WHERE tenant_code = ${w.tenant} AND id = ANY(${items.rows.map((i) => i.record_id)}::uuid[]) AND NOT paid`.execute(w.tx);
  if (Number(upd.numAffectedRows ?? 0) !== items.rows.length) throw new Problem(409, 'PAYMENT_CONFLICT', '支払を作成できません', '同じ接種記録が同時に支払われました。もう一度やり直してください。');
  await appendEntry(w.tx, w, { action: 'payment_batch', targetType: 'payment-batch', targetId: batchId, purpose: '医療機関への接種委託料の支払', detail: { month, transferDate, payments: pays.length, items: items.rows.length, amount: total } });
  return { batch: batchId, payments: pays.length, amount: total };
}

export interface BatchView {
  readonly id: string;
  readonly month: string;
  readonly transferDate: string;
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

type BatchRow = { id: string; month: string; transfer_date: string; payments: number; amount: string; created_at: Date; created_by: string };
const BATCH_SELECT = sql`SELECT id::text AS id, month, to_char(transfer_date, 'YYYY-MM-DD') AS transfer_date, payments, amount, created_at, created_by FROM municipality.payment_batches`;
const batchView = (r: BatchRow): BatchView => ({ id: r.id, month: r.month, transferDate: r.transfer_date, payments: r.payments, amount: Number(r.amount), createdAt: r.created_at, createdBy: r.created_by });

export async function listPaymentBatches(w: Work, o: { page?: number; pageSize?: number } = {}): Promise<{ total: number; amount: number; rows: BatchView[] }> {
  requireBillingRead(w);
  const size = Math.min(Math.max(o.pageSize ?? 50, 1), 500);
  const page = Math.max(o.page ?? 1, 1);
  const t = await sql<{ n: number; amount: string }>`SELECT count(*)::int AS n, coalesce(sum(amount), 0) AS amount FROM municipality.payment_batches WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const r = await sql<BatchRow>`${BATCH_SELECT} WHERE tenant_code = ${w.tenant} ORDER BY created_at DESC, id LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  return { total: t.rows[0]!.n, amount: Number(t.rows[0]!.amount), rows: r.rows.map(batchView) };
}

export async function getPaymentBatch(w: Work, batchId: string): Promise<{ batch: BatchView; payments: PaymentView[] } | null> {
  requireBillingRead(w);
  if (!/^[0-9a-f-]{36}$/i.test(batchId)) return null;
  const b = await sql<BatchRow>`${BATCH_SELECT} WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid`.execute(w.tx);
  if (!b.rows[0]) return null;
  const p = await sql<{ institution_code: string; name: string | null; amount: string; items: number; transfer_date: string }>`
    SELECT y.institution_code, p.name, y.amount, y.items, to_char(y.transfer_date, 'YYYY-MM-DD') AS transfer_date
    FROM municipality.payments y LEFT JOIN municipality.payees p ON p.tenant_code = y.tenant_code AND p.institution_code = y.institution_code
    WHERE y.tenant_code = ${w.tenant} AND y.batch_id = ${batchId}::uuid ORDER BY y.institution_code`.execute(w.tx);
  return { batch: batchView(b.rows[0]), payments: p.rows.map((x) => ({ institutionCode: x.institution_code, name: x.name, amount: Number(x.amount), items: x.items, transferDate: x.transfer_date })) };
}

/** A kana field of the file: converted to 全銀 characters, or a field error naming the institution and the field. */
function fileKana(v: string | null, max: number, field: string, label: string, errors: FieldError[]): string {
  if (v === null || v === '') return '';
  const k = zenginKana(v);
  if (k.invalid.length || !isZenginText(k.text)) errors.push({ field, code: 'ZENGIN_KANA', message: `${label}に振込で使えない文字があります（${k.invalid.join('')}）` });
  else if (k.text.length > max) errors.push({ field, code: 'TOO_LONG', message: `${label}は半角${max}文字以内です` });
  return k.text;
}

function fileDigits(v: string, n: number, field: string, label: string, errors: FieldError[]): string {
  if (!new RegExp(`^\\d{${n}}$`).test(v)) errors.push({ field, code: 'FORMAT', message: `${label}は${n}桁の数字です` });
  return v;
}

function fileAccountType(v: string, field: string, label: string, errors: FieldError[]): string {
  if (!['1', '2', '4'].includes(v)) errors.push({ field, code: 'FORMAT', message: `${label}は 1（普通）・2（当座）・4（貯蓄）のいずれかです` });
  return v;
}

/** An account's fields for the file, each checked; errors named `<prefix>.<field>`, messages `<who><label>`. */
function fileAccount(a: { bankCode: string; bankKana: string | null; branchCode: string; branchKana: string | null; accountType: string; accountNo: string }, prefix: string, who: string, errors: FieldError[]): ZenginAccount {
  return {
    bankCode: a.bankCode === NO_BANK ? (errors.push({ field: `${prefix}.bankCode`, code: 'BANK_CODE_INVALID', message: `${who}${NO_BANK_MESSAGE}` }), a.bankCode) : fileDigits(a.bankCode, 4, `${prefix}.bankCode`, `${who}金融機関コード`, errors),
    bankKana: fileKana(a.bankKana, 15, `${prefix}.bankKana`, `${who}金融機関名（カナ）`, errors),
    branchCode: fileDigits(a.branchCode, 3, `${prefix}.branchCode`, `${who}支店コード`, errors),
    branchKana: fileKana(a.branchKana, 15, `${prefix}.branchKana`, `${who}支店名（カナ）`, errors),
    accountType: fileAccountType(a.accountType, `${prefix}.accountType`, `${who}預金種目`, errors),
    accountNo: fileDigits(a.accountNo, 7, `${prefix}.accountNo`, `${who}口座番号`, errors),
  };
}

/**
 * The 全銀協 総合振込 file of a batch (Shift_JIS, 120-byte records).  Every payee and the 依頼人 are checked
 * first: a wrong bank/branch code, account or a kana name outside the 全銀 set is a Problem naming the
 * institution and the field, and no file.
 */
export async function paymentFile(w: Work, batchId: string): Promise<{ fileName: string; content: Buffer }> {
  requireBillingWrite(w);
  const got = await getPaymentBatch(w, batchId);
  if (!got) throw notFound('支払');
  const requester = await getRequester(w);
  if (!requester) throw new Problem(409, 'REQUESTER_MISSING', '振込依頼人の口座が登録されていません', '市区町村の委託者コードと口座（振込依頼人）を登録してから振込ファイルを作成してください。', [{ field: 'requester', code: 'REQUESTER_MISSING', message: '振込依頼人の口座が登録されていません' }]);
  const errors: FieldError[] = [];
  const req = {
    code: fileDigits(requester.requesterCode, 10, 'requester.requesterCode', '依頼人の委託者コード', errors),
    kana: fileKana(requester.requesterKana, 40, 'requester.requesterKana', '依頼人名（カナ）', errors),
    ...fileAccount(requester, 'requester', '依頼人の', errors),
  };
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
  if (errors.length) {
    throw new Problem(422, 'TRANSFER_DATA_INVALID', '振込ファイルを作成できません', `${errors.map((e) => e.message).join('／')}。支払先口座を直してからもう一度作成してください。`, errors);
  }
  const content = zenginFile(req, got.batch.transferDate, transfers);
  await appendEntry(w.tx, w, { action: 'export', targetType: 'payment-file', targetId: batchId, purpose: '医療機関への接種委託料の振込', detail: { format: 'zengin-sogo-furikomi', records: transfers.length, amount: got.batch.amount, bytes: content.length } });
  return { fileName: `furikomi-${got.batch.month}-${batchId.slice(0, 8)}.txt`, content };
}
