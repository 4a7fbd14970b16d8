// `mamori fuzz` (issue 10 point 8): every file parser fed generated inputs — structure-aware CSV (the right
// header or a damaged one, rows of plausible and hostile cells) in UTF-8 or Shift_JIS, then damaged at the
// byte level — through the same path an import takes: the file on disk, `scanFile` (encoding detection,
// strict decoding, record cutting, column counts), the layout check and every row's validation.  A clean
// outcome is a refusal with a Problem (status 4xx) or rows accepted/rejected by validation; anything else
// (an exception that is not a Problem, a 5xx) is a crash.  A sample of the inputs also goes through the real
// import into the database: a refused file must leave every table as it was (no partial writes), an
// accepted one must end as a completed run.  Inputs are reproducible from --seed and their index.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { isProblem } from '../kernel/problems/index.js';
import { newMeta, systemActor, type Principal } from '../kernel/context/index.js';
import { recordChunks, scanFile } from '../municipality/intake/index.js';
import { checkHeader, DIFF_COLUMNS, FULL_COLUMNS, importResidents, validateMovement, validatePerson } from '../municipality/residents/index.js';
import { checkRecordHeader, importRecords, RECORD_COLUMNS, validateRecordRow } from '../municipality/records/index.js';
import { defaultCatalog } from '../municipality/schedule/index.js';
import { syntheticMyNumber } from '../kernel/mynumber/index.js';
import type { FieldError } from '../kernel/problems/index.js';
import type { App } from './index.js';

export const FUZZ_TARGETS = ['residents-full', 'residents-diff', 'records-clinic'] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  readonly targets?: readonly FuzzTarget[];
  /** How many of the inputs (spread evenly) also go through the real import into the database. */
  readonly dbInputs?: number;
  /** The business date the rows are validated against. */
  readonly today: string;
  readonly onProgress?: (target: FuzzTarget, done: number) => void;
}

export interface FuzzCrash {
  readonly index: number;
  readonly stage: 'parse' | 'import';
  readonly error: string;
}

export interface FuzzReport {
  readonly target: FuzzTarget;
  readonly seed: number;
  readonly inputs: number;
  /** Files refused as a whole with a Problem (encoding, CSV structure, layout, size). */
  readonly refused: number;
  /** Files whose rows all went through validation. */
  readonly parsed: number;
  readonly rowsAccepted: number;
  readonly rowsRejected: number;
  readonly crashes: number;
  readonly crashSamples: readonly FuzzCrash[];
  readonly dbInputs: number;
  readonly dbRefused: number;
  readonly dbCompleted: number;
  readonly partialWrites: number;
  readonly seconds: number;
}

interface Target {
  readonly columns: readonly string[];
  checkHeader(h: readonly string[]): FieldError[];
  validate(raw: Record<string, string>, rowNo: number, today: string): { ok: boolean };
  import(app: App, who: Principal, file: string): Promise<{ runId: string }>;
}

function targetOf(name: FuzzTarget): Target {
  const catalog = defaultCatalog();
  switch (name) {
    case 'residents-full':
      return { columns: FULL_COLUMNS, checkHeader: (h) => checkHeader('full', h), validate: (r, _n, t) => validatePerson(r, t), import: (app, who, file) => importResidents(app, who, { file, kind: 'full' }) };
    case 'residents-diff':
      return { columns: DIFF_COLUMNS, checkHeader: (h) => checkHeader('diff', h), validate: (r, _n, t) => validateMovement(r, t), import: (app, who, file) => importResidents(app, who, { file, kind: 'diff' }) };
    case 'records-clinic':
      return { columns: RECORD_COLUMNS, checkHeader: checkRecordHeader, validate: (r, _n, t) => validateRecordRow(r, t, catalog), import: (app, who, file) => importRecords(app.db, who, { file }) };
  }
}

// ------------------------------------------------------------------------------------------ generators

/** Cells a real file has: dates in every accepted form, codes, kana, addresses, numbers. */
const PLAUSIBLE = [
  '', '1', '2', '0', '01', '02', '12', '30', '20250910', '2025-09-10', '2025/9/10', 'R070910', '令和7年9月10日', '４０１１', '２０２５０９１０', '19000101', '20991231', '20250230',
  '鳥取　花子', 'トットリ　ハナコ', 'ﾄｯﾄﾘ ﾊﾅｺ', '髙橋　一郎', 'SMITH JOHN', '680-8571', '6808571', '鳥取県鳥取市尚徳町116番地', '子', '世帯主', '転入', '死亡',
  'hib', 'mr', 'dpt-ipv-hib', 'influenza', 'covid19', 'mr-1', 'A類定期', 'B類定期', '0110113719', '3112705839', '04987123456784', 'AB1234', '0.5', '皮下注射',
  '10000000001', '0000000001', '9999999999', syntheticMyNumber('fuzz', 1), syntheticMyNumber('fuzz', 2),
] as const;

