// Issue 13, "done when": the whole path from a resident's card at a clinic's reception to a paid clinic, over
// HTTP between real organisations (each on its own loopback port, every message signed, verified, encrypted
// and logged at both ends): the clinic's JSON API for reception, 予診票, examination and the dose with its vial
// scan; 鳥取市's staff screens for the download of the records (PMH-18), the monthly close checked at 国保連,
// the payment and the 全銀 file; and the paid flags on each record (VAX-32).  The paper channel (the clinic's
// monthly file) goes the same way: a dose it repeats is queued, never paid twice; its other dose is paid with
// the platform's.  Amounts reconcile to the yen: prices × doses − 自己負担 = claim = payment = file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { runAs } from '../../src/kernel/context/index.js';
import { gtinCheckDigit, importRecords } from '../../src/municipality/records/index.js';
import { pushRun, QUESTIONNAIRE_ITEMS } from '../../src/municipality/platform/index.js';
import { setPayee, setPrice, setRequester } from '../../src/municipality/billing/index.js';
import { withPlatformTenant } from '../../src/platform/index.js';
import { operatorOf, TOTTORI } from '../harness/app.js';
import { findMyNumbers } from '../harness/leaks.js';
import { addClinic, ClinicClient, platformWorld, type ClinicFixture, type PlatformWorld } from '../harness/platform.js';
import { dose as paperDose, writeRecordsCsv } from '../harness/residents.js';
import { PageClient, visibleText } from '../harness/web.js';

const GTIN = (() => {
  const base = '0498765432101';
  return base + String(gtinCheckDigit(base));
})();
const HIB_PRICE = 8_250;
const HIB_COPAY = 1_000;
const BCG_PRICE = 9_130;
const ymd = (iso: string) => iso.replaceAll('-', '');
const yymmdd = (iso: string) => iso.slice(2).replaceAll('-', '');

