// Building small 住基 files for tests (docs/formats/residents-csv.md), in UTF-8 or Shift_JIS.
import { writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { DIFF_COLUMNS, FULL_COLUMNS } from '../../src/municipality/residents/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { RECORD_COLUMNS } from '../../src/municipality/records/index.js';

export type Cells = Partial<Record<string, string>>;

function cell(v: string | undefined): string {
  const s = v ?? '';
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(kind: 'full' | 'diff', rows: readonly Cells[], columns?: readonly string[]): string {
  const cols = columns ?? (kind === 'full' ? FULL_COLUMNS : DIFF_COLUMNS);
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function writeCsv(path: string, kind: 'full' | 'diff', rows: readonly Cells[], opts: { encoding?: 'utf8' | 'sjis'; bom?: boolean; columns?: readonly string[] } = {}): string {
  const text = csv(kind, rows, opts.columns);
  if (opts.encoding === 'sjis') writeFileSync(path, iconv.encode(text, 'cp932'));
  else writeFileSync(path, (opts.bom === false ? '' : '\uFEFF') + text);
  return path;
}

export const mn = (i: number): string => syntheticMyNumber('residents-test', i);

const NAMES: readonly [string, string][] = [
  ['鳥取　花子', 'トットリ　ハナコ'],
  ['髙橋　一郎', 'タカハシ　イチロウ'],
  ['山﨑　美咲', 'ヤマサキ　ミサキ'],
  ['佐藤　健太', 'サトウ　ケンタ'],
  ['齋藤　陽菜', 'サイトウ　ヒナ'],
  ['渡邊　大翔', 'ワタナベ　ヒロト'],
];

/** A plausible resident row; `i` makes the 住民票コード and My Number unique. */
export function person(i: number, over: Cells = {}): Cells {
  const [name, kana] = NAMES[i % NAMES.length]!;
  return {
    住民票コード: String(10_000_000_000 + i).padStart(11, '0'),
    個人番号: mn(i),
    氏名: name,
    氏名カナ: kana,
    生年月日: '20250910',
    性別: '2',
    郵便番号: '680-8571',
    住所: '鳥取県鳥取市尚徳町116番地',
    世帯番号: String(5000 + i),
    続柄: '子',
    住民種別: '1',
    住民となった日: '20250910',
    最新異動区分: '02',
    最新異動日: '20250910',
    支援措置: '0',
    閲覧制限: '0',
    ...over,
  };
}

export function movement(id: string, code: string, date: string, p: Cells): Cells {
  return { 異動ID: id, 異動区分: code, 異動日: date, 届出日: date, ...p };
}


/** A clinic record batch file (docs/formats/clinic-records-csv.md). */
export function writeRecordsCsv(path: string, rows: readonly Cells[], opts: { encoding?: 'utf8' | 'sjis' } = {}): string {
  const text = csv('full', rows, RECORD_COLUMNS);
  if (opts.encoding === 'sjis') writeFileSync(path, iconv.encode(text, 'cp932'));
  else writeFileSync(path, '\uFEFF' + text);
  return path;
}

export function dose(seq: string, over: Cells = {}): Cells {
  return { 通番: seq, 生年月日: '20250910', 性別: '2', 接種日: '20251110', ワクチン: 'dpt-ipv-hib', 医療機関コード: '0110113719', ロット番号: 'AB1234', 医師名: '小児　太郎', ...over };
}
