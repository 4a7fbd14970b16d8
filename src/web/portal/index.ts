// The resident portal pages (マイナポータル, decision 0146; routes: docs/formats/portal-routes.md).  Mounted
// on the マイナポータル node's server by `startOrganisations({portalPages})`; everything about a person goes
// through the node (`MynaPortal`), which calls the platform with the PMH仮名識別子 (PMH-25).  Persons appear
// in URLs only as opaque per-session ids; no My Number, PMHキー or pseudonym is ever shown or put in a URL.
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { MynaPortal, PortalPerson, PortalQuestionnaire, PortalSession, QuestionnaireItem } from '../../app/index.js';
import { formatWareki, jstToday } from '../../kernel/jp/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { csrfPerReply, html, pageProblem, raw, serveUiAssets, STRICT_HELMET, type SafeHtml } from '../ui/index.js';
import { renderRecordsPdf } from './pdf.js';
import { CARD_LOGIN_MISSING_JS, PORTAL_LOGIN_JS } from './script.js';
import { registerRegistryPages } from './registry.js';
import { REGISTRY_APPLY_JS } from './registry-script.js';
import { registerCredentialPages } from './credentials.js';
import { REGISTRY_CREDENTIALS_JS } from './credentials-script.js';

export { renderRecordsPdf, type RecordsPdfData } from './pdf.js';

export const PORTAL_COOKIE = 'mamori_portal';
export const DATA_USE_PAGE_SIZE = 50;

export interface PortalPageOptions {
  /** Secure cookies (default: on unless MAMORI_INSECURE_COOKIES=1, as the staff server). */
  readonly secureCookies?: boolean;
  /** The card-reading script (/assets/card-login.js); default: src/web/assets/card-login.js when present. */
  readonly cardScript?: string;
  /** A demonstration deployment: every page says so. */
  readonly demo?: boolean;
  /** Challenges, logins and PIN reports per client address per minute (default 60). */
  readonly loginRateLimitPerMinute?: number;
}

const PORTAL_CSS = readFileSync(new URL('../assets/portal.css', import.meta.url), 'utf8');

function defaultCardScript(): string {
  const u = new URL('../assets/card-login.js', import.meta.url);
  return existsSync(u) ? readFileSync(u, 'utf8') : CARD_LOGIN_MISSING_JS;
}

declare module 'fastify' {
  interface FastifyRequest {
    portalSession: PortalSession | null;
    portalSessionEnded: boolean;
  }
}

interface Frame {
  readonly title: string;
  readonly session: PortalSession | null;
  readonly csrf: string;
  readonly demo?: boolean | undefined;
  readonly back?: { href: string; label: string } | undefined;
  /** The subtitle next to the brand (default: the vaccination pages'). */
  readonly brand?: string | undefined;
}

