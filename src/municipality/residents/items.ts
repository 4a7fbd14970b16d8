// The data items of a resident that each 事務 may use (KRN-10; decision 0128).
//
// 001: 「事務に必要な情報項目の対応付けをあらかじめ設定」; 002: 「業務上必要な情報にシステムの機能として限定して
// いる為」.  A person's state is divided into item groups; each duty that reads residents has an allow-list of
// groups, and every read of a person (getPerson, personAsOf) returns only the groups allowed to at least one
// of the reader's duties — the others come back empty, and the read's log entry says which were withheld.
// The groups every duty needs to identify a person (4情報, 住民としての状態, 支援措置の有無) are never withheld.
// The linkage services of wave 2 use the same lists for what they send.
import type { Actor } from '../../kernel/context/index.js';
import { can } from '../../kernel/policy/index.js';
import type { PersonState } from './state.js';
import { RESIDENT_DUTIES } from './access.js';

type Field = keyof PersonState;

export interface ItemGroup {
  readonly key: string;
  readonly label: string;
  readonly fields: readonly Field[];
  /** Needed by every duty to identify the person and to protect them: never withheld. */
  readonly always?: true;
}

export const PERSON_ITEM_GROUPS: readonly ItemGroup[] = [
  { key: 'four-info', label: '基本4情報（氏名・氏名カナ・生年月日・性別・住所）', fields: ['nameKanji', 'nameKana', 'birthDate', 'sex', 'postalCode', 'address', 'katagaki'], always: true },
  { key: 'status', label: '住民としての状態（区分・住民となった日・異動の日付と事由）', fields: ['category', 'status', 'becameResidentOn', 'ceasedOn', 'ceasedReason', 'latestMovement', 'latestMovementOn', 'latestNotifiedOn', 'plannedMoveOutOn', 'residentKind'], always: true },
  { key: 'protection', label: '支援措置・閲覧制限の有無', fields: ['dvSupport', 'viewingRestricted'], always: true },
  { key: 'household', label: '世帯（世帯番号・続柄・世帯主）', fields: ['householdNo', 'relationship', 'householderName'] },
  { key: 'district', label: '地区', fields: ['districtCode'] },
  { key: 'foreign-name', label: '外国人住民の氏名（本名・通称・アルファベット氏名）', fields: ['realName', 'aliasName', 'alphabetName', 'nameUsage'] },
  { key: 'residence-status', label: '国籍・在留資格・在留期間', fields: ['nationality', 'residenceStatus', 'stayUntil'] },
  { key: 'movement-addresses', label: '転入前住所・転出先住所', fields: ['previousAddress', 'nextAddress'] },
  { key: 'mailing', label: '送付先', fields: ['mailingName', 'mailingPostalCode', 'mailingAddress', 'mailingKatagaki'] },
  { key: 'juminhyo-code', label: '住民票コード', fields: ['juminhyoCode'] },
  { key: 'note', label: '備考（住登外登録の根拠等）', fields: ['note'] },
];

const ALL = PERSON_ITEM_GROUPS.map((g) => g.key);
const ALWAYS = PERSON_ITEM_GROUPS.filter((g) => g.always).map((g) => g.key);

/**
 * Each duty's allow-list (beyond the groups every duty has).  Reasons, in the words of the seeds' 事務:
 * - 宛名管理 keeps the 宛名 and needs all of it.
 * - 予防接種: 世帯 for the 保護者 on notices, 地区 for extraction and statistics, 外国人住民の氏名 for documents and
 *   certificates, 転入前住所 to ask the former municipality for the 接種歴, 送付先, 備考 of 住登外 registrations.
 *   Not 住民票コード (住民基本台帳法第30条の38: its use is limited to 住基ネット事務) nor 在留資格.
 * - 健康被害救済: as 予防接種 without 地区 and 備考.
 * - 費用の徴収・支払: 世帯 (the payer of a child's co-payment) and 送付先.
 * - 情報連携: 住民票コード for 本人確認情報の照会 through 住基ネット, and the addresses of a move.
 */
export const DUTY_PERSON_ITEMS: Readonly<Record<(typeof RESIDENT_DUTIES)[number], readonly string[]>> = {
  addressee: ALL,
  vaccination: [...ALWAYS, 'household', 'district', 'foreign-name', 'movement-addresses', 'mailing', 'note'],
  relief: [...ALWAYS, 'household', 'foreign-name', 'movement-addresses', 'mailing'],
  money: [...ALWAYS, 'household', 'mailing'],
  exchange: [...ALWAYS, 'juminhyo-code', 'movement-addresses'],
};

/** The item groups this reader may see: those allowed to any duty in which they may read residents. */
export function allowedItemGroups(actor: Actor): Set<string> {
  const out = new Set<string>();
  for (const d of RESIDENT_DUTIES) if (can(actor, 'personal.read', d)) for (const g of DUTY_PERSON_ITEMS[d]) out.add(g);
  return out;
}

/** The state with the groups outside the allow-list emptied, and the groups withheld. */
export function limitToAllowed(actor: Actor, s: PersonState): { state: PersonState; withheld: string[] } {
  const allowed = allowedItemGroups(actor);
  const withheld = PERSON_ITEM_GROUPS.filter((g) => !g.always && !allowed.has(g.key));
  if (withheld.length === 0) return { state: s, withheld: [] };
  const out: Record<string, unknown> = { ...s };
  for (const g of withheld) for (const f of g.fields) out[f] = null;
  return { state: out as unknown as PersonState, withheld: withheld.map((g) => g.key) };
}
