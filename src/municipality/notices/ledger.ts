// Reading and keeping the ledger (VAX-12, VAX-13, VAX-15): batches, a person's print history, lookup by
// 接種券番号 or 整理番号, 発送 (dispatch), 返送 (returned mail) with its follow-up list, and reissue (再発行:
// a new number, the old one voided with the reason, the count carried on, identity check recorded).
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntries, appendEntry } from '../../kernel/audit/index.js';
import { conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import { checkVoucherNumber, DOCUMENT_TYPE_LABELS, type DocumentItem, type DocumentType, type MunicipalityInfo } from '../documents/index.js';
import { addressFor, finishBatch, insertBatch, insertItems, loadPersons, type Draft, type NoticeDeps } from './issue.js';
import { decodeReference, normalizeReference, referenceKeys } from './reference.js';
import { requireNoticeSettings, requireNotices } from './settings.js';
import type { BatchKind, ItemEvent, PrintClass } from './tables.js';
import { templateForIssue } from './templates.js';

export const PRINT_CLASS_LABELS: Readonly<Record<PrintClass, string>> = { normal: '通常', reissue: '再発行', counter: '窓口交付' };
export const RETURN_REASONS = ['宛所不明', '転居先不明', '受取拒否', '保管期間経過', 'あて所に尋ねあたりません', 'その他'] as const;
export const IDENTITY_CHECKS = ['マイナンバーカード', '運転免許証', '旅券', '健康保険の資格確認書等', '母子健康手帳と保護者の本人確認書類', 'その他'] as const;
export const EVENT_LABELS: Readonly<Record<ItemEvent, string>> = { issue: '発行', dispatch: '発送', return: '返送', 'follow-up': '返送の対応', void: '無効', reissue: '再発行', handover: '委託先へ受け渡し' };
const SKIP_LABELS: Readonly<Record<string, string>> = { deceased: '死亡', 'moved-out': '転出', removed: '消除', unknown: '宛名なし', invalid: '様式に収まらない項目', 'no-window': '接種できる期間なし', 'window-ends-before-arrival': '接種できる期間が届く前に終わる' };

export function skipLabel(k: string): string {
  return SKIP_LABELS[k] ?? k;
}

// ------------------------------------------------------------------------------------------ views

export interface BatchView {
  readonly id: string;
  readonly kind: BatchKind;
  readonly runId: string | null;
  readonly docType: DocumentType;
  readonly docLabel: string;
  readonly program: string | null;
  readonly title: string;
  readonly templateVersion: number;
  readonly issueDate: string;
  readonly persons: number;
  readonly mailed: number;
  readonly counter: number;
  readonly skipped: number;
  readonly skippedDetail: Readonly<Record<string, number>>;
  /** The 郵送日数 a batch from a run was made with (decision 0102); null for ad-hoc and reissue batches. */
  readonly mailingLeadDays: number | null;
  readonly dispatchedOn: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly municipality: MunicipalityInfo;
}

type BatchRow = {
  id: string; kind: BatchKind; run_id: string | null; doc_type: DocumentType; program: string | null; title: string; template_version: number; issue_date: string; persons: number; mailed: number;
  counter: number; skipped: number; skipped_detail: Record<string, number>; mailing_lead_days: number | null; dispatched_on: string | null; created_by: string; created_at: Date; municipality: MunicipalityInfo;
};

const BATCH_COLS = ['id', 'kind', 'run_id', 'doc_type', 'program', 'title', 'template_version', 'issue_date', 'persons', 'mailed', 'counter', 'skipped', 'skipped_detail', 'mailing_lead_days', 'dispatched_on', 'created_by', 'created_at', 'municipality'] as const;

function batchView(r: BatchRow): BatchView {
  return {
    id: r.id, kind: r.kind, runId: r.run_id, docType: r.doc_type, docLabel: DOCUMENT_TYPE_LABELS[r.doc_type], program: r.program, title: r.title, templateVersion: r.template_version, issueDate: r.issue_date,
    persons: r.persons, mailed: r.mailed, counter: r.counter, skipped: r.skipped, skippedDetail: r.skipped_detail, mailingLeadDays: r.mailing_lead_days, dispatchedOn: r.dispatched_on, createdBy: r.created_by, createdAt: r.created_at, municipality: r.municipality,
  };
}

/** Internal: the batch row without a permission check or log entry (callers check and log). */
export async function batchRow(w: Work, batchId: string): Promise<BatchView> {
  if (!/^[0-9a-f-]{36}$/i.test(batchId)) throw notFound('通知書の作成記録');
  const r = await w.tx.selectFrom('municipality.notice_batches').select([...BATCH_COLS]).where('tenant_code', '=', w.tenant).where('id', '=', batchId).executeTakeFirst();
  if (!r) throw notFound('通知書の作成記録');
  return batchView(r as BatchRow);
}

export async function getBatch(w: Work, batchId: string): Promise<BatchView> {
  requireNotices(w, 'personal.read');
  const b = await batchRow(w, batchId);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-batch', targetId: batchId });
  return b;
}

/** Batches, newest first; `runId` for the batches of one extraction run. */
export async function listBatches(w: Work, opts: { runId?: string; kind?: BatchKind; limit?: number } = {}): Promise<BatchView[]> {
  requireNotices(w, 'personal.read');
  let q = w.tx.selectFrom('municipality.notice_batches').select([...BATCH_COLS]).where('tenant_code', '=', w.tenant);
  if (opts.runId) q = q.where('run_id', '=', opts.runId);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  const rows = await q.orderBy('created_at', 'desc').limit(Math.min(opts.limit ?? 100, 500)).execute();
  return rows.map((r) => batchView(r as BatchRow));
}

export interface ItemView {
  readonly id: string;
  readonly batchId: string;
  readonly seq: number;
  readonly atenaNo: string;
  readonly docType: DocumentType;
  readonly docLabel: string;
  readonly program: string | null;
  readonly programName: string;
  readonly dose: number | null;
  readonly doseLabel: string | null;
  readonly voucherNo: string | null;
  readonly referenceNo: string;
  readonly templateVersion: number;
  readonly printClass: PrintClass;
  readonly printClassLabel: string;
  readonly mail: boolean;
  readonly printedOn: string;
  readonly status: 'active' | 'void';
  readonly voidedOn: string | null;
  readonly voidReason: string | null;
  readonly replacedBy: string | null;
  readonly reissueOf: string | null;
  readonly reissueCount: number;
  readonly reissuedOn: string | null;
  readonly reissueReason: string | null;
  readonly identityCheck: string | null;
  readonly dispatchedOn: string | null;
  readonly returnedOn: string | null;
  readonly returnReason: string | null;
  readonly followUp: 'open' | 'resolved' | null;
  readonly followUpNote: string | null;
  /** What was printed: name, address block, program (never a My Number). */
  readonly document: DocumentItem;
  /** Set when the retention run erased the printed content (name, addresses…): `document` then holds placeholders. */
  readonly erasedAt: Date | null;
  readonly createdBy: string;
}

const ITEM_COLS = [
  'id', 'batch_id', 'seq', 'atena_no', 'doc_type', 'program', 'program_name', 'dose', 'dose_label', 'voucher_no', 'reference_no', 'template_version', 'print_class', 'mail', 'printed_on', 'status', 'voided_on', 'void_reason',
  'replaced_by', 'reissue_of', 'reissue_count', 'reissued_on', 'reissue_reason', 'identity_check', 'dispatched_on', 'returned_on', 'return_reason', 'follow_up', 'follow_up_note', 'document', 'erased_at', 'created_by',
] as const;

type ItemRow = {
  id: string; batch_id: string; seq: number; atena_no: string; doc_type: DocumentType; program: string | null; program_name: string; dose: number | null; dose_label: string | null; voucher_no: string | null; reference_no: string;
  template_version: number; print_class: PrintClass; mail: boolean; printed_on: string; status: 'active' | 'void'; voided_on: string | null; void_reason: string | null; replaced_by: string | null; reissue_of: string | null;
  reissue_count: number; reissued_on: string | null; reissue_reason: string | null; identity_check: string | null; dispatched_on: string | null; returned_on: string | null; return_reason: string | null;
  follow_up: 'open' | 'resolved' | null; follow_up_note: string | null; document: DocumentItem; erased_at: Date | null; created_by: string;
};

export const ERASED = '（保存期間経過により消去）';

/** The printed snapshot, or placeholders for what the retention run erased. */
function documentOf(r: ItemRow): DocumentItem {
  if (!r.erased_at) return r.document;
  return { ...r.document, person: { name: ERASED, birthDate: '', address: ERASED } };
}

export function itemView(r: ItemRow): ItemView {
  return {
    id: r.id, batchId: r.batch_id, seq: r.seq, atenaNo: r.atena_no, docType: r.doc_type, docLabel: DOCUMENT_TYPE_LABELS[r.doc_type], program: r.program, programName: r.program_name, dose: r.dose, doseLabel: r.dose_label,
    voucherNo: r.voucher_no, referenceNo: r.reference_no, templateVersion: r.template_version, printClass: r.print_class, printClassLabel: PRINT_CLASS_LABELS[r.print_class], mail: r.mail, printedOn: r.printed_on, status: r.status,
    voidedOn: r.voided_on, voidReason: r.void_reason, replacedBy: r.replaced_by, reissueOf: r.reissue_of, reissueCount: r.reissue_count, reissuedOn: r.reissued_on, reissueReason: r.reissue_reason, identityCheck: r.identity_check,
    dispatchedOn: r.dispatched_on, returnedOn: r.returned_on, returnReason: r.return_reason, followUp: r.follow_up, followUpNote: r.follow_up_note, document: documentOf(r), erasedAt: r.erased_at, createdBy: r.created_by,
  };
}

/** Internal: an item row without a check or log entry. */
export async function itemRow(w: Work, itemId: string): Promise<ItemView> {
  if (!/^[0-9a-f-]{36}$/i.test(itemId)) throw notFound('通知書');
  const r = await w.tx.selectFrom('municipality.notice_items').select([...ITEM_COLS]).where('tenant_code', '=', w.tenant).where('id', '=', itemId).executeTakeFirst();
  if (!r) throw notFound('通知書');
  return itemView(r as ItemRow);
}

export async function getItem(w: Work, itemId: string): Promise<ItemView> {
  requireNotices(w, 'personal.read');
  const it = await itemRow(w, itemId);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-item', targetId: itemId, subjectRef: `resident:${it.atenaNo}` });
  return it;
}

/** The items of a batch in print order (a page of them: `after` = the last seq seen). */
export async function batchItems(w: Work, batchId: string, opts: { after?: number; limit?: number; mail?: boolean } = {}): Promise<ItemView[]> {
  requireNotices(w, 'personal.read');
  let q = w.tx.selectFrom('municipality.notice_items').select([...ITEM_COLS]).where('tenant_code', '=', w.tenant).where('batch_id', '=', batchId).where('seq', '>', opts.after ?? 0);
  if (opts.mail !== undefined) q = q.where('mail', '=', opts.mail);
  const rows = await q.orderBy('seq').limit(Math.min(opts.limit ?? 100, 2000)).execute();
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-batch-items', targetId: batchId, detail: { after: opts.after ?? 0, rows: rows.length } });
  return rows.map((r) => itemView(r as ItemRow));
}

export interface EventView {
  readonly itemId: string;
  readonly event: ItemEvent;
  readonly label: string;
  readonly onDate: string | null;
  readonly detail: Record<string, unknown>;
  readonly actor: string;
  readonly recordedAt: Date;
}

export interface PersonNoticeHistory {
  readonly atenaNo: string;
  /** Every document ever issued to the person, newest first (voided ones included). */
  readonly items: readonly ItemView[];
  readonly events: readonly EventView[];
}

/** A person's print history (印刷日・印刷区分・発送日・返送・再発行): every document, with its events. */
export async function personNoticeHistory(w: Work, atenaNo: string): Promise<PersonNoticeHistory> {
  requireNotices(w, 'personal.read', atenaNo);
  if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
  const rows = await w.tx.selectFrom('municipality.notice_items').select([...ITEM_COLS]).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).orderBy('created_at', 'desc').orderBy('serial', 'desc').execute();
  const ids = rows.map((r) => r.id);
  const ev = ids.length
    ? await w.tx.selectFrom('municipality.notice_item_events').select(['item_id', 'event', 'on_date', 'detail', 'actor', 'recorded_at']).where('tenant_code', '=', w.tenant).where('item_id', 'in', ids).orderBy('recorded_at').orderBy('seq').execute()
    : [];
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-history', targetId: atenaNo, subjectRef: `resident:${atenaNo}` });
  return {
    atenaNo,
    items: rows.map((r) => itemView(r as ItemRow)),
    events: ev.map((e) => ({ itemId: e.item_id, event: e.event, label: EVENT_LABELS[e.event], onDate: e.on_date, detail: e.detail, actor: e.actor, recordedAt: e.recorded_at })),
  };
}

