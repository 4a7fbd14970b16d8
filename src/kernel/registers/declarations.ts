// The registers the seeds promise (decision 0126), each declared once: its name and Japanese label, the
// duties that keep it, its fields, its statuses and the dated steps that move an entry along.  Values of
// choice fields are the Japanese words themselves (what staff read is what is stored and exported).
import { addDays } from '../jp/index.js';

export type FieldType = 'text' | 'textarea' | 'date' | 'number' | 'select';

export interface FieldDef {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly options?: readonly string[];
  readonly hint?: string;
  readonly default?: string;
  /** Shown as a column of the list screen. */
  readonly list?: boolean;
}

export interface StatusDef {
  readonly code: string;
  readonly label: string;
  /** Counted as open (still needing work) on the index and the home. */
  readonly open: boolean;
}

export type Values = Readonly<Record<string, string>>;

export interface StepDef {
  readonly kind: string;
  readonly label: string;
  /** Label of the step's date (every step has one). */
  readonly dateLabel: string;
  readonly fields: readonly FieldDef[];
  /** Statuses the step may be recorded in (any when absent). */
  readonly from?: readonly string[];
  /** The status the entry has after the step. */
  readonly sets?: string | ((v: Values) => string);
}

export interface RegisterDef {
  readonly name: string;
  readonly label: string;
  readonly requirement: string;
  /** One sentence for the screen: what is recorded here and why. */
  readonly purpose: string;
  /** Duties whose write permission keeps the register (read permission reads it). */
  readonly duties: readonly string[];
  /** The system administrator (settings) may record too: equipment, media and contracts are their work as well. */
  readonly adminWrites: boolean;
  readonly fields: readonly FieldDef[];
  readonly statuses: readonly StatusDef[];
  readonly initial: string;
  readonly steps: readonly StepDef[];
  /** The date field the list is ordered and filtered by. */
  readonly dateField: string;
  /** Checks across fields; returns field → message. */
  readonly check?: (v: Values) => Readonly<Record<string, string | undefined>>;
  /** Checks a step against the entry; returns field → message. */
  readonly checkStep?: (kind: string, step: Values, entry: { data: Values; dueOn: string | null }) => Readonly<Record<string, string | undefined>>;
  /** The watched date (deadline) and the escalation flag of an entry. */
  readonly derive?: (v: Values, prior: { dueOn: string | null; steps: readonly string[] } | null) => { dueOn?: string | null; flagged?: boolean };
  /** A step that moves the watched date (an extension) or, with null, ends the watch (the report made). */
  readonly stepDue?: (kind: string, step: Values) => string | null | undefined;
}

const YESNO = ['いいえ', 'はい'] as const;
export const MYNUMBER_WARNING = '個人番号（マイナンバー）は書かないでください。12桁の番号は受け付けません。';

/** Who did the step, for the steps whose doer is not necessarily the one who records it. */
const actor = (label = '実施者'): FieldDef => ({ name: 'actor', label, type: 'text', required: true });

// ---------------------------------------------------------------- KRN-53: the decision deadline

/**
 * 開示・訂正・利用停止の決定期限 (seed 001: 「請求を受けた日の翌日から14日以内に決定」): the day after receipt is
 * day 1, so the 14th day is receipt + 14 calendar days.  Weekends, holidays and 年末年始 are counted and the
 * deadline does not move off them: it is the municipality's own time limit, not one for an act towards it
 * (行政機関の休日に関する法律 2条 extends only the latter).  Decision 0126.
 */
export function disclosureDeadline(receivedOn: string): string {
  return addDays(receivedOn, 14);
}

export const DISCLOSURE_DECISIONS: Readonly<Record<string, readonly string[]>> = {
  開示: ['全部開示', '部分開示', '不開示'],
  訂正: ['訂正する', '訂正しない'],
  利用停止: ['利用停止する', '利用停止しない'],
};

// ---------------------------------------------------------------- KRN-55: the report to the PPC

