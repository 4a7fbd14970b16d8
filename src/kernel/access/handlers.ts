// The roster of named handlers of 特定個人情報 (取扱者名簿) and requests to contractors for their handling logs
// (委託先のアクセスログ提出依頼) — KRN-47, decision 0117.
//
// The roster is derived from the accounts, never kept by hand: every live (active or suspended) account that
// may handle My Number data — the My Number view flag, a duty that handles the number itself (宛名管理, 情報連携,
// 健康被害救済), or a contractor account (a contractor's staff are named handlers or have no account).  A
// supervisor (所属長・責任者) is listed as 取扱責任者, everyone else as 事務取扱担当者.  Screen and CSV for the
// account administrator; each view or export is logged.
//
// A log request records what the tenant asked of a contractor company (one that has contractor accounts):
// the period, the request and due dates, and later the receipt.  Overdue requests are flagged.
import { z } from 'zod';
import type { Generated } from 'kysely';
import type { Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { conflict, invalidField, notFound, parseInput } from '../problems/index.js';
import { csvDocument } from '../csv/index.js';
import { authorize, dutyLabel, role as roleDef } from '../policy/index.js';
import { optionalText, plainDate, text } from '../fields/index.js';
import { toView, ACCOUNT_STATUS_LABELS, type AccountView } from './accounts.js';

export interface ContractorLogRequestTable {
  tenant_code: string;
  id: Generated<string>;
  contractor_company: string;
  period_from: string;
  period_to: string;
  requested_on: string;
  due_on: string;
  note: string | null;
  requested_by: string;
  status: 'requested' | 'received';
  received_on: string | null;
  received_by: string | null;
  received_note: string | null;
  created_at: Generated<Date>;
}

declare module '../db/types.js' {
  interface Database {
    'kernel.contractor_log_requests': ContractorLogRequestTable;
  }
}

/** Duties whose work handles the My Number itself (not only data keyed by the 宛名番号). */
export const MYNUMBER_DUTIES: readonly string[] = ['addressee', 'exchange', 'relief'];

export type HandlerClass = '取扱責任者' | '事務取扱担当者';

export interface RosterEntry {
  readonly account: AccountView;
  readonly handlerClass: HandlerClass;
  /** Why the account is on the roster. */
  readonly grounds: readonly ('mynumber-view' | 'mynumber-duty' | 'contractor')[];
}

const GROUND_LABELS = { 'mynumber-view': '個人番号閲覧可能フラグ', 'mynumber-duty': '個人番号を扱う所掌事務', contractor: '委託先従事者' } as const;

async function rosterOf(w: Work): Promise<RosterEntry[]> {
  const now = w.clock.now();
  const rows = await w.tx.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', w.tenant).where('status', 'in', ['active', 'suspended']).orderBy('kind').orderBy('login_id').execute();
  const out: RosterEntry[] = [];
  for (const r of rows) {
    const a = toView(r, now);
    const grounds: RosterEntry['grounds'][number][] = [];
    if (a.mynumberView) grounds.push('mynumber-view');
    if (a.duties.some((d) => MYNUMBER_DUTIES.includes(d))) grounds.push('mynumber-duty');
    if (a.kind === 'contractor') grounds.push('contractor');
    if (grounds.length) out.push({ account: a, handlerClass: a.role === 'supervisor' ? '取扱責任者' : '事務取扱担当者', grounds });
  }
  return out;
}

/** The roster for the account administrator (screen); logged as a read. */
export async function handlerRoster(w: Work): Promise<RosterEntry[]> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'handler-roster' });
  const roster = await rosterOf(w);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'handler-roster', detail: { rows: roster.length } });
  return roster;
}

const ROSTER_HEADER = ['取扱区分', '種別', '委託先事業者', '契約終了日', '氏名', 'ログインID', '所属', '役割', '所掌事務', '個人番号閲覧', '名簿に載る理由', '状態', '有効期限', '最終ログイン', '承認者'];


/** 取扱者名簿 as CSV (UTF-8 with BOM, for Excel); logged as an export.  No My Number, no secrets. */
export async function handlerRosterCsv(w: Work): Promise<string> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'handler-roster' });
  const roster = await rosterOf(w);
  const lines = roster.map(({ account: a, handlerClass, grounds }) =>
    [
      handlerClass, a.kind === 'contractor' ? '委託先' : '職員', a.contractorCompany, a.contractEnd, a.fullName, a.loginId, a.department,
      roleDef(a.role)?.label ?? a.role, a.duties.map(dutyLabel).join('・'), a.mynumberView ? '可' : '不可', grounds.map((g) => GROUND_LABELS[g]).join('・'),
      ACCOUNT_STATUS_LABELS[a.status], a.expiresOn, a.lastLoginAt, a.approvedBy,
    ],
  );
  await appendEntry(w.tx, w, { action: 'export', targetType: 'handler-roster', detail: { rows: roster.length } });
  return csvDocument(ROSTER_HEADER, lines);
}

export function groundLabel(g: RosterEntry['grounds'][number]): string {
  return GROUND_LABELS[g];
}

// ------------------------------------------------------------------ contractor log requests

