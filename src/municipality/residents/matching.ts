// 4情報 matching (RES-12, issue 3 point 4): normalisers for kana, kanji and addresses, and the scoring and
// decision rule that links an incoming record to at most one resident.  PURE: no I/O, no clock, no
// database.  The caller fetches the candidates (persons with the query's birth date, plus persons whose
// 検索カナ equals the query's) and passes them in.
//
// Rules, thresholds and measured recall: docs/decisions/0035-four-info-matching.md.
// Normalisation rules and their limits: docs/decisions/0036-matching-normalisation.md.
import { invalidField } from '../../kernel/problems/index.js';
import { KANJI_VARIANTS } from './matching-variants.js';

// =================================================================== 検索カナ

const SMALL_KANA: Readonly<Record<string, string>> = {
  ァ: 'ア', ィ: 'イ', ゥ: 'ウ', ェ: 'エ', ォ: 'オ', ッ: 'ツ', ャ: 'ヤ', ュ: 'ユ', ョ: 'ヨ', ヮ: 'ワ', ヵ: 'カ', ヶ: 'ケ',
  // small katakana extensions (Ainu names)
  ㇰ: 'ク', ㇱ: 'シ', ㇲ: 'ス', ㇳ: 'ト', ㇴ: 'ヌ', ㇵ: 'ハ', ㇶ: 'ヒ', ㇷ: 'フ', ㇸ: 'ヘ', ㇹ: 'ホ', ㇺ: 'ム', ㇻ: 'ラ', ㇼ: 'リ', ㇽ: 'ル', ㇾ: 'レ', ㇿ: 'ロ',
};

const SOUND_FOLD: Readonly<Record<string, string>> = {
  ヂ: 'ジ', ヅ: 'ズ', ヲ: 'オ', ヰ: 'イ', ヱ: 'エ', ヴ: 'ブ', ヷ: 'バ', ヸ: 'ビ', ヹ: 'ベ', ヺ: 'ボ',
};

const V_SOUNDS: Readonly<Record<string, string>> = { ヴァ: 'バ', ヴィ: 'ビ', ヴェ: 'ベ', ヴォ: 'ボ', ヴュ: 'ビュ' };

const VOWEL_ROWS: readonly [string, string][] = [
  ['アカガサザタダナハバパマヤャラワヮァヵ', 'a'],
  ['イキギシジチヂニヒビピミリヰィ', 'i'],
  ['ウクグスズツヅヌフブプムユュルゥヴ', 'u'],
  ['エケゲセゼテデネヘベペメレヱェヶ', 'e'],
  ['オコゴソゾトドノホボポモヨョロヲォ', 'o'],
];
const VOWEL_OF = new Map<string, string>(VOWEL_ROWS.flatMap(([chars, v]) => [...chars].map((c) => [c, v] as [string, string])));
/** What a long-vowel mark most often stands for in names: ユーコ = ユウコ, ケーコ = ケイコ, ヨーコ = ヨウコ. */
const LONG_VOWEL: Readonly<Record<string, string>> = { a: 'ア', i: 'イ', u: 'ウ', e: 'イ', o: 'ウ' };
const LONG_MARKS = /[ー\u2010-\u2015\u2212~〜～-]/;

/**
 * 検索カナ: the search key for a kana name, as municipal 住基・宛名 systems build it (they keep a 直音 "search
 * kana" beside the registered kana because kana spelling varies between systems and forms).  Steps:
 * 1. separate voicing marks (゛゜ and half-width ﾞﾟ) become combining marks, then NFKC: 半角カナ → 全角,
 *    全角英数 → 半角, and カ+゛ → ガ;
 * 2. hiragana → katakana; iteration marks ヽヾ are expanded;
 * 3. ヴァ/ヴィ/ヴェ/ヴォ → バ/ビ/ベ/ボ, ヴ → ブ (ヷヸヹヺ likewise); ヂ → ジ, ヅ → ズ; ヲ → オ, ヰ → イ, ヱ → エ;
 * 4. the long-vowel mark ー (and dash look-alikes after a kana) becomes the vowel it stands for in names:
 *    ア段 → ア, イ段 → イ, ウ段 → ウ, エ段 → イ, オ段 → ウ (ユーコ → ユウコ, ヨーコ → ヨウコ); dropped after ン/ッ or at the start;
 * 5. small kana → large (ァ → ア, ッ → ツ, ャ → ヤ, ヮ → ワ, ヵ → カ, ヶ → ケ …): 直音化;
 * 6. spaces, ・ and punctuation are removed; Latin letters are upper-cased and kept.
 * Voiced and unvoiced kana stay distinct (ハシモト ≠ バシモト): a 濁点 difference is a near match, not equal.
 * Limits: オオノ and オーノ (→ オウノ) stay one letter apart; readings themselves (ミチコ vs ミツコ) are not guessed.
 */
