// Japanese surnames and given names for synthetic residents, as data.
//
// Surnames: about 300 of the most common, in rank order, with an approximate number of bearers in
// thousands (rounded, after the published nationwide surname rankings, e.g. 名字由来net; regional
// differences are ignored, except that a few surnames common in 山陰 are included).  Some surnames carry
// their 異体字 forms and the share of bearers who are registered with them (髙橋, 山﨑, 齋藤, 渡邊/渡邉,
// 澤田…): the same reading, a different code point, exactly what 4情報 matching must cope with.  A
// surname with two common readings is listed twice (山崎 ヤマザキ / ヤマサキ, 河野 コウノ / カワノ…).
//
// Given names: by birth cohort and sex, in the order of the published rankings of names given in those
// years (明治安田生命「名前ランキング」 and similar); weights are derived from rank, not counts.  The oldest
// women carry the katakana and hiragana names of their generation (ハル, キヨ, シヅ, ふみ): the 氏名 column
// holds them as written.
//
// Every string here must round-trip through CP932 (Shift_JIS as Windows writes it); the tests check it.
// Never add characters outside CP932 (e.g. 𠮷 U+20BB7): the Shift_JIS output could not carry them.

/** `kanji kana thousands [variant=share …]`, one surname a line. */
const SURNAMES = `
佐藤 サトウ 1870
鈴木 スズキ 1790
高橋 タカハシ 1410 髙橋=0.08
田中 タナカ 1330
伊藤 イトウ 1070
渡辺 ワタナベ 1060 渡邊=0.06 渡邉=0.08
山本 ヤマモト 1050
中村 ナカムラ 1040
小林 コバヤシ 1010
加藤 カトウ 890
吉田 ヨシダ 830
山田 ヤマダ 810
佐々木 ササキ 680
山口 ヤマグチ 640
松本 マツモト 630
井上 イノウエ 610
木村 キムラ 570
林 ハヤシ 550
斎藤 サイトウ 540 齋藤=0.15 齊藤=0.05
清水 シミズ 530
山崎 ヤマザキ 410 山﨑=0.1
山崎 ヤマサキ 70 山﨑=0.1
森 モリ 460
池田 イケダ 440
橋本 ハシモト 440
阿部 アベ 440
石川 イシカワ 430
山下 ヤマシタ 420
中島 ナカジマ 300
中島 ナカシマ 110
石井 イシイ 400
小川 オガワ 400
前田 マエダ 390
岡田 オカダ 390
長谷川 ハセガワ 390
藤田 フジタ 380
後藤 ゴトウ 370
近藤 コンドウ 360
村上 ムラカミ 350
遠藤 エンドウ 340
青木 アオキ 330
坂本 サカモト 330
斉藤 サイトウ 330
福田 フクダ 320
太田 オオタ 320
西村 ニシムラ 310
藤井 フジイ 310
金子 カネコ 300
岡本 オカモト 300
藤原 フジワラ 300
中野 ナカノ 300
三浦 ミウラ 290
原田 ハラダ 290
中川 ナカガワ 290
松田 マツダ 290
竹内 タケウチ 280
小野 オノ 280
田村 タムラ 280
中山 ナカヤマ 270
和田 ワダ 270
石田 イシダ 270
森田 モリタ 260
上田 ウエダ 260
原 ハラ 260
内田 ウチダ 260
柴田 シバタ 250
酒井 サカイ 250
宮崎 ミヤザキ 250 宮﨑=0.1
横山 ヨコヤマ 250
高木 タカギ 250 髙木=0.05
安藤 アンドウ 240
宮本 ミヤモト 240
大野 オオノ 240
小島 コジマ 240
谷口 タニグチ 230
今井 イマイ 230
工藤 クドウ 230
高田 タカダ 230 髙田=0.05
増田 マスダ 220
丸山 マルヤマ 220
杉山 スギヤマ 220
村田 ムラタ 220
大塚 オオツカ 220
新井 アライ 220
小山 コヤマ 210
平野 ヒラノ 210
藤本 フジモト 210
河野 コウノ 150
河野 カワノ 60
上野 ウエノ 210
野口 ノグチ 210
武田 タケダ 210
松井 マツイ 200
千葉 チバ 200
岩崎 イワサキ 200 岩﨑=0.06
菅原 スガワラ 200
木下 キノシタ 200
久保 クボ 200
佐野 サノ 200
野村 ノムラ 200
松尾 マツオ 200
市川 イチカワ 190
菊地 キクチ 190
杉本 スギモト 190
古川 フルカワ 190
大西 オオニシ 190
島田 シマダ 190
水野 ミズノ 190
桜井 サクライ 180 櫻井=0.2
高野 タカノ 180
渡部 ワタナベ 110
渡部 ワタベ 70
吉川 ヨシカワ 180
山内 ヤマウチ 180
西田 ニシダ 180
飯田 イイダ 180
菊池 キクチ 180
西川 ニシカワ 180
小松 コマツ 170
北村 キタムラ 170
安田 ヤスダ 170
五十嵐 イガラシ 170
川口 カワグチ 170
平田 ヒラタ 170
関 セキ 170
中田 ナカタ 100
中田 ナカダ 70
久保田 クボタ 160
服部 ハットリ 160
東 ヒガシ 100
東 アズマ 60
岩田 イワタ 160
土屋 ツチヤ 160
川村 カワムラ 160
福島 フクシマ 160
本田 ホンダ 160
辻 ツジ 160
樋口 ヒグチ 160
秋山 アキヤマ 160
田口 タグチ 160
永井 ナガイ 160
山中 ヤマナカ 150
中西 ナカニシ 150
吉村 ヨシムラ 150
川上 カワカミ 150
大橋 オオハシ 150
石原 イシハラ 150
松岡 マツオカ 150
馬場 ババ 150
浜田 ハマダ 150 濱田=0.15
森本 モリモト 150
星野 ホシノ 150
矢野 ヤノ 150
浅野 アサノ 150
大久保 オオクボ 140
松下 マツシタ 140
小池 コイケ 140
野田 ノダ 140
荒木 アラキ 140
大谷 オオタニ 140
内藤 ナイトウ 140
松浦 マツウラ 140
熊谷 クマガイ 140
黒田 クロダ 140 黑田=0.01
尾崎 オザキ 140 尾﨑=0.08
永田 ナガタ 130
川崎 カワサキ 130 川﨑=0.1
望月 モチヅキ 130
田辺 タナベ 130 田邊=0.1 田邉=0.05
松村 マツムラ 130
荒井 アライ 130
堀 ホリ 130
大島 オオシマ 130
平井 ヒライ 130
早川 ハヤカワ 130
菅野 カンノ 80
菅野 スガノ 50
栗原 クリハラ 130
西山 ニシヤマ 130
広瀬 ヒロセ 130 廣瀬=0.15
横田 ヨコタ 120
石橋 イシバシ 120
萩原 ハギワラ 120
岩本 イワモト 120
片山 カタヤマ 120
関口 セキグチ 120
宮田 ミヤタ 120
大石 オオイシ 120
高山 タカヤマ 120
本間 ホンマ 120
吉野 ヨシノ 120
須藤 スドウ 120
岡崎 オカザキ 120 岡﨑=0.1
小田 オダ 120
伊東 イトウ 120
鎌田 カマタ 120
上原 ウエハラ 120
篠原 シノハラ 120
小西 コニシ 120
松原 マツバラ 120
福井 フクイ 110
古田 フルタ 110
大森 オオモリ 110
小泉 コイズミ 110
成田 ナリタ 110
南 ミナミ 110
奥村 オクムラ 110
内山 ウチヤマ 110
沢田 サワダ 110 澤田=0.3
川田 カワダ 110
桑原 クワハラ 110
三宅 ミヤケ 110
田代 タシロ 110
西 ニシ 110
松永 マツナガ 110
竹田 タケダ 100
大木 オオキ 100
中尾 ナカオ 100
野崎 ノザキ 100
北川 キタガワ 100
小笠原 オガサワラ 100
堤 ツツミ 100
飯塚 イイヅカ 100
杉浦 スギウラ 100
岡 オカ 100
柳田 ヤナギダ 100 栁田=0.03
吉岡 ヨシオカ 100
徳永 トクナガ 100 德永=0.02
森川 モリカワ 100
中原 ナカハラ 100
浅井 アサイ 100
田島 タジマ 100
大川 オオカワ 100
富田 トミタ 100 冨田=0.25
米田 ヨネダ 90
石塚 イシヅカ 90
長田 ナガタ 50
長田 オサダ 40
秋元 アキモト 90
谷 タニ 90
白石 シライシ 90
福本 フクモト 90
坂口 サカグチ 90
小沢 オザワ 90 小澤=0.3
滝沢 タキザワ 90 滝澤=0.2 瀧澤=0.05
村山 ムラヤマ 90
植田 ウエダ 90
宇野 ウノ 90
吉原 ヨシハラ 90
長尾 ナガオ 90
松山 マツヤマ 90
岸 キシ 90
荒川 アラカワ 90
土井 ドイ 90
細川 ホソカワ 90
小原 オハラ 90
中井 ナカイ 90
西岡 ニシオカ 90
三好 ミヨシ 90
河合 カワイ 90
小谷 コタニ 80
奥田 オクダ 80
堀内 ホリウチ 80
森下 モリシタ 80
稲垣 イナガキ 80
笠井 カサイ 70
畑中 ハタナカ 70
山根 ヤマネ 80
谷本 タニモト 70
岸本 キシモト 80
足立 アダチ 80
竹本 タケモト 70
河本 コウモト 40
河本 カワモト 30
田淵 タブチ 50
西尾 ニシオ 70
竹中 タケナカ 70
井田 イダ 50
浜本 ハマモト 40
石谷 イシタニ 30
米原 ヨネハラ 40
上山 ウエヤマ 40
槙野 マキノ 30 槇野=0.3
瀬戸 セト 60 瀨戸=0.05
高瀬 タカセ 60
野上 ノガミ 50
有田 アリタ 50
大江 オオエ 50
入江 イリエ 50
桑田 クワタ 50
今村 イマムラ 90
安達 アダチ 90
小倉 オグラ 90
大竹 オオタケ 70
金田 カネダ 70
菅 スガ 70
中沢 ナカザワ 70 中澤=0.3
辻本 ツジモト 60
寺田 テラダ 90
藤川 フジカワ 70
宮下 ミヤシタ 90
松島 マツシマ 60
水谷 ミズタニ 80
武藤 ムトウ 80
平山 ヒラヤマ 80
西野 ニシノ 70
小野寺 オノデラ 80
川島 カワシマ 90
鈴村 スズムラ 30
二宮 ニノミヤ 50
`;

