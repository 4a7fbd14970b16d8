// Assertions about Problems (the kernel's errors: stable code, status, named fields).
import { expect } from 'vitest';
import { Problem } from '../../src/kernel/problems/index.js';

/** Awaits `p`, expects it to reject with a Problem and returns it. */
export async function problemOf(p: Promise<unknown>): Promise<Problem> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected the call to fail with a Problem').toBeInstanceOf(Problem);
  return caught as Problem;
}

export interface ProblemShape {
  status?: number;
  code?: string;
  /** A field the Problem must name in `errors`. */
  field?: string;
}

export async function expectProblem(p: Promise<unknown>, shape: ProblemShape): Promise<Problem> {
  const e = await problemOf(p);
  if (shape.status !== undefined) expect(e.status).toBe(shape.status);
  if (shape.code !== undefined) expect([e.code, ...e.errors.map((f) => f.code)]).toContain(shape.code);
  if (shape.field !== undefined) expect(e.errors.map((f) => f.field)).toContain(shape.field);
  return e;
}
