// 住基 file layouts (docs/formats/residents-csv.md): column names, codes, and the row validator that turns
// a raw CSV record into a typed, normalised resident row or a list of field errors.  Pure: no I/O.
//
// Normalisation (documented in the format): codes, digits and dates are NFKC'd (全角 → 半角); kana names are
// NFKC'd (半角カナ → 全角), hiragana become katakana, and runs of spaces become one 全角 space; kanji names and
// addresses are kept exactly as written (NFKC would rewrite 異体字 such as 﨑 or 髙), only trimmed and with runs
// of spaces folded.  Error messages name the column and never repeat a My Number.
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import type { FieldError } from '../../kernel/problems/index.js';

export type FileKind = 'full' | 'diff';

/** Person columns shared by both files, in order. */
export const PERSON_COLUMNS = [
  '宛名番号',
  '住民票コード',
  '個人番号',
  '氏名',
  '氏名カナ',
  '生年月日',
  '性別',
  '郵便番号',
  '住所',
  '方書',
  '地区コード',
  '世帯番号',
  '続柄',
  '世帯主氏名',
  '住民種別',
  '外国人本名',
  '通称',
  'アルファベット氏名',
  '氏名利用区分',
  '国籍',
  '在留資格',
  '在留期間満了日',
  '住民となった日',
  '住民でなくなった日',
  '消除事由',
  '最新異動区分',
  '最新異動日',
  '最新届出日',
  '転入前住所',
  '転出先住所',
  '支援措置',
  '閲覧制限',
  '送付先氏名',
  '送付先郵便番号',
  '送付先住所',
  '送付先方書',
] as const;

export const MOVEMENT_COLUMNS = ['異動ID', '異動区分', '異動日', '届出日'] as const;

export const FULL_COLUMNS: readonly string[] = PERSON_COLUMNS;
export const DIFF_COLUMNS: readonly string[] = [...MOVEMENT_COLUMNS, ...PERSON_COLUMNS];

export type PersonColumn = (typeof PERSON_COLUMNS)[number];

export const MOVEMENTS = {
  '01': '転入',
  '02': '出生',
  '03': '職権記載',
  '10': '転出予定',
  '11': '転出確定',
  '12': '死亡',
  '13': '職権消除',
  '20': '転居',
  '21': '氏名変更',
  '22': '世帯変更',
  '23': '記載事項変更',
  '30': '住登外登録',
} as const;
export type MovementCode = keyof typeof MOVEMENTS;
const MOVEMENT_BY_NAME = new Map<string, MovementCode>(Object.entries(MOVEMENTS).map(([c, n]) => [n, c as MovementCode]));

export const CEASE_REASONS = ['転出', '死亡', '職権消除', '国外転出'] as const;
export type CeaseReason = (typeof CEASE_REASONS)[number];

export type Sex = 'male' | 'female';

export interface ResidentRow {
  readonly atenaNo: string | null;
  readonly juminhyoCode: string | null;
  /** Validated and normalised; carried only to the vault. */
  readonly myNumber: string | null;
  readonly nameKanji: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly postalCode: string | null;
  readonly address: string;
  readonly katagaki: string | null;
  readonly districtCode: string | null;
  readonly householdNo: string | null;
  readonly relationship: string | null;
  readonly householderName: string | null;
  readonly residentKind: 'japanese' | 'foreign';
  readonly realName: string | null;
  readonly aliasName: string | null;
  readonly alphabetName: string | null;
  readonly nameUsage: 'real' | 'alias' | null;
  readonly nationality: string | null;
  readonly residenceStatus: string | null;
  readonly stayUntil: string | null;
  readonly becameResidentOn: string | null;
  readonly ceasedOn: string | null;
  readonly ceasedReason: CeaseReason | null;
  readonly latestMovement: MovementCode | null;
  readonly latestMovementOn: string | null;
  readonly latestNotifiedOn: string | null;
  readonly previousAddress: string | null;
  readonly nextAddress: string | null;
  readonly dvSupport: boolean;
  readonly viewingRestricted: boolean;
  readonly mailingName: string | null;
  readonly mailingPostalCode: string | null;
  readonly mailingAddress: string | null;
  readonly mailingKatagaki: string | null;
}

export interface MovementRow {
  readonly movementId: string;
  readonly movement: MovementCode;
  readonly movementOn: string;
  readonly notifiedOn: string | null;
  readonly person: ResidentRow;
}

