// Eligibility feeds through the intake engine (RES-21; decision 0157), the co-payment decision applied when a
// record is registered (VAX-29, VAX-31) with the feed row as its source, and contacts (RES-18).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { checkDose, createRecord, correctRecord } from '../../../src/municipality/records/index.js';
import { addContact, endContact, importEligibility, listContacts, setCopayRule, explainCopay } from '../../../src/municipality/copay/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { csv, person, writeCsv } from '../../harness/residents.js';
import { findMyNumbers } from '../../harness/leaks.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-copay-'));
const f = (n: string) => join(dir, n);
const write = (name: string, cols: readonly string[], rows: Record<string, string>[], enc: 'utf8' | 'sjis' = 'utf8') => {
  const text = csv('full', rows, cols);
  writeFileSync(f(name), enc === 'sjis' ? iconv.encode(text, 'cp932') : text);
  return f(name);
};
const WELFARE = ['宛名番号', 'ケース番号', '区分', '開始日', '終了日'];
const TAX = ['宛名番号', '賦課年度', '課税区分'];
const LTC = ['宛名番号', '賦課年度', '所得段階'];

describe('eligibility feeds, co-payment on registration, contacts', () => {
  let app: TestApp;
  let op: Principal;
  let nurse: Principal;
  let clerk: Principal;
  let a: string[]; // 宛名番号 of persons 1..4 (aged 76)
  const count = async (t: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)}`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    op = operatorOf(TOTTORI);
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'] })).principal;
    const old = { 生年月日: '19500601', 住民となった日: '19500601', 最新異動日: '19500601', 続柄: '世帯主' };
    await importResidents(app, op, { file: writeCsv(f('r.csv'), 'full', [1, 2, 3, 4].map((i) => person(i, old))) });
    a = (await app.db.system.selectFrom('municipality.persons').select('atena_no').orderBy('juminhyo_code').execute()).map((r) => r.atena_no);
  });
  afterAll(async () => app.cleanup());

  it('imports a 生活保護 file: bad rows named by row and column, the good ones stored with their row', async () => {
    const rows = [
      { 宛名番号: a[0]!, ケース番号: 'C-100', 区分: '受給', 開始日: '20260501', 終了日: '' },
      { 宛名番号: a[1]!, ケース番号: 'C-200', 区分: '受給', 開始日: '20260401', 終了日: '' },
      { 宛名番号: a[1]!, ケース番号: 'C-200', 区分: '停止', 開始日: '20261001', 終了日: '20261031' },
      { 宛名番号: '１２３', ケース番号: 'C-1', 区分: '受給', 開始日: '20260401', 終了日: '' }, // 5: 宛名番号
      { 宛名番号: a[2]!, ケース番号: 'C-300', 区分: '廃止', 開始日: '2026-13-01', 終了日: '' }, // 6: 区分, 開始日
      { 宛名番号: '9999999999', ケース番号: 'C-9', 区分: '受給', 開始日: '20260401', 終了日: '' }, // 7: unknown person
      { 宛名番号: a[0]!, ケース番号: 'C-100', 区分: '受給', 開始日: '20260501', 終了日: '20260601' }, // 8: same key again
      { 宛名番号: a[2]!, ケース番号: 'C-300', 区分: '受給', 開始日: '20260601', 終了日: '20260501' }, // 9: end before start
    ];
    const r = await importEligibility(app.db, op, { kind: 'seikatsuhogo', file: write('seiho.csv', WELFARE, rows) });
    expect(r).toMatchObject({ kind: 'eligibility-seikatsuhogo', rows: 8, accepted: 3, rejected: 5, created: 3, alreadyImported: false });
    const named = r.rejects.map((x) => `${x.rowNo + 1}:${x.field}:${x.code}`);
    expect(named).toEqual(['5:宛名番号:FORMAT', '6:区分:CODE_UNKNOWN', '6:開始日:DATE_INVALID', '7:宛名番号:PERSON_NOT_FOUND', '8:宛名番号・ケース番号・区分・開始日:DUPLICATE', '9:終了日:INCONSISTENT']);
    const stored = await app.db.system.selectFrom('municipality.eligibility_welfare').select(['atena_no', 'kind', 'row_no']).orderBy('row_no').execute();
    expect(stored).toEqual([{ atena_no: a[0], kind: 'receipt', row_no: 1 }, { atena_no: a[1], kind: 'receipt', row_no: 2 }, { atena_no: a[1], kind: 'suspension', row_no: 3 }]);
  });

  it('the same file again changes nothing and says so; a later file updates only the changed period', async () => {
    const before = await count('municipality.eligibility_welfare');
    const again = await importEligibility(app.db, op, { kind: 'seikatsuhogo', file: f('seiho.csv') });
    expect(again).toMatchObject({ alreadyImported: true, created: 0, updated: 0 });
    expect(await count('municipality.eligibility_welfare')).toBe(before);
    const next = await importEligibility(app.db, op, {
      kind: 'seikatsuhogo',
      file: write('seiho2.csv', WELFARE, [
        { 宛名番号: a[0]!, ケース番号: 'C-100', 区分: '1', 開始日: '2026-05-01', 終了日: '' },
        { 宛名番号: a[1]!, ケース番号: 'C-200', 区分: '1', 開始日: '20260401', 終了日: '20261115' },
      ], 'sjis'),
    });
    expect(next).toMatchObject({ encoding: 'sjis', accepted: 2, created: 0, updated: 1, unchanged: 1, rejected: 0 });
  });

  it('a file whose header is not the format is refused whole, nothing written', async () => {
    const n = await count('municipality.import_runs');
    await expect(importEligibility(app.db, op, { kind: 'kazei', file: write('bad.csv', ['宛名番号', '年度', '課税区分'], [{ 宛名番号: a[0]!, 年度: '2026', 課税区分: '非課税' }]) })).rejects.toMatchObject({ code: 'CSV_HEADER', status: 400 });
    expect(await count('municipality.import_runs')).toBe(n);
  });

  it('imports 課税 and 介護 files (全角 digits read, 第N段階 accepted); a vaccination-duty user may not import', async () => {
    const t = await importEligibility(app.db, op, {
      kind: 'kazei',
      file: write('kazei.csv', TAX, [
        { 宛名番号: a[2]!, 賦課年度: '２０２６', 課税区分: '非課税' },
        { 宛名番号: a[2]!, 賦課年度: '2025', 課税区分: '課税' },
        { 宛名番号: a[3]!, 賦課年度: 'R8', 課税区分: '非課税' },
        { 宛名番号: a[3]!, 賦課年度: '2026', 課税区分: '不明' },
      ]),
    });
    expect(t).toMatchObject({ accepted: 2, rejected: 2 });
    expect(t.rejects.map((x) => [x.rowNo + 1, x.field])).toEqual([[4, '賦課年度'], [5, '課税区分']]);
    const l = await importEligibility(app.db, op, { kind: 'kaigo', file: write('kaigo.csv', LTC, [{ 宛名番号: a[3]!, 賦課年度: '2026', 所得段階: '第2段階' }, { 宛名番号: a[3]!, 賦課年度: '2025', 所得段階: '31' }]) });
    expect(l).toMatchObject({ accepted: 1, rejected: 1 });
    await expect(importEligibility(app.db, nurse, { kind: 'kaigo', file: f('kaigo.csv') })).rejects.toMatchObject({ status: 403 });
  });

  it('a registered dose gets its 自己負担区分, amount and 徴収区分 from the rule and the feeds, with the feed row as the source', async () => {
    const rule = {
      amounts: { 一般: 2500, 生活保護: 0, 非課税: 0, 介護低所得: 1000 },
      defaultCategory: '一般',
      exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }, { basis: 'hikazei', category: '非課税' }, { basis: 'kaigo', brackets: [1, 2, 3], category: '介護低所得' }],
      collection: 'clinic',
      exemptQuestionnaire: true,
    };
    await expect(runAs(app.db, clerk, (w) => setCopayRule(w, { program: 'influenza-elderly', fiscalYear: 2026, rule }))).rejects.toMatchObject({ status: 403 });
    await runAs(app.db, nurse, (w) => setCopayRule(w, { program: 'influenza-elderly', fiscalYear: 2026, rule }));
    const reg = (i: number, extra: Record<string, unknown> = {}) => runAs(app.db, nurse, (w) => createRecord(w, a[i]!, { product: 'influenza', vaccinatedOn: '2026-10-20', ...extra }, { source: 'staff' }));

    const r0 = await reg(0); // 生活保護 (running)
    expect(r0.data).toMatchObject({ program: 'influenza-elderly', copayCategory: '生活保護', copayAmount: 0, feeCollection: 'none', feeAmount: 0 });
    expect(r0.data.copayBasis?.[0]).toMatchObject({ code: 'WELFARE_RECEIVING', source: '生活保護ファイル「seiho.csv」2行目' });
    const r1 = await reg(1); // suspended in October → 一般
    expect(r1.data).toMatchObject({ copayCategory: '一般', copayAmount: 2500, feeCollection: 'clinic', feeAmount: 2500 });
    expect(r1.data.copayBasis?.[0]).toMatchObject({ code: 'WELFARE_SUSPENDED', source: '生活保護ファイル「seiho.csv」4行目' });
    expect((await reg(2)).data).toMatchObject({ copayCategory: '非課税', copayAmount: 0 });
    expect((await reg(3)).data).toMatchObject({ copayCategory: '介護低所得', copayAmount: 1000, feeCollection: 'clinic' });

    // A category given by hand is kept; 徴収区分 can be entered.
    const p = await runAs(app.db, nurse, (w) => createRecord(w, a[2]!, { product: 'ppsv23', vaccinatedOn: '2025-11-01', copayCategory: '一般', feeCollection: 'municipality', feeAmount: '3000' }, { source: 'staff', overrideReason: 'テスト' }));
    expect(p.data).toMatchObject({ copayCategory: '一般', copayBasis: null, feeCollection: 'municipality', feeAmount: 3000 });
    // 徴収なし given by staff for a paying resident: the amount collected is 0, the category still decided.
    const waived = await runAs(app.db, nurse, (w) => createRecord(w, a[3]!, { product: 'influenza', vaccinatedOn: '2026-10-21', feeCollection: 'none' }, { source: 'staff', overrideReason: 'テスト' }));
    expect(waived.data).toMatchObject({ copayCategory: '介護低所得', copayAmount: 1000, feeCollection: 'none', feeAmount: 0 });
    await expect(runAs(app.db, nurse, (w) => createRecord(w, a[2]!, { product: 'influenza', vaccinatedOn: '2025-10-20', feeCollection: 'none', feeAmount: 500 }, { source: 'staff', overrideReason: 'テスト' }))).rejects.toMatchObject({ status: 400 });

    // The entry screen's check shows the decision before saving; a correction of the date decides again.
    const c = await runAs(app.db, nurse, (w) => checkDose(w, a[1]!, { product: 'influenza', vaccinatedOn: '2026-11-20' }));
    expect(c.copay).toMatchObject({ category: '一般', amount: 2500 }); // the period ended 11/15 (second file)
    // Moved to before the suspension (10/1–10/31): 生活保護 again (out of season, hence the override reason).
    const moved = await runAs(app.db, nurse, (w) => correctRecord(w, r1.id, { vaccinatedOn: '2026-09-30' }, { reasonKind: '職権修正', reason: '接種日の誤り', overrideReason: '季節外の接種' }));
    expect(moved.data).toMatchObject({ copayCategory: '生活保護', copayAmount: 0, feeCollection: 'none' });
    expect(moved.data.copayBasis?.[0]).toMatchObject({ code: 'WELFARE_RECEIVING', source: '生活保護ファイル「seiho2.csv」3行目' });
  });

  it('explains a decision for a person, program and date (the 予診票 and the person page)', async () => {
    const d = await runAs(app.db, nurse, (w) => explainCopay(w, a[0]!, 'influenza-elderly', 'B類定期', '2026-10-20'));
    expect(d).toMatchObject({ exempt: true, exemptQuestionnaire: true, category: '生活保護' });
    expect(await runAs(app.db, nurse, (w) => explainCopay(w, a[0]!, 'zoster-elderly', 'B類定期', '2026-10-20'))).toBeNull();
  });

  it('contacts: normalised, validated, kept with source, set date and consent; values never logged', async () => {
    const add = (raw: Record<string, unknown>) => runAs(app.db, clerk, (w) => addContact(w, a[0]!, { source: 'counter', setOn: '2026-11-01', consent: true, ...raw }));
    expect((await add({ kind: 'mobile', value: '０９０－１２３４－５６７８' })).value).toBe('090-1234-5678');
    expect((await add({ kind: 'phone', value: '(0857)20-3000' })).value).toBe('0857-20-3000');
    expect((await add({ kind: 'phone', value: '+81 3 1234 5678' })).value).toBe('0312345678');
    expect((await add({ kind: 'fax', value: '0857-20-3001', consent: false })).consent).toBe(false);
    expect((await add({ kind: 'email', value: 'Hanako.T@Example.JP' })).value).toBe('Hanako.T@example.jp');
    for (const [kind, value] of [['mobile', '0857-20-3000'], ['phone', '123-4567'], ['fax', '090-1234-5678'], ['email', 'hanako@'], ['phone', '0857-20-300a']]) {
      await expect(add({ kind, value })).rejects.toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'value' })] });
    }
    await expect(add({ kind: 'mobile', value: '09012345678' })).rejects.toMatchObject({ code: 'CONTACT_EXISTS' });
    await expect(add({ kind: 'mobile', value: '08012345678', setOn: '' })).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'setOn' })] });
    const list = await runAs(app.db, nurse, (w) => listContacts(w, a[0]!));
    expect(list).toHaveLength(5);
    const ended = await runAs(app.db, nurse, (w) => endContact(w, list.find((x) => x.kind === 'fax')!.id, { endedOn: '2026-11-20' }));
    expect(ended.endedOn).toBe('2026-11-20');
    expect((await runAs(app.db, nurse, (w) => listContacts(w, a[0]!))).at(-1)!.kind).toBe('fax'); // ended ones last
    const log = JSON.stringify(await app.db.system.selectFrom('kernel.audit_log').selectAll().where('target_type', '=', 'person-contact').execute());
    expect(log).not.toContain('1234-5678');
    expect(log).not.toContain('example.jp');
    expect(findMyNumbers(log)).toEqual([]);
  });
});
