// Golden outputs of the schedule engine: the CLI contract (docs/formats/schedule-cli.md) prints exactly
// JSON.stringify(evaluate(input)) / JSON.stringify(check(input)), so these pin its bytes — every field, every
// reason message, key order included.  Two files:
// - golden/cases.json: ~60 varied people (all programs, several dates, the example municipal
//   configuration) and the checks of doses proposed around their next windows: per case the input, a
//   one-line-per-program summary (readable diffs), the SHA-256 of the exact output bytes, and for a few
//   cases the full output;
// - golden/population.json: SHA-256 digests over 2,000 people of the synthetic population
//   (municipality/bench) evaluated on three dates plus one check each — broad, compact coverage.
// Regenerate ONLY for an intended behaviour change, and review the diff of cases.json:
//   MAMORI_UPDATE_GOLDEN=1 npx vitest run --project main test/municipality/schedule/golden.test.ts
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syntheticPopulation, type SyntheticPerson } from '../../../src/municipality/bench/index.js';
import { seededRng } from '../../../src/kernel/random/index.js';
import { addDays, dayNumber, fromDayNumber } from '../../../src/kernel/jp/index.js';
import { check, defaultCatalog, evaluate, withMunicipalConfig, type Catalog, type CheckResult, type EvaluateResult } from '../../../src/municipality/schedule/index.js';

const DIR = new URL('./golden/', import.meta.url);
const UPDATE = process.env['MAMORI_UPDATE_GOLDEN'] === '1';
const AS_OF = '2026-11-21';
const OTHER_DATES = ['2020-09-15', '2024-05-10', '2025-12-15', '2027-04-01'];

interface Case {
  readonly kind: 'evaluate' | 'check';
  readonly config?: boolean;
  readonly full?: boolean;
  readonly input: unknown;
}

