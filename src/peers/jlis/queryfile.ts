// 照会対象ファイル (XCH-25): the fixed-format query file a system sends through identity.query-file, and
// the answer file.  Layout: docs/formats/jlis-query-file.md.  Positions are counted in characters (the
// file travels as text inside the encrypted JSON body), 1-based, every field left-aligned and padded with
// half-width spaces.  Pure: no I/O.
import { Problem, type FieldError } from '../../kernel/problems/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import type { Match, QueryKey } from './store.js';

export const QUERY_FORMAT = 'JLISQ001';
export const ANSWER_FORMAT = 'JLISA001';
export const MAX_FILE_QUERIES = 10_000;

interface Field {
  readonly name: string;
  readonly label: string;
  readonly from: number;
  readonly width: number;
}

const f = (name: string, label: string, from: number, width: number): Field => ({ name, label, from, width });

export const QUERY_HEADER = [f('type', 'レコード区分', 1, 1), f('format', 'ファイル形式', 2, 8), f('created', '作成日', 10, 8), f('purpose', '利用目的', 18, 40)] as const;
export const QUERY_DETAIL = [
  f('type', 'レコード区分', 1, 1), f('serial', '通番', 2, 6), f('kind', '照会キー種別', 8, 1), f('number', '住民票コード・個人番号', 9, 12),
  f('name', '氏名', 21, 40), f('birthDate', '生年月日', 61, 8), f('sex', '性別', 69, 1), f('address', '住所', 70, 100),
] as const;
export const QUERY_TRAILER = [f('type', 'レコード区分', 1, 1), f('count', '照会件数', 2, 6)] as const;

export const ANSWER_HEADER = [f('type', 'レコード区分', 1, 1), f('format', 'ファイル形式', 2, 8), f('created', '作成日', 10, 8)] as const;
export const ANSWER_DETAIL = [
  f('type', 'レコード区分', 1, 1), f('serial', '通番', 2, 6), f('result', '結果', 8, 2), f('matchNo', '該当番号', 10, 3), f('juminhyoCode', '住民票コード', 13, 11),
  f('name', '氏名', 24, 40), f('nameKana', '氏名カナ', 64, 40), f('birthDate', '生年月日', 104, 8), f('sex', '性別', 112, 1), f('address', '住所', 113, 100),
  f('status', '状態', 213, 1), f('lastMovement', '最終異動事由', 214, 20), f('lastMovementDate', '最終異動日', 234, 8), f('myNumber', '個人番号', 242, 12),
] as const;
export const ANSWER_TRAILER = [f('type', 'レコード区分', 1, 1), f('queries', '照会件数', 2, 6), f('details', '回答明細件数', 8, 6)] as const;

const lengthOf = (fields: readonly Field[]): number => fields.reduce((n, x) => Math.max(n, x.from + x.width - 1), 0);

export interface FileQuery {
  readonly row: number;
  readonly serial: string;
  readonly key: QueryKey;
}

export interface ParsedQueryFile {
  readonly created: string;
  readonly purpose: string;
  readonly queries: readonly FileQuery[];
}

function cut(line: readonly string[], x: Field): string {
  return line.slice(x.from - 1, x.from - 1 + x.width).join('').replace(/[ \u3000]+$/u, '');
}

function ymd(s: string): string | null {
  if (!/^[0-9]{8}$/.test(s)) return null;
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  return isIsoDate(iso) ? iso : null;
}

