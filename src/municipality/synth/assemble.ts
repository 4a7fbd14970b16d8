// The snapshot population: exactly `count` people whose ages and sexes follow Japan's population pyramid,
// assembled into households that make sense.
//
// 1. Quotas: the number of people of each sex and single year of age, from the five-year bands of 人口推計
//    (largest-remainder rounding, so the total is exactly `count`).  Every person is drawn from this pool,
//    so the pyramid holds whatever the household rules do.
// 2. Foreign households (≈ 2.7%): workers and students living alone or in dormitories, professionals with
//    families, permanent and 特別永住者 households.
// 3. Every remaining child (0–17) is placed with a mother whose age fits every child's birth (18–45 at
//    each birth) and usually a father a few years older; siblings are at least 300 days apart unless
//    twins; some households have the grandparents too.
// 4. Young adults (18–39) living with their parents, at the rates of their age.
// 5. Elderly people living with an adult child (and the child's spouse).
// 6. Everyone left forms couples (by age-dependent rates) or lives alone; some of the very old live in
//    care facilities.
// Then each household gets its history (住民となった日, the latest movement) and a few people get
// 支援措置, 閲覧制限 and 送付先.
import type { Rng } from '../../kernel/random/index.js';
import { AGE_BANDS, FOREIGN_SHARE, MAX_AGE } from './data/population.js';
import { NATIONALITIES, PROFILE_VISAS, SPOUSE_NATIONALITIES, VISAS, type ForeignProfile, type Visa } from './data/names-foreign.js';
import { FOREIGN_REGISTRATION_DAY, YEAR, type Factory, type Hint } from './factory.js';
import { Weighted, randomRound } from './sample.js';
import {
  F_DV,
  F_MAILING,
  F_RESTRICTED,
  M_BIRTH,
  M_IN,
  M_MOVE_WITHIN,
  M_OFFICE_RECORD,
  M_OUT_PLANNED,
  NO_DATE,
  PLACE_ABROAD,
  PLACE_NONE,
  R_CHILD,
  R_CHILD_HUSBAND,
  R_CHILD_WIFE,
  R_FATHER,
  R_GRANDCHILD,
  R_HEAD,
  R_HUSBAND,
  R_MOTHER,
  R_WIFE,
  R_WIFE_FATHER,
  R_WIFE_MOTHER,
  S_LEAVING,
  B_FACILITY,
  type World,
} from './model.js';

const AGES = MAX_AGE + 1;
/** How the 100+ band thins out over 100…107. */
const CENTENARIANS = [0.35, 0.25, 0.16, 0.1, 0.07, 0.04, 0.02, 0.01];

/**
 * Exact counts per (sex, age) for `count` people: index (sex − 1) × AGES + age.  Cumulative rounding over
 * the cells in age order (men and women alternating) keeps even a tiny population spread over all ages.
 */
export function ageQuotas(count: number): Int32Array {
  const shares: number[] = new Array<number>(2 * AGES).fill(0);
  let total = 0;
  for (const [from, m, f] of AGE_BANDS) {
    total += m + f;
    const spread = from === 100 ? CENTENARIANS : [0.2, 0.2, 0.2, 0.2, 0.2];
    spread.forEach((w, i) => {
      shares[from + i] = m * w;
      shares[AGES + from + i] = f * w;
    });
  }
  const q = new Int32Array(2 * AGES);
  let cumulative = 0;
  let given = 0;
  for (let age = 0; age < AGES; age++) {
    for (const cell of [age, AGES + age]) {
      cumulative += (shares[cell]! / total) * count;
      const upTo = Math.min(count, Math.round(cumulative));
      q[cell] = upTo - given;
      given = upTo;
    }
  }
  q[AGES + MAX_AGE]! += count - given;
  return q;
}

interface Drawn {
  sex: number;
  age: number;
}

export class Assembler {
  readonly pool: Int32Array;
  /** First and last day of birth for each age on the snapshot date. */
  readonly ageFirst: Int32Array;
  readonly ageLast: Int32Array;
  foreignCount = 0;
  readonly visaProfiles: Record<ForeignProfile, Weighted<Visa>>;
  private readonly spouseNationalities: Weighted<number>;
  private readonly profiles = NATIONALITIES.map((n) => Weighted.of(n.profiles));

