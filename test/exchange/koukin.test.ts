// 公金受取口座 obtained through the exchange (issue 14; VAX-33, RES-20; decisions 0163, 0164), every
// organisation real on its own loopback port: 鳥取市 asks デジタル庁's 公金受取口座登録システム through its
// 中間サーバー and the 情報提供ネットワークシステム, by 符号 and under a 情報提供許可証.  Not registered →
// nothing stored; registered → stored as the person's refund account (source 公金受取口座) and paid in a
// payment batch whose 全銀 file carries it; an account the 全銀 file cannot carry → refused with the field
// named, nothing stored; no consent → refused; the inquiry is in the resident's 情報提供等記録 and no message
// log carries a My Number; the provider down → a clean failure, nothing stored.
import iconv from 'iconv-lite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koukinDeps, messageLogOf, seedDemoKoukin } from '../../src/app/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { createRecord, saveScheduleConfig } from '../../src/municipality/records/index.js';
import { createPaymentBatch, getPaymentBatch, paymentFile, setRequester } from '../../src/municipality/billing/index.js';
import { personDataUse } from '../../src/municipality/exchange/index.js';
import { decideBenefit, getCase, orderToPublicFundsAccount, receiveApplication, recordCommittee, recordDecision, reportToState } from '../../src/municipality/relief/index.js';
import {
  approveReimbursement, createReimbursementApplication, examineReimbursement, obtainPublicFundsAccount, personAccounts, setSubsidyProgram,
} from '../../src/municipality/reimburse/index.js';
import { listProvisions, purgeKoukin, registerAccount, PROVISION_YEARS, type KoukinDeps } from '../../src/peers/koukin/index.js';
import { EDOGAWA, staff, TOTTORI } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { mn, person } from '../harness/residents.js';
import { ROOT } from '../harness/paths.js';
import { PageClient, visibleText } from '../harness/web.js';
import { TEST_TODAY } from '../harness/clock.js';
import { CHILD, moveInWorld, type MoveInWorld } from '../harness/exchange.js';

const CONFIG = join(ROOT, 'docs/formats/examples/schedule-municipal-config.json');
const NEIGHBOUR = CHILD + 1;
const juminhyo = (i: number) => person(i)['住民票コード']!;

