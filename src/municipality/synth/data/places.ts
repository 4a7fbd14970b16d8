// Places for synthetic residents, as data: the municipalities synthetic residents can live in (their 町名,
// 郵便番号 and 地区コード), building names, and the other municipalities people move from and to.
//
// The 町名 are modelled on real districts of each municipality, but the data is synthetic: 郵便番号 follow
// the real leading digits of the area while the last digits are plausible, not checked against Japan Post's
// dictionary; 丁目 counts and 番地 ranges are invented.  Never use this file as reference data.
//
// Town line: `町名 郵便番号 地区コード kind 丁目数 番の上限 号の上限 共同住宅率 重み`
//   kind J: 住居表示 (〇丁目〇番〇号); kind C: 地番 (〇〇番地, 枝番 optional).

export interface Town {
  readonly name: string;
  readonly postal: string;
  readonly district: string;
  readonly kind: 'J' | 'C';
  readonly chome: number;
  readonly banMax: number;
  readonly goMax: number;
  readonly apartmentShare: number;
  readonly weight: number;
}

export interface Tenant {
  readonly code: string;
  /** 都道府県 and 市区町村 as addresses start. */
  readonly prefecture: string;
  readonly city: string;
  /** Public housing prefix for 方書 (市営 / 区営 / 都営). */
  readonly publicHousing: string;
  readonly towns: readonly Town[];
  /** 地区コード → name, for documentation and tests. */
  readonly districts: Readonly<Record<string, string>>;
}

function towns(text: string): Town[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [name, postal, district, kind, chome, banMax, goMax, apt, weight] = line.trim().split(/\s+/);
      return {
        name: name!,
        postal: postal!,
        district: district!,
        kind: kind === 'J' ? 'J' : 'C',
        chome: Number(chome),
        banMax: Number(banMax),
        goMax: Number(goMax),
        apartmentShare: Number(apt),
        weight: Number(weight),
      } as const;
    });
}

const TOTTORI: Tenant = {
  code: '312011',
  prefecture: '鳥取県',
  city: '鳥取市',
  publicHousing: '市営',
  districts: { '01': '中央', '02': '東部', '03': '南部', '04': '湖山', '05': '津ノ井', '06': '美保', '07': '国府', '08': '福部', '09': '河原', '10': '用瀬', '11': '佐治', '12': '気高', '13': '鹿野', '14': '青谷' },
  towns: towns(`
    東町 6800011 01 J 4 20 15 0.3 3
    西町 6800022 01 J 5 20 15 0.35 4
    本町 6800031 01 J 5 18 15 0.4 3
    川端 6800032 01 J 5 18 12 0.45 3
    栄町 6800831 01 J 2 30 15 0.5 3
    末広温泉町 6800833 01 C 0 800 8 0.5 3
    永楽温泉町 6800834 01 C 0 800 8 0.5 2
    今町 6800822 01 J 2 25 12 0.5 2
    扇町 6800846 01 C 0 150 8 0.45 2
    戎町 6800855 01 C 0 600 6 0.4 2
    瓦町 6800021 01 C 0 500 6 0.3 1
    元町 6800034 01 C 0 300 6 0.35 1
    寺町 6800035 01 C 0 200 6 0.3 1
    二階町 6800036 01 J 4 15 12 0.35 1
    幸町 6800823 01 C 0 200 6 0.4 2
    尚徳町 6800821 01 C 0 300 6 0.35 1
    富安 6800845 03 J 2 30 20 0.45 5
    吉方 6800841 03 C 0 900 10 0.35 5
    吉方温泉 6800842 03 J 4 25 20 0.4 5
    南吉方 6800843 03 J 3 25 20 0.35 3
    田園町 6800844 03 J 4 25 20 0.35 3
    商栄町 6800847 03 C 0 400 8 0.3 2
    安長 6800917 03 C 0 700 10 0.2 2
    秋里 6800904 03 C 0 1300 10 0.3 3
    江津 6800912 03 C 0 900 10 0.25 2
    卯垣 6800803 03 J 5 25 20 0.3 3
    興南町 6800807 03 C 0 200 8 0.25 1
    宮長 6800806 03 C 0 800 10 0.2 2
    叶 6800805 03 C 0 400 8 0.2 1
    浜坂 6800001 02 J 8 30 20 0.25 5
    覚寺 6800003 02 C 0 600 10 0.25 2
    岩倉 6800005 02 C 0 400 8 0.15 1
    東品治町 6800835 02 C 0 300 6 0.45 2
    立川町 6800061 02 J 7 25 20 0.3 4
    湖山町東 6800941 04 J 5 30 20 0.5 6
    湖山町西 6800942 04 J 4 30 20 0.45 5
    湖山町南 6800947 04 J 5 30 20 0.4 4
    湖山町北 6800945 04 J 6 30 20 0.45 4
    布勢 6800944 04 C 0 500 8 0.2 2
    桂見 6800943 04 C 0 900 10 0.25 2
    南隈 6800903 04 C 0 600 10 0.25 2
    古海 6800921 04 C 0 700 10 0.2 2
    千代水 6800911 04 J 4 25 20 0.35 3
    賀露町 6800908 04 C 0 4000 12 0.15 3
    賀露町北 6800907 04 J 5 20 15 0.2 2
    晩稲 6800902 04 C 0 500 8 0.15 1
    徳尾 6800901 04 C 0 500 8 0.15 1
    美萩野 6800955 04 J 4 25 20 0.15 2
    津ノ井 6800802 05 C 0 800 10 0.2 2
    若葉台南 6891112 05 J 7 25 20 0.3 4
    若葉台北 6891111 05 J 6 25 20 0.3 3
    緑ケ丘 6800052 06 J 3 25 20 0.2 4
    桜谷 6800041 06 C 0 500 8 0.15 1
    面影 6800042 06 J 2 25 15 0.2 2
    国府町宮下 6800151 07 C 0 1500 10 0.1 3
    国府町町屋 6800153 07 C 0 900 10 0.08 2
    福部町湯山 6890103 08 C 0 2500 10 0.05 1
    福部町細川 6890106 08 C 0 1200 8 0.05 1
    河原町渡一木 6801213 09 C 0 600 8 0.05 1
    河原町河原 6801202 09 C 0 900 8 0.1 1
    用瀬町用瀬 6891201 10 C 0 1000 8 0.05 1
    佐治町加瀬木 6891312 11 C 0 2500 8 0.02 1
    気高町浜村 6890334 12 C 0 1200 10 0.08 2
    気高町宝木 6890321 12 C 0 1800 10 0.05 1
    鹿野町鹿野 6890405 13 C 0 1600 10 0.05 1
    青谷町青谷 6890501 14 C 0 4500 10 0.05 1
  `),
};

