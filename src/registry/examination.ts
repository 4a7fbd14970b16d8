// Examination of applications (issue 15 Must have 4 and 5; QUA-07, QUA-08, QUA-10, QUA-16; decisions 0192,
// 0194, 0195): the queue of a 資格管理者's staff member (only the qualifications of their duties), the checks
// made on an application (住基ネット, 戸籍, 合格者名簿), and the decisions — 承認 (which writes the register in
// the same transaction as the application's status), 補正依頼, 却下 — and the staff's own writes to the register
// (行政処分, 抹消 by disposition or on death).
//
// Permissions (decision 0195): reading needs the qualification's duty; recording a check, 補正依頼 needs
// personal.write (審査担当 or 審査責任者); 承認, 却下, 行政処分 and 抹消 need a 審査責任者 holding the duty, and
// an application is never approved by the official who received it at the counter (two persons see every paper
// application).  Anything outside the staff member's duties or tenant is a 404 identical to an unknown id, and
// logged as denied; a refused permission is a 403, logged too.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { logger } from '../kernel/log/index.js';
import { can } from '../kernel/policy/index.js';
import { Problem, conflict, notFound, parseInput } from '../kernel/problems/index.js';
import {
  addApplicationEvent, applicationMyNumber, getApplication, listApplications, transitionApplication, APPLICATION_STATUS_LABELS, type ApplicationPage, type ApplicationView,
} from './applications.js';
import { catalog, type Procedure } from './catalog.js';
import { issueCertificate, type CertificateView } from './certificates.js';
import { noticeOfCertificate, noticeOfDecision, noticeOfDisposition } from './notices.js';
import { matchPassers, type Difference } from './passers.js';
import { changeEntry, eraseEntry, recordDisposition, recordReissue, registerEntry, honsekiItemOf, type EntryView, type RegisterDeps } from './register.js';
import type { CredentialDeps } from './credentials.js';
import type { RegistrySecrets } from './secrets.js';
import { feeSettlement } from './settlement.js';
import { dutyOf, logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant, type Db, type Tx } from './store.js';

export const CHECK_SOURCES = ['juki', 'koseki', 'passers'] as const;
export type CheckSource = (typeof CHECK_SOURCES)[number];
export const CHECK_SOURCE_LABELS: Record<CheckSource, string> = { juki: '住基ネット（本人確認情報）', koseki: '戸籍（情報提供ネットワーク）', passers: '合格者名簿' };
export const CHECK_OUTCOMES = ['match', 'mismatch', 'not-found', 'deceased', 'removed', 'not-run', 'extract-requested', 'extract-received', 'not-applicable', 'error'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];
export const CHECK_OUTCOME_LABELS: Record<CheckOutcome, string> = {
  match: '一致',
  mismatch: '不一致',
  'not-found': '該当なし',
  deceased: '死亡',
  removed: '住民票消除',
  'not-run': '未実施',
  'extract-requested': '戸籍謄本等の提出を依頼',
  'extract-received': '戸籍謄本等を受領（職員が確認）',
  'not-applicable': '対象外',
  error: '照会できませんでした',
};

export interface CheckInput {
  readonly source: CheckSource;
  readonly outcome: CheckOutcome;
  /** Items that differ: as applied, as found (never a My Number, never a 住民票コード). */
  readonly differences?: readonly Difference[];
  readonly detail?: Record<string, unknown>;
  readonly by: string;
}

export interface CheckView {
  readonly seq: number;
  readonly source: CheckSource;
  readonly sourceLabel: string;
  readonly outcome: CheckOutcome;
  readonly outcomeLabel: string;
  readonly differences: readonly Difference[];
  readonly detail: Record<string, unknown>;
  readonly by: string;
  readonly at: string;
}

