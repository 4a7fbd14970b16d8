// The synthetic city (issue 6 point 1): `mamori synth city --residents N --seed S`.  One deterministic
// municipality as its systems would hand it over: the 住基 snapshot and weekly movement files (the synthetic
// residents of decisions 0030–0034, with pre-assigned 宛名番号), and every dose of the city's vaccination
// ledger as the monthly clinic batch files it arrived in (docs/formats/clinic-records-csv.md): one file a
// month from the contractor who keys the paper 予診票 of all clinics (CP932), and one a month from each of
// the hospitals that submit their own (UTF-8).  Rows carry what real batches carry — late reports,
// resubmissions, 接種日不明, rows identified by 4情報 instead of 宛名番号 with the notation noise of hand-written
// forms, and a few bad rows.  Layout and counts: docs/formats/synth-city.md; decision 0080.
//
// Same options → the same bytes in every file → the same content hash (SHA-256 over the files' paths and
// hashes in manifest order).  Nothing depends on the clock or on Math.random.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dayNumber, fromDayNumber, isIsoDate } from '../../kernel/jp/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import { seededRng } from '../../kernel/random/index.js';
import { RECORD_COLUMNS } from '../records/index.js';
import { cityClinics, VACCINES, badGtin, gtinOf, lotOf, type Clinic } from './city-clinics.js';
import { CITY_PRODUCTS, DoseTable, D_DATE_UNKNOWN, D_TWICE, personHistory } from './city-doses.js';
import { mix } from './ids.js';
import { NO_DATE, S_NON_RESIDENT } from './model.js';
import { DEFAULT_START, SyntheticResidents, resolveOptions } from './residents.js';
import { csvCell, fullWidth, halfWidthKana, yyyymmdd } from './text.js';
import { diffFileName, writeFile, type SynthEncoding } from './write.js';

export interface SynthCityOptions {
  readonly residents: number;
  readonly seed: string;
  /** 地方公共団体コード (default 041009 仙台市: the supported municipality of about a million people). */
  readonly tenant?: string;
  /** Snapshot date (default 2026-04-01). */
  readonly start?: string;
  /** Weekly 住基 movement files after the snapshot (default 12). */
  readonly weeks?: number;
  /** First day the vaccination ledger holds doses of (default 2011-04-01). */
  readonly historyFrom?: string;
  /** Encoding of the 住基 files (default sjis: CP932, like a real 住基 extract). */
  readonly encoding?: SynthEncoding;
}

export const CITY_DEFAULTS = { tenant: '041009', start: DEFAULT_START, weeks: 12, historyFrom: '2011-04-01', encoding: 'sjis' as SynthEncoding } as const;
export const MAX_CITY_WEEKS = 52;

export type CityFileKind = 'residents-full' | 'residents-diff' | 'records-clinic';

export interface CityFile {
  /** Relative to the city directory, '/'-separated. */
  readonly path: string;
  readonly kind: CityFileKind;
  /** Snapshot date, last day of a movement week, or the day a clinic batch arrived (the 10th of its 請求年月). */
  readonly date: string;
  readonly encoding: SynthEncoding;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly week?: number;
  readonly claimMonth?: string;
  /** 'contractor' or the submitting hospital's 医療機関コード. */
  readonly submitter?: string;
}

export interface CityCounts {
  readonly residents: number;
  readonly households: number;
  readonly foreign: number;
  readonly aged65: number;
  readonly under15: number;
  /** Residents after the last movement week. */
  readonly finalResidents: number;
  readonly movements: Readonly<Record<string, number>>;
  /** People with at least one dose in the ledger. */
  readonly vaccinatedPersons: number;
  /** Doses given in the city's ledger window (before reporting). */
  readonly doses: number;
  readonly dosesByProduct: Readonly<Record<string, number>>;
  /** Rows of the clinic batches (doses reported by the end, plus resubmissions). */
  readonly recordRows: number;
  /** Doses given but not yet reported by the end (the usual lag of one or two months). */
  readonly notYetReported: number;
  readonly resubmissions: number;
  readonly fourInfoRows: number;
  readonly dateUnknownRows: number;
  readonly badRows: Readonly<Record<string, number>>;
  readonly clinics: number;
  readonly recordFiles: number;
}

