// GS1 element strings from a scanned vaccine vial or box (医療用医薬品の新バーコード, GS1 DataBar / GS1-128 /
// GS1 DataMatrix): AI (01) GTIN-14, (17) expiry YYMMDD, (10) lot, (21) serial.  Accepts the human-readable
// form "(01)04987…(17)271231(10)AB12", and the raw scanner form with FNC1 as GS (U+001D) or the symbology
// prefix "]d2"/"]C1"/"]e0".
export interface Gs1Fields {
  readonly gtin: string | null;
  readonly expiry: string | null;
  readonly lot: string | null;
  readonly serial: string | null;
}

export type Gs1Result = { ok: true; value: Gs1Fields } | { ok: false; message: string };

const FIXED: Record<string, number> = { '01': 14, '17': 6, '11': 6, '15': 6 };
const VARIABLE = new Set(['10', '21']);

export function gtinCheckDigit(first13: string): number {
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(first13[12 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

export function isValidGtin14(g: string): boolean {
  return /^\d{14}$/.test(g) && gtinCheckDigit(g.slice(0, 13)) === Number(g[13]);
}

/** GS1 expiry YYMMDD → YYYY-MM-DD; DD 00 means the last day of the month (GS1 General Specifications 3.4.7). */
function expiryDate(yymmdd: string): string | null {
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  let dd = Number(yymmdd.slice(4, 6));
  if (mm < 1 || mm > 12) return null;
  const year = 2000 + yy; // vaccine expiry dates are 2000–2099
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd === 0) dd = last;
  if (dd > last) return null;
  return `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}

export function parseGs1(input: string): Gs1Result {
  // A scanner may send the symbology identifier and, after it, the FNC1 of the first position as a GS.
  let s = input.normalize('NFKC').trim().replace(/^\](?:d2|C1|e0|Q3)/, '');
  while (s.startsWith('\u001d')) s = s.slice(1);
  if (!s) return { ok: false, message: 'バーコードの内容が空です' };
  const out: { gtin: string | null; expiry: string | null; lot: string | null; serial: string | null } = { gtin: null, expiry: null, lot: null, serial: null };
  const human = s.startsWith('(');
  if (human) {
    const parts = [...s.matchAll(/\((\d{2,4})\)([^(]*)/g)];
    if (parts.map((p) => p[0]).join('') !== s) return { ok: false, message: 'GS1 の表記（(01)…(17)…(10)…）として読めません' };
    for (const [, ai, value] of parts) {
      const r = put(out, ai!, value!);
      if (r) return { ok: false, message: r };
    }
  } else {
    while (s.length) {
      const ai = s.slice(0, 2);
      s = s.slice(2);
      let value: string;
      if (FIXED[ai] !== undefined) {
        value = s.slice(0, FIXED[ai]);
        s = s.slice(FIXED[ai]);
      } else if (VARIABLE.has(ai)) {
        const end = s.indexOf('\u001d');
        value = end < 0 ? s : s.slice(0, end);
        s = end < 0 ? '' : s.slice(end + 1);
      } else return { ok: false, message: `対応していない GS1 アプリケーション識別子です（${ai}）` };
      const r = put(out, ai, value);
      if (r) return { ok: false, message: r };
      if (s.startsWith('\u001d')) s = s.slice(1);
    }
  }
  if (!out.gtin) return { ok: false, message: 'GTIN（AI 01）がありません' };
  return { ok: true, value: out };
}

function put(out: { gtin: string | null; expiry: string | null; lot: string | null; serial: string | null }, ai: string, value: string): string | null {
  switch (ai) {
    case '01':
      if (!isValidGtin14(value)) return 'GTIN（AI 01）の桁数またはチェックデジットが正しくありません';
      out.gtin = value;
      return null;
    case '17': {
      const d = /^\d{6}$/.test(value) ? expiryDate(value) : null;
      if (!d) return '有効期限（AI 17）が正しくありません';
      out.expiry = d;
      return null;
    }
    case '10':
      if (!/^[\x21-\x7e]{1,20}$/.test(value)) return 'ロット番号（AI 10）が正しくありません';
      out.lot = value;
      return null;
    case '21':
      if (!/^[\x21-\x7e]{1,20}$/.test(value)) return 'シリアル番号（AI 21）が正しくありません';
      out.serial = value;
      return null;
    case '11':
    case '15':
      return null;
    default:
      return `対応していない GS1 アプリケーション識別子です（${ai}）`;
  }
}