export function searchKana(s: string): string {
  let t = s
    .replace(/[\u309b\uff9e]/g, '\u3099')
    .replace(/[\u309c\uff9f]/g, '\u309a')
    .normalize('NFKC')
    .replace(/[\u3041-\u3096\u309d\u309e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[\u3099\u309a]/g, '')
    .toUpperCase();
  // iteration marks
  t = t.replace(/(.)([ヽヾ])/gu, (_, p: string, m: string) => p + (m === 'ヽ' ? p.normalize('NFD').replace(/[\u3099\u309a]/g, '').normalize('NFC') : `${p}\u3099`.normalize('NFC')));
  t = t.replace(/ヴ[ァィェォュ]/g, (m) => V_SOUNDS[m] ?? m);
  t = [...t].map((c) => SOUND_FOLD[c] ?? c).join('');
  // long vowels, from the vowel of the kana before
  let out = '';
  let prev = '';
  for (const c of t) {
    if (c === 'ー' || (LONG_MARKS.test(c) && VOWEL_OF.has(prev))) {
      const v = VOWEL_OF.get(prev);
      if (v) out += LONG_VOWEL[v];
      continue;
    }
    out += c;
    if (!/[\s\u3000]/.test(c)) prev = c;
  }
  return [...out]
    .map((c) => SMALL_KANA[c] ?? c)
    .join('')
    .replace(/[\s\u3000・･.,，、。'’"“”=＝\-‐\u2010-\u2015\u2212~〜～()（）]/g, '');
}

// =================================================================== 異体字

function inRange(cp: number, lo: number, hi: number): boolean {
  return cp >= lo && cp <= hi;
}

/**
 * 異体字 folding for names (and place names): a curated table of 俗字 and 旧字体 → 通用字体 (matching-variants.ts:
 * 髙 → 高, 﨑/嵜 → 崎, 邊/邉 → 辺, 齋/齊/斉 → 斎, 濵 → 浜, 德 → 徳, 彌 → 弥, 萬 → 万, 國 → 国, 澤 → 沢, 廣 → 広, 櫻 → 桜, 瀨 → 瀬, 𠮷 → 吉 …),
 * plus CJK compatibility ideographs mapped to their unified ideograph by their Unicode canonical
 * decomposition (神 → 神, 塚 → 塚; stable under Unicode's normalisation stability policy), and ideographic
 * variation selectors (IVS, U+E0100–E01EF; U+FE00–FE0F) removed.  Nothing else changes: the name as a whole
 * is NOT NFKC'd, so kana, Latin and spacing are left to the caller.  For comparison only.
 */
export function foldKanjiVariants(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (inRange(cp, 0xfe00, 0xfe0f) || inRange(cp, 0xe0100, 0xe01ef)) continue;
    let u = c;
    if (inRange(cp, 0xf900, 0xfaff) || inRange(cp, 0x2f800, 0x2fa1f)) u = c.normalize('NFC');
    out += KANJI_VARIANTS.get(u) ?? u;
  }
  return out;
}

/**
 * Cosmetic form of a kanji name: whitespace removed, 全角英数 → 半角, 半角カナ → 全角 (NFKC of those runs only),
 * Latin upper-cased, variation selectors removed.
 */
function kanjiCosmetic(s: string): string {
  return s
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\uff61-\uff9f]+/g, (run) => run.normalize('NFKC'))
    .replace(/[\ufe00-\ufe0f]|\udb40[\udd00-\uddef]/g, '')
    .replace(/[\s\u3000・･]/g, '')
    .toUpperCase();
}

