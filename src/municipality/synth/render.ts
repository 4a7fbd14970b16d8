// Rows of the 住基 file layouts (docs/formats/residents-csv.md) from the compact state: names as each
// person's record writes them, addresses in the notation of the household's ledger, 方書, 送付先.
import { syntheticMyNumber } from '../../kernel/mynumber/index.js';
import { GIVEN_COHORTS, GIVEN_TABLE, SURNAME_TABLE } from './data/names-jp.js';
import { NATIONALITIES, VISAS } from './data/names-foreign.js';
import { BUILDING_CORES, BUILDING_SUFFIXES, COMMON_TOWNS, DORM_NAMES, FACILITY_NAMES, OTHER_PLACES, type Tenant } from './data/places.js';
import { ALIAS_SURNAMES } from './factory.js';
import { juminhyoCode, mix, seedKey } from './ids.js';
import {
  B_DORM,
  B_FACILITY,
  B_PUBLIC,
  CEASE_REASON_TEXT,
  F_ALIAS,
  F_DV,
  F_HALF_KANA,
  F_MAILING,
  F_MYNUMBER,
  F_RESTRICTED,
  F_SPACE_HALF,
  F_SPACE_NONE,
  MOVEMENT_CODES,
  NO_DATE,
  NO_INDEX,
  PLACE_ABROAD,
  PLACE_NONE,
  REL,
  S_NON_RESIDENT,
  X_NO_CODE,
  type World,
} from './model.js';
import { csvCell, fullWidth, halfWidthKana, kanjiDigits, kanjiNumber, yyyymmdd } from './text.js';

export interface RenderOptions {
  /** The seed: keys the 住民票コード permutation and the synthetic My Numbers. */
  readonly seed: string;
  /** Write 宛名番号 (pre-assigned by the 宛名 system) instead of leaving them for Mamori to assign. */
  readonly atena: boolean;
}

const date = (d: number): string => (d === NO_DATE ? '' : yyyymmdd(d));

export class Renderer {
  private readonly key: number;
  private readonly myNumberSeed: string;
  /** The household columns of the last household written (members are written one after another). */
  private cachedHousehold = -1;
  private cachedVersion = -1;
  private cachedFront = '';
  private cachedBack = '';

  constructor(
    readonly world: World,
    readonly tenant: Tenant,
    readonly opts: RenderOptions,
  ) {
    this.key = seedKey(opts.seed);
    this.myNumberSeed = `synth-residents/${opts.seed}`;
  }

  juminhyoCode(p: number): string {
    return juminhyoCode(this.key, p);
  }

  myNumber(p: number): string {
    return syntheticMyNumber(this.myNumberSeed, p);
  }

  // ---------------------------------------------------------------- names

  /** 氏名 as the person's record writes it. */
  name(p: number): string {
    const P = this.world.people;
    if (P.foreign[p] === 1) {
      if ((P.flags[p]! & F_ALIAS) !== 0) return this.aliasName(p)!;
      return this.realName(p);
    }
    const f = P.flags[p]!;
    const sep = (f & F_SPACE_NONE) !== 0 ? '' : (f & F_SPACE_HALF) !== 0 ? ' ' : '\u3000';
    return SURNAME_TABLE[P.sur[p]!]!.kanji + sep + GIVEN_TABLE[P.giv[p]!]!.kanji;
  }

  kana(p: number): string {
    const P = this.world.people;
    let k: string;
    if (P.foreign[p] === 1) {
      if ((P.flags[p]! & F_ALIAS) !== 0) k = ALIAS_SURNAMES[P.aliasSur[p]!]!.kana + '\u3000' + GIVEN_TABLE[P.aliasGiv[p]!]!.kana;
      else {
        const N = NATIONALITIES[P.nat[p]!]!;
        const given = (P.sex[p] === 1 ? N.male : N.female)[P.giv[p]!]!;
        k = N.families[P.sur[p]!]!.kana + '\u3000' + given.kana;
      }
    } else {
      k = SURNAME_TABLE[P.sur[p]!]!.kana + '\u3000' + GIVEN_TABLE[P.giv[p]!]!.kana;
    }
    return (P.flags[p]! & F_HALF_KANA) !== 0 ? halfWidthKana(k) : k;
  }

