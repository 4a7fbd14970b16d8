// Intervals at their exact boundary days, series by starting age, combination vaccines, product-specific
// series, the live-vaccine rule, HPV 2 vs 3 doses, 長期療養特例, and what evaluate says about each.
import { describe, expect, it } from 'vitest';
import { chk, codes, ev, person } from './helpers.js';

const baby = person('2026-01-10'); // reaches 生後2月 on 2026-03-09

describe('intervals at the boundary day', () => {
  it('Hib 27日以上 → D+28; 医師が必要と認めた場合 20日 → D+21', () => {
    const h = [{ product: 'hib', date: '2026-03-10' }];
    expect(codes(chk(baby, h, 'hib', '2026-04-06'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(baby, h, 'hib', '2026-04-07').allowed).toBe(true);
    expect(chk(baby, h, 'hib', '2026-03-31', { doctorJudgement: true }).allowed).toBe(true);
    expect(codes(chk(baby, h, 'hib', '2026-03-30', { doctorJudgement: true }))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(baby, h, 'hib', '2026-04-07').dose).toBe(2);
  });
  it('第1期 20日以上 → D+21, 追加は初回終了後6月 (corresponding day; month end → 1st of next month)', () => {
    const h1 = [{ product: 'dpt-ipv', date: '2026-03-10' }];
    expect(codes(chk(baby, h1, 'dpt-ipv', '2026-03-30'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(baby, h1, 'dpt-ipv', '2026-03-31').allowed).toBe(true);
    const h3 = [
      { product: 'dpt-ipv', date: '2026-07-13' },
      { product: 'dpt-ipv', date: '2026-08-03' },
      { product: 'dpt-ipv', date: '2026-08-31' },
    ];
    expect(codes(chk(baby, h3, 'dpt-ipv', '2027-02-28'))).toContain('INTERVAL_TOO_SHORT');
    const ok = chk(baby, h3, 'dpt-ipv', '2027-03-01');
    expect(ok.allowed).toBe(true);
    expect(ok.dose).toBe(4);
  });
  it('B型肝炎: 2回目は27日以上, 3回目は1回目から139日以上 (D1+140)', () => {
    const h = [
      { product: 'hepb', date: '2026-03-10' },
      { product: 'hepb', date: '2026-04-07' },
    ];
    expect(codes(chk(baby, h, 'hepb', '2026-07-27'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(baby, h, 'hepb', '2026-07-28').allowed).toBe(true);
    expect(ev(baby, h, '2026-05-01', 'hepb').nextDose).toMatchObject({ dose: 3, earliest: '2026-07-28', latest: '2027-01-09' });
  });
  it('日本脳炎 初回 6日以上 → D+7', () => {
    const p = person('2022-05-01');
    const h = [{ product: 'je', date: '2025-06-02' }];
    expect(codes(chk(p, h, 'je', '2025-06-08'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'je', '2025-06-09').allowed).toBe(true);
  });
  it('水痘 3月以上: corresponding day, or the 1st of the next month when there is none', () => {
    expect(codes(chk(person('2024-05-31'), [{ product: 'varicella', date: '2025-05-31' }], 'varicella', '2025-08-30'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(person('2024-05-31'), [{ product: 'varicella', date: '2025-05-31' }], 'varicella', '2025-08-31').allowed).toBe(true);
    const p = person('2024-11-01');
    const h = [{ product: 'varicella', date: '2025-11-30' }];
    expect(codes(chk(p, h, 'varicella', '2026-02-28'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'varicella', '2026-03-01').allowed).toBe(true);
  });
  it('HPV 2価: 3回目は1回目から5月以上かつ2回目から2月半以上', () => {
    const p = person('2012-06-01');
    const h = [
      { product: 'hpv2', date: '2025-04-01' },
      { product: 'hpv2', date: '2025-07-01' },
    ];
    // 5月 after 4/1 → 9/1; 2月半 after 7/1 → 9/1 + 15 (September has 30 days) → 9/16
    expect(codes(chk(p, h, 'hpv2', '2025-09-15'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'hpv2', '2025-09-16').allowed).toBe(true);
  });
  it('HPV 4価: 2回目は1月以上, 3回目は2回目から3月以上', () => {
    const p = person('2012-06-01');
    expect(codes(chk(p, [{ product: 'hpv4', date: '2025-04-01' }], 'hpv4', '2025-04-30'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, [{ product: 'hpv4', date: '2025-04-01' }], 'hpv4', '2025-05-01').allowed).toBe(true);
    const h = [
      { product: 'hpv4', date: '2025-04-01' },
      { product: 'hpv4', date: '2025-05-01' },
    ];
    expect(codes(chk(p, h, 'hpv4', '2025-07-31'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'hpv4', '2025-08-01').allowed).toBe(true);
  });
});

describe('series chosen by the age at the first dose', () => {
  const p = person('2025-01-10'); // 2m: 2025-03-09, 7m: 2025-08-09, 12m: 2026-01-09, 24m: 2027-01-09
  it('Hib started at 2–7 months: 4 doses; 2・3回目 after 12 months are skipped and the booster needs 27 days', () => {
    const h = [{ product: 'hib', date: '2025-03-10' }];
    const r = chk(p, h, 'hib', '2026-02-01');
    expect(r.allowed).toBe(true);
    expect(r.dose).toBe(4);
    expect(r.notes.map((n) => n.code)).toContain('DOSE_SKIPPED');
    expect(codes(chk(p, h, 'hib', '2026-01-10'))).toEqual([]); // 27 days after is long past; the skip applies
    const e = ev(p, [...h, { product: 'hib', date: '2026-02-01' }], '2026-03-01', 'hib');
    expect(e.status).toBe('complete');
    expect(e.dosesCounted).toBe(2);
    expect(e.reasons.map((x) => x.code)).toContain('DOSE_SKIPPED');
  });
  it('Hib started at 7–12 months: 3 doses; booster 7月 after the 2nd', () => {
    const h = [
      { product: 'hib', date: '2025-09-01' },
      { product: 'hib', date: '2025-10-01' },
    ];
    const e = ev(p, h, '2025-11-01', 'hib');
    expect(e.nextDose).toMatchObject({ dose: 3, earliest: '2026-05-01' });
    expect(codes(chk(p, h, 'hib', '2026-04-30'))).toContain('INTERVAL_TOO_SHORT');
    expect(ev(p, [...h, { product: 'hib', date: '2026-05-01' }], '2026-06-01', 'hib').status).toBe('complete');
  });
  it('Hib started after 12 months: one dose completes', () => {
    expect(ev(p, [{ product: 'hib', date: '2026-02-01' }], '2026-03-01', 'hib').status).toBe('complete');
  });
  it('PCV booster: 60日以上 after the last primary dose and 生後12月以降', () => {
    const h = [
      { product: 'pcv20', date: '2025-03-10' },
      { product: 'pcv20', date: '2025-04-07' },
      { product: 'pcv20', date: '2025-05-05' },
    ];
    expect(codes(chk(p, h, 'pcv20', '2026-01-08'))).toContain('TOO_YOUNG');
    const ok = chk(p, h, 'pcv20', '2026-01-09');
    expect(ok.allowed).toBe(true);
    expect(ok.dose).toBe(4);
    expect(ev(p, h, '2025-06-01', 'pcv').nextDose).toMatchObject({ dose: 4, earliest: '2026-01-09', standardFrom: '2026-01-09', standardUntil: '2026-04-09' });
  });
  it('PCV: a 2nd dose after 12 months means no 3rd dose; the booster follows 60 days later', () => {
    const h = [
      { product: 'pcv20', date: '2025-03-10' },
      { product: 'pcv20', date: '2026-01-20' },
    ];
    const e = ev(p, h, '2026-02-01', 'pcv');
    expect(e.nextDose).toMatchObject({ dose: 4, earliest: '2026-03-22' });
    expect(e.reasons.map((x) => x.code)).toContain('DOSE_SKIPPED');
    expect(codes(chk(p, h, 'pcv20', '2026-03-21'))).toContain('INTERVAL_TOO_SHORT');
    expect(chk(p, h, 'pcv20', '2026-03-22').dose).toBe(4);
  });
  it('PCV started at 1–2 years: 2 doses 60 days apart; after 2 years: 1 dose', () => {
    const h = [{ product: 'pcv20', date: '2026-02-01' }];
    expect(codes(chk(p, h, 'pcv20', '2026-04-02'))).toContain('INTERVAL_TOO_SHORT'); // 2/1 + 61 days = 4/3
    expect(chk(p, h, 'pcv20', '2026-04-03').allowed).toBe(true);
    expect(ev(p, [{ product: 'pcv20', date: '2027-02-01' }], '2027-03-01', 'pcv').status).toBe('complete');
  });
});

describe('combination vaccines count toward every component program', () => {
  const penta = [
    { product: 'dpt-ipv-hib', date: '2026-03-10' },
    { product: 'dpt-ipv-hib', date: '2026-03-31' },
    { product: 'dpt-ipv-hib', date: '2026-04-21' },
  ];
  it('three 5種混合 doses are three Hib doses and three 第1期 doses', () => {
    for (const program of ['hib', 'dpt-ipv-1']) {
      const e = ev(baby, penta, '2026-06-01', program);
      expect(e.dosesCounted).toBe(3);
      expect(e.nextDose).toMatchObject({ dose: 4, earliest: '2026-10-21' });
    }
  });
  it('check names the program and lists the other one the same dose counts toward', () => {
    const r = chk(baby, penta.slice(0, 1), 'dpt-ipv-hib', '2026-03-31');
    expect(r.allowed).toBe(true);
    expect(r.program).toBe('dpt-ipv-1');
    expect(r.dose).toBe(2);
    expect(r.others).toEqual([{ program: 'hib', dose: 2, allowed: true, problems: [] }]);
  });
  it('separate DPT and IPV doses count per component; the program follows the least-advanced one', () => {
    const h = [
      { product: 'dpt', date: '2026-03-10' },
      { product: 'ipv', date: '2026-03-10' },
      { product: 'dpt', date: '2026-03-31' },
      { product: 'ipv', date: '2026-03-31' },
      { product: 'dpt', date: '2026-04-21' },
    ];
    const e = ev(baby, h, '2026-05-01', 'dpt-ipv-1');
    expect(e.dosesCounted).toBe(2);
    expect(e.reasons.map((x) => x.code)).toContain('COMPONENTS_UNEVEN');
    expect(e.nextDose?.dose).toBe(3);
  });
  it('MR: a measles-only dose leaves rubella open', () => {
    const p = person('2024-05-31');
    const m = [{ product: 'measles', date: '2025-06-10' }];
    expect(ev(p, m, '2025-07-01', 'mr-1')).toMatchObject({ status: 'due', dosesCounted: 0 });
    expect(ev(p, [...m, { product: 'rubella', date: '2025-06-10' }], '2025-07-01', 'mr-1').status).toBe('complete');
  });
});

describe('product-specific series', () => {
  it('ロタ: a series started with 1価 cannot continue with 5価; 1価 completes in 2 doses, 5価 in 3', () => {
    const h = [{ product: 'rota1', date: '2026-03-10' }];
    expect(codes(chk(baby, h, 'rota5', '2026-04-07'))).toContain('PRODUCT_MISMATCH');
    expect(chk(baby, h, 'rota1', '2026-04-07').allowed).toBe(true);
    expect(ev(baby, [...h, { product: 'rota1', date: '2026-04-07' }], '2026-05-01', 'rota').status).toBe('complete');
    const h5 = [
      { product: 'rota5', date: '2026-03-10' },
      { product: 'rota5', date: '2026-04-07' },
    ];
    const e5 = ev(baby, h5, '2026-04-10', 'rota');
    expect(e5.status).toBe('upcoming');
    expect(e5.nextDose).toMatchObject({ dose: 3, earliest: '2026-05-05', latest: '2026-08-22' }); // 32週0日後
    const mixed = ev(baby, [...h, { product: 'rota5', date: '2026-04-07' }], '2026-04-10', 'rota');
    expect(mixed.dosesCounted).toBe(1);
    expect(mixed.reasons.some((r) => r.code === 'PRODUCT_MISMATCH' && r.message.includes('数えません'))).toBe(true);
  });
  it('小児肺炎球菌: 13価 → 20価 may continue, 15価 → 20価 may not; 13価 is not routine from 2024-10-01', () => {
    const p = person('2024-05-31');
    expect(chk(p, [{ product: 'pcv13', date: '2024-08-01' }], 'pcv20', '2024-10-01').allowed).toBe(true);
    expect(codes(chk(p, [{ product: 'pcv15', date: '2024-08-01' }], 'pcv20', '2024-10-01'))).toContain('PRODUCT_MISMATCH');
    expect(codes(chk(p, [{ product: 'pcv13', date: '2024-08-01' }], 'pcv13', '2024-10-01'))).toContain('PRODUCT_MISMATCH');
  });
  it('HPV: 2価/4価 may switch to 9価, not the other way', () => {
    const p = person('2012-06-01');
    expect(chk(p, [{ product: 'hpv4', date: '2025-04-01' }], 'hpv9', '2025-05-01').allowed).toBe(true);
    expect(codes(chk(p, [{ product: 'hpv9', date: '2025-04-01' }], 'hpv4', '2025-05-01'))).toContain('PRODUCT_MISMATCH');
  });
});

describe('HPV 9価: 2 doses when the first is given by 15歳に至るまで, else 3', () => {
  const p = person('2012-06-01'); // reaches 15 on 2027-05-31
  it('first dose on the day of reaching 15 → 2 doses, 5月以上', () => {
    const h = [{ product: 'hpv9', date: '2027-05-31' }];
    expect(ev(p, h, '2027-06-10', 'hpv').nextDose).toMatchObject({ dose: 2, earliest: '2027-10-31' });
    expect(ev(p, [...h, { product: 'hpv9', date: '2027-10-31' }], '2027-11-01', 'hpv').status).toBe('complete');
  });
  it('first dose the day after → 3 doses', () => {
    const h = [
      { product: 'hpv9', date: '2027-06-01' },
      { product: 'hpv9', date: '2027-11-01' },
    ];
    const e = ev(p, h, '2027-11-10', 'hpv');
    expect(e.status).toBe('upcoming');
    expect(e.nextDose).toMatchObject({ dose: 3, earliest: '2028-02-01' });
  });
  it('a 2nd dose before 5 months switches to the 3-dose schedule and needs a 3rd dose 3月 later', () => {
    const h = [
      { product: 'hpv9', date: '2025-04-01' },
      { product: 'hpv9', date: '2025-08-01' },
    ];
    const e = ev(p, h, '2025-09-01', 'hpv');
    expect(e.dosesCounted).toBe(2);
    expect(e.reasons.map((r) => r.code)).toContain('SERIES_CHANGED');
    expect(e.nextDose).toMatchObject({ dose: 3, earliest: '2025-11-01' });
    // Under 1 month it still does not count
    expect(codes(chk(p, [{ product: 'hpv9', date: '2025-04-01' }], 'hpv9', '2025-04-30'))).toContain('INTERVAL_TOO_SHORT');
  });
  it('a third dose after a complete 2-dose series is refused', () => {
    const h = [
      { product: 'hpv9', date: '2025-04-01' },
      { product: 'hpv9', date: '2025-10-01' },
    ];
    expect(codes(chk(p, h, 'hpv9', '2026-04-01'))).toContain('SERIES_COMPLETE');
  });
});

describe('注射生ワクチン同士は27日以上 (from 2020-10-01)', () => {
  const p = person('2024-05-31');
  it('MR 27 days after varicella is refused, 28 days after is allowed, the same day is allowed', () => {
    const h = [{ product: 'varicella', date: '2025-06-01' }];
    const r = chk(p, h, 'mr', '2025-06-28');
    expect(r.allowed).toBe(false);
    expect(r.program).toBe('mr-1');
    expect(r.dose).toBe(1);
    expect(codes(r)).toEqual(['LIVE_VACCINE_INTERVAL']);
    expect(chk(p, h, 'mr', '2025-06-29').allowed).toBe(true);
    expect(chk(p, h, 'mr', '2025-06-01').allowed).toBe(true);
  });
  it('percutaneous BCG and inactivated vaccines do not start the interval', () => {
    expect(chk(p, [{ product: 'bcg', date: '2025-05-28' }], 'mr', '2025-06-01').allowed).toBe(true);
    expect(chk(p, [{ product: 'hib', date: '2025-05-31' }], 'mr', '2025-06-01').allowed).toBe(true);
  });
  it('evaluate pushes the next MR dose past the interval', () => {
    const e = ev(p, [{ product: 'varicella', date: '2025-06-01' }], '2025-06-10', 'mr-1');
    expect(e.status).toBe('upcoming');
    expect(e.nextDose?.earliest).toBe('2025-06-29');
    expect(e.reasons.map((x) => x.code)).toContain('LIVE_VACCINE_INTERVAL');
  });
  it('before 2020-10-01 the older rules applied (不活化 6日, 生 27日 to any vaccine)', () => {
    const q = person('2019-01-10');
    expect(codes(chk(q, [{ product: 'hib', date: '2019-03-11' }], 'pcv13', '2019-03-14'))).toContain('VACCINE_INTERVAL');
    expect(chk(q, [{ product: 'hib', date: '2019-03-11' }], 'pcv13', '2019-03-18').allowed).toBe(true);
    expect(chk(person('2020-01-10'), [{ product: 'hib', date: '2021-03-11' }], 'mr', '2021-03-14').allowed).toBe(true);
  });
});

describe('長期療養特例', () => {
  it('Hib: 2 years from the day the circumstance ended, capped at 10歳', () => {
    const sick = person('2020-01-10', 'male', [{ code: 'long-term-illness', from: '2020-02-01', resolvedOn: '2025-06-01' }]);
    expect(chk(sick, [], 'hib', '2026-11-21').allowed).toBe(true);
    expect(chk(sick, [], 'hib', '2027-05-31').allowed).toBe(true);
    expect(codes(chk(sick, [], 'hib', '2027-06-01'))).toContain('TOO_OLD');
    expect(codes(chk(person('2020-01-10', 'male'), [], 'hib', '2026-11-21'))).toContain('TOO_OLD');
  });
  it('BCG: capped at 4歳 even when 2 years would run longer', () => {
    const sick = person('2021-01-10', 'male', [{ code: 'long-term-illness', from: '2021-02-01', resolvedOn: '2024-06-01' }]);
    expect(chk(sick, [], 'bcg', '2025-01-09').allowed).toBe(true);
    expect(codes(chk(sick, [], 'bcg', '2025-01-10'))).toContain('TOO_OLD');
  });
  it('the illness must have overlapped the normal window; ロタ has no 特例', () => {
    const late = person('2020-01-10', 'male', [{ code: 'long-term-illness', from: '2026-01-01', resolvedOn: '2026-06-01' }]);
    expect(chk(late, [], 'hib', '2026-11-21').allowed).toBe(false);
    const infant = person('2026-01-10', 'male', [{ code: 'long-term-illness', from: '2026-02-01', resolvedOn: '2026-12-01' }]);
    expect(chk(infant, [], 'rota1', '2026-12-10').allowed).toBe(false);
  });
});

describe('evaluate: the five statuses and doses that do not count', () => {
  it('upcoming before 生後2月 with the exact first day', () => {
    const e = ev(person('2026-11-01'), [], '2026-11-21', 'hib');
    expect(e.status).toBe('upcoming');
    expect(e.nextDose).toMatchObject({ dose: 1, earliest: '2026-12-31', latest: '2031-10-31', standardFrom: '2026-12-31', standardUntil: '2027-05-31' });
  });
  it('complete, missed and not-eligible', () => {
    const p = person('2024-05-31');
    expect(ev(p, [{ product: 'bcg', date: '2024-11-01' }], '2026-11-21', 'bcg')).toMatchObject({ status: 'complete', dosesCounted: 1, nextDose: null });
    expect(ev(p, [], '2026-11-21', 'bcg')).toMatchObject({ status: 'missed', dosesCounted: 0, nextDose: null });
    expect(ev(person('2012-06-01', 'male'), [], '2026-11-21', 'hpv')).toMatchObject({ status: 'not-eligible', nextDose: null });
  });
  it('a dose outside the rules stays in the history, is not counted, and the engine says why', () => {
    const p = person('2024-05-31');
    const e = ev(p, [{ product: 'bcg', date: '2025-06-15' }], '2026-11-21', 'bcg');
    expect(e.dosesCounted).toBe(0);
    expect(e.status).toBe('missed');
    const why = e.reasons.find((r) => r.code === 'TOO_OLD');
    expect(why?.message).toContain('数えません');
    expect(why?.source).toContain('予防接種法施行令');
    expect(why?.rule).toBe('bcg/window/routine');
  });
  it('a dose beyond the series is SERIES_COMPLETE', () => {
    const p = person('2024-05-31');
    expect(codes(chk(p, [{ product: 'bcg', date: '2024-11-01' }], 'bcg', '2024-12-01'))).toContain('SERIES_COMPLETE');
  });
  it('the issue example: 5種混合 once → Hib due, dose 2 from D+21', () => {
    const e = ev(person('2025-09-10'), [{ product: 'dpt-ipv-hib', date: '2025-11-10' }], '2026-11-21', 'hib');
    expect(e).toMatchObject({ program: 'hib', status: 'due', dosesCounted: 1, nextDose: { dose: 2, earliest: '2025-12-01', latest: '2030-09-09' } });
  });
});
