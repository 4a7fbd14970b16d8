// End to end over HTTP (issue 15 "Done when", first point; QUA-02…22): every organisation real on its own
// loopback port (registry, マイナポータル, card, 住基ネット (jlis), network, 法務省 戸籍 (koseki), 公金決済
// (payment) …).  One person known to 住基ネット and to 戸籍 applies, with the My Number card (card login, the
// application signed with the 券面事項入力補助) through the portal's HTTP routes, for one qualification of
// each of the four files: 医師 (医籍等), 管理栄養士, 薬剤師 and 介護福祉士.  For each: the fee paid (online
// through the payment node's payer page; for 介護福祉士 the 収入印紙 recorded by staff through the staff API);
// the exam-passer list imported; a staff member runs the checks through the staff API and 住基 and 戸籍 both
// answer `match` from the real nodes; a 審査責任者 approves → 登録番号, and the applicant reads the approval
// notice in the portal.  Then the person's name changes in 住基 (identity.update as the municipality): the
// periodic check proposes it and staff accept it → the entry has the new name and the old one in its history.
// Then the person dies in 住基: the periodic check proposes the death, staff accept it → the entry is erased
// (cause death) with the retention rule of its file: the My Number kept everywhere (医籍: never erased, a
// purge refused; 薬剤師: the deceased's kept; 管理栄養士: kept; 介護福祉士: logical 抹消, the entry stays).
// No My Number in any HTTP answer received, nor in the registry's message log.  Dates come from the kernel
// clock (fixed by the tests), never from the machine's.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPaymentMerchant, kosekiDeps, messageLogOf, registryKosekiDeps } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { JLIS_ROLE, queryLog } from '../../src/peers/jlis/index.js';
import { recordPerson } from '../../src/peers/koseki/index.js';
import {
  applyForStaff, approveStaff, catalog, exampleForm, importPassers, issueStaffToken, prepareApplication, purgeMyNumber, REGISTRY_ROLE, runChecks, syncAdministrators, withRegistryTenant,
  type KosekiCheckDeps,
} from '../../src/registry/index.js';
import { PortalApplicant } from '../../src/cli/commands/registry-apply.js';
import { TOTTORI } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { mn, person } from '../harness/residents.js';

/** The four files: one qualification each, how its fee is paid, and what a purge of the deceased's number answers. */
const FILES = [
  { q: 'ishi', tenant: 'mhlw-isei', pay: 'online', purge: 'NEVER_ERASED' },
  { q: 'kanrieiyoshi', tenant: 'mhlw-kenko', pay: 'online', purge: 'RETENTION_KEEP' },
  { q: 'yakuzaishi', tenant: 'mhlw-iyaku', pay: 'online', purge: 'RETENTION_KEEP' },
  { q: 'kaigofukushishi', tenant: 'mhlw-shaen', pay: 'stamps', purge: 'RETENTION_KEEP' },
] as const;
type File = (typeof FILES)[number];

const HEADER = '試験回数,受験番号,氏名（姓）,氏名（名）,フリガナ（姓）,フリガナ（名）,生年月日,合格年月日,合格証書番号';
const BIRTH = '1992-06-01';
const ADDRESS = person(WHO.parent)['住所']!;
const JUMINHYO = person(WHO.parent)['住民票コード']!;
const MY_NUMBER = mn(WHO.parent);
const HONSEKI = '鳥取県鳥取市東町一丁目220番地';

interface Json { [k: string]: unknown }
interface Staff { clerk: string; chief: string }
interface Proposal { id: number; qualification: string; number: number; kind: string; status: string }
interface NameRecord { kind: string; 姓: string | null; 名: string | null; from: string; until: string | null }
interface Entry {
  number: number; status: { code: string }; items: Record<string, unknown>; names: NameRecord[]; erasure: { cause: string; on: string } | null; deceased: boolean;
  myNumber: { held: boolean; deletedOn: string | null }; history?: { kind: string; by: string; items: Record<string, unknown> }[];
}

let w: PlatformWorld;
let clock: SetClock;
let regDb: Kysely<UntypedDatabase>;
let registry: KosekiCheckDeps;
let registryUrl = '';
let applicant: PortalApplicant;
let jlisSeq = 900_000;
/** Every body of every HTTP answer this test received (for the leak scan). */
const answers: string[] = [];
const staff = new Map<string, Staff>();
const tokens = new Map<string, string>();
const state = new Map<string, { applicationId: string; number: number }>();

