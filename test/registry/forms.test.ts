// New-registration application forms (issue 15 Must have 9 and "Bad input"; decision 0171): the example
// printed for each qualification validates against its schema; a missing or malformed item is named.
import { describe, expect, it } from 'vitest';
import { catalog, exampleForm, parseApplication } from '../../src/registry/index.js';
import { expectProblem } from '../harness/expect.js';

const fieldsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    return ((e as { errors?: { field: string }[] }).errors ?? []).map((x) => x.field);
  }
  throw new Error('expected a Problem');
};

describe('application forms', () => {
  it('the example of every qualification validates against its own form', () => {
    for (const q of catalog().qualifications) {
      const form = exampleForm(q.code);
      expect(parseApplication(q.code, form), q.code).toMatchObject({ qualification: q.code, procedure: 'new' });
    }
  });

  it('names a missing item', () => {
    const form = exampleForm('ishi');
    delete (form['国家試験'] as Record<string, unknown>)['受験番号'];
    delete form['生年月日'];
    expect(fieldsOf(() => parseApplication('ishi', form)).sort()).toEqual(['国家試験.受験番号', '生年月日']);
  });

  it('names a malformed item', async () => {
    const bad = { ...exampleForm('kangoshi'), 生年月日: '2001-02-30', フリガナ: { 姓: 'みほん', 名: 'タロウ' }, 住所: { 郵便番号: '6800000', 住所: '鳥取県' } };
    const p = await expectProblem(Promise.resolve().then(() => parseApplication('kangoshi', bad)), { status: 400, code: 'VALIDATION_FAILED' });
    expect(p.errors.map((e) => e.field).sort()).toEqual(['フリガナ.姓', '住所.郵便番号', '生年月日']);
    expect(p.errors.find((e) => e.field === '生年月日')!.message).toBe('存在しない日付です');
    expect(p.errors.find((e) => e.field === 'フリガナ.姓')!.message).toBe('全角カタカナで入力してください');
  });

  it('refuses an unknown item and a form of another qualification', () => {
    expect(fieldsOf(() => parseApplication('yakuzaishi', { ...exampleForm('yakuzaishi'), 個人番号: '123456789012' }))).toEqual(['(入力全体)']);
    expect(fieldsOf(() => parseApplication('yakuzaishi', exampleForm('ishi')))).toEqual(expect.arrayContaining(['qualification', '合格証書番号']));
  });

  it('asks each file for its own items', () => {
    // 保健師・助産師 also passed the 看護師国家試験; 助産師 is a woman's qualification.
    const h = exampleForm('hokenshi');
    delete h['看護師国家試験'];
    expect(fieldsOf(() => parseApplication('hokenshi', h))).toEqual(['看護師国家試験']);
    expect(fieldsOf(() => parseApplication('josanshi', { ...exampleForm('josanshi'), 性別: '1' }))).toEqual(['性別']);
    // 管理栄養士 needs the 栄養士 licence.
    const e = exampleForm('kanrieiyoshi');
    (e['栄養士免許'] as Record<string, unknown>)['都道府県コード'] = '48';
    expect(fieldsOf(() => parseApplication('kanrieiyoshi', e))).toEqual(['栄養士免許.都道府県コード']);
    // 介護福祉士 by examination needs the 合格証書番号; by a training school, the school.
    const k = exampleForm('kaigofukushishi');
    k['資格取得'] = { 区分: '養成施設', 合格年月: '2026-03' };
    expect(fieldsOf(() => parseApplication('kaigofukushishi', k)).sort()).toEqual(['資格取得.卒業年月', '資格取得.養成施設コード']);
    // 本籍: a prefecture or, for a person without Japanese nationality, the nationality — one of the two.
    expect(fieldsOf(() => parseApplication('rigakuryohoshi', { ...exampleForm('rigakuryohoshi'), 本籍: {} }))).toEqual(['本籍']);
    expect(parseApplication('rigakuryohoshi', { ...exampleForm('rigakuryohoshi'), 本籍: { 国籍: '大韓民国' } })).toMatchObject({ 本籍: { 国籍: '大韓民国' } });
  });
});
