// Making people and households: names (Japanese by cohort, foreign by nationality, 通称), residence status,
// flags, and addresses (town, 丁目/番/号 or 番地, apartments with rooms, facilities, dormitories).  Shared by
// the snapshot assembly and the weekly movements so that newcomers look like the people already there.
import { dayNumber } from '../../kernel/jp/index.js';
import type { Rng } from '../../kernel/random/index.js';
import { GIVEN_COHORTS, GIVEN_TABLE, SURNAME_TABLE } from './data/names-jp.js';
import { NATIONALITIES, PERMANENT_VISAS, SPECIAL_ALIAS_RATE, VISAS, type Visa } from './data/names-foreign.js';
import { OTHER_PLACES, type Tenant } from './data/places.js';
import { Weighted } from './sample.js';
import {
  B_APARTMENT,
  B_DORM,
  B_FACILITY,
  B_PUBLIC,
  F_ALIAS,
  F_HALF_KANA,
  F_MYNUMBER,
  F_SPACE_HALF,
  F_SPACE_NONE,
  NO_INDEX,
  type World,
} from './model.js';

export type Hint = 'young' | 'couple' | 'family' | 'elderly' | 'facility' | 'dorm';

export interface NameEntry {
  readonly kanji: string;
  readonly kana: string;
}

/** Surnames a 通称 may take: the Japanese table plus the Korean-origin 通称 surnames of the data. */
export const ALIAS_SURNAMES: readonly NameEntry[] = (() => {
  const out: NameEntry[] = SURNAME_TABLE.map((s) => ({ kanji: s.kanji, kana: s.kana }));
  for (const n of NATIONALITIES) {
    for (const list of Object.values(n.aliasSurnames ?? {})) {
      for (const e of list) {
        const [kanji, kana] = e.split(':') as [string, string];
        if (!out.some((o) => o.kanji === kanji && o.kana === kana)) out.push({ kanji, kana });
      }
    }
  }
  return out;
})();

const ALIAS_INDEX = new Map(ALIAS_SURNAMES.map((e, i) => [`${e.kanji}:${e.kana}`, i]));

/** Address notations (render.ts): 0 is the 住基 system's own; the others are what hand-kept ledgers hold. */
export const ADDRESS_STYLE_WEIGHTS: readonly number[] = [55, 15, 10, 8, 4, 5, 3];

export const YEAR = 365.2425;
/** Foreign residents entered the 住民基本台帳 on 2012-07-09 (改正住民基本台帳法). */
export const FOREIGN_REGISTRATION_DAY = dayNumber('2012-07-09');

export function yearOf(day: number): number {
  return Math.floor(1970 + (day + 0.5) / YEAR);
}

export class Factory {
  private readonly surnames: Weighted<number>;
  private readonly given: { male: Weighted<number>; female: Weighted<number> }[];
  readonly towns: Weighted<number>;
  readonly nationalities: Weighted<number>;
  readonly otherPlaces: Weighted<number>;
  readonly styles: Weighted<number>;
  private readonly open: Int32Array;

  constructor(
    readonly world: World,
    readonly tenant: Tenant,
  ) {
    this.surnames = new Weighted(
      SURNAME_TABLE.map((_, i) => i),
      SURNAME_TABLE.map((s) => s.weight),
    );
    this.given = GIVEN_COHORTS.map((c) => ({
      male: new Weighted([...c.male], c.male.map((i) => GIVEN_TABLE[i]!.weight)),
      female: new Weighted([...c.female], c.female.map((i) => GIVEN_TABLE[i]!.weight)),
    }));
    this.towns = new Weighted(
      tenant.towns.map((_, i) => i),
      tenant.towns.map((t) => t.weight),
    );
    this.nationalities = new Weighted(
      NATIONALITIES.map((_, i) => i),
      NATIONALITIES.map((n) => n.weight),
    );
    // Moves never come from or go to the tenant itself.
    const self = tenant.prefecture + tenant.city;
    this.otherPlaces = new Weighted(
      OTHER_PLACES.map((_, i) => i),
      OTHER_PLACES.map((o) => (o.name.startsWith(self) ? 0 : o.weight)),
    );
    this.styles = new Weighted(
      ADDRESS_STYLE_WEIGHTS.map((_, i) => i),
      ADDRESS_STYLE_WEIGHTS,
    );
    this.open = new Int32Array(tenant.towns.length * 4).fill(-1);
  }