  constructor(
    readonly world: World,
    readonly f: Factory,
    readonly rng: Rng,
    readonly count: number,
    /** Snapshot date (day number) and its civil parts. */
    readonly start: number,
    startDate: string,
  ) {
    this.pool = ageQuotas(count);
    this.ageFirst = new Int32Array(AGES + 1);
    this.ageLast = new Int32Array(AGES + 1);
    const [y, m, d] = startDate.split('-').map(Number) as [number, number, number];
    const yearsBefore = (k: number): number => {
      const yy = y - k;
      const leap = (yy % 4 === 0 && yy % 100 !== 0) || yy % 400 === 0;
      const dd = m === 2 && d === 29 && !leap ? 28 : d;
      return Date.UTC(yy, m - 1, dd) / 86_400_000;
    };
    for (let a = 0; a <= AGES; a++) {
      this.ageFirst[a] = yearsBefore(a + 1) + 1;
      this.ageLast[a] = yearsBefore(a);
    }
    this.visaProfiles = Object.fromEntries(Object.entries(PROFILE_VISAS).map(([k, v]) => [k, Weighted.of(v)])) as Record<ForeignProfile, Weighted<Visa>>;
    this.spouseNationalities = Weighted.of(SPOUSE_NATIONALITIES.map(([n, w]) => [NATIONALITIES.findIndex((x) => x.name === n), w] as const));
  }

  // ---------------------------------------------------------------- the pool

  private left(sex: number, age: number): number {
    return this.pool[(sex - 1) * AGES + age]!;
  }

  /** Takes a person of `sex` aged within [lo, hi], preferring ages near `target`; −1 if none is left. */
  draw(sex: number, lo: number, hi: number, target: number, spread: number): number {
    lo = Math.max(0, Math.floor(lo));
    hi = Math.min(MAX_AGE, Math.floor(hi));
    if (lo > hi) return -1;
    const base = (sex - 1) * AGES;
    let total = 0;
    for (let a = lo; a <= hi; a++) {
      const c = this.pool[base + a]!;
      if (c > 0) total += c * kernel(a - target, spread);
    }
    if (total <= 0) return -1;
    let x = this.rng.next() * total;
    for (let a = lo; a <= hi; a++) {
      const c = this.pool[base + a]!;
      if (c <= 0) continue;
      x -= c * kernel(a - target, spread);
      if (x < 0 || a === hi) {
        this.pool[base + a] = c - 1;
        return a;
      }
    }
    return -1;
  }

  /** Takes anyone (either sex) aged within [lo, hi], uniformly over the remaining people. */
  drawAny(lo: number, hi: number): Drawn | null {
    let total = 0;
    for (let s = 1; s <= 2; s++) for (let a = lo; a <= hi; a++) total += this.left(s, a);
    if (total <= 0) return null;
    let x = this.rng.int(0, total - 1);
    for (let s = 1; s <= 2; s++)
      for (let a = lo; a <= hi; a++) {
        const c = this.left(s, a);
        if (x < c) {
          this.pool[(s - 1) * AGES + a] = c - 1;
          return { sex: s, age: a };
        }
        x -= c;
      }
    return null;
  }

  private putBack(sex: number, age: number): void {
    this.pool[(sex - 1) * AGES + age]! += 1;
  }

  birthFor(age: number, lo = -Infinity, hi = Infinity): number {
    const a = Math.max(0, Math.min(MAX_AGE, age));
    const first = Math.max(this.ageFirst[a]!, lo);
    const last = Math.min(this.ageLast[a]!, hi);
    return first <= last ? this.rng.int(first, last) : Math.min(this.ageLast[a]!, Math.max(this.ageFirst[a]!, first));
  }

  /** Birth days for children of the given ages (eldest first), 300+ days apart unless twins. */
  childBirths(ages: readonly number[], twins: readonly boolean[]): number[] {
    const out: number[] = [];
    ages.forEach((a, i) => {
      if (i > 0 && twins[i]) out.push(out[i - 1]!);
      else out.push(this.birthFor(a, i > 0 ? out[i - 1]! + 300 : -Infinity));
    });
    return out;
  }

  newPerson(sex: number, age: number, lo = -Infinity, hi = Infinity): number {
    return this.f.person(this.rng, sex, this.birthFor(age, lo, hi));
  }

  // ---------------------------------------------------------------- the steps

  run(): void {
    this.foreignHouseholds();
    this.familiesWithChildren();
    this.youngAdultsWithParents();
    this.elderlyWithChildren();
    this.couplesAndSingles();
    this.protectionAndMailing();
    if (this.world.people.n !== this.count) throw new Error(`assembled ${this.world.people.n} people for ${this.count}`);
  }

