// A synthetic municipality's residents: the snapshot (住民全件) and then one week of movements (住民異動) at
// a time.  Everything comes from the seed: the same options give the same rows, byte for byte.
import { checkLocalGovernmentCode, dayNumber, fromDayNumber, isIsoDate } from '../../kernel/jp/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import { seededRng, type Rng } from '../../kernel/random/index.js';
import { Assembler } from './assemble.js';
import { MOVEMENT_HEADER, PERSON_HEADER } from './columns.js';
import { DEFAULT_TENANT, TENANTS, type Tenant } from './data/places.js';
import { Factory, YEAR } from './factory.js';
import { movementTag } from './ids.js';
import { F_DV, F_MAILING, F_MYNUMBER, S_LEAVING, S_NON_RESIDENT, World, X_NO_CODE } from './model.js';
import { Renderer } from './render.js';
import { Simulation, type WeekFile } from './simulate.js';

/**
 * The default snapshot date: the first day of fiscal year 令和8年度.  Fixed, so that output never depends on
 * the day the generator runs (docs/decisions/0030-synthetic-residents.md).
 */
export const DEFAULT_START = '2026-04-01';
export const MAX_COUNT = 10_000_000;

export interface SynthResidentsOptions {
  readonly count: number;
  readonly seed: string;
  /** 地方公共団体コード of the municipality (default 312011 鳥取市). */
  readonly tenant?: string;
  /** Snapshot date YYYY-MM-DD (default DEFAULT_START). */
  readonly start?: string;
  /** Write pre-assigned 宛名番号 (default: empty, Mamori assigns them). */
  readonly atena?: boolean;
}

export interface PopulationStats {
  readonly residents: number;
  readonly households: number;
  readonly foreign: number;
  readonly aged65: number;
  readonly under15: number;
  readonly withMyNumber: number;
  readonly dvSupport: number;
  readonly mailing: number;
}

export interface SyntheticPerson {
  readonly index: number;
  readonly juminhyoCode: string | null;
  readonly myNumber: string | null;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly status: 'resident' | 'gone' | 'non-resident';
  readonly foreign: boolean;
  /** Internal household index (−1 when not in a household); members of one household share it. */
  readonly household: number;
}

export function supportedTenants(): readonly { code: string; name: string }[] {
  return Object.values(TENANTS).map((t) => ({ code: t.code, name: t.prefecture + t.city }));
}

/** Checks the options (Problem with the field named on a bad one) and fills in the defaults. */
export function resolveOptions(o: SynthResidentsOptions): Required<SynthResidentsOptions> & { tenantData: Tenant } {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_COUNT) throw invalidField('count', 'COUNT_RANGE', `件数は1〜${MAX_COUNT}の整数で指定してください`);
  if (typeof o.seed !== 'string' || o.seed.length === 0 || o.seed.length > 200) throw invalidField('seed', 'SEED_INVALID', 'シードは1〜200文字で指定してください');
  const code = o.tenant ?? DEFAULT_TENANT;
  const check = checkLocalGovernmentCode(code);
  if (!check.ok) throw invalidField('tenant', 'TENANT_INVALID', `団体コードが正しくありません（${check.reason}）`);
  const tenantData = TENANTS[check.code];
  if (!tenantData) {
    const list = supportedTenants()
      .map((t) => `${t.code} ${t.name}`)
      .join('、');
    throw invalidField('tenant', 'TENANT_UNSUPPORTED', `この団体の住所データがありません（対応: ${list}）`);
  }
  const start = o.start ?? DEFAULT_START;
  if (!isIsoDate(start) || start < '1990-01-01' || start > '2100-12-31') throw invalidField('start', 'START_INVALID', '基準日は1990-01-01〜2100-12-31の実在する日付（YYYY-MM-DD）で指定してください');
  return { count: o.count, seed: o.seed, tenant: check.code, start, atena: o.atena ?? false, tenantData };
}

export class SyntheticResidents {
  readonly world: World;
  readonly tenant: Tenant;
  readonly start: string;
  private readonly renderer: Renderer;
  private readonly simulation: Simulation;
  private readonly order: Int32Array;
  private readonly snapshotCount: number;

