// Weekly movements (異動) after the snapshot: the population evolves one week at a time and each week's
// movements become one diff file.  Rates are per person per year (data/population.ts) and scale with the
// population; moves follow the month (March and April are busy).
//
// Consistency rules: a person has at most one movement a week (a 世帯変更 after the 世帯主's death aside);
// nobody who has left, died or been removed moves again; a 転出予定 is confirmed (転出確定) after its
// planned day; follow-ups of a marriage (name change, then a move) are reserved so nothing else happens to
// the person in between; every 異動日 is on or after the person's previous one and never after the file
// date, except a 転出予定's planned day.
import { fromDayNumber } from '../../kernel/jp/index.js';
import type { Rng } from '../../kernel/random/index.js';
import { NATIONALITIES, type Visa, VISAS } from './data/names-foreign.js';
import {
  BIRTHS_PER_1000,
  DEATH_RATE_PER_100K,
  DEATH_SEX_FACTOR,
  FERTILITY_BY_AGE,
  MOVE_OUT_PER_YEAR,
  MOVE_SEASON,
  MOVE_WITHIN_PER_YEAR,
  NAME_CHANGE_PER_YEAR,
  NON_RESIDENT_PER_YEAR,
  OFFICE_RECORD_PER_YEAR,
  OFFICE_REMOVE_PER_YEAR,
} from './data/population.js';
import { type Factory, type Hint, YEAR } from './factory.js';
import { mix } from './ids.js';
import type { Renderer } from './render.js';
import { poisson, Weighted } from './sample.js';
import { yyyymmdd } from './text.js';
import {
  C_ABROAD,
  C_DEATH,
  C_OFFICE,
  C_OUT,
  F_DV,
  F_MYNUMBER,
  F_RESTRICTED,
  M_BIRTH,
  M_CORRECTION,
  M_DEATH,
  M_HOUSEHOLD,
  M_IN,
  M_MOVE_WITHIN,
  M_NAME,
  M_NON_RESIDENT,
  M_OFFICE_RECORD,
  M_OFFICE_REMOVE,
  M_OUT_CONFIRMED,
  M_OUT_PLANNED,
  MOVEMENT_CODES,
  NO_DATE,
  PLACE_ABROAD,
  R_CHILD,
  R_CHILD_HUSBAND,
  R_CHILD_WIFE,
  R_FATHER,
  R_GRANDCHILD,
  R_GRANDFATHER,
  R_GRANDMOTHER,
  R_HEAD,
  R_HUSBAND,
  R_HUSBAND_FATHER,
  R_HUSBAND_MOTHER,
  R_MOTHER,
  R_OLDER_BROTHER,
  R_OLDER_SISTER,
  R_RELATIVE,
  R_WIFE,
  R_WIFE_FATHER,
  R_WIFE_MOTHER,
  R_YOUNGER_BROTHER,
  R_YOUNGER_SISTER,
  S_GONE,
  S_LEAVING,
  S_NON_RESIDENT,
  S_RESIDENT,
  X_NO_CODE,
  type World,
} from './model.js';

export interface WeekFile {
  readonly week: number;
  /** The file date: the last day of the week (YYYY-MM-DD); rows are valid as of this day. */
  readonly fileDate: string;
  /** Data lines (no header), in 届出 order. */
  readonly lines: string[];
  /** Rows per 異動区分. */
  readonly counts: Record<string, number>;
}

interface Event {
  readonly day: number;
  readonly seq: number;
  readonly code: number;
  readonly on: number;
  readonly notified: number;
  readonly line: string;
}

type FollowUp = { week: number; person: number; kind: 'split' | 'out' };

const FOREVER = Number.MAX_SAFE_INTEGER;

export class Simulation {
  private readonly followUps: FollowUp[] = [];
  private readonly totals: Record<string, number> = {};
  private hhYoungest = new Int32Array(0);
  private hhHusband = new Uint8Array(0);
  private marriageable = 0;
  private livingAlone = 0;
  private events: Event[] = [];
  private week = 0;
  private weekStart = 0;
  private weekEnd = 0;
  private rng: Rng;

  constructor(
    readonly world: World,
    readonly f: Factory,
    readonly render: Renderer,
    private readonly root: Rng,
    /** Snapshot day (day number). */
    readonly start: number,
    /** 異動ID prefix for this seed. */
    readonly tag: string,
  ) {
    this.rng = root;
  }

  /** Movement counts over all weeks simulated so far. */
  get totalCounts(): Readonly<Record<string, number>> {
    return this.totals;
  }

  /** Simulates week `k` (1, 2, … in order) and returns its file. */
  next(): WeekFile {
    this.week += 1;
    const k = this.week;
    if (k > 250) throw new Error('at most 250 weeks');
    this.rng = this.root.fork(`week-${k}`);
    this.weekStart = this.start + 7 * (k - 1) + 1;
    this.weekEnd = this.start + 7 * k;
    this.events = [];
    const residents = this.survey();
    this.confirmations();
    this.followUpsDue();
    this.households();
    const mothers = this.people(residents);
    this.births(mothers);
    this.arrivals(residents);
    this.officeRecords(residents);
    this.nonResidents(residents);
    if (k <= 2) this.forceMissing();
    this.events.sort((a, b) => a.day - b.day || a.seq - b.seq);
    const stamp = yyyymmdd(this.weekEnd);
    const counts: Record<string, number> = {};
    const lines = this.events.map((e, i) => {
      const code = MOVEMENT_CODES[e.code]!;
      counts[code] = (counts[code] ?? 0) + 1;
      this.totals[code] = (this.totals[code] ?? 0) + 1;
      const id = `${this.tag}-${stamp}-${String(i + 1).padStart(6, '0')}`;
      return `${id},${code},${yyyymmdd(e.on)},${e.notified === NO_DATE ? '' : yyyymmdd(e.notified)},${e.line}`;
    });
    return { week: k, fileDate: fromDayNumber(this.weekEnd), lines, counts };
  }

