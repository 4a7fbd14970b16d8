// Structured logging (pino) with My Number redaction at the last possible point:
// every serialised line passes through `redactMyNumbers` before it reaches stderr or a file,
// so neither a careless message nor an error stack can carry a 12-digit number out.  (KRN-31, KRN-07)
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// A run of exactly 12 digits (ASCII or full-width), optionally grouped 4-4-4 by hyphen or space,
// not touching further digits.  Every such run is masked, whether or not its check digit is valid:
// a mistyped My Number is still a My Number.
const MYNUMBER_LIKE = /(?<![0-9０-９])(?:[0-9０-９]{12}|[0-9０-９]{4}[-‐－ \u3000][0-9０-９]{4}[-‐－ \u3000][0-9０-９]{4})(?![0-9０-９])/g;

export const REDACTED = '[個人番号]';

// Record ids are UUIDs (8-4-4-4-12 hex digits).  Their digit runs can look like a 4-4-4 grouped or a
// 12-digit number ("…7863-5558-4200…"), so UUIDs are left intact and only the text around them is scanned.
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])/g;

// Every masked run contains four digits in a row; a UUID contains a hyphen.  Most texts (record ids,
// 宛名番号, counts) fail one or both tests, which spares them the full scan.
const FOUR_DIGITS = /[0-9０-９]{4}/;

export function redactMyNumbers(text: string): string {
  if (!FOUR_DIGITS.test(text)) return text;
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
