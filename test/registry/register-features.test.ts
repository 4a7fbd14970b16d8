// The register's features of QUA-38 and QUA-39 (decision 0199), on real PostgreSQL as the registry's role:
// the 医師/歯科医師 届出票 (workplaces, work status, specialties, 地域枠等, consent) as versions of the entry;
// 介護福祉士's time-limited registration (有効期限 with its era, EPA/留学, release, 休業 days within what is
// allowed) and up to five 付記資格 with dates.  Every change a version; bad input named; erased entries refused.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  addSupplementaryQualification, eraseEntry, exampleForm, recordLeave, recordNotification, registerEntry, releaseRegistrationTerm, REGISTRY_ROLE, RegistrySecrets, setRegistrationTerm, supplementaryOf,
  syncAdministrators, termOf, type EntryView, type NotificationInput, type RegisterDeps,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { TEST_NOW, TEST_TODAY } from '../harness/clock.js';
import { expectProblem } from '../harness/expect.js';

const clock = new SetClock(TEST_NOW, { frozen: true });
let app: TestApp;
let db: Kysely<UntypedDatabase>;
let deps: RegisterDeps;
let n = 0;

async function register(qualification: string): Promise<EntryView> {
  n += 1;
  return registerEntry(deps, { applicationId: `feat-${n}`, qualification, application: exampleForm(qualification), myNumber: syntheticMyNumber('registry-features', n), approvedBy: 'shinsa1' });
}

/** The newest even year's 12月31日 before today (the clock's), whatever the year. */
const referenceDate = (): string => {
  const y = Number(TEST_TODAY.slice(0, 4)) - 1;
  return `${y % 2 === 0 ? y : y - 1}-12-31`;
};
const filedOn = (): string => `${Number(referenceDate().slice(0, 4)) + 1}-01-10`;

function doctorNotification(number: number, over: Partial<NotificationInput['届出票']> = {}): NotificationInput {
  return {
    qualification: 'ishi', number, 基準日: referenceDate(), 届出日: filedOn(), by: 'todokede1',
    届出票: {
      住所: '東京都千代田区霞が関一丁目2番2号', 電話番号: '03-1234-5678', 従事している業務の種別: '01', 就業形態: '常勤',
      主たる従事先: { 名称: '模擬中央病院', 所在地: '東京都港区一丁目', 勤務日数: 5, 宿直日直回数: 2 },
      従たる従事先: [{ 名称: '模擬診療所', 所在地: '東京都品川区二丁目', 勤務日数: 1 }, { 名称: '模擬クリニック', 所在地: '東京都目黒区三丁目', 勤務日数: 0.5 }],
      従事する診療科名等: ['内科', '循環器内科'], 分娩の取扱いの有無: false,
      地域枠等: { 従事要件有無: true, 従事年数: 9, 終了しているか: false, 要件となる従事場所: '模擬県内の指定医療機関', 奨学金貸与元: '模擬県', 選抜方式: '別枠方式' },
      活用に関する確認: true, ...over,
    },
  };
}

beforeAll(async () => {
  app = await testApp('server', { clock });
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, clock);
  deps = { db, clock, secrets: RegistrySecrets.open(app.config.keyDir) };
}, 120_000);

afterAll(async () => {
  await app?.cleanup();
});

