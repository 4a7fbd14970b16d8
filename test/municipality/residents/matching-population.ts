// Deterministic synthetic population and query perturbations for the 4情報 matching tests
// (docs/decisions/0035-four-info-matching.md).  Small on purpose: a few dozen family and given names so that
// namesakes and near names happen on their own, plus deliberately injected twins, namesakes at one
// address (二代目, and same-day namesakes in one apartment building), same-day namesakes elsewhere in the
// city, and residents registered with 異体字 (髙橋, 渡邊, 山﨑 …).
import { seededRng, type Rng } from '../../../src/kernel/random/index.js';
import { editDistance, searchKana, type MatchCandidate, type MatchQuery, type Sex } from '../../../src/municipality/residents/matching.js';

// ------------------------------------------------------------------ names

/** [kanji, kana, registered 異体字 spellings] */
const FAMILIES: readonly (readonly [string, string, readonly string[]])[] = [
  ['佐藤', 'サトウ', []], ['鈴木', 'スズキ', []], ['高橋', 'タカハシ', ['髙橋', '高槗']], ['田中', 'タナカ', []],
  ['伊藤', 'イトウ', []], ['渡辺', 'ワタナベ', ['渡邊', '渡邉']], ['山本', 'ヤマモト', []], ['中村', 'ナカムラ', []],
  ['小林', 'コバヤシ', []], ['加藤', 'カトウ', []], ['吉田', 'ヨシダ', ['𠮷田']], ['山田', 'ヤマダ', []],
  ['佐々木', 'ササキ', []], ['山口', 'ヤマグチ', []], ['松本', 'マツモト', []], ['井上', 'イノウエ', []],
  ['木村', 'キムラ', []], ['林', 'ハヤシ', []], ['斎藤', 'サイトウ', ['齋藤', '齊藤']], ['斉藤', 'サイトウ', []],
  ['清水', 'シミズ', ['淸水']], ['山崎', 'ヤマザキ', ['山﨑', '山嵜']], ['森', 'モリ', []], ['池田', 'イケダ', []],
  ['橋本', 'ハシモト', []], ['阿部', 'アベ', []], ['石川', 'イシカワ', []], ['中島', 'ナカジマ', ['中嶋']],
  ['小川', 'オガワ', []], ['前田', 'マエダ', []], ['岡田', 'オカダ', []], ['長谷川', 'ハセガワ', []],
  ['藤田', 'フジタ', []], ['後藤', 'ゴトウ', []], ['近藤', 'コンドウ', []], ['遠藤', 'エンドウ', []],
  ['浜田', 'ハマダ', ['濵田', '濱田']], ['沢田', 'サワダ', ['澤田']], ['広瀬', 'ヒロセ', ['廣瀬', '広瀨']],
  ['桜井', 'サクライ', ['櫻井']], ['国吉', 'クニヨシ', ['國吉']], ['徳永', 'トクナガ', ['德永']],
  ['鳥取', 'トットリ', []], ['服部', 'ハットリ', []], ['一色', 'イッシキ', []], ['大野', 'オオノ', []],
  ['小野', 'オノ', []], ['河野', 'コウノ', []], ['高野', 'タカノ', ['髙野']], ['宮崎', 'ミヤザキ', ['宮﨑']],
  ['中田', 'ナカタ', []], ['中田', 'ナカダ', []], ['辺見', 'ヘンミ', ['邊見']], ['富田', 'トミタ', ['冨田']],
];