  // ---------------------------------------------------------------- helpers

  private age(p: number, day = this.weekEnd): number {
    return Math.floor((day - this.world.people.birth[p]!) / YEAR);
  }

  private free(p: number): boolean {
    const P = this.world.people;
    return P.state[p] === S_RESIDENT && P.touched[p] !== this.week && P.reserved[p] === 0;
  }

  private dayInWeek(): number {
    return this.weekStart + this.rng.int(0, 6);
  }

  private season(): number {
    const m = Number(fromDayNumber(this.weekStart).slice(5, 7));
    const mean = MOVE_SEASON.reduce((s, x) => s + x, 0) / 12;
    return MOVE_SEASON[m - 1]! / mean;
  }

  private emit(code: number, p: number, on: number, notified: number, day = notified === NO_DATE ? on : notified): void {
    const P = this.world.people;
    P.touched[p] = this.week;
    this.events.push({ day: Math.min(Math.max(day, this.weekStart), this.weekEnd), seq: this.events.length, code, on, notified, line: this.render.personLine(p) });
  }

  /** Sets the latest movement and emits the row. */
  private move(p: number, code: number, on: number, notified: number): void {
    const P = this.world.people;
    P.latest[p] = code;
    P.latestOn[p] = on;
    P.latestNotified[p] = notified;
    this.emit(code, p, on, notified);
  }

  /** The latest 異動日 among people: a new movement may not be dated before it. */
  private floorOf(people: readonly number[]): number {
    const P = this.world.people;
    let d = -FOREVER;
    for (const p of people) d = Math.max(d, P.latestOn[p]!, P.birth[p]!);
    return d;
  }

  /** Resident members, or null if any member is busy this week (then the household waits). */
  private quietMembers(h: number): number[] | null {
    const W = this.world;
    const P = W.people;
    const out: number[] = [];
    for (let q = W.households.first[h]!; q >= 0; q = P.next[q]!) {
      const s = P.state[q]!;
      if (s === S_GONE) continue;
      if (s !== S_RESIDENT || P.touched[q] === this.week || P.reserved[q] !== 0) return null;
      out.push(q);
    }
    return out;
  }

  // ---------------------------------------------------------------- the week

  /** Counts residents and notes, per household, the youngest member and whether a husband is there. */
  private survey(): number {
    const W = this.world;
    const P = W.people;
    const H = W.households;
    if (this.hhYoungest.length < H.cap) {
      this.hhYoungest = new Int32Array(H.cap);
      this.hhHusband = new Uint8Array(H.cap);
    }
    this.hhYoungest.fill(-FOREVER, 0, H.n);
    this.hhHusband.fill(0, 0, H.n);
    let residents = 0;
    this.marriageable = 0;
    this.livingAlone = 0;
    for (let p = 0; p < P.n; p++) {
      if (P.state[p]! > S_LEAVING) continue;
      residents++;
      const h = P.hh[p]!;
      if (h < 0) continue;
      const single = H.first[h] === p && P.next[p]! < 0;
      const a = this.age(p);
      if (single && a >= 20 && a <= 79) this.livingAlone++;
      if (this.canMarry(p, a, single)) this.marriageable++;
      if (P.birth[p]! > this.hhYoungest[h]!) this.hhYoungest[h] = P.birth[p]!;
      if (P.rel[p] === R_HUSBAND || (P.rel[p] === R_HEAD && P.sex[p] === 1)) this.hhHusband[h] = 1;
    }
    return residents;
  }

  /**
   * 転出確定: the planned day has passed and the destination has confirmed (5–12 days later, the same day
   * for people who left together).  All rows are written before anyone leaves their household, so the
   * members of a household moving out together still show their 世帯主.
   */
  private confirmations(): void {
    const W = this.world;
    const P = W.people;
    const leaving: number[] = [];
    for (let p = 0; p < P.n; p++) {
      if (P.state[p] !== S_LEAVING) continue;
      const planned = P.latestOn[p]!;
      const confirmDay = planned + 5 + (mix(P.hh[p]!, planned & 0xffff) % 8);
      if (confirmDay > this.weekEnd || planned > this.weekEnd) continue;
      P.state[p] = S_GONE;
      P.ceased[p] = planned;
      P.reason[p] = P.dest[p]! >= PLACE_ABROAD ? C_ABROAD : C_OUT;
      P.latest[p] = M_OUT_CONFIRMED;
      this.emit(M_OUT_CONFIRMED, p, planned, P.latestNotified[p]!, confirmDay);
      leaving.push(p);
    }
    for (const p of leaving) this.leaveHousehold(p);
  }

  /** Takes a person who is gone out of their household (after their last row was written). */
  private leaveHousehold(p: number): void {
    this.world.removeFromHousehold(p);
  }

  private followUpsDue(): void {
    const P = this.world.people;
    const due = this.followUps.filter((x) => x.week <= this.week);
    for (const x of due) this.followUps.splice(this.followUps.indexOf(x), 1);
    for (const x of due) {
      P.reserved[x.person] = 0;
      if (!this.free(x.person)) continue;
      if (x.kind === 'split' && P.rel[x.person] !== R_HEAD) this.split(x.person);
      else this.leaveAlone(x.person);
    }
  }

