// A person's state (what a version records) and how a 住基 row or movement turns into it (RES-05, RES-22).
import { createHash } from 'node:crypto';
import type { CeaseReason, MovementCode, MovementRow, ResidentRow } from './format.js';

export type PersonCategory = 'resident' | 'non-registered' | 'unregistered-child' | 'out-of-area';
export type PersonStatus = 'resident' | 'moved-out' | 'deceased' | 'removed' | 'non-resident';

export const STATUS_LABELS: Record<PersonStatus, string> = {
  resident: '住民',
  'moved-out': '転出',
  deceased: '死亡',
  removed: '職権消除',
  'non-resident': '住登外',
};

export const CATEGORY_LABELS: Record<PersonCategory, string> = {
  resident: '住民（住基）',
  'non-registered': '住登外者',
  'unregistered-child': '戸籍・住民票に記載のない児童',
  'out-of-area': '区外者',
};

/** Everything a version holds.  No My Number: that lives only in the vault. */
export interface PersonState {
  category: PersonCategory;
  status: PersonStatus;
  juminhyoCode: string | null;
  nameKanji: string;
  nameKana: string;
  birthDate: string;
  sex: 'male' | 'female';
  postalCode: string | null;
  address: string;
  katagaki: string | null;
  districtCode: string | null;
  householdNo: string | null;
  relationship: string | null;
  householderName: string | null;
  residentKind: 'japanese' | 'foreign';
  realName: string | null;
  aliasName: string | null;
  alphabetName: string | null;
  nameUsage: 'real' | 'alias' | null;
  nationality: string | null;
  residenceStatus: string | null;
  stayUntil: string | null;
  becameResidentOn: string | null;
  ceasedOn: string | null;
  ceasedReason: CeaseReason | null;
  latestMovement: MovementCode | null;
  latestMovementOn: string | null;
  latestNotifiedOn: string | null;
  previousAddress: string | null;
  nextAddress: string | null;
  plannedMoveOutOn: string | null;
  dvSupport: boolean;
  viewingRestricted: boolean;
  mailingName: string | null;
  mailingPostalCode: string | null;
  mailingAddress: string | null;
  mailingKatagaki: string | null;
  /** Free note for 住登外 registrations (e.g. who asked, on what basis; RES-09). */
  note: string | null;
}

export function statusFromRow(r: ResidentRow): PersonStatus {
  switch (r.ceasedReason) {
    case '死亡':
      return 'deceased';
    case '職権消除':
      return 'removed';
    case '転出':
    case '国外転出':
      return 'moved-out';
    default:
      return 'resident';
  }
}

/** The state a full-snapshot row describes. */
export function stateFromRow(r: ResidentRow, prev: PersonState | null): PersonState {
  return {
    category: prev?.category === 'resident' || !prev ? 'resident' : prev.category,
    status: statusFromRow(r),
    juminhyoCode: r.juminhyoCode,
    nameKanji: r.nameKanji,
    nameKana: r.nameKana,
    birthDate: r.birthDate,
    sex: r.sex,
    postalCode: r.postalCode,
    address: r.address,
    katagaki: r.katagaki,
    districtCode: r.districtCode,
    householdNo: r.householdNo,
    relationship: r.relationship,
    householderName: r.householderName,
    residentKind: r.residentKind,
    realName: r.realName,
    aliasName: r.aliasName,
    alphabetName: r.alphabetName,
    nameUsage: r.nameUsage,
    nationality: r.nationality,
    residenceStatus: r.residenceStatus,
    stayUntil: r.stayUntil,
    becameResidentOn: r.becameResidentOn,
    ceasedOn: r.ceasedOn,
    ceasedReason: r.ceasedReason,
    latestMovement: r.latestMovement,
    latestMovementOn: r.latestMovementOn,
    latestNotifiedOn: r.latestNotifiedOn,
    previousAddress: r.previousAddress,
    nextAddress: r.nextAddress,
    plannedMoveOutOn: prev?.plannedMoveOutOn ?? null,
    dvSupport: r.dvSupport,
    viewingRestricted: r.viewingRestricted,
    mailingName: r.mailingName,
    mailingPostalCode: r.mailingPostalCode,
    mailingAddress: r.mailingAddress,
    mailingKatagaki: r.mailingKatagaki,
    note: prev?.note ?? null,
  };
}

