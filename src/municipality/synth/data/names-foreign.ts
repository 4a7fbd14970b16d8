// Foreign residents (外国人住民) for synthetic data: nationalities, names and 在留資格, as data.
//
// Nationality weights: 出入国在留管理庁「令和6年末現在における在留外国人数について」 (2025-03), the ten largest
// nationalities and regions (中国 873,286; ベトナム 634,361; 韓国 409,238; フィリピン 341,518; ネパール 233,043;
// ブラジル 211,907; インドネシア 199,824; ミャンマー 134,574; 台湾 70,147; 米国 66,111 — together 86% of the
// 3,768,977 residents); the remaining 14% are folded into these ten.
//
// Names: common family and given names of each country, romanised as 住民票 carry them (アルファベット氏名, family
// name first, no diacritics) with a katakana reading; Chinese, Korean and Taiwanese names also have the
// kanji 本名 in Japanese character forms (CP932; simplified-only characters are avoided).  A 通称 (alias)
// is a Japanese-style name registered for daily use: common among 特別永住者 and long-term residents.
//
// Residence statuses per nationality are rough mixes modelled on the same statistics; `age` bounds keep
// them plausible (技能実習 workers are young adults, 特別永住者 are mostly older).

export interface ForeignName {
  readonly alpha: string;
  readonly kana: string;
  /** The 本名 in kanji (中国・韓国・台湾), else undefined: the 本名 is the alphabet name. */
  readonly kanji?: string;
}

export type Visa =
  | '永住者'
  | '特別永住者'
  | '技能実習'
  | '特定技能'
  | '技術・人文知識・国際業務'
  | '留学'
  | '家族滞在'
  | '日本人の配偶者等'
  | '永住者の配偶者等'
  | '定住者'
  | '技能'
  | '経営・管理'
  | '教育';

export const VISAS: readonly Visa[] = ['永住者', '特別永住者', '技能実習', '特定技能', '技術・人文知識・国際業務', '留学', '家族滞在', '日本人の配偶者等', '永住者の配偶者等', '定住者', '技能', '経営・管理', '教育'];

/** Statuses without a period of stay (no 在留期間満了日). */
export const PERMANENT_VISAS: ReadonlySet<Visa> = new Set<Visa>(['永住者', '特別永住者']);

/** Household profiles a nationality's residents come in. */
export type ForeignProfile = 'worker' | 'student' | 'professional' | 'permanent' | 'special' | 'settled';

export interface Nationality {
  /** 国籍・地域 as the 住民票 writes it. */
  readonly name: string;
  /** Country name for 転入前住所 / 転出先住所 when moving from / to abroad. */
  readonly country: string;
  readonly weight: number;
  readonly families: readonly ForeignName[];
  readonly male: readonly ForeignName[];
  readonly female: readonly ForeignName[];
  /** Household profiles and weights. */
  readonly profiles: readonly (readonly [ForeignProfile, number])[];
  /** Share of men among single workers and students. */
  readonly maleShare: number;
  /** Share of residents registering a 通称 (for 特別永住者 see SPECIAL_ALIAS_RATE). */
  readonly aliasRate: number;
  /** Japanese-style surnames (`kanji:kana`) often taken as 通称 by bearers of a family name (Korean 特別永住者). */
  readonly aliasSurnames?: Readonly<Record<string, readonly string[]>>;
}

function names(text: string): ForeignName[] {
  return text
    .trim()
    .split('|')
    .map((e) => {
      const [alpha, kana, kanji] = e.trim().split(':');
      return kanji ? { alpha: alpha!, kana: kana!, kanji } : { alpha: alpha!, kana: kana! };
    });
}

export const SPECIAL_ALIAS_RATE = 0.8;

