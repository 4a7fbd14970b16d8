// 4情報 matching (RES-12, issue 3 point 4; docs/decisions/0035 and 0036): the normalisers, the decision rule
// on hand-made cases, and a perturbation test on a synthetic population that must produce ZERO wrong
// automatic links while reporting recall and queue rate.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../src/kernel/random/index.js';
import { isProblem } from '../../../src/kernel/problems/index.js';
import {
  compareAddresses,
  DEFAULT_MATCH_OPTIONS,
  editDistance,
  foldKanjiVariants,
  matchFourInfo,
  normalizeAddress,
  searchKana,
  splitAddress,
  type MatchCandidate,
  type MatchOptions,
  type MatchQuery,
  type MatchResult,
} from '../../../src/municipality/residents/matching.js';
import { KANJI_VARIANT_GROUPS, KANJI_VARIANTS } from '../../../src/municipality/residents/matching-variants.js';
import { fetchCandidates, generatePopulation, kansuji, LINKABLE_PERTURBATIONS, perturb, pickPerturbations, REVIEW_PERTURBATIONS, toHalfWidthKana, type Perturbation, type Person } from './matching-population.js';

// ------------------------------------------------------------------ 検索カナ

describe('searchKana (検索カナ)', () => {
  it.each([
    // 全角/半角, hiragana, spaces
    ['ﾄｯﾄﾘ ﾊﾅｺ', 'トツトリハナコ'],
    ['とっとり　はなこ', 'トツトリハナコ'],
    ['トットリ　ハナコ', 'トツトリハナコ'],
    ['トットリハナコ', 'トツトリハナコ'],
    ['  トットリ   ハナコ ', 'トツトリハナコ'],
    ['ｶﾞｸ', 'ガク'],
    ['ﾊﾟﾝ', 'パン'],
    ['カ゛ク', 'ガク'], // separate voicing mark
    ['か\u3099く', 'ガク'], // combining voicing mark
    // small kana → large (直音化)
    ['キョウコ', 'キヨウコ'],
    ['ショウタ', 'シヨウタ'],
    ['ハットリ', 'ハツトリ'],
    ['イッシキ', 'イツシキ'],
    ['ファン', 'フアン'],
    ['ヶ', 'ケ'],
    // ヴ, ヂ/ヅ, ヲ/ヰ/ヱ
    ['ヴァイオリン', 'バイオリン'],
    ['ヴィヴィアン', 'ビビアン'],
    ['ヴェルディ', 'ベルデイ'],
    ['ヴォルフ', 'ボルフ'],
    ['ヴ', 'ブ'],
    ['ミヅキ', 'ミズキ'],
    ['ツヅキ', 'ツズキ'],
    ['ハシヂメ', 'ハシジメ'],
    ['カヲル', 'カオル'],
    ['ヰヱ', 'イエ'],
    // long vowel mark
    ['ユーコ', 'ユウコ'],
    ['ユウコ', 'ユウコ'],
    ['ケーコ', 'ケイコ'],
    ['ヨーコ', 'ヨウコ'],
    ['サトー', 'サトウ'],
    ['マリー', 'マリイ'],
    ['ユｰｺ', 'ユウコ'], // half-width prolonged mark
    ['ジョー', 'ジヨウ'],
    ['ーアキ', 'アキ'], // nothing to lengthen
    // iteration marks, separators, Latin
    ['スヾキ', 'スズキ'],
    ['ジョン・スミス', 'ジヨンスミス'],
    ['ジョン＝スミス', 'ジヨンスミス'],
    ['ｼﾞｮﾝ･ｽﾐｽ', 'ジヨンスミス'],
    ['ＳＭＩＴＨ　ｊｏｈｎ', 'SMITHJOHN'],
  ])('%s → %s', (input, expected) => {
    expect(searchKana(input)).toBe(expected);
  });

  it('keeps voiced and unvoiced kana apart (a 濁点 difference is a near match, not equal)', () => {
    expect(searchKana('ハシモト')).not.toBe(searchKana('バシモト'));
    expect(searchKana('ナカタ')).not.toBe(searchKana('ナカダ'));
  });

  it('is idempotent and agrees across 全角, 半角 and hiragana spellings of every test name', () => {
    for (const s of ['サイトウ　ケイコ', 'ハットリ　リュウノスケ', 'イッシキ　キョウヘイ', 'オオノ　ジュンコ', 'ミヤザキ　ミヅキ']) {
      const k = searchKana(s);
      expect(searchKana(k)).toBe(k);
      expect(searchKana(toHalfWidthKana(s))).toBe(k);
      expect(searchKana(s.replace(/[ァ-ヶ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60)))).toBe(k);
    }
  });

  it('documents its known limit: オオノ and オーノ stay one letter apart', () => {
    expect(searchKana('オーノ')).toBe('オウノ');
    expect(editDistance(searchKana('オーノ'), searchKana('オオノ'))).toBe(1);
  });
});