const differenceSchema = z.object({ item: z.string().min(1).max(200), applied: z.string().max(500), listed: z.string().max(500) }).strict();
const checkInput = z
  .object({
    source: z.enum(CHECK_SOURCES, { message: '照会先は juki・koseki・passers のいずれかです' }),
    outcome: z.enum(CHECK_OUTCOMES, { message: '結果の指定が正しくありません' }),
    differences: z.array(differenceSchema).max(50).optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    by: z.string().trim().min(1).max(60),
  })
  .strict()
  .refine((c) => !c.outcome.startsWith('extract-') || c.source === 'koseki', { message: '戸籍謄本等の依頼・受領は戸籍の照会の結果です', path: ['outcome'] });

/** An application that still waits for examination (checks and decisions are refused on a decided one). */
async function lockOpen(tx: Tx, id: string): Promise<{ tenant: string; status: string }> {
  const r = await sql<{ tenant_code: string; status: string }>`SELECT tenant_code, status FROM registry.applications WHERE id = ${id} FOR UPDATE`.execute(tx);
  const row = r.rows[0];
  if (!row) throw notFound('申請');
  if (row.status !== 'received' && row.status !== 'returned') {
    throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[row.status as keyof typeof APPLICATION_STATUS_LABELS]}」のため、照会の結果は記録できません。`);
  }
  return { tenant: row.tenant_code, status: row.status };
}

/**
 * Records the result of one check on an application, in the caller's transaction (set to its tenant): a row in
 * `application_checks` and a `checked` event in its history.  The 住基 (wt/juki) and 戸籍 (wt/koseki) checks
 * and the passer-list check all end here; the latest result of each source is the one approval reads.
 */
export async function recordCheck(tx: Tx, clock: Clock, applicationId: string, raw: CheckInput): Promise<CheckView> {
  const c = parseInput(checkInput, raw);
  const { tenant } = await lockOpen(tx, applicationId);
  const r = await sql<{ seq: number }>`
    INSERT INTO registry.application_checks (tenant_code, application_id, seq, source, outcome, differences, detail, recorded_by, recorded_at)
    SELECT ${tenant}, ${applicationId}, COALESCE(MAX(seq), 0) + 1, ${c.source}, ${c.outcome}, ${JSON.stringify(c.differences ?? [])}::jsonb, ${JSON.stringify(c.detail ?? {})}::jsonb, ${c.by}, ${clock.now()}
    FROM registry.application_checks WHERE tenant_code = ${tenant} AND application_id = ${applicationId} RETURNING seq`.execute(tx);
  await addApplicationEvent(tx, clock, tenant, applicationId, 'checked', { source: c.source, outcome: c.outcome, differences: (c.differences ?? []).length }, c.by);
  return (await listChecks(tx, applicationId)).find((x) => x.seq === r.rows[0]!.seq)!;
}

/** Every check of an application, oldest first. */
export async function listChecks(tx: Tx, applicationId: string): Promise<CheckView[]> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM registry.application_checks WHERE application_id = ${applicationId} ORDER BY seq`.execute(tx);
  return r.rows.map((x) => ({
    seq: Number(x['seq']),
    source: x['source'] as CheckSource,
    sourceLabel: CHECK_SOURCE_LABELS[x['source'] as CheckSource],
    outcome: x['outcome'] as CheckOutcome,
    outcomeLabel: CHECK_OUTCOME_LABELS[x['outcome'] as CheckOutcome],
    differences: x['differences'] as Difference[],
    detail: x['detail'] as Record<string, unknown>,
    by: String(x['recorded_by']),
    at: new Date(x['recorded_at'] as Date).toISOString(),
  }));
}

/** The latest check of each source. */
export function latestChecks(checks: readonly CheckView[]): Partial<Record<CheckSource, CheckView>> {
  const out: Partial<Record<CheckSource, CheckView>> = {};
  for (const c of checks) out[c.source] = c;
  return out;
}

export interface Requirement {
  readonly label: string;
  readonly met: boolean;
  readonly detail: string;
}

/** Procedures whose approval needs the 戸籍 check (the person's 本籍 and name are what they change or set). */
const NEEDS_KOSEKI: readonly Procedure[] = ['new', 'correction', 'rewrite'];