  private foreignHouseholds(): void {
    const target = Math.round(this.count * FOREIGN_SHARE * 0.9);
    const rng = this.rng;
    for (let guard = 0; this.foreignCount < target && guard < target * 4; guard++) {
      const nat = this.f.nationalities.pick(rng);
      const N = NATIONALITIES[nat]!;
      const profile = this.profiles[nat]!.pick(rng);
      const visa = this.visaProfiles[profile].pick(rng);
      const W = this.world;
      if (profile === 'worker' || profile === 'student') {
        const sex = rng.chance(N.maleShare) ? 1 : 2;
        const age = profile === 'worker' ? this.draw(sex, 19, 40, 25, 5) : this.draw(sex, 18, 32, 22, 4);
        if (age < 0) continue;
        const h = this.f.household(rng, profile === 'worker' && rng.chance(0.3) ? 'dorm' : 'young');
        const p = this.newPerson(sex, age);
        this.f.makeForeign(rng, p, nat, visa);
        W.addToHousehold(h, p, R_HEAD);
        this.foreignCount++;
        this.settle(h, { native: false, foreign: true, recentYears: profile === 'worker' ? 3 : 4 });
        continue;
      }
      // Families: professional (with 家族滞在 dependants), permanent, special, settled.
      const [lo, hi, target2] = profile === 'special' ? [20, 100, 65] : profile === 'professional' ? [23, 55, 34] : [25, 75, 44];
      const headSex = rng.chance(profile === 'professional' ? 0.75 : 0.6) ? 1 : 2;
      const headAge = this.draw(headSex, lo, hi, target2, profile === 'special' ? 15 : 8);
      if (headAge < 0) continue;
      const h = this.f.household(rng, profile === 'special' ? 'elderly' : rng.chance(0.5) ? 'family' : 'young');
      const head = this.newPerson(headSex, headAge);
      this.f.makeForeign(rng, head, nat, visa);
      W.addToHousehold(h, head, R_HEAD);
      this.foreignCount++;
      const shareFamily = N.name === 'フィリピン' || N.name === 'ブラジル' || N.name === '米国';
      const dependantVisa: Visa = profile === 'professional' ? '家族滞在' : profile === 'special' ? '特別永住者' : profile === 'permanent' ? '永住者' : '定住者';
      let mother = headSex === 2 ? head : -1;
      let motherAge = headSex === 2 ? headAge : -1;
      if (rng.chance(profile === 'special' ? 0.55 : 0.7)) {
        const sex = 3 - headSex;
        const age = sex === 2 ? this.draw(2, Math.max(18, headAge - 10), headAge + 3, headAge - 2, 3) : this.draw(1, Math.max(18, headAge - 3), headAge + 10, headAge + 2, 3);
        if (age >= 18) {
          const sp = this.newPerson(sex, age);
          this.f.makeForeign(rng, sp, nat, profile === 'permanent' && rng.chance(0.4) ? '永住者の配偶者等' : dependantVisa, shareFamily ? W.people.sur[head]! : -1);
          W.addToHousehold(h, sp, sex === 2 ? R_WIFE : R_HUSBAND);
          this.foreignCount++;
          if (sex === 2) {
            mother = sp;
            motherAge = age;
          }
        }
      }
      if (mother >= 0 && profile !== 'special') {
        const kids = rng.weighted([[0, 30], [1, 35], [2, 28], [3, 7]] as const);
        const drawn: Drawn[] = [];
        let top = Math.min(motherAge - 20, profile === 'professional' ? 12 : 17);
        for (let i = 0; i < kids && top >= 0; i++) {
          const sex = rng.chance(0.51) ? 1 : 2;
          const a = this.draw(sex, Math.max(0, motherAge - 44, top - 5), top, top - 2, 3);
          if (a < 0) break;
          drawn.push({ sex, age: a });
          top = a - 1;
        }
        const births = this.childBirths(
          drawn.map((k) => k.age),
          drawn.map(() => false),
        );
        drawn.forEach((k, i) => {
          const c = this.f.person(rng, k.sex, births[i]!);
          this.f.makeForeign(rng, c, nat, dependantVisa, W.people.sur[headSex === 1 ? head : mother]!);
          W.people.mother[c] = mother;
          W.addToHousehold(h, c, R_CHILD);
          this.foreignCount++;
        });
      } else if (profile === 'special' && headAge >= 55 && rng.chance(0.3)) {
        const sex = rng.chance(0.5) ? 1 : 2;
        const a = this.draw(sex, Math.max(18, headAge - 38), headAge - 22, headAge - 30, 5);
        if (a >= 18) {
          const c = this.newPerson(sex, a);
          this.f.makeForeign(rng, c, nat, '特別永住者', W.people.sur[head]!);
          W.addToHousehold(h, c, R_CHILD);
          this.foreignCount++;
        }
      }
      this.settle(h, { native: profile === 'special', foreign: true, recentYears: profile === 'professional' ? 6 : 20 });
    }
  }

  /** A Japanese spouse, or now and then a foreign one (国際結婚), who may take the family name as 通称. */
  private spouse(p: number, surname: number): void {
    const rng = this.rng;
    const P = this.world.people;
    if (rng.chance(0.015)) {
      const nat = this.spouseNationalities.pick(rng);
      const age = (this.start - P.birth[p]!) / YEAR;
      this.f.makeForeign(rng, p, nat, age > 45 || rng.chance(0.4) ? '永住者' : '日本人の配偶者等', -1, rng.chance(0.3) ? surname : -1);
      this.foreignCount++;
    } else {
      this.f.nameJapanese(rng, p, surname);
    }
  }