/** The folded key of a kanji name: cosmetic form, 異体字 folded, and kana in the name (さくら/サクラ) as katakana. */
function kanjiKey(s: string): string {
  return foldKanjiVariants(kanjiCosmetic(s)).replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

function kanjiParts(s: string): string[] {
  return s.trim().split(/[\s\u3000]+/).filter(Boolean);
}

function kanaParts(s: string): string[] {
  return s.trim().split(/[\s\u3000]+/).filter(Boolean);
}

// =================================================================== addresses

const KANJI_DIGIT: Readonly<Record<string, number>> = { 〇: 0, 零: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const KANJI_UNIT: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };

/** 漢数字 → number: positional (一〇五 = 105) or with units (百十六 = 116, 二十 = 20). */
function kanjiNumber(s: string): number | null {
  if ([...s].every((c) => c in KANJI_DIGIT)) return Number([...s].map((c) => KANJI_DIGIT[c]).join(''));
  let total = 0;
  let digit: number | null = null;
  for (const c of s) {
    if (c in KANJI_DIGIT) {
      if (digit !== null) return null;
      digit = KANJI_DIGIT[c]!;
    } else if (c in KANJI_UNIT) {
      total += (digit ?? 1) * KANJI_UNIT[c]!;
      digit = null;
    } else return null;
  }
  return total + (digit ?? 0);
}

const NUMBER_SUFFIX = /^(?:丁目|番地|番(?![町丁])|号|条|線|地割)/;

function convertKanjiNumbers(s: string): string {
  return s.replace(/[〇零一二三四五六七八九十百千]+/g, (run, offset: number, whole: string) => {
    const after = whole.slice(offset + run.length);
    const before = whole.slice(0, offset);
    const isAddressNumber = NUMBER_SUFFIX.test(after) || /^[-の][〇零一二三四五六七八九十百千\d]/.test(after) || /[\d-]$/.test(before) || /(?:番地|番|\d)の$/.test(before) || (/^$|^[\s-]/.test(after) && /(?:番地|番|丁目|\d)の?$/.test(before)) || /第$/.test(before);
    if (!isAddressNumber) return run;
    const n = kanjiNumber(run);
    return n === null ? run : String(n);
  });
}

export interface AddressParts {
  /** Canonical main address (everything up to the house number), the form compared. */
  readonly main: string;
  /** The part before the first house number: prefecture, city, town (大字/字 removed). */
  readonly town: string;
  /** House number in hyphen form: 2丁目3番4号 → "2-3-4". Empty when there is none. */
  readonly number: string;
  /** 方書 (building, room) split off the end; not compared. */
  readonly katagaki: string;
}

/**
 * Splits and normalises an address (see normalizeAddress) into town, house number and 方書.
 * Limits: a room number written straight after the house number with a hyphen (116-2-101) cannot be told
 * from a 号 and stays in the number; Kyoto street names (上ル/下ル/東入) and 地番 without a number are compared
 * as plain text.
 */
export function splitAddress(s: string): AddressParts {
  let t = s.normalize('NFKC').trim();
  t = t.replace(/^〒?\s*\d{3}-?\d{4}\s*/, ''); // leading postal code
  t = foldKanjiVariants(t);
  // dash look-alikes between digits (and after a digit): ー ‐ ― − － etc. → "-"
  t = t.replace(/(?<=[\d〇一二三四五六七八九十])\s*[\u2010-\u2015\u2212\uff0d\u30fc-]\s*(?=[\d〇一二三四五六七八九十])/g, '-');
  t = t.replace(/[\s\u3000]+/g, '');
  t = convertKanjiNumbers(t);
  // 大字/字 prefixes (not 十字 文字 赤字 …)
  t = t.replace(/大字/g, '').replace(/(?<![十文赤黒数名漢])字(?=.)/g, '');
  // ヶ/ケ/が/ガ/ヵ in place names, ノ/之 → の, ッ/っ → ツ
  t = t.replace(/[ヶケがガヵ]/g, 'ケ').replace(/[ノ之]/g, 'の').replace(/[ッっ]/g, 'ツ');
  // number notation → hyphen form
  t = t
    .replace(/(\d+)(?:丁目|番地|番(?![町丁])|号(?![室棟館]))の?/g, '$1-')
    .replace(/(\d)の(?=\d)/g, '$1-')
    .replace(/-+/g, '-');
  const town = /^(?:[^\d-]|\d+(?:条|線|地割))+/.exec(t)?.[0] ?? '';
  let rest = t.slice(town.length).replace(/^-+/, '');
  const num = /^\d+(?:-\d+)*/.exec(rest)?.[0] ?? '';
  rest = rest.slice(num.length).replace(/^-+/, '');
  const main = num ? `${town}${num}` : town.replace(/-+$/, '');
  return { main, town: town.replace(/-+$/, ''), number: num, katagaki: num ? rest : '' };
}

/**
 * Canonical form of an address for comparison: NFKC (全角 → 半角), 異体字 folded, spaces removed, a leading
 * postal code dropped, 漢数字 in house numbers → digits, 丁目/番地/番/号/の and dash look-alikes → "-"
 * (二丁目3番4号 → 2-3-4, 116番地の2 → 116-2), 大字/字 prefixes removed, ヶ/ケ/が/ガ → ケ, ノ/之 → の, ッ → ツ,
 * and the 方書 (building and room after the house number) split off.  Prefecture and city are kept; they are
 * optional in compareAddresses.
 */
export function normalizeAddress(s: string): string {
  return splitAddress(s).main;
}

const PREFIX_RE = /^(?:北海道|東京都|京都府|大阪府|[^\d-]{2,3}県)?(?:[^\d-]+?郡)?(?:[^\d-]+?市)?(?:[^\d-]+?[区町村])?$/;

/** a and b equal, or one is the other with a leading prefecture/郡/city/ward that the other omits. */
function sameWithOptionalPrefix(a: string, b: string): boolean {
  if (a === b) return true;
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  if ([...short].length < 2 || !long.endsWith(short)) return false;
  const head = long.slice(0, long.length - short.length);
  return head.length > 0 && PREFIX_RE.test(head);
}

export type AddressRelation = 'equal' | 'same-block' | 'same-town' | 'different';

/**
 * Compares two addresses after normalisation: 'equal' (the prefecture and city may be omitted on one side:
 * 尚徳町116 = 鳥取県鳥取市尚徳町１１６番地), 'same-block' (same town and first number: 丁目 or 番地),
 * 'same-town' (same town, other number), else 'different'.  方書 is ignored.
 */
export function compareAddresses(a: string, b: string): AddressRelation {
  const pa = splitAddress(a);
  const pb = splitAddress(b);
  if (!pa.town || !pb.town) return 'different';
  if (!sameWithOptionalPrefix(pa.town, pb.town)) return 'different';
  if (pa.number === pb.number) return 'equal';
  if (pa.number && pb.number && pa.number.split('-')[0] === pb.number.split('-')[0]) return 'same-block';
  return 'same-town';
}

// =================================================================== distances

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits) over code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

