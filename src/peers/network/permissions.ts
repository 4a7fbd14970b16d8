// The 照会許可用照合リスト as data (XCH-08, XCH-19, decision 0136): which 事務 of which kind of body may
// ask which kind of body for which item, on which legal basis, from when until when.  The network node
// loads these entries into peers_network.permissions at start (idempotently); the table is what the
// inquiry check reads and what `permissions.list` distributes to the 中間サーバー.
//
// Sources: seed 000 (番号法第19条第8号 別表第二 16の2・17・18・19の項, 115の2 from seed 002's change
// history) and seed 002 (番号法第19条第8号に基づく主務省令第2条の表 25・26・27・28・29・153・154の項).
// The 2024 amendment of the My Number Act moved 別表第二 into the 主務省令 on 2024-05-27 (seed 002's
// 変更履歴 calls it 「法改正に伴う形式的な変更」; seed 004's 使用開始日 令和6年5月27日); the 別表第二 entries
// end the day before.  The mapping 16の2→25, 17→27, 18→28, 19→29, 115の2→153 follows the order in seed
// 002; 26 and 154 are provision-only (to 都道府県知事 and 厚生労働大臣).  The item of each 項 is abridged
// to what a 予防接種 system asks for; the wording of the 主務省令 itself should be checked before use in
// production (decision 0136).

export type BodyKind = 'municipality' | 'prefecture' | 'ministry';

export interface PermissionEntry {
  readonly id: string;
  readonly jimu: string;
  readonly jimuName: string;
  readonly requesterKind: BodyKind;
  readonly providerKind: BodyKind;
  readonly item: string;
  readonly itemName: string;
  readonly legalBasis: string;
  /** ISO dates (JST business dates), inclusive; validTo null = open-ended. */
  readonly validFrom: string;
  readonly validTo: string | null;
}

export const JIMU_NAMES: Readonly<Record<string, string>> = {
  vaccination: '予防接種法による予防接種の実施に関する事務',
  'vaccination-prefecture': '予防接種法による予防接種の実施に関する事務（都道府県知事が行うもの）',
  'relief-illness': '予防接種法による給付（同法第十五条第一項の疾病に係るものに限る。）の支給に関する事務',
  'relief-or-fee': '予防接種法による給付の支給又は実費の徴収に関する事務',
  'relief-disability': '予防接種法による給付（同法第十五条第一項の障害に係るものに限る。）の支給に関する事務',
  'relief-ministry': '予防接種法による給付の支給に関する事務（厚生労働大臣が行うもの）',
  'pandemic-vaccination': '新型インフルエンザ等対策特別措置法による予防接種の実施に関する事務',
  'vaccination-subsidy': '予防接種に要する費用の助成（償還払い）に関する事務（条例で定める事務）',
  'qualification-licence': '医師法等による免許（資格の登録）に関する事務（厚生労働大臣が行うもの）',
};

export const ITEM_NAMES: Readonly<Record<string, string>> = {
  'vaccination-history': '予防接種の実施に関する情報',
  'resident-tax': '地方税関係情報',
  'livelihood-protection': '生活保護関係情報',
  'public-funds-account': '公金受取口座情報',
  'koseki-info': '戸籍関係情報',
};

/** 特定個人情報の項目 of the 公金受取口座 (decision 0163) and the 事務 of the municipality's subsidy. */
export const PUBLIC_FUNDS_ACCOUNT_ITEM = 'public-funds-account';
export const VACCINATION_SUBSIDY_JIMU = 'vaccination-subsidy';
/** 公金受取口座登録法（令和3年法律第38号）: the provision of registered accounts to 行政機関の長等 (第10条) applies from here. */
export const KOUKIN_ACT_FROM = '2022-10-11';

/**
 * 戸籍関係情報 (番号法第9条第3項・第45条の2: 法務大臣 prepares it from the 戸籍副本) asked by 厚生労働大臣 for
 * the 免許 of the qualifications of seed 004 (decisions 0184, 0185).
 */
export const KOSEKI_INFO_ITEM = 'koseki-info';
export const QUALIFICATION_LICENCE_JIMU = 'qualification-licence';

/** 番号法改正（別表第二 → 主務省令第2条の表）の施行日. */
export const MINISTERIAL_ORDINANCE_FROM = '2024-05-27';
/** The last day of 別表第二. */
export const APPENDED_TABLE_2_UNTIL = '2024-05-26';
/** 情報提供ネットワークシステムによる情報連携の本格運用開始 (the earliest date an 別表第二 entry applies here). */
export const APPENDED_TABLE_2_FROM = '2017-11-13';