// ------------------------------------------------------------------ 異体字

describe('foldKanjiVariants (異体字)', () => {
  it.each([
    ['髙橋', '高橋'],
    ['山﨑', '山崎'],
    ['山嵜', '山崎'],
    ['渡邊', '渡辺'],
    ['渡邉', '渡辺'],
    ['齋藤', '斎藤'],
    ['齊藤', '斎藤'],
    ['斉藤', '斎藤'],
    ['濵田', '浜田'],
    ['濱田', '浜田'],
    ['德永', '徳永'],
    ['彌生', '弥生'],
    ['萬田', '万田'],
    ['國吉', '国吉'],
    ['澤田', '沢田'],
    ['廣瀬', '広瀬'],
    ['櫻井', '桜井'],
    ['広瀨', '広瀬'],
    ['𠮷田', '吉田'],
    ['中嶋', '中島'],
    ['冨田', '富田'],
    ['惠子', '恵子'],
    ['眞由美', '真由美'],
    ['龍之介', '竜之介'],
    ['逹也', '達也'],
    ['高槗', '高橋'],
    ['邊見　淸', '辺見　清'],
    // compatibility ideographs by their canonical decomposition
    ['神田', '神田'],
    ['塚本', '塚本'],
    ['隆', '隆'],
    // variation selectors (IVS) removed
    ['辻\u{E0100}本', '辻本'],
    ['葛\u{E0101}西', '葛西'],
  ])('%s → %s', (input, expected) => {
    expect(foldKanjiVariants(input)).toBe(expected);
  });

  it('does not NFKC the name as a whole: kana, Latin and spaces are left as they are', () => {
    expect(foldKanjiVariants('ｽｽﾞｷ　ＡＢＣ')).toBe('ｽｽﾞｷ　ＡＢＣ');
    expect(foldKanjiVariants('佐藤　花子')).toBe('佐藤　花子');
  });

  it('keeps distinct characters apart (薗/園, 埼/崎, 嶺/峰)', () => {
    expect(foldKanjiVariants('薗田')).not.toBe(foldKanjiVariants('園田'));
    expect(foldKanjiVariants('埼')).not.toBe(foldKanjiVariants('崎'));
    expect(foldKanjiVariants('嶺')).not.toBe(foldKanjiVariants('峰'));
  });

  it('has a consistent table: no character twice, targets are never variants themselves (no chains)', () => {
    const seen = new Set<string>();
    for (const g of KANJI_VARIANT_GROUPS) {
      const chars = [...g];
      expect(chars.length, g).toBeGreaterThan(1);
      for (const c of chars) {
        expect(seen.has(c), c).toBe(false);
        seen.add(c);
      }
    }
    for (const target of KANJI_VARIANTS.values()) expect(KANJI_VARIANTS.has(target), target).toBe(false);
    for (const v of KANJI_VARIANTS.keys()) expect(foldKanjiVariants(foldKanjiVariants(v))).toBe(foldKanjiVariants(v));
  });
});

// ------------------------------------------------------------------ addresses

