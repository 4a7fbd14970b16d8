// Operation-log entries (操作ログ): what an entry holds and how it is written.
// KRN-30 login/logout, KRN-31 every register/update/delete/view of SPI with the operator, KRN-33 review.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { arrayLiteral, jsonArrayText, jsonb, type Database } from '../db/index.js';
import type { Principal } from '../context/index.js';
import { redactMyNumbers } from '../log/index.js';

/** Japanese labels for the viewer; the action vocabulary is open so that later systems can add theirs. */
export const ACTION_LABELS: Record<string, string> = {
  create: '登録',
  read: '参照',
  update: '更新',
  delete: '削除',
  export: '出力',
  import: '取込',
  print: '印刷',
  search: '検索',
  login: 'ログイン',
  logout: 'ログアウト',
  login_failed: 'ログイン失敗',
  session_end: 'セッション終了',
  permission_change: '権限変更',
  account_apply: 'アカウント申請',
  account_approve: 'アカウント承認',
  account_reject: 'アカウント却下',
  account_suspend: 'アカウント停止',
  account_reinstate: 'アカウント再開',
  account_revoke: 'アカウント失効',
  account_expire: 'アカウント期限切れ',
  account_unlock: 'ロック解除',
  card_issue: '電子証明書の発行',
  password_change: 'パスワード変更',
  mfa_enroll: '多要素認証登録',
  mynumber_store: '個人番号登録',
  mynumber_lookup: '個人番号による検索',
  mynumber_reveal: '個人番号表示',
  mynumber_suppress: '個人番号抹消',
  key_rotate: '鍵更新',
  backup: 'バックアップ',
  restore: 'リストア',
  purge: '保存期間経過による削除',
  deletion_request: '削除申請',
  deletion_decide: '削除承認・却下',
  org_add: '団体登録',
  org_attach: '所属医療機関等の登録',
  settings_change: '設定変更',
  access_denied: 'アクセス拒否',
  account_lock: 'アカウントロック',
  account_update: 'アカウント情報変更',
  retention_change: '保存期間設定変更',
  audit_alert: '操作ログ改ざん検知',
  audit_alert_ack: '改ざん検知の確認',
  contractor_log_request: '委託先へのログ提出依頼',
  contractor_log_receive: '委託先ログの受領',
  exchange_inquiry: '情報照会（情報提供ネットワーク）',
  exchange_adopt: '照会結果の台帳への取込',
  exchange_provide: '情報提供（他団体への接種記録の提供）',
  exchange_copies: '副本の登録',
  exchange_codes: '符号の取得',
  exchange_check: '自動応答不可の提供の内容確認',
  exchange_approve: '自動応答不可の提供の上長承認',
  exchange_review: '情報提供等記録の点検',
  billing_close: '請求の締め（国保連への審査依頼）',
  billing_check: '国保連の審査結果の受領',
  claim_approve: '請求の承認',
  claim_hold: '請求の保留',
  payment_batch: '支払の作成（医療機関・償還払い）',
  reimbursement_receive: '償還払いの申請の受付',
  reimbursement_examine: '償還払いの審査',
  reimbursement_approve: '償還払いの承認',
  reimbursement_reject: '償還払いの却下',
  relief_receive: '健康被害救済の申請受付',
  relief_record: '健康被害救済の事案への記録（接種記録・書類・情報連携）',
  relief_committee: '予防接種健康被害調査委員会の記録',
  relief_report: '健康被害救済の国への進達',
  relief_decision: '健康被害救済の国の判定の記録',
  relief_benefit: '健康被害救済の給付の決定',
  relief_payment_order: '健康被害救済の給付の支払指示',
  relief_close: '健康被害救済の事案の終結・取下げ',
  eapply_receive: '電子申請の取込（署名検証・申請者の特定）',
  eapply_review: '電子申請の審査開始',
  eapply_decide: '電子申請の受理・却下',
};

