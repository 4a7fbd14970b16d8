// 住基ネット checks of the register (issue 15; QUA-15, QUA-16, QUA-18; decisions 0180–0183), on real PostgreSQL
// with the 住基ネット 全国サーバ (node `jlis`) and the registry (node `registry`) each its own organisation over
// real HTTP: the check on application (match, named items that differ, deceased, not found), the code linked
// at registration; the periodic run (name and address changes, deaths, codes 住基 does not know) writing
// proposals once per (entry, change), resumed without duplicates after a chunk failed; closing proposals
// through the register (a death → 抹消 with the file's retention rule); no My Number anywhere.
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENDAI, testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { Directory, ExchangeNode, MessageLog, NodeKeys, exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { buildJlisNode, JLIS_ROLE, queryLog, type IdentityChange } from '../../src/peers/jlis/index.js';
import {
  accessLog, applyForStaff, approveStaff, authenticateStaff, buildRegistryNode, checkJuki, checksDue, closeProposal, closeProposalAsStaff, exampleForm, issueStaffToken, listProposals,
  listProposalsForStaff, registerEntry, rememberJuminhyoCode, runChecks, runDueChecks, showEntryAsOperator, withRegistryTenant,
  REGISTRY_ROLE, RegistrySecrets, type JukiDeps, type JukiNode, type ProposalView, type StaffSession,
} from '../../src/registry/index.js';

const num = (i: number) => syntheticMyNumber('registry-juki', i);
const code = (i: number) => String(40_000_000_000 + i);
let seq = 0;
const ADDRESS = '宮城県仙台市青葉区国分町三丁目7番1号';
const person = (i: number, over: Partial<IdentityChange> = {}): IdentityChange => ({
  juminhyoCode: code(i), myNumber: num(i), name: `仙台　${'一二三四五六七八九'[i - 1]}子`, nameKana: 'センダイ　ハナコ', birthDate: '1990-05-05', sex: 'female',
  address: ADDRESS, status: 'resident', movement: '01', movementDate: '2020-04-01', seq: ++seq, ...over,
});

/** The application form of person i for a qualification (the 4情報 as 住基 holds them unless changed). */
function form(qualification: string, i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const p = person(i);
  seq--;
  const [sei, mei] = p.name.split('　');
  return { ...exampleForm(qualification), 氏名: { 姓: sei, 名: mei }, フリガナ: { 姓: 'センダイ', 名: 'ハナコ' }, 生年月日: p.birthDate, 性別: '2', 住所: { 郵便番号: '980-0803', 住所: ADDRESS }, ...over };
}

describe('住基ネット checks of the register', () => {
  let app: TestApp;
  let clock: SetClock;
  let db: Kysely<UntypedDatabase>;
  let jlisDb: Kysely<UntypedDatabase>;
  let municipality: ExchangeNode;
  let deps: JukiDeps & { secrets: RegistrySecrets };
  const servers: FastifyInstance[] = [];
  const outputs: unknown[] = [];
  let registryUrl = '';

  async function listen(name: string, directory: Directory, fastify: FastifyInstance): Promise<void> {
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    servers.push(fastify);
    directory.set({ name, title: name, url: `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}` });
  }
  const update = (changes: unknown[]) => municipality.call('jlis', 'identity.update', { tenant: SENDAI, changes }, { personal: true });

  beforeAll(async () => {
    app = await testApp('server');
    clock = app.config.clock as SetClock;
    const keyDir = app.config.keyDir;
    const directory = new Directory([]);
    jlisDb = await app.db.forRole(JLIS_ROLE);
    const jlis = await buildJlisNode({ name: 'jlis', db: jlisDb, node: exchangeNodeFor({ name: 'jlis', schema: 'peers_jlis', db: jlisDb, keyDir, directory, clock }), clock, config: app.config });
    await listen('jlis', directory, jlis.fastify);
    db = await app.db.forRole(REGISTRY_ROLE);
    const node = exchangeNodeFor({ name: 'registry', schema: 'registry', db, keyDir, directory, clock });
    const registry = await buildRegistryNode({ name: 'registry', db, node, clock, config: app.config }, { checkIntervalMs: 0 });
    await listen('registry', directory, registry.fastify);
    registryUrl = `http://127.0.0.1:${(registry.fastify.server.address() as { port: number }).port}`;
    municipality = new ExchangeNode('municipality', NodeKeys.open(keyDir, 'municipality'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'municipality'), clock);
    const { createNodeServer } = await import('../../src/kernel/exchange/index.js');
    const m = await createNodeServer('municipality');
    municipality.serve(m, {});
    await listen('municipality', directory, m);
    deps = { db, clock, node, secrets: RegistrySecrets.open(keyDir) };
    clock.set('2026-11-01T10:00:00+09:00');
    await update([1, 2, 3, 4, 5, 6, 7].map((i) => person(i)).concat([person(8, { status: 'deceased', movement: '31', movementDate: '2026-10-20' })]));
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    await app?.cleanup();
  });

  const register = (qualification: string, i: number, applicationId: string, over: Record<string, unknown> = {}) =>
    registerEntry(deps, { applicationId, qualification, application: form(qualification, i, over), myNumber: num(i), approvedBy: 'shinsa1' });
  const check = async (tenant: string, qualification: string, i: number, applicationId: string | undefined, over: Record<string, unknown> = {}, mn = num(i)) => {
    const r = await checkJuki(deps, { tenant, qualification, ...(applicationId ? { applicationId } : {}), myNumber: mn, form: form(qualification, i, over), by: 'shinsa1' });
    outputs.push(r);
    return r;
  };
  async function session(tenant: string, userId: string, qualifications: string[], role: 'clerk' | 'viewer'): Promise<StaffSession> {
    const chief = `chief-${tenant}`;
    if ((await withRegistryTenant(db, tenant, (tx) => sql`SELECT 1 FROM registry.staff WHERE user_id = ${chief}`.execute(tx))).rows.length === 0) {
      await applyForStaff(db, clock, { tenant, userId: chief, name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications, reason: '審査責任者', appliedBy: 'operator' });
      await approveStaff(db, clock, tenant, chief, 'operator');
    }
    await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role, qualifications, reason: '登録事務', appliedBy: chief });
    await approveStaff(db, clock, tenant, userId, chief);
    return authenticateStaff(db, clock, `Bearer ${(await issueStaffToken(db, clock, tenant, userId)).token}`);
  }
  const linked = async (tenant: string) =>
    (await withRegistryTenant(db, tenant, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.registrant_juki`.execute(tx))).rows[0]!.n;

  describe('on application (QUA-18)', () => {
    it('finds the applicant by My Number: 4情報 match (width and spacing ignored), then the registration links the code', async () => {
      const r = await check('mhlw-isei', 'ishi', 1, 'juki-1', { 氏名: { 姓: '仙台', 名: '一子' }, 住所: { 住所: '宮城県仙台市青葉区国分町三丁目７番１号' } });
      expect(r).toMatchObject({ outcome: 'match', label: '住民票の記載と一致', differs: [], alive: true });
      expect(r.items.map((x) => [x.item, x.same])).toEqual([['氏名', true], ['生年月日', true], ['性別', true], ['住所', true]]);
      expect(JSON.stringify(r)).not.toContain(code(1));
      expect(await linked('mhlw-isei')).toBe(0);
      await register('ishi', 1, 'juki-1');
      expect(await linked('mhlw-isei')).toBe(1);
    });

    it('names the items that differ from 住基 (氏名, 生年月日, 住所)', async () => {
      const r = await check('mhlw-isei', 'kangoshi', 2, 'juki-2', { 氏名: { 姓: '仙台', 名: '花子' }, 生年月日: '1990-05-06', 住所: { 住所: '宮城県仙台市若林区一丁目1番1号' } });
      expect(r.outcome).toBe('mismatch');
      expect(r.differs).toEqual(['氏名', '生年月日', '住所']);
      expect(r.items.find((x) => x.item === '氏名')).toEqual({ item: '氏名', form: '仙台　花子', juki: '仙台　二子', same: false });
      // The examiner approves anyway (the 住所 is the applicant's new one): registered as written, linked.
      await register('kangoshi', 2, 'juki-2', { 住所: { 郵便番号: '984-0001', 住所: '宮城県仙台市若林区一丁目1番1号' } });
      expect(await linked('mhlw-isei')).toBe(2);
    });

    it('says a deceased person and one 住基 does not know; a malformed form names the item', async () => {
      expect(await check('mhlw-isei', 'ishi', 8, 'juki-8')).toMatchObject({ outcome: 'deceased', alive: false, lastMovement: { code: '31', date: '2026-10-20' } });
      const none = await check('mhlw-isei', 'ishi', 99, 'juki-99');
      expect(none).toMatchObject({ outcome: 'not-found', alive: null, differs: [] });
      expect(none.items.every((x) => x.juki === null && !x.same)).toBe(true);
      await expectProblem(checkJuki(deps, { tenant: 'mhlw-isei', qualification: 'ishi', myNumber: num(1), form: { ...form('ishi', 1), 生年月日: '1990-02-30' } }), { status: 400, field: 'form.生年月日' });
      await expectProblem(checkJuki(deps, { tenant: 'mhlw-isei', qualification: 'yakuzaishi', myNumber: num(1), form: form('ishi', 1) }), { status: 400, field: 'qualification' });
      const bad = await checkJuki(deps, { tenant: 'mhlw-isei', qualification: 'ishi', myNumber: '123456789012', form: form('ishi', 1) }).catch((e: unknown) => e);
      expect(JSON.stringify(bad) + String(bad)).not.toContain('123456789012');
    });

    it('links a person already registered with the 資格管理者 at once (another qualification, no new entry)', async () => {
      await register('yakuzaishi', 4, 'juki-4y');
      await register('kaigofukushishi', 3, 'juki-3k');
      await register('kaigofukushishi', 5, 'juki-5k');
      expect(await linked('mhlw-iyaku')).toBe(0);
      await check('mhlw-iyaku', 'yakuzaishi', 4, undefined);
      expect(await linked('mhlw-iyaku')).toBe(1);
      await check('mhlw-shaen', 'kaigofukushishi', 3, undefined);
      await check('mhlw-shaen', 'kaigofukushishi', 5, undefined);
      expect(await linked('mhlw-shaen')).toBe(2);
    });
  });

  describe('periodic checks (QUA-15, QUA-16)', () => {
    it('finds name and address changes and deaths once per entry, resuming after a failed chunk without duplicates', async () => {
      // A registrant whose code 住基 does not know (linked by a migration) and one with no change.
      const e7 = await register('hokenshi', 7, 'juki-7');
      await withRegistryTenant(db, 'mhlw-isei', (tx) => rememberJuminhyoCode(tx, { tenant: 'mhlw-isei', pseudonymId: e7.pseudonymId, juminhyoCode: '49999999999' }));
      await register('josanshi', 6, 'juki-6');
      await withRegistryTenant(db, 'mhlw-isei', async (tx) => rememberJuminhyoCode(tx, { tenant: 'mhlw-isei', pseudonymId: (await showEntryAsOperator(deps, 'mhlw-isei', 'josanshi', 1)).pseudonymId, juminhyoCode: code(6) }));
      // 11-02: 1 renamed (婚姻), 2 moved, 3 died; 6 unchanged.
      clock.set('2026-11-02T11:00:00+09:00');
      await update([
        person(1, { name: '青葉　一子', nameKana: 'アオバ　イチコ', movement: '41', movementDate: '2026-11-02' }),
        person(2, { address: '宮城県仙台市宮城野区五輪一丁目1番1号', movement: '11', movementDate: '2026-11-02' }),
        person(3, { status: 'deceased', movement: '31', movementDate: '2026-11-01' }),
        person(4, { status: 'deceased', movement: '31', movementDate: '2026-11-02' }),
      ]);
      clock.set('2026-11-03T09:00:00+09:00');
      // Chunks of one code, two messages at a time; the third message fails (住基ネット unreachable): the first
      // window (two chunks) is written, the second not at all.
      let calls = 0;
      const failing: JukiNode = { call: async (...a) => { if (++calls === 3) throw new Error('connect ECONNREFUSED'); return deps.node.call(...a); } };
      const period = { tenant: 'mhlw-isei', from: '2026-11-02', until: '2026-11-03', chunkSize: 1, parallel: 2 };
      const p = await expectProblem(runChecks({ ...deps, node: failing }, period), { status: 502, code: 'JUKI_UNAVAILABLE' });
      expect(p.detail).toContain('続きから');
      const half = await listProposals(db, { tenant: 'mhlw-isei', status: 'all' });
      const run = (await withRegistryTenant(db, 'mhlw-isei', (tx) => sql<{ status: string; chunks: number; checked: number }>`SELECT status, chunks, checked FROM registry.check_runs`.execute(tx))).rows;
      expect(run).toEqual([{ status: 'running', chunks: 2, checked: 2 }]);
      const r = await runChecks({ ...deps, node: failing }, period);
      outputs.push(r);
      expect(r).toMatchObject({ resumed: true, period: { from: '2026-11-02', until: '2026-11-03' }, checked: 4, changed: 2, deaths: 0, unresolved: 1 });
      const all = await listProposals(db, { tenant: 'mhlw-isei', status: 'all' });
      outputs.push(all);
      expect(all.total).toBeGreaterThan(half.total);
      expect(r.proposals).toBe(all.total);
      expect(all.rows.map((x) => [x.qualification, x.number, x.kind]).sort()).toEqual([
        ['hokenshi', 1, 'unknown'], ['ishi', 1, 'name'], ['kangoshi', 1, 'address'],
      ]);
      const name = all.rows.find((x) => x.kind === 'name')!;
      expect(name).toMatchObject({ source: 'juki', kindLabel: '氏名の変更', status: 'open', current: { 氏名: '仙台　一子' }, proposed: { 氏名: '青葉　一子', フリガナ: 'アオバ　イチコ' } });
      expect(all.rows.find((x) => x.kind === 'address')!.proposed).toMatchObject({ 住所: '宮城県仙台市宮城野区五輪一丁目1番1号', 異動日: '2026-11-02' });
      // The other 資格管理者: their deaths.
      const care = await runChecks(deps, { tenant: 'mhlw-shaen', from: '2026-11-02', until: '2026-11-03' });
      expect(care).toMatchObject({ checked: 2, changed: 0, deaths: 1, unresolved: 0, proposals: 1 });
      const pharm = await runChecks(deps, { tenant: 'mhlw-iyaku', from: '2026-11-02', until: '2026-11-03' });
      expect(pharm).toMatchObject({ checked: 1, deaths: 1, proposals: 1 });
    });

    it('is idempotent: the same period again, or the default period (since the last run), adds no proposal', async () => {
      const before = await listProposals(db, { tenant: 'mhlw-isei', status: 'all' });
      const again = await runChecks(deps, { tenant: 'mhlw-isei', from: '2026-11-02', until: '2026-11-03' });
      expect(again).toMatchObject({ resumed: false, checked: 4, changed: 2, unresolved: 1, proposals: 0 });
      const next = await runChecks(deps, { tenant: 'mhlw-isei' });
      expect(next.period).toEqual({ from: '2026-11-03', until: '2026-11-03' });
      expect(next.proposals).toBe(0);
      expect((await listProposals(db, { tenant: 'mhlw-isei', status: 'all' })).total).toBe(before.total);
      // A tenant's first run looks back 30 days (the registrations of 11-01 count as changes: nothing differs but 2's address).
      const first = await runChecks(deps, { tenant: 'mhlw-kenko' });
      expect(first).toMatchObject({ period: { from: '2026-10-05', until: '2026-11-03' }, checked: 0 });
    });

    it('closes proposals through the register: name → 籍訂正, address → change, death → 抹消 with the file\'s retention rule; reject needs a reason', async () => {
      const open = (await listProposals(db, { tenant: 'mhlw-isei' })).rows;
      const by = (k: string) => open.find((x) => x.kind === k)!;
      const name = await closeProposal(deps, { tenant: 'mhlw-isei', id: by('name').id, decision: 'accept', keepOldNameAs: '旧姓', by: 'shinsa2' });
      expect(name).toMatchObject({ status: 'accepted', statusLabel: '反映済み', closedBy: 'shinsa2' });
      const e1 = await showEntryAsOperator(deps, 'mhlw-isei', 'ishi', 1);
      expect(e1.items).toMatchObject({ 姓: '青葉', 名: '一子', 'フリガナ（姓）': 'アオバ', 旧姓: '仙台', 籍訂正理由コード: 'JUKI-NAME' });
      expect(e1.history!.at(-1)).toMatchObject({ kind: 'correction', by: 'shinsa2' });
      await closeProposal(deps, { tenant: 'mhlw-isei', id: by('address').id, decision: 'accept', by: 'shinsa2' });
      expect((await showEntryAsOperator(deps, 'mhlw-isei', 'kangoshi', 1)).items['住所']).toBe('宮城県仙台市宮城野区五輪一丁目1番1号');
      await expectProblem(closeProposal(deps, { tenant: 'mhlw-isei', id: by('unknown').id, decision: 'reject', by: 'shinsa2' }), { status: 400, field: 'reason' });
      const rej = await closeProposal(deps, { tenant: 'mhlw-isei', id: by('unknown').id, decision: 'reject', reason: '本人に住民票の提出を求める', by: 'shinsa2' });
      expect(rej).toMatchObject({ status: 'rejected', reason: '本人に住民票の提出を求める' });
      await expectProblem(closeProposal(deps, { tenant: 'mhlw-isei', id: by('unknown').id, decision: 'accept', by: 'shinsa2' }), { status: 409, code: 'PROPOSAL_CLOSED' });
      // Another 資格管理者's proposal id is not found under this one (RLS).
      const death = (await listProposals(db, { tenant: 'mhlw-shaen' })).rows[0]!;
      await expectProblem(closeProposal(deps, { tenant: 'mhlw-isei', id: death.id, decision: 'accept', by: 'shinsa2' }), { status: 404 });
      // 介護福祉士 (QUA-11): 抹消 on death is logical, the My Number kept.
      expect(death).toMatchObject({ kind: 'death', proposed: { 死亡日: '2026-11-01' } });
      await closeProposal(deps, { tenant: 'mhlw-shaen', id: death.id, decision: 'accept', by: 'shaen1' });
      const care = await showEntryAsOperator(deps, 'mhlw-shaen', death.qualification, death.number);
      expect(care).toMatchObject({ status: { code: 'erased' }, deceased: true, erasure: { cause: 'death', on: '2026-11-01', reasonCode: 'JUKI-DEATH' }, myNumber: { held: true } });
      // 薬剤師 (QUA-12): a deceased person's My Number is kept.
      const pd = (await listProposals(db, { tenant: 'mhlw-iyaku' })).rows[0]!;
      await closeProposal(deps, { tenant: 'mhlw-iyaku', id: pd.id, decision: 'accept', by: 'iyaku1' });
      expect(await showEntryAsOperator(deps, 'mhlw-iyaku', 'yakuzaishi', pd.number)).toMatchObject({ status: { code: 'erased' }, deceased: true, myNumber: { held: true, deletedOn: null } });
      // An erased entry is no longer asked for.
      const after = await runChecks(deps, { tenant: 'mhlw-shaen', from: '2026-11-02', until: '2026-11-03' });
      expect(after.checked).toBe(1);
      const totals = await listProposals(db, { tenant: 'mhlw-isei', status: 'all', limit: 1, offset: 1 });
      expect(totals).toMatchObject({ total: 3, byStatus: { accepted: 2, rejected: 1 }, limit: 1, offset: 1 });
      expect(totals.rows).toHaveLength(1);
      outputs.push(totals);
    });

    it('staff see and close only the proposals of their own qualifications (viewer may not close); refusals logged', async () => {
      // 11-04: 6 (助産師) renamed; 1 moves — a 医師 clerk and a 助産師 clerk of 医政局.
      clock.set('2026-11-04T10:00:00+09:00');
      await update([person(6, { name: '泉　六子', nameKana: 'イズミ　ロクコ', movement: '41', movementDate: '2026-11-04' })]);
      const r = await runChecks(deps, { tenant: 'mhlw-isei' });
      expect(r).toMatchObject({ period: { from: '2026-11-03', until: '2026-11-04' }, changed: 1, proposals: 1 });
      const doctor = await session('mhlw-isei', 'ishi-clerk', ['ishi'], 'clerk');
      const midwife = await session('mhlw-isei', 'josan-clerk', ['josanshi'], 'clerk');
      const viewer = await session('mhlw-isei', 'josan-viewer', ['josanshi'], 'viewer');
      const seen = await listProposalsForStaff(deps, midwife);
      expect(seen.rows.map((x) => [x.qualification, x.kind])).toEqual([['josanshi', 'name']]);
      expect((await listProposalsForStaff(deps, doctor)).total).toBe(0);
      const id = seen.rows[0]!.id;
      await expectProblem(closeProposalAsStaff(deps, doctor, { id, decision: 'accept' }), { status: 404 });
      await expectProblem(closeProposalAsStaff(deps, viewer, { id, decision: 'accept' }), { status: 404 });
      // Over the staff API (registry-api.md): listed, then closed.
      const token = (await issueStaffToken(db, clock, 'mhlw-isei', 'josan-clerk')).token;
      const api = (path: string, init: RequestInit = {}) => fetch(`${registryUrl}/registry/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      const listed = await api('/check-proposals?status=open');
      expect(listed.status).toBe(200);
      const body = (await listed.json()) as { total: number; rows: { id: number }[] };
      outputs.push(body);
      expect(body.rows.map((x) => x.id)).toEqual([id]);
      expect((await api('/check-proposals?limit=x')).status).toBe(400);
      expect((await api(`/check-proposals/${id}`, { method: 'POST', body: JSON.stringify({ decision: 'maybe' }) })).status).toBe(400);
      const res = await api(`/check-proposals/${id}`, { method: 'POST', body: JSON.stringify({ decision: 'accept' }) });
      expect(res.status).toBe(200);
      const closed = (await res.json()) as ProposalView;
      outputs.push(closed);
      expect(closed).toMatchObject({ status: 'accepted', closedBy: 'josan-clerk' });
      expect((await fetch(`${registryUrl}/registry/v1/check-proposals`)).status).toBe(401);
      expect((await showEntryAsOperator(deps, 'mhlw-isei', 'josanshi', 1)).items).toMatchObject({ 姓: '泉', 名: '六子' });
      const log = await accessLog(db, 'mhlw-isei');
      expect(log.filter((x) => x.targetType === 'check-proposal' && x.outcome === 'denied').map((x) => x.userId).sort()).toEqual(['ishi-clerk', 'josan-viewer']);
      expect(log.some((x) => x.targetType === 'check-proposals' && x.action === 'list' && x.userId === 'josan-clerk')).toBe(true);
    });

    it('the daily job runs each 資格管理者 once a day and continues an unfinished run', async () => {
      expect(await checksDue(db, clock, 'mhlw-isei')).toBe(false); // checked up to today above
      expect(await checksDue(db, clock, 'mhlw-iyaku')).toBe(true);
      const done: string[] = [];
      await runDueChecks(deps, (tenant, x) => done.push(`${tenant}:${x instanceof Error ? x.message : x.checked}`));
      expect(done.sort()).toEqual(['mhlw-iyaku:0', 'mhlw-kenko:0', 'mhlw-shaen:1']);
      done.length = 0;
      await runDueChecks(deps, (tenant) => done.push(tenant));
      expect(done).toEqual([]);
      clock.set('2026-11-05T10:00:00+09:00');
      const down: JukiNode = { call: async () => { throw new Error('connect ECONNREFUSED'); } };
      await runDueChecks({ ...deps, node: down }, (tenant, x) => done.push(`${tenant}:${x instanceof Error ? 'failed' : 'ok'}`));
      expect(done).toContain('mhlw-isei:failed');
      expect(await checksDue(db, clock, 'mhlw-isei')).toBe(true);
      const resumed = await runChecks(deps, { tenant: 'mhlw-isei' });
      expect(resumed).toMatchObject({ resumed: true, period: { from: '2026-11-04', until: '2026-11-05' }, checked: 4 });
      // Two runs of one tenant at once: one of them is refused.
      clock.set('2026-11-06T10:00:00+09:00');
      const both = await Promise.allSettled([runChecks(deps, { tenant: 'mhlw-isei' }), runChecks(deps, { tenant: 'mhlw-isei' })]);
      expect(both.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      expect(both.find((x) => x.status === 'rejected')).toMatchObject({ reason: { status: 409 } });
    });

    it('never shows a My Number or a 住民票コード: answers, proposals, message logs, registry tables, the 照会処理の記録', async () => {
      const text = JSON.stringify(outputs);
      expect(findMyNumbers(text)).toEqual([]);
      for (const i of [1, 2, 3, 4, 5, 6, 7, 8]) {
        expect(text).not.toContain(num(i));
        expect(text).not.toContain(code(i));
      }
      const owner = app.db.app;
      const tables = await sql<{ s: string; t: string }>`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('registry', 'peers_jlis') AND table_type = 'BASE TABLE'`.execute(owner);
      let all = '';
      for (const { s, t } of tables.rows) all += JSON.stringify((await sql.raw(`SELECT row_to_json(x)::text AS j FROM ${s}.${t} x`).execute(owner)).rows);
      for (const i of [1, 2, 3, 4, 5, 6, 7, 8]) expect(all).not.toContain(num(i));
      expect(findMyNumbers(all)).toEqual([]);
      // The registry asked as `registry`, never receiving a number.
      const log = await queryLog(jlisDb, { caller: 'registry', limit: 1000 });
      expect(log.some((x) => x.keyKind === 'myNumber' && x.channel === 'query')).toBe(true);
      expect(log.every((x) => !x.myNumberReturned)).toBe(true);
      // The 住民票コード sits only in the private tables.
      const views = JSON.stringify((await listProposals(db, { tenant: 'mhlw-isei', status: 'all' })).rows as ProposalView[]);
      expect(views).not.toMatch(/4000000000[0-9]/);
    });
  });
});
