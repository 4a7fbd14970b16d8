// The resident portal (マイナポータル) over HTTP, against the real organisations of test/harness/platform.ts:
// the platform, 支払基金 (insurerhub), the card CA (公的個人認証サービス) and 鳥取市, with cards issued by the
// CA and challenges signed by src/kernel/jpki.  Card login and the first-use link (no PMHキー kept), replayed,
// expired and forged answers refused, a card revoked at the CA refused, the lock after three failures, 代理人
// by the child's card with consent, per-session person ids, the pages and downloads, the access log, idle
// expiry and logout, the rate limit, and no 12-digit number in any response.  PMH-09…PMH-12, PMH-25.
import { findMyNumbers } from '../harness/leaks.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { Principal } from '../../src/kernel/context/index.js';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { certSerial, type CardFile } from '../../src/kernel/jpki/index.js';
import { issueCard, platformJobPrincipal, pushRun, QUESTIONNAIRE_ITEMS } from '../../src/municipality/platform/index.js';
import { withPlatformTenant } from '../../src/platform/index.js';
import { TOTTORI } from '../harness/app.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { mn } from '../harness/residents.js';
import { PageClient, visibleText } from '../harness/web.js';

// A PMH key standing alone (not a run of base32 inside another identifier, e.g. a PMH仮名識別子).
const PMH_KEY = /(?<![A-Z2-7])PK[A-Z2-7]{20}(?![A-Z2-7])/;

interface Res {
  status: number;
  text: string;
  headers: Headers;
}

/** Every text body any client of this file received, the staff pages the nurse read included (scanned for 12-digit numbers at the end). */
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
      if (v === '' || /Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(c)) this.cookies.delete(k);
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

const problem = (r: Res) => JSON.parse(r.text) as { code: string; title: string; detail?: string };
const pidsOf = (html: string): string[] => [...new Set([...html.matchAll(/href="\/p\/([A-Za-z0-9_-]+)\/notices"/g)].map((m) => m[1]!))];
const entriesOf = (html: string): number => html.match(/class="entry"/g)?.length ?? 0;
const totalOf = (html: string): number => Number(visibleText(html).match(/全(\d+)件/)?.[1] ?? NaN);

