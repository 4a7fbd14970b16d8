// Assembles the Mamori web server: kernel HTTP plumbing, staff pages, JSON API, assets, health, OpenAPI.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import multipart from '@fastify/multipart';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { App } from '../app/index.js';
import { createHttpServer, type FastifyInstance } from '../kernel/http/index.js';
import { html, page, QUERY_LABELS } from './ui/index.js';
import { registerStaffPages } from './staff/index.js';
import { registerApiV1, registerMunicipalityApi } from './api/index.js';
import { registerCertificateRoutes, ShcKeyStore } from '../municipality/certificates/index.js';
import { getOrganisation } from '../kernel/tenancy/index.js';
import { registerMunicipalityServices, type MunicipalExchange } from '../municipality/exchange/index.js';

export interface WebOptions {
  /** Secure cookies (HTTPS).  Default: on, unless MAMORI_INSECURE_COOKIES=1 (plain-http localhost demo). */
  readonly secureCookies?: boolean;
  /** Login and application attempts per client address per minute (default 10). */
  readonly loginRateLimitPerMinute?: number;
  /** The municipality node's end of the exchange (decision 0134); the inquiry screens are offline without it. */
  readonly exchange?: MunicipalExchange;
}

const require = createRequire(import.meta.url);
const TOKENS_CSS = readFileSync(require.resolve('@digital-go-jp/design-tokens/dist/tokens.css'), 'utf8');
const MAMORI_CSS = readFileSync(new URL('./assets/mamori.css', import.meta.url), 'utf8');
const VACCINATION_JS = readFileSync(new URL('./assets/vaccination-form.js', import.meta.url), 'utf8');
/** BIZ UDPゴシック from its npm package, so a thin client without Japanese fonts still renders Japanese (decision 0105). */
const FONTS: Record<string, string> = {
  'biz-udpgothic-400.ttf': '@expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf',
  'biz-udpgothic-700.ttf': '@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf',
};
const fontBytes = new Map<string, Buffer>();
function font(name: string): Buffer | undefined {
  const spec = FONTS[name];
  if (!spec) return undefined;
  let b = fontBytes.get(name);
  if (!b) fontBytes.set(name, (b = readFileSync(require.resolve(spec))));
  return b;
}

export async function buildWebServer(app: App, opts: WebOptions = {}): Promise<FastifyInstance> {
  const secureCookies = opts.secureCookies ?? process.env['MAMORI_INSECURE_COOKIES'] !== '1';
  const loginRateLimit = { max: opts.loginRateLimitPerMinute ?? Number(process.env['MAMORI_LOGIN_RATE_LIMIT'] ?? 10), timeWindow: '1 minute' };
  const fastify = await createHttpServer({
    db: app.db,
    secureCookies,
    queryLabel: (name) => (Object.hasOwn(QUERY_LABELS, name) ? QUERY_LABELS[name] : undefined),
    renderError: (p, req) =>
      page(
        { session: req.session, csrf: '', path: req.url, orgName: undefined },
        p.title,
        html`<p>${p.detail ?? ''}</p><p class="hint">問い合わせ番号（リクエストID）: ${req.id}</p><p><a href="/">ホームへ戻る</a></p>`,
      ),
  });
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Mamori API',
        version: '1',
        description: '守り Mamori の職員向け API。エラーは RFC 9457 problem+json（安定した code と日本語の title/detail）。個人番号は一覧・URL・エラーに含めません。',
      },
      components: { securitySchemes: { session: { type: 'http', scheme: 'bearer', description: 'POST /api/v1/session が返す token' } } },
      security: [{ session: [] }],
    },
    transform: jsonSchemaTransform,
    hideUntagged: true,
  });

  await fastify.register(multipart, { limits: { fileSize: 2 * 1024 ** 3, files: 1, fields: 20 } });
  fastify.get('/assets/tokens.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(TOKENS_CSS));
  fastify.get('/assets/mamori.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(MAMORI_CSS));
  fastify.get('/assets/vaccination-form.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(VACCINATION_JS));
  // The file names carry the weight and never change meaning: a year's cache, immutable.
  fastify.get('/assets/fonts/:name', async (req, reply) => {
    const b = font((req.params as { name: string }).name);
    if (!b) return reply.status(404).type('text/plain; charset=utf-8').send('not found');
    return reply.type('font/ttf').header('cache-control', 'public, max-age=31536000, immutable').send(b);
  });
  fastify.get('/healthz', { schema: { hide: true } }, async () => {
    await sql`SELECT 1`.execute(app.db.system);
    return { status: 'ok', database: app.db.kind };
  });

  registerStaffPages(fastify, app, { secureCookies, loginRateLimit }, opts.exchange);
  await registerApiV1(fastify, app, { secureCookies, loginRateLimit });
  await registerMunicipalityApi(fastify, app, opts.exchange);
  // The municipality node's end of the message layer (decisions 0135, 0140): its public keys (its 中間サーバー
  // and VRS verify its messages with them) and the services other organisations call (covid.provide).
  // POST /exchange/v1/* carries no cookie and no CSRF token: the CSRF token is checked per form route, and
  // the cross-site check only on /api/, so neither applies; the message itself is signed and verified.
  if (opts.exchange) registerMunicipalityServices(fastify, app, opts.exchange.node);
  // Public (no login): the issuers' SMART Health Card keys and the verify page (decisions 0054, 0074).
  await registerCertificateRoutes(fastify, {
    keys: new ShcKeyStore(app.config.keyDir),
    now: () => app.config.clock.now(),
    demo: app.config.demo,
    issuerName: async (code) => (await getOrganisation(app.db.system, code))?.name,
  });
  fastify.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  await fastify.ready();
  return fastify;
}
