// The vaccination record ledger (issue 4 points 4–5; VAX-19..24): engine check on entry with an explicit
// override for doses the rules forbid, corrections as versions with reasons, logical deletion, the
// timeline, GS1 vial codes, and clinic batches with matching, the review queue, idempotency and resume.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { createRecord, correctRecord, deleteRecord, recordVersions, personTimeline, parseGs1, importRecords, resolveRecordQueueItem, setCondition } from '../../../src/municipality/records/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { person, writeCsv, writeRecordsCsv, dose } from '../../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-rec-'));
const f = (n: string) => join(dir, n);

describe('GS1 element strings from vials', () => {
  it('reads the human-readable and the raw scanner forms', () => {
    expect(parseGs1('(01)04987123456784(17)271231(10)AB1234')).toEqual({ ok: true, value: { gtin: '04987123456784', expiry: '2027-12-31', lot: 'AB1234', serial: null } });
    expect(parseGs1(']d20104987123456784172712001 0AB1234'.replace(' ', ''))).toMatchObject({ ok: true, value: { gtin: '04987123456784', expiry: '2027-12-31' } });
    expect(parseGs1('010498712345678417270600' + '10LOT9\u001d21SN001')).toEqual({ ok: true, value: { gtin: '04987123456784', expiry: '2027-06-30', lot: 'LOT9', serial: 'SN001' } });
    // Some scanners send FNC1 in the first position as a GS after the symbology identifier.
    expect(parseGs1(']d2\u001d010498712345678417270600' + '10LOT9')).toMatchObject({ ok: true, value: { gtin: '04987123456784', lot: 'LOT9' } });
    expect(parseGs1('(01)04987123456785(17)271231').ok).toBe(false); // check digit
    expect(parseGs1('(01)04987123456784(17)271331').ok).toBe(false); // month 13
    expect(parseGs1('(99)123').ok).toBe(false);
  });
});

