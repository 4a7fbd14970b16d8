// The 医療機関用アプリ over plain HTTP (issue 13 part D, decision 0153): every screen address answers the
// shell with a strict Content-Security-Policy and no inline script or style; the assets are this origin's
// own (the card script is the resident portal's, byte for byte); the API's addresses are not shadowed by
// the pages; and neither a page, an asset nor any API answer of a whole reception carries a My Number.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushRun } from '../../src/municipality/platform/index.js';
import { CLINIC_SCREENS } from '../../src/web/clinic/index.js';
import { findMyNumbers } from '../harness/leaks.js';
import { addClinic, ClinicClient, platformWorld, WHO, type ClinicFixture, type PlatformWorld } from '../harness/platform.js';
import { mn } from '../harness/residents.js';

describe('医療機関用アプリ pages (HTTP)', () => {
  let w: PlatformWorld;
  let clinic: ClinicFixture;
  const bodies: string[] = [];
  const get = async (path: string) => {
    const res = await fetch(w.url.platform + path);
    const text = await res.text();
    bodies.push(text);
    return { res, text };
  };

  beforeAll(async () => {
    w = await platformWorld();
    expect((await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).failed).toBe(0);
    clinic = await addClinic(w, { first9: '311010001', name: 'とっとり小児科クリニック' });
  }, 300_000);
  afterAll(async () => {
    await w?.close();
  });

  it('every screen is the shell under a strict CSP, with scripts only from /clinic/assets/', async () => {
    for (const s of CLINIC_SCREENS) {
      const { res, text } = await get(`/clinic${s.replace(':visitId', 'V00000000000000000000')}`);
      expect(res.status, s).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      // No inline script, no inline style, no event-handler attributes.
      expect(text.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
      expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect([...text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1])).toEqual(['/clinic/assets/card-login.js', '/clinic/assets/clinic-app.js']);
      expect(text).toContain('lang="ja"');
    }
  });

  it('serves its own assets: the portal\'s card script unchanged, the app, the styles and the font; nothing else', async () => {
    const card = await get('/clinic/assets/card-login.js');
    expect(card.res.headers.get('content-type')).toContain('text/javascript');
    expect(card.text).toBe(readFileSync(new URL('../../src/web/assets/card-login.js', import.meta.url), 'utf8'));
    const app = await get('/clinic/assets/clinic-app.js');
    expect(app.text).toContain("API = BASE + '/v1'");
    expect(app.text).not.toMatch(/innerHTML|eval\(|new Function/);
    for (const css of ['tokens.css', 'mamori.css', 'clinic.css']) expect((await get(`/clinic/assets/${css}`)).res.headers.get('content-type')).toContain('text/css');
    expect((await get('/clinic/assets/mamori.css')).text).toContain("url('/clinic/assets/fonts/biz-udpgothic-400.ttf')");
    const font = await fetch(`${w.url.platform}/clinic/assets/fonts/biz-udpgothic-700.ttf`);
    expect(font.headers.get('content-type')).toBe('font/ttf');
    const products = JSON.parse((await get('/clinic/assets/products.json')).text) as Record<string, { code: string; name: string }[]>;
    expect(products['hib']!.map((p) => p.code)).toContain('hib');
    expect((await get('/clinic/assets/index.ts')).res.status).toBe(404);
    expect((await get('/clinic/assets/fonts/other.ttf')).res.status).toBe(404);
    // The API's own addresses stay the API's: a JSON problem, not the shell.
    const api = await get('/clinic/v1/no-such-thing');
    expect(api.res.status).toBe(404);
    expect(api.res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('no page, asset or API answer of a card reception and an examination holds a My Number', async () => {
    const doctor = new ClinicClient(w.url.platform);
    expect((await doctor.login(clinic.code, clinic.doctor.userId, clinic.doctor.password)).status).toBe(200);
    const ch = await doctor.req<{ challengeId: string; challenge: string }>('POST', '/clinic/v1/reception/challenge', {});
    const proof = await w.sign(w.cards.child, ch.body.challenge);
    const r = await doctor.req<{ visits: { visitId: string }[] }>('POST', '/clinic/v1/reception/card', { challengeId: ch.body.challengeId, ...proof, identityCheck: { method: 'card' }, consent: true });
    expect(r.status).toBe(200);
    const visitId = r.body.visits[0]!.visitId;
    expect((await doctor.req('GET', '/clinic/v1/visits')).status).toBe(200);
    expect((await doctor.req('GET', `/clinic/v1/visits/${visitId}`)).status).toBe(200);
    expect((await doctor.req('POST', `/clinic/v1/visits/${visitId}/identity`, { method: 'boshi' })).status).toBe(200);
    expect((await doctor.req('GET', '/clinic/v1/me')).status).toBe(200);
    for (const s of CLINIC_SCREENS) await get(`/clinic${s.replace(':visitId', visitId)}`);
    for (const a of ['clinic-app.js', 'card-login.js', 'products.json', 'clinic.css']) await get(`/clinic/assets/${a}`);
    const all = [...bodies, ...doctor.bodies];
    expect(all.length).toBeGreaterThan(20);
    expect(all.join('\n')).toContain('鳥取　はな'); // the answers are the real ones
    for (const text of all) expect(findMyNumbers(text)).toEqual([]);
    for (const i of [WHO.child, WHO.parent]) expect(all.join('\n')).not.toContain(mn(i));
  });
});