/**
 * What approval needs (decision 0192): the latest 住基 check matched; for 新規登録, 籍訂正 and 書換え交付 the latest
 * 戸籍 check matched or a 戸籍謄本等 was received and checked by staff; for a 新規登録 with 国家試験 items the
 * passer list matched; and the fees settled (settlement.ts).
 */
export async function approvalRequirements(tx: Tx, application: ApplicationView, checks: readonly CheckView[]): Promise<Requirement[]> {
  const last = latestChecks(checks);
  const state = (s: CheckSource) => (last[s] ? CHECK_OUTCOME_LABELS[last[s].outcome] : '未実施');
  const out: Requirement[] = [{ label: '住基ネットによる本人確認', met: last.juki?.outcome === 'match', detail: state('juki') }];
  if (NEEDS_KOSEKI.includes(application.procedure)) {
    // A person without 戸籍 (本籍 given as 国籍, 日本の国籍を有しない方) has nothing to check there: the checker's
    // 対象外 is enough for them, and only for them.
    const f = application.form as { 本籍?: { 国籍?: string }; 訂正事項?: { 本籍?: { 新?: { 国籍?: string } } } };
    const noKoseki = (application.procedure === 'new' ? f.本籍?.国籍 : f.訂正事項?.本籍?.新?.国籍) !== undefined;
    const k = last.koseki?.outcome;
    out.push({ label: '戸籍による確認（または戸籍謄本等の受領）', met: k === 'match' || k === 'extract-received' || (noKoseki && k === 'not-applicable'), detail: state('koseki') });
  }
  if (application.procedure === 'new' && (application.form['国家試験'] || application.form['看護師国家試験'])) {
    out.push({ label: '合格者名簿との照合', met: last.passers?.outcome === 'match', detail: state('passers') });
  }
  const fee = await feeSettlement(tx, application);
  out.push({ label: '手数料の納付', met: fee.settled, detail: fee.reason });
  return out;
}

/** A check the lead plugs in at merge (checkJuki, checkKoseki): the application in, a result out. */
export type ApplicationChecker = (application: ApplicationView, ctx: { readonly myNumber: () => Promise<string> }) => Promise<{ outcome: CheckOutcome; differences?: readonly Difference[]; detail?: Record<string, unknown> }>;

export interface ExaminationDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets?: RegistrySecrets;
  /** The 住基 and 戸籍 checks; a source without one is recorded as 未実施 (not-run). */
  readonly checkers?: Partial<Record<'juki' | 'koseki', ApplicationChecker>>;
  /**
   * Gives back what was paid for a rejected application (fees.ts `refundOnWithdrawal`, through 公金決済); run
   * after the rejection commits.  A failure leaves it to the fee job, which refunds what is owed.
   */
  readonly refund?: (tenant: string, applicationId: string) => Promise<unknown>;
  /** The digital certificates' issuer keys and URL (issue 16): the public verifier pages (src/web/verify) use them. */
  readonly credentials?: CredentialDeps;
}

/**
 * Runs the checks of an application and records each result (the one place the 住基・戸籍 checks are called
 * from): 住基 and 戸籍 through `deps.checkers` (outside the recording transaction: they ask other nodes), the
 * passer list against the imported lists.  A checker that throws is recorded as `error` with its Japanese title;
 * a source without a checker is recorded as 未実施 (not-run) unless it already has a result.
 */
