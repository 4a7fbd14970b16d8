// Staff home (the day's work: what waits for this user, by duty) and "my account".
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { can, dutyLabel, listAccounts, ownAccount, role, ACCOUNT_STATUS_LABELS } from '../../kernel/access/index.js';
import type { Actor, Work } from '../../kernel/context/index.js';
import { work } from '../../kernel/http/index.js';
import { countQueue, residentImportTrouble } from '../../municipality/residents/index.js';
import { recordImportTrouble } from '../../municipality/records/index.js';
import { eligibilityImportTrouble } from '../../municipality/copay/index.js';
import { noticeWork } from '../../municipality/notices/index.js';
import { countWaitingApplications } from '../../municipality/certification/index.js';
import { maySeeAuditAlerts, openAuditAlerts } from '../../kernel/audit/index.js';
import { disclosureWork, escalations, mayRead, mayWrite, overdueCount, registers } from '../../kernel/registers/index.js';
import { badge, dl, html, notice, page, section, when, type SafeHtml } from '../ui/index.js';
import { needLogin, pageContext, sendPage } from './support.js';

/** One thing waiting for someone, with how many and where to do it. */
export interface WorkItem {
  readonly title: string;
  readonly count: number;
  readonly href: string;
  /** One line saying what the work is. */
  readonly detail: string;
  /** 'alert' for what must not wait (shown first, in red). */
  readonly tone?: 'alert' | 'normal';
}

/**
 * Where the home's work items come from (decision 0106).  `show` is the duty check, made before any query
 * (a user without the duty neither sees the item nor causes a refused access in the log); `items` counts in
 * the request's transaction and returns only what has a count.  One more kind of work (e.g. the operation
 * log's tamper alert) is one more entry here.
 */
export interface WorkSource {
  show(actor: Actor): boolean;
  items(w: Work, app: App): Promise<WorkItem[]>;
}

const DAY = 86_400_000;
/** Imports looked at on the home: those started in the last week. */
const RECENT_IMPORT_DAYS = 7;
/** A run still marked running this long after it started has stopped part-way. */
const STALLED_MS = 60 * 60 * 1000;

const some = (...items: (WorkItem | false)[]): WorkItem[] => items.filter((i): i is WorkItem => i !== false && i.count > 0);

/** Imports of the last week that stopped part-way (an alert) or refused rows, for the duty that imports them. */
function importTrouble(duty: string, kind: string, href: string, trouble: (w: Work, since: Date, stalledBefore: Date) => Promise<{ stopped: number; withRejects: number }>): WorkSource {
  return {
    show: (a) => can(a, 'personal.write', duty),
    items: async (w) => {
      const now = w.clock.now().getTime();
      const t = await trouble(w, new Date(now - RECENT_IMPORT_DAYS * DAY), new Date(now - STALLED_MS));
      return some(
        { title: `取込の記録：途中で止まった${kind}`, count: t.stopped, href, detail: `直近${RECENT_IMPORT_DAYS}日の取込で、最後まで終わらなかったものです。同じファイルをもう一度取り込んでください。`, tone: 'alert' },
        { title: `取込の記録：取り込めなかった行のある${kind}`, count: t.withRejects, href, detail: `直近${RECENT_IMPORT_DAYS}日の取込です。エラーの一覧を確認してください。` },
      );
    },
  };
}