function seion(s: string): string {
  return s.normalize('NFD').replace(/[\u3099\u309a]/g, '').normalize('NFC');
}

// =================================================================== matching

export type Sex = 'male' | 'female';

export interface MatchQuery {
  readonly nameKanji?: string | undefined;
  readonly nameKana?: string | undefined;
  /** 'YYYY-MM-DD' */
  readonly birthDate: string;
  readonly sex?: Sex | undefined;
  readonly address?: string | undefined;
}

export interface MatchCandidate {
  readonly atenaNo: string;
  readonly nameKanji: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly address: string;
  readonly status: string;
  readonly householdNo?: string | null | undefined;
}

export interface MatchReason {
  readonly code: string;
  /** Japanese, for staff.  Never repeats a name, address or number of the person. */
  readonly message: string;
}

export interface ScoredCandidate {
  readonly atenaNo: string;
  /** 0–100: 生年月日 30, 性別 10, 氏名 40 (mean of the kana and kanji forms given), 住所 20. */
  readonly score: number;
  readonly reasons: MatchReason[];
}

export type MatchDecision = 'matched' | 'ambiguous' | 'none';

export interface MatchResult {
  readonly decision: MatchDecision;
  /** Only when decision is 'matched'. */
  readonly atenaNo?: string;
  /** Sorted by score (highest first), then 宛名番号. */
  readonly candidates: ScoredCandidate[];
}

