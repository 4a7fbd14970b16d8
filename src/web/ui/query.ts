// Query parameters of the staff pages, read strictly (decision 0133): a value that is there but malformed for
// its field is a 400 naming the field in Japanese (`invalidField`, shown by the error page), never a 5xx from
// the database and never silently ignored.  An absent or empty parameter is "not given".
//
// What every parameter gets before a page sees it (src/kernel/http: repeated, bad percent-encoding, control
// characters, over-long) is checked once for all routes; these helpers check what the field means.
import type { FastifyRequest } from 'fastify';
import { invalidField } from '../../kernel/problems/index.js';
import { isRealDate } from '../../kernel/fields/index.js';

export type Query = Readonly<Record<string, string | undefined>>;

/**
 * Japanese names of the query parameters the pages read, for the messages of the shared check in
 * src/kernel/http (which knows only the name).  A page's own check names its field with its own label.
 */
export const QUERY_LABELS: Readonly<Record<string, string>> = {
  page: 'ページ',
  q: '検索語',
  status: '状態',
  kind: '種別',
  from: '期間（から）',
  to: '期間（まで）',
  until: '期間（まで）',
  asOf: '基準日',
  birthDate: '生年月日',
  atenaNo: '宛名番号',
  kana: '氏名カナ',
  former: '転出・死亡・消除した人も含める',
  actor: '操作者',
  action: '操作',
  targetType: '対象の種類',
  subject: '本人',
  outcome: '結果',
  fiscalYear: '年度',
  threshold: '秘匿の基準',
  programs: '予防接種の種類',
  districts: '地区コード',
  program: '予防接種',
  diff: '前回との差',
  after: '表示の開始位置',
  part: '出力の範囲',
  number: '番号',
  channel: '受付方法',
  flagged: '漏えい等の可能性',
  runId: '抽出',
  next: '移動先',
};

/** The query as one string per name (repeated names are refused earlier, in src/kernel/http). */
export function queryOf(req: FastifyRequest): Query {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : undefined;
  return out;
}

const given = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return v === undefined || v === '' ? undefined : v;
};

/** One of `allowed` (the values the page's own select offers), or undefined when not given. */
export function queryEnum<T extends string>(q: Query, name: string, label: string, allowed: readonly T[]): T | undefined {
  const v = given(q, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw invalidField(name, 'INVALID_QUERY', `「${label}」の指定が正しくありません（選べる値のいずれか）`);
  return v as T;
}

/** A real calendar date YYYY-MM-DD (full-width digits and / accepted, as in the forms), or undefined. */
export function queryDate(q: Query, name: string, label: string): string | undefined {
  const raw = given(q, name);
  if (raw === undefined) return undefined;
  const v = raw.normalize('NFKC').trim().replace(/\//g, '-');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !isRealDate(v)) throw invalidField(name, 'INVALID_QUERY', `「${label}」の日付が正しくありません（YYYY-MM-DD 形式の実在する日付）`);
  return v;
}

/** A whole number within [min, max] written in digits (no sign, exponent or decimal point), or undefined. */
export function queryInt(q: Query, name: string, label: string, range: { min: number; max: number }): number | undefined {
  const raw = given(q, name);
  if (raw === undefined) return undefined;
  const v = raw.normalize('NFKC').trim();
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) throw invalidField(name, 'INVALID_QUERY', `「${label}」の指定が正しくありません（${range.min} 以上 ${range.max} 以下の整数）`);
  return n;
}

/** Beyond any list: a larger page number is moved back to the last page anyway (decision 0133). */
const PAGE_MAX = 1_000_000_000;

/**
 * `page`, 1-based: absent is 1; not a whole number ≥ 1 is a 400; a number past the last page is the last page
 * (clamped here to a number the database takes, and to the real last page by `within`).
 */
export function queryPage(q: Readonly<Record<string, unknown>>): number {
  const raw = q['page'];
  if (raw === undefined || raw === '') return 1;
  const v = typeof raw === 'string' ? raw.normalize('NFKC').trim() : '';
  if (!/^\d+$/.test(v) || /^0+$/.test(v)) throw invalidField('page', 'INVALID_QUERY', '「ページ」の指定が正しくありません（1 以上の整数）');
  return Math.min(Number(v), PAGE_MAX);
}
