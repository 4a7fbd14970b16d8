// Small helpers for schedule tests: typed wrappers over the public face with synthetic people.
import { check, evaluate, type CheckResult, type ConditionInput, type ProgramResult } from '../../../src/municipality/schedule/index.js';

export interface H {
  product: string;
  date: string;
  doctorJudgement?: boolean;
}

export function person(birthDate: string, sex: 'male' | 'female' = 'female', conditions: ConditionInput[] = []) {
  return { birthDate, sex, conditions };
}

export type P = ReturnType<typeof person>;

export function chk(p: P, history: H[], product: string, date: string, extra: { doctorJudgement?: boolean; program?: string } = {}): CheckResult {
  return check({ person: p, history, proposed: { product, date, ...extra } });
}

export function codes(r: CheckResult): string[] {
  return r.problems.map((x) => x.code);
}

export function ev(p: P, history: H[], asOf: string, program: string): ProgramResult {
  const r = evaluate({ asOf, person: p, history, programs: [program] });
  return r.results[0]!;
}

/** Asserts the first-dose window edges of a program: day before → `beforeCode`, first, last, day after → `afterCode`. */
export function edges(p: P, product: string, first: string, last: string, history: H[] = []) {
  const day = (d: string, n: number) => {
    const t = new Date(`${d}T00:00:00Z`).getTime() + n * 86_400_000;
    return new Date(t).toISOString().slice(0, 10);
  };
  return {
    before: chk(p, history, product, day(first, -1)),
    first: chk(p, history, product, first),
    last: chk(p, history, product, last),
    after: chk(p, history, product, day(last, 1)),
  };
}