export interface MatchOptions {
  /** Allow an automatic link when the query has no address (then name, birth date and sex decide).  Default false. */
  readonly allowMissingAddress?: boolean;
  /** Refuse an automatic link when the query has no sex.  Default false. */
  readonly requireSex?: boolean;
  /** When set, only candidates in one of these statuses can be linked automatically.  Default: any status. */
  readonly linkableStatuses?: readonly string[] | undefined;
  /** A same-birth-date candidate whose kana is within this many edits blocks an automatic link.  Default 2. */
  readonly closeKanaDistance?: number;
  /** Likewise for the kanji name (after 異体字 folding).  Default 1. */
  readonly closeKanjiDistance?: number;
  /** Any other candidate scoring at least this blocks an automatic link.  Default 75. */
  readonly competitorScore?: number;
  /** Below this score no candidate is worth reviewing and the decision is 'none'.  Default 55. */
  readonly reviewMinScore?: number;
  /** Most candidates returned (decisions use all of them).  Default 20. */
  readonly maxCandidates?: number;
}

export const DEFAULT_MATCH_OPTIONS = {
  allowMissingAddress: false,
  requireSex: false,
  linkableStatuses: undefined as readonly string[] | undefined,
  closeKanaDistance: 2,
  closeKanjiDistance: 1,
  competitorScore: 75,
  reviewMinScore: 55,
  maxCandidates: 20,
} as const;

type KanaLevel = 'equal' | 'swapped' | 'near' | 'family' | 'given' | 'different' | 'missing';
type KanjiLevel = 'exact' | 'variant' | 'swapped' | 'near' | 'family' | 'given' | 'different' | 'missing';

interface Assessment {
  c: MatchCandidate;
  score: number;
  reasons: MatchReason[];
  dobEqual: boolean;
  sexOk: boolean;
  kana: KanaLevel;
  kanaDistance: number;
  kanji: KanjiLevel;
  kanjiDistance: number;
  address: AddressRelation | 'missing';
}

interface PreparedQuery {
  kana: string;
  kanaWritten: string;
  kanaParts: string[];
  kanji: string;
  kanjiFolded: string;
  kanjiParts: string[];
  birthDate: string;
  sex: Sex | undefined;
  address: string;
}

const SEX_JA: Record<Sex, string> = { male: '男', female: '女' };

function dobNear(a: string, b: string): 'digit' | 'swap' | null {
  const x = a.replace(/-/g, '');
  const y = b.replace(/-/g, '');
  let diff = 0;
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) diff++;
  if (diff === 1) return 'digit';
  if (a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) return 'swap';
  return null;
}

function partsDiff(qParts: string[], q: string, cParts: string[]): 'family' | 'given' | null {
  if (cParts.length !== 2) return null;
  const [cf, cg] = cParts as [string, string];
  if (qParts.length === 2) {
    if (qParts[0] === cf && qParts[1] !== cg) return 'family';
    if (qParts[1] === cg && qParts[0] !== cf) return 'given';
    return null;
  }
  if (q.startsWith(cf) && !q.endsWith(cg)) return 'family';
  if (q.endsWith(cg) && !q.startsWith(cf)) return 'given';
  return null;
}

