// 健康被害救済 (VAX-34; decisions 0161, 0162) on real PostgreSQL: a case from the application (the applicant's
// My Number taken with an ID check, into the vault only) through documents, the information step, the
// 調査委員会, the 進達 and the state's decision to benefits and payment orders read by the payment batch's
// contract; a 予防接種 clerk refused and the refusal logged; steps out of order refused (a benefit before the
// state's decision); no My Number in the case view, the timeline or the log.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import {
  addDocument, addInformation, closeCase, decideBenefit, getCase, linkRecords, listCases, markInformationObtained, markReliefOrders, orderPayment, receiveApplication,
  recordCommittee, recordDecision, reliefPaymentOrders, reportToState, createReliefPaymentBatch, ordersOfBatch,
} from '../../src/municipality/relief/index.js';
import { getPaymentBatch, listPaymentBatches, paymentFile, setRequester } from '../../src/municipality/billing/index.js';
import iconv from 'iconv-lite';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { PageClient, startWeb, visibleText } from '../harness/web.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { LOG_DIR } from '../harness/paths.js';
import { mn, movement, person, writeCsv } from '../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-relief-'));

describe('健康被害救済の事案', () => {
  let app: TestApp;
  let clerk: Principal;
  let nurse: Principal;
  let atenas: string[];
  let recordId: string;
  let today: string;

  const application = (over: Record<string, unknown> = {}) => ({
    atenaNo: atenas[0],
    appliedOn: today,
    claimedKinds: ['medical-expenses', 'medical-allowance'],
    summary: '接種の翌日から高熱と痙攣があり入院した。',
    applicant: { relation: 'guardian', name: '鳥取 花子', kana: 'トットリ ハナコ', address: '鳥取県鳥取市尚徳町116番地', phone: '0857-00-0000' },
    myNumber: mn(1),
    idCheck: { method: 'mynumber-card' },
    recordIds: [],
    ...over,
  });
  const as = <T>(who: Principal, fn: Parameters<typeof runAs<T>>[2]) => runAs(app.db, who, fn);
  const statusOf = async (id: string) => (await sql<{ status: string }>`SELECT status FROM municipality.relief_cases WHERE id = ${id}::uuid`.execute(app.db.system)).rows[0]!.status;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    clerk = (await staff(app, TOTTORI, { login: 'relief-clerk', role: 'clerk', duties: ['relief'] })).principal;
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [1, 2, 3].map((i) => person(i))), kind: 'full' });
    atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY (state->>'juminhyoCode')`.execute(app.db.system)).rows.map((r) => r.atena_no);
    today = app.config.clock.today();
    recordId = (await as(nurse, (w) => createRecord(w, atenas[0]!, { product: 'hib', program: 'hib', dose: 1, vaccinatedOn: '2026-10-05', lot: 'L1' }, { source: 'staff', acceptProblems: true }))).id;
  });
  afterAll(async () => {
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a case from the application to the payment order, every step on the timeline and in the log, no My Number anywhere', async () => {
    const r = await as(clerk, (w) => receiveApplication(w, app.vault, application({ applicant: { relation: 'self', name: '本人', kana: 'ホンニン', address: '鳥取市' }, myNumber: mn(1), recordIds: [recordId] })));
    expect(r.existing).toBe(false);
    // The same submission again writes nothing and finds the first case.
    const again = await as(clerk, (w) => receiveApplication(w, app.vault, application({ applicant: { relation: 'self', name: '本人', kana: 'ホンニン', address: '鳥取市' }, myNumber: mn(1), recordIds: [recordId] })));
    expect(again).toEqual({ ...r, existing: true });
    const id = r.id;
    expect(await statusOf(id)).toBe('received');

    await as(clerk, (w) => addDocument(w, id, { kind: 'medical-certificate', receivedOn: today, handling: 'sealed' }));
    await as(clerk, (w) => addDocument(w, id, { kind: 'receipts', receivedOn: today, handling: 'referenced', reference: '鳥保第123号' }));
    const planned = await as(clerk, (w) => addInformation(w, id, { item: 'resident-tax', providerCode: '131237', note: '所得の状況を照会する' }));
    // 進達 before the committee and with information still to obtain: refused.
    await expectProblem(as(clerk, (w) => reportToState(w, id, { reportedOn: today, reference: '鳥保第200号' })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    await as(clerk, (w) => recordCommittee(w, id, { heldOn: today, members: '山田 太郎、佐藤 一郎、鈴木 次郎', opinion: '接種との因果関係を否定できない。' }));
    expect(await statusOf(id)).toBe('examined');
    await expectProblem(as(clerk, (w) => reportToState(w, id, { reportedOn: today, reference: '鳥保第200号' })), { status: 409, code: 'RELIEF_INFORMATION_PENDING' });
    await as(clerk, (w) => markInformationObtained(w, id, planned.id, { obtainedOn: today }));
    await as(clerk, (w) => reportToState(w, id, { reportedOn: today, reference: '鳥保第200号' }));
    expect(await statusOf(id)).toBe('reported');
    // A benefit before the state's decision: refused, nothing written.
    await expectProblem(as(clerk, (w) => decideBenefit(w, id, { kind: 'medical-expenses', periodFrom: '2026-10-06', periodTo: '2026-10-31', amount: '120,000', decidedOn: today })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    await as(clerk, (w) => recordDecision(w, id, { outcome: 'approved', decidedOn: today, reference: '厚生労働省発健第1号', approvedKinds: ['medical-expenses', 'medical-allowance'] }));
    expect(await statusOf(id)).toBe('approved');
    // A kind the state did not approve: refused.
    await expectProblem(as(clerk, (w) => decideBenefit(w, id, { kind: 'funeral', amount: 200000, decidedOn: today })), { status: 409, code: 'BENEFIT_NOT_APPROVED' });
    const b = await as(clerk, (w) => decideBenefit(w, id, { kind: 'medical-expenses', periodFrom: '2026-10-06', periodTo: '2026-10-31', amount: '１２０，０００', decidedOn: today }));
    await expectProblem(as(clerk, (w) => decideBenefit(w, id, { kind: 'medical-expenses', periodFrom: '2026-10-20', periodTo: '2026-11-05', amount: 1000, decidedOn: today })), { status: 409, code: 'BENEFIT_DUPLICATE' });
    await as(clerk, (w) => decideBenefit(w, id, { kind: 'medical-allowance', periodFrom: '2026-10-01', periodTo: '2026-10-31', amount: 37900, decidedOn: today }));
    expect(await statusOf(id)).toBe('paying');

    const account = { accountSource: 'public-receipt', accountConfirmedOn: today, bankCode: '0001', branchCode: '001', accountType: '普通', accountNo: '1234567', holderKana: 'トットリ ハナコ' };
    await expectProblem(as(clerk, (w) => orderPayment(w, id, { benefitId: b.id, amount: 200000, payOn: today, ...account })), { status: 400, code: 'AMOUNT_OVER_BENEFIT' });
    const o1 = await as(clerk, (w) => orderPayment(w, id, { benefitId: b.id, amount: '100000', payOn: today, ...account }));
    const o2 = await as(clerk, (w) => orderPayment(w, id, { benefitId: b.id, payOn: today, ...account }));
    expect(o2.amount).toBe(20000);
    await expectProblem(as(clerk, (w) => orderPayment(w, id, { benefitId: b.id, payOn: today, ...account })), { status: 409, code: 'BENEFIT_FULLY_ORDERED' });

    // The payment batch's contract: the orders due, with the account in 全銀 kana.
    const due = await as(clerk, (w) => reliefPaymentOrders(w, { payBy: today }));
    expect(due.map((d) => [d.id, d.amount, d.holderKana, d.accountType])).toEqual([[o1.id, 100000, 'ﾄﾂﾄﾘ ﾊﾅｺ', '1'], [o2.id, 20000, 'ﾄﾂﾄﾘ ﾊﾅｺ', '1']].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
    // Closing while payments wait: refused.
    await expectProblem(as(clerk, (w) => closeCase(w, id, 'close', { reason: '支給完了' })), { status: 409, code: 'RELIEF_PAYMENT_PENDING' });
    // The payment (decision 0167): a relief batch of the orders due by the transfer date, its 総合振込 file
    // written by billing's one writer (120-byte Shift_JIS records), the orders paid; made again, nothing.
    await as(nurse, (w) => setRequester(w, { requesterCode: '1234567890', requesterKana: 'ﾄﾂﾄﾘｼ', bankCode: '0001', branchCode: '001', accountType: '1', accountNo: '7654321' }));
    const paid = await as(clerk, (w) => createReliefPaymentBatch(w, { transferDate: today }));
    expect(paid).toMatchObject({ payments: 2, amount: 120000 });
    await expectProblem(as(clerk, (w) => createReliefPaymentBatch(w, { transferDate: today })), { status: 409, code: 'NOTHING_TO_PAY' });
    await expectProblem(as(clerk, (w) => markReliefOrders(w, [o1.id], { status: 'batched', batchId: paid.batch })), { status: 409, code: 'RELIEF_ORDER_STATE' });
    expect(await as(clerk, (w) => reliefPaymentOrders(w, { payBy: today }))).toEqual([]);
    expect((await as(clerk, (w) => ordersOfBatch(w, paid.batch))).map((o) => [o.status, o.paidOn])).toEqual([['paid', today], ['paid', today]]);
    const file = await as(clerk, (w) => paymentFile(w, paid.batch));
    const lines = iconv.decode(file.content, 'Shift_JIS').split('\r\n').slice(0, -1);
    expect(lines.map((x) => x[0])).toEqual(['1', '2', '2', '8', '9']);
    for (const x of lines) expect(iconv.encode(x, 'Shift_JIS').length).toBe(120);
    const caseNo = String((await as(clerk, (w) => getCase(w, app.vault, id)))!.caseNo).padStart(10, '0');
    expect(lines.slice(1, 3).map((d) => [d.slice(1, 5), d.slice(20, 23), d.slice(43, 50), d.slice(50, 80).trimEnd(), Number(d.slice(80, 90)), d.slice(91, 101)]).sort())
      .toEqual([['0001', '001', '1234567', 'ﾄﾂﾄﾘ ﾊﾅｺ', 100000, caseNo], ['0001', '001', '1234567', 'ﾄﾂﾄﾘ ﾊﾅｺ', 20000, caseNo]]);
    expect(findMyNumbers(file.content.toString('latin1'))).toEqual([]);
    // The vaccination duty never sees a relief batch: not in its list, not found, its file refused.
    expect((await as(nurse, (w) => listPaymentBatches(w))).rows.map((b) => b.id)).not.toContain(paid.batch);
    expect(await as(nurse, (w) => getPaymentBatch(w, paid.batch))).toBeNull();
    await expectProblem(as(nurse, (w) => paymentFile(w, paid.batch)), { status: 403, code: 'FORBIDDEN' });

    const view = (await as(clerk, (w) => getCase(w, app.vault, id)))!;
    expect(view.numberCheck).toBe('matches-resident');
    expect(view.myNumberTaken).toBe(true);
    expect(view.idCheck).toMatchObject({ method: 'mynumber-card', by: 'relief-clerk' });
    expect(view.records.map((x) => x.id)).toEqual([recordId]);
    expect(view.documents).toHaveLength(2);
    expect(view.committee[0]!.members).toEqual(['山田 太郎', '佐藤 一郎', '鈴木 次郎']);
    expect(view.benefits.map((x) => [x.kind, x.amount, x.ordered])).toEqual([['medical-expenses', 120000, 120000], ['medical-allowance', 37900, 0]]);
    expect(view.timeline.map((t) => t.step)).toEqual(['receive', 'document', 'document', 'information', 'committee', 'information', 'report', 'decision', 'benefit', 'benefit', 'order', 'order']);
    const list = await as(clerk, (w) => listCases(w, {}));
    expect(list.rows.find((x) => x.id === id)).toMatchObject({ benefitAmount: 157900, orderedAmount: 120000 });
    expect(list.paidAmount).toBeGreaterThanOrEqual(120000);

    // The number is in the vault under the case, and nowhere else.
    const v = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.mynumber_vault WHERE subject_type = 'relief-applicant' AND subject_id = ${id}`.execute(app.db.system);
    expect(v.rows[0]!.n).toBe(1);
    const log = await sql<{ t: string }>`SELECT coalesce(string_agg(row_to_json(a)::text, E'\n'), '') AS t FROM kernel.audit_log a`.execute(app.db.system);
    const tables = await sql<{ t: string }>`SELECT concat_ws(E'\n', (SELECT string_agg(row_to_json(c)::text, E'\n') FROM municipality.relief_cases c),
      (SELECT string_agg(row_to_json(e)::text, E'\n') FROM municipality.relief_events e)) AS t`.execute(app.db.system);
    expect(findMyNumbers(JSON.stringify(view))).toEqual([]);
    expect(findMyNumbers(log.rows[0]!.t)).toEqual([]);
    expect(findMyNumbers(tables.rows[0]!.t)).toEqual([]);
    expect(log.rows[0]!.t).toContain('relief_receive');
    for (const step of ['relief_committee', 'relief_report', 'relief_decision', 'relief_benefit', 'relief_payment_order']) expect(log.rows[0]!.t).toContain(step);

    await as(clerk, (w) => closeCase(w, id, 'close', { reason: '支給完了' }));
    expect(await statusOf(id)).toBe('closed');
    await expectProblem(as(clerk, (w) => addDocument(w, id, { kind: 'other', receivedOn: today, handling: 'sealed', note: '追加の書類' })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
  });

  it('refuses a 予防接種 clerk and logs the refusal', async () => {
    const id = (await as(clerk, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[1], myNumber: mn(2) })))).id;
    await expectProblem(as(nurse, (w) => listCases(w, {})), { status: 403, code: 'FORBIDDEN' });
    await expectProblem(as(nurse, (w) => getCase(w, app.vault, id)), { status: 403, code: 'FORBIDDEN' });
    await expectProblem(as(nurse, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[2], myNumber: mn(3) }))), { status: 403, code: 'FORBIDDEN' });
    await expectProblem(as(nurse, (w) => reliefPaymentOrders(w, { payBy: today })), { status: 403, code: 'FORBIDDEN' });
    const denied = await sql<{ target_type: string; target_id: string | null; outcome: string }>`
      SELECT target_type, target_id, outcome FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login = 'nurse' ORDER BY occurred_at, seq`.execute(app.db.system);
    // The first: the same clerk asking for a relief batch's 総合振込 file in the first case's payment.
    expect(denied.rows.map((d) => [d.target_type, d.target_id])).toEqual([['payment-batch', expect.any(String)], ['relief-cases', null], ['relief-case', id], ['relief-cases', null], ['relief-payment-orders', null]]);
    expect(denied.rows.every((d) => d.outcome === 'denied')).toBe(true);
    // The payment staff (費用・支払) read the due orders for the batch, but not the cases.
    const payer = (await staff(app, TOTTORI, { login: 'payer', role: 'clerk', duties: ['money'] })).principal;
    expect(Array.isArray(await as(payer, (w) => reliefPaymentOrders(w, { payBy: today })))).toBe(true);
    await expectProblem(as(payer, (w) => getCase(w, app.vault, id)), { status: 403, code: 'FORBIDDEN' });
  });

  it('refuses steps out of order, a wrong number and a withdrawn case', async () => {
    // The applicant is the person, but the number is another person's: refused, nothing stored.
    await expectProblem(as(clerk, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[2], applicant: { relation: 'self', name: '本人', kana: 'ホンニン', address: '鳥取市' }, myNumber: mn(1) }))), { status: 400, code: 'MYNUMBER_MISMATCH' });
    const mismatch = await sql<{ outcome: string; subject_ref: string }>`SELECT outcome, subject_ref FROM kernel.audit_log WHERE action = 'relief_receive' AND outcome = 'failure'`.execute(app.db.system);
    expect(mismatch.rows).toEqual([{ outcome: 'failure', subject_ref: `resident:${atenas[2]}` }]);
    expect(await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.mynumber_vault WHERE subject_type = 'relief-applicant'`.execute(app.db.system).then((r) => r.rows[0]!.n)).toBe(2);
    await expectProblem(as(clerk, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[2], myNumber: '123456789012' }))), { status: 400 });
    await expectProblem(as(clerk, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[2], myNumber: mn(3), idCheck: { method: 'other' } }))), { status: 400 });
    const id = (await as(clerk, (w) => receiveApplication(w, app.vault, application({ atenaNo: atenas[2], myNumber: mn(3), claimedKinds: ['funeral'] })))).id;
    // No vaccination record on the case: no committee.
    await expectProblem(as(clerk, (w) => recordCommittee(w, id, { heldOn: today, members: ['山田 太郎'], opinion: '意見' })), { status: 409, code: 'RELIEF_NO_RECORD' });
    await expectProblem(as(clerk, (w) => recordDecision(w, id, { outcome: 'denied', decidedOn: today, reference: '厚労第2号' })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    await expectProblem(as(clerk, (w) => orderPayment(w, id, { benefitId: '00000000-0000-4000-8000-000000000002', payOn: today, accountSource: 'applicant', accountConfirmedOn: today, bankCode: '0001', branchCode: '001', accountType: '1', accountNo: '1234567', holderKana: 'ﾃｽﾄ' })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    await expectProblem(as(clerk, (w) => closeCase(w, id, 'close', { reason: '終わり' })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    // Another person's record cannot be linked.
    await expectProblem(as(clerk, (w) => linkRecords(w, id, { recordIds: [recordId] })), { status: 400, code: 'RECORD_NOT_OF_PERSON' });
    await as(clerk, (w) => closeCase(w, id, 'withdraw', { reason: '申請者から取下書の提出' }));
    expect(await statusOf(id)).toBe('withdrawn');
    await expectProblem(as(clerk, (w) => linkRecords(w, id, { recordIds: [recordId] })), { status: 409, code: 'RELIEF_STEP_OUT_OF_ORDER' });
    const withdrawn = await as(clerk, (w) => listCases(w, { status: 'withdrawn' }));
    expect(withdrawn.rows.map((x) => x.id)).toEqual([id]);
    await expectProblem(as(clerk, (w) => listCases(w, { status: 'nope' })), { status: 400, code: 'INVALID_QUERY' });
  });
  it('screens: the list with totals and paging, the application, the case page with its timeline; no My Number on any page; a 予防接種 clerk refused', async () => {
    const web = await startWeb(app);
    try {
      // The duty is chosen on the account application by its Japanese name.
      const apply = await new PageClient(web.url).get('/apply');
      expect(apply.text).toMatch(/name="requestedDuties" value="relief"[^>]*> 健康被害救済/);
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'relief-clerk', GOOD_PASSWORD);
      expect((await c.get('/')).text).toContain('href="/relief"');
      const form = await c.get(`/relief/new?atenaNo=${atenas[0]}`);
      expect(form.status).toBe(200);
      expect(visibleText(form.text)).toContain('健康被害の原因とされる予防接種');
      expect((await c.get('/relief/new?atenaNo=12345')).status).toBe(400);
      const fields = {
        _csrf: PageClient.csrf(form.text), atenaNo: atenas[0]!, appliedOn: today, claimedKinds: ['death-lump-sum', 'funeral'], summary: '接種後に急変した。', relation: 'bereaved',
        applicantName: '鳥取 一郎', applicantKana: 'トットリ イチロウ', applicantAddress: '鳥取県鳥取市', idMethod: 'mynumber-card', recordIds: [recordId],
      };
      // A wrong number: the form comes back without the number in it.
      const bad = await c.post('/relief', { ...fields, myNumber: '123456789012' });
      expect(bad.status).toBe(400);
      expect(bad.text).not.toContain('123456789012');
      const noName = await c.post('/relief', { ...fields, applicantName: '', myNumber: mn(2) });
      expect(noName.status).toBe(400);
      expect(noName.text).toContain('申請者の氏名を入力してください');
      expect(noName.text).not.toContain(mn(2));
      const made = await c.post('/relief', { ...fields, myNumber: mn(2) });
      expect(made.status).toBe(302);
      const id = /\/relief\/([0-9a-f-]{36})$/.exec(made.location!)![1]!;
      let pageText = (await c.get(`/relief/${id}`)).text;
      expect(visibleText(pageText)).toContain('申請者から取得済み');
      const post = async (path: string, body: Record<string, string | string[]>) => {
        const r = await c.post(`/relief/${id}/${path}`, { _csrf: PageClient.csrf(pageText), ...body });
        expect(r.status).toBe(302);
        pageText = (await c.get(`/relief/${id}`)).text;
        return visibleText(pageText);
      };
      // A benefit before the state's decision: refused with the reason on the page.
      expect(await post('benefits', { kind: 'funeral', amount: '212000', decidedOn: today })).toContain('最終決定は国が行います');
      await post('documents', { kind: 'death-certificate', receivedOn: today, handling: 'sealed' });
      await post('committee', { heldOn: today, members: '山田 太郎、佐藤 一郎', opinion: '因果関係を否定できない。' });
      await post('report', { reportedOn: today, reference: '鳥保第300号' });
      await post('decision', { outcome: 'approved', decidedOn: today, reference: '厚生労働省発健第3号', approvedKinds: ['death-lump-sum', 'funeral'] });
      await post('benefits', { kind: 'funeral', amount: '２１２，０００', decidedOn: today });
      const benefitId = /name="benefitId"[^>]*>\s*<option value="([0-9a-f-]{36})"/.exec(pageText)![1]!;
      const text = await post('orders', { benefitId, payOn: today, accountSource: 'applicant', accountConfirmedOn: today, bankCode: '0001', branchCode: '001', accountType: '1', accountNo: '7654321', holderKana: 'トットリ イチロウ' });
      expect(text).toContain('212,000円');
      expect(text).toContain('葬祭料');
      expect(text).toContain('給付中');
      for (const step of ['申請の受付', '書類の受付', '予防接種健康被害調査委員会の記録', '国への進達', '国の判定の記録', '給付の決定', '支払指示']) expect(text).toContain(step);
      // 給付の支払: the batch of the orders due, its page and its 総合振込 file (decision 0167).
      const pay = await c.get('/relief/payments');
      expect(visibleText(pay.text)).toMatch(/支払指示：\s*1件（212,000円）/);
      const made2 = await c.post('/relief/payments', { _csrf: PageClient.csrf(pay.text), transferDate: today });
      expect(made2.status).toBe(302);
      const batchPage = await c.get(made2.location!);
      const batchText = visibleText(batchPage.text);
      expect(batchText).toContain('救済第');
      expect(batchText).toContain('葬祭料');
      expect(batchText).toContain('申請者が指定した口座');
      expect(batchText).toContain('212,000円');
      const file = await c.bytes(`${made2.location!}/file`);
      expect(file.status).toBe(200);
      const rec = iconv.decode(file.body, 'Shift_JIS').split('\r\n');
      expect(rec[1]!.slice(50, 80).trimEnd()).toBe('ﾄﾂﾄﾘ ｲﾁﾛｳ');
      expect(Number(rec[1]!.slice(80, 90))).toBe(212000);
      expect(visibleText((await c.get('/relief/payments')).text)).toMatch(/支払の記録（全\s*\d+\s*件、合計 [\d,]+円）/);
      expect((await c.get('/relief/payments/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect(findMyNumbers(batchPage.text)).toEqual([]);
      pageText = (await c.get(`/relief/${id}`)).text;
      const list = await c.get('/relief?page=99');
      expect(list.status).toBe(200);
      const listText = visibleText(list.text);
      expect(listText).toContain('救済第');
      expect(listText).toMatch(/全 \d+ 件中/);
      expect((await c.get('/relief?status=bogus')).status).toBe(400);
      expect((await c.get('/relief?atenaNo=abc')).status).toBe(400);
      const mine = visibleText((await c.get(`/relief?atenaNo=${atenas[0]}&status=paying`)).text);
      expect(mine).toContain(`宛名番号 ${atenas[0]} の方の状態ごとの件数`);
      expect(mine).toMatch(/全 1 件中 1–1 件を表示/);
      const other = visibleText((await c.get(`/relief?atenaNo=${atenas[2]}&status=paying`)).text);
      expect(other).toContain('該当する事案はありません。');
      for (const t of [form.text, bad.text, pageText, list.text]) expect(findMyNumbers(t)).toEqual([]);
      expect(pageText).not.toContain(mn(2));
      // Names, never codes: no program code, benefit kind, step or action of the system on the pages.
      for (const t of [pageText, list.text]) expect(visibleText(t)).not.toMatch(/(?<![A-Za-z0-9_-])(hib|medical-expenses|death-lump-sum|funeral|relief_[a-z_]+|received|examined|paying)(?![A-Za-z0-9_-])/);

      // Nor in the application's log files (the numbers this file typed, in any of the forms they were sent).
      const files = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)])) : []);
      const logs = files(LOG_DIR).map((f) => readFileSync(f, 'utf8')).join('\n');
      for (const x of [mn(1), mn(2), mn(3), '123456789012']) expect(logs).not.toContain(x);
      const v = new PageClient(web.url);
      await v.login(TOTTORI, 'nurse', GOOD_PASSWORD);
      expect((await v.get('/')).text).not.toContain('href="/relief"');
      expect((await v.get('/relief')).status).toBe(403);
      expect((await v.get(`/relief/${id}`)).status).toBe(403);
      expect((await v.get('/relief/payments')).status).toBe(403);
      const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login = 'nurse' AND target_type = 'page' AND target_id LIKE '/relief%'`.execute(app.db.system);
      expect(denied.rows[0]!.n).toBe(3);
    } finally {
      await web.close();
    }
  });
});