/** What an entry's target type means, in the words staff use (screens show these, never the type itself). */
export const TARGET_LABELS: Record<string, string> = {
  account: 'アカウント', 'account-review': 'アカウントの棚卸し', membership: '所属', organisation: '団体', session: 'セッション', keys: '暗号鍵', database: 'データベース',
  'tenant-settings': 'セキュリティ設定', 'retention-policy': '保存期間の設定', 'deletion-request': '削除申請', audit_log: '操作ログ', 'audit-chain': '操作ログの改ざん検証',
  resident: '住民', 'resident-history': '住民の異動履歴', 'resident-cohort': '住民の抽出', 'resident-match': '住民の照合', 'match-queue': '照合の確認待ち', mynumber: '個人番号',
  residents: '住基ファイル', 'residents-full': '住基全件ファイル', 'residents-diff': '住基異動ファイル', 'records-clinic': '医療機関の接種記録ファイル', 'import-rejects': '取込の不備一覧',
  'relief-case': '健康被害救済の事案', 'relief-cases': '健康被害救済の事案一覧', 'relief-payment-orders': '健康被害救済の支払指示',
  'eligibility-seikatsuhogo': '生活保護ファイル', 'eligibility-kazei': '課税ファイル', 'eligibility-kaigo': '介護保険ファイル', 'copay-rule': '自己負担の規則', 'person-contact': '連絡先', 'resident-eligibility': '生活保護・課税・介護保険の情報',
  'vaccination-record': '接種記録', 'vaccination-history': '予防接種歴', 'vaccination-statistics': '接種統計', 'person-condition': '接種に関わる本人の状態', 'schedule-config': '予防接種の設定',
  'extraction-run': '対象者の抽出', 'extraction-members': '抽出対象者の一覧', 'extraction-diff': '抽出結果の差分',
  'notice-item': '通知書・接種券', 'notice-batch': '通知書の作成単位', 'notice-batch-items': '通知書の一覧', 'notice-template': '通知書の文面', 'notice-settings': '通知書の設定',
  'notice-history': '通知書の履歴', 'notice-handover': '受渡', 'notice-handovers': '受渡管理簿', 'notice-follow-up': '返送の対応', 'notice-dispatch': '発送',
  certificate: '証明書', 'certificate-application': '証明書の申請', 'certificate-register': '証明書交付簿', 'passport-items': '旅券の記載事項',
  'register-disposal': '消去・廃棄の記録', 'register-outsourcing': '委託先の管理簿', 'register-handover': '受渡管理簿（委託先）', 'register-media': '媒体管理簿',
  'register-disclosure': '開示・訂正・利用停止請求の受付簿', 'register-inquiry': '問合せ受付簿', 'register-incident': '事故・漏えい等の記録',
  'exchange-inquiry': '他団体への情報照会', 'koukin-inquiry': '公金受取口座の照会', 'covid-inquiry': '新型コロナの接種記録の照会（VRS）', 'exchange-copies': '中間サーバーの副本', 'exchange-codes': '情報提供用個人識別符号', 'data-use': '情報の利用と提供の記録',
  'exchange-admin': '情報連携の状況', 'exchange-provision': '自動応答不可の提供', 'exchange-records': '情報提供等記録', 'exchange-settings': '情報連携の設定',
  'platform-push': '予防接種プラットフォームへの登録', 'platform-records': '予防接種プラットフォームの接種記録', 'insured-enroll': '医療保険者等向け中間サーバーへの被保険者の登録', 'card-certificate': 'マイナンバーカードの電子証明書',
  'billing-claim': '医療機関への接種委託料の請求', 'billing-price': '接種委託料の単価', payee: '医療機関の支払先口座', 'billing-settings': '振込依頼人の口座',
  'payment-batch': '支払（医療機関・償還払い・健康被害救済の給付）', 'payment-file': '総合振込ファイル',
  'person-account': '住民の振込先口座', 'subsidy-program': '任意接種の助成制度', reimbursement: '償還払いの申請',
  eapplication: '電子申請', 'eapplication-list': '電子申請の一覧', 'eapplication-handover': '電子申請の引継ぎ',
};

export interface AuditEntry {
  readonly action: string;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  /** The person whose data was touched (e.g. 'resident:<宛名番号>'), for "who looked at my data". */
  readonly subjectRef?: string | undefined;
  readonly purpose?: string | undefined;
  readonly outcome?: 'success' | 'failure' | 'denied';
  /** Extra facts (counts, file names).  Never personal values; My Number-shaped text is masked anyway. */
  readonly detail?: Record<string, unknown> | undefined;
}

function safeDetailObject(detail: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!detail) return null;
  return JSON.parse(redactMyNumbers(JSON.stringify(detail))) as Record<string, unknown>;
}