/** Cells meant to break things: quotes, separators, control characters, formulas, width, length. */
const HOSTILE = [
  '"', '""', '"a,b"', ',', '\r', '\n', '\r\n', '\u0000', '\uFEFF', '=1+1', '＋cmd', '@SUM(A1)', '\t-1', '　', ' ', '𠮷野家', '①', '髙﨑', '~', '\\', '¥',
  '9'.repeat(40), '-1', '1e309', 'NaN', '0x10', '%', '%00', '<script>', "'; DROP TABLE x; --", '\u202E', '\uD800', 'ｱ'.repeat(300),
] as const;

function cellArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...PLAUSIBLE) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PLAUSIBLE), fc.constantFrom(...HOSTILE)).map(([a, b]) => a + b) },
  );
}

/** A row each layout accepts, to be damaged a few cells at a time (so that the apply path is reached too). */
function templateOf(columns: readonly string[], index: (n: number) => string): (n: number) => Record<string, string> {
  const person = (n: number): Record<string, string> => ({
    住民票コード: String(20_000_000_000 + n), 個人番号: syntheticMyNumber('fuzz', n % 100_000), 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2',
    郵便番号: '680-8571', 住所: '鳥取県鳥取市尚徳町116番地', 世帯番号: String(5000 + n), 続柄: '子', 住民種別: '1', 住民となった日: '20250910', 最新異動区分: '02',
    最新異動日: '20250910', 支援措置: '0', 閲覧制限: '0',
  });
  if (columns === RECORD_COLUMNS) {
    return (n) => ({ 通番: String(n + 1), 宛名番号: index(n), 生年月日: '20250910', 性別: '2', 接種日: '20251110', ワクチン: 'dpt-ipv-hib', 医療機関コード: '0110113719', ロット番号: 'AB1234', 医師名: '小児　太郎' });
  }
  if (columns === DIFF_COLUMNS) return (n) => ({ ...person(n), 異動ID: `M${n}`, 異動区分: '01', 異動日: '20251001', 届出日: '20251001', 住民となった日: '20251001' });
  return person;
}

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One generated file: a header (usually right), rows of cells, an encoding, then damage at the byte level. */
function fileArb(columns: readonly string[]): fc.Arbitrary<Buffer> {
  const header = fc.oneof(
    { weight: 8, arbitrary: fc.constant([...columns]) },
    { weight: 1, arbitrary: fc.shuffledSubarray([...columns]) },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom(...columns), cellArb()), { maxLength: columns.length + 2 }) },
  );
  const template = templateOf(columns, (n) => String(n % 50 + 1).padStart(10, '0'));
  const good = fc
    .tuple(fc.nat(1_000_000), fc.array(fc.tuple(fc.constantFrom(...columns), cellArb()), { maxLength: 3 }))
    .map(([n, changes]) => {
      const row = { ...template(n) };
      for (const [c, v] of changes) row[c] = v;
      return columns.map((c) => row[c] ?? '');
    });
  const rows = fc.array(fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: fc.array(cellArb(), { minLength: 0, maxLength: columns.length + 2 }) }), { maxLength: 4 });
  const shape = fc.record({
    header,
    rows,
    fullRows: fc.boolean(), // rows padded to the header's width (most real files)
    encoding: fc.constantFrom('utf8', 'utf8-bom', 'sjis'),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    finalEol: fc.boolean(),
    damage: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'cut') }), { maxLength: 3 }),
    damaged: fc.integer({ min: 0, max: 9 }),
    longRow: fc.integer({ min: 0, max: 199 }),
  });
  return shape.map((s) => {
    const width = s.header.length;
    const lines = [(s.header as string[]).map(quote).join(",")];
    for (const r of s.rows) {
      const cells = s.fullRows ? Array.from({ length: width }, (_, i) => r[i % Math.max(1, r.length)] ?? '') : r;
      lines.push(cells.map(quote).join(','));
    }
    if (s.longRow === 0) lines.push('x'.repeat(70 * 1024)); // past the 64 KiB row limit
    const text = lines.join(s.eol) + (s.finalEol ? s.eol : '');
    let buf = s.encoding === 'sjis' ? iconv.encode(text, 'cp932') : Buffer.from((s.encoding === 'utf8-bom' ? '\uFEFF' : '') + text, 'utf8');
    if (s.damaged < 2) {
      // Two inputs in ten are damaged: a byte changed, a byte inserted, or the file cut short.
      for (const d of s.damage) {
        if (buf.length === 0) break;
        const at = d.at % buf.length;
        if (d.kind === 'set') buf[at] = d.byte;
        else if (d.kind === 'insert') buf = Buffer.concat([buf.subarray(0, at), Buffer.from([d.byte]), buf.subarray(at)]);
        else buf = buf.subarray(0, at);
      }
    }
    return buf;
  });
}

// ------------------------------------------------------------------------------------------ running

type Outcome = { kind: 'refused' } | { kind: 'parsed'; accepted: number; rejected: number } | { kind: 'crash'; error: string };

