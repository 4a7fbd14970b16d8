// HTTP face of the certificates room (a Fastify plugin; the web server registers it):
//   GET  /issuers/:tenant/.well-known/jwks.json   the municipality's SHC public keys (CORS *, cacheable)
//   GET  /verify                                  public verify page (Japanese, no login)
//   POST /verify                                  verifies pasted QR text and shows the result
// The verify page keeps nothing: the pasted text is read from the form body (never the URL, so access
// logs cannot hold it), nothing is logged about its contents, and the response is not cached.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkLocalGovernmentCode, formatJst } from '../../kernel/jp/index.js';
import { combineResolvers, type IssuerKeyResolver, type ShcKeyStore, tenantFromIssuerUrl } from './keys.js';
import { verifyHealthCard, type VerifyResult } from './verify.js';

export interface CertificateRouteDeps {
  /** Our municipalities' issuer keys (<keyDir>/shc). */
  readonly keys: ShcKeyStore;
  /** Further issuers the verify page trusts (e.g. jwksResolver over another issuer's saved JWKS). */
  readonly trusted?: IssuerKeyResolver;
  /** Maps a card's `iss` to our municipality code (default: …/issuers/<code>). */
  readonly tenantOfIssuer?: (iss: string) => string | undefined;
  /** Display name of a municipality on the verify page (e.g. from the organisations table). */
  readonly issuerName?: (tenant: string) => string | undefined | Promise<string | undefined>;
  /** The kernel clock's now (a verification's "now" is an input, like every other). */
  readonly now: () => Date;
  /** A demonstration deployment: the page says that its issuers are demo issuers. */
  readonly demo?: boolean;
  /** Verify attempts per client address (used when @fastify/rate-limit is registered; default 30/min). */
  readonly verifyRateLimit?: { readonly max: number; readonly timeWindow: string };
  /** JWKS Cache-Control max-age in seconds (default 3600). */
  readonly jwksMaxAgeSeconds?: number;
}

const FORM = 'application/x-www-form-urlencoded';
const MAX_FORM_BYTES = 64 * 1024;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

function pageHtml(body: string, demo = false): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>接種証明書の検証 | 守り Mamori</title>
<link rel="stylesheet" href="/assets/tokens.css">
<link rel="stylesheet" href="/assets/mamori.css">
</head>
<body>
<header class="header"><div class="header__inner"><span class="brand">守り Mamori<small>新型コロナワクチン接種証明書（SMART Health Card）の検証</small></span></div></header>
${demo ? '<div class="demo-banner" role="note"><strong>デモ環境</strong>　この検証ページと発行者はデモ用です。ここで有効と表示された証明書も、合成データによる見本であり公的な証明書ではありません。</div>' : ''}
<main id="main">
<h1>接種証明書の検証</h1>
${body}
</main>
<footer class="footer">このページは入力された内容を保存・記録しません。</footer>
</body>
</html>`;
}

function form(value = ''): string {
  return `<form method="post" action="/verify" class="card">
<div class="field">
<label for="qr">二次元コードの内容<span class="req">必須</span></label>
<p class="hint">接種証明書の二次元コード（QRコード）を読み取った文字列（<code>shc:/</code> で始まる数字列）を貼り付けてください。分割されたQRは、すべてを改行で区切って貼り付けます。.smart-health-card ファイルの内容も検証できます。</p>
<textarea id="qr" name="qr" rows="8" required spellcheck="false" autocomplete="off">${esc(value)}</textarea>
</div>
<div class="actions"><button type="submit" class="btn btn--primary">検証する</button></div>
</form>`;
}

async function resultHtml(r: VerifyResult, deps: CertificateRouteDeps): Promise<string> {
  if (!r.valid) {
    return `<div class="error-summary" role="alert"><h2>この証明書は確認できませんでした</h2>
<p><strong>${esc(r.error.title)}</strong>（${esc(r.error.code)}）</p><p>${esc(r.error.detail)}</p></div>`;
  }
  const c = r.card;
  const issuer = c.key.kind === 'local' ? ((await deps.issuerName?.(c.key.tenant)) ?? `団体コード ${c.key.tenant}`) : `${c.key.label}（指定された公開鍵）`;
  const rows = c.doses
    .map((d, i) => `<tr><th scope="row">${i + 1}</th><td>${esc(d.date)}</td><td>${esc(d.vaccine)}</td><td>${esc(d.lotNumber ?? '')}</td><td>${esc(d.performer ?? '')}</td></tr>`)
    .join('\n');
  return `<div class="card" role="status"><h2>この証明書は有効です</h2>