const MALE: readonly (readonly [string, string])[] = [
  ['翔太', 'ショウタ'], ['大翔', 'ヒロト'], ['陽翔', 'ハルト'], ['悠斗', 'ユウト'], ['悠太', 'ユウタ'], ['蓮', 'レン'],
  ['湊', 'ミナト'], ['樹', 'イツキ'], ['大和', 'ヤマト'], ['颯太', 'ソウタ'], ['一郎', 'イチロウ'], ['健太', 'ケンタ'],
  ['健一', 'ケンイチ'], ['浩', 'ヒロシ'], ['誠', 'マコト'], ['隆', 'タカシ'], ['翔', 'ショウ'], ['拓海', 'タクミ'],
  ['優斗', 'ユウト'], ['雄大', 'ユウダイ'], ['龍之介', 'リュウノスケ'], ['達也', 'タツヤ'], ['健二', 'ケンジ'],
  ['裕二', 'ユウジ'], ['勇気', 'ユウキ'], ['悠真', 'ユウマ'], ['蒼', 'アオイ'], ['律', 'リツ'], ['朝陽', 'アサヒ'],
  ['亮', 'リョウ'], ['涼', 'リョウ'], ['清', 'キヨシ'], ['徹', 'トオル'], ['恭平', 'キョウヘイ'], ['譲', 'ユズル'],
];
const FEMALE: readonly (readonly [string, string])[] = [
  ['花子', 'ハナコ'], ['陽菜', 'ハルナ'], ['結衣', 'ユイ'], ['葵', 'アオイ'], ['陽葵', 'ヒマリ'], ['凛', 'リン'],
  ['芽依', 'メイ'], ['結菜', 'ユイナ'], ['咲良', 'サクラ'], ['桜', 'サクラ'], ['美咲', 'ミサキ'], ['優子', 'ユウコ'],
  ['裕子', 'ユウコ'], ['洋子', 'ヨウコ'], ['陽子', 'ヨウコ'], ['恵子', 'ケイコ'], ['恵美', 'エミ'], ['真由美', 'マユミ'],
  ['由美', 'ユミ'], ['弥生', 'ヤヨイ'], ['萌', 'モエ'], ['莉子', 'リコ'], ['杏', 'アン'], ['紬', 'ツムギ'], ['澪', 'ミオ'],
  ['千尋', 'チヒロ'], ['美月', 'ミヅキ'], ['瑞希', 'ミズキ'], ['遥', 'ハルカ'], ['静香', 'シズカ'], ['広美', 'ヒロミ'],
  ['由香', 'ユカ'], ['早紀', 'サキ'], ['京子', 'キョウコ'], ['順子', 'ジュンコ'],
];
/** Twins with deliberately near names (kana within 1–2 edits, kanji within 1). */
const NEAR_TWINS: readonly (readonly [readonly [string, string, Sex], readonly [string, string, Sex]])[] = [
  [['悠斗', 'ユウト', 'male'], ['悠太', 'ユウタ', 'male']],
  [['陽翔', 'ハルト', 'male'], ['陽菜', 'ハルナ', 'female']],
  [['結衣', 'ユイ', 'female'], ['結菜', 'ユイナ', 'female']],
  [['健太', 'ケンタ', 'male'], ['健二', 'ケンジ', 'male']],
  [['翔', 'ショウ', 'male'], ['翔太', 'ショウタ', 'male']],
  [['美月', 'ミヅキ', 'female'], ['美咲', 'ミサキ', 'female']],
  [['優子', 'ユウコ', 'female'], ['裕子', 'ユウコ', 'female']],
];
const TYPO_KANJI = '一二三太大天陽洋葉花華美実子小雄勇優裕祐悠翔将昭正政聖誠真';
const KANA = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン';

// ------------------------------------------------------------------ addresses

