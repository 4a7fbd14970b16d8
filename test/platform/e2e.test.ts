// Issue 12 end to end, over HTTP between real organisations: 鳥取市 extracts its Hib targets and pushes them to
// the platform; the platform gets PMH keys from 支払基金 (insurerhub); a parent logs in to マイナポータル with a
// synthetic My Number card (real X.509, signed challenge), registers as 代理人 with the child's card, reads the
// child's notice with its 接種券番号, fills the 予診票; 鳥取市 sees the linkage status; "who used my data"
// shows a staff read made in the staff system.  Every answer the platform gave the portal is scanned for My
// Numbers.  PMH-02…12, PMH-21, PMH-25.
import { findMyNumbers } from '../harness/leaks.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { pushRun, QUESTIONNAIRE_ITEMS, refreshLinkage } from '../../src/municipality/platform/index.js';
import { withPlatformTenant } from '../../src/platform/index.js';
import { PageClient, visibleText } from '../harness/web.js';
import { TOTTORI } from '../harness/app.js';
import { mn } from '../harness/residents.js';
import { platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';


/** A resident's browser, as far as HTTP goes: cookies, the CSRF token of the last page, every body kept. */
class Resident {
  private readonly cookies = new Map<string, string>();
  readonly bodies: string[] = [];
  constructor(private readonly base: string) {}

  async req(method: string, path: string, body?: { json?: unknown; form?: Record<string, string> }, csrf?: string): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    let payload: string | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body.form).toString();
    }
    if (csrf) headers['x-csrf-token'] = csrf;
    const res = await fetch(this.base + path, { method, headers, body: payload, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i);
      if (/Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(c) || pair!.slice(i + 1) === '') this.cookies.delete(k);
      else this.cookies.set(k, pair!.slice(i + 1));
    }
    const text = (res.headers.get('content-type') ?? '').startsWith('application/pdf') ? `[pdf ${(await res.arrayBuffer()).byteLength}]` : await res.text();
    this.bodies.push(text);
    return { status: res.status, text };
  }

  static csrf(html: string): string {
    const m = html.match(/data-csrf="([^"]+)"/) ?? html.match(/name="_csrf" value="([^"]+)"/);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1]!;
  }
}