export interface CityManifest {
  readonly format: 'mamori-synth-city';
  readonly version: 1;
  readonly options: Required<SynthCityOptions>;
  /** The last day the city covers (the last movement week's file date). */
  readonly end: string;
  readonly counts: CityCounts;
  readonly clinics: readonly { code: string; name: string; kind: string; direct: boolean }[];
  /** In import order: snapshot, movement weeks, clinic batches by 請求年月. */
  readonly files: readonly CityFile[];
  /** SHA-256 over `path sha256` lines of every file in order: one value for the whole city. */
  readonly contentHash: string;
}

export const MANIFEST_NAME = 'manifest.json';

/** Checks the options (a Problem naming the field) and fills in the defaults. */
export function resolveCityOptions(o: SynthCityOptions): Required<SynthCityOptions> {
  const tenant = o.tenant ?? CITY_DEFAULTS.tenant;
  const start = o.start ?? CITY_DEFAULTS.start;
  const base = resolveOptions({ count: o.residents, seed: o.seed, tenant, start });
  const weeks = o.weeks ?? CITY_DEFAULTS.weeks;
  if (!Number.isInteger(weeks) || weeks < 0 || weeks > MAX_CITY_WEEKS) throw invalidField('weeks', 'WEEKS_RANGE', `週数は0〜${MAX_CITY_WEEKS}の整数で指定してください`);
  const historyFrom = o.historyFrom ?? CITY_DEFAULTS.historyFrom;
  if (!isIsoDate(historyFrom) || historyFrom < '2000-01-01' || historyFrom > base.start) throw invalidField('history-from', 'DATE_INVALID', '接種記録の開始日は2000-01-01から基準日までの日付（YYYY-MM-DD）で指定してください');
  const encoding = o.encoding ?? CITY_DEFAULTS.encoding;
  if (encoding !== 'utf8' && encoding !== 'sjis') throw invalidField('encoding', 'ENCODING_UNKNOWN', '文字コードは utf8 または sjis です');
  return { residents: base.count, seed: base.seed, tenant: base.tenant, start: base.start, weeks, historyFrom, encoding };
}

// ------------------------------------------------------------------ months

/** Months since 2000-01 (0 = January 2000). */
const monthIndex = (day: number): number => {
  const d = fromDayNumber(day);
  return (Number(d.slice(0, 4)) - 2000) * 12 + Number(d.slice(5, 7)) - 1;
};
const monthText = (m: number, sep = '-'): string => `${2000 + Math.floor(m / 12)}${sep}${String((m % 12) + 1).padStart(2, '0')}`;

// ------------------------------------------------------------------ noise

/** 異体字 → the common form a clinic or an OCR operator writes instead. */
const COMMON_FORM: Readonly<Record<string, string>> = { 髙: '高', 﨑: '崎', 邊: '辺', 邉: '辺', 齋: '斎', 齊: '斉', 澤: '沢', 濱: '浜', 德: '徳', 栁: '柳', 槇: '槙', 瀨: '瀬', 黑: '黒', 廣: '広', 國: '国', 眞: '真', 櫻: '桜', 邨: '村' };
const HIRAGANA_OFFSET = 0x60;

function toHiragana(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c >= 0x30a1 && c <= 0x30f6 ? String.fromCharCode(c - HIRAGANA_OFFSET) : ch;
  }
  return out;
}

/** A kana one letter off (アイウ → ヤイウ): the kind of slip that stops an automatic link. */
function kanaTypo(s: string, u: number): string {
  const chars = [...s];
  const at = chars.findIndex((c, i) => i >= u % Math.max(1, chars.length) && /[ア-ン]/.test(c));
  const k = at >= 0 ? at : chars.findIndex((c) => /[ア-ン]/.test(c));
  if (k < 0) return s;
  chars[k] = chars[k] === 'ア' ? 'ヤ' : 'ア';
  return chars.join('');
}

function noisyName(kanji: string, u: number): string {
  let s = (u & 1) === 0 ? [...kanji].map((c) => COMMON_FORM[c] ?? c).join('') : kanji;
  const space = (u >>> 1) % 4;
  if (space === 1) s = s.replace(/\u3000/g, '');
  else if (space === 2) s = s.replace(/\u3000/g, ' ');
  return s;
}

function noisyKana(kana: string, u: number): string {
  const v = (u >>> 3) % 100;
  if (v < 5) return '';
  if (v < 7) return kanaTypo(kana, u >>> 10);
  if (v < 30) return halfWidthKana(kana);
  if (v < 40) return toHiragana(kana);
  if (v < 55) return kana.replace(/\u3000/g, '');
  return kana;
}

const DIGITS_HALF = (s: string): string => s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/－/g, '-');