let world: MoveInWorld;
let koukin: KoukinDeps;
let examiner: Principal;
let examinerPassword: string;
let approver: Principal;
let auditor: Principal;
let neighbour: string;
let reimbursementId: string;
let mumpsRecord: string;
const accounts = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.person_accounts`.execute(world.app.db.system)).rows[0]!.n);

beforeAll(async () => {
  world = await moveInWorld();
  const { app, orgs } = world;
  koukin = await koukinDeps(app, orgs.directory);
  const chief = (await staff(app, TOTTORI, { login: 'vax-chief', role: 'supervisor', duties: ['vaccination'] })).principal;
  const ex = await staff(app, TOTTORI, { login: 'examiner', duties: ['vaccination'] });
  examiner = ex.principal;
  examinerPassword = ex.password;
  approver = (await staff(app, TOTTORI, { login: 'approver', duties: ['vaccination'] })).principal;
  auditor = (await staff(app, TOTTORI, { login: 'audit-t', role: 'auditor', duties: ['audit-review'] })).principal;
  neighbour = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${TOTTORI} AND juminhyo_code = ${juminhyo(NEIGHBOUR)}`.execute(app.db.system)).rows[0]!.atena_no;
  // A subsidised mumps dose of the neighbour (about 13 months old) and its reimbursement application, with
  // 「公金受取口座を利用する」 ticked and no account written on it.
  await runAs(app.db, chief, (w) => saveScheduleConfig(w, JSON.parse(readFileSync(CONFIG, 'utf8')), 'おたふくかぜ助成'));
  const on = addDaysIso(TEST_TODAY, -5);
  await runAs(app.db, examiner, (w) => setSubsidyProgram(w, { code: 'mumps', name: 'おたふくかぜ予防接種費用助成', program: 'mumps-subsidy', minAge: 1, maxAge: 5, amountKind: 'up-to-cost', amount: 4000, validFrom: addDaysIso(TEST_TODAY, -365) }));
  mumpsRecord = (await runAs(app.db, examiner, (w) => createRecord(w, neighbour, { product: 'mumps', vaccinatedOn: on, lot: 'MU1' }, { source: 'counter', acceptProblems: true }))).id;
  reimbursementId = (await runAs(app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: neighbour, subsidyCode: 'mumps', receipt: { clinicName: '鳥取こどもクリニック', vaccinatedOn: on, amountPaid: '6,000' }, koukinConsent: 'on' }))).id;
  await runAs(app.db, examiner, (w) => setRequester(w, { requesterCode: '3120110001', requesterKana: 'ﾄﾂﾄﾘｼ', bankCode: '0168', bankKana: 'ﾄﾂﾄﾘｷﾞﾝｺｳ', branchCode: '001', branchKana: 'ﾎﾝﾃﾝ', accountType: '1', accountNo: '1234567' }));
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('公金受取口座 through the 情報提供ネットワークシステム', () => {
  it('runs デジタル庁 公金受取口座登録システム as its own organisation', () => {
    expect(world.orgs.nodes.map((n) => n.name)).toContain('koukin');
  });

  it('without the resident\'s consent nothing is asked', async () => {
    await expectProblem(obtainPublicFundsAccount(world.app.db, examiner, world.orgs.municipal, neighbour), { status: 409, code: 'KOUKIN_CONSENT_REQUIRED', field: 'consent' });
    const provisions = await listProvisions(koukin.db);
    expect(provisions).toHaveLength(0);
  });

  it('not registered: 登録なし, nothing stored', async () => {
    const r = await obtainPublicFundsAccount(world.app.db, examiner, world.orgs.municipal, neighbour, { reimbursementId });
    expect(r).toMatchObject({ status: 'none', exchangeId: expect.any(String) });
    expect(await accounts()).toBe(0);
  });

  it('registered: stored as the refund account (source 公金受取口座), then paid in a payment batch whose 全銀 file carries it', async () => {
    const reg = await registerAccount(koukin, { juminhyoCode: juminhyo(NEIGHBOUR), bankCode: '0168', bankName: '鳥取銀行', branchCode: '205', accountType: '1', accountNo: '2468', holderKana: 'イナバ　ハナ', registeredOn: addDaysIso(TEST_TODAY, -200) });
    expect(reg).toMatchObject({ created: true, code: 'acquired' });
    const r = await obtainPublicFundsAccount(world.app.db, examiner, world.orgs.municipal, neighbour, { reimbursementId });
    expect(r.status).toBe('stored');
    if (r.status !== 'stored') return;
    expect(r.legalBasis).toMatch(/公金受取口座登録法/);
    expect(r.registeredOn).toBe(addDaysIso(TEST_TODAY, -200));
    expect(r.account).toMatchObject({ atenaNo: neighbour, purpose: 'refund', source: 'koukin', bankCode: '0168', branchCode: '205', accountType: '1', accountNo: '0002468', holderKana: 'ｲﾅﾊﾞ ﾊﾅ' });
    expect(await runAs(world.app.db, examiner, (w) => personAccounts(w, neighbour))).toHaveLength(1);

    expect((await runAs(world.app.db, examiner, (w) => examineReimbursement(w, reimbursementId))).decidedAmount).toBe(4000);
    await runAs(world.app.db, approver, (w) => approveReimbursement(w, reimbursementId));
    const made = await runAs(world.app.db, examiner, (w) => createPaymentBatch(w, null, { reimbursements: true, transferDate: addDaysIso(TEST_TODAY, 7) }));
    expect(made).toMatchObject({ payments: 1, amount: 4000 });
    const got = (await runAs(world.app.db, examiner, (w) => getPaymentBatch(w, made.batch)))!;
    expect(got.persons.map((p) => [p.amount, p.account.holderKana, p.account.accountNo])).toEqual([[4000, 'ｲﾅﾊﾞ ﾊﾅ', '0002468']]);
    const f = await runAs(world.app.db, examiner, (w) => paymentFile(w, made.batch));
    const data = iconv.decode(f.content, 'Shift_JIS').split('\r\n').filter((l) => l.startsWith('2'));
    expect(data).toHaveLength(1);
    expect(data[0]!.slice(1, 5)).toBe('0168');
    expect(data[0]!.slice(20, 23)).toBe('205');
    expect(data[0]!.slice(42, 43)).toBe('1');
    expect(data[0]!.slice(43, 50)).toBe('0002468');
    expect(data[0]!.slice(50, 80).trimEnd()).toBe('ｲﾅﾊﾞ ﾊﾅ');
    expect(data[0]!.slice(80, 90)).toBe('0000004000');
  });

  it('an account the 全銀 file cannot carry (a name in kanji) is refused with the field named, nothing stored', async () => {
    const moved = world.movedAtena; // the child, now in 江戸川区
    await registerAccount(koukin, { juminhyoCode: juminhyo(CHILD), bankCode: '0005', branchCode: '010', accountType: '1', accountNo: '1357911', holderKana: '鳥取　次郎' });
    const nurse = world.nurseEdogawa;
    const before = await accounts();
    const p = await expectProblem(obtainPublicFundsAccount(world.app.db, nurse, world.orgs.municipal, moved, { staffConfirmed: true }), { status: 422, code: 'KOUKIN_ACCOUNT_UNUSABLE', field: 'account.holderKana' });
    expect(p.detail).toContain('鳥取次郎');
    expect(await accounts()).toBe(before);
    const failed = await sql<{ detail: Record<string, unknown> }>`
      SELECT detail FROM kernel.audit_log WHERE tenant_code = ${EDOGAWA} AND action = 'exchange_inquiry' AND target_type = 'koukin-inquiry' AND outcome = 'failure'`.execute(world.app.db.system);
    expect(failed.rows.map((r) => r.detail['code'])).toContain('KOUKIN_ACCOUNT_UNUSABLE');
    expect(failed.rows.map((r) => r.detail['consent'])).toContain('staff-confirmed');
  });

  it('the inquiries are in the resident\'s 情報提供等記録 (デジタル庁 as provider, the legal basis), and no message log carries a My Number', async () => {
    const use = await personDataUse(world.app.db, auditor, world.orgs.municipal, neighbour);
    expect(use.exchangesUnavailable).toBeNull();
    const rows = use.exchanges.filter((r) => r.provider === 'koukin');
    expect(rows.map((r) => r.status).sort()).toEqual(['none', 'provided']);
    for (const r of rows) {
      expect(r).toMatchObject({ requester: TOTTORI, providerName: '公金受取口座登録システム（デジタル庁）', itemName: '公金受取口座情報' });
      expect(r.legalBasis).toMatch(/公金受取口座登録法第10条/);
    }
    // The provider kept its own record of each provision it was asked for; the first inquiry (before the
    // registration) never reached it: it had no 符号 for the person, so the network answered 'none' itself.
    expect((await listProvisions(koukin.db)).map((p) => p.status)).toEqual(['provided', 'provided']);
    // Both ends logged the same messages, and none of the logs or the provider's tables carries a My Number.
    const numbers = [mn(CHILD), mn(NEIGHBOUR)];
    for (const org of ['municipality', 'chukan-312011', 'network', 'koukin']) {
      const rows2 = (await (await messageLogOf(world.app, org)).list({ limit: 100_000 })).rows;
      const text = JSON.stringify(rows2);
      expect(findMyNumbers(text), org).toEqual([]);
      for (const n of numbers) expect(text).not.toContain(n);
    }
    const sent = (await (await messageLogOf(world.app, 'network')).list({ limit: 100_000 })).rows.filter((r) => r.direction === 'out' && r.peer === 'koukin' && r.service === 'provide' && r.outcome === 'ok');
    const got = (await (await messageLogOf(world.app, 'koukin')).list({ limit: 100_000 })).rows.filter((r) => r.direction === 'in' && r.peer === 'network' && r.service === 'provide' && r.outcome === 'ok');
    expect(sent.length).toBe(2);
    expect(new Set(sent.map((r) => r.digest))).toEqual(new Set(got.map((r) => r.digest)));
    for (const t of ['accounts', 'provisions']) {
      const r = await sql<{ txt: string }>`SELECT coalesce(string_agg(x::text, ' '), '') AS txt FROM ${sql.table(`peers_koukin.${t}`)} x`.execute(world.app.db.system);
      expect(findMyNumbers(r.rows[0]!.txt), t).toEqual([]);
    }
  });

  it('the provider answers the network only, keeps a change with its date, and deletes provision records after 7 years', async () => {
    await expect(world.orgs.municipal.node.call('koukin', 'provide', { code: 'x'.repeat(20) }, { personal: true })).rejects.toMatchObject({ status: 403 });
    const changed = await registerAccount(koukin, { juminhyoCode: juminhyo(CHILD), bankCode: '0005', branchCode: '010', accountType: '1', accountNo: '1357911', holderKana: 'トットリ　ジロウ', registeredOn: addDaysIso(TEST_TODAY, -1) });
    expect(changed).toMatchObject({ created: false, code: 'acquired', account: { holderKana: 'トットリ　ジロウ', changedOn: addDaysIso(TEST_TODAY, -1) } });
    expect(changed.account.registeredOn).not.toBe(changed.account.changedOn);
    const now = koukin.clock.now();
    const inEightYears = new Date(now.getTime() + (PROVISION_YEARS + 1) * 366 * 86_400_000);
    expect(await purgeKoukin(koukin.db, now)).toEqual({ provisions: 0 });
    const kept = (await listProvisions(koukin.db)).length;
    expect(kept).toBeGreaterThan(0);
    await koukin.db.transaction().execute(async (tx) => {
      expect((await purgeKoukin(tx, inEightYears)).provisions).toBe(kept);
      throw new Error('rollback'); // the records stay for the next tests
    }).catch((e: unknown) => expect((e as Error).message).toBe('rollback'));
    expect((await listProvisions(koukin.db)).length).toBe(kept);
  });

  it('the demo registers synthetic accounts for about two in three residents, and a second run changes nothing', async () => {
    const first = await seedDemoKoukin(world.app, world.orgs.directory, EDOGAWA);
    const residents = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.persons WHERE tenant_code = ${EDOGAWA} AND status = 'resident' AND juminhyo_code IS NOT NULL`.execute(world.app.db.system)).rows[0]!.n);
    expect(first.registered + first.without).toBe(residents);
    const before = (await sql<{ txt: string }>`SELECT coalesce(string_agg(x::text, ' ' ORDER BY x.juminhyo_code), '') AS txt FROM peers_koukin.accounts x`.execute(world.app.db.system)).rows[0]!.txt;
    expect(await seedDemoKoukin(world.app, world.orgs.directory, EDOGAWA)).toEqual(first);
    const after = (await sql<{ txt: string }>`SELECT coalesce(string_agg(x::text, ' ' ORDER BY x.juminhyo_code), '') AS txt FROM peers_koukin.accounts x`.execute(world.app.db.system)).rows[0]!.txt;
    expect(after).toBe(before);
  });

  it('the staff screens: 「公金受取口座を照会する」 asks only with the consent confirmed, and says what happened in Japanese', async () => {
    const web = new PageClient(world.webUrl);
    await web.login(TOTTORI, 'examiner', examinerPassword);
    expect(visibleText((await web.get('/reimbursements/new')).text)).toContain('公金受取口座を利用する（申請書で申請者が同意している）');
    const page = await web.get(`/person-accounts?atenaNo=${neighbour}`);
    expect(visibleText(page.text)).toContain('公金受取口座を照会する');
    const csrf = PageClient.csrf(page.text);
    const refused = await web.post('/person-accounts/koukin', { _csrf: csrf, atenaNo: neighbour });
    expect(refused.location).toBe(`/person-accounts?atenaNo=${neighbour}`);
    expect(visibleText((await web.get(refused.location!)).text)).toContain('公金受取口座の利用について本人の同意が確認できません');
    const ok = await web.post('/person-accounts/koukin', { _csrf: csrf, atenaNo: neighbour, staffConfirmed: 'on' });
    const shown = visibleText((await web.get(ok.location!)).text);
    expect(shown).toContain('公金受取口座の登録がありました。還付・償還払い用の口座として登録しました');
    expect(shown).toContain('ｲﾅﾊﾞ ﾊﾅ');
    expect(shown).toContain('公金受取口座'); // the source column
    expect(findMyNumbers(shown)).toEqual([]);
    // On an application whose applicant consented: the button asks without a further confirmation.
    const second = await runAs(world.app.db, examiner, (w) => createReimbursementApplication(w, { atenaNo: neighbour, subsidyCode: 'mumps', receipt: { clinicName: '鳥取こどもクリニック', vaccinatedOn: addDaysIso(TEST_TODAY, -5), amountPaid: 3000 }, koukinConsent: true }));
    const detail = await web.get(`/reimbursements/${second.id}`);
    expect(visibleText(detail.text)).toContain('申請書で「公金受取口座を利用する」に同意があります');
    const asked = await web.post(`/reimbursements/${second.id}/koukin`, { _csrf: PageClient.csrf(detail.text) });
    expect(asked.location).toBe(`/reimbursements/${second.id}`);
    expect(visibleText((await web.get(asked.location!)).text)).toContain('公金受取口座の登録がありました');
  });

  it('relief: a benefit of a case applied for by the person themself is ordered to the 公金受取口座 (事務 relief-or-fee), with the consent confirmed', async () => {
    const { app, orgs } = world;
    const clerk = (await staff(app, TOTTORI, { login: 'relief-clerk', role: 'clerk', duties: ['relief'] })).principal;
    const today = app.config.clock.today();
    const as = <T>(fn: Parameters<typeof runAs<T>>[2]) => runAs(app.db, clerk, fn);
    const c = await as((w) => receiveApplication(w, app.vault, {
      atenaNo: neighbour, appliedOn: today, claimedKinds: ['medical-expenses'], summary: '接種の翌日から高熱があり入院した。',
      applicant: { relation: 'self', name: '因幡　花', kana: 'イナバ　ハナ', address: '鳥取県鳥取市尚徳町116番地' }, myNumber: mn(NEIGHBOUR), idCheck: { method: 'mynumber-card' }, recordIds: [mumpsRecord],
    }));
    await as((w) => recordCommittee(w, c.id, { heldOn: today, members: '山田 太郎、佐藤 一郎', opinion: '因果関係を否定できない。' }));
    await as((w) => reportToState(w, c.id, { reportedOn: today, reference: '鳥保第300号' }));
    await as((w) => recordDecision(w, c.id, { outcome: 'approved', decidedOn: today, reference: '厚生労働省発健第3号', approvedKinds: ['medical-expenses'] }));
    const b = await as((w) => decideBenefit(w, c.id, { kind: 'medical-expenses', periodFrom: addDaysIso(today, -30), periodTo: addDaysIso(today, -1), amount: 52000, decidedOn: today }));
    const order = { benefitId: b.id, payOn: addDaysIso(today, 10) };
    await expectProblem(orderToPublicFundsAccount(app.db, clerk, orgs.municipal, c.id, order), { status: 409, code: 'KOUKIN_CONSENT_REQUIRED' });
    await expectProblem(orderToPublicFundsAccount(app.db, clerk, orgs.municipal, c.id, { ...order, payOn: addDaysIso(today, -1), staffConfirmed: 'on' }), { status: 400, field: 'payOn' });
    await expectProblem(obtainPublicFundsAccount(app.db, clerk, orgs.municipal, neighbour, { staffConfirmed: true }), { status: 403 });
    const r = await orderToPublicFundsAccount(app.db, clerk, orgs.municipal, c.id, { ...order, staffConfirmed: 'on' });
    expect(r).toMatchObject({ status: 'ordered', amount: 52000 });
    const got = (await as((w) => getCase(w, app.vault, c.id)))!;
    expect(got.orders.map((o) => [o.accountSource, o.bankCode, o.branchCode, o.accountNo, o.holderKana, o.amount])).toEqual([['public-receipt', '0168', '205', '0002468', 'ｲﾅﾊﾞ ﾊﾅ', 52000]]);
    const use = await personDataUse(app.db, auditor, orgs.municipal, neighbour);
    expect(use.exchanges.filter((x) => x.provider === 'koukin').map((x) => x.jimuName)).toContain('予防接種法による給付の支給又は実費の徴収に関する事務');
  });

  it('the provider down: 照会できませんでした, a clean failure, nothing stored', async () => {
    const writes = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'person-account' AND action = 'update'`.execute(world.app.db.system)).rows[0]!.n);
    const before = { accounts: await accounts(), writes: await writes() };
    expect(await world.orgs.stop('koukin')).toBe(true);
    const err = await obtainPublicFundsAccount(world.app.db, examiner, world.orgs.municipal, neighbour, { reimbursementId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });
    expect({ accounts: await accounts(), writes: await writes() }).toEqual(before);
    const failed = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND action = 'exchange_inquiry' AND target_type = 'koukin-inquiry' AND outcome = 'failure'`.execute(world.app.db.system);
    expect(failed.rows[0]!.n).toBe(1);
    const web = new PageClient(world.webUrl);
    await web.login(TOTTORI, 'examiner', examinerPassword);
    const page = await web.get(`/person-accounts?atenaNo=${neighbour}`);
    const res = await web.post('/person-accounts/koukin', { _csrf: PageClient.csrf(page.text), atenaNo: neighbour, staffConfirmed: 'on' });
    expect(visibleText((await web.get(res.location!)).text)).toContain('照会できませんでした');
    expect({ accounts: await accounts(), writes: await writes() }).toEqual(before);
  });
});