export async function runApplicationChecks(deps: ExaminationDeps, tenant: string, id: string, by: string): Promise<CheckView[]> {
  const application = await withTenant(deps.db, tenant, (tx) => getApplication(tx, id));
  if (!application) throw notFound('申請');
  const results: CheckInput[] = [];
  const before = latestChecks(await withTenant(deps.db, tenant, (tx) => listChecks(tx, id)));
  for (const source of ['juki', 'koseki'] as const) {
    const checker = deps.checkers?.[source];
    if (!checker) {
      // 未実施 only when nothing is recorded yet: a result recorded otherwise is never hidden by it.
      if (!before[source]) results.push({ source, outcome: 'not-run', detail: { note: '照会の機能が接続されていません' }, by });
      continue;
    }
    try {
      const r = await checker(application, {
        myNumber: async () => {
          if (!deps.secrets) throw new Error('registry: the checks need the registry secrets');
          const secrets = deps.secrets;
          return withTenant(deps.db, tenant, (tx) => applicationMyNumber(tx, secrets, id));
        },
      });
      results.push({ source, ...r, by });
    } catch (e) {
      results.push({ source, outcome: 'error', detail: { note: e instanceof Problem ? e.title : '照会に失敗しました' }, by });
    }
  }
  return withTenant(deps.db, tenant, async (tx) => {
    const current = (await getApplication(tx, id))!;
    const m = await matchPassers(tx, current);
    results.push({ source: 'passers', outcome: m.outcome, differences: m.differences, detail: { compared: m.compared }, by });
    for (const r of results) await recordCheck(tx, deps.clock, id, r);
    return listChecks(tx, id);
  });
}

// ---- staff access ---------------------------------------------------------------------------------------

export type Need = 'read' | 'write' | 'decide';
const NEED_LABELS: Record<Need, string> = { read: '参照', write: '審査担当としての操作', decide: '審査責任者としての決定' };

/**
 * Checks a staff member's right on a qualification: not visible → 404 (logged denied, same as unknown);
 * visible but missing the permission → 403 (logged denied).
 */
export async function authorizeStaff(db: Db, clock: Clock, session: StaffSession, qualification: string | undefined, need: Need, target: { type: string; id: string }, requestId?: string): Promise<void> {
  const action = need === 'read' ? 'read' : need === 'write' ? 'write' : 'decide';
  const visible = qualification !== undefined && visibleQualifications(session).some((q) => q.code === qualification);
  if (!visible) {
    await logAccess(db, clock, session, { action, targetType: target.type, targetId: target.id, outcome: 'denied', requestId });
    throw notFound(target.type === 'entry' ? '登録' : '申請');
  }
  const duty = dutyOf(qualification);
  const ok = need === 'read' ? can(session.actor, 'personal.read', duty) : can(session.actor, 'personal.write', duty) && (need === 'write' || session.staff.role === 'supervisor');
  if (!ok) {
    await logAccess(db, clock, session, { action, targetType: target.type, targetId: target.id, outcome: 'denied', requestId });
    throw new Problem(403, 'FORBIDDEN', '権限がありません', `この操作（${NEED_LABELS[need]}）を行う権限がありません。`);
  }
}

/** The application's qualification (of the session's tenant), or undefined. */
async function qualificationOfApplication(db: Db, tenant: string, id: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  return withTenant(db, tenant, async (tx) => (await sql<{ q: string }>`SELECT qualification_code AS q FROM registry.applications WHERE id = ${id}`.execute(tx)).rows[0]?.q);
}

const queueQuery = z
  .object({
    status: z.enum(Object.keys(APPLICATION_STATUS_LABELS) as [keyof typeof APPLICATION_STATUS_LABELS, ...(keyof typeof APPLICATION_STATUS_LABELS)[]], { message: '状態の指定が正しくありません' }).optional(),
    qualification: z.string().regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }).optional(),
    page: z.coerce.number({ message: 'ページは1以上の数字です' }).int({ message: 'ページは1以上の数字です' }).min(1, { message: 'ページは1以上の数字です' }).max(100_000, { message: 'ページが大きすぎます' }).default(1),
    perPage: z.coerce.number({ message: '件数は1〜200の数字です' }).int().min(1, { message: '件数は1〜200の数字です' }).max(200, { message: '件数は1〜200の数字です' }).default(50),
  })
  .strict();