export const WORK_SOURCES: readonly WorkSource[] = [
  {
    // KRN-34: the scheduled verification found the operation log altered; the auditor confirms each alert.
    show: (a) => maySeeAuditAlerts(a),
    items: async (w) =>
      some({
        title: '操作ログの改ざん検知（未確認）',
        count: (await openAuditAlerts(w.tx, w.tenant)).length,
        href: '/audit#alerts',
        detail: can(w.actor, 'audit.review', 'audit-review') ? '定期検証で操作ログの不整合が見つかりました。内容を確認し、確認した結果を記録してください。' : '定期検証で操作ログの不整合が見つかりました。監査担当に確認を依頼してください。',
        tone: 'alert',
      }),
  },
  {
    show: (a) => can(a, 'accounts.manage', 'account-admin'),
    items: async (w) => some({ title: '承認待ちのアカウント申請', count: (await listAccounts(w, { status: 'applied' })).length, href: '/admin/accounts?status=applied', detail: '申請の内容を確認して、承認するか却下してください。' }),
  },
  {
    show: (a) => can(a, 'personal.write', 'addressee'),
    items: async (w) => some({ title: '住民の照合の確認待ち', count: await countQueue(w, 'residents'), href: '/residents/queue', detail: '4情報の照合で本人を一人に決められなかった記録です。' }),
  },
  {
    show: (a) => can(a, 'personal.write', 'vaccination'),
    items: async (w) => some({ title: '接種記録の照合の確認待ち', count: await countQueue(w, 'records'), href: '/vaccinations/queue', detail: '医療機関のファイルで本人を一人に決められなかった接種記録です。' }),
  },
  importTrouble('addressee', '住基ファイル', '/residents/imports', residentImportTrouble),
  importTrouble('addressee', '生活保護・課税・介護保険ファイル', '/eligibility/imports', eligibilityImportTrouble),
  importTrouble('vaccination', '接種記録ファイル', '/vaccinations/imports', recordImportTrouble),
  {
    show: (a) => can(a, 'personal.write', 'vaccination'),
    items: async (w) => {
      const n = await noticeWork(w);
      return some(
        { title: '発送待ちの通知書', count: n.undispatchedBatches, href: '/notices', detail: '作成済みで、まだ発送済みにしていない通知書・接種券の束です。' },
        { title: '返送された通知書の対応待ち', count: n.openFollowUps, href: '/notices/follow-ups', detail: '宛先不明などで返送された通知書です。送付先を確認してください。' },
      );
    },
  },
  {
    show: (a) => can(a, 'personal.write', 'vaccination'),
    items: async (w) => some({ title: '交付待ちの証明書の申請', count: await countWaitingApplications(w), href: '/certificates/applications', detail: '受け付けて、まだ交付していない申請です。' }),
  },
  {
    // KRN-53: disclosure, correction and suspension requests not yet decided, against their deadline.
    show: (a) => mayWrite(a, 'disclosure'),
    items: async (w) => {
      const d = await disclosureWork(w, 3);
      return some(
        { title: '決定期限を過ぎた開示・訂正・利用停止請求', count: d.overdue, href: '/registers/disclosure?status=open', detail: '決定期限を過ぎても決定を記録していない請求です。決定するか、期限の延長を記録してください。', tone: 'alert' },
        { title: '決定期限が3日以内の開示・訂正・利用停止請求', count: d.dueSoon, href: '/registers/disclosure?status=open', detail: '決定期限（受付日の翌日から14日以内）が近い請求です。' },
      );
    },
  },
  {
    // KRN-50: data handed to a contractor and not confirmed returned or erased by its use deadline.
    show: (a) => mayWrite(a, 'handover'),
    items: async (w) => some({ title: '利用期限を過ぎた受渡（返却・消去の確認待ち）', count: await overdueCount(w, 'handover'), href: '/registers/handover?status=out', detail: '委託先に受け渡した特定個人情報の利用期限が過ぎています。返却または消去を確認して記録してください。', tone: 'alert' }),
  },
  {
    // KRN-54, KRN-55: inquiries that may concern a leak, and incidents still being handled.
    show: (a) => can(a, 'accounts.manage', 'account-admin') || can(a, 'audit.review', 'audit-review') || mayWrite(a, 'incident'),
    items: async (w) => {
      const e = await escalations(w);
      return some(
        { title: '漏えい等の可能性がある問合せ', count: e.flaggedInquiries, href: '/registers/inquiry?status=open&flagged=1', detail: '受付者が「漏えい等の可能性あり」とした、対応中の問合せです。事故として扱うか判断してください。', tone: 'alert' },
        { title: '個人情報保護委員会への確報の期限を過ぎた事故・漏えい等', count: await overdueCount(w, 'incident'), href: '/registers/incident?status=open', detail: '発覚日から30日（不正の目的によるおそれがあるときは60日）の期限までに確報を記録していません。', tone: 'alert' },
        { title: '対応中の事故・漏えい等', count: e.openIncidents, href: '/registers/incident?status=open', detail: '被害拡大の防止から個人情報保護委員会への報告まで、対応の経過を記録してください。', tone: 'alert' },
      );
    },
  },
];

/** The work waiting for this user, alerts first. */
export async function workItems(w: Work, app: App, sources: readonly WorkSource[] = WORK_SOURCES): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  for (const s of sources) if (s.show(w.actor)) items.push(...(await s.items(w, app)));
  return [...items.filter((i) => i.tone === 'alert'), ...items.filter((i) => i.tone !== 'alert')];
}