export interface SurnameEntry {
  readonly kanji: string;
  readonly kana: string;
  /** Relative weight (thousands of bearers). */
  readonly weight: number;
  /** Index of the entry this is a 異体字 form of (itself for a base form). */
  readonly base: number;
}

function parseSurnames(text: string): SurnameEntry[] {
  const out: SurnameEntry[] = [];
  for (const line of text.trim().split('\n')) {
    const [kanji, kana, w, ...vars] = line.trim().split(/\s+/);
    const weight = Number(w);
    const variants = vars.map((v) => {
      const [k, share] = v.split('=');
      return [k!, Number(share)] as const;
    });
    const rest = 1 - variants.reduce((s, [, x]) => s + x, 0);
    const base = out.length;
    out.push({ kanji: kanji!, kana: kana!, weight: weight * rest, base });
    for (const [k, share] of variants) out.push({ kanji: k, kana: kana!, weight: weight * share, base });
  }
  return out;
}

export const SURNAME_TABLE: readonly SurnameEntry[] = parseSurnames(SURNAMES);

/**
 * Given names by birth cohort: `[from year, male names, female names]`, each `kanji:kana` in rank order.
 * A person born in year Y takes the cohort of Y (± a few years, so that fashions blur at the edges).
 */
const GIVEN = [
  [
    0,
    '清:キヨシ 茂:シゲル 実:ミノル 勇:イサム 正:タダシ 進:ススム 武:タケシ 博:ヒロシ 三郎:サブロウ 正雄:マサオ 一郎:イチロウ 義雄:ヨシオ 正一:ショウイチ 勝:マサル 弘:ヒロシ 栄:サカエ 久雄:ヒサオ 秀夫:ヒデオ 利夫:トシオ 正夫:マサオ 幸雄:ユキオ 次郎:ジロウ 四郎:シロウ 忠:タダシ 昇:ノボル 曻:ノボル 豊:ユタカ 守:マモル 稔:ミノル 保:タモツ 良一:リョウイチ 文雄:フミオ',
    '和子:カズコ 幸子:サチコ 節子:セツコ 久子:ヒサコ 文子:フミコ 静子:シズコ 千代子:チヨコ ハル:ハル 喜代子:キヨコ 信子:ノブコ キヨ:キヨ 照子:テルコ 君子:キミコ 貞子:サダコ ミツ:ミツ 美代子:ミヨコ 春子:ハルコ トミ:トミ 好子:ヨシコ ハツ:ハツ 八重子:ヤエコ ツル:ツル 富子:トミコ シヅ:シヅ 芳子:ヨシコ ウメ:ウメ 光子:ミツコ タケ:タケ 弘子:ヒロコ きよ:キヨ ふみ:フミ とし:トシ',
  ],
  [
    1935,
    '博:ヒロシ 清:キヨシ 茂:シゲル 隆:タカシ 勝:マサル 実:ミノル 進:ススム 昭:アキラ 修:オサム 明:アキラ 和夫:カズオ 正:タダシ 弘:ヒロシ 浩:ヒロシ 勉:ツトム 豊:ユタカ 正之:マサユキ 孝:タカシ 誠:マコト 秀雄:ヒデオ 敏夫:トシオ 和男:カズオ 幸男:ユキオ 武:タケシ 功:イサオ 一男:カズオ 洋一:ヨウイチ 恵一:ケイイチ 繁:シゲル 健:タケシ 昭二:ショウジ 邦夫:クニオ',
    '和子:カズコ 洋子:ヨウコ 幸子:サチコ 恵子:ケイコ 節子:セツコ 京子:キョウコ 美智子:ミチコ 悦子:エツコ 久美子:クミコ 典子:ノリコ 英子:エイコ 弘子:ヒロコ 啓子:ケイコ 順子:ジュンコ 孝子:タカコ 信子:ノブコ 紀子:ノリコ 道子:ミチコ 敏子:トシコ 良子:ヨシコ 恭子:キョウコ 公子:キミコ 静江:シズエ 昭子:アキコ 千恵子:チエコ 淑子:ヨシコ 光子:ミツコ 栄子:エイコ 美代子:ミヨコ 和江:カズエ 澄子:スミコ 禮子:レイコ',
  ],
  [
    1955,
    '誠:マコト 浩:ヒロシ 博:ヒロシ 修:オサム 隆:タカシ 聡:サトシ 学:マナブ 健一:ケンイチ 哲也:テツヤ 和彦:カズヒコ 秀樹:ヒデキ 浩二:コウジ 伸一:シンイチ 直樹:ナオキ 剛:ツヨシ 正樹:マサキ 智:サトシ 明:アキラ 淳:ジュン 宏:ヒロシ 達也:タツヤ 健:ケン 勝:マサル 健二:ケンジ 浩之:ヒロユキ 敦:アツシ 純一:ジュンイチ 裕之:ヒロユキ 英樹:ヒデキ 徹:トオル 亨:トオル 康弘:ヤスヒロ',
    '恵子:ケイコ 由美子:ユミコ 久美子:クミコ 真由美:マユミ 智子:トモコ 裕子:ユウコ 洋子:ヨウコ 陽子:ヨウコ 直美:ナオミ 明美:アケミ 美香:ミカ 恵美:エミ 由美:ユミ 純子:ジュンコ 幸子:サチコ 京子:キョウコ 浩美:ヒロミ 理恵:リエ 典子:ノリコ 和美:カズミ 恵:メグミ 美穂:ミホ 香織:カオリ 玲子:レイコ 貴子:タカコ 美紀:ミキ 千春:チハル 順子:ジュンコ 真理子:マリコ 敦子:アツコ 弘美:ヒロミ 雅子:マサコ',
  ],
  [
    1975,
    '大輔:ダイスケ 誠:マコト 拓也:タクヤ 直樹:ナオキ 健太:ケンタ 達也:タツヤ 和也:カズヤ 翔太:ショウタ 大樹:ダイキ 剛:ツヨシ 健太郎:ケンタロウ 雄一:ユウイチ 隆之:タカユキ 亮:リョウ 翔:ショウ 智也:トモヤ 拓哉:タクヤ 大介:ダイスケ 慎也:シンヤ 貴之:タカユキ 亮太:リョウタ 雄太:ユウタ 裕太:ユウタ 直人:ナオト 健:ケン 洋平:ヨウヘイ 浩司:コウジ 秀人:ヒデト 崇:タカシ 優:ユウ 学:マナブ 圭:ケイ',
    '愛:アイ 彩:アヤ 恵:メグミ 美穂:ミホ 麻衣:マイ 舞:マイ 裕子:ユウコ 智子:トモコ 陽子:ヨウコ 沙織:サオリ 千尋:チヒロ 香織:カオリ 美咲:ミサキ 由佳:ユカ 真美:マミ 麻美:アサミ 亜希子:アキコ 奈緒:ナオ 綾:アヤ 瞳:ヒトミ 早紀:サキ 明日香:アスカ 友美:トモミ 恵美:エミ 美紀:ミキ 久美子:クミコ 由美:ユミ 直子:ナオコ 理沙:リサ 彩香:アヤカ 萌:モエ 遥:ハルカ',
  ],
  [
    1995,
    '翔太:ショウタ 拓海:タクミ 翔:ショウ 大輝:ダイキ 健太:ケンタ 大翔:ヒロト 蓮:レン 颯太:ソウタ 優斗:ユウト 陸:リク 海斗:カイト 拓也:タクヤ 大樹:ダイキ 和真:カズマ 悠斗:ユウト 翼:ツバサ 駿:シュン 涼:リョウ 輝:ヒカル 匠:タクミ 直人:ナオト 雄大:ユウダイ 亮太:リョウタ 翔平:ショウヘイ 優太:ユウタ 健斗:ケント 拓真:タクマ 竜也:タツヤ 大地:ダイチ 蒼:アオイ 陽斗:ハルト 悠人:ユウト',
    '美咲:ミサキ 葵:アオイ さくら:サクラ 陽菜:ヒナ 七海:ナナミ 結衣:ユイ 美羽:ミウ 彩花:アヤカ 遥:ハルカ 愛:アイ 萌:モエ 優花:ユウカ 真由:マユ 菜々子:ナナコ 花音:カノン 美優:ミユ 彩乃:アヤノ 茜:アカネ 千尋:チヒロ 沙耶:サヤ 琴音:コトネ 明日香:アスカ 杏奈:アンナ 穂乃香:ホノカ 未来:ミライ 桃子:モモコ 奈々:ナナ 楓:カエデ 凛:リン 舞:マイ 瑞希:ミズキ 愛美:マナミ',
  ],
  [
    2010,
    '蓮:レン 陽翔:ハルト 湊:ミナト 蒼:アオイ 樹:イツキ 悠真:ユウマ 大翔:ヒロト 陽向:ヒナタ 朝陽:アサヒ 碧:アオイ 律:リツ 颯:ハヤテ 悠人:ユウト 湊斗:ミナト 結翔:ユイト 颯真:ソウマ 蒼空:ソラ 大和:ヤマト 陽太:ヨウタ 新:アラタ 凪:ナギ 暖:ダン 晴:ハル 奏太:ソウタ 伊織:イオリ 悠斗:ユウト 旭:アサヒ 陸斗:リクト 隼:ハヤト 琉生:ルイ 大翔:ハルト 陽翔:ヒナト',
    '陽葵:ヒマリ 凛:リン 結菜:ユイナ 芽依:メイ 紬:ツムギ 葵:アオイ さくら:サクラ 結愛:ユア 澪:ミオ 陽菜:ヒナ 杏:アン 莉子:リコ 咲良:サクラ 結月:ユヅキ 美桜:ミオ 心春:コハル 花:ハナ 琴葉:コトハ 芽生:メイ 詩:ウタ 翠:スイ 紗奈:サナ 陽葵:ヒナタ 一華:イチカ 乃愛:ノア 美月:ミツキ 彩葉:イロハ 千夏:チナツ 柚葉:ユズハ 心結:ミユ 杏奈:アンナ 楓:カエデ',
  ],
] as const;