  /** Whole households: moving out of the municipality (転出予定) or within it (転居). */
  private households(): void {
    const W = this.world;
    const P = W.people;
    const H = W.households;
    const rng = this.rng;
    const season = this.season();
    const outBase = (MOVE_OUT_PER_YEAR * season * 7) / 365.25;
    const withinBase = (MOVE_WITHIN_PER_YEAR * season * 7) / 365.25;
    for (let h = 0; h < H.n; h++) {
      const head = H.head[h]!;
      if (head < 0 || P.state[head] !== S_RESIDENT) continue;
      const u = rng.next();
      const a = this.age(head);
      const factor = (a < 25 ? 2.6 : a < 30 ? 2.2 : a < 35 ? 1.6 : a < 40 ? 1.1 : a < 50 ? 0.6 : a < 65 ? 0.35 : 0.2) * (P.foreign[head] === 1 ? 2.5 : 1);
      const pOut = outBase * factor;
      const pWithin = withinBase * factor;
      if (u >= pOut + pWithin) continue;
      const members = this.quietMembers(h);
      if (!members || members.length === 0) continue;
      if (u < pOut) this.householdOut(members, P.foreign[head] === 1);
      else this.householdMove(h, members);
    }
  }

  private destination(foreign: boolean, nat: number): number {
    return foreign && this.rng.chance(0.5) ? PLACE_ABROAD + nat : this.f.otherPlace(this.rng);
  }

  private householdOut(members: readonly number[], foreign: boolean): void {
    const P = this.world.people;
    const rng = this.rng;
    const notified = Math.max(this.dayInWeek(), this.floorOf(members));
    const planned = notified + rng.int(0, 14);
    const dest = this.destination(foreign, P.nat[members[0]!]!);
    for (const m of members) {
      P.state[m] = S_LEAVING;
      P.dest[m] = dest;
      this.move(m, M_OUT_PLANNED, planned, Math.min(notified, this.weekEnd));
    }
  }

  private householdMove(h: number, members: readonly number[]): void {
    const rng = this.rng;
    const notified = this.dayInWeek();
    const on = Math.min(notified, Math.max(notified - rng.int(0, 13), this.floorOf(members)));
    const head = this.world.households.head[h]!;
    this.f.place(rng, h, this.hintFor(head, members.length));
    for (const m of members) this.move(m, M_MOVE_WITHIN, on, Math.max(notified, on));
  }

  private hintFor(head: number, size: number): Hint {
    const a = this.age(head);
    return a < 35 && size <= 2 ? 'young' : a >= 70 ? 'elderly' : size >= 3 ? 'family' : 'couple';
  }

  /** People one by one: deaths, young adults leaving home, 世帯分離, marriages, office removals, 在留期間更新. */
  private people(residents: number): number[] {
    const W = this.world;
    const P = W.people;
    const H = W.households;
    const rng = this.rng;
    const season = this.season();
    const week = 7 / 365.25;
    const leaveRate = 0.1 * season * week;
    const splitRate = 0.03 * season * week;
    // Name changes and office removals happen to few kinds of people: the population's rate is spread
    // over those (counted by survey()).
    const nameRate = (NAME_CHANGE_PER_YEAR * week * residents) / Math.max(1, this.marriageable);
    const removeRate = (OFFICE_REMOVE_PER_YEAR * week * residents) / Math.max(1, this.livingAlone);
    // Births: the week's expected number spread over the eligible mothers by the fertility curve.
    const births = poisson(rng, (residents * BIRTHS_PER_1000 * week) / 1000);
    const mothers: number[] = [];
    const candidates: number[] = [];
    const weights: number[] = [];
    for (let p = 0; p < P.n; p++) {
      if (!this.free(p)) continue;
      const a = this.age(p);
      const h = P.hh[p]!;
      if (h < 0) continue;
      const rel = P.rel[p]!;
      // Mothers-to-be (chosen after the scan).
      if (P.sex[p] === 2 && a >= 16 && a <= 46 && this.hhYoungest[h]! < this.weekEnd - 300) {
        const married = rel === R_WIFE || rel === R_CHILD_WIFE || (rel === R_HEAD && this.hhHusband[h] === 1 && this.spouseOf(p) >= 0);
        const w = FERTILITY_BY_AGE[Math.min(6, Math.floor((a - 15) / 5))]! * (married ? 1 : 0.03);
        if (w > 0) {
          candidates.push(p);
          weights.push(w);
        }
      }
      const u = rng.next();
      const band = Math.min(20, Math.floor(a / 5));
      const pDeath = ((DEATH_RATE_PER_100K[band]! * (P.sex[p] === 1 ? DEATH_SEX_FACTOR.male : DEATH_SEX_FACTOR.female)) / 100_000) * week;
      if (u < pDeath) {
        this.death(p);
        continue;
      }
      let x = pDeath;
      const single = H.first[h] === p && P.next[p]! < 0;
      if ((rel === R_CHILD || rel === R_GRANDCHILD) && a >= 18 && a <= 29) {
        if (u < (x += leaveRate)) {
          this.leaveAlone(p);
          continue;
        }
        if (u < (x += splitRate)) {
          this.split(p);
          continue;
        }
      }
      if (this.canMarry(p, a, single)) {
        if (u < (x += nameRate)) {
          this.marriage(p);
          continue;
        }
      }
      if (single && a >= 20 && a <= 79 && (P.flags[p]! & F_DV) === 0 && u < x + removeRate) {
        this.officeRemove(p);
        continue;
      }
      if (P.foreign[p] === 1 && P.stay[p] !== NO_DATE && P.stay[p]! <= this.weekEnd + 30) this.renewal(p);
    }
    if (candidates.length > 0 && births > 0) {
      const table = new Weighted(candidates, weights);
      const chosen = new Set<number>();
      for (let i = 0; i < births * 3 && chosen.size < births; i++) chosen.add(table.pick(rng));
      for (const m of [...chosen].sort((a, b) => a - b)) if (this.free(m)) mothers.push(m);
    }
    return mothers;
  }