function frame(f: Frame, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${f.title} | マイナポータル</title>
<link rel="stylesheet" href="/assets/tokens.css">
<link rel="stylesheet" href="/assets/mamori.css">
<link rel="stylesheet" href="/assets/portal.css">
</head>
<body class="portal">
<a class="skip" href="#main">本文へ移動</a>
<header class="header"><div class="header__inner">
  <a class="brand" href="${f.session ? '/home' : '/'}">マイナポータル<small>${f.brand ?? '予防接種のお知らせと記録'}</small></a>
  ${f.session ? html`<div class="who"><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${f.csrf}"><button type="submit" class="btn btn--secondary">ログアウト</button></form></div>` : ''}
</div></header>
${f.demo ? html`<div class="demo-banner" role="note"><strong>デモ環境</strong>　表示される情報はすべて架空のものです。</div>` : ''}
<main id="main">
${f.back ? html`<p><a href="${f.back.href}">‹ ${f.back.label}</a></p>` : ''}
<h1>${f.title}</h1>
${content}
</main>
<footer class="footer">このページの操作と、あなたの情報を見た記録は保存されます。共用のパソコンでは、使い終わったら必ずログアウトしてください。</footer>
</body>
</html>`.value;
}

/** 'YYYY-MM-DD' → 令和8年11月21日; an instant → 令和8年11月21日 10:05 (JST). */
function jpDate(s: string | null | undefined): string {
  if (!s) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return formatWareki(s);
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  const day = jstToday(d);
  const hm = new Date(d.getTime() + 9 * 3600_000).toISOString().slice(11, 16);
  return `${formatWareki(day)} ${hm}`;
}

const SEX: Record<string, string> = { '1': '男', '2': '女', '9': '' };

function personLine(p: PortalPerson): SafeHtml {
  return html`<p class="person-meta">${p.dateOfBirth ? html`${jpDate(p.dateOfBirth)}生まれ` : ''}${SEX[p.sex] ? html`・${SEX[p.sex]}` : ''}</p>`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const doseLabel = (v: unknown): string => (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? `${v}回目` : str(v));

export async function registerPortalPages(fastify: FastifyInstance, portal: MynaPortal, opts: PortalPageOptions = {}): Promise<void> {
  const secure = opts.secureCookies ?? process.env['MAMORI_INSECURE_COOKIES'] !== '1';
  const cardJs = opts.cardScript ?? defaultCardScript();
  const clock = portal.clock;

  await fastify.register(async (f) => {
    await f.register(helmet, STRICT_HELMET);
    await f.register(cookie);
    await f.register(formbody, { bodyLimit: 256 * 1024 });
    await f.register(csrf, { cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure, signed: false } });
    await f.register(rateLimit, { global: false });
    const limited = { rateLimit: { max: opts.loginRateLimitPerMinute ?? 60, timeWindow: '1 minute' } };
    f.decorateRequest('portalSession', null);
    f.decorateRequest('portalSessionEnded', false);

    f.addHook('onRequest', async (req, reply) => {
      reply.header('cache-control', 'no-store');
      if (req.url.startsWith('/assets/')) return;
      const token = req.cookies[PORTAL_COOKIE];
      if (!token) return;
      req.portalSession = await portal.session(token);
      if (!req.portalSession) {
        req.portalSessionEnded = true;
        reply.clearCookie(PORTAL_COOKIE, { path: '/' });
      }
    });

    const wantsJson = (req: FastifyRequest) => req.headers['content-type']?.startsWith('application/json') === true || req.url.endsWith('.json');
    f.setErrorHandler(async (error, req, reply) => {
      const p = pageProblem(error, req.id);
      if (p.status >= 500) req.log.error({ err: error, reqId: req.id }, 'portal request failed');
      reply.status(p.status);
      if (wantsJson(req)) return reply.type('application/problem+json; charset=utf-8').send(p.toJSON());
      const title = p.status === 404 ? 'ページが見つかりません' : p.title;
      const detail = p.status === 404 ? 'お探しのページは見つかりませんでした。' : p.detail ?? '';
      return reply.type('text/html; charset=utf-8').send(
        frame({ title, session: req.portalSession, csrf: req.portalSession ? csrfOf(reply) : '', demo: opts.demo }, html`<p>${detail}</p><p><a href="${req.portalSession ? '/home' : '/'}">${req.portalSession ? 'ホームへ戻る' : 'ログイン画面へ'}</a></p>`),
      );
    });

    const csrfOf = csrfPerReply();

    const asset = (path: string, type: string, body: string | (() => string)) =>
      f.get(path, async (_req, reply) => reply.type(type).header('cache-control', 'public, max-age=3600').send(typeof body === 'string' ? body : body()));
    serveUiAssets(f);
    asset('/assets/portal.css', 'text/css; charset=utf-8', PORTAL_CSS);
    asset('/assets/card-login.js', 'text/javascript; charset=utf-8', cardJs);
    asset('/assets/portal-login.js', 'text/javascript; charset=utf-8', PORTAL_LOGIN_JS);
    asset('/assets/registry-apply.js', 'text/javascript; charset=utf-8', REGISTRY_APPLY_JS);
    asset('/assets/registry-credentials.js', 'text/javascript; charset=utf-8', REGISTRY_CREDENTIALS_JS);

    const send = (req: FastifyRequest, reply: FastifyReply, title: string, content: SafeHtml, back?: Frame['back']) =>
      reply.type('text/html; charset=utf-8').send(frame({ title, session: req.portalSession, csrf: csrfOf(reply), demo: opts.demo, back, brand: /^\/registry\/(credentials|confirmations)/.test(req.url) ? 'デジタル資格証' : req.url.startsWith('/registry') ? '国家資格の申請' : undefined }, content));

    /** The page's session, or a redirect to the login page. */
    const need = (req: FastifyRequest, reply: FastifyReply): PortalSession | null => {
      if (req.portalSession) return req.portalSession;
      void reply.redirect(req.portalSessionEnded ? '/?ended=1' : '/');
      return null;
    };
    const needJson = (req: FastifyRequest): PortalSession => {
      if (!req.portalSession) throw new Problem(401, 'UNAUTHENTICATED', 'ログインしてください', 'ログインの有効期限が切れました。もう一度ログインしてください。');
      return req.portalSession;
    };

    const cardForm = (o: { csrf: string; challenge: string; submit: string; pinFailed?: string; button: string; consent?: string }) => html`
<form id="card-form" class="card" data-csrf="${o.csrf}" data-challenge="${o.challenge}" data-submit="${o.submit}" data-pin-failed="${o.pinFailed ?? ''}" novalidate>
  <div class="field"><label for="f-card">マイナンバーカードのファイル</label>
    <p class="hint">カードを読み取ったファイルを選んでください。</p>
    <input type="file" id="f-card" name="card"></div>
  <div class="field"><label for="f-pin">利用者証明用電子証明書の暗証番号（数字4桁）</label>
    <p class="hint">3回続けて間違えると、カードがロックされます。</p>
    <input type="password" id="f-pin" name="pin" inputmode="numeric" pattern="[0-9]{4}" maxlength="4" autocomplete="off"></div>
  ${o.consent ? html`<div class="field"><p class="purpose">${o.consent}</p><label class="check"><input type="checkbox" id="f-consent" name="consent" value="on"> 上記の内容に同意します</label></div>` : ''}
  <p id="card-message" class="message" role="alert" tabindex="-1" hidden></p>
  <button type="submit" class="btn btn--primary btn--block">${o.button}</button>
</form>
<script src="/assets/card-login.js"></script>
<script src="/assets/portal-login.js"></script>`;

    // Any other address under /p/ (and a typed /login) gets the portal's own pages, not the node's JSON 404.
    f.get('/p/*', async () => {
      throw new Problem(404, 'NOT_FOUND', '見つかりません');
    });
    f.get('/login', async (_req, reply) => reply.redirect('/'));

    // ── ログイン ────────────────────────────────────────────────────────────
    f.get('/', async (req, reply) => {
      if (req.portalSession) return reply.redirect('/home');
      const ended = (req.query as { ended?: string }).ended === '1' || req.portalSessionEnded;
      return send(req, reply, 'ログイン', html`
${ended ? html`<p class="message" role="status">一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。</p>` : ''}
<p class="lead">マイナンバーカードでログインすると、予防接種のお知らせ（接種券）の確認、予診票の入力、接種記録の確認ができます。</p>
${cardForm({ csrf: csrfOf(reply), challenge: '/login/challenge', submit: '/login', pinFailed: '/login/pin-failed', button: 'ログインする' })}`);
    });

    f.post('/login/challenge', { preHandler: f.csrfProtection, config: limited }, async () => portal.challenge('login'));

    f.post('/login', { preHandler: f.csrfProtection, config: limited }, async (req, reply) => {
      const { token } = await portal.login(req.body as never);
      reply.setCookie(PORTAL_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      return { next: '/home' };
    });

    f.post('/login/pin-failed', { preHandler: f.csrfProtection, config: limited }, async (req) => portal.pinFailed(req.body as never));

    const logout = async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.portalSession) await portal.logout(req.portalSession);
      reply.clearCookie(PORTAL_COOKIE, { path: '/' });
      req.portalSession = null;
      return send(req, reply, 'ログアウトしました', html`<p>ログアウトしました。ブラウザを閉じてください。</p><p><a href="/">ログイン画面へ</a></p>`);
    };
    f.post('/logout', { preHandler: f.csrfProtection }, logout);
    f.get('/logout', async (req, reply) => {
      if (!req.portalSession) return reply.redirect('/');
      return send(req, reply, 'ログアウト', html`<p>ログアウトしますか。</p>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrfOf(reply)}"><button type="submit" class="btn btn--primary btn--block">ログアウトする</button></form>`);
    });

    // ── ホーム ─────────────────────────────────────────────────────────────
    f.get('/home', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const persons = await portal.persons(s);
      const flash = (req.query as { added?: string }).added === '1' ? html`<p class="notice notice--success" role="status">お子さまを登録しました。</p>` : '';
      const self = persons.filter((p) => p.relation === 'self');
      const children = persons.filter((p) => p.relation === 'agent');
      const personCard = (p: PortalPerson, heading: string) => html`<section class="card">
  <h2>${heading}${p.name}さん</h2>${personLine(p)}
  <ul class="links">
    <li><a href="/p/${p.pid}/notices">お知らせ（接種券）</a></li>
    <li><a href="/p/${p.pid}/records">接種記録と次の予防接種</a></li>
    <li><a href="/p/${p.pid}/data-use">わたしの情報を使った記録</a></li>
  </ul></section>`;
      return send(req, reply, 'ホーム', html`${flash}
${self.length ? self.map((p) => personCard(p, '')) : html`<section class="card"><h2>ご本人</h2><p>まだ市区町村から予防接種の情報が届いていません。</p></section>`}
<h2>代理で見ているお子さま</h2>
${children.length ? children.map((p) => personCard(p, '')) : html`<p>登録されているお子さまはいません。</p>`}
<p><a class="btn btn--secondary btn--block" href="/agents/new">お子さまを登録する（代理人の登録）</a></p>
<h2>国家資格</h2>
<ul class="links"><li><a href="/registry/new">国家資格の申請</a></li><li><a href="/registry">国家資格の申請の状況</a></li><li><a href="/registry/credentials">デジタル資格証</a></li></ul>`);
    });

    // ── 代理人の登録 ────────────────────────────────────────────────────────
    f.get('/agents/new', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      return send(req, reply, '代理人の登録', html`
<p>お子さまのマイナンバーカードのファイルと、お子さまのカードの暗証番号で確認します。登録すると、お子さまのお知らせ・予診票・接種記録をあなたが見られるようになります。</p>
${cardForm({ csrf: csrfOf(reply), challenge: '/agents/challenge', submit: '/agents', button: 'お子さまを登録する', consent: portal.texts.agentConsent })}`, { href: '/home', label: 'ホームへ戻る' });
    });
    f.post('/agents/challenge', { preHandler: f.csrfProtection, config: limited }, async (req) => portal.challenge('agent', needJson(req)));
    f.post('/agents', { preHandler: f.csrfProtection, config: limited }, async (req) => {
      const s = needJson(req);
      const body = (req.body ?? {}) as { consent?: unknown };
      await portal.addAgent(s, req.body as never, { agreed: body.consent === true, text: portal.texts.agentConsent });
      return { next: '/home?added=1' };
    });

    // ── お知らせ ───────────────────────────────────────────────────────────
    const pidOf = (req: FastifyRequest) => (req.params as { pid: string }).pid;
    const backHome = { href: '/home', label: 'ホームへ戻る' };

    f.get('/p/:pid/notices', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const notices = await portal.notices(s, pid);
      return send(req, reply, `${person.name}さんへのお知らせ`, notices.length
        ? html`<ul class="links">${notices.map((n) => html`<li><a href="/p/${pid}/notices/${encodeURIComponent(n.noticeId)}">${n.title}<br><small>${n.programName}${n.dose ? html` ${doseLabel(n.dose)}` : ''}・${jpDate(n.issuedOn)}</small></a></li>`)}</ul>`
        : html`<p>お知らせはありません。</p>`, backHome);
    });

    f.get('/p/:pid/notices/:noticeId', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const id = (req.params as { noticeId: string }).noticeId;
      const n = (await portal.notices(s, pid)).find((x) => x.noticeId === id);
      if (!n) throw new Problem(404, 'NOT_FOUND', '見つかりません');
      const code = n.programCode ?? '';
      return send(req, reply, n.title, html`
<section class="card">
  <p>${n.municipalityName ?? ''}</p>
  <h2>${n.programName}${n.dose ? html` ${doseLabel(n.dose)}` : ''}</h2>
  ${n.voucherNo ? html`<p>接種券番号</p><p class="voucher">${n.voucherNo}</p>` : ''}
  <dl class="dl">${n.issuedOn ? html`<dt>発行日</dt><dd>${jpDate(n.issuedOn)}</dd>` : ''}${n.dueUntil ? html`<dt>接種できる期限</dt><dd>${jpDate(n.dueUntil)}まで</dd>` : ''}</dl>
  <div>${n.body.split(/\n/).map((l) => html`<p>${l}</p>`)}</div>
</section>
${code && n.dose ? html`<p><a class="btn btn--primary btn--block" href="/p/${pid}/questionnaire?program=${encodeURIComponent(code)}&amp;dose=${n.dose}">予診票を入力する</a></p>` : ''}`, { href: `/p/${pid}/notices`, label: 'お知らせの一覧へ' });
    });

    // ── 予診票 ─────────────────────────────────────────────────────────────
    const qQuery = z.object({
      program: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/),
      dose: z.coerce.number().int().min(1).max(20),
    });
    const readQuery = (q: unknown): { program: string; dose: number } => {
      const r = qQuery.safeParse(q);
      if (!r.success) throw new Problem(404, 'NOT_FOUND', '見つかりません');
      return r.data;
    };

    const questionnaireForm = (pid: string, person: PortalPerson, q: PortalQuestionnaire, program: string, dose: number, csrfToken: string, values: Record<string, string>, errors: Record<string, string>) => {
      const consentText = person.relation === 'self' ? portal.texts.questionnaireSelf : portal.texts.questionnaireAgent;
      const item = (it: QuestionnaireItem, i: number) => {
        const name = `q${i}`;
        const v = values[name] ?? '';
        const err = errors[name] ? html`<p class="error-text" id="f-${name}-error">${errors[name]!}</p>` : '';
        const req = it.required ? html`<span class="req">必須</span>` : '';
        if (it.type === 'boolean' || it.type === 'choice') {
          const opts: [string, string][] = it.type === 'boolean' ? [['yes', 'はい'], ['no', 'いいえ']] : (it.options ?? []).map((o) => [o, o]);
          return html`<fieldset class="field${err ? ' field--error' : ''}" id="f-${name}" data-label="${it.label}"><legend>${it.label}${req}</legend>${err}
  <div class="options">${opts.map(([val, label]) => html`<label><input type="radio" name="${name}" value="${val}"${v === val ? html` checked` : ''}> ${label}</label>`)}</div></fieldset>`;
        }
        if (it.type === 'number') {
          return html`<div class="field${err ? ' field--error' : ''}"><label for="f-${name}">${it.label}${req}</label>${err}<input type="text" inputmode="decimal" id="f-${name}" data-label="${it.label}" name="${name}" value="${v}"></div>`;
        }
        return html`<div class="field${err ? ' field--error' : ''}"><label for="f-${name}">${it.label}${req}</label>${err}<textarea id="f-${name}" data-label="${it.label}" name="${name}" rows="3"${it.maxLength ? html` maxlength="${it.maxLength}"` : ''}>${v}</textarea></div>`;
      };
      const errList = Object.values(errors);
      return html`
<section class="purpose"><h2>利用目的</h2>${q.purpose.split(/\n/).map((l) => html`<p>${l}</p>`)}</section>
${errList.length ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>入力内容を確認してください</h2><ul>${errList.map((m) => html`<li>${m}</li>`)}</ul></div>` : ''}
<form method="post" action="/p/${pid}/questionnaire" class="card" novalidate>
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <input type="hidden" name="program" value="${program}"><input type="hidden" name="dose" value="${dose}">
  <p>${person.name}さんの予診票${person.relation === 'agent' ? '（代理人として入力）' : ''}</p>
  ${q.items.map(item)}
  <div class="field${errors['consent'] ? ' field--error' : ''}">${errors['consent'] ? html`<p class="error-text">${errors['consent']}</p>` : ''}
    <p class="purpose">${consentText}</p>
    <label class="check"><input type="checkbox" id="f-consent" name="consent" value="on"${values['consent'] === 'on' ? html` checked` : ''}> 同意して送信します</label></div>
  <button type="submit" class="btn btn--primary btn--block">予診票を送信する</button>