function describe(e: unknown): string {
  if (isProblem(e)) return `Problem ${e.status} ${e.code}`;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e).slice(0, 200);
}

/** The import's first pass and validation, without the database. */
async function parseFile(t: Target, file: string, today: string): Promise<Outcome> {
  try {
    const s = await scanFile(file, 'auto', 'fuzz.csv');
    if (t.checkHeader(s.header).length) return { kind: 'refused' };
    let header: string[] | null = null;
    let accepted = 0;
    let rejected = 0;
    let rowNo = 0;
    for await (const recs of recordChunks(file, s.encoding)) {
      for (const rec of recs) {
        if (!header) {
          header = rec.map((h) => h.replace(/^\uFEFF/, '').trim());
          continue;
        }
        rowNo += 1;
        const raw: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) raw[header[i]!] = rec[i] ?? '';
        if (t.validate(raw, rowNo, today).ok) accepted += 1;
        else rejected += 1;
      }
    }
    return { kind: 'parsed', accepted, rejected };
  } catch (e) {
    if (isProblem(e) && e.status < 500) return { kind: 'refused' };
    return { kind: 'crash', error: describe(e) };
  }
}

const WATCHED = ['municipality.persons', 'municipality.person_versions', 'kernel.mynumber_vault', 'municipality.vaccination_records', 'municipality.vaccination_record_versions', 'municipality.match_queue', 'municipality.import_rejects', 'municipality.import_runs'] as const;

async function counts(app: App): Promise<string> {
  const parts: string[] = [];
  for (const t of WATCHED) {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(t)}`.execute(app.db.system);
    parts.push(`${t}=${r.rows[0]!.n}`);
  }
  return parts.join(' ');
}

/** Runs the fuzzer over each target; `app` (a database) is needed only when dbInputs > 0. */
export async function runFuzz(opts: FuzzOptions, app?: App, tenant?: string): Promise<FuzzReport[]> {
  const out: FuzzReport[] = [];
  // The files live in memory where the machine has a RAM disk: a million small writes are not a disk test.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'mamori-fuzz-'));
  const who: Principal | null = tenant ? { tenant, actor: systemActor('cli:fuzz'), meta: newMeta('cli:fuzz') } : null;
  try {
    for (const name of opts.targets ?? FUZZ_TARGETS) {
      const t = targetOf(name);
      const started = performance.now();
      const arb = fileArb(t.columns);
      const dbEvery = opts.dbInputs && app && who ? Math.max(1, Math.floor(opts.inputs / opts.dbInputs)) : 0;
      let refused = 0;
      let parsed = 0;
      let rowsAccepted = 0;
      let rowsRejected = 0;
      let crashes = 0;
      const crashSamples: FuzzCrash[] = [];
      let dbInputs = 0;
      let dbRefused = 0;
      let dbCompleted = 0;
      let partialWrites = 0;
      const file = join(dir, `${name}.csv`);
      const CHUNK = 1000;
      for (let base = 0; base < opts.inputs; base += CHUNK) {
        // Each chunk is drawn from its own seed, so input i can be regenerated alone (seed, i).
        const n = Math.min(CHUNK, opts.inputs - base);
        const inputs = fc.sample(arb, { seed: opts.seed + base, numRuns: n });
        for (let k = 0; k < inputs.length; k++) {
          const index = base + k;
          writeFileSync(file, inputs[k]!);
          const o = await parseFile(t, file, opts.today);
          if (o.kind === 'refused') refused += 1;
          else if (o.kind === 'parsed') {
            parsed += 1;
            rowsAccepted += o.accepted;
            rowsRejected += o.rejected;
          } else {
            crashes += 1;
            if (crashSamples.length < 20) crashSamples.push({ index, stage: 'parse', error: o.error });
          }
          if (dbEvery && index % dbEvery === 0 && dbInputs < opts.dbInputs!) {
            dbInputs += 1;
            const before = await counts(app!);
            try {
              const r = await t.import(app!, who!, file);
              const run = await app!.db.system.selectFrom('municipality.import_runs').select('status').where('id', '=', r.runId).executeTakeFirst();
              if (run?.status === 'completed') dbCompleted += 1;
              else partialWrites += 1;
            } catch (e) {
              if (isProblem(e) && e.status < 500) {
                dbRefused += 1;
                if ((await counts(app!)) !== before) partialWrites += 1;
              } else {
                crashes += 1;
                if (crashSamples.length < 20) crashSamples.push({ index, stage: 'import', error: describe(e) });
                if ((await counts(app!)) !== before) partialWrites += 1;
              }
            }
          }
        }
        opts.onProgress?.(name, base + n);
      }
      out.push({ target: name, seed: opts.seed, inputs: opts.inputs, refused, parsed, rowsAccepted, rowsRejected, crashes, crashSamples, dbInputs, dbRefused, dbCompleted, partialWrites, seconds: Math.round((performance.now() - started) / 100) / 10 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
