// The payer's page on the 公金決済 node (decision 0175): GET /pay/<token> shows who is paid, for what, how
// much and until when, a synthetic choice of card or bank, and 支払う / やめる; POST settles or cancels, tells
// the merchant (signed event) and sends the payer back to the merchant's return URL.  The token is the page's
// capability (43 random characters, never logged: the node server logs no URLs); the page is not cached,
// not framed, sends no Referer, and refuses a form posted from another site.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCrossSite } from '../../kernel/http/index.js';
import { formatJst, formatWareki, jstToday } from '../../kernel/jp/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { PAYMENT_STATUS_LABELS } from '../../kernel/payment/index.js';
import { logger } from '../../kernel/log/index.js';
import { decide, deliverEvents, paymentByToken, type Payment, type PaymentDeps } from './store.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const yen = (n: number) => `${n.toLocaleString('ja-JP')}円`;

const STYLE = `body{font-family:"BIZ UDPGothic",sans-serif;margin:0;background:#f8f8fb;color:#1a1a1c;line-height:1.7}
main{max-width:36rem;margin:2rem auto;background:#fff;border:1px solid #d8d8db;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.4rem;margin:0 0 1rem}.note{background:#fff8e6;border-left:4px solid #c77700;padding:.5rem .8rem;font-size:.9rem}
dl{display:grid;grid-template-columns:8rem 1fr;gap:.4rem 1rem}dt{font-weight:bold}dd{margin:0}.amount{font-size:1.3rem;font-weight:bold}
fieldset{border:1px solid #d8d8db;border-radius:6px;margin:1rem 0}label{display:block;padding:.3rem 0}
.error{color:#b00020;font-weight:bold}.actions{display:flex;gap:1rem}button{font-size:1rem;padding:.6rem 1.6rem;border-radius:6px;cursor:pointer}
button[value=pay]{background:#0031d8;color:#fff;border:0}button[value=cancel]{background:#fff;border:1px solid #0031d8;color:#0031d8}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — 公金決済サービス</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<p class="note">これは模擬の決済サービスです。実際の請求や引き落としは行われません。</p>
${body}
</main></body></html>`;
}

function summary(p: Payment, merchantName: string): string {
  return `<dl>
<dt>支払先</dt><dd>${esc(merchantName)}</dd>
<dt>内容</dt><dd>${esc(p.description ?? p.category)}</dd>
<dt>金額</dt><dd class="amount">${esc(yen(p.amount))}</dd>
<dt>お支払い期限</dt><dd>${esc(`${formatWareki(jstToday(p.expiresAt))} ${formatJst(p.expiresAt).slice(11, 16)}まで`)}</dd>
</dl>`;
}

function form(p: Payment, merchantName: string, error?: string): string {
  return page('お支払い内容の確認', `${summary(p, merchantName)}
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post">
<fieldset><legend>お支払い方法</legend>
<label><input type="radio" name="method" value="card"> クレジットカード（模擬）</label>
<label><input type="radio" name="method" value="bank"> 銀行口座から支払う（模擬）</label>
</fieldset>
<div class="actions"><button type="submit" name="action" value="pay">支払う</button><button type="submit" name="action" value="cancel">やめる</button></div>
</form>`);
}

function closed(p: Payment, merchantName: string): string {
  const title = p.status === 'expired' ? 'お支払いの期限が過ぎました' : p.status === 'cancelled' ? 'このお支払いは取りやめました' : 'このお支払いは完了しています';
  return page(title, `${summary(p, merchantName)}
<p>状態: ${esc(PAYMENT_STATUS_LABELS[p.status])}</p>
<p><a href="${esc(returnTo(p))}">申請先のページに戻る</a></p>`);
}

/** The merchant's return URL with the payment id (not a proof of payment: the merchant trusts only the signed event). */
function returnTo(p: Payment): string {
  const u = new URL(p.returnUrl);
  u.searchParams.set('payment', p.id);
  return u.toString();
}

function headers(reply: FastifyReply, p?: Payment): FastifyReply {
  const back = p ? ` ${new URL(p.returnUrl).origin}` : '';
  return reply
    .header('cache-control', 'no-store')
    // same-origin: the page's address (which holds the payment token) never goes to another site, and the
    // page's own form still carries its Origin (with no-referrer a browser sends "Origin: null", refused below).
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${back}; frame-ancestors 'none'; base-uri 'none'`)
    .type('text/html; charset=utf-8');
}

function problemPage(reply: FastifyReply, status: number, title: string, detail: string, p?: Payment) {
  return headers(reply, p).status(status).send(page(title, `<p>${esc(detail)}</p>`));
}

export function payerPages(fastify: FastifyInstance, deps: PaymentDeps): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  const load = async (req: FastifyRequest) => paymentByToken(deps, String((req.params as { token: string }).token));

  fastify.get('/pay/:token', { schema: { hide: true } }, async (req, reply) => {
    const found = await load(req);
    if (!found) return problemPage(reply, 404, 'お支払いが見つかりません', 'お支払いのページのアドレスが正しくありません。申請先のページからもう一度お手続きください。');
    const { payment, merchantName } = found;
    return headers(reply, payment).send(payment.status === 'pending' ? form(payment, merchantName) : closed(payment, merchantName));
  });

  fastify.post('/pay/:token', { schema: { hide: true } }, async (req, reply) => {
    const found = await load(req);
    if (!found) return problemPage(reply, 404, 'お支払いが見つかりません', 'お支払いのページのアドレスが正しくありません。申請先のページからもう一度お手続きください。');
    const { payment, merchantName } = found;
    if (isCrossSite(req)) return problemPage(reply, 403, 'この操作は受け付けられません', 'ほかのサイトから送られたお支払いの操作は受け付けません。このページから操作してください。', payment);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const action = b['action'] === 'pay' ? 'pay' : b['action'] === 'cancel' ? 'cancel' : undefined;
    if (!action) return headers(reply, payment).status(400).send(form(payment, merchantName, '「支払う」か「やめる」を押してください。'));
    const method = b['method'] === 'card' || b['method'] === 'bank' ? b['method'] : undefined;
    if (action === 'pay' && !method) {
      if (payment.status !== 'pending') return headers(reply, payment).status(409).send(closed(payment, merchantName));
      return headers(reply, payment).status(400).send(form(payment, merchantName, 'お支払い方法を選んでください。'));
    }
    let done: Payment;
    try {
      done = await decide(deps, String((req.params as { token: string }).token), action === 'pay' ? { kind: 'pay', method: method! } : { kind: 'cancel' });
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      const now = (await load(req))?.payment ?? payment;
      return headers(reply, now).status(e.status).send(now.status === 'pending' ? form(now, merchantName, e.title) : closed(now, merchantName));
    }
    // Tell the merchant now; when it cannot be reached the event waits for the node's delivery job.
    try {
      await deliverEvents(deps, { paymentId: done.id });
    } catch (e) {
      logger().error({ node: deps.node.name, err: (e as Error).message }, 'payment event delivery failed');
    }
    return headers(reply, done).redirect(returnTo(done), 303);
  });
}
