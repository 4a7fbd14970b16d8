// The certificates HTTP face on a small Fastify instance: the issuer JWKS endpoint (public keys only,
// CORS *, cacheable) and the public verify page (Japanese, no login, nothing personal in the log).
import { Writable } from 'node:stream';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  issueHealthCard,
  jwksResolver,
  registerCertificateRoutes,
  sampleCertificateInput,
  ShcKeyStore,
  type IssuedHealthCard,
} from '../../../src/municipality/certificates/index.js';
import { createHttpServer } from '../../../src/kernel/http/index.js';
import { testApp, type TestApp } from '../../harness/app.js';
import { flipByte, nodeVerifyEs256, tempKeyDir } from './helpers.js';

const NOW = new Date('2026-11-21T01:00:00Z');

async function server(store: ShcKeyStore, logLines: string[], opts: { withFormbody?: boolean; trusted?: ReturnType<typeof jwksResolver> } = {}): Promise<FastifyInstance> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink) as unknown as FastifyBaseLogger });
  if (opts.withFormbody) await app.register(formbody);
  await registerCertificateRoutes(app, { keys: store, now: () => NOW, issuerName: (t) => (t === '312011' ? '鳥取市' : undefined), ...(opts.trusted ? { trusted: opts.trusted } : {}) });
  await app.ready();
  return app;
}

const form = (qr: string) => ({ method: 'POST' as const, url: '/verify', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ qr }).toString() });

describe('certificate routes', () => {
  let store: ShcKeyStore;
  let card: IssuedHealthCard;
  let app: FastifyInstance;
  const logs: string[] = [];

  beforeAll(async () => {
    store = new ShcKeyStore(tempKeyDir());
    card = await issueHealthCard(sampleCertificateInput({ kind: 'overseas' }), store, { now: NOW });
    app = await server(store, logs);
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves the issuer JWKS with CORS *, cache headers and public keys only', async () => {
    const r = await app.inject({ method: 'GET', url: '/issuers/312011/.well-known/jwks.json', headers: { origin: 'https://verifier.example' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['cache-control']).toBe('public, max-age=3600');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const jwks = r.json<{ keys: Record<string, string>[] }>();
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', kid: card.kid, use: 'sig', alg: 'ES256', crv: 'P-256' });
    // The card's signature verifies with the key as served.
    expect(nodeVerifyEs256(card.jws, jwks.keys[0] as { kty: string; crv: string; x: string; y: string })).toBe(true);
    // The issuer URL in the card resolves to this route: iss + /.well-known/jwks.json.
    expect(new URL(`${card.payload.iss}/.well-known/jwks.json`).pathname).toBe('/issuers/312011/.well-known/jwks.json');
  });

  it('answers 404 (problem+json, still CORS) for a municipality without keys or a malformed code', async () => {
    for (const url of ['/issuers/131237/.well-known/jwks.json', '/issuers/312012/.well-known/jwks.json', '/issuers/..%2F..%2Fetc/.well-known/jwks.json']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['access-control-allow-origin']).toBe('*');
      if (r.headers['content-type']?.toString().startsWith('application/problem+json')) expect(r.json()).toMatchObject({ code: 'SHC_ISSUER_NOT_FOUND' });
    }
  });

  it('shows a Japanese verify form without login', async () => {
    const r = await app.inject({ method: 'GET', url: '/verify' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toContain('<html lang="ja">');
    expect(r.body).toContain('接種証明書の検証');
    expect(r.body).toMatch(/<form method="post" action="\/verify"/);
    expect(r.body).toContain('name="qr"');
  });

  it('verifies a pasted QR text and shows the content', async () => {
    const r = await app.inject(form(card.qr[0]!.text));
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toContain('この証明書は有効です');
    expect(r.body).toContain('鳥取市');
    expect(r.body).toContain('見本 花子');
    expect(r.body).toContain('MIHON HANAKO');
    expect(r.body).toContain('1985-04-01');
    expect(r.body).toContain('海外用');
    expect(r.body).toContain('コミナティ筋注（12歳以上用） (CVX 208)');
    expect(r.body).toContain('SAMPLE03');
    expect(r.body).toContain('2026-11-21 10:00:00');
  });

  it('shows a clear reason for a tampered or unknown card, and asks for input when empty', async () => {
    const tampered = await app.inject(form(flipByte(card.jws, 2, 3)));
    expect(tampered.statusCode).toBe(200);
    expect(tampered.body).toContain('この証明書は確認できませんでした');
    expect(tampered.body).toContain('SHC_SIGNATURE_INVALID');
    expect(tampered.body).not.toContain('見本');
    const foreign = await issueHealthCard(sampleCertificateInput(), new ShcKeyStore(tempKeyDir()), { now: NOW });
    const unknown = await app.inject(form(foreign.qr[0]!.text));
    expect(unknown.body).toContain('SHC_ISSUER_UNKNOWN');
    const garbage = await app.inject(form('<script>alert(1)</script>'));
    expect(garbage.body).toContain('SHC_MALFORMED');
    expect(garbage.body).not.toContain('<script>');
    const empty = await app.inject(form('   '));
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('入力してください');
  });

  it('never logs the pasted text or the card contents', async () => {
    await app.inject(form(card.qr[0]!.text));
    const text = logs.join('');
    expect(text).toContain('"shcVerify":"valid"');
    expect(text).toContain('"shcVerify":"SHC_SIGNATURE_INVALID"');
    expect(text).not.toContain(card.qr[0]!.digits.slice(0, 40));
    expect(text).not.toContain('見本');
    expect(text).not.toContain('1985-04-01');
    expect(text).not.toContain('MIHON');
  });

  it('works on a host that already registered @fastify/formbody, and trusts a foreign JWKS when given', async () => {
    const other = new ShcKeyStore(tempKeyDir());
    const foreign = await issueHealthCard(sampleCertificateInput(), other, { now: NOW });
    const host = await server(store, [], { withFormbody: true, trusted: jwksResolver(other.publicJwks('312011'), { label: '他の発行者' }) });
    try {
      const r = await host.inject(form(foreign.qr[0]!.text));
      expect(r.body).toContain('この証明書は有効です');
      expect(r.body).toContain('他の発行者（指定された公開鍵）');
      expect((await host.inject(form(card.qr[0]!.text))).body).toContain('この証明書は有効です');
    } finally {
      await host.close();
    }
  });
});

describe('certificate routes on the kernel HTTP server (as src/web/server.ts will register them)', () => {
  let tapp: TestApp;
  let web: FastifyInstance;
  let card: IssuedHealthCard;

  beforeAll(async () => {
    tapp = await testApp('embedded');
    const keys = new ShcKeyStore(tapp.config.keyDir);
    card = await issueHealthCard(sampleCertificateInput(), keys, { now: NOW });
    web = await createHttpServer({ db: tapp.db, secureCookies: false });
    await registerCertificateRoutes(web, { keys, now: () => NOW });
    await web.ready();
  });
  afterAll(async () => {
    await web?.close();
    await tapp?.cleanup();
  });

  it('JWKS overrides the kernel no-store default and is fetchable cross-origin', async () => {
    const r = await web.inject({ method: 'GET', url: '/issuers/312011/.well-known/jwks.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=3600');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(r.json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid)).toEqual([card.kid]);
  });

  it('the verify page works behind helmet, formbody and CSRF plugins, with a strict CSP and no caching', async () => {
    const page = await web.inject({ method: 'GET', url: '/verify' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script|style="/);
    const r = await web.inject(form(card.qr[0]!.text));
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toContain('この証明書は有効です');
    expect(r.body).toContain('団体コード 312011');
  });
});