/** The staff member's queue: applications of the qualifications of their duties only, with totals and pages. */
export async function examinationQueue(db: Db, clock: Clock, session: StaffSession, raw: unknown, requestId?: string): Promise<ApplicationPage> {
  const q = parseInput(queueQuery, raw);
  const mine = visibleQualifications(session).map((x) => x.code);
  if (q.qualification && !mine.includes(q.qualification)) {
    await logAccess(db, clock, session, { action: 'list', targetType: 'applications', targetId: q.qualification, outcome: 'denied', requestId });
    throw notFound('資格');
  }
  const page = await withTenant(db, session.staff.tenant, (tx) =>
    listApplications(tx, { ...(q.status ? { status: q.status } : {}), ...(q.qualification ? { qualification: q.qualification } : { qualifications: mine }), page: q.page, perPage: q.perPage }),
  );
  await logAccess(db, clock, session, { action: 'list', targetType: 'applications', targetId: q.qualification ?? mine.join(','), outcome: 'ok', requestId });
  return page;
}

export interface ApplicationDetail {
  readonly application: ApplicationView;
  readonly checks: readonly CheckView[];
  readonly requirements: readonly Requirement[];
  readonly approvable: boolean;
}

/** One application for examination: form, attachments, history, checks and what approval still needs; logged. */
export async function applicationDetail(db: Db, clock: Clock, session: StaffSession, id: string, requestId?: string): Promise<ApplicationDetail> {
  const target = { type: 'application', id: String(id).slice(0, 40) };
  await authorizeStaff(db, clock, session, await qualificationOfApplication(db, session.staff.tenant, id), 'read', target, requestId);
  const detail = await withTenant(db, session.staff.tenant, async (tx) => {
    const application = (await getApplication(tx, id))!;
    const checks = await listChecks(tx, id);
    const requirements = await approvalRequirements(tx, application, checks);
    return { application, checks, requirements, approvable: (application.status === 'received') && requirements.every((r) => r.met) };
  });
  await logAccess(db, clock, session, { action: 'read', targetType: 'application', targetId: id, outcome: 'ok', requestId });
  return detail;
}

// ---- decisions ------------------------------------------------------------------------------------------

const reason = z.string({ message: '理由を入力してください' }).trim().min(1, { message: '理由を入力してください' }).max(1000, { message: '理由は1000文字以内です' });
const decisionInput = z.discriminatedUnion('action', [
  z.object({ action: z.literal('approve'), reason: reason.optional() }).strict(),
  z.object({ action: z.literal('return'), reason }).strict(),
  z.object({ action: z.literal('reject'), reason }).strict(),
], { message: '決定は approve（承認）・return（補正依頼）・reject（却下）のいずれかです' });
export type Decision = z.input<typeof decisionInput>;

export interface DecisionResult {
  readonly application: ApplicationView;
  readonly entry: EntryView | null;
}

/**
 * Mamori's reason codes for changes made from an application (the code masters of each file are QUA-36 work;
 * these are recorded with the 事由 in the 記事 so nothing is lost when the masters come).
 */
export const CHANGE_REASON_CODES: Record<string, string> = { 婚姻: '01', 離婚: '02', 養子縁組: '03', 離縁: '04', 転籍: '05', '氏の変更（戸籍法第107条）': '06', 名の変更: '07', 誤記の訂正: '08', その他: '99' };
export const REISSUE_REASON_CODES: Record<string, string> = { 亡失: '01', 損傷: '02', 汚損: '03', その他: '99' };
export const ERASURE_REASON_CODES: Record<string, string> = { 業務の廃止: '01', その他: '99' };

