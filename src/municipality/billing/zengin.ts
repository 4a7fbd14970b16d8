// The 全銀協 総合振込 file (docs/formats/zengin-transfer.md; decision 0150): 120-byte fixed records — header
// (1), one data record per payee — institution or person — (2), trailer (8), end (9) — in Shift_JIS, CRLF between records.  Text fields
// hold 全銀 characters only: 半角 digits, upper-case letters, 半角カナ (no small kana), ﾞ ﾟ, space and
// ( ) - . / , ｢ ｣ \.  `zenginKana` converts what people type (全角カナ, ひらがな, 全角英数, small kana,
// lower case) into that set and names what cannot be converted.
import iconv from 'iconv-lite';

const FULL = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン';
const HALF = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ';
const SMALL: Record<string, string> = {
  ァ: 'ア', ィ: 'イ', ゥ: 'ウ', ェ: 'エ', ォ: 'オ', ッ: 'ツ', ャ: 'ヤ', ュ: 'ユ', ョ: 'ヨ', ヮ: 'ワ', ヵ: 'カ', ヶ: 'ケ',
  ｧ: 'ｱ', ｨ: 'ｲ', ｩ: 'ｳ', ｪ: 'ｴ', ｫ: 'ｵ', ｯ: 'ﾂ', ｬ: 'ﾔ', ｭ: 'ﾕ', ｮ: 'ﾖ',
};
const SYMBOLS: Record<string, string> = { 'ー': '-', '－': '-', '‐': '-', '−': '-', 'ｰ': '-', '・': '.', '･': '.', '「': '｢', '」': '｣', '　': ' ', '￥': '\\', '¥': '\\' };
const ALLOWED = /^[0-9A-Z ()\-./,｢｣\\ｦｱ-ﾝﾞﾟ]$/u;

export interface KanaResult {
  /** The text in 全銀 characters (what could be converted). */
  readonly text: string;
  /** The characters that have no 全銀 form (kanji, symbols …), each once. */
  readonly invalid: readonly string[];
}

/** Converts to 全銀 characters: 全角カナ/ひらがな → 半角カナ, 全角英数 → 半角, small kana → large, lower → upper case. */
export function zenginKana(input: string): KanaResult {
  let s = '';
  for (const ch0 of input.trim()) {
    let ch = SYMBOLS[ch0] ?? ch0;
    // ひらがな → カタカナ
    if (ch >= '\u3041' && ch <= '\u3096') ch = String.fromCharCode(ch.charCodeAt(0) + 0x60);
    ch = SMALL[ch] ?? ch;
    // 全角英数・記号 → 半角
    if (ch >= '\uff01' && ch <= '\uff5e') ch = String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    s += ch;
  }
  s = s.toUpperCase();
  let out = '';
  for (const ch of s.normalize('NFD')) {
    if (ch === '\u3099') out += 'ﾞ';
    else if (ch === '\u309a') out += 'ﾟ';
    else if (ch === 'ヴ') out += 'ｳﾞ';
    else {
      const i = FULL.indexOf(ch);
      out += i >= 0 ? HALF[i]! : ch;
    }
  }
  // NFD leaves 半角 voiced marks alone; a standalone combining mark that followed nothing convertible stays invalid.
  const invalid = [...new Set([...out].filter((c) => !ALLOWED.test(c)))];
  return { text: out, invalid };
}

/** True when every character is a 全銀 character. */
export function isZenginText(s: string): boolean {
  return [...s].every((c) => ALLOWED.test(c));
}

export const ACCOUNT_TYPES: Record<string, string> = { '1': '普通', '2': '当座', '4': '貯蓄' };

/** An account in the file: codes in digits, names in 全銀 kana ('' when not known). */
export interface ZenginAccount {
  readonly bankCode: string;
  readonly bankKana: string;
  readonly branchCode: string;
  readonly branchKana: string;
  readonly accountType: string;
  readonly accountNo: string;
}

export interface ZenginRequester extends ZenginAccount {
  /** 委託者コード (10 digits, given by the bank). */
  readonly code: string;
  readonly kana: string;
}

export interface ZenginTransfer extends ZenginAccount {
  readonly holderKana: string;
  readonly amount: number;
  /** 顧客コード1: the 医療機関コード, or a person's 申請番号 (10 digits). */
  readonly customerCode: string;
}

const RECORD = 120;

/** Left-aligned, space-padded to `n` bytes in Shift_JIS (全銀 characters are one byte each). */
function text(s: string, n: number): string {
  if (!isZenginText(s)) throw new Error(`non-全銀 characters in a file field: ${JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'))}`);
  return s.slice(0, n).padEnd(n, ' ');
}

/** Right-aligned, zero-padded digits. */
function num(v: number | string, n: number): string {
  const s = String(v);
  if (!/^\d+$/.test(s) || s.length > n) throw new Error(`numeric field out of range (${n} digits)`);
  return s.padStart(n, '0');
}

function check(rec: string): string {
  if (rec.length !== RECORD) throw new Error(`a 全銀 record must be ${RECORD} characters, got ${rec.length}`);
  return rec;
}

/**
 * The file: header, one data record per transfer, trailer, end; Shift_JIS, CRLF after every record.
 * `transferDate` is YYYY-MM-DD (取組日 MMDD).  The caller has validated every field (validateZengin*).
 */
export function zenginFile(requester: ZenginRequester, transferDate: string, transfers: readonly ZenginTransfer[]): Buffer {
  const mmdd = transferDate.slice(5, 7) + transferDate.slice(8, 10);
  const header = check(
    '1' + '21' + '0' + num(requester.code, 10) + text(requester.kana, 40) + num(mmdd, 4) + num(requester.bankCode, 4) + text(requester.bankKana, 15) + num(requester.branchCode, 3) + text(requester.branchKana, 15) + requester.accountType + num(requester.accountNo, 7) + ' '.repeat(17),
  );
  const data = transfers.map((t) =>
    check(
      '2' + num(t.bankCode, 4) + text(t.bankKana, 15) + num(t.branchCode, 3) + text(t.branchKana, 15) + ' '.repeat(4) + t.accountType + num(t.accountNo, 7) + text(t.holderKana, 30) + num(t.amount, 10) + '0' + num(t.customerCode, 10) + ' '.repeat(10) + '7' + ' ' + ' '.repeat(7),
    ),
  );
  const total = transfers.reduce((s, t) => s + t.amount, 0);
  const trailer = check('8' + num(transfers.length, 6) + num(total, 12) + ' '.repeat(101));
  const end = check('9' + ' '.repeat(119));
  const body = [header, ...data, trailer, end].map((r) => r + '\r\n').join('');
  const buf = iconv.encode(body, 'Shift_JIS');
  if (buf.length !== (transfers.length + 3) * (RECORD + 2)) throw new Error('the 全銀 file has a record that is not 120 bytes');
  return buf;
}
