// 償還払い (issue 14; VAX-33, RES-20; decisions 0159, 0160): persons' bank accounts validated with the billing
// validators (bad bank/branch codes and kana names refused and named, nothing written), the tenant's 任意接種
// subsidy programs as data, an application from the counter and an electronic one (idempotent on its ref),
// the examination against the program and the ledger (dose recorded, age and residence on the vaccination
// date, the same dose not reimbursed twice), approval by another official, the payment in a payment batch
// (built twice, or twice at once: nothing paid twice) and the 総合振込 file compared byte by byte with the
// layout of docs/formats/zengin-transfer.md.
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord, saveScheduleConfig } from '../../src/municipality/records/index.js';
import { createPaymentBatch, getPaymentBatch, paymentFile, setRequester } from '../../src/municipality/billing/index.js';
import {
  approveReimbursement, createReimbursementApplication, examineReimbursement, listReimbursements, personAccounts, rejectReimbursement, setPersonAccount, setSubsidyProgram,
} from '../../src/municipality/reimburse/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { person, writeCsv } from '../harness/residents.js';
import { ROOT } from '../harness/paths.js';
import { PageClient, startWeb, visibleText } from '../harness/web.js';
import { readFileSync } from 'node:fs';

const CONFIG = join(ROOT, 'docs/formats/examples/schedule-municipal-config.json');
const ACCOUNT = { bankCode: '0168', bankKana: 'トットリギンコウ', branchCode: '101', branchKana: 'ほんてん', accountType: '普通', accountNo: '7654321', holderKana: 'ヤマダ　ハナコ' };

