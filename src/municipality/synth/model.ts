// The synthetic population's state, kept compact for a million residents: one typed array per attribute
// (struct of arrays), indexes instead of strings.  A person's index is also the index of their synthetic My
// Number and 住民票コード, so nothing about a person depends on the order rows are written in.

/** "No date" in the Int32 date columns (day numbers since 1970-01-01). */
export const NO_DATE = -2147483648;
export const NO_INDEX = 0xffff;

// 続柄 relative to the 世帯主.
export const REL = ['世帯主', '妻', '夫', '子', '父', '母', '子の妻', '子の夫', '孫', '夫の父', '夫の母', '妻の父', '妻の母', '兄', '姉', '弟', '妹', '祖父', '祖母', '縁故者', '同居人'] as const;
export const R_HEAD = 0;
export const R_WIFE = 1;
export const R_HUSBAND = 2;
export const R_CHILD = 3;
export const R_FATHER = 4;
export const R_MOTHER = 5;
export const R_CHILD_WIFE = 6;
export const R_CHILD_HUSBAND = 7;
export const R_GRANDCHILD = 8;
export const R_HUSBAND_FATHER = 9;
export const R_HUSBAND_MOTHER = 10;
export const R_WIFE_FATHER = 11;
export const R_WIFE_MOTHER = 12;
export const R_OLDER_BROTHER = 13;
export const R_OLDER_SISTER = 14;
export const R_YOUNGER_BROTHER = 15;
export const R_YOUNGER_SISTER = 16;
export const R_GRANDFATHER = 17;
export const R_GRANDMOTHER = 18;
export const R_RELATIVE = 19;

// Movement codes, as small integers (index into MOVEMENT_CODES).
export const MOVEMENT_CODES = ['', '01', '02', '03', '10', '11', '12', '13', '20', '21', '22', '23', '30'] as const;
export type MovementCodeText = (typeof MOVEMENT_CODES)[number];
export const M_NONE = 0;
export const M_IN = 1;
export const M_BIRTH = 2;
export const M_OFFICE_RECORD = 3;
export const M_OUT_PLANNED = 4;
export const M_OUT_CONFIRMED = 5;
export const M_DEATH = 6;
export const M_OFFICE_REMOVE = 7;
export const M_MOVE_WITHIN = 8;
export const M_NAME = 9;
export const M_HOUSEHOLD = 10;
export const M_CORRECTION = 11;
export const M_NON_RESIDENT = 12;

export const CEASE_REASON_TEXT = ['', '転出', '死亡', '職権消除', '国外転出'] as const;
export const C_NONE = 0;
export const C_OUT = 1;
export const C_DEATH = 2;
export const C_OFFICE = 3;
export const C_ABROAD = 4;

// Person state.
export const S_RESIDENT = 0;
export const S_LEAVING = 1; // 転出予定 notified, not yet confirmed
export const S_GONE = 2; // 転出確定, 死亡 or 職権消除
export const S_NON_RESIDENT = 3; // 住登外者

// Person flags.
export const F_MYNUMBER = 1;
export const F_DV = 2;
export const F_RESTRICTED = 4;
export const F_ALIAS = 8; // foreign resident using the 通称 as 氏名
export const F_HALF_KANA = 16; // reading written in 半角カナ
export const F_SPACE_HALF = 32; // 氏名 written with a half-width space
export const F_SPACE_NONE = 64; // 氏名 written without a space
export const F_MAILING = 128;

// Misc bits.
export const X_NO_CODE = 1; // no 住民票コード (a 住登外者 never registered as a resident)

// Place codes for 転入前住所 / 転出先住所: -1 none, 0… OTHER_PLACES, ABROAD + nationality index.
export const PLACE_NONE = -1;
export const PLACE_ABROAD = 1000;

type Columns = Record<string, Int32Array | Uint8Array | Uint16Array | Int16Array>;