  /** The surname's kanji as written (for 送付先 and family members). */
  surname(p: number): string {
    const P = this.world.people;
    if (P.foreign[p] === 1) return P.aliasSur[p] !== NO_INDEX ? ALIAS_SURNAMES[P.aliasSur[p]!]!.kanji : NATIONALITIES[P.nat[p]!]!.families[P.sur[p]!]!.alpha;
    return SURNAME_TABLE[P.sur[p]!]!.kanji;
  }

  private realName(p: number): string {
    const P = this.world.people;
    const N = NATIONALITIES[P.nat[p]!]!;
    const fam = N.families[P.sur[p]!]!;
    const given = (P.sex[p] === 1 ? N.male : N.female)[P.giv[p]!]!;
    return fam.kanji && given.kanji ? `${fam.kanji}\u3000${given.kanji}` : `${fam.alpha} ${given.alpha}`;
  }

  private alphaName(p: number): string {
    const P = this.world.people;
    const N = NATIONALITIES[P.nat[p]!]!;
    const given = (P.sex[p] === 1 ? N.male : N.female)[P.giv[p]!]!;
    return `${N.families[P.sur[p]!]!.alpha} ${given.alpha}`;
  }

  private aliasName(p: number): string | null {
    const P = this.world.people;
    if (P.aliasSur[p] === NO_INDEX) return null;
    return ALIAS_SURNAMES[P.aliasSur[p]!]!.kanji + '\u3000' + GIVEN_TABLE[P.aliasGiv[p]!]!.kanji;
  }

  // ---------------------------------------------------------------- addresses

  /** [郵便番号, 住所, 方書, 地区コード] of household `h`. */
  address(h: number): [string, string, string, string] {
    const H = this.world.households;
    const T = this.tenant.towns[H.town[h]!]!;
    const style = H.style[h]!;
    const full = this.tenant.prefecture + this.tenant.city + T.name;
    const short = this.tenant.city + T.name;
    const c = H.chome[h]!;
    const b = H.ban[h]!;
    const g = H.go[h]!;
    let a: string;
    if (T.kind === 'J') {
      switch (style) {
        case 1: a = `${full}${c}丁目${b}番${g}号`; break;
        case 2: a = `${short}${c}-${b}-${g}`; break;
        case 3: a = `${full}${fullWidth(c)}－${fullWidth(b)}－${fullWidth(g)}`; break;
        case 4: a = `${full}${kanjiNumber(c)}丁目${kanjiNumber(b)}番${kanjiNumber(g)}号`; break;
        case 5: a = `${full}${fullWidth(c)}丁目${fullWidth(b)}－${fullWidth(g)}`; break;
        case 6: a = `${short}${c}ー${b}ー${g}`; break;
        default: a = `${full}${kanjiNumber(c)}丁目${fullWidth(b)}番${fullWidth(g)}号`;
      }
    } else {
      switch (style) {
        case 1: a = `${full}${b}番地${g ? g : ''}`; break;
        case 2: a = `${short}${b}${g ? `-${g}` : ''}`; break;
        case 3: a = `${full}${fullWidth(b)}${g ? `－${fullWidth(g)}` : '番地'}`; break;
        case 4: a = `${full}${(h & 1) === 0 ? kanjiNumber(b) : kanjiDigits(b)}番地${g ? kanjiNumber(g) : ''}`; break;
        case 5: a = `${full}${fullWidth(b)}番地${g ? `の${fullWidth(g)}` : ''}`; break;
        case 6: a = `${short}${b}${g ? `ー${g}` : '番地'}`; break;
        default: a = `${full}${fullWidth(b)}番地${g ? fullWidth(g) : ''}`;
      }
    }
    const v = mix(h, 17) % 100;
    const postal = v < 2 ? '' : v < 15 ? `${T.postal.slice(0, 3)}-${T.postal.slice(3)}` : T.postal;
    return [postal, a, this.katagaki(h), T.district];
  }

  private townShort(town: number): string {
    const name = this.tenant.towns[town]!.name;
    const afterWard = name.includes('区') ? name.slice(name.indexOf('区') + 1) : name;
    return afterWard.replace(/町$/, '') || afterWard;
  }