</form>`;
    };

    f.get('/p/:pid/questionnaire', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const { program, dose } = readQuery(req.query);
      const q = await portal.questionnaire(s, pid, program, dose);
      return send(req, reply, q.title ?? '予診票の入力', questionnaireForm(pid, person, q, program, dose, csrfOf(reply), {}, {}), { href: `/p/${pid}/notices`, label: 'お知らせへ戻る' });
    });

    f.post('/p/:pid/questionnaire', { preHandler: f.csrfProtection }, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { program, dose } = readQuery(body);
      const q = await portal.questionnaire(s, pid, program, dose);
      const values: Record<string, string> = {};
      const errors: Record<string, string> = {};
      const answers: Record<string, string | number | boolean> = {};
      q.items.forEach((it, i) => {
        const name = `q${i}`;
        const v = typeof body[name] === 'string' ? (body[name] as string).trim() : '';
        values[name] = v;
        if (!v) {
          if (it.required) errors[name] = `「${it.label}」を入力してください`;
          return;
        }
        if (it.type === 'boolean') {
          if (v !== 'yes' && v !== 'no') errors[name] = `「${it.label}」は「はい」か「いいえ」を選んでください`;
          else answers[it.itemId] = v === 'yes';
        } else if (it.type === 'choice') {
          if (!(it.options ?? []).includes(v)) errors[name] = `「${it.label}」は選択肢から選んでください`;
          else answers[it.itemId] = v;
        } else if (it.type === 'number') {
          const n = Number(v.replace(/[０-９．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
          if (!Number.isFinite(n)) errors[name] = `「${it.label}」は数字で入力してください`;
          else answers[it.itemId] = n;
        } else {
          if (it.maxLength && [...v].length > it.maxLength) errors[name] = `「${it.label}」は${it.maxLength}文字以内で入力してください`;
          else answers[it.itemId] = v;
        }
      });
      values['consent'] = body['consent'] === 'on' ? 'on' : '';
      if (body['consent'] !== 'on') errors['consent'] = '利用目的を確認し、同意のチェックを入れてください';
      if (Object.keys(errors).length) {
        reply.status(400);
        return send(req, reply, q.title ?? '予診票の入力', questionnaireForm(pid, person, q, program, dose, csrfOf(reply), values, errors), { href: `/p/${pid}/notices`, label: 'お知らせへ戻る' });
      }
      const consentText = person.relation === 'self' ? portal.texts.questionnaireSelf : portal.texts.questionnaireAgent;
      const result = await portal.answer(s, pid, { programCode: program, dose, consentText, answers });
      const svg = await QRCode.toString(result.qr, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      return send(req, reply, '予診票を送信しました', html`