  private familiesWithChildren(): void {
    const rng = this.rng;
    const W = this.world;
    const P = W.people;
    for (;;) {
      const first = this.drawAny(0, 17);
      if (!first) break;
      const n = rng.weighted([[1, 45], [2, 40], [3, 13], [4, 2]] as const);
      const kids: Drawn[] = [first];
      const twins: boolean[] = [false];
      // `first` is the eldest: siblings are younger by 1–6 years (twins: the same age).
      for (let i = 1; i < n; i++) {
        const prev = kids[i - 1]!.age;
        if (rng.chance(0.01)) {
          const sex = rng.chance(0.5) ? 1 : 2;
          if (this.draw(sex, prev, prev, prev, 1) >= 0) {
            kids.push({ sex, age: prev });
            twins.push(true);
            continue;
          }
        }
        const gap = rng.weighted([[1, 15], [2, 35], [3, 28], [4, 12], [5, 6], [6, 4]] as const);
        if (prev - gap < 0) break;
        const sex = rng.chance(0.51) ? 1 : 2;
        const a = this.draw(sex, prev - gap, prev - 1, prev - gap, 1);
        if (a < 0) break;
        kids.push({ sex, age: a });
        twins.push(false);
      }
      const eldest = kids[0]!.age;
      const youngest = kids[kids.length - 1]!.age;
      const shape = rng.weighted([['both', 88], ['mother', 10], ['father', 2]] as const);
      let motherAge = shape !== 'father' ? this.draw(2, eldest + 18, youngest + 44, youngest + 31, 5) : -1;
      let fatherAge = -1;
      if (shape === 'both' || motherAge < 0) {
        const ref = motherAge >= 0 ? motherAge : youngest + 33;
        fatherAge = this.draw(1, Math.max(eldest + 18, ref - 5), ref + 12, ref + 2, 4);
      }
      if (motherAge < 0 && fatherAge < 0) motherAge = this.draw(2, eldest + 18, youngest + 60, youngest + 35, 10);
      if (motherAge < 0 && fatherAge < 0) {
        // No adult fits: return the children to the pool's adults' care later (as a grandparent household).
        fatherAge = this.draw(1, eldest + 18, youngest + 70, youngest + 40, 15);
        if (fatherAge < 0) {
          // A tiny population with no adult of a fitting age: the children live on their own.
          for (const k of kids) {
            const h = this.f.household(rng, 'young');
            const c = this.newPerson(k.sex, k.age);
            W.addToHousehold(h, c, R_HEAD);
            this.f.nameJapanese(rng, c, this.f.pickSurname(rng));
            this.settle(h, { native: true, foreign: false, recentYears: 1 });
          }
          continue;
        }
      }
      const births = this.childBirths(
        kids.map((k) => k.age),
        twins,
      );
      const surname = this.f.pickSurname(rng);
      const h = this.f.household(rng, 'family');
      const mother = motherAge >= 0 ? this.newPerson(2, motherAge, -Infinity, births[0]! - Math.round(18 * YEAR)) : -1;
      const father = fatherAge >= 0 ? this.newPerson(1, fatherAge, -Infinity, births[0]! - Math.round(18 * YEAR)) : -1;
      const motherHead = father < 0 || (mother >= 0 && rng.chance(0.04));
      // Three generations: the father's parents (or the mother's) live in the household too.
      const threeGen = rng.chance(0.08);
      const paternal = father >= 0 && rng.chance(0.7);
      const parentRef = paternal ? father : mother >= 0 ? mother : father;
      const parentAge = paternal ? fatherAge : motherAge >= 0 ? motherAge : fatherAge;
      const gm = threeGen && rng.chance(0.85) ? this.draw(2, parentAge + 20, parentAge + 42, parentAge + 29, 4) : -1;
      const gf = threeGen && (gm < 0 || rng.chance(0.6)) ? this.draw(1, parentAge + 20, parentAge + 45, parentAge + 31, 4) : -1;
      const grandmother = gm >= 0 ? this.newPerson(2, gm) : -1;
      const grandfather = gf >= 0 ? this.newPerson(1, gf) : -1;
      const grandHead = paternal && grandfather >= 0 && gf <= 75 && rng.chance(0.35);

      const headP = grandHead ? grandfather : motherHead ? mother : father;
      W.addToHousehold(h, headP, R_HEAD);
      if (grandHead) {
        if (grandmother >= 0) W.addToHousehold(h, grandmother, R_WIFE);
        W.addToHousehold(h, father, R_CHILD);
        if (mother >= 0) W.addToHousehold(h, mother, R_CHILD_WIFE);
      } else {
        if (motherHead && father >= 0) W.addToHousehold(h, father, R_HUSBAND);
        if (!motherHead && mother >= 0) W.addToHousehold(h, mother, R_WIFE);
      }
      const kidRel = grandHead ? R_GRANDCHILD : R_CHILD;
      const kidPeople = kids.map((k, i) => {
        const c = this.f.person(rng, k.sex, births[i]!);
        this.f.nameJapanese(rng, c, surname);
        P.mother[c] = mother;
        return c;
      });
      for (const c of kidPeople) W.addToHousehold(h, c, kidRel);
      if (!grandHead) {
        const sameLine = parentRef === headP;
        if (grandfather >= 0) W.addToHousehold(h, grandfather, sameLine ? R_FATHER : R_WIFE_FATHER);
        if (grandmother >= 0) W.addToHousehold(h, grandmother, sameLine ? R_MOTHER : R_WIFE_MOTHER);
      }
      // Names: the family surname for the couple and children; the mother's parents keep her maiden name.
      const maiden = this.f.pickSurname(rng);
      if (father >= 0) this.f.nameJapanese(rng, father, surname);
      if (mother >= 0) this.spouse(mother, surname);
      if (father >= 0 && mother >= 0 && P.foreign[mother] === 0 && rng.chance(0.01)) this.spouse(father, surname);
      const gSurname = paternal || father < 0 ? surname : maiden;
      if (grandfather >= 0) this.f.nameJapanese(rng, grandfather, gSurname);
      if (grandmother >= 0) this.f.nameJapanese(rng, grandmother, gSurname);
      this.settle(h, { native: rng.chance(0.5), foreign: false, recentYears: 25 });
    }
  }