<p>発行者の電子署名を確認しました。本人であることは、旅券・マイナンバーカード等の本人確認書類と照合して確かめてください。</p>
<dl>
<dt>発行者</dt><dd>${esc(issuer)}<br><small>${esc(c.iss)}</small></dd>
<dt>発行日時</dt><dd>${esc(formatJst(new Date(c.nbf * 1000)))}（日本時間）</dd>
<dt>種別</dt><dd>${c.kind === 'overseas' ? '海外用' : '国内用'}</dd>
<dt>氏名</dt><dd>${esc(c.person.name)}</dd>
${c.person.romajiName ? `<dt>ローマ字氏名</dt><dd>${esc(c.person.romajiName)}</dd>` : ''}
<dt>生年月日</dt><dd>${esc(c.person.birthDate)}</dd>
</dl>
<div class="table-wrap"><table><caption>接種記録</caption>
<thead><tr><th scope="col">記載順<br><small>（二次元コードは接種回を持ちません）</small></th><th scope="col">接種年月日</th><th scope="col">ワクチン</th><th scope="col">ロット番号</th><th scope="col">接種制度の所管者・実施者</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
${c.warnings.length ? `<p class="hint">仕様との小さな相違: ${esc(c.warnings.join('、'))}</p>` : ''}
</div>`;
}

const plugin: FastifyPluginAsync<CertificateRouteDeps> = async (instance, deps) => {
  // Own compilers and form parser, so the plugin works whatever the host registered.
  instance.setValidatorCompiler(validatorCompiler);
  instance.setSerializerCompiler(serializerCompiler);
  if (!instance.hasContentTypeParser(FORM)) {
    instance.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
  }
  const r = instance.withTypeProvider<ZodTypeProvider>();
  const resolver = combineResolvers(deps.keys.resolver(deps.tenantOfIssuer ?? tenantFromIssuerUrl), deps.trusted);
  const maxAge = deps.jwksMaxAgeSeconds ?? 3600;

  r.get('/issuers/:tenant/.well-known/jwks.json', { schema: { hide: true, params: z.object({ tenant: z.string().max(16) }) } }, async (req, reply) => {
    const tenant = req.params.tenant;
    reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
    const jwks = checkLocalGovernmentCode(tenant).ok && /^\d{6}$/.test(tenant) ? deps.keys.publicJwks(tenant) : { keys: [] };
    if (jwks.keys.length === 0) {
      return reply
        .status(404)
        .type('application/problem+json; charset=utf-8')
        .send({ type: 'https://mamori.example/problems/shc-issuer-not-found', title: '発行者が見つかりません', status: 404, code: 'SHC_ISSUER_NOT_FOUND', detail: 'この団体コードの発行者公開鍵は公開されていません。' });
    }
    return reply.header('cache-control', `public, max-age=${maxAge}`).type('application/json; charset=utf-8').send(jwks);
  });

  r.get('/verify', { schema: { hide: true } }, async (_req, reply) => {
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(pageHtml(form(), deps.demo));
  });

  r.post(
    '/verify',
    {
      bodyLimit: MAX_FORM_BYTES,
      config: { rateLimit: deps.verifyRateLimit ?? { max: 30, timeWindow: '1 minute' } },
      schema: { hide: true, body: z.object({ qr: z.string().max(40_000).optional() }) },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      const text = (req.body.qr ?? '').trim();
      if (!text) {
        const msg = '<div class="error-summary" role="alert"><h2>入力してください</h2><p>二次元コードの内容を貼り付けてから「検証する」を押してください。</p></div>';
        return reply.status(400).send(pageHtml(msg + form(), deps.demo));
      }
      const result = await verifyHealthCard(text, { resolver, now: deps.now() });
      // Only the outcome code is logged — never the card or its contents.
      req.log.info({ shcVerify: result.valid ? 'valid' : result.error.code }, 'certificate verify');
      return reply.send(pageHtml((await resultHtml(result, deps)) + form(), deps.demo));
    },
  );
};

/**
 * Registers the JWKS endpoint and the public verify page on a Fastify server (encapsulated: the
 * plugin brings its own zod compilers and form parser).  Call before `fastify.ready()`.
 */
export async function registerCertificateRoutes(fastify: FastifyInstance, deps: CertificateRouteDeps): Promise<void> {
  await fastify.register(plugin, deps);
}