interface Town {
  readonly name: string;
  readonly style: 'chome' | 'banchi';
  readonly oaza?: boolean;
}
const TOWNS: readonly Town[] = [
  { name: '尚徳町', style: 'banchi' }, { name: '西町', style: 'chome' }, { name: '東町', style: 'chome' },
  { name: '湖山町東', style: 'chome' }, { name: '湖山町北', style: 'chome' }, { name: '吉方温泉', style: 'chome' },
  { name: '末広温泉町', style: 'banchi' }, { name: '面影', style: 'chome' }, { name: '浜坂', style: 'chome' },
  { name: '秋里', style: 'banchi' }, { name: '雲山', style: 'banchi' }, { name: '桜ケ丘', style: 'banchi' },
  { name: '福部町海士', style: 'banchi', oaza: true }, { name: '国府町宮ノ下', style: 'banchi', oaza: true },
  { name: '覚寺', style: 'banchi', oaza: true }, { name: '徳尾', style: 'banchi', oaza: true },
];
const PREF = '鳥取県';
const CITY = '鳥取市';

export interface Address {
  readonly town: Town;
  readonly chome: number;
  readonly ban: number;
  readonly go: number;
}

const FW = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));

export function kansuji(n: number): string {
  const d = '〇一二三四五六七八九';
  if (n === 0) return '〇';
  let out = '';
  const units: [number, string][] = [[1000, '千'], [100, '百'], [10, '十']];
  let r = n;
  for (const [u, c] of units) {
    const q = Math.floor(r / u);
    if (q > 0) out += (q === 1 ? '' : d[q]) + c;
    r %= u;
  }
  if (r > 0) out += d[r];
  return out;
}

export type AddressStyle = 'registered' | 'halfwidth' | 'hyphen' | 'kansuji' | 'no-pref' | 'no-city' | 'katagaki' | 'oaza-toggle' | 'ke-variant';

/** Renders an address; 'registered' is the 住基 form stored in the master. */
export function renderAddress(a: Address, style: AddressStyle = 'registered', rng?: Rng): string {
  const t = a.town;
  const oaza = t.oaza ? '大字' : '';
  let town = t.name;
  let prefix = `${PREF}${CITY}`;
  let num: string;
  if (t.style === 'chome') {
    num = `${kansuji(a.chome)}丁目${FW(String(a.ban))}番${FW(String(a.go))}号`;
    if (style === 'halfwidth') num = `${a.chome}丁目${a.ban}番${a.go}号`;
    if (style === 'hyphen') num = rng?.chance(0.5) ? `${a.chome}-${a.ban}-${a.go}` : FW(`${a.chome}-${a.ban}-${a.go}`).replace(/-/g, '－');
    if (style === 'kansuji') num = `${kansuji(a.chome)}丁目${kansuji(a.ban)}番${kansuji(a.go)}号`;
  } else {
    num = a.go ? `${FW(String(a.ban))}番地${FW(String(a.go))}` : `${FW(String(a.ban))}番地`;
    if (style === 'halfwidth') num = a.go ? `${a.ban}番地${a.go}` : `${a.ban}番地`;
    if (style === 'hyphen') num = a.go ? (rng?.chance(0.5) ? `${a.ban}-${a.go}` : `${a.ban}の${a.go}`) : String(a.ban);
    if (style === 'kansuji') num = a.go ? `${kansuji(a.ban)}番地の${kansuji(a.go)}` : `${kansuji(a.ban)}番地`;
  }
  let main = `${oaza}${town}`;
  if (style === 'no-pref') prefix = CITY;
  if (style === 'no-city') prefix = '';
  if (style === 'oaza-toggle') main = t.oaza ? town : `大字${town}`;
  if (style === 'ke-variant') {
    town = town.replace('ケ', rng?.chance(0.5) ? 'ヶ' : 'が').replace('ノ', 'の');
    main = `${oaza}${town}`;
  }
  const tail = style === 'katagaki' ? `${rng?.chance(0.5) ? ' ' : '\u3000'}${rng?.pick(['コーポ鳥取', 'ハイツ湖山', 'メゾン末広', 'サンハイム'])}${FW(String(rng?.int(101, 305) ?? 101))}号室` : '';
  return `${prefix}${main}${num}${tail}`;
}

