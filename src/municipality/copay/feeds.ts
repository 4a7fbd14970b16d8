// Eligibility feeds (RES-21; decision 0157; docs/formats/eligibility-csv.md): the facts other departments keep
// and the co-payment decision needs — 生活保護 periods and suspensions, 市町村民税 課税区分 per 賦課年度, 介護保険
// 所得段階 per 賦課年度 — read from dated CSV files through the shared intake engine (municipality/intake), so a
// feed has the 住基 file's guarantees: the file checked as a whole before anything is written, rejects named
// by row and column, a re-run of the same file changing nothing, a crashed run resumed after its last
// committed batch.  Each stored fact remembers the run and row it came from: the decision cites them.
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import type { FieldError } from '../../kernel/problems/index.js';
import { countImportTrouble, firstSightings, listImportRuns, rejectsCsv as runRejectsCsv, runIntake, scanFile, type BatchOutcome, type Encoding, type ImportRunView, type ImportTrouble, type IntakeReport, type IntakeSpec, type RunRef } from '../intake/index.js';
import { parseDate, requireImport, requireImportView } from '../residents/index.js';
import './tables.js';

export const FEED_KINDS = ['seikatsuhogo', 'kazei', 'kaigo'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** The intake run kind of each feed (import_runs.kind, audit targetType). */
export const FEED_RUN_KINDS: Record<FeedKind, string> = { seikatsuhogo: 'eligibility-seikatsuhogo', kazei: 'eligibility-kazei', kaigo: 'eligibility-kaigo' };
export const FEED_LABELS: Record<FeedKind, string> = { seikatsuhogo: '生活保護ファイル', kazei: '課税ファイル', kaigo: '介護保険ファイル' };

export const FEED_COLUMNS: Record<FeedKind, readonly string[]> = {
  seikatsuhogo: ['宛名番号', 'ケース番号', '区分', '開始日', '終了日'],
  kazei: ['宛名番号', '賦課年度', '課税区分'],
  kaigo: ['宛名番号', '賦課年度', '所得段階'],
};

export interface WelfareRow {
  readonly atenaNo: string;
  readonly caseNo: string;
  readonly kind: 'receipt' | 'suspension';
  readonly from: string;
  readonly until: string | null;
}
export interface TaxRow {
  readonly atenaNo: string;
  readonly fiscalYear: number;
  readonly exempt: boolean;
}
export interface LtcRow {
  readonly atenaNo: string;
  readonly fiscalYear: number;
  readonly bracket: number;
}

// ------------------------------------------------------------------ row validation (pure)

/** 全角 digits, letters and hyphens → 半角, trimmed (codes and dates only; NFKC). */
const code = (s: string | undefined): string => (s ?? '').normalize('NFKC').trim();

function checkHeader(kind: FeedKind, header: readonly string[]): FieldError[] {
  const want = FEED_COLUMNS[kind];
  const errors: FieldError[] = [];
  for (const w of want) if (!header.includes(w)) errors.push({ field: w, code: 'COLUMN_MISSING', message: `列「${w}」がありません` });
  for (const g of header) if (!want.includes(g)) errors.push({ field: g || '(空の列名)', code: 'COLUMN_UNKNOWN', message: `列「${g}」はこの様式にありません` });
  for (const d of new Set(header.filter((g, i) => header.indexOf(g) !== i))) errors.push({ field: d, code: 'COLUMN_DUPLICATE', message: `列「${d}」が重複しています` });
  return errors;
}

function atena(raw: Readonly<Record<string, string>>, errors: FieldError[]): string {
  const v = code(raw['宛名番号']);
  if (!v) errors.push({ field: '宛名番号', code: 'REQUIRED', message: '宛名番号がありません' });
  else if (!/^\d{10}$/.test(v)) errors.push({ field: '宛名番号', code: 'FORMAT', message: '宛名番号は10桁の数字です' });
  return v;
}

/** A date as the 住基 files write it (YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD or the 和暦 code form; 全角 digits accepted). */
function date(raw: Readonly<Record<string, string>>, field: string, errors: FieldError[], required: boolean): string | null {
  const v = code(raw[field]);
  if (!v) {
    if (required) errors.push({ field, code: 'REQUIRED', message: `${field}がありません` });
    return null;
  }
  const iso = parseDate(v);
  if (!iso) errors.push({ field, code: 'DATE_INVALID', message: `${field}は YYYYMMDD・YYYY-MM-DD・和暦コード（例 5080401）の正しい日付です` });
  return iso;
}

function fiscalYear(raw: Readonly<Record<string, string>>, errors: FieldError[]): number {
  const v = code(raw['賦課年度']);
  if (!/^\d{4}$/.test(v) || Number(v) < 1989 || Number(v) > 2200) {
    errors.push({ field: '賦課年度', code: 'FORMAT', message: '賦課年度は西暦4桁です（例: 2026）' });
    return 0;
  }
  return Number(v);
}

const WELFARE_KINDS: Record<string, 'receipt' | 'suspension'> = { 受給: 'receipt', '1': 'receipt', 停止: 'suspension', '2': 'suspension' };

export function validateWelfare(raw: Readonly<Record<string, string>>, today: string): { ok: true; value: WelfareRow } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const atenaNo = atena(raw, errors);
  const caseNo = code(raw['ケース番号']);
  if (!caseNo) errors.push({ field: 'ケース番号', code: 'REQUIRED', message: 'ケース番号がありません' });
  else if (!/^[0-9A-Za-z-]{1,20}$/.test(caseNo)) errors.push({ field: 'ケース番号', code: 'FORMAT', message: 'ケース番号は英数字とハイフンの20文字以内です' });
  const kind = WELFARE_KINDS[code(raw['区分'])];
  if (!kind) errors.push({ field: '区分', code: 'CODE_UNKNOWN', message: '区分は「受給」（1）または「停止」（2）です' });
  const from = date(raw, '開始日', errors, true);
  const until = date(raw, '終了日', errors, false);
  if (from && until && until < from) errors.push({ field: '終了日', code: 'INCONSISTENT', message: '終了日が開始日より前です' });
  if (from && from > today) errors.push({ field: '開始日', code: 'DATE_FUTURE', message: '開始日が未来の日付です' });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { atenaNo, caseNo, kind: kind!, from: from!, until } };
}

