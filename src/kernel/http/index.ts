// HTTP plumbing shared by every Mamori web surface (Fastify): request ids, security headers, cookies,
// CSRF for forms, rate limits, problem+json errors, the staff session and the request's Principal.
//
// - Every response carries x-request-id; the same id is the operation log's request id.
// - Helmet sets CSP (no inline script, no framing), HSTS, nosniff, Referrer-Policy: no-referrer;
//   personal-data responses are never cached (Cache-Control: no-store).
// - Forms use a synchronizer CSRF token (@fastify/csrf-protection); the JSON API accepts only
//   application/json bodies and SameSite=Strict cookies (or a Bearer session token).
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { MamoriDb } from '../db/index.js';
import { newMeta, runAs, type Meta, type Principal, type Work } from '../context/index.js';
import { authenticate, SESSION_COOKIE, type SessionInfo } from '../access/index.js';
import { Problem, invalidField, isProblem, unauthenticated, type FieldError } from '../problems/index.js';
import { logger as rootLogger, redactMyNumbers } from '../log/index.js';

export const TERMINAL_COOKIE = 'mamori_terminal';

declare module 'fastify' {
  interface FastifyInstance {
    /** Cookies are sent with Secure unless the server was started with the explicit insecure-cookie flag. */
    secureCookies: boolean;
  }
  interface FastifyRequest {
    session: SessionInfo | null;
    /** Set when a session cookie was presented but the session had ended (idle, expired, revoked…). */
    sessionEnded: boolean;
    terminalId: string | null;
    /** How the request authenticated: a cookie (needs CSRF protection on forms) or a bearer token. */
    authVia: 'cookie' | 'bearer' | null;
    /**
     * The session token a request presented, for routes that check the session inside their own
     * transaction (route config `sessionInTransaction`, decision 0130) instead of in this hook.
     */
    presentedSession: { readonly token: string; readonly via: 'cookie' | 'bearer' } | null;
  }
  interface FastifyContextConfig {
    /** The route checks the session itself, in the transaction of its work (decision 0130). */
    sessionInTransaction?: boolean;
  }
}

export interface HttpOptions {
  readonly db: MamoriDb;
  readonly logger?: Logger;
  /** Send cookies with Secure (default true unless MAMORI_INSECURE_COOKIES=1 for plain-http localhost). */
  readonly secureCookies?: boolean;
  readonly trustProxy?: boolean;
  /** Query parameters that may repeat (multi-selects of filter forms); any other repeated one is a 400. */
  readonly multiValuedQuery?: readonly string[];
  /** The Japanese name of a query parameter for the messages of the shared query check (default: its name). */
  readonly queryLabel?: (name: string) => string | undefined;
  /** Renders an HTML error page for non-API requests. */
  readonly renderError?: (p: Problem, req: FastifyRequest) => string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * True when a browser tells us the request comes from another site: Sec-Fetch-Site other than
 * same-origin/none, or an Origin whose host differs from the request's Host.  Requests with neither
 * header (curl, server-to-server clients) are not browser cross-site requests.
 */
export function isCrossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host.toLowerCase() !== String(req.host ?? req.headers.host ?? '').toLowerCase();
  } catch {
    return true;
  }
}

/** The longest query parameter value a page or the API takes (a 10 kB value is a 400, not a database error). */
export const MAX_QUERY_VALUE = 1000;

/**
 * Decision 0133: the first query parameter that no route could read correctly — its name or value is not
 * valid percent-encoded UTF-8 (Fastify's parser keeps such text as it is, and a lone surrogate too), it
 * holds a control character (NUL reaches PostgreSQL as an error), or its value is over MAX_QUERY_VALUE
 * characters.  Undefined when the query string is sound.
 */