  private buildingName(b: number): string {
    const B = this.world.buildings;
    const v = B.name[b]!;
    const kind = B.kind[b]!;
    if (kind === B_FACILITY) return FACILITY_NAMES[v % FACILITY_NAMES.length]!;
    if (kind === B_DORM) return DORM_NAMES[v % DORM_NAMES.length]!;
    if (kind === B_PUBLIC) return `${this.tenant.publicHousing}${this.townShort(B.town[b]!)}住宅\u3000${fullWidth(1 + (v % 9))}号棟`;
    const core = BUILDING_CORES[(v >>> 3) % BUILDING_CORES.length]!;
    const suffix = BUILDING_SUFFIXES[(v >>> 8) % BUILDING_SUFFIXES.length]!;
    switch (v % 5) {
      case 1: return `${suffix === '荘' ? 'コーポ' : suffix}${this.townShort(B.town[b]!)}`;
      case 2: return `${SURNAME_TABLE[(v >>> 5) % 150]!.kanji}${['アパート', 'ハイツ', 'マンション', '荘'][(v >>> 2) % 4]}`;
      case 3: return `第${fullWidth(1 + ((v >>> 6) % 3))}${core}${suffix}`;
      case 4: return `${core}${suffix}\u3000${['Ａ', 'Ｂ', 'Ｃ'][(v >>> 6) % 3]}棟`;
      default: return `${core}${suffix}`;
    }
  }

  private katagaki(h: number): string {
    const H = this.world.households;
    const b = H.bldg[h]!;
    if (b < 0) return '';
    const name = this.buildingName(b);
    const room = H.room[h]!;
    if (room === 0) return name;
    switch (H.style[h]!) {
      case 1: return `${name} ${room}号室`;
      case 2: return `${name}${room}`;
      case 3: return `${name}\u3000${fullWidth(room)}号`;
      case 5: return `${name}${fullWidth(room)}号`;
      case 6: return `${name} ${room}`;
      default: return `${name}\u3000${fullWidth(room)}号室`;
    }
  }

  /**
   * An address in another municipality (or a country abroad).  `key` picks the street: people who moved
   * together share it (the day they arrived, the household they leave from).
   */
  otherAddress(place: number, key: number, salt: number): string {
    if (place === PLACE_NONE) return '';
    if (place >= PLACE_ABROAD) return NATIONALITIES[place - PLACE_ABROAD]?.country ?? '国外';
    const o = OTHER_PLACES[place]!;
    const v = mix(key, salt + place);
    const town = COMMON_TOWNS[v % COMMON_TOWNS.length]!;
    const c = 1 + ((v >>> 4) % 5);
    const b = 1 + ((v >>> 7) % 30);
    const g = 1 + ((v >>> 12) % 20);
    return (v >>> 20) % 3 === 0 ? `${o.name}${town}${c}-${b}-${g}` : `${o.name}${town}${kanjiNumber(c)}丁目${fullWidth(b)}番${fullWidth(g)}号`;
  }

  private otherPostal(place: number, p: number, salt: number): string {
    const o = OTHER_PLACES[place]!;
    return o.postal3 + String(mix(p, salt + 1) % 10000).padStart(4, '0');
  }

  /** [送付先氏名, 送付先郵便番号, 送付先住所, 送付先方書] for someone with a mailing destination. */
  mailing(p: number): [string, string, string, string] {
    const v = mix(p, 991);
    const kind = v % 10;
    const sur = kind >= 6 && kind < 8 ? SURNAME_TABLE[(v >>> 4) % 200]!.kanji : this.surname(p);
    // Grown-up children and guardians: given names of the 1955–1994 cohorts.
    const cohort = GIVEN_COHORTS[2 + ((v >>> 7) % 2)]!;
    const names = (v >>> 6) % 2 === 0 ? cohort.male : cohort.female;
    const given = GIVEN_TABLE[names[(v >>> 8) % names.length]!]!.kanji;
    const name = kind >= 6 && kind < 8 ? `成年後見人\u3000${sur}\u3000${given}` : `${sur}\u3000${given}`;
    const office = kind >= 6 && kind < 8 ? `${sur}${(v >>> 3) % 2 === 0 ? '法律事務所' : '司法書士事務所'}` : '';
    if ((v >>> 16) % 2 === 0) {
      const town = (v >>> 17) % this.tenant.towns.length;
      const T = this.tenant.towns[town]!;
      const b = 1 + ((v >>> 9) % Math.min(T.banMax, 999));
      const g = 1 + ((v >>> 13) % T.goMax);
      const addr = T.kind === 'J' ? `${this.tenant.prefecture}${this.tenant.city}${T.name}${kanjiNumber(1 + ((v >>> 21) % T.chome))}丁目${fullWidth(b % 40 || 1)}番${fullWidth(g)}号` : `${this.tenant.prefecture}${this.tenant.city}${T.name}${fullWidth(b)}番地`;
      return [name, T.postal, addr, office];
    }
    const place = this.otherPlaceFor(v);
    return [name, this.otherPostal(place, p, 992), this.otherAddress(place, p, 993), office];
  }