/** Internal: the item a 接種券番号 or 整理番号 names (either form, as typed or scanned), or null. */
export async function findByNumber(w: Work, deps: Pick<NoticeDeps, 'keys'>, input: string): Promise<ItemView | null> {
  const v = checkVoucherNumber(input);
  if (v.ok) {
    const r = await w.tx.selectFrom('municipality.notice_items').select([...ITEM_COLS]).where('tenant_code', '=', w.tenant).where('voucher_no', '=', v.number).executeTakeFirst();
    return r ? itemView(r as ItemRow) : null;
  }
  const k = await referenceKeys(w, deps.keys);
  const c = decodeReference(k, input);
  if (!c) return null;
  const token = normalizeReference(input);
  const r = await w.tx
    .selectFrom('municipality.notice_items')
    .select([...ITEM_COLS])
    .where('tenant_code', '=', w.tenant)
    .where('series', '=', c.series)
    .where('fiscal_year', '=', c.fiscalYear)
    .where('serial', '=', c.serial)
    .executeTakeFirst();
  // The decrypted content must agree with the ledger (the person and the token itself).
  if (!r || r.atena_no !== c.atenaNo || normalizeReference(r.reference_no) !== token) return null;
  return itemView(r as ItemRow);
}

/** Looks an item up by 接種券番号 or 整理番号 (reissue and 返送 screens, VAX-07); logged. */
export async function findItem(w: Work, deps: Pick<NoticeDeps, 'keys'>, number: string): Promise<ItemView> {
  requireNotices(w, 'personal.read');
  const it = await findByNumber(w, deps, number);
  await appendEntry(w.tx, w, { action: 'search', targetType: 'notice-item', detail: { found: !!it } });
  if (!it) throw notFound('この番号の通知書');
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-item', targetId: it.id, subjectRef: `resident:${it.atenaNo}` });
  return it;
}

