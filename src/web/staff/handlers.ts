// 取扱者名簿 and 委託先のアクセスログ提出依頼 (KRN-47, decision 0117) for the account administrator: the roster of
// named handlers of 特定個人情報 (screen and CSV), the contractors' accounts with their status, and requests to
// a contractor company for its handling logs with due date and receipt.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  ACCOUNT_STATUS_LABELS,
  contractorCompanies,
  dutyLabel,
  groundLabel,
  handlerRoster,
  handlerRosterCsv,
  listContractorLogRequests,
  receiveContractorLogs,
  requestContractorLogs,
  role,
} from '../../kernel/access/index.js';
import { work } from '../../kernel/http/index.js';
import { badge, button, csrfField, errorSummary, field, html, page, section, select, table, type FormState, type SafeHtml } from '../ui/index.js';
import { attempt, formState, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';

export function registerHandlerPages(fastify: FastifyInstance, app: App): void {
  const admin = [needLogin, needPermission(app, 'accounts.manage', 'account-admin')];

  const view = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const [roster, requests, companies] = await work(app.db, req, async (w) => [await handlerRoster(w), await listContractorLogRequests(w), await contractorCompanies(w)] as const);
    const today = app.config.clock.today();
    return html`
${section(
  `取扱者名簿（${roster.length}名）`,
  html`<p>特定個人情報を取り扱うことができる者の名簿です（${today} 時点、有効・停止中のアカウントから作成）。個人番号閲覧可能フラグ、個人番号を扱う所掌事務（宛名管理・情報連携・健康被害救済）のいずれかを持つ職員と、すべての委託先従事者が載ります。<a class="btn btn--secondary" href="/admin/handlers.csv">CSVで出力</a></p>
${table(
  ['取扱区分', '種別', '委託先事業者', '氏名', 'ログインID', '役割', '所掌事務', '個人番号閲覧', '理由', '状態', '有効期限'],
  roster.map((e) => [
    e.handlerClass,
    e.account.kind === 'contractor' ? '委託先' : '職員',
    e.account.contractorCompany,
    e.account.fullName,
    html`<a href="/admin/accounts/${e.account.id}">${e.account.loginId}</a>`,
    role(e.account.role)?.label ?? '',
    e.account.duties.map(dutyLabel).join('、'),
    e.account.mynumberView ? '可' : '不可',
    e.grounds.map(groundLabel).join('、'),
    ACCOUNT_STATUS_LABELS[e.account.status],
    e.account.expiresOn,
  ]),
)}`,
)}
${section(
  '委託先へのアクセスログ提出依頼',
  html`<p>委託先事業者に、その従事者の取扱記録（アクセスログ）の提出を依頼し、受領を記録します。Mamori 上での委託先アカウントの操作は<a href="/audit">操作ログ</a>で確認できます。</p>
${errorSummary(state)}
<form method="post" action="/admin/handlers/requests" class="card" novalidate>${csrfField(csrf)}
  ${select({ label: '委託先事業者', name: 'company', options: companies.map((c) => [c, c] as [string, string]), value: '' }, state)}
  ${field({ label: '対象期間（開始日）', name: 'periodFrom', type: 'date', required: true }, state)}
  ${field({ label: '対象期間（終了日）', name: 'periodTo', type: 'date', required: true }, state)}
  ${field({ label: '提出期限', name: 'dueOn', type: 'date', required: true }, state)}
  ${field({ label: '備考', name: 'note' }, state)}
  ${button('提出を依頼する')}
</form>
${table(
  ['依頼日', '委託先事業者', '対象期間', '提出期限', '状態', '受領', '依頼者'],
  requests.map((r) => [
    r.requestedOn,
    r.company,
    `${r.periodFrom}〜${r.periodTo}`,
    r.dueOn,
    r.status === 'received' ? badge('受領済み', 'ok') : r.overdue ? badge('期限超過', 'bad') : badge('依頼中', 'warn'),
    r.status === 'received'
      ? html`${r.receivedOn}（${r.receivedBy ?? ''}）${r.receivedNote ? html`<br><small>${r.receivedNote}</small>` : ''}`
      : html`<form method="post" action="/admin/handlers/requests/${r.id}/receive" class="inline-form">${csrfField(csrf)}<label>受領日 <input type="date" name="receivedOn" value="${today}"></label> <label>メモ <input type="text" name="note" maxlength="500"></label> ${button('受領を記録', 'secondary')}</form>`,
    r.requestedBy,
  ]),
  { caption: '提出依頼（新しい順）', empty: '提出依頼はまだありません。' },
)}`,
)}`;
  };

  fastify.get('/admin/handlers', { preHandler: admin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '取扱者名簿・委託先', await view(req, ctx.csrf)));
  });

  fastify.get('/admin/handlers.csv', { preHandler: admin }, async (req, reply) => {
    const csv = await work(app.db, req, (w) => handlerRosterCsv(w));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="handler-roster-${req.session!.tenant}-${app.config.clock.today()}.csv"`).send(csv);
  });

  fastify.post('/admin/handlers/requests', { preHandler: [...admin, fastify.csrfProtection] }, async (req, reply) => {
    const body = req.body as Form;
    const r = await attempt(() =>
      work(app.db, req, (w) => requestContractorLogs(w, { company: one(body['company']) ?? '', periodFrom: one(body['periodFrom']), periodTo: one(body['periodTo']), dueOn: one(body['dueOn']), note: one(body['note']) || undefined })),
    );
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '取扱者名簿・委託先', await view(req, ctx.csrf, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, `${r.value.company} にログの提出を依頼しました（期限 ${r.value.dueOn}）。`);
    return reply.redirect('/admin/handlers');
  });

  fastify.post('/admin/handlers/requests/:id/receive', { preHandler: [...admin, fastify.csrfProtection] }, async (req, reply) => {
    const body = req.body as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => receiveContractorLogs(w, id, { receivedOn: one(body['receivedOn']), note: one(body['note']) || undefined })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '取扱者名簿・委託先', await view(req, ctx.csrf, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, `${r.value.company} のログの受領を記録しました。`);
    return reply.redirect('/admin/handlers');
  });
}