describe('償還払い: application → examination → approval → payment batch → 総合振込 file', () => {
  let app: TestApp;
  let examiner: Principal;
  let approver: Principal;
  let viewer: Principal;
  let atenas: string[];
  let passwords: Record<string, string>;
  const count = async (table: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(`municipality.${table}`)}`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const chief = (await staff(app, TOTTORI, { login: 'vax-chief', role: 'supervisor', duties: ['vaccination'] })).principal;
    const ex = await staff(app, TOTTORI, { login: 'examiner', duties: ['vaccination'] });
    const ap = await staff(app, TOTTORI, { login: 'approver', duties: ['vaccination'] });
    examiner = ex.principal;
    approver = ap.principal;
    passwords = { examiner: ex.password, approver: ap.password };
    viewer = (await staff(app, TOTTORI, { login: 'viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    const born = { 生年月日: '20240510', 住民となった日: '20240510', 最新異動日: '20240510' };
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(app.tmp, 'p.csv'), 'full', [person(1, born), person(2, born), person(3, { 生年月日: '20100401', 住民となった日: '20100401', 最新異動日: '20100401' }), person(4, born), person(5, { 生年月日: '20240510', 住民となった日: '20261015', 最新異動日: '20261015', 最新異動区分: '01' /* 転入 after the vaccination */ })]) });
    atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY atena_no`.execute(app.db.system)).rows.map((r) => r.atena_no);
    await runAs(app.db, chief, (w) => saveScheduleConfig(w, JSON.parse(readFileSync(CONFIG, 'utf8')), 'おたふくかぜ助成の開始'));
    for (const i of [0, 1, 2, 3]) {
      await runAs(app.db, examiner, (w) => createRecord(w, atenas[i]!, { product: 'mumps', vaccinatedOn: '2026-10-01', lot: `MU${i}` }, { source: 'counter', acceptProblems: true }));
    }
  }, 120_000);
  afterAll(async () => app?.cleanup());

  it('a person account: bad bank and branch codes and kana names outside the 全銀 set are refused and named; good input is stored in 全銀 characters', async () => {
    const bad = await expectProblem(runAs(app.db, examiner, (w) => setPersonAccount(w, { ...ACCOUNT, atenaNo: atenas[0], purpose: 'refund', bankCode: '16A', branchCode: '1０', holderKana: '山田　花子' })), { status: 400 });
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['bankCode', 'branchCode', 'holderKana']);
    expect(bad.errors.find((e) => e.field === 'holderKana')!.message).toContain('山田花');
    await expectProblem(runAs(app.db, examiner, (w) => setPersonAccount(w, { ...ACCOUNT, atenaNo: atenas[0], purpose: 'refund', bankCode: '0000' })), { status: 400, field: 'bankCode', code: 'BANK_CODE_INVALID' });
    await expectProblem(runAs(app.db, examiner, (w) => setPersonAccount(w, { ...ACCOUNT, atenaNo: atenas[0], purpose: 'refund', holderKana: 'ヤマダ㈱' })), { status: 400, field: 'holderKana', code: 'ZENGIN_KANA' });
    await expectProblem(runAs(app.db, viewer, (w) => setPersonAccount(w, { ...ACCOUNT, atenaNo: atenas[0], purpose: 'refund' })), { status: 403 });
    expect(await count('person_accounts')).toBe(0);
    const a = await runAs(app.db, examiner, (w) => setPersonAccount(w, { ...ACCOUNT, atenaNo: atenas[0], purpose: 'refund' }));
    expect(a).toMatchObject({ bankCode: '0168', bankKana: 'ﾄﾂﾄﾘｷﾞﾝｺｳ', branchCode: '101', branchKana: 'ﾎﾝﾃﾝ', accountType: '1', accountNo: '7654321', holderKana: 'ﾔﾏﾀﾞ ﾊﾅｺ', source: 'application' });
    expect(await runAs(app.db, viewer, (w) => personAccounts(w, atenas[0]!))).toHaveLength(1);
  });

  it('subsidy programs are data per tenant: a program of the catalog, ages, conditions, amount, period', async () => {
    await expectProblem(runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'x', name: 'x', program: 'no-such', minAge: 1, amountKind: 'fixed', amount: 1000, validFrom: '2026-04-01' })), { status: 400, field: 'program' });
    await expectProblem(runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'x', name: 'x', program: 'mumps-subsidy', minAge: 5, maxAge: 1, amountKind: 'fixed', amount: 1000, validFrom: '2026-04-01', validUntil: '2026-03-01' })), { status: 400, field: 'maxAge' });
    const p = await runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'mumps-2026', name: 'おたふくかぜ予防接種費用助成（令和8年度）', program: 'mumps-subsidy', minAge: '1', maxAge: '5', residentsOnly: 'on', amountKind: 'up-to-cost', amount: '４，０００', validFrom: '2026-04-01', validUntil: '2027-03-31' }));
    expect(p).toMatchObject({ amount: 4000, minAge: 1, maxAge: 5, residentsOnly: true, conditions: [] });
  });

  const ids: Record<string, string> = {};
  it('applications: refused and named when the receipt or account is wrong (nothing written); an electronic one is idempotent on its ref', async () => {
    const bad = await expectProblem(
      runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: atenas[1], subsidyCode: 'mumps-2026', receipt: { clinicName: '鳥取こどもクリニック', vaccinatedOn: '2026-10-01', amountPaid: '0' }, account: { ...ACCOUNT, branchCode: '12', holderKana: '鈴木' } })),
      { status: 400 },
    );
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['account.branchCode', 'account.holderKana', 'receipt.amountPaid']);
    expect(await count('reimbursements')).toBe(0);
    await expectProblem(runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: '9999999999', subsidyCode: 'mumps-2026', receipt: { clinicName: 'x', vaccinatedOn: '2026-10-01', amountPaid: 100 } })), { status: 400, field: 'atenaNo' });
    const counter = { atenaNo: atenas[0], subsidyCode: 'mumps-2026', receipt: { clinicName: '鳥取こどもクリニック', institutionCode: '0110113719', vaccinatedOn: '2026-10-01', amountPaid: '6,000' } };
    const a = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, counter));
    expect(a).toMatchObject({ status: 'received', created: true });
    ids['a'] = a.id;
    // As e-apply hands it over: the vaccine's program, not the subsidy program (resolved by the vaccination date).
    const e1 = { atenaNo: atenas[1], program: 'mumps-subsidy', channel: 'electronic', externalRef: 'EAPPLY-0001', receipt: { clinicName: '鳥取内科医院', vaccinatedOn: '2026-10-01', amountPaid: 3500 }, account: { ...ACCOUNT, holderKana: 'スズキ　イチロウ' } };
    const b = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, e1));
    const again = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, e1));
    expect(again).toEqual({ id: b.id, no: b.no, status: 'received', created: false });
    ids['b'] = b.id;
    await expectProblem(runAs(app.db, examiner, (w) => createReimbursementApplication(w, { ...e1, externalRef: undefined })), { status: 400, field: 'externalRef' });
    await expectProblem(runAs(app.db, examiner, (w) => createReimbursementApplication(w, { ...e1, externalRef: 'EAPPLY-0002', receipt: { ...e1.receipt, vaccinatedOn: '2026-03-01' } })), { status: 400, code: 'SUBSIDY_NONE', field: 'program' });
    ids['old'] = (await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { ...counter, atenaNo: atenas[2] }))).id; // 16 years old
    ids['norec'] = (await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { ...counter, atenaNo: atenas[3], receipt: { ...counter.receipt, vaccinatedOn: '2026-09-15' } }))).id;
    ids['dup'] = (await runAs(app.db, examiner, (w) => createReimbursementApplication(w, counter))).id;
    expect(await count('reimbursements')).toBe(5);
    expect(await count('person_accounts')).toBe(2);
  });

  it('examination: amount up to the ceiling, never more than paid; age, ledger record and a second claim for the same dose each refused with the reason', async () => {
    const a = await runAs(app.db, examiner, (w) => examineReimbursement(w, ids['a']!));
    expect(a).toMatchObject({ eligible: true, decidedAmount: 4000, recordId: expect.any(String) });
    expect((await runAs(app.db, examiner, (w) => examineReimbursement(w, ids['b']!))).decidedAmount).toBe(3500);
    const old = await runAs(app.db, examiner, (w) => examineReimbursement(w, ids['old']!));
    expect(old).toMatchObject({ eligible: false, decidedAmount: 0 });
    expect(old.checks.find((c) => !c.ok)).toMatchObject({ item: '年齢', detail: '接種日に16歳（対象は1歳から5歳まで）' });
    const norec = await runAs(app.db, examiner, (w) => examineReimbursement(w, ids['norec']!));
    expect(norec.checks.filter((c) => !c.ok).map((c) => c.item)).toEqual(['接種記録']);
    const dup = await runAs(app.db, examiner, (w) => examineReimbursement(w, ids['dup']!));
    expect(dup.checks.filter((c) => !c.ok).map((c) => c.item)).toEqual(['重複']);
    const list = await runAs(app.db, viewer, (w) => listReimbursements(w, { pageSize: 2 }));
    expect(list.total).toBe(5);
    expect(list.rows).toHaveLength(2);
    expect(list.totals).toEqual({ amountPaid: 6000 + 3500 + 6000 + 6000 + 6000, decidedAmount: 7500, paidAmount: 0 });
    expect(list.rows.find((r) => r.id === ids['dup'])!.reason).toContain('助成対象外');
    expect(findMyNumbers(JSON.stringify(list))).toEqual([]);
  });

  it('examination: not a resident on the vaccination date (moved in later) and conditions not confirmed are each named; confirmed conditions pass', async () => {
    await runAs(app.db, examiner, (w) => createRecord(w, atenas[4]!, { product: 'mumps', vaccinatedOn: '2026-10-01', lot: 'MU5' }, { source: 'counter', acceptProblems: true }));
    const moved = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: atenas[4], subsidyCode: 'mumps-2026', receipt: { clinicName: 'x', vaccinatedOn: '2026-10-01', amountPaid: 5000 } }));
    const m = await runAs(app.db, examiner, (w) => examineReimbursement(w, moved.id));
    expect(m.checks.filter((c) => !c.ok)).toEqual([{ item: '住所', ok: false, detail: '接種日に住民ではありませんでした' }]);
    await runAs(app.db, examiner, (w) => rejectReimbursement(w, moved.id, { reason: '接種日に市外に住所' }));
    await runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'mumps-cond', name: '条件付き助成', program: 'mumps-subsidy', minAge: 0, residentsOnly: 'false', conditions: '母子健康手帳で接種歴を確認\n領収書の原本を確認', amountKind: 'fixed', amount: 1000, validFrom: '2026-04-01' }));
    const c = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: atenas[4], subsidyCode: 'mumps-cond', receipt: { clinicName: 'x', vaccinatedOn: '2026-10-01', amountPaid: 5000 } }));
    const no = await runAs(app.db, examiner, (w) => examineReimbursement(w, c.id));
    expect(no.checks.filter((x) => !x.ok).map((x) => x.item)).toEqual(['助成の条件']);
    const yes = await runAs(app.db, examiner, (w) => examineReimbursement(w, c.id, { conditionsConfirmed: 'on', note: '原本確認済み' }));
    expect(yes).toMatchObject({ eligible: true, decidedAmount: 1000 });
    await runAs(app.db, examiner, (w) => rejectReimbursement(w, c.id, { reason: '申請の取下げ' }));
  });

  it('approval by another official than the examiner; an ineligible application cannot be approved, it is rejected', async () => {
    await expectProblem(runAs(app.db, examiner, (w) => approveReimbursement(w, ids['a']!)), { status: 403 });
    await expectProblem(runAs(app.db, viewer, (w) => approveReimbursement(w, ids['a']!)), { status: 403 });
    await expectProblem(runAs(app.db, approver, (w) => approveReimbursement(w, ids['old']!)), { status: 409, code: 'REIMBURSEMENT_INELIGIBLE' });
    expect((await runAs(app.db, approver, (w) => approveReimbursement(w, ids['a']!))).status).toBe('approved');
    await expectProblem(runAs(app.db, approver, (w) => approveReimbursement(w, ids['a']!)), { status: 409, code: 'REIMBURSEMENT_STATE' });
    await expectProblem(runAs(app.db, approver, (w) => examineReimbursement(w, ids['a']!)), { status: 409 });
    expect((await runAs(app.db, approver, (w) => rejectReimbursement(w, ids['old']!, { reason: '対象年齢外' }))).status).toBe('rejected');
    expect((await runAs(app.db, approver, (w) => approveReimbursement(w, ids['b']!))).status).toBe('approved');
  });

  let batch: string;
  it('two payment batches at once and a batch built again pay each approved application once', async () => {
    const make = () => runAs(app.db, examiner, (w) => createPaymentBatch(w, null, { reimbursements: true, transferDate: '2026-11-30' }));
    const results = await Promise.allSettled([make(), make()]);
    const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof make>>> => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect(ok[0]!.value).toMatchObject({ payments: 2, amount: 7500 });
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 409, code: 'NOTHING_TO_PAY' });
    batch = ok[0]!.value.batch;
    await expectProblem(make(), { status: 409, code: 'NOTHING_TO_PAY' });
    expect(await count('person_payments')).toBe(2);
    const paid = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM municipality.reimbursements GROUP BY status ORDER BY status`.execute(app.db.system);
    expect(paid.rows).toEqual([{ status: 'examined', n: 2 }, { status: 'paid', n: 2 }, { status: 'rejected', n: 3 }]);
    // A month and no reimbursements: nothing of the persons is touched.
    await expectProblem(runAs(app.db, examiner, (w) => createPaymentBatch(w, null)), { status: 400, field: 'month' });
    const got = await runAs(app.db, viewer, (w) => getPaymentBatch(w, batch));
    expect(got!.batch).toMatchObject({ month: null, payments: 2, amount: 7500 });
    expect(got!.persons.map((p) => [p.amount, p.account.holderKana])).toEqual([[4000, 'ﾔﾏﾀﾞ ﾊﾅｺ'], [3500, 'ｽｽﾞｷ ｲﾁﾛｳ']]);
  });

  it('a person without a refund account: the batch is refused naming the application, nothing paid', async () => {
    await runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'mumps-old', name: '旧助成', program: 'mumps-subsidy', minAge: 0, amountKind: 'fixed', amount: 2000, validFrom: '2026-04-01' }));
    const c = await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: atenas[3], subsidyCode: 'mumps-old', receipt: { clinicName: 'x', vaccinatedOn: '2026-10-01', amountPaid: 5000 } }));
    expect((await runAs(app.db, examiner, (w) => examineReimbursement(w, c.id))).decidedAmount).toBe(2000);
    await runAs(app.db, approver, (w) => approveReimbursement(w, c.id));
    const p = await expectProblem(runAs(app.db, examiner, (w) => createPaymentBatch(w, null, { reimbursements: true })), { status: 409, field: `persons.${c.no}` });
    expect(p.detail).toContain(`申請番号 ${c.no}`);
    expect(await count('person_payments')).toBe(2);
  });

  it('the 総合振込 file equals the layout byte by byte: header, one data record per person (申請番号 as 顧客コード1), trailer totals, end; 120 bytes + CRLF, 全銀 code set', async () => {
    await runAs(app.db, examiner, (w) => setRequester(w, { requesterCode: '3120110001', requesterKana: 'ﾄﾂﾄﾘｼ', bankCode: '0168', bankKana: 'ﾄﾂﾄﾘｷﾞﾝｺｳ', branchCode: '001', branchKana: 'ﾎﾝﾃﾝ', accountType: '1', accountNo: '1234567' }));
    const got = (await runAs(app.db, viewer, (w) => getPaymentBatch(w, batch)))!;
    const f = await runAs(app.db, examiner, (w) => paymentFile(w, batch));
    const sp = (n: number) => ' '.repeat(n);
    const pad = (s: string, n: number) => s + sp(n - s.length);
    const [p1, p2] = got.persons as [(typeof got.persons)[number], (typeof got.persons)[number]];
    const expected = [
      '1' + '21' + '0' + '3120110001' + pad('ﾄﾂﾄﾘｼ', 40) + '1130' + '0168' + pad('ﾄﾂﾄﾘｷﾞﾝｺｳ', 15) + '001' + pad('ﾎﾝﾃﾝ', 15) + '1' + '1234567' + sp(17),
      '2' + '0168' + pad('ﾄﾂﾄﾘｷﾞﾝｺｳ', 15) + '101' + pad('ﾎﾝﾃﾝ', 15) + sp(4) + '1' + '7654321' + pad('ﾔﾏﾀﾞ ﾊﾅｺ', 30) + '0000004000' + '0' + p1.no.padStart(10, '0') + sp(10) + '7' + ' ' + sp(7),
      '2' + '0168' + pad('ﾄﾂﾄﾘｷﾞﾝｺｳ', 15) + '101' + pad('ﾎﾝﾃﾝ', 15) + sp(4) + '1' + '7654321' + pad('ｽｽﾞｷ ｲﾁﾛｳ', 30) + '0000003500' + '0' + p2.no.padStart(10, '0') + sp(10) + '7' + ' ' + sp(7),
      '8' + '000002' + '000000007500' + sp(101),
      '9' + sp(119),
    ];
    for (const r of expected) expect(r.length).toBe(120);
    const bytes = Buffer.concat(expected.map((r) => Buffer.concat([iconv.encode(r, 'Shift_JIS'), Buffer.from([0x0d, 0x0a])])));
    expect(f.content.length).toBe(5 * 122);
    expect(f.content.equals(bytes)).toBe(true);
    // Every byte is in the 全銀 code set (JIS X 0201: digits, upper case, space, the symbols, 半角カナ A6–DF) or CR LF.
    const allowed = new Set([0x0d, 0x0a, 0x20, 0x28, 0x29, 0x2c, 0x2d, 0x2e, 0x2f, 0x5c, 0xa2, 0xa3]);
    for (let c = 0x30; c <= 0x39; c++) allowed.add(c);
    for (let c = 0x41; c <= 0x5a; c++) allowed.add(c);
    for (let c = 0xa6; c <= 0xdf; c++) allowed.add(c);
    expect([...f.content].filter((b) => !allowed.has(b))).toEqual([]);
    // Small kana and ｰ never reach the file (ｧ-ｯ = A7–AF, ｰ = B0 are converted on entry).
    expect([...f.content].filter((b) => (b >= 0xa7 && b <= 0xb0))).toEqual([]);
  });

  it('a stored person account outside the 全銀 set (changed by hand) → no file, the application and field named', async () => {
    await sql`UPDATE municipality.person_payments SET holder_kana = '鈴木ｲﾁﾛｳ', branch_code = '1X1' WHERE reimbursement_id = ${ids['b']!}::uuid`.execute(app.db.system);
    const no = (await runAs(app.db, viewer, (w) => getPaymentBatch(w, batch)))!.persons.find((p) => p.reimbursementId === ids['b'])!.no;
    const p = await expectProblem(runAs(app.db, examiner, (w) => paymentFile(w, batch)), { status: 422, code: 'TRANSFER_DATA_INVALID' });
    expect(p.errors.map((e) => e.field).sort()).toEqual([`persons.${no}.branchCode`, `persons.${no}.holderKana`]);
    expect(p.detail).toContain(`申請番号 ${no}`);
    expect(p.detail).toContain('鈴木');
  });

  it('the staff screens: counter entry (bad account refused and named), list with totals, examination, approval by the other official, the batch and the file download', async () => {
    await runAs(app.db, examiner, (w) => createRecord(w, atenas[0]!, { product: 'mumps', vaccinatedOn: '2026-11-01', lot: 'MU9' }, { source: 'counter', acceptProblems: true }));
    const web = await startWeb(app);
    try {
      const ex = new PageClient(web.url);
      await ex.login(TOTTORI, 'examiner', passwords['examiner']!);
      expect((await ex.get('/')).text).toContain('href="/reimbursements"');
      const form = await ex.get('/reimbursements/new');
      expect(form.status).toBe(200);
      const entry = { _csrf: PageClient.csrf(form.text), atenaNo: atenas[0]!, subsidyCode: 'mumps-2026', receivedOn: '2026-11-20', 'receipt.clinicName': '鳥取こどもクリニック', 'receipt.vaccinatedOn': '2026-11-01', 'receipt.amountPaid': '５，０００' };
      const bad = await ex.post('/reimbursements', { ...entry, 'account.bankCode': '01６', 'account.branchCode': '101', 'account.accountNo': '7654321', 'account.holderKana': '山田ハナコ' });
      expect(bad.status).toBe(400);
      expect(visibleText(bad.text)).toContain('金融機関コードは4桁の数字です');
      expect(visibleText(bad.text)).toContain('口座名義（カナ）に振込で使えない文字があります（山田）');
      const ok = await ex.post('/reimbursements', entry);
      expect(ok.status).toBe(302);
      const id = /\/reimbursements\/([0-9a-f-]{36})/.exec(ok.location!)![1]!;
      const detail = await ex.get(`/reimbursements/${id}`);
      expect(visibleText(detail.text)).toContain('令和8年11月1日');
      const examined = await ex.post(`/reimbursements/${id}/examine`, { _csrf: PageClient.csrf(detail.text), note: '領収書原本確認' });
      expect(examined.status).toBe(302);
      const after = visibleText((await ex.get(`/reimbursements/${id}`)).text);
      expect(after).toContain('助成対象');
      expect(after).toContain('4,000円');
      expect(after).toContain('審査した職員とは別の職員が承認します');
      const list = visibleText((await ex.get('/reimbursements?status=examined')).text);
      expect(list).toMatch(/申請（審査済み 全3件）/);
      expect((await ex.get('/reimbursements?status=nope')).status).toBe(400);
      // The application without an account (mumps-old): its account through the form, a bad kana first.
      const accPage = await ex.get(`/person-accounts?atenaNo=${atenas[3]!}`);
      const acc = { _csrf: PageClient.csrf(accPage.text), atenaNo: atenas[3]!, purpose: 'refund', source: 'application', bankCode: '0005', branchCode: '210', accountType: '1', accountNo: '1234567' };
      const badAcc = await ex.post('/person-accounts', { ...acc, holderKana: 'サトウ★' });
      expect(badAcc.status).toBe(400);
      expect(visibleText(badAcc.text)).toContain('口座名義（カナ）に振込で使えない文字があります（★）');
      expect((await ex.post('/person-accounts', { ...acc, holderKana: 'サトウ　ジロウ' })).status).toBe(302);
      const ap = new PageClient(web.url);
      await ap.login(TOTTORI, 'approver', passwords['approver']!);
      const apPage = await ap.get(`/reimbursements/${id}`);
      expect(apPage.text).toContain(`/reimbursements/${id}/approve`);
      expect((await ap.post(`/reimbursements/${id}/approve`, { _csrf: PageClient.csrf(apPage.text) })).status).toBe(302);
      const pays = await ap.get('/payments');
      expect(visibleText(pays.text)).toContain('承認済みの償還払い 2件（6,000円）も支払う');
      const made = await ap.post('/payments', { _csrf: PageClient.csrf(pays.text), month: '', reimbursements: 'on', transferDate: '2026-12-01' });
      expect(made.status).toBe(302);
      const batchPage = await ap.get(made.location!);
      expect(visibleText(batchPage.text)).toMatch(/償還払い（全2件）/);
      const file = await ap.get(`${made.location!}/file`);
      expect(file.status).toBe(200);
      expect(file.res.headers.get('content-disposition')).toContain('attachment');
      expect(Number(file.res.headers.get('content-length'))).toBe(5 * 122); // header, 2 persons, trailer, end
      const again = await ap.post('/payments', { _csrf: PageClient.csrf(pays.text), month: '', reimbursements: 'on', transferDate: '2026-12-01' });
      expect(again.status).toBe(302);
      expect(again.location).toBe('/payments');
      expect(await count('person_payments')).toBe(4);
      for (const path of ['/reimbursements', `/reimbursements/${id}`, '/subsidies', `/person-accounts?atenaNo=${atenas[3]!}`, made.location!]) {
        const pg = await ap.get(path);
        expect(pg.status).toBe(200);
        expect(findMyNumbers(pg.text)).toEqual([]);
        expect(visibleText(pg.text)).not.toMatch(/mumps-subsidy|up-to-cost|refund|koukin/);
      }
    } finally {
      await web.close();
    }
  });
});