/** The state after a movement: the row's state with the movement's own meaning applied on top. */
export function stateFromMovement(m: MovementRow, prev: PersonState | null): PersonState {
  const s = stateFromRow(m.person, prev);
  s.latestMovement = m.movement;
  s.latestMovementOn = m.movementOn;
  s.latestNotifiedOn = m.notifiedOn ?? s.latestNotifiedOn;
  switch (m.movement) {
    case '01':
    case '02':
    case '03':
      s.category = 'resident';
      s.status = 'resident';
      s.becameResidentOn = m.person.becameResidentOn ?? m.movementOn;
      s.ceasedOn = null;
      s.ceasedReason = null;
      s.plannedMoveOutOn = null;
      break;
    case '10':
      s.status = 'resident';
      s.plannedMoveOutOn = m.movementOn;
      break;
    case '11':
      s.status = 'moved-out';
      s.ceasedOn = m.movementOn;
      s.ceasedReason = m.person.ceasedReason === '国外転出' ? '国外転出' : '転出';
      s.plannedMoveOutOn = null;
      break;
    case '12':
      s.status = 'deceased';
      s.ceasedOn = m.movementOn;
      s.ceasedReason = '死亡';
      break;
    case '13':
      s.status = 'removed';
      s.ceasedOn = m.movementOn;
      s.ceasedReason = '職権消除';
      break;
    case '30':
      s.category = prev && prev.category !== 'resident' ? prev.category : 'non-registered';
      s.status = prev?.status === 'resident' ? 'resident' : 'non-resident';
      break;
    default:
      // 20 転居, 21 氏名変更, 22 世帯変更, 23 記載事項変更: the row carries the new state.
      if (prev) {
        s.status = prev.status;
        s.ceasedOn = prev.ceasedOn;
        s.ceasedReason = prev.ceasedReason;
        s.plannedMoveOutOn = prev.plannedMoveOutOn;
      }
  }
  return s;
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

// Sorted key orders by the order the keys came in: states built by stateFromRow and states read back from
// jsonb each have one order, so the sort is done once per order (a 住基 import hashes every row).
const ORDERS = new Map<string, { sorted: string[]; quoted: string[] }>();

/**
 * The canonical JSON of a state: keys sorted at every level, no spaces — the same text as `canonical` gives,
 * built without sorting when the object is flat (every value a string, number, boolean or null).
 */
export function canonicalState(s: PersonState): string {
  const keys = Object.keys(s);
  const id = keys.join('\u0000');
  let order = ORDERS.get(id);
  if (!order) {
    const sorted = [...keys].sort();
    order = { sorted, quoted: sorted.map((k) => `${JSON.stringify(k)}:`) };
    if (ORDERS.size < 64) ORDERS.set(id, order);
  }
  let out = '{';
  const rec = s as unknown as Record<string, unknown>;
  for (let i = 0; i < order.sorted.length; i++) {
    const v = rec[order.sorted[i]!];
    if (v !== null && typeof v === 'object') return canonical(s);
    out += (i ? ',' : '') + order.quoted[i] + JSON.stringify(v);
  }
  return out + '}';
}

/** Hash of a state's canonical JSON plus the My Number's blind index (so a changed number alone is a change). */
export function stateHashOf(canonicalJson: string, myNumberIndex: Buffer | null): Buffer {
  return createHash('sha256').update(canonicalJson).update('|').update(myNumberIndex ? myNumberIndex.toString('hex') : '-').digest();
}

/** Hash of a state plus the My Number's blind index (so a changed number alone is a change). */
export function stateHash(s: PersonState, myNumberIndex: Buffer | null): Buffer {
  return stateHashOf(canonicalState(s), myNumberIndex);
}

/**
 * The fields whose value differs from the previous state.  A first version has no previous state and lists
 * nothing (it is the registration: screens show 新規登録); listing every field for it made each new person's
 * version and operation-log entry ≈40 % longer for no information (decision 0044).
 */
export function changedFields(prev: PersonState | null, next: PersonState): string[] {
  if (!prev) return [];
  return (Object.keys(next) as (keyof PersonState)[]).filter((k) => canonical(prev[k]) !== canonical(next[k])).sort();
}
