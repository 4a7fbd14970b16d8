// Errors with a stable machine code and a Japanese title/detail (RFC 9457 problem+json).
// Messages never carry My Number or other personal values: they name the field instead.
import { z } from 'zod';

export interface FieldError {
  /** Dotted path of the offending input field, e.g. "code" or "rows.3.birthDate". */
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** An operation-log entry to write when this problem aborts a transaction (e.g. a denied access). */
export interface ProblemAudit {
  readonly action: string;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly subjectRef?: string | undefined;
  readonly purpose?: string | undefined;
  readonly outcome: 'failure' | 'denied';
  readonly detail?: Record<string, unknown> | undefined;
}

export class Problem extends Error {
  /** Set by `withAudit`: the runner records it after the rollback, in its own transaction. */
  audit: ProblemAudit | undefined;
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[];

  constructor(status: number, code: string, title: string, detail?: string, errors: readonly FieldError[] = []) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'Problem';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }

  withAudit(entry: ProblemAudit): this {
    this.audit = entry;
    return this;
  }

  toJSON(instance?: string): ProblemDocument {
    return {
      type: `https://mamori.example/problems/${this.code.toLowerCase().replace(/_/g, '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
  }
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: readonly FieldError[];
}

export function isProblem(e: unknown): e is Problem {
  return e instanceof Problem;
}

/** One invalid field → 400 with the field named. */
export function invalidField(field: string, code: string, message: string): Problem {
  return new Problem(400, code, '入力内容に誤りがあります', `${field}: ${message}`, [{ field, code, message }]);
}

export function validationFailed(errors: readonly FieldError[]): Problem {
  const first = errors[0];
  const detail = first ? `${first.field}: ${first.message}` + (errors.length > 1 ? `（ほか${errors.length - 1}件）` : '') : undefined;
  return new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', detail, errors);
}

export const notFound = (what = 'レコード'): Problem =>
  new Problem(404, 'NOT_FOUND', '見つかりません', `指定された${what}は存在しないか、参照する権限がありません。`);

export const forbidden = (detail = 'この操作を行う権限がありません。'): Problem =>
  new Problem(403, 'FORBIDDEN', '権限がありません', detail);

export const unauthenticated = (detail = 'ログインしてください。'): Problem =>
  new Problem(401, 'UNAUTHENTICATED', 'ログインが必要です', detail);

export const conflict = (code: string, detail: string): Problem => new Problem(409, code, '処理を完了できません', detail);

// Zod speaks Japanese for the messages it generates itself.
z.config(z.locales.ja());

/** Converts a Zod error to FieldErrors with dotted paths. */
export function fieldErrorsFromZod(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(入力全体)';
    const custom = (issue as { params?: { code?: string } }).params?.code;
    // Zod's own issue codes (invalid_type, too_small, too_big, invalid_format, …) upper-cased; custom checks carry theirs.
    const code = custom ?? (issue.code === 'custom' ? 'INVALID' : issue.code.toUpperCase());
    return { field: path, code, message: issue.message };
  });
}

/** Parses `input` with `schema` or throws a 400 Problem naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw validationFailed(fieldErrorsFromZod(r.error, prefix));
  return r.data;
}