function noisyAddress(address: string, katagaki: string, prefecture: string, u: number): string {
  let a = address;
  const v = (u >>> 12) % 100;
  if (v < 40 && a.startsWith(prefecture)) a = a.slice(prefecture.length);
  const w = (u >>> 19) % 100;
  if (w < 25) a = DIGITS_HALF(a);
  else if (w < 40) a = a.replace(/[0-9]/g, (c) => fullWidth(c));
  if (katagaki && (u >>> 26) % 2 === 0) a = `${a}\u3000${katagaki}`;
  return a;
}

// ------------------------------------------------------------------ dates as clinics write them

const WAREKI = [
  { from: '2019-05-01', code: '5', base: 2018 },
  { from: '1989-01-08', code: '4', base: 1988 },
  { from: '1926-12-25', code: '3', base: 1925 },
  { from: '1912-07-30', code: '2', base: 1911 },
] as const;

/** 和暦 code form `GYYMMDD` (G: 1 明治 … 5 令和), as some legacy forms print it. */
function warekiCode(day: number): string {
  const d = fromDayNumber(day);
  const era = WAREKI.find((e) => d >= e.from);
  if (!era) return d.replace(/-/g, '');
  return `${era.code}${String(Number(d.slice(0, 4)) - era.base).padStart(2, '0')}${d.slice(5, 7)}${d.slice(8, 10)}`;
}

type DateStyle = 0 | 1 | 2; // YYYYMMDD, YYYY-MM-DD, 和暦 code
function dateAs(day: number, style: DateStyle): string {
  if (style === 1) return fromDayNumber(day);
  if (style === 2) return warekiCode(day);
  return yyyymmdd(day);
}

// ------------------------------------------------------------------ the city

export const BAD_ROW_KINDS = ['date-invalid', 'product-unknown', 'gtin-check-digit', 'atena-unknown', 'sex-missing', 'duplicate-seq'] as const;
type BadKind = (typeof BAD_ROW_KINDS)[number];

const B_ELDERLY_PRODUCTS = new Set(['influenza', 'ppsv23', 'covid19', 'zoster-live', 'zoster-recombinant']);
const CONTRACTOR = 'contractor';

export interface WriteCityOptions extends SynthCityOptions {
  /** Directory to write into (created; files are replaced). */
  readonly out: string;
  /** Progress lines (stderr in the CLI). */
  readonly onProgress?: (message: string) => void;
}

