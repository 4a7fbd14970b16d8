// The header rows of the two layouts (docs/formats/residents-csv.md).  The layouts belong to
// municipality/residents (format.ts); that room has no public face yet, so the column names are repeated
// here and a test pins them to format.ts's FULL_COLUMNS / DIFF_COLUMNS.
export const PERSON_HEADER = [
  '宛名番号', '住民票コード', '個人番号', '氏名', '氏名カナ', '生年月日', '性別', '郵便番号', '住所', '方書', '地区コード',
  '世帯番号', '続柄', '世帯主氏名', '住民種別', '外国人本名', '通称', 'アルファベット氏名', '氏名利用区分', '国籍', '在留資格',
  '在留期間満了日', '住民となった日', '住民でなくなった日', '消除事由', '最新異動区分', '最新異動日', '最新届出日', '転入前住所',
  '転出先住所', '支援措置', '閲覧制限', '送付先氏名', '送付先郵便番号', '送付先住所', '送付先方書',
] as const;

export const MOVEMENT_HEADER = ['異動ID', '異動区分', '異動日', '届出日', ...PERSON_HEADER] as const;

/** 異動区分 names (docs/formats/residents-csv.md), for summaries. */
export const MOVEMENT_NAMES: Readonly<Record<string, string>> = {
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
};