  /** Who may change name on marriage here: Japanese, 22–45, a grown child or living alone; mostly women. */
  private canMarry(p: number, a: number, single: boolean): boolean {
    const P = this.world.people;
    const rel = P.rel[p]!;
    return P.foreign[p] === 0 && a >= 22 && a <= 45 && (rel === R_CHILD || (rel === R_HEAD && single)) && (P.sex[p] === 2 || mix(p, 5) % 10 === 0);
  }

  private spouseOf(p: number): number {
    const W = this.world;
    const P = W.people;
    const h = P.hh[p]!;
    const rel = P.rel[p]!;
    for (let q = W.households.first[h]!; q >= 0; q = P.next[q]!) {
      if (P.state[q]! > S_LEAVING || q === p) continue;
      const r = P.rel[q]!;
      if (rel === R_HEAD && (r === R_WIFE || r === R_HUSBAND)) return q;
      if ((rel === R_WIFE || rel === R_HUSBAND) && r === R_HEAD) return q;
      if ((rel === R_CHILD_WIFE || rel === R_CHILD_HUSBAND) && r === R_CHILD && P.sex[q] !== P.sex[p]) return q;
    }
    return -1;
  }

  private death(p: number): void {
    const W = this.world;
    const P = W.people;
    const H = W.households;
    const rng = this.rng;
    const h = P.hh[p]!;
    const isHead = H.head[h] === p;
    const others = W.members(h).filter((q) => q !== p);
    // A 世帯主 whose household is busy this week dies next week instead (the 世帯変更 rows must follow).
    if (isHead && others.some((q) => P.state[q] === S_RESIDENT && (P.touched[q] === this.week || P.reserved[q] !== 0))) return;
    const notified = this.dayInWeek();
    const on = Math.min(notified, Math.max(notified - rng.int(0, 6), this.floorOf([p])));
    P.state[p] = S_GONE;
    P.ceased[p] = on;
    P.reason[p] = C_DEATH;
    this.move(p, M_DEATH, on, notified);
    if (isHead && others.length > 0) {
      const next = this.newHead(others);
      const nhRel = P.rel[next]!;
      const moved = others.map((q) => [q, q === next ? R_HEAD : this.remap(nhRel, next, q)] as const);
      W.removeFromHousehold(p);
      for (const [q, rel] of moved) {
        P.rel[q] = rel;
        if (rel === R_HEAD) H.head[h] = q;
      }
      W.version++;
      for (const [q] of moved) if (P.state[q] === S_RESIDENT) this.move(q, M_HOUSEHOLD, on, notified);
    } else {
      W.removeFromHousehold(p);
    }
  }

  private newHead(others: readonly number[]): number {
    const P = this.world.people;
    const by = (rels: readonly number[], adult: boolean): number => {
      let best = -1;
      for (const q of others) {
        if (P.state[q] !== S_RESIDENT || !rels.includes(P.rel[q]!)) continue;
        if (adult && this.age(q) < 18) continue;
        if (best < 0 || P.birth[q]! < P.birth[best]!) best = q;
      }
      return best;
    };
    for (const [rels, adult] of [
      [[R_WIFE, R_HUSBAND], false],
      [[R_CHILD], true],
      [[R_FATHER, R_MOTHER], false],
      [[R_CHILD_WIFE, R_CHILD_HUSBAND, R_GRANDCHILD], true],
    ] as const) {
      const q = by(rels, adult);
      if (q >= 0) return q;
    }
    // Anyone left, the eldest first.
    return [...others].sort((a, b) => P.birth[a]! - P.birth[b]! || a - b)[0]!;
  }