describe('健康被害救済 and the records\' retention', () => {
  let app: TestApp;
  const rdir = mkdtempSync(join(tmpdir(), 'mamori-relief-retention-'));
  afterAll(async () => {
    await app?.cleanup();
    rmSync(rdir, { recursive: true, force: true });
  });

  it('a record a case concerns stays with the case when the former resident\'s records are purged', async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const op = operatorOf(TOTTORI);
    const clerk = (await staff(app, TOTTORI, { login: 'rr-clerk', role: 'clerk', duties: ['relief'] })).principal;
    const nurse = (await staff(app, TOTTORI, { login: 'rr-nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    const chief = (await staff(app, TOTTORI, { login: 'rr-chief', role: 'supervisor', duties: ['addressee', 'vaccination'] })).principal;
    await importResidents(app, op, { file: writeCsv(join(rdir, 'rr.csv'), 'full', [person(51), person(52)]), baseDate: '2026-04-01' });
    const atena = new Map<number, string>();
    const rec = new Map<number, string>();
    for (const i of [51, 52]) {
      const p = await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', person(i)['住民票コード']!).executeTakeFirstOrThrow();
      atena.set(i, p.atena_no);
      rec.set(i, (await runAs(app.db, nurse, (w) => createRecord(w, p.atena_no, { product: 'bcg', vaccinatedOn: '2026-03-10' }, { source: 'staff', acceptProblems: true }))).id);
    }
    await runAs(app.db, clerk, (w) => receiveApplication(w, app.vault, {
      atenaNo: atena.get(51), appliedOn: app.config.clock.today(), claimedKinds: ['medical-expenses'], summary: '接種部位の腫脹が続いた。',
      applicant: { relation: 'guardian', name: '保護者', kana: 'ホゴシャ', address: '鳥取市' }, myNumber: mn(99), idCheck: { method: 'mynumber-card' }, recordIds: [rec.get(51)],
    }));
    const moves = [51, 52].map((i) => movement(`RR-${i}`, '11', '20260710', { ...person(i), 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20260710', 消除事由: '転出' }));
    expect(await importResidents(app, op, { file: writeCsv(join(rdir, 'rr-moves.csv'), 'diff', moves) })).toMatchObject({ rejected: 0, updated: 2 });
    const sys = { system: app.db.system, auditKeys: app.auditKeys };
    const now = new Date('2046-07-20T00:00:00Z');
    const filed = await app.retention.runTenant(app.db, sys, TOTTORI, now);
    for (const r of filed) if (r.requestId) await runAs(app.db, chief, (w) => app.retention.decide(w, r.requestId!, true, '保存期間の経過を確認した'));
    const done = await app.retention.runTenant(app.db, sys, TOTTORI, now);
    expect(done.find((d) => d.dataClass === 'vaccination-records')).toMatchObject({ action: 'deleted', count: 1 });
    const left = await sql<{ id: string }>`SELECT id::text AS id FROM municipality.vaccination_records`.execute(app.db.system);
    expect(left.rows.map((r) => r.id)).toEqual([rec.get(51)]);
  });
});