const TAX_KINDS: Record<string, boolean> = { 課税: false, '1': false, 非課税: true, '2': true };

export function validateTax(raw: Readonly<Record<string, string>>): { ok: true; value: TaxRow } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const atenaNo = atena(raw, errors);
  const fy = fiscalYear(raw, errors);
  const exempt = TAX_KINDS[code(raw['課税区分'])];
  if (exempt === undefined) errors.push({ field: '課税区分', code: 'CODE_UNKNOWN', message: '課税区分は「課税」（1）または「非課税」（2）です' });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { atenaNo, fiscalYear: fy, exempt: exempt! } };
}

export function validateLtc(raw: Readonly<Record<string, string>>): { ok: true; value: LtcRow } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const atenaNo = atena(raw, errors);
  const fy = fiscalYear(raw, errors);
  const b = code(raw['所得段階']).replace(/^第(\d+)段階$/, '$1');
  if (!/^\d{1,2}$/.test(b) || Number(b) < 1 || Number(b) > 30) errors.push({ field: '所得段階', code: 'FORMAT', message: '所得段階は1〜30の数字です（「第3段階」も可）' });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { atenaNo, fiscalYear: fy, bracket: Number(b) } };
}

// ------------------------------------------------------------------ apply (one batch, in the caller's transaction)

type Item<R> = { rowNo: number; row: R };

