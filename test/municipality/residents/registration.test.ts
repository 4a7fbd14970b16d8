// 住登外者 (RES-08, RES-09, RES-10), the 4情報 matching service (RES-12) and the review queue for doubtful
// 住登外 registrations arriving in 住基 movement files: never guessed, resolved by staff.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents, registerNonResident, matchPerson, listQueue, resolveQueueItem, setMyNumber, revealMyNumber, getPerson } from '../../../src/municipality/residents/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { person, movement, writeCsv, mn } from '../../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-reg-'));

describe('住登外 registration, matching and the review queue', () => {
  let app: TestApp;
  let atena: Principal;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    atena = (await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'], mynumberView: true })).principal;
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'pop.csv'), 'full', [
        person(1, { 氏名: '山田　陽翔', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20200301', 性別: '1', 住所: '鳥取県鳥取市幸町71番地', 個人番号: '' }),
        person(2, { 氏名: '山田　陽斗', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20200301', 性別: '1', 住所: '鳥取県鳥取市幸町71番地', 個人番号: '' }),
        person(3, { 氏名: '佐藤　健太', 氏名カナ: 'サトウ　ケンタ', 生年月日: '19800115', 性別: '1', 住所: '鳥取県鳥取市尚徳町116番地', 個人番号: '' }),
      ]),
    });
  });
  afterAll(async () => app.cleanup());

  it('the matching service links an unambiguous 4情報 and never picks between twins (RES-12)', async () => {
    const one = await runAs(app.db, atena, (w) => matchPerson(w, { nameKanji: '佐藤　健太', nameKana: 'さとう けんた', birthDate: '1980-01-15', sex: 'male', address: '鳥取市尚徳町１１６' }, 'テスト'));
    expect(one.decision).toBe('matched');
    const twins = await runAs(app.db, atena, (w) => matchPerson(w, { nameKana: 'ヤマダ　ハルト', birthDate: '2020-03-01', sex: 'male', address: '鳥取県鳥取市幸町71番地' }, 'テスト'));
    expect(twins.decision).toBe('ambiguous');
    expect(twins.candidates.length).toBe(2);
  });

  it('registering a child outside 戸籍・住民票 checks for similar persons first, then assigns numbers (RES-09, RES-07)', async () => {
    const input = { category: 'unregistered-child', nameKanji: '佐藤　健太', nameKana: 'サトウ　ケンタ', birthDate: '1980-01-15', sex: 'male', address: '鳥取県鳥取市尚徳町116番地', note: '母の申出（無戸籍児の支援）' };
    const first = await runAs(app.db, atena, (w) => registerNonResident(w, app.vault, input));
    expect(first.atenaNo).toBeNull();
    expect(first.possibleMatches.length).toBeGreaterThan(0);
    const child = { ...input, nameKanji: '鈴木　結', nameKana: 'スズキ　ユイ', birthDate: '2023-06-01', sex: 'female', guardianName: '鈴木　花', myNumber: mn(900) };
    const ok = await runAs(app.db, atena, (w) => registerNonResident(w, app.vault, child));
    expect(ok.atenaNo).toMatch(/^9\d{9}$/);
    const rec = await runAs(app.db, atena, (w) => getPerson(w, app.vault, ok.atenaNo!));
    expect(rec).toMatchObject({ hasMyNumber: true, state: { category: 'unregistered-child', status: 'non-resident', householderName: '鈴木　花' } });
    expect(rec.integratedNo).toMatch(/^\d{15}$/);
    expect(await runAs(app.db, atena, (w) => revealMyNumber(w, app.vault, ok.atenaNo!, '登録内容の確認'))).toBe(mn(900));
    // The same number cannot be given to another person.
    const other = (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', '10000000003').executeTakeFirstOrThrow()).atena_no;
    await expect(runAs(app.db, atena, (w) => setMyNumber(w, app.vault, other, mn(900), 'テスト'))).rejects.toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'myNumber', code: 'DUPLICATE_PERSON' })] });
  });

  it('a doubtful 住登外登録 in a movement file waits in the queue; staff link it or register it as new', async () => {
    const rows = [
      movement('Q-1', '30', '20260501', { 住民票コード: '', 個人番号: mn(901), 氏名: '山田　陽翔', 氏名カナ: 'ヤマダ　ハルト', 生年月日: '20200301', 性別: '1', 住所: '鳥取県鳥取市幸町71番地' }),
      movement('Q-2', '30', '20260501', { 住民票コード: '', 個人番号: '', 氏名: '田中　一郎', 氏名カナ: 'タナカ　イチロウ', 生年月日: '19500505', 性別: '1', 住所: '東京都港区芝公園４丁目２番８号' }),
    ];
    const r = await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'q.csv'), 'diff', rows) });
    expect(r).toMatchObject({ queued: 1, created: 1, rejected: 0 });
    const items = await runAs(app.db, atena, (w) => listQueue(w));
    expect(items).toHaveLength(1);
    expect(JSON.stringify(items)).not.toContain(mn(901));
    const twin = items[0]!.candidates[0]!.atenaNo;
    const done = await runAs(app.db, atena, (w) => resolveQueueItem(w, app.vault, items[0]!.id, { action: 'link', atenaNo: twin, note: '本人に電話で確認' }));
    expect(done).toMatchObject({ status: 'linked', resolvedAtenaNo: twin });
    // The held My Number moved to the person without being shown to anyone.
    expect(await runAs(app.db, atena, (w) => revealMyNumber(w, app.vault, twin, '確認'))).toBe(mn(901));
    const held = await app.db.system.selectFrom('kernel.mynumber_vault').select(['ciphertext']).where('subject_type', '=', 'queue').executeTakeFirstOrThrow();
    expect(held.ciphertext).toBeNull();
    expect(await runAs(app.db, atena, (w) => listQueue(w))).toHaveLength(0);
  });
});