  private youngAdultsWithParents(): void {
    const rng = this.rng;
    const W = this.world;
    const rate = (a: number): number => (a < 20 ? 0.75 : a < 25 ? 0.55 : a < 30 ? 0.35 : a < 35 ? 0.25 : 0.18);
    for (let a = 18; a <= 39; a++) {
      for (let sex = 1; sex <= 2; sex++) {
        const k = randomRound(rng, this.left(sex, a) * rate(a));
        for (let i = 0; i < k && this.left(sex, a) > 0; i++) {
          this.pool[(sex - 1) * AGES + a]! -= 1;
          const kids: Drawn[] = [{ sex, age: a }];
          if (rng.chance(0.35)) {
            const s2 = rng.chance(0.5) ? 1 : 2;
            const a2 = this.draw(s2, Math.max(18, a - 6), a + 6, a, 3);
            if (a2 >= 0) kids.push({ sex: s2, age: a2 });
          }
          kids.sort((x, y) => y.age - x.age);
          const eldest = kids[0]!.age;
          const youngest = kids[kids.length - 1]!.age;
          const motherAge = this.draw(2, eldest + 18, youngest + 44, youngest + 30, 5);
          const fatherAge = rng.chance(0.8) || motherAge < 0 ? this.draw(1, Math.max(eldest + 18, (motherAge >= 0 ? motherAge : youngest + 32) - 5), (motherAge >= 0 ? motherAge : youngest + 32) + 12, (motherAge >= 0 ? motherAge : youngest + 30) + 2, 4) : -1;
          if (motherAge < 0 && fatherAge < 0) {
            for (const c of kids) this.putBack(c.sex, c.age);
            break;
          }
          const twins = kids.map((c, j) => j > 0 && c.age === kids[j - 1]!.age);
          const births = this.childBirths(
            kids.map((c) => c.age),
            twins,
          );
          const surname = this.f.pickSurname(rng);
          const h = this.f.household(rng, 'family');
          const mother = motherAge >= 0 ? this.newPerson(2, motherAge, -Infinity, births[0]! - Math.round(18 * YEAR)) : -1;
          const father = fatherAge >= 0 ? this.newPerson(1, fatherAge, -Infinity, births[0]! - Math.round(18 * YEAR)) : -1;
          const head = father >= 0 ? father : mother;
          W.addToHousehold(h, head, R_HEAD);
          if (father >= 0 && mother >= 0) W.addToHousehold(h, mother, R_WIFE);
          if (father >= 0) this.f.nameJapanese(rng, father, surname);
          if (mother >= 0) this.spouse(mother, surname);
          kids.forEach((c, j) => {
            const p = this.f.person(rng, c.sex, births[j]!);
            this.f.nameJapanese(rng, p, surname);
            W.people.mother[p] = mother;
            W.addToHousehold(h, p, R_CHILD);
          });
          if (rng.chance(0.06)) {
            const ref = father >= 0 ? fatherAge : motherAge;
            const g = this.draw(2, ref + 20, ref + 42, ref + 29, 4);
            if (g >= 0) {
              const gp = this.newPerson(2, g);
              this.f.nameJapanese(rng, gp, surname);
              W.addToHousehold(h, gp, R_MOTHER);
            }
          }
          this.settle(h, { native: rng.chance(0.6), foreign: false, recentYears: 30 });
        }
      }
    }
  }

