// Examination (issue 15 Must have 4 and 5; QUA-07, QUA-08, QUA-10, QUA-16; decisions 0192–0195), on real
// PostgreSQL as the registry's own role: each staff member's queue holds only their qualifications (another
// administrator's application is a 404, logged); checks are recorded on the application and approval needs a
// matched 住基 check, a matched 戸籍 check or a received extract, a matched passer list and settled fees; the
// approval writes the register in the application's transaction (both or neither); 補正依頼 and 却下 carry their
// reason; the official who received a paper application does not approve it; 籍訂正・再交付・抹消 applications
// change the entry; the staff's 行政処分 and 抹消 need a 審査責任者 holding the duty; passer lists import all or
// nothing, in UTF-8 or Shift_JIS, naming the bad line, and again without change.
import iconv from 'iconv-lite';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  accessLog, applicationDetail, applyForStaff, approveStaff, authenticateStaff, decideApplication, examinationQueue, exampleForm, feeSettlement, getApplication, importPassers,
  insertApplication, issueStaffToken, listChecks, recordCheck, registerEntry, recordKosekiExtract, REGISTRY_ROLE, RegistrySecrets, runApplicationChecks, staffEraseEntry, staffRecordDisposition, syncAdministrators,
  withRegistryTenant, type ApplicationView, type ExaminationDeps, type StaffSession,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { settleFeesByStamps } from '../harness/registry.js';

let app: TestApp;
let db: Kysely<UntypedDatabase>;
let secrets: RegistrySecrets;
let deps: ExaminationDeps;
const numbers: string[] = [];
let seq = 0;

const HEADER = '試験回数,受験番号,氏名（姓）,氏名（名）,フリガナ（姓）,フリガナ（名）,生年月日,合格年月日,合格証書番号';

beforeAll(async () => {
  app = await testApp('server');
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  secrets = RegistrySecrets.open(app.config.keyDir);
  deps = { db, clock: app.config.clock, secrets };
}, 120_000);

afterAll(async () => {
  await app?.cleanup();
});

async function staff(tenant: string, userId: string, role: 'clerk' | 'supervisor' | 'viewer', qualifications: string[]): Promise<StaffSession> {
  const clock = app.config.clock;
  const chief = `chief-${tenant}`;
  if ((await withRegistryTenant(db, tenant, (tx) => sql`SELECT 1 FROM registry.staff WHERE user_id = ${chief}`.execute(tx))).rows.length === 0) {
    const all = qualifications;
    await applyForStaff(db, clock, { tenant, userId: chief, name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: all, reason: '審査責任者', appliedBy: 'operator' });
    await approveStaff(db, clock, tenant, chief, 'operator');
  }
  await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role, qualifications, reason: '登録事務', appliedBy: chief });
  await approveStaff(db, clock, tenant, userId, chief);
  const t = await issueStaffToken(db, clock, tenant, userId);
  return authenticateStaff(db, clock, `Bearer ${t.token}`);
}

function myNumber(): string {
  const n = syntheticMyNumber('registry-examination', seq++);
  numbers.push(n);
  return n;
}

async function apply(tenant: string, qualification: string, over: { form?: Record<string, unknown>; procedure?: ApplicationView['procedure']; registrationNo?: number; receivedBy?: string; mn?: string } = {}): Promise<ApplicationView> {
  return withRegistryTenant(db, tenant, (tx) =>
    insertApplication(tx, { clock: app.config.clock, secrets }, tenant, {
      qualification, procedure: over.procedure ?? 'new', channel: 'paper', form: over.form ?? exampleForm(qualification), myNumber: over.mn ?? myNumber(),
      registrationNo: over.registrationNo ?? null, identityProof: { documents: ['マイナンバーカード'], checkedBy: over.receivedBy ?? 'madoguchi' }, receivedBy: over.receivedBy ?? 'madoguchi',
    }),
  );
}

/** The checks an approval needs, recorded as the 住基・戸籍 parts will record them; the fee as paid. */
async function passAll(tenant: string, a: ApplicationView, opts: { koseki?: 'match' | 'extract-received'; fee?: boolean } = {}) {
  await withRegistryTenant(db, tenant, async (tx) => {
    await recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'match', by: 'system' });
    await recordCheck(tx, app.config.clock, a.id, { source: 'koseki', outcome: opts.koseki ?? 'match', by: 'system' });
  });
  if (opts.fee !== false) await settleFeesByStamps(db, app.config.clock, tenant, a.id);
}