const o = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Writes the register for an approved application, in the application's transaction. */
async function applyToRegister(deps: RegisterDeps & { tx: Tx }, a: ApplicationView, by: string): Promise<EntryView> {
  const q = catalog().qualification(a.qualification)!;
  const f = a.form;
  switch (a.procedure) {
    case 'new': {
      if (!deps.secrets) throw new Error('registry: approval of a new registration needs the registry secrets');
      const myNumber = await applicationMyNumber(deps.tx, deps.secrets, a.id);
      return registerEntry(deps, { applicationId: a.id, qualification: a.qualification, application: f, myNumber, approvedBy: by });
    }
    case 'correction':
    case 'rewrite': {
      const what = o(f['訂正事項']);
      const name = o(what['氏名']);
      const honseki = o(o(what['本籍'])['新']);
      const newName = o(name['新']);
      const kana = o(name['新フリガナ']);
      const items: Record<string, string> = {};
      const item = honsekiItemOf(q);
      const honsekiValue = s(honseki['都道府県コード']) ?? (s(honseki['国籍']) ? `国籍：${s(honseki['国籍'])}` : undefined);
      if (item && honsekiValue) items[item] = honsekiValue;
      const cause = s(f['事由']) ?? 'その他';
      return changeEntry(deps, {
        qualification: a.qualification, number: a.registrationNo, kind: a.procedure, reasonCode: CHANGE_REASON_CODES[cause] ?? '99',
        note: `${cause}（${s(f['事由の生じた年月日']) ?? ''}）申請 ${a.id}`.slice(0, 500),
        ...(Object.keys(items).length ? { items } : {}),
        ...(s(newName['姓']) && s(newName['名']) && s(kana['姓']) && s(kana['名']) ? { name: { 姓: s(newName['姓']), 名: s(newName['名']), フリガナ: { 姓: s(kana['姓']), 名: s(kana['名']) } } } : {}),
        by,
      });
    }
    case 'reissue': {
      const why = s(f['再交付の理由']) ?? 'その他';
      return recordReissue(deps, { qualification: a.qualification, number: a.registrationNo, reasonCode: REISSUE_REASON_CODES[why] ?? '99', note: `${why}${s(f['理由の詳細']) ? `：${s(f['理由の詳細'])}` : ''}`.slice(0, 500), by });
    }
    case 'erasure': {
      const why = s(f['抹消の理由']) ?? 'その他';
      return eraseEntry(deps, { qualification: a.qualification, number: a.registrationNo, cause: 'request', reasonCode: ERASURE_REASON_CODES[why] ?? '99', note: `${why}${s(f['理由の詳細']) ? `：${s(f['理由の詳細'])}` : ''}`.slice(0, 500), by });
    }
  }
}

/** The certificate an approved application issues (新規登録・再交付・書換え交付), or null (籍訂正, 抹消). */
async function issueCertificateFor(tx: Tx, clock: Clock, a: ApplicationView, entry: EntryView, by: string): Promise<CertificateView | null> {
  if (a.procedure !== 'new' && a.procedure !== 'reissue' && a.procedure !== 'rewrite') return null;
  const detail = a.procedure === 'reissue' ? s(a.form['再交付の理由']) : a.procedure === 'rewrite' ? s(a.form['事由']) : undefined;
  return issueCertificate(tx, clock, entry, { reason: a.procedure, by, applicationId: a.id, detail: detail ?? null });
}

/**
 * A decision on an application by a staff member (decision 0195).  承認: every requirement met (checks and
 * fees), then the register written (新規登録 → registerEntry with the application's 登録番号 recorded on it;
 * 籍訂正・書換え → changeEntry; 再交付 → the reissue; 抹消 → eraseEntry, cause request) and the application
 * approved — one transaction: both or neither.  補正依頼 (returned, with the reason) and 却下 (with the reason).
 * Deciding a decided application again is a 409 (APPLICATION_STATE); approving twice never registers twice.
 */
