// What the browser-facing apps outside the staff server share (the resident portal, the 医療機関用アプリ):
// the strict security headers, the Japanese font from its npm package, the style sheets, one CSRF token per
// response and the Problem an error page shows.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isProblem, Problem } from '../../kernel/problems/index.js';

const require = createRequire(import.meta.url);

/** Helmet options: scripts, styles, fonts and calls from this origin only; no inline code; never framed. */
export const STRICT_HELMET: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"], connectSrc: ["'self'"],
      formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
  crossOriginEmbedderPolicy: false,
};

/** BIZ UDPゴシック (decision 0105), by the file name the style sheets use. */
const FONTS: Record<string, string> = {
  'biz-udpgothic-400.ttf': '@expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf',
  'biz-udpgothic-700.ttf': '@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf',
};
const fontBytes = new Map<string, Buffer>();

/** The font file's bytes, or undefined for any other name. */
export function uiFont(name: string): Buffer | undefined {
  const spec = Object.hasOwn(FONTS, name) ? FONTS[name] : undefined;
  if (!spec) return undefined;
  let b = fontBytes.get(name);
  if (!b) fontBytes.set(name, (b = readFileSync(require.resolve(spec))));
  return b;
}

const TOKENS_CSS = readFileSync(require.resolve('@digital-go-jp/design-tokens/dist/tokens.css'), 'utf8');
const MAMORI_CSS = readFileSync(new URL('../assets/mamori.css', import.meta.url), 'utf8');

/**
 * Serves what every page frame links to under `/assets/`: the design tokens, mamori.css and the fonts
 * (the resident portal on the マイナポータル node, the registry's staff screens on the registry node).
 */
export function serveUiAssets(f: FastifyInstance): void {
  const css = (path: string, body: string) => f.get(path, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body));
  css('/assets/tokens.css', TOKENS_CSS);
  css('/assets/mamori.css', MAMORI_CSS);
  f.get('/assets/fonts/:name', async (req, reply) => {
    const b = uiFont((req.params as { name: string }).name);
    if (!b) throw new Problem(404, 'NOT_FOUND', '見つかりません');
    return reply.type('font/ttf').header('cache-control', 'public, max-age=31536000, immutable').send(b);
  });
}

/** One CSRF token per response: a second generateCsrf() in a request without the secret cookie would make a new secret. */
export function csrfPerReply(): (reply: FastifyReply) => string {
  const tokens = new WeakMap<FastifyReply, string>();
  return (reply) => {
    let t = tokens.get(reply);
    if (!t) tokens.set(reply, (t = reply.generateCsrf()));
    return t;
  };
}

/** The Problem a page shows for any error: a Problem as it is; CSRF, rate limit and other 4xx in words; else 500. */
export function pageProblem(error: unknown, requestId: string): Problem {
  if (isProblem(error)) return error;
  const e = error as { code?: string; statusCode?: number };
  if (e.code === 'FST_CSRF_INVALID_TOKEN' || e.code === 'FST_CSRF_MISSING_SECRET') return new Problem(403, 'CSRF_INVALID', '画面の有効期限が切れました', 'もう一度画面を開き直してから操作してください。');
  if (e.statusCode === 429) return new Problem(429, 'RATE_LIMITED', 'しばらくお待ちください', '短い時間に多くの操作がありました。1分ほど待ってからもう一度お試しください。');
  if (e.statusCode && e.statusCode < 500) return new Problem(e.statusCode, 'BAD_REQUEST', '要求が正しくありません', '入力内容を確認してください。');
  return new Problem(500, 'INTERNAL_ERROR', 'ただいま表示できません', `時間をおいてもう一度お試しください。（問い合わせ番号: ${requestId}）`);
}