function randomAddress(rng: Rng): Address {
  const town = rng.pick(TOWNS);
  return town.style === 'chome' ? { town, chome: rng.int(1, 5), ban: rng.int(1, 30), go: rng.int(1, 25) } : { town, chome: 0, ban: rng.int(1, 1200), go: rng.chance(0.4) ? rng.int(1, 12) : 0 };
}

// ------------------------------------------------------------------ people

export interface Person {
  readonly atenaNo: string;
  readonly familyKanji: string;
  readonly givenKanji: string;
  readonly familyKana: string;
  readonly givenKana: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly address: Address;
  readonly previousAddress: Address;
  readonly householdNo: string;
  readonly status: string;
  readonly tags: readonly string[];
}

export function toCandidate(p: Person): MatchCandidate {
  return {
    atenaNo: p.atenaNo,
    nameKanji: `${p.familyKanji}\u3000${p.givenKanji}`,
    nameKana: `${p.familyKana}\u3000${p.givenKana}`,
    birthDate: p.birthDate,
    sex: p.sex,
    address: renderAddress(p.address),
    status: p.status,
    householdNo: p.householdNo,
  };
}

function date(rng: Rng, fromYear: number, toYear: number): string {
  const y = rng.int(fromYear, toYear);
  const m = rng.int(1, 12);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${y}-${String(m).padStart(2, '0')}-${String(rng.int(1, days)).padStart(2, '0')}`;
}

export interface Population {
  readonly residents: Person[];
  /** People who are NOT in the master (queries about them must never be linked). */
  readonly ghosts: Person[];
  readonly byDob: Map<string, MatchCandidate[]>;
  readonly byKana: Map<string, MatchCandidate[]>;
}

export function generatePopulation(seed: string, households: number): Population {
  const rng = seededRng(seed);
  const residents: Person[] = [];
  const ghosts: Person[] = [];
  let atena = 0;
  const nextAtena = () => String(1_000_000_001 + atena++);
  const family = () => {
    const [k, kana, variants] = rng.pick(FAMILIES);
    const kanji = variants.length && rng.chance(0.25) ? rng.pick(variants) : k;
    return { kanji, kana };
  };
  const given = (sex: Sex) => rng.pick(sex === 'male' ? MALE : FEMALE);
  const status = () => rng.weighted([['resident', 96], ['moved-out', 3], ['deceased', 1]] as const);
  const apartments: Address[] = [];

  for (let h = 0; h < households; h++) {
    const householdNo = String(5_000_000 + h);
    // some households share an apartment building's address (方書 differs, not part of the address)
    const address = apartments.length && rng.chance(0.15) ? rng.pick(apartments) : randomAddress(rng);
    if (rng.chance(0.05)) apartments.push(address);
    const previousAddress = randomAddress(rng);
    const fam = family();
    const add = (givenName: readonly [string, string], sex: Sex, birthDate: string, tags: string[] = [], famOverride?: { kanji: string; kana: string }) => {
      const f = famOverride ?? fam;
      const p: Person = { atenaNo: nextAtena(), familyKanji: f.kanji, familyKana: f.kana, givenKanji: givenName[0], givenKana: givenName[1], birthDate, sex, address, previousAddress, householdNo, status: status(), tags };
      residents.push(p);
      return p;
    };
    const kind = rng.weighted([['single', 20], ['couple', 15], ['family', 55], ['three-gen', 10]] as const);
    const headSex: Sex = rng.chance(0.5) ? 'male' : 'female';
    if (kind === 'single') {
      add(given(headSex), headSex, date(rng, 1940, 2004));
      continue;
    }
    const head = add(given('male'), 'male', date(rng, 1950, 1996));
    add(given('female'), 'female', date(rng, Number(head.birthDate.slice(0, 4)) - 4, Math.min(Number(head.birthDate.slice(0, 4)) + 4, 1998)));
    if (kind === 'couple') continue;
    const parentYear = Number(head.birthDate.slice(0, 4));
    const kids = rng.int(1, 3);
    for (let k = 0; k < kids; k++) {
      const dob = date(rng, Math.max(parentYear + 22, 2005), Math.min(parentYear + 45, 2025));
      if (rng.chance(0.06)) {
        // twins (sometimes near names, sometimes not), occasionally triplets
        const twinNames: string[] = [];
        if (rng.chance(0.6)) {
          const [a, b] = rng.pick(NEAR_TWINS);
          twinNames.push(a[1], b[1]);
          add([a[0], a[1]], a[2], dob, ['twin', 'near-twin']);
          add([b[0], b[1]], b[2], dob, ['twin', 'near-twin']);
        } else {
          const s1: Sex = rng.chance(0.5) ? 'male' : 'female';
          const s2: Sex = rng.chance(0.5) ? 'male' : 'female';
          const g1 = given(s1);
          let g2 = given(s2);
          while (g2[1] === g1[1]) g2 = given(s2);
          add(g1, s1, dob, ['twin']);
          add(g2, s2, dob, ['twin']);
          twinNames.push(g1[1], g2[1]);
          if (rng.chance(0.1)) {
            let g3 = given(s1);
            while (g3[1] === g1[1] || g3[1] === g2[1]) g3 = given(s1);
            add(g3, s1, dob, ['twin', 'triplet']);
            twinNames.push(g3[1]);
          }
        }
        // a twin whose sibling is NOT in the master (lives elsewhere): a ghost with the same family, birth date
        if (rng.chance(0.3)) {
          const s: Sex = rng.chance(0.5) ? 'male' : 'female';
          let g = given(s);
          while (twinNames.includes(g[1])) g = given(s);
          ghosts.push({ atenaNo: 'ghost', familyKanji: fam.kanji, familyKana: fam.kana, givenKanji: g[0], givenKana: g[1], birthDate: dob, sex: s, address: randomAddress(rng), previousAddress: address, householdNo: 'elsewhere', status: 'none', tags: ['ghost', 'twin-ghost'] });
        }
      } else {
        const s: Sex = rng.chance(0.5) ? 'male' : 'female';
        add(given(s), s, dob);
      }
    }
    if (kind === 'three-gen') {
      // grandparent; sometimes the grandson carries the grandfather's name (same name, different birth date, one address)
      const gp = add(given('male'), 'male', date(rng, 1935, Math.min(parentYear - 20, 1960)), ['grandparent']);
      if (rng.chance(0.3)) add([gp.givenKanji, gp.givenKana], 'male', date(rng, 2010, 2025), ['namesake-same-address', 'second-generation']);
    }
  }

  // same-day namesakes: elsewhere in the city, and in the same apartment building (the hardest case)
  const base = residents.slice();
  for (let i = 0; i < Math.ceil(households / 60); i++) {
    const p = rng.pick(base);
    const sameBuilding = rng.chance(0.4);
    const q: Person = { ...p, atenaNo: nextAtena(), address: sameBuilding ? p.address : randomAddress(rng), previousAddress: randomAddress(rng), householdNo: `9${p.householdNo}`, status: 'resident', tags: [sameBuilding ? 'namesake-same-address' : 'namesake-same-day'] };
    residents.push(q);
    (p.tags as string[]).push(sameBuilding ? 'namesake-same-address' : 'namesake-same-day');
  }
  // ghosts: namesakes (same name, birth date, sex) who live in another municipality, and strangers
  for (let i = 0; i < Math.ceil(households / 40); i++) {
    const p = rng.pick(base);
    ghosts.push({ ...p, atenaNo: 'ghost', address: { ...randomAddress(rng), town: { name: `米子市${rng.pick(['角盤町', '加茂町', '東町'])}`, style: 'banchi' } }, householdNo: 'elsewhere', status: 'none', tags: ['ghost', 'namesake-ghost'] });
  }
  for (let i = 0; i < Math.ceil(households / 20); i++) {
    const s: Sex = rng.chance(0.5) ? 'male' : 'female';
    const f = family();
    const g = given(s);
    ghosts.push({ atenaNo: 'ghost', familyKanji: f.kanji, familyKana: f.kana, givenKanji: g[0], givenKana: g[1], birthDate: date(rng, 1940, 2025), sex: s, address: randomAddress(rng), previousAddress: randomAddress(rng), householdNo: 'elsewhere', status: 'none', tags: ['ghost', 'stranger'] });
  }

  const byDob = new Map<string, MatchCandidate[]>();
  const byKana = new Map<string, MatchCandidate[]>();
  for (const p of residents) {
    const c = toCandidate(p);
    byDob.set(c.birthDate, [...(byDob.get(c.birthDate) ?? []), c]);
    const k = searchKana(c.nameKana);
    byKana.set(k, [...(byKana.get(k) ?? []), c]);
  }
  return { residents, ghosts, byDob, byKana };
}

/** What the caller does: persons with the query's birth date, plus persons whose 検索カナ equals the query's. */
export function fetchCandidates(pop: Population, q: MatchQuery): MatchCandidate[] {
  const out = [...(pop.byDob.get(q.birthDate) ?? [])];
  if (q.nameKana) out.push(...(pop.byKana.get(searchKana(q.nameKana)) ?? []));
  return out;
}

// ------------------------------------------------------------------ perturbations

const HALF_FROM = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォッャュョー\u3000';
const HALF_TO = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｯｬｭｮｰ ';

export function toHalfWidthKana(s: string): string {
  return [...s.normalize('NFD')]
    .map((c) => (c === '\u3099' ? 'ﾞ' : c === '\u309a' ? 'ﾟ' : c === 'ヴ' ? 'ｳﾞ' : (HALF_TO[HALF_FROM.indexOf(c)] ?? c)))
    .join('');
}

const SMALL_TO_LARGE: Record<string, string> = { ァ: 'ア', ィ: 'イ', ゥ: 'ウ', ェ: 'エ', ォ: 'オ', ッ: 'ツ', ャ: 'ヤ', ュ: 'ユ', ョ: 'ヨ' };
const VOICED: Record<string, string> = { カ: 'ガ', キ: 'ギ', ク: 'グ', ケ: 'ゲ', コ: 'ゴ', サ: 'ザ', シ: 'ジ', ス: 'ズ', セ: 'ゼ', ソ: 'ゾ', タ: 'ダ', チ: 'ヂ', ツ: 'ヅ', テ: 'デ', ト: 'ド', ハ: 'バ', ヒ: 'ビ', フ: 'ブ', ヘ: 'ベ', ホ: 'ボ' };
const UNVOICED: Record<string, string> = Object.fromEntries(Object.entries(VOICED).map(([a, b]) => [b, a]));

/** One random edit of a kana string (substitute, delete, insert, transpose, 濁点 toggle); never a no-op. */
export function kanaTypo(s: string, rng: Rng): string {
  const chars = [...s];
  const idx = () => {
    let i = rng.int(0, chars.length - 1);
    for (let n = 0; n < 10 && !/[ァ-ヶ]/.test(chars[i]!); n++) i = rng.int(0, chars.length - 1);
    return i;
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = [...chars];
    const i = idx();
    const op = rng.pick(['sub', 'del', 'ins', 'swap', 'voice'] as const);
    if (op === 'sub') c[i] = rng.pick([...KANA]);
    else if (op === 'del' && c.filter((x) => /[ァ-ヶ]/.test(x)).length > 3) c.splice(i, 1);
    else if (op === 'ins') c.splice(i, 0, rng.pick([...KANA]));
    else if (op === 'swap' && i + 1 < c.length && /[ァ-ヶ]/.test(c[i + 1]!)) [c[i], c[i + 1]] = [c[i + 1]!, c[i]!];
    else if (op === 'voice') c[i] = VOICED[c[i]!] ?? UNVOICED[c[i]!] ?? c[i]!;
    const out = c.join('');
    if (searchKana(out) !== searchKana(s)) return out;
  }
  return `${s}ア`;
}

export const LINKABLE_PERTURBATIONS = [
  'kana-halfwidth', 'kana-hiragana', 'kana-nospace', 'kana-chokuon', 'kana-long-vowel', 'kana-missing',
  'kanji-variant', 'kanji-missing', 'kanji-nospace',
  'address-halfwidth', 'address-hyphen', 'address-kansuji', 'address-no-pref', 'address-no-city', 'address-katagaki', 'address-oaza', 'address-ke',
  'sex-missing',
] as const;
export const REVIEW_PERTURBATIONS = ['kana-typo', 'kana-typo2', 'kana-swap', 'kanji-typo', 'address-old', 'address-missing', 'sex-wrong', 'dob-typo'] as const;
export type Perturbation = (typeof LINKABLE_PERTURBATIONS)[number] | (typeof REVIEW_PERTURBATIONS)[number];

function variantOf(kanji: string, rng: Rng): string {
  // swap to another spelling of the same family name (registered 異体字 ↔ common form), or a 旧字体 of a given-name character
  for (const [k, , variants] of FAMILIES) {
    const all = [k, ...variants];
    const hit = all.find((v) => kanji.startsWith(v));
    if (hit && all.length > 1) {
      const others = all.filter((v) => v !== hit);
      return rng.pick(others) + kanji.slice(hit.length);
    }
  }
  const OLD: Record<string, string> = { 恵: '惠', 弥: '彌', 真: '眞', 広: '廣', 静: '靜', 清: '淸', 竜: '龍', 龍: '竜', 達: '逹', 涼: '凉', 桜: '櫻', 実: '實' };
  const cs = [...kanji];
  const i = cs.findIndex((c) => c in OLD);
  if (i >= 0) cs[i] = OLD[cs[i]!]!;
  return cs.join('');
}

export function perturb(p: Person, kinds: readonly Perturbation[], rng: Rng): MatchQuery {
  let kanaFamily = p.familyKana;
  let kanaGiven = p.givenKana;
  let kanaSep = '\u3000';
  let kanji = `${p.familyKanji}\u3000${p.givenKanji}`;
  let kana: string | undefined;
  let address: string | undefined = renderAddress(p.address);
  let sex: Sex | undefined = p.sex;
  let birthDate = p.birthDate;
  let kanjiOut: string | undefined = kanji;
  const post: ((k: string) => string)[] = [];
  for (const kind of kinds) {
    switch (kind) {
      case 'kana-halfwidth': post.push(toHalfWidthKana); break;
      case 'kana-hiragana': post.push((k) => k.replace(/[ァ-ヶ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60))); break;
      case 'kana-nospace': kanaSep = rng.chance(0.5) ? '' : ' '; break;
      case 'kana-chokuon': post.push((k) => [...k].map((c) => SMALL_TO_LARGE[c] ?? c).join('')); break;
      case 'kana-long-vowel': post.push((k) => k.replace(/([オコソトノホモヨロゴゾドボポョュウクスツヌフムユルグズブプ])ウ/g, '$1ー').replace(/([エケセテネヘメレゲゼデベペ])イ/g, '$1ー')); break;
      case 'kana-missing': kana = ''; break;
      case 'kana-typo': if (rng.chance(0.5)) kanaGiven = kanaTypo(kanaGiven, rng); else kanaFamily = kanaTypo(kanaFamily, rng); break;
      case 'kana-typo2': {
        let t = kanaTypo(kanaTypo(kanaGiven, rng), rng);
        for (let n = 0; n < 20 && editDistance(searchKana(t), searchKana(kanaGiven)) < 2; n++) t = kanaTypo(kanaTypo(kanaGiven, rng), rng);
        kanaGiven = t;
        break;
      }
      case 'kana-swap': [kanaFamily, kanaGiven] = [kanaGiven, kanaFamily]; break;
      case 'kanji-variant': kanji = variantOf(kanji, rng); kanjiOut = kanji; break;
      case 'kanji-missing': kanjiOut = undefined; break;
      case 'kanji-nospace': kanji = kanji.replace('\u3000', rng.chance(0.5) ? '' : ' '); kanjiOut = kanji; break;
      case 'kanji-typo': {
        const cs = [...p.givenKanji];
        const i = rng.int(0, cs.length - 1);
        let r = rng.pick([...TYPO_KANJI]);
        while (r === cs[i]) r = rng.pick([...TYPO_KANJI]);
        cs[i] = r;
        kanji = `${p.familyKanji}\u3000${cs.join('')}`;
        kanjiOut = kanji;
        break;
      }
      case 'address-halfwidth': address = renderAddress(p.address, 'halfwidth', rng); break;
      case 'address-hyphen': address = renderAddress(p.address, 'hyphen', rng); break;
      case 'address-kansuji': address = renderAddress(p.address, 'kansuji', rng); break;
      case 'address-no-pref': address = renderAddress(p.address, 'no-pref', rng); break;
      case 'address-no-city': address = renderAddress(p.address, 'no-city', rng); break;
      case 'address-katagaki': address = renderAddress(p.address, 'katagaki', rng); break;
      case 'address-oaza': address = renderAddress(p.address, 'oaza-toggle', rng); break;
      case 'address-ke': address = renderAddress(p.address, 'ke-variant', rng); break;
      case 'address-missing': address = undefined; break;
      case 'address-old': address = renderAddress(p.previousAddress, 'registered'); break;
      case 'sex-missing': sex = undefined; break;
      case 'sex-wrong': sex = p.sex === 'male' ? 'female' : 'male'; break;
      case 'dob-typo': {
        for (let n = 0; n < 50; n++) {
          const ds = [...birthDate.replace(/-/g, '')];
          const i = rng.pick([2, 3, 5, 7]);
          ds[i] = String(rng.int(0, 9));
          const s = `${ds.slice(0, 4).join('')}-${ds.slice(4, 6).join('')}-${ds.slice(6, 8).join('')}`;
          const d = new Date(`${s}T00:00:00Z`);
          if (s !== p.birthDate && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s) {
            birthDate = s;
            break;
          }
        }
        break;
      }
    }
  }
  if (kana === undefined) {
    kana = `${kanaFamily}${kanaSep}${kanaGiven}`;
    for (const f of post) kana = f(kana);
  }
  return { nameKanji: kanjiOut, nameKana: kana || undefined, birthDate, sex, address };
}

/** Perturbations that would hide each other: one "missing" per field, one address rendering, no name at all. */
function conflicts(a: Perturbation, b: Perturbation): boolean {
  const field = (k: Perturbation) => k.split('-')[0]!;
  if ((a === 'kana-missing' && b === 'kanji-missing') || (a === 'kanji-missing' && b === 'kana-missing')) return true;
  if (field(a) !== field(b)) return false;
  if (field(a) === 'address' || field(a) === 'sex') return true;
  return a.endsWith('-missing') || b.endsWith('-missing');
}

/** 0–2 perturbations: a quarter of queries are clean, the rest mostly notation-level, some that must go to review. */
export function pickPerturbations(rng: Rng): Perturbation[] {
  const n = rng.weighted([[0, 25], [1, 45], [2, 30]] as const);
  const out: Perturbation[] = [];
  while (out.length < n) {
    const k: Perturbation = rng.chance(0.72) ? rng.pick(LINKABLE_PERTURBATIONS) : rng.pick(REVIEW_PERTURBATIONS);
    if (out.includes(k) || out.some((o) => conflicts(o, k))) continue;
    out.push(k);
  }
  return out;
}