export function workList(items: readonly WorkItem[]): SafeHtml {
  if (!items.length) return html`<p class="worklist__none">対応が必要な作業はありません。</p>`;
  return html`<ul class="worklist">${items.map(
    (i) => html`<li class="worklist__item${i.tone === 'alert' ? ' worklist__item--alert' : ''}"><a href="${i.href}"><span class="worklist__title">${i.title}</span><span class="worklist__count">${i.count.toLocaleString('ja-JP')}<small>件</small></span></a><p class="worklist__detail">${i.detail}</p></li>`,
  )}</ul>`;
}

export function registerHomePages(fastify: FastifyInstance, app: App): void {
  fastify.get('/', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const s = req.session!;
    const me = await work(app.db, req, (w) => ownAccount(w));
    const isAdmin = can(s.actor, 'accounts.manage', 'account-admin');
    const todo = await work(app.db, req, (w) => workItems(w, app));
    const daysLeft = me.expiresOn ? Math.ceil((Date.parse(`${me.expiresOn}T00:00:00+09:00`) - app.config.clock.now().getTime()) / 86400_000) : null;
    return sendPage(
      reply,
      page(
        ctx,
        `${s.fullName} さん`,
        html`
${daysLeft !== null && daysLeft <= 30 ? notice(`アカウントの有効期限（${me.expiresOn}）まであと${daysLeft}日です。必要ならアカウント管理者に延長を申請してください。`, 'warning') : ''}
<section class="card worklist-card" aria-labelledby="work-title"><h2 id="work-title">対応が必要な作業</h2>${workList(todo)}</section>
<div class="grid">
${section(
  'あなたの権限',
  dl([
    ['役割', role(me.role)?.label ?? ''],
    ['所掌事務', me.duties.map(dutyLabel).join('、') || '—'],
    ['個人番号の閲覧', me.mynumberView ? badge('可（目的の入力と記録が必要）', 'warn') : '不可'],
    ['有効期限', me.expiresOn],
    ['前回のログイン', when(me.lastLoginAt)],
  ]),
)}
${section(
  'できること',
  html`<ul>
  ${isAdmin ? html`<li><a href="/admin/accounts">アカウント管理</a>（申請の承認、権限の付与、異動・退職時の失効）</li><li><a href="/admin/review">アカウント棚卸し</a></li>` : ''}
  ${can(s.actor, 'audit.review', 'audit-review') ? html`<li><a href="/audit">操作ログの検索・出力</a></li>` : html`<li><a href="/audit">自分の操作履歴</a></li>`}
  ${can(s.actor, 'personal.read', 'exchange') ? html`<li><a href="/exchange">情報連携</a>（符号の取得状況、副本、自動応答不可の提供の確認・承認、情報提供等記録）</li>` : ''}
  ${registers().some((r) => mayRead(s.actor, r.name)) ? html`<li><a href="/registers">安全管理の台帳</a>（開示請求・問合せ・事故・媒体・委託先など）</li>` : ''}
  <li><a href="/password">パスワードの変更</a></li>
  <li><a href="/mfa">多要素認証の設定</a></li>
</ul>`,
)}
</div>`,
      ),
    );
  });

  fastify.get('/account', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const me = await work(app.db, req, (w) => ownAccount(w));
    return sendPage(
      reply,
      page(
        ctx,
        '自分のアカウント',
        section(
          'アカウント情報',
          html`${dl([
            ['ログインID', me.loginId],
            ['氏名', me.fullName],
            ['所属', me.department],
            ['種別', me.kind === 'contractor' ? `委託先（${me.contractorCompany ?? ''}）` : '職員'],
            ['状態', ACCOUNT_STATUS_LABELS[me.status]],
            ['役割', role(me.role)?.label ?? ''],
            ['所掌事務', me.duties.map(dutyLabel).join('、')],
            ['個人番号の閲覧', me.mynumberView ? '可' : '不可'],
            ['有効期限', me.expiresOn],
            ['多要素認証', me.totpEnabled ? '設定済み' : '未設定'],
          ])}
<div class="actions"><a class="btn btn--secondary" href="/password">パスワードを変更</a><a class="btn btn--secondary" href="/mfa">認証アプリを設定</a></div>`,
        ),
      ),
    );
  });
}
