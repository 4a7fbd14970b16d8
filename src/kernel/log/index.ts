// Structured logging (pino) with My Number redaction at the last possible point:
// every serialised line passes through `redactMyNumbers` before it reaches stderr or a file,
// so neither a careless message nor an error stack can carry a 12-digit number out.  (KRN-31, KRN-07)
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// A run of exactly 12 digits, not touching further digits.  A digit is ASCII or full-width, bare or
// percent-encoded (%30-%39, or %EF%BC%90-%EF%BC%99 for full-width); between any two digits there may be
// one separator: a hyphen (any width), a space (half or full width), '+' (a space in a query string) or
// their percent-encodings (%20, %2B, %2D, %E3%80%80).  Every such run is masked, whether or not its check
// digit is valid: a mistyped My Number is still a My Number.  (KRN-07, decision 0124)
const D = '(?:[0-9０-９]|%3[0-9]|%EF%BC%9[0-9])';
const S = '(?:[-‐－ \u3000+]|%20|%2B|%2D|%E3%80%80)';
const MYNUMBER_LIKE = new RegExp(`(?<!${D}${S}?)${D}(?:${S}?${D}){11}(?!${S}?${D})`, 'gi');

export const REDACTED = '[個人番号]';

// Record ids are UUIDs (8-4-4-4-12 hex digits).  Their digit runs can look like a 4-4-4 grouped or a
// 12-digit number ("…7863-5558-4200…"), so UUIDs are left intact and only the text around them is scanned.
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])/g;

// Every masked run contains a digit (perhaps percent-encoded); a UUID contains a hyphen.
const ANY_DIGIT = /[0-9０-９]/;

export function redactMyNumbers(text: string): string {
  if (!ANY_DIGIT.test(text)) return text;
  if (!text.includes('-')) return text.replace(MYNUMBER_LIKE, REDACTED);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(UUID)) {
    out += text.slice(last, m.index).replace(MYNUMBER_LIKE, REDACTED) + m[0];
    last = m.index + m[0].length;
  }
  return out + text.slice(last).replace(MYNUMBER_LIKE, REDACTED);
}

class RedactingStream extends Writable {
  constructor(private readonly targets: NodeJS.WritableStream[]) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const line = redactMyNumbers(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    for (const t of this.targets) t.write(line);
    cb();
  }
}

let root: Logger | undefined;

/**
 * The request as the request log shows it (decision 0124): method, the route pattern (not the URL — no
 * query string, no record ids in the path) and the client address.  Bodies and headers are never logged.
 */
export function requestForLog(req: unknown): Record<string, unknown> {
  const r = req as { method?: string; url?: string; ip?: string; routeOptions?: { url?: string }; socket?: { remoteAddress?: string } };
  const path = typeof r.url === 'string' ? r.url.split('?')[0]! : undefined;
  return { method: r.method, route: r.routeOptions?.url ?? (path !== undefined ? `(unmatched) ${path}` : undefined), remoteAddress: r.ip ?? r.socket?.remoteAddress };
}

// Properties that can carry the values of a failed statement: node-postgres' `detail` ("Key (x)=(…) already
// exists"), `where`, `internalQuery`; PGlite's `query` and `params`; anyone's `parameters`.
const VALUE_BEARING = ['detail', 'where', 'internalQuery', 'internalPosition', 'query', 'params', 'parameters', 'hint', 'position'];

function isDatabaseError(e: Record<string, unknown>): boolean {
  return typeof e['code'] === 'string' && /^[0-9A-Z]{5}$/.test(e['code']) && ('severity' in e || 'routine' in e || e['name'] === 'DatabaseError');
}

/**
 * Errors as logged (decision 0124).  A database error's message and stack can quote the input
 * ('invalid input syntax for type date: "…"'), so it is logged by SQLSTATE, table, column and constraint
 * only; the bound parameters and value-bearing fields are dropped from every error and its causes.
 */
export function errorForLog(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 3) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const raw = err as unknown as Record<string, unknown>;
  for (const k of VALUE_BEARING) delete out[k];
  if (isDatabaseError(raw)) {
    const msg = `database error SQLSTATE ${String(raw['code'])}${raw['constraint'] ? ` (${String(raw['constraint'])})` : ''}`;
    out['message'] = msg;
    out['stack'] = typeof err.stack === 'string' ? [`${err.name}: ${msg}`, ...err.stack.split('\n').filter((l) => /^\s+at /.test(l))].join('\n') : msg;
  }
  if (raw['cause'] !== undefined) out['cause'] = errorForLog(raw['cause'], depth + 1);
  return out;
}

export interface LogOptions {
  level?: string;
  file?: string | undefined;
  /** Write to stderr as well (default true). */
  stderr?: boolean;
}

export function configureLogging(opts: LogOptions = {}): Logger {
  const targets: NodeJS.WritableStream[] = [];
  if (opts.stderr !== false && process.env['MAMORI_LOG_STDERR'] !== 'off') targets.push(process.stderr);
  const file = opts.file ?? process.env['MAMORI_LOG_FILE'];
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    targets.push(createWriteStream(file, { flags: 'a' }));
  }
  root = pino(
    {
      level: opts.level ?? process.env['MAMORI_LOG_LEVEL'] ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: requestForLog, err: errorForLog },
      // Belt and braces: fields that must never be logged even if someone passes them.
      redact: { paths: ['myNumber', '*.myNumber', 'password', '*.password', 'newPassword', '*.newPassword', 'totp', '*.totp', 'req.headers.cookie', 'req.headers.authorization'], censor: '[秘匿]' },
    },
    new RedactingStream(targets),
  );
  return root;
}

export function logger(): Logger {
  return root ?? configureLogging();
}
