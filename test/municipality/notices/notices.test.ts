// The notices and vouchers ledger (issue 5 points 2 and 3; VAX-09..15, VAX-19, VAX-25, KRN-50): template
// versions, a batch from a real extraction run (numbers, order, addressing, 支援措置), its PDF read back (text
// layer, barcode, one page set per person), reissue, 発送, 返送 with follow-up, the clinic import by voucher
// number, and access by duty.  The contractor package has its own file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { checkVoucherNumber, formatVoucherNumber } from '../../../src/municipality/documents/index.js';
import { VOUCHER } from '../../../src/municipality/documents/questionnaire.js';
import { startExtraction } from '../../../src/municipality/extraction/index.js';
import { importRecords } from '../../../src/municipality/records/index.js';
import {
  batchItems,
  createBatchFromRun,
  decodeReference,
  ERASED,
  NOTICE_CONTENT_CLASS,
  findItem,
  getBatch,
  issueForPerson,
  listFollowUps,
  listTemplateVersions,
  markDispatched,
  markReturned,
  personNoticeHistory,
  previewTemplate,
  referenceKeys,
  reissue,
  renderItemPdf,
  resolveFollowUp,
  resolveVouchers,
  saveNoticeSettings,
  saveTemplateVersion,
  writeBatchPdf,
  type ItemView,
  type NoticeDeps,
  type RunSource,
} from '../../../src/municipality/notices/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { expectProblem } from '../../harness/expect.js';
import { dose, writeRecordsCsv } from '../../harness/residents.js';
import { decodeBarcode, norm, readText, renderGray } from '../documents/read-pdf.js';
import { buildTown, SETTINGS, type Town } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-notices-'));
const AS_OF = '2026-11-21';
/** Around the 接種券's barcode on the 予診票 (mm from the top-left; see documents/barcode.test.ts). */
const VOUCHER_AREA = { x: VOUCHER.x + 1, y: VOUCHER.barTop - 0.5, w: VOUCHER.w - 2, h: VOUCHER.barH + 1 };

async function pdfOf(write: (sink: { write(c: Uint8Array): void }) => Promise<unknown>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await write({ write: (c) => void parts.push(c) });
  return Buffer.concat(parts);
}

