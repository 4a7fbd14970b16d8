// 国家資格のお知らせ in the resident portal (issue 16 Must have 5; QUA-26; decisions 0216, 0217; routes:
// docs/formats/portal-routes.md): the registry's 手続結果や各種お知らせ for the person — asked from the registry
// (`notices.mine`, `notices.read`) on each visit under their マイナポータル仮名ID and shown, never stored here.
// The list shows the totals (全件・未読), the page, each notice's date in 和暦 and 未読 marks; opening a notice
// marks it read at the registry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MynaPortal } from '../../app/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { html } from '../ui/index.js';
import type { RegistryPageHelpers } from './registry.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const pageQuery = z.object({ page: z.coerce.number().int().min(1).max(10_000).default(1) });
const notFound = (): Problem => new Problem(404, 'NOT_FOUND', '見つかりません', 'お探しのページは見つかりませんでした。');

export function registerRegistryNoticePages(f: FastifyInstance, portal: MynaPortal, h: RegistryPageHelpers): void {
  const pageOf = (req: FastifyRequest): number => {
    const q = pageQuery.safeParse(req.query);
    if (!q.success) throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', 'ページは1以上の数字で指定してください。', [{ field: 'page', code: 'VALIDATION_FAILED', message: 'ページは1以上の数字です' }]);
    return q.data.page;
  };
  const idOf = (req: FastifyRequest): string => {
    const id = (req.params as { id: string }).id;
    if (!UUID.test(id)) throw notFound();
    return id;
  };

  f.get('/registry/notices', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const p = await portal.registryNotices(s, pageOf(req));
    const from = p.total ? (p.page - 1) * p.perPage + 1 : 0;
    const to = (p.page - 1) * p.perPage + p.notices.length;
    return h.send(req, reply, '国家資格のお知らせ', html`
<p class="totals" aria-live="polite">全 ${String(p.total)} 件（未読 ${String(p.unread)} 件）${p.total ? html`　${String(from)}〜${String(to)} 件目を表示` : ''}</p>
${p.notices.length ? html`<ul class="links notices">${p.notices.map((n) => html`<li class="${n.read ? 'notice-item' : 'notice-item notice-item--unread'}"><a href="/registry/notices/${n.noticeId}">${n.read ? '' : html`<span class="badge badge--info">未読</span> `}${n.read ? n.title : html`<strong>${n.title}</strong>`}<br><small>${n.kindLabel}・${n.qualificationName}・${h.jpDate(n.createdAt)}</small></a></li>`)}</ul>`
    : html`<p>お知らせはありません。</p>`}
${p.pages > 1 ? html`<nav class="pager" aria-label="ページ"><span>${String(p.page)} / ${String(p.pages)} ページ</span>
  ${p.page > 1 ? html` <a href="/registry/notices?page=${String(p.page - 1)}">前のページ</a>` : ''}${p.page < p.pages ? html` <a href="/registry/notices?page=${String(p.page + 1)}">次のページ</a>` : ''}</nav>` : ''}
<p><a href="/registry">国家資格の申請の状況へ</a></p>`, { href: '/registry', label: '申請の状況へ戻る' });
  });
  f.get('/registry/notices.json', async (req) => portal.registryNotices(h.needJson(req), pageOf(req)));

  f.get('/registry/notices/:id', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const n = await portal.registryNotice(s, idOf(req));
    return h.send(req, reply, n.title, html`
<section class="card notice notice--${n.kind}"><h2>${n.title}</h2><p>${n.body}</p>
<dl class="dl"><dt>お知らせの日</dt><dd>${h.jpDate(n.createdAt)}</dd><dt>資格</dt><dd>${n.qualificationName}</dd><dt>お知らせ元</dt><dd>${n.administratorName}</dd>
${n.registrationNo !== null ? html`<dt>登録番号</dt><dd>第${String(n.registrationNo)}号</dd>` : ''}</dl>
${n.applicationId ? html`<p><a href="/registry/applications/${n.applicationId}">この申請を見る</a></p>` : ''}</section>`, { href: '/registry/notices', label: 'お知らせの一覧へ戻る' });
  });
  f.get('/registry/notices/:id/notice.json', async (req) => portal.registryNotice(h.needJson(req), idOf(req)));
}
