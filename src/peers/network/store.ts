// The network node's tables (peers_network): persons, 符号, the permission list, 情報提供等記録.
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { PERMISSION_ENTRIES, type BodyKind, type PermissionEntry } from './permissions.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export const NETWORK_SCHEMA = 'peers_network';

// ---------------------------------------------------------------- persons and 符号

/** The internal id of the person J-LIS links as `link` (created on first sight). */
export async function personOfLink(db: Kysely<UntypedDatabase>, link: string, now: Date): Promise<string> {
  await sql`INSERT INTO peers_network.linked_persons (id, link, created_at) VALUES (${randomUUID()}, ${link}, ${now})
            ON CONFLICT (link) DO NOTHING`.execute(db);
  const r = await sql<{ id: string }>`SELECT id FROM peers_network.linked_persons WHERE link = ${link}`.execute(db);
  return r.rows[0]!.id;
}

export async function saveCode(db: Kysely<UntypedDatabase>, body: string, code: string, personId: string, now: Date): Promise<void> {
  await sql`INSERT INTO peers_network.codes (body, code, person_id, issued_at) VALUES (${body}, ${code}, ${personId}, ${now})
            ON CONFLICT DO NOTHING`.execute(db);
}

/** The person a body's 符号 stands for; undefined when this body was never given that code. */
export async function personOfCode(db: Kysely<UntypedDatabase>, body: string, code: string): Promise<string | undefined> {
  const r = await sql<{ person_id: string }>`SELECT person_id FROM peers_network.codes WHERE body = ${body} AND code = ${code}`.execute(db);
  return r.rows[0]?.person_id;
}

/** The persons a body's 符号 stand for (codes this body was never given are absent). */
export async function personsOfCodes(db: Kysely<UntypedDatabase>, body: string, codes: readonly string[]): Promise<Map<string, string>> {
  const r = await sql<{ code: string; person_id: string }>`SELECT code, person_id FROM peers_network.codes WHERE body = ${body} AND code = ANY(${[...codes]}::text[])`.execute(db);
  return new Map(r.rows.map((x) => [x.code, x.person_id]));
}

/** The 符号 `body` holds for each of these persons (persons it never acquired one for are absent). */
export async function codesOfPersons(db: Kysely<UntypedDatabase>, body: string, personIds: readonly string[]): Promise<Map<string, string>> {
  if (!personIds.length) return new Map();
  const r = await sql<{ code: string; person_id: string }>`SELECT code, person_id FROM peers_network.codes WHERE body = ${body} AND person_id = ANY(${[...personIds]}::uuid[])`.execute(db);
  return new Map(r.rows.map((x) => [x.person_id, x.code]));
}

/** The 符号 `body` holds for the person, if that body ever acquired one. */
export async function codeOfPerson(db: Kysely<UntypedDatabase>, body: string, personId: string): Promise<string | undefined> {
  const r = await sql<{ code: string }>`SELECT code FROM peers_network.codes WHERE body = ${body} AND person_id = ${personId}`.execute(db);
  return r.rows[0]?.code;
}

// ---------------------------------------------------------------- the permission list

/** Loads the entries of permissions.ts (insert or update by id); returns how many changed. */
export async function loadPermissions(db: Kysely<UntypedDatabase>, entries: readonly PermissionEntry[] = PERMISSION_ENTRIES): Promise<number> {
  let changed = 0;
  for (const e of entries) {
    const r = await sql`
      INSERT INTO peers_network.permissions (id, jimu, jimu_name, requester_kind, provider_kind, item, item_name, legal_basis, valid_from, valid_to)
      VALUES (${e.id}, ${e.jimu}, ${e.jimuName}, ${e.requesterKind}, ${e.providerKind}, ${e.item}, ${e.itemName}, ${e.legalBasis}, ${e.validFrom}::date, ${e.validTo}::date)
      ON CONFLICT (id) DO UPDATE SET jimu = excluded.jimu, jimu_name = excluded.jimu_name, requester_kind = excluded.requester_kind,
        provider_kind = excluded.provider_kind, item = excluded.item, item_name = excluded.item_name, legal_basis = excluded.legal_basis,
        valid_from = excluded.valid_from, valid_to = excluded.valid_to
      WHERE (permissions.jimu, permissions.jimu_name, permissions.requester_kind, permissions.provider_kind, permissions.item, permissions.item_name,
             permissions.legal_basis, permissions.valid_from, permissions.valid_to)
        IS DISTINCT FROM (excluded.jimu, excluded.jimu_name, excluded.requester_kind, excluded.provider_kind, excluded.item, excluded.item_name,
             excluded.legal_basis, excluded.valid_from, excluded.valid_to)`.execute(db);
    changed += Number(r.numAffectedRows ?? 0);
  }
  return changed;
}

