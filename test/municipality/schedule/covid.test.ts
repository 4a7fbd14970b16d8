// COVID-19 in the catalog (issue 9 point 2, decisions 0095–0096): the products used in Japan with their
// 製造販売業者, the 特例臨時接種 of 2021-02-17..2024-03-31 counting 1回目, 2回目, 3回目…, and the B類 定期接種
// from FY2024 counting one dose per fiscal year.
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '../../../src/municipality/schedule/index.js';
import { chk, codes, ev, person } from './helpers.js';

const elder = person('1950-05-01');
const primary = [
  { product: 'covid19-comirnaty', date: '2021-06-01' },
  { product: 'covid19-comirnaty', date: '2021-06-22' },
];

describe('COVID-19 products', () => {
  it('names the products used in Japan with their 製造販売業者, and keeps the generic code for records without one', () => {
    const cat = defaultCatalog();
    const maker = (code: string) => cat.productByCode.get(code)?.manufacturer;
    expect(cat.productByCode.get('covid19-comirnaty')).toMatchObject({ name: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', cvx: '208' });
    expect(maker('covid19-spikevax')).toBe('モデルナ・ジャパン株式会社');
    expect(maker('covid19-vaxzevria')).toBe('アストラゼネカ株式会社');
    expect(maker('covid19-nuvaxovid')).toBe('武田薬品工業株式会社');
    expect(maker('covid19-daichirona')).toBe('第一三共株式会社');
    expect(maker('covid19-kostaive')).toBe('Meiji Seika ファルマ株式会社');
    for (const c of ['covid19-comirnaty', 'covid19-spikevax', 'covid19-vaxzevria', 'covid19-nuvaxovid', 'covid19-daichirona', 'covid19-kostaive']) {
      expect(cat.productByCode.get(c)?.genericName, c).toBeTruthy();
      expect(cat.productByCode.get(c)?.antigens).toEqual(['covid19']);
    }
    expect(cat.productByCode.get('covid19')).toMatchObject({ name: '新型コロナウイルスワクチン（製品不明）' });
    expect(cat.productByCode.get('covid19')?.manufacturer).toBeUndefined();
  });
});

describe('特例臨時接種 (2021-02-17 .. 2024-03-31)', () => {
  it('files a 2022 dose under the 特例臨時接種 and counts it as the 3rd', () => {
    const r = chk(elder, primary, 'covid19-spikevax', '2022-01-10');
    expect(r).toMatchObject({ program: 'covid19-special', dose: 3, allowed: true });
    expect(defaultCatalog().programsByCode.get('covid19-special')?.[0]).toMatchObject({ category: '臨時', effectiveFrom: '2021-02-17', effectiveUntil: '2024-03-31' });
  });

  it('counts the doses of 2021–2024 in one sequence, whatever the product, and also old records without one', () => {
    const h = [...primary, { product: 'covid19', date: '2022-01-10' }, { product: 'covid19-comirnaty', date: '2022-06-10' }, { product: 'covid19-nuvaxovid', date: '2022-12-01' }];
    expect(chk(elder, h, 'covid19-daichirona', '2023-12-15')).toMatchObject({ program: 'covid19-special', dose: 6, allowed: true });
    expect(chk(person('2000-01-01'), [], 'covid19', '2021-07-01')).toMatchObject({ program: 'covid19-special', dose: 1, allowed: true });
  });

  it('checks only the shortest intervals ever allowed (18日, 8週, 3月)', () => {
    expect(codes(chk(elder, [primary[0]!], 'covid19-comirnaty', '2021-06-10'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(elder, primary, 'covid19-comirnaty', '2021-08-17').allowed).toBe(false); // 中56日: 8週 after dose 2 is the day after
    expect(chk(elder, primary, 'covid19-comirnaty', '2021-08-18').allowed).toBe(true);
    expect(codes(chk(elder, [...primary, { product: 'covid19-comirnaty', date: '2021-12-01' }], 'covid19-comirnaty', '2022-01-10'))).toContain('INTERVAL_TOO_SHORT');
  });

  it('does not accept a product before its approval, nor コスタイベ (first used in the B類 program)', () => {
    expect(codes(chk(elder, primary, 'covid19-nuvaxovid', '2022-01-10'))).toContain('PRODUCT_MISMATCH');
    expect(chk(elder, primary, 'covid19-kostaive', '2024-01-10').program).not.toBe('covid19-special');
  });

  it('evaluates the sequence as of a day inside the program', () => {
    const r = ev(elder, primary, '2022-03-01', 'covid19-special');
    expect(r).toMatchObject({ dosesCounted: 2, nextDose: { dose: 3 } });
  });
});

describe('B類 定期接種 (from FY2024, season 10-01 .. 03-31)', () => {
  it('files a dose from 2024-10-01 under the B類 program as the year\'s 1st, whatever the earlier 特例 doses', () => {
    const h = [...primary, { product: 'covid19-comirnaty', date: '2023-10-10' }];
    expect(chk(elder, h, 'covid19-kostaive', '2024-10-15')).toMatchObject({ program: 'covid19-elderly', dose: 1, allowed: true });
    expect(chk(elder, [...h, { product: 'covid19-kostaive', date: '2024-10-15' }], 'covid19-comirnaty', '2025-10-20')).toMatchObject({ program: 'covid19-elderly', dose: 1, allowed: true });
  });

  it('files a dose between the two programs (2024-04..09) under the B類 program, outside its season — not under the ended 特例', () => {
    const r = chk(elder, primary, 'covid19-comirnaty', '2024-05-10');
    expect(r.program).toBe('covid19-elderly');
    expect(r.allowed).toBe(false);
    expect(codes(r)).toContain('OUTSIDE_SEASON');
  });

  it('does not accept バキスゼブリア (no longer supplied) in the B類 program', () => {
    expect(chk(elder, [], 'covid19-vaxzevria', '2024-10-15').program).not.toBe('covid19-elderly');
  });
});