describe('end to end: card at reception → 予診票 → dose → 鳥取市 ledger → claim → 国保連 → payment file → paid (issue 13)', () => {
  let w: PlatformWorld;
  let clinic: ClinicFixture;
  let staff: PageClient;
  let today: string;
  let month: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-clinic-e2e-'));
  const bodies: string[] = [];

  beforeAll(async () => {
    w = await platformWorld();
    today = w.app.config.clock.today();
    month = today.slice(0, 7);
    expect((await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).failed).toBe(0);
    clinic = await addClinic(w, { first9: '311010003', name: 'いなば小児科医院' });
    // 鳥取市's billing data: unit prices (Hib with a copay waived for 生活保護), the clinic's account, its own.
    await runAs(w.app.db, w.nurse, async (x) => {
      await setPrice(x, { program: 'hib', validFrom: addDaysIso(today, -200), unitPrice: HIB_PRICE, copay: HIB_COPAY, copayWaivedFor: ['生活保護'] });
      await setPrice(x, { program: 'bcg', validFrom: addDaysIso(today, -200), unitPrice: BCG_PRICE, copay: 0 });
      await setPayee(x, { institutionCode: clinic.code, name: clinic.name, kana: 'イナバショウニカイイン', bankCode: '0166', branchCode: '201', accountType: '1', accountNo: '1234567', holderKana: 'イ）イナバショウニカ' });
      await setRequester(x, { requesterCode: '3120110001', requesterKana: 'トットリシ', bankCode: '0166', branchCode: '001', accountType: '1', accountNo: '7654321' });
    });
    staff = new PageClient(w.url.staff);
    await staff.login(TOTTORI, w.nurseLogin, w.nursePassword);
  }, 300_000);

  afterAll(async () => {
    await w?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes from the card at reception to paid flags, and every yen reconciles', async () => {
    const reception = new ClinicClient(w.url.platform);
    const doctor = new ClinicClient(w.url.platform);
    expect((await reception.login(clinic.code, clinic.reception.userId, clinic.reception.password)).status).toBe(200);
    expect((await doctor.login(clinic.code, clinic.doctor.userId, clinic.doctor.password)).status).toBe(200);

    // The parent answered the child's 予診票 on マイナポータル (as マイナポータル calls the platform).
    const targets = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ identity_key: string; target_id: string; pmh_key: string }>`SELECT identity_key, target_id, pmh_key FROM platform.targets`.execute(tx));
    const child = targets.rows.find((t) => t.identity_key === w.atena.child)!;
    const portal = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock: w.app.config.clock });
    const pseudonym = `PP${'E2ECHILDPSEUDONYM'.padEnd(26, 'Q')}`;
    await portal.call('platform', 'portal.link', { pmhPseudonym: pseudonym, pmhKey: child.pmh_key }, { personal: true });
    const answers: Record<string, unknown> = {};
    for (const it of QUESTIONNAIRE_ITEMS) if (it.required) answers[it.itemId] = it.type === 'number' ? 36.8 : it.type === 'boolean' ? false : (it.options?.[0] ?? 'なし');
    const answered = await portal.call('platform', 'portal.answer', { actor: pseudonym, subject: pseudonym, programCode: 'hib', dose: 1, consent: { by: 'self', at: w.app.config.clock.now().toISOString(), text: '同意します' }, answers }, { personal: true });
    const answerId = (answered.body as { answerId: string }).answerId;

    // Reception: the child's card and PIN; identity checked at the counter (PMH-13, PMH-14).
    const receive = async (who: 'child' | 'otherChild') => {
      const ch = await reception.req<{ challengeId: string; challenge: string }>('POST', '/clinic/v1/reception/challenge', {});
      const proof = await w.sign(w.cards[who], ch.body.challenge);
      const r = await reception.req<{ visits: { visitId: string; targetId: string; status: string }[] }>('POST', '/clinic/v1/reception/card', { challengeId: ch.body.challengeId, ...proof, identityCheck: { method: 'boshi' }, consent: true });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.visits).toHaveLength(1);
      return r.body.visits[0]!;
    };
    const dose = (v: { visitId: string; targetId: string }, over: Record<string, unknown> = {}) => ({
      targetId: v.targetId, visitId: v.visitId, programCode: 'hib', dose: 1, product: 'hib', vaccinatedOn: today, time: '09:40', consent: true, doctorName: '因幡　医師',
      implementationClass: 'individual', vaccinationClass: 'routine', manufacturer: 'サノフィ株式会社', vaccineName: 'アクトヒブ', amount: '0.5mL', site: '左上腕', route: '皮下注射',
      caution: false, overseas: false, ...over,
    });
    const vaccinate = async (v: { visitId: string; targetId: string }, extra: Record<string, unknown>) => {
      // The doctor reads the visit, checks identity again in the examination room, scans the vial.
      const detail = await doctor.req<{ targetId: string; questionnaire?: unknown }>('GET', `/clinic/v1/visits/${v.visitId}`);
      expect(detail.status).toBe(200);
      expect(detail.body.targetId).toBe(v.targetId);
      expect((await doctor.req('POST', `/clinic/v1/visits/${v.visitId}/identity`, { method: 'card' })).status).toBe(200);
      const expiry = addDaysIso(today, 300);
      const scan = await doctor.req<{ gtin: string; lot: string; expiry: string }>('POST', '/clinic/v1/gs1', { scan: `]d2\u001d01${GTIN}17${yymmdd(expiry)}10E2E${v.targetId.slice(-3)}` });
      expect(scan.body).toEqual({ gtin: GTIN, lot: `E2E${v.targetId.slice(-3)}`, expiry });
      const d = dose(v, { ...scan.body, ...extra });
      const check = await doctor.req<{ warnings: { level: string }[] }>('POST', '/clinic/v1/doses/check', d);
      expect(check.status).toBe(200);
      expect(check.body.warnings.filter((x) => x.level === 'problem')).toEqual([]);
      const r = await doctor.req<{ recordId: string }>('POST', '/clinic/v1/doses', d);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.recordId;
    };
    const childVisit = await receive('child');
    expect(childVisit.targetId).toBe(child.target_id);
    const detail = await doctor.req<{ questionnaire?: { answerId: string; items: { label: string }[] }[] | null }>('GET', `/clinic/v1/visits/${childVisit.visitId}`);
    expect(detail.body.questionnaire?.map((q) => q.answerId)).toContain(answerId);
    const childRecord = await vaccinate(childVisit, { answerId });
    const otherRecord = await vaccinate(await receive('otherChild'), {});
    bodies.push(...reception.bodies, ...doctor.bodies);

    // 鳥取市 downloads the records (staff screen) — linked by 宛名番号, source = platform.
    const recordsPage = await staff.get('/platform/records');
    expect(recordsPage.status).toBe(200);
    const pulled = await staff.post('/platform/records/pull', { _csrf: PageClient.csrf(recordsPage.text) });
    expect(pulled.status).toBe(302);
    const pulledText = visibleText((await staff.get('/platform/records')).text);
    expect(pulledText).toContain('取り込みました：受信 2件（登録 2件、確認待ち 0件、取込済み 0件）');
    const ledger = await sql<{ atena_no: string; source: string; ref: string; institution_code: string; claim_month: string }>`
      SELECT atena_no, source, data->>'sourceRef' AS ref, institution_code, claim_month FROM municipality.vaccination_records WHERE source = 'platform' ORDER BY data->>'sourceRef'`.execute(w.app.db.system);
    expect(ledger.rows).toEqual(
      [
        { atena_no: w.atena.child, source: 'platform', ref: childRecord, institution_code: clinic.code, claim_month: month },
        { atena_no: w.atena.otherChild, source: 'platform', ref: otherRecord, institution_code: clinic.code, claim_month: month },
      ].sort((a, b) => a.ref.localeCompare(b.ref)),
    );

    // The clinic's monthly paper file repeats the child's Hib dose (queued, not registered) and adds a BCG.
    const birth = (await sql<{ atena_no: string; birth_date: string; sex: string }>`SELECT atena_no, to_char(birth_date, 'YYYYMMDD') AS birth_date, sex FROM municipality.persons WHERE atena_no = ANY(${[w.atena.child, w.atena.otherChild]}::text[])`.execute(w.app.db.system)).rows;
    const who = (atena: string) => {
      const p = birth.find((b) => b.atena_no === atena)!;
      return { 宛名番号: atena, 生年月日: p.birth_date, 性別: p.sex === 'male' ? '1' : '2' };
    };
    const paper = await importRecords(w.app.db, operatorOf(TOTTORI), {
      file: writeRecordsCsv(join(dir, 'paper.csv'), [
        paperDose('P1', { ...who(w.atena.child), 接種日: ymd(today), ワクチン: 'hib', 予防接種: 'hib', 回数: '1', 医療機関コード: clinic.code, ロット番号: 'PAPER1' }),
        paperDose('P2', { ...who(w.atena.otherChild), 接種日: ymd(today), ワクチン: 'bcg', 予防接種: 'bcg', 回数: '1', 医療機関コード: clinic.code, ロット番号: 'PAPER2' }),
      ]),
    });
    expect(paper).toMatchObject({ created: 1, queued: 1, rejected: 0 });
    const queued = await sql<{ reason: string }>`SELECT query->>'reason' AS reason FROM municipality.match_queue WHERE source = 'records-import' AND status = 'open'`.execute(w.app.db.system);
    expect(queued.rows.map((r) => r.reason)).toEqual(['同じ日に同じ接種の記録が予防接種プラットフォームから登録済みです（重複の可能性）']);

    // The monthly close (staff screen): one claim for the clinic, checked at 国保連, every item accepted.
    const billing = await staff.get(`/billing?month=${month}`);
    const closed = await staff.post('/billing/close', { _csrf: PageClient.csrf(billing.text), month });
    expect(closed.status).toBe(302);
    const expected = 2 * (HIB_PRICE - HIB_COPAY) + BCG_PRICE;
    const claims = await sql<{ institution_code: string; status: string }>`SELECT institution_code, status FROM municipality.claims`.execute(w.app.db.system);
    expect(claims.rows).toEqual([{ institution_code: clinic.code, status: 'checked' }]);
    const items = await sql<{ result: string; amount: number }>`SELECT result, amount FROM municipality.claim_items ORDER BY amount`.execute(w.app.db.system);
    expect(items.rows).toEqual([
      { result: 'accepted', amount: HIB_PRICE - HIB_COPAY },
      { result: 'accepted', amount: HIB_PRICE - HIB_COPAY },
      { result: 'accepted', amount: BCG_PRICE },
    ]);
    const kokuhoren = await sql<{ n: number; total: number }>`SELECT count(*)::int AS n, sum(amount)::int AS total FROM peers_kokuhoren.claim_items WHERE result = 'accepted'`.execute(w.app.db.system);
    expect(kokuhoren.rows[0]).toEqual({ n: 3, total: expected });

    // The payment (staff screen) and its 全銀 file: the same yen everywhere.
    const payments = await staff.get('/payments');
    const paid = await staff.post('/payments', { _csrf: PageClient.csrf(payments.text), month });
    expect(paid.status).toBe(302);
    const batchId = /\/payments\/([0-9a-f-]{36})$/.exec(paid.location ?? '')![1]!;
    const file = await staff.bytes(`/payments/${batchId}/file`);
    expect(file.status).toBe(200);
    const bytes = file.body;
    const records = iconv.decode(bytes, 'cp932').split('\r\n').filter((l) => l.length);
    expect(records.map((r) => Buffer.byteLength(iconv.encode(r, 'cp932')))).toEqual(records.map(() => 120));
    const sjisField = (rec: string, from: number, to: number) => iconv.decode(iconv.encode(rec, 'cp932').subarray(from - 1, to), 'cp932');
    const data = records.filter((r) => r.startsWith('2'));
    expect(data).toHaveLength(1);
    expect(Number(sjisField(data[0]!, 81, 90))).toBe(expected);
    const trailer = records.find((r) => r.startsWith('8'))!;
    expect(Number(sjisField(trailer, 2, 7))).toBe(1);
    expect(Number(sjisField(trailer, 8, 19))).toBe(expected);

    // Paid flags and the payment date on each record of both channels; the queued paper duplicate is no record.
    const batch = await sql<{ transfer_date: string; amount: number }>`SELECT to_char(transfer_date, 'YYYY-MM-DD') AS transfer_date, amount::int AS amount FROM municipality.payment_batches WHERE id = ${batchId}::uuid`.execute(w.app.db.system);
    expect(batch.rows[0]!.amount).toBe(expected);
    const flags = await sql<{ source: string; paid: boolean; paid_on: string | null; batch: string | null }>`
      SELECT source, paid, to_char(paid_on, 'YYYY-MM-DD') AS paid_on, payment_batch_id::text AS batch FROM municipality.vaccination_records ORDER BY source, id`.execute(w.app.db.system);
    const mine = flags.rows.filter((r) => r.source === 'platform' || r.source === 'clinic-batch');
    expect(mine).toHaveLength(3);
    for (const r of mine) expect(r).toMatchObject({ paid: true, paid_on: batch.rows[0]!.transfer_date, batch: batchId });

    // Closing the month again finds nothing new: nothing is claimed or paid twice.
    const again = await staff.post('/billing/close', { _csrf: PageClient.csrf((await staff.get(`/billing?month=${month}`)).text), month });
    expect(again.status).toBe(302);
    expect(visibleText((await staff.get(`/billing?month=${month}`)).text)).toContain('新しく請求する記録はありませんでした。');
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_kokuhoren.claim_items`.execute(w.app.db.system)).rows[0]!.n)).toBe(3);
  });

  it('no answer the clinic received carries a My Number', () => {
    expect(bodies.length).toBeGreaterThan(8);
    for (const b of bodies) expect(findMyNumbers(b)).toEqual([]);
  });
});