const EDOGAWA: Tenant = {
  code: '131237',
  prefecture: '東京都',
  city: '江戸川区',
  publicHousing: '都営',
  districts: { '01': '本庁', '02': '小松川', '03': '葛西', '04': '小岩', '05': '東部', '06': '鹿骨' },
  towns: towns(`
    中央 1320021 01 J 4 40 25 0.65 6
    松島 1320031 01 J 4 30 20 0.65 4
    松江 1320025 01 J 7 30 20 0.65 5
    西一之江 1320023 01 J 4 30 20 0.6 3
    一之江 1320024 01 J 8 30 20 0.6 5
    大杉 1320022 01 J 5 30 20 0.6 3
    平井 1320035 02 J 7 30 20 0.7 7
    小松川 1320034 02 J 4 30 20 0.8 5
    東小松川 1320033 02 J 4 30 20 0.7 3
    西葛西 1340088 03 J 8 30 25 0.85 9
    中葛西 1340083 03 J 8 30 25 0.8 7
    東葛西 1340084 03 J 9 30 25 0.8 7
    南葛西 1340085 03 J 7 30 25 0.8 6
    北葛西 1340081 03 J 5 30 25 0.75 5
    清新町 1340087 03 J 2 10 10 0.95 3
    臨海町 1340086 03 J 6 10 10 0.9 2
    船堀 1340091 03 J 7 30 25 0.7 5
    北小岩 1330051 04 J 8 30 20 0.6 5
    南小岩 1330056 04 J 8 30 20 0.65 6
    東小岩 1330052 04 J 6 30 20 0.6 4
    西小岩 1330057 04 J 5 30 20 0.6 4
    瑞江 1320011 05 J 4 30 20 0.55 3
    南篠崎町 1330065 05 J 5 30 20 0.5 4
    篠崎町 1330061 05 J 8 30 20 0.5 4
    春江町 1320003 05 J 5 30 20 0.5 3
    鹿骨 1330073 06 J 6 30 20 0.45 3
    新堀 1320001 06 J 2 30 20 0.45 2
  `),
};

const SENDAI: Tenant = {
  code: '041009',
  prefecture: '宮城県',
  city: '仙台市',
  publicHousing: '市営',
  districts: { '041017': '青葉区', '041025': '宮城野区', '041033': '若林区', '041041': '太白区', '041050': '泉区' },
  towns: towns(`
    青葉区一番町 9800811 041017 J 4 15 20 0.85 3
    青葉区国分町 9800803 041017 J 3 15 20 0.85 2
    青葉区中央 9800021 041017 J 4 15 20 0.9 2
    青葉区本町 9800014 041017 J 3 15 20 0.85 2
    青葉区上杉 9800011 041017 J 6 20 20 0.75 5
    青葉区八幡 9800871 041017 J 7 20 20 0.6 4
    青葉区木町通 9800801 041017 J 2 20 20 0.7 2
    宮城野区榴岡 9830852 041025 J 5 20 20 0.75 4
    宮城野区新田東 9830039 041025 J 5 20 20 0.6 3
    宮城野区福室 9830005 041025 J 7 20 20 0.55 3
    宮城野区鶴ケ谷 9830824 041025 J 8 20 20 0.5 3
    若林区新寺 9840051 041033 J 5 20 20 0.75 3
    若林区連坊 9840073 041033 J 2 20 20 0.7 2
    若林区荒井 9840032 041033 C 0 900 10 0.45 3
    若林区大和町 9840042 041033 J 5 20 20 0.6 3
    太白区長町 9820011 041041 J 8 25 20 0.7 6
    太白区富沢 9820036 041041 J 4 20 20 0.5 3
    太白区八木山本町 9820801 041041 J 2 20 20 0.4 2
    太白区西多賀 9820034 041041 J 5 20 20 0.45 3
    泉区泉中央 9813133 041050 J 4 20 20 0.75 4
    泉区将監 9813132 041050 J 13 20 20 0.4 4
    泉区南光台 9818003 041050 J 7 20 20 0.35 3
    泉区高森 9813203 041050 J 8 20 20 0.3 3
    泉区八乙女 9813135 041050 J 4 20 20 0.5 2
  `),
};

