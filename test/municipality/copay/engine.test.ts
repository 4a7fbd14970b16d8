// The co-payment engine's rules, each with its source (VAX-29, VAX-30, VAX-31; decision 0158): 生活保護 on,
// before and after the period and while suspended, 非課税 across the 4/1 fiscal-year boundary, the 介護保険
// 所得段階, the order of the exemptions, the amounts and the 徴収区分, and the checks on a rule.
import { describe, expect, it } from 'vitest';
import { CopayRule, decideCopay, NO_FACTS, type PersonFacts } from '../../../src/municipality/copay/index.js';

const rule = CopayRule.parse({
  amounts: { 一般: 2500, 生活保護: 0, 非課税: 0, 介護低所得: 1000 },
  defaultCategory: '一般',
  exemptions: [
    { basis: 'seikatsuhogo', category: '生活保護' },
    { basis: 'hikazei', category: '非課税' },
    { basis: 'kaigo', brackets: [1, 2, 3], category: '介護低所得' },
  ],
  collection: 'clinic',
  exemptQuestionnaire: true,
});

const welfare = (over: Partial<PersonFacts['welfare'][number]> = {}) => ({ file: 'seiho-202610.csv', rowNo: 2, caseNo: 'C-100', kind: 'receipt' as const, from: '2026-05-01', until: '2026-09-30', ...over });
const facts = (f: Partial<PersonFacts>): PersonFacts => ({ ...NO_FACTS, ...f });

describe('co-payment engine: 生活保護', () => {
  const f = facts({ welfare: [welfare()] });
  it('receiving on the vaccination date: exempt, with the feed row as the source', () => {
    const d = decideCopay('influenza-elderly', rule, f, '2026-07-01');
    expect(d).toMatchObject({ category: '生活保護', amount: 0, exempt: true, exemptBy: 'seikatsuhogo', collection: 'none', fiscalYear: 2026 });
    expect(d.reasons[0]).toEqual({ code: 'WELFARE_RECEIVING', message: expect.stringContaining('令和8年7月1日'), rule: 'copay/influenza-elderly/2026/seikatsuhogo', source: '生活保護ファイル「seiho-202610.csv」3行目' });
    expect(d.reasons.at(-1)).toMatchObject({ code: 'COPAY_EXEMPTION', rule: 'copay/influenza-elderly/2026', source: '自己負担の規則（令和8年度・influenza-elderly）', message: expect.stringContaining('0円') });
  });
  it('the first and the last day of the period count; the day before and the day after do not', () => {
    expect(decideCopay('p', rule, f, '2026-05-01').category).toBe('生活保護');
    expect(decideCopay('p', rule, f, '2026-09-30').category).toBe('生活保護');
    for (const day of ['2026-04-30', '2026-10-01']) {
      const d = decideCopay('p', rule, f, day);
      expect(d).toMatchObject({ category: '一般', amount: 2500, exempt: false, collection: 'clinic' });
      expect(d.reasons[0]).toMatchObject({ code: 'WELFARE_OUTSIDE_PERIOD', source: '生活保護ファイル「seiho-202610.csv」3行目' });
    }
  });
  it('a period still running (no end date) covers every later day', () => {
    expect(decideCopay('p', rule, facts({ welfare: [welfare({ until: null })] }), '2027-02-01').category).toBe('生活保護');
  });
  it('suspended on the vaccination date: not exempt by 生活保護, the next exemption is tried', () => {
    const s = facts({ welfare: [welfare(), welfare({ kind: 'suspension', from: '2026-07-01', until: '2026-07-31', rowNo: 5 })] });
    const d = decideCopay('p', rule, s, '2026-07-15');
    expect(d.reasons[0]).toMatchObject({ code: 'WELFARE_SUSPENDED', source: '生活保護ファイル「seiho-202610.csv」6行目' });
    expect(d).toMatchObject({ category: '一般', exempt: false });
    expect(decideCopay('p', rule, s, '2026-08-01').category).toBe('生活保護'); // after the suspension
    // Receiving under a second case that is not suspended still counts.
    expect(decideCopay('p', rule, facts({ welfare: [...s.welfare, welfare({ caseNo: 'C-200', from: '2026-07-10', until: null, rowNo: 9 })] }), '2026-07-15').reasons[0]).toMatchObject({ code: 'WELFARE_RECEIVING', source: '生活保護ファイル「seiho-202610.csv」10行目' });
    // A suspension of another case does not suspend this one.
    expect(decideCopay('p', rule, facts({ welfare: [welfare(), welfare({ kind: 'suspension', caseNo: 'C-999', from: '2026-07-01', until: null })] }), '2026-07-15').category).toBe('生活保護');
  });
  it('no period at all: said so, and the standard category', () => {
    const d = decideCopay('p', rule, NO_FACTS, '2026-07-01');
    expect(d.reasons.map((r) => r.code)).toEqual(['WELFARE_NONE', 'TAX_NONE', 'LTC_NONE', 'COPAY_STANDARD']);
    expect(d).toMatchObject({ category: '一般', amount: 2500, exemptBy: null });
  });
});

