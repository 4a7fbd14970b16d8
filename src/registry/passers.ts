// 合格者名簿 (exam-passer lists; issue 15 Must have 4; decision 0193): the list of the persons who passed a
// national examination, imported per qualification from a CSV file (docs/formats/registry-cli.md
// 「合格者名簿の取込」), and the check of an application's 国家試験 items against it.
//
// The file: UTF-8 (with or without BOM) or Shift_JIS (CP932), told apart by the bytes (a file that is valid UTF-8
// is read as UTF-8; anything else must be valid Shift_JIS; 外字 is refused); a header row with exactly the
// columns below, in that order; one passer per row.  Every row is checked and every error names its line (as a
// spreadsheet numbers it: header = 1); one error refuses the whole file (nothing is stored).  Importing the same
// bytes again changes nothing; a row already imported with the same content is skipped, one with the same
// 試験回数 and 受験番号 but other content refuses the file (a correction of a list is not an import).
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { Problem, invalidField, notFound, validationFailed, type FieldError } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import type { Tx } from './store.js';

export const PASSER_COLUMNS = ['試験回数', '受験番号', '氏名（姓）', '氏名（名）', 'フリガナ（姓）', 'フリガナ（名）', '生年月日', '合格年月日', '合格証書番号'] as const;
/** The largest list file (bytes) and the most rows of one file. */
export const MAX_PASSER_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_PASSER_ROWS = 200_000;
/** At most this many line errors are reported (the file is refused at the first anyway). */
const MAX_ERRORS = 50;

export interface Passer {
  readonly round: number;
  readonly examNo: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly familyKana: string;
  readonly givenKana: string;
  readonly birthDate: string;
  readonly passedOn: string;
  readonly certificateNo: string | null;
}

export interface PasserImport {
  readonly qualification: string;
  readonly importId: string;
  readonly encoding: 'utf-8' | 'shift_jis';
  readonly rows: number;
  readonly added: number;
  /** True when these exact bytes had been imported before (nothing changed). */
  readonly repeated: boolean;
}

/** Decodes the file: UTF-8 when the bytes are valid UTF-8, else Shift_JIS (fatal; 外字 refused). */
export function decodePasserFile(bytes: Buffer): { text: string; encoding: 'utf-8' | 'shift_jis' } {
  if (bytes.length === 0) throw invalidField('file', 'FILE_EMPTY', 'ファイルが空です');
  if (bytes.length > MAX_PASSER_FILE_BYTES) throw invalidField('file', 'FILE_TOO_LARGE', `ファイルは${MAX_PASSER_FILE_BYTES / 1024 / 1024}MBまでです`);
  let text: string;
  let encoding: 'utf-8' | 'shift_jis';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    encoding = 'utf-8';
  } catch {
    try {
      text = new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
      encoding = 'shift_jis';
    } catch {
      throw invalidField('file', 'CSV_ENCODING', '文字コードが UTF-8 でも Shift_JIS でもありません');
    }
  }
  const pua = /[\uE000-\uF8FF]/.exec(text);
  if (pua) {
    const line = text.slice(0, pua.index).split('\n').length;
    throw invalidField(`line ${line}`, 'CSV_ENCODING', `${line}行目: 外字（機種依存の文字）は使えません`);
  }
  return { text, encoding };
}

/** RFC 4180 records with the line each starts on (a quoted line break does not start a line). */
export function csvRecords(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    for (;;) {
      if (i < n && text[i] === '"' && cell === '') {
        i++;
        for (;;) {
          if (i >= n) throw invalidField(`line ${start}`, 'CSV_QUOTE', `${start}行目: 引用符（"）が閉じられていません`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') throw invalidField(`line ${start}`, 'CSV_QUOTE', `${start}行目: 引用符（"）の後に文字があります`);
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') throw invalidField(`line ${start}`, 'CSV_QUOTE', `${start}行目: 引用符（"）は項目の先頭にだけ書けます`);
          cell += text[i];
          i++;
        }
      }
      cells.push(cell);
      cell = '';
      if (i < n && text[i] === ',') { i++; continue; }
      if (i < n && text[i] === '\r') i++;
      if (i < n && text[i] === '\n') i++;
      line++;
      break;
    }
    if (!(cells.length === 1 && cells[0] === '')) out.push({ line: start, cells });
  }
  return out;
}