<section class="card">
  <p>${person.name}さんの予診票を受け付けました。</p>
  <div class="qr" role="img" aria-label="予診票のQRコード">${raw(svg)}</div>
  <p class="lead"><strong>医療機関の受付でこのQRコードを提示してください</strong></p>
  <p class="hint">この画面を保存するか印刷して、接種の当日に医療機関へお持ちください。</p>
</section>`, backHome);
    });

    // ── 接種記録 ───────────────────────────────────────────────────────────
    interface RecordRow { program: string; dose: string; date: string; vaccine: string; institution: string; programCode: string; doseNo: string }
    const recordRows = (rows: readonly Record<string, unknown>[]): RecordRow[] =>
      rows.map((r) => ({
        program: str(r['programName']) || str(r['programCode']),
        dose: doseLabel(r['dose']),
        date: str(r['date']),
        vaccine: str(r['vaccineName']),
        institution: str(r['institutionName']),
        programCode: str(r['programCode']),
        doseNo: str(r['dose']),
      }));

    f.get('/p/:pid/records', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const data = await portal.records(s, pid);
      const records = recordRows(data.records);
      const due = data.due.map((d) => ({ ...recordRows([d])[0]!, from: str(d['dueFrom']), until: str(d['dueUntil']) }));
      return send(req, reply, `${person.name}さんの接種記録`, html`