function assessKana(q: PreparedQuery, c: MatchCandidate, reasons: MatchReason[]): [KanaLevel, number] {
  if (!q.kana) {
    reasons.push({ code: 'KANA_MISSING', message: 'カナ氏名の指定がありません' });
    return ['missing', Infinity];
  }
  const ck = searchKana(c.nameKana);
  const cParts = kanaParts(c.nameKana).map(searchKana);
  if (q.kana === ck) {
    const written = c.nameKana.replace(/[\s\u3000]/g, '') === q.kanaWritten;
    reasons.push({ code: 'KANA_EQUAL', message: written ? 'カナ氏名が一致します' : 'カナ氏名が検索カナで一致します（半角・ひらがな・小書き文字・長音などの表記差のみ）' });
    return ['equal', 0];
  }
  if (cParts.length === 2 && cParts[0] !== cParts[1] && q.kana === cParts[1]! + cParts[0]!) {
    reasons.push({ code: 'KANA_SWAPPED', message: 'カナ氏名の氏と名が入れ替わっています' });
    return ['swapped', 0];
  }
  const d = editDistance(q.kana, ck);
  const same = partsDiff(q.kanaParts, q.kana, cParts);
  const where = same === 'family' ? '名（カナ）' : same === 'given' ? '氏（カナ）' : 'カナ氏名';
  if (d <= 2) {
    const kind = d === 1 && seion(q.kana) === seion(ck) ? '濁点・半濁点の違い' : `${d}文字違い`;
    reasons.push({ code: 'KANA_NEAR', message: `${where}が近似しています（${kind}）` });
    return ['near', d];
  }
  if (same === 'family') {
    reasons.push({ code: 'KANA_FAMILY_ONLY', message: '氏（カナ）は一致しますが名（カナ）が異なります' });
    return ['family', d];
  }
  if (same === 'given') {
    reasons.push({ code: 'KANA_GIVEN_ONLY', message: '名（カナ）は一致しますが氏（カナ）が異なります' });
    return ['given', d];
  }
  reasons.push({ code: 'KANA_DIFFERENT', message: 'カナ氏名が異なります' });
  return ['different', d];
}

function assessKanji(q: PreparedQuery, c: MatchCandidate, reasons: MatchReason[]): [KanjiLevel, number] {
  if (!q.kanji) {
    reasons.push({ code: 'KANJI_MISSING', message: '漢字氏名の指定がありません' });
    return ['missing', Infinity];
  }
  const ck = kanjiCosmetic(c.nameKanji);
  if (q.kanji === ck) {
    reasons.push({ code: 'KANJI_EQUAL', message: '漢字氏名が一致します' });
    return ['exact', 0];
  }
  const cf = kanjiKey(c.nameKanji);
  if (q.kanjiFolded === cf) {
    reasons.push({ code: 'KANJI_VARIANT', message: '漢字氏名が表記の違い（異体字・旧字体・ひらがな/カタカナ）を除いて一致します' });
    return ['variant', 0];
  }
  const cParts = kanjiParts(c.nameKanji).map(kanjiKey);
  if (cParts.length === 2 && cParts[0] !== cParts[1] && q.kanjiFolded === cParts[1]! + cParts[0]!) {
    reasons.push({ code: 'KANJI_SWAPPED', message: '漢字氏名の氏と名が入れ替わっています' });
    return ['swapped', 0];
  }
  const d = editDistance(q.kanjiFolded, cf);
  const same = partsDiff(q.kanjiParts, q.kanjiFolded, cParts);
  const where = same === 'family' ? '名（漢字）' : same === 'given' ? '氏（漢字）' : '漢字氏名';
  if (d <= 1) {
    reasons.push({ code: 'KANJI_NEAR', message: `${where}が1文字違います` });
    return ['near', d];
  }
  if (same === 'family') {
    reasons.push({ code: 'KANJI_FAMILY_ONLY', message: '氏（漢字）は一致しますが名（漢字）が異なります' });
    return ['family', d];
  }
  if (same === 'given') {
    reasons.push({ code: 'KANJI_GIVEN_ONLY', message: '名（漢字）は一致しますが氏（漢字）が異なります' });
    return ['given', d];
  }
  reasons.push({ code: 'KANJI_DIFFERENT', message: '漢字氏名が異なります' });
  return ['different', d];
}

function kanaSim(level: KanaLevel, distance: number): number {
  const sim: Record<KanaLevel, number> = { equal: 1, swapped: 0.6, near: distance === 1 ? 0.6 : 0.35, family: 0.25, given: 0.15, different: 0, missing: 0 };
  return sim[level];
}
const KANJI_SIM: Record<KanjiLevel, number> = { exact: 1, variant: 0.95, swapped: 0.6, near: 0.5, family: 0.25, given: 0.15, different: 0, missing: 0 };
const ADDRESS_POINTS: Record<AddressRelation | 'missing', number> = { equal: 20, 'same-block': 14, 'same-town': 8, different: 0, missing: 10 };