export function malformedQuery(url: string, label: (name: string) => string): Problem | undefined {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  const hash = url.indexOf('#', at);
  const qs = url.slice(at + 1, hash < 0 ? undefined : hash);
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  };
  for (const part of qs.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const key = decode(rawKey);
    // A name that cannot be decoded is named as sent (short, so the message stays readable).
    const name = key !== undefined && !/\p{Cc}/u.test(key) ? key.slice(0, 64) : rawKey.slice(0, 64);
    if (key === undefined || (eq >= 0 && decode(part.slice(eq + 1)) === undefined)) {
      return invalidField(name, 'INVALID_ENCODING', `「${label(name)}」の文字が正しく符号化されていません（UTF-8 の URL エンコード）`);
    }
    const value = eq < 0 ? '' : decode(part.slice(eq + 1))!;
    if (/\p{Cc}/u.test(key) || /\p{Cc}/u.test(value)) {
      return invalidField(name, 'INVALID_CHARACTER', `「${label(name)}」に使えない文字（制御文字）が含まれています`);
    }
    if (key.length > 100 || value.length > MAX_QUERY_VALUE) {
      return invalidField(name, 'TOO_LONG', `「${label(name)}」が長すぎます（${MAX_QUERY_VALUE} 文字まで）`);
    }
  }
  return undefined;
}

export function isApi(req: FastifyRequest): boolean {
  return req.url.startsWith('/api/');
}

function fieldErrorsFromValidation(err: { validation?: unknown; validationContext?: string }): FieldError[] {
  const list = (err.validation as { instancePath?: string; message?: string; params?: Record<string, unknown> }[]) ?? [];
  return list.map((v) => ({
    field: [err.validationContext, ...(v.instancePath ?? '').split('/').filter(Boolean)].filter(Boolean).join('.') || '(入力全体)',
    code: 'INVALID_INPUT',
    message: v.message ?? '入力が正しくありません',
  }));
}

function toProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  const e = error as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(error) || e.validation) {
    const fields = fieldErrorsFromValidation(e as { validation?: unknown; validationContext?: string });
    const first = fields[0];
    return new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', first ? `${first.field}: ${first.message}` : undefined, fields);
  }
  if (e.code === 'FST_CSRF_INVALID_TOKEN' || e.code === 'FST_CSRF_MISSING_SECRET') {
    return new Problem(403, 'CSRF_INVALID', '画面の有効期限が切れました', 'もう一度画面を開き直してから操作してください。');
  }
  if (e.statusCode === 429) return new Problem(429, 'RATE_LIMITED', 'しばらくお待ちください', '短時間に多くの要求がありました。1分ほど待ってから再度お試しください。');
  if (e.statusCode === 415) return new Problem(415, 'UNSUPPORTED_MEDIA_TYPE', '形式が違います', 'この API は application/json のみ受け付けます。');
  if (e.statusCode === 413) return new Problem(413, 'PAYLOAD_TOO_LARGE', 'データが大きすぎます', '送信できる大きさを超えています。');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new Problem(e.statusCode, 'BAD_REQUEST', '要求が正しくありません', '送信内容を確認してください。');
  }
  return new Problem(500, 'INTERNAL_ERROR', 'システムエラーが発生しました', '時間をおいて再度お試しください。解決しない場合はシステム管理者に問い合わせ番号（リクエストID）をお伝えください。');
}