describe('医師・歯科医師の届出票 (QUA-38)', () => {
  it('records a 医師 notification into the register items as a new version; the same again writes nothing', async () => {
    const e = await register('ishi');
    const v = await recordNotification(deps, doctorNotification(e.number));
    expect(v.version).toBe(2);
    expect(v.items).toMatchObject({
      住所: '東京都千代田区霞が関一丁目2番2号', '主たる従事先（名称）': '模擬中央病院', '勤務状況（勤務日数）': 5, '従たる従事先（名称）': '模擬診療所、模擬クリニック', 従たる従事先の件数: 2,
      '従たる従事先の勤務状況（勤務日数）': 1.5, 従事する診療科名等: '内科、循環器内科', '地域枠等（従事要件有無）': true, '地域枠等（従事年数）': 9, 医師届出票の活用に関する確認: true,
    });
    const last = v.history!.at(-1)!;
    expect(last).toMatchObject({ kind: 'notification', label: '届出票の記録', note: `${referenceDate()}現在の届出（${filedOn()}届出）`, by: 'todokede1' });
    expect(last.changedItems).toContain('医師届出票の活用に関する確認');
    expect((await recordNotification(deps, doctorNotification(e.number))).version).toBe(2);
    // Two years on: the next notification replaces the current state, the history keeps both.
    clock.set(`${Number(TEST_TODAY.slice(0, 4)) + 2}-03-01T10:00:00+09:00`);
    try {
      const next = { ...doctorNotification(e.number, { 活用に関する確認: false, 地域枠等: undefined }), 基準日: `${Number(referenceDate().slice(0, 4)) + 2}-12-31`, 届出日: `${Number(referenceDate().slice(0, 4)) + 3}-01-12` };
      const v3 = await recordNotification(deps, next);
      expect(v3.items).toMatchObject({ 医師届出票の活用に関する確認: false, '地域枠等（従事要件有無）': null });
      expect(v3.history!.filter((h) => h.kind === 'notification')).toHaveLength(2);
      expect(v3.history![1]!.items['医師届出票の活用に関する確認']).toBe(true);
    } finally {
      clock.set(TEST_NOW);
    }
  });

  it('records a 歯科医師 notification into the 届出票： items, with the entry\'s name and number', async () => {
    const e = await register('shikaishi');
    const v = await recordNotification(deps, {
      qualification: 'shikaishi', number: e.number, 基準日: referenceDate(), 届出日: filedOn(), by: 'todokede1',
      届出票: { 住所: '大阪府大阪市北区一丁目', 従事している業務の種別: '01', 主たる従事先: { 名称: '模擬歯科医院', 所在地: '大阪府大阪市' }, 歯学課程を修めた大学名等: '模擬歯科大学', 活用に関する確認: true },
    });
    expect(v.items).toMatchObject({ '届出票：住所': '大阪府大阪市北区一丁目', '届出票：主たる従事先（名称）': '模擬歯科医院', '届出票：歯科医師届出票の活用に関する確認': true, '届出票：登録番号': e.number, '届出票：姓': e.names[0]!.姓 });
  });

  it('refuses what is not a notification of that profession, a wrong 基準日, dates out of order, other qualifications, erased entries', async () => {
    const d = await register('shikaishi');
    await expectProblem(recordNotification(deps, { ...doctorNotification(d.number), qualification: 'shikaishi' }), { status: 400, field: '届出票.分娩の取扱いの有無' });
    const e = await register('ishi');
    await expectProblem(recordNotification(deps, { ...doctorNotification(e.number), 基準日: `${referenceDate().slice(0, 4)}-06-30` }), { status: 400, field: '基準日' });
    await expectProblem(recordNotification(deps, { ...doctorNotification(e.number), 基準日: `${Number(referenceDate().slice(0, 4)) - 1}-12-31` }), { status: 400, field: '基準日' });
    await expectProblem(recordNotification(deps, { ...doctorNotification(e.number), 届出日: referenceDate() }), { status: 400, code: 'NOTIFICATION_BEFORE_REFERENCE' });
    await expectProblem(recordNotification(deps, { ...doctorNotification(e.number), 届出票: { ...doctorNotification(e.number).届出票, 活用に関する確認: undefined } as unknown as NotificationInput['届出票'] }), { status: 400, field: '届出票.活用に関する確認' });
    await expectProblem(recordNotification(deps, { ...doctorNotification(1), qualification: 'kangoshi' as 'ishi' }), { status: 400, field: 'qualification' });
    await eraseEntry(deps, { qualification: 'ishi', number: e.number, cause: 'request', reasonCode: '01', by: 'shinsa1' });
    await expectProblem(recordNotification(deps, doctorNotification(e.number)), { status: 409, code: 'ENTRY_ERASED' });
  });
});

