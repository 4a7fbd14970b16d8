// Synthetic document items (tests, the bench, demos): made-up people of a made-up street in 鳥取市 with
// plausible names, kana, addresses, children's programs and voucher numbers.  Deterministic per seed.
// Nothing here is a real person; no My Number is ever generated for a document.
import { addDays, fiscalYearEnd, fiscalYearOf, reachAge } from '../../kernel/jp/index.js';
import { seededRng } from '../../kernel/random/index.js';
import type { DocumentItem, MunicipalityInfo } from './types.js';
import { makeVoucherNumber } from './voucher.js';

export const SAMPLE_MUNICIPALITY: MunicipalityInfo = {
  code: '312011',
  name: '鳥取市',
  head: '鳥取市長',
  department: '保健所 健康・子育て推進課',
  postalCode: '680-8571',
  address: '鳥取県鳥取市幸町71番地',
  phone: '0857-00-0000',
};

const SURNAMES: readonly (readonly [string, string])[] = [
  ['佐藤', 'サトウ'], ['鈴木', 'スズキ'], ['高橋', 'タカハシ'], ['田中', 'タナカ'], ['伊藤', 'イトウ'], ['渡辺', 'ワタナベ'],
  ['山本', 'ヤマモト'], ['中村', 'ナカムラ'], ['小林', 'コバヤシ'], ['加藤', 'カトウ'], ['吉田', 'ヨシダ'], ['山田', 'ヤマダ'],
  ['松本', 'マツモト'], ['井上', 'イノウエ'], ['木村', 'キムラ'], ['林', 'ハヤシ'], ['清水', 'シミズ'], ['山崎', 'ヤマサキ'],
  ['森', 'モリ'], ['池田', 'イケダ'], ['橋本', 'ハシモト'], ['石川', 'イシカワ'], ['前田', 'マエダ'], ['藤田', 'フジタ'],
  ['岡田', 'オカダ'], ['長谷川', 'ハセガワ'], ['村上', 'ムラカミ'], ['近藤', 'コンドウ'], ['坂本', 'サカモト'], ['遠藤', 'エンドウ'],
  ['谷口', 'タニグチ'], ['河野', 'コウノ'], ['髙橋', 'タカハシ'], ['齋藤', 'サイトウ'], ['渡邊', 'ワタナベ'], ['濵田', 'ハマダ'],
];
const GIVEN: readonly (readonly [string, string, 'male' | 'female'])[] = [
  ['蓮', 'レン', 'male'], ['陽翔', 'ハルト', 'male'], ['湊', 'ミナト', 'male'], ['蒼', 'アオイ', 'male'], ['樹', 'イツキ', 'male'],
  ['悠真', 'ユウマ', 'male'], ['大翔', 'ヒロト', 'male'], ['朝陽', 'アサヒ', 'male'], ['律', 'リツ', 'male'], ['颯真', 'ソウマ', 'male'],
  ['陽葵', 'ヒマリ', 'female'], ['凛', 'リン', 'female'], ['詩', 'ウタ', 'female'], ['結菜', 'ユイナ', 'female'], ['芽依', 'メイ', 'female'],
  ['紬', 'ツムギ', 'female'], ['澪', 'ミオ', 'female'], ['咲良', 'サクラ', 'female'], ['葵', 'アオイ', 'female'], ['陽菜', 'ヒナ', 'female'],
];
const PARENTS: readonly string[] = ['太郎', '健一', '大輔', '翔太', '拓也', '美咲', '愛', '彩', '恵', '由美'];
const TOWNS: readonly (readonly [string, string])[] = [
  ['680-0011', '東町'], ['680-0022', '西町'], ['680-0031', '本町'], ['680-0845', '富安'], ['680-0841', '吉方温泉'],
  ['680-0061', '立川町'], ['680-0942', '湖山町東'], ['689-1101', '河原町渡一木'], ['680-0822', '今町'], ['680-0806', '行徳'],
];
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export interface SyntheticItemsOptions {
  /** The voucher numbers' fiscal year and the programs' periods are those of this date (default 2026-11-21). */
  readonly asOf?: string;
  readonly seed?: string;
  /** First voucher serial (default 1). */
  readonly firstSerial?: number;
}

/**
 * `n` children due for 麻しん風しん混合（MR）第2期 (the year before primary school) and similar programs,
 * with guardians, 送付先, voucher numbers of SAMPLE_MUNICIPALITY and synthetic encrypted 整理番号 tokens.
 */
export function syntheticDocumentItems(n: number, opts: SyntheticItemsOptions = {}): DocumentItem[] {
  const asOf = opts.asOf ?? '2026-11-21';
  const fy = fiscalYearOf(asOf);
  const rng = seededRng(`documents/${opts.seed ?? 'items'}`);
  const out: DocumentItem[] = [];
  for (let i = 0; i < n; i++) {
    const program = rng.weighted<number>([[0, 6], [1, 2], [2, 2]]);
    const [sur, surKana] = rng.pick(SURNAMES);
    const [given, givenKana, sex] = rng.pick(program === 2 ? GIVEN.filter((g) => g[2] === 'female') : GIVEN);
    const [zip, town] = rng.pick(TOWNS);
    // MR 第2期: the year before primary school (born 2020-04-02 … 2021-04-01 for FY2026); DT 第2期: 11 and
    // 12; HPV: 小学6年 (12 in the fiscal year).
    const birthFrom = program === 0 ? `${fy - 6}-04-02` : program === 1 ? `${fy - 12}-04-02` : `${fy - 13}-04-02`;
    const birthDate = addDays(birthFrom, rng.int(0, 364));
    const address = `鳥取県鳥取市${town}${rng.int(1, 5)}丁目${rng.int(1, 30)}番${rng.int(1, 20)}号`;
    const apartment = rng.chance(0.25) ? `コーポ${rng.pick(['さくら', 'ひまわり', 'あおば', '湖山'])}${rng.int(1, 3)}0${rng.int(1, 8)}号室` : undefined;
    const guardian = `${sur}　${rng.pick(PARENTS)}`;
    const token = Array.from({ length: 16 }, () => ALNUM[rng.int(0, ALNUM.length - 1)]).join('').replace(/(.{4})(?=.)/g, '$1-');
    const programs = [
      { name: '麻しん風しん混合（MR）', dose: '第2期', period: { from: `${fy}-04-01`, until: fiscalYearEnd(fy) } },
      { name: '二種混合（DT）', dose: '第2期', period: { from: reachAge(birthDate, 11), until: addDays(reachAge(birthDate, 13), -1) } },
      { name: 'ヒトパピローマウイルス感染症（HPV）', dose: '1回目', period: { from: `${fy}-04-01`, until: fiscalYearEnd(fy) } },
    ];
    out.push({
      person: {
        name: `${sur}　${given}`,
        kana: `${surKana}　${givenKana}`,
        birthDate,
        sex,
        postalCode: zip,
        address: apartment ? `${address}　${apartment}` : address,
      },
      mailTo: { postalCode: zip, address, ...(apartment ? { addressLine2: apartment } : {}), name: `${guardian}` },
      guardianName: guardian,
      program: programs[program]!,
      voucherNumber: makeVoucherNumber({ orgCode: SAMPLE_MUNICIPALITY.code, fiscalYear: fy, serial: (opts.firstSerial ?? 1) + i }),
      referenceNumber: token,
    });
  }
  return out;
}