const csv = (rows: string[]) => Buffer.from(`${HEADER}\r\n${rows.join('\r\n')}\r\n`, 'utf8');
const EXAMPLE_ROW = (round: number, no: string) => `${round},${no},見本,太郎,ミホン,タロウ,2000-04-01,2026-03-16,`;

describe('queue and detail', () => {
  it('shows each staff member only their qualifications, with totals and pages; another administrator’s application is a 404, logged', async () => {
    const ishi = await staff('mhlw-isei', 'q-ishi', 'clerk', ['ishi']);
    const kango = await staff('mhlw-isei', 'q-kango', 'clerk', ['kangoshi']);
    const yaku = await staff('mhlw-iyaku', 'q-yaku', 'clerk', ['yakuzaishi']);
    for (let i = 0; i < 3; i++) await apply('mhlw-isei', 'ishi');
    const k = await apply('mhlw-isei', 'kangoshi');
    const p1 = await examinationQueue(db, app.config.clock, ishi, { status: 'received', perPage: '2' });
    expect(p1.total).toBe(3);
    expect(p1.items).toHaveLength(2);
    expect(p1.items.every((x) => x.qualification === 'ishi')).toBe(true);
    expect((await examinationQueue(db, app.config.clock, ishi, { status: 'received', perPage: '2', page: '2' })).items).toHaveLength(1);
    expect((await examinationQueue(db, app.config.clock, kango, {})).items.map((x) => x.id)).toEqual([k.id]);
    await expectProblem(examinationQueue(db, app.config.clock, ishi, { qualification: 'kangoshi' }), { status: 404 });
    await expectProblem(examinationQueue(db, app.config.clock, ishi, { page: 'x' }), { status: 400, field: 'page' });
    // The kangoshi application: hidden from the ishi examiner and from another 資格管理者, and both refusals logged.
    await expectProblem(applicationDetail(db, app.config.clock, ishi, k.id), { status: 404 });
    await expectProblem(applicationDetail(db, app.config.clock, yaku, k.id), { status: 404 });
    const d = await applicationDetail(db, app.config.clock, kango, k.id);
    expect(d.application.form['氏名']).toEqual({ 姓: '見本', 名: '太郎' });
    expect(d.requirements.map((r) => r.met)).toEqual([false, false, false, false]);
    expect((await accessLog(db, 'mhlw-isei')).filter((r) => r.targetId === k.id).map((r) => `${r.userId}:${r.outcome}`)).toEqual(expect.arrayContaining(['q-ishi:denied', 'q-kango:ok']));
    expect((await accessLog(db, 'mhlw-iyaku')).some((r) => r.userId === 'q-yaku' && r.targetId === k.id && r.outcome === 'denied')).toBe(true);
  });
});