  // ---------------------------------------------------------------- people

  person(rng: Rng, sex: number, birth: number): number {
    const P = this.world.people;
    const p = P.add();
    P.sex[p] = sex;
    P.birth[p] = birth;
    P.flags[p] = this.writingFlags(rng) | (rng.chance(0.98) ? F_MYNUMBER : 0);
    return p;
  }

  /** How the row writes the name: mostly 全角 space and 全角カナ; some 半角 space, no space, 半角カナ. */
  writingFlags(rng: Rng): number {
    const u = rng.next();
    const space = u < 0.05 ? F_SPACE_HALF : u < 0.09 ? F_SPACE_NONE : 0;
    return space | (rng.chance(0.05) ? F_HALF_KANA : 0);
  }

  pickSurname(rng: Rng): number {
    return this.surnames.pick(rng);
  }

  pickGiven(rng: Rng, sex: number, birth: number): number {
    const y = yearOf(birth) + rng.int(-4, 4);
    let c = 0;
    for (let i = 0; i < GIVEN_COHORTS.length; i++) if (y >= GIVEN_COHORTS[i]!.from) c = i;
    const t = this.given[c]!;
    return (sex === 1 ? t.male : t.female).pick(rng);
  }

  nameJapanese(rng: Rng, p: number, surname: number): void {
    const P = this.world.people;
    P.foreign[p] = 0;
    P.sur[p] = surname;
    P.giv[p] = this.pickGiven(rng, P.sex[p]!, P.birth[p]!);
  }

  /** Makes `p` a foreign resident of nationality `nat` with status `visa`; `family` shares a family name. */
  makeForeign(rng: Rng, p: number, nat: number, visa: Visa, family = -1, aliasSurname = -1): void {
    const P = this.world.people;
    const N = NATIONALITIES[nat]!;
    P.foreign[p] = 1;
    P.nat[p] = nat;
    P.visa[p] = VISAS.indexOf(visa);
    P.sur[p] = family >= 0 ? family : rng.int(0, N.families.length - 1);
    P.giv[p] = rng.int(0, (P.sex[p] === 1 ? N.male : N.female).length - 1);
    const aliasRate = visa === '特別永住者' ? SPECIAL_ALIAS_RATE : N.aliasRate;
    if (aliasSurname >= 0 || rng.chance(aliasRate)) {
      let sur = aliasSurname;
      if (sur < 0) {
        const options = N.aliasSurnames?.[N.families[P.sur[p]!]!.alpha];
        sur = options && rng.chance(0.85) ? ALIAS_INDEX.get(rng.pick(options))! : this.pickSurname(rng);
      }
      P.aliasSur[p] = sur;
      P.aliasGiv[p] = this.pickGiven(rng, P.sex[p]!, P.birth[p]!);
      if (rng.chance(0.9)) P.flags[p]! |= F_ALIAS;
    } else {
      P.aliasSur[p] = NO_INDEX;
      P.aliasGiv[p] = NO_INDEX;
    }
  }

  /** 在留期間満了日 for a status granted on `from` (none for permanent statuses). */
  stayUntil(rng: Rng, visa: Visa, from: number): number | null {
    if (PERMANENT_VISAS.has(visa)) return null;
    const years = visa === '技能実習' ? rng.pick([1, 2]) : visa === '留学' ? rng.pick([1, 2, 3, 4]) : rng.pick([1, 3, 3, 5]);
    return from + Math.round(years * YEAR) - 1;
  }

