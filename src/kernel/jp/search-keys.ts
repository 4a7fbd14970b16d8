// Moved from peers/jlis (decision 0180): the registry compares its register with 住基 answers by the same keys.
// Search keys of the 4情報 (RES-12 rules, applied by the 全国サーバ to its own data): two spellings that
// differ only in character width (全角/半角), spacing or kana script (ひらがな/カタカナ, 半角カナ) give the same
// key; anything else (異体字, readings, 丁目/番地 spellings) is not guessed — a 4情報 query is an exact query.
//
//   name / kana: NFKC (全角英数 → 半角, 半角カナ → 全角, カ+゛ → ガ), ひらがな → カタカナ, Latin upper-cased,
//                every space (ASCII, U+3000) and the middle dot ・ removed;
//   address:     NFKC, spaces removed, dash look-alikes (‐ – — ― − ー ｰ) between digits → '-'.

function base(s: string): string {
  return s
    .replace(/[\u309b\uff9e]/g, '\u3099')
    .replace(/[\u309c\uff9f]/g, '\u309a')
    .normalize('NFKC')
    .replace(/[\s\u3000]+/g, '');
}

function toKatakana(s: string): string {
  return s.replace(/[\u3041-\u3096\u309d\u309e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

export function nameKey(s: string): string {
  return toKatakana(base(s)).replace(/[・･]/g, '').toUpperCase();
}

export function addressKey(s: string): string {
  return base(s)
    .replace(/(?<=[0-9])[\u2010-\u2015\u2212\u30fc\uff70-](?=[0-9])/g, '-')
    .toUpperCase();
}