describe('co-payment engine: 市町村民税非課税 by fiscal year', () => {
  const f = facts({ tax: [{ file: 'kazei.csv', rowNo: 1, fiscalYear: 2025, exempt: true }, { file: 'kazei.csv', rowNo: 2, fiscalYear: 2026, exempt: false }] });
  it('31 March belongs to the earlier fiscal year, 1 April to the next', () => {
    const before = decideCopay('p', rule, f, '2026-03-31');
    expect(before).toMatchObject({ category: '非課税', amount: 0, exemptBy: 'hikazei', fiscalYear: 2025 });
    expect(before.reasons).toContainEqual({ code: 'TAX_EXEMPT', message: '令和7年度の市町村民税が非課税です', rule: 'copay/p/2025/hikazei', source: '課税ファイル「kazei.csv」2行目' });
    const after = decideCopay('p', rule, f, '2026-04-01');
    expect(after).toMatchObject({ category: '一般', fiscalYear: 2026 });
    expect(after.reasons).toContainEqual(expect.objectContaining({ code: 'TAX_LIABLE', source: '課税ファイル「kazei.csv」3行目' }));
  });
  it('生活保護 is tried first: a recipient who is also 非課税 is exempt as a recipient', () => {
    const both = facts({ ...f, welfare: [welfare({ from: '2025-04-01', until: null })] });
    expect(decideCopay('p', rule, both, '2026-03-31')).toMatchObject({ category: '生活保護', exemptBy: 'seikatsuhogo' });
  });
});

describe('co-payment engine: 介護保険の所得段階', () => {
  it('a bracket the rule lists exempts (here to a reduced amount, collected at the clinic); another does not', () => {
    const low = decideCopay('p', rule, facts({ ltc: [{ file: 'kaigo.csv', rowNo: 4, fiscalYear: 2026, bracket: 2 }] }), '2026-10-15');
    expect(low).toMatchObject({ category: '介護低所得', amount: 1000, exempt: true, exemptBy: 'kaigo', collection: 'clinic' });
    expect(low.reasons).toContainEqual(expect.objectContaining({ code: 'LTC_BRACKET_EXEMPT', source: '介護保険ファイル「kaigo.csv」5行目', message: expect.stringContaining('第2段階') }));
    const high = decideCopay('p', rule, facts({ ltc: [{ file: 'kaigo.csv', rowNo: 4, fiscalYear: 2026, bracket: 5 }] }), '2026-10-15');
    expect(high).toMatchObject({ category: '一般', amount: 2500 });
    expect(high.reasons).toContainEqual(expect.objectContaining({ code: 'LTC_BRACKET_OTHER' }));
    // The bracket of another fiscal year says nothing about this one.
    expect(decideCopay('p', rule, facts({ ltc: [{ file: 'kaigo.csv', rowNo: 4, fiscalYear: 2025, bracket: 1 }] }), '2026-10-15').category).toBe('一般');
  });
});

describe('co-payment rules as data', () => {
  it('refuses a rule whose categories have no amount, or a 介護 exemption without brackets', () => {
    const bad = CopayRule.safeParse({ amounts: { 一般: 2500 }, defaultCategory: '一般', exemptions: [{ basis: 'seikatsuhogo', category: '免除' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['exemptions', 0, 'category'], message: '区分「免除」の金額がありません' });
    expect(CopayRule.safeParse({ amounts: { 一般: 2500, 免除: 0 }, defaultCategory: '一般', exemptions: [{ basis: 'kaigo', category: '免除' }] }).success).toBe(false);
    expect(CopayRule.safeParse({ amounts: { 一般: -1 }, defaultCategory: '一般' }).success).toBe(false);
  });
  it('a rule without exemptions charges everyone its standard amount', () => {
    const flat = CopayRule.parse({ amounts: { 一般: 4000 }, defaultCategory: '一般', collection: 'municipality' });
    expect(decideCopay('任意', flat, facts({ welfare: [welfare()] }), '2026-07-01')).toMatchObject({ category: '一般', amount: 4000, collection: 'municipality', exempt: false, reasons: [expect.objectContaining({ code: 'COPAY_STANDARD' })] });
  });
});