/** The batch's rows whose person exists and whose key the run has not met before; the others rejected. */
async function admit<R extends { atenaNo: string }>(w: Work, run: RunRef, items: readonly Item<R>[], key: (r: R) => string, keyField: string): Promise<{ ok: Item<R>[]; rejects: BatchOutcome['rejects'] }> {
  const atenas = [...new Set(items.map((i) => i.row.atenaNo))];
  const found = new Set((await w.tx.selectFrom('municipality.persons').select('atena_no').where('tenant_code', '=', w.tenant).where('atena_no', 'in', atenas).execute()).map((r) => r.atena_no));
  const claim = await firstSightings(w, run.id, items.map((i) => key(i.row)));
  const ok: Item<R>[] = [];
  const rejects: BatchOutcome['rejects'] = [];
  for (const it of items) {
    if (!found.has(it.row.atenaNo)) rejects.push({ rowNo: it.rowNo, errors: [{ field: '宛名番号', code: 'PERSON_NOT_FOUND', message: 'この宛名番号の住民が登録されていません（住基ファイルの取込を先にしてください）' }] });
    else if (!claim(key(it.row))) rejects.push({ rowNo: it.rowNo, errors: [{ field: keyField, code: 'DUPLICATE', message: `同じファイルに同じ${keyField}の行がすでにあります` }] });
    else ok.push(it);
  }
  return { ok, rejects };
}

function outcome(rejects: BatchOutcome['rejects'], counts: { created: number; updated: number; unchanged: number }): BatchOutcome {
  return { ...counts, queued: 0, rejects };
}

async function applyWelfare(w: Work, run: RunRef, items: readonly Item<WelfareRow>[]): Promise<BatchOutcome> {
  const key = (r: WelfareRow) => `${r.atenaNo}|${r.caseNo}|${r.kind}|${r.from}`;
  const { ok, rejects } = await admit(w, run, items, key, '宛名番号・ケース番号・区分・開始日');
  if (!ok.length) return outcome(rejects, { created: 0, updated: 0, unchanged: 0 });
  const rows = ok.map((i) => ({ atena_no: i.row.atenaNo, case_no: i.row.caseNo, kind: i.row.kind, from_date: i.row.from, until_date: i.row.until, row_no: i.rowNo }));
  // One statement: the rows that differ (or are new) are written; `xmax = 0` tells an insert from an update.
  const r = await sql<{ inserted: boolean }>`
    WITH x AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(atena_no text, case_no text, kind text, from_date date, until_date date, row_no int))
    INSERT INTO municipality.eligibility_welfare AS e (tenant_code, atena_no, case_no, kind, from_date, until_date, run_id, row_no, updated_at)
    SELECT ${w.tenant}, x.atena_no, x.case_no, x.kind, x.from_date, x.until_date, ${run.id}::uuid, x.row_no, ${w.clock.now()} FROM x
    ON CONFLICT (tenant_code, atena_no, case_no, kind, from_date) DO UPDATE
      SET until_date = excluded.until_date, run_id = excluded.run_id, row_no = excluded.row_no, updated_at = excluded.updated_at
      WHERE e.until_date IS DISTINCT FROM excluded.until_date
    RETURNING (xmax = 0) AS inserted`.execute(w.tx);
  const created = r.rows.filter((x) => x.inserted).length;
  return outcome(rejects, { created, updated: r.rows.length - created, unchanged: ok.length - r.rows.length });
}

async function applyYearly(w: Work, run: RunRef, table: 'eligibility_tax' | 'eligibility_ltc', items: readonly Item<TaxRow | LtcRow>[]): Promise<BatchOutcome> {
  const key = (r: TaxRow | LtcRow) => `${r.atenaNo}|${r.fiscalYear}`;
  const { ok, rejects } = await admit(w, run, items, key, '宛名番号・賦課年度');
  if (!ok.length) return outcome(rejects, { created: 0, updated: 0, unchanged: 0 });
  const col = table === 'eligibility_tax' ? 'exempt' : 'bracket';
  const type = table === 'eligibility_tax' ? 'boolean' : 'int';
  const rows = ok.map((i) => ({ atena_no: i.row.atenaNo, fiscal_year: i.row.fiscalYear, v: 'exempt' in i.row ? i.row.exempt : i.row.bracket, row_no: i.rowNo }));
  const r = await sql<{ inserted: boolean }>`
    WITH x AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(atena_no text, fiscal_year int, v ${sql.raw(type)}, row_no int))
    INSERT INTO ${sql.table(`municipality.${table}`)} AS e (tenant_code, atena_no, fiscal_year, ${sql.ref(col)}, run_id, row_no, updated_at)
    SELECT ${w.tenant}, x.atena_no, x.fiscal_year, x.v, ${run.id}::uuid, x.row_no, ${w.clock.now()} FROM x
    ON CONFLICT (tenant_code, atena_no, fiscal_year) DO UPDATE
      SET ${sql.ref(col)} = excluded.${sql.ref(col)}, run_id = excluded.run_id, row_no = excluded.row_no, updated_at = excluded.updated_at
      WHERE e.${sql.ref(col)} IS DISTINCT FROM excluded.${sql.ref(col)}
    RETURNING (xmax = 0) AS inserted`.execute(w.tx);
  const created = r.rows.filter((x) => x.inserted).length;
  return outcome(rejects, { created, updated: r.rows.length - created, unchanged: ok.length - r.rows.length });
}

