// Reading the operation log: ad hoc search and export for the audit-review duty (KRN-33), and
// "who accessed this person's data, when and why" for the resident portal (Data Tracker style).
import type { Work } from '../context/index.js';
import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../db/index.js';
import { appendEntry, ACTION_LABELS, TARGET_LABELS } from './entry.js';
import { can } from '../policy/index.js';
import { forbidden } from '../problems/index.js';
import { csvCell, csvLine } from '../csv/index.js';

/**
 * KRN-33: the audit-review duty searches and exports the whole tenant's log; anyone else may read only
 * their own operations.  Checked here as well as in every screen and route.
 */
function authorizeRead(w: Work, q: AuditSearch): void {
  if (can(w.actor, 'audit.review', 'audit-review')) return;
  if (w.actor.kind !== 'anonymous' && q.actorLogin === w.actor.login) return;
  throw forbidden('操作ログの検索・出力には「ログ監査」の所掌事務と監査の権限が必要です（自分の操作のみは閲覧できます）。').withAudit({
    action: 'access_denied', targetType: 'audit_log', outcome: 'denied', detail: { permission: 'audit.review' },
  });
}

export interface AuditSearch {
  actorLogin?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  subjectRef?: string | undefined;
  outcome?: 'success' | 'failure' | 'denied' | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit?: number | undefined;
  /** Keyset pagination: entries with id < beforeId. */
  beforeId?: number | undefined;
  /** Offset pagination (the viewer's numbered pages; bounded by the count's cap). */
  offset?: number | undefined;
}

export type AuditRow = Selectable<AuditLogTable>;

function filtered(w: Work, q: AuditSearch) {
  let sel = w.tx.selectFrom('kernel.audit_log').where('tenant_code', '=', w.tenant);
  if (q.actorLogin) sel = sel.where('actor_login', '=', q.actorLogin);
  if (q.action) sel = sel.where('action', '=', q.action);
  if (q.targetType) sel = sel.where('target_type', '=', q.targetType);
  if (q.targetId) sel = sel.where('target_id', '=', q.targetId);
  if (q.subjectRef) sel = sel.where('subject_ref', '=', q.subjectRef);
  if (q.outcome) sel = sel.where('outcome', '=', q.outcome);
  if (q.from) sel = sel.where('occurred_at', '>=', q.from);
  if (q.to) sel = sel.where('occurred_at', '<', q.to);
  if (q.beforeId) sel = sel.where('id', '<', q.beforeId);
  return sel;
}

/** Search; the search itself is logged (reading the log is an access to personal data too). */
export async function searchAudit(w: Work, q: AuditSearch): Promise<AuditRow[]> {
  authorizeRead(w, q);
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
  const rows = await filtered(w, q).selectAll().orderBy('id', 'desc').limit(limit).offset(Math.max(q.offset ?? 0, 0)).execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'audit_log', detail: { filters: describe(q), results: rows.length } });
  return rows;
}

/**
 * How many entries match, counted up to `cap` + 1 (a long log is not counted to its end: past the cap the
 * viewer says the list is capped and asks for narrower conditions).  Not logged: the search it goes with is.
 */
export async function countAudit(w: Work, q: AuditSearch, cap = 10_000): Promise<number> {
  authorizeRead(w, q);
  const r = await w.tx
    .selectFrom(filtered(w, { ...q, offset: undefined }).select('id').limit(cap + 1).as('m'))
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

const CSV_HEADER = ['id', 'seq', '日時', '操作者種別', '操作者ID', '操作', '操作名', '対象種別', '対象種別名', '対象ID', '本人参照', '本人', '目的', '結果', 'リクエストID', '端末', '接続元', 'プログラム'];


/** The 本人 column for people reading the CSV: 宛名番号 N for a resident (the key stays in 本人参照). */
function subjectName(ref: string | null): string | null {
  const m = ref ? /^(?:resident|person):(\d{10})$/.exec(ref) : null;
  return m ? `宛名番号 ${m[1]!}` : null;
}

export function auditCsvLine(r: AuditRow): string {
  return [
    r.id, r.seq, r.occurred_at, r.actor_kind, r.actor_login, r.action, ACTION_LABELS[r.action] ?? r.action, r.target_type,
    r.target_type ? (TARGET_LABELS[r.target_type] ?? r.target_type) : null, r.target_id, r.subject_ref, subjectName(r.subject_ref), r.purpose, r.outcome, r.request_id, r.terminal_id, r.client_address, r.program,
  ].map(csvCell).join(',');
}

/** CSV export (UTF-8 with BOM for Excel); logged as an export. */
export async function exportAuditCsv(w: Work, q: AuditSearch): Promise<string> {
  authorizeRead(w, q);
  const rows = await filtered(w, q).selectAll().orderBy('id', 'asc').limit(Math.min(q.limit ?? 100_000, 1_000_000)).execute();
  await appendEntry(w.tx, w, { action: 'export', targetType: 'audit_log', detail: { filters: describe(q), rows: rows.length, format: 'csv' } });
  return '\uFEFF' + csvLine(CSV_HEADER) + rows.map((r) => auditCsvLine(r) + '\r\n').join('');
}

export interface AccessRecord {
  readonly at: Date;
  readonly actorKind: string;
  readonly actorLogin: string;
  readonly action: string;
  readonly actionLabel: string;
  /** What was touched (kernel.audit_log.target_type; TARGET_LABELS names it). */
  readonly targetType: string | null;
  readonly purpose: string | null;
  readonly program: string | null;
  readonly outcome: string;
}

/** Who accessed `subjectRef`'s data, when and why — newest first.  For the audit-review duty or the person themself. */
export async function accessHistory(w: Work, subjectRef: string, opts: { from?: Date; limit?: number } = {}): Promise<AccessRecord[]> {
  const self = w.actor.id !== null && subjectRef === `account:${w.actor.id}`;
  if (!self && !can(w.actor, 'audit.review', 'audit-review')) {
    throw forbidden('本人以外のアクセス記録の参照には「ログ監査」の所掌事務が必要です。').withAudit({ action: 'access_denied', targetType: 'audit_log', targetId: subjectRef, outcome: 'denied' });
  }
  let sel = w.tx
    .selectFrom('kernel.audit_log')
    .select(['occurred_at', 'actor_kind', 'actor_login', 'action', 'target_type', 'purpose', 'program', 'outcome'])
    .where('tenant_code', '=', w.tenant)
    .where('subject_ref', '=', subjectRef);
  if (opts.from) sel = sel.where('occurred_at', '>=', opts.from);
  const rows = await sel.orderBy('occurred_at', 'desc').limit(Math.min(opts.limit ?? 500, 5000)).execute();
  return rows.map((r) => ({
    at: r.occurred_at,
    actorKind: r.actor_kind,
    actorLogin: r.actor_login,
    action: r.action,
    actionLabel: ACTION_LABELS[r.action] ?? r.action,
    targetType: r.target_type,
    purpose: r.purpose,
    program: r.program,
    outcome: r.outcome,
  }));
}

function describe(q: AuditSearch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