  private elderlyWithChildren(): void {
    const rng = this.rng;
    const W = this.world;
    const rate = (a: number): number => (a < 80 ? 0.12 : a < 90 ? 0.2 : 0.3);
    for (let a = 70; a <= MAX_AGE; a++) {
      for (let sex = 1; sex <= 2; sex++) {
        const k = randomRound(rng, this.left(sex, a) * rate(a));
        for (let i = 0; i < k && this.left(sex, a) > 0; i++) {
          this.pool[(sex - 1) * AGES + a]! -= 1;
          const spouseAge = a < 88 && rng.chance(0.4) ? (sex === 1 ? this.draw(2, a - 10, a + 3, a - 3, 3) : this.draw(1, a - 3, a + 10, a + 3, 3)) : -1;
          const younger = spouseAge >= 0 ? Math.min(a, spouseAge) : a;
          const childSex = rng.chance(0.6) ? 1 : 2;
          const childAge = this.draw(childSex, Math.max(18, younger - 45), younger - 20, younger - 30, 6);
          if (childAge < 0) {
            this.putBack(sex, a);
            if (spouseAge >= 0) this.putBack(3 - sex, spouseAge);
            break;
          }
          const childSpouseAge = rng.chance(0.55) ? this.draw(3 - childSex, Math.max(18, childAge - 8), childAge + 8, childAge + (childSex === 1 ? -2 : 2), 3) : -1;
          const grandAge = childSpouseAge >= 0 && rng.chance(0.15) ? this.drawAnyAge(Math.max(18, Math.min(childAge, childSpouseAge) - 45), Math.min(childAge, childSpouseAge) - 20) : null;

          const elder = this.newPerson(sex, a);
          const eSpouse = spouseAge >= 0 ? this.newPerson(3 - sex, spouseAge) : -1;
          const parentsBorn = Math.max(W.people.birth[elder]!, eSpouse >= 0 ? W.people.birth[eSpouse]! : -Infinity);
          const child = this.newPerson(childSex, childAge, parentsBorn + Math.round(18 * YEAR));
          const cSpouse = childSpouseAge >= 0 ? this.newPerson(3 - childSex, childSpouseAge) : -1;
          const grand = grandAge ? this.newPerson(grandAge.sex, grandAge.age) : -1;
          const h = this.f.household(rng, 'elderly');
          const familyName = this.f.pickSurname(rng);
          const inLaw = childSex === 2 && cSpouse >= 0; // a married daughter: the household carries her husband's name
          const householdName = inLaw ? this.f.pickSurname(rng) : familyName;
          const childHead = rng.chance(0.65);
          if (childHead) {
            if (inLaw) {
              W.addToHousehold(h, cSpouse, R_HEAD);
              W.addToHousehold(h, child, R_WIFE);
            } else {
              W.addToHousehold(h, child, R_HEAD);
              if (cSpouse >= 0) W.addToHousehold(h, cSpouse, childSex === 1 ? R_WIFE : R_HUSBAND);
            }
            if (grand >= 0) W.addToHousehold(h, grand, R_CHILD);
            const eRel = inLaw ? (sex === 1 ? R_WIFE_FATHER : R_WIFE_MOTHER) : sex === 1 ? R_FATHER : R_MOTHER;
            W.addToHousehold(h, elder, eRel);
            if (eSpouse >= 0) W.addToHousehold(h, eSpouse, inLaw ? (sex === 1 ? R_WIFE_MOTHER : R_WIFE_FATHER) : sex === 1 ? R_MOTHER : R_FATHER);
          } else {
            W.addToHousehold(h, elder, R_HEAD);
            if (eSpouse >= 0) W.addToHousehold(h, eSpouse, sex === 1 ? R_WIFE : R_HUSBAND);
            W.addToHousehold(h, child, R_CHILD);
            if (cSpouse >= 0) W.addToHousehold(h, cSpouse, childSex === 1 ? R_CHILD_WIFE : R_CHILD_HUSBAND);
            if (grand >= 0) W.addToHousehold(h, grand, R_GRANDCHILD);
          }
          // Names: with the elder as head, a daughter's husband joins the family name (婿).
          const childName = childHead && inLaw ? householdName : familyName;
          this.f.nameJapanese(rng, elder, familyName);
          if (eSpouse >= 0) this.f.nameJapanese(rng, eSpouse, familyName);
          this.f.nameJapanese(rng, child, childName);
          if (cSpouse >= 0) this.spouse(cSpouse, childName);
          if (grand >= 0) this.f.nameJapanese(rng, grand, childName);
          if (grand >= 0) W.people.mother[grand] = childSex === 2 ? child : cSpouse;
          this.settle(h, { native: rng.chance(0.65), foreign: false, recentYears: 40 });
        }
      }
    }
  }

  private drawAnyAge(lo: number, hi: number): Drawn | null {
    if (lo > hi) return null;
    return this.drawAny(Math.max(0, lo), Math.min(MAX_AGE, hi));
  }