export async function createHttpServer(opts: HttpOptions): Promise<FastifyInstance> {
  const log = opts.logger ?? rootLogger();
  const secure = opts.secureCookies ?? process.env['MAMORI_INSECURE_COOKIES'] !== '1';
  const multiValued = new Set(opts.multiValuedQuery ?? ['programs', 'districts']);
  if (!secure) log.warn({ insecureCookies: true }, 'cookies are sent without Secure (MAMORI_INSECURE_COOKIES=1 / --insecure-cookies): for a plain-http demo or development only');
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      // A caller's id is kept only if it cannot be a number someone typed (decision 0124: no My Number in logs).
      return typeof h === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(h) && /[A-Za-z]/.test(h) && redactMyNumbers(h) === h ? h : randomUUID();
    },
    trustProxy: opts.trustProxy ?? false,
    bodyLimit: 10 * 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await app.register(csrf, { cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure, signed: false } });
  await app.register(rateLimit, { global: false });

  app.decorate('secureCookies', secure);
  app.decorateRequest('session', null);
  app.decorateRequest('sessionEnded', false);
  app.decorateRequest('terminalId', null);
  app.decorateRequest('authVia', null);
  app.decorateRequest('presentedSession', null);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
    if (req.url.startsWith('/assets/') || req.url === '/healthz') return;
    // Decision 0125: a page reads each query parameter as one string; a repeated one (?page=1&page=2)
    // is a 400 naming the field, never a 500 from code that expected a string.
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(v) && !multiValued.has(k)) throw invalidField(k, 'REPEATED_PARAMETER', `「${k}」が複数回指定されています（1回だけ指定してください）`);
    }
    // Decision 0133: bad percent-encoding, control characters and over-long values are a 400 naming the
    // parameter before any route reads it.
    const malformed = malformedQuery(req.url, (name) => opts.queryLabel?.(name) ?? name);
    if (malformed) throw malformed;
    // KRN-26: the device is recorded on every connection — a registered terminal sends x-terminal-id;
    // browsers get a persistent random terminal cookie.
    const th = req.headers['x-terminal-id'];
    let terminal = typeof th === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(th) && redactMyNumbers(th) === th ? th : null;
    if (!terminal) {
      const c = req.cookies[TERMINAL_COOKIE];
      terminal = c && /^t-[A-Za-z0-9_-]{16,32}$/.test(c) ? c : `t-${randomBytes(12).toString('base64url')}`;
      if (c !== terminal) reply.setCookie(TERMINAL_COOKIE, terminal, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: 3600 * 24 * 365 });
    }
    req.terminalId = terminal;
    const auth = req.headers.authorization;
    // Decision 0125: a state change on the JSON API that a browser sends from another site is refused
    // before anything else (cookie-authenticated requests carry no CSRF token there).  A request with a
    // bearer token is exempt: a foreign page cannot attach one (no CORS), and non-browser clients send no
    // Origin.  Forms are protected by their synchronizer token instead.
    if (isApi(req) && UNSAFE.has(req.method) && !auth?.startsWith('Bearer ') && isCrossSite(req)) {
      throw new Problem(403, 'CROSS_SITE_REQUEST', '別のサイトからの操作は受け付けません', 'この操作は Mamori の画面からのみ行えます（Origin / Sec-Fetch-Site が一致しません）。');
    }
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const cookieValue = req.cookies[SESSION_COOKIE];
    const presented = bearer ?? cookieValue;
    if (!presented) return;
    if (req.routeOptions.config?.sessionInTransaction) {
      req.presentedSession = { token: presented, via: bearer ? 'bearer' : 'cookie' };
      return;
    }
    req.session = await authenticate(opts.db, presented, metaOf(req));
    req.authVia = req.session ? (bearer ? 'bearer' : 'cookie') : null;
    if (!req.session) {
      req.sessionEnded = true;
      if (cookieValue) reply.clearCookie(SESSION_COOKIE, { path: '/' });
    }
  });

  app.setErrorHandler(async (error, req, reply) => {
    const p = toProblem(error);
    if (p.status >= 500) req.log.error({ err: error, reqId: req.id }, 'request failed');
    else req.log.info({ code: p.code, status: p.status, reqId: req.id }, 'request refused');
    reply.status(p.status);
    if (isApi(req) || !opts.renderError) return reply.type('application/problem+json; charset=utf-8').send(p.toJSON(req.url.split('?')[0]));
    return reply.type('text/html; charset=utf-8').send(opts.renderError(p, req));
  });

  app.setNotFoundHandler(async (req, reply) => {
    const p = new Problem(404, 'NOT_FOUND', '見つかりません', 'お探しのページは見つかりませんでした。');
    reply.status(404);
    if (isApi(req) || !opts.renderError) return reply.type('application/problem+json; charset=utf-8').send(p.toJSON(req.url.split('?')[0]));
    return reply.type('text/html; charset=utf-8').send(opts.renderError(p, req));
  });

  return app;
}

export function metaOf(req: FastifyRequest): Meta {
  return newMeta(isApi(req) ? 'api' : 'web', { requestId: req.id, clientAddress: req.ip, terminalId: req.terminalId });
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.session) throw unauthenticated();
  return { tenant: req.session.tenant, actor: req.session.actor, meta: metaOf(req) };
}

/** Runs a domain function as the request's authenticated staff member. */
export function work<T>(db: MamoriDb, req: FastifyRequest, fn: (w: Work) => Promise<T>): Promise<T> {
  return runAs(db, principalOf(req), fn);
}

export function sessionCookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure };
}

export type { FastifyInstance, FastifyReply, FastifyRequest };