export async function decideApplication(deps: ExaminationDeps, session: StaffSession, id: string, raw: unknown, requestId?: string): Promise<DecisionResult> {
  const d = parseInput(decisionInput, raw);
  const target = { type: 'application', id: String(id).slice(0, 40) };
  const qualification = await qualificationOfApplication(deps.db, session.staff.tenant, id);
  await authorizeStaff(deps.db, deps.clock, session, qualification, d.action === 'return' ? 'write' : 'decide', target, requestId);
  const by = session.staff.userId;
  const result = await withTenant(deps.db, session.staff.tenant, async (tx) => {
    const lock = await sql<{ status: string }>`SELECT status FROM registry.applications WHERE id = ${id} FOR UPDATE`.execute(tx);
    const application = (await getApplication(tx, id))!;
    if (lock.rows[0]?.status !== 'received') {
      throw conflict('APPLICATION_STATE', `この申請は「${application.statusLabel}」のため、この操作はできません。`);
    }
    if (d.action !== 'approve') {
      const decided = await transitionApplication(tx, deps.clock, id, { from: ['received'], to: d.action === 'return' ? 'returned' : 'rejected', by, reason: d.reason });
      // QUA-26: the applicant is told online, in the decision's transaction.
      await noticeOfDecision(tx, deps.clock, application, { action: d.action, reason: d.reason, isNew: application.procedure === 'new' });
      return { application: decided, entry: null };
    }
    if (application.channel === 'paper' && application.receivedBy === by) {
      throw new Problem(403, 'SAME_OFFICIAL', '承認できません', '窓口で受け付けた職員は、その申請を承認できません。別の審査責任者が承認してください。');
    }
    const unmet = (await approvalRequirements(tx, application, await listChecks(tx, id))).filter((r) => !r.met);
    if (unmet.length) throw conflict('REQUIREMENTS_NOT_MET', `承認の条件を満たしていません: ${unmet.map((r) => `${r.label}（${r.detail}）`).join('、')}`);
    const entry = await applyToRegister({ db: deps.db, clock: deps.clock, ...(deps.secrets ? { secrets: deps.secrets } : {}), tx }, application, by);
    const approved = await transitionApplication(tx, deps.clock, id, { from: ['received'], to: 'approved', by, reason: d.reason ?? null, registrationNo: entry.number });
    // QUA-25: the 免許証・登録証 is issued with the approval of a 新規登録, 再交付 or 書換え交付 (decision 0215).
    const certificate = await issueCertificateFor(tx, deps.clock, application, entry, by);
    // QUA-26: the applicant is told online (approval, and the certificate to collect).
    await noticeOfDecision(tx, deps.clock, application, { action: 'approve', registrationNo: entry.number, registeredOn: entry.registeredOn, isNew: application.procedure === 'new' });
    if (certificate) await noticeOfCertificate(tx, deps.clock, { ...certificate, applicationId: id });
    return { application: approved, entry };
  });
  await logAccess(deps.db, deps.clock, session, { action: 'decide', targetType: 'application', targetId: id, outcome: 'ok', requestId });
  if (d.action === 'reject' && deps.refund) {
    try {
      await deps.refund(session.staff.tenant, id);
    } catch (e) {
      logger().warn({ tenant: session.staff.tenant, application: id, err: (e as Error).message }, 'registry: refund on rejection failed (the fee job refunds what is owed)');
    }
  }
  return result;
}

/** Staff record that the applicant's 戸籍謄本等 was asked for or received and checked (source koseki). */
export async function recordKosekiExtract(deps: ExaminationDeps, session: StaffSession, id: string, raw: unknown, requestId?: string): Promise<CheckView> {
  const input = parseInput(z.object({ state: z.enum(['requested', 'received'], { message: 'requested（依頼）または received（受領）です' }), note: z.string().trim().max(500).optional() }).strict(), raw);
  await authorizeStaff(deps.db, deps.clock, session, await qualificationOfApplication(deps.db, session.staff.tenant, id), 'write', { type: 'application', id: String(id).slice(0, 40) }, requestId);
  const view = await withTenant(deps.db, session.staff.tenant, (tx) =>
    recordCheck(tx, deps.clock, id, { source: 'koseki', outcome: input.state === 'requested' ? 'extract-requested' : 'extract-received', detail: input.note ? { note: input.note } : {}, by: session.staff.userId }),
  );
  await logAccess(deps.db, deps.clock, session, { action: 'write', targetType: 'application', targetId: id, outcome: 'ok', requestId });
  return view;
}