function assess(q: PreparedQuery, c: MatchCandidate): Assessment {
  const reasons: MatchReason[] = [];
  let score = 0;
  // 生年月日 (30)
  const dobEqual = c.birthDate === q.birthDate;
  if (dobEqual) {
    score += 30;
    reasons.push({ code: 'BIRTH_DATE_EQUAL', message: '生年月日が一致します' });
  } else {
    const near = dobNear(q.birthDate, c.birthDate);
    if (near) {
      score += 10;
      reasons.push({ code: 'BIRTH_DATE_NEAR', message: near === 'digit' ? '生年月日が1桁だけ異なります' : '生年月日の月と日が入れ替わっています' });
    } else reasons.push({ code: 'BIRTH_DATE_DIFFERENT', message: '生年月日が異なります' });
  }
  // 性別 (10)
  let sexOk = true;
  if (!q.sex) {
    score += 5;
    reasons.push({ code: 'SEX_MISSING', message: '性別の指定がありません' });
  } else if (q.sex === c.sex) {
    score += 10;
    reasons.push({ code: 'SEX_EQUAL', message: `性別が一致します（${SEX_JA[c.sex]}）` });
  } else {
    sexOk = false;
    reasons.push({ code: 'SEX_DIFFERENT', message: '性別が異なります' });
  }
  // 氏名 (40): mean of the forms given
  const [kana, kanaDistance] = assessKana(q, c, reasons);
  const [kanji, kanjiDistance] = assessKanji(q, c, reasons);
  const sims: number[] = [];
  if (kana !== 'missing') sims.push(kanaSim(kana, kanaDistance));
  if (kanji !== 'missing') sims.push(KANJI_SIM[kanji]);
  if (sims.length) score += (40 * sims.reduce((a, b) => a + b, 0)) / sims.length;
  // 住所 (20)
  let address: AddressRelation | 'missing' = 'missing';
  if (q.address) {
    address = compareAddresses(q.address, c.address);
    const msg: Record<AddressRelation, string> = {
      equal: '住所が一致します（表記の違いを正規化して比較）',
      'same-block': '住所の町名と丁目（または番地）が一致しますが、以下が異なります',
      'same-town': '住所の町名は一致しますが、番地が異なります',
      different: '住所が異なります',
    };
    reasons.push({ code: `ADDRESS_${address.toUpperCase().replace('-', '_')}`, message: msg[address] });
  } else reasons.push({ code: 'ADDRESS_MISSING', message: '住所の指定がありません' });
  score += ADDRESS_POINTS[address];
  return { c, score: Math.round(score), reasons, dobEqual, sexOk, kana, kanaDistance, kanji, kanjiDistance, address };
}

function prepare(query: MatchQuery): PreparedQuery {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(query.birthDate ?? '')) throw invalidField('birthDate', 'FORMAT', '生年月日はYYYY-MM-DD形式で指定してください');
  const kanaRaw = query.nameKana?.trim() ?? '';
  const kanjiRaw = query.nameKanji?.trim() ?? '';
  const kanji = kanjiCosmetic(kanjiRaw);
  return {
    kana: kanaRaw ? searchKana(kanaRaw) : '',
    kanaWritten: kanaRaw.replace(/[\s\u3000]/g, ''),
    kanaParts: kanaParts(kanaRaw).map(searchKana),
    kanji,
    kanjiFolded: kanjiKey(kanjiRaw),
    kanjiParts: kanjiParts(kanjiRaw).map(kanjiKey),
    birthDate: query.birthDate,
    sex: query.sex,
    address: query.address?.trim() ?? '',
  };
}

/**
 * Links a 4情報 query to at most one candidate.  Never guesses (decision file 0035):
 *
 * A candidate is STRICT when: birth date equal; sex equal (or not given, unless `requireSex`); every name form
 * the query gives is equal — kana after 検索カナ, kanji after 異体字 folding — and at least one is given; the
 * address, when given, is 'equal' after normalisation (when not given, only with `allowMissingAddress`);
 * and its status is linkable.
 *
 * Another candidate is a COMPETITOR when it has the query's birth date and is close in every name form
 * given (kana equal, swapped or within `closeKanaDistance` edits; kanji equal after folding, swapped or
 * within `closeKanjiDistance`) — whatever its sex or address — or when it scores ≥ `competitorScore`.
 *
 * 'matched' ⇔ exactly one candidate is strict and it has no competitor.  Otherwise 'ambiguous' (review
 * queue) when some candidate scores ≥ `reviewMinScore`, else 'none'.
 */
