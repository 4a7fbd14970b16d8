// Tenant security settings, retention policies, deletion requests and the deletion record.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { can, loadSettings, updateSettings } from '../../kernel/access/index.js';
import { work } from '../../kernel/http/index.js';
import { describePolicy } from '../../kernel/retention/index.js';
import { button, checkbox, csrfField, errorSummary, field, html, page, section, select, table, when, type FormState } from '../ui/index.js';
import { attempt, formState, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';

export function registerAdminPages(fastify: FastifyInstance, app: App): void {
  const settingsGuard = [needLogin, needPermission(app, 'settings.manage', 'account-admin')];

  const settingsForm = async (req: FastifyRequest, csrf: string, state?: FormState) => {
    const s = await work(app.db, req, (w) => loadSettings(w));
    const n = (label: string, name: keyof typeof s, hint?: string) => field({ label, name, type: 'number', value: String(s[name]), required: true, ...(hint ? { hint } : {}) }, state);
    return html`${errorSummary(state)}<form method="post" action="/admin/settings" novalidate>${csrfField(csrf)}
${section('パスワード', html`${n('最小文字数', 'password_min_length')}${n('必要な文字種の数（英小・英大・数字・記号）', 'password_min_classes')}${n('再利用を禁止する過去のパスワード数', 'password_history')}${n('パスワードの有効日数（0は無期限）', 'password_max_age_days')}`)}
${section('ロックアウトとセッション', html`${n('ロックするまでの連続失敗回数', 'lockout_threshold')}${n('ロック時間（分）', 'lockout_minutes')}${n('無操作で自動ログオフするまでの時間（分）', 'idle_timeout_minutes')}${n('セッションの最長時間（時間）', 'session_max_hours')}${checkbox({ label: '多要素認証（認証アプリ）を全職員に必須とする', name: 'mfa_required', checked: s.mfa_required }, state)}`)}
${section('棚卸し', html`${n('未使用とみなす日数', 'review_inactive_days', '既定30日（月1回の棚卸し）')}${n('有効期限間近とみなす日数', 'review_expiring_days')}`)}
${button('保存する')}</form>`;
  };

  fastify.get('/admin/settings', { preHandler: settingsGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, 'セキュリティ設定', await settingsForm(req, ctx.csrf)));
  });

  fastify.post('/admin/settings', { preHandler: [needLogin, fastify.csrfProtection, needPermission(app, 'settings.manage', 'account-admin')] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const keys = ['password_min_length', 'password_min_classes', 'password_history', 'password_max_age_days', 'lockout_threshold', 'lockout_minutes', 'idle_timeout_minutes', 'session_max_hours', 'review_inactive_days', 'review_expiring_days'];
    const input: Record<string, unknown> = Object.fromEntries(keys.filter((k) => one(body[k]) !== undefined).map((k) => [k, one(body[k])]));
    input['mfa_required'] = one(body['mfa_required']) === 'on';
    const r = await attempt(() => work(app.db, req, (w) => updateSettings(w, input)));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, 'セキュリティ設定', await settingsForm(req, ctx.csrf, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, 'セキュリティ設定を保存しました。');
    return reply.redirect('/admin/settings');
  });

  // -------------------------------------------------------------- retention (KRN-35, KRN-37..39)
  const retentionView = async (req: FastifyRequest, csrf: string, state?: FormState, failed?: string) => {
    const pols = await work(app.db, req, (w) => app.retention.policies(w));
    const requests = await work(app.db, req, (w) => app.retention.listRequests(w));
    const records = await work(app.db, req, (w) => app.retention.deletionRecords(w, 50));
    const manage = can(req.session!.actor, 'settings.manage', 'account-admin');
    return html`
${section(
  '保存期間の設定',
  html`${table(
    ['区分', '保存期間', '削除方法', '削除の承認', '設定'],
    pols.map((p) => [p.dataClass.label, describePolicy(p.policy), p.policy.deletion === 'physical' ? '物理削除' : '論理削除（削除フラグ）', p.policy.requiresApproval ? '必要' : '不要（自動）', p.overridden ? '団体で設定' : '既定'] as const),
  )}
${manage
  ? pols.map(
      (p) => html`<details${failed === p.dataClass.name ? html` open` : ''}><summary>「${p.dataClass.label}」の保存期間を変更</summary>
${failed === p.dataClass.name ? errorSummary(state) : ''}
<form method="post" action="/admin/retention/${p.dataClass.name}" novalidate>${csrfField(csrf)}
${select({ label: '保存期間の種類', name: 'mode', options: [['years', '年数'], ['days', '日数'], ['while-registered', '登録中は保存'], ['permanent', '永年保存（消去しない）']], value: p.policy.mode }, failed === p.dataClass.name ? state : undefined)}
${field({ label: '期間', name: 'period', type: 'number', value: p.policy.period === null ? '' : String(p.policy.period) }, failed === p.dataClass.name ? state : undefined)}
${select({ label: '削除方法', name: 'deletion', options: p.dataClass.methods.map((m) => [m, m === 'physical' ? '物理削除' : '論理削除'] as [string, string]), value: p.policy.deletion })}
${checkbox({ label: '削除の前に承認を必要とする', name: 'requiresApproval', checked: p.policy.requiresApproval })}
${button('保存する', 'secondary')}</form></details>`,
    )
  : ''}`,
)}
${section(
  '削除申請',
  table(
    ['申請日時', '区分', '対象件数', '基準日時', '理由', '状態', '操作'],
    requests.map((r) => [
      when(r.requestedAt),
      r.label,
      r.candidates,
      when(r.cutoff),
      r.reason,
      { pending: '承認待ち', approved: '承認済み（次回実行）', rejected: '却下', executed: `実行済み（${r.deletedCount ?? 0}件削除）` }[r.status] ?? r.status,
      r.status === 'pending'
        ? html`<form method="post" action="/admin/deletions/${r.id}" class="inline-form">${csrfField(csrf)}<input type="text" name="reason" aria-label="承認・却下の理由" placeholder="理由" required>${button('承認', 'primary', 'decision', 'approve')}${button('却下', 'secondary', 'decision', 'reject')}</form>`
        : '',
    ]),
    { empty: '削除申請はありません。' },
  ),
)}
${section(
  '削除の記録',
  table(
    ['実行日時', '区分', '方法', '件数', '理由', '実行者'],
    records.map((r) => [when(r.executed_at), app.retention.get(r.data_class)?.label ?? r.data_class, r.method === 'physical' ? '物理削除' : '論理削除', r.deleted_count, r.reason, r.executed_by]),
    { empty: '削除の記録はありません。' },
  ),
)}`;
  };

  fastify.get('/admin/retention', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '保存期間と削除', await retentionView(req, ctx.csrf)));
  });

  fastify.post('/admin/retention/:dataClass', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const dataClass = (req.params as { dataClass: string }).dataClass;
    const period = one(body['period']);
    const r = await attempt(() =>
      work(app.db, req, (w) =>
        app.retention.setPolicy(w, dataClass, { mode: one(body['mode']), period: period === undefined || period === '' ? null : period, deletion: one(body['deletion']), requiresApproval: one(body['requiresApproval']) === 'on' }),
      ),
    );
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '保存期間と削除', await retentionView(req, ctx.csrf, formState(body, r.problem), dataClass)), r.problem.status);
    }
    setFlash(reply, '保存期間を変更しました。');
    return reply.redirect('/admin/retention');
  });

  fastify.post('/admin/deletions/:id', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const approve = one(body['decision']) === 'approve';
    const r = await attempt(() => work(app.db, req, (w) => app.retention.decide(w, id, approve, one(body['reason']) ?? '')));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '保存期間と削除', await retentionView(req, ctx.csrf, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, approve ? '削除申請を承認しました。次回の定期処理で削除されます。' : '削除申請を却下しました。');
    return reply.redirect('/admin/retention');
  });
}