export const TENANTS: Readonly<Record<string, Tenant>> = { [TOTTORI.code]: TOTTORI, [EDOGAWA.code]: EDOGAWA, [SENDAI.code]: SENDAI };
export const DEFAULT_TENANT = TOTTORI.code;

/**
 * Other municipalities, for 転入前住所 / 転出先住所 and some 送付先: `都道府県市区町村 郵便番号上3桁 重み`.
 * Weighted towards the same prefecture and region (most moves are short), then the big cities.
 */
export interface OtherPlace {
  readonly name: string;
  readonly postal3: string;
  readonly weight: number;
}

export const OTHER_PLACES: readonly OtherPlace[] = `
鳥取県米子市 683 8
鳥取県倉吉市 682 5
鳥取県境港市 684 3
鳥取県岩美郡岩美町 681 3
鳥取県八頭郡八頭町 680 4
鳥取県東伯郡湯梨浜町 682 2
島根県松江市 690 4
島根県出雲市 693 3
岡山県岡山市北区 700 5
岡山県津山市 708 2
兵庫県神戸市中央区 650 4
兵庫県姫路市 670 4
兵庫県豊岡市 668 2
大阪府大阪市北区 530 5
大阪府大阪市淀川区 532 3
大阪府吹田市 564 3
大阪府堺市北区 591 2
京都府京都市左京区 606 3
広島県広島市中区 730 4
広島県福山市 720 2
東京都新宿区 160 4
東京都世田谷区 154 4
東京都江戸川区 132 3
東京都八王子市 192 2
神奈川県横浜市港北区 222 4
神奈川県川崎市中原区 211 3
埼玉県さいたま市大宮区 330 3
千葉県千葉市中央区 260 3
愛知県名古屋市中村区 453 4
福岡県福岡市博多区 812 4
北海道札幌市中央区 060 3
宮城県仙台市青葉区 980 3
宮城県仙台市泉区 981 2
宮城県石巻市 986 2
宮城県名取市 981 2
山形県山形市 990 1
新潟県新潟市中央区 951 2
静岡県浜松市中央区 430 2
香川県高松市 760 2
沖縄県那覇市 900 1
`
  .trim()
  .split('\n')
  .map((l) => {
    const [name, postal3, weight] = l.trim().split(/\s+/);
    return { name: name!, postal3: postal3!, weight: Number(weight) };
  });

/** Town names found in most cities, for addresses in OTHER_PLACES. */
export const COMMON_TOWNS: readonly string[] = ['本町', '中央', '栄町', '緑町', '旭町', '東町', '幸町', '新町', '若葉町', '桜木町', '泉町', '南町', '大手町', '末広町', '寿町', '昭和町'];

// ---------------------------------------------------------------- buildings

/** Apartment names: `prefix + core` or `core + suffix`; the town name or a surname sometimes appears. */
export const BUILDING_CORES: readonly string[] = ['サンライズ', 'グリーン', 'パーク', 'エスポワール', 'セジュール', 'ルミエール', 'フォレスト', 'リバーサイド', 'カーサ', 'プラシード', 'アルカディア', 'シャトー', 'サンシャイン', 'ベル', 'エクセル', 'ハーモニー', 'ソレイユ', 'アクア', 'フローラ', 'グランデ', 'ロイヤル', 'コスモ', 'ビスタ', 'オーク', 'サニー', 'クレスト'];
export const BUILDING_SUFFIXES: readonly string[] = ['ハイツ', 'コーポ', 'マンション', 'レジデンス', '荘', 'アパート', 'コート', 'ヴィラ', 'メゾン', 'ガーデン', 'テラス', 'ヒルズ'];
export const FACILITY_NAMES: readonly string[] = ['特別養護老人ホーム　さくら苑', '特別養護老人ホーム　やすらぎの里', '介護老人保健施設　あおぞら', 'グループホーム　ひまわり', '有料老人ホーム　なごみ', '特別養護老人ホーム　はまなす園', 'グループホーム　わかば', '介護老人保健施設　かがやき'];
export const DORM_NAMES: readonly string[] = ['東洋精工　社員寮', '大和食品　第二寮', '日本海電子　寮', '中央工業　社員寮', '第一製作所　寮', 'アジア技研　寮'];
