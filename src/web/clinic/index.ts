// The 医療機関用アプリ (PMH-13…PMH-16, decision 0153; screens and routes: docs/formats/clinic-app.md).  Served
// by the platform node under /clinic: one HTML shell for every screen, and static assets under
// /clinic/assets/.  The screens are drawn in the browser by /clinic/assets/clinic-app.js from the JSON API
// /clinic/v1 (docs/formats/clinic-protocol.md section 2) — the same answers the API gives any other client,
// so the pages carry nothing the API does not (never a My Number).  The card is read in the page with the
// resident portal's script (/clinic/assets/card-login.js: the PIN and the key never leave the tablet).
// Strict CSP: scripts and styles only from this origin, no inline script or style.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';
import { systemClock, type Clock } from '../../kernel/clock/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { defaultCatalog, type Catalog } from '../../municipality/schedule/index.js';
import { html, STRICT_HELMET, uiFont } from '../ui/index.js';

export const CLINIC_BASE = '/clinic';
/** The screens the shell answers (the script routes between them with the History API). */
export const CLINIC_SCREENS = ['', '/login', '/reception', '/visits', '/visits/:visitId', '/visits/:visitId/done'] as const;

export interface ClinicAppOptions {
  /** The platform's clock: the shell tells the page "today" (the dose form's default 接種日). */
  readonly clock?: Clock;
  /** The card-reading script; default: src/web/assets/card-login.js (as the resident portal). */
  readonly cardScript?: string;
  /** The schedule catalog whose products the dose form offers (default: the national catalog). */
  readonly catalog?: Catalog;
}

const require = createRequire(import.meta.url);
const asset = (name: string) => readFileSync(new URL(`../assets/${name}`, import.meta.url), 'utf8');

/** What the dose form offers per program: the catalog's products with their names and makers. */
export function clinicProducts(catalog: Catalog): Record<string, { code: string; name: string; genericName?: string; manufacturer?: string; from?: string; until?: string }[]> {
  const out: Record<string, { code: string; name: string; genericName?: string; manufacturer?: string; from?: string; until?: string }[]> = {};
  for (const [code, versions] of catalog.programsByCode) {
    const seen = new Map<string, { code: string; name: string; genericName?: string; manufacturer?: string; from?: string; until?: string }>();
    for (const v of versions) {
      for (const ref of v.products) {
        const p = catalog.productByCode.get(ref.code);
        if (!p || seen.has(p.code)) continue;
        seen.set(p.code, { code: p.code, name: p.name, ...(p.genericName ? { genericName: p.genericName } : {}), ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}), ...(ref.from ? { from: ref.from } : {}), ...(ref.until ? { until: ref.until } : {}) });
      }
    }
    out[code] = [...seen.values()];
  }
  return out;
}

function shell(today: string): string {
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>医療機関用アプリ | 予防接種</title>
<link rel="stylesheet" href="${CLINIC_BASE}/assets/tokens.css">
<link rel="stylesheet" href="${CLINIC_BASE}/assets/mamori.css">
<link rel="stylesheet" href="${CLINIC_BASE}/assets/clinic.css">
<script src="${CLINIC_BASE}/assets/card-login.js" defer></script>
<script src="${CLINIC_BASE}/assets/clinic-app.js" defer></script>
</head>
<body class="clinic" data-today="${today}" data-base="${CLINIC_BASE}">
<a class="skip" href="#main">本文へ移動</a>
<header class="header"><div class="header__inner">
  <span class="brand">医療機関用アプリ<small>予防接種の受付・診察・記録</small></span>
  <div class="who" id="who"></div>
</div></header>
<nav class="nav" id="nav" hidden></nav>
<main id="main" tabindex="-1"><p class="loading">読み込んでいます…</p>
<noscript><p class="notice notice--error">このアプリを使うには、ブラウザのJavaScriptを有効にしてください。</p></noscript></main>
</body>
</html>`.value;
}

/**
 * For `startOrganisations({clinicPages})` (the serve command, the test worlds): mounts the app on the platform
 * node's server with the platform's clock.  The platform (a system) never imports the web layer.
 */
export function clinicPages(opts: Omit<ClinicAppOptions, 'clock'> = {}): (fastify: FastifyInstance, clock: Clock) => void {
  return (fastify, clock) => registerClinicApp(fastify, { ...opts, clock });
}

/** Mounts the app on a server: the platform node's, next to its clinic API. */
export function registerClinicApp(fastify: FastifyInstance, opts: ClinicAppOptions = {}): void {
  const clock = opts.clock ?? systemClock;
  const cardJs = opts.cardScript ?? asset('card-login.js');
  const products = JSON.stringify(clinicProducts(opts.catalog ?? defaultCatalog()));
  const files: Record<string, { type: string; body: string }> = {
    'tokens.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('@digital-go-jp/design-tokens/dist/tokens.css'), 'utf8') },
    // The staff pages' base styles, their font addresses moved under /clinic/assets/.
    'mamori.css': { type: 'text/css; charset=utf-8', body: asset('mamori.css').replaceAll("url('/assets/fonts/", `url('${CLINIC_BASE}/assets/fonts/`) },
    'clinic.css': { type: 'text/css; charset=utf-8', body: asset('clinic.css') },
    'clinic-app.js': { type: 'text/javascript; charset=utf-8', body: asset('clinic-app.js') },
    'card-login.js': { type: 'text/javascript; charset=utf-8', body: cardJs },
    'products.json': { type: 'application/json; charset=utf-8', body: products },
  };

  void fastify.register(async (f) => {
    await f.register(helmet, STRICT_HELMET);

    const page = async (_req: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(shell(clock.today()));
    for (const s of CLINIC_SCREENS) f.get(`${CLINIC_BASE}${s}`, page);

    f.get<{ Params: { name: string } }>(`${CLINIC_BASE}/assets/:name`, async (req, reply) => {
      const file = Object.hasOwn(files, req.params.name) ? files[req.params.name] : undefined;
      if (!file) throw new Problem(404, 'NOT_FOUND', '見つかりません');
      return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    });
    f.get<{ Params: { name: string } }>(`${CLINIC_BASE}/assets/fonts/:name`, async (req, reply) => {
      const b = uiFont(req.params.name);
      if (!b) throw new Problem(404, 'NOT_FOUND', '見つかりません');
      return reply.type('font/ttf').header('cache-control', 'public, max-age=31536000, immutable').send(b);
    });
  });
}