describe('resident portal (マイナポータル) over HTTP, real organisations', () => {
  let w: PlatformWorld;
  let clock: SetClock;
  let parent: Client;
  let issuer: Principal;
  /** Cards issued for one test each (the other parent's), so locking or revoking them affects nothing else. */
  const extra = {} as { lock: CardFile; revoke: CardFile };

  async function challenge(c: Client, path = '/login/challenge', page = '/'): Promise<{ csrf: string; challengeId: string; challenge: string }> {
    const csrf = csrfOf((await c.get(page)).text);
    const r = await c.postJson(path, {}, csrf);
    expect(r.status).toBe(200);
    return { csrf, ...(JSON.parse(r.text) as { challengeId: string; challenge: string }) };
  }

  async function login(c: Client, card: CardFile): Promise<Res> {
    const ch = await challenge(c);
    return c.postJson('/login', { challengeId: ch.challengeId, ...(await w.sign(card, ch.challenge)) }, ch.csrf);
  }

  /** The PMH仮名識別子 マイナポータル gave the holder of a card ('' before the card's first use). */
  async function pseudonymOf(card: CardFile): Promise<string> {
    const r = await sql<{ pmh_pseudonym: string }>`
      SELECT p.pmh_pseudonym FROM peers_mynaportal.card_serials s JOIN peers_mynaportal.pseudonyms p USING (pseudonym_id)
      WHERE s.serial = ${certSerial(card.authCert)}`.execute(w.app.db.system);
    return r.rows[0]?.pmh_pseudonym ?? '';
  }

  beforeAll(async () => {
    w = await platformWorld();
    clock = w.app.config.clock as SetClock;
    expect(typeof clock.advance).toBe('function');
    parent = new Client(w.url.portal);
    // 鳥取市 pushes its Hib run: the platform registers the children and gets their PMH keys from 支払基金.
    expect(await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).toMatchObject({ status: 'complete', failed: 0 });
    const job = platformJobPrincipal(TOTTORI);
    issuer = { ...job, actor: { ...job.actor, mynumberView: true } };
    for (const k of ['lock', 'revoke'] as const) {
      extra[k] = (await issueCard({ db: w.app.db, vault: w.app.vault, clock }, issuer, w.orgs.municipal.node, w.atena.otherParent, PIN)).cardFile;
    }
  }, 240_000);
  afterAll(async () => {
    await w?.close();
  });

  it('logs in with the card and links the PMH仮名識別子 at first use, once', async () => {
    const r = await login(parent, w.cards.parent);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ next: '/home' });
    const cookie = parent.setCookies.find((c) => c.startsWith('mamori_portal='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const pp = await pseudonymOf(w.cards.parent);
    expect(pp).toMatch(/^PP[A-Z2-7]{26}$/);
    // The platform holds the pseudonym from the first use on; the parent is nobody's target, so without a PMH key.
    const held = await sql<{ pmh_key: string | null }>`SELECT pmh_key FROM platform.pseudonyms WHERE pmh_pseudonym = ${pp}`.execute(w.app.db.system);
    expect(held.rows).toEqual([{ pmh_key: null }]);
    const home = await parent.get('/home');
    expect(home.status).toBe(200);
    expect(visibleText(home.text)).toContain('まだ市区町村から予防接種の情報が届いていません');
    expect(home.text).not.toContain(pp);

    // The same person logs in again: the same PMH仮名識別子, no second one anywhere.
    const again = new Client(w.url.portal);
    expect((await login(again, w.cards.parent)).status).toBe(200);
    expect(await pseudonymOf(w.cards.parent)).toBe(pp);
    const sessions = await sql<{ pmh_pseudonym: string }>`SELECT DISTINCT s.pmh_pseudonym FROM peers_mynaportal.sessions s WHERE s.serial = ${certSerial(w.cards.parent.authCert)}`.execute(w.app.db.system);
    expect(sessions.rows).toEqual([{ pmh_pseudonym: pp }]);
    const n = await sql<{ n: string }>`SELECT count(*)::text AS n FROM peers_mynaportal.card_serials s JOIN peers_mynaportal.pseudonyms p USING (pseudonym_id) WHERE p.pmh_pseudonym = ${pp}`.execute(w.app.db.system);
    expect(n.rows[0]!.n).toBe('1');
  });

  it('refuses a replayed challenge, a forged signature and an expired challenge', async () => {
    const c = new Client(w.url.portal);
    const ch = await challenge(c);
    const proof = { challengeId: ch.challengeId, ...(await w.sign(w.cards.parent, ch.challenge)) };
    expect((await c.postJson('/login', proof, ch.csrf)).status).toBe(200);
    const replay = await new Client(w.url.portal).postJson('/login', proof, ch.csrf);
    expect(replay.status).toBe(403); // another browser: no CSRF secret
    const replay2 = await c.postJson('/login', proof, ch.csrf);
    expect(replay2.status).toBe(401);
    expect(problem(replay2).code).toBe('CHALLENGE_INVALID');

    // The parent's certificate with a signature made by the other family's card (a fresh browser: c is logged in now).
    const c2 = new Client(w.url.portal);
    const ch2 = await challenge(c2);
    const forged = { challengeId: ch2.challengeId, certPem: w.cards.parent.authCert, signature: (await w.sign(w.cards.otherParent, ch2.challenge)).signature };
    const r = await c2.postJson('/login', forged, ch2.csrf);
    expect(r.status).toBe(401);
    expect(problem(r).code).toBe('SIGNATURE_INVALID');
    expect(problem(r).title).toBe('カードを確認できませんでした');
    expect(problem(r).detail).toContain('あと2回');
    // The parent's own signature with bytes flipped.
    const ch3 = await challenge(c2);
    const good = await w.sign(w.cards.parent, ch3.challenge);
    const bytes = Buffer.from(good.signature, 'base64url');
    bytes[10] = bytes[10]! ^ 0xff;
    const flipped = await c2.postJson('/login', { challengeId: ch3.challengeId, certPem: good.certPem, signature: bytes.toString('base64url') }, ch3.csrf);
    expect(flipped.status).toBe(401);
    expect(problem(flipped).code).toBe('SIGNATURE_INVALID');
    expect(problem(flipped).detail).toContain('あと1回');
    // A good login clears the count (the parent's card is used by the other tests).
    expect((await login(c2, w.cards.parent)).status).toBe(200);
    expect((await sql`SELECT 1 FROM peers_mynaportal.card_failures`.execute(w.app.db.system)).rows).toHaveLength(0);

    // A challenge expires after 5 minutes.
    const c3 = new Client(w.url.portal);
    const ch4 = await challenge(c3);
    const late = 5 * 60_000 + 1000;
    clock.advance(late);
    try {
      const r4 = await c3.postJson('/login', { challengeId: ch4.challengeId, ...(await w.sign(w.cards.parent, ch4.challenge)) }, ch4.csrf);
      expect(r4.status).toBe(401);
      expect(problem(r4).code).toBe('CHALLENGE_INVALID');
    } finally {
      clock.advance(-late);
    }
  });

  it('refuses a card the municipality revoked at the CA, with a clear message', async () => {
    const card = extra.revoke;
    expect((await login(new Client(w.url.portal), card)).status).toBe(200);
    const serial = certSerial(card.authCert);
    const done = await w.orgs.municipal.node.call('card', 'card.revoke', { serial, reason: 'カードの紛失（試験）' });
    expect(done.body).toMatchObject({ revoked: true, serial });
    const r = await login(new Client(w.url.portal), card);
    expect(r.status).toBe(403);
    expect(problem(r).code).toBe('CARD_REVOKED');
    expect(problem(r).title).toBe('このカードの電子証明書は失効しています');
  });

  it('locks a card after three failures (wrong PIN or bad signature), and then refuses it', async () => {
    const card = extra.lock;
    const c = new Client(w.url.portal);
    const ch1 = await challenge(c);
    const pin1 = await c.postJson('/login/pin-failed', { challengeId: ch1.challengeId, certPem: card.authCert }, ch1.csrf);
    expect(pin1.status).toBe(200);
    expect(JSON.parse(pin1.text)).toEqual({ remaining: 2, locked: false });
    const ch2 = await challenge(c);
    const bad = await c.postJson('/login', { challengeId: ch2.challengeId, certPem: card.authCert, signature: (await w.sign(w.cards.child, ch2.challenge)).signature }, ch2.csrf);
    expect(bad.status).toBe(401);
    expect(problem(bad).detail).toContain('あと1回');
    const ch3 = await challenge(c);
    expect(JSON.parse((await c.postJson('/login/pin-failed', { challengeId: ch3.challengeId, certPem: card.authCert }, ch3.csrf)).text)).toEqual({ remaining: 0, locked: true });
    const ok = await login(c, card);
    expect(ok.status).toBe(423);
    expect(problem(ok).code).toBe('CARD_LOCKED');
    expect(problem(ok).title).toBe('このカードはロックされています');
    // The same person's other card is not locked.
    expect((await login(new Client(w.url.portal), w.cards.otherParent)).status).toBe(200);
  });

  it('registers the child as 代理人 with the child card and consent; the child then appears; no PMHキー is kept', async () => {
    const csrf = csrfOf((await parent.get('/agents/new')).text);
    const noConsent = await challenge(parent, '/agents/challenge', '/agents/new');
    const refused = await parent.postJson('/agents', { challengeId: noConsent.challengeId, ...(await w.sign(w.cards.child, noConsent.challenge)) }, csrf);
    expect(refused.status).toBe(400);
    expect(problem(refused).code).toBe('CONSENT_REQUIRED');

    const ch = await challenge(parent, '/agents/challenge', '/agents/new');
    const r = await parent.postJson('/agents', { challengeId: ch.challengeId, ...(await w.sign(w.cards.child, ch.challenge)), consent: true }, ch.csrf);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ next: '/home?added=1' });
    const pp = await pseudonymOf(w.cards.parent);
    const childPp = await pseudonymOf(w.cards.child);
    expect(childPp).toMatch(/^PP[A-Z2-7]{26}$/);
    const agencies = await sql<{ agent: string; principal: string; consent_text: string; ended_at: Date | null }>`SELECT agent, principal, consent_text, ended_at FROM platform.agencies WHERE agent = ${pp}`.execute(w.app.db.system);
    expect(agencies.rows).toHaveLength(1);
    expect(agencies.rows[0]).toMatchObject({ agent: pp, principal: childPp, ended_at: null });
    expect(agencies.rows[0]!.consent_text).toContain('法定代理人');
    // The child's first use linked its pseudonym to the PMH key the platform got for it from 支払基金.
    const key = (await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ pmh_key: string }>`SELECT pmh_key FROM platform.targets WHERE identity_key = ${w.atena.child}`.execute(tx))).rows[0]!.pmh_key;
    expect(key).toMatch(PMH_KEY);
    const linked = await sql<{ pmh_key: string | null }>`SELECT pmh_key FROM platform.pseudonyms WHERE pmh_pseudonym = ${childPp}`.execute(w.app.db.system);
    expect(linked.rows).toEqual([{ pmh_key: key }]);
    const home = await parent.get('/home?added=1');
    expect(visibleText(home.text)).toContain('鳥取　はな');
    expect(visibleText(home.text)).toContain('お子さまを登録しました');
    expect(pidsOf(home.text)).toHaveLength(1);

    // An agent challenge made without a session is refused; a login challenge cannot register a child.
    const anon = new Client(w.url.portal);
    const anonCsrf = csrfOf((await anon.get('/')).text);
    expect((await anon.postJson('/agents/challenge', {}, anonCsrf)).status).toBe(401);
    const loginCh = await challenge(parent, '/login/challenge', '/agents/new');
    const wrong = await parent.postJson('/agents', { challengeId: loginCh.challengeId, ...(await w.sign(w.cards.child, loginCh.challenge)), consent: true }, loginCh.csrf);
    expect(problem(wrong).code).toBe('CHALLENGE_INVALID');

    // Nothing in the node's schema holds a PMHキー (PMH-09 step 5): every table, every row.
    const db = w.app.db.system;
    const tables = (await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'peers_mynaportal' AND table_type = 'BASE TABLE'`.execute(db)).rows.map((x) => x.table_name);
    expect(tables).toEqual(expect.arrayContaining(['pseudonyms', 'card_serials', 'sessions', 'session_persons', 'challenges', 'card_failures', 'access_log', 'agencies']));
    let rows = 0;
    for (const table of tables) {
      const all = await sql<{ t: string }>`SELECT t::text AS t FROM ${sql.table(`peers_mynaportal.${table}`)} AS t`.execute(db);
      rows += all.rows.length;
      for (const row of all.rows) {
        expect(row.t, table).not.toMatch(PMH_KEY);
        expect(row.t, table).not.toContain(key);
      }
    }
    expect(rows).toBeGreaterThan(10);
  });

  it('shows the child notice with the 接種券番号, and the questionnaire: purpose first, only its items, consent, QR', async () => {
    const [childPid] = pidsOf((await parent.get('/home')).text);
    expect(childPid).toBeTruthy();
    const voucher = (await sql<{ voucher_no: string }>`SELECT voucher_no FROM municipality.notice_items WHERE tenant_code = ${TOTTORI} AND atena_no = ${w.atena.child} AND status = 'active' LIMIT 1`.execute(w.app.db.system)).rows[0]!.voucher_no;
    expect(voucher).toBeTruthy();
    const list = await parent.get(`/p/${childPid}/notices`);
    expect(visibleText(list.text)).toContain('Hib感染症');
    const link = list.text.match(new RegExp(`href="(/p/${childPid}/notices/[^"]+)"`));
    expect(link).not.toBeNull();
    const notice = await parent.get(link![1]!.replaceAll('&amp;', '&'));
    expect(notice.status).toBe(200);
    expect(visibleText(notice.text)).toContain('接種券番号');
    expect(visibleText(notice.text)).toContain(voucher);

    const dose = (await withPlatformTenant(w.platformDb, TOTTORI, (tx) =>
      sql<{ dose: number }>`SELECT tv.dose FROM platform.target_vaccinations tv JOIN platform.targets t USING (tenant_code, target_id) WHERE t.identity_key = ${w.atena.child} AND tv.program_code = 'hib' ORDER BY tv.dose LIMIT 1`.execute(tx))).rows[0]!.dose;
    const q = await parent.get(`/p/${childPid}/questionnaire?program=hib&dose=${dose}`);
    expect(q.status).toBe(200);
    const text = visibleText(q.text);
    expect(text.indexOf('利用目的')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('利用目的')).toBeLessThan(text.indexOf(QUESTIONNAIRE_ITEMS[0]!.label));
    // Only the template's items: q0 … q(n-1), nothing else.
    expect(new Set(q.text.match(/name="q\d+"/g)).size).toBe(QUESTIONNAIRE_ITEMS.length);
    expect(q.text).not.toContain(`name="q${QUESTIONNAIRE_ITEMS.length}"`);
    const fields: Record<string, string> = { _csrf: csrfOf(q.text), program: 'hib', dose: String(dose) };
    QUESTIONNAIRE_ITEMS.forEach((it, i) => {
      if (it.type === 'number') fields[`q${i}`] = '36.5';
      else if (it.type === 'boolean') fields[`q${i}`] = 'no';
      else if (it.type === 'choice') fields[`q${i}`] = '該当しない';
      else if (it.itemId === 'questions') fields[`q${i}`] = '特になし';
    });
    const missing = await parent.postForm(`/p/${childPid}/questionnaire`, fields);
    expect(missing.status).toBe(400);
    expect(visibleText(missing.text)).toContain('同意のチェック');
    const ok = await parent.postForm(`/p/${childPid}/questionnaire`, { ...fields, _csrf: csrfOf(missing.text), q99: 'ignored', consent: 'on' });
    expect(ok.status).toBe(200);
    expect(visibleText(ok.text)).toContain('医療機関の受付でこのQRコードを提示してください');
    expect(ok.text).toContain('<svg');

    // What the platform stored: the agent's consent, and only the template's items.
    const pp = await pseudonymOf(w.cards.parent);
    const childPp = await pseudonymOf(w.cards.child);
    const stored = await withPlatformTenant(w.platformDb, TOTTORI, (tx) =>
      sql<{ consent_by: string; agent_pseudonym: string | null; status: string }>`
        SELECT a.consent_by, a.agent_pseudonym, a.status FROM platform.answers a JOIN platform.targets t USING (tenant_code, target_id) WHERE t.identity_key = ${w.atena.child}`.execute(tx));
    expect(stored.rows).toEqual([{ consent_by: 'agent', agent_pseudonym: pp, status: 'submitted' }]);
    const portalNode = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock });
    const back = (await portalNode.call('platform', 'portal.questionnaire', { actor: pp, subject: childPp, programCode: 'hib', dose })).body as { answer: { answers: Record<string, unknown> } | null };
    const answers = back.answer!.answers;
    expect(answers['temperature']).toBe(36.5);
    expect(answers['unwell-today']).toBe(false);
    expect(answers['questions']).toBe('特になし');
    for (const k of Object.keys(answers)) expect(QUESTIONNAIRE_ITEMS.map((x) => x.itemId), k).toContain(k);
    expect(JSON.stringify(answers)).not.toContain('ignored');
    // No CSRF token → refused.
    const noCsrf = await parent.postForm(`/p/${childPid}/questionnaire`, { program: 'hib', dose: String(dose), consent: 'on' });
    expect(noCsrf.status).toBe(403);
  });

  it('shows records, downloads FHIR and PDF, and pages the data-use list (50 a page)', async () => {
    const [childPid] = pidsOf((await parent.get('/home')).text);
    const rec = await parent.get(`/p/${childPid}/records`);
    expect(rec.status).toBe(200);
    expect(visibleText(rec.text)).toContain('次に受けられる予防接種');
    expect(visibleText(rec.text)).toContain('Hib感染症');
    const fhir = await parent.get(`/p/${childPid}/records.fhir.json`);
    expect(fhir.status).toBe(200);
    expect(fhir.headers.get('content-type')).toContain('application/fhir+json');
    const bundle = JSON.parse(fhir.text) as { resourceType: string; entry: { resource: { resourceType: string } }[] };
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(expect.arrayContaining(['Patient', 'ImmunizationRecommendation']));
    const pdf = await fetch(`${w.url.portal}/p/${childPid}/records.pdf`, { headers: { cookie: [...parent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    // More than one page of entries, made for real: the nurse opens the child's record in the staff system
    // again and again; each read is in 鳥取市's log, which it reports to the platform for this page.
    let total = totalOf((await parent.get(`/p/${childPid}/data-use`)).text);
    expect(total).toBeGreaterThan(0);
    if (total < 60) {
      const staff = new PageClient(w.url.staff);
      await staff.login(TOTTORI, w.nurseLogin, w.nursePassword);
      for (let i = total; i < 60; i++) {
        const page = await staff.get(`/residents/${w.atena.child}`);
        expect(page.status).toBe(200);
        bodies.push({ path: `staff /residents/${w.atena.child}`, text: page.text });
      }
    }
    const p1 = await parent.get(`/p/${childPid}/data-use`);
    total = totalOf(p1.text);
    expect(total).toBeGreaterThanOrEqual(60);
    expect(entriesOf(p1.text)).toBe(50);
    const t1 = visibleText(p1.text);
    // 和暦 dates (the staff reads carry the operation log's own time, so no particular year).
    expect(t1).toMatch(/令和\d+年\d+月\d+日/);
    expect(t1).toContain('市区町村の職員');
    expect(t1).toContain('鳥取市');
    const p2 = await parent.get(`/p/${childPid}/data-use?page=2`);
    expect(entriesOf(p2.text)).toBe(Math.min(50, totalOf(p2.text) - 50));
    expect(entriesOf(p2.text)).toBeGreaterThan(0);
  });

  it('a session sees only its own persons: another family\'s pid or a pseudonym is a 404', async () => {
    const other = new Client(w.url.portal);
    expect((await login(other, w.cards.otherParent)).status).toBe(200);
    const ch = await challenge(other, '/agents/challenge', '/agents/new');
    expect((await other.postJson('/agents', { challengeId: ch.challengeId, ...(await w.sign(w.cards.otherChild, ch.challenge)), consent: true }, ch.csrf)).status).toBe(200);
    const [otherPid] = pidsOf((await other.get('/home')).text);
    expect(otherPid).toBeTruthy();
    expect(visibleText((await other.get(`/p/${otherPid}/notices`)).text)).toContain('Hib感染症');
    const otherChildPp = await pseudonymOf(w.cards.otherChild);
    const childPp = await pseudonymOf(w.cards.child);
    expect(otherChildPp).toMatch(/^PP/);
    for (const path of [`/p/${otherPid}/notices`, `/p/${otherPid}/records`, `/p/${otherPid}/data-use`, `/p/${otherPid}/records.fhir.json`, `/p/${otherPid}/records.pdf`,
      `/p/${otherChildPp}/notices`, `/p/${childPp}/notices`, '/p/nonsense-value/notices', `/p/${otherPid}/something-else`]) {
      const r = await parent.get(path);
      expect(r.status, path).toBe(404);
      expect(r.text).not.toContain('因幡');
      if (!path.endsWith('.json') && !path.endsWith('.pdf')) expect(r.text).toContain('ページが見つかりません');
    }
    // The other family cannot use the parent's pids either.
    const [childPid] = pidsOf((await parent.get('/home')).text);
    expect((await other.get(`/p/${childPid}/notices`)).status).toBe(404);
    expect((await other.get(`/p/${childPid}/records.fhir.json`)).status).toBe(404);
    // Without a session: the login page.
    const anon = await new Client(w.url.portal).get(`/p/${childPid}/notices`);
    expect(anon.status).toBe(302);
  });

  it('logs every access with actor and subject, never a My Number', async () => {
    const pp = await pseudonymOf(w.cards.parent);
    const childPp = await pseudonymOf(w.cards.child);
    const log = (await sql<{ actor: string | null; subject: string | null; action: string; outcome: string; code: string | null }>`
      SELECT actor, subject, action, outcome, code FROM peers_mynaportal.access_log WHERE actor = ${pp} ORDER BY seq`.execute(w.app.db.system)).rows;
    const actions = new Set(log.map((l) => l.action));
    for (const a of ['login', 'persons', 'agent.add', 'notices', 'questionnaire', 'answer', 'records', 'data-use']) expect(actions, a).toContain(a);
    expect(log.find((l) => l.action === 'answer')?.subject).toBe(childPp);
    expect(log.find((l) => l.action === 'agent.add' && l.outcome === 'ok')?.subject).toBe(childPp);
    expect(log.some((l) => l.outcome === 'refused')).toBe(true);
    // The child's first use (by the 代理人 registration) is the one that linked a PMH key.
    const link = await sql<{ subject: string; outcome: string }>`SELECT subject, outcome FROM peers_mynaportal.access_log WHERE actor = ${childPp} AND action = 'link'`.execute(w.app.db.system);
    expect(link.rows).toEqual([{ subject: childPp, outcome: 'ok' }]);
    const all = await sql<{ t: string }>`SELECT t::text AS t FROM peers_mynaportal.access_log AS t`.execute(w.app.db.system);
    expect(all.rows.some((r) => r.t.includes('CARD_REVOKED'))).toBe(true);
    for (const r of all.rows) expect(findMyNumbers(r.t)).toEqual([]);
  });

  it('ends a session after 30 idle minutes, and on logout', async () => {
    const c = new Client(w.url.portal);
    expect((await login(c, w.cards.parent)).status).toBe(200);
    expect((await c.get('/home')).status).toBe(200);
    const idleFor = 31 * 60_000;
    clock.advance(idleFor);
    try {
      const idle = await c.get('/home');
      expect(idle.status).toBe(302);
      expect(idle.headers.get('location')).toBe('/?ended=1');
      expect((await c.get('/?ended=1')).text).toContain('一定時間操作がなかったため');
    } finally {
      clock.advance(-idleFor);
    }
    expect(c.cookies.has('mamori_portal')).toBe(false);

    expect((await login(c, w.cards.parent)).status).toBe(200);
    const csrf = csrfOf((await c.get('/logout')).text);
    const out = await c.postForm('/logout', { _csrf: csrf });
    expect(out.status).toBe(200);
    expect(out.text).toContain('ログアウトしました');
    expect((await c.get('/home')).status).toBe(302);
  });

  it('limits challenges per client address (last: it uses up the minute)', async () => {
    const c = new Client(w.url.portal);
    const csrf = csrfOf((await c.get('/')).text);
    const statuses: number[] = [];
    // 60 a minute by default; up to two windows' worth, in case a window turns over during the loop.
    for (let i = 0; i < 125 && !statuses.includes(429); i++) statuses.push((await c.postJson('/login/challenge', {}, csrf)).status);
    expect(statuses).toContain(429);
  });

  it('no response carried a 12-digit number', () => {
    expect(bodies.length).toBeGreaterThan(30);
    const numbers = Object.values(WHO).map((i) => mn(i));
    for (const b of bodies) {
      expect(findMyNumbers(b.text), b.path).toEqual([]);
      for (const n of numbers) expect(b.text, b.path).not.toContain(n);
    }
  });
});