  /** The 続柄 of `q` to the new 世帯主 `nh` (whose 続柄 to the late 世帯主 was `nhRel`). */
  private remap(nhRel: number, nh: number, q: number): number {
    const P = this.world.people;
    const r = P.rel[q]!;
    const nhFemale = P.sex[nh] === 2;
    if (nhRel === R_WIFE || nhRel === R_HUSBAND) {
      switch (r) {
        case R_CHILD:
        case R_CHILD_WIFE:
        case R_CHILD_HUSBAND:
        case R_GRANDCHILD:
          return r;
        case R_FATHER:
          return nhFemale ? R_HUSBAND_FATHER : R_WIFE_FATHER;
        case R_MOTHER:
          return nhFemale ? R_HUSBAND_MOTHER : R_WIFE_MOTHER;
        case R_WIFE_FATHER:
          return nhFemale ? R_FATHER : R_RELATIVE;
        case R_WIFE_MOTHER:
          return nhFemale ? R_MOTHER : R_RELATIVE;
        case R_HUSBAND_FATHER:
          return nhFemale ? R_RELATIVE : R_FATHER;
        case R_HUSBAND_MOTHER:
          return nhFemale ? R_RELATIVE : R_MOTHER;
        default:
          return R_RELATIVE;
      }
    }
    if (nhRel === R_CHILD) {
      switch (r) {
        case R_CHILD: {
          const older = P.birth[q]! < P.birth[nh]! || (P.birth[q] === P.birth[nh] && q < nh);
          return P.sex[q] === 1 ? (older ? R_OLDER_BROTHER : R_YOUNGER_BROTHER) : older ? R_OLDER_SISTER : R_YOUNGER_SISTER;
        }
        case R_WIFE:
          return R_MOTHER;
        case R_HUSBAND:
          return R_FATHER;
        case R_CHILD_WIFE:
          return nhFemale ? R_RELATIVE : R_WIFE;
        case R_CHILD_HUSBAND:
          return nhFemale ? R_HUSBAND : R_RELATIVE;
        case R_GRANDCHILD:
          return P.mother[q] === nh || P.mother[q] === this.spouseAmong(nh, q) ? R_CHILD : R_RELATIVE;
        case R_FATHER:
          return R_GRANDFATHER;
        case R_MOTHER:
          return R_GRANDMOTHER;
        default:
          return R_RELATIVE;
      }
    }
    if (nhRel === R_FATHER || nhRel === R_MOTHER) {
      if (r === R_FATHER || r === R_MOTHER) return nhFemale ? R_HUSBAND : R_WIFE;
      if (r === R_CHILD || r === R_GRANDCHILD) return R_GRANDCHILD;
      return R_RELATIVE;
    }
    return P.mother[q] === nh ? R_CHILD : R_RELATIVE;
  }

  /** The 子の妻 / 子の夫 of a 子 in the same household (the child's spouse), −1 if none. */
  private spouseAmong(child: number, exclude: number): number {
    const W = this.world;
    const P = W.people;
    for (let q = W.households.first[P.hh[child]!]!; q >= 0; q = P.next[q]!) {
      if (q === exclude || P.state[q]! > S_LEAVING) continue;
      if ((P.rel[q] === R_CHILD_WIFE || P.rel[q] === R_CHILD_HUSBAND) && P.sex[q] !== P.sex[child]) return q;
    }
    return -1;
  }

  /** A young adult (or a newly married person) moves out of the municipality alone: 転出予定. */
  private leaveAlone(p: number, maxDelay = 14): void {
    const P = this.world.people;
    const notified = Math.max(this.dayInWeek(), this.floorOf([p]));
    const planned = notified + this.rng.int(0, maxDelay);
    P.state[p] = S_LEAVING;
    P.dest[p] = this.destination(P.foreign[p] === 1, P.nat[p]!);
    this.move(p, M_OUT_PLANNED, planned, Math.min(notified, this.weekEnd));
  }

  /** A grown child sets up their own household elsewhere in the municipality: 転居 with a new 世帯. */
  private split(p: number): void {
    const W = this.world;
    const rng = this.rng;
    const notified = this.dayInWeek();
    const on = Math.min(notified, Math.max(notified - rng.int(0, 13), this.floorOf([p])));
    W.removeFromHousehold(p);
    const h = this.f.household(rng, 'young');
    W.addToHousehold(h, p, R_HEAD);
    this.move(p, M_MOVE_WITHIN, on, notified);
  }

  /** 氏名変更 on marriage; the person then moves (a new household here, or out) one to three weeks later. */
  private marriage(p: number): void {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    // Not someone whose children live in the household (their names would differ).
    for (let q = W.households.first[P.hh[p]!]!; q >= 0; q = P.next[q]!) if (P.mother[q] === p && P.state[q]! <= S_LEAVING) return;
    const notified = this.dayInWeek();
    const on = Math.min(notified, Math.max(notified - rng.int(0, 13), this.floorOf([p])));
    let sur = this.f.pickSurname(rng);
    if (sur === P.sur[p]) sur = (sur + 1) % 300;
    P.sur[p] = sur;
    W.version++;
    this.move(p, M_NAME, on, notified);
    if (P.rel[p] !== R_HEAD || rng.chance(0.5)) {
      P.reserved[p] = 1;
      this.followUps.push({ week: this.week + rng.int(1, 3), person: p, kind: P.rel[p] !== R_HEAD && rng.chance(0.6) ? 'split' : 'out' });
    }
  }

  /** 職権消除: the office finds the person no longer lives at the address. */
  private officeRemove(p: number): void {
    const P = this.world.people;
    const on = Math.max(this.dayInWeek(), this.floorOf([p]));
    P.state[p] = S_GONE;
    P.ceased[p] = on;
    P.reason[p] = C_OFFICE;
    this.move(p, M_OFFICE_REMOVE, on, NO_DATE);
    this.world.removeFromHousehold(p);
  }

  /** 在留期間更新 (記載事項変更); a few let their status lapse and leave the country instead. */
  private renewal(p: number): void {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    const h = P.hh[p]!;
    const alone = W.households.first[h] === p && P.next[p]! < 0;
    if (alone && rng.chance(0.15)) {
      const notified = Math.max(this.dayInWeek(), this.floorOf([p]));
      P.state[p] = S_LEAVING;
      P.dest[p] = PLACE_ABROAD + P.nat[p]!;
      this.move(p, M_OUT_PLANNED, Math.max(notified, P.stay[p]!), notified);
      return;
    }
    const on = Math.max(this.dayInWeek(), this.floorOf([p]));
    const visa = VISAS[P.visa[p]!] as Visa;
    P.stay[p] = this.f.stayUntil(rng, visa, P.stay[p]! + 1) ?? NO_DATE;
    this.move(p, M_CORRECTION, on, on);
  }