describe('checks and approval', () => {
  it('a person without 戸籍 (本籍 given as 国籍) needs no 戸籍 check: 対象外 is enough for them, and for nobody else', async () => {
    const chief = await staff('mhlw-isei', 'n-chief', 'supervisor', ['rigakuryohoshi']);
    const foreign = await apply('mhlw-isei', 'rigakuryohoshi', { form: { ...exampleForm('rigakuryohoshi'), 本籍: { 国籍: '大韓民国' } } });
    const japanese = await apply('mhlw-isei', 'rigakuryohoshi');
    for (const a of [foreign, japanese]) {
      await withRegistryTenant(db, 'mhlw-isei', async (tx) => {
        await recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'match', by: 'system' });
        await recordCheck(tx, app.config.clock, a.id, { source: 'koseki', outcome: 'not-applicable', by: 'system' });
        await recordCheck(tx, app.config.clock, a.id, { source: 'passers', outcome: 'match', by: 'system' });
      });
    }
    const unmet = async (id: string) => (await applicationDetail(db, app.config.clock, chief, id)).requirements.filter((r) => !r.met).map((r) => r.label);
    expect(await unmet(foreign.id)).not.toContain('戸籍による確認（または戸籍謄本等の受領）');
    expect(await unmet(japanese.id)).toContain('戸籍による確認（または戸籍謄本等の受領）');
  });

  it('approves a new registration only with every requirement met; the 登録番号 goes on the application; never twice', async () => {
    const chief = await staff('mhlw-iyaku', 'a-chief', 'supervisor', ['yakuzaishi']);
    const clerk = await staff('mhlw-iyaku', 'a-clerk', 'clerk', ['yakuzaishi']);
    await withRegistryTenant(db, 'mhlw-iyaku', (tx) => importPassers(tx, app.config.clock, 'mhlw-iyaku', { qualification: 'yakuzaishi', by: 'operator' }, csv([EXAMPLE_ROW(120, '012345')])));
    const a = await apply('mhlw-iyaku', 'yakuzaishi');
    await expectProblem(decideApplication(deps, chief, a.id, { action: 'approve' }), { status: 409, code: 'REQUIREMENTS_NOT_MET' });
    const checks = await runApplicationChecks(deps, 'mhlw-iyaku', a.id, 'a-clerk');
    expect(checks.map((c) => `${c.source}:${c.outcome}`)).toEqual(['juki:not-run', 'koseki:not-run', 'passers:match']);
    await passAll('mhlw-iyaku', a, { fee: false });
    const blocked = await expectProblem(decideApplication(deps, chief, a.id, { action: 'approve' }), { status: 409, code: 'REQUIREMENTS_NOT_MET' });
    expect(blocked.detail).toContain('手数料の納付');
    await settleFeesByStamps(db, app.config.clock, 'mhlw-iyaku', a.id);
    // A 審査担当 may not approve: 403, logged.
    await expectProblem(decideApplication(deps, clerk, a.id, { action: 'approve' }), { status: 403 });
    expect((await accessLog(db, 'mhlw-iyaku')).some((r) => r.userId === 'a-clerk' && r.action === 'decide' && r.outcome === 'denied')).toBe(true);
    const r = await decideApplication(deps, chief, a.id, { action: 'approve' });
    expect(r.application).toMatchObject({ status: 'approved', decidedBy: 'a-chief', registrationNo: r.entry!.number });
    expect(r.entry!.items['国家試験合格年月日']).toBe('2026-03-16');
    expect(r.application.events.map((e) => e.kind)).toEqual(['received', 'checked', 'checked', 'checked', 'checked', 'checked', 'fees_opened', 'fee_paid', 'fee_settled', 'approved']);
    await expectProblem(decideApplication(deps, chief, a.id, { action: 'approve' }), { status: 409, code: 'APPLICATION_STATE' });
    const entries = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.entries WHERE application_id = ${a.id}`.execute(tx));
    expect(entries.rows[0]!.n).toBe(1);
    await expectProblem(withRegistryTenant(db, 'mhlw-iyaku', (tx) => recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'match', by: 'x' })), { status: 409, code: 'APPLICATION_STATE' });
  });

  it('accepts a 戸籍謄本等 received by staff instead of the 戸籍 check; a mismatched 住基 check blocks', async () => {
    const chief = await staff('mhlw-kenko', 'k-chief', 'supervisor', ['kanrieiyoshi']);
    await withRegistryTenant(db, 'mhlw-kenko', (tx) => importPassers(tx, app.config.clock, 'mhlw-kenko', { qualification: 'kanrieiyoshi', by: 'operator' }, csv([EXAMPLE_ROW(120, '012345')])));
    const a = await apply('mhlw-kenko', 'kanrieiyoshi');
    await runApplicationChecks(deps, 'mhlw-kenko', a.id, 'k-chief');
    await withRegistryTenant(db, 'mhlw-kenko', async (tx) => {
      await recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'mismatch', differences: [{ item: '住所', applied: '鳥取県鳥取市見本町1番地', listed: '鳥取県倉吉市' }], by: 'system' });
      await recordCheck(tx, app.config.clock, a.id, { source: 'koseki', outcome: 'extract-requested', detail: { note: '本籍が特定できません' }, by: 'system' });
    });
    await settleFeesByStamps(db, app.config.clock, 'mhlw-kenko', a.id);
    const d = await applicationDetail(db, app.config.clock, chief, a.id);
    expect(d.requirements.filter((r) => !r.met).map((r) => r.label)).toEqual(['住基ネットによる本人確認', '戸籍による確認（または戸籍謄本等の受領）']);
    expect(d.checks.find((c) => c.source === 'juki' && c.outcome === 'mismatch')!.differences[0]!.item).toBe('住所');
    await recordKosekiExtract(deps, chief, a.id, { state: 'received', note: '戸籍謄本を確認' });
    await withRegistryTenant(db, 'mhlw-kenko', (tx) => recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'match', by: 'system' }));
    const r = await decideApplication(deps, chief, a.id, { action: 'approve', reason: '戸籍謄本で確認' });
    expect(r.entry!.number).toBeGreaterThan(0);
    await expectProblem(withRegistryTenant(db, 'mhlw-kenko', (tx) => recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'extract-received', by: 'x' })), { status: 400 });
  });

  it('commits the approval and the registration together or not at all', async () => {
    const chief = await staff('mhlw-isei', 'b-chief', 'supervisor', ['shikaishi']);
    await withRegistryTenant(db, 'mhlw-isei', (tx) => importPassers(tx, app.config.clock, 'mhlw-isei', { qualification: 'shikaishi', by: 'operator' }, csv([EXAMPLE_ROW(120, '012345')])));
    const mn = myNumber();
    const first = await apply('mhlw-isei', 'shikaishi', { mn });
    const second = await apply('mhlw-isei', 'shikaishi', { mn });
    for (const a of [first, second]) {
      await runApplicationChecks(deps, 'mhlw-isei', a.id, 'b-chief');
      await passAll('mhlw-isei', a);
    }
    await decideApplication(deps, chief, first.id, { action: 'approve' });
    // The same person again: the register refuses, and the application stays as it was (no event, no status).
    const before = (await withRegistryTenant(db, 'mhlw-isei', (tx) => getApplication(tx, second.id)))!;
    await expectProblem(decideApplication(deps, chief, second.id, { action: 'approve' }), { status: 409, code: 'ALREADY_REGISTERED' });
    const after = (await withRegistryTenant(db, 'mhlw-isei', (tx) => getApplication(tx, second.id)))!;
    expect(after).toEqual(before);
    const r = await decideApplication(deps, chief, second.id, { action: 'reject', reason: '既に登録されています' });
    expect(r.application).toMatchObject({ status: 'rejected', decisionReason: '既に登録されています', decidedBy: 'b-chief' });
  });

  it('a register write joined to the caller\'s transaction rolls back with it, and refuses a transaction of another tenant', async () => {
    const clock = app.config.clock;
    const attempt = withRegistryTenant(db, 'mhlw-iyaku', async (tx) => {
      const e = await registerEntry({ db, clock, secrets, tx }, { applicationId: 'joined-1', qualification: 'yakuzaishi', application: exampleForm('yakuzaishi'), myNumber: myNumber(), approvedBy: 'x' });
      expect(e.number).toBeGreaterThan(0);
      throw new Error('the caller fails after the registration');
    });
    await expect(attempt).rejects.toThrow('the caller fails');
    const n = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.entries WHERE application_id = 'joined-1'`.execute(tx));
    expect(n.rows[0]!.n).toBe(0);
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => registerEntry({ db, clock, secrets, tx }, { applicationId: 'joined-2', qualification: 'yakuzaishi', application: exampleForm('yakuzaishi'), myNumber: myNumber(), approvedBy: 'x' })))
      .rejects.toThrow(/not set to tenant mhlw-iyaku/);
  });

  it('returns for correction with the reason (a 審査担当 may); rejects only with a reason; the receiving official does not approve', async () => {
    const clerk = await staff('mhlw-isei', 'c-clerk', 'clerk', ['rigakuryohoshi']);
    const chief = await staff('mhlw-isei', 'c-chief', 'supervisor', ['rigakuryohoshi']);
    const a = await apply('mhlw-isei', 'rigakuryohoshi');
    await expectProblem(decideApplication(deps, clerk, a.id, { action: 'return' }), { status: 400, field: 'reason' });
    const r = await decideApplication(deps, clerk, a.id, { action: 'return', reason: '受験番号を確認してください' });
    expect(r.application).toMatchObject({ status: 'returned', statusLabel: '補正依頼中', decisionReason: '受験番号を確認してください' });
    await expectProblem(decideApplication(deps, clerk, a.id, { action: 'reject', reason: 'x' }), { status: 403 });
    const own = await apply('mhlw-isei', 'rigakuryohoshi', { receivedBy: 'c-chief' });
    await passAll('mhlw-isei', own);
    await withRegistryTenant(db, 'mhlw-isei', (tx) => recordCheck(tx, app.config.clock, own.id, { source: 'passers', outcome: 'match', by: 'x' }));
    await expectProblem(decideApplication(deps, chief, own.id, { action: 'approve' }), { status: 403, code: 'SAME_OFFICIAL' });
  });
});

