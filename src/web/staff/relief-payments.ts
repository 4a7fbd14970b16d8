// 健康被害救済の給付の支払 (VAX-34 (4); decision 0167): the relief duty makes a batch of the payment orders due
// by the transfer date and downloads its 全銀協 総合振込 file (billing's one writer).  The vaccination duty
// never sees these batches (/payments lists only its own).  Dates in 和暦, amounts in 円, lists with totals
// and pages.
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { work } from '../../kernel/http/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { ACCOUNT_TYPES, defaultTransferDate, getReliefBatch, listReliefBatches, paymentFile } from '../../municipality/billing/index.js';
import { ACCOUNT_SOURCE_LABELS, BENEFIT_LABELS, createReliefPaymentBatch, dueReliefOrders, ordersOfBatch, RELIEF_DUTY } from '../../municipality/relief/index.js';
import { button, csrfField, dl, doneBy, field, html, notice, page, pageRequest, pager, queryOf, section, table } from '../ui/index.js';
import { needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';
import { can } from '../../kernel/access/index.js';

const BATCH_PAGE = 50;
const n = (v: number): string => v.toLocaleString('ja-JP');
const yen = (v: number): string => `${v.toLocaleString('ja-JP')}円`;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function registerReliefPaymentPages(fastify: FastifyInstance, app: App): void {
  const read = [needLogin, needPermission(app, 'personal.read', RELIEF_DUTY)];
  const write = [needLogin, needPermission(app, 'personal.write', RELIEF_DUTY)];
  const back = html`<p><a href="/relief">← 健康被害救済の事案</a></p>`;

  fastify.get('/relief/payments', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), BATCH_PAGE);
    const transferDate = defaultTransferDate(app.config.clock.today());
    const { list, due } = await work(app.db, req, async (w) => ({ list: await listReliefBatches(w, { page: r.page, pageSize: BATCH_PAGE }), due: await dueReliefOrders(w, transferDate) }));
    const canWrite = !!req.session && can(req.session.actor, 'personal.write', RELIEF_DUTY);
    return sendPage(
      reply,
      page(
        ctx,
        '健康被害救済の給付の支払',
        html`${back}
<p>支払指示のうち、支払予定日が振込日までに来るものをまとめて支払い、全銀協の総合振込ファイルを作成します。同じ支払指示を二度支払うことはありません。</p>
${canWrite
  ? section(
      '支払を作成する',
      html`<p>振込日 ${formatWareki(transferDate)} までに支払予定日が来る支払指示：<strong>${n(due.count)}件（${yen(due.amount)}）</strong>。振込日を変えると対象も変わります。</p>
<form method="post" action="/relief/payments">${csrfField(ctx.csrf)}
${field({ label: '振込日', name: 'transferDate', type: 'date', value: transferDate, required: true })}
<div class="actions">${button('支払を作成')}</div></form>`,
    )
  : ''}
${section(
  `支払の記録（全${n(list.total)}件、合計 ${yen(list.amount)}）`,
  html`${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/relief/payments', filters: {}, order: '新しい順' }) : ''}
${table(
  ['作成日時', '振込日', '振込件数', '金額', '作成者', ''],
  list.rows.map((b) => [formatJst(b.createdAt), formatWareki(b.transferDate), `${n(b.payments)}件`, yen(b.amount), doneBy(b.createdBy), html`<a href="/relief/payments/${b.id}">詳細・振込ファイル</a>`]),
  { caption: '健康被害救済の給付の支払の記録', empty: 'まだ支払を作成していません。' },
)}`,
)}`,
      ),
    );
  });

  fastify.post('/relief/payments', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const r = await work(app.db, req, (w) => createReliefPaymentBatch(w, { transferDate: one(b['transferDate']) || undefined }));
      setFlash(reply, `支払を作成しました：振込 ${n(r.payments)}件、合計 ${yen(r.amount)}。`);
      return reply.redirect(`/relief/payments/${r.batch}`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `支払を作成できませんでした：${problemText(e, { transferDate: '振込日' })}`);
      return reply.redirect('/relief/payments');
    }
  });

  fastify.get('/relief/payments/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const id = (req.params as { id: string }).id;
    const got = ID.test(id) ? await work(app.db, req, async (w) => {
      const b = await getReliefBatch(w, id);
      return b ? { ...b, orders: await ordersOfBatch(w, id) } : null;
    }) : null;
    if (!got) return sendPage(reply, page(ctx, '支払が見つかりません', html`${back}<p>指定された支払は存在しないか、参照する権限がありません。</p><p><a href="/relief/payments">← 給付の支払の記録へ</a></p>`), 404);
    const { batch, orders } = got;
    const canWrite = !!req.session && can(req.session.actor, 'personal.write', RELIEF_DUTY);
    return sendPage(
      reply,
      page(
        ctx,
        `健康被害救済の給付の支払（振込日 ${formatWareki(batch.transferDate)}）`,
        html`<p><a href="/relief/payments">← 給付の支払の記録へ</a></p>
${section('支払の概要', dl([['振込日', formatWareki(batch.transferDate)], ['振込件数', `${n(batch.payments)}件`], ['合計金額', yen(batch.amount)], ['作成者', doneBy(batch.createdBy)], ['作成日時', formatJst(batch.createdAt)]]))}
${canWrite ? html`<div class="actions"><a class="btn btn--primary" href="/relief/payments/${batch.id}/file" download>総合振込ファイルをダウンロード</a></div>` : ''}
${section(
  `支払った給付（全${n(orders.length)}件）`,
  table(
    ['受付番号', '給付', '振込先', '口座の出所', '金額'],
    [...orders.map((o) => [html`<a href="/relief/${o.caseId}">救済第${o.caseNo}号</a>`, BENEFIT_LABELS[o.benefitKind], `${o.bankCode}-${o.branchCode} ${ACCOUNT_TYPES[o.accountType] ?? ''} ${o.holderKana}`, ACCOUNT_SOURCE_LABELS[o.accountSource], yen(o.amount)]),
      ['合計', '', '', '', yen(orders.reduce((s, o) => s + o.amount, 0))]],
    { caption: '支払った給付' },
  ),
)}`,
      ),
    );
  });

  fastify.get('/relief/payments/:id/file', { preHandler: write }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const refused = async (title: string, body: ReturnType<typeof html>, status: number) => {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '総合振込ファイルを作成できません', html`<p><a href="/relief/payments">← 給付の支払の記録へ</a></p>${notice(title, 'error')}${body}`), status);
    };
    if (!ID.test(id)) return refused('指定された支払はありません', html``, 404);
    try {
      const f = await work(app.db, req, (w) => paymentFile(w, id));
      return reply.type('text/plain; charset=Shift_JIS').header('content-disposition', `attachment; filename="${f.fileName}"`).send(f.content);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return refused(e.title, e.errors.length ? html`<ul>${e.errors.map((x) => html`<li>${x.message}</li>`)}</ul>` : html`<p>${e.detail ?? ''}</p>`, e.status === 404 ? 404 : 422);
    }
  });
}
