// デジタル資格証 over HTTP, every organisation real (issue 16 Must have 1 and 2; QUA-23, QUA-24; decisions
// 0206–0208): the holder logs in to マイナポータル with the card, signs a request with 同意 and the card's
// 券面事項入力補助; the registry finds the holder's entries itself (blind index) and issues a credential for each
// active one (a suspended one is named, not issued); the portal keeps none.  The public verifier page on the
// registry node shows 有効 with only the disclosed items, 検証できません for an altered presentation, 取消し after
// a 免許取消.  A one-time employer link: refused for another person's entry, without consent, beyond 7 days;
// opened once (items and current status), then 使用済み; an expired link says so; the holder's 「確認の記録」
// lists every creation and opening.  No My Number anywhere in what the pages and answers carry.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { canonicalDocumentText, openKenmen, signDocument, type CardFile } from '../../src/kernel/jpki/index.js';
import {
  buildCredentialSample, CONFIRMATION_CONSENT_TEXT, CREDENTIAL_CONSENT_TEXT, exampleForm, HOLDER_REQUEST_FORMAT, presentCredential, recordDisposition, registerEntry, REGISTRY_ROLE, RegistrySecrets, syncAdministrators,
  type RegisterDeps,
} from '../../src/registry/index.js';
import { VERIFY_RATE_LIMIT } from '../../src/web/verify/index.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { person } from '../harness/residents.js';

interface Res { status: number; text: string }
const bodies: string[] = [];

class Client {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async req(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Res> {
    const res = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, { method, redirect: 'manual', headers: { ...init.headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }, body: init.body });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair!.slice(0, i));
      else this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, text };
  }
  get(path: string) { return this.req('GET', path); }
  postJson(path: string, body: unknown, csrf: string) { return this.req('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-csrf-token': csrf } }); }
  postForm(path: string, form: Record<string, string>) { return this.req('POST', path, { body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }); }
}

const csrfOf = (h: string): string => /data-csrf="([^"]+)"/.exec(h)![1]!;
const visible = (h: string): string => h.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
const problem = (r: Res) => JSON.parse(r.text) as { code: string; title: string; detail?: string };