describe('procedures other than 新規登録', () => {
  it('籍訂正 changes the name and 本籍, 再交付 records the reissue, 抹消 on request erases — each from its form', async () => {
    const chief = await staff('mhlw-isei', 'p-chief', 'supervisor', ['ishi']);
    await withRegistryTenant(db, 'mhlw-isei', (tx) => importPassers(tx, app.config.clock, 'mhlw-isei', { qualification: 'ishi', by: 'operator' }, csv([EXAMPLE_ROW(120, '012345')])));
    const n = await apply('mhlw-isei', 'ishi');
    await runApplicationChecks(deps, 'mhlw-isei', n.id, 'p-chief');
    await passAll('mhlw-isei', n);
    const number = (await decideApplication(deps, chief, n.id, { action: 'approve' })).entry!.number;
    const who = { qualification: 'ishi', 登録番号: String(number), 氏名: { 姓: '見本', 名: '太郎' }, フリガナ: { 姓: 'ミホン', 名: 'タロウ' }, 生年月日: '2000-04-01', 住所: { 郵便番号: '680-0000', 住所: '鳥取県鳥取市見本町1番地' }, 電話番号: '0857-00-0000' };
    const corr = await apply('mhlw-isei', 'ishi', { procedure: 'correction', registrationNo: number, form: { ...who, procedure: 'correction', 訂正事項: { 氏名: { 旧: { 姓: '見本', 名: '太郎' }, 新: { 姓: '新名', 名: '太郎' }, 新フリガナ: { 姓: 'シンメイ', 名: 'タロウ' } }, 本籍: { 旧: { 都道府県コード: '31' }, 新: { 都道府県コード: '13' } } }, 事由: '婚姻', 事由の生じた年月日: '2026-10-01' } });
    await passAll('mhlw-isei', corr);
    const c = await decideApplication(deps, chief, corr.id, { action: 'approve' });
    expect(c.entry!.items).toMatchObject({ 姓: '新名', 本籍地コード: '13', 籍訂正理由コード: '01' });
    expect(c.entry!.names.filter((x) => x.kind === '氏名').map((x) => x.姓)).toEqual(['見本', '新名']);
    expect(c.application.registrationNo).toBe(number);
    const re = await apply('mhlw-isei', 'ishi', { procedure: 'reissue', registrationNo: number, form: { ...who, procedure: 'reissue', 再交付の理由: '亡失' } });
    await withRegistryTenant(db, 'mhlw-isei', (tx) => recordCheck(tx, app.config.clock, re.id, { source: 'juki', outcome: 'match', by: 'system' }));
    await expectProblem(decideApplication(deps, chief, re.id, { action: 'approve' }), { status: 409, code: 'REQUIREMENTS_NOT_MET' });
    await settleFeesByStamps(db, app.config.clock, 'mhlw-isei', re.id);
    const r = await decideApplication(deps, chief, re.id, { action: 'approve' });
    expect(r.entry!.items).toMatchObject({ 再交付年月日: app.config.clock.today(), 再交付理由コード: '01', '再交付理由（記事）': '亡失' });
    expect(r.entry!.history!.at(-1)).toMatchObject({ kind: 'reissue', label: '再交付', by: 'p-chief' });
    const er = await apply('mhlw-isei', 'ishi', { procedure: 'erasure', registrationNo: number, form: { ...who, procedure: 'erasure', 抹消の理由: '業務の廃止' } });
    await withRegistryTenant(db, 'mhlw-isei', (tx) => recordCheck(tx, app.config.clock, er.id, { source: 'juki', outcome: 'match', by: 'system' }));
    // 抹消 has no fee (catalog: なし), so only the 住基 check is needed.
    expect((await withRegistryTenant(db, 'mhlw-isei', (tx) => feeSettlement(tx, er))).settled).toBe(true);
    const e = await decideApplication(deps, chief, er.id, { action: 'approve' });
    expect(e.entry!.status.code).toBe('erased');
    expect(e.entry!.erasure).toMatchObject({ cause: 'request', reasonCode: '01' });
  });
});

