// The register itself (issue 15 Must have 2 and 5; QUA-09…14, QUA-27, QUA-36, QUA-37, QUA-10; decisions
// 0177, 0178), on real PostgreSQL as the registry's own role: entries from approved applications with
// consecutive 登録番号 even when registered concurrently, one random 資格仮名ID per person per 資格管理者, the My
// Number sealed and never in clear anywhere; every change a new version; names with their history and flags;
// 行政処分 in the current status; 抹消 applying each file's retention rule (one test per QUA-11…14); reads by
// the administrator's staff only, each logged.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  accessLog, applyForStaff, approveStaff, authenticateStaff, changeEntry, eraseEntry, exampleForm, issueStaffToken, purgeMyNumber, recordDisposition, registerEntry,
  REGISTRY_ROLE, RegistrySecrets, showEntry, syncAdministrators, withRegistryTenant, type EntryView, type RegisterDeps, type StaffSession,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';

let app: TestApp;
let db: Kysely<UntypedDatabase>;
let deps: RegisterDeps;
let secrets: RegistrySecrets;
const numbers: string[] = [];
let seq = 0;

/** A fresh test-range My Number (remembered for the leak scans). */
function myNumber(): string {
  const n = syntheticMyNumber('registry-register', seq++);
  numbers.push(n);
  return n;
}

function application(qualification: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...exampleForm(qualification), ...over };
}

let appNo = 0;
async function register(qualification: string, mn: string, over: Record<string, unknown> = {}): Promise<EntryView> {
  return registerEntry(deps, { applicationId: `app-${++appNo}`, qualification, application: application(qualification, over), myNumber: mn, approvedBy: 'shinsa1' });
}

async function session(tenant: string, userId: string, qualifications: string[]): Promise<StaffSession> {
  const clock = app.config.clock;
  const chief = `chief-${tenant}`;
  if ((await withRegistryTenant(db, tenant, (tx) => sql`SELECT 1 FROM registry.staff WHERE user_id = ${chief}`.execute(tx))).rows.length === 0) {
    await applyForStaff(db, clock, { tenant, userId: chief, name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: [qualifications[0]], reason: '審査責任者', appliedBy: 'operator' });
    await approveStaff(db, clock, tenant, chief, 'operator');
  }
  await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role: 'clerk', qualifications, reason: '登録事務', appliedBy: chief });
  await approveStaff(db, clock, tenant, userId, chief);
  const t = await issueStaffToken(db, clock, tenant, userId);
  return authenticateStaff(db, clock, `Bearer ${t.token}`);
}

