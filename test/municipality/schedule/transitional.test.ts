// Issue 9, point 5 — the schedule engine's legal defects around programs becoming routine (VAX-04, VAX-23):
// doses given before a program became routine that the 定期接種実施要領 deems routine doses, the 日本脳炎 特例,
// the 5種混合 / 4種混合 booster standard periods, the first birth date of routine B型肝炎 and the 高齢者肺炎球菌
// 経過措置 of FY2014–FY2023.  Each boundary is tested on the day before, the day of and the day after.
// Sources (title + URL) are cited per block; the same sources are in catalog-data.ts and docs/schedule-rules.md.
import { describe, expect, it } from 'vitest';
import { chk, codes, ev, person } from './helpers.js';

const reasonCodes = (r: { reasons: readonly { code: string }[] }) => r.reasons.map((x) => x.code);

// 日本医師会・感染症の話「ロタウイルス（1価、5価）」https://kansensho.jp/sp/article.html?id=VC00000019 —
// 「2020年10月1日より前にロタウイルスワクチンを接種していた場合は、定期接種を受けていたものとみなす」(定期接種実施要領);
// 厚生労働省 ロタウイルスワクチンQ&A https://h-crisis.niph.go.jp/?p=154539 — 対象は2020年8月1日以降に生まれた者.
describe('ロタ: doses before 2020-10-01 are deemed routine (born on/after 2020-08-01)', () => {
  const p = person('2020-08-01'); // 出生6週0日後 = 2020-09-12; 24週0日後 = 2021-01-16
  it('a 1価 dose on 2020-09-12 (6週0日) counts as dose 1; 2020-09-11 does not', () => {
    const r = ev(p, [{ product: 'rota1', date: '2020-09-12' }], '2020-10-05', 'rota');
    expect(r.dosesCounted).toBe(1);
    expect(reasonCodes(r)).toContain('DEEMED_ROUTINE');
    expect(r.nextDose).toMatchObject({ dose: 2, earliest: '2020-10-10' });
    const early = ev(p, [{ product: 'rota1', date: '2020-09-11' }], '2020-10-05', 'rota');
    expect(early.dosesCounted).toBe(0);
  });
  it('the last deemed day is 2020-09-30; from 2020-10-01 the dose is an ordinary routine dose', () => {
    const a = ev(p, [{ product: 'rota1', date: '2020-09-30' }], '2020-10-05', 'rota');
    expect(a.dosesCounted).toBe(1);
    expect(reasonCodes(a)).toContain('DEEMED_ROUTINE');
    const b = ev(p, [{ product: 'rota1', date: '2020-10-01' }], '2020-10-05', 'rota');
    expect(b.dosesCounted).toBe(1);
    expect(reasonCodes(b)).not.toContain('DEEMED_ROUTINE');
  });
  it('the 27日 interval runs from the deemed dose (D+28), and the series stays with its product', () => {
    const h = [{ product: 'rota1', date: '2020-09-12' }];
    expect(codes(chk(p, h, 'rota1', '2020-10-09'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'rota1', '2020-10-10')).toMatchObject({ allowed: true, dose: 2 });
    expect(codes(chk(p, h, 'rota5', '2020-10-10'))).toContain('PRODUCT_MISMATCH');
  });
  it('5価: three doses, the first two before 2020-10-01', () => {
    const h = [
      { product: 'rota5', date: '2020-09-12' },
      { product: 'rota5', date: '2020-09-30' }, // 18 days: breaks the 27日 interval → not counted
    ];
    expect(ev(p, h, '2020-10-05', 'rota').dosesCounted).toBe(1);
    const ok = [
      { product: 'rota5', date: '2020-09-01' }, // before 6週0日 → not counted
      { product: 'rota5', date: '2020-09-12' },
    ];
    expect(ev(p, ok, '2020-10-05', 'rota').dosesCounted).toBe(1);
  });
  it('born 2020-07-31: not eligible, and earlier doses are not deemed', () => {
    const r = ev(person('2020-07-31'), [{ product: 'rota1', date: '2020-09-12' }], '2020-10-05', 'rota');
    expect(r.status).toBe('not-eligible');
    expect(r.dosesCounted).toBe(0);
  });
});

// 「水痘の接種対象者とスケジュール」(定期接種実施要領) https://expydoc.com/doc/7931185/ — 任意接種として既に接種した回数分の
// 接種を受けたものとみなす（生後12月以降、3月以上の間隔）; 経過措置：平成26年度限り生後36月〜60月に1回
// (関西学院幼稚園 https://www.kwansei.ac.jp/kindergarten/kindergarten_008155.html).
describe('水痘: doses at ≥ 12 months before 2014-10-01 are deemed routine; FY2014 経過措置 36–60 months', () => {
  const p = person('2012-06-15'); // reaches 生後12月 on 2013-06-14
  it('a dose on the day of reaching 12 months counts; the day before does not', () => {
    expect(ev(p, [{ product: 'varicella', date: '2013-06-14' }], '2014-10-01', 'varicella')).toMatchObject({ dosesCounted: 1, nextDose: { dose: 2, earliest: '2014-10-01' } });
    expect(ev(p, [{ product: 'varicella', date: '2013-06-13' }], '2014-10-01', 'varicella').dosesCounted).toBe(0);
  });
  it('two earlier doses 3月以上 apart complete the series; under 3月 only one counts', () => {
    const two = [
      { product: 'varicella', date: '2013-06-14' },
      { product: 'varicella', date: '2013-09-14' },
    ];
    expect(ev(p, two, '2014-10-01', 'varicella')).toMatchObject({ status: 'complete', dosesCounted: 2 });
    const short = [
      { product: 'varicella', date: '2013-06-14' },
      { product: 'varicella', date: '2013-09-13' },
    ];
    expect(ev(p, short, '2014-10-01', 'varicella')).toMatchObject({ status: 'due', dosesCounted: 1 });
  });
  it('経過措置: born 2010-11-01 (36 months on 2013-10-31) gets one dose in 2014-10-01..2015-03-31', () => {
    const q = person('2010-11-01');
    expect(chk(q, [], 'varicella', '2014-09-30').allowed).toBe(false);
    expect(chk(q, [], 'varicella', '2014-10-01')).toMatchObject({ allowed: true, dose: 1 });
    expect(chk(q, [], 'varicella', '2015-03-31').allowed).toBe(true);
    expect(chk(q, [], 'varicella', '2015-04-01').allowed).toBe(false);
    expect(ev(q, [{ product: 'varicella', date: '2014-11-01' }], '2014-12-01', 'varicella')).toMatchObject({ status: 'complete', dosesCounted: 1 });
  });
});

// 袖ケ浦市 https://www.city.sodegaura.lg.jp/soshiki/kenko/bgatakanenyobousessyu.html, 鎌ケ谷市
// http://www.city.kamagaya.chiba.jp/news/kenkouzoushin/h280722HB-vaccine_start.html — 平成28年4月1日以降に生まれた者;
// 10月1日より前の任意接種は回数に含む; 母子感染予防で健康保険により接種した者は対象外.
describe('B型肝炎: first eligible birth date 2016-04-01; earlier doses counted', () => {
  it('born 2016-03-31: not eligible; born 2016-04-01 and 2016-04-02: due on 2016-10-01', () => {
    const before = ev(person('2016-03-31'), [], '2016-10-01', 'hepb');
    expect(before.status).toBe('not-eligible');
    expect(reasonCodes(before)).toContain('NOT_ELIGIBLE_BIRTH');
    expect(ev(person('2016-04-01'), [], '2016-10-01', 'hepb')).toMatchObject({ status: 'due', nextDose: { earliest: '2016-10-01', latest: '2017-03-31' } });
    expect(ev(person('2016-04-02'), [], '2016-10-01', 'hepb').status).toBe('due');
  });
  it('doses before 2016-10-01 count; the 3rd dose is 139日 after the (deemed) 1st', () => {
    const h = [
      { product: 'hepb', date: '2016-06-01' },
      { product: 'hepb', date: '2016-07-01' },
    ];
    expect(ev(person('2016-04-01'), h, '2016-10-01', 'hepb')).toMatchObject({ dosesCounted: 2, nextDose: { dose: 3, earliest: '2016-10-19' } });
    expect(codes(chk(person('2016-04-01'), h, 'hepb', '2016-10-18'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(person('2016-04-01'), h, 'hepb', '2016-10-19')).toMatchObject({ allowed: true, dose: 3 });
  });
  it('a dose before 2016-10-01 of a child born before 2016-04-01 is not deemed', () => {
    expect(ev(person('2016-03-31'), [{ product: 'hepb', date: '2016-06-01' }], '2016-10-01', 'hepb').dosesCounted).toBe(0);
  });
  it('母子感染予防 (健康保険) → not eligible', () => {
    expect(ev(person('2026-05-01', 'female', ['hepb-perinatal-prophylaxis']), [], '2026-07-01', 'hepb').status).toBe('not-eligible');
  });
});

// 飯田市 http://www.city.iida.lg.jp/soshiki/15/hoken7.html — 平成25年4月1日の定期接種化で、既に接種を開始している人は
// 対象年齢の間は引き続き接種 (the earlier doses count).
describe('Hib and HPV: doses before 2013-04-01 are deemed routine', () => {
  it('Hib started 2012-12 at 3 months continues on 2013-04-01 as dose 3', () => {
    const p = person('2012-09-10'); // 2m: 2012-11-09
    const h = [
      { product: 'hib', date: '2012-12-01' },
      { product: 'hib', date: '2013-01-05' },
    ];
    expect(ev(p, h, '2013-04-01', 'hib')).toMatchObject({ dosesCounted: 2, nextDose: { dose: 3 } });
    expect(ev(p, [{ product: 'hib', date: '2012-11-08' }], '2013-04-01', 'hib').dosesCounted).toBe(0); // before 生後2月
  });
  it('HPV 2価 doses in 2012 (within the routine ages) count', () => {
    const p = person('1998-06-01'); // FY of 12: 2010-04-01; FY of 16: until 2015-03-31
    const h = [
      { product: 'hpv2', date: '2012-05-01' },
      { product: 'hpv2', date: '2012-06-01' },
    ];
    expect(ev(p, h, '2013-04-01', 'hpv')).toMatchObject({ dosesCounted: 2, nextDose: { dose: 3 } });
  });
});

// 定期接種実施要領「日本脳炎の特例」https://paperzz.com/doc/6119923/ ; 大分市 https://www.city.oita.oita.jp/o096/nihonnouen.html ;
// 東大阪市 https://www.city.higashiosaka.lg.jp/0000001975.html — 平成7年4月2日〜平成19年4月1日生まれ（20歳未満）: 残りの第1期は
// 6日以上の間隔、第2期は9歳以上で第1期終了後6日以上; 平成19年4月2日〜平成21年10月1日生まれは第2期の年齢で第1期の残り.
describe('日本脳炎 特例 (born 1995-04-02..2007-04-01): remaining doses, one history for 第1期 and 第2期', () => {
  const p = person('2000-06-01'); // reaches 20 on 2020-05-31
  const old = [{ product: 'je', date: '2003-07-01' }]; // 第1期初回1回目 before the 特例 (2011-05-20)
  it('remaining 第1期 doses at 6日以上 (D+7), including the 追加', () => {
    expect(ev(p, old, '2018-01-10', 'je-1')).toMatchObject({ status: 'due', dosesCounted: 1, nextDose: { dose: 2 } });
    const h2 = [...old, { product: 'je', date: '2018-01-10' }];
    expect(codes(chk(p, h2, 'je', '2018-01-16'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h2, 'je', '2018-01-17')).toMatchObject({ allowed: true, program: 'je-1', dose: 3 });
  });
  it('第2期: 9歳以上, 6日以上 after the last 第1期 dose; the same history is split between the two', () => {
    const h3 = [...old, { product: 'je', date: '2018-01-10' }, { product: 'je', date: '2018-01-17' }];
    const early = chk(p, h3, 'je', '2018-01-23');
    expect(early.allowed).toBe(false);
    expect(early.program).toBe('je-2');
    expect(codes(early)).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h3, 'je', '2018-01-24')).toMatchObject({ allowed: true, program: 'je-2', dose: 1 });
    const h4 = [...h3, { product: 'je', date: '2018-01-24' }];
    expect(ev(p, h4, '2018-02-01', 'je-1')).toMatchObject({ status: 'complete', dosesCounted: 3 });
    expect(ev(p, h4, '2018-02-01', 'je-2')).toMatchObject({ status: 'complete', dosesCounted: 1 });
  });
  it('第1期 doses at ≥ 9 years are not counted as 第2期; 第2期 waits for 第1期', () => {
    const h = [
      { product: 'je', date: '2018-01-10' },
      { product: 'je', date: '2018-01-17' },
    ]; // nothing before the 特例: the ordinary 第1期 (追加は初回終了後6月以上)
    expect(ev(p, h, '2018-02-01', 'je-1')).toMatchObject({ dosesCounted: 2, nextDose: { dose: 3, earliest: '2018-07-17' } });
    const j2 = ev(p, h, '2018-02-01', 'je-2');
    expect(j2.dosesCounted).toBe(0);
    expect(j2.status).toBe('upcoming');
    expect(reasonCodes(j2)).toContain('PRIOR_PHASE_INCOMPLETE');
    const c = chk(p, h, 'je', '2018-01-24');
    expect(c.allowed).toBe(false);
    expect(c.program).toBe('je-1');
  });
  it('20歳に至るまで: 2020-05-31 allowed, 2020-06-01 refused', () => {
    const h = [...old, { product: 'je', date: '2018-01-10' }];
    expect(chk(p, h, 'je', '2020-05-31').allowed).toBe(true);
    expect(chk(p, h, 'je', '2020-06-01').allowed).toBe(false);
  });
  it('born 2008-05-01 (2007-04-02..2009-10-01): 第1期 remaining in 9–13 counts as 第1期, not 第2期', () => {
    const q = person('2008-05-01'); // 9歳: 2017-04-30; 13歳: 2021-04-30
    const h = [{ product: 'je', date: '2011-03-01' }];
    expect(chk(q, h, 'je', '2017-04-29').allowed).toBe(false);
    expect(chk(q, h, 'je', '2017-04-30')).toMatchObject({ allowed: true, program: 'je-1', dose: 2 });
    const h3 = [...h, { product: 'je', date: '2017-04-30' }, { product: 'je', date: '2017-05-07' }];
    expect(ev(q, h3, '2017-06-01', 'je-1')).toMatchObject({ status: 'complete', dosesCounted: 3 });
    expect(ev(q, h3, '2017-06-01', 'je-2')).toMatchObject({ status: 'due', dosesCounted: 0, nextDose: { dose: 1, earliest: '2017-05-14' } }); // 6日以上 after 2017-05-07
  });
});

// 弥富市「5種混合ワクチン」https://www.city.yatomi.lg.jp/kurashi/1000209/1000220/1005967/1005970.html (追加：標準的には初回終了後6月〜18月);
// 宇都宮市 https://www.city.utsunomiya.lg.jp/kenko/kenshin/chusha/1004385.html (四種混合の追加：標準的には初回終了後12月以上18月未満).
describe('第1期追加 standard period: 5種混合 6–18 months, 4種混合 12–18 months after the 初回', () => {
  const baby = person('2026-01-10');
  const primary = (product: string) => [
    { product, date: '2026-03-10' },
    { product, date: '2026-03-31' },
    { product, date: '2026-04-21' },
  ];
  it('5種混合: standard from 2026-10-21 (6月) to 2027-10-21 (18月)', () => {
    expect(ev(baby, primary('dpt-ipv-hib'), '2026-05-01', 'dpt-ipv-1').nextDose).toMatchObject({ dose: 4, earliest: '2026-10-21', standardFrom: '2026-10-21', standardUntil: '2027-10-21' });
    expect(chk(baby, primary('dpt-ipv-hib'), 'dpt-ipv-hib', '2026-10-21').notes.map((n) => n.code)).not.toContain('OUTSIDE_STANDARD_PERIOD');
  });
  it('4種混合: standard from 2027-04-21 (12月) to 2027-10-21; 2027-04-20 is allowed but outside the standard', () => {
    expect(ev(baby, primary('dpt-ipv'), '2026-05-01', 'dpt-ipv-1').nextDose).toMatchObject({ dose: 4, earliest: '2026-10-21', standardFrom: '2027-04-21', standardUntil: '2027-10-21' });
    const before = chk(baby, primary('dpt-ipv'), 'dpt-ipv', '2027-04-20');
    expect(before.allowed).toBe(true);
    expect(before.notes.map((n) => n.code)).toContain('OUTSIDE_STANDARD_PERIOD');
    expect(chk(baby, primary('dpt-ipv'), 'dpt-ipv', '2027-04-21').notes.map((n) => n.code)).not.toContain('OUTSIDE_STANDARD_PERIOD');
    expect(codes(chk(baby, primary('dpt-ipv'), 'dpt-ipv', '2026-10-20'))).toContain('INTERVAL_TOO_SHORT');
  });
});

// 飯綱町 https://www.town.iizuna.nagano.jp/docs/2316.html (平成31年度〜令和5年度、年度末年齢65・70…100歳、平成31年度は平成30年度末に
// 100歳以上); ももたろうクリニック https://momotaro-c.jp/archives/5561.html (平成26年度、100歳以上); 北九州市
// https://ssl.city.kitakyushu.lg.jp/ho-huku/18301326.html (令和6年度以降は65歳の者のみ); 穂高ハートクリニック
// http://matsuaz.biz/hotaka-heart-clinic/2017/04/13/1492046088240.html?printable=true (平成31年度からは接種日に65歳の者).
describe('高齢者肺炎球菌: 経過措置 FY2014–FY2023 (65, 70 … 100歳となる年度), then 65歳の者 only', () => {
  it('FY2023: born 1953-04-02..1954-04-01 (70 in FY2023) eligible until 2024-03-31, not on 2024-04-01', () => {
    const p = person('1953-04-02', 'male');
    expect(chk(p, [], 'ppsv23', '2023-04-01').allowed).toBe(true);
    expect(chk(p, [], 'ppsv23', '2024-03-31').allowed).toBe(true);
    expect(chk(p, [], 'ppsv23', '2024-04-01').allowed).toBe(false);
    expect(chk(person('1953-04-01', 'male'), [], 'ppsv23', '2023-06-01').allowed).toBe(false); // 70 in FY2022
    expect(chk(person('1954-04-01', 'male'), [], 'ppsv23', '2023-06-01').allowed).toBe(true); // 70 on 2024-03-31
    expect(chk(person('1954-04-02', 'male'), [], 'ppsv23', '2023-06-01').allowed).toBe(false); // 69 in FY2023
  });
  it('FY2014 (from 2014-10-01): 65 and the 5-year ages by fiscal year, and everyone 100 or older', () => {
    expect(chk(person('1944-04-02'), [], 'ppsv23', '2014-09-30').allowed).toBe(false); // before the program
    expect(chk(person('1944-04-02'), [], 'ppsv23', '2014-10-01').allowed).toBe(true); // 70 in FY2014
    expect(chk(person('1949-04-02'), [], 'ppsv23', '2015-03-31').allowed).toBe(true); // 65 in FY2014
    expect(chk(person('1910-01-01'), [], 'ppsv23', '2014-12-01').allowed).toBe(true); // 100歳以上 (FY2014)
    expect(chk(person('1910-01-01'), [], 'ppsv23', '2015-04-01').allowed).toBe(false);
  });
  it('FY2019: also everyone 100 or older at the end of FY2018 (born on/before 1919-04-01)', () => {
    expect(chk(person('1915-01-01'), [], 'ppsv23', '2019-06-01').allowed).toBe(true);
    expect(chk(person('1915-01-01'), [], 'ppsv23', '2020-04-01').allowed).toBe(false);
  });
  it('FY2024 onward: 65歳の者 only (65th birthday eve to 66th birthday eve)', () => {
    expect(chk(person('1954-06-01'), [], 'ppsv23', '2024-06-01').allowed).toBe(false); // 70 in FY2024
    const p = person('1959-06-01'); // reaches 65 on 2024-05-31, 66 on 2025-05-31
    expect(chk(p, [], 'ppsv23', '2024-05-30').allowed).toBe(false);
    expect(chk(p, [], 'ppsv23', '2024-05-31').allowed).toBe(true);
    expect(chk(p, [], 'ppsv23', '2025-05-31').allowed).toBe(true);
    expect(chk(p, [], 'ppsv23', '2025-06-01').allowed).toBe(false);
  });
  it('a PPSV23 before 2014-10-01 excludes', () => {
    expect(ev(person('1949-04-02'), [{ product: 'ppsv23', date: '2013-05-01' }], '2014-10-15', 'pneumococcal-elderly').status).toBe('not-eligible');
  });
});