/** Staff run the checks of an application (審査担当 or 審査責任者). */
export async function runChecksAsStaff(deps: ExaminationDeps, session: StaffSession, id: string, requestId?: string): Promise<CheckView[]> {
  await authorizeStaff(deps.db, deps.clock, session, await qualificationOfApplication(deps.db, session.staff.tenant, id), 'write', { type: 'application', id: String(id).slice(0, 40) }, requestId);
  const checks = await runApplicationChecks(deps, session.staff.tenant, id, session.staff.userId);
  await logAccess(deps.db, deps.clock, session, { action: 'write', targetType: 'application', targetId: id, outcome: 'ok', requestId });
  return checks;
}

// ---- the staff's own writes to the register ---------------------------------------------------------------

// The register's own schemas check each value (dates, codes); these only say what must be there, in Japanese.
const given = z.string({ message: '入力してください' }).max(500);
const staffDisposition = z.object({
  kind: z.enum(['suspension', 'revocation'], { message: '業務停止（suspension）または免許取消（revocation）を選んでください' }),
  decidedOn: given, code: given, from: given, until: given.optional(), issueNo: given, note: given.optional(),
}).strict();
const staffErasure = z.object({
  cause: z.enum(['disposition', 'death'], { message: '抹消の原因は行政処分（disposition）または死亡（death）です（申請による抹消は申請の承認で行います）' }),
  on: given.optional(), reasonCode: given, note: given.optional(),
}).strict();

/** A write to an entry by a 審査責任者 holding the qualification's duty: checked, done, logged. */
async function staffEntryWrite(deps: ExaminationDeps, session: StaffSession, qualification: string, number: unknown, requestId: string | undefined, write: (by: string) => Promise<EntryView>): Promise<EntryView> {
  const target = { type: 'entry', id: `${String(qualification).slice(0, 40)}:${String(number).slice(0, 20)}` };
  await authorizeStaff(deps.db, deps.clock, session, visibleCode(session, qualification), 'decide', target, requestId);
  const entry = await write(session.staff.userId);
  await logAccess(deps.db, deps.clock, session, { action: 'write', targetType: 'entry', targetId: target.id, outcome: 'ok', requestId });
  return entry;
}

/** A 行政処分 recorded by a 審査責任者 holding the qualification's duty (QUA-10). */
export async function staffRecordDisposition(deps: ExaminationDeps, session: StaffSession, qualification: string, number: unknown, raw: unknown, requestId?: string): Promise<EntryView> {
  const input = parseInput(staffDisposition, raw);
  return staffEntryWrite(deps, session, qualification, number, requestId, (by) =>
    withTenant(deps.db, session.staff.tenant, async (tx) => {
      const entry = await recordDisposition({ db: deps.db, clock: deps.clock, tx }, { qualification, number, ...input, by });
      // QUA-26: the person is told online, in the disposition's transaction.
      await noticeOfDisposition(tx, deps.clock, { qualification: entry.qualification, registrationNo: entry.number, kind: input.kind, from: input.from, until: input.until ?? null });
      return entry;
    }),
  );
}

/** 抹消 by disposition or on death, by a 審査責任者 holding the qualification's duty (QUA-11…14). */
export async function staffEraseEntry(deps: ExaminationDeps, session: StaffSession, qualification: string, number: unknown, raw: unknown, requestId?: string): Promise<EntryView> {
  const input = parseInput(staffErasure, raw);
  return staffEntryWrite(deps, session, qualification, number, requestId, (by) => eraseEntry({ db: deps.db, clock: deps.clock }, { qualification, number, ...input, by }));
}

/** The code when it is one of the session's qualifications (404 otherwise, through authorizeStaff). */
function visibleCode(session: StaffSession, qualification: string): string | undefined {
  const code = String(qualification).slice(0, 40);
  return visibleQualifications(session).some((q) => q.code === code) ? code : undefined;
}

