// Every program's eligibility window: the day before, the first day, the last day and the day after,
// with month-end, 1 April and leap-day births.  Expected dates are worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { chk, codes, edges, ev, person } from './helpers.js';

const kid = person('2024-05-31'); // month-end birth

function expectEdges(e: ReturnType<typeof edges>, program: string, beforeCode = 'TOO_YOUNG', afterCode = 'TOO_OLD') {
  expect(codes(e.before)).toContain(beforeCode);
  expect(e.before.allowed).toBe(false);
  expect(e.first.allowed, JSON.stringify(e.first.problems)).toBe(true);
  expect(e.first.program).toBe(program);
  expect(e.first.dose).toBe(1);
  expect(e.last.allowed, JSON.stringify(e.last.problems)).toBe(true);
  expect(codes(e.after)).toContain(afterCode);
  expect(e.after.allowed).toBe(false);
}

describe('A類 windows (born 2024-05-31)', () => {
  it('hib: 生後2月 (7/31の前日 = 7/30) 〜 生後60月 (2029-05-30)', () => expectEdges(edges(kid, 'hib', '2024-07-30', '2029-05-30'), 'hib'));
  it('pcv: same window as Hib (15価 in 2024)', () => expectEdges(edges(kid, 'pcv15', '2024-07-30', '2029-05-30'), 'pcv'));
  it('hepb: from birth until 1歳に至るまで (2025-05-30)', () => {
    const e = edges(kid, 'hepb', '2024-05-31', '2025-05-30');
    expect(codes(e.before)).toContain('DATE_BEFORE_BIRTH');
    expect(e.first.allowed).toBe(true);
    expect(e.last.allowed).toBe(true);
    expect(codes(e.after)).toContain('TOO_OLD');
  });
  it('rota 1価: 出生6週0日後 (2024-07-12) 〜 24週0日後 (2024-11-15)', () => expectEdges(edges(kid, 'rota1', '2024-07-12', '2024-11-15'), 'rota'));
  it('rota 5価: 出生6週0日後 〜 32週0日後 (2025-01-10)', () => expectEdges(edges(kid, 'rota5', '2024-07-12', '2025-01-10'), 'rota'));
  it('dpt-ipv-1: 生後90月 has no 11/31 → last day of November (2031-11-30)', () => expectEdges(edges(kid, 'dpt-ipv', '2024-07-30', '2031-11-30'), 'dpt-ipv-1'));
  it('dt-2: 11歳 (2035-05-30) 〜 13歳未満 (2037-05-30)', () => expectEdges(edges(kid, 'dt', '2035-05-30', '2037-05-30'), 'dt-2'));
  it('bcg: until 1歳に至るまで', () => {
    const e = edges(kid, 'bcg', '2024-05-31', '2025-05-30');
    expect(e.last.allowed).toBe(true);
    expect(codes(e.after)).toContain('TOO_OLD');
  });
  it('mr-1: 生後12月 (2025-05-30) 〜 生後24月 (2026-05-30)', () => expectEdges(edges(kid, 'mr', '2025-05-30', '2026-05-30'), 'mr-1'));
  it('mr-2: the school year before entry (reaches 6 on 2030-05-30 → 2030-04-01..2031-03-31)', () => {
    const e = edges(kid, 'mr', '2030-04-01', '2031-03-31', [{ product: 'mr', date: '2025-06-10' }]);
    expect(e.first.program).toBe('mr-2');
    expect(e.first.allowed).toBe(true);
    expect(e.last.allowed).toBe(true);
    expect(e.before.allowed).toBe(false);
    expect(e.after.allowed).toBe(false);
    expect(codes(e.after)).toContain('TOO_OLD');
  });
  it('varicella: 生後12月 〜 生後36月 (2027-05-30)', () => expectEdges(edges(kid, 'varicella', '2025-05-30', '2027-05-30'), 'varicella'));
  it('je-1: 生後6月 has no 11/31 → 2024-11-30', () => expectEdges(edges(kid, 'je', '2024-11-30', '2031-11-30'), 'je-1'));
  it('je-2: 9歳 (2033-05-30) 〜 13歳未満 (2037-05-30), once 第1期 is done', () => {
    const je1 = [
      { product: 'je', date: '2027-06-01' },
      { product: 'je', date: '2027-06-20' },
      { product: 'je', date: '2028-06-20' },
    ];
    const e = edges(kid, 'je', '2033-05-30', '2037-05-30', je1);
    expect(e.first.program).toBe('je-2');
    expect(e.first.allowed).toBe(true);
    expect(e.last.allowed).toBe(true);
    expect(codes(e.after)).toContain('TOO_OLD');
    expect(e.before.allowed).toBe(false);
  });
});