/** Generates the city and writes its files and manifest.json into `out`; returns the manifest. */
export function writeSyntheticCity(opts: WriteCityOptions): CityManifest {
  const o = resolveCityOptions(opts);
  const say = opts.onProgress ?? (() => undefined);
  mkdirSync(join(opts.out, 'residents'), { recursive: true });
  mkdirSync(join(opts.out, 'records'), { recursive: true });
  const files: CityFile[] = [];

  // ---------------------------------------------------------------- 住基 files
  const gen = new SyntheticResidents({ count: o.residents, seed: o.seed, tenant: o.tenant, start: o.start, atena: true });
  const snapshot = gen.stats();
  const snapshotPath = 'residents/jumin.csv';
  const full = writeFile(join(opts.out, snapshotPath), o.encoding, SyntheticResidents.header('full'), gen.snapshot());
  files.push({ path: snapshotPath, kind: 'residents-full', date: o.start, encoding: o.encoding, ...full });
  say(`住民全件 ${full.rows} 行`);
  let end = o.start;
  for (let k = 1; k <= o.weeks; k++) {
    const week = gen.nextWeek();
    const path = diffFileName(snapshotPath, k);
    const written = writeFile(join(opts.out, path), o.encoding, SyntheticResidents.header('diff'), week.lines);
    files.push({ path, kind: 'residents-diff', date: week.fileDate, encoding: o.encoding, week: k, ...written });
    end = week.fileDate;
  }
  if (o.weeks) say(`住民異動 ${o.weeks} 週`);
  const final = gen.stats(end);

  // ---------------------------------------------------------------- vaccination histories
  const P = gen.world.people;
  const doses = new DoseTable(Math.ceil(P.n * 5));
  const fromDay = dayNumber(o.historyFrom);
  const endDay = dayNumber(end);
  let vaccinated = 0;
  for (let p = 0; p < P.n; p++) {
    if (P.atena[p] === 0 || P.state[p] === S_NON_RESIDENT || P.became[p] === NO_DATE) continue;
    const from = Math.max(fromDay, P.became[p]!, P.birth[p]!);
    const to = P.ceased[p] === NO_DATE ? endDay : Math.min(endDay, P.ceased[p]! - 1);
    const before = doses.n;
    personHistory(doses, p, fromDayNumber(P.birth[p]!), P.sex[p] === 1 ? 'male' : 'female', { from: fromDayNumber(from), to: fromDayNumber(to) }, seededRng(`synth-city/${o.seed}/person/${p}`));
    if (doses.n > before) vaccinated++;
  }
  // 同時接種: another dose of the person on the same day (a person's doses are contiguous).
  const sameDay = new Uint8Array(doses.n);
  for (let i = 0; i < doses.n; ) {
    let j = i;
    while (j < doses.n && doses.person[j] === doses.person[i]) j++;
    for (let a = i; a < j; a++) for (let b = a + 1; b < j; b++) if (doses.day[a] === doses.day[b] && doses.product[a] !== doses.product[b]) sameDay[a] = sameDay[b] = 1;
    i = j;
  }
  say(`接種歴 ${doses.n} 回（${vaccinated} 人）`);

  // ---------------------------------------------------------------- clinics and reporting
  const clinics = cityClinics(gen.tenant, o.residents, seededRng(`synth-city/${o.seed}/clinics`));
  const hospitals = clinics.map((c, i) => (c.direct ? i : -1)).filter((i) => i >= 0);
  const pediatric = clinics.map((c, i) => (c.kind === 'pediatric' ? i : -1)).filter((i) => i >= 0);
  const general = clinics.map((c, i) => (c.kind === 'general' ? i : -1)).filter((i) => i >= 0);
  const clinicOfDose = (i: number): number => {
    const p = doses.person[i]!;
    const h = mix(i, 41) % 100;
    if (h < 8) return hospitals[mix(p, 43) % hospitals.length]!;
    if (h < 15) return mix(i, 47) % clinics.length;
    const child = doses.day[i]! - P.birth[p]! < 15 * 365;
    return child ? pediatric[mix(P.hh[p]! >= 0 ? P.hh[p]! : p, 53) % pediatric.length]! : general[mix(p, 59) % general.length]!;
  };
  const endMonth = monthIndex(endDay);
  const firstMonth = monthIndex(fromDay);
  let twins = 0;
  for (let i = 0; i < doses.n; i++) if ((doses.flags[i]! & D_TWICE) !== 0) twins++;
  const rowDose = new Int32Array(doses.n + twins);
  const rowClaim = new Uint16Array(doses.n + twins);
  const rowClinic = new Uint16Array(doses.n + twins);
  const rowTwin = new Uint8Array(doses.n + twins);
  let rows = 0;
  let notYet = 0;
  const lagOf = (i: number, salt: number): number => {
    const v = mix(i, salt) % 100;
    return v < 3 ? 0 : v < 88 ? 1 : v < 96 ? 2 : 3 + (mix(i, salt + 1) % 4);
  };
  for (let i = 0; i < doses.n; i++) {
    const claim = monthIndex(doses.day[i]!) + lagOf(i, 71);
    if (claim > endMonth) {
      notYet++;
      continue;
    }
    const clinic = clinicOfDose(i);
    rowDose[rows] = i;
    rowClaim[rows] = Math.max(claim, firstMonth);
    rowClinic[rows] = clinic;
    rows++;
    if ((doses.flags[i]! & D_TWICE) !== 0) {
      const again = claim + (mix(i, 73) % 3);
      if (again <= endMonth) {
        rowDose[rows] = i;
        rowClaim[rows] = Math.max(again, firstMonth);
        rowClinic[rows] = clinic;
        rowTwin[rows] = 1;
        rows++;
      }
    }
  }

  // Files: one per (請求年月, submitter); submitter 0 is the contractor, k > 0 the k-th hospital.
  const subOf = (r: number): number => {
    const c = clinics[rowClinic[r]!]!;
    return c.direct ? 1 + hospitals.indexOf(rowClinic[r]!) : 0;
  };
  const subs = 1 + hospitals.length;
  const fileCount = (endMonth - firstMonth + 1) * subs;
  const bucketOf = (r: number): number => (rowClaim[r]! - firstMonth) * subs + subOf(r);
  const counts = new Int32Array(fileCount + 1);
  for (let r = 0; r < rows; r++) counts[bucketOf(r) + 1] = counts[bucketOf(r) + 1]! + 1;
  for (let b = 0; b < fileCount; b++) counts[b + 1] = counts[b + 1]! + counts[b]!;
  const order = new Int32Array(rows);
  const fill = counts.slice(0, fileCount);
  for (let r = 0; r < rows; r++) {
    const b = bucketOf(r);
    order[fill[b]!] = r;
    fill[b] = fill[b]! + 1;
  }

  const tally = { fourInfo: 0, dateUnknown: 0, resubmitted: 0, bad: Object.fromEntries(BAD_ROW_KINDS.map((k) => [k, 0])) as Record<BadKind, number> };
  const header = RECORD_COLUMNS.join(',');
  const prefecture = gen.tenant.prefecture;
  let written = 0;
  for (let b = 0; b < fileCount; b++) {
    const lo = counts[b]!;
    const hi = counts[b + 1]!;
    if (hi === lo) continue;
    const month = firstMonth + Math.floor(b / subs);
    const sub = b % subs;
    const submitter: Clinic | null = sub === 0 ? null : clinics[hospitals[sub - 1]!]!;
    // Within a file: by clinic, then date, then person (the order rows were made in).
    const keys = new Float64Array(hi - lo);
    const span = rows + 1;
    for (let k = lo; k < hi; k++) {
      const r = order[k]!;
      keys[k - lo] = (rowClinic[r]! * 40_000 + (doses.day[rowDose[r]!]! - dayNumber('2000-01-01'))) * span + r;
    }
    keys.sort();
    const path = `records/${monthText(month)}/${submitter ? submitter.code : CONTRACTOR}.csv`;
    const encoding: SynthEncoding = submitter ? 'utf8' : 'sjis';
    const style: DateStyle = submitter ? (sub % 2 === 0 ? 1 : 0) : 0;
    function* lines(): Generator<string> {
      let seq = 0;
      for (let k = 0; k < keys.length; k++) {
        const r = keys[k]! % span;
        seq++;
        yield renderRow(r, seq);
      }
    }
    const renderRow = (r: number, seq: number): string => {
      const i = rowDose[r]!;
      const p = doses.person[i]!;
      const productIndex = doses.product[i]!;
      const product = CITY_PRODUCTS[productIndex]!;
      const day = doses.day[i]!;
      const clinicIndex = rowClinic[r]!;
      const clinic = clinics[clinicIndex]!;
      const direct = submitter !== null;
      const u = mix(r, 61);
      const ageYears = (day - P.birth[p]!) / 365.2425;
      const badDraw = mix(r, 67) % 2000 === 0;
      let bad: BadKind | null = badDraw ? BAD_ROW_KINDS[mix(r, 69) % BAD_ROW_KINDS.length]! : null;
      const unknownDate = (doses.flags[i]! & D_DATE_UNKNOWN) !== 0;
      // Every bad row is rejected by the import with exactly one code (the counts in the manifest are exact).
      if (bad === 'gtin-check-digit' && !direct) bad = 'product-unknown';
      if ((bad === 'duplicate-seq' && seq === 1) || (bad === 'date-invalid' && unknownDate)) bad = 'sex-missing';
      if (bad) tally.bad[bad]++;
      const fourInfo = !bad && u % 1000 < (direct ? 10 : 30);
      if (fourInfo) tally.fourInfo++;
      if (unknownDate) tally.dateUnknown++;
      if (rowTwin[r]) tally.resubmitted++;
      const v = VACCINES[product];
      const maker = mix(clinicIndex, 83 + productIndex) % v.makers.length;
      const names = gen.names(p);
      const atena = gen.atenaNo(p)!;
      const birthStyle: DateStyle = direct ? style : u % 100 < 12 ? 2 : 0;
      const cells: Record<(typeof RECORD_COLUMNS)[number], string> = {
        通番: direct ? String(bad === 'duplicate-seq' ? seq - 1 : seq) : `${monthText(month, '')}-${String(bad === 'duplicate-seq' ? seq - 1 : seq).padStart(6, '0')}`,
        宛名番号: fourInfo ? '' : bad === 'atena-unknown' ? `9${atena.slice(1)}` : atena,
        接種券番号: '',
        氏名: fourInfo ? noisyName(names.kanji, u) : names.kanji,
        氏名カナ: fourInfo ? noisyKana(names.kana, u) : names.kana,
        生年月日: dateAs(P.birth[p]!, birthStyle),
        性別: bad === 'sex-missing' ? '' : String(P.sex[p]),
        住所: '',
        接種日: unknownDate ? '' : bad === 'date-invalid' ? `${fromDayNumber(day).slice(0, 4)}${direct && style === 1 ? '-02-30' : '0230'}` : dateAs(day, style),
        接種日不明: unknownDate ? '1' : direct ? '0' : '',
        予防接種: '',
        回数: '',
        ワクチン: bad === 'product-unknown' ? (product === 'influenza' ? 'インフル' : product.toUpperCase()) : product,
        ワクチン名: v.name,
        メーカー: v.makers[maker]!,
        ロット番号: unknownDate ? '' : lotOf(productIndex, maker, monthIndex(day)),
        GTIN: direct ? (bad === 'gtin-check-digit' ? badGtin(gtinOf(productIndex, maker)) : gtinOf(productIndex, maker)) : '',
        有効期限: direct && !unknownDate ? dateAs(day + 60 + (mix(r, 89) % 300), style) : '',
        接種量: direct || u % 10 < 7 ? v.amount(ageYears) : '',
        接種部位: v.site === 1 ? '' : v.site === 2 ? '上腕' : v.route === '筋肉内注射' && ageYears < 1 ? '大腿' : (u >>> 8) % 2 === 0 ? '左上腕' : '右上腕',
        接種方法: v.route,
        医療機関コード: clinic.code,
        医師名: clinic.doctors[(u >>> 4) % clinic.doctors.length]!,
        実施場所: direct ? clinic.name : '',
        実施区分: '',
        自己負担区分: direct && ageYears >= 60 && B_ELDERLY_PRODUCTS.has(product) ? ((u >>> 5) % 100 < 4 ? '生活保護' : (u >>> 5) % 100 < 14 ? '非課税' : '一般') : '',
        請求年月: direct ? monthText(month) : monthText(month, ''),
        特別の事情: '',
        海外接種: direct ? '0' : '',
        同時接種: sameDay[i] ? '1' : direct ? '0' : '',
        要注意接種: u % 1000 === 7 ? '1' : direct ? '0' : '',
        備考: rowTwin[r] && u % 3 === 0 ? '再提出' : ageYears < 7 && u % 200 === 3 ? '保護者同伴' : '',
      };
      if (fourInfo) {
        const addr = gen.addressOf(p);
        cells.住所 = addr ? noisyAddress(addr.address, addr.katagaki, prefecture, u) : '';
      }
      let line = '';
      for (let c = 0; c < RECORD_COLUMNS.length; c++) line += (c ? ',' : '') + csvCell(cells[RECORD_COLUMNS[c]!]);
      return line;
    };
    const w = writeFile(join(opts.out, path), encoding, header, lines());
    files.push({ path, kind: 'records-clinic', date: `${monthText(month)}-10`, encoding, claimMonth: monthText(month), submitter: submitter ? submitter.code : CONTRACTOR, ...w });
    written += w.rows;
    if (b % (subs * 12) === subs * 12 - 1) say(`接種記録ファイル ${monthText(month)} まで（${written} 行）`);
  }

  const byProduct: Record<string, number> = {};
  for (let i = 0; i < doses.n; i++) byProduct[CITY_PRODUCTS[doses.product[i]!]!] = (byProduct[CITY_PRODUCTS[doses.product[i]!]!] ?? 0) + 1;
  const contentHash = createHash('sha256')
    .update(files.map((f) => `${f.path} ${f.sha256}\n`).join(''))
    .digest('hex');
  const manifest: CityManifest = {
    format: 'mamori-synth-city',
    version: 1,
    options: o,
    end,
    counts: {
      residents: snapshot.residents,
      households: snapshot.households,
      foreign: snapshot.foreign,
      aged65: snapshot.aged65,
      under15: snapshot.under15,
      finalResidents: final.residents,
      movements: Object.fromEntries(Object.entries(gen.movementTotals).sort(([a], [b]) => a.localeCompare(b))),
      vaccinatedPersons: vaccinated,
      doses: doses.n,
      dosesByProduct: Object.fromEntries(Object.entries(byProduct).sort(([a], [b]) => a.localeCompare(b))),
      recordRows: rows,
      notYetReported: notYet,
      resubmissions: tally.resubmitted,
      fourInfoRows: tally.fourInfo,
      dateUnknownRows: tally.dateUnknown,
      badRows: tally.bad,
      clinics: clinics.length,
      recordFiles: files.filter((f) => f.kind === 'records-clinic').length,
    },
    clinics: clinics.map((c) => ({ code: c.code, name: c.name, kind: c.kind, direct: c.direct })),
    files,
    contentHash,
  };
  const tmp = join(opts.out, `${MANIFEST_NAME}.partial`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, join(opts.out, MANIFEST_NAME));
  return manifest;
}