// ------------------------------------------------------------------------------------------ events

async function addEvents(w: Work, rows: readonly { itemId: string; event: ItemEvent; onDate: string | null; detail?: Record<string, unknown> }[]): Promise<void> {
  for (const r of rows) {
    await sql`
      INSERT INTO municipality.notice_item_events (tenant_code, item_id, seq, event, on_date, detail, actor, terminal)
      SELECT ${w.tenant}, ${r.itemId}, coalesce(max(seq), 0) + 1, ${r.event}, ${r.onDate}::date, ${JSON.stringify(r.detail ?? {})}::jsonb, ${w.actor.login}, ${w.meta.terminalId}
      FROM municipality.notice_item_events WHERE tenant_code = ${w.tenant} AND item_id = ${r.itemId}`.execute(w.tx);
  }
}

const dateField = (what: string) => z.string().refine(isIsoDate, { message: `${what}は YYYY-MM-DD の形式で入力してください` });

// ------------------------------------------------------------------------------------------ 発送

/**
 * 発送日 (VAX-12): for every mailed, valid item of a batch not yet marked, or for the given items.  The date
 * may not be before the issue date nor in the future.  Returns how many items were marked.
 */
export async function markDispatched(w: Work, raw: { batchId?: string; itemIds?: readonly string[]; date: string }): Promise<number> {
  requireNotices(w, 'personal.write');
  const v = parseInput(z.object({ batchId: z.string().uuid().optional(), itemIds: z.array(z.string().uuid()).max(10_000).optional(), date: dateField('発送日') }), raw);
  if (!v.batchId && !v.itemIds?.length) throw invalidField('itemIds', 'REQUIRED', '発送した通知書を指定してください');
  if (v.date > w.clock.today()) throw invalidField('date', 'DATE_FUTURE', '発送日が未来の日付です');
  let q = w.tx
    .updateTable('municipality.notice_items')
    .set({ dispatched_on: v.date })
    .where('tenant_code', '=', w.tenant)
    .where('status', '=', 'active')
    .where('mail', '=', true)
    .where('dispatched_on', 'is', null)
    .where('printed_on', '<=', v.date);
  if (v.batchId) q = q.where('batch_id', '=', v.batchId);
  if (v.itemIds?.length) q = q.where('id', 'in', v.itemIds);
  const rows = await q.returning(['id', 'atena_no']).execute();
  if (v.batchId) {
    await batchRow(w, v.batchId);
    await w.tx.updateTable('municipality.notice_batches').set({ dispatched_on: v.date }).where('tenant_code', '=', w.tenant).where('id', '=', v.batchId).execute();
  }
  await sql`
    INSERT INTO municipality.notice_item_events (tenant_code, item_id, seq, event, on_date, detail, actor, terminal)
    SELECT ${w.tenant}, i.id, coalesce((SELECT max(e.seq) FROM municipality.notice_item_events e WHERE e.tenant_code = ${w.tenant} AND e.item_id = i.id), 0) + 1,
           'dispatch', ${v.date}::date, '{}'::jsonb, ${w.actor.login}, ${w.meta.terminalId}
    FROM unnest(${rows.map((r) => r.id)}::uuid[]) AS i(id)`.execute(w.tx);
  await appendEntries(w.tx, w, [
    { action: 'update', targetType: 'notice-dispatch', targetId: v.batchId, detail: { date: v.date, items: rows.length } },
    ...rows.map((r) => ({ action: 'update', targetType: 'notice-item', targetId: r.id, subjectRef: `resident:${r.atena_no}`, detail: { dispatchedOn: v.date } })),
  ]);
  return rows.length;
}