<section class="card"><h2>接種記録</h2>
${records.length ? records.map((r) => html`<div class="entry"><dl><dt>接種日</dt><dd>${jpDate(r.date)}</dd><dt>予防接種</dt><dd>${r.program} ${r.dose}</dd>${r.vaccine ? html`<dt>ワクチン</dt><dd>${r.vaccine}</dd>` : ''}${r.institution ? html`<dt>医療機関</dt><dd>${r.institution}</dd>` : ''}</dl></div>`) : html`<p>接種記録はありません。</p>`}
</section>
<section class="card"><h2>次に受けられる予防接種</h2>
${due.length ? due.map((d) => html`<div class="entry"><dl><dt>予防接種</dt><dd>${d.program} ${d.dose}</dd><dt>受けられる期間</dt><dd>${d.from ? jpDate(d.from) : ''}${d.from || d.until ? '～' : ''}${d.until ? jpDate(d.until) : ''}</dd></dl>
${d.programCode && /^\d+$/.test(d.doseNo) ? html`<p><a href="/p/${pid}/questionnaire?program=${encodeURIComponent(d.programCode)}&amp;dose=${d.doseNo}">予診票を入力する</a></p>` : ''}</div>`) : html`<p>いま受けられる予防接種はありません。</p>`}
</section>
<section class="card"><h2>ダウンロード</h2>
<ul class="links"><li><a href="/p/${pid}/records.pdf">PDFでダウンロード</a></li><li><a href="/p/${pid}/records.fhir.json">データ（FHIR形式）でダウンロード</a></li></ul></section>`, backHome);
    });

    f.get('/p/:pid/records.fhir.json', async (req, reply) => {
      const s = needJson(req);
      const data = await portal.records(s, pidOf(req));
      return reply
        .type('application/fhir+json; charset=utf-8')
        .header('content-disposition', 'attachment; filename="immunization-records.json"')
        .send(JSON.stringify(data.fhir ?? null, null, 2));
    });

    f.get('/p/:pid/records.pdf', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const data = await portal.records(s, pid);
      const pdf = await renderRecordsPdf({
        name: person.name,
        dateOfBirth: person.dateOfBirth,
        issuedOn: jstToday(clock.now()),
        records: recordRows(data.records),
        due: data.due.map((d) => {
          const r = recordRows([d])[0]!;
          const from = str(d['dueFrom']);
          const until = str(d['dueUntil']);
          return { program: r.program, dose: r.dose, period: `${from ? jpDate(from) : ''}～${until ? jpDate(until) : ''}` };
        }),
      });
      return reply.type('application/pdf').header('content-disposition', 'attachment; filename="immunization-records.pdf"').send(Buffer.from(pdf));
    });

    // ── 国家資格の申請（src/web/portal/registry.ts） ───────────────────────────
    registerRegistryPages(f, portal, { send, need, needJson, csrfOf, jpDate });
    // ── デジタル資格証（src/web/portal/credentials.ts） ──────────────────────────
    registerCredentialPages(f, portal, { send, need, needJson, csrfOf, jpDate });

    // ── わたしの情報を使った記録 ─────────────────────────────────────────────
    f.get('/p/:pid/data-use', async (req, reply) => {
      const s = need(req, reply);
      if (!s) return reply;
      const pid = pidOf(req);
      const person = await portal.person(s, pid);
      const entries = [...(await portal.dataUse(s, pid))].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      const pages = Math.max(1, Math.ceil(entries.length / DATA_USE_PAGE_SIZE));
      const raw = Number((req.query as { page?: string }).page ?? '1');
      const pageNo = Number.isInteger(raw) && raw >= 1 ? Math.min(raw, pages) : 1;
      const shown = entries.slice((pageNo - 1) * DATA_USE_PAGE_SIZE, pageNo * DATA_USE_PAGE_SIZE);
      const nav = pages > 1
        ? html`<nav class="pager" aria-label="ページ"><p>${pageNo} / ${pages} ページ</p><p>${pageNo > 1 ? html`<a href="/p/${pid}/data-use?page=${pageNo - 1}">‹ 新しい記録</a>` : ''}　${pageNo < pages ? html`<a href="/p/${pid}/data-use?page=${pageNo + 1}">古い記録 ›</a>` : ''}</p></nav>`
        : '';
      return send(req, reply, 'わたしの情報を使った記録', html`
