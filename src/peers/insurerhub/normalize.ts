// The form in which basic-info items are compared by the mis-link check (PMH-07, decision 0145): two
// spellings that differ only in character width (全角/半角, 半角カナ), spacing or kana script (ひらがな/カタカナ)
// are the same item; anything else (異体字, readings, 丁目/番地 spellings) is a difference.
//
//   NFKC (全角英数 → 半角, 半角カナ → 全角, カ+゛ → ガ), every space (ASCII, U+3000, …) removed,
//   ひらがな → カタカナ.
// The same rule applies to all five items (dateOfBirth and sex are validated codes, so it changes nothing there).

export function normaliseBasic(s: string): string {
  return s
    .replace(/[\u309b\uff9e]/g, '\u3099')
    .replace(/[\u309c\uff9f]/g, '\u309a')
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[\u3041-\u3096\u309d\u309e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}