function grow<T extends Int32Array | Uint8Array | Uint16Array | Int16Array>(a: T, cap: number, fill: number): T {
  const C = a.constructor as new (n: number) => T;
  const b = new C(cap);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

abstract class Table {
  cap: number;
  n = 0;
  protected abstract fills(): Record<string, number>;
  constructor(cap: number) {
    this.cap = Math.max(16, cap);
  }
  /** Room for one more row; returns its index. */
  add(): number {
    if (this.n === this.cap) {
      const cap = Math.ceil(this.cap * 1.5);
      const self = this as unknown as Columns;
      for (const [k, fill] of Object.entries(this.fills())) self[k] = grow(self[k]!, cap, fill);
      this.cap = cap;
    }
    return this.n++;
  }
}

export class People extends Table {
  sex: Uint8Array; // 1 male, 2 female
  birth: Int32Array;
  foreign: Uint8Array; // 0 Japanese, 1 foreign
  sur: Uint16Array; // Japanese: SURNAME_TABLE; foreign: the nationality's family names
  giv: Uint16Array; // Japanese: GIVEN_TABLE; foreign: the nationality's given names (by sex)
  nat: Uint8Array; // nationality index (foreign only)
  aliasSur: Uint16Array; // 通称: ALIAS_SURNAMES index or NO_INDEX
  aliasGiv: Uint16Array; // 通称: GIVEN_TABLE index
  visa: Uint8Array;
  stay: Int32Array; // 在留期間満了日 or NO_DATE
  hh: Int32Array;
  rel: Uint8Array;
  next: Int32Array; // next member of the household (-1 ends)
  mother: Int32Array;
  became: Int32Array; // 住民となった日
  latest: Uint8Array; // 最新異動区分 (M_*)
  latestOn: Int32Array;
  latestNotified: Int32Array; // NO_DATE for office actions
  prev: Int16Array; // 転入前住所
  dest: Int16Array; // 転出先住所
  state: Uint8Array;
  ceased: Int32Array;
  reason: Uint8Array;
  flags: Uint8Array;
  atena: Int32Array; // 宛名番号 (0 until first written)
  touched: Uint8Array; // the last diff week this person moved in (one movement per person per week)
  reserved: Uint8Array; // a follow-up movement is scheduled (no other movement until then)
  home: Int16Array; // 住登外者 living elsewhere: their municipality (OTHER_PLACES), else PLACE_NONE
  misc: Uint8Array; // X_* bits

  constructor(cap: number) {
    super(cap);
    const c = this.cap;
    this.sex = new Uint8Array(c);
    this.birth = new Int32Array(c);
    this.foreign = new Uint8Array(c);
    this.sur = new Uint16Array(c);
    this.giv = new Uint16Array(c);
    this.nat = new Uint8Array(c).fill(255);
    this.aliasSur = new Uint16Array(c).fill(NO_INDEX);
    this.aliasGiv = new Uint16Array(c).fill(NO_INDEX);
    this.visa = new Uint8Array(c).fill(255);
    this.stay = new Int32Array(c).fill(NO_DATE);
    this.hh = new Int32Array(c).fill(-1);
    this.rel = new Uint8Array(c);
    this.next = new Int32Array(c).fill(-1);
    this.mother = new Int32Array(c).fill(-1);
    this.became = new Int32Array(c).fill(NO_DATE);
    this.latest = new Uint8Array(c);
    this.latestOn = new Int32Array(c).fill(NO_DATE);
    this.latestNotified = new Int32Array(c).fill(NO_DATE);
    this.prev = new Int16Array(c).fill(PLACE_NONE);
    this.dest = new Int16Array(c).fill(PLACE_NONE);
    this.state = new Uint8Array(c);
    this.ceased = new Int32Array(c).fill(NO_DATE);
    this.reason = new Uint8Array(c);
    this.flags = new Uint8Array(c);
    this.atena = new Int32Array(c);
    this.touched = new Uint8Array(c);
    this.reserved = new Uint8Array(c);
    this.home = new Int16Array(c).fill(PLACE_NONE);
    this.misc = new Uint8Array(c);
  }

  protected fills(): Record<string, number> {
    return {
      sex: 0, birth: 0, foreign: 0, sur: 0, giv: 0, nat: 255, aliasSur: NO_INDEX, aliasGiv: NO_INDEX, visa: 255, stay: NO_DATE,
      hh: -1, rel: 0, next: -1, mother: -1, became: NO_DATE, latest: 0, latestOn: NO_DATE, latestNotified: NO_DATE,
      prev: PLACE_NONE, dest: PLACE_NONE, state: 0, ceased: NO_DATE, reason: 0, flags: 0, atena: 0, touched: 0, reserved: 0, home: PLACE_NONE, misc: 0,
    };
  }
}

// Building kinds.
export const B_APARTMENT = 0;
export const B_PUBLIC = 1;
export const B_FACILITY = 2;
export const B_DORM = 3;

export class Households extends Table {
  town: Uint16Array;
  chome: Uint8Array;
  ban: Uint16Array;
  go: Uint16Array;
  bldg: Int32Array; // -1: a house
  room: Uint16Array;
  style: Uint8Array; // address notation (see render.ts)
  head: Int32Array;
  first: Int32Array;
  last: Int32Array;
  no: Int32Array; // 世帯番号 (0 until numbered)

  constructor(cap: number) {
    super(cap);
    const c = this.cap;
    this.town = new Uint16Array(c);
    this.chome = new Uint8Array(c);
    this.ban = new Uint16Array(c);
    this.go = new Uint16Array(c);
    this.bldg = new Int32Array(c).fill(-1);
    this.room = new Uint16Array(c);
    this.style = new Uint8Array(c);
    this.head = new Int32Array(c).fill(-1);
    this.first = new Int32Array(c).fill(-1);
    this.last = new Int32Array(c).fill(-1);
    this.no = new Int32Array(c);
  }

  protected fills(): Record<string, number> {
    return { town: 0, chome: 0, ban: 0, go: 0, bldg: -1, room: 0, style: 0, head: -1, first: -1, last: -1, no: 0 };
  }
}

export class Buildings extends Table {
  town: Uint16Array;
  chome: Uint8Array;
  ban: Uint16Array;
  go: Uint16Array;
  kind: Uint8Array;
  name: Uint16Array; // name variant
  perFloor: Uint8Array;
  used: Uint16Array;
  capacity: Uint16Array;

  constructor(cap: number) {
    super(cap);
    const c = this.cap;
    this.town = new Uint16Array(c);
    this.chome = new Uint8Array(c);
    this.ban = new Uint16Array(c);
    this.go = new Uint16Array(c);
    this.kind = new Uint8Array(c);
    this.name = new Uint16Array(c);
    this.perFloor = new Uint8Array(c);
    this.used = new Uint16Array(c);
    this.capacity = new Uint16Array(c);
  }

  protected fills(): Record<string, number> {
    return { town: 0, chome: 0, ban: 0, go: 0, kind: 0, name: 0, perFloor: 0, used: 0, capacity: 0 };
  }
}

/** The whole synthetic municipality. */
export class World {
  readonly people: People;
  readonly households: Households;
  readonly buildings = new Buildings(1024);
  /** Next 世帯番号 and 宛名番号 to give out. */
  nextHouseholdNo = 1;
  nextAtena = 1;
  /** Bumped on every change of a household's members or address (render.ts caches by it). */
  version = 0;

  constructor(expectedPeople: number) {
    this.people = new People(Math.ceil(expectedPeople * 1.05) + 64);
    this.households = new Households(Math.ceil(expectedPeople * 0.5) + 64);
  }

  addToHousehold(h: number, p: number, rel: number): void {
    const P = this.people;
    const H = this.households;
    this.version++;
    P.hh[p] = h;
    P.rel[p] = rel;
    P.next[p] = -1;
    const last = H.last[h]!;
    if (last < 0) H.first[h] = p;
    else P.next[last] = p;
    H.last[h] = p;
    if (rel === R_HEAD) H.head[h] = p;
  }

  removeFromHousehold(p: number): void {
    const P = this.people;
    const H = this.households;
    const h = P.hh[p]!;
    if (h < 0) return;
    this.version++;
    let prev = -1;
    for (let q = H.first[h]!; q >= 0; q = P.next[q]!) {
      if (q === p) {
        if (prev < 0) H.first[h] = P.next[q]!;
        else P.next[prev] = P.next[q]!;
        if (H.last[h] === p) H.last[h] = prev;
        break;
      }
      prev = q;
    }
    if (H.head[h] === p) H.head[h] = -1;
    P.hh[p] = -1;
    P.next[p] = -1;
  }

  /** Members of a household still registered here (resident or leaving). */
  members(h: number): number[] {
    const P = this.people;
    const out: number[] = [];
    for (let q = this.households.first[h]!; q >= 0; q = P.next[q]!) if (P.state[q]! <= S_LEAVING) out.push(q);
    return out;
  }
}