const today = (): string => clock.today();
const passedOn = (): string => addDaysIso(today(), -200);

/** The 住基 record of the applicant as 鳥取市's 市町村CS sends it to the 全国サーバ. */
function jukiRecord(over: Json = {}): Json {
  return {
    juminhyoCode: JUMINHYO, myNumber: MY_NUMBER, name: '鳥取　太郎', nameKana: 'トットリ　タロウ', birthDate: BIRTH, sex: 'male', address: ADDRESS,
    status: 'resident', movement: '01', movementDate: BIRTH, seq: ++jlisSeq, ...over,
  };
}
const jukiUpdate = (changes: Json[]) => w.orgs.municipal.node.call('jlis', 'identity.update', { tenant: TOTTORI, changes }, { personal: true });

function formOf(f: File): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...exampleForm(f.q), 氏名: { 姓: '鳥取', 名: '太郎' }, フリガナ: { 姓: 'トットリ', 名: 'タロウ' }, 生年月日: BIRTH, 性別: '1', 本籍: { 都道府県コード: '31' },
    住所: { 郵便番号: '680-8571', 住所: ADDRESS }, 電話番号: '0857-22-1111', メールアドレス: 'tottori.taro@example.jp',
  };
  if (f.q === 'kaigofukushishi') return { ...base, 資格取得: { 区分: '試験', 合格証書番号: 'K-7000001', 合格年月: passedOn().slice(0, 7) }, アルファベット氏名: 'TOTTORI TARO' };
  return { ...base, 国家試験: { 回数: 120, 受験番号: '700001', 合格年月日: passedOn() } };
}