  /** 出生: babies of the chosen mothers, in their households. */
  private births(mothers: readonly number[]): void {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    for (const m of mothers) {
      const h = P.hh[m]!;
      const notified = this.dayInWeek();
      const birth = Math.min(notified, Math.max(notified - rng.int(0, 13), P.latestOn[m]!));
      const sex = rng.chance(0.512) ? 1 : 2;
      const b = this.f.person(rng, sex, birth);
      const rel = P.rel[m]!;
      const father = rel === R_WIFE ? W.households.head[h]! : rel === R_HEAD || rel === R_CHILD_WIFE ? this.spouseOf(m) : -1;
      const line = father >= 0 ? father : m;
      if (P.foreign[line] === 0) this.f.nameJapanese(rng, b, P.sur[line]!);
      else {
        const visa = VISAS[P.visa[line]!] as Visa;
        this.f.makeForeign(rng, b, P.nat[line]!, visa === '特別永住者' || visa === '永住者' ? visa : visa === '定住者' ? '定住者' : '家族滞在', P.sur[line]!);
        P.stay[b] = this.f.stayUntil(rng, VISAS[P.visa[b]!] as Visa, birth) ?? NO_DATE;
      }
      P.mother[b] = m;
      W.addToHousehold(h, b, rel === R_CHILD_WIFE || rel === R_CHILD ? R_GRANDCHILD : R_CHILD);
      P.became[b] = birth;
      P.flags[b]! |= rng.chance(0.995) ? F_MYNUMBER : 0;
      if ((P.flags[m]! & F_DV) !== 0) P.flags[b]! |= P.flags[m]! & (F_DV | F_RESTRICTED);
      this.move(b, M_BIRTH, birth, notified);
      P.touched[m] = this.week;
    }
  }

  /** 転入: new households (and people joining a household here), about as many as left. */
  private arrivals(residents: number): void {
    const rng = this.rng;
    const target = poisson(rng, (residents * MOVE_OUT_PER_YEAR * this.season() * 7) / 365.25);
    const kinds = ARRIVALS;
    let arrived = 0;
    for (let guard = 0; arrived < target && guard < target * 3 + 10; guard++) arrived += this.arrival(kinds.pick(rng));
  }

  private bornAtAge(age: number, on: number): number {
    return on - Math.floor(age * YEAR) - this.rng.int(0, 364);
  }

