// The 副本 items this 中間サーバー holds and the layout of each (XCH-04, XCH-06).  A 副本 carries nothing
// that identifies a person on its own: the person is the 団体内統合宛名番号 (and, towards other bodies,
// the 符号), never a name, an address, a date of birth or a My Number.
import { createHash } from 'node:crypto';
import type { FieldError } from '../../kernel/problems/index.js';

export interface ItemDef {
  readonly item: string;
  readonly title: string;
  /** Field errors of one row's data (empty when the row is well formed); `at` is the row's field path. */
  check(data: unknown, at: string): FieldError[];
  /** What a provision hands over (the records of the 副本). */
  provided(data: unknown): unknown[];
}

/** Keys that would identify a person on their own: refused anywhere in a 副本. */
export const IDENTIFYING_KEYS = new Set(
  ['name', 'nameKana', 'nameKanji', 'kana', 'address', 'myNumber', 'mynumber', 'individualNumber', 'birthDate', 'birthday', 'dateOfBirth', 'juminhyoCode', 'phone', 'tel', 'email'].map((k) => k.toLowerCase()),
);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DATE.exec(v);
  if (!m) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function err(field: string, code: string, message: string): FieldError {
  return { field, code, message };
}

function identifying(obj: Record<string, unknown>, at: string): FieldError[] {
  return Object.keys(obj)
    .filter((k) => IDENTIFYING_KEYS.has(k.toLowerCase()))
    .map((k) => err(`${at}.${k}`, 'IDENTIFYING', `副本には個人を特定できる項目（${k}）を含められません。`));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const VACCINATION_RECORD_KEYS = new Set(['program', 'dose', 'date', 'product', 'lot', 'source']);

const vaccinationHistory: ItemDef = {
  item: 'vaccination-history',
  title: '予防接種履歴',
  check(data, at) {
    if (!isObject(data)) return [err(at, 'TYPE', 'data はオブジェクトで指定してください。')];
    const out = identifying(data, at);
    for (const k of Object.keys(data)) if (k !== 'records' && !IDENTIFYING_KEYS.has(k.toLowerCase())) out.push(err(`${at}.${k}`, 'UNKNOWN_FIELD', `項目 ${k} は予防接種履歴の副本にありません。`));
    const records = data['records'];
    if (!Array.isArray(records)) {
      out.push(err(`${at}.records`, 'REQUIRED', 'records（接種記録の配列）を指定してください。'));
      return out;
    }
    records.forEach((r, j) => {
      const p = `${at}.records.${j}`;
      if (!isObject(r)) {
        out.push(err(p, 'TYPE', '接種記録はオブジェクトで指定してください。'));
        return;
      }
      out.push(...identifying(r, p));
      for (const k of Object.keys(r)) if (!VACCINATION_RECORD_KEYS.has(k) && !IDENTIFYING_KEYS.has(k.toLowerCase())) out.push(err(`${p}.${k}`, 'UNKNOWN_FIELD', `項目 ${k} は接種記録にありません。`));
      if (typeof r['program'] !== 'string' || !/^[^\p{Cc}]{1,64}$/u.test(r['program']) || !r['program'].trim()) out.push(err(`${p}.program`, 'FORMAT', '予防接種の種類（program）を 64 文字以内で指定してください。'));
      // The dose number and the date may be unknown (a record from a 母子健康手帳 without them): absent or null.
      if (r['dose'] !== undefined && r['dose'] !== null && (!Number.isInteger(r['dose']) || (r['dose'] as number) < 1 || (r['dose'] as number) > 99)) out.push(err(`${p}.dose`, 'FORMAT', '接種回数（dose）は 1〜99 の整数で指定してください（不明なら省略）。'));
      if (r['date'] !== undefined && r['date'] !== null && !isIsoDate(r['date'])) out.push(err(`${p}.date`, 'FORMAT', '接種日（date）は YYYY-MM-DD 形式の実在する日付で指定してください（不明なら省略）。'));
      for (const k of ['product', 'lot', 'source'] as const) {
        if (r[k] !== undefined && r[k] !== null && (typeof r[k] !== 'string' || (r[k] as string).length > 200 || /\p{Cc}/u.test(r[k] as string))) out.push(err(`${p}.${k}`, 'FORMAT', `${k} は 200 文字以内の文字列で指定してください。`));
      }
    });
    return out;
  },
  provided(data) {
    return isObject(data) && Array.isArray(data['records']) ? data['records'] : [];
  },
};

export const ITEMS: ReadonlyMap<string, ItemDef> = new Map([[vaccinationHistory.item, vaccinationHistory]]);

/** JSON with sorted keys: the same data always gives the same digest. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

export function digestData(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
