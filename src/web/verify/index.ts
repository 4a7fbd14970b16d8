// 資格の確認 — the public verifier pages of the digital qualification certificates (issue 16 Must have 2;
// QUA-24; decisions 0206–0208; routes: docs/formats/verify.md), served only by the registry node.  Anyone,
// without logging in:
//   /verify                      pastes a presentation (or opens the QR code's URL: the presentation is in the
//                                URL's fragment, which the browser never sends; /verify/verify.js posts it) and
//                                sees 有効 / 取消し / 停止中 / 検証できません with the issuer (資格管理者) and only the
//                                disclosed items — verifyPresentation with the issuer's published JWKS and status
//                                list (verifyForPage: only this registry's 資格管理者 are issuers);
//   /verify/confirm/<t>/<token>  an employer's one-time confirmation link: a button opens it (a link preview
//                                does not use it up), then the chosen items and the current status; a second
//                                opening or an expired link says so.  Every opening is recorded for the holder.
// Nothing here is logged with the presentation's contents; no cookie, no session; strict CSP.
import type { FastifyInstance, FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { catalog, CREDENTIAL_CLAIMS, openConfirmation, verifyForPage, type ExaminationDeps, type Verification } from '../../registry/index.js';
import { html, pageProblem, STRICT_HELMET, type SafeHtml } from '../ui/index.js';

/** An instant as people read it: 和暦 date and JST time (令和8年11月21日 10:00). */
const jpWhen = (iso: string): string => {
  const j = formatJst(new Date(iso));
  return `${formatWareki(j.slice(0, 10))} ${j.slice(11, 16)}`;
};

export const VERIFY_PAGES = '/verify';
/** Checks and link openings per client address and minute: a person or an employer's desk stays far below it; a scraper does not. */
export const VERIFY_RATE_LIMIT = { max: 30, timeWindow: '1 minute' } as const;

/** What the verifier reads as the result (QUA-24): 有効 / 取消し / 停止中 / 検証できません. */
export const RESULT_WORDS = { valid: '有効', revoked: '取消し', suspended: '停止中', invalid: '検証できません' } as const;
const RESULT_TONE = { valid: 'ok', revoked: 'bad', suspended: 'warn', invalid: 'bad' } as const;
const RESULT_TEXT = {
  valid: 'この資格は有効です。資格管理者の署名を確認し、現在の状態を資格管理者の失効情報で確かめました。',
  revoked: 'この資格は取り消されています（免許取消または登録の抹消）。資格証の署名は正しいものですが、資格として有効ではありません。',
  suspended: 'この資格は現在、業務停止の期間中です。',
} as const;

const VERIFY_JS = String.raw`(function () {
  'use strict';
  var m = /^#vp=(.+)$/.exec(window.location.hash || '');
  var form = document.getElementById('verify-form');
  if (!m || !form) return;
  form.querySelector('textarea').value = decodeURIComponent(m[1]);
  history.replaceState(null, '', window.location.pathname);
  form.submit();
})();
`;

const VERIFY_CSS = `.verify-result__word { font-size: 1.5rem; font-weight: 700; margin: 0 0 .5rem; }
.verify-result__word .badge { font-size: 1.5rem; padding: .25rem 1rem; border-width: 2px; }
.verify-result--valid, [data-result="active"] { border-left: .5rem solid var(--color-semantic-success-2); }
.verify-result--revoked, .verify-result--invalid, [data-result="revoked"], [data-result="erased"], [data-result="unavailable"] { border-left: .5rem solid var(--color-semantic-error-2); }
.verify-result--suspended, [data-result="suspended"] { border-left: .5rem solid var(--color-semantic-warning-orange-2); }
`;

const claimValue = (k: string, v: string | number): string => (k === '登録年月日' || k === '生年月日') && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatWareki(v) : String(v);

function frame(title: string, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title} | 国家資格の確認</title>
<link rel="stylesheet" href="/assets/tokens.css">
<link rel="stylesheet" href="/assets/mamori.css">
<link rel="stylesheet" href="${VERIFY_PAGES}/verify.css">
</head>
<body>
<a class="skip" href="#main">本文へ移動</a>
<header class="header"><div class="header__inner"><a class="brand" href="${VERIFY_PAGES}">国家資格の確認<small>国家資格等情報連携・活用システム</small></a></div></header>
<main id="main">
<h1>${title}</h1>
${content}
</main>
</body>
</html>`.value;
}

function resultHtml(v: Verification): SafeHtml {
  if (v.result === 'invalid') {
    return html`<section class="card verify-result verify-result--invalid" id="verify-result" data-result="invalid">
  <p class="verify-result__word"><span class="badge badge--${RESULT_TONE.invalid}">${RESULT_WORDS.invalid}</span></p>
  <p><strong>理由:</strong> ${v.detail}</p>
  <p class="hint">資格証の内容は表示しません。提示した方に、もう一度提示してもらうか、資格管理者に問い合わせてください。</p></section>`;
  }
  const claims = CREDENTIAL_CLAIMS.filter((k) => v.claims[k] !== undefined);
  return html`<section class="card verify-result verify-result--${v.result}" id="verify-result" data-result="${v.result}">
  <p class="verify-result__word"><span class="badge badge--${RESULT_TONE[v.result]}">${RESULT_WORDS[v.result]}</span></p>
  <p>${RESULT_TEXT[v.result]}</p>
  <dl class="dl">
    <dt>発行者（資格管理者）</dt><dd>${v.issuerName ?? '—'}</dd>
    ${claims.map((k) => html`<dt>${k}</dt><dd>${claimValue(k, v.claims[k]!)}</dd>`)}
    <dt>資格証の発行日時</dt><dd>${jpWhen(v.issuedAt)}</dd>
    ${v.expiresAt ? html`<dt>資格証の有効期限</dt><dd>${jpWhen(v.expiresAt)}</dd>` : ''}
  </dl>
  <p class="hint">提示した方が選んだ項目だけが表示されています（${String(claims.length)}項目）。</p></section>`;
}

const form = (value = ''): SafeHtml => html`<form id="verify-form" method="post" action="${VERIFY_PAGES}" class="card">
  <div class="field"><label for="f-vp">提示データ</label><p class="hint">資格証の提示データ（QRコードを読み取ったもの、またはダウンロードしたファイルの内容）を貼り付けてください。</p>
  <textarea id="f-vp" name="presentation" rows="6" spellcheck="false">${value}</textarea></div>
  <button type="submit" class="btn btn--primary btn--block">確認する</button></form>`;

export async function registerVerifyPages(fastify: FastifyInstance, deps: ExaminationDeps): Promise<void> {
  const cred = deps.credentials;
  if (!cred) throw new Error('verify pages: the registry node gives the credential deps');
  await fastify.register(async (f) => {
    await f.register(helmet, STRICT_HELMET);
    await f.register(formbody, { bodyLimit: 128 * 1024 });
    await f.register(rateLimit, { global: false });
    const limited = { config: { rateLimit: VERIFY_RATE_LIMIT } };
    f.addHook('onRequest', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });
    const send = (reply: FastifyReply, title: string, content: SafeHtml) => reply.type('text/html; charset=utf-8').send(frame(title, content));
    f.setErrorHandler(async (error, req, reply) => {
      const p = pageProblem(error, req.id);
      if (p.status >= 500) req.log.error({ err: error, reqId: req.id }, 'verify page failed');
      reply.status(p.status);
      return send(reply, p.status === 404 ? 'ページが見つかりません' : p.title, html`<p>${p.status === 404 ? 'お探しのページは見つかりませんでした。' : p.detail ?? ''}</p>`);
    });

    f.get(`${VERIFY_PAGES}/verify.css`, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(VERIFY_CSS));
    f.get(`${VERIFY_PAGES}/verify.js`, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(VERIFY_JS));

    f.get(VERIFY_PAGES, async (_req, reply) => send(reply, '資格の確認', html`
<p>国家資格のデジタル資格証を確認します。資格管理者の署名と、資格の現在の状態（取消し・業務停止）を確かめ、提示した方が選んだ項目だけを表示します。</p>
${form()}
<script src="${VERIFY_PAGES}/verify.js"></script>`));

    f.post(VERIFY_PAGES, limited, async (req, reply) => {
      const text = String((req.body as { presentation?: unknown } | undefined)?.presentation ?? '').slice(0, 64_001);
      if (!text.trim()) return send(reply, '資格の確認', html`<p class="notice notice--error" role="alert">提示データを貼り付けてください。</p>${form()}`);
      const v = await verifyForPage(cred, text);
      return send(reply, '資格の確認の結果', html`${resultHtml(v)}<h2>別の資格証を確認する</h2>${form()}`);
    });

    const params = (req: { params: unknown }) => req.params as { tenant: string; token: string };
    const confirmPath = (t: string, k: string) => `${VERIFY_PAGES}/confirm/${t}/${k}`;
    const gone = (title: string, text: string) => html`<section class="card verify-result" id="verify-result" data-result="unavailable"><p class="verify-result__word"><span class="badge badge--bad">${title}</span></p><p>${text}</p></section>`;
    const refusal = (o: Awaited<ReturnType<typeof openConfirmation>>): SafeHtml | null =>
      o.result === 'used' ? gone('使用済み', `この確認用リンクは、${jpWhen(o.openedAt)}にすでに開かれています。確認用リンクは1回だけ開くことができます。必要な場合は、資格をお持ちの方に新しいリンクの作成を依頼してください。`)
      : o.result === 'expired' ? gone('有効期限切れ', `この確認用リンクの有効期限（${jpWhen(o.expiresAt)}）を過ぎています。資格をお持ちの方に新しいリンクの作成を依頼してください。`)
      : o.result === 'unknown' ? gone('見つかりません', 'この確認用リンクは見つかりません。アドレスを確かめてください。')
      : null;

    f.get(`${VERIFY_PAGES}/confirm/:tenant/:token`, limited, async (req, reply) => {
      const p = params(req);
      const o = await openConfirmation(deps, p.tenant, p.token, false);
      const r = refusal(o);
      if (r) return send(reply, '資格の確認（勤務先など）', r);
      return send(reply, '資格の確認（勤務先など）', html`<section class="card">
<p>資格をお持ちの方が、あなたに資格の確認を依頼しています。「確認する」を押すと、選ばれた項目と資格の現在の状態が表示されます。</p>
<p><strong>このリンクは1回だけ開くことができます。</strong>表示した内容は必要に応じて記録してください（有効期限: ${o.result === 'ready' ? jpWhen(o.expiresAt) : ''}）。</p>
<form method="post" action="${confirmPath(p.tenant, p.token)}"><button type="submit" class="btn btn--primary btn--block">確認する</button></form></section>`);
    });

    f.post(`${VERIFY_PAGES}/confirm/:tenant/:token`, limited, async (req, reply) => {
      const p = params(req);
      const o = await openConfirmation(deps, p.tenant, p.token, true);
      const r = refusal(o);
      if (r || o.result !== 'shown') return send(reply, '資格の確認（勤務先など）', r ?? html``);
      const tone = o.status.code === 'active' ? 'ok' : o.status.code === 'suspended' ? 'warn' : 'bad';
      const word = o.status.code === 'active' ? RESULT_WORDS.valid : o.status.code === 'suspended' ? RESULT_WORDS.suspended : RESULT_WORDS.revoked;
      const claims = CREDENTIAL_CLAIMS.filter((k) => o.claims[k] !== undefined);
      return send(reply, '資格の確認（勤務先など）', html`<section class="card verify-result" id="verify-result" data-result="${o.status.code}">
<p class="verify-result__word"><span class="badge badge--${tone}">${word}</span>${o.status.label !== word ? html` ${o.status.label}` : ''}</p>
<dl class="dl">
  <dt>資格管理者</dt><dd>${o.issuerName}</dd>
  ${claims.map((k) => html`<dt>${k}</dt><dd>${claimValue(k, o.claims[k]!)}</dd>`)}
  <dt>提供先</dt><dd>${o.recipient}</dd>
  <dt>確認した日時</dt><dd>${jpWhen(o.openedAt)}</dd>
</dl>
<p class="hint">資格の状態は、${catalog().administrator(p.tenant)?.name ?? ''}の登録による現在のものです。このリンクはもう開くことができません。</p></section>`);
    });
  });
}