  /** One arriving unit; returns the number of people who arrived. */
  private arrival(kind: ArrivalKind): number {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    const f = this.f;
    const notified = this.dayInWeek();
    const on = notified - rng.int(0, 13);
    const from = this.f.otherPlace(rng);
    const newcomer = (sex: number, age: number): number => {
      const p = f.person(rng, sex, this.bornAtAge(age, on));
      P.became[p] = on;
      P.prev[p] = from;
      return p;
    };
    const arrive = (people: readonly number[]): number => {
      for (const p of people) {
        if (P.foreign[p] === 1 && P.stay[p] === NO_DATE) P.stay[p] = f.currentStay(rng, VISAS[P.visa[p]!] as Visa, on) ?? NO_DATE;
        this.move(p, M_IN, on, notified);
      }
      return people.length;
    };
    switch (kind) {
      case 'join-spouse':
      case 'join-parent': {
        const h = this.probeHousehold((head, size) => {
          const a = this.age(head);
          return kind === 'join-spouse' ? P.sex[head] === 1 && P.foreign[head] === 0 && size === 1 && a >= 25 && a <= 45 : P.foreign[head] === 0 && a >= 45 && a <= 65;
        });
        if (h < 0) return 0;
        const head = W.households.head[h]!;
        const a = this.age(head);
        if (kind === 'join-spouse') {
          const p = newcomer(2, Math.max(20, a - 2 + rng.int(-4, 4)));
          f.nameJapanese(rng, p, P.sur[head]!);
          W.addToHousehold(h, p, R_WIFE);
          return arrive([p]);
        }
        for (let q = W.households.first[h]!; q >= 0; q = P.next[q]!) if (P.rel[q] === R_FATHER || P.rel[q] === R_MOTHER) return 0;
        const sex = rng.chance(0.7) ? 2 : 1;
        const p = newcomer(sex, Math.min(100, a + rng.int(24, 36)));
        f.nameJapanese(rng, p, P.sur[head]!);
        W.addToHousehold(h, p, sex === 1 ? R_FATHER : R_MOTHER);
        return arrive([p]);
      }
      case 'young-single':
      case 'single-adult': {
        const sex = rng.chance(0.52) ? 1 : 2;
        const age = kind === 'young-single' ? 18 + Math.floor(Math.abs(rng.next() + rng.next() - 1) * 17) : rng.int(35, 79);
        const p = newcomer(sex, age);
        f.nameJapanese(rng, p, f.pickSurname(rng));
        const h = f.household(rng, age < 35 ? 'young' : age >= 65 ? 'elderly' : 'couple');
        W.addToHousehold(h, p, R_HEAD);
        return arrive([p]);
      }
      case 'young-couple':
      case 'elderly': {
        const manAge = kind === 'young-couple' ? rng.int(25, 39) : rng.int(65, 88);
        const man = newcomer(1, manAge);
        const wife = newcomer(2, Math.max(20, manAge - 2 + rng.int(-3, 3)));
        const sur = f.pickSurname(rng);
        f.nameJapanese(rng, man, sur);
        f.nameJapanese(rng, wife, sur);
        const h = f.household(rng, kind === 'elderly' ? 'elderly' : 'young');
        W.addToHousehold(h, man, R_HEAD);
        W.addToHousehold(h, wife, R_WIFE);
        return arrive([man, wife]);
      }
      case 'family': {
        const motherAge = rng.int(27, 44);
        const father = rng.chance(0.9) ? newcomer(1, motherAge + rng.int(-2, 6)) : -1;
        const mother = newcomer(2, motherAge);
        const sur = f.pickSurname(rng);
        const h = f.household(rng, 'family');
        if (father >= 0) {
          f.nameJapanese(rng, father, sur);
          W.addToHousehold(h, father, R_HEAD);
          W.addToHousehold(h, mother, R_WIFE);
        } else W.addToHousehold(h, mother, R_HEAD);
        f.nameJapanese(rng, mother, sur);
        const people = [mother, ...(father >= 0 ? [father] : [])];
        let last = P.birth[mother]! + Math.round(20 * YEAR) + rng.int(0, 6 * 365);
        for (let i = rng.int(1, 3); i > 0 && last < on; i--) {
          const c = f.person(rng, rng.chance(0.51) ? 1 : 2, last);
          f.nameJapanese(rng, c, sur);
          P.became[c] = on;
          P.prev[c] = from;
          P.mother[c] = mother;
          W.addToHousehold(h, c, R_CHILD);
          people.push(c);
          last += rng.int(400, 4 * 365);
        }
        return arrive(people);
      }
      case 'foreign-worker':
      case 'foreign-student':
      case 'foreign-family': {
        const nat = f.nationalities.pick(rng);
        const N = NATIONALITIES[nat]!;
        const abroad = rng.chance(0.7) ? PLACE_ABROAD + nat : from;
        if (kind === 'foreign-family') {
          const head = newcomer(1, rng.int(26, 45));
          f.makeForeign(rng, head, nat, '技術・人文知識・国際業務');
          const wife = newcomer(2, this.age(head, on) - rng.int(0, 5));
          f.makeForeign(rng, wife, nat, '家族滞在', N.name === 'フィリピン' || N.name === 'ブラジル' || N.name === '米国' ? P.sur[head]! : -1);
          const h = f.household(rng, 'young');
          W.addToHousehold(h, head, R_HEAD);
          W.addToHousehold(h, wife, R_WIFE);
          const people = [head, wife];
          if (rng.chance(0.6)) {
            const c = f.person(rng, rng.chance(0.5) ? 1 : 2, on - rng.int(200, 8 * 365));
            f.makeForeign(rng, c, nat, '家族滞在', P.sur[head]!);
            P.became[c] = on;
            P.mother[c] = wife;
            W.addToHousehold(h, c, R_CHILD);
            people.push(c);
          }
          for (const p of people) P.prev[p] = abroad;
          return arrive(people);
        }
        const sex = rng.chance(N.maleShare) ? 1 : 2;
        const p = newcomer(sex, kind === 'foreign-worker' ? rng.int(19, 35) : rng.int(18, 30));
        f.makeForeign(rng, p, nat, kind === 'foreign-worker' ? (rng.chance(0.55) ? '技能実習' : '特定技能') : '留学');
        P.prev[p] = abroad;
        const h = f.household(rng, kind === 'foreign-worker' && rng.chance(0.4) ? 'dorm' : 'young');
        W.addToHousehold(h, p, R_HEAD);
        return arrive([p]);
      }
    }
  }

  /** A random household whose 世帯主 is free and that passes `ok`; −1 after a few tries. */
  private probeHousehold(ok: (head: number, size: number) => boolean): number {
    const W = this.world;
    const H = W.households;
    for (let i = 0; i < 60; i++) {
      const h = this.rng.int(0, H.n - 1);
      const head = H.head[h]!;
      if (head < 0 || !this.free(head)) continue;
      const members = this.quietMembers(h);
      if (!members) continue;
      if (ok(head, members.length)) return h;
    }
    return -1;
  }

  /** 職権記載: the office records someone found living here without a registration. */
  private officeRecords(residents: number, force = false): void {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    const n = force ? 1 : poisson(rng, (residents * OFFICE_RECORD_PER_YEAR * 7) / 365.25);
    for (let i = 0; i < n; i++) {
      const on = this.dayInWeek();
      const p = this.f.person(rng, rng.chance(0.6) ? 1 : 2, this.bornAtAge(rng.int(20, 70), on));
      this.f.nameJapanese(rng, p, this.f.pickSurname(rng));
      const h = this.f.household(rng, 'couple');
      W.addToHousehold(h, p, R_HEAD);
      P.became[p] = on;
      this.move(p, M_OFFICE_RECORD, on, NO_DATE);
    }
  }