export interface ContractorLogRequest {
  readonly id: string;
  readonly company: string;
  readonly periodFrom: string;
  readonly periodTo: string;
  readonly requestedOn: string;
  readonly dueOn: string;
  readonly note: string | null;
  readonly requestedBy: string;
  readonly status: 'requested' | 'received';
  readonly receivedOn: string | null;
  readonly receivedBy: string | null;
  readonly receivedNote: string | null;
  /** Not received and past the due date (as of the kernel clock's today). */
  readonly overdue: boolean;
}

const RequestInput = z
  .object({
    company: text(100),
    periodFrom: plainDate,
    periodTo: plainDate,
    dueOn: plainDate,
    note: optionalText(500),
  })
  .superRefine((v, ctx) => {
    if (v.periodFrom > v.periodTo) ctx.addIssue({ code: 'custom', path: ['periodTo'], message: '対象期間の終了日は開始日以降にしてください', params: { code: 'PERIOD_ORDER' } });
  });

const ReceiptInput = z.object({ receivedOn: plainDate, note: optionalText(500) });

/** Companies that have contractor accounts in this tenant (any status): whom a request may go to. */
export async function contractorCompanies(w: Work): Promise<string[]> {
  const rows = await w.tx.selectFrom('kernel.accounts').select('contractor_company').distinct().where('tenant_code', '=', w.tenant).where('kind', '=', 'contractor').where('contractor_company', 'is not', null).orderBy('contractor_company').execute();
  return rows.map((r) => r.contractor_company!);
}

export async function requestContractorLogs(w: Work, raw: unknown): Promise<ContractorLogRequest> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'contractor-log-request' });
  const v = parseInput(RequestInput, raw);
  const today = w.clock.today();
  if (!(await contractorCompanies(w)).includes(v.company)) throw invalidField('company', 'CONTRACTOR_UNKNOWN', '委託先アカウントのない事業者です');
  if (v.dueOn < today) throw invalidField('dueOn', 'DUE_IN_PAST', '提出期限は今日以降にしてください');
  if (v.periodTo > today) throw invalidField('periodTo', 'PERIOD_IN_FUTURE', '対象期間は今日までにしてください');
  const r = await w.tx
    .insertInto('kernel.contractor_log_requests')
    .values({ tenant_code: w.tenant, contractor_company: v.company, period_from: v.periodFrom, period_to: v.periodTo, requested_on: today, due_on: v.dueOn, note: v.note ?? null, requested_by: w.actor.login, status: 'requested' })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'contractor_log_request', targetType: 'contractor-log-request', targetId: r.id, detail: { company: v.company, from: v.periodFrom, to: v.periodTo, due: v.dueOn } });
  return toRequest(r, today);
}

export async function receiveContractorLogs(w: Work, id: string, raw: unknown): Promise<ContractorLogRequest> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'contractor-log-request', id });
  const v = parseInput(ReceiptInput, raw);
  const today = w.clock.today();
  const cur = await w.tx.selectFrom('kernel.contractor_log_requests').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!cur) throw notFound('ログ提出依頼');
  if (cur.status === 'received') throw conflict('ALREADY_RECEIVED', 'この依頼は受領済みです。');
  if (v.receivedOn > today || v.receivedOn < String(cur.requested_on)) throw invalidField('receivedOn', 'RECEIVED_ON_RANGE', '受領日は依頼日から今日までの日付にしてください');
  const r = await w.tx
    .updateTable('kernel.contractor_log_requests')
    .set({ status: 'received', received_on: v.receivedOn, received_by: w.actor.login, received_note: v.note ?? null })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'contractor_log_receive', targetType: 'contractor-log-request', targetId: id, detail: { company: cur.contractor_company, receivedOn: v.receivedOn } });
  return toRequest(r, today);
}

export async function listContractorLogRequests(w: Work): Promise<ContractorLogRequest[]> {
  authorize(w.actor, 'accounts.manage', 'account-admin', { type: 'contractor-log-request' });
  const today = w.clock.today();
  const rows = await w.tx.selectFrom('kernel.contractor_log_requests').selectAll().where('tenant_code', '=', w.tenant).orderBy('requested_on', 'desc').orderBy('created_at', 'desc').limit(500).execute();
  return rows.map((r) => toRequest(r, today));
}

const day = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

function toRequest(r: { id: string; contractor_company: string; period_from: unknown; period_to: unknown; requested_on: unknown; due_on: unknown; note: string | null; requested_by: string; status: 'requested' | 'received'; received_on: unknown; received_by: string | null; received_note: string | null }, today: string): ContractorLogRequest {
  const dueOn = day(r.due_on);
  return {
    id: r.id,
    company: r.contractor_company,
    periodFrom: day(r.period_from),
    periodTo: day(r.period_to),
    requestedOn: day(r.requested_on),
    dueOn,
    note: r.note,
    requestedBy: r.requested_by,
    status: r.status,
    receivedOn: r.received_on === null ? null : day(r.received_on),
    receivedBy: r.received_by,
    receivedNote: r.received_note,
    overdue: r.status === 'requested' && dueOn < today,
  };
}
