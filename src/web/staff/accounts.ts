// Account administration (KRN-17..25): applications, approval with role/duty/expiry, changes of grants,
// suspension, revocation on transfer/retirement/contract end, unlock, password reissue, the issuance
// ledger, the access-rights table export and the periodic review (棚卸し).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  accessTableCsv,
  accessRightsTable,
  accountEvents,
  applyForAccount,
  approveAccount,
  changeGrants,
  dutyLabel,
  getAccount,
  listAccounts,
  rejectApplication,
  reinstateAccount,
  resetPassword,
  reviewReport,
  revokeAccount,
  role,
  suspendAccount,
  unlockAccount,
  ACCOUNT_STATUS_LABELS,
  REVOKE_CAUSE_LABELS,
  PERMISSION_LABELS,
  type AccountView,
} from '../../kernel/access/index.js';
import { work } from '../../kernel/http/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { badge, button, checkbox, checkboxes, csrfField, dl, errorSummary, field, html, notice, page, postButton, section, select, table, textarea, when, type FormState, type SafeHtml, doneBy, queryEnum, queryOf } from '../ui/index.js';
import { attempt, formState, many, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';
import { dutyOptions, EVENT_LABELS, roleOptions, STATUS_TONE } from './labels.js';

export function statusBadge(a: AccountView): SafeHtml {
  return html`${badge(ACCOUNT_STATUS_LABELS[a.status], STATUS_TONE[a.status])}${a.locked ? html` ${badge('ロック中', 'bad')}` : ''}`;
}

export function registerAccountPages(fastify: FastifyInstance, app: App): void {
  const admin = [needLogin, needPermission(app, 'accounts.manage', 'account-admin')];
  const adminPost = [needLogin, fastify.csrfProtection, needPermission(app, 'accounts.manage', 'account-admin')];
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

  fastify.get('/admin/accounts', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    const status = queryEnum(q, 'status', '状態', Object.keys(ACCOUNT_STATUS_LABELS) as (keyof typeof ACCOUNT_STATUS_LABELS)[]);
    const kind = queryEnum(q, 'kind', '種別', ['staff', 'contractor'] as const);
    const list = await work(app.db, req, (w) => listAccounts(w, { status, kind, q: q['q']?.slice(0, 50) }));
    return sendPage(
      reply,
      page(
        ctx,
        'アカウント管理',
        html`
<form method="get" action="/admin/accounts" class="card filters">
  ${select({ label: '状態', name: 'status', options: [['', 'すべて'], ...Object.entries(ACCOUNT_STATUS_LABELS)], value: status ?? '' })}
  ${select({ label: '種別', name: 'kind', options: [['', 'すべて'], ['staff', '職員'], ['contractor', '委託先']], value: kind ?? '' })}
  ${field({ label: 'ログインID・氏名・所属', name: 'q', type: 'search', value: q['q'] ?? '' })}
  ${button('絞り込む', 'secondary')}
</form>
<div class="actions"><a class="btn btn--primary" href="/admin/accounts/new">代理で利用申請を登録</a><a class="btn btn--secondary" href="/admin/accounts.csv">アクセス権限の管理表（CSV）</a><a class="btn btn--secondary" href="/admin/access-rights">役割と権限の対応表</a></div>
${table(
  ['ログインID', '氏名', '所属', '種別', '状態', '役割', '所掌事務', '有効期限', '最終ログイン'],
  list.map((a) => [
    html`<a href="/admin/accounts/${a.id}">${a.loginId}</a>`,
    a.fullName,
    a.department,
    a.kind === 'contractor' ? `委託先（${a.contractorCompany ?? ''}）` : '職員',
    statusBadge(a),
    role(a.role)?.label ?? (a.requestedRole ? `（希望）${role(a.requestedRole)?.label ?? ''}` : ''),
    (a.duties.length ? a.duties : a.requestedDuties).map(dutyLabel).join('、'),
    a.expiresOn,
    when(a.lastLoginAt),
  ]),
  { caption: `${list.length}件` },
)}`,
      ),
    );
  });

  // -------------------------------------------------------------- application on someone's behalf
  const newForm = (csrf: string, state?: FormState) => html`
${errorSummary(state)}
<form method="post" action="/admin/accounts/new" novalidate>${csrfField(csrf)}
  ${select({ label: '種別', name: 'kind', options: [['staff', '職員'], ['contractor', '委託先事業者の従事者']] }, state)}
  ${field({ label: '氏名', name: 'fullName', required: true, maxlength: 50 }, state)}
  ${field({ label: '氏名（カナ）', name: 'fullNameKana', maxlength: 50 }, state)}
  ${field({ label: '所属', name: 'department', maxlength: 100 }, state)}
  ${field({ label: 'メールアドレス', name: 'email', type: 'email' }, state)}
  ${field({ label: '委託先事業者名', name: 'contractorCompany', maxlength: 100 }, state)}
  ${field({ label: '契約終了日', name: 'contractEnd', type: 'date' }, state)}
  ${field({ label: 'ログインID', name: 'loginId', required: true, maxlength: 32 }, state)}
  ${select({ label: '希望する役割', name: 'requestedRole', options: roleOptions(), value: 'clerk' }, state)}
  ${checkboxes({ legend: '希望する所掌事務', name: 'requestedDuties', options: dutyOptions() }, state)}
  ${textarea({ label: 'アクセスする必要性（申請理由）', name: 'reason', required: true }, state)}
  ${button('申請を登録する')}
</form>`;

  fastify.get('/admin/accounts/new', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '利用申請の登録（代理）', html`${notice('初期パスワードは承認時に発行され、一度だけ表示されます。')}${newForm(ctx.csrf)}`));
  });

  fastify.post('/admin/accounts/new', { preHandler: adminPost }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const r = await attempt(() =>
      work(app.db, req, (w) =>
        applyForAccount(w, {
          loginId: one(body['loginId']) ?? '', kind: one(body['kind']) ?? 'staff', fullName: one(body['fullName']) ?? '', fullNameKana: one(body['fullNameKana']),
          department: one(body['department']), email: one(body['email']), contractorCompany: one(body['contractorCompany']), contractEnd: one(body['contractEnd']) || undefined,
          requestedRole: one(body['requestedRole']) ?? '', requestedDuties: many(body['requestedDuties']), reason: one(body['reason']) ?? '',
        }),
      ),
    );
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '利用申請の登録（代理）', newForm(ctx.csrf, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, `${r.value.loginId} の利用申請を登録しました。内容を確認して承認してください。`);
    return reply.redirect(`/admin/accounts/${r.value.id}`);
  });

  // -------------------------------------------------------------- detail with every action
  async function detail(req: FastifyRequest, csrf: string, state?: FormState, action?: string): Promise<SafeHtml> {
    const a = await work(app.db, req, (w) => getAccount(w, idOf(req)));
    const events = await work(app.db, req, (w) => accountEvents(w, a.id));
    const st = (name: string) => (action === name ? state : undefined);
    const grantDefaults = { role: a.role ?? a.requestedRole ?? 'clerk', duties: a.duties.length ? a.duties : a.requestedDuties, expiresOn: a.expiresOn ?? addDaysIso(app.config.clock.today(), 365), contractEnd: a.contractEnd };
    const grantFields = (s?: FormState) => html`
  ${select({ label: '役割', name: 'role', options: roleOptions(a.kind === 'staff'), value: grantDefaults.role, required: true }, s)}
  ${checkboxes({ legend: '所掌事務', name: 'duties', options: dutyOptions(), checked: grantDefaults.duties, hint: '特権の役割（システム管理者・監査担当）には対応する特権の所掌事務だけを付与できます' }, s)}
  ${checkbox({ label: '個人番号閲覧可能フラグ（個人番号を表示する業務がある場合のみ）', name: 'mynumberView', checked: a.mynumberView }, s)}
  ${field({ label: '有効期限', name: 'expiresOn', type: 'date', required: true, value: grantDefaults.expiresOn, hint: a.kind === 'contractor' ? `契約終了日（${a.contractEnd ?? ''}）以前` : '最長5年' }, s)}
  ${field({ label: '理由・備考', name: 'reason' }, s)}`;
    const actions: SafeHtml[] = [];
    if (a.status === 'applied') {
      actions.push(
        section('承認（アカウントの発行）', html`${errorSummary(st('approve'))}<form method="post" action="/admin/accounts/${a.id}/approve" novalidate>${csrfField(csrf)}${grantFields(st('approve'))}${button('承認して発行する')}</form>`),
        section('却下', html`${errorSummary(st('reject'))}<form method="post" action="/admin/accounts/${a.id}/reject" novalidate>${csrfField(csrf)}${field({ label: '却下の理由', name: 'reason', required: true }, st('reject'))}${button('却下する', 'danger')}</form>`),
      );
    }
    if (a.status === 'active' || a.status === 'suspended') {
      actions.push(
        section('権限・有効期限の変更', html`${errorSummary(st('grants'))}<form method="post" action="/admin/accounts/${a.id}/grants" novalidate>${csrfField(csrf)}${grantFields(st('grants'))}${button('変更する')}</form>`),
        section(
          '失効（異動・退職・契約終了）',
          html`${errorSummary(st('revoke'))}<form method="post" action="/admin/accounts/${a.id}/revoke" novalidate>${csrfField(csrf)}
  ${select({ label: '事由', name: 'cause', options: Object.entries(REVOKE_CAUSE_LABELS), required: true }, st('revoke'))}
  ${field({ label: '詳細（異動先・発令日など）', name: 'reason', required: true }, st('revoke'))}
  ${button('失効させる（元に戻せません）', 'danger')}</form>`,
        ),
      );
      const small: SafeHtml[] = [];
      if (a.status === 'active') small.push(html`<form method="post" action="/admin/accounts/${a.id}/suspend" class="inline-form">${csrfField(csrf)}<input type="hidden" name="reason" value="管理者による一時停止">${button('一時停止', 'secondary')}</form>`);
      if (a.status === 'suspended') small.push(html`<form method="post" action="/admin/accounts/${a.id}/reinstate" class="inline-form">${csrfField(csrf)}<input type="hidden" name="reason" value="管理者による再開">${button('利用を再開', 'secondary')}</form>`);
      if (a.locked) small.push(postButton(`/admin/accounts/${a.id}/unlock`, 'ロック解除', csrf));
      if (a.status === 'active') small.push(postButton(`/admin/accounts/${a.id}/reset-password`, 'パスワード再発行', csrf));
      actions.push(section('その他の操作', html`${errorSummary(st('other'))}<div class="actions">${small}</div>`));
    }
    return html`
${section(
  'アカウント',
  dl([
    ['ログインID', a.loginId],
    ['氏名', html`${a.fullName}${a.fullNameKana ? html`（${a.fullNameKana}）` : ''}`],
    ['所属', a.department],
    ['種別', a.kind === 'contractor' ? `委託先（${a.contractorCompany ?? ''}、契約終了 ${a.contractEnd ?? ''}）` : '職員'],
    ['状態', html`${statusBadge(a)}${a.statusReason ? html` ${a.statusReason}` : ''}`],
    ['役割', role(a.role)?.label],
    ['所掌事務', a.duties.map(dutyLabel).join('、')],
    ['個人番号の閲覧', a.mynumberView ? badge('可', 'warn') : '不可'],
    ['有効期限', a.expiresOn],
    ['申請内容', html`${role(a.requestedRole)?.label ?? ''} / ${a.requestedDuties.map(dutyLabel).join('、')} — ${a.applicationReason}`],
    ['承認', a.approvedBy ? `${doneBy(a.approvedBy)}（${when(a.approvedAt)}）` : '—'],
    ['最終ログイン', when(a.lastLoginAt)],
    ['多要素認証', a.totpEnabled ? '設定済み' : '未設定'],
  ]),
)}
${actions}
${section(
  'アカウント発行台帳（履歴）',
  table(
    ['日時', '事象', '実施者', '理由・内容'],
    events.map((e) => [when(e.at), EVENT_LABELS[e.event] ?? e.event, doneBy(e.actor), html`${e.reason ?? ''}${Object.keys(e.detail).length ? html`<br><small>${JSON.stringify(e.detail)}</small>` : ''}`]),
  ),
)}`;
  }

  fastify.get('/admin/accounts/:id', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, 'アカウントの詳細', await detail(req, ctx.csrf)));
  });

  const grantInput = (b: Form) => ({ role: one(b['role']) ?? '', duties: many(b['duties']), mynumberView: one(b['mynumberView']) === 'on', expiresOn: one(b['expiresOn']) ?? '', reason: one(b['reason']) });

  type Op = (req: FastifyRequest, body: Form) => Promise<{ flash: string; show?: SafeHtml }>;
  const action = (name: string, actionKey: string, op: Op) =>
    fastify.post(`/admin/accounts/:id/${name}`, { preHandler: adminPost }, async (req, reply) => {
      const body = (req.body ?? {}) as Form;
      const r = await attempt(() => op(req, body));
      const ctx = await pageContext(app, req, reply);
      if (!r.ok) return sendPage(reply, page(ctx, 'アカウントの詳細', await detail(req, ctx.csrf, formState(body, r.problem), actionKey)), r.problem.status);
      if (r.value.show) return sendPage(reply, page({ ...ctx, flash: r.value.flash }, 'アカウントの詳細', html`${r.value.show}${await detail(req, ctx.csrf)}`));
      setFlash(reply, r.value.flash);
      return reply.redirect(`/admin/accounts/${idOf(req)}`);
    });

  const initialPasswordNotice = (loginId: string, pw: string) =>
    notice(html`<p>ログインID <strong>${loginId}</strong> の初期パスワードです（この画面でのみ表示されます。本人に安全な方法で伝えてください。初回ログイン時に変更が必要です）。</p><p class="secret">${pw}</p>`, 'warning');

  action('approve', 'approve', async (req, b) => {
    const r = await work(app.db, req, (w) => approveAccount(w, idOf(req), grantInput(b)));
    return { flash: `${r.account.loginId} を承認し、アカウントを発行しました。`, ...(r.initialPassword ? { show: initialPasswordNotice(r.account.loginId, r.initialPassword) } : {}) };
  });
  action('reject', 'reject', async (req, b) => {
    const a = await work(app.db, req, (w) => rejectApplication(w, idOf(req), one(b['reason']) ?? ''));
    return { flash: `${a.loginId} の申請を却下しました。` };
  });
  action('grants', 'grants', async (req, b) => {
    const a = await work(app.db, req, (w) => changeGrants(w, idOf(req), grantInput(b)));
    return { flash: `${a.loginId} の権限を変更しました。` };
  });
  action('suspend', 'other', async (req, b) => {
    const a = await work(app.db, req, (w) => suspendAccount(w, idOf(req), one(b['reason']) ?? ''));
    return { flash: `${a.loginId} の利用を停止しました（ログイン中のセッションは終了しました）。` };
  });
  action('reinstate', 'other', async (req, b) => {
    const a = await work(app.db, req, (w) => reinstateAccount(w, idOf(req), one(b['reason']) ?? ''));
    return { flash: `${a.loginId} の利用を再開しました。` };
  });
  action('revoke', 'revoke', async (req, b) => {
    const a = await work(app.db, req, (w) => revokeAccount(w, idOf(req), { cause: one(b['cause']) ?? '', reason: one(b['reason']) ?? '' }));
    return { flash: `${a.loginId} を失効させました（ログイン中のセッションは終了しました）。` };
  });
  action('unlock', 'other', async (req) => {
    const a = await work(app.db, req, (w) => unlockAccount(w, idOf(req)));
    return { flash: `${a.loginId} のロックを解除しました。` };
  });
  action('reset-password', 'other', async (req) => {
    const r = await work(app.db, req, (w) => resetPassword(w, idOf(req)));
    return { flash: `${r.account.loginId} のパスワードを再発行しました。`, show: initialPasswordNotice(r.account.loginId, r.initialPassword) };
  });

  // -------------------------------------------------------------- exports and review
  fastify.get('/admin/accounts.csv', { preHandler: admin }, async (req, reply) => {
    const csv = await work(app.db, req, (w) => accessTableCsv(w));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="access-table-${req.session!.tenant}-${app.config.clock.today()}.csv"`)
      .send(csv);
  });

  fastify.get('/admin/access-rights', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(
      reply,
      page(ctx, '役割と権限の対応表', html`<p>各権限は、アカウントに付与された所掌事務の範囲でのみ行使できます（役割 × 所掌事務 × 団体）。個人番号の表示は別の「個人番号閲覧可能フラグ」が必要です。</p>
${table(['役割', '権限', '内容'], accessRightsTable().map((r) => [r.roleLabel, r.permission, PERMISSION_LABELS[r.permission]]))}`),
    );
  });

  fastify.get('/admin/review', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = await work(app.db, req, (w) => reviewReport(w));
    const list = (l: AccountView[]) =>
      table(['ログインID', '氏名', '状態', '役割', '所掌事務', '有効期限', '最終ログイン'], l.map((a) => [html`<a href="/admin/accounts/${a.id}">${a.loginId}</a>`, a.fullName, statusBadge(a), role(a.role)?.label ?? '', a.duties.map(dutyLabel).join('、'), a.expiresOn, when(a.lastLoginAt)]));
    return sendPage(
      reply,
      page(
        ctx,
        'アカウント棚卸し',
        html`<p>${r.today} 時点。アクセス権限の管理表（<a href="/admin/accounts.csv">CSV</a>）と突合し、不要なアカウントは失効させてください。</p>
${section(`${r.inactiveDays}日以上ログインしていないアカウント（${r.inactive.length}件）`, list(r.inactive))}
${section(`${r.expiringDays}日以内に有効期限が来るアカウント（${r.expiringSoon.length}件）`, list(r.expiringSoon))}
${section(`特権アカウント（${r.privileged.length}件）`, list(r.privileged))}
${section(`個人番号閲覧可能フラグを持つアカウント（${r.mynumberHolders.length}件）`, list(r.mynumberHolders))}
${section(`委託先アカウント（${r.contractors.length}件）`, list(r.contractors))}
${section(`承認待ちの申請（${r.pendingApplications.length}件）`, list(r.pendingApplications))}
${section(`ロック中のアカウント（${r.locked.length}件）`, list(r.locked))}`,
      ),
    );
  });
}