describe('fiscal-year windows and 早生まれ', () => {
  it('hpv: born 2012-04-01 belongs to the earlier school year (2023-04-01..2028-03-31)', () => {
    expectEdges(edges(person('2012-04-01'), 'hpv9', '2023-04-01', '2028-03-31'), 'hpv');
  });
  it('hpv: born 2012-04-02 starts a year later (2024-04-01..2029-03-31)', () => {
    expectEdges(edges(person('2012-04-02'), 'hpv9', '2024-04-01', '2029-03-31'), 'hpv');
  });
  it('hpv: males are not eligible', () => {
    const r = chk(person('2012-06-01', 'male'), [], 'hpv9', '2025-06-01');
    expect(r.allowed).toBe(false);
    expect(codes(r)).toContain('NOT_ELIGIBLE');
    expect(ev(person('2012-06-01', 'male'), [], '2025-06-01', 'hpv').status).toBe('not-eligible');
  });
  it('mr-2: born 2020-04-01 vs 2020-04-02 fall in different years', () => {
    const h = [{ product: 'mr', date: '2021-04-15' }];
    expect(chk(person('2020-04-01'), h, 'mr', '2025-04-01').allowed).toBe(true);
    expect(chk(person('2020-04-01'), h, 'mr', '2026-03-31').allowed).toBe(true);
    expect(chk(person('2020-04-01'), h, 'mr', '2026-04-01').allowed).toBe(false);
    expect(chk(person('2020-04-02'), h, 'mr', '2026-03-31').allowed).toBe(false);
    expect(chk(person('2020-04-02'), h, 'mr', '2026-04-01').allowed).toBe(true);
    expect(chk(person('2020-04-02'), h, 'mr', '2027-03-31').allowed).toBe(true);
  });
  it('2/29 birthdays reach 生後12月 on 2/28 of the next year', () => {
    const leap = person('2024-02-29');
    expect(chk(leap, [], 'mr', '2025-02-27').allowed).toBe(false);
    expect(chk(leap, [], 'mr', '2025-02-28').allowed).toBe(true);
    // 4 years old on 2028-02-28 (the day before the 2028-02-29 birthday)
    expect(chk(leap, [], 'je', '2024-08-27').allowed).toBe(false);
    expect(chk(leap, [], 'je', '2024-08-28').allowed).toBe(true);
  });
});

describe('extensions and special cases', () => {
  it('mr-1 shortage extension: 2022-04-02..2023-04-01 births may be vaccinated until 2027-03-31', () => {
    expect(chk(person('2022-06-01'), [], 'mr', '2026-11-21').allowed).toBe(true);
    expect(chk(person('2022-06-01'), [], 'mr', '2027-03-31').allowed).toBe(true);
    expect(chk(person('2022-06-01'), [], 'mr', '2027-04-01').allowed).toBe(false);
    expect(chk(person('2023-04-02'), [], 'mr', '2026-11-21').allowed).toBe(false); // reached 24 months on 2025-04-01, outside the extension
  });
  it('je 特例: born 1995-04-02..2007-04-01 may complete until 20歳に至るまで', () => {
    const p = person('2007-01-15', 'male');
    expect(chk(p, [], 'je', '2026-11-21').allowed).toBe(true);
    expect(chk(p, [], 'je', '2027-01-14').allowed).toBe(true);
    expect(chk(p, [], 'je', '2027-01-15').allowed).toBe(false);
    expect(chk(person('2007-04-02', 'male'), [], 'je', '2026-11-21').allowed).toBe(false);
  });
  it('rubella-5: men born 1962-04-02..1979-04-01 with an antibody test by 2025-03-31 (extension to 2027-03-31)', () => {
    const tested = person('1970-01-01', 'male', [{ code: 'rubella-antibody-insufficient', from: '2024-06-01' }]);
    const late = person('1970-01-01', 'male', [{ code: 'rubella-antibody-insufficient', from: '2025-05-01' }]);
    const r = chk(tested, [], 'mr', '2026-11-21');
    expect(r.allowed).toBe(true);
    expect(r.program).toBe('rubella-5');
    expect(chk(late, [], 'mr', '2026-11-21').allowed).toBe(false);
    expect(chk(tested, [], 'mr', '2027-03-31').allowed).toBe(true);
    expect(chk(tested, [], 'mr', '2027-04-01').allowed).toBe(false);
    expect(chk(person('1970-01-01', 'female', [{ code: 'rubella-antibody-insufficient', from: '2024-06-01' }]), [], 'mr', '2026-11-21').allowed).toBe(false);
  });
  it('rsv-maternal: 妊娠28週0日 (EDD−84) 〜 36週6日 (EDD−22), from 2026-04-01, once per pregnancy', () => {
    const p = person('1995-05-05', 'female', [{ code: 'pregnancy', expectedDeliveryDate: '2026-12-31' }]);
    expectEdges(edges(p, 'rsv', '2026-10-08', '2026-12-09'), 'rsv-maternal');
    expect(chk(p, [{ product: 'rsv', date: '2026-10-20' }], 'rsv', '2026-11-20').allowed).toBe(false);
    expect(codes(chk(person('1995-05-05', 'female'), [], 'rsv', '2026-11-20'))).toContain('NOT_ELIGIBLE');
    // Before the program started (EDD 2026-05-01 → 36週6日 = 2026-04-09): only 2026-04-01 onward counts.
    const early = person('1995-05-05', 'female', [{ code: 'pregnancy', expectedDeliveryDate: '2026-05-01' }]);
    expect(chk(early, [], 'rsv', '2026-03-31').allowed).toBe(false);
    expect(chk(early, [], 'rsv', '2026-04-01').allowed).toBe(true);
    // A second pregnancy starts a new series.
    const two = person('1995-05-05', 'female', [
      { code: 'pregnancy', expectedDeliveryDate: '2026-06-30' },
      { code: 'pregnancy', expectedDeliveryDate: '2028-06-30' },
    ]);
    expect(chk(two, [{ product: 'rsv', date: '2026-05-01' }], 'rsv', '2028-05-01').allowed).toBe(true);
  });
});