// ------------------------------------------------------------------------------------------ 返送

export interface ReturnResult {
  readonly input: number;
  readonly marked: readonly { itemId: string; atenaNo: string; name: string; programName: string }[];
  /** Numbers that name no document of this municipality (typing or scanning errors), by position. */
  readonly unknown: readonly number[];
  /** Documents already marked returned (nothing changed). */
  readonly already: readonly number[];
}

/**
 * 返送 (returned mail, VAX-12 郵送戻り): for each 接種券番号 or 整理番号 (as scanned from the envelope window or
 * the 予診票), the return date and reason; the person goes on the follow-up list until someone records what
 * was done (再送付, 窓口交付, 転出を確認 …).
 */
export async function markReturned(w: Work, deps: Pick<NoticeDeps, 'keys'>, raw: { numbers: readonly string[]; date: string; reason: string; note?: string }): Promise<ReturnResult> {
  requireNotices(w, 'personal.write');
  const v = parseInput(
    z.object({
      numbers: z.array(z.string().trim()).transform((a) => a.filter((s) => s !== '')).pipe(z.array(z.string()).min(1, { message: '接種券番号または整理番号を入力してください' }).max(2000)),
      date: dateField('返送日'),
      reason: z.enum(RETURN_REASONS, { message: `返送の理由は ${RETURN_REASONS.join('・')} のいずれかです` }),
      note: z.string().trim().max(200).optional(),
    }),
    raw,
  );
  if (v.date > w.clock.today()) throw invalidField('date', 'DATE_FUTURE', '返送日が未来の日付です');
  const marked: { itemId: string; atenaNo: string; name: string; programName: string }[] = [];
  const unknown: number[] = [];
  const already: number[] = [];
  for (let i = 0; i < v.numbers.length; i++) {
    const it = await findByNumber(w, deps, v.numbers[i]!);
    if (!it) {
      unknown.push(i);
      continue;
    }
    if (it.returnedOn) {
      already.push(i);
      continue;
    }
    await w.tx
      .updateTable('municipality.notice_items')
      .set({ returned_on: v.date, return_reason: v.reason, follow_up: 'open', follow_up_note: v.note ?? null })
      .where('tenant_code', '=', w.tenant)
      .where('id', '=', it.id)
      .execute();
    await addEvents(w, [{ itemId: it.id, event: 'return', onDate: v.date, detail: { reason: v.reason, ...(v.note ? { note: v.note } : {}) } }]);
    await appendEntry(w.tx, w, { action: 'update', targetType: 'notice-item', targetId: it.id, subjectRef: `resident:${it.atenaNo}`, detail: { returnedOn: v.date, reason: v.reason } });
    marked.push({ itemId: it.id, atenaNo: it.atenaNo, name: it.document.person.name, programName: it.programName });
  }
  return { input: v.numbers.length, marked, unknown, already };
}