/** An entry's columns as plain values (detail as an object), for writers that send rows as JSON. */
export function auditFields(p: Principal, e: AuditEntry) {
  const clip = (s: string | undefined, n = 500): string | null => (s === undefined ? null : redactMyNumbers(s).slice(0, n));
  return {
    tenant_code: p.tenant,
    actor_kind: p.actor.kind,
    actor_id: p.actor.id,
    actor_login: p.actor.login,
    action: e.action,
    target_type: clip(e.targetType, 100),
    target_id: clip(e.targetId, 200),
    subject_ref: clip(e.subjectRef, 200),
    purpose: clip(e.purpose),
    request_id: p.meta.requestId,
    client_address: p.meta.clientAddress,
    terminal_id: p.meta.terminalId,
    program: p.meta.program,
    outcome: e.outcome ?? 'success',
    detail: safeDetailObject(e.detail),
  } as const;
}

/** The columns the application role may insert into kernel.audit_log, in auditFields' order. */
export const AUDIT_INSERT_COLUMNS = 'tenant_code, actor_kind, actor_id, actor_login, action, target_type, target_id, subject_ref, purpose, request_id, client_address, terminal_id, program, outcome, detail';

export function auditRow(p: Principal, e: AuditEntry) {
  const f = auditFields(p, e);
  return { ...f, detail: f.detail === null ? null : jsonb(f.detail) } as const;
}

/** Appends one entry inside the caller's transaction (so it commits or rolls back with the operation). */
export async function appendEntry(tx: Kysely<Database>, p: Principal, e: AuditEntry): Promise<void> {
  await tx.insertInto('kernel.audit_log').values(auditRow(p, e)).execute();
}

/**
 * Appends several entries in one statement (imports and batch jobs): the principal's columns are sent once
 * and each entry's own columns as one array each, so a batch of thousands of entries costs one round trip
 * and no per-value parameters.  Same redaction and clipping as auditRow.
 */
export async function appendEntries(tx: Kysely<Database>, p: Principal, entries: readonly AuditEntry[]): Promise<void> {
  for (const q of appendEntriesStatements(p, entries)) await q.execute(tx);
}

/**
 * appendEntries as statements built now and run later (bulk writers build the next statement while the
 * database runs the previous one).  One statement per 5,000 entries.
 */
export function appendEntriesStatements(p: Principal, entries: readonly AuditEntry[]): RawBuilder<unknown>[] {
  const clip = (s: string | undefined, n: number): string | null => (s === undefined ? null : redactMyNumbers(s).slice(0, n));
  const out: RawBuilder<unknown>[] = [];
  for (let i = 0; i < entries.length; i += 5000) {
    const chunk = entries.slice(i, i + 5000);
    const col = <T>(f: (e: AuditEntry) => T): string => arrayLiteral(chunk.map(f));
    out.push(sql`INSERT INTO kernel.audit_log (tenant_code, actor_kind, actor_id, actor_login, request_id, client_address, terminal_id, program,
                                            action, target_type, target_id, subject_ref, purpose, outcome, detail)
      SELECT ${p.tenant}, ${p.actor.kind}, ${p.actor.id}, ${p.actor.login}, ${p.meta.requestId}, ${p.meta.clientAddress}, ${p.meta.terminalId}, ${p.meta.program},
             u.action, u.target_type, u.target_id, u.subject_ref, u.purpose, u.outcome, nullif(u.detail, 'null'::jsonb)
      FROM ROWS FROM (unnest(${col((e) => e.action)}::text[]), unnest(${col((e) => clip(e.targetType, 100))}::text[]), unnest(${col((e) => clip(e.targetId, 200))}::text[]),
                      unnest(${col((e) => clip(e.subjectRef, 200))}::text[]), unnest(${col((e) => clip(e.purpose, 500))}::text[]), unnest(${col((e) => e.outcome ?? 'success')}::text[]),
                      jsonb_array_elements(${jsonArrayText(chunk.map((e) => detailText(e.detail)))}::jsonb)) AS u(action, target_type, target_id, subject_ref, purpose, outcome, detail)`);
  }
  return out;
}

/** The detail as JSON text with My Number-shaped runs masked (checked to still be JSON when masking changed it). */
function detailText(detail: Record<string, unknown> | undefined): string | null {
  if (!detail) return null;
  const text = JSON.stringify(detail);
  const safe = redactMyNumbers(text);
  return safe === text ? text : JSON.stringify(JSON.parse(safe));
}