export const NATIONALITIES: readonly Nationality[] = [
  {
    name: '中国',
    country: '中華人民共和国',
    weight: 873_286,
    families: names('WANG:ワン:王|LI:リー:李|ZHANG:チャン:張|LIU:リュウ:劉|CHEN:チェン:陳|YANG:ヤン:楊|ZHAO:チャオ:趙|HUANG:ホアン:黄|ZHOU:チョウ:周|WU:ウー:呉|XU:シュー:徐|SUN:スン:孫|HU:フー:胡|ZHU:チュー:朱|GAO:ガオ:高|LIN:リン:林|HE:ホー:何|GUO:グオ:郭|MA:マー:馬|LUO:ルオ:羅'),
    male: names('WEI:ウェイ:偉|QIANG:チャン:強|LEI:レイ:磊|JUN:ジュン:軍|YANG:ヤン:洋|YONG:ヨン:勇|JIE:ジエ:傑|TAO:タオ:涛|MING:ミン:明|CHAO:チャオ:超|HAO:ハオ:浩|PENG:ポン:鵬|HAOYU:ハオユー:浩宇|ZIHAN:ズーハン:子涵|JIANGUO:ジエングオ:建国'),
    female: names('FANG:ファン:芳|MIN:ミン:敏|JING:ジン:静|LI:リー:麗|YAN:イェン:艶|XIA:シア:霞|XUE:シュエ:雪|HUI:ホイ:慧|LING:リン:玲|HONG:ホン:紅|XIAOYAN:シャオイェン:暁燕|YUTONG:ユートン:雨桐|LIHUA:リーホア:麗華'),
    profiles: [['permanent', 35], ['professional', 25], ['student', 15], ['worker', 10], ['settled', 5]],
    maleShare: 0.45,
    aliasRate: 0.15,
  },
  {
    name: 'ベトナム',
    country: 'ベトナム社会主義共和国',
    weight: 634_361,
    families: names('NGUYEN:グエン|TRAN:チャン|LE:レ|PHAM:ファム|HOANG:ホアン|HUYNH:フイン|PHAN:ファン|VU:ヴー|DANG:ダン|BUI:ブイ|DO:ドー|NGO:ゴー|DUONG:ズオン|LY:リー'),
    male: names('VAN AN:ヴァン　アン|VAN HUNG:ヴァン　フン|VAN NAM:ヴァン　ナム|DUC MINH:ドゥック　ミン|MINH TUAN:ミン　トゥアン|VAN LONG:ヴァン　ロン|QUANG HAI:クアン　ハイ|VAN THANG:ヴァン　タン|HOANG PHONG:ホアン　フォン|VAN KHANH:ヴァン　カイン|THANH SON:タイン　ソン|VAN CUONG:ヴァン　クオン|DUC VIET:ドゥック　ヴィエット'),
    female: names('THI LAN:ティ　ラン|THI HUONG:ティ　フオン|THI MAI:ティ　マイ|THI LINH:ティ　リン|THI HANG:ティ　ハン|NGOC ANH:ゴック　アイン|THI THAO:ティ　タオ|THI TRANG:ティ　チャン|THU HA:トゥー　ハー|THI NGA:ティ　ガー|THI PHUONG:ティ　フオン|THI YEN:ティ　イェン|THI HOA:ティ　ホア'),
    profiles: [['worker', 60], ['student', 15], ['professional', 15], ['permanent', 5], ['settled', 5]],
    maleShare: 0.55,
    aliasRate: 0.01,
  },
  {
    name: '韓国',
    country: '大韓民国',
    weight: 409_238,
    families: names('KIM:キム:金|LEE:イ:李|PARK:パク:朴|CHOI:チェ:崔|JUNG:チョン:鄭|KANG:カン:姜|CHO:チョ:趙|YOON:ユン:尹|JANG:チャン:張|LIM:イム:林|HAN:ハン:韓|OH:オ:呉|SHIN:シン:申|SEO:ソ:徐|KWON:クォン:権'),
    male: names('MINJUN:ミンジュン:民俊|SUNGHO:ソンホ:成浩|YOUNGCHUL:ヨンチョル:英哲|JUNGHO:チョンホ:正浩|SANGWOOK:サンウク:相旭|DONGMIN:トンミン:東民|JAEHOON:チェフン:在勲|JUNHO:ジュノ:俊浩|KWANGSOO:クァンス:光洙|YOUNGSOO:ヨンス:永洙|SEUNGHYUN:スンヒョン:承賢|MYUNGSOO:ミョンス:明洙'),
    female: names('YOUNGHEE:ヨンヒ:英姫|MISOOK:ミスク:美淑|SOONJA:スンジャ:順子|EUNJUNG:ウンジョン:恩貞|SOOJIN:スジン:秀珍|JIYOUNG:チヨン:智英|HYUNSOOK:ヒョンスク:賢淑|HYEJIN:ヘジン:恵真|MIKYUNG:ミギョン:美京|JUNGSOOK:チョンスク:貞淑|SUNHEE:ソンヒ:善姫|EUNHYE:ウネ:恩恵'),
    profiles: [['special', 45], ['permanent', 25], ['professional', 20], ['student', 10]],
    maleShare: 0.5,
    aliasRate: 0.1,
    aliasSurnames: {
      KIM: ['金本:カネモト', '金田:カネダ', '金山:カナヤマ', '金井:カナイ', '金村:カネムラ'],
      LEE: ['岩本:イワモト', '宮本:ミヤモト', '木村:キムラ', '李:リ'],
      PARK: ['新井:アライ', '木下:キノシタ', '朴:ボク'],
      CHOI: ['山本:ヤマモト', '高山:タカヤマ'],
      JUNG: ['東:ヒガシ', '松本:マツモト'],
      KANG: ['大山:オオヤマ', '神山:カミヤマ'],
      CHO: ['松山:マツヤマ', '長山:ナガヤマ'],
      YOON: ['平沼:ヒラヌマ', '伊原:イハラ'],
      JANG: ['張本:ハリモト', '安田:ヤスダ'],
      LIM: ['林:ハヤシ', '平林:ヒラバヤシ'],
      HAN: ['西原:ニシハラ', '清原:キヨハラ'],
      OH: ['呉山:クレヤマ', '高木:タカギ'],
      SHIN: ['平山:ヒラヤマ', '重光:シゲミツ'],
      SEO: ['大島:オオシマ', '達城:タツシロ'],
      KWON: ['安東:アンドウ', '権藤:ゴンドウ'],
    },
  },
  {
    name: 'フィリピン',
    country: 'フィリピン共和国',
    weight: 341_518,
    families: names('SANTOS:サントス|REYES:レイエス|CRUZ:クルス|BAUTISTA:バウティスタ|GARCIA:ガルシア|MENDOZA:メンドーサ|DELA CRUZ:デラクルス|RAMOS:ラモス|AQUINO:アキノ|GONZALES:ゴンザレス|VILLANUEVA:ビジャヌエバ|TORRES:トーレス|CASTILLO:カスティーヨ|FLORES:フローレス'),
    male: names('JOSE:ホセ|JUAN:フアン|MARK:マーク|JOHN:ジョン|MICHAEL:マイケル|ROMMEL:ロンメル|RAFAEL:ラファエル|JOHN PAUL:ジョン　ポール|RENATO:レナト|ARIEL:アリエル|JERICHO:ジェリコ'),
    female: names('MARIA:マリア|JOCELYN:ジョセリン|MARICEL:マリセル|ROSALIE:ロザリー|CRISTINA:クリスティナ|JENNIFER:ジェニファー|MARY JOY:メリー　ジョイ|ANALYN:アナリン|LIZA:リザ|GRACE:グレース|MARIVIC:マリビック|JOANNA:ジョアンナ'),
    profiles: [['permanent', 45], ['settled', 20], ['worker', 25], ['professional', 10]],
    maleShare: 0.45,
    aliasRate: 0.05,
  },
  {
    name: 'ネパール',
    country: 'ネパール',
    weight: 233_043,
    families: names('SHRESTHA:シュレスタ|GURUNG:グルン|TAMANG:タマン|MAGAR:マガル|RAI:ライ|THAPA:タパ|KC:ケーシー|ADHIKARI:アディカリ|SHARMA:シャルマ|BHANDARI:バンダリ|POUDEL:パウデル|LAMA:ラマ'),
    male: names('RAM:ラム|BIKASH:ビカス|SURESH:スレス|RAJESH:ラジェス|PRAKASH:プラカス|SANTOSH:サントス|DIPENDRA:ディペンドラ|ANIL:アニル|SUMAN:スマン|KRISHNA:クリシュナ'),
    female: names('SITA:シタ|GITA:ギタ|SARITA:サリタ|ANJALI:アンジャリ|PRATIMA:プラティマ|SUNITA:スニタ|ASHA:アシャ|RITA:リタ|MAYA:マヤ|SABINA:サビナ'),
    profiles: [['student', 35], ['professional', 40], ['worker', 25]],
    maleShare: 0.6,
    aliasRate: 0.0,
  },
  {
    name: 'ブラジル',
    country: 'ブラジル連邦共和国',
    weight: 211_907,
    families: names('SILVA:シルバ|SANTOS:サントス|OLIVEIRA:オリベイラ|SOUZA:ソウザ|PEREIRA:ペレイラ|COSTA:コスタ|RODRIGUES:ロドリゲス|ALVES:アウベス|LIMA:リマ|FERREIRA:フェヘイラ|NAKAMURA:ナカムラ|SATO:サトウ|TANAKA:タナカ|OKADA:オカダ|YAMAMOTO:ヤマモト'),
    male: names('JOAO:ジョアン|PEDRO:ペドロ|LUCAS:ルーカス|GABRIEL:ガブリエル|RAFAEL:ハファエル|MARCOS:マルコス|PAULO:パウロ|CARLOS:カルロス|EDSON:エジソン|FABIO:ファビオ|RICARDO:ヒカルド'),
    female: names('ANA:アナ|JULIANA:ジュリアナ|FERNANDA:フェルナンダ|PATRICIA:パトリシア|CAMILA:カミラ|BEATRIZ:ベアトリス|LUCIANA:ルシアナ|MARIANA:マリアナ|ADRIANA:アドリアナ|SIMONE:シモーネ'),
    profiles: [['permanent', 55], ['settled', 45]],
    maleShare: 0.52,
    aliasRate: 0.05,
  },
  {
    name: 'インドネシア',
    country: 'インドネシア共和国',
    weight: 199_824,
    families: names('SAPUTRA:サプトラ|SETIAWAN:セティアワン|PRATAMA:プラタマ|WIJAYA:ウィジャヤ|HIDAYAT:ヒダヤット|NUGROHO:ヌグロホ|SANTOSO:サントソ|KURNIAWAN:クルニアワン|LESTARI:レスタリ|WULANDARI:ウランダリ'),
    male: names('AGUS:アグス|BUDI:ブディ|DEDI:デディ|EKO:エコ|RIZKI:リズキ|ARIF:アリフ|HENDRA:ヘンドラ|DWI:ドゥイ|FAJAR:ファジャル|YUSUF:ユスフ'),
    female: names('SITI:シティ|DEWI:デウィ|NUR:ヌル|PUTRI:プトゥリ|RINA:リナ|INDAH:インダ|SRI:スリ|AYU:アユ|FITRI:フィトリ|RATNA:ラトナ'),
    profiles: [['worker', 80], ['student', 10], ['professional', 10]],
    maleShare: 0.62,
    aliasRate: 0.0,
  },
  {
    name: 'ミャンマー',
    country: 'ミャンマー連邦共和国',
    weight: 134_574,
    families: names('AUNG:アウン|MYINT:ミン|HTUN:トゥン|KYAW:チョー|ZAW:ゾー|THANT:タン|HLAING:フライン|WIN:ウィン|OO:ウー|NAING:ナイン'),
    male: names('MIN:ミン|KO KO:コー　コー|NAING:ナイン|THU:トゥ|LIN:リン|HTET:テッ|PAING:パイン|SOE:ソー'),
    female: names('SU:スー|HNIN:ニン|THIDA:ティダ|KHIN:キン|MAY:メー|ZIN:ジン|THAZIN:タジン|NWE:ヌエ'),
    profiles: [['worker', 70], ['student', 15], ['professional', 15]],
    maleShare: 0.5,
    aliasRate: 0.0,
  },
  {
    name: '台湾',
    country: '台湾',
    weight: 70_147,
    families: names('CHEN:チェン:陳|LIN:リン:林|HUANG:ホワン:黄|CHANG:チャン:張|LEE:リー:李|WANG:ワン:王|WU:ウー:呉|LIU:リウ:劉|TSAI:ツァイ:蔡|YANG:ヤン:楊|HSU:シュー:許|CHENG:チェン:鄭'),
    male: names('CHIH-MING:ジーミン:志明|CHUN-HUNG:チュンホン:俊宏|CHIA-HAO:ジャーハオ:家豪|CHIEN-HUNG:ジェンホン:建宏|WEN-HSIUNG:ウェンシオン:文雄|YU-CHENG:ユーチェン:宇成'),
    female: names('SHU-FEN:シューフェン:淑芬|MEI-LING:メイリン:美玲|PEI-SHAN:ペイシャン:佩珊|HSIU-YING:シウイン:秀英|LI-HUA:リーホア:麗華|YI-CHUN:イーチュン:怡君'),
    profiles: [['permanent', 40], ['professional', 35], ['student', 25]],
    maleShare: 0.4,
    aliasRate: 0.1,
  },
  {
    name: '米国',
    country: 'アメリカ合衆国',
    weight: 66_111,
    families: names('SMITH:スミス|JOHNSON:ジョンソン|WILLIAMS:ウィリアムズ|BROWN:ブラウン|JONES:ジョーンズ|MILLER:ミラー|DAVIS:デイビス|WILSON:ウィルソン|ANDERSON:アンダーソン|TAYLOR:テイラー|MOORE:ムーア|MARTIN:マーティン'),
    male: names('JAMES:ジェームズ|JOHN:ジョン|ROBERT:ロバート|MICHAEL:マイケル|DAVID:デイビッド|DANIEL:ダニエル|MATTHEW:マシュー|RYAN:ライアン|CHRISTOPHER:クリストファー|KEVIN:ケビン'),
    female: names('MARY:メアリー|JENNIFER:ジェニファー|SARAH:サラ|EMILY:エミリー|JESSICA:ジェシカ|ELIZABETH:エリザベス|LAURA:ローラ|ASHLEY:アシュリー|EMMA:エマ|HANNAH:ハンナ'),
    profiles: [['permanent', 30], ['professional', 70]],
    maleShare: 0.6,
    aliasRate: 0.02,
  },
];

/** Statuses by profile, with the age range each allows. */
export const PROFILE_VISAS: Readonly<Record<ForeignProfile, readonly (readonly [Visa, number])[]>> = {
  worker: [['技能実習', 55], ['特定技能', 45]],
  student: [['留学', 1]],
  professional: [['技術・人文知識・国際業務', 80], ['技能', 8], ['経営・管理', 6], ['教育', 6]],
  permanent: [['永住者', 1]],
  special: [['特別永住者', 1]],
  settled: [['定住者', 70], ['永住者の配偶者等', 15], ['日本人の配偶者等', 15]],
};

/** Nationalities of foreign spouses of Japanese residents (国際結婚), weighted. */
export const SPOUSE_NATIONALITIES: readonly (readonly [string, number])[] = [
  ['中国', 30],
  ['フィリピン', 30],
  ['韓国', 20],
  ['ブラジル', 8],
  ['米国', 7],
  ['ベトナム', 5],
];
