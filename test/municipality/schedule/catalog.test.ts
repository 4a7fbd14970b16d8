// The catalog as data: the national catalog loads through the same validation as municipal
// configurations; municipal 任意/臨時 programs work without code; bad configurations name the field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CatalogError, check, defaultCatalog, evaluate, loadCatalog, nationalCatalog, validateMunicipalConfig, withMunicipalConfig } from '../../../src/municipality/schedule/index.js';

const example = JSON.parse(readFileSync(new URL('../../../docs/formats/examples/schedule-municipal-config.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function errorOf(f: () => unknown): CatalogError {
  try {
    f();
  } catch (e) {
    if (e instanceof CatalogError) return e;
    throw e;
  }
  throw new Error('expected a CatalogError');
}

describe('national catalog', () => {
  const c = defaultCatalog();
  it('covers every routine program and product code the issue lists, with a source on every rule', () => {
    for (const code of ['hib', 'pcv', 'hepb', 'rota', 'dpt-ipv-1', 'dt-2', 'bcg', 'mr-1', 'mr-2', 'varicella', 'je-1', 'je-2', 'hpv', 'influenza-elderly', 'pneumococcal-elderly', 'covid19-elderly', 'zoster-elderly', 'rsv-maternal', 'rubella-5']) {
      expect(c.programsByCode.has(code), code).toBe(true);
    }
    for (const code of ['hib', 'pcv13', 'pcv15', 'pcv20', 'hepb', 'rota1', 'rota5', 'dpt-ipv-hib', 'dpt-ipv', 'dpt', 'ipv', 'dt', 'bcg', 'mr', 'measles', 'rubella', 'varicella', 'je', 'hpv2', 'hpv4', 'hpv9', 'influenza', 'ppsv23', 'covid19', 'zoster-live', 'zoster-recombinant']) {
      expect(c.productByCode.has(code), code).toBe(true);
    }
    for (const p of c.programs) {
      expect(p.sources.length).toBeGreaterThan(0);
      for (const w of p.windows) expect(w.source.title.length).toBeGreaterThan(0);
      for (const s of p.series) expect(s.source.title.length).toBeGreaterThan(0);
    }
    expect(c.version).toBe('2026.11');
  });
  it('flags live vaccines and routes as data', () => {
    expect(c.productByCode.get('mr')).toMatchObject({ live: true, route: 'injection' });
    expect(c.productByCode.get('bcg')).toMatchObject({ live: true, route: 'percutaneous' });
    expect(c.productByCode.get('rota1')).toMatchObject({ live: true, route: 'oral' });
    expect(c.productByCode.get('zoster-recombinant')).toMatchObject({ live: false });
    expect(c.productByCode.get('dpt-ipv-hib')?.antigens).toEqual(['diphtheria', 'pertussis', 'tetanus', 'polio', 'hib']);
  });
  it('every program in force on 2026-11-21 is evaluated by default', () => {
    const r = evaluate({ asOf: '2026-11-21', person: { birthDate: '2025-09-10', sex: 'female' }, history: [] });
    expect(r.results.map((x) => x.program)).toContain('rsv-maternal');
    expect(r.results.map((x) => x.program)).toContain('zoster-elderly');
    const before = evaluate({ asOf: '2024-11-21', person: { birthDate: '2024-09-10', sex: 'female' }, history: [] });
    expect(before.results.map((x) => x.program)).not.toContain('rsv-maternal');
    expect(before.results.map((x) => x.program)).not.toContain('zoster-elderly');
  });
  it('rejects a catalog whose program uses an undefined product, naming the field in Japanese', () => {
    const broken = structuredClone(nationalCatalog);
    broken.programs[0]!.products = [{ code: 'nope' }];
    const e = errorOf(() => loadCatalog(broken));
    expect(e.errors[0]).toMatchObject({ field: 'programs.0.products.0.code', code: 'UNKNOWN_PRODUCT' });
    expect(e.errors[0]!.message).toContain('products に定義されていません');
  });
});

describe('municipal configuration (任意・臨時・特措法 in the same format)', () => {
  const cat = withMunicipalConfig(defaultCatalog(), example);
  it('adds an おたふくかぜ subsidy program that evaluate and check use', () => {
    const p = { birthDate: '2024-05-31', sex: 'male', conditions: [] };
    const r = evaluate({ asOf: '2025-07-01', person: p, history: [{ product: 'mumps', date: '2025-06-01' }], programs: ['mumps-subsidy'] }, cat);
    expect(r.catalogVersion).toBe('2026.11 + 例示市（合成データ） 2026-04');
    expect(r.results[0]).toMatchObject({ program: 'mumps-subsidy', category: '任意', status: 'due', dosesCounted: 1, nextDose: { dose: 2, earliest: '2025-06-29' } });
    const c = check({ person: p, history: [{ product: 'varicella', date: '2025-06-01' }], proposed: { product: 'mumps', date: '2025-06-20' } }, cat);
    expect(c.program).toBe('mumps-subsidy');
    expect(c.problems.map((x) => x.code)).toEqual(['LIVE_VACCINE_INTERVAL']); // the new live product joins the national rule
    expect(c.problems[0]!.source).toContain('塩竈市');
  });
  it('overrides the influenza season', () => {
    const p = { birthDate: '1950-01-01', sex: 'female', conditions: [] };
    expect(check({ person: p, history: [], proposed: { product: 'influenza', date: '2026-10-10' } }).allowed).toBe(true);
    const r = check({ person: p, history: [], proposed: { product: 'influenza', date: '2026-10-10' } }, cat);
    expect(r.problems.map((x) => x.code)).toContain('OUTSIDE_SEASON');
    expect(check({ person: p, history: [], proposed: { product: 'influenza', date: '2027-01-05' } }, cat).allowed).toBe(false);
  });
  it('the national catalog itself is unchanged', () => {
    expect(defaultCatalog().programsByCode.has('mumps-subsidy')).toBe(false);
  });
  it('names the field and says what is wrong, in Japanese', () => {
    const bad = structuredClone(example) as { programs: Array<Record<string, unknown>> };
    bad.programs[0]!['effectiveFrom'] = '2026-02-30';
    const e = errorOf(() => validateMunicipalConfig(bad));
    expect(e.errors[0]!.field).toBe('programs.0.effectiveFrom');
    expect(e.errors[0]!.message).toContain('YYYY-MM-DD');
    expect(e.title).toBe('市区町村の予防接種設定に誤りがあります');
  });
  it('refuses routine categories, duplicate codes, unknown conditions and dose numbering gaps', () => {
    const a = structuredClone(example) as { programs: Array<Record<string, unknown>> };
    a.programs[0]!['category'] = 'A類定期';
    expect(errorOf(() => validateMunicipalConfig(a)).errors[0]).toMatchObject({ field: 'programs.0.category', code: 'CATEGORY' });
    const b = structuredClone(example) as { programs: Array<Record<string, unknown>> };
    b.programs[0]!['code'] = 'hib';
    expect(errorOf(() => validateMunicipalConfig(b)).errors.map((x) => x.field)).toContain('programs.0.code');
    const c = structuredClone(example) as { programs: Array<{ windows: Array<Record<string, unknown>> }> };
    c.programs[0]!.windows[0]!['requiresCondition'] = { anyOf: ['no-such-condition'] };
    expect(errorOf(() => validateMunicipalConfig(c)).errors[0]).toMatchObject({ field: 'programs.0.windows.0.requiresCondition.anyOf', code: 'UNKNOWN_CONDITION' });
    const d = structuredClone(example) as { programs: Array<{ series: Array<{ doses: Array<Record<string, unknown>> }> }> };
    d.programs[0]!.series[0]!.doses[1]!['dose'] = 3;
    const de = errorOf(() => validateMunicipalConfig(d));
    expect(de.errors[0]!.field).toBe('programs.0.series.0.doses.1.dose');
    expect(de.errors[0]!.message).toContain('1から順に');
    const e = structuredClone(example) as { seasonOverrides: Record<string, unknown> };
    e.seasonOverrides['bcg'] = { from: '10-01', until: '12-31', source: { title: 'x' } };
    expect(errorOf(() => validateMunicipalConfig(e)).errors[0]).toMatchObject({ field: 'seasonOverrides.bcg', code: 'NO_SEASON' });
  });
});

describe('engine input validation names the field', () => {
  it('unknown product, bad date, bad sex, condition missing its dates', () => {
    const p = { birthDate: '2024-05-31', sex: 'male' };
    const fields = (input: unknown): string[] => {
      try {
        check(input);
      } catch (e) {
        return (e as { errors: Array<{ field: string }> }).errors.map((x) => x.field);
      }
      return [];
    };
    expect(fields({ person: p, history: [], proposed: { product: 'nope', date: '2025-06-01' } })).toEqual(['proposed.product']);
    expect(fields({ person: p, history: [{ product: 'mr', date: '2025-13-01' }], proposed: { product: 'mr', date: '2025-06-01' } })).toEqual(['history.0.date']);
    expect(fields({ person: { ...p, sex: 'x' }, history: [], proposed: { product: 'mr', date: '2025-06-01' } })).toEqual(['person.sex']);
    expect(fields({ person: { ...p, conditions: ['long-term-illness'] }, history: [], proposed: { product: 'mr', date: '2025-06-01' } })).toEqual(['person.conditions.0.from', 'person.conditions.0.resolvedOn']);
    expect(fields({ person: { ...p, conditions: ['no-such'] }, history: [], proposed: { product: 'mr', date: '2025-06-01' } })).toEqual(['person.conditions.0']);
  });
});
