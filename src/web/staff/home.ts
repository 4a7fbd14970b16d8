// Staff home and "my account".
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { can, dutyLabel, listAccounts, ownAccount, role, ACCOUNT_STATUS_LABELS } from '../../kernel/access/index.js';
import { work } from '../../kernel/http/index.js';
import { badge, dl, html, notice, page, section, when } from '../ui/index.js';
import { needLogin, pageContext, sendPage } from './support.js';

export function registerHomePages(fastify: FastifyInstance, app: App): void {
  fastify.get('/', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const s = req.session!;
    const me = await work(app.db, req, (w) => ownAccount(w));
    const isAdmin = can(s.actor, 'accounts.manage', 'account-admin');
    const pending = isAdmin ? (await work(app.db, req, (w) => listAccounts(w, { status: 'applied' }))).length : 0;
    const daysLeft = me.expiresOn ? Math.ceil((Date.parse(`${me.expiresOn}T00:00:00+09:00`) - app.config.clock.now().getTime()) / 86400_000) : null;
    return sendPage(
      reply,
      page(
        ctx,
        `${s.fullName} さん`,
        html`
${daysLeft !== null && daysLeft <= 30 ? notice(`アカウントの有効期限（${me.expiresOn}）まであと${daysLeft}日です。必要ならアカウント管理者に延長を申請してください。`, 'warning') : ''}
${isAdmin && pending > 0 ? notice(html`承認待ちのアカウント申請が <a href="/admin/accounts?status=applied">${pending}件</a> あります。`, 'info') : ''}
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