/** Returned documents still waiting for follow-up, oldest first (a returned person is listed for follow-up). */
export async function listFollowUps(w: Work, opts: { limit?: number } = {}): Promise<ItemView[]> {
  requireNotices(w, 'personal.read');
  const rows = await w.tx.selectFrom('municipality.notice_items').select([...ITEM_COLS]).where('tenant_code', '=', w.tenant).where('follow_up', '=', 'open').orderBy('returned_on').orderBy('atena_no').limit(Math.min(opts.limit ?? 200, 1000)).execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'notice-follow-up', detail: { results: rows.length } });
  return rows.map((r) => itemView(r as ItemRow));
}

/** Records what was done about a returned document; it leaves the follow-up list. */
export async function resolveFollowUp(w: Work, itemId: string, raw: { note: string }): Promise<void> {
  requireNotices(w, 'personal.write');
  const v = parseInput(z.object({ note: z.string().trim().min(1, { message: '対応の内容を入力してください' }).max(200) }), raw);
  const it = await itemRow(w, itemId);
  if (it.followUp !== 'open') throw conflict('FOLLOW_UP_NOT_OPEN', 'この通知書は対応待ちではありません。');
  await w.tx.updateTable('municipality.notice_items').set({ follow_up: 'resolved', follow_up_note: v.note }).where('tenant_code', '=', w.tenant).where('id', '=', itemId).execute();
  await addEvents(w, [{ itemId, event: 'follow-up', onDate: w.clock.today(), detail: { note: v.note } }]);
  await appendEntry(w.tx, w, { action: 'update', targetType: 'notice-item', targetId: itemId, subjectRef: `resident:${it.atenaNo}`, detail: { followUp: 'resolved' } });
}

