// Shared plumbing for staff page handlers: the page context, login/permission guards, form values,
// flash messages and Problem → form errors.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { authorize, type Permission } from '../../kernel/access/index.js';
import { MAX_QUERY_VALUE, work } from '../../kernel/http/index.js';
import { isProblem, type FieldError, type Problem } from '../../kernel/problems/index.js';
import { getOrganisation } from '../../kernel/tenancy/index.js';
import { maySeeAuditAlerts, openAuditAlerts, type AuditAlert } from '../../kernel/audit/index.js';
import { html, type PageContext, type FormState, type SafeHtml } from '../ui/index.js';
import { formatWareki } from '../../kernel/jp/index.js';

const FLASH = 'mamori_flash';
const orgNames = new Map<string, string>();

export type Form = Record<string, string | string[] | undefined>;

export async function pageContext(app: App, req: FastifyRequest, reply: FastifyReply): Promise<PageContext> {
  const flash = req.cookies[FLASH];
  if (flash) reply.clearCookie(FLASH, { path: '/' });
  let orgName: string | undefined;
  if (req.session) {
    orgName = orgNames.get(req.session.tenant);
    if (!orgName) {
      orgName = (await getOrganisation(app.db.app, req.session.tenant))?.name;
      if (orgName) orgNames.set(req.session.tenant, orgName);
    }
  }
  // KRN-34: open tampering alerts on every page of an administrator or auditor, until acknowledged.
  let auditAlerts: readonly AuditAlert[] = [];
  if (req.session && maySeeAuditAlerts(req.session.actor)) auditAlerts = await work(app.db, req, (w) => openAuditAlerts(w.tx, w.tenant));
  return { session: req.session, csrf: reply.generateCsrf(), orgName, flash: flash ? safeFlash(flash) : undefined, path: req.url.split('?')[0]!, auditAlerts, demo: app.config.demo };
}

function safeFlash(v: string): string | undefined {
  try {
    return decodeURIComponent(v).slice(0, 200);
  } catch {
    return undefined;
  }
}

export function setFlash(reply: FastifyReply, message: string): void {
  reply.setCookie(FLASH, encodeURIComponent(message), { path: '/', httpOnly: true, sameSite: 'strict', secure: reply.server.secureCookies !== false, maxAge: 60 });
}

export function sendPage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(body);
}

const OPEN_WHILE_RESTRICTED = ['/password', '/logout', '/mfa'];

/** preHandler: a logged-in staff member, sent to forced password change / MFA enrolment when due. */
export async function needLogin(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!req.session) {
    if (req.sessionEnded) setFlash(reply, 'セッションが終了しました（一定時間操作がなかった等）。再度ログインしてください。');
    // A target too long for a query value (decision 0133) comes back without its query rather than as a 400.
    const back = req.url.length <= MAX_QUERY_VALUE ? req.url : req.url.split('?')[0]!;
    return reply.redirect(`/login?next=${encodeURIComponent(back.startsWith('/') && !back.startsWith('//') ? back : '/')}`);
  }
  const path = req.url.split('?')[0]!;
  if (req.session.mustChangePassword && !OPEN_WHILE_RESTRICTED.includes(path)) return reply.redirect('/password');
  if (req.session.mustEnrollMfa && !req.session.mustChangePassword && !OPEN_WHILE_RESTRICTED.includes(path)) return reply.redirect('/mfa');
}

/** preHandler factory: the permission within the duty, checked (and a refusal logged) in the tenant's transaction. */
export function needPermission(app: App, permission: Permission, duty: string) {
  return async (req: FastifyRequest): Promise<void> => {
    await work(app.db, req, async (w) => authorize(w.actor, permission, duty, { type: 'page', id: req.url.split('?')[0] }));
  };
}

export function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function many(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function formState(values: Form, p: Problem): FormState {
  const errors: FieldError[] = p.errors.length ? [...p.errors] : [{ field: '_form', code: p.code, message: p.detail ?? p.title }];
  const { password: _p, newPassword: _n, currentPassword: _c, passwordConfirm: _pc, _csrf, ...safe } = values;
  return { values: safe, errors };
}

/**
 * A refused action said in one line for a flash or a notice, without internal field names: each field
 * problem by its label when the caller names it (decision 0107), else by its message alone.
 */
export function problemText(p: Problem, labels: Record<string, string> = {}): string {
  if (!p.errors.length) return p.detail ?? p.title;
  return p.errors.map((e) => {
    const label = labels[e.field] ?? labels[e.field.split('.')[0]!];
    return label ? `${label}: ${e.message}` : e.message;
  }).join('、');
}

/** Runs `fn`; a 4xx Problem becomes form errors for re-rendering, anything else propagates. */
export async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: Problem }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (isProblem(e) && e.status < 500 && e.status !== 403) return { ok: false, problem: e };
    throw e;
  }
}

export function safeNext(next: unknown): string {
  const n = typeof next === 'string' ? next : '/';
  return n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/\\') ? n : '/';
}

/** The pages about one resident that staff move between at the counter. */
const PERSON_PAGES = [
  ['vaccinations', '予防接種の履歴・登録'],
  ['notices', '通知書・接種券の履歴'],
  ['certificates', '証明書の交付'],
  ['exchange', '他団体への接種歴の照会'],
  ['contacts', '連絡先・生活保護等の情報'],
] as const;
export type PersonPage = (typeof PERSON_PAGES)[number][0];

/** Buttons to the resident's other pages (the one shown is left out). */
export function personLinks(atenaNo: string, here?: PersonPage): SafeHtml {
  return html`<div class="actions">${PERSON_PAGES.filter(([k]) => k !== here).map(([k, label]) => html`<a class="btn btn--secondary" href="/residents/${atenaNo}/${k}">${label}</a>`)}</div>`;
}

/** Whose page this is, linking back to the resident, and the way to their other pages. */
export function personHeader(atenaNo: string, s: { readonly nameKanji: string; readonly nameKana: string; readonly birthDate: string }, here: PersonPage): SafeHtml {
  return html`<p><a href="/residents/${atenaNo}">← ${s.nameKanji}（${s.nameKana}）${formatWareki(s.birthDate)}生（宛名番号 ${atenaNo}）</a></p>
${personLinks(atenaNo, here)}`;
}
