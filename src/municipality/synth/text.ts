// Text helpers for synthetic rows: number notations (算用数字 半角/全角, 漢数字), 半角カナ, CSV cells, dates.
import { fromDayNumber } from '../../kernel/jp/index.js';

const FULL_DIGITS = '０１２３４５６７８９';

/** Half-width digits → full-width (全角) digits. */
export function fullWidth(n: number | string): string {
  const s = String(n);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 48 && c <= 57 ? FULL_DIGITS[c - 48] : s[i];
  }
  return out;
}

const KANJI_DIGITS = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** 漢数字 in positional form: 15 → 十五, 512 → 五百十二, 1203 → 千二百三 (1 ≤ n < 10000). */
export function kanjiNumber(n: number): string {
  if (n <= 0 || n >= 10000) return String(n);
  let out = '';
  const units: readonly [number, string][] = [
    [1000, '千'],
    [100, '百'],
    [10, '十'],
  ];
  let rest = n;
  for (const [u, name] of units) {
    const d = Math.floor(rest / u);
    rest %= u;
    if (d === 0) continue;
    out += (d === 1 ? '' : KANJI_DIGITS[d]) + name;
  }
  if (rest > 0) out += KANJI_DIGITS[rest];
  return out;
}

/** 漢数字 digit by digit: 512 → 五一二 (the other common way of writing 番地 in kanji). */
export function kanjiDigits(n: number): string {
  return String(n)
    .split('')
    .map((d) => KANJI_DIGITS[Number(d)])
    .join('');
}

// 全角カナ → 半角カナ (JIS X 0201), voiced marks split off: NFKC turns the result back.
const HALF_BASE: Record<string, string> = {};
(() => {
  const full = 'ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー　・';
  const half = 'ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ ･';
  for (let i = 0; i < full.length; i++) HALF_BASE[full[i]!] = half[i]!;
  const voiced = 'ガギグゲゴザジズゼゾダヂヅデドバビブベボ';
  const voicedBase = 'カキクケコサシスセソタチツテトハヒフヘホ';
  for (let i = 0; i < voiced.length; i++) HALF_BASE[voiced[i]!] = HALF_BASE[voicedBase[i]!]! + 'ﾞ';
  const semi = 'パピプペポ';
  const semiBase = 'ハヒフヘホ';
  for (let i = 0; i < semi.length; i++) HALF_BASE[semi[i]!] = HALF_BASE[semiBase[i]!]! + 'ﾟ';
  HALF_BASE['ヴ'] = 'ｳﾞ';
})();

/** 全角カタカナ → 半角カナ (as legacy 住基 interfaces write readings).  Unknown characters are kept. */
export function halfWidthKana(s: string): string {
  let out = '';
  for (const c of s) out += HALF_BASE[c] ?? c;
  return out;
}

/** One CSV cell (RFC 4180): quoted only when it holds a comma, quote or line break. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const DATE_OFFSET = 40_000; // day numbers from 1860 to 2130 fit in the cache
const dateCache: (string | undefined)[] = new Array<string | undefined>(100_000);

/** A day number as YYYYMMDD (the notation of 住基 files), cached: rows repeat the same dates. */
export function yyyymmdd(day: number): string {
  const k = day + DATE_OFFSET;
  const hit = dateCache[k];
  if (hit !== undefined) return hit;
  const s = fromDayNumber(day).replace(/-/g, '');
  if (k >= 0 && k < dateCache.length) dateCache[k] = s;
  return s;
}