describe('staff writes to the register', () => {
  it('行政処分 and 抹消 on death need a 審査責任者 holding the duty; others get 403 or 404, logged', async () => {
    const chief = await staff('mhlw-isei', 'd-chief', 'supervisor', ['kangoshi']);
    const clerk = await staff('mhlw-isei', 'd-clerk', 'clerk', ['kangoshi']);
    const other = await staff('mhlw-iyaku', 'd-other', 'supervisor', ['yakuzaishi']);
    const a = await apply('mhlw-isei', 'kangoshi');
    await passAll('mhlw-isei', a);
    await withRegistryTenant(db, 'mhlw-isei', (tx) => recordCheck(tx, app.config.clock, a.id, { source: 'passers', outcome: 'match', by: 'x' }));
    const number = (await decideApplication(deps, chief, a.id, { action: 'approve' })).entry!.number;
    const disp = { kind: 'suspension', decidedOn: '2026-11-01', code: 'S1', from: '2026-11-10', until: '2027-02-09', issueNo: '医政発1101第1号' };
    await expectProblem(staffRecordDisposition(deps, clerk, 'kangoshi', number, disp), { status: 403 });
    await expectProblem(staffRecordDisposition(deps, other, 'kangoshi', number, disp), { status: 404 });
    const e = await staffRecordDisposition(deps, chief, 'kangoshi', number, disp);
    expect(e.status).toMatchObject({ code: 'suspended', until: '2027-02-09' });
    expect(e.dispositions[0]).toMatchObject({ kind: 'suspension', issueNo: '医政発1101第1号' });
    await expectProblem(staffEraseEntry(deps, chief, 'kangoshi', number, { cause: 'request', reasonCode: '1' }), { status: 400, field: 'cause' });
    const gone = await staffEraseEntry(deps, chief, 'kangoshi', number, { cause: 'death', on: '2026-11-15', reasonCode: 'D1', note: '死亡' });
    expect(gone).toMatchObject({ deceased: true, status: { code: 'erased' } });
    expect(gone.history!.at(-1)!.by).toBe('d-chief');
    expect((await accessLog(db, 'mhlw-isei')).filter((r) => r.targetId === `kangoshi:${number}`).map((r) => `${r.userId}:${r.action}:${r.outcome}`)).toEqual(
      expect.arrayContaining(['d-clerk:decide:denied', 'd-chief:write:ok']),
    );
    expect((await accessLog(db, 'mhlw-iyaku')).some((r) => r.userId === 'd-other' && r.outcome === 'denied')).toBe(true);
  });
});