export interface GivenEntry {
  readonly kanji: string;
  readonly kana: string;
  readonly sex: 1 | 2;
  readonly cohort: number;
  readonly weight: number;
}

function parseGiven(): { table: GivenEntry[]; cohorts: { from: number; male: number[]; female: number[] }[] } {
  const table: GivenEntry[] = [];
  const cohorts: { from: number; male: number[]; female: number[] }[] = [];
  GIVEN.forEach(([from, male, female], cohort) => {
    const idx = { male: [] as number[], female: [] as number[] };
    for (const [list, sex] of [[male, 1], [female, 2]] as const) {
      list.split(' ').forEach((pair, rank) => {
        const [kanji, kana] = pair.split(':');
        (sex === 1 ? idx.male : idx.female).push(table.length);
        // Rank-derived weight: the top names are a few times as common as the 30th.
        table.push({ kanji: kanji!, kana: kana!, sex, cohort, weight: 1 / Math.pow(rank + 3, 0.9) });
      });
    }
    cohorts.push({ from, ...idx });
  });
  return { table, cohorts };
}

const parsedGiven = parseGiven();
export const GIVEN_TABLE: readonly GivenEntry[] = parsedGiven.table;
export const GIVEN_COHORTS: readonly { readonly from: number; readonly male: readonly number[]; readonly female: readonly number[] }[] = parsedGiven.cohorts;