interface PermissionRow {
  id: string;
  jimu: string;
  jimu_name: string;
  requester_kind: BodyKind;
  provider_kind: BodyKind;
  item: string;
  item_name: string;
  legal_basis: string;
  valid_from: string;
  valid_to: string | null;
}

const toEntry = (r: PermissionRow): PermissionEntry => ({
  id: r.id,
  jimu: r.jimu,
  jimuName: r.jimu_name,
  requesterKind: r.requester_kind,
  providerKind: r.provider_kind,
  item: r.item,
  itemName: r.item_name,
  legalBasis: r.legal_basis,
  validFrom: r.valid_from,
  validTo: r.valid_to,
});

const PERMISSION_COLUMNS = sql`id, jimu, jimu_name, requester_kind, provider_kind, item, item_name, legal_basis,
  to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to`;

export async function listPermissions(db: Kysely<UntypedDatabase>): Promise<{ version: string; entries: PermissionEntry[] }> {
  const r = await sql<PermissionRow>`SELECT ${PERMISSION_COLUMNS} FROM peers_network.permissions ORDER BY id`.execute(db);
  const entries = r.rows.map(toEntry);
  const version = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  return { version, entries };
}

/** The entry permitting (jimu, item) between these kinds of body on `today`, if any. */
export async function findPermission(db: Kysely<UntypedDatabase>, q: { jimu: string; item: string; requesterKind: BodyKind; providerKind: BodyKind; today: string }): Promise<PermissionEntry | undefined> {
  const r = await sql<PermissionRow>`
    SELECT ${PERMISSION_COLUMNS} FROM peers_network.permissions
    WHERE jimu = ${q.jimu} AND item = ${q.item} AND requester_kind = ${q.requesterKind} AND provider_kind = ${q.providerKind}
      AND valid_from <= ${q.today}::date AND (valid_to IS NULL OR valid_to >= ${q.today}::date)
    ORDER BY valid_from DESC, id LIMIT 1`.execute(db);
  return r.rows[0] ? toEntry(r.rows[0]) : undefined;
}

// ---------------------------------------------------------------- 情報提供等記録

export type RecordStatus = 'permitted' | 'refused' | 'provided' | 'pending' | 'none' | 'failed';

export interface ExchangeRecord {
  readonly exchangeId: string;
  readonly inquiryId: string;
  readonly at: Date;
  readonly updatedAt: Date;
  readonly requesterBody: string;
  readonly providerBody: string;
  readonly jimu: string;
  readonly item: string;
  readonly permissionId: string | null;
  readonly legalBasis: string | null;
  readonly permitId: string | null;
  readonly status: RecordStatus;
  readonly refusalCode: string | null;
  readonly refusalReason: string | null;
  readonly personId: string | null;
  readonly requesterCode: string | null;
  readonly providerCode: string | null;
}

export interface NewRecord {
  readonly exchangeId: string;
  readonly inquiryId: string;
  readonly at: Date;
  readonly requesterBody: string;
  readonly providerBody: string;
  readonly jimu: string;
  readonly item: string;
  readonly permissionId?: string | null;
  readonly legalBasis?: string | null;
  readonly permitId?: string | null;
  readonly permitExp?: Date | null;
  readonly status: RecordStatus;
  readonly refusalCode?: string | null;
  readonly refusalReason?: string | null;
  readonly personId?: string | null;
  readonly requesterCode?: string | null;
  readonly providerCode?: string | null;
}

/** Adds a record; false when the requester already used this inquiryId. */
export async function addRecord(db: Kysely<UntypedDatabase>, r: NewRecord): Promise<boolean> {
  const res = await sql`
    INSERT INTO peers_network.exchange_records (exchange_id, inquiry_id, at, updated_at, requester_body, provider_body, jimu, item, permission_id,
      legal_basis, permit_id, permit_exp, status, refusal_code, refusal_reason, person_id, requester_code, provider_code)
    VALUES (${r.exchangeId}, ${r.inquiryId}, ${r.at}, ${r.at}, ${r.requesterBody}, ${r.providerBody}, ${r.jimu}, ${r.item}, ${r.permissionId ?? null},
      ${r.legalBasis ?? null}, ${r.permitId ?? null}, ${r.permitExp ?? null}, ${r.status}, ${r.refusalCode ?? null}, ${r.refusalReason ?? null},
      ${r.personId ?? null}, ${r.requesterCode ?? null}, ${r.providerCode ?? null})
    ON CONFLICT (requester_body, inquiry_id) DO NOTHING`.execute(db);
  return Number(res.numAffectedRows ?? 0) === 1;
}