/** Every row of every registry table, as text. */
async function allRegistryText(): Promise<string> {
  const owner = app.db.system;
  const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'registry'`.execute(owner);
  let out = '';
  // Sealed values (bytea) are left out: their hex is random and may look like a number by chance; the
  // numbers themselves are looked for in them below (`not.toContain`).
  for (const { t } of tables.rows) {
    const cols = await sql<{ c: string; bytes: boolean }>`SELECT column_name AS c, data_type = 'bytea' AS bytes FROM information_schema.columns WHERE table_schema = 'registry' AND table_name = ${t} ORDER BY ordinal_position`.execute(owner);
    const list = cols.rows.map((c) => (c.bytes ? `encode(${c.c}, 'base64') AS ${c.c}` : c.c)).join(', ');
    out += JSON.stringify((await sql.raw(`SELECT row_to_json(x)::text AS j FROM (SELECT ${list} FROM registry.${t}) x`).execute(owner)).rows);
  }
  return out;
}

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

describe('entries (QUA-09, QUA-27, QUA-36)', () => {
  it('registers an approved application: catalog items, 登録番号, 登録年月日 from the clock, a random 資格仮名ID, the My Number sealed', async () => {
    const mn = myNumber();
    const e = await register('ishi', mn, { 通称: { 姓: '見本', 名: '通子' } });
    expect(e.number).toBe(1);
    expect(e.registeredOn).toBe(app.config.clock.today());
    expect(e.tenant).toBe('mhlw-isei');
    expect(e.pseudonymId).toMatch(/^Q[0-9A-F]{20}$/);
    expect(e.status).toEqual({ code: 'active', label: '有効', until: null });
    expect(e.items).toMatchObject({ 登録番号: 1, 登録年月日: app.config.clock.today(), 姓: '見本', 名: '太郎', 'フリガナ（姓）': 'ミホン', 国家試験回数: 120, 受験番号: '012345', 本籍地コード: '31', '通称（名）': '通子' });
    expect(e.flags).toEqual({ 旧姓フラグ: false, 通称名フラグ: true, 旧姓通称名フラグ: false });
    expect(e.myNumber).toEqual({ held: true, deletedOn: null });
    expect(e.history!.map((v) => [v.version, v.kind, v.by])).toEqual([[1, 'register', 'shinsa1']]);
    // Only register items of the qualification, never an identifier.
    const { catalog } = await import('../../src/registry/index.js');
    const q = catalog().qualification('ishi')!;
    for (const k of Object.keys(e.items)) expect(q.registerItems, k).toContain(k);
    for (const id of ['個人番号', '資格仮名ID', 'マイナポータル仮名ID', '機関別符号']) expect(e.items).not.toHaveProperty(id);
    // The sealed number opens only as this entry's.
    const row = (await withRegistryTenant(db, 'mhlw-isei', (tx) => sql<{ ciphertext: Buffer; key_version: number }>`SELECT ciphertext, key_version FROM registry.entry_mynumbers WHERE qualification_code = 'ishi' AND registration_no = 1`.execute(tx))).rows[0]!;
    expect(secrets.openMyNumber({ tenant: 'mhlw-isei', qualification: 'ishi', number: 1 }, Buffer.from(row.ciphertext), row.key_version)).toBe(mn);
    expect(() => secrets.openMyNumber({ tenant: 'mhlw-isei', qualification: 'ishi', number: 2 }, Buffer.from(row.ciphertext), row.key_version)).toThrow();
    // The 資格仮名ID is not made from the My Number or the number: another person gets an unrelated one.
    const other = await register('ishi', myNumber());
    expect(other.number).toBe(2);
    expect(other.pseudonymId).not.toBe(e.pseudonymId);
  });

  it('is idempotent per application, refuses a second entry of the same person in one qualification and a bad My Number', async () => {
    const mn = myNumber();
    const raw = { applicationId: 'idem-1', qualification: 'shikaishi', application: application('shikaishi'), myNumber: mn, approvedBy: 'shinsa1' };
    const a = await registerEntry(deps, raw);
    const b = await registerEntry(deps, raw);
    expect(b.number).toBe(a.number);
    expect(b.version).toBe(1);
    await expectProblem(register('shikaishi', mn), { status: 409, code: 'ALREADY_REGISTERED' });
    const wrong = await registerEntry(deps, { ...raw, applicationId: 'idem-2', myNumber: '123456789012' }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ status: 400 });
    expect(JSON.stringify(wrong) + String(wrong)).not.toContain('123456789012');
    const bad = await registerEntry(deps, { ...raw, applicationId: 'idem-3', application: { ...application('shikaishi'), 国家試験: { 回数: 120 } } }).catch((e: unknown) => e);
    expect(JSON.stringify(bad)).toContain('国家試験.受験番号');
    expect(findMyNumbers(JSON.stringify(bad) + String(bad))).toEqual([]);
    expect(JSON.stringify(bad) + String(bad)).not.toContain(mn);
  });

  it('keeps one 資格仮名ID for one person in two qualifications of one 資格管理者, another under another 資格管理者 (decision 0177)', async () => {
    const mn = myNumber();
    const nurse = await register('kangoshi', mn);
    const phn = await register('hokenshi', mn);
    expect(phn.pseudonymId).toBe(nurse.pseudonymId);
    const care = await register('kaigofukushishi', mn);
    expect(care.pseudonymId).not.toBe(nurse.pseudonymId);
  });

  it('gives concurrent registrations distinct consecutive 登録番号, with no gap after a refused one', async () => {
    const people = Array.from({ length: 12 }, () => myNumber());
    const dup = people[0]!;
    const results = await Promise.allSettled([...people, dup].map((mn) => register('rigakuryohoshi', mn)));
    const ok = results.filter((r): r is PromiseFulfilledResult<EntryView> => r.status === 'fulfilled').map((r) => r.value.number).sort((x, y) => x - y);
    expect(ok).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((await register('rigakuryohoshi', myNumber())).number).toBe(13);
  }, 60_000);
});

describe('history (QUA-36, QUA-37)', () => {
  it('籍訂正 with a new 氏名 is a new version; the old name stays in the history and as 旧姓; aliases carry their flags', async () => {
    const e = await register('kaigofukushishi', myNumber());
    const n = e.number;
    const c = await changeEntry(deps, { qualification: 'kaigofukushishi', number: n, kind: 'correction', reasonCode: '01', note: '婚姻による氏の変更', name: { 姓: '新姓', 名: '太郎', フリガナ: { 姓: 'シンセイ', 名: 'タロウ' } }, keepOldNameAs: '旧姓', by: 'shinsa2' });
    expect(c.version).toBe(2);
    expect(c.items).toMatchObject({ '漢字氏名（姓）': '新姓', 旧姓: '見本', 旧姓フラグ: true, 通称名フラグ: false, 旧姓通称名フラグ: false, '訂正日（年月日）': app.config.clock.today() });
    expect(c.names.filter((x) => x.kind === '氏名').map((x) => [x.姓, x.until])).toEqual([['見本', app.config.clock.today()], ['新姓', null]]);
    const v2 = c.history![1]!;
    expect([v2.kind, v2.label, v2.reasonCode, v2.note, v2.by]).toEqual(['correction', '籍訂正', '01', '婚姻による氏の変更', 'shinsa2']);
    expect(v2.changedItems).toEqual(expect.arrayContaining(['漢字氏名（姓）', 'カナ氏名（姓）', '旧姓', '旧姓フラグ']));
    expect(c.history![0]!.items['漢字氏名（姓）']).toBe('見本'); // the old version is kept as it was
    // The 旧姓 used as 通称 (旧姓通称名フラグ); then an アルファベット氏名 and a 通称 of its own.
    const d = await changeEntry(deps, { qualification: 'kaigofukushishi', number: n, kind: 'rewrite', reasonCode: '02', aliases: { set: [{ kind: '旧姓', 姓: '見本', 通称として使用: true }, { kind: 'アルファベット氏名', 表記: 'SHINSEI TARO' }] }, by: 'shinsa2' });
    expect(d.flags).toEqual({ 旧姓フラグ: true, 通称名フラグ: true, 旧姓通称名フラグ: true });
    expect(d.items).toMatchObject({ アルファベット氏名: 'SHINSEI TARO', 旧姓通称名フラグ: true });
    expect(d.history!.map((v) => v.label)).toEqual(['新規登録', '籍訂正', '書換え交付']);
    // Ending the 旧姓 keeps it with its period.
    const f = await changeEntry(deps, { qualification: 'kaigofukushishi', number: n, kind: 'change', reasonCode: '03', aliases: { end: ['旧姓'] }, by: 'shinsa2' });
    expect(f.flags.旧姓フラグ).toBe(false);
    expect(f.names.filter((x) => x.kind === '旧姓').every((x) => x.until !== null)).toBe(true);
    // A change that changes nothing writes no version.
    const g = await changeEntry(deps, { qualification: 'kaigofukushishi', number: n, kind: 'change', reasonCode: '03', items: { 住所: '鳥取県鳥取市見本町1番地' }, by: 'shinsa2' });
    expect(g.version).toBe(f.version);
    const h = await changeEntry(deps, { qualification: 'kaigofukushishi', number: n, kind: 'change', reasonCode: '04', note: '転居', items: { 住所: '鳥取県米子市見本町2番地', 郵便番号: '683-0000' }, by: 'shinsa3' });
    expect(h.version).toBe(f.version + 1);
    expect(h.history!.at(-1)!.changedItems.slice().sort()).toEqual(['住所', '郵便番号']);
  });

  it('refuses items the register does not have, identifiers and the items kept by the register itself, naming them', async () => {
    const e = await register('yakuzaishi', myNumber());
    await expectProblem(changeEntry(deps, { qualification: 'yakuzaishi', number: e.number, kind: 'change', reasonCode: '01', items: { 好きな色: '青' }, by: 'x' }), { status: 400, code: 'ITEM_UNKNOWN' });
    for (const k of ['個人番号', '登録番号', '姓', '消除年月日']) {
      const p = await changeEntry(deps, { qualification: 'yakuzaishi', number: e.number, kind: 'change', reasonCode: '01', items: { [k]: '1' }, by: 'x' }).catch((x: unknown) => x);
      expect(JSON.stringify(p), k).toContain(`items.${k}`);
    }
    await expectProblem(changeEntry(deps, { qualification: 'yakuzaishi', number: 999999, kind: 'change', reasonCode: '01', items: { 備考: 'x' }, by: 'x' }), { status: 404 });
  });
});

describe('行政処分 (QUA-10)', () => {
  it('a suspension shows in the current status for its period; a revocation for good; the same 発簡番号 twice records one', async () => {
    const clock = app.config.clock;
    const today = clock.today();
    const e = await register('yakuzaishi', myNumber());
    const s = { qualification: 'yakuzaishi', number: e.number, kind: 'suspension', decidedOn: today, code: 'S1', from: today, until: addDaysIso(today, 30), issueNo: '薬生発1121第1号', by: 'shinsa1' };
    const a = await recordDisposition(deps, s);
    expect(a.status).toEqual({ code: 'suspended', label: '業務停止中', until: addDaysIso(today, 30) });
    expect(a.items).toMatchObject({ '行政処分：行政処分年月日': today, '行政処分：行政処分コード': 'S1', '行政処分：行政処分内容（終了期間）': addDaysIso(today, 30), '行政処分：行政処分内容（発簡番号）': '薬生発1121第1号' });
    expect(a.history!.at(-1)!.kind).toBe('disposition');
    const again = await recordDisposition(deps, s);
    expect(again.dispositions).toHaveLength(1);
    expect(again.version).toBe(a.version);
    await expectProblem(recordDisposition(deps, { ...s, issueNo: 'x', until: undefined }), { status: 400 });
    const later = { ...deps, clock: { now: () => new Date(clock.now().getTime() + 40 * 86_400_000), today: () => addDaysIso(today, 40) } } as RegisterDeps;
    const r = await recordDisposition(later, { ...s, kind: 'revocation', until: undefined, code: 'R1', from: addDaysIso(today, 40), decidedOn: addDaysIso(today, 40), issueNo: '薬生発第2号' });
    expect(r.status.code).toBe('revoked');
    expect(r.dispositions.map((d) => d.label)).toEqual(['業務停止', '免許取消']);
  });

  it('介護福祉士: 停止日・停止理由・停止解除日', async () => {
    const today = app.config.clock.today();
    const e = await register('kaigofukushishi', myNumber());
    const a = await recordDisposition(deps, { qualification: 'kaigofukushishi', number: e.number, kind: 'suspension', decidedOn: today, code: 'T1', from: addDaysIso(today, 1), until: addDaysIso(today, 10), issueNo: '社援発第3号', note: '信用失墜行為', by: 'shinsa1' });
    expect(a.status.code).toBe('active'); // not begun yet
    expect(a.items).toMatchObject({ '停止日（年月日）': addDaysIso(today, 1), 停止理由: '信用失墜行為', '停止解除日（年月日）': addDaysIso(today, 10) });
  });
});

describe('抹消 and retention', () => {
  const held = async (tenant: string, qualification: string, number: number) =>
    (await withRegistryTenant(db, tenant, (tx) => sql`SELECT 1 FROM registry.entry_mynumbers WHERE qualification_code = ${qualification} AND registration_no = ${number}`.execute(tx))).rows.length === 1;

  it('QUA-11: 医籍等 and 介護福祉士 — 抹消 is logical: the entry stays, marked 抹消 with date and reason', async () => {
    for (const [tenant, code] of [['mhlw-isei', 'kangoshi'], ['mhlw-shaen', 'kaigofukushishi']] as const) {
      const e = await register(code, myNumber());
      const x = await eraseEntry(deps, { qualification: code, number: e.number, cause: 'request', reasonCode: '10', note: '本人の申請', by: 'shinsa1' });
      expect(x.status.code).toBe('erased');
      expect(x.erasure).toEqual({ on: app.config.clock.today(), cause: 'request', label: '申請による抹消', reasonCode: '10', note: '本人の申請' });
      expect(x.items).toMatchObject(code === 'kangoshi' ? { まっ消年月日: app.config.clock.today(), まっ消理由コード: '10', 'まっ消理由（記事）': '本人の申請', 姓: '見本' } : { '消除日（年月日）': app.config.clock.today(), 消除理由: '本人の申請' });
      expect(x.history!.map((v) => v.kind)).toEqual(['register', 'erasure']);
      expect(x.myNumber.held).toBe(true);
      expect(await held(tenant, code, e.number)).toBe(true);
      // The row is there, and the role cannot delete it.
      await expect(withRegistryTenant(db, tenant, (tx) => sql`DELETE FROM registry.entries WHERE qualification_code = ${code} AND registration_no = ${e.number}`.execute(tx))).rejects.toThrow(/permission denied/);
      // An erased entry takes no further change; erasing again is a no-op.
      await expectProblem(changeEntry(deps, { qualification: code, number: e.number, kind: 'change', reasonCode: '1', items: { 住所: 'x' }, by: 'x' }), { status: 409, code: 'ENTRY_ERASED' });
      expect((await eraseEntry(deps, { qualification: code, number: e.number, cause: 'request', reasonCode: '10', by: 'shinsa1' })).version).toBe(x.version);
    }
  });

  it('QUA-12: 薬剤師 — a living person\'s My Number is physically deleted on loss of the licence, the deceased\'s kept', async () => {
    const living = await register('yakuzaishi', myNumber());
    const l = await eraseEntry(deps, { qualification: 'yakuzaishi', number: living.number, cause: 'disposition', reasonCode: '20', by: 'shinsa1' });
    expect(l.myNumber).toEqual({ held: false, deletedOn: app.config.clock.today() });
    expect(await held('mhlw-iyaku', 'yakuzaishi', living.number)).toBe(false);
    expect(l.history!.at(-1)!.changedItems).toContain('個人番号');
    expect(l.items['消除年月日']).toBe(app.config.clock.today()); // the entry itself stays
    const returned = await register('yakuzaishi', myNumber());
    expect((await eraseEntry(deps, { qualification: 'yakuzaishi', number: returned.number, cause: 'request', reasonCode: '21', note: '免許の返納', by: 'shinsa1' })).myNumber.held).toBe(false);
    const dead = await register('yakuzaishi', myNumber());
    const d = await eraseEntry(deps, { qualification: 'yakuzaishi', number: dead.number, cause: 'death', reasonCode: '30', by: 'shinsa1' });
    expect(d.myNumber).toEqual({ held: true, deletedOn: null });
    expect(d.deceased).toBe(true);
    expect(await held('mhlw-iyaku', 'yakuzaishi', dead.number)).toBe(true);
    await expectProblem(purgeMyNumber(deps, { qualification: 'yakuzaishi', number: dead.number, by: 'x' }), { status: 409, code: 'RETENTION_KEEP' });
  });

  it('QUA-13: 医籍 (医師) is never fully erased — every purge is refused, by the code and by the database', async () => {
    const e = await register('ishi', myNumber());
    const d = await eraseEntry(deps, { qualification: 'ishi', number: e.number, cause: 'death', reasonCode: '30', by: 'shinsa1' });
    expect(d.status.code).toBe('erased');
    expect(d.myNumber.held).toBe(true);
    await expectProblem(purgeMyNumber(deps, { qualification: 'ishi', number: e.number, by: 'x' }), { status: 409, code: 'NEVER_ERASED' });
    const living = await register('ishi', myNumber());
    await eraseEntry(deps, { qualification: 'ishi', number: living.number, cause: 'disposition', reasonCode: '20', by: 'shinsa1' });
    await expectProblem(purgeMyNumber(deps, { qualification: 'ishi', number: living.number, by: 'x' }), { status: 409, code: 'NEVER_ERASED' });
    expect(await held('mhlw-isei', 'ishi', living.number)).toBe(true);
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => sql`DELETE FROM registry.entry_mynumbers WHERE qualification_code = 'ishi' AND registration_no = ${e.number}`.execute(tx))).rejects.toThrow(/never erased/);
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => sql`DELETE FROM registry.entries WHERE qualification_code = 'ishi'`.execute(tx))).rejects.toThrow(/permission denied/);
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => sql`DELETE FROM registry.entry_versions WHERE qualification_code = 'ishi'`.execute(tx))).rejects.toThrow(/permission denied/);
    expect(await held('mhlw-isei', 'ishi', e.number)).toBe(true);
  });

  it('QUA-14: 管理栄養士 keeps everything, My Number included, after loss of the qualification and after death', async () => {
    const living = await register('kanrieiyoshi', myNumber());
    const l = await eraseEntry(deps, { qualification: 'kanrieiyoshi', number: living.number, cause: 'disposition', reasonCode: '20', by: 'shinsa1' });
    expect(l.myNumber.held).toBe(true);
    expect(l.items).toMatchObject({ 理由コード: '20', 理由発生日: app.config.clock.today(), '漢字氏名（姓）': '見本' });
    const dead = await register('kanrieiyoshi', myNumber());
    expect((await eraseEntry(deps, { qualification: 'kanrieiyoshi', number: dead.number, cause: 'death', reasonCode: '30', by: 'shinsa1' })).myNumber.held).toBe(true);
    await expectProblem(purgeMyNumber(deps, { qualification: 'kanrieiyoshi', number: living.number, by: 'x' }), { status: 409, code: 'RETENTION_KEEP' });
    expect(await held('mhlw-kenko', 'kanrieiyoshi', living.number)).toBe(true);
    expect(await held('mhlw-kenko', 'kanrieiyoshi', dead.number)).toBe(true);
  });
});

describe('reading', () => {
  it('staff of the administrator read an entry with its history, logged; another administrator\'s or an unknown number → the same 404, logged', async () => {
    const e = await register('josanshi', myNumber());
    const isei = await session('mhlw-isei', 'kango-r', ['kangoshi', 'josanshi']);
    const view = await showEntry(deps, isei, 'josanshi', String(e.number), 'req-1');
    expect(view.number).toBe(e.number);
    expect(view.history).toHaveLength(1);
    const yaku = await session('mhlw-iyaku', 'yaku-r', ['yakuzaishi']);
    await expectProblem(showEntry(deps, yaku, 'josanshi', e.number), { status: 404 });
    const ishiOnly = await session('mhlw-isei', 'ishi-r', ['ishi']);
    await expectProblem(showEntry(deps, ishiOnly, 'josanshi', e.number), { status: 404 });
    await expectProblem(showEntry(deps, isei, 'josanshi', 999999), { status: 404 });
    await expectProblem(showEntry(deps, isei, 'josanshi', 'abc'), { status: 404 });
    const log = await accessLog(db, 'mhlw-isei');
    expect(log.filter((r) => r.targetType === 'entry').map((r) => [r.userId, r.targetId, r.outcome])).toEqual([
      ['kango-r', 'josanshi:abc', 'denied'], ['kango-r', 'josanshi:999999', 'denied'], ['ishi-r', `josanshi:${e.number}`, 'denied'], ['kango-r', `josanshi:${e.number}`, 'ok'],
    ]);
    // The other administrator's refusal is in its own log, not in 医政局's.
    expect((await accessLog(db, 'mhlw-iyaku')).filter((r) => r.targetType === 'entry').map((r) => [r.userId, r.outcome])).toEqual([['yaku-r', 'denied']]);
  });

  it('the staff API answers GET /registry/v1/qualifications/{code}/entries/{number}', async () => {
    const orgs: Organisations = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry' });
    try {
      const e = await register('hokenshi', myNumber());
      const clock = app.config.clock;
      await applyForStaff(db, clock, { tenant: 'mhlw-isei', userId: 'hoken-api', name: '職員', affiliation: 'ministry', affiliationName: '看護課', role: 'viewer', qualifications: ['hokenshi'], reason: '参照', appliedBy: 'chief-mhlw-isei' });
      await approveStaff(db, clock, 'mhlw-isei', 'hoken-api', 'chief-mhlw-isei');
      const t = (await issueStaffToken(db, clock, 'mhlw-isei', 'hoken-api')).token;
      const res = await fetch(`${orgs.nodes[0]!.url}/registry/v1/qualifications/hokenshi/entries/${e.number}`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({ qualification: 'hokenshi', number: e.number, status: { code: 'active' } });
      expect(findMyNumbers(body)).toEqual([]);
      const other = await fetch(`${orgs.nodes[0]!.url}/registry/v1/qualifications/ishi/entries/1`, { headers: { authorization: `Bearer ${t}` } });
      expect(other.status).toBe(404);
    } finally {
      await orgs.close();
    }
  }, 60_000);

  it('no My Number in clear in any registry table, view or history', async () => {
    const text = await allRegistryText();
    expect(findMyNumbers(text)).toEqual([]);
    for (const n of numbers) expect(text).not.toContain(n);
    const views = await withRegistryTenant(db, 'mhlw-isei', (tx) => sql<{ registration_no: number }>`SELECT registration_no FROM registry.entries WHERE qualification_code = 'ishi'`.execute(tx));
    const isei = await session('mhlw-isei', 'scan-r', ['ishi']);
    for (const r of views.rows) {
      const v = JSON.stringify(await showEntry(deps, isei, 'ishi', r.registration_no));
      expect(findMyNumbers(v)).toEqual([]);
      for (const n of numbers) expect(v).not.toContain(n);
    }
  });
});