// ------------------------------------------------------------------------------------------ 再発行

const reissueInput = z.object({
  reason: z.string().trim().min(1, { message: '再発行の理由を入力してください' }).max(200, { message: '200文字以内で入力してください' }),
  identityCheck: z.enum(IDENTITY_CHECKS, { message: '本人確認の方法を選んでください' }),
  /** Mail the new document instead of handing it over at the counter. */
  mail: z.boolean().default(false),
});

export type ReissueInput = z.input<typeof reissueInput>;

export interface Reissued {
  readonly batchId: string;
  readonly itemId: string;
  readonly voucherNo: string | null;
  readonly referenceNo: string;
  readonly voided: { readonly itemId: string; readonly voucherNo: string | null };
  readonly reissueCount: number;
}

/**
 * 再発行 (VAX-12, VAX-13): after the identity check, a new document with a new 接種券番号 and 整理番号 for the
 * same program, dose and period, addressed as the person stands today, in the current wording; the old one is
 * voided with the reason and points to the new one; the reissue count goes on from the old one.  The old
 * number stays in the ledger as void: the clinic import then refuses a dose recorded on it.
 */
export async function reissue(w: Work, deps: NoticeDeps, itemId: string, raw: ReissueInput): Promise<Reissued> {
  requireNotices(w, 'personal.write');
  const v = parseInput(reissueInput, raw);
  const old = await itemRow(w, itemId);
  if (old.status === 'void') throw conflict('ITEM_VOID', 'この通知書は既に無効です（再発行済み）。新しい番号の通知書を再発行してください。');
  const persons = await loadPersons(w, [old.atenaNo]);
  const p = persons.get(old.atenaNo);
  if (!p) throw notFound('住民');
  if (p.status === 'deceased') throw conflict('PERSON_NOT_ISSUABLE', '死亡した方には再発行できません。');
  const issueDate = w.clock.today();
  const municipality = await requireNoticeSettings(w);
  const template = await templateForIssue(w, old.docType);
  const keys = await referenceKeys(w, deps.keys);
  const addressing = addressFor(p.state, p.dvNow, issueDate, municipality);
  const mail = v.mail && addressing.mail;
  const count = old.reissueCount + 1;
  const batchId = await insertBatch(w, { kind: 'reissue', docType: old.docType, program: old.program, template, issueDate, title: `${DOCUMENT_TYPE_LABELS[old.docType]}（再発行）`, municipality });
  const draft: Draft = {
    atenaNo: old.atenaNo,
    program: old.program,
    programName: old.programName,
    dose: old.dose,
    doseLabel: old.doseLabel,
    period: old.document.program.period ?? null,
    addressing: { ...addressing, mail },
    ...(old.document.request ? { request: old.document.request } : {}),
  };
  const r = await insertItems(w, { batchId, docType: old.docType, template, issueDate, municipality, keys, printClass: 'reissue', reissue: { of: old.id, count, reason: v.reason, identityCheck: v.identityCheck } }, [draft], 1);
  if (r.items.length === 0) throw invalidField('atenaNo', 'DOCUMENT_INVALID', 'この方の氏名・住所等が様式に収まらないため発行できません（宛名の登録内容を確認してください）');
  const fresh = r.items[0]!;
  await finishBatch(w, batchId, {});
  await w.tx
    .updateTable('municipality.notice_items')
    .set({ status: 'void', voided_on: issueDate, void_reason: v.reason, replaced_by: fresh.id })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', old.id)
    .execute();
  await addEvents(w, [
    { itemId: old.id, event: 'void', onDate: issueDate, detail: { reason: v.reason, replacedBy: fresh.id } },
    { itemId: fresh.id, event: 'reissue', onDate: issueDate, detail: { reason: v.reason, identityCheck: v.identityCheck, reissueOf: old.id, count, mail } },
  ]);
  if (old.followUp === 'open') {
    await w.tx.updateTable('municipality.notice_items').set({ follow_up: 'resolved', follow_up_note: '再発行した' }).where('tenant_code', '=', w.tenant).where('id', '=', old.id).execute();
  }
  await appendEntry(w.tx, w, { action: 'update', targetType: 'notice-item', targetId: old.id, subjectRef: `resident:${old.atenaNo}`, purpose: '再発行', detail: { voided: true, replacedBy: fresh.id, identityCheck: v.identityCheck } });
  return { batchId, itemId: fresh.id, voucherNo: fresh.voucherNo, referenceNo: fresh.referenceNo, voided: { itemId: old.id, voucherNo: old.voucherNo }, reissueCount: count };
}

