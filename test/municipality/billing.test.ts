// 医療機関への接種委託料の請求と支払 (issue 13 part B; VAX-32, PMH-18; docs/formats/clinic-protocol.md §4–5;
// decisions 0149, 0150) against the real 国保連 node (src/peers/kokuhoren) on its own loopback port, over real
// signed, encrypted messages: amounts to the yen (price versions, copay, 減免 waiver), returned items with
// 国保連's reasons, an idempotent close, re-claims after a correction or a price, approval and hold, paid flags
// and dates, no double payment of paid or 支払対象外 records, and the 全銀 総合振込 file (Shift_JIS, 120-byte
// records, trailer totals) refused with the institution and field named when a payee's data is wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { luhnCheckDigit } from '../../src/kernel/jp/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { correctRecord, createRecord } from '../../src/municipality/records/index.js';
import {
  approveClaim, closeMonth, createPaymentBatch, getPaymentBatch, holdClaim, listClaims, listReturnedItems, paymentFile, setPayee, setPrice, setRequester, zenginKana, type BillingExchange,
} from '../../src/municipality/billing/index.js';
import { addTenant, staff, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { launch } from '../harness/browser.js';
import { PageClient, visibleText } from '../harness/web.js';
import { buildWebServer } from '../../src/web/index.js';
import { chukanNodeName } from '../../src/municipality/exchange/index.js';
import type { AddressInfo } from 'node:net';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { buildKokuhorenNode, KOKUHOREN_ROLE, KOKUHOREN_SCHEMA, type KokuhorenService } from '../../src/peers/kokuhoren/index.js';
import { person, writeCsv } from '../harness/residents.js';
import { readFileSync } from 'node:fs';
import { ROOT } from '../harness/paths.js';
import { saveScheduleConfig } from '../../src/municipality/records/index.js';
import { approveReimbursement, createReimbursementApplication, examineReimbursement, setSubsidyProgram } from '../../src/municipality/reimburse/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-billing-'));
const MONTH = '2026-10';
const valid = (first9: string) => first9 + String(luhnCheckDigit(first9));
const A = '0110113719';
const B = valid('311010002');
const BAD = '0110113710'; // wrong 検証番号

