// The synthetic city's clinics and vaccines: the 医療機関 that give the doses (with valid 医療機関コード), the
// few hospitals that submit their own monthly files, and what a clinic writes about a vial (product name,
// maker, lot, GTIN, expiry, amount, site, route).  All synthetic: names are made up, makers and amounts are
// plausible for each product, lots and GTINs are generated (GTINs carry a correct GS1 check digit under the
// Japanese prefix 49 but belong to no real product).
import { luhnCheckDigit } from '../../kernel/jp/index.js';
import type { Rng } from '../../kernel/random/index.js';
import { SURNAME_TABLE, GIVEN_TABLE, GIVEN_COHORTS } from './data/names-jp.js';
import type { Tenant } from './data/places.js';
import { CITY_PRODUCTS, type CityProduct } from './city-doses.js';

export type ClinicKind = 'pediatric' | 'general' | 'hospital';

export interface Clinic {
  readonly code: string;
  readonly name: string;
  readonly kind: ClinicKind;
  readonly doctors: readonly string[];
  /** Submits its own monthly file (hospitals); the others' 予診票 are keyed by the contractor. */
  readonly direct: boolean;
}

/** 都道府県番号 of the tenant (the first two digits of its 地方公共団体コード). */
function prefectureNo(tenant: Tenant): string {
  return tenant.code.slice(0, 2);
}

/** A valid 医療機関コード: prefecture, 点数表 1 (医科), 郡市区 and facility numbers, Luhn check digit. */
export function clinicCode(tenant: Tenant, district: number, facility: number): string {
  const first9 = `${prefectureNo(tenant)}1${String(district % 100).padStart(2, '0')}${String(facility % 10000).padStart(4, '0')}`;
  return first9 + String(luhnCheckDigit(first9));
}

const HOSPITAL_SUFFIXES = ['市立病院', '医療センター', '総合病院', '赤十字病院', '中央病院', '記念病院'];

function doctorName(rng: Rng): string {
  const sur = SURNAME_TABLE[rng.int(0, 120)]!.kanji;
  const cohort = GIVEN_COHORTS[Math.min(GIVEN_COHORTS.length - 1, rng.int(2, 4))]!;
  const list = rng.chance(0.6) ? cohort.male : cohort.female;
  return `${sur}\u3000${GIVEN_TABLE[list[rng.int(0, Math.min(60, list.length - 1))]!]!.kanji}`;
}

/**
 * The city's clinics: about one per 1,500 residents that vaccinates (a fifth of them pediatric), and one
 * hospital per 250,000 residents (one to four) that submits its own files.  Deterministic from `rng`.
 */
export function cityClinics(tenant: Tenant, residents: number, rng: Rng): Clinic[] {
  const n = Math.max(8, Math.round(residents / 1500));
  const out: Clinic[] = [];
  const used = new Set<string>();
  const code = (): string => {
    for (;;) {
      const c = clinicCode(tenant, rng.int(1, 30), rng.int(1, 9999));
      if (!used.has(c)) {
        used.add(c);
        return c;
      }
    }
  };
  const towns = tenant.towns;
  const hospitals = Math.min(4, Math.max(1, Math.round(residents / 250_000)));
  for (let i = 0; i < hospitals; i++) {
    const town = towns[rng.int(0, towns.length - 1)]!.name.replace(/^.*区/, '');
    const name = i === 0 ? `${tenant.city}立病院` : `${town}${HOSPITAL_SUFFIXES[1 + ((i + rng.int(0, 4)) % (HOSPITAL_SUFFIXES.length - 1))]}`;
    out.push({ code: code(), name, kind: 'hospital', doctors: Array.from({ length: 3 }, () => doctorName(rng)), direct: true });
  }
  for (let i = 0; i < n; i++) {
    const pediatric = i % 5 === 0;
    const doctor = doctorName(rng);
    const sur = doctor.split('\u3000')[0]!;
    const town = towns[rng.int(0, towns.length - 1)]!.name.replace(/^.*区/, '').replace(/[0-9０-９]+.*$/, '');
    const name = pediatric
      ? rng.pick([`${sur}小児科`, `${sur}こどもクリニック`, `${town}小児科医院`])
      : rng.pick([`${sur}内科`, `${sur}医院`, `${town}内科クリニック`, `${sur}クリニック`, `${town}ファミリークリニック`]);
    out.push({ code: code(), name, kind: pediatric ? 'pediatric' : 'general', doctors: rng.chance(0.3) ? [doctor, doctorName(rng)] : [doctor], direct: false });
  }
  return out;
}

export interface VaccineInfo {
  readonly name: string;
  readonly makers: readonly string[];
  readonly amount: (ageYears: number) => string;
  readonly route: '皮下注射' | '筋肉内注射' | '経口' | '経皮';
  /** 0: injection in the arm (大腿 for infants given IM), 1: oral, 2: BCG stamp */
  readonly site: 0 | 1 | 2;
}