const kana = /^[ァ-ヶー　 ]{1,40}$/;
const code16 = /^[0-9A-Z-]{1,16}$/;

/** A date as YYYY-MM-DD or YYYY/M/D (as spreadsheets write it), normalised to YYYY-MM-DD; undefined if not a real day. */
function dateOf(s: string): string | undefined {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : undefined;
}

/** Parses and checks a list file; a 400 naming every bad line (up to 50) when anything is wrong. */
export function parsePasserFile(bytes: Buffer, today: string): { passers: Passer[]; encoding: 'utf-8' | 'shift_jis' } {
  const { text, encoding } = decodePasserFile(bytes);
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  const header = records[0];
  if (!header || header.cells.map((c) => c.trim()).join(',') !== PASSER_COLUMNS.join(',')) {
    throw invalidField('line 1', 'CSV_HEADER', `1行目（見出し）は「${PASSER_COLUMNS.join(',')}」です`);
  }
  if (records.length - 1 > MAX_PASSER_ROWS) throw invalidField('file', 'CSV_TOO_MANY_ROWS', `1ファイル${MAX_PASSER_ROWS.toLocaleString('ja-JP')}行までです`);
  const errors: FieldError[] = [];
  const passers: Passer[] = [];
  const seen = new Map<string, number>();
  const bad = (line: number, column: string, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ field: `line ${line}: ${column}`, code: 'CSV_ROW', message: `${line}行目「${column}」: ${message}` });
  };
  for (const r of records.slice(1)) {
    if (r.cells.length !== PASSER_COLUMNS.length) {
      bad(r.line, '列数', `列の数が${r.cells.length}です（${PASSER_COLUMNS.length}列）`);
      continue;
    }
    const c = r.cells.map((x) => x.trim());
    const before = errors.length;
    const round = /^\d{1,3}$/.test(c[0]!) ? Number(c[0]) : NaN;
    if (!(round >= 1 && round <= 300)) bad(r.line, '試験回数', '1〜300の数字で入力してください');
    if (!code16.test(c[1]!)) bad(r.line, '受験番号', '半角英大文字・数字・ハイフン16文字以内です');
    for (const [k, col] of [[2, '氏名（姓）'], [3, '氏名（名）']] as const) if (c[k]!.length < 1 || c[k]!.length > 30) bad(r.line, col, '1〜30文字で入力してください');
    for (const [k, col] of [[4, 'フリガナ（姓）'], [5, 'フリガナ（名）']] as const) if (!kana.test(c[k]!)) bad(r.line, col, '全角カタカナで入力してください');
    const birth = dateOf(c[6]!);
    const passed = dateOf(c[7]!);
    if (!birth || birth > today) bad(r.line, '生年月日', '存在する過去の日付（YYYY-MM-DD）で入力してください');
    if (!passed || passed > today) bad(r.line, '合格年月日', '存在する過去の日付（YYYY-MM-DD）で入力してください');
    if (birth && passed && passed <= birth) bad(r.line, '合格年月日', '生年月日より後の日付です');
    if (c[8] !== '' && !code16.test(c[8]!)) bad(r.line, '合格証書番号', '半角英大文字・数字・ハイフン16文字以内です');
    const key = `${round}|${c[1]}`;
    if (errors.length === before && seen.has(key)) bad(r.line, '受験番号', `${seen.get(key)}行目と試験回数・受験番号が同じです`);
    if (errors.length !== before) continue;
    seen.set(key, r.line);
    passers.push({ round, examNo: c[1]!, familyName: c[2]!, givenName: c[3]!, familyKana: c[4]!.replace(/[　 ]/g, ''), givenKana: c[5]!.replace(/[　 ]/g, ''), birthDate: birth!, passedOn: passed!, certificateNo: c[8] || null });
  }
  if (errors.length) throw validationFailed(errors);
  if (passers.length === 0) throw invalidField('file', 'CSV_NO_ROWS', '合格者の行がありません');
  return { passers, encoding };
}

const importInput = z.object({ qualification: z.string().regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }), by: z.string().trim().min(1).max(60) }).strict();

/**
 * Imports a list into the caller's transaction (set to `tenant`): all rows or none.  Same bytes again → the
 * first import's answer with `repeated`; same rows again in another file → skipped; a row that contradicts one
 * stored → 409 naming its line.
 */