export type RowResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

// ------------------------------------------------------------------ normalisers

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function foldSpaces(s: string): string {
  return s.replace(/[ \u3000\t]+/g, ' ').trim();
}

// Printable ASCII is its own NFKC form: most codes, digits and dates skip the Unicode normaliser.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const nfkc = (s: string): string => (PRINTABLE_ASCII.test(s) ? s : s.normalize('NFKC'));

/** Length in characters (code points), counting only when the UTF-16 length could exceed `max`. */
const longerThan = (s: string, max: number): boolean => s.length > max && [...s].length > max;

/** カナ: NFKC, hiragana → katakana, spaces → one 全角 space. */
export function normalizeKana(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[ \u3000\t]+/g, '\u3000')
    .trim();
}

export function isKatakanaName(s: string): boolean {
  return /^[\u30a1-\u30fa\u30fc\u3000\u30fb]+$/.test(s);
}

/** Kanji names: exactly as written, spaces folded to one 全角 space between parts. */
export function normalizeKanjiName(s: string): string {
  return s.replace(/[ \u3000\t]+/g, '\u3000').trim();
}

const ERAS: Record<string, number> = { '1': 1867, '2': 1911, '3': 1925, '4': 1988, '5': 2018 }; // 明治 大正 昭和 平成 令和 (year 1 = base + 1)

function realDate(y: number, m: number, d: number): string | null {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, or the 7-digit 和暦 code form (元号コード + YYMMDD: 5080401 = 令和8年4月1日). */
export function parseDate(raw: string): string | null {
  const s = nfkc(raw).trim();
  let m = /^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$/.exec(s);
  if (m) {
    const y = Number(m[1]);
    return y >= 1868 && y <= 2200 ? realDate(y, Number(m[2]), Number(m[3])) : null;
  }
  m = /^([1-5])(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (m) {
    const yy = Number(m[2]);
    if (yy === 0) return null;
    return realDate(ERAS[m[1]!]! + yy, Number(m[3]), Number(m[4]));
  }
  return null;
}

// ------------------------------------------------------------------ validation

type Raw = Readonly<Record<string, string | undefined>>;

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, code: string, message: string): null {
    this.errors.push({ field, code, message });
    return null;
  }
}

function cell(r: Raw, col: string, c: Collector): string {
  let v = r[col] ?? '';
  if (v.charCodeAt(0) === 0xfeff) v = v.slice(1);
  if (CONTROL.test(v)) c.add(col, 'CONTROL_CHARACTER', `${col}に制御文字が含まれています`);
  return v.trim();
}

function optional(r: Raw, col: string, c: Collector, max = 200): string | null {
  const v = foldSpaces(cell(r, col, c));
  if (v === '') return null;
  if (longerThan(v, max)) c.add(col, 'TOO_LONG', `${col}が長すぎます（${max}文字以内）`);
  return v;
}

function required(r: Raw, col: string, c: Collector, max = 200): string {
  const v = optional(r, col, c, max);
  if (v === null) {
    c.add(col, 'REQUIRED', `${col}は必須です`);
    return '';
  }
  return v;
}

function digits(r: Raw, col: string, c: Collector, len: number, req: boolean): string | null {
  const v = nfkc(cell(r, col, c)).replace(/-/g, '');
  if (v === '') {
    if (req) c.add(col, 'REQUIRED', `${col}は必須です`);
    return null;
  }
  if (!/^\d+$/.test(v) || v.length !== len) return c.add(col, 'FORMAT', `${col}は${len}桁の数字です`);
  return v;
}

function date(r: Raw, col: string, c: Collector, req: boolean): string | null {
  const v = cell(r, col, c);
  if (v === '') {
    if (req) c.add(col, 'REQUIRED', `${col}は必須です`);
    return null;
  }
  const d = parseDate(v);
  if (!d) return c.add(col, 'DATE_INVALID', `${col}は実在する日付（YYYYMMDD、YYYY-MM-DD または元号コード+YYMMDD）で入力してください`);
  return d;
}

function flag(r: Raw, col: string, c: Collector): boolean {
  const v = nfkc(cell(r, col, c));
  if (v === '' || v === '0') return false;
  if (v === '1') return true;
  c.add(col, 'CODE_UNKNOWN', `${col}は0または1です`);
  return false;
}