<p>${person.name}さんの予防接種の情報を、いつ、どの機関の誰が、何のために使ったかの記録です。</p>
<p><strong>全${entries.length}件</strong>${entries.length ? html`（${(pageNo - 1) * DATA_USE_PAGE_SIZE + 1}～${(pageNo - 1) * DATA_USE_PAGE_SIZE + shown.length}件目を表示）` : ''}</p>
${shown.length ? html`<section class="card">${shown.map((e) => html`<div class="entry"><dl>
  <dt>日時</dt><dd>${jpDate(e.at)}</dd>
  <dt>機関</dt><dd>${e.organisation ?? ''}</dd>
  <dt>利用した人</dt><dd>${e.who ?? ''}</dd>
  <dt>内容</dt><dd>${e.action ?? ''}</dd>
  <dt>目的</dt><dd>${e.purpose ?? ''}</dd></dl></div>`)}</section>` : html`<p>記録はありません。</p>`}
${nav}`, backHome);
    });
  });
}

/** The `portalPages` option of `startOrganisations` (src/app/nodes.ts). */
export function portalPages(opts: PortalPageOptions = {}): (fastify: FastifyInstance, portal: MynaPortal) => Promise<void> {
  return (fastify, portal) => registerPortalPages(fastify, portal, opts);
}