describe('デジタル資格証 in the portal, the verifier page and employer links (real organisations)', () => {
  let w: PlatformWorld;
  let db: Kysely<UntypedDatabase>;
  let deps: RegisterDeps;
  let clock: SetClock;
  let c: Client;
  let csrf = '';
  const mine = { ishi: 0, yakuzaishi: 0 };
  let theirs = 0;
  let credential = '';

  async function login(client: Client, card: CardFile): Promise<void> {
    const page = await client.get('/');
    const t = csrfOf(page.text);
    const ch = JSON.parse((await client.postJson('/login/challenge', {}, t)).text) as { challengeId: string; challenge: string };
    expect((await client.postJson('/login', { challengeId: ch.challengeId, ...(await w.sign(card, ch.challenge)) }, t)).status).toBe(200);
    csrf = csrfOf((await client.get('/registry/credentials')).text);
  }

  async function signed(card: CardFile, purpose: 'credentials' | 'confirmation', extra: Record<string, unknown> = {}) {
    const doc = { format: HOLDER_REQUEST_FORMAT, purpose, consent: purpose === 'credentials' ? CREDENTIAL_CONSENT_TEXT : CONFIRMATION_CONSENT_TEXT, requestedAt: clock.now().toISOString(), kenmen: await openKenmen(card, PIN), ...extra };
    return { document: canonicalDocumentText(doc), ...(await signDocument(card, PIN, doc)) };
  }

  const verifyPage = (presentation: string) => new Client(w.url.registry).postForm('/verify', { presentation });

  beforeAll(async () => {
    w = await platformWorld();
    clock = w.app.config.clock as SetClock;
    db = await w.app.db.forRole(REGISTRY_ROLE);
    await syncAdministrators(db, clock);
    deps = { db, clock, secrets: RegistrySecrets.open(w.app.config.keyDir) };
    const mn = (who: number) => person(who)['個人番号']!;
    mine.ishi = (await registerEntry(deps, { applicationId: 'wallet-1', qualification: 'ishi', application: exampleForm('ishi'), myNumber: mn(WHO.parent), approvedBy: 'shinsa1' })).number;
    mine.yakuzaishi = (await registerEntry(deps, { applicationId: 'wallet-2', qualification: 'yakuzaishi', application: exampleForm('yakuzaishi'), myNumber: mn(WHO.parent), approvedBy: 'shinsa1' })).number;
    theirs = (await registerEntry(deps, { applicationId: 'wallet-3', qualification: 'ishi', application: exampleForm('ishi'), myNumber: mn(WHO.otherParent), approvedBy: 'shinsa1' })).number;
    const today = clock.today();
    await recordDisposition(deps, { qualification: 'yakuzaishi', number: mine.yakuzaishi, kind: 'suspension', decidedOn: today, code: 'S1', from: today, until: '2999-12-31', issueNo: 'W-S-1', by: 'shinsa1' });
    c = new Client(w.url.portal);
    await login(c, w.cards.parent);
  }, 240_000);
  afterAll(async () => {
    await w?.close();
  });

  it('issues nothing without consent, then one credential per active entry (a suspended one named); the portal keeps none (QUA-23)', async () => {
    const page = await c.get('/registry/credentials');
    expect(visible(page.text)).toContain('同意の内容');
    expect(visible(page.text)).toContain(CREDENTIAL_CONSENT_TEXT);
    const noConsent = await signed(w.cards.parent, 'credentials', { consent: '' });
    const r0 = await c.postJson('/registry/credentials', noConsent, csrf);
    expect(r0.status).toBe(400);
    expect(problem(r0)).toMatchObject({ code: 'CONSENT_REQUIRED', title: '同意が必要です' });
    expect((await sql<{ n: string }>`SELECT count(*)::text AS n FROM registry.credentials`.execute(w.app.db.system)).rows[0]!.n).toBe('0');
    // Another person's card while logged in as the parent: the portal refuses before the registry.
    expect(problem(await c.postJson('/registry/credentials', await signed(w.cards.otherParent, 'credentials'), csrf)).code).toBe('SIGNER_NOT_LOGGED_IN');

    const r = await c.postJson('/registry/credentials', await signed(w.cards.parent, 'credentials'), csrf);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text) as { verifyUrl: string; credentials: { qualificationName: string; number: number; issuerName: string; credential: string; registeredOnLabel: string }[]; notIssued: { qualificationName: string; reason: string }[] };
    expect(body.verifyUrl).toBe(`${w.url.registry}/verify`);
    expect(body.credentials.map((x) => [x.qualificationName, x.number, x.issuerName])).toEqual([['医師', mine.ishi, '厚生労働省医政局']]);
    expect(body.notIssued).toEqual([expect.objectContaining({ qualificationName: '薬剤師' })]);
    expect(body.notIssued[0]!.reason).toContain('業務停止中');
    credential = body.credentials[0]!.credential;
    expect(findMyNumbers(r.text)).toEqual([]);
    // マイナポータル keeps no credential and no My Number: only its access log line.
    const logged = await sql<{ action: string; outcome: string }>`SELECT action, outcome FROM peers_mynaportal.access_log WHERE action = 'registry.credentials' ORDER BY seq`.execute(w.app.db.system);
    expect(logged.rows.map((x) => x.outcome)).toEqual(['refused', 'refused', 'ok']);
    const dump = await sql<{ t: string }>`SELECT string_agg(t::text, ' ') AS t FROM (SELECT row_to_json(a) AS t FROM peers_mynaportal.access_log a) x`.execute(w.app.db.system);
    expect(dump.rows[0]!.t).not.toContain(credential.split('.')[1]!.slice(0, 40));
    // The message log of both nodes holds the exchange, never the My Number in clear.
    const msgs = await sql<{ t: string | null }>`SELECT string_agg(row_to_json(m)::text, ' ') AS t FROM registry.exchange_messages m`.execute(w.app.db.system);
    expect(findMyNumbers(msgs.rows[0]!.t ?? '')).toEqual([]);
  });

  it('the verifier page shows 有効 with only the two disclosed items; an altered presentation → 検証できません (QUA-24)', async () => {
    const p = await presentCredential(credential, ['資格名', '登録番号']);
    const r = await verifyPage(p);
    const t = visible(r.text);
    expect(r.status).toBe(200);
    expect(r.text).toContain('data-result="valid"');
    expect(t).toContain('有効');
    expect(t).toContain('厚生労働省医政局');
    expect(t).toContain('資格名 医師');
    expect(t).toContain(`登録番号 ${mine.ishi}`);
    expect(t).not.toContain('生年月日');
    expect(t).not.toContain('氏名');
    // The 登録番号 disclosure rewritten: refused with the reason.
    const [jwt, ...ds] = p.split('~');
    const forged = ds.map((d) => {
      if (!d) return d;
      const a = JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as unknown[];
      return a[1] === '登録番号' ? Buffer.from(JSON.stringify([a[0], a[1], 999_999])).toString('base64url') : d;
    });
    const bad = await verifyPage([jwt, ...forged].join('~'));
    expect(bad.text).toContain('data-result="invalid"');
    expect(visible(bad.text)).toContain('検証できません');
    expect(visible(bad.text)).toContain('開示された項目「登録番号」は、この資格証明書に含まれていません');
    const junk = await verifyPage('not a credential');
    expect(visible(junk.text)).toContain('資格証明書の形式ではありません');
    // A credential of another issuer (the CLI's sample): never fetched from where it points, not verifiable here.
    const sample = await buildCredentialSample({ qualification: 'ishi', clock, form: exampleForm('ishi') as Record<string, unknown> });
    const foreign = await verifyPage(sample.presentation);
    expect(foreign.text).toContain('data-result="invalid"');
    expect(visible(foreign.text)).toContain('発行者の公開鍵（JWKS）にない鍵で署名されています');
  });

  it('the holder services answer only the portal node (QUA-24: no other organisation asks for a holder)', async () => {
    const pseudonym = (await sql<{ pseudonym: string }>`SELECT pseudonym FROM peers_mynaportal.system_pseudonyms LIMIT 1`.execute(w.app.db.system)).rows[0]!.pseudonym;
    for (const svc of ['credentials.confirmations.log', 'credentials.issue', 'credentials.confirmations.create']) {
      await expect(w.orgs.municipal.node.call('registry', svc, { pseudonym })).rejects.toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    }
  });

  it('employer links: refused for another person\'s entry, without consent or beyond 7 days; opened once; then 使用済み (QUA-24)', async () => {
    const conf = (o: Record<string, unknown>) => ({ confirmation: { qualification: 'ishi', number: mine.ishi, claims: ['資格名', '登録番号'], days: 7, recipient: '鳥取中央病院', ...o } });
    const other = await c.postJson('/registry/confirmations', await signed(w.cards.parent, 'confirmation', conf({ number: theirs })), csrf);
    expect(other.status).toBe(404);
    const noConsent = await c.postJson('/registry/confirmations', await signed(w.cards.parent, 'confirmation', { consent: 'はい', ...conf({}) }), csrf);
    expect(problem(noConsent).code).toBe('CONSENT_REQUIRED');
    const tooLong = await c.postJson('/registry/confirmations', await signed(w.cards.parent, 'confirmation', conf({ days: 8 })), csrf);
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('有効期限は7日以内です');
    expect((await sql<{ n: string }>`SELECT count(*)::text AS n FROM registry.confirmation_links`.execute(w.app.db.system)).rows[0]!.n).toBe('0');

    const made = await c.postJson('/registry/confirmations', await signed(w.cards.parent, 'confirmation', conf({})), csrf);
    expect(made.status).toBe(200);
    const { url } = JSON.parse(made.text) as { url: string };
    expect(url.startsWith(`${w.url.registry}/verify/confirm/mhlw-isei/`)).toBe(true);
    // Only the token's hash is stored.
    const token = url.split('/').pop()!;
    const stored = await sql<{ t: string }>`SELECT row_to_json(l)::text AS t FROM registry.confirmation_links l`.execute(w.app.db.system);
    expect(stored.rows[0]!.t).not.toContain(token);

    const employer = new Client(w.url.registry);
    const look = await employer.get(url);
    expect(visible(look.text)).toContain('1回だけ開くことができます');
    const opened = await employer.req('POST', url);
    const t = visible(opened.text);
    expect(opened.text).toContain('data-result="active"');
    expect(t).toContain('有効');
    expect(t).toContain('資格名 医師');
    expect(t).toContain(`登録番号 ${mine.ishi}`);
    expect(t).not.toContain('生年月日');
    const again = await employer.req('POST', url);
    expect(visible(again.text)).toContain('使用済み');
    expect(visible((await employer.get(url)).text)).toContain('すでに開かれています');
    expect(visible((await employer.req('POST', `${w.url.registry}/verify/confirm/mhlw-isei/${'A'.repeat(32)}`)).text)).toContain('見つかりません');

    const log = visible((await c.get('/registry/confirmations')).text);
    expect(log).toContain('鳥取中央病院');
    expect(log).toContain('確認用リンクを作成');
    expect(log).toContain('確認用リンクが開かれました');
    expect(log).toContain('使用済みのリンクが開かれようとしました');
  });

  it('after a 免許取消 the same presentation reads 取消し (QUA-23 status list)', async () => {
    const p = await presentCredential(credential, ['資格名', '登録番号']);
    const today = clock.today();
    await recordDisposition(deps, { qualification: 'ishi', number: mine.ishi, kind: 'revocation', decidedOn: today, code: 'R1', from: today, issueNo: 'W-R-1', by: 'shinsa1' });
    const r = await verifyPage(p);
    expect(r.text).toContain('data-result="revoked"');
    expect(visible(r.text)).toContain('取消し');
  });

  it('an expired link says so, and the holder sees that opening too', async () => {
    // A new registration of the parent (the 医師 one is revoked now): 看護師.
    const n = (await registerEntry(deps, { applicationId: 'wallet-4', qualification: 'kangoshi', application: exampleForm('kangoshi'), myNumber: person(WHO.parent)['個人番号']!, approvedBy: 'shinsa1' })).number;
    const made = await c.postJson('/registry/confirmations', await signed(w.cards.parent, 'confirmation', { confirmation: { qualification: 'kangoshi', number: n, claims: ['資格名'], days: 1, recipient: '訪問看護ステーション' } }), csrf);
    expect(made.status).toBe(200);
    const { url } = JSON.parse(made.text) as { url: string };
    clock.advance(2 * 86_400_000);
    const employer = new Client(w.url.registry);
    expect(visible((await employer.req('POST', url)).text)).toContain('有効期限切れ');
    await login(c, w.cards.parent);
    const log = visible((await c.get('/registry/confirmations')).text);
    expect(log).toContain('期限切れのリンクが開かれようとしました');
    expect(findMyNumbers(bodies.join('\n'))).toEqual([]);
  });

  // Last in the file: it spends this client's allowance of the minute.
  it('the public verifier answers at most VERIFY_RATE_LIMIT checks a minute from one address, then asks to wait', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= VERIFY_RATE_LIMIT.max; i++) statuses.push((await verifyPage('x')).status);
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(0);
    expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const last = await verifyPage('x');
    expect(last.status).toBe(429);
    expect(visible(last.text)).toContain('しばらくお待ちください');
  });
});