  private couplesAndSingles(): void {
    const rng = this.rng;
    const W = this.world;
    const married = (a: number): number => (a < 25 ? 0.04 : a < 30 ? 0.22 : a < 35 ? 0.32 : a < 45 ? 0.35 : a < 55 ? 0.45 : a < 65 ? 0.62 : a < 75 ? 0.76 : a < 85 ? 0.72 : 0.55);
    for (let a = 18; a <= MAX_AGE; a++) {
      while (this.left(1, a) > 0) {
        this.pool[a]! -= 1;
        const wifeAge = rng.chance(married(a)) ? this.draw(2, Math.max(18, a - 12), a + 6, a - 2, 4) : -1;
        const man = this.newPerson(1, a);
        const surname = this.f.pickSurname(rng);
        if (wifeAge >= 0) {
          const wife = this.newPerson(2, wifeAge);
          const h = this.f.household(rng, a < 35 ? 'young' : a >= 75 ? 'elderly' : 'couple');
          const wifeHead = rng.chance(0.05);
          W.addToHousehold(h, wifeHead ? wife : man, R_HEAD);
          W.addToHousehold(h, wifeHead ? man : wife, wifeHead ? R_HUSBAND : R_WIFE);
          this.f.nameJapanese(rng, man, surname);
          this.spouse(wife, surname);
          this.settle(h, { native: rng.chance(0.5), foreign: false, recentYears: a < 35 ? 8 : 35 });
        } else {
          this.single(man, a, surname);
        }
      }
    }
    for (let a = 18; a <= MAX_AGE; a++) {
      while (this.left(2, a) > 0) {
        this.pool[AGES + a]! -= 1;
        this.single(this.newPerson(2, a), a, this.f.pickSurname(rng));
      }
    }
  }

  private single(p: number, age: number, surname: number): void {
    const rng = this.rng;
    const hint: Hint = age >= 80 && rng.chance(age >= 90 ? 0.25 : 0.08) ? 'facility' : age < 35 ? 'young' : age >= 65 ? 'elderly' : 'couple';
    const h = this.f.household(rng, hint);
    this.world.addToHousehold(h, p, R_HEAD);
    this.f.nameJapanese(rng, p, surname);
    if (hint === 'facility' && rng.chance(0.9)) this.world.people.flags[p]! |= F_MAILING;
    this.settle(h, { native: hint !== 'young' && rng.chance(0.45), foreign: false, recentYears: age < 35 ? 6 : hint === 'facility' ? 5 : 30 });
  }

  // ---------------------------------------------------------------- histories

  /**
   * 住民となった日 and the latest movement of each member: natives were born here (出生); others arrived
   * together on a day within the last `recentYears`, spouses at marriage, children born after the
   * arrival by 出生; foreign residents registered before 2012-07-09 carry that day (職権記載).  Then the
   * household may have moved within the municipality since (転居).
   */
  settle(h: number, o: { native: boolean; foreign: boolean; recentYears: number }): void {
    const rng = this.rng;
    const W = this.world;
    const P = W.people;
    const members = W.members(h);
    const head = W.households.head[h]!;
    const start = this.start;
    const adultFrom = (p: number): number => P.birth[p]! + Math.round(18 * YEAR);
    const eldestChild = members.filter((m) => P.rel[m] === R_CHILD || P.rel[m] === R_GRANDCHILD).reduce((b, m) => Math.min(b, P.birth[m]!), start);
    let arrival = NO_DATE;
    if (!o.native) {
      const lower = Math.max(adultFrom(head), start - Math.round(o.recentYears * YEAR));
      arrival = lower >= start ? start - rng.int(1, 60) : start - Math.floor((start - lower) * Math.pow(rng.next(), 1.4)) - 1;
      arrival = Math.max(arrival, P.birth[head]!);
    }
    let coreSince = start;
    const from = o.foreign && rng.chance(0.6) ? PLACE_ABROAD + P.nat[head]! : this.f.otherPlace(rng);
    for (const m of members) {
      const rel = P.rel[m]!;
      const birth = P.birth[m]!;
      let became: number;
      let code: number;
      const inLaw = rel === R_WIFE || rel === R_HUSBAND || rel === R_CHILD_WIFE || rel === R_CHILD_HUSBAND || rel === R_WIFE_FATHER || rel === R_WIFE_MOTHER;
      if (o.native && !inLaw) {
        became = birth;
        code = M_BIRTH;
      } else if (o.native) {
        // Married in (or the in-laws moved in): after adulthood, before the first child.
        const hi = Math.min(eldestChild - rng.int(0, 3 * 365), start - 1);
        const lo = Math.max(adultFrom(m), adultFrom(head));
        became = lo <= hi ? rng.int(lo, hi) : Math.max(birth, Math.min(start - 1, hi));
        if (rel === R_WIFE_FATHER || rel === R_WIFE_MOTHER) became = rng.int(Math.min(became, start - 1), start - 1);
        code = M_IN;
      } else if (birth > arrival) {
        became = birth;
        code = M_BIRTH;
      } else {
        became = arrival;
        code = M_IN;
        if ((rel === R_FATHER || rel === R_MOTHER || rel === R_WIFE_FATHER || rel === R_WIFE_MOTHER) && rng.chance(0.5)) became = rng.int(arrival, start - 1);
      }
      became = Math.min(Math.max(became, birth), start);
      if (P.foreign[m] === 1 && became < FOREIGN_REGISTRATION_DAY) {
        became = Math.max(FOREIGN_REGISTRATION_DAY, birth);
        code = birth >= FOREIGN_REGISTRATION_DAY ? M_BIRTH : M_OFFICE_RECORD;
      }
      P.became[m] = became;
      P.latest[m] = code;
      P.latestOn[m] = became;
      P.latestNotified[m] = code === M_OFFICE_RECORD ? NO_DATE : Math.min(start, became + rng.int(0, 14));
      // Those who arrived with the household came from the same place; those who married in, from theirs.
      P.prev[m] = code !== M_IN ? PLACE_NONE : became === arrival ? from : P.foreign[m] === 1 && rng.chance(0.6) ? PLACE_ABROAD + P.nat[m]! : this.f.otherPlace(rng);
      if (P.foreign[m] === 1 && P.stay[m] === NO_DATE) {
        const visa = P.visa[m]!;
        P.stay[m] = this.f.currentStay(rng, visaName(visa), start) ?? NO_DATE;
      }
      if (m === head || rel === R_WIFE || rel === R_HUSBAND) coreSince = Math.min(coreSince, became);
    }
    // A move within the municipality since (転居): more likely the longer the household has been here.
    const years = (start - coreSince) / YEAR;
    if (years > 0.2 && rng.chance(1 - Math.exp(-years / 20))) {
      const t = start - Math.floor((start - coreSince) * rng.next() * 0.9) - 1;
      const notified = Math.min(start, t + rng.int(0, 14));
      for (const m of members) {
        if (P.became[m]! <= t) {
          P.latest[m] = M_MOVE_WITHIN;
          P.latestOn[m] = t;
          P.latestNotified[m] = notified;
        }
      }
    }
  }