  /**
   * 住登外登録: people not registered as residents here — someone living elsewhere with records here
   * (a former resident, 住民票コード known), or a child without a 住民票 registered on a parent's request
   * (no 住民票コード, no My Number, the parent's address).
   */
  private nonResidents(residents: number, force = false): void {
    const W = this.world;
    const P = W.people;
    const rng = this.rng;
    const n = force ? 1 : poisson(rng, (residents * NON_RESIDENT_PER_YEAR * 7) / 365.25);
    for (let i = 0; i < n; i++) {
      const on = this.dayInWeek();
      if (rng.chance(0.3)) {
        const h = this.probeHousehold((head) => P.sex[head] === 2 || this.spouseOf(head) >= 0);
        if (h >= 0) {
          const head = W.households.head[h]!;
          const mother = P.sex[head] === 2 ? head : this.spouseOf(head);
          if (mother >= 0 && P.sex[mother] === 2 && this.free(mother) && this.age(mother, on) >= 20) {
            const c = this.f.person(rng, rng.chance(0.5) ? 1 : 2, Math.max(P.birth[mother]! + Math.round(18 * YEAR), on - rng.int(30, 6 * 365)));
            this.f.nameJapanese(rng, c, P.foreign[mother] === 0 ? P.sur[mother]! : this.f.pickSurname(rng));
            P.flags[c]! &= ~F_MYNUMBER;
            P.misc[c]! |= X_NO_CODE;
            P.state[c] = S_NON_RESIDENT;
            P.mother[c] = mother;
            this.move(c, M_NON_RESIDENT, on, on);
            continue;
          }
        }
      }
      const p = this.f.person(rng, rng.chance(0.5) ? 1 : 2, this.bornAtAge(rng.int(0, 85), on));
      this.f.nameJapanese(rng, p, this.f.pickSurname(rng));
      if (rng.chance(0.5)) P.flags[p]! &= ~F_MYNUMBER;
      P.state[p] = S_NON_RESIDENT;
      P.home[p] = this.f.otherPlace(rng);
      this.move(p, M_NON_RESIDENT, on, on);
    }
  }

  /**
   * Small populations may not produce every movement type by chance; in the first two weeks, any type not
   * yet seen is produced once, so that every run with two or more diff weeks exercises every type (a
   * 転出確定 needs its 転出予定's planned day to pass: it follows within three weeks).
   */
  private forceMissing(): void {
    const seen = (code: number): boolean => (this.totals[MOVEMENT_CODES[code]!] ?? 0) > 0 || this.events.some((e) => e.code === code);
    const W = this.world;
    const P = W.people;
    const H = W.households;
    const rng = this.rng;
    const pick = (ok: (p: number) => boolean): number => {
      if (P.n === 0) return -1;
      const startAt = rng.int(0, P.n - 1);
      for (let i = 0; i < P.n; i++) {
        const p = (startAt + i) % P.n;
        if (this.free(p) && P.hh[p]! >= 0 && ok(p)) return p;
      }
      return -1;
    };
    if (!seen(M_HOUSEHOLD) || !seen(M_DEATH)) {
      const p = pick((q) => H.head[P.hh[q]!] === q && P.next[H.first[P.hh[q]!]!]! >= 0 && this.quietMembers(P.hh[q]!) !== null);
      if (p >= 0) this.death(p);
    }
    if (!seen(M_BIRTH)) {
      const m = pick((q) => P.sex[q] === 2 && P.rel[q] === R_WIFE && this.age(q) >= 20 && this.age(q) <= 44);
      if (m >= 0) this.births([m]);
    }
    if (!seen(M_OUT_PLANNED) && this.week === 1) {
      const p = pick((q) => (P.rel[q] === R_CHILD && this.age(q) >= 18) || (H.head[P.hh[q]!] === q && P.next[q]! < 0));
      if (p >= 0) this.leaveAlone(p, 0); // planned on the day of notice, so the 転出確定 follows soon
    }
    if (!seen(M_MOVE_WITHIN)) {
      const p = pick((q) => H.head[P.hh[q]!] === q && this.quietMembers(P.hh[q]!) !== null);
      if (p >= 0) this.householdMove(P.hh[p]!, this.quietMembers(P.hh[p]!)!);
    }
    if (!seen(M_NAME)) {
      const p = pick((q) => P.foreign[q] === 0 && P.rel[q] === R_CHILD && this.age(q) >= 20);
      if (p >= 0) this.marriage(p);
    }
    if (!seen(M_OFFICE_REMOVE)) {
      const p = pick((q) => H.first[P.hh[q]!] === q && P.next[q]! < 0 && this.age(q) >= 20 && (P.flags[q]! & F_DV) === 0);
      if (p >= 0) this.officeRemove(p);
    }
    if (!seen(M_CORRECTION)) {
      const p = pick((q) => P.foreign[q] === 1 && P.stay[q] !== NO_DATE);
      if (p >= 0) {
        const on = Math.max(this.dayInWeek(), this.floorOf([p]));
        P.stay[p] = this.f.stayUntil(rng, VISAS[P.visa[p]!] as Visa, Math.max(P.stay[p]!, on) + 1) ?? NO_DATE;
        this.move(p, M_CORRECTION, on, on);
      }
    }
    if (!seen(M_IN)) this.arrival('young-single');
    if (!seen(M_OFFICE_RECORD)) this.officeRecords(0, true);
    if (!seen(M_NON_RESIDENT)) this.nonResidents(0, true);
  }
}

export type ArrivalKind = 'young-single' | 'single-adult' | 'young-couple' | 'family' | 'elderly' | 'foreign-worker' | 'foreign-student' | 'foreign-family' | 'join-spouse' | 'join-parent';

/** Who moves in: mostly young single people, then families; foreign residents move more than others. */
const ARRIVALS = Weighted.of<ArrivalKind>([
  ['young-single', 40],
  ['single-adult', 10],
  ['young-couple', 9],
  ['family', 14],
  ['elderly', 3],
  ['foreign-worker', 9],
  ['foreign-student', 4],
  ['foreign-family', 3],
  ['join-spouse', 5],
  ['join-parent', 2],
]);