describe('notices ledger', () => {
  let app: TestApp;
  let nurse: Principal;
  let viewer: Principal;
  let addressee: Principal;
  let deps: NoticeDeps;
  let town: Town;
  let runId: string;
  let batchId: string;
  let items: ItemView[];

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    viewer = (await staff(app, TOTTORI, { login: 'viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    addressee = (await staff(app, TOTTORI, { login: 'atena', role: 'clerk', duties: ['addressee'] })).principal;
    deps = { keys: app.tenantKeys };
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    runId = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: AS_OF })).run.id;
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('wording templates', () => {
    it('start at the default (version 1); an edit is validated and stored as the next version, with who and why', async () => {
      const before = await runAs(app.db, nurse, (w) => listTemplateVersions(w, 'guidance'));
      expect(before).toMatchObject([{ version: 1, builtIn: true, used: 0 }]);
      const base = before[0]!.template;
      // An unknown placeholder is refused, naming the paragraph, with a suggestion.
      const bad = await expectProblem(runAs(app.db, nurse, (w) => saveTemplateVersion(w, 'guidance', { ...base, body: [base.body[0]!, '{{氏明}}さんへ'], note: '誤字' })), { status: 400, code: 'PLACEHOLDER_UNKNOWN', field: 'body.1' });
      expect(bad.errors[0]!.message).toContain('{{氏名}}');
      await expectProblem(runAs(app.db, nurse, (w) => saveTemplateVersion(w, 'guidance', { ...base, note: '' })), { status: 400, field: 'note' });
      const v2 = await runAs(app.db, nurse, (w) => saveTemplateVersion(w, 'guidance', { ...base, notes: [...base.notes, '土曜日の接種は予約が必要です。'], note: '土曜接種の注意を追加', baseVersion: 1 }));
      expect(v2).toMatchObject({ version: 2, createdBy: 'nurse', note: '土曜接種の注意を追加' });
      const after = await runAs(app.db, nurse, (w) => listTemplateVersions(w, 'guidance'));
      expect(after.map((v) => [v.version, v.builtIn])).toEqual([[2, false], [1, false]]);
      // Someone editing from version 1 now is told that a newer version exists.
      await expectProblem(runAs(app.db, nurse, (w) => saveTemplateVersion(w, 'guidance', { ...base, note: '古い版から', baseVersion: 1 })), { status: 409, code: 'TEMPLATE_CHANGED' });
      // Stored versions are immutable: the application role may not update them.
      await expect(runAs(app.db, nurse, (w) => sql`UPDATE municipality.notice_templates SET note = 'x'`.execute(w.tx))).rejects.toThrow(/permission denied/);
      // The preview is a PDF with the edited words and synthetic data.
      const pdf = await runAs(app.db, nurse, (w) => previewTemplate(w, 'guidance', { version: 2 }));
      const [page] = await readText(pdf);
      expect(page).toContain('土曜日の接種は予約が必要です。');
      expect(page).toContain('予防接種のお知らせ');
    });

    it('editing needs personal.write in 予防接種', async () => {
      const t = (await runAs(app.db, nurse, (w) => listTemplateVersions(w, 'reminder')))[0]!.template;
      await expectProblem(runAs(app.db, viewer, (w) => saveTemplateVersion(w, 'reminder', { ...t, note: 'x' })), { status: 403 });
      await expectProblem(runAs(app.db, addressee, (w) => listTemplateVersions(w, 'reminder')), { status: 403 });
    });
  });

  describe('a batch from an extraction run', () => {
    it('needs the sender block first', async () => {
      await expectProblem(runAs(app.db, nurse, (w) => createBatchFromRun(w, deps, { runId, docType: 'questionnaire' })), { status: 409, code: 'NOTICE_SETTINGS_MISSING' });
      await runAs(app.db, nurse, (w) => saveNoticeSettings(w, SETTINGS));
    });

    it('a failed batch takes no number: the next batch starts at serial 1 (no gaps on retry)', async () => {
      const failing: RunSource = {
        getExtractionRun: async () => ({ id: runId, status: 'complete', asOf: AS_OF }),
        async *iterateRunMembers() {
          yield [{ atenaNo: town.A, program: 'hib', dose: 1, earliest: '2026-10-14', latest: '2031-08-14', protected: false }];
          throw new Error('connection lost');
        },
      };
      await expect(runAs(app.db, nurse, (w) => createBatchFromRun(w, { ...deps, runs: failing }, { runId, docType: 'questionnaire' }))).rejects.toThrow('connection lost');
      const serials = await app.db.system.selectFrom('municipality.notice_serials').selectAll().execute();
      expect(serials).toEqual([]);
    });

    it('one item per member: gap-free voucher numbers with valid check digits, tokens that decode to the person, postal-code order, 支援措置 at the counter', async () => {
      const r = await runAs(app.db, nurse, (w) => createBatchFromRun(w, deps, { runId, docType: 'questionnaire' }));
      expect(r.created).toBe(true);
      batchId = r.batchId;
      const b = await runAs(app.db, nurse, (w) => getBatch(w, batchId));
      expect(b).toMatchObject({ kind: 'run', docType: 'questionnaire', persons: 4, mailed: 3, counter: 1, skipped: 0, templateVersion: 1, issueDate: AS_OF });
      items = await runAs(app.db, nurse, (w) => batchItems(w, batchId));
      // 郵便番号順 of the window address (C's 送付先 680-0001, A 680-0011, D 689-1101), 窓口交付 last.
      expect(items.map((i) => i.atenaNo)).toEqual([town.C, town.A, town.D, town.B]);
      expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
      const serials = items.map((i) => checkVoucherNumber(i.voucherNo!)).map((c) => {
        expect(c.ok).toBe(true);
        return c.ok ? c.parts : null;
      });
      expect(serials.every((p) => p!.orgCode === TOTTORI && p!.fiscalYear === 2026)).toBe(true);
      expect(serials.map((p) => p!.serial).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
      expect(new Set(items.map((i) => i.referenceNo)).size).toBe(4);
      const keys = await runAs(app.db, nurse, (w) => referenceKeys(w, app.tenantKeys));
      for (const it of items) expect(decodeReference(keys, it.referenceNo)).toMatchObject({ atenaNo: it.atenaNo, series: 'voucher', fiscalYear: 2026 });
      expect(decodeReference(keys, items[0]!.referenceNo.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBeNull();
      // Addressing: the 送付先 name as registered; a baby is written to as 保護者, the householder is the 保護者.
      const [c, a, , p] = items;
      expect(c!.document.mailTo).toMatchObject({ postalCode: '680-0001', address: '鳥取県鳥取市栄町七番地', addressLine2: 'コーポ栄101', name: '山﨑　健' });
      expect(a!.document.mailTo).toMatchObject({ name: '鳥取　花子　保護者' });
      expect(a!.document.guardianName).toBe('鳥取　太郎');
      // Hib's series name dose 1 differently (初回1回目 or 1回): before the series is known the label is 「1回目」.
      expect(a!.document.program).toMatchObject({ name: 'Hib感染症', dose: '1回目', period: { from: '2026-10-14' } });
      // 支援措置: not mailed, 窓口交付, and no address of the person anywhere on the document.
      expect(p).toMatchObject({ mail: false, printClass: 'counter' });
      expect(JSON.stringify(p!.document)).not.toContain('西町二丁目');
      expect(p!.document.person.address).toBe('（窓口交付）');
    });

    it('is made once: the same run, type and program again returns the batch and takes no number', async () => {
      const again = await runAs(app.db, nurse, (w) => createBatchFromRun(w, deps, { runId, docType: 'questionnaire' }));
      expect(again).toEqual({ batchId, created: false });
      const s = await app.db.system.selectFrom('municipality.notice_serials').select(['series', 'last_serial']).execute();
      expect(s).toEqual([{ series: 'voucher', last_serial: 4 }]);
    });

    it('the PDF: one page set per person in print order, the text layer holds 氏名, program and 接種券番号, the barcode decodes to the number', async () => {
      const pdf = await pdfOf((sink) => writeBatchPdf(app.db, nurse, batchId, 'all', sink));
      const pages = await readText(pdf);
      expect(pages).toHaveLength(4);
      items.forEach((it, i) => {
        expect(pages[i]).toContain(norm(it.document.person.name));
        expect(pages[i]).toContain('Hib感染症');
        expect(pages[i]).toContain(formatVoucherNumber(it.voucherNo!));
        expect(pages[i]).toContain(it.referenceNo);
      });
      for (const i of [0, 3]) expect(decodeBarcode(renderGray(pdf, i + 1, VOUCHER_AREA))?.text).toBe(items[i]!.voucherNo);
      // The 郵送分 leaves the 窓口交付 person out.
      const mail = await readText(await pdfOf((sink) => writeBatchPdf(app.db, nurse, batchId, 'mail', sink)));
      expect(mail).toHaveLength(3);
      expect(mail.join('')).not.toContain(norm(items[3]!.document.person.name));
      // One person's page set.
      const one = await runAs(app.db, nurse, (w) => renderItemPdf(w, items[1]!.id));
      expect(await readText(one.pdf)).toEqual([pages[1]]);
    });

    it('printing needs personal.export; the print is logged', async () => {
      await expectProblem(pdfOf((sink) => writeBatchPdf(app.db, viewer, batchId, 'all', sink)), { status: 403 });
      const log = await app.db.system.selectFrom('kernel.audit_log').select(['action', 'actor_login', 'target_id', 'outcome']).where('target_type', '=', 'notice-batch').where('action', '=', 'print').execute();
      expect(log.filter((l) => l.actor_login === 'nurse' && l.target_id === batchId).length).toBeGreaterThanOrEqual(2);
      const issued = await app.db.system.selectFrom('kernel.audit_log').select(['subject_ref']).where('target_type', '=', 'notice-item').where('action', '=', 'create').execute();
      expect(issued.map((l) => l.subject_ref).sort()).toEqual([town.A, town.B, town.C, town.D].map((a) => `resident:${a}`).sort());
    });
  });

  describe('after issue', () => {
    it('再発行: a new number, the old one voided with the reason, the count carried on; history keeps all', async () => {
      const old = items[1]!; // A
      await expectProblem(runAs(app.db, nurse, (w) => reissue(w, deps, old.id, { reason: '', identityCheck: 'マイナンバーカード' })), { status: 400, field: 'reason' });
      await expectProblem(runAs(app.db, nurse, (w) => reissue(w, deps, old.id, { reason: '紛失', identityCheck: '聞き取り' as never })), { status: 400, field: 'identityCheck' });
      const r1 = await runAs(app.db, nurse, (w) => reissue(w, deps, old.id, { reason: '紛失したため', identityCheck: 'マイナンバーカード' }));
      expect(r1.reissueCount).toBe(1);
      expect(r1.voucherNo).not.toBe(old.voucherNo);
      expect(checkVoucherNumber(r1.voucherNo!)).toMatchObject({ ok: true, parts: { serial: 5 } });
      const voided = await runAs(app.db, nurse, (w) => findItem(w, deps, formatVoucherNumber(old.voucherNo!)));
      expect(voided).toMatchObject({ status: 'void', voidedOn: AS_OF, voidReason: '紛失したため', replacedBy: r1.itemId });
      await expectProblem(runAs(app.db, nurse, (w) => reissue(w, deps, old.id, { reason: '再度', identityCheck: '運転免許証' })), { status: 409, code: 'ITEM_VOID' });
      await expectProblem(runAs(app.db, nurse, (w) => renderItemPdf(w, old.id)), { status: 409, code: 'ITEM_VOID' });
      const r2 = await runAs(app.db, nurse, (w) => reissue(w, deps, r1.itemId, { reason: '汚損', identityCheck: '運転免許証' }));
      expect(r2.reissueCount).toBe(2);
      const h = await runAs(app.db, nurse, (w) => personNoticeHistory(w, town.A));
      expect(h.items.map((i) => [i.printClass, i.status, i.reissueCount])).toEqual([
        ['reissue', 'active', 2],
        ['reissue', 'void', 1],
        ['normal', 'void', 0],
      ]);
      expect(h.items[0]).toMatchObject({ reissueReason: '汚損', identityCheck: '運転免許証', reissuedOn: AS_OF, printedOn: AS_OF });
      expect(h.events.map((e) => e.event).sort()).toEqual(['reissue', 'reissue', 'void', 'void']);
      // The reissued page set prints the new number; the batch PDF now leaves the void one out.
      const pdf = await runAs(app.db, nurse, (w) => renderItemPdf(w, r2.itemId));
      expect((await readText(pdf.pdf))[0]).toContain(norm(formatVoucherNumber(r2.voucherNo!)));
      expect(await readText(await pdfOf((sink) => writeBatchPdf(app.db, nurse, batchId, 'all', sink)))).toHaveLength(3);
    });

    it('the clinic import finds the person by 接種券番号 when 宛名番号 is empty, and refuses a voided number', async () => {
      const now = (await runAs(app.db, nurse, (w) => personNoticeHistory(w, town.A))).items[0]!;
      const d = items[2]!; // D, still valid
      const file = writeRecordsCsv(join(dir, 'clinic.csv'), [
        dose('V1', { 接種券番号: formatVoucherNumber(d.voucherNo!), 生年月日: '20261115'.replace('1115', '0815'), 性別: '1', ワクチン: 'hib', 接種日: '20261110' }),
        dose('V2', { 接種券番号: items[1]!.voucherNo!, 生年月日: '20260815', 性別: '2', ワクチン: 'hib', 接種日: '20261110' }),
        dose('V3', { 接種券番号: now.voucherNo!, 生年月日: '20260815', 性別: '2', ワクチン: 'hib', 接種日: '20261111' }),
      ]);
      const r = await importRecords(app.db, operatorOf(TOTTORI), { file, resolveVoucher: (w, nos) => resolveVouchers(w, nos) });
      expect(r).toMatchObject({ created: 2, rejected: 1, queued: 0 });
      expect(r.rejects[0]).toMatchObject({ rowNo: 2, field: '接種券番号', code: 'VOUCHER_VOID' });
      const recs = await app.db.system.selectFrom('municipality.vaccination_records').select(['atena_no', 'vaccinated_on']).where('source', '=', 'clinic-batch').orderBy('vaccinated_on').execute();
      expect(recs).toEqual([{ atena_no: town.D, vaccinated_on: '2026-11-10' }, { atena_no: town.A, vaccinated_on: '2026-11-11' }]);
    });

    it('発送: every mailed, valid item of the batch gets the date; not before issue, not in the future', async () => {
      await expectProblem(runAs(app.db, nurse, (w) => markDispatched(w, { batchId, date: '2027-01-01' })), { status: 400, code: 'DATE_FUTURE' });
      const n = await runAs(app.db, nurse, (w) => markDispatched(w, { batchId, date: AS_OF }));
      expect(n).toBe(2); // C and D (A's item was voided, B is 窓口交付)
      const after = await runAs(app.db, nurse, (w) => batchItems(w, batchId));
      expect(after.map((i) => i.dispatchedOn)).toEqual([AS_OF, null, AS_OF, null]);
      expect(await runAs(app.db, nurse, (w) => markDispatched(w, { batchId, date: AS_OF }))).toBe(0);
    });

    it('返送: numbers as scanned (hyphens, lower-case tokens) are marked with reason; unknown ones are reported; the person is listed for follow-up until resolved', async () => {
      const [c, , d] = items;
      const r = await runAs(app.db, nurse, (w) =>
        markReturned(w, deps, { numbers: [formatVoucherNumber(c!.voucherNo!), d!.referenceNo.toLowerCase(), '312011-26-000000099-9', ''], date: AS_OF, reason: '宛所不明' }),
      );
      expect(r.marked.map((m) => m.atenaNo)).toEqual([town.C, town.D]);
      expect(r.unknown).toEqual([2]);
      const again = await runAs(app.db, nurse, (w) => markReturned(w, deps, { numbers: [c!.voucherNo!], date: AS_OF, reason: '宛所不明' }));
      expect(again.already).toEqual([0]);
      await expectProblem(runAs(app.db, nurse, (w) => markReturned(w, deps, { numbers: [c!.voucherNo!], date: AS_OF, reason: 'なんとなく' as never })), { status: 400, field: 'reason' });
      let open = await runAs(app.db, nurse, (w) => listFollowUps(w));
      expect(open.map((i) => [i.atenaNo, i.returnReason])).toEqual([
        [town.C, '宛所不明'],
        [town.D, '宛所不明'],
      ]);
      await runAs(app.db, nurse, (w) => resolveFollowUp(w, c!.id, { note: '送付先を確認し再送付' }));
      open = await runAs(app.db, nurse, (w) => listFollowUps(w));
      expect(open.map((i) => i.atenaNo)).toEqual([town.D]);
      const h = await runAs(app.db, nurse, (w) => personNoticeHistory(w, town.C));
      expect(h.items[0]).toMatchObject({ returnedOn: AS_OF, returnReason: '宛所不明', followUp: 'resolved', dispatchedOn: AS_OF });
      expect(h.events.map((e) => e.event)).toEqual(['dispatch', 'return', 'follow-up']);
    });

    it('one document for one person: a 予防接種依頼書 with the engine’s next dose; a protected person’s goes to the counter', async () => {
      const r = await runAs(app.db, nurse, (w) =>
        issueForPerson(w, deps, { atenaNo: town.B, docType: 'request', program: 'hib', request: { destination: '大阪市長', reason: '里帰り出産のため', stayAddress: '大阪府大阪市北区中之島一丁目3番20号' } }),
      );
      expect(r).toMatchObject({ voucherNo: null, mail: false });
      const pdf = await runAs(app.db, nurse, (w) => renderItemPdf(w, r.itemId));
      const [page] = await readText(pdf.pdf);
      expect(page).toContain('大阪市長');
      expect(page).toContain(norm('髙橋　一郎'));
      expect(page).not.toContain('西町二丁目');
      await expectProblem(runAs(app.db, nurse, (w) => issueForPerson(w, deps, { atenaNo: town.B, docType: 'request', program: 'hib' })), { status: 400, field: 'request.destination' });
    });
  });

  describe('retention', () => {
    it('after the period the printed content is erased; numbers, dates and history stay; reprints are refused', async () => {
      const cutoff = new Date('2032-01-01T00:00:00+09:00');
      const n = await runAs(app.db, operatorOf(TOTTORI), (w) => NOTICE_CONTENT_CLASS.count(w, cutoff));
      expect(n).toBeGreaterThanOrEqual(7);
      expect(await runAs(app.db, operatorOf(TOTTORI), (w) => NOTICE_CONTENT_CLASS.count(w, new Date('2026-11-01T00:00:00+09:00')))).toBe(0);
      const out = await runAs(app.db, operatorOf(TOTTORI), (w) => NOTICE_CONTENT_CLASS.purge(w, cutoff, 'logical'));
      expect(out.count).toBe(n);
      const h = await runAs(app.db, nurse, (w) => personNoticeHistory(w, town.C));
      expect(h.items[0]).toMatchObject({ voucherNo: items[0]!.voucherNo, dispatchedOn: AS_OF, returnedOn: AS_OF, document: { person: { name: ERASED } } });
      expect(JSON.stringify(h.items[0]!.document)).not.toContain('栄町');
      await expectProblem(runAs(app.db, nurse, (w) => renderItemPdf(w, items[0]!.id)), { status: 409, code: 'ITEM_ERASED' });
      await expectProblem(pdfOf((sink) => writeBatchPdf(app.db, nurse, batchId, 'all', sink)), { status: 409, code: 'NOTHING_TO_PRINT' });
      expect((await runAs(app.db, nurse, (w) => resolveVouchers(w, [items[0]!.voucherNo!]))).get(items[0]!.voucherNo!)).toMatchObject({ atenaNo: town.C, valid: true });
      expect(await runAs(app.db, operatorOf(TOTTORI), (w) => NOTICE_CONTENT_CLASS.count(w, cutoff))).toBe(0);
    });
  });

  describe('access by duty', () => {
    it('a viewer reads the history but cannot issue, reissue or mark; another duty cannot even read; refusals are logged', async () => {
      expect((await runAs(app.db, viewer, (w) => personNoticeHistory(w, town.D))).items.length).toBe(1);
      await expectProblem(runAs(app.db, viewer, (w) => createBatchFromRun(w, deps, { runId, docType: 'guidance' })), { status: 403 });
      await expectProblem(runAs(app.db, viewer, (w) => reissue(w, deps, items[2]!.id, { reason: 'x', identityCheck: '旅券' })), { status: 403 });
      await expectProblem(runAs(app.db, viewer, (w) => markDispatched(w, { batchId, date: AS_OF })), { status: 403 });
      await expectProblem(runAs(app.db, addressee, (w) => personNoticeHistory(w, town.D)), { status: 403 });
      await expectProblem(runAs(app.db, operatorOf(TOTTORI), (w) => personNoticeHistory(w, town.D)), { status: 403 });
      const denied = await app.db.system.selectFrom('kernel.audit_log').select(['actor_login']).where('action', '=', 'access_denied').execute();
      expect(denied.map((d) => d.actor_login)).toEqual(expect.arrayContaining(['viewer', 'atena']));
    });
  });
});
