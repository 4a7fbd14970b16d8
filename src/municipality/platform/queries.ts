// What the staff screens and `mamori platform status` read back: push batches with totals, one batch's
// rows, the linkage status per person (PMH-21) and the failed ones.  Never a My Number.
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { notFound } from '../../kernel/problems/index.js';
import { requirePlatformRead } from './push.js';

export const LINKAGE_LABELS: Record<string, string> = { pending: '紐付け待ち', linked: '紐付け済み', error: 'エラー', deleted: '削除済み' };
export const BATCH_STATUS_LABELS: Record<string, string> = { running: '送信中', complete: '完了', failed: '失敗' };
export const BATCH_KIND_LABELS: Record<string, string> = { run: '抽出結果の登録', movements: '転出・死亡の削除', retry: '再送' };
export const ROW_STATUS_LABELS: Record<string, string> = { planned: '未送信', registered: '新規登録', updated: '更新', deleted: '削除', unchanged: '変更なし', failed: '失敗' };

export interface PushBatchView {
  readonly id: string;
  readonly kind: string;
  readonly runId: string | null;
  readonly fileName: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly startedBy: string;
  readonly status: string;
  readonly sent: number;
  readonly registered: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly error: string | null;
  readonly rows: number;
}

export interface PushRowView {
  readonly atenaNo: string;
  readonly name: string | null;
  readonly chunk: number;
  readonly modificationSeg: string;
  readonly status: string;
  readonly targetId: string | null;
  readonly error: string | null;
}

export interface FailedTargetView {
  readonly atenaNo: string;
  readonly name: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly nextRetryAt: Date | null;
  readonly pendingSeg: string | null;
  readonly at: Date;
}

export interface LinkageCounts {
  readonly pending: number;
  readonly linked: number;
  readonly error: number;
  readonly deleted: number;
  readonly total: number;
}

export interface PersonLinkage {
  readonly atenaNo: string;
  readonly status: string;
  readonly targetId: string | null;
  readonly error: string | null;
  readonly fileName: string | null;
  readonly at: Date;
  readonly attempts: number;
  readonly nextRetryAt: Date | null;
  readonly changeCategory: string | null;
}

type BatchDb = {
  id: string; kind: string; run_id: string | null; file_name: string; started_at: Date; finished_at: Date | null; started_by: string; status: string;
  sent: number; registered: number; updated: number; deleted: number; unchanged: number; failed: number; error: string | null; rows: number;
};

function batchView(r: BatchDb): PushBatchView {
  return {
    id: r.id, kind: r.kind, runId: r.run_id, fileName: r.file_name, startedAt: r.started_at, finishedAt: r.finished_at, startedBy: r.started_by, status: r.status,
    sent: Number(r.sent), registered: Number(r.registered), updated: Number(r.updated), deleted: Number(r.deleted), unchanged: Number(r.unchanged), failed: Number(r.failed), error: r.error, rows: Number(r.rows),
  };
}

const BATCH_COLS = sql`b.id::text AS id, b.kind, b.run_id::text AS run_id, b.file_name, b.started_at, b.finished_at, b.started_by, b.status, b.sent, b.registered, b.updated, b.deleted, b.unchanged, b.failed, b.error,
  (SELECT count(*) FROM municipality.platform_push_rows r WHERE r.tenant_code = b.tenant_code AND r.batch_id = b.id)::int AS rows`;

export async function listPushBatches(w: Work, opts: { page?: number; pageSize?: number } = {}): Promise<{ batches: PushBatchView[]; total: number; totals: { sent: number; registered: number; updated: number; deleted: number; unchanged: number; failed: number } }> {
  requirePlatformRead(w);
  const size = Math.max(1, Math.min(opts.pageSize ?? 50, 200));
  const page = Math.max(1, opts.page ?? 1);
  const rows = await sql<BatchDb>`SELECT ${BATCH_COLS} FROM municipality.platform_push_batches b WHERE b.tenant_code = ${w.tenant} ORDER BY b.started_at DESC, b.id LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const t = await sql<{ total: number; sent: number; registered: number; updated: number; deleted: number; unchanged: number; failed: number }>`
    SELECT count(*)::int AS total, coalesce(sum(sent),0)::int AS sent, coalesce(sum(registered),0)::int AS registered, coalesce(sum(updated),0)::int AS updated,
      coalesce(sum(deleted),0)::int AS deleted, coalesce(sum(unchanged),0)::int AS unchanged, coalesce(sum(failed),0)::int AS failed
    FROM municipality.platform_push_batches WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const x = t.rows[0]!;
  return { batches: rows.rows.map(batchView), total: Number(x.total), totals: { sent: Number(x.sent), registered: Number(x.registered), updated: Number(x.updated), deleted: Number(x.deleted), unchanged: Number(x.unchanged), failed: Number(x.failed) } };
}