describe('passer lists', () => {
  it('imports UTF-8 and Shift_JIS, all or nothing, naming the bad line; the same file again changes nothing', async () => {
    const t = 'mhlw-isei';
    const imp = (bytes: Buffer) => withRegistryTenant(db, t, (tx) => importPassers(tx, app.config.clock, t, { qualification: 'kangoshi', by: 'operator' }, bytes));
    const good = csv(['116,K-0001,青木,花子,アオキ,ハナコ,2001-05-02,2026/3/25,', '116,K-0002,井上,一郎,イノウエ,イチロウ,2000-12-31,2026-03-25,G-77']);
    const first = await imp(good);
    expect(first).toMatchObject({ encoding: 'utf-8', rows: 2, added: 2, repeated: false });
    expect(await imp(good)).toMatchObject({ importId: first.importId, added: 0, repeated: true });
    const sjis = iconv.encode(`${HEADER}\r\n116,K-0002,井上,一郎,イノウエ,イチロウ,2000-12-31,2026-03-25,G-77\r\n116,K-0003,髙橋,次郎,タカハシ,ジロウ,1999-01-15,2026-03-25,\r\n`, 'cp932');
    expect(await imp(sjis)).toMatchObject({ encoding: 'shift_jis', rows: 2, added: 1 });
    const bad = csv(['116,K-0004,上田,三郎,ウエダ,サブロウ,2000-01-01,2026-03-25,', '116,K-0005,下田,,シモダ,しろう,2000-02-30,2026-03-25,']);
    const p = await expectProblem(imp(bad), { status: 400 });
    expect(p.errors.map((e) => e.field)).toEqual(['line 3: 氏名（名）', 'line 3: フリガナ（名）', 'line 3: 生年月日']);
    const conflicting = csv(['116,K-0001,青木,花子,アオキ,ハナコ,2001-05-03,2026-03-25,']);
    const c = await expectProblem(imp(conflicting), { status: 409, code: 'PASSER_CONFLICT' });
    expect(c.detail).toContain('2行目');
    await expectProblem(imp(Buffer.from('回数,番号\r\n1,2\r\n')), { status: 400, field: 'line 1' });
    await expectProblem(imp(Buffer.concat([Buffer.from(`${HEADER}\r\n116,K-0009,`), Buffer.from([0xf0, 0x40]), Buffer.from(',一,イ,イ,2000-01-01,2026-03-25,\r\n')])), { status: 400, code: 'CSV_ENCODING' });
    const n = await withRegistryTenant(db, t, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.exam_passers WHERE qualification_code = 'kangoshi'`.execute(tx));
    expect(n.rows[0]!.n).toBe(3);
    // Another 資格管理者 cannot import into this one's qualification.
    await expectProblem(withRegistryTenant(db, 'mhlw-iyaku', (tx) => importPassers(tx, app.config.clock, 'mhlw-iyaku', { qualification: 'kangoshi', by: 'x' }, good)), { status: 404 });
  });

  it('the check compares the 国家試験 items: a different birth date or an unknown 受験番号 is named', async () => {
    const t = 'mhlw-isei';
    await withRegistryTenant(db, t, (tx) => importPassers(tx, app.config.clock, t, { qualification: 'rinshokensagishi', by: 'operator' }, csv(['72,R-1,見本,太郎,ミホン,タロウ,2000-04-02,2026-03-16,'])));
    const differs = await apply(t, 'rinshokensagishi', { form: { ...exampleForm('rinshokensagishi'), 国家試験: { 回数: 72, 受験番号: 'R-1', 合格年月日: '2026-03-16' } } });
    const unknown = await apply(t, 'rinshokensagishi', { form: { ...exampleForm('rinshokensagishi'), 国家試験: { 回数: 72, 受験番号: 'R-9', 合格年月日: '2026-03-16' } } });
    const c1 = (await runApplicationChecks(deps, t, differs.id, 'x')).find((c) => c.source === 'passers')!;
    expect(c1).toMatchObject({ outcome: 'mismatch', outcomeLabel: '不一致' });
    expect(c1.differences).toEqual([{ item: expect.stringContaining('生年月日'), applied: '2000-04-01', listed: '2000-04-02' }]);
    // Married since the examination: the listed surname given as 旧姓 matches.
    const married = await apply(t, 'rinshokensagishi', { form: { ...exampleForm('rinshokensagishi'), 氏名: { 姓: '新名', 名: '太郎' }, フリガナ: { 姓: 'シンメイ', 名: 'タロウ' }, 旧姓: '見本', 生年月日: '2000-04-02', 国家試験: { 回数: 72, 受験番号: 'R-1', 合格年月日: '2026-03-16' } } });
    expect((await runApplicationChecks(deps, t, married.id, 'x')).find((c) => c.source === 'passers')).toMatchObject({ outcome: 'match', differences: [] });
    const c2 = (await runApplicationChecks(deps, t, unknown.id, 'x')).find((c) => c.source === 'passers')!;
    expect(c2.outcome).toBe('not-found');
    const all = await withRegistryTenant(db, t, (tx) => listChecks(tx, unknown.id));
    expect(all.map((c) => c.source)).toEqual(['juki', 'koseki', 'passers']);
  });

  it('no My Number in any check, event or list', async () => {
    const rows = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM (SELECT * FROM registry.application_checks UNION ALL SELECT tenant_code, application_id, seq, kind, '', '[]'::jsonb, detail, actor, at FROM registry.application_events) x`.execute(app.db.system);
    const passers = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM registry.exam_passers x`.execute(app.db.system);
    const text = JSON.stringify(rows.rows) + JSON.stringify(passers.rows);
    expect(findMyNumbers(text)).toEqual([]);
    for (const n of numbers) expect(text).not.toContain(n);
  });
});