const LOOKUP = ['municipality.persons', 'municipality.import_seen'];

function spec(kind: FeedKind): IntakeSpec<WelfareRow> | IntakeSpec<TaxRow> | IntakeSpec<LtcRow> {
  const common = { kind: FEED_RUN_KINDS[kind], label: FEED_LABELS[kind], checkHeader: (h: readonly string[]) => checkHeader(kind, h), authorize: (w: Work) => requireImport(w.actor), lookupTables: [...LOOKUP, `municipality.eligibility_${kind === 'seikatsuhogo' ? 'welfare' : kind === 'kazei' ? 'tax' : 'ltc'}`] };
  if (kind === 'seikatsuhogo') return { ...common, validate: (raw, _n, today) => validateWelfare(raw, today), apply: (w, run, items) => applyWelfare(w, run, items) } satisfies IntakeSpec<WelfareRow>;
  if (kind === 'kazei') return { ...common, validate: (raw) => validateTax(raw), apply: (w, run, items) => applyYearly(w, run, 'eligibility_tax', items) } satisfies IntakeSpec<TaxRow>;
  return { ...common, validate: (raw) => validateLtc(raw), apply: (w, run, items) => applyYearly(w, run, 'eligibility_ltc', items) } satisfies IntakeSpec<LtcRow>;
}

export interface EligibilityImportOptions {
  readonly file: string;
  readonly kind: FeedKind;
  readonly fileName?: string;
  readonly encoding?: Encoding | 'auto';
  readonly batchSize?: number;
  readonly onProgress?: (rowsDone: number) => void;
}

/** `mamori import eligibility FILE --kind …`: one feed file through the intake engine. */
export async function importEligibility(db: MamoriDb, who: Principal, opts: EligibilityImportOptions): Promise<IntakeReport> {
  const s = await scanFile(opts.file, opts.encoding ?? 'auto', opts.fileName);
  const common = { file: opts.file, today: db.config.clock.today(), ...(opts.fileName ? { fileName: opts.fileName } : {}), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  // The three specs differ only in their row type; the engine is generic in it.
  return runIntake(db, who, spec(opts.kind) as IntakeSpec<unknown>, s, common);
}

export async function listEligibilityRuns(db: MamoriDb, who: Principal, limit = 50): Promise<ImportRunView[]> {
  await runAs(db, who, async (w) => requireImportView(w.actor));
  return listImportRuns(db, who, Object.values(FEED_RUN_KINDS), limit);
}

export async function eligibilityRejectsCsv(db: MamoriDb, who: Principal, runId: string): Promise<string> {
  await runAs(db, who, async (w) => requireImportView(w.actor));
  return runRejectsCsv(db, who, runId);
}

/** Feed imports of the last days that need someone (the staff home).  '宛名管理' personal.read; a count only. */
export async function eligibilityImportTrouble(w: Work, since: Date, stalledBefore: Date): Promise<ImportTrouble> {
  requireImportView(w.actor);
  return countImportTrouble(w, Object.values(FEED_RUN_KINDS), since, stalledBefore);
}
