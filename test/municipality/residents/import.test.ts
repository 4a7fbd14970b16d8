// 住基 intake (issue 3 point 2, RES-01..08, RES-22): full and movement files in UTF-8 and Shift_JIS, every
// movement type, malformed rows with reasons, idempotency, history and "as of" states, protection.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents, getPerson, personAsOf, personHistory, searchPersons, mailingTarget, PROTECTED, isValidAtenaNo, cohortAsOf } from '../../../src/municipality/residents/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, SENDAI, type TestApp } from '../../harness/app.js';
import { person, movement, writeCsv, mn } from '../../harness/residents.js';
import { rejectsCsv as intakeRejectsCsv } from '../../../src/municipality/intake/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-res-'));
const f = (name: string) => join(dir, name);

describe('residents import', () => {
  let app: TestApp;
  let op: Principal;
  let atenaClerk: Principal; // 宛名管理 clerk
  const count = async (t: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)}`.execute(app.db.system)).rows[0]!.n);

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    op = operatorOf(TOTTORI);
    atenaClerk = (await staff(app, TOTTORI, { login: 'atena-clerk', duties: ['addressee'] })).principal;
  });
  afterAll(async () => app.cleanup());

  it('imports a full UTF-8 file: new persons get 宛名番号, My Numbers go to the vault with a 統合宛名番号 (RES-06, RES-07)', async () => {
    const rows = [person(1), person(2, { 個人番号: '' }), person(3, { 支援措置: '1', 送付先氏名: '', 送付先住所: '' })];
    const r = await importResidents(app, op, { file: writeCsv(f('full1.csv'), 'full', rows), baseDate: '2026-04-01' });
    expect(r).toMatchObject({ kind: 'full', encoding: 'utf8', rows: 3, accepted: 3, rejected: 0, created: 3, updated: 0, unchanged: 0, alreadyImported: false });
    const persons = await app.db.system.selectFrom('municipality.persons').selectAll().where('tenant_code', '=', TOTTORI).orderBy('juminhyo_code').execute();
    expect(persons).toHaveLength(3);
    for (const p of persons) expect(isValidAtenaNo(p.atena_no)).toBe(true);
    expect(persons.map((p) => !!p.integrated_no)).toEqual([true, false, true]);
    expect(await count(`kernel.mynumber_vault`)).toBe(2);
    // No My Number anywhere in the business tables.
    const dump = JSON.stringify(await app.db.system.selectFrom('municipality.persons').selectAll().execute()) + JSON.stringify(await app.db.system.selectFrom('municipality.person_versions').selectAll().execute());
    expect(dump).not.toContain(mn(1));
  });

  it('importing the same file again changes nothing and says so', async () => {
    const before = { p: await count('municipality.persons'), v: await count('municipality.person_versions'), a: await count('kernel.audit_log') };
    const r = await importResidents(app, op, { file: f('full1.csv') });
    expect(r).toMatchObject({ alreadyImported: true, created: 0, updated: 0, unchanged: 3, accepted: 3 });
    expect(await count('municipality.persons')).toBe(before.p);
    expect(await count('municipality.person_versions')).toBe(before.v);
  });

  it('a changed full file updates only what changed; identical rows are unchanged', async () => {
    const r = await importResidents(app, op, { file: writeCsv(f('full2.csv'), 'full', [person(1), person(2, { 個人番号: '', 住所: '鳥取県鳥取市幸町７１番地' }), person(3, { 支援措置: '1' })]), baseDate: '2026-05-01' });
    expect(r).toMatchObject({ created: 0, updated: 1, unchanged: 2, rejected: 0 });
  });

  it('reads Shift_JIS (CP932) with 異体字 intact', async () => {
    const rows = [person(11, { 氏名: '髙橋　﨑子', 氏名カナ: 'ﾀｶﾊｼ ｻｷｺ' })];
    const r = await importResidents(app, op, { file: writeCsv(f('sjis.csv'), 'full', rows, { encoding: 'sjis' }) });
    expect(r).toMatchObject({ encoding: 'sjis', created: 1, rejected: 0 });
    const p = await app.db.system.selectFrom('municipality.persons').select(['name_kanji', 'name_kana']).where('juminhyo_code', '=', '10000000011').executeTakeFirstOrThrow();
    expect(p).toEqual({ name_kanji: '髙橋　﨑子', name_kana: 'タカハシ　サキコ' });
  });

  it('applies every movement type, keeps each as a version, and answers "as of" queries (RES-05, RES-22)', async () => {
    const a = person(21, { 生年月日: '19800115', 氏名: '佐藤　健太', 氏名カナ: 'サトウ　ケンタ', 性別: '1', 最新異動区分: '', 最新異動日: '' });
    const b = person(22, { 生年月日: '19830220', 氏名: '佐藤　陽菜', 氏名カナ: 'サトウ　ヒナ', 最新異動区分: '', 最新異動日: '' });
    const baby = person(23, { 生年月日: '20260510', 住民となった日: '20260510', 最新異動区分: '', 最新異動日: '' });
    const rows = [
      movement('M-001', '01', '20260401', { ...a, 転入前住所: '東京都千代田区千代田１番１号', 住民となった日: '20260401' }),
      movement('M-002', '01', '20260401', { ...b, 住民となった日: '20260401' }),
      movement('M-003', '02', '20260510', baby),
      movement('M-004', '20', '20260601', { ...a, 住所: '鳥取県鳥取市幸町７１番地', 住民となった日: '20260401' }),
      movement('M-005', '21', '20260615', { ...b, 氏名: '鈴木　陽菜', 氏名カナ: 'スズキ　ヒナ', 住民となった日: '20260401' }),
      movement('M-006', '10', '20260701', { ...a, 住所: '鳥取県鳥取市幸町７１番地', 転出先住所: '大阪府大阪市北区梅田一丁目', 住民となった日: '20260401' }),
      movement('M-007', '11', '20260710', { ...a, 住所: '鳥取県鳥取市幸町７１番地', 転出先住所: '大阪府大阪市北区梅田一丁目', 住民となった日: '20260401', 住民でなくなった日: '20260710', 消除事由: '転出' }),
      movement('M-008', '12', '20260801', { ...b, 氏名: '鈴木　陽菜', 氏名カナ: 'スズキ　ヒナ', 住民となった日: '20260401', 住民でなくなった日: '20260801', 消除事由: '死亡' }),
      movement('M-009', '13', '20260805', { ...baby, 住民でなくなった日: '20260805', 消除事由: '職権消除' }),
      movement('M-010', '03', '20260901', { ...baby }),
      movement('M-011', '30', '20260902', { 住民票コード: '', 個人番号: mn(24), 氏名: '住登外　太郎', 氏名カナ: 'ジュウトウガイ　タロウ', 生年月日: '19700101', 性別: '1', 住所: '東京都港区芝公園４丁目２番８号' }),
    ];
    const r = await importResidents(app, op, { file: writeCsv(f('diff1.csv'), 'diff', rows) });
    expect(r).toMatchObject({ kind: 'diff', rejected: 0, created: 4, updated: 7, queued: 0 });
    const get = (code: string) => app.db.system.selectFrom('municipality.persons').select(['atena_no', 'status', 'state', 'category']).where('juminhyo_code', '=', code).executeTakeFirstOrThrow();
    const pa = await get('10000000021');
    expect(pa.status).toBe('moved-out');
    expect(pa.state).toMatchObject({ ceasedOn: '2026-07-10', ceasedReason: '転出', address: '鳥取県鳥取市幸町７１番地', nextAddress: '大阪府大阪市北区梅田一丁目' });
    expect((await get('10000000022')).status).toBe('deceased');
    expect((await get('10000000022')).state.nameKanji).toBe('鈴木　陽菜');
    expect((await get('10000000023')).status).toBe('resident'); // 職権消除 then 職権記載
    const nr = await app.db.system.selectFrom('municipality.persons').select(['status', 'category', 'integrated_no']).where('name_kanji', '=', '住登外　太郎').executeTakeFirstOrThrow();
    expect(nr).toMatchObject({ status: 'non-resident', category: 'non-registered' });
    expect(nr.integrated_no).toMatch(/^\d{15}$/);

    // As of a date, the registry answers as it stood then.
    const asOf = (d: string) => runAs(app.db, atenaClerk, (w) => personAsOf(w, pa.atena_no, d));
    expect(await asOf('2026-03-31')).toBeNull();
    expect(await asOf('2026-04-15')).toMatchObject({ status: 'resident', address: '鳥取県鳥取市尚徳町116番地' });
    expect(await asOf('2026-06-20')).toMatchObject({ status: 'resident', address: '鳥取県鳥取市幸町７１番地' });
    expect(await asOf('2026-07-05')).toMatchObject({ status: 'resident', plannedMoveOutOn: '2026-07-01' });
    expect(await asOf('2026-07-10')).toMatchObject({ status: 'moved-out' });
    // History: every version with its file and movement.
    const h = await runAs(app.db, atenaClerk, (w) => personHistory(w, pa.atena_no));
    expect(h.map((v) => v.movement)).toEqual(['01', '20', '10', '11']);
    expect(h.every((v) => v.fileName === 'diff1.csv' && v.actor === 'system:test-operator')).toBe(true);
    expect(h[1]!.changed).toContain('address');
    // Cohort as of a date: those resident then, in the birth range asked for.
    const cohort = async (d: string, birthFrom: string, birthTo: string) =>
      runAs(app.db, atenaClerk, async (w) => {
        const out: string[] = [];
        for await (const batch of cohortAsOf(w, d, { birthFrom, birthTo }, 2)) out.push(...batch.map((m) => m.state.nameKanji));
        return out.sort();
      });
    expect(await cohort('2026-06-01', '1975-01-01', '1990-12-31')).toEqual(['佐藤　健太', '佐藤　陽菜']);
    expect(await cohort('2026-06-20', '1975-01-01', '1990-12-31')).toEqual(['佐藤　健太', '鈴木　陽菜']);
    expect(await cohort('2026-08-02', '1975-01-01', '1990-12-31')).toEqual([]);
    expect(await cohort('2026-08-10', '2026-01-01', '2026-12-31')).toEqual([]); // 職権消除 on 08-05
    expect(await cohort('2026-09-01', '2026-01-01', '2026-12-31')).toHaveLength(1);
  }, 60_000);
});

describe('residents import: bad input', () => {
  let app: TestApp;
  let op: Principal;
  const count = async (t: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)}`.execute(app.db.system)).rows[0]!.n);
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    op = operatorOf(TOTTORI);
  });
  afterAll(async () => app.cleanup());

  it('lists malformed rows with reasons (column named, no values) and commits the good ones', async () => {
    const bad = [
      person(101),
      person(102, { 生年月日: '20250231' }),
      person(103, { 生年月日: '5081301' }),
      person(104, { 性別: '3' }),
      person(105, { 氏名: '' }),
      person(106, { 個人番号: mn(106).slice(0, 11) }),
      person(107, { 個人番号: mn(107).slice(0, 11) + String((Number(mn(107)[11]) + 1) % 10) }),
      person(108, { 個人番号: mn(101) }), // the number of person 101: a duplicate person
      person(101, { 住所: '別の住所' }), // the same 住民票コード twice
      person(109, { 住民種別: '2', 国籍: '' }),
      person(110, { 住民でなくなった日: '20260101' }),
      person(111, { 氏名カナ: 'とっとり　はなこ' }), // hiragana is normalised to katakana: accepted
      person(112, { 最新異動区分: '99' }),
      person(113, { 住民票コード: '' }),
    ];
    const r = await importResidents(app, op, { file: writeCsv(f('bad.csv'), 'full', bad) });
    expect(r.accepted).toBe(2);
    expect(r.created).toBe(2);
    expect(r.rejected).toBe(12);
    const byRow = new Map(r.rejects.map((x) => [x.rowNo, x]));
    expect(byRow.get(2)).toMatchObject({ field: '生年月日', code: 'DATE_INVALID' });
    expect(byRow.get(3)).toMatchObject({ field: '生年月日', code: 'DATE_INVALID' });
    expect(byRow.get(4)).toMatchObject({ field: '性別', code: 'CODE_UNKNOWN' });
    expect(byRow.get(5)).toMatchObject({ field: '氏名', code: 'REQUIRED' });
    expect(byRow.get(6)).toMatchObject({ field: '個人番号', code: 'MYNUMBER_LENGTH' });
    expect(byRow.get(7)).toMatchObject({ field: '個人番号', code: 'MYNUMBER_CHECK_DIGIT' });
    expect(byRow.get(8)).toMatchObject({ field: '個人番号', code: 'DUPLICATE_PERSON' });
    expect(byRow.get(9)).toMatchObject({ field: '住民票コード', code: 'DUPLICATE_IN_FILE' });
    expect(byRow.get(10)).toMatchObject({ field: '国籍', code: 'REQUIRED' });
    expect(byRow.get(11)).toMatchObject({ code: 'INCONSISTENT' });
    expect(byRow.get(13)).toMatchObject({ field: '最新異動区分', code: 'CODE_UNKNOWN' });
    expect(byRow.get(14)).toMatchObject({ field: '住民票コード', code: 'REQUIRED' });
    for (const x of r.rejects) for (let i = 101; i <= 113; i++) expect(x.message).not.toContain(mn(i).slice(0, 8));
    // The rejects CSV goes through the one CSV writer: text a spreadsheet would run as a formula is written as
    // text (decision 0121).  Field names and reasons are the code's own, so the shapes are put in by hand here.
    await app.db.system.insertInto('municipality.import_rejects').values({ tenant_code: TOTTORI, run_id: r.runId, row_no: 99, seq: 0, field: '\t=1+1', code: 'TEST', message: '＝HYPERLINK("http://example.invalid")' }).execute();
    const csv = await intakeRejectsCsv(app.db, op, r.runId);
    expect(csv.startsWith('\uFEFF行番号,列,コード,理由\r\n')).toBe(true);
    expect(csv).toContain(`\r\n100,'\t=1+1,TEST,"'＝HYPERLINK(""http://example.invalid"")"\r\n`);
    expect(csv).toContain('\r\n3,生年月日,DATE_INVALID,');
  });

  it('movement rules: unknown person, already resident, not resident', async () => {
    const rows = [
      movement('B-1', '11', '20260301', person(201, { 住民でなくなった日: '20260301', 消除事由: '転出' })),
      movement('B-2', '01', '20260301', person(101)),
      movement('B-3', '99', '20260301', person(202)),
      movement('B-4', '20', '20300101', person(101)),
      movement('B-5', '01', '20260301', person(203)),
      movement('B-5', '20', '20260302', person(203, { 住所: '鳥取県鳥取市幸町71' })),
    ];
    const r = await importResidents(app, op, { file: writeCsv(f('badmv.csv'), 'diff', rows) });
    const byRow = new Map(r.rejects.map((x) => [x.rowNo, x]));
    expect(byRow.get(1)).toMatchObject({ field: '住民票コード', code: 'UNKNOWN_PERSON' });
    expect(byRow.get(2)).toMatchObject({ field: '異動区分', code: 'ALREADY_RESIDENT' });
    expect(byRow.get(3)).toMatchObject({ field: '異動区分', code: 'CODE_UNKNOWN' });
    expect(byRow.get(4)).toMatchObject({ field: '異動日', code: 'DATE_FUTURE' });
    expect(byRow.get(6)).toMatchObject({ field: '異動ID', code: 'DUPLICATE_IN_FILE' });
    expect(r.created).toBe(1);
  });

  it('a file with a wrong header, a missing column or a broken CSV row writes nothing at all', async () => {
    const before = { p: await count('municipality.persons'), r: await count('municipality.import_runs'), v: await count('municipality.person_versions') };
    const noCol = writeCsv(f('nocol.csv'), 'full', [person(301)], { columns: ['住民票コード', '氏名'] });
    await expect(importResidents(app, op, { file: noCol })).rejects.toMatchObject({ status: 400, code: 'CSV_HEADER' });
    const { writeFileSync } = await import('node:fs');
    const broken = f('broken.csv');
    const good = (await import('../../harness/residents.js')).csv('full', [person(302), person(303)]);
    writeFileSync(broken, good + '1,2,3\r\n');
    await expect(importResidents(app, op, { file: broken })).rejects.toMatchObject({ status: 400, code: 'CSV_COLUMN_COUNT' });
    writeFileSync(f('quote.csv'), good.replace('鳥取県鳥取市', '"鳥取県"鳥取市'));
    await expect(importResidents(app, op, { file: f('quote.csv') })).rejects.toMatchObject({ status: 400, code: 'CSV_MALFORMED' });
    expect({ p: await count('municipality.persons'), r: await count('municipality.import_runs'), v: await count('municipality.person_versions') }).toEqual(before);
  });

  it('invalid Shift_JIS or UTF-8 bytes and an over-long row refuse the whole file, naming row and byte position; nothing stored, no U+FFFD (decision 0122)', async () => {
    const { writeFileSync } = await import('node:fs');
    const iconv = (await import('iconv-lite')).default;
    const { csv } = await import('../../harness/residents.js');
    const before = { p: await count('municipality.persons'), r: await count('municipality.import_runs'), v: await count('municipality.person_versions') };
    const lines = csv('full', [person(321), person(322), person(323)]).split('\r\n');
    // Row 3 as a spreadsheet numbers it (header = row 1): the second data row; a bad pair at the start of its second field.
    const k = lines[2]!.indexOf(',') + 1;
    const build = (enc: (s: string) => Buffer, bad: number[]) => {
      const head = enc(`${lines[0]}\r\n${lines[1]}\r\n${lines[2]!.slice(0, k)}`);
      return { offset: head.length, bytes: Buffer.concat([head, Buffer.from(bad), enc(`${lines[2]!.slice(k)}\r\n${lines.slice(3).join('\r\n')}`)]) };
    };
    const sjis = build((s) => iconv.encode(s, 'cp932'), [0x82, 0x20]);
    writeFileSync(f('bad-sjis.csv'), sjis.bytes);
    const e1 = await importResidents(app, op, { file: f('bad-sjis.csv'), encoding: 'sjis' }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ status: 400, code: 'CSV_ENCODING' });
    expect((e1 as Error & { detail: string }).detail).toContain(`3行目（ファイルの先頭から ${sjis.offset} バイト目）にShift_JIS（CP932）として正しくないバイト列があります`);
    // Detected as Shift_JIS too.
    await expect(importResidents(app, op, { file: f('bad-sjis.csv') })).rejects.toMatchObject({ status: 400, code: 'CSV_ENCODING' });
    const utf8 = build((s) => Buffer.from(s, 'utf8'), [0xe3, 0x81, 0x41]);
    writeFileSync(f('bad-utf8.csv'), utf8.bytes);
    const e2 = await importResidents(app, op, { file: f('bad-utf8.csv'), encoding: 'utf8' }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ status: 400, code: 'CSV_ENCODING' });
    expect((e2 as Error & { detail: string }).detail).toContain(`3行目（ファイルの先頭から ${utf8.offset} バイト目）にUTF-8として正しくないバイト列があります`);
    // A row over 64 KiB: refused with a clear message, without reading the rest of it.
    writeFileSync(f('long.csv'), `${lines[0]}\r\n${lines[1]}\r\n${lines[2]!.slice(0, k)}${'あ'.repeat(30_000)}${lines[2]!.slice(k)}\r\n`);
    const e3 = await importResidents(app, op, { file: f('long.csv') }).catch((e: unknown) => e);
    expect(e3).toMatchObject({ status: 400, code: 'CSV_ROW_TOO_LONG', title: '行が長すぎます' });
    expect((e3 as Error & { detail: string }).detail).toMatch(/^3行目が長すぎます（1行の上限は 65,536 バイトです。/);
    for (const e of [e1, e2, e3]) for (const name of ['鳥取', '髙橋', '山﨑', 'あああ']) expect(JSON.stringify(e) + (e as Error).message).not.toContain(name);
    expect({ p: await count('municipality.persons'), r: await count('municipality.import_runs'), v: await count('municipality.person_versions') }).toEqual(before);
    // No U+FFFD anywhere in the database.
    const tables = await sql<{ s: string; t: string }>`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('municipality', 'kernel') AND table_type = 'BASE TABLE'`.execute(app.db.system);
    expect(tables.rows.length).toBeGreaterThan(10);
    for (const { s, t } of tables.rows) {
      const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(`${s}.${t}`)} x WHERE x::text LIKE '%' || chr(65533) || '%'`.execute(app.db.system);
      expect(n.rows[0]!.n, `${s}.${t}`).toBe(0);
    }
  });
});

describe('residents: protection, tenancy and access (issue 3 points 5 and 7; KRN-01)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(f('prot.csv'), 'full', [person(401, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ', 支援措置: '1' }), person(402, { 氏名: '山﨑　美咲', 氏名カナ: 'ヤマサキ　ミサキ', 送付先氏名: '鳥取　一郎', 送付先郵便番号: '6800001', 送付先住所: '鳥取県鳥取市栄町１番地' })]) });
  });
  afterAll(async () => app.cleanup());

  it('the address of a person under 支援措置 is hidden except for 宛名管理, and no document goes to it', async () => {
    const vax = (await staff(app, TOTTORI, { login: 'p-vax', duties: ['vaccination'] })).principal;
    const atena = (await staff(app, TOTTORI, { login: 'p-atena', duties: ['addressee'] })).principal;
    const find = (p: Principal) => runAs(app.db, p, (w) => searchPersons(w, { kana: 'タカハシ' }));
    const [seenByVax] = await find(vax);
    expect(seenByVax!.address).toBe(PROTECTED);
    const [seenByAtena] = await find(atena);
    expect(seenByAtena!.address).toBe('鳥取県鳥取市尚徳町116番地');
    const rec = await runAs(app.db, vax, (w) => getPerson(w, app.vault, seenByVax!.atenaNo));
    expect(rec).toMatchObject({ addressHidden: true, hasMyNumber: true });
    expect(JSON.stringify(rec)).not.toContain('尚徳町');
    expect(mailingTarget((await runAs(app.db, atena, (w) => getPerson(w, app.vault, seenByAtena!.atenaNo))).state)).toBeNull();
    const other = (await runAs(app.db, atena, (w) => searchPersons(w, { kana: 'ヤマサキ' })))[0]!;
    expect(mailingTarget((await runAs(app.db, atena, (w) => getPerson(w, app.vault, other.atenaNo))).state)).toMatchObject({ name: '鳥取　一郎', address: '鳥取県鳥取市栄町１番地' });
  });

  it('staff of another municipality find nothing and get 404; staff without a resident duty are refused and logged', async () => {
    const sendai = (await staff(app, SENDAI, { login: 's-atena', duties: ['addressee'] })).principal;
    expect(await runAs(app.db, sendai, (w) => searchPersons(w, { kana: 'タ' }))).toEqual([]);
    const atenaNo = (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('tenant_code', '=', TOTTORI).executeTakeFirstOrThrow()).atena_no;
    await expect(runAs(app.db, sendai, (w) => getPerson(w, app.vault, atenaNo))).rejects.toMatchObject({ status: 404 });
    const admin = (await staff(app, TOTTORI, { login: 'p-admin', role: 'admin' })).principal;
    await expect(runAs(app.db, admin, (w) => searchPersons(w, {}))).rejects.toMatchObject({ status: 403 });
    const denied = await app.db.system.selectFrom('kernel.audit_log').select('action').where('actor_login', '=', 'p-admin').where('outcome', '=', 'denied').execute();
    expect(denied.length).toBe(1);
  });
});