export async function settleRecord(db: Kysely<UntypedDatabase>, exchangeId: string, at: Date, s: { status: RecordStatus; refusalCode?: string | null; refusalReason?: string | null; permitExp?: Date }): Promise<void> {
  await sql`
    UPDATE peers_network.exchange_records SET status = ${s.status}, updated_at = ${at},
      refusal_code = ${s.refusalCode ?? null}, refusal_reason = ${s.refusalReason ?? null},
      permit_exp = coalesce(${s.permitExp ?? null}::timestamptz, permit_exp)
    WHERE exchange_id = ${exchangeId}`.execute(db);
}

const RECORD_COLUMNS = sql`exchange_id, inquiry_id, at, updated_at, requester_body, provider_body, jimu, item, permission_id, legal_basis,
  permit_id, status, refusal_code, refusal_reason, person_id, requester_code, provider_code`;

const toRecord = (x: Record<string, unknown>): ExchangeRecord => ({
  exchangeId: String(x['exchange_id']),
  inquiryId: String(x['inquiry_id']),
  at: new Date(x['at'] as Date),
  updatedAt: new Date(x['updated_at'] as Date),
  requesterBody: String(x['requester_body']),
  providerBody: String(x['provider_body']),
  jimu: String(x['jimu']),
  item: String(x['item']),
  permissionId: (x['permission_id'] as string | null) ?? null,
  legalBasis: (x['legal_basis'] as string | null) ?? null,
  permitId: (x['permit_id'] as string | null) ?? null,
  status: x['status'] as RecordStatus,
  refusalCode: (x['refusal_code'] as string | null) ?? null,
  refusalReason: (x['refusal_reason'] as string | null) ?? null,
  personId: (x['person_id'] as string | null) ?? null,
  requesterCode: (x['requester_code'] as string | null) ?? null,
  providerCode: (x['provider_code'] as string | null) ?? null,
});

export async function getRecord(db: Kysely<UntypedDatabase>, exchangeId: string): Promise<ExchangeRecord | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(exchangeId)) return undefined;
  const r = await sql<Record<string, unknown>>`SELECT ${RECORD_COLUMNS} FROM peers_network.exchange_records WHERE exchange_id = ${exchangeId}`.execute(db);
  return r.rows[0] ? toRecord(r.rows[0]) : undefined;
}

export async function recordsOfPerson(db: Kysely<UntypedDatabase>, personId: string): Promise<ExchangeRecord[]> {
  const r = await sql<Record<string, unknown>>`
    SELECT ${RECORD_COLUMNS} FROM peers_network.exchange_records WHERE person_id = ${personId} ORDER BY at, exchange_id`.execute(db);
  return r.rows.map(toRecord);
}

/** 情報提供等記録, newest first; `body` limits them to those where the body asked or was asked. */
export async function listRecords(db: Kysely<UntypedDatabase>, opts: { body?: string; limit?: number; offset?: number } = {}): Promise<ExchangeRecord[]> {
  const where = opts.body ? sql`WHERE requester_body = ${opts.body} OR provider_body = ${opts.body}` : sql``;
  const r = await sql<Record<string, unknown>>`
    SELECT ${RECORD_COLUMNS} FROM peers_network.exchange_records ${where}
    ORDER BY at DESC, exchange_id LIMIT ${Math.min(opts.limit ?? 1000, 10_000)} OFFSET ${opts.offset ?? 0}`.execute(db);
  return r.rows.map(toRecord);
}

/**
 * Records left `permitted` by a node that stopped while it was asking the provider, whose permit has
 * expired (the provider would refuse it now): they become `failed`, so nothing half-done remains.
 */
export async function failInterrupted(db: Kysely<UntypedDatabase>, now: Date): Promise<number> {
  const r = await sql`
    UPDATE peers_network.exchange_records SET status = 'failed', updated_at = ${now}, refusal_code = 'INTERRUPTED',
      refusal_reason = '情報提供者への照会中に処理が中断されました。新しい照会IDで照会し直してください。'
    WHERE status = 'permitted' AND permit_exp < ${now}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