  private otherPlaceFor(v: number): number {
    // Same prefecture first: the first entries of OTHER_PLACES are near 鳥取市; fine for any tenant.
    return (v >>> 5) % OTHER_PLACES.length;
  }

  // ---------------------------------------------------------------- rows

  /** The 36 person columns (PERSON_HEADER order) of person `p` in their current state, as one CSV line. */
  personLine(p: number): string {
    const W = this.world;
    const P = W.people;
    const H = W.households;
    if (P.atena[p] === 0) P.atena[p] = W.nextAtena++;
    const h = P.hh[p]!;
    // 郵便番号, 住所, 方書, 地区コード, 世帯番号, 続柄, 世帯主氏名
    let household: string;
    if (h >= 0) {
      if (h !== this.cachedHousehold || W.version !== this.cachedVersion) {
        if (H.no[h] === 0) H.no[h] = W.nextHouseholdNo++;
        const head = H.head[h]!;
        const [a, b, c, d] = this.address(h);
        this.cachedFront = `${a},${csvCell(b)},${csvCell(c)},${d},${String(H.no[h]).padStart(8, '0')},`;
        this.cachedBack = `,${head >= 0 ? csvCell(this.name(head)) : ''}`;
        this.cachedHousehold = h;
        this.cachedVersion = W.version;
      }
      household = this.cachedFront + REL[P.rel[p]!] + this.cachedBack;
    } else {
      let a = ['', '', '', ''];
      const mother = P.mother[p]!;
      if (P.home[p] !== PLACE_NONE) a = [this.otherPostal(P.home[p]!, p, 302), this.otherAddress(P.home[p]!, p, 301), '', ''];
      else if (P.state[p] === S_NON_RESIDENT && mother >= 0 && P.hh[mother]! >= 0) a = this.address(P.hh[mother]!);
      household = `${a[0]},${csvCell(a[1]!)},${csvCell(a[2]!)},${a[3]},,,`;
    }
    const f = P.flags[p]!;
    let foreign = '1,,,,,,';
    if (P.foreign[p] === 1) {
      const visa = P.visa[p]!;
      foreign = `2,${csvCell(this.realName(p))},${csvCell(this.aliasName(p) ?? '')},${this.alphaName(p)},${(f & F_ALIAS) !== 0 ? '2' : '1'},${NATIONALITIES[P.nat[p]!]!.name},${visa !== 255 ? VISAS[visa]! : ''}`;
    }
    let mailing = ',,,';
    if ((f & F_MAILING) !== 0) {
      const m = this.mailing(p);
      mailing = `${csvCell(m[0])},${m[1]},${csvCell(m[2])},${csvCell(m[3])}`;
    }
    return (
      (this.opts.atena ? String(P.atena[p]).padStart(10, '0') : '') +
      ',' +
      ((P.misc[p]! & X_NO_CODE) !== 0 ? '' : juminhyoCode(this.key, p)) +
      ',' +
      ((f & F_MYNUMBER) !== 0 ? syntheticMyNumber(this.myNumberSeed, p) : '') +
      ',' +
      csvCell(this.name(p)) +
      ',' +
      this.kana(p) +
      ',' +
      yyyymmdd(P.birth[p]!) +
      ',' +
      P.sex[p] +
      ',' +
      household +
      ',' +
      foreign +
      ',' +
      date(P.stay[p]!) +
      ',' +
      date(P.became[p]!) +
      ',' +
      date(P.ceased[p]!) +
      ',' +
      CEASE_REASON_TEXT[P.reason[p]!] +
      ',' +
      MOVEMENT_CODES[P.latest[p]!] +
      ',' +
      date(P.latestOn[p]!) +
      ',' +
      date(P.latestNotified[p]!) +
      ',' +
      csvCell(this.otherAddress(P.prev[p]!, P.became[p]!, 101)) +
      ',' +
      csvCell(this.otherAddress(P.dest[p]!, P.hh[p]!, 201)) +
      ',' +
      ((f & F_DV) !== 0 ? '1' : '0') +
      ',' +
      ((f & F_RESTRICTED) !== 0 ? '1' : '0') +
      ',' +
      mailing
    );
  }
}