/** Parses a query file; a malformed file is refused whole (400 JLIS_FILE_MALFORMED), naming row and column. */
export function parseQueryFile(text: string): ParsedQueryFile {
  const errors: FieldError[] = [];
  const err = (row: number, x: Field | { from: number; label: string; name: string }, message: string) => {
    if (errors.length < 100) errors.push({ field: `${row}行目${x.from}桁目（${x.label}）`, code: 'JLIS_FILE_FIELD', message });
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const whole = { from: 1, label: 'レコード', name: 'record' };
  if (lines.length < 2) {
    err(1, whole, 'ヘッダレコードとトレーラレコードが必要です');
    throw malformed(errors);
  }
  let created = '';
  let purpose = '';
  const queries: FileQuery[] = [];
  let trailerCount: number | null = null;
  const serials = new Set<string>();
  lines.forEach((raw, i) => {
    const row = i + 1;
    const line = [...raw];
    const type = line[0] ?? '';
    const isFirst = i === 0;
    const isLast = i === lines.length - 1;
    const check = (fields: readonly Field[]) => {
      if (line.length > lengthOf(fields)) err(row, { from: lengthOf(fields) + 1, label: 'レコード長', name: 'length' }, `レコード長は${lengthOf(fields)}文字です（${line.length}文字あります）`);
    };
    if (isFirst) {
      if (type !== '1') return err(row, QUERY_HEADER[0], '1行目はヘッダレコード（区分 1）にしてください');
      check(QUERY_HEADER);
      if (cut(line, QUERY_HEADER[1]) !== QUERY_FORMAT) err(row, QUERY_HEADER[1], `ファイル形式は ${QUERY_FORMAT} です`);
      const c = ymd(cut(line, QUERY_HEADER[2]));
      if (!c) err(row, QUERY_HEADER[2], '作成日は実在する日付を YYYYMMDD で指定してください');
      created = c ?? '';
      purpose = cut(line, QUERY_HEADER[3]).trim();
      if (purpose.length < 2) err(row, QUERY_HEADER[3], '利用目的を2文字以上で記載してください');
      return;
    }
    if (isLast) {
      if (type !== '9') return err(row, QUERY_TRAILER[0], '最終行はトレーラレコード（区分 9）にしてください');
      check(QUERY_TRAILER);
      const n = cut(line, QUERY_TRAILER[1]);
      if (!/^[0-9]{6}$/.test(n)) return err(row, QUERY_TRAILER[1], '照会件数は6桁の数字です');
      trailerCount = Number(n);
      return;
    }
    if (type !== '2') return err(row, QUERY_DETAIL[0], '明細レコードの区分は 2 です（ヘッダ・トレーラは先頭・末尾に1件ずつ）');
    check(QUERY_DETAIL);
    const [, serialF, kindF, numberF, nameF, birthF, sexF, addressF] = QUERY_DETAIL;
    const serial = cut(line, serialF);
    if (!/^[0-9]{6}$/.test(serial)) err(row, serialF, '通番は6桁の数字です');
    else if (serials.has(serial)) err(row, serialF, `通番 ${serial} が重複しています`);
    serials.add(serial);
    const kind = cut(line, kindF);
    const number = cut(line, numberF);
    if (kind === '1') {
      if (!/^[0-9]{11}$/.test(number)) return err(row, numberF, '住民票コードは11桁の数字です');
      queries.push({ row, serial, key: { by: 'juminhyoCode', juminhyoCode: number } });
    } else if (kind === '2') {
      const c = checkMyNumber(number);
      if (!c.ok) return err(row, numberF, c.message);
      queries.push({ row, serial, key: { by: 'myNumber', myNumber: c.value } });
    } else if (kind === '3') {
      const name = cut(line, nameF).trim();
      const birth = ymd(cut(line, birthF));
      const sex = cut(line, sexF);
      const address = cut(line, addressF).trim();
      const before = errors.length;
      if (!name) err(row, nameF, '氏名を記載してください');
      if (!birth) err(row, birthF, '生年月日は実在する日付を YYYYMMDD で指定してください');
      if (sex !== '1' && sex !== '2') err(row, sexF, '性別は 1（男）または 2（女）です');
      if (!address) err(row, addressF, '住所を記載してください');
      if (errors.length === before) queries.push({ row, serial, key: { by: 'fourItems', name, address, birthDate: birth!, sex: sex === '1' ? 'male' : 'female' } });
    } else {
      err(row, kindF, '照会キー種別は 1（住民票コード）、2（個人番号）、3（4情報）のいずれかです');
    }
  });
  const details = lines.length - 2;
  if (details > MAX_FILE_QUERIES) err(lines.length, whole, `1ファイルの照会は${MAX_FILE_QUERIES}件までです（${details}件あります）`);
  if (details === 0) err(lines.length, whole, '明細レコードがありません');
  if (trailerCount !== null && trailerCount !== details) err(lines.length, QUERY_TRAILER[1], `照会件数 ${trailerCount} が明細レコード数 ${details} と一致しません`);
  if (errors.length) throw malformed(errors);
  return { created, purpose, queries };
}

function malformed(errors: readonly FieldError[]): Problem {
  const first = errors[0]!;
  return new Problem(400, 'JLIS_FILE_MALFORMED', '照会対象ファイルの形式が正しくありません', `${first.field}: ${first.message}` + (errors.length > 1 ? `（ほか${errors.length - 1}件）` : ''), errors);
}

// ------------------------------------------------------------------ answer file

function put(values: Readonly<Record<string, string>>, fields: readonly Field[]): string {
  return fields
    .map((x) => {
      const v = [...(values[x.name] ?? '')].slice(0, x.width);
      return v.join('') + ' '.repeat(x.width - v.length);
    })
    .join('');
}

const STATUS_CODE: Readonly<Record<string, string>> = { resident: '1', 'moved-out': '2', deceased: '3' };
const compact = (iso: string | null): string => (iso ? iso.replaceAll('-', '') : '');

export interface FileAnswer {
  readonly serial: string;
  readonly matches: readonly Match[];
}

/** The answer file: one detail per match ('00'), or one '10' detail when nothing matched. */
export function formatAnswerFile(created: string, answers: readonly FileAnswer[]): string {
  const out: string[] = [put({ type: '1', format: ANSWER_FORMAT, created: compact(created) }, ANSWER_HEADER)];
  let details = 0;
  for (const a of answers) {
    if (a.matches.length === 0) {
      out.push(put({ type: '2', serial: a.serial, result: '10', matchNo: '000' }, ANSWER_DETAIL));
      details++;
      continue;
    }
    a.matches.forEach((m, i) => {
      out.push(
        put(
          {
            type: '2', serial: a.serial, result: '00', matchNo: String(i + 1).padStart(3, '0'), juminhyoCode: m.juminhyoCode, name: m.name, nameKana: m.nameKana,
            birthDate: compact(m.birthDate), sex: m.sex === 'male' ? '1' : '2', address: m.address, status: STATUS_CODE[m.status] ?? ' ',
            lastMovement: m.lastMovement ?? '', lastMovementDate: compact(m.lastMovementDate), myNumber: m.myNumber ?? '',
          },
          ANSWER_DETAIL,
        ),
      );
      details++;
    });
  }
  out.push(put({ type: '9', queries: String(answers.length).padStart(6, '0'), details: String(details).padStart(6, '0') }, ANSWER_TRAILER));
  return out.join('\r\n') + '\r\n';
}

/** Builds one query-file record (tests, and systems that write query files). */
export function queryRecord(kind: 'header' | 'detail' | 'trailer', values: Readonly<Record<string, string>>): string {
  const fields = kind === 'header' ? QUERY_HEADER : kind === 'detail' ? QUERY_DETAIL : QUERY_TRAILER;
  return put({ type: kind === 'header' ? '1' : kind === 'detail' ? '2' : '9', ...(kind === 'header' ? { format: QUERY_FORMAT } : {}), ...values }, fields);
}

/** Reads an answer file back into records (tests and callers): each record as field → trimmed value. */
export function readAnswerFile(text: string): { header: Record<string, string>; details: Record<string, string>[]; trailer: Record<string, string> } {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const rec = (l: string, fields: readonly Field[]) => Object.fromEntries(fields.map((x) => [x.name, cut([...l], x)]));
  return { header: rec(lines[0] ?? '', ANSWER_HEADER), details: lines.slice(1, -1).map((l) => rec(l, ANSWER_DETAIL)), trailer: rec(lines[lines.length - 1] ?? '', ANSWER_TRAILER) };
}