  constructor(options: SynthResidentsOptions) {
    const o = resolveOptions(options);
    this.tenant = o.tenantData;
    this.start = o.start;
    const root: Rng = seededRng(`synth-residents/${o.seed}`);
    const startDay = dayNumber(o.start);
    this.world = new World(o.count);
    const factory = new Factory(this.world, this.tenant);
    new Assembler(this.world, factory, root.fork('assemble'), o.count, startDay, o.start).run();
    this.snapshotCount = this.world.people.n;
    // Households in a random order (the file must not list foreign households first, say).
    const H = this.world.households;
    const order = new Int32Array(H.n);
    for (let i = 0; i < H.n; i++) order[i] = i;
    const shuffle = root.fork('order');
    for (let i = H.n - 1; i > 0; i--) {
      const j = shuffle.int(0, i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    this.order = order;
    this.renderer = new Renderer(this.world, this.tenant, { seed: o.seed, atena: o.atena });
    this.simulation = new Simulation(this.world, factory, this.renderer, root.fork('movements'), startDay, movementTag(o.seed));
  }

  /** Number of people generated so far (snapshot and movements; indexes 0 … size − 1). */
  get size(): number {
    return this.world.people.n;
  }

  /**
   * Person `index`'s identifying facts as of the weeks simulated so far, for generators built on this one
   * (vaccination histories, clinic batch files).  The My Number is the synthetic test-range number.
   */
  person(index: number): SyntheticPerson {
    const P = this.world.people;
    if (!Number.isInteger(index) || index < 0 || index >= P.n) throw new RangeError('no such person');
    const h = P.hh[index]!;
    return {
      index,
      juminhyoCode: (P.misc[index]! & X_NO_CODE) !== 0 ? null : this.renderer.juminhyoCode(index),
      myNumber: (P.flags[index]! & F_MYNUMBER) !== 0 ? this.renderer.myNumber(index) : null,
      birthDate: fromDayNumber(P.birth[index]!),
      sex: P.sex[index] === 1 ? 'male' : 'female',
      status: P.state[index]! <= S_LEAVING ? 'resident' : P.state[index] === S_NON_RESIDENT ? 'non-resident' : 'gone',
      foreign: P.foreign[index] === 1,
      household: h,
    };
  }

  /** Person `index`'s 宛名番号 as written (10 digits), or null before their first row (needs `atena`). */
  atenaNo(index: number): string | null {
    const a = this.world.people.atena[index]!;
    return a === 0 ? null : String(a).padStart(10, '0');
  }

  /** 氏名 and 氏名カナ as person `index`'s current record writes them. */
  names(index: number): { kanji: string; kana: string } {
    return { kanji: this.renderer.name(index), kana: this.renderer.kana(index) };
  }

  /** 住所 and 方書 of person `index`'s current household, or null when they have none. */
  addressOf(index: number): { address: string; katagaki: string } | null {
    const h = this.world.people.hh[index]!;
    if (h < 0) return null;
    const [, address, katagaki] = this.renderer.address(h);
    return { address, katagaki };
  }

  static header(kind: 'full' | 'diff'): string {
    return (kind === 'full' ? PERSON_HEADER : MOVEMENT_HEADER).join(',');
  }

  /** The snapshot's data lines (no header), household by household; call before the first week. */
  *snapshot(): Generator<string> {
    const W = this.world;
    const P = W.people;
    for (const h of this.order) {
      for (let p = W.households.first[h]!; p >= 0; p = P.next[p]!) if (p < this.snapshotCount && P.state[p]! <= S_LEAVING) yield this.renderer.personLine(p);
    }
  }

  /** Simulates the next week and returns its movement file. */
  nextWeek(): WeekFile {
    return this.simulation.next();
  }

  get movementTotals(): Readonly<Record<string, number>> {
    return this.simulation.totalCounts;
  }

  /** Counts over the current residents (as of the snapshot, or after the weeks simulated so far). */
  stats(asOf = this.start): PopulationStats {
    const P = this.world.people;
    const day = dayNumber(asOf);
    const households = new Set<number>();
    let residents = 0;
    let foreign = 0;
    let aged65 = 0;
    let under15 = 0;
    let withMyNumber = 0;
    let dvSupport = 0;
    let mailing = 0;
    for (let p = 0; p < P.n; p++) {
      if (P.state[p]! > S_LEAVING) continue;
      residents++;
      households.add(P.hh[p]!);
      const age = (day - P.birth[p]!) / YEAR;
      if (age >= 65) aged65++;
      if (age < 15) under15++;
      if (P.foreign[p] === 1) foreign++;
      if ((P.flags[p]! & F_MYNUMBER) !== 0) withMyNumber++;
      if ((P.flags[p]! & F_DV) !== 0) dvSupport++;
      if ((P.flags[p]! & F_MAILING) !== 0) mailing++;
    }
    return { residents, households: households.size, foreign, aged65, under15, withMyNumber, dvSupport, mailing };
  }
}