describe('the digital vaccination platform, end to end (issue 12)', () => {
  let w: PlatformWorld;
  let parent: Resident;
  let childPid = '';

  beforeAll(async () => {
    w = await platformWorld();
    parent = new Resident(w.url.portal);
  }, 240_000);

  afterAll(async () => {
    await w?.close();
  });

  it('the municipality pushes its extraction run; the platform links every target to a PMH key', async () => {
    const r = await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId });
    expect(r).toMatchObject({ status: 'complete', failed: 0 });
    expect(r.registered).toBeGreaterThanOrEqual(2);
    const rows = await withPlatformTenant(w.platformDb, TOTTORI, (tx) =>
      sql<{ identity_key: string; link_status: string; pmh_key: string | null }>`SELECT identity_key, link_status, pmh_key FROM platform.targets ORDER BY identity_key`.execute(tx));
    const child = rows.rows.find((x) => x.identity_key === w.atena.child);
    expect(child).toMatchObject({ link_status: 'linked', pmh_key: expect.stringMatching(/^PK[A-Z2-7]{20}$/) });
    // PMH-06: the other infant got its own key; keys are never shared.
    const keys = rows.rows.map((x) => x.pmh_key);
    expect(new Set(keys).size).toBe(keys.length);
    // A second push sends nothing: nothing changed.
    expect(await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).toMatchObject({ sent: 0 });
  });

  it('a nurse reads the child\'s record in the staff system (what the family will see in "who used my data")', async () => {
    const staff = new PageClient(w.url.staff);
    await staff.login(TOTTORI, w.nurseLogin, w.nursePassword);
    const page = await staff.get(`/residents/${w.atena.child}`);
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('鳥取　はな');
  });

  it('the parent logs in with the card: a signed challenge, no My Number typed', async () => {
    const home = await parent.req('GET', '/');
    const csrf = Resident.csrf(home.text);
    const ch = JSON.parse((await parent.req('POST', '/login/challenge', { json: {} }, csrf)).text) as { challengeId: string; challenge: string };
    const proof = await w.sign(w.cards.parent, ch.challenge);
    const login = await parent.req('POST', '/login', { json: { challengeId: ch.challengeId, ...proof } }, csrf);
    expect(login.status).toBe(200);
    // The same signed challenge again is a replay.
    const again = await new Resident(w.url.portal).req('POST', '/login', { json: { challengeId: ch.challengeId, ...proof } }, csrf);
    expect(again.status).toBeGreaterThanOrEqual(400);
    const page = await parent.req('GET', '/home');
    expect(page.status).toBe(200);
    // The parent is nobody's target: the home page says so, and offers to add a child.
    expect(visibleText(page.text)).toContain('まだ市区町村から予防接種の情報が届いていません');
  });

  it('the parent becomes 代理人 of the child with the child\'s card and consent', async () => {
    const form = await parent.req('GET', '/agents/new');
    const csrf = Resident.csrf(form.text);
    const ch = JSON.parse((await parent.req('POST', '/agents/challenge', { json: {} }, csrf)).text) as { challengeId: string; challenge: string };
    const proof = await w.sign(w.cards.child, ch.challenge);
    const added = await parent.req('POST', '/agents', { json: { challengeId: ch.challengeId, ...proof, consent: true } }, csrf);
    expect(added.status).toBe(200);
    const home = await parent.req('GET', '/home');
    expect(visibleText(home.text)).toContain('鳥取　はな');
    const pids = [...new Set([...home.text.matchAll(/href="\/p\/([A-Za-z0-9_-]+)\/notices"/g)].map((m) => m[1]!))];
    expect(pids).toHaveLength(1);
    childPid = pids[0]!;
    expect(visibleText((await parent.req('GET', `/p/${childPid}/notices`)).text)).toContain('Hib感染症');
  });

  it('the child\'s notice shows its 接種券番号 (PMH-10)', async () => {
    const voucher = (await sql<{ voucher_no: string }>`SELECT voucher_no FROM municipality.notice_items WHERE tenant_code = ${TOTTORI} AND atena_no = ${w.atena.child} AND status = 'active' LIMIT 1`.execute(w.app.db.system)).rows[0]!.voucher_no;
    const list = await parent.req('GET', `/p/${childPid}/notices`);
    const link = list.text.match(new RegExp(`href="(/p/${childPid}/notices/[^"]+)"`));
    expect(link).not.toBeNull();
    const notice = await parent.req('GET', link![1]!.replaceAll('&amp;', '&'));
    expect(notice.status).toBe(200);
    expect(visibleText(notice.text)).toContain(voucher);
  });

  it('the parent fills the child\'s 予診票: purpose first, consent, only the defined items; a QR for the clinic (PMH-11)', async () => {
    const dose = (await withPlatformTenant(w.platformDb, TOTTORI, (tx) =>
      sql<{ dose: number }>`SELECT tv.dose FROM platform.target_vaccinations tv JOIN platform.targets t USING (tenant_code, target_id) WHERE t.identity_key = ${w.atena.child} AND tv.program_code = 'hib' ORDER BY tv.dose LIMIT 1`.execute(tx))).rows[0]!.dose;
    const form = await parent.req('GET', `/p/${childPid}/questionnaire?program=hib&dose=${dose}`);
    expect(form.status).toBe(200);
    const text = visibleText(form.text);
    expect(text.indexOf('利用目的')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('利用目的')).toBeLessThan(text.indexOf(QUESTIONNAIRE_ITEMS[0]!.label));
    const fields: Record<string, string> = { _csrf: Resident.csrf(form.text), program: 'hib', dose: String(dose) };
    QUESTIONNAIRE_ITEMS.forEach((it, i) => {
      if (it.type === 'number') fields[`q${i}`] = '36.6';
      else if (it.type === 'boolean') fields[`q${i}`] = 'no';
      else if (it.type === 'choice') fields[`q${i}`] = '該当しない';
    });
    // Without consent: refused, nothing stored.
    const refused = await parent.req('POST', `/p/${childPid}/questionnaire`, { form: fields });
    expect(refused.status).toBe(400);
    const ok = await parent.req('POST', `/p/${childPid}/questionnaire`, { form: { ...fields, _csrf: Resident.csrf(refused.text), consent: 'on' } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<svg');
    expect(visibleText(ok.text)).toContain('医療機関の受付でこのQRコードを提示してください');
    const stored = await withPlatformTenant(w.platformDb, TOTTORI, (tx) =>
      sql<{ consent_by: string; agent_pseudonym: string | null; status: string; pmh_key: string }>`
        SELECT a.consent_by, a.agent_pseudonym, a.status, a.pmh_key FROM platform.answers a JOIN platform.targets t USING (tenant_code, target_id) WHERE t.identity_key = ${w.atena.child}`.execute(tx));
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]).toMatchObject({ consent_by: 'agent', status: 'submitted', agent_pseudonym: expect.stringMatching(/^PP/) });
  });

  it('another child\'s id is not found, and a session sees only its own family', async () => {
    const other = new Resident(w.url.portal);
    const csrf = Resident.csrf((await other.req('GET', '/')).text);
    const ch = JSON.parse((await other.req('POST', '/login/challenge', { json: {} }, csrf)).text) as { challengeId: string; challenge: string };
    expect((await other.req('POST', '/login', { json: { challengeId: ch.challengeId, ...(await w.sign(w.cards.otherParent, ch.challenge)) } }, csrf)).status).toBe(200);
    for (const path of [`/p/${childPid}/notices`, `/p/${childPid}/records`, `/p/${childPid}/data-use`, `/p/${childPid}/records.fhir.json`]) {
      expect((await other.req('GET', path)).status).toBe(404);
    }
  });

  it('the municipality sees the linkage status on its screen (PMH-21)', async () => {
    await refreshLinkage(w.deps, w.nurse, { node: w.orgs.municipal.node });
    const staff = new PageClient(w.url.staff);
    await staff.login(TOTTORI, w.nurseLogin, w.nursePassword);
    const page = visibleText((await staff.get(`/platform/persons/${w.atena.child}`)).text);
    expect(page).toContain('紐付け済み');
    expect(findMyNumbers(page)).toEqual([]);
  });

  it('"who used my data" lists the nurse\'s read in the staff system and the portal\'s own uses', async () => {
    const page = await parent.req('GET', `/p/${childPid}/data-use`);
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('市区町村の職員');
    expect(text).toContain('鳥取市');
    expect(text).toContain('マイナポータル');
    expect(text).toContain('対象者情報の登録・更新');
  });

  it('the records page shows the next doses, and the downloads carry no identifier', async () => {
    const page = await parent.req('GET', `/p/${childPid}/records`);
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('Hib感染症');
    const fhir = await parent.req('GET', `/p/${childPid}/records.fhir.json`);
    const bundle = JSON.parse(fhir.text) as { resourceType: string; entry: { resource: { resourceType: string } }[] };
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(expect.arrayContaining(['Patient', 'ImmunizationRecommendation']));
    expect((await parent.req('GET', `/p/${childPid}/records.pdf`)).status).toBe(200);
  });

  it('no platform answer to the portal, and no page the resident saw, carries a My Number', async () => {
    // Every portal service answer, decrypted as マイナポータル reads it.
    const portalNode = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock: w.app.config.clock });
    const actor = (await sql<{ pmh_pseudonym: string }>`SELECT pmh_pseudonym FROM platform.pseudonyms p JOIN platform.agencies a ON a.agent = p.pmh_pseudonym LIMIT 1`.execute(w.app.db.system)).rows[0]!.pmh_pseudonym;
    const subject = (await sql<{ principal: string }>`SELECT principal FROM platform.agencies WHERE agent = ${actor}`.execute(w.app.db.system)).rows[0]!.principal;
    const answers: string[] = [];
    for (const [svc, body] of [
      ['portal.persons', { actor }], ['portal.notices', { actor, subject }], ['portal.records', { actor, subject }], ['portal.data-use', { actor, subject }],
      ['portal.questionnaire', { actor, subject, programCode: 'hib', dose: 1 }],
    ] as const) {
      const a = await portalNode.call('platform', svc, body).catch((e: Error) => ({ body: { refused: e.message } }));
      answers.push(JSON.stringify(a.body));
    }
    expect(answers.join('')).toContain('鳥取');
    const numbers = [mn(WHO.parent), mn(WHO.child), mn(WHO.otherParent), mn(WHO.otherChild)];
    for (const text of [...answers, ...parent.bodies]) {
      expect(findMyNumbers(text)).toEqual([]);
      for (const n of numbers) expect(text).not.toContain(n);
    }
    expect(numbers[0]).not.toBe(syntheticMyNumber('other', 0));
  });
});