interface Pinned extends Case {
  readonly summary: string[];
  readonly sha256: string;
  readonly output?: unknown;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Products the random picks draw from: the catalog's, less the branded COVID-19 products added in 2026-12
 * (decision 0095), so that adding them did not reshuffle every pinned input; their rules are pinned in
 * rules.test.ts and by the cases that reach them through the generic `covid19`.
 */
const pickable = (codes: readonly string[]): string[] => codes.filter((c) => !c.startsWith('covid19-'));

/** One line per program (evaluate) or per problem list (check): what a reviewer reads in a diff. */
function summary(kind: Case['kind'], out: unknown): string[] {
  if (kind === 'evaluate') {
    const r = out as EvaluateResult;
    return r.results.map((x) => {
      const nd = x.nextDose ? ` #${x.nextDose.dose} ${x.nextDose.earliest}..${x.nextDose.latest} std ${x.nextDose.standardFrom}..${x.nextDose.standardUntil}` : '';
      return `${x.program} ${x.status} ${x.dosesCounted}${nd} [${x.reasons.map((y) => y.code).join(' ')}]`;
    });
  }
  const r = out as CheckResult;
  const line = (p: { program: string | null; dose: number | null; allowed: boolean; problems: readonly { code: string }[] }) => `${p.program} #${p.dose} ${p.allowed ? 'allowed' : 'refused'} [${p.problems.map((y) => y.code).join(' ')}]`;
  return [line(r), `notes [${r.notes.map((y) => y.code).join(' ')}]`, ...r.others.map((o) => `other ${line(o)}`)];
}

const municipal = (): Catalog => withMunicipalConfig(defaultCatalog(), JSON.parse(readFileSync(new URL('../../../docs/formats/examples/schedule-municipal-config.json', import.meta.url), 'utf8')));

function run(c: Case, municipalCatalog: Catalog): unknown {
  const cat = c.config ? municipalCatalog : defaultCatalog();
  return c.kind === 'evaluate' ? evaluate(c.input, cat) : check(c.input, cat);
}

/** The history as known on `date` (doses after it not yet given). */
const knownOn = (p: SyntheticPerson, date: string) => p.history.filter((h) => h.date <= date);

function ageBucket(p: SyntheticPerson): string {
  const age = (dayNumber(AS_OF) - dayNumber(p.person.birthDate)) / 365.25;
  const b = age < 1 ? '0' : age < 3 ? '1-2' : age < 7 ? '3-6' : age < 13 ? '7-12' : age < 20 ? '13-19' : age < 60 ? '20-59' : age < 65 ? '60-64' : age < 70 ? '65-69' : '70+';
  return `${b}/${p.person.sex}/${p.person.conditions.length ? 'c' : '-'}`;
}

/** ~60 varied people: every age bucket × sex × with/without conditions, round robin. */
function caseInputs(): Case[] {
  const pop = syntheticPopulation(6000, AS_OF, 'golden');
  const buckets = new Map<string, SyntheticPerson[]>();
  for (const p of pop) {
    const k = ageBucket(p);
    const list = buckets.get(k) ?? [];
    if (list.length < 4) list.push(p);
    buckets.set(k, list);
  }
  const chosen: SyntheticPerson[] = [];
  for (let round = 0; chosen.length < 60 && round < 4; round++) {
    for (const k of [...buckets.keys()].sort()) {
      const p = buckets.get(k)![round];
      if (p && chosen.length < 60) chosen.push(p);
    }
  }
  const rng = seededRng('golden-cases');
  const cat = defaultCatalog();
  const products = pickable(cat.products.map((p) => p.code));
  const cases: Case[] = [];
  chosen.forEach((p, i) => {
    cases.push({ kind: 'evaluate', ...(i % 6 === 0 ? { full: true } : {}), input: { asOf: AS_OF, person: p.person, history: p.history } });
    const other = OTHER_DATES[i % OTHER_DATES.length]!;
    cases.push({ kind: 'evaluate', input: { asOf: other, person: p.person, history: knownOn(p, other) } });
    if (i % 6 === 0) cases.push({ kind: 'evaluate', config: true, input: { asOf: AS_OF, person: p.person, history: p.history } });
    // Proposed doses around the next windows (first day, day before, last day, day after) and one random.
    const r = evaluate({ asOf: AS_OF, person: p.person, history: p.history }, cat);
    for (const res of r.results) {
      if (!res.nextDose) continue;
      const prog = cat.programsByCode.get(res.program)!.at(-1)!;
      const product = rng.pick(pickable(prog.products.map((x) => x.code)));
      const nd = res.nextDose;
      const date = rng.pick([nd.earliest, addDays(nd.earliest, -1), nd.latest, addDays(nd.latest, 1), nd.standardFrom]);
      if (date > '9000-01-01') continue;
      cases.push({ kind: 'check', ...(rng.chance(0.1) ? { full: true } : {}), input: { person: p.person, history: p.history, proposed: { product, date, ...(rng.chance(0.1) ? { doctorJudgement: true } : {}), ...(rng.chance(0.1) ? { program: res.program } : {}) } } });
    }
    const date = fromDayNumber(dayNumber(p.person.birthDate) + rng.int(0, dayNumber(AS_OF) + 400 - dayNumber(p.person.birthDate)));
    cases.push({ kind: 'check', input: { person: p.person, history: p.history, proposed: { product: rng.pick(products), date } } });
  });
  // The documented examples and edge conditions.
  const doc = [
    { birthDate: '1963-01-01', sex: 'male', conditions: ['disability-cardiac'] },
    { birthDate: '2020-01-10', sex: 'male', conditions: [{ code: 'long-term-illness', from: '2020-02-01', resolvedOn: '2025-06-01' }] },
    { birthDate: '2020-01-10', sex: 'female', conditions: [{ code: 'long-term-illness', from: '2020-02-01', resolvedOn: '2022-03-01', programs: ['bcg', 'hib'] }] },
    { birthDate: '1995-05-05', sex: 'female', conditions: [{ code: 'pregnancy', expectedDeliveryDate: '2026-12-31' }] },
    { birthDate: '1970-06-30', sex: 'male', conditions: [{ code: 'rubella-antibody-insufficient', from: '2024-02-29' }] },
    { birthDate: '2024-02-29', sex: 'female', conditions: [] },
    { birthDate: '2018-04-01', sex: 'male', conditions: [] },
    { birthDate: '1926-03-31', sex: 'female', conditions: ['previous-zoster-complete', 'previous-ppsv23'] },
  ];
  for (const person of doc) {
    cases.push({ kind: 'evaluate', full: true, input: { asOf: AS_OF, person, history: [] } });
    cases.push({ kind: 'evaluate', input: { asOf: '2025-06-15', person, history: [{ product: 'mr', date: '2025-06-01' }, { product: 'varicella', date: '2025-06-10', ref: 'r1' }] } });
  }
  cases.push({ kind: 'evaluate', input: { asOf: AS_OF, person: { birthDate: '2025-09-10', sex: 'female', conditions: [] }, history: [{ product: 'dpt-ipv-hib', date: '2025-11-10' }], programs: ['hib', 'dpt-ipv-1'] } });
  cases.push({ kind: 'check', input: { person: { birthDate: '2024-10-01', sex: 'female' }, history: [{ product: 'varicella', date: '2025-12-20' }], proposed: { product: 'mr', date: '2026-01-05' } } });
  return cases;
}

function digest(lines: Iterable<string>): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
}

