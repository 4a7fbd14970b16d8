// Public face of municipality/schedule: the vaccination schedule catalog and engine.  PURE — no I/O, no
// clock, no database: callers pass the person, the history and the date, and get decisions with reasons.
import { z } from 'zod';
import { parseInput } from '../../kernel/problems/index.js';
import { checkWith, evaluateWith, type CheckResult, type EvaluateResult, type ProposedDose } from './engine.js';
import { defaultCatalog, type Catalog } from './loader.js';
import { historyItemSchema, isoDate, personSchema, type HistoryItem, type PersonInput } from './schema.js';

export type { CheckProblem, CheckResult, EvaluateResult, NextDose, ProgramCheck, ProgramResult, ProposedDose, Reason, Status } from './engine.js';
export { programVersionAt } from './engine.js';
export { CatalogError, defaultCatalog, loadCatalog, validateMunicipalConfig, withMunicipalConfig, type Catalog } from './loader.js';
export { nationalCatalog } from './catalog-data.js';
export type { Bound, CatalogData, CatalogInput, ConditionInput, HistoryItem, MunicipalConfig, MunicipalConfigInput, Person, PersonInput, Product, Program, Source } from './schema.js';
export { catalogSchema, municipalConfigSchema, personSchema, historyItemSchema } from './schema.js';

const schemasByCatalog = new WeakMap<Catalog, ReturnType<typeof buildInputSchemas>>();

/** Schemas of the CLI/API inputs, with product, program and condition codes checked against a catalog (built once per catalog). */
export function inputSchemas(catalog: Catalog): ReturnType<typeof buildInputSchemas> {
  let s = schemasByCatalog.get(catalog);
  if (!s) {
    s = buildInputSchemas(catalog);
    schemasByCatalog.set(catalog, s);
  }
  return s;
}

function buildInputSchemas(catalog: Catalog) {
  const product = z.string().refine((c) => catalog.productByCode.has(c), { message: 'カタログにないワクチンのコードです' });
  const program = z.string().refine((c) => catalog.programsByCode.has(c), { message: 'カタログにない事業のコードです' });
  const needs = new Map(catalog.conditions.map((c) => [c.code, c.needs]));
  const person = personSchema.superRefine((p, ctx) => {
    p.conditions.forEach((c, i) => {
      const code = typeof c === 'string' ? c : c.code;
      const need = needs.get(code);
      if (!need) {
        ctx.addIssue({ code: 'custom', path: ['conditions', i], message: `カタログにない条件のコードです（${code}）` });
        return;
      }
      for (const f of need) {
        if (typeof c === 'string' || c[f] === undefined) ctx.addIssue({ code: 'custom', path: ['conditions', i, f], message: `条件「${code}」には ${f} の日付が必要です` });
      }
      if (typeof c !== 'string' && c.from && c.until && c.until < c.from) ctx.addIssue({ code: 'custom', path: ['conditions', i, 'until'], message: '終了日が開始日より前です' });
    });
  });
  const history = z.array(historyItemSchema.extend({ product }));
  return {
    evaluate: z.object({ asOf: isoDate, person, history: history.default([]), programs: z.array(program).optional() }),
    check: z.object({ person, history: history.default([]), proposed: z.object({ product, date: isoDate, doctorJudgement: z.boolean().optional(), program: program.optional() }) }),
  };
}

export interface EvaluateInput {
  readonly asOf: string;
  readonly person: PersonInput;
  readonly history?: readonly HistoryItem[];
  readonly programs?: readonly string[];
}

export interface CheckInput {
  readonly person: PersonInput;
  readonly history?: readonly HistoryItem[];
  readonly proposed: ProposedDose;
}

/** Validates (400 Problem naming the field) and evaluates. */
export function evaluate(input: unknown, catalog: Catalog = defaultCatalog()): EvaluateResult {
  const v = parseInput(inputSchemas(catalog).evaluate, input);
  return evaluateWith(catalog, v.person, v.history, v.asOf, v.programs);
}

/** Validates (400 Problem naming the field) and checks a proposed dose. */
export function check(input: unknown, catalog: Catalog = defaultCatalog()): CheckResult {
  const v = parseInput(inputSchemas(catalog).check, input);
  return checkWith(catalog, v.person, v.history, v.proposed);
}

export { checkWith, evaluateWith };