describe('normalizeAddress', () => {
  it.each([
    ['鳥取県鳥取市尚徳町１１６番地', '鳥取県鳥取市尚徳町116'],
    ['鳥取県鳥取市尚徳町116', '鳥取県鳥取市尚徳町116'],
    ['鳥取市尚徳町百十六番地', '鳥取市尚徳町116'],
    ['鳥取市尚徳町一一六番地', '鳥取市尚徳町116'],
    ['尚徳町 116 番地', '尚徳町116'],
    // 丁目・番・号 notations
    ['西町二丁目３番４号', '西町2-3-4'],
    ['西町2丁目3番4号', '西町2-3-4'],
    ['西町２－３－４', '西町2-3-4'],
    ['西町2‐3‐4', '西町2-3-4'],
    ['西町2ー3ー4', '西町2-3-4'],
    ['西町2−3−4', '西町2-3-4'],
    ['西町二丁目三番四号', '西町2-3-4'],
    ['西町二丁目3-4', '西町2-3-4'],
    ['西町２丁目３番地４', '西町2-3-4'],
    ['西町十二丁目二十三番地', '西町12-23'],
    // 番地の, の, ノ
    ['秋里116番地の2', '秋里116-2'],
    ['秋里116の2', '秋里116-2'],
    ['秋里116ノ2', '秋里116-2'],
    ['秋里百十六番地の二', '秋里116-2'],
    ['秋里１１６番２', '秋里116-2'],
    // 大字・字
    ['鳥取市大字覚寺１２３番地', '鳥取市覚寺123'],
    ['鳥取市覚寺123', '鳥取市覚寺123'],
    ['鳥取市大字福部町海士字西町12', '鳥取市福部町海士西町12'],
    // ヶ/ケ/が/ガ, ノ/の
    ['千代田区霞が関2-1-2', '千代田区霞ケ関2-1-2'],
    ['千代田区霞ヶ関二丁目1番2号', '千代田区霞ケ関2-1-2'],
    ['千代田区霞ケ関2-1-2', '千代田区霞ケ関2-1-2'],
    ['桜ヶ丘12番地', '桜ケ丘12'],
    ['国府町宮の下10', '国府町宮の下10'],
    ['国府町宮ノ下10', '国府町宮の下10'],
    // 方書 split off
    ['尚徳町116番地 コーポ鳥取101号室', '尚徳町116'],
    ['尚徳町116番地　ハイツ湖山２０１号室', '尚徳町116'],
    ['西町2-3-4サンハイム305号室', '西町2-3-4'],
    // postal code, place names with numerals are left alone
    ['〒680-8571 鳥取県鳥取市尚徳町116', '鳥取県鳥取市尚徳町116'],
    ['６８０－８５７１　鳥取市尚徳町116', '鳥取市尚徳町116'],
    ['千代田区一番町10番地', '千代田区一番町10'],
    ['八王子市三田町五番地', '八王子市三田町5'],
    ['札幌市中央区北一条西二丁目3番地', '札幌市中央区北1条西2-3'],
    ['九十九里町片貝100', '九十九里町片貝100'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });

  it('splits the 方書', () => {
    expect(splitAddress('鳥取市尚徳町116番地 コーポ鳥取101号室')).toEqual({ main: '鳥取市尚徳町116', town: '鳥取市尚徳町', number: '116', katagaki: 'コーポ鳥取101号室' });
  });

  it.each([
    ['尚徳町116', '鳥取県鳥取市尚徳町１１６番地', 'equal'],
    ['鳥取市尚徳町116', '鳥取県鳥取市尚徳町116', 'equal'],
    ['東京都千代田区霞が関二丁目１番２号', '霞ヶ関2-1-2 中央合同庁舎', 'equal'],
    ['八頭郡八頭町郡家100', '郡家100番地', 'equal'],
    ['鳥取県鳥取市覚寺１２３番地', '鳥取市大字覚寺123', 'equal'],
    ['霞が関二丁目１番２号', '霞ヶ関2-1-3', 'same-block'],
    ['霞が関二丁目１番２号', '霞ヶ関3-1-2', 'same-town'],
    ['尚徳町116', '尚徳町117', 'same-town'],
    ['西町1-2-3', '東町1-2-3', 'different'],
    ['鳥取市西町1-2-3', '米子市西町1-2-3', 'different'],
    ['湖山町東3-2-1', '東3-2-1', 'different'], // a bare "東" is not an omitted prefix of 湖山町東
    ['116', '尚徳町116', 'different'],
  ] as const)('%s vs %s → %s', (a, b, rel) => {
    expect(compareAddresses(a, b)).toBe(rel);
    expect(compareAddresses(b, a)).toBe(rel);
  });
});

// ------------------------------------------------------------------ decision rule on hand-made cases

const TOTTORI = '鳥取県鳥取市尚徳町１１６番地';
function cand(atenaNo: string, nameKanji: string, nameKana: string, birthDate: string, sex: 'male' | 'female', address = TOTTORI, extra: Partial<MatchCandidate> = {}): MatchCandidate {
  return { atenaNo, nameKanji, nameKana, birthDate, sex, address, status: 'resident', householdNo: '0000123', ...extra };
}
const hanako = cand('0000000001', '鳥取　花子', 'トットリ　ハナコ', '2025-09-10', 'female');
const taro = cand('0000000002', '鳥取　太郎', 'トットリ　タロウ', '1990-04-01', 'male');
const codes = (r: MatchResult, atenaNo: string) => r.candidates.find((c) => c.atenaNo === atenaNo)!.reasons.map((x) => x.code);

describe('matchFourInfo', () => {
  const q: MatchQuery = { nameKanji: '鳥取　花子', nameKana: 'トットリ　ハナコ', birthDate: '2025-09-10', sex: 'female', address: '鳥取県鳥取市尚徳町１１６番地' };

  it('links an exact 4情報 match and explains why', () => {
    const r = matchFourInfo(q, [hanako, taro]);
    expect(r.decision).toBe('matched');
    expect(r.atenaNo).toBe(hanako.atenaNo);
    expect(r.candidates[0]).toMatchObject({ atenaNo: hanako.atenaNo, score: 100 });
    expect(codes(r, hanako.atenaNo)).toEqual(['BIRTH_DATE_EQUAL', 'SEX_EQUAL', 'KANA_EQUAL', 'KANJI_EQUAL', 'ADDRESS_EQUAL', 'AUTO_LINK']);
    expect(r.candidates.map((c) => c.atenaNo)).toEqual([hanako.atenaNo, taro.atenaNo]);
  });

  it('links through notation differences: 半角カナ, hiragana, 異体字, address notation, no spaces', () => {
    const c = cand('0000000003', '髙橋　惠子', 'タカハシ　ケイコ', '1961-02-03', 'female', '鳥取県鳥取市西町二丁目３番４号');
    for (const v of [
      { nameKanji: '高橋恵子', nameKana: 'ﾀｶﾊｼ ｹｲｺ', address: '鳥取市西町2-3-4' },
      { nameKanji: '髙橋　惠子', nameKana: 'たかはし　けいこ', address: '西町２丁目３番４号　コーポ西町２０１' },
      { nameKanji: '高橋 恵子', nameKana: 'タカハシケーコ', address: '鳥取県鳥取市西町二丁目三番四号' },
      { nameKanji: undefined, nameKana: 'タカハシ　ケイコ', address: '西町2-3-4' },
      { nameKanji: '髙橋恵子', nameKana: undefined, address: '西町2‐3‐4' },
    ]) {
      const r = matchFourInfo({ ...v, birthDate: '1961-02-03', sex: 'female' }, [c]);
      expect(r.decision, JSON.stringify(v)).toBe('matched');
    }
    const r = matchFourInfo({ nameKanji: '高橋恵子', nameKana: 'タカハシケイコ', birthDate: '1961-02-03', sex: 'female', address: '西町2-3-4' }, [c]);
    expect(codes(r, c.atenaNo)).toContain('KANJI_VARIANT');
    expect(r.candidates[0]!.score).toBe(99); // name = 40 × mean(kana 1, kanji 0.95)
  });

  it('kana inside the registered name and half-width katakana names count as notation differences', () => {
    const sakura = cand('0000000004', '佐藤　さくら', 'サトウ　サクラ', '2019-04-04', 'female');
    const r = matchFourInfo({ nameKanji: '佐藤　サクラ', nameKana: 'サトウ　サクラ', birthDate: '2019-04-04', sex: 'female', address: TOTTORI }, [sakura]);
    expect(r.decision).toBe('matched');
    expect(codes(r, sakura.atenaNo)).toContain('KANJI_VARIANT');
    const smith = cand('0000000005', 'スミス　ジョン', 'スミス　ジョン', '1980-01-01', 'male');
    const r2 = matchFourInfo({ nameKanji: 'ｽﾐｽ ｼﾞｮﾝ', nameKana: 'ｽﾐｽ ｼﾞｮﾝ', birthDate: '1980-01-01', sex: 'male', address: TOTTORI }, [smith]);
    expect(r2.decision).toBe('matched');
    expect(codes(r2, smith.atenaNo)).toContain('KANJI_EQUAL');
  });

  it('never links twins with near names, even on an exact query, and says why', () => {
    const a = cand('0000000010', '鳥取　悠斗', 'トットリ　ユウト', '2024-05-05', 'male');
    const b = cand('0000000011', '鳥取　悠太', 'トットリ　ユウタ', '2024-05-05', 'male');
    const r = matchFourInfo({ nameKanji: '鳥取　悠斗', nameKana: 'トットリ　ユウト', birthDate: '2024-05-05', sex: 'male', address: TOTTORI }, [a, b]);
    expect(r.decision).toBe('ambiguous');
    expect(r.atenaNo).toBeUndefined();
    expect(r.candidates[0]!.atenaNo).toBe(a.atenaNo);
    expect(codes(r, a.atenaNo)).toContain('BLOCKED_BY_COMPETITOR');
    expect(r.candidates[0]!.reasons.find((x) => x.code === 'BLOCKED_BY_COMPETITOR')!.message).toContain('双子');
    expect(codes(r, b.atenaNo)).toEqual(expect.arrayContaining(['KANA_NEAR', 'KANJI_NEAR', 'COMPETITOR']));
    expect(r.candidates[1]!.reasons.find((x) => x.code === 'KANA_NEAR')!.message).toBe('名（カナ）が近似しています（1文字違い）');
  });

  it('a kana typo that turns one twin into the other goes to review, never to the other twin', () => {
    const a = cand('0000000010', '鳥取　悠斗', 'トットリ　ユウト', '2024-05-05', 'male');
    const b = cand('0000000011', '鳥取　悠太', 'トットリ　ユウタ', '2024-05-05', 'male');
    // meant b, typed a's kana; kana only
    expect(matchFourInfo({ nameKana: 'トットリ　ユウト', birthDate: '2024-05-05', sex: 'male', address: TOTTORI }, [a, b]).decision).toBe('ambiguous');
    // meant b, typed a's kana but b's kanji: no strict candidate at all
    const r = matchFourInfo({ nameKanji: '鳥取　悠太', nameKana: 'トットリ　ユウト', birthDate: '2024-05-05', sex: 'male', address: TOTTORI }, [a, b]);
    expect(r.decision).toBe('ambiguous');
  });

  it('links one twin when the other differs clearly (other sex, unrelated given name)', () => {
    const a = cand('0000000020', '鳥取　花子', 'トットリ　ハナコ', '2020-01-01', 'female');
    const b = cand('0000000021', '鳥取　一郎', 'トットリ　イチロウ', '2020-01-01', 'male');
    const r = matchFourInfo({ nameKanji: '鳥取　一郎', nameKana: 'トットリ　イチロウ', birthDate: '2020-01-01', sex: 'male', address: TOTTORI }, [a, b]);
    expect(r).toMatchObject({ decision: 'matched', atenaNo: b.atenaNo });
    expect(codes(r, a.atenaNo)).toEqual(expect.arrayContaining(['KANA_FAMILY_ONLY', 'KANJI_FAMILY_ONLY', 'SEX_DIFFERENT']));
  });

  it('namesakes with the same birth date at one address: never linked (MULTIPLE_STRICT)', () => {
    const a = cand('0000000030', '佐藤　翔太', 'サトウ　ショウタ', '2000-03-03', 'male', TOTTORI, { householdNo: '1' });
    const b = cand('0000000031', '佐藤　翔太', 'サトウ　ショウタ', '2000-03-03', 'male', TOTTORI, { householdNo: '2' });
    const r = matchFourInfo({ nameKanji: '佐藤翔太', nameKana: 'サトウショウタ', birthDate: '2000-03-03', sex: 'male', address: TOTTORI }, [a, b]);
    expect(r.decision).toBe('ambiguous');
    expect(codes(r, a.atenaNo)).toContain('MULTIPLE_STRICT');
    // even when the sex tells them apart, the other is too close: a wrong sex is a common slip
    const c = cand('0000000032', '佐藤　翔', 'サトウ　ショウ', '2000-03-03', 'female');
    const d = cand('0000000033', '佐藤　翔', 'サトウ　ショウ', '2000-03-03', 'male');
    expect(matchFourInfo({ nameKanji: '佐藤翔', nameKana: 'サトウショウ', birthDate: '2000-03-03', sex: 'male', address: TOTTORI }, [c, d]).decision).toBe('ambiguous');
  });

  it('same name, different birth date at one address (二代目): the birth date decides', () => {
    const father = cand('0000000040', '鳥取　一郎', 'トットリ　イチロウ', '1950-07-07', 'male');
    const son = cand('0000000041', '鳥取　一郎', 'トットリ　イチロウ', '1985-11-30', 'male');
    const r = matchFourInfo({ nameKanji: '鳥取　一郎', nameKana: 'トットリ　イチロウ', birthDate: '1985-11-30', sex: 'male', address: TOTTORI }, [father, son]);
    expect(r).toMatchObject({ decision: 'matched', atenaNo: son.atenaNo });
    expect(r.candidates.find((c) => c.atenaNo === father.atenaNo)!.score).toBe(70);
  });

  it('a namesake whose birth date is one digit away blocks the link (the query date may be the typo)', () => {
    const a = cand('0000000050', '鳥取　一郎', 'トットリ　イチロウ', '1960-03-12', 'male');
    const b = cand('0000000051', '鳥取　一郎', 'トットリ　イチロウ', '1990-03-12', 'male');
    const r = matchFourInfo({ nameKanji: '鳥取　一郎', nameKana: 'トットリ　イチロウ', birthDate: '1990-03-12', sex: 'male', address: TOTTORI }, [a, b]);
    expect(r.decision).toBe('ambiguous');
    expect(codes(r, a.atenaNo)).toEqual(expect.arrayContaining(['BIRTH_DATE_NEAR', 'COMPETITOR']));
  });

  it('a single kana typo goes to review, and the reason says which part and how', () => {
    const r = matchFourInfo({ ...q, nameKana: 'トットリ　ハナゴ' }, [hanako]);
    expect(r.decision).toBe('ambiguous');
    const reason = r.candidates[0]!.reasons.find((x) => x.code === 'KANA_NEAR')!;
    expect(reason.message).toBe('名（カナ）が近似しています（濁点・半濁点の違い）');
    const r2 = matchFourInfo({ ...q, nameKana: 'トッドリ　ハナコ', nameKanji: undefined }, [hanako]);
    expect(r2.decision).toBe('ambiguous');
    expect(r2.candidates[0]!.reasons.find((x) => x.code === 'KANA_NEAR')!.message).toBe('氏（カナ）が近似しています（濁点・半濁点の違い）');
    const r3 = matchFourInfo({ ...q, nameKana: 'トットリハナエ' }, [hanako]);
    expect(r3.candidates[0]!.reasons.find((x) => x.code === 'KANA_NEAR')!.message).toBe('名（カナ）が近似しています（1文字違い）');
  });

  it('swapped family and given names go to review', () => {
    const r = matchFourInfo({ ...q, nameKana: 'ハナコ　トットリ', nameKanji: '花子　鳥取' }, [hanako]);
    expect(r.decision).toBe('ambiguous');
    expect(codes(r, hanako.atenaNo)).toEqual(expect.arrayContaining(['KANA_SWAPPED', 'KANJI_SWAPPED']));
    expect(matchFourInfo({ ...q, nameKana: 'ハナコトットリ', nameKanji: undefined }, [hanako]).decision).toBe('ambiguous');
  });

  it('a different address goes to review; the same town is reported', () => {
    const r = matchFourInfo({ ...q, address: '鳥取市尚徳町117' }, [hanako]);
    expect(r.decision).toBe('ambiguous');
    expect(codes(r, hanako.atenaNo)).toContain('ADDRESS_SAME_TOWN');
    expect(codes(matchFourInfo({ ...q, address: '鳥取市西町1-2-3' }, [hanako]), hanako.atenaNo)).toContain('ADDRESS_DIFFERENT');
  });

  it('a missing address goes to review unless allowMissingAddress', () => {
    const { address: _a, ...noAddress } = q;
    const r = matchFourInfo(noAddress, [hanako]);
    expect(r.decision).toBe('ambiguous');
    expect(r.candidates[0]!.score).toBe(90);
    expect(matchFourInfo(noAddress, [hanako], { allowMissingAddress: true })).toMatchObject({ decision: 'matched', atenaNo: hanako.atenaNo });
  });

  it('a missing sex is accepted unless requireSex; a wrong sex goes to review', () => {
    const { sex: _s, ...noSex } = q;
    expect(matchFourInfo(noSex, [hanako]).decision).toBe('matched');
    expect(matchFourInfo(noSex, [hanako], { requireSex: true }).decision).toBe('ambiguous');
    expect(matchFourInfo({ ...q, sex: 'male' }, [hanako]).decision).toBe('ambiguous');
  });

  it('a query without any name is never linked', () => {
    expect(matchFourInfo({ birthDate: '2025-09-10', sex: 'female', address: TOTTORI }, [hanako]).decision).not.toBe('matched');
  });

  it("'none' when nothing is worth reviewing", () => {
    expect(matchFourInfo(q, [])).toEqual({ decision: 'none', candidates: [] });
    const other = cand('0000000060', '山田　次郎', 'ヤマダ　ジロウ', '2025-09-10', 'male', '鳥取市西町1-2-3');
    expect(matchFourInfo(q, [other]).decision).toBe('none');
  });

  it('honours linkableStatuses', () => {
    const gone = { ...hanako, status: 'moved-out' };
    expect(matchFourInfo(q, [gone]).decision).toBe('matched');
    const r = matchFourInfo(q, [gone], { linkableStatuses: ['resident'] });
    expect(r.decision).toBe('ambiguous');
    expect(codes(r, hanako.atenaNo)).toContain('STATUS_NOT_LINKABLE');
  });

  it('takes the same person fetched twice (by birth date and by kana) once', () => {
    const r = matchFourInfo(q, [hanako, hanako, taro]);
    expect(r.decision).toBe('matched');
    expect(r.candidates).toHaveLength(2);
  });

  it('rejects a malformed birth date with a Problem naming the field', () => {
    try {
      matchFourInfo({ ...q, birthDate: '20250910' }, [hanako]);
      expect.unreachable();
    } catch (e) {
      expect(isProblem(e) && e.errors[0]!.field).toBe('birthDate');
    }
  });

  it('thresholds are options with documented defaults', () => {
    expect(DEFAULT_MATCH_OPTIONS).toMatchObject({ allowMissingAddress: false, requireSex: false, closeKanaDistance: 2, closeKanjiDistance: 1, competitorScore: 75, reviewMinScore: 55, maxCandidates: 20 });
    const many = Array.from({ length: 30 }, (_, i) => cand(String(i).padStart(10, '0'), '山田　次郎', 'ヤマダ　ジロウ', '2025-09-10', 'male'));
    expect(matchFourInfo(q, many).candidates).toHaveLength(20);
    expect(matchFourInfo(q, many, { maxCandidates: 5 }).candidates).toHaveLength(5);
    // closeKanaDistance 0: a twin one kana away no longer blocks a kana-only exact query
    const a = cand('0000000010', '鳥取　悠斗', 'トットリ　ユウト', '2024-05-05', 'male');
    const b = cand('0000000011', '鳥取　悠太', 'トットリ　ユウタ', '2024-05-05', 'male');
    const kanaOnly = { nameKana: 'トットリ　ユウト', birthDate: '2024-05-05', sex: 'male' as const, address: TOTTORI };
    expect(matchFourInfo(kanaOnly, [a, b]).decision).toBe('ambiguous');
    expect(matchFourInfo(kanaOnly, [a, b], { closeKanaDistance: 0, competitorScore: 101 }).decision).toBe('matched');
  });

  it('reason messages never repeat a name or an address', () => {
    const r = matchFourInfo({ ...q, nameKana: 'トットリ　ハナゴ', address: '尚徳町117' }, [hanako, taro]);
    for (const c of r.candidates) for (const x of c.reasons) expect(x.message).not.toMatch(/トットリ|ハナ|鳥取|花子|尚徳|116|117/);
  });

  it('is pure: no clock, no I/O, no randomness; imports only kernel faces and its own data', () => {
    for (const f of ['matching.ts', 'matching-variants.ts']) {
      const src = readFileSync(fileURLToPath(new URL(`../../../src/municipality/residents/${f}`, import.meta.url)), 'utf8');
      expect(src, f).not.toMatch(/new Date\(|Date\.now|process\.|performance\.|Math\.random|require\(/);
      for (const m of src.matchAll(/from '([^']+)'/g)) expect(['../../kernel/problems/index.js', './matching-variants.js'], `${f}: ${m[1]}`).toContain(m[1]);
    }
  });
});

// ------------------------------------------------------------------ perturbation test on a synthetic population

interface Tally {
  queries: number;
  linked: number;
  wrong: number;
  ambiguous: number;
  none: number;
}
const tally = (): Tally => ({ queries: 0, linked: 0, wrong: 0, ambiguous: 0, none: 0 });
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');

function run(pop: ReturnType<typeof generatePopulation>, people: readonly Person[], perQuery: (i: number) => Perturbation[], rngSeed: string, opts: MatchOptions = {}) {
  const rng = seededRng(rngSeed);
  const all = tally();
  const byKind = new Map<string, Tally>();
  const wrongLinks: string[] = [];
  people.forEach((p, i) => {
    const kinds = perQuery(i);
    const query = perturb(p, kinds, rng);
    const r = matchFourInfo(query, fetchCandidates(pop, query), opts);
    const truth = p.atenaNo === 'ghost' ? null : p.atenaNo;
    const buckets = [all, ...(kinds.length ? kinds : ['clean']).map((k) => byKind.get(k) ?? byKind.set(k, tally()).get(k)!), ...(p.tags.length ? p.tags : ['ordinary']).map((t) => byKind.get(`#${t}`) ?? byKind.set(`#${t}`, tally()).get(`#${t}`)!)];
    for (const t of buckets) {
      t.queries++;
      if (r.decision === 'matched' && r.atenaNo === truth) t.linked++;
      else if (r.decision === 'matched') t.wrong++;
      else if (r.decision === 'ambiguous') t.ambiguous++;
      else t.none++;
    }
    if (r.decision === 'matched' && r.atenaNo !== truth) wrongLinks.push(`${p.atenaNo} [${kinds.join(',')}] [${p.tags.join(',')}] → ${r.atenaNo}`);
  });
  return { all, byKind, wrongLinks };
}

describe('perturbation test on a synthetic population (zero wrong links, recall reported)', () => {
  const pop = generatePopulation('matching-0035', 6000);
  const rng = seededRng('matching-0035/queries');
  // every resident flagged as a twin or namesake, plus a random sample of the rest
  const special = pop.residents.filter((p) => p.tags.some((t) => t === 'twin' || t.startsWith('namesake')));
  const ordinary = pop.residents.filter((p) => !special.includes(p));
  const sample: Person[] = [...special];
  while (sample.length < 10_000) sample.push(rng.pick(ordinary));
  const kindsFor = sample.map(() => pickPerturbations(rng));

  it('builds a population with the hard cases in it', () => {
    const count = (t: string) => pop.residents.filter((p) => p.tags.includes(t)).length;
    console.log(`population: ${pop.residents.length} residents, ${pop.ghosts.length} ghosts; twins ${count('twin')} (near-named ${count('near-twin')}), namesakes at one address ${count('namesake-same-address')}, same-day namesakes elsewhere ${count('namesake-same-day')}, 異体字 spellings ${pop.residents.filter((p) => /[髙槗邊邉𠮷齋齊淸﨑嵜嶋濵濱澤廣瀨櫻國德邊冨]/u.test(p.familyKanji)).length}`);
    expect(count('twin')).toBeGreaterThan(100);
    expect(count('near-twin')).toBeGreaterThan(50);
    expect(count('namesake-same-address')).toBeGreaterThan(50);
    expect(count('namesake-same-day')).toBeGreaterThan(50);
    expect(pop.ghosts.length).toBeGreaterThan(300);
  });

  it('never links a query to the wrong person, and links most notation-only variants', () => {
    const res = run(pop, sample, (i) => kindsFor[i]!, 'matching-0035/perturb');
    // ghosts (not in the master), each asked three times with different perturbations
    const ghostPeople = pop.ghosts.flatMap((g) => [g, g, g]);
    const ghostRng = seededRng('matching-0035/ghost-kinds');
    const ghostKinds = ghostPeople.map(() => pickPerturbations(ghostRng));
    const ghosts = run(pop, ghostPeople, (i) => ghostKinds[i]!, 'matching-0035/ghosts');

    const linkableOnly = tally();
    const linkableOrdinary = tally();
    const rng2 = seededRng('matching-0035/perturb');
    sample.forEach((p, i) => {
      const kinds = kindsFor[i]!;
      const q = perturb(p, kinds, rng2); // same stream as in run(): identical queries
      if (!kinds.every((k) => (LINKABLE_PERTURBATIONS as readonly string[]).includes(k))) return;
      const r = matchFourInfo(q, fetchCandidates(pop, q));
      for (const t of p.tags.length ? [linkableOnly] : [linkableOnly, linkableOrdinary]) {
        t.queries++;
        if (r.decision === 'matched' && r.atenaNo === p.atenaNo) t.linked++;
        else if (r.decision === 'matched') t.wrong++;
      }
    });

    const a = res.all;
    const lines = [
      `queries with a true counterpart: ${a.queries}; linked correctly ${a.linked} (recall ${pct(a.linked, a.queries)}), wrong ${a.wrong}, review queue ${a.ambiguous + a.none} (${pct(a.ambiguous + a.none, a.queries)}: ambiguous ${a.ambiguous}, none ${a.none})`,
      `  of which only notation-level perturbations: ${linkableOnly.queries}; linked ${linkableOnly.linked} (recall ${pct(linkableOnly.linked, linkableOnly.queries)}), wrong ${linkableOnly.wrong}`,
      `    and of those, residents who are not twins or namesakes: ${linkableOrdinary.queries}; linked ${linkableOrdinary.linked} (recall ${pct(linkableOrdinary.linked, linkableOrdinary.queries)})`,
      `queries about people NOT in the master: ${ghosts.all.queries}; linked (wrong) ${ghosts.all.linked + ghosts.all.wrong}, review ${ghosts.all.ambiguous}, none ${ghosts.all.none}`,
      'per perturbation / tag (queries, recall, wrong):',
      ...[...res.byKind.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, t]) => `  ${k.padEnd(24)} ${String(t.queries).padStart(5)}  ${pct(t.linked, t.queries).padStart(6)}  ${t.wrong}`),
    ];
    console.log(lines.join('\n'));

    expect(res.wrongLinks).toEqual([]);
    expect(a.wrong).toBe(0);
    expect(linkableOnly.wrong).toBe(0);
    expect(ghosts.all.linked + ghosts.all.wrong).toBe(0);
    expect(ghosts.wrongLinks).toEqual([]);
    // floors set a few points under the measured figures (decision 0035)
    expect(a.linked / a.queries).toBeGreaterThanOrEqual(0.65); // measured 66.7%
    expect(linkableOnly.linked / linkableOnly.queries).toBeGreaterThanOrEqual(0.9); // measured 92.1%
    expect(linkableOrdinary.linked / linkableOrdinary.queries).toBeGreaterThanOrEqual(0.99); // measured 99.8%
    // every review-class perturbation is kept out of automatic linking
    for (const k of REVIEW_PERTURBATIONS) expect(res.byKind.get(k)?.linked ?? 0, k).toBe(0);
  });

  it('shows why the address is required by default: without it, a namesake from elsewhere would be linked', () => {
    const namesakeGhosts = pop.ghosts.filter((g) => g.tags.includes('namesake-ghost'));
    const strict = run(pop, namesakeGhosts, () => ['address-missing'], 'x');
    const loose = run(pop, namesakeGhosts, () => ['address-missing'], 'x', { allowMissingAddress: true });
    console.log(`namesake ghosts without address: default → linked ${strict.all.wrong}; allowMissingAddress → linked ${loose.all.wrong} of ${namesakeGhosts.length}`);
    expect(strict.all.wrong).toBe(0);
    expect(loose.all.wrong).toBeGreaterThan(0);
  });
});

// keep the helpers honest
describe('test helpers', () => {
  it('kansuji and half-width kana', () => {
    expect([1, 10, 12, 20, 116, 1200, 305].map(kansuji)).toEqual(['一', '十', '十二', '二十', '百十六', '千二百', '三百五']);
    expect(toHalfWidthKana('ガッコウ　ヴ')).toBe('ｶﾞｯｺｳ ｳﾞ');
  });
});