  /** A status valid on `today`: granted some time ago, expiring in the future. */
  currentStay(rng: Rng, visa: Visa, today: number): number | null {
    if (PERMANENT_VISAS.has(visa)) return null;
    for (;;) {
      const granted = today - rng.int(0, 4 * 365);
      const until = this.stayUntil(rng, visa, granted)!;
      if (until > today + 7) return until;
    }
  }

  // ---------------------------------------------------------------- households and addresses

  household(rng: Rng, hint: Hint): number {
    const H = this.world.households;
    const h = H.add();
    H.style[h] = this.styles.pick(rng);
    this.place(rng, h, hint);
    H.no[h] = 0;
    return h;
  }

  /** Gives household `h` a (new) address in the municipality. */
  place(rng: Rng, h: number, hint: Hint): void {
    const H = this.world.households;
    this.world.version++;
    const town = this.towns.pick(rng);
    const T = this.tenant.towns[town]!;
    H.town[h] = town;
    H.bldg[h] = -1;
    H.room[h] = 0;
    if (hint === 'facility' || hint === 'dorm') {
      this.room(rng, h, town, hint === 'facility' ? B_FACILITY : B_DORM);
      return;
    }
    const factor = hint === 'young' ? 1.8 : hint === 'family' ? 0.8 : hint === 'elderly' ? 0.35 : 1;
    if (rng.chance(Math.min(0.95, T.apartmentShare * factor))) {
      this.room(rng, h, town, hint !== 'young' && rng.chance(0.12) ? B_PUBLIC : B_APARTMENT);
      return;
    }
    const [chome, ban, go] = this.lot(rng, town);
    H.chome[h] = chome;
    H.ban[h] = ban;
    H.go[h] = go;
  }

  private lot(rng: Rng, town: number): [number, number, number] {
    const T = this.tenant.towns[town]!;
    if (T.kind === 'J') return [rng.int(1, T.chome), rng.int(1, T.banMax), rng.int(1, T.goMax)];
    return [0, rng.int(1, T.banMax), rng.chance(0.45) ? rng.int(1, T.goMax) : 0];
  }

  private room(rng: Rng, h: number, town: number, kind: number): void {
    const B = this.world.buildings;
    const H = this.world.households;
    const key = town * 4 + kind;
    let b = this.open[key]!;
    const fresh = kind === B_APARTMENT ? 0.3 : kind === B_PUBLIC ? 0.05 : 0.02;
    if (b < 0 || B.used[b]! >= B.capacity[b]! || rng.chance(fresh)) {
      b = B.add();
      const [chome, ban, go] = this.lot(rng, town);
      B.town[b] = town;
      B.chome[b] = chome;
      B.ban[b] = ban;
      B.go[b] = go;
      B.kind[b] = kind;
      B.name[b] = rng.int(0, 65535);
      const floors = kind === B_APARTMENT ? rng.int(2, 5) : kind === B_PUBLIC ? rng.int(3, 5) : kind === B_FACILITY ? 3 : 2;
      const perFloor = kind === B_APARTMENT ? rng.int(3, 8) : kind === B_PUBLIC ? rng.int(6, 10) : kind === B_FACILITY ? 30 : 12;
      B.perFloor[b] = perFloor;
      B.capacity[b] = floors * perFloor;
      B.used[b] = 0;
      this.open[key] = b;
    }
    const k = B.used[b]!;
    B.used[b] = k + 1;
    H.bldg[h] = b;
    H.chome[h] = B.chome[b]!;
    H.ban[h] = B.ban[b]!;
    H.go[h] = B.go[b]!;
    H.room[h] = kind === B_FACILITY ? 0 : (1 + Math.floor(k / B.perFloor[b]!)) * 100 + 1 + (k % B.perFloor[b]!);
  }

  otherPlace(rng: Rng): number {
    return this.otherPlaces.pick(rng);
  }
}