export function matchFourInfo(query: MatchQuery, candidates: readonly MatchCandidate[], opts: MatchOptions = {}): MatchResult {
  const o = { ...DEFAULT_MATCH_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) Object.assign(o, { [k]: v });
  const q = prepare(query);
  const seen = new Set<string>();
  const all: Assessment[] = [];
  for (const c of candidates) {
    if (seen.has(c.atenaNo)) continue; // the same person fetched by birth date and by kana
    seen.add(c.atenaNo);
    all.push(assess(q, c));
  }
  const hasName = !!q.kana || !!q.kanji;
  const strictOf = (a: Assessment): boolean =>
    hasName &&
    a.dobEqual &&
    (q.sex ? a.sexOk : !o.requireSex) &&
    (a.kana === 'missing' || a.kana === 'equal') &&
    (a.kanji === 'missing' || a.kanji === 'exact' || a.kanji === 'variant') &&
    (q.address ? a.address === 'equal' : o.allowMissingAddress) &&
    (!o.linkableStatuses || o.linkableStatuses.includes(a.c.status));
  const close = (a: Assessment): boolean =>
    hasName &&
    a.dobEqual &&
    (a.kana === 'missing' || a.kana === 'equal' || a.kana === 'swapped' || (a.kana === 'near' && a.kanaDistance <= o.closeKanaDistance)) &&
    (a.kanji === 'missing' || a.kanji === 'exact' || a.kanji === 'variant' || a.kanji === 'swapped' || (a.kanji === 'near' && a.kanjiDistance <= o.closeKanjiDistance));

  const strict = all.filter(strictOf);
  let decision: MatchDecision;
  let linked: Assessment | undefined;
  if (strict.length === 1) {
    const s = strict[0]!;
    const competitors = all.filter((a) => a !== s && (close(a) || a.score >= o.competitorScore));
    if (competitors.length === 0) {
      decision = 'matched';
      linked = s;
      s.reasons.push({ code: 'AUTO_LINK', message: '自動紐付けの条件（生年月日・性別・氏名・住所の一致、近い候補なし）を満たします' });
    } else {
      decision = 'ambiguous';
      const twin = competitors.some((a) => a.dobEqual && s.c.householdNo && a.c.householdNo === s.c.householdNo);
      s.reasons.push({
        code: 'BLOCKED_BY_COMPETITOR',
        message: `条件は満たしますが、近い別の候補があるため自動紐付けしません（宛名番号 ${competitors.map((a) => a.c.atenaNo).join('、')}${twin ? '。同一世帯に生年月日が同じ者がいます（双子等）' : ''}）`,
      });
      for (const a of competitors) a.reasons.push({ code: 'COMPETITOR', message: '自動紐付けの条件を満たす候補に近いため、確認が必要です' });
    }
  } else {
    if (strict.length > 1) {
      for (const s of strict) s.reasons.push({ code: 'MULTIPLE_STRICT', message: `自動紐付けの条件を満たす候補が${strict.length}件あります（同姓同名・同じ生年月日）` });
    } else {
      for (const a of all) {
        if (!a.dobEqual || !hasName) continue;
        const notLinkable = o.linkableStatuses && !o.linkableStatuses.includes(a.c.status);
        if (notLinkable && a.score >= o.reviewMinScore) a.reasons.push({ code: 'STATUS_NOT_LINKABLE', message: 'この候補の状態では自動紐付けしません' });
      }
    }
    decision = all.some((a) => a.score >= o.reviewMinScore) ? 'ambiguous' : 'none';
  }
  const sorted = [...all].sort((a, b) => b.score - a.score || (a.c.atenaNo < b.c.atenaNo ? -1 : a.c.atenaNo > b.c.atenaNo ? 1 : 0));
  const out = sorted.slice(0, o.maxCandidates).map((a) => ({ atenaNo: a.c.atenaNo, score: a.score, reasons: a.reasons }));
  return linked ? { decision, atenaNo: linked.c.atenaNo, candidates: out } : { decision, candidates: out };
}