  /** 支援措置 (DV), 閲覧制限 and 送付先 on a few people, and a few households about to move out. */
  private protectionAndMailing(): void {
    const rng = this.rng;
    const W = this.world;
    const P = W.people;
    const H = W.households;
    for (let h = 0; h < H.n; h++) {
      const members = W.members(h);
      const head = H.head[h]!;
      const single = members.length === 1;
      // Single mothers who fled with their children are the typical 支援措置 case.
      // 支援措置 (about 1 resident in 1,000): mostly women who moved here in recent years, alone or with
      // their children.
      const recent = this.start - P.became[head]! < 6 * YEAR && P.latest[head] !== M_BIRTH;
      const singleMother = P.sex[head] === 2 && members.length > 1 && !members.some((m) => P.rel[m] === R_HUSBAND);
      const young = this.start - P.birth[head]! < 70 * YEAR;
      if ((singleMother && recent && rng.chance(0.12)) || (single && P.sex[head] === 2 && recent && young && rng.chance(0.006))) {
        for (const m of members) if (m === head || P.rel[m] === R_CHILD) P.flags[m] = (P.flags[m]! | F_DV | F_RESTRICTED) & ~F_MAILING;
      }
      for (const m of members) {
        const age = (this.start - P.birth[m]!) / YEAR;
        if (rng.chance(0.0004)) P.flags[m]! |= F_RESTRICTED;
        if ((P.flags[m]! & F_DV) === 0 && age >= 18 && rng.chance(age >= 75 ? 0.008 : 0.002)) P.flags[m]! |= F_MAILING;
        if (H.bldg[h]! >= 0 && W.buildings.kind[H.bldg[h]!] === B_FACILITY && (P.flags[m]! & F_DV) === 0 && rng.chance(0.9)) P.flags[m]! |= F_MAILING;
      }
      // About to move out: 転出予定 notified before the snapshot, moving around it.
      if (rng.chance(0.0015) && members.every((m) => (P.flags[m]! & F_DV) === 0)) {
        const floor = members.reduce((d, m) => Math.max(d, P.latestOn[m]!), -Infinity);
        const planned = Math.max(this.start + rng.int(-3, 12), floor);
        const notified = Math.min(this.start, Math.max(floor, this.start - rng.int(0, 10)));
        const dest = this.f.otherPlace(rng);
        for (const m of members) {
          const on = planned;
          P.state[m] = S_LEAVING;
          P.latest[m] = M_OUT_PLANNED;
          P.latestOn[m] = on;
          P.latestNotified[m] = notified;
          P.dest[m] = dest;
        }
      }
    }
  }
}

function kernel(d: number, spread: number): number {
  const x = d / spread;
  return 1 / (1 + x * x);
}

function visaName(i: number): Visa {
  return VISAS[i] ?? '永住者';
}