describe('B類 windows', () => {
  it('influenza: from the day the person reaches 65, within the season (10-01..01-31)', () => {
    const p = person('1961-10-15', 'male'); // reaches 65 on 2026-10-14
    expectEdges(edges(p, 'influenza', '2026-10-14', '2027-01-31'), 'influenza-elderly', 'TOO_YOUNG', 'OUTSIDE_SEASON');
    const old = person('1950-01-01', 'male');
    expect(codes(chk(old, [], 'influenza', '2026-09-30'))).toContain('OUTSIDE_SEASON');
    expect(chk(old, [], 'influenza', '2026-10-01').allowed).toBe(true);
  });
  it('influenza: once per fiscal year', () => {
    const old = person('1950-01-01', 'male');
    const h = [{ product: 'influenza', date: '2026-10-10' }];
    expect(codes(chk(old, h, 'influenza', '2026-12-01'))).toContain('SERIES_COMPLETE');
    expect(chk(old, h, 'influenza', '2027-10-01').allowed).toBe(true);
    expect(ev(old, h, '2026-11-21', 'influenza-elderly').status).toBe('complete');
    const next = ev(old, h, '2027-02-15', 'influenza-elderly');
    expect(next.status).toBe('upcoming');
    expect(next.nextDose).toMatchObject({ earliest: '2027-10-01', latest: '2028-01-31' });
  });
  it('covid19: season 10-01..03-31; 2027-04-01 belongs to the next fiscal year and is outside its season', () => {
    const old = person('1950-01-01', 'female');
    expect(chk(old, [], 'covid19', '2027-03-31').allowed).toBe(true);
    expect(codes(chk(old, [], 'covid19', '2027-04-01'))).toContain('OUTSIDE_SEASON');
    expect(codes(chk(old, [], 'covid19', '2026-09-30'))).toContain('OUTSIDE_SEASON');
  });
  it('60–64 only with a listed disability (身体障害者手帳1級相当)', () => {
    const plain = person('1963-01-01', 'male');
    const cardiac = person('1963-01-01', 'male', ['disability-cardiac']);
    expect(codes(chk(plain, [], 'influenza', '2026-11-21'))).toContain('TOO_YOUNG'); // only the 65+ window applies
    expect(chk(cardiac, [], 'influenza', '2026-11-21').allowed).toBe(true);
    expect(chk(cardiac, [], 'covid19', '2026-11-21').allowed).toBe(true);
    expect(chk(cardiac, [], 'pcv20', '2026-11-21').program).toBe('pneumococcal-elderly');
    expect(chk(cardiac, [], 'pcv20', '2026-11-21').allowed).toBe(true);
    // 59: too young even with the disability
    const young = person('1967-06-01', 'male', ['disability-cardiac']);
    expect(chk(young, [], 'influenza', '2026-11-21').allowed).toBe(false);
    // a disability recorded with dates limits the window
    const dated = person('1963-01-01', 'male', [{ code: 'disability-renal', from: '2026-12-01' }]);
    expect(chk(dated, [], 'influenza', '2026-11-21').allowed).toBe(false);
    expect(chk(dated, [], 'influenza', '2026-12-01').allowed).toBe(true);
  });
  it('pneumococcal: 65歳の者 (reach 65 .. reach 66), 20価 from 2026-04-01', () => {
    const p = person('1961-06-10', 'female'); // 65 on 2026-06-09, 66 on 2027-06-09
    expectEdges(edges(p, 'pcv20', '2026-06-09', '2027-06-09'), 'pneumococcal-elderly');
    expect(codes(chk(p, [], 'ppsv23', '2026-06-09'))).toContain('PRODUCT_MISMATCH');
    const q = person('1960-12-01', 'female'); // 65 on 2025-11-30
    expect(chk(q, [], 'ppsv23', '2026-03-31').allowed).toBe(true);
    expect(codes(chk(q, [], 'pcv20', '2026-03-31'))).toContain('PRODUCT_MISMATCH');
    expect(chk(q, [], 'pcv20', '2026-04-01').allowed).toBe(true);
  });
  it('pneumococcal: a previous PPSV23 (recorded or declared) excludes the person', () => {
    const declared = person('1961-06-10', 'female', ['previous-ppsv23']);
    expect(codes(chk(declared, [], 'pcv20', '2026-08-01'))).toContain('NOT_ELIGIBLE_EXCLUDED');
    expect(ev(declared, [], '2026-08-01', 'pneumococcal-elderly').status).toBe('not-eligible');
    const recorded = person('1961-06-10', 'female');
    const h = [{ product: 'ppsv23', date: '2024-01-10' }];
    expect(codes(chk(recorded, h, 'pcv20', '2026-08-01'))).toContain('NOT_ELIGIBLE_EXCLUDED');
    // the routine dose itself does not exclude: it completes the program
    expect(ev(person('1960-12-01'), [{ product: 'ppsv23', date: '2026-01-10' }], '2026-08-01', 'pneumococcal-elderly').status).toBe('complete');
  });
  it('zoster: the fiscal year of reaching 65 (1961-04-01 → FY2025, 1961-04-02 → FY2026)', () => {
    const a = person('1961-04-01');
    const b = person('1961-04-02');
    expect(chk(a, [], 'zoster-live', '2026-03-31').allowed).toBe(true);
    expect(chk(a, [], 'zoster-live', '2026-04-01').allowed).toBe(false);
    expectEdges(edges(b, 'zoster-live', '2026-04-01', '2027-03-31'), 'zoster-elderly');
  });
  it('zoster: transitional ages 70..100 in FY2025–2029 and 100+ only in FY2025', () => {
    expect(chk(person('1956-04-02'), [], 'zoster-recombinant', '2026-04-01').allowed).toBe(true); // reaches 70 on 2026-04-01
    expect(chk(person('1956-04-02'), [], 'zoster-recombinant', '2026-03-31').allowed).toBe(false);
    expect(codes(chk(person('1958-06-01'), [], 'zoster-live', '2026-11-21'))).toContain('TOO_YOUNG'); // 68: 65 was before 2025; next chance at 70
    expect(chk(person('1920-01-01'), [], 'zoster-live', '2026-03-31').allowed).toBe(true);
    expect(chk(person('1920-01-01'), [], 'zoster-live', '2026-04-01').allowed).toBe(false);
    // HIV 60–64
    expect(chk(person('1963-01-01', 'male', ['disability-hiv-immune']), [], 'zoster-live', '2026-11-21').allowed).toBe(true);
    expect(chk(person('1963-01-01', 'male', ['disability-cardiac']), [], 'zoster-live', '2026-11-21').allowed).toBe(false);
  });
  it('zoster: recombinant 2nd dose must fall in the window; a completed vaccination excludes', () => {
    const b = person('1961-04-02');
    const h = [{ product: 'zoster-recombinant', date: '2027-01-20' }];
    expect(chk(b, h, 'zoster-recombinant', '2027-03-20').allowed).toBe(true); // 2月 later = 3/20
    expect(codes(chk(b, h, 'zoster-recombinant', '2027-03-19'))).toContain('INTERVAL_TOO_SHORT');
    expect(codes(chk(b, h, 'zoster-recombinant', '2027-04-01'))).toContain('TOO_OLD');
    expect(codes(chk(b, h, 'zoster-live', '2027-03-20'))).toContain('PRODUCT_MISMATCH');
    expect(codes(chk(b, [{ product: 'zoster-live', date: '2023-05-01' }], 'zoster-recombinant', '2026-05-01'))).toContain('NOT_ELIGIBLE_EXCLUDED');
    expect(chk(b, [{ product: 'zoster-recombinant', date: '2023-05-01' }], 'zoster-recombinant', '2026-05-01').allowed).toBe(true); // one dose is not a completed vaccination
  });
});