describe('billing and payment (municipality side, against the real 国保連 node)', () => {
  let app: TestApp;
  let orgs: Organisations;
  let x: BillingExchange;
  let nurse: Principal;
  let nursePassword: string;
  let viewer: Principal;
  let atenas: string[];
  const rec: Record<string, string> = {};

  const add = async (key: string, i: number, data: Record<string, unknown>, source: 'clinic-batch' | 'platform' | 'staff' = 'clinic-batch') => {
    const r = await runAs(app.db, nurse, (w) => createRecord(w, atenas[i]!, { product: 'hib', program: 'hib', dose: 1, lot: `L${key}`, ...data }, { source, acceptProblems: true }));
    rec[key] = r.id;
  };
  const recordRow = async (key: string) =>
    (await sql<{ paid: boolean; paid_on: string | null; payment_batch_id: string | null; claim_id: string | null; claimed_on: string | null }>`
      SELECT paid, to_char(paid_on, 'YYYY-MM-DD') AS paid_on, payment_batch_id::text AS payment_batch_id, claim_id::text AS claim_id, to_char(claimed_on, 'YYYY-MM-DD') AS claimed_on
      FROM municipality.vaccination_records WHERE id = ${rec[key]!}::uuid`.execute(app.db.system)).rows[0]!;
  const claimsOf = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.claims`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const n = await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] });
    nurse = n.principal;
    nursePassword = n.password;
    viewer = (await staff(app, TOTTORI, { login: 'viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [1, 2, 3, 4, 5, 6].map((i) => person(i, { 生年月日: '20250910' }))), kind: 'full' });
    atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY atena_no`.execute(app.db.system)).rows.map((r) => r.atena_no);
    orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
    x = orgs.municipal;
    // Prices: hib 8,000円 (copay 1,000円, waived for 生活保護・市町村民税非課税), 8,500円 from 10-15; no price for BCG yet.
    await runAs(app.db, nurse, async (w) => {
      await setPrice(w, { program: 'hib', validFrom: '2026-04-01', unitPrice: 8000, copay: 1000, copayWaivedFor: ['生活保護', '市町村民税非課税'] });
      await setPrice(w, { program: 'hib', validFrom: '2026-10-15', unitPrice: '８，５００', copay: 1000, copayWaivedFor: ['生活保護', '市町村民税非課税'] });
    });
    await add('a1', 0, { vaccinatedOn: '2026-10-05', institutionCode: A, claimMonth: MONTH, copayCategory: '一般' }); // 7,000
    await add('a2', 1, { vaccinatedOn: '2026-10-20', institutionCode: A, claimMonth: MONTH, copayCategory: '生活保護' }); // 8,500
    await add('a3', 2, { vaccinatedOn: '2026-10-06', institutionCode: A, claimMonth: MONTH, notPayable: true }); // 支払対象外
    await add('a4', 3, { vaccinatedOn: '2026-11-02', institutionCode: A, claimMonth: MONTH }); // after the month → returned
    await add('a5', 4, { vaccinatedOn: '2026-10-10', institutionCode: A }, 'platform'); // claim month from the date: 7,000
    await add('a6', 5, { vaccinatedOn: '2026-10-11', institutionCode: A, claimMonth: MONTH }, 'staff'); // not a claim channel
    await add('b1', 0, { product: 'bcg', program: 'bcg', vaccinatedOn: '2026-10-07', institutionCode: B, claimMonth: MONTH }); // no price → returned
    await add('b2', 1, { vaccinatedOn: '2026-10-08', institutionCode: B, claimMonth: MONTH, copayCategory: '市町村民税非課税' }); // 8,000
    await add('c1', 2, { vaccinatedOn: '2026-10-09', institutionCode: BAD, claimMonth: MONTH }); // code refused
    await add('n1', 3, { vaccinatedOn: '2026-09-30', institutionCode: A, claimMonth: '2026-09' }); // another month
  });
  afterAll(async () => {
    await orgs?.close();
    await app?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the month: one claim per institution, checked at 国保連, amounts to the yen', async () => {
    const r = await closeMonth(app, nurse, x, MONTH);
    expect(r).toEqual({ claims: 3, accepted: 4, returned: 3, amount: 7000 + 8500 + 7000 + 8000 });
    const list = await runAs(app.db, viewer, (w) => listClaims(w, MONTH));
    expect(list.total).toBe(3);
    expect(list.totals).toEqual({ items: 7, accepted: 4, returned: 3, acceptedAmount: 30500 });
    expect(list.rows.find((c) => c.institutionCode === A)).toMatchObject({ status: 'checked', items: 4, accepted: 3, returned: 1, acceptedAmount: 22500 });
    expect(list.rows.find((c) => c.institutionCode === B)).toMatchObject({ accepted: 1, returned: 1, acceptedAmount: 8000 });
    const items = await sql<{ record_id: string; unit_price: number; copay: number; amount: number; result: string }>`SELECT record_id::text AS record_id, unit_price, copay, amount, result FROM municipality.claim_items`.execute(app.db.system);
    const byRec = new Map(items.rows.map((i) => [i.record_id, i]));
    expect(byRec.get(rec['a1']!)).toMatchObject({ unit_price: 8000, copay: 1000, amount: 7000, result: 'accepted' });
    expect(byRec.get(rec['a2']!)).toMatchObject({ unit_price: 8500, copay: 0, amount: 8500, result: 'accepted' });
    expect(byRec.get(rec['b2']!)).toMatchObject({ unit_price: 8000, copay: 0, amount: 8000 });
    for (const k of ['a3', 'a6', 'n1']) expect(byRec.has(rec[k]!)).toBe(false);
    const ret = await runAs(app.db, viewer, (w) => listReturnedItems(w, MONTH));
    expect(Object.fromEntries(ret.rows.map((i) => [i.recordId, i.code]))).toEqual({ [rec['a4']!]: 'DATE_AFTER_MONTH', [rec['b1']!]: 'PRICE_MISSING', [rec['c1']!]: 'INSTITUTION_CODE_INVALID' });
    expect(ret.rows.every((i) => i.reason && /[ぁ-んァ-ン一-龥]/.test(i.reason))).toBe(true);
    expect(await recordRow('a1')).toMatchObject({ paid: false, claimed_on: '2026-11-21', claim_id: expect.any(String) });
    expect(findMyNumbers(JSON.stringify({ list, ret }))).toEqual([]);
  });

  it('closing the same month again makes no duplicate claim; a returned item is claimed again after its correction or its price', async () => {
    expect(await closeMonth(app, nurse, x, MONTH)).toEqual({ claims: 0, accepted: 0, returned: 0, amount: 0 });
    expect(await claimsOf()).toBe(3);
    await runAs(app.db, nurse, (w) => correctRecord(w, rec['a4']!, { vaccinatedOn: '2026-10-25', program: 'hib', dose: 1 }, { reasonKind: '医療機関からの訂正', reason: '接種日の誤記', overrideReason: '医療機関の記録どおり' }));
    await runAs(app.db, nurse, (w) => setPrice(w, { program: 'bcg', validFrom: '2026-04-01', unitPrice: 9000, copay: 0 }));
    expect(await closeMonth(app, nurse, x, MONTH)).toEqual({ claims: 2, accepted: 2, returned: 0, amount: 7500 + 9000 });
    expect(await closeMonth(app, nurse, x, MONTH)).toEqual({ claims: 0, accepted: 0, returned: 0, amount: 0 });
    const ret = await runAs(app.db, viewer, (w) => listReturnedItems(w, MONTH));
    expect(ret.rows.filter((i) => i.reclaimed).map((i) => i.recordId).sort()).toEqual([rec['a4']!, rec['b1']!].sort());
  });

  it('payees and the 依頼人 are validated: codes, account type and 全銀 kana (converted from 全角 and small kana)', async () => {
    await runAs(app.db, nurse, async (w) => {
      await setRequester(w, { requesterCode: '3120110001', requesterKana: 'とっとりし', bankCode: '0168', bankKana: 'ﾄﾂﾄﾘｷﾞﾝｺｳ', branchCode: '001', branchKana: 'ﾎﾝﾃﾝ', accountType: '普通', accountNo: '1234567' });
      const p = await setPayee(w, { institutionCode: A, name: '鳥取こどもクリニック', kana: 'トットリコドモクリニック', bankCode: '０１６８', branchCode: '101', accountType: '1', accountNo: '7654321', holderKana: 'イ）トットリ　キッズ' });
      expect(p.holderKana).toBe('ｲ)ﾄﾂﾄﾘ ｷﾂｽﾞ');
      expect(p.bankCode).toBe('0168');
      await setPayee(w, { institutionCode: B, name: '鳥取内科医院', kana: 'トットリナイカイイン', bankCode: '0005', branchCode: '210', accountType: '2', accountNo: '0001234', holderKana: 'ﾄﾂﾄﾘﾅｲｶｲｲﾝ' });
    });
    await expectProblem(runAs(app.db, nurse, (w) => setPayee(w, { institutionCode: A, name: 'x', kana: 'x', bankCode: '16A', branchCode: '101', accountType: '1', accountNo: '7654321', holderKana: 'ｱ' })), { status: 400, field: 'bankCode' });
    const many = await expectProblem(runAs(app.db, nurse, (w) => setPayee(w, { institutionCode: A, name: 'x', kana: 'x', bankCode: '0168', branchCode: '101', accountType: '3', accountNo: '765432', holderKana: '鳥取医院' })), { status: 400 });
    expect(many.errors.map((e) => e.field).sort()).toEqual(['accountNo', 'accountType', 'holderKana']);
    expect(many.errors.find((e) => e.field === 'holderKana')!.message).toContain('鳥取医院');
    await expectProblem(runAs(app.db, nurse, (w) => setPayee(w, { institutionCode: BAD, name: 'x', kana: 'x', bankCode: '0168', branchCode: '101', accountType: '1', accountNo: '7654321', holderKana: 'ｱ' })), { status: 400, field: 'institutionCode' });
    await expectProblem(runAs(app.db, viewer, (w) => setPrice(w, { program: 'hib', validFrom: '2026-04-01', unitPrice: 1, copay: 0 })), { status: 403 });
    expect(zenginKana('ぱぴぷ　ｧｨ').text).toBe('ﾊﾟﾋﾟﾌﾟ ｱｲ');
  });

  let batch1: string;
  it('a payment batch pays the accepted items of claims not held, one payment per institution; paid flags and dates set; 支払対象外 never paid', async () => {
    const claims = await runAs(app.db, viewer, (w) => listClaims(w, MONTH));
    const firstB = claims.rows.filter((c) => c.institutionCode === B).sort((p, q) => p.createdAt.getTime() - q.createdAt.getTime() || (p.items > q.items ? -1 : 1))[0]!;
    expect(firstB.items).toBe(2);
    await runAs(app.db, nurse, (w) => holdClaim(w, firstB.id, '医療機関に確認中'));
    // Marked 支払対象外 after 国保連 accepted it: the batch leaves it out.
    await runAs(app.db, nurse, (w) => correctRecord(w, rec['a1']!, { notPayable: true }, { reasonKind: '職権修正', reason: '自費の接種と判明', overrideReason: '医療機関の記録どおり' }));
    await expectProblem(runAs(app.db, nurse, (w) => createPaymentBatch(w, MONTH, { transferDate: '2026-11-01' })), { status: 400, field: 'transferDate' });
    const r = await runAs(app.db, nurse, (w) => createPaymentBatch(w, MONTH, { transferDate: '2026-11-30' }));
    batch1 = r.batch;
    // A: a2 8,500 + a5 7,000 + a4 7,500 (re-claimed at the 10-15 price, copay 1,000) = 23,000; B: b1 9,000 (re-claim; the first claim is held).
    expect(r).toEqual({ batch: expect.any(String), payments: 2, amount: 32000 });
    const got = await runAs(app.db, viewer, (w) => getPaymentBatch(w, r.batch));
    expect(got!.payments.map((p) => [p.institutionCode, p.amount, p.items])).toEqual([[A, 23000, 3], [B, 9000, 1]].sort((p, q) => String(p[0]).localeCompare(String(q[0]))));
    for (const k of ['a2', 'a4', 'a5', 'b1']) expect(await recordRow(k)).toMatchObject({ paid: true, paid_on: '2026-11-30', payment_batch_id: r.batch });
    for (const k of ['a1', 'a3', 'b2', 'c1']) expect(await recordRow(k)).toMatchObject({ paid: false, paid_on: null, payment_batch_id: null });
  });

  it('never pays a record twice: paid records are not claimed again, and the next batch pays only what was held', async () => {
    // A paid record corrected afterwards is still not claimed again.
    await runAs(app.db, nurse, (w) => correctRecord(w, rec['a2']!, { lot: 'LOT-FIXED' }, { reasonKind: '医療機関からの訂正', reason: 'ロット番号の訂正', overrideReason: '医療機関の記録どおり' }));
    expect(await closeMonth(app, nurse, x, MONTH)).toEqual({ claims: 0, accepted: 0, returned: 0, amount: 0 });
    const held = (await runAs(app.db, viewer, (w) => listClaims(w, MONTH))).rows.find((c) => c.status === 'held')!;
    await runAs(app.db, nurse, (w) => approveClaim(w, held.id));
    const r2 = await runAs(app.db, nurse, (w) => createPaymentBatch(w, MONTH, { transferDate: '2026-12-01' }));
    expect(r2).toMatchObject({ payments: 1, amount: 8000 }); // b2 only (b1 was paid by the first batch)
    expect(await recordRow('b2')).toMatchObject({ paid: true, paid_on: '2026-12-01', payment_batch_id: r2.batch });
    expect(await recordRow('b1')).toMatchObject({ paid: true, payment_batch_id: batch1 });
    await expectProblem(runAs(app.db, nurse, (w) => createPaymentBatch(w, MONTH)), { status: 409, code: 'NOTHING_TO_PAY' });
    const paid = await sql<{ n: number; total: string }>`SELECT count(*)::int AS n, sum(amount) AS total FROM municipality.payments`.execute(app.db.system);
    expect(paid.rows[0]).toMatchObject({ n: 3 });
    expect(Number(paid.rows[0]!.total)).toBe(32000 + 8000);
    await expectProblem(runAs(app.db, nurse, (w) => holdClaim(w, held.id, 'x')), { status: 409, code: 'CLAIM_STATE' });
  });

  it('the 総合振込 file: Shift_JIS, 120-byte records with CRLF, header/data/trailer/end, trailer totals', async () => {
    const f = await runAs(app.db, nurse, (w) => paymentFile(w, batch1));
    const text = iconv.decode(f.content, 'Shift_JIS');
    expect(text.endsWith('\r\n')).toBe(true);
    const records = text.split('\r\n').slice(0, -1);
    expect(records.map((r) => r[0])).toEqual(['1', '2', '2', '8', '9']);
    for (const r of records) expect(iconv.encode(r, 'Shift_JIS').length).toBe(120);
    expect(f.content.length).toBe(5 * 122);
    // The code set, byte by byte: each record is 120 single bytes of the 全銀 set (0-9 A-Z space ( ) - . / , ¥
    // and 半角カナ ｢ ｣ ｦ ｱ-ﾝ ﾞ ﾟ — no small kana, no ｰ, no lower case, no double-byte character), then CR LF.
    const allowed = new Set([0x20, 0x28, 0x29, 0x2c, 0x2d, 0x2e, 0x2f, 0x5c, 0xa2, 0xa3, 0xa6]);
    for (let b = 0x30; b <= 0x39; b++) allowed.add(b);
    for (let b = 0x41; b <= 0x5a; b++) allowed.add(b);
    for (let b = 0xb1; b <= 0xdf; b++) allowed.add(b);
    for (let i = 0; i < f.content.length; i += 122) {
      const rec = f.content.subarray(i, i + 122);
      expect([rec[120], rec[121]]).toEqual([0x0d, 0x0a]);
      const bad = [...rec.subarray(0, 120)].filter((b) => !allowed.has(b));
      expect(bad.map((b) => b.toString(16))).toEqual([]);
    }
    const [h, d1, d2, t] = records as [string, string, string, string];
    expect(h.slice(0, 4)).toBe('1210');
    expect(h.slice(4, 14)).toBe('3120110001');
    expect(h.slice(14, 54).trimEnd()).toBe('ﾄﾂﾄﾘｼ');
    expect(h.slice(54, 58)).toBe('1130');
    expect(h.slice(58, 62)).toBe('0168');
    expect(h.slice(95, 103)).toBe('11234567');
    const data = [d1, d2].map((d) => ({ bank: d.slice(1, 5), branch: d.slice(20, 23), type: d.slice(42, 43), account: d.slice(43, 50), name: d.slice(50, 80).trimEnd(), amount: Number(d.slice(80, 90)), code: d.slice(91, 101) }));
    expect(data).toContainEqual({ bank: '0168', branch: '101', type: '1', account: '7654321', name: 'ｲ)ﾄﾂﾄﾘ ｷﾂｽﾞ', amount: 23000, code: A });
    expect(data).toContainEqual({ bank: '0005', branch: '210', type: '2', account: '0001234', name: 'ﾄﾂﾄﾘﾅｲｶｲｲﾝ', amount: 9000, code: B });
    expect(t.slice(1, 7)).toBe('000002');
    expect(Number(t.slice(7, 19))).toBe(32000);
    expect(Number(t.slice(7, 19))).toBe(data.reduce((s, d) => s + d.amount, 0));
  });

  it('a payee whose stored kana is outside the 全銀 set (data of an earlier version) → a clear Problem naming the institution and the field, and no file', async () => {
    await sql`UPDATE municipality.payees SET holder_kana = '鳥取キッズ' WHERE institution_code = ${A}`.execute(app.db.system);
    const before = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'payment-file'`.execute(app.db.system)).rows[0]!.n);
    const p = await expectProblem(runAs(app.db, nurse, (w) => paymentFile(w, batch1)), { status: 422, code: 'TRANSFER_DATA_INVALID', field: `payees.${A}.holderKana` });
    expect(p.detail).toContain(A);
    expect(p.detail).toContain('鳥取こどもクリニック');
    expect(p.detail).toContain('口座名義');
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'payment-file'`.execute(app.db.system)).rows[0]!.n)).toBe(before);
    // An invalid bank code (0000 names no bank; refused at entry, so only an old row can hold it): named too.
    await expectProblem(runAs(app.db, nurse, (w) => setPayee(w, { institutionCode: A, name: '鳥取こどもクリニック', kana: 'トットリ', bankCode: '0000', branchCode: '101', accountType: '1', accountNo: '7654321', holderKana: 'トットリ' })), { status: 400, field: 'bankCode' });
    const bank = await sql<{ bank_code: string }>`SELECT bank_code FROM municipality.payees WHERE institution_code = ${A}`.execute(app.db.system);
    await sql`UPDATE municipality.payees SET bank_code = '0000' WHERE institution_code = ${A}`.execute(app.db.system);
    const both = await expectProblem(runAs(app.db, nurse, (w) => paymentFile(w, batch1)), { status: 422, code: 'TRANSFER_DATA_INVALID' });
    expect(both.errors.map((e) => e.field).sort()).toEqual([`payees.${A}.bankCode`, `payees.${A}.holderKana`]);
    expect(both.detail).toContain('金融機関コード');
    await sql`UPDATE municipality.payees SET bank_code = ${bank.rows[0]!.bank_code} WHERE institution_code = ${A}`.execute(app.db.system);
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'payment-file'`.execute(app.db.system)).rows[0]!.n)).toBe(before);
  });
  it('the staff screens: months and claims with totals in 円 and 和暦, returned reasons, approve/hold, prices, payees, payments and the file download (refused while a payee is wrong)', async () => {
    const web = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000, exchange: { node: orgs.municipal.node, chukanOf: chukanNodeName } });
    await web.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
    try {
      const c = new PageClient(url);
      await c.login(TOTTORI, 'nurse', nursePassword);
      expect((await c.get('/')).text).toContain('href="/billing"');
      const billing = await c.get(`/billing?month=${MONTH}`);
      expect(billing.status).toBe(200);
      const text = visibleText(billing.text);
      expect(text).toContain('令和8年10月分の請求');
      expect(text).toMatch(/受付金額\s*47,000円/);
      // The month row: accepted 47,000円, paid 40,000円 (the 支払対象外 record's 7,000円 never), nothing payable left.
      expect(text).toMatch(/令和8年10月分\s*5件\s*6件\s*3件\s*47,000円\s*40,000円\s*0円/); // 30,500 + 7,500 + 9,000 accepted in the month
      expect(text).toContain('接種日が請求月より後です');
      expect(text).toContain('単価が設定されていません');
      expect(text).toContain('支払済');
      expect(text).not.toMatch(/(?<![A-Za-z0-9_-])(hib|bcg)(?![A-Za-z0-9_-])/);
      expect((await c.get('/billing?month=2026-13')).status).toBe(400);
      const prices = visibleText((await c.get('/billing/prices')).text);
      expect(prices).toContain('8,500円');
      expect(prices).toContain('令和8年10月15日');
      const payees = await c.get('/billing/payees');
      expect(visibleText(payees.text)).toContain('鳥取こどもクリニック');
      // A wrong kana name from the form: refused, with the field named on the page.
      const bad = await c.post('/billing/payees', { _csrf: PageClient.csrf(payees.text), institutionCode: B, name: '鳥取内科医院', kana: 'トットリナイカイイン', bankCode: '0005', branchCode: '210', accountType: '2', accountNo: '0001234', holderKana: '鳥取内科' });
      expect(bad.status).toBe(400);
      expect(visibleText(bad.text)).toContain('口座名義（カナ）に振込で使えない文字があります');
      const rq = await c.get('/billing/requester');
      expect(visibleText(rq.text)).toContain('振込依頼人の口座を変更する');
      const rqBad = await c.post('/billing/requester', { _csrf: PageClient.csrf(rq.text), requesterCode: '312011000', requesterKana: '鳥取市', bankCode: '0168', branchCode: '001', accountType: '1', accountNo: '1234567' });
      expect(rqBad.status).toBe(400);
      expect(visibleText(rqBad.text)).toContain('委託者コードは10桁の数字です');
      expect(visibleText(rqBad.text)).toContain('依頼人名（カナ）に振込で使えない文字があります');
      const list = await c.get('/payments');
      expect(visibleText(list.text)).toMatch(/合計\s*40,000円/);
      const id = /href="\/payments\/([0-9a-f-]{36})"/.exec(list.text)![1]!;
      const one = await c.get(`/payments/${id}`);
      expect(visibleText(one.text)).toMatch(/振込日\s*令和8年1[12]月/);
      // The payee of A still holds a kana outside the 全銀 set (the previous test): no file, the reason named.
      const refused = await c.get(`/payments/${batch1}/file`);
      expect(refused.status).toBe(422);
      expect(visibleText(refused.text)).toContain(`医療機関コード ${A}（鳥取こどもクリニック）の口座名義（カナ）に振込で使えない文字があります`);
      const fix = await c.post('/billing/payees', { _csrf: PageClient.csrf(payees.text), institutionCode: A, name: '鳥取こどもクリニック', kana: 'トットリコドモクリニック', bankCode: '0168', branchCode: '101', accountType: '1', accountNo: '7654321', holderKana: 'イ）トットリ　キッズ' });
      expect(fix.status).toBe(302);
      const file = await c.get(`/payments/${batch1}/file`);
      expect(file.status).toBe(200);
      expect(file.res.headers.get('content-disposition')).toContain('attachment');
      for (const page of [billing.text, prices, payees.text, list.text, one.text]) expect(findMyNumbers(page)).toEqual([]);
      // Approve and hold through the buttons: the second B claim of the month is paid; the hold button holds a checked one.
      const shots = process.env['BILLING_SCREENSHOTS'];
      if (shots) {
        const browser = await launch();
        try {
          const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          await p.goto(`${url}/login`);
          await p.fill('input[name="tenant"]', TOTTORI);
          await p.fill('input[name="loginId"]', 'nurse');
          await p.fill('input[name="password"]', nursePassword);
          await Promise.all([p.waitForNavigation(), p.click('form button[type="submit"]')]);
          for (const [name, path] of [['billing', `/billing?month=${MONTH}`], ['prices', '/billing/prices'], ['payees', '/billing/payees'], ['payments', '/payments'], ['batch', `/payments/${batch1}`]] as const) {
            await p.goto(url + path);
            await p.screenshot({ path: join(shots, `billing-${name}.png`), fullPage: true });
          }
        } finally {
          await browser.close();
        }
      }
    } finally {
      await web.close();
    }
  });
  it('the clinic is paid the price less what it collected: the record 徴収区分 and 徴収額 decide (VAX-31), the price 自己負担額 only without them', async () => {
    await add('f1', 0, { vaccinatedOn: '2026-08-03', institutionCode: A, copayCategory: '一般', feeCollection: 'clinic', feeAmount: 1500 }); // 8,000 − 1,500
    await add('f2', 1, { vaccinatedOn: '2026-08-04', institutionCode: A, copayCategory: '一般', feeCollection: 'municipality', feeAmount: 1000 }); // the municipality collects: 8,000
    await add('f3', 2, { vaccinatedOn: '2026-08-05', institutionCode: A, copayCategory: '一般', feeCollection: 'none', feeAmount: 0 }); // 8,000
    await add('f4', 3, { vaccinatedOn: '2026-08-06', institutionCode: A, copayCategory: '一般' }); // no 徴収区分: the price's 1,000 → 7,000
    expect(await closeMonth(app, nurse, x, '2026-08')).toEqual({ claims: 1, accepted: 4, returned: 0, amount: 6500 + 8000 + 8000 + 7000 });
    const items = await sql<{ record_id: string; copay: number; amount: number }>`SELECT record_id::text AS record_id, copay, amount FROM municipality.claim_items WHERE record_id = ANY(${['f1', 'f2', 'f3', 'f4'].map((k) => rec[k]!)}::uuid[])`.execute(app.db.system);
    const byRec = new Map(items.rows.map((r) => [r.record_id, [r.copay, r.amount]]));
    expect(['f1', 'f2', 'f3', 'f4'].map((k) => byRec.get(rec[k]!))).toEqual([[1500, 6500], [0, 8000], [0, 8000], [1000, 7000]]);
  });

  it('国保連 unreachable: the close fails and its claims stay 審査中; once 国保連 is back the next close sends them again, no new claim', async () => {
    await add('m1', 4, { vaccinatedOn: '2026-11-05', institutionCode: B, copayCategory: '一般' }); // claim month from the date
    expect(await orgs.stop('kokuhoren')).toBe(true);
    let again: KokuhorenService | null = null;
    try {
      await expect(closeMonth(app, nurse, x, '2026-11')).rejects.toMatchObject({ name: 'Problem' });
      const held = await sql<{ status: string; items: number }>`SELECT status, items FROM municipality.claims WHERE month = '2026-11'`.execute(app.db.system);
      expect(held.rows).toEqual([{ status: 'checking', items: 1 }]);
      expect((await recordRow('m1')).claim_id).toEqual(expect.any(String));
      // 国保連 again, on the same database and keys (as src/app/nodes.ts builds it).
      const clock = app.config.clock;
      const db = await app.db.forRole(KOKUHOREN_ROLE);
      const node = exchangeNodeFor({ name: 'kokuhoren', schema: KOKUHOREN_SCHEMA, db, keyDir: app.config.keyDir, directory: orgs.directory, clock });
      again = await buildKokuhorenNode({ name: 'kokuhoren', db, node, clock, config: app.config });
      await again.fastify.listen({ host: '127.0.0.1', port: 0 });
      orgs.directory.set({ name: 'kokuhoren', title: '国民健康保険団体連合会（審査支払）', url: `http://127.0.0.1:${(again.fastify.server.address() as AddressInfo).port}` });
      expect(await closeMonth(app, nurse, x, '2026-11')).toEqual({ claims: 1, accepted: 1, returned: 0, amount: 8500 - 1000 });
      const done = await sql<{ status: string; accepted: number }>`SELECT status, accepted FROM municipality.claims WHERE month = '2026-11'`.execute(app.db.system);
      expect(done.rows).toEqual([{ status: 'checked', accepted: 1 }]);
      expect(await closeMonth(app, nurse, x, '2026-11')).toEqual({ claims: 0, accepted: 0, returned: 0, amount: 0 });
    } finally {
      await again?.close?.();
      await again?.fastify.close();
    }
  });

  it('one batch pays an institution and a person (償還払い): one file, institutions first then persons, trailer totals over both; made again pays nothing twice', async () => {
    const chief = (await staff(app, TOTTORI, { login: 'vax-chief', role: 'supervisor', duties: ['vaccination'] })).principal;
    await runAs(app.db, chief, (w) => saveScheduleConfig(w, JSON.parse(readFileSync(join(ROOT, 'docs/formats/examples/schedule-municipal-config.json'), 'utf8')), 'おたふくかぜ助成'));
    await runAs(app.db, nurse, (w) => createRecord(w, atenas[5]!, { product: 'mumps', vaccinatedOn: '2026-10-12', lot: 'MU1' }, { source: 'counter', acceptProblems: true }));
    await runAs(app.db, nurse, (w) => setSubsidyProgram(w, { code: 'mumps', name: 'おたふくかぜ予防接種費用助成', program: 'mumps-subsidy', minAge: 1, maxAge: 5, amountKind: 'fixed', amount: 3000, validFrom: '2026-04-01' }));
    const a = await runAs(app.db, nurse, (w) => createReimbursementApplication(w, { atenaNo: atenas[5], subsidyCode: 'mumps', receipt: { clinicName: '鳥取こどもクリニック', vaccinatedOn: '2026-10-12', amountPaid: 7000 }, account: { bankCode: '0005', branchCode: '210', accountType: '1', accountNo: '0000777', holderKana: 'ﾄﾂﾄﾘ ﾊﾅｺ' } }));
    expect((await runAs(app.db, nurse, (w) => examineReimbursement(w, a.id))).decidedAmount).toBe(3000);
    const second = (await staff(app, TOTTORI, { login: 'chief-clerk', duties: ['vaccination'] })).principal;
    await runAs(app.db, second, (w) => approveReimbursement(w, a.id));
    const r = await runAs(app.db, nurse, (w) => createPaymentBatch(w, '2026-11', { transferDate: '2026-12-02', reimbursements: true }));
    expect(r).toMatchObject({ payments: 2, amount: 7500 + 3000 });
    await expectProblem(runAs(app.db, nurse, (w) => createPaymentBatch(w, '2026-11', { reimbursements: true })), { status: 409, code: 'NOTHING_TO_PAY' });
    const f = await runAs(app.db, nurse, (w) => paymentFile(w, r.batch));
    const records = iconv.decode(f.content, 'Shift_JIS').split('\r\n').slice(0, -1);
    expect(records.map((x) => x[0])).toEqual(['1', '2', '2', '8', '9']);
    for (const x of records) expect(iconv.encode(x, 'Shift_JIS').length).toBe(120);
    expect(records.slice(1, 3).map((d) => [d.slice(91, 101), Number(d.slice(80, 90)), d.slice(50, 80).trimEnd()])).toEqual([[B, 7500, 'ﾄﾂﾄﾘﾅｲｶｲｲﾝ'], [a.no.padStart(10, '0'), 3000, 'ﾄﾂﾄﾘ ﾊﾅｺ']]);
    expect(records[3]!.slice(1, 19)).toBe('000002' + '000000010500');
  });
});