/** The staff API of the registry node as one staff member (every answer kept). */
async function api<T = Json>(tenant: string, userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  let token = tokens.get(userId);
  if (!token) tokens.set(userId, (token = (await issueStaffToken(regDb, clock, tenant, userId)).token));
  const r = await fetch(`${registryUrl}/registry/v1${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  answers.push(text);
  return { status: r.status, json: (text ? JSON.parse(text) : {}) as T };
}
async function ok<T = Json>(tenant: string, userId: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api<T>(tenant, userId, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function portal(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const r = await applicant.request(method, path, body);
  answers.push(r.text);
  return r;
}

const entryOf = (f: File) => ok<Entry>(f.tenant, staff.get(f.q)!.chief, 'GET', `/qualifications/${f.q}/entries/${state.get(f.q)!.number}`);

async function openProposals(f: File, kind: string): Promise<Proposal[]> {
  const r = await ok<{ rows: Proposal[] }>(f.tenant, staff.get(f.q)!.clerk, 'GET', `/check-proposals?status=open&kind=${kind}`);
  return r.rows.filter((p) => p.qualification === f.q && p.number === state.get(f.q)!.number);
}

beforeAll(async () => {
  w = await platformWorld();
  clock = w.app.config.clock as SetClock;
  regDb = await w.app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(regDb, clock);
  registry = await registryKosekiDeps(w.app, w.orgs.directory);
  registryUrl = w.orgs.nodes.find((n) => n.name === 'registry')!.url;
  await addPaymentMerchant(w.app, { node: 'registry', merchantCode: 'REG00E2E', name: '厚生労働省 国家資格登録', returnOrigins: [new URL(w.url.portal).origin] });
  // 住基ネット knows the applicant (鳥取市's 市町村CS), then 法務省's 戸籍 holds them (linked by the 住民票コード).
  await jukiUpdate([jukiRecord()]);
  const koseki = await kosekiDeps(w.app, w.orgs.directory);
  const k = await recordPerson(koseki, {
    juminhyoCode: JUMINHYO, birthDate: BIRTH, sex: '1', birthPlace: '鳥取県',
    events: [{ occurredOn: BIRTH, reason: 'birth', honsekiCode: '31', honseki: HONSEKI, hittosha: '鳥取　一郎', surname: '鳥取', givenName: '太郎' }],
  });
  expect(k).toMatchObject({ code: 'acquired' });
  // Each 資格管理者: a 審査担当 and a 審査責任者 for the qualification, and its exam-passer list.
  for (const f of FILES) {
    const s = { clerk: `e2e-clerk-${f.q}`, chief: `e2e-chief-${f.q}` };
    await applyForStaff(regDb, clock, { tenant: f.tenant, userId: s.chief, name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: [f.q], reason: '審査責任者', appliedBy: 'operator' });
    await approveStaff(regDb, clock, f.tenant, s.chief, 'operator');
    await applyForStaff(regDb, clock, { tenant: f.tenant, userId: s.clerk, name: '審査 担当', affiliation: 'ministry', affiliationName: '本省', role: 'clerk', qualifications: [f.q], reason: '登録事務', appliedBy: s.chief });
    await approveStaff(regDb, clock, f.tenant, s.clerk, s.chief);
    staff.set(f.q, s);
    if (f.q !== 'kaigofukushishi') {
      const csv = `${HEADER}\r\n120,700001,鳥取,太郎,トットリ,タロウ,${BIRTH},${passedOn()},\r\n`;
      await withRegistryTenant(regDb, f.tenant, (tx) => importPassers(tx, clock, f.tenant, { qualification: f.q, by: 'operator' }, Buffer.from(csv, 'utf8')));
    }
  }
  applicant = new PortalApplicant(w.url.portal);
  await applicant.login(w.cards.parent, PIN);
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('one qualification of each file, end to end over HTTP', () => {
  it('applies with the card through the portal (signed, 券面事項入力補助), one application per file', async () => {
    for (const f of FILES) {
      const prepared = await prepareApplication(w.cards.parent, PIN, { qualification: f.q, form: formOf(f) });
      const r = await portal('POST', '/registry/applications', prepared);
      expect(r.status, r.text).toBeLessThan(300);
      const a = r.json as { applicationId: string; status: string };
      expect(a.status).toBe('received');
      state.set(f.q, { applicationId: a.applicationId, number: 0 });
      // The staff see it in their queue, received online.
      const q = await ok<{ items: { id: string; channel: string; qualification: string }[] }>(f.tenant, staff.get(f.q)!.clerk, 'GET', `/applications?status=received&qualification=${f.q}`);
      expect(q.items.find((x) => x.id === a.applicationId)).toMatchObject({ channel: 'online', qualification: f.q });
    }
  }, 120_000);

  it('pays the fees: online through the payment node\'s payer page, or 収入印紙 recorded by staff; settled', async () => {
    for (const f of FILES) {
      const { applicationId: id } = state.get(f.q)!;
      const s = staff.get(f.q)!;
      const before = await ok<{ lines: { kind: string; amount: number | null; net: number }[]; settled: boolean; due: number | null }>(f.tenant, s.clerk, 'GET', `/applications/${id}/fees`);
      expect(before.lines.length).toBeGreaterThan(0);
      expect(before.settled, `${f.q}: fees due`).toBe(false);
      expect(before.due, `${f.q}: fees due`).toBeGreaterThan(0);
      if (f.pay === 'online') {
        // The applicant's pay button in the portal sends them to the payer page of 公金決済.
        const r = await portal('POST', `/registry/applications/${id}/pay`, {});
        expect(r.status, r.text).toBe(302);
        const payUrl = await payUrlOf(id);
        expect(new URL(payUrl).origin).toBe(new URL(w.orgs.nodes.find((n) => n.name === 'payment')!.url).origin);
        const page = await fetch(payUrl);
        answers.push(await page.text());
        expect(page.status).toBe(200);
        const paid = await fetch(payUrl, {
          method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(payUrl).origin },
          body: new URLSearchParams({ action: 'pay', method: 'card' }).toString(),
        });
        answers.push(await paid.text());
        expect(paid.status).toBeLessThan(400);
      } else {
        for (const l of before.lines) {
          const owed = (l.amount ?? 0) - l.net;
          if (owed > 0) await ok(f.tenant, s.clerk, 'POST', `/applications/${id}/fees/stamps`, { instrument: '収入印紙', amount: owed, seenOn: today(), kind: l.kind, reference: '窓口で確認した収入印紙' });
        }
      }
      let settled = false;
      for (let i = 0; i < 100 && !settled; i++) {
        settled = (await ok<{ settled: boolean }>(f.tenant, s.clerk, 'GET', `/applications/${id}/fees`)).settled;
        if (!settled) await new Promise((r) => setTimeout(r, 100));
      }
      expect(settled, `${f.q}: fees settled`).toBe(true);
      const after = await ok<{ due: number; net: number; ledger: { entry: string; channel: string; amount: number }[] }>(f.tenant, s.clerk, 'GET', `/applications/${id}/fees`);
      expect(after.net).toBe(after.due);
      expect(after.ledger.filter((l) => l.entry === 'receipt').map((l) => l.channel), f.q).toEqual(after.ledger.filter((l) => l.entry === 'receipt').map(() => (f.pay === 'online' ? 'online' : 'stamp')));
      expect(after.ledger.length).toBeGreaterThan(0);
      // The applicant sees it in the portal.
      const seen = await portal('GET', `/registry/applications/${id}`);
      expect(seen.text).toContain('お支払いが確認できました');
    }
  }, 120_000);

  it('a staff member runs the checks through the staff API: 住基 and 戸籍 match from the real nodes, the passer list too', async () => {
    for (const f of FILES) {
      const { applicationId: id } = state.get(f.q)!;
      const r = await ok<{ items: { source: string; outcome: string; differences: unknown[] }[] }>(f.tenant, staff.get(f.q)!.clerk, 'POST', `/applications/${id}/checks`);
      const by = Object.fromEntries(r.items.map((c) => [c.source, c]));
      expect(by['juki'], `${f.q} 住基`).toMatchObject({ outcome: 'match', differences: [] });
      // 戸籍 answered through the 情報提供ネットワーク (an exchange of the network), not from a record of the test.
      expect(by['koseki'], `${f.q} 戸籍`).toMatchObject({ outcome: 'match', differences: [], detail: { needsExtract: false, exchangeId: expect.any(String) } });
      expect(by['passers']?.outcome, `${f.q} 合格者名簿`).toBe(f.q === 'kaigofukushishi' ? 'not-applicable' : 'match');
      const d = await ok<{ approvable: boolean; requirements: { label: string; met: boolean }[] }>(f.tenant, staff.get(f.q)!.chief, 'GET', `/applications/${id}`);
      expect(d.requirements.filter((x) => !x.met)).toEqual([]);
      expect(d.approvable).toBe(true);
    }
  }, 120_000);

  it('a 審査責任者 approves → 登録番号; the applicant reads the approval notice in the portal', async () => {
    for (const f of FILES) {
      const st = state.get(f.q)!;
      const r = await ok<{ application: { status: string; registrationNo: number }; entry: Entry }>(f.tenant, staff.get(f.q)!.chief, 'POST', `/applications/${st.applicationId}/decision`, { action: 'approve', reason: '要件を満たすため' });
      expect(r.application.status).toBe('approved');
      expect(r.entry.number).toBeGreaterThan(0);
      expect(r.application.registrationNo).toBe(r.entry.number);
      expect(r.entry.myNumber.held).toBe(true);
      st.number = r.entry.number;
      const seen = await portal('GET', `/registry/applications/${st.applicationId}/status.json`);
      expect(seen.json).toMatchObject({ status: 'approved', notice: { kind: 'approved', registrationNo: st.number, registeredOn: today() } });
      const pageText = (await portal('GET', `/registry/applications/${st.applicationId}`)).text;
      expect(pageText).toContain('申請が承認されました');
      expect(pageText).toContain(String(st.number));
      const e = await entryOf(f);
      expect(e.status.code).toBe('active');
    }
  }, 120_000);

  it('a change of name in 住基: the periodic check proposes it, staff accept → the new name, the old one in the history', async () => {
    clock.set(`${addDaysIso(today(), 1)}T10:00:00+09:00`);
    const changedOn = today();
    await jukiUpdate([jukiRecord({ name: '米子　太郎', nameKana: 'ヨナゴ　タロウ', movement: '41', movementDate: today() })]);
    for (const f of FILES) {
      const run = await runChecks(registry, { tenant: f.tenant });
      expect(run.changed, `${f.q}: changed`).toBeGreaterThanOrEqual(1);
      const [p] = await openProposals(f, 'name');
      expect(p, `${f.q}: name proposal`).toBeDefined();
      const closed = await ok<{ status: string }>(f.tenant, staff.get(f.q)!.clerk, 'POST', `/check-proposals/${p!.id}`, { decision: 'accept' });
      expect(closed.status).toBe('accepted');
      const e = await entryOf(f);
      const now = JSON.stringify(e.items);
      expect(now, f.q).toContain('米子');
      expect(now, f.q).not.toContain('"鳥取"');
      expect(e.names.filter((n) => n.kind === '氏名'), f.q).toEqual([
        expect.objectContaining({ 姓: '鳥取', 名: '太郎', until: changedOn, フリガナ: { 姓: 'トットリ', 名: 'タロウ' } }),
        expect.objectContaining({ 姓: '米子', 名: '太郎', from: changedOn, until: null, フリガナ: { 姓: 'ヨナゴ', 名: 'タロウ' } }),
      ]);
      expect(e.history!.map((h) => h.kind), f.q).toEqual(['register', 'correction']);
      expect(e.history!.at(-1)).toMatchObject({ kind: 'correction', by: staff.get(f.q)!.clerk });
      expect(JSON.stringify(e.history![0]!.items), f.q).toContain('鳥取');
    }
  }, 120_000);

  it('a death reported by 住基: proposed by the periodic check, accepted → 抹消 (cause death) with the retention rule of each file', async () => {
    clock.set(`${addDaysIso(today(), 1)}T10:00:00+09:00`);
    const died = today();
    await jukiUpdate([jukiRecord({ name: '米子　太郎', nameKana: 'ヨナゴ　タロウ', status: 'deceased', movement: '31', movementDate: died })]);
    for (const f of FILES) {
      const run = await runChecks(registry, { tenant: f.tenant });
      expect(run.deaths, `${f.q}: deaths`).toBe(1);
      const [p] = await openProposals(f, 'death');
      expect(p, `${f.q}: death proposal`).toBeDefined();
      await ok(f.tenant, staff.get(f.q)!.chief, 'POST', `/check-proposals/${p!.id}`, { decision: 'accept' });
      const e = await entryOf(f);
      const rule = catalog().qualification(f.q)!.retention;
      expect(e, f.q).toMatchObject({ status: { code: 'erased' }, deceased: true, erasure: { cause: 'death', on: died } });
      // Every file keeps the deceased's My Number (医籍: never erased; 薬剤師: the deceased's; 管理栄養士: kept;
      // 介護福祉士: logical 抹消 — the entry stays, number and all).
      expect(e.myNumber, f.q).toEqual({ held: true, deletedOn: null });
      expect(e.number).toBe(state.get(f.q)!.number);
      // The rule of the file as the catalog holds it: 抹消 logical, the deceased's number kept; 医籍 never fully erased.
      expect(rule.entryErasure).toBe('logical');
      expect(rule.myNumberOnLoss.deceased).toBe('keep');
      expect(rule.neverFullyErased).toBe(f.q === 'ishi');
      await expectProblem(purgeMyNumber({ db: regDb, clock, secrets: registry.secrets }, { qualification: f.q, number: e.number, by: staff.get(f.q)!.chief }), { status: 409, code: f.purge });
      expect((await entryOf(f)).myNumber.held).toBe(true);
    }
  }, 120_000);

  it('shows no My Number in any HTTP answer, nor in the registry\'s message log; 住基ネット gave the registry none', async () => {
    const all = answers.join('\n');
    expect(all).not.toContain(MY_NUMBER);
    expect(findMyNumbers(all)).toEqual([]);
    const log = JSON.stringify((await (await messageLogOf(w.app, 'registry')).list({ limit: 100_000 })).rows);
    expect(log).not.toContain(MY_NUMBER);
    expect(findMyNumbers(log)).toEqual([]);
    const asked = await queryLog(await w.app.db.forRole(JLIS_ROLE), { caller: 'registry', limit: 1000 });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((x) => !x.myNumberReturned)).toBe(true);
  });
});

/** The payer page the registry made for the application (read through the staff API). */
async function payUrlOf(id: string): Promise<string> {
  const f = FILES.find((x) => state.get(x.q)?.applicationId === id)!;
  const s = await ok<{ payments: { payUrl: string; status: string }[] }>(f.tenant, staff.get(f.q)!.clerk, 'GET', `/applications/${id}/fees`);
  const p = s.payments.at(-1);
  if (!p) throw new Error(`${f.q}: no payment`);
  return p.payUrl;
}