function entry(id: string, jimu: string, item: string, legalBasis: string, validFrom: string, validTo: string | null, requesterKind: BodyKind = 'municipality', providerKind: BodyKind = 'municipality'): PermissionEntry {
  const jimuName = JIMU_NAMES[jimu];
  const itemName = ITEM_NAMES[item];
  if (!jimuName || !itemName) throw new Error(`permission ${id}: unknown jimu or item`);
  return { id, jimu, jimuName, requesterKind, providerKind, item, itemName, legalBasis, validFrom, validTo };
}

const MO = (n: string) => `番号法第19条第8号 主務省令第2条の表 ${n}の項`;
const B2 = (n: string) => `番号法第19条第8号 別表第二 ${n}の項`;
const KOUKIN = (what: string) => `公金受取口座登録法第10条・番号法第19条第8号（${what}）`;
// 要確認: the 項 of the 主務省令第2条の表 for 厚生労働大臣's 免許 事務 asking 法務大臣 for 戸籍関係情報 could not be
// verified here; the entry names the table without the 項 (decision 0185).
const KOSEKI = `番号法第19条第8号 主務省令第2条の表（厚生労働大臣が行う医師法等による免許に関する事務・法務大臣が提供する戸籍関係情報）［項番号は要確認］`;
const F = MINISTERIAL_ORDINANCE_FROM;
const B2F = APPENDED_TABLE_2_FROM;
const B2T = APPENDED_TABLE_2_UNTIL;

export const PERMISSION_ENTRIES: readonly PermissionEntry[] = [
  // 主務省令第2条の表 (seed 002), from 2024-05-27.
  entry('mo-25-vaccination-history', 'vaccination', 'vaccination-history', MO('25'), F, null),
  entry('mo-26-vaccination-history', 'vaccination-prefecture', 'vaccination-history', MO('26'), F, null, 'prefecture'),
  entry('mo-27-vaccination-history', 'relief-illness', 'vaccination-history', MO('27'), F, null),
  entry('mo-28-resident-tax', 'relief-or-fee', 'resident-tax', MO('28'), F, null),
  entry('mo-28-livelihood-protection', 'relief-or-fee', 'livelihood-protection', MO('28'), F, null),
  entry('mo-29-vaccination-history', 'relief-disability', 'vaccination-history', MO('29'), F, null),
  entry('mo-153-vaccination-history', 'pandemic-vaccination', 'vaccination-history', MO('153'), F, null),
  entry('mo-154-vaccination-history', 'relief-ministry', 'vaccination-history', MO('154'), F, null, 'ministry'),
  // 公金受取口座情報 from the 内閣総理大臣 (デジタル庁, 公金受取口座登録システム; decision 0163): the 給付 of the
  // 予防接種法 (健康被害救済) and the municipality's own subsidy (償還払い).  The legal basis is abridged: the
  // exact 項 of the 主務省令 (and, for the subsidy, the 条例 under 番号法第9条第2項) must be checked before use.
  entry('koukin-relief-or-fee', 'relief-or-fee', 'public-funds-account', KOUKIN('予防接種法による給付の支給'), KOUKIN_ACT_FROM, null, 'municipality', 'ministry'),
  entry('koukin-vaccination-subsidy', 'vaccination-subsidy', 'public-funds-account', KOUKIN('予防接種費用の助成（条例・番号法第19条第9号）'), KOUKIN_ACT_FROM, null, 'municipality', 'ministry'),
  // 戸籍関係情報 from 法務大臣 (戸籍情報連携システム, node koseki) to 厚生労働大臣 (国家資格等情報連携・活用システム, node
  // registry), from the 主務省令 and the registry's 使用開始日 (seed 004: 令和6年5月27日).  Inquiry-only for the registry.
  entry('koseki-qualification-licence', 'qualification-licence', 'koseki-info', KOSEKI, F, null, 'ministry', 'ministry'),
  // 別表第二 (seed 000; 115の2 from seed 002), until 2024-05-26.
  entry('b2-16-2-vaccination-history', 'vaccination', 'vaccination-history', B2('16の2'), B2F, B2T),
  entry('b2-17-vaccination-history', 'relief-illness', 'vaccination-history', B2('17'), B2F, B2T),
  entry('b2-18-resident-tax', 'relief-or-fee', 'resident-tax', B2('18'), B2F, B2T),
  entry('b2-18-livelihood-protection', 'relief-or-fee', 'livelihood-protection', B2('18'), B2F, B2T),
  entry('b2-19-vaccination-history', 'relief-disability', 'vaccination-history', B2('19'), B2F, B2T),
  entry('b2-115-2-vaccination-history', 'pandemic-vaccination', 'vaccination-history', B2('115の2'), B2F, B2T),
];