describe('介護福祉士: time-limited registration and 付記資格 (QUA-39)', () => {
  const expiry = () => `${Number(TEST_TODAY.slice(0, 4)) + 5}-03-31`;

  it('sets the term (有効期限 with its era, EPA/留学, 休業可能日数), counts 休業 days within what is allowed, and releases it', async () => {
    const e = await register('kaigofukushishi');
    const v = await setRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, 有効期限: expiry(), 区分: ['EPA'], 休業可能日数: 90, reasonCode: 'T1', by: 'shinsa1' });
    expect(v.items).toMatchObject({ 期限付登録: true, ＥＰＡ: true, 留学: false, '有効期限（年月日）': expiry(), '有効期限（元号）': '令和', 合計休業日数: 0, 休業可能日数: 90 });
    expect(termOf(v, TEST_TODAY)).toMatchObject({ limited: true, epa: true, expiresOn: expiry(), expired: false, leaveDays: 0, leaveAllowed: 90 });
    expect(termOf(v, `${Number(expiry().slice(0, 4)) + 1}-01-01`).expired).toBe(true);
    expect((await recordLeave(deps, { qualification: 'kaigofukushishi', number: e.number, days: 60, reasonCode: 'L1', by: 'shinsa1' })).items['合計休業日数']).toBe(60);
    await expectProblem(recordLeave(deps, { qualification: 'kaigofukushishi', number: e.number, days: 31, reasonCode: 'L1', by: 'shinsa1' }), { status: 409, code: 'LEAVE_EXCEEDS' });
    await expectProblem(releaseRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, on: '2999-01-01', 理由: '国家試験合格', reasonCode: 'R1', by: 'shinsa1' }), { code: 'DATE_IN_FUTURE' });
    const r = await releaseRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, on: TEST_TODAY, 理由: '国家試験合格', reasonCode: 'R1', by: 'shinsa1' });
    expect(r.items).toMatchObject({ '有効期限解除日（年月日）': TEST_TODAY, 有効期限解除理由: '国家試験合格', '有効期限解除日（元号）': '令和' });
    expect(termOf(r, `${Number(expiry().slice(0, 4)) + 1}-01-01`).expired).toBe(false);
    // Again the same: nothing; another release, a new term, or leave after release: refused.
    expect((await releaseRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, on: TEST_TODAY, 理由: '国家試験合格', reasonCode: 'R1', by: 'shinsa1' })).version).toBe(r.version);
    await expectProblem(setRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, 有効期限: expiry(), reasonCode: 'T1', by: 'shinsa1' }), { status: 409, code: 'TERM_RELEASED' });
    await expectProblem(recordLeave(deps, { qualification: 'kaigofukushishi', number: e.number, days: 1, reasonCode: 'L1', by: 'shinsa1' }), { status: 409, code: 'TERM_NOT_LIMITED' });
    expect(r.history!.map((h) => h.kind)).toEqual(['register', 'term', 'term', 'term']);
  });

  it('refuses a term on another qualification, before the registration, and a release of an unlimited entry', async () => {
    const nurse = await register('kangoshi');
    await expectProblem(setRegistrationTerm(deps, { qualification: 'kangoshi', number: nurse.number, 有効期限: expiry(), reasonCode: 'T1', by: 'shinsa1' }), { status: 400, code: 'NOT_APPLICABLE' });
    const e = await register('kaigofukushishi');
    await expectProblem(setRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, 有効期限: TEST_TODAY, reasonCode: 'T1', by: 'shinsa1' }), { status: 400, code: 'TERM_BEFORE_REGISTRATION' });
    await expectProblem(releaseRegistrationTerm(deps, { qualification: 'kaigofukushishi', number: e.number, on: TEST_TODAY, 理由: '実務経験', reasonCode: 'R1', by: 'shinsa1' }), { status: 409, code: 'TERM_NOT_LIMITED' });
  });

  it('adds up to five 付記資格 with dates, each a version; the same again nothing; a sixth refused', async () => {
    const e = await register('kaigofukushishi');
    const names = ['認定介護福祉士', '喀痰吸引等研修（第1号）', '喀痰吸引等研修（第2号）', '実務者研修', '介護支援専門員'];
    let v = e;
    for (const [i, name] of names.entries()) {
      v = await addSupplementaryQualification(deps, { qualification: 'kaigofukushishi', number: e.number, 名称: name, 年月日: `${Number(TEST_TODAY.slice(0, 4)) - 1}-0${i + 1}-01`, reasonCode: 'F1', by: 'shinsa1' });
    }
    expect(supplementaryOf(v).map((s) => [s.slot, s.名称])).toEqual(names.map((x, i) => [i + 1, x]));
    expect(v.items['付記資格５']).toBe('介護支援専門員');
    expect(v.items['付記資格年月日１（元号）']).toBe('令和');
    expect((await addSupplementaryQualification(deps, { qualification: 'kaigofukushishi', number: e.number, 名称: '実務者研修', 年月日: TEST_TODAY, reasonCode: 'F1', by: 'shinsa1' })).version).toBe(v.version);
    await expectProblem(addSupplementaryQualification(deps, { qualification: 'kaigofukushishi', number: e.number, 名称: '六つ目', 年月日: TEST_TODAY, reasonCode: 'F1', by: 'shinsa1' }), { status: 409, code: 'SUPPLEMENTARY_FULL' });
    await expectProblem(addSupplementaryQualification(deps, { qualification: 'kaigofukushishi', number: e.number, 名称: '未来', 年月日: '2999-01-01', reasonCode: 'F1', by: 'shinsa1' }), { code: 'DATE_IN_FUTURE' });
    expect(v.history!.filter((h) => h.kind === 'supplementary')).toHaveLength(5);
  });
});