/** Internal (used by the contractor export): records a hand-over on each item. */
export async function recordHandoverEvents(w: Work, itemIds: readonly string[], handoverId: string, date: string): Promise<void> {
  for (let i = 0; i < itemIds.length; i += 5000) {
    await sql`
      INSERT INTO municipality.notice_item_events (tenant_code, item_id, seq, event, on_date, detail, actor, terminal)
      SELECT ${w.tenant}, i.id, coalesce((SELECT max(e.seq) FROM municipality.notice_item_events e WHERE e.tenant_code = ${w.tenant} AND e.item_id = i.id), 0) + 1,
             'handover', ${date}::date, ${JSON.stringify({ handoverId })}::jsonb, ${w.actor.login}, ${w.meta.terminalId}
      FROM unnest(${itemIds.slice(i, i + 5000)}::uuid[]) AS i(id)`.execute(w.tx);
  }
}


// ------------------------------------------------------------------------------------------ the day's work

export interface NoticeWork {
  /** Batches with documents to mail that have not been marked 発送済. */
  readonly undispatchedBatches: number;
  /** Returned documents whose follow-up is still open. */
  readonly openFollowUps: number;
}

/** What is left to do with notices (the staff home).  'personal.read'; counts only, not logged. */
export async function noticeWork(w: Work): Promise<NoticeWork> {
  requireNotices(w, 'personal.read');
  const b = await w.tx
    .selectFrom('municipality.notice_batches')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_code', '=', w.tenant)
    .where('dispatched_on', 'is', null)
    .where('mailed', '>', 0)
    .executeTakeFirstOrThrow();
  const f = await w.tx
    .selectFrom('municipality.notice_items')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_code', '=', w.tenant)
    .where('follow_up', '=', 'open')
    .executeTakeFirstOrThrow();
  return { undispatchedBatches: Number(b.n), openFollowUps: Number(f.n) };
}