const half = (a: number) => (a < 10 ? '0.25mL' : '0.5mL');
const fixed = (s: string) => () => s;

/** What clinics write about each product (names as 添付文書 give them, shortened). */
export const VACCINES: Readonly<Record<CityProduct, VaccineInfo>> = {
  hib: { name: 'アクトヒブ', makers: ['サノフィ'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  pcv13: { name: 'プレベナー13', makers: ['ファイザー'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  pcv15: { name: 'バクニュバンス', makers: ['MSD'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  pcv20: { name: 'プレベナー20', makers: ['ファイザー'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  hepb: { name: 'ヘプタバックス-II', makers: ['MSD', 'KMバイオロジクス'], amount: half, route: '皮下注射', site: 0 },
  rota1: { name: 'ロタリックス', makers: ['GSK'], amount: fixed('1.5mL'), route: '経口', site: 1 },
  rota5: { name: 'ロタテック', makers: ['MSD'], amount: fixed('2mL'), route: '経口', site: 1 },
  'dpt-ipv-hib': { name: 'ゴービック', makers: ['BIKEN', 'KMバイオロジクス'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  'dpt-ipv': { name: 'テトラビック', makers: ['BIKEN', 'KMバイオロジクス', '第一三共'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  dpt: { name: 'トリビック', makers: ['BIKEN'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  dt: { name: 'DTビック', makers: ['BIKEN', 'デンカ'], amount: fixed('0.1mL'), route: '皮下注射', site: 0 },
  bcg: { name: '乾燥BCGワクチン', makers: ['日本ビーシージー製造'], amount: fixed('規定量'), route: '経皮', site: 2 },
  mr: { name: 'ミールビック', makers: ['BIKEN', '武田薬品', '第一三共'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  measles: { name: '乾燥弱毒生麻しんワクチン', makers: ['BIKEN', '武田薬品'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  rubella: { name: '乾燥弱毒生風しんワクチン', makers: ['BIKEN', '武田薬品'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  varicella: { name: '乾燥弱毒生水痘ワクチン', makers: ['BIKEN'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  je: { name: 'ジェービックV', makers: ['BIKEN', 'KMバイオロジクス'], amount: (a) => (a < 3 ? '0.25mL' : '0.5mL'), route: '皮下注射', site: 0 },
  hpv2: { name: 'サーバリックス', makers: ['GSK'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  hpv4: { name: 'ガーダシル', makers: ['MSD'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  hpv9: { name: 'シルガード9', makers: ['MSD'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  influenza: { name: 'インフルエンザHAワクチン', makers: ['BIKEN', 'KMバイオロジクス', 'デンカ', '第一三共'], amount: (a) => (a < 3 ? '0.25mL' : '0.5mL'), route: '皮下注射', site: 0 },
  ppsv23: { name: 'ニューモバックスNP', makers: ['MSD'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  covid19: { name: 'コミナティ', makers: ['ファイザー', 'モデルナ', '第一三共'], amount: fixed('0.3mL'), route: '筋肉内注射', site: 0 },
  'zoster-live': { name: 'ビケン', makers: ['BIKEN'], amount: fixed('0.5mL'), route: '皮下注射', site: 0 },
  'zoster-recombinant': { name: 'シングリックス', makers: ['GSK'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
  rsv: { name: 'アブリスボ', makers: ['ファイザー'], amount: fixed('0.5mL'), route: '筋肉内注射', site: 0 },
};

const LOT_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXY';

/** The lot a clinic used for `product` in a given month (lots change every couple of months). */
export function lotOf(productIndex: number, maker: number, month: number): string {
  const period = Math.floor(month / 2);
  const a = LOT_LETTERS[(productIndex * 7 + maker * 3) % LOT_LETTERS.length]!;
  const b = LOT_LETTERS[(period * 5 + productIndex) % LOT_LETTERS.length]!;
  return `${a}${b}${String((period * 37 + productIndex * 101 + maker * 13) % 1000).padStart(3, '0')}`;
}

/** GS1 check digit (mod 10, weights 3 and 1 from the right). */
function gs1Check(first13: string): number {
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(first13[12 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

/** A synthetic GTIN-14 for (product, maker): indicator 1, prefix 49, a made-up item number, check digit. */
export function gtinOf(productIndex: number, maker: number): string {
  const first13 = `149${String(87_000_000 + productIndex * 100 + maker * 10).padStart(8, '0')}${(productIndex + maker) % 10}0`.slice(0, 13);
  return first13 + String(gs1Check(first13));
}

/** The same GTIN with its check digit deliberately wrong (a bad row). */
export function badGtin(g: string): string {
  return g.slice(0, 13) + String((Number(g[13]) + 3) % 10);
}

export const PRODUCT_COUNT = CITY_PRODUCTS.length;