describe('record ledger', () => {
  let app: TestApp;
  let nurse: Principal;
  let atena: string;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(f('r.csv'), 'full', [person(1, { 生年月日: '20250910', 性別: '2' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
  });
  afterAll(async () => app.cleanup());

  it('registers a dose: the engine fills program and dose; counted in the timeline', async () => {
    const r = await runAs(app.db, nurse, (w) => createRecord(w, atena, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-10', lot: 'AB1234', institutionCode: '0110113719' }, { source: 'staff' }));
    expect(r.data).toMatchObject({ program: expect.any(String), dose: 1, category: 'A類定期' });
    expect(r.warnings.filter((x) => x.level === 'problem')).toEqual([]);
    const t = await runAs(app.db, nurse, (w) => personTimeline(w, atena, '2025-11-20'));
    expect(t.evaluation.results.find((x) => x.program === 'hib')).toMatchObject({ dosesCounted: 1 });
    expect(t.evaluation.results.find((x) => x.program === 'dpt-ipv-1')).toMatchObject({ dosesCounted: 1 });
  });

  it('a dose that breaks the interval needs an override reason; then it is kept with its 警告内容 (VAX-23)', async () => {
    await expect(runAs(app.db, nurse, (w) => createRecord(w, atena, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-20' }, { source: 'staff' }))).rejects.toMatchObject({ status: 409, code: 'SCHEDULE_PROBLEMS' });
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.vaccination_records`.execute(app.db.system)).rows[0]!.n)).toBe(1);
    const r = await runAs(app.db, nurse, (w) => createRecord(w, atena, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-20' }, { source: 'staff', overrideReason: '医療機関の誤接種として記録（保護者へ説明済み）' }));
    expect(r.warnings.map((x) => x.code)).toContain('INTERVAL_TOO_SHORT');
    expect(r.overrideReason).toBe('医療機関の誤接種として記録（保護者へ説明済み）');
  });

  it('a correction is a new version with its reason; deletion is logical and leaves the history (VAX-22)', async () => {
    const t0 = await runAs(app.db, nurse, (w) => personTimeline(w, atena, '2026-01-01'));
    const bad = t0.records.find((x) => x.data.vaccinatedOn === '2025-11-20')!;
    const fixed = await runAs(app.db, nurse, (w) => correctRecord(w, bad.id, { vaccinatedOn: '2025-12-10' }, { reasonKind: '母子手帳を元に修正', reason: '母子健康手帳の記載により接種日を訂正' }));
    expect(fixed).toMatchObject({ version: 2, overrideReason: null });
    expect(fixed.warnings.filter((x) => x.level === 'problem')).toEqual([]);
    const del = await runAs(app.db, nurse, (w) => deleteRecord(w, bad.id, { reasonKind: '職権修正', reason: '重複登録のため' }));
    expect(del).toMatchObject({ status: 'deleted', version: 3 });
    const v = await runAs(app.db, nurse, (w) => recordVersions(w, bad.id));
    expect(v.map((x) => [x.change, x.reasonKind])).toEqual([['create', '登録'], ['correct', '母子手帳を元に修正'], ['delete', '職権修正']]);
    expect((v[1]!.snapshot['before'] as { vaccinatedOn: string }).vaccinatedOn).toBe('2025-11-20');
    const t = await runAs(app.db, nurse, (w) => personTimeline(w, atena, '2026-01-01'));
    expect(t.evaluation.results.find((x) => x.program === 'hib')).toMatchObject({ dosesCounted: 1 });
  });

  it('a clerk of another duty cannot register doses (403, logged)', async () => {
    const addr = (await staff(app, TOTTORI, { login: 'addr', duties: ['addressee'] })).principal;
    await expect(runAs(app.db, addr, (w) => createRecord(w, atena, { product: 'bcg', vaccinatedOn: '2026-01-10' }, { source: 'staff' }))).rejects.toMatchObject({ status: 403 });
  });

  it('conditions feed the engine (unknown codes are refused naming the field)', async () => {
    await expect(runAs(app.db, nurse, (w) => setCondition(w, atena, { code: 'no-such-condition' }))).rejects.toMatchObject({ status: 400 });
  });
});

describe('clinic batch import', () => {
  let app: TestApp;
  let op: Principal;
  const n = async (t: string, where = 'true') => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)} WHERE ${sql.raw(where)}`.execute(app.db.system)).rows[0]!.n);
  let atenaOf: (code: string) => Promise<string>;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    op = operatorOf(TOTTORI);
    await importResidents(app, op, {
      file: writeCsv(f('pop.csv'), 'full', [
        person(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2' }),
        person(2, { 氏名: '山田　陽翔', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20250301', 性別: '1', 住所: '鳥取県鳥取市幸町７１番地', 世帯番号: '900' }),
        person(3, { 氏名: '山田　陽斗', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20250301', 性別: '1', 住所: '鳥取県鳥取市幸町７１番地', 世帯番号: '900' }), // twin, same kana
        person(4, { 氏名: '佐藤　美咲', 氏名カナ: 'サトウ　ミサキ', 生年月日: '20240505', 性別: '2' }),
      ]),
    });
    atenaOf = async (code) => (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', code).executeTakeFirstOrThrow()).atena_no;
  });
  afterAll(async () => app.cleanup());

  it('links by 宛名番号 and by unambiguous 4情報, queues doubtful rows, rejects bad rows with reasons', async () => {
    const hanako = await atenaOf('10000000001');
    const rows = [
      dose('1', { 宛名番号: hanako }),
      dose('2', { 氏名: '佐藤　美咲', 氏名カナ: 'さとう　みさき', 生年月日: '2024-05-05', 性別: '2', 住所: '鳥取県鳥取市尚徳町１１６', ワクチン: 'mr', 接種日: '20250510' }),
      dose('3', { 氏名: '山田　陽翔', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20250301', 性別: '1', ワクチン: 'bcg', 接種日: '20250801' }), // twin: never guessed
      dose('4', { 宛名番号: hanako, 生年月日: '20250911' }), // 宛名番号 but 4情報 disagree
      dose('5', { 宛名番号: hanako, ワクチン: 'no-such' }),
      dose('6', { 宛名番号: hanako, 接種日: '20991231' }),
      dose('7', { 宛名番号: '9999999999' }),
      dose('1', { 宛名番号: hanako, 接種日: '20251210' }), // 通番 twice
      dose('8', { 宛名番号: hanako, 接種日: '20251112' }), // too soon after row 1: kept with 警告内容
    ];
    const r = await importRecords(app.db, op, { file: writeRecordsCsv(f('batch1.csv'), rows, { encoding: 'sjis' }) });
    expect(r).toMatchObject({ rows: 9, created: 3, queued: 2, rejected: 4 });
    const byRow = new Map(r.rejects.map((x) => [x.rowNo, x]));
    expect(byRow.get(5)).toMatchObject({ field: 'ワクチン', code: 'PRODUCT_UNKNOWN' });
    expect(byRow.get(6)).toMatchObject({ field: '接種日', code: 'DATE_FUTURE' });
    expect(byRow.get(7)).toMatchObject({ field: '宛名番号', code: 'ATENA_UNKNOWN' });
    expect(byRow.get(8)).toMatchObject({ field: '通番', code: 'DUPLICATE_IN_FILE' });
    const warned = await app.db.system.selectFrom('municipality.vaccination_records').select(['warnings', 'data']).where('source_row', '=', 9).executeTakeFirstOrThrow();
    expect(warned.warnings.map((x) => x.code)).toContain('INTERVAL_TOO_SHORT');
    expect(await n('municipality.match_queue', "status = 'open'")).toBe(2);
    expect(await n('municipality.vaccination_records', `atena_no = '${await atenaOf('10000000002')}' OR atena_no = '${await atenaOf('10000000003')}'`)).toBe(0);
  });

  it('the same file again changes nothing; a resubmitted dose in another file is not registered twice', async () => {
    const before = await n('municipality.vaccination_records');
    const again = await importRecords(app.db, op, { file: f('batch1.csv') });
    expect(again).toMatchObject({ alreadyImported: true, created: 0 });
    const hanako = await atenaOf('10000000001');
    const r = await importRecords(app.db, op, { file: writeRecordsCsv(f('batch2.csv'), [dose('A1', { 宛名番号: hanako })]) });
    expect(r).toMatchObject({ created: 0, unchanged: 1 });
    expect(await n('municipality.vaccination_records')).toBe(before);
  });

  it('staff resolve the queue: link the twin row to the right child (engine checked), dismiss the other', async () => {
    const nurse = (await staff(app, TOTTORI, { login: 'q-nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    const items = await app.db.system.selectFrom('municipality.match_queue').select(['id', 'source_row']).where('status', '=', 'open').orderBy('source_row').execute();
    const twin = await atenaOf('10000000002');
    const linked = await runAs(app.db, nurse, (w) => resolveRecordQueueItem(w, items[0]!.id, { action: 'link', atenaNo: twin, note: '医療機関に確認（長男）' }));
    expect(linked.record).toMatchObject({ atenaNo: twin, data: expect.objectContaining({ product: 'bcg' }) });
    await runAs(app.db, nurse, (w) => resolveRecordQueueItem(w, items[1]!.id, { action: 'dismiss', note: '生年月日の誤記。医療機関に差し戻し' }));
    expect(await n('municipality.match_queue', "status = 'open'")).toBe(0);
    await expect(runAs(app.db, nurse, (w) => resolveRecordQueueItem(w, items[1]!.id, { action: 'dismiss', note: 'x2' }))).rejects.toMatchObject({ status: 409 });
  });

  it('a broken file writes nothing', async () => {
    const before = await n('municipality.vaccination_records');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f('broken.csv'), '通番,宛名番号\r\n1,2\r\n');
    await expect(importRecords(app.db, op, { file: f('broken.csv') })).rejects.toMatchObject({ status: 400, code: 'CSV_HEADER' });
    expect(await n('municipality.vaccination_records')).toBe(before);
  });
});