export async function importPassers(tx: Tx, clock: Clock, tenant: string, raw: { qualification: unknown; by: unknown }, bytes: Buffer): Promise<PasserImport> {
  const input = importInput.safeParse(raw);
  if (!input.success) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', '資格コードを指定してください');
  const q = catalog().qualification(input.data.qualification);
  if (!q || q.administrator !== tenant) throw notFound('資格');
  const sha = createHash('sha256').update(bytes).digest();
  // One list at a time per qualification: two imports of the same or overlapping lists never both add a row.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registry-passers|${tenant}|${q.code}`}, 0))`.execute(tx);
  const prior = await sql<{ id: string; encoding: 'utf-8' | 'shift_jis'; rows_total: number; rows_added: number }>`
    SELECT id, encoding, rows_total, rows_added FROM registry.passer_imports WHERE qualification_code = ${q.code} AND sha256 = ${sha}`.execute(tx);
  if (prior.rows[0]) {
    const p = prior.rows[0];
    return { qualification: q.code, importId: p.id, encoding: p.encoding, rows: p.rows_total, added: 0, repeated: true };
  }
  const { passers, encoding } = parsePasserFile(bytes, clock.today());
  const id = randomUUID();
  let added = 0;
  const lines = parseLines(bytes);
  for (let i = 0; i < passers.length; i += 1000) {
    const chunk = passers.slice(i, i + 1000);
    const existing = await sql<{ exam_round: number; exam_no: string; family_name: string; given_name: string; family_kana: string; given_kana: string; birth_date: string; passed_on: string; certificate_no: string | null }>`
      SELECT exam_round, exam_no, family_name, given_name, family_kana, given_kana, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, to_char(passed_on, 'YYYY-MM-DD') AS passed_on, certificate_no
      FROM registry.exam_passers WHERE qualification_code = ${q.code} AND (exam_round, exam_no) IN (SELECT * FROM unnest(${chunk.map((p) => p.round)}::int[], ${chunk.map((p) => p.examNo)}::text[]))`.execute(tx);
    const have = new Map(existing.rows.map((e) => [`${e.exam_round}|${e.exam_no}`, e]));
    const fresh: Passer[] = [];
    for (const [k, p] of chunk.entries()) {
      const e = have.get(`${p.round}|${p.examNo}`);
      if (!e) { fresh.push(p); continue; }
      const same = e.family_name === p.familyName && e.given_name === p.givenName && e.family_kana === p.familyKana && e.given_kana === p.givenKana && e.birth_date === p.birthDate && e.passed_on === p.passedOn && (e.certificate_no ?? null) === p.certificateNo;
      if (!same) {
        const line = lines[i + k] ?? i + k + 2;
        throw new Problem(409, 'PASSER_CONFLICT', '処理を完了できません', `${line}行目: 第${p.round}回・受験番号 ${p.examNo} は既に別の内容で取り込まれています。名簿の訂正は取込ではできません。`, [{ field: `line ${line}: 受験番号`, code: 'PASSER_CONFLICT', message: `${line}行目: 既に別の内容で取り込まれています` }]);
      }
    }
    if (fresh.length) {
      await sql`INSERT INTO registry.exam_passers (tenant_code, qualification_code, exam_round, exam_no, family_name, given_name, family_kana, given_kana, birth_date, passed_on, certificate_no, import_id)
        SELECT ${tenant}, ${q.code}, * , ${id}::uuid FROM unnest(${fresh.map((p) => p.round)}::int[], ${fresh.map((p) => p.examNo)}::text[], ${fresh.map((p) => p.familyName)}::text[], ${fresh.map((p) => p.givenName)}::text[],
          ${fresh.map((p) => p.familyKana)}::text[], ${fresh.map((p) => p.givenKana)}::text[], ${fresh.map((p) => p.birthDate)}::date[], ${fresh.map((p) => p.passedOn)}::date[], ${fresh.map((p) => p.certificateNo)}::text[])`.execute(tx);
      added += fresh.length;
    }
  }
  await sql`INSERT INTO registry.passer_imports (tenant_code, qualification_code, id, sha256, encoding, rows_total, rows_added, imported_by, imported_at)
            VALUES (${tenant}, ${q.code}, ${id}, ${sha}, ${encoding}, ${passers.length}, ${added}, ${input.data.by}, ${clock.now()})`.execute(tx);
  return { qualification: q.code, importId: id, encoding, rows: passers.length, added, repeated: false };
}

