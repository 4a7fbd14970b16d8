// The resident portal (マイナポータル) over HTTP, against stand-ins for the platform, insurerhub and the card CA
// (test/harness/portal-peers.ts): card login, replay and forgery refused, revoked cards refused, the lock after
// three failures, 代理人 by the child's card, per-session person ids, the pages, and no 12-digit number in
// any response.  PMH-09…PMH-12, PMH-25.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { PEOPLE, portalWorld, signChallenge, type PortalWorld, type TestCard } from '../harness/portal-peers.js';

const TWELVE_DIGITS = /(?<!\d)\d{12}(?!\d)/;

interface Res {
  status: number;
  text: string;
  headers: Headers;
}

/** Every text body any client of this file received (scanned for 12-digit numbers at the end). */
const bodies: { path: string; text: string }[] = [];

class Client {
  readonly cookies = new Map<string, string>();
  setCookies: string[] = [];
  constructor(readonly base: string) {}

  private async req(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Res> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...init.headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: init.body,
    });
    this.setCookies = res.headers.getSetCookie();
    for (const c of this.setCookies) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i);
      const v = pair!.slice(i + 1);
      if (v === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    const type = res.headers.get('content-type') ?? '';
    const text = type.startsWith('application/pdf') ? '' : await res.text();
    if (type.startsWith('application/pdf')) await res.arrayBuffer();
    bodies.push({ path, text });
    return { status: res.status, text, headers: res.headers };
  }

  get(path: string): Promise<Res> {
    return this.req('GET', path);
  }

  postJson(path: string, body: unknown, csrf: string): Promise<Res> {
    return this.req('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-csrf-token': csrf } });
  }

  postForm(path: string, form: Record<string, string>): Promise<Res> {
    return this.req('POST', path, { body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}

const csrfOf = (html: string): string => {
  const m = html.match(/data-csrf="([^"]+)"/) ?? html.match(/name="_csrf" value="([^"]+)"/);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
};

async function challenge(c: Client, path = '/login/challenge', page = '/'): Promise<{ csrf: string; challengeId: string; challenge: string }> {
  const csrf = csrfOf((await c.get(page)).text);
  const r = await c.postJson(path, {}, csrf);
  expect(r.status).toBe(200);
  return { csrf, ...(JSON.parse(r.text) as { challengeId: string; challenge: string }) };
}

async function login(c: Client, card: TestCard): Promise<Res> {
  const ch = await challenge(c);
  return c.postJson('/login', { challengeId: ch.challengeId, ...signChallenge(card, ch.challenge) }, ch.csrf);
}

const problem = (r: Res) => JSON.parse(r.text) as { code: string; title: string; detail?: string };
const pidsOf = (html: string): string[] => [...new Set([...html.matchAll(/href="\/p\/([A-Za-z0-9_-]+)\/notices"/g)].map((m) => m[1]!))];

describe('resident portal (マイナポータル) over HTTP', () => {
  let w: PortalWorld;
  let parent: Client;

  beforeAll(async () => {
    w = await portalWorld();
    parent = new Client(w.url);
  });
  afterAll(async () => {
    await w?.close();
  });

  const pseudonymOf = (key: string): string => [...w.platform.links].find(([, k]) => k === key)?.[0] ?? '';

  it('logs in with the card, links the PMH仮名識別子 at first use and keeps no PMHキー', async () => {
    const r = await login(parent, w.cards.parent);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ next: '/home' });
    const cookie = parent.setCookies.find((c) => c.startsWith('mamori_portal='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const pp = pseudonymOf(PEOPLE.parent.pmhKey);
    expect(pp).toMatch(/^PP[A-Z2-7]{26}$/);
    const home = await parent.get('/home');
    expect(home.status).toBe(200);
    expect(home.text).toContain('山田 太郎さん');
    expect(home.text).not.toContain(pp);

    // The same person logs in again: the same PMH仮名識別子, no second link.
    const again = new Client(w.url);
    expect((await login(again, w.cards.parent)).status).toBe(200);
    expect([...w.platform.links.keys()].filter((k) => w.platform.links.get(k) === PEOPLE.parent.pmhKey)).toEqual([pp]);

    // Nothing in the node's schema holds a PMHキー (PMH-09 step 5).
    const db = w.app.db.system;
    for (const table of ['pseudonyms', 'card_serials', 'sessions', 'session_persons', 'challenges', 'card_failures', 'access_log', 'agencies']) {
      const rows = await sql<{ t: string }>`SELECT t::text AS t FROM ${sql.table(`peers_mynaportal.${table}`)} AS t`.execute(db);
      for (const row of rows.rows) expect(row.t).not.toMatch(/PK[A-Z2-7]{20}/);
    }
  });

  it('refuses a replayed challenge and a forged signature', async () => {
    const c = new Client(w.url);
    const ch = await challenge(c);
    const proof = { challengeId: ch.challengeId, ...signChallenge(w.cards.parent, ch.challenge) };
    expect((await c.postJson('/login', proof, ch.csrf)).status).toBe(200);
    const replay = await new Client(w.url).postJson('/login', proof, ch.csrf);
    expect(replay.status).toBe(403); // another browser: no CSRF secret
    const replay2 = await c.postJson('/login', proof, ch.csrf);
    expect(replay2.status).toBe(401);
    expect(problem(replay2).code).toBe('CHALLENGE_INVALID');

    // The parent's certificate with a signature made by another card's key (a fresh browser: c is logged in now).
    const c2 = new Client(w.url);
    const ch2 = await challenge(c2);
    const forged = { challengeId: ch2.challengeId, certPem: w.cards.parent.certPem, signature: signChallenge(w.cards.other, ch2.challenge).signature };
    const r = await c2.postJson('/login', forged, ch2.csrf);
    expect(r.status).toBe(401);
    expect(problem(r).code).toBe('SIGNATURE_INVALID');
    expect(problem(r).title).toBe('カードを確認できませんでした');

    // A challenge expires after 5 minutes.
    const ch3 = await challenge(c2);
    w.clock.advance(5 * 60_000 + 1000);
    const late = await c2.postJson('/login', { challengeId: ch3.challengeId, ...signChallenge(w.cards.parent, ch3.challenge) }, ch3.csrf);
    expect(late.status).toBe(401);
    expect(problem(late).code).toBe('CHALLENGE_INVALID');
  });

  it('refuses a revoked card with a clear message', async () => {
    const r = await login(new Client(w.url), w.cards.revoked);
    expect(r.status).toBe(403);
    expect(problem(r).title).toBe('このカードの電子証明書は失効しています');
  });

  it('locks a card after three failures (wrong PIN or bad signature), and then refuses it', async () => {
    const card = w.ca.issue('ロック 確認');
    const c = new Client(w.url);
    const ch1 = await challenge(c);
    const pin1 = await c.postJson('/login/pin-failed', { challengeId: ch1.challengeId, certPem: card.certPem }, ch1.csrf);
    expect(pin1.status).toBe(200);
    expect(JSON.parse(pin1.text)).toEqual({ remaining: 2, locked: false });
    const ch2 = await challenge(c);
    const bad = await c.postJson('/login', { challengeId: ch2.challengeId, certPem: card.certPem, signature: signChallenge(w.cards.other, ch2.challenge).signature }, ch2.csrf);
    expect(problem(bad).detail).toContain('あと1回');
    const ch3 = await challenge(c);
    expect(JSON.parse((await c.postJson('/login/pin-failed', { challengeId: ch3.challengeId, certPem: card.certPem }, ch3.csrf)).text)).toEqual({ remaining: 0, locked: true });
    const ok = await login(c, card);
    expect(ok.status).toBe(423);
    expect(problem(ok).title).toBe('このカードはロックされています');
  });

  it('registers a child as 代理人 with the child card and consent; the child then appears', async () => {
    const csrf = csrfOf((await parent.get('/agents/new')).text);
    const noConsent = await challenge(parent, '/agents/challenge', '/agents/new');
    const refused = await parent.postJson('/agents', { challengeId: noConsent.challengeId, ...signChallenge(w.cards.child, noConsent.challenge) }, csrf);
    expect(refused.status).toBe(400);
    expect(problem(refused).code).toBe('CONSENT_REQUIRED');

    const ch = await challenge(parent, '/agents/challenge', '/agents/new');
    const r = await parent.postJson('/agents', { challengeId: ch.challengeId, ...signChallenge(w.cards.child, ch.challenge), consent: true }, ch.csrf);
    expect(r.status).toBe(200);
    expect(w.platform.agencies).toHaveLength(1);
    expect(w.platform.agencies[0]).toMatchObject({ agent: pseudonymOf(PEOPLE.parent.pmhKey), principal: pseudonymOf(PEOPLE.child.pmhKey) });
    expect(w.platform.agencies[0]!.consentText).toContain('法定代理人');
    const home = await parent.get('/home?added=1');
    expect(home.text).toContain('山田 花子さん');
    expect(home.text).toContain('お子さまを登録しました');
    expect(pidsOf(home.text)).toHaveLength(2);

    // An agent challenge made without a session is refused; a login challenge cannot register a child.
    const anon = new Client(w.url);
    const anonCsrf = csrfOf((await anon.get('/')).text);
    expect((await anon.postJson('/agents/challenge', {}, anonCsrf)).status).toBe(401);
    const login = await challenge(parent, '/login/challenge', '/agents/new');
    const wrong = await parent.postJson('/agents', { challengeId: login.challengeId, ...signChallenge(w.cards.child, login.challenge), consent: true }, login.csrf);
    expect(problem(wrong).code).toBe('CHALLENGE_INVALID');
  });

  it('shows the child notice with the 接種券番号, and the questionnaire: purpose first, only its items, consent, QR', async () => {
    const home = (await parent.get('/home')).text;
    const [selfPid, childPid] = pidsOf(home);
    expect(selfPid && childPid).toBeTruthy();
    const list = await parent.get(`/p/${childPid}/notices`);
    expect(list.text).toContain('ヒブワクチン 予防接種のお知らせ');
    const notice = await parent.get(`/p/${childPid}/notices/n-hib-2`);
    expect(notice.status).toBe(200);
    expect(notice.text).toContain('接種券番号');
    expect(notice.text).toContain('0000000012');

    const q = await parent.get(`/p/${childPid}/questionnaire?program=hib&dose=2`);
    expect(q.status).toBe(200);
    expect(q.text.indexOf('利用目的')).toBeLessThan(q.text.indexOf('今日の体温'));
    expect(q.text.match(/name="q\d+"/g)?.length).toBeGreaterThanOrEqual(4);
    expect(q.text).not.toContain('name="q4"');
    const csrf = csrfOf(q.text);
    const missing = await parent.postForm(`/p/${childPid}/questionnaire`, { _csrf: csrf, program: 'hib', dose: '2', q0: '36.5', q1: 'no', q2: 'ない' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('同意のチェック');
    const ok = await parent.postForm(`/p/${childPid}/questionnaire`, { _csrf: csrf, program: 'hib', dose: '2', q0: '36.5', q1: 'no', q2: 'ない', q3: '特になし', q9: 'ignored', consent: 'on' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('医療機関の受付でこのQRコードを提示してください');
    expect(ok.text).toContain('<svg');
    const sent = w.platform.answers.at(-1)!;
    expect(sent.answers).toEqual({ temperature: 36.5, unwell: false, reaction: 'ない', note: '特になし' });
    expect(sent.consent).toMatchObject({ by: 'agent' });
    expect(sent.subject).toBe(pseudonymOf(PEOPLE.child.pmhKey));
    // No CSRF token → refused.
    const noCsrf = await parent.postForm(`/p/${childPid}/questionnaire`, { program: 'hib', dose: '2', consent: 'on' });
    expect(noCsrf.status).toBe(403);
  });

  it('shows records, downloads FHIR and PDF, and pages the data-use list (50 a page)', async () => {
    const [, childPid] = pidsOf((await parent.get('/home')).text);
    const rec = await parent.get(`/p/${childPid}/records`);
    expect(rec.text).toContain('令和8年6月10日');
    expect(rec.text).toContain('次に受けられる予防接種');
    const fhir = await parent.get(`/p/${childPid}/records.fhir.json`);
    expect(fhir.headers.get('content-type')).toContain('application/fhir+json');
    expect(JSON.parse(fhir.text).resourceType).toBe('Bundle');
    const pdf = await fetch(`${w.url}/p/${childPid}/records.pdf`, { headers: { cookie: [...parent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    const p1 = await parent.get(`/p/${childPid}/data-use`);
    expect(p1.text).toContain('全60件');
    expect(p1.text.match(/class="entry"/g)).toHaveLength(50);
    expect(p1.text).toContain('令和8年');
    expect(p1.text).toContain('職員（健康推進課・保健師）');
    const p2 = await parent.get(`/p/${childPid}/data-use?page=2`);
    expect(p2.text.match(/class="entry"/g)).toHaveLength(10);
  });

  it('a session sees only its own persons: another child pid or pseudonym is a 404', async () => {
    const other = new Client(w.url);
    expect((await login(other, w.cards.other)).status).toBe(200);
    const [otherPid] = pidsOf((await other.get('/home')).text);
    expect((await other.get(`/p/${otherPid}/notices`)).text).toContain('BCG');
    for (const path of [`/p/${otherPid}/notices`, `/p/${otherPid}/records`, `/p/${otherPid}/data-use`, `/p/${otherPid}/records.fhir.json`, `/p/${pseudonymOf(PEOPLE.other.pmhKey)}/notices`, '/p/nonsense-value/notices', `/p/${otherPid}/something-else`]) {
      const r = await parent.get(path);
      expect(r.status, path).toBe(404);
      expect(r.text).not.toContain('佐藤');
      if (!path.endsWith('.json')) expect(r.text).toContain('ページが見つかりません');
    }
    // The other family cannot use the parent's pids either.
    const [, childPid] = pidsOf((await parent.get('/home')).text);
    expect((await other.get(`/p/${childPid}/notices`)).status).toBe(404);
    // Without a session: the login page.
    const anon = await new Client(w.url).get(`/p/${childPid}/notices`);
    expect(anon.status).toBe(302);
  });

  it('logs every access with actor and subject, never a My Number', async () => {
    const log = await w.portal.accessLog(pseudonymOf(PEOPLE.parent.pmhKey));
    const actions = new Set(log.map((l) => l.action));
    for (const a of ['login', 'persons', 'agent.add', 'notices', 'questionnaire', 'answer', 'records', 'data-use']) expect(actions, a).toContain(a);
    expect(log.find((l) => l.action === 'answer')?.subject).toBe(pseudonymOf(PEOPLE.child.pmhKey));
    expect(log.some((l) => l.outcome === 'refused')).toBe(true);
  });

  it('ends a session after 30 idle minutes, and on logout', async () => {
    const c = new Client(w.url);
    expect((await login(c, w.cards.parent)).status).toBe(200);
    expect((await c.get('/home')).status).toBe(200);
    w.clock.advance(31 * 60_000);
    const idle = await c.get('/home');
    expect(idle.status).toBe(302);
    expect(idle.headers.get('location')).toBe('/?ended=1');
    expect((await c.get('/?ended=1')).text).toContain('一定時間操作がなかったため');

    expect((await login(c, w.cards.parent)).status).toBe(200);
    const csrf = csrfOf((await c.get('/logout')).text);
    const out = await c.postForm('/logout', { _csrf: csrf });
    expect(out.status).toBe(200);
    expect(out.text).toContain('ログアウトしました');
    expect((await c.get('/home')).status).toBe(302);
  });

  it('limits challenges per client address (last: it uses up the minute)', async () => {
    const c = new Client(w.url);
    const csrf = csrfOf((await c.get('/')).text);
    const statuses: number[] = [];
    for (let i = 0; i < 65; i++) statuses.push((await c.postJson('/login/challenge', {}, csrf)).status);
    expect(statuses).toContain(429);
  });

  it('no response carried a 12-digit number', () => {
    expect(bodies.length).toBeGreaterThan(30);
    for (const b of bodies) expect(TWELVE_DIGITS.test(b.text), b.path).toBe(false);
  });
});