export async function getPushBatch(w: Work, id: string): Promise<PushBatchView> {
  requirePlatformRead(w);
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('連携の記録');
  const r = await sql<BatchDb>`SELECT ${BATCH_COLS} FROM municipality.platform_push_batches b WHERE b.tenant_code = ${w.tenant} AND b.id = ${id}::uuid`.execute(w.tx);
  if (!r.rows[0]) throw notFound('連携の記録');
  return batchView(r.rows[0]);
}

/** One batch's rows with their result (names are read for the screen: logged as a read of the batch). */
export async function batchRows(w: Work, id: string, opts: { page?: number; pageSize?: number; status?: string } = {}): Promise<{ rows: PushRowView[]; total: number }> {
  const b = await getPushBatch(w, id);
  const size = Math.max(1, Math.min(opts.pageSize ?? 100, 500));
  const page = Math.max(1, opts.page ?? 1);
  const st = opts.status && Object.hasOwn(ROW_STATUS_LABELS, opts.status) ? sql`AND r.status = ${opts.status}` : sql``;
  const rows = await sql<{ atena_no: string; name: string | null; chunk: number; modification_seg: string; status: string; target_id: string | null; error: string | null }>`
    SELECT r.atena_no, p.name_kanji AS name, r.chunk, r.modification_seg, r.status, r.target_id, r.error FROM municipality.platform_push_rows r
    LEFT JOIN municipality.persons p ON p.tenant_code = r.tenant_code AND p.atena_no = r.atena_no
    WHERE r.tenant_code = ${w.tenant} AND r.batch_id = ${b.id}::uuid ${st} ORDER BY r.seq LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.platform_push_rows r WHERE r.tenant_code = ${w.tenant} AND r.batch_id = ${b.id}::uuid ${st}`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'platform-push', targetId: b.id, purpose: '予防接種プラットフォーム連携の結果の確認', detail: { rows: rows.rows.length } });
  return {
    rows: rows.rows.map((r) => ({ atenaNo: r.atena_no, name: r.name, chunk: Number(r.chunk), modificationSeg: r.modification_seg, status: r.status, targetId: r.target_id, error: r.error })),
    total: Number(total.rows[0]?.n ?? 0),
  };
}

export async function listFailedTargets(w: Work, opts: { page?: number; pageSize?: number } = {}): Promise<{ rows: FailedTargetView[]; total: number }> {
  requirePlatformRead(w);
  const size = Math.max(1, Math.min(opts.pageSize ?? 100, 500));
  const page = Math.max(1, opts.page ?? 1);
  const rows = await sql<{ atena_no: string; name: string | null; error: string | null; attempts: number; next_retry_at: Date | null; pending_seg: string | null; at: Date }>`
    SELECT t.atena_no, p.name_kanji AS name, t.error, t.attempts, t.next_retry_at, t.pending_seg, t.at FROM municipality.platform_targets t
    LEFT JOIN municipality.persons p ON p.tenant_code = t.tenant_code AND p.atena_no = t.atena_no
    WHERE t.tenant_code = ${w.tenant} AND t.status = 'error' ORDER BY t.at DESC, t.atena_no LIMIT ${size} OFFSET ${(page - 1) * size}`.execute(w.tx);
  const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} AND status = 'error'`.execute(w.tx);
  if (rows.rows.length) await appendEntry(w.tx, w, { action: 'read', targetType: 'platform-push', targetId: 'failed', purpose: '予防接種プラットフォーム連携の失敗の確認', detail: { rows: rows.rows.length } });
  return {
    rows: rows.rows.map((r) => ({ atenaNo: r.atena_no, name: r.name, error: r.error, attempts: Number(r.attempts), nextRetryAt: r.next_retry_at, pendingSeg: r.pending_seg, at: r.at })),
    total: Number(total.rows[0]?.n ?? 0),
  };
}

export async function linkageCounts(w: Work): Promise<LinkageCounts> {
  requirePlatformRead(w);
  const r = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} GROUP BY status`.execute(w.tx);
  const m = new Map(r.rows.map((x) => [x.status, Number(x.n)]));
  const c = { pending: m.get('pending') ?? 0, linked: m.get('linked') ?? 0, error: m.get('error') ?? 0, deleted: m.get('deleted') ?? 0 };
  return { ...c, total: c.pending + c.linked + c.error + c.deleted };
}

export async function personLinkage(w: Work, atenaNo: string): Promise<PersonLinkage | null> {
  requirePlatformRead(w);
  const r = await sql<{ status: string; target_id: string | null; error: string | null; file_name: string | null; at: Date; attempts: number; next_retry_at: Date | null; change_category: string | null; sent_seg: string | null }>`
    SELECT status, target_id, error, file_name, at, attempts, next_retry_at, change_category, sent_seg FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} AND atena_no = ${atenaNo}`.execute(w.tx);
  const x = r.rows[0];
  if (!x) return null;
  return { atenaNo, status: x.status, targetId: x.target_id, error: x.error, fileName: x.file_name, at: x.at, attempts: Number(x.attempts), nextRetryAt: x.next_retry_at, changeCategory: x.change_category };
}