export function parseMovementCode(v: string): MovementCode | null {
  const s = nfkc(v).trim();
  if (s in MOVEMENTS) return s as MovementCode;
  return MOVEMENT_BY_NAME.get(s) ?? null;
}

const nameOrNull = (v: string | null): string | null => (v === null ? null : normalizeKanjiName(v));

export function validatePerson(r: Raw, today: string): RowResult<ResidentRow> {
  const c = new Collector();
  const atenaNo = digits(r, '宛名番号', c, 10, false);
  const juminhyoCode = digits(r, '住民票コード', c, 11, false);
  let myNumber: string | null = null;
  const mnRaw = cell(r, '個人番号', c);
  if (mnRaw !== '') {
    const chk = checkMyNumber(mnRaw);
    if (chk.ok) myNumber = chk.value;
    else c.add('個人番号', chk.code, chk.message);
  }
  const nameKanji = normalizeKanjiName(required(r, '氏名', c, 50));
  const nameKana = normalizeKana(required(r, '氏名カナ', c, 100));
  if (nameKana && !isKatakanaName(nameKana)) c.add('氏名カナ', 'KANA_ONLY', '氏名カナはカタカナで入力してください');
  const birthDate = date(r, '生年月日', c, true) ?? '';
  if (birthDate && birthDate > today) c.add('生年月日', 'DATE_FUTURE', '生年月日が未来の日付です');
  const sexRaw = nfkc(cell(r, '性別', c));
  const sex: Sex | null = sexRaw === '1' || sexRaw === '男' ? 'male' : sexRaw === '2' || sexRaw === '女' ? 'female' : null;
  if (!sexRaw) c.add('性別', 'REQUIRED', '性別は必須です');
  else if (!sex) c.add('性別', 'CODE_UNKNOWN', '性別は1（男）または2（女）です');
  const postalCode = digits(r, '郵便番号', c, 7, false);
  const address = required(r, '住所', c, 200);
  const kindRaw = nfkc(cell(r, '住民種別', c));
  const residentKind = kindRaw === '' || kindRaw === '1' ? 'japanese' : kindRaw === '2' ? 'foreign' : (c.add('住民種別', 'CODE_UNKNOWN', '住民種別は1（日本人）または2（外国人）です'), 'japanese');
  const usageRaw = nfkc(cell(r, '氏名利用区分', c));
  const nameUsage = usageRaw === '' ? null : usageRaw === '1' ? 'real' : usageRaw === '2' ? 'alias' : (c.add('氏名利用区分', 'CODE_UNKNOWN', '氏名利用区分は1（本名）または2（通称）です'), null);
  const ceasedReasonRaw = optional(r, '消除事由', c, 20);
  const ceasedReason = ceasedReasonRaw === null ? null : (CEASE_REASONS as readonly string[]).includes(ceasedReasonRaw) ? (ceasedReasonRaw as CeaseReason) : (c.add('消除事由', 'CODE_UNKNOWN', `消除事由は${CEASE_REASONS.join('・')}のいずれかです`), null);
  const latestRaw = cell(r, '最新異動区分', c);
  const latestMovement = latestRaw === '' ? null : (parseMovementCode(latestRaw) ?? c.add('最新異動区分', 'CODE_UNKNOWN', '最新異動区分のコードが不明です'));
  const ceasedOn = date(r, '住民でなくなった日', c, false);
  if ((ceasedOn === null) !== (ceasedReason === null)) c.add(ceasedOn ? '消除事由' : '住民でなくなった日', 'INCONSISTENT', '住民でなくなった日と消除事由は両方入力してください');
  const becameResidentOn = date(r, '住民となった日', c, false);
  if (becameResidentOn && birthDate && becameResidentOn < birthDate) c.add('住民となった日', 'DATE_ORDER', '住民となった日が生年月日より前です');
  if (ceasedOn && becameResidentOn && ceasedOn < becameResidentOn) c.add('住民でなくなった日', 'DATE_ORDER', '住民でなくなった日が住民となった日より前です');
  const row: ResidentRow = {
    atenaNo,
    juminhyoCode,
    myNumber,
    nameKanji,
    nameKana,
    birthDate,
    sex: sex ?? 'male',
    postalCode,
    address,
    katagaki: optional(r, '方書', c, 100),
    districtCode: optional(r, '地区コード', c, 20),
    householdNo: optional(r, '世帯番号', c, 20),
    relationship: optional(r, '続柄', c, 20),
    householderName: nameOrNull(optional(r, '世帯主氏名', c, 50)),
    residentKind,
    realName: optional(r, '外国人本名', c, 100),
    aliasName: nameOrNull(optional(r, '通称', c, 50)),
    alphabetName: optional(r, 'アルファベット氏名', c, 100),
    nameUsage,
    nationality: optional(r, '国籍', c, 50),
    residenceStatus: optional(r, '在留資格', c, 50),
    stayUntil: date(r, '在留期間満了日', c, false),
    becameResidentOn,
    ceasedOn,
    ceasedReason,
    latestMovement,
    latestMovementOn: date(r, '最新異動日', c, false),
    latestNotifiedOn: date(r, '最新届出日', c, false),
    previousAddress: optional(r, '転入前住所', c, 200),
    nextAddress: optional(r, '転出先住所', c, 200),
    dvSupport: flag(r, '支援措置', c),
    viewingRestricted: flag(r, '閲覧制限', c),
    mailingName: nameOrNull(optional(r, '送付先氏名', c, 50)),
    mailingPostalCode: digits(r, '送付先郵便番号', c, 7, false),
    mailingAddress: optional(r, '送付先住所', c, 200),
    mailingKatagaki: optional(r, '送付先方書', c, 100),
  };
  if (row.residentKind === 'foreign' && !row.nationality) c.add('国籍', 'REQUIRED', '外国人住民は国籍が必須です');
  if (row.mailingAddress && !row.mailingName) c.add('送付先氏名', 'REQUIRED', '送付先住所がある場合は送付先氏名が必須です');
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, value: row };
}