/** The line of each data row (for naming a conflicting row after parsing). */
function parseLines(bytes: Buffer): number[] {
  const { text } = decodePasserFile(bytes);
  return csvRecords(text.replace(/^\uFEFF/, '')).slice(1).map((r) => r.line);
}

export interface Difference {
  readonly item: string;
  readonly applied: string;
  readonly listed: string;
}

export interface PasserMatch {
  readonly outcome: 'match' | 'mismatch' | 'not-found' | 'not-applicable';
  readonly differences: readonly Difference[];
  /** Which examinations were compared (Japanese). */
  readonly compared: readonly string[];
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const norm = (s: unknown): string => String(s ?? '').replace(/[　 ]/g, '');

/**
 * Compares an application's 国家試験 items (and, for 保健師・助産師, its 看護師国家試験 against the 看護師 list)
 * with the lists: the row of the same 試験回数 and 受験番号, then 氏名, フリガナ, 生年月日 and 合格年月日.
 * A form without examination items (介護福祉士, other procedures) is not-applicable.
 */
export async function matchPassers(tx: Tx, application: { qualification: string; form: Record<string, unknown> }): Promise<PasserMatch> {
  const exams: { label: string; qualification: string; exam: Record<string, unknown> }[] = [];
  if (application.form['国家試験']) exams.push({ label: `${catalog().qualification(application.qualification)?.name ?? ''}国家試験`, qualification: application.qualification, exam: obj(application.form['国家試験']) });
  if (application.form['看護師国家試験']) exams.push({ label: '看護師国家試験', qualification: 'kangoshi', exam: obj(application.form['看護師国家試験']) });
  if (!exams.length) return { outcome: 'not-applicable', differences: [], compared: [] };
  const name = obj(application.form['氏名']);
  const kanaName = obj(application.form['フリガナ']);
  const differences: Difference[] = [];
  let missing = false;
  for (const e of exams) {
    const r = await sql<{ family_name: string; given_name: string; family_kana: string; given_kana: string; birth_date: string; passed_on: string }>`
      SELECT family_name, given_name, family_kana, given_kana, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, to_char(passed_on, 'YYYY-MM-DD') AS passed_on
      FROM registry.exam_passers WHERE qualification_code = ${e.qualification} AND exam_round = ${Number(e.exam['回数'])} AND exam_no = ${String(e.exam['受験番号'] ?? '')}`.execute(tx);
    const p = r.rows[0];
    if (!p) {
      missing = true;
      differences.push({ item: `${e.label}（第${String(e.exam['回数'])}回・受験番号 ${String(e.exam['受験番号'])}）`, applied: '申請のとおり', listed: '合格者名簿にありません' });
      continue;
    }
    const cmp = (item: string, applied: string, listed: string) => {
      if (norm(applied) !== norm(listed)) differences.push({ item: `${e.label}: ${item}`, applied, listed });
    };
    // A surname changed since the examination (婚姻 …) matches when the form gives the listed one as its 旧姓;
    // the フリガナ of the new surname is then not comparable with the list's.
    const byOldName = norm(name['姓']) !== norm(p.family_name) && norm(application.form['旧姓']) === norm(p.family_name) && norm(name['名']) === norm(p.given_name);
    if (!byOldName) {
      cmp('氏名', `${String(name['姓'] ?? '')}　${String(name['名'] ?? '')}`, `${p.family_name}　${p.given_name}`);
      cmp('フリガナ', `${String(kanaName['姓'] ?? '')}　${String(kanaName['名'] ?? '')}`, `${p.family_kana}　${p.given_kana}`);
    } else cmp('フリガナ（名）', String(kanaName['名'] ?? ''), p.given_kana);
    cmp('生年月日', String(application.form['生年月日'] ?? ''), p.birth_date);
    cmp('合格年月日', String(e.exam['合格年月日'] ?? ''), p.passed_on);
  }
  return { outcome: missing ? 'not-found' : differences.length ? 'mismatch' : 'match', differences, compared: exams.map((e) => e.label) };
}

/** How many passers a qualification's lists hold (for the screens). */
export async function passerCount(tx: Tx, qualification: string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.exam_passers WHERE qualification_code = ${qualification}`.execute(tx);
  return r.rows[0]?.n ?? 0;
}