/**
 * Target dates of the report to 個人情報保護委員会 (特定個人情報の漏えい等に関する報告等に関する規則 3条; PPC
 * guidelines): 速報 「速やかに」, in practice within about 3–5 days of learning of the incident; 確報 within 30
 * days, 60 when it may have been done for an unlawful purpose (不正アクセス等).  Counted from the day after
 * the day the incident became known.  Decision 0126.
 */
export function ppcReportDue(discoveredOn: string, unlawfulPurpose: boolean): { preliminary: string; final: string } {
  return { preliminary: addDays(discoveredOn, 5), final: addDays(discoveredOn, unlawfulPurpose ? 60 : 30) };
}

const INCIDENT_STEP = (kind: string, label: string, extra: FieldDef[] = [], sets?: string): StepDef => ({
  kind,
  label,
  dateLabel: '実施日',
  fields: [...extra, { name: 'content', label: '内容', type: 'textarea', required: true, hint: MYNUMBER_WARNING }, actor()],
  from: ['open'],
  ...(sets ? { sets } : {}),
});

export const REGISTERS: readonly RegisterDef[] = [
  {
    name: 'disposal',
    label: '消去・廃棄の記録',
    requirement: 'KRN-41',
    purpose: '特定個人情報を記録した機器・電子記録媒体・書類を消去または廃棄したときに、方法・証明書・実施者・立会者を記録します。',
    duties: ['safeguards'],
    adminWrites: true,
    fields: [
      { name: 'target', label: '対象の種類', type: 'select', required: true, options: ['機器', '電子記録媒体', '紙'], list: true },
      { name: 'item', label: '対象（名称・管理番号）', type: 'text', required: true, list: true, hint: '例：端末 PC-012 の内蔵ディスク、媒体 USB-003、令和6年度予診票' },
      { name: 'method', label: '方法', type: 'select', required: true, options: ['消去ソフト', '物理破壊', '裁断', '溶解'], list: true },
      { name: 'certificate', label: '消去証明書番号', type: 'text', hint: '委託先が実施したときは、提出された消去証明書の番号' },
      { name: 'disposedOn', label: '消去・廃棄日', type: 'date', required: true, list: true },
      { name: 'doneBy', label: '実施者', type: 'text', required: true, list: true },
      { name: 'witness', label: '立会者', type: 'text', required: true },
      { name: 'note', label: '備考', type: 'textarea', hint: MYNUMBER_WARNING },
    ],
    statuses: [{ code: 'recorded', label: '記録済み', open: false }],
    initial: 'recorded',
    steps: [],
    dateField: 'disposedOn',
  },
  {
    name: 'outsourcing',
    label: '委託先の管理簿',
    requirement: 'KRN-49',
    purpose: '特定個人情報を取り扱う委託の契約ごとに、再委託の承諾（履行体制図）、年1回の報告、契約終了時の削除報告を記録します。従事者名簿は取扱者名簿で管理します。',
    duties: ['safeguards'],
    adminWrites: true,
    fields: [
      { name: 'company', label: '委託先事業者', type: 'text', required: true, list: true },
      { name: 'contractNo', label: '契約番号', type: 'text', required: true, list: true },
      { name: 'periodFrom', label: '契約期間（開始日）', type: 'date', required: true, list: true },
      { name: 'periodTo', label: '契約期間（終了日）', type: 'date', required: true, list: true },
      { name: 'scope', label: '委託の範囲', type: 'textarea', required: true, hint: '委託する事務と、取り扱わせる特定個人情報の範囲' },
      { name: 'rosterReceived', label: '従事者名簿の提出', type: 'select', options: ['未提出', '提出済み'], default: '未提出' },
      { name: 'note', label: '備考', type: 'textarea', hint: MYNUMBER_WARNING },
    ],
    statuses: [
      { code: 'active', label: '契約中', open: true },
      { code: 'ended', label: '終了（削除報告受領済み）', open: false },
    ],
    initial: 'active',
    steps: [
      {
        kind: 'resubcontract',
        label: '再委託の承諾',
        dateLabel: '承諾日',
        from: ['active'],
        fields: [
          { name: 'subcontractor', label: '再委託先事業者', type: 'text', required: true },
          { name: 'appliedOn', label: '申請日', type: 'date', required: true },
          { name: 'method', label: '承諾の方法', type: 'select', required: true, options: ['書面', '電磁的方法'] },
          { name: 'approver', label: '承諾者', type: 'text', required: true },
          { name: 'chart', label: '履行体制図（番号・版）', type: 'text', required: true },
        ],
      },
      {
        kind: 'inspection',
        label: '年1回の報告・検査',
        dateLabel: '報告を受けた日',
        fields: [
          { name: 'fiscalYear', label: '対象年度', type: 'text', required: true, hint: '例：令和7年度' },
          { name: 'result', label: '結果の概要', type: 'textarea', required: true, hint: MYNUMBER_WARNING },
          { name: 'actor', label: '確認者', type: 'text', required: true },
        ],
      },
      {
        kind: 'deletion',
        label: '契約終了時の削除報告',
        dateLabel: '報告を受けた日',
        from: ['active'],
        sets: 'ended',
        fields: [
          { name: 'certificate', label: '削除証明書・報告書の番号', type: 'text', required: true },
          { name: 'actor', label: '確認者', type: 'text', required: true },
        ],
      },
    ],
    dateField: 'periodFrom',
    check: (v) => (v['periodFrom'] && v['periodTo'] && v['periodFrom'] > v['periodTo'] ? { periodTo: '契約期間の終了日は開始日以降にしてください' } : {}),
  },
  {
    name: 'handover',
    label: '受渡管理簿',
    requirement: 'KRN-50',
    purpose: '委託先に特定個人情報を受け渡したときに、媒体・件数・利用期限・返却方法を記録し、返却または消去を確認します（通知書の印刷委託の受渡は通知書の画面で記録します）。',
    duties: ['safeguards'],
    adminWrites: true,
    fields: [
      { name: 'company', label: '受渡先事業者', type: 'text', required: true, list: true },
      { name: 'contract', label: '委託先の管理簿の番号', type: 'number', hint: '委託先の管理簿に登録した契約の番号' },
      { name: 'content', label: '受け渡した情報', type: 'textarea', required: true, hint: MYNUMBER_WARNING },
      { name: 'medium', label: '媒体', type: 'select', required: true, options: ['暗号化した電子記録媒体', '暗号化した通信', '紙', 'その他'], list: true },
      { name: 'items', label: '件数', type: 'number', required: true, list: true },
      { name: 'handedOn', label: '受渡日', type: 'date', required: true, list: true },
      { name: 'useUntil', label: '利用期限', type: 'date', required: true, list: true },
      { name: 'returnMethod', label: '返却・消去の方法', type: 'select', required: true, options: ['返却', '消去（消去証明書の提出）', '溶解・裁断'] },
      { name: 'handedBy', label: '受け渡した職員', type: 'text', required: true },
      { name: 'receivedBy', label: '受け取った者', type: 'text', required: true },
    ],
    statuses: [
      { code: 'out', label: '受渡中', open: true },
      { code: 'closed', label: '返却・消去を確認済み', open: false },
    ],
    initial: 'out',
    steps: [
      {
        kind: 'confirm',
        label: '返却・消去の確認',
        dateLabel: '確認日',
        from: ['out'],
        sets: 'closed',
        fields: [
          { name: 'how', label: '確認した内容', type: 'select', required: true, options: ['返却された', '消去された（証明書あり）', '廃棄された'] },
          { name: 'certificate', label: '証明書の番号', type: 'text' },
          actor('確認した職員'),
        ],
      },
    ],
    dateField: 'handedOn',
    derive: (v) => ({ dueOn: v['useUntil'] || null }),
    check: (v) => (v['handedOn'] && v['useUntil'] && v['handedOn'] > v['useUntil'] ? { useUntil: '利用期限は受渡日以降にしてください' } : {}),
  },
  {
    name: 'media',
    label: '媒体管理簿',
    requirement: 'KRN-51',
    purpose: '使用を許可した電子記録媒体を登録し、使用のたびに承認・目的・端末・持出しと返却（消去・破壊）を記録します。暗号化またはパスワードのない媒体は持ち出せません。',
    duties: ['safeguards'],
    adminWrites: true,
    fields: [
      { name: 'mediaId', label: '媒体の管理番号', type: 'text', required: true, list: true },
      { name: 'kind', label: '種類', type: 'select', required: true, options: ['USBメモリ', '外付けディスク', '光ディスク', 'その他'], list: true },
      { name: 'encrypted', label: '暗号化またはパスワード設定', type: 'select', required: true, options: ['はい', 'いいえ'], list: true },
      { name: 'keeper', label: '保管責任者', type: 'text', required: true, list: true },
      { name: 'registeredOn', label: '登録日', type: 'date', required: true },
      { name: 'note', label: '備考', type: 'textarea', hint: MYNUMBER_WARNING },
    ],
    statuses: [
      { code: 'stored', label: '保管中', open: false },
      { code: 'out', label: '使用中（持出し）', open: true },
      { code: 'disposed', label: '廃棄済み', open: false },
    ],
    initial: 'stored',
    steps: [
      {
        kind: 'takeout',
        label: '使用（持出し）',
        dateLabel: '持出日',
        from: ['stored'],
        sets: 'out',
        fields: [
          { name: 'approvedBy', label: '承認者', type: 'text', required: true },
          { name: 'purpose', label: '使用の目的', type: 'text', required: true },
          { name: 'terminal', label: '使用する端末', type: 'text', required: true },
          actor('使用者'),
        ],
      },
      {
        kind: 'return',
        label: '返却・消去',
        dateLabel: '返却・消去日',
        from: ['out'],
        sets: (v) => (v['outcome'] === '破壊・廃棄した' ? 'disposed' : 'stored'),
        fields: [
          { name: 'outcome', label: '結果', type: 'select', required: true, options: ['データを消去して返却', '返却（データなし）', '破壊・廃棄した'] },
          actor('確認者'),
        ],
      },
    ],
    dateField: 'registeredOn',
    checkStep: (kind, _s, e) => (kind === 'takeout' && e.data['encrypted'] !== 'はい' ? { approvedBy: '暗号化またはパスワード設定のない媒体は持ち出せません' } : {}),
  },
  {
    name: 'disclosure',
    label: '開示・訂正・利用停止請求の受付簿',
    requirement: 'KRN-53',
    purpose: '保有個人情報の開示・訂正・利用停止の請求を受け付け、決定期限（受付日の翌日から14日以内）までの決定と通知を記録します。',
    duties: ['safeguards'],
    adminWrites: false,
    fields: [
      { name: 'kind', label: '請求の種類', type: 'select', required: true, options: ['開示', '訂正', '利用停止'], list: true },
      { name: 'requester', label: '請求者の区分', type: 'select', required: true, options: ['本人', '法定代理人', '任意代理人'], list: true },
      { name: 'requesterName', label: '請求者の氏名', type: 'text', required: true, list: true },
      { name: 'principalName', label: '本人の氏名（代理人による請求のとき）', type: 'text' },
      { name: 'idDocuments', label: '確認した本人確認書類', type: 'text', required: true, hint: '例：運転免許証。代理人のときは代理権を確認した書類も' },
      { name: 'designatedForm', label: '指定様式による書面の提出', type: 'select', required: true, options: ['はい', 'いいえ'] },
      { name: 'receivedOn', label: '受付日', type: 'date', required: true, list: true },
      { name: 'fee', label: '手数料（円）', type: 'number', required: true, default: '0' },
      { name: 'content', label: '請求の内容', type: 'textarea', required: true, hint: MYNUMBER_WARNING },
    ],
    statuses: [
      { code: 'received', label: '受付（決定前）', open: true },
      { code: 'extended', label: '期限延長（決定前）', open: true },
      { code: 'decided', label: '決定済み（通知前）', open: true },
      { code: 'notified', label: '通知済み', open: false },
    ],
    initial: 'received',
    steps: [
      {
        kind: 'extend',
        label: '決定期限の延長',
        dateLabel: '延長を決めた日',
        from: ['received', 'extended'],
        sets: 'extended',
        fields: [
          { name: 'reason', label: '延長の理由', type: 'textarea', required: true, hint: MYNUMBER_WARNING },
          { name: 'newDeadline', label: '新しい決定期限', type: 'date', required: true },
        ],
      },
      {
        kind: 'decide',
        label: '決定',
        dateLabel: '決定日',
        from: ['received', 'extended'],
        sets: 'decided',
        fields: [
          { name: 'decision', label: '決定の内容', type: 'select', required: true, options: ['全部開示', '部分開示', '不開示', '訂正する', '訂正しない', '利用停止する', '利用停止しない'] },
          actor('決定者'),
        ],
      },
      {
        kind: 'notify',
        label: '決定通知書の送付',
        dateLabel: '通知書を送付した日',
        from: ['decided'],
        sets: 'notified',
        fields: [{ name: 'method', label: '送付の方法', type: 'select', required: true, options: ['郵送', '窓口で交付', '電子'] }, actor('送付者')],
      },
    ],
    dateField: 'receivedOn',
    check: (v) => (v['requester'] && v['requester'] !== '本人' && !v['principalName'] ? { principalName: '代理人による請求のときは本人の氏名を入力してください' } : {}),
    checkStep: (kind, s, e) => {
      if (kind === 'extend' && s['newDeadline'] && e.dueOn && s['newDeadline'] <= e.dueOn) return { newDeadline: `新しい決定期限は今の期限（${e.dueOn}）より後の日付にしてください` };
      if (kind === 'decide' && s['decision'] && !(DISCLOSURE_DECISIONS[e.data['kind'] ?? ''] ?? []).includes(s['decision'])) {
        return { decision: `「${e.data['kind']}」の請求には「${(DISCLOSURE_DECISIONS[e.data['kind'] ?? ''] ?? []).join('」「')}」のいずれかを選んでください` };
      }
      return {};
    },
    derive: (v, prior) => ({ dueOn: prior?.steps.includes('extend') ? prior.dueOn : v['receivedOn'] ? disclosureDeadline(v['receivedOn']) : null }),
    stepDue: (kind, s) => (kind === 'extend' ? s['newDeadline'] : undefined),
  },
  {
    name: 'inquiry',
    label: '問合せ受付簿',
    requirement: 'KRN-54',
    purpose: '特定個人情報の取扱いに関する問合せを1件ごとに受け付け、対応の経過を記録します。漏えい等の可能性があるものは管理者・監査担当に知らせます。',
    duties: ['safeguards', 'vaccination', 'relief', 'addressee', 'exchange', 'money'],
    adminWrites: false,
    fields: [
      { name: 'channel', label: '受付の方法', type: 'select', required: true, options: ['電話', '窓口', 'メール', '文書', 'その他'], list: true },
      { name: 'receivedOn', label: '受付日', type: 'date', required: true, list: true },
      { name: 'receivedTime', label: '受付時刻', type: 'text', hint: '例：10:30' },
      { name: 'inquirer', label: '問合せ者', type: 'text', hint: '氏名や「住民」「医療機関」など' },
      { name: 'summary', label: '問合せの内容', type: 'textarea', required: true, list: true, hint: MYNUMBER_WARNING },
      { name: 'leak', label: '漏えい等の可能性', type: 'select', required: true, options: [...YESNO], hint: '「はい」にすると、システム管理者と監査担当のホームに表示されます', list: true },
      { name: 'incident', label: '関連する事故・漏えい等の記録の番号', type: 'number' },
      { name: 'takenBy', label: '受付者', type: 'text', required: true },
    ],
    statuses: [
      { code: 'open', label: '対応中', open: true },
      { code: 'closed', label: '対応終了', open: false },
    ],
    initial: 'open',
    steps: [
      {
        kind: 'response',
        label: '対応',
        dateLabel: '対応日',
        from: ['open'],
        fields: [{ name: 'content', label: '対応の内容', type: 'textarea', required: true, hint: MYNUMBER_WARNING }, actor('対応者')],
      },
      {
        kind: 'close',
        label: '対応の終了',
        dateLabel: '終了日',
        from: ['open'],
        sets: 'closed',
        fields: [{ name: 'content', label: '結果', type: 'textarea', required: true, hint: MYNUMBER_WARNING }, actor('対応者')],
      },
    ],
    dateField: 'receivedOn',
    check: (v) => (v['receivedTime'] && !/^([01]?\d|2[0-3]):[0-5]\d$/.test(v['receivedTime']) ? { receivedTime: '時刻は 10:30 のように入力してください' } : {}),
    derive: (v) => ({ flagged: v['leak'] === 'はい' }),
  },
  {
    name: 'incident',
    label: '事故・漏えい等の記録',
    requirement: 'KRN-55',
    purpose: '特定個人情報の漏えい・滅失・毀損（そのおそれを含む）が起きたときに、被害拡大の防止から個人情報保護委員会への報告までの対応を、日付と実施者とともに記録します。',
    duties: ['safeguards'],
    adminWrites: true,
    fields: [
      { name: 'title', label: '件名', type: 'text', required: true, list: true },
      { name: 'discoveredOn', label: '発覚日（事態を知った日）', type: 'date', required: true, list: true },
      { name: 'occurredOn', label: '発生日', type: 'date' },
      { name: 'kind', label: '事態の種類', type: 'select', required: true, options: ['漏えい', '滅失', '毀損', '漏えい等のおそれ'], list: true },
      { name: 'cause', label: '原因の区分', type: 'select', required: true, options: ['誤送付・誤交付', '紛失・盗難', '不正アクセス', '従業者等による不正な持出し', 'システムの設定誤り', 'その他'] },
      { name: 'unlawful', label: '不正の目的によるおそれ', type: 'select', required: true, options: [...YESNO], hint: '「はい」のとき確報の期限は60日になります' },
      { name: 'summary', label: '概要', type: 'textarea', required: true, hint: MYNUMBER_WARNING },
      { name: 'reporter', label: '記録者', type: 'text', required: true },
    ],
    statuses: [
      { code: 'open', label: '対応中', open: true },
      { code: 'closed', label: '対応終了', open: false },
    ],
    initial: 'open',
    steps: [
      INCIDENT_STEP('containment', '被害拡大の防止'),
      INCIDENT_STEP('investigation', '事実関係の調査'),
      INCIDENT_STEP('impact', '影響範囲の特定', [
        { name: 'persons', label: '本人の数', type: 'number', required: true },
        { name: 'items', label: '漏えい等した項目', type: 'text', required: true },
      ]),
      INCIDENT_STEP('prevention', '再発防止策'),
      INCIDENT_STEP('notifyPersons', '本人への通知'),
      INCIDENT_STEP('publication', '公表'),
      INCIDENT_STEP('ppcPreliminary', '個人情報保護委員会への報告（速報）'),
      INCIDENT_STEP('ppcFinal', '個人情報保護委員会への報告（確報）'),
      INCIDENT_STEP('close', '対応の終了', [], 'closed'),
    ],
    dateField: 'discoveredOn',
    // The watched date is the 確報 deadline, until the 確報 is recorded.
    derive: (v, prior) => ({ dueOn: prior?.steps.includes('ppcFinal') || !v['discoveredOn'] ? null : ppcReportDue(v['discoveredOn'], v['unlawful'] === 'はい').final }),
    stepDue: (kind) => (kind === 'ppcFinal' ? null : undefined),
  },
];

/** Per-deployment defaults (e.g. the disclosure fee: 0 in a municipality, ¥300 on paper in 004). */
const overrides = new Map<string, string>();

export function setRegisterDefault(register: string, field: string, value: string): void {
  overrides.set(`${register}.${field}`, value);
}

export function defaultOf(register: string, f: FieldDef): string {
  return overrides.get(`${register}.${f.name}`) ?? f.default ?? '';
}