export function validateMovement(r: Raw, today: string): RowResult<MovementRow> {
  const c = new Collector();
  const movementId = required(r, '異動ID', c, 40);
  if (movementId && !/^[A-Za-z0-9_-]+$/.test(movementId.normalize('NFKC'))) c.add('異動ID', 'FORMAT', '異動IDは英数字・ハイフン・下線です');
  const codeRaw = cell(r, '異動区分', c);
  const movement = codeRaw === '' ? c.add('異動区分', 'REQUIRED', '異動区分は必須です') : (parseMovementCode(codeRaw) ?? c.add('異動区分', 'CODE_UNKNOWN', '異動区分のコードが不明です（docs/formats/residents-csv.md）'));
  const movementOn = date(r, '異動日', c, true);
  if (movementOn && movementOn > today && movement !== '10') c.add('異動日', 'DATE_FUTURE', '異動日が未来の日付です（転出予定を除く）');
  const notifiedOn = date(r, '届出日', c, false);
  const person = validatePerson(r, today);
  const errors = [...c.errors, ...(person.ok ? [] : person.errors)];
  if (person.ok && movement && movement !== '30' && !person.value.juminhyoCode) {
    errors.push({ field: '住民票コード', code: 'REQUIRED', message: '住民の異動には住民票コードが必須です' });
  }
  if (errors.length || !person.ok || !movement || !movementOn) return { ok: false, errors };
  return { ok: true, value: { movementId: movementId.normalize('NFKC'), movement, movementOn, notifiedOn, person: person.value } };
}

/** Checks the header row: every column of the layout present (extra columns are an error: the interface is fixed, RES-02). */
export function checkHeader(kind: FileKind, header: readonly string[]): FieldError[] {
  const want = kind === 'full' ? FULL_COLUMNS : DIFF_COLUMNS;
  const got = header.map((h) => h.replace(/^\uFEFF/, '').trim());
  const errors: FieldError[] = [];
  for (const w of want) if (!got.includes(w)) errors.push({ field: w, code: 'COLUMN_MISSING', message: `列「${w}」がありません` });
  for (const g of got) if (!want.includes(g)) errors.push({ field: g || '(空の列名)', code: 'COLUMN_UNKNOWN', message: `列「${g}」はこの様式にありません` });
  const dup = got.filter((g, i) => got.indexOf(g) !== i);
  for (const d of new Set(dup)) errors.push({ field: d, code: 'COLUMN_DUPLICATE', message: `列「${d}」が重複しています` });
  return errors;
}

/** Detects the layout from the header: diff files start with 異動ID. */
export function detectKind(header: readonly string[]): FileKind {
  return header[0]?.replace(/^\uFEFF/, '').trim() === '異動ID' ? 'diff' : 'full';
}