interface PopulationGolden {
  readonly n: number;
  readonly inputsSha256: string;
  readonly outputsSha256: string;
}

function* populationInputs(n: number): Generator<Case> {
  const rng = seededRng('golden-population-checks');
  const cat = defaultCatalog();
  for (const p of syntheticPopulation(n, AS_OF, 'golden-population')) {
    yield { kind: 'evaluate', input: { asOf: AS_OF, person: p.person, history: p.history } };
    yield { kind: 'evaluate', input: { asOf: '2025-06-01', person: p.person, history: knownOn(p, '2025-06-01') } };
    yield { kind: 'evaluate', input: { asOf: '2027-10-15', person: p.person, history: p.history } };
    const date = fromDayNumber(dayNumber(p.person.birthDate) + rng.int(0, dayNumber(AS_OF) + 200 - dayNumber(p.person.birthDate)));
    yield { kind: 'check', input: { person: p.person, history: p.history, proposed: { product: rng.pick(pickable(cat.products.map((x) => x.code))), date } } };
  }
}

describe('schedule engine golden outputs (CLI bytes)', () => {
  const muni = municipal();

  it('reproduces every pinned evaluate/check output exactly', () => {
    const file = new URL('cases.json', DIR);
    if (UPDATE) {
      const pinned = caseInputs().map((c): Pinned => {
        const out = run(c, muni);
        const { full, ...rest } = c;
        return { ...rest, summary: summary(c.kind, out), sha256: sha(JSON.stringify(out)), ...(full ? { output: out } : {}) };
      });
      writeFileSync(file, '[\n' + pinned.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
    }
    const cases = JSON.parse(readFileSync(file, 'utf8')) as Pinned[];
    expect(cases.length).toBeGreaterThan(300);
    for (const [i, c] of cases.entries()) {
      const out = run(c, muni);
      const text = JSON.stringify(out);
      const what = `case ${i}: ${JSON.stringify(c.input).slice(0, 300)}`;
      expect(summary(c.kind, out), what).toEqual(c.summary);
      if (c.output !== undefined) expect(text, what).toBe(JSON.stringify(c.output));
      expect(sha(text), `${what}\n${text}`).toBe(c.sha256);
    }
  });

  it('reproduces the digests over 2,000 synthetic people', () => {
    const file = new URL('population.json', DIR);
    const n = 2000;
    const inputs = [...populationInputs(n)];
    const got: PopulationGolden = { n, inputsSha256: digest(inputs.map((c) => JSON.stringify(c))), outputsSha256: digest(inputs.map((c) => JSON.stringify(run(c, muni)))) };
    if (UPDATE) writeFileSync(file, JSON.stringify(got, null, 2) + '\n');
    const want = JSON.parse(readFileSync(file, 'utf8')) as PopulationGolden;
    expect(got.inputsSha256, 'the synthetic population changed: regenerate with the engine from before your change, then change the engine').toBe(want.inputsSha256);
    expect(got.outputsSha256).toBe(want.outputsSha256);
  });
});
