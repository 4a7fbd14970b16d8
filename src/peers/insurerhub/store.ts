// The 支払基金 node's data (decision 0145): enrolment of insured persons, PMH key issuance with the mis-link
// check, card links, and the handling log.  Everything runs as the node's own role on its own schema
// (peers_insurerhub); My Numbers and basic-info items are stored only as keyed hashes / ciphertext under the
// node's own keys (secrets.ts).  Batch work is one statement per step, never one round trip per person.
import { randomFillSync } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { arrayLiteral, jsonb, type UntypedDatabase } from '../../kernel/db/index.js';
import { BASIC_FIELDS, type BasicField, type InsurerHubSecrets } from './secrets.js';
import { normaliseBasic } from './normalize.js';

export const INSURERHUB_SCHEMA = 'peers_insurerhub';
export const INSURERHUB_ROLE = 'mamori_insurerhub';

/** PMH-22: the handling log is kept 3 years from each row's creation, then deleted. */
export const HANDLING_LOG_YEARS = 3;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// Random bytes drawn from a pool refilled 4 KiB at a time (one call into the CSPRNG per ~150 keys, not per key).
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
function randomBase32(n: number): string {
  if (poolAt + n > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  let out = '';
  // 256 is a multiple of 32: every character is uniform.
  for (let i = 0; i < n; i++) out += BASE32[POOL[poolAt + i]! & 31];
  poolAt += n;
  return out;
}

/** A new PMH key: `PK` + 20 random base32 characters (100 bits), opaque. */
export function newPmhKey(): string {
  return `PK${randomBase32(20)}`;
}

/** A new 紐付番号: `L` + 26 random base32 characters, opaque (it says nothing about the person). */
export function newLinkNo(): string {
  return `L${randomBase32(26)}`;
}

export interface BasicFiveInfo {
  readonly name: string;
  readonly nameKana: string;
  readonly address: string;
  readonly dateOfBirth: string;
  readonly sex: string;
}

type BasicHashes = Record<BasicField, Buffer>;

export function basicHashes(secrets: InsurerHubSecrets, b: BasicFiveInfo): BasicHashes {
  return {
    nameKana: secrets.basicHash('nameKana', normaliseBasic(b.nameKana)),
    name: secrets.basicHash('name', normaliseBasic(b.name)),
    dateOfBirth: secrets.basicHash('dateOfBirth', normaliseBasic(b.dateOfBirth)),
    sex: secrets.basicHash('sex', normaliseBasic(b.sex)),
    address: secrets.basicHash('address', normaliseBasic(b.address)),
  };
}

type HashColumn = 'kana_hash' | 'name_hash' | 'birth_hash' | 'sex_hash' | 'address_hash';
const HASH_COLUMN: Record<BasicField, HashColumn> = {
  nameKana: 'kana_hash',
  name: 'name_hash',
  dateOfBirth: 'birth_hash',
  sex: 'sex_hash',
  address: 'address_hash',
};

const buf = (x: Uint8Array): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(x));

// ------------------------------------------------------------------ insured.enroll

export interface EnrollMember extends BasicFiveInfo {
  /** Validated, half-width. */
  readonly myNumber: string;
}

export interface EnrollResult {
  readonly enrolled: number;
  readonly unchanged: number;
}

/**
 * Enrols (or updates) the members of one 保険者 in one statement.  A member already held with the same
 * insurer and basic info is unchanged; other content for the same My Number replaces the basic info (the
 * 紐付番号 and the PMH key stay).  The same number twice in one message: the last one counts.
 */
export async function enrollMembers(db: Kysely<UntypedDatabase>, secrets: InsurerHubSecrets, insurer: string, members: readonly EnrollMember[], at: Date): Promise<EnrollResult> {
  const byIndex = new Map<string, { index: Buffer; m: EnrollMember }>();
  for (const m of members) {
    const index = secrets.blindIndex(m.myNumber);
    byIndex.set(index.toString('hex'), { index, m });
  }
  const rows = [...byIndex.values()].map(({ index, m }) => {
    const linkNo = newLinkNo();
    const ct = secrets.sealMyNumber(linkNo, m.myNumber);
    return { linkNo, index, ct: ct.ciphertext, version: ct.version, h: basicHashes(secrets, m) };
  });
  if (rows.length === 0) return { enrolled: 0, unchanged: 0 };
  const col = (values: unknown[], type: string) => sql`${arrayLiteral(values)}::${sql.raw(type)}[]`;
  const r = await sql<{ link_no: string }>`
    INSERT INTO peers_insurerhub.insured_persons AS p
      (link_no, my_number_index, my_number_ct, my_number_key, insurer, name_hash, kana_hash, birth_hash, sex_hash, address_hash, enrolled_at, updated_at)
    SELECT u.link_no, u.idx, u.ct, u.ver, ${insurer}, u.name_hash, u.kana_hash, u.birth_hash, u.sex_hash, u.address_hash, ${at}::timestamptz, ${at}::timestamptz
      FROM unnest(${sql.join([
        col(rows.map((x) => x.linkNo), 'text'),
        col(rows.map((x) => x.index), 'bytea'),
        col(rows.map((x) => x.ct), 'bytea'),
        col(rows.map((x) => x.version), 'int'),
        col(rows.map((x) => x.h.name), 'bytea'),
        col(rows.map((x) => x.h.nameKana), 'bytea'),
        col(rows.map((x) => x.h.dateOfBirth), 'bytea'),
        col(rows.map((x) => x.h.sex), 'bytea'),
        col(rows.map((x) => x.h.address), 'bytea'),
      ])}) AS u(link_no, idx, ct, ver, name_hash, kana_hash, birth_hash, sex_hash, address_hash)
    ON CONFLICT (my_number_index) DO UPDATE SET
      insurer = excluded.insurer, name_hash = excluded.name_hash, kana_hash = excluded.kana_hash, birth_hash = excluded.birth_hash,
      sex_hash = excluded.sex_hash, address_hash = excluded.address_hash, updated_at = excluded.updated_at
    WHERE (p.insurer, p.name_hash, p.kana_hash, p.birth_hash, p.sex_hash, p.address_hash)
      IS DISTINCT FROM (excluded.insurer, excluded.name_hash, excluded.kana_hash, excluded.birth_hash, excluded.sex_hash, excluded.address_hash)
    RETURNING p.link_no`.execute(db);
  return { enrolled: r.rows.length, unchanged: rows.length - r.rows.length };
}

// ------------------------------------------------------------------ pmhkey.issue

export interface IssueItem {
  /** The caller's reference, returned as sent. */
  readonly ref: string | number;
  /** The number exactly as sent (returned unchanged, PMH-05/PMH-08). */
  readonly sent: string;
  /** The validated half-width number (the blind index is computed on it). */
  readonly myNumber: string;
  readonly basicFiveInfo: BasicFiveInfo;
}

export type IssueAnswer =
  | { readonly ref: string | number; readonly pmhKey: string; readonly myNumber: string }
  | { readonly ref: string | number; readonly error: { readonly code: 'NOT_ENROLLED' } | { readonly code: 'MISMATCH'; readonly fields: BasicField[] } };

export interface IssueCounts {
  items: number;
  issued: number;
  reused: number;
  notEnrolled: number;
  mismatch: number;
}

interface HeldRow {
  my_number_index: Uint8Array;
  link_no: string;
  name_hash: Uint8Array;
  kana_hash: Uint8Array;
  birth_hash: Uint8Array;
  sex_hash: Uint8Array;
  address_hash: Uint8Array;
  pmh_key: string | null;
}

/**
 * PMH key issuance for a batch (PMH-05…08): one SELECT of the enrolled persons by blind index, the mis-link
 * check on keyed hashes, one multi-row INSERT of the new keys (ON CONFLICT DO NOTHING, then the keys a
 * concurrent call issued first are read back).  An existing key is reused (PMH-06).  The answer carries the
 * key and the number as sent, nothing else.
 */
export async function issueKeys(db: Kysely<UntypedDatabase>, secrets: InsurerHubSecrets, items: readonly IssueItem[], at: Date): Promise<{ answers: IssueAnswer[]; counts: IssueCounts }> {
  const indexHex = items.map((it) => secrets.blindIndex(it.myNumber).toString('hex'));
  const distinct = [...new Set(indexHex)];
  const held = new Map<string, HeldRow>();
  if (distinct.length > 0) {
    const r = await sql<HeldRow>`
      SELECT p.my_number_index, p.link_no, p.name_hash, p.kana_hash, p.birth_hash, p.sex_hash, p.address_hash, k.pmh_key
        FROM peers_insurerhub.insured_persons p LEFT JOIN peers_insurerhub.pmh_keys k ON k.link_no = p.link_no
       WHERE p.my_number_index = ANY(${arrayLiteral(distinct.map((h) => Buffer.from(h, 'hex')))}::bytea[])`.execute(db);
    for (const row of r.rows) held.set(buf(row.my_number_index).toString('hex'), row);
  }

  const counts: IssueCounts = { items: items.length, issued: 0, reused: 0, notEnrolled: 0, mismatch: 0 };
  // Per item: the 紐付番号 whose key it gets (null: an error answer already decided).
  const pending: (string | null)[] = [];
  const answers: (IssueAnswer | null)[] = [];
  const keyOf = new Map<string, string>(); // link_no → pmh_key (held or newly issued)
  const fresh = new Map<string, string>(); // link_no → candidate new key
  items.forEach((it, i) => {
    const row = held.get(indexHex[i]!);
    if (!row) {
      counts.notEnrolled++;
      answers.push({ ref: it.ref, error: { code: 'NOT_ENROLLED' } });
      pending.push(null);
      return;
    }
    const h = basicHashes(secrets, it.basicFiveInfo);
    const fields = BASIC_FIELDS.filter((f) => !buf(row[HASH_COLUMN[f]]).equals(h[f]));
    if (fields.length > 0) {
      // PMH-07: no link is made; the answer names the differing items, never their values.
      counts.mismatch++;
      answers.push({ ref: it.ref, error: { code: 'MISMATCH', fields } });
      pending.push(null);
      return;
    }
    if (row.pmh_key) {
      keyOf.set(row.link_no, row.pmh_key);
    } else if (!fresh.has(row.link_no)) {
      fresh.set(row.link_no, newPmhKey());
    }
    answers.push(null);
    pending.push(row.link_no);
  });

  // New keys: one INSERT; a key another call issued first for the same person wins (read back).
  const issuedHere = new Set<string>();
  let want = [...fresh.entries()];
  for (let attempt = 0; want.length > 0; attempt++) {
    if (attempt >= 3) throw new Error('insurerhub: PMH key issuance did not settle');
    const ins = await sql<{ link_no: string; pmh_key: string }>`
      INSERT INTO peers_insurerhub.pmh_keys (link_no, pmh_key, issued_at)
      SELECT u.link_no, u.pmh_key, ${at}::timestamptz
        FROM unnest(${arrayLiteral(want.map(([l]) => l))}::text[], ${arrayLiteral(want.map(([, k]) => k))}::text[]) AS u(link_no, pmh_key)
      ON CONFLICT DO NOTHING
      RETURNING link_no, pmh_key`.execute(db);
    for (const r of ins.rows) {
      keyOf.set(r.link_no, r.pmh_key);
      issuedHere.add(r.link_no);
    }
    const missing = want.filter(([l]) => !keyOf.has(l)).map(([l]) => l);
    if (missing.length === 0) break;
    const again = await sql<{ link_no: string; pmh_key: string }>`
      SELECT link_no, pmh_key FROM peers_insurerhub.pmh_keys WHERE link_no = ANY(${arrayLiteral(missing)}::text[])`.execute(db);
    for (const r of again.rows) keyOf.set(r.link_no, r.pmh_key);
    // Still missing: the random key itself collided with another person's; try again with new keys.
    want = missing.filter((l) => !keyOf.has(l)).map((l) => [l, newPmhKey()]);
  }
  // Counted per item: the first item of a person whose key this call inserted is `issued`, every other `reused`.
  for (const l of pending) {
    if (l === null) continue;
    if (issuedHere.delete(l)) counts.issued++;
    else counts.reused++;
  }

  return {
    answers: answers.map((a, i) => a ?? { ref: items[i]!.ref, pmhKey: keyOf.get(pending[i]!)!, myNumber: items[i]!.sent }),
    counts,
  };
}

// ------------------------------------------------------------------ card.link / portal.resolve

/** A certificate serial as stored: hex upper-case, without colons or leading zeros. */
export function normaliseSerial(s: string): string {
  const hex = s.replace(/:/g, '').toUpperCase().replace(/^0+(?=.)/, '');
  return hex;
}

/** The 紐付番号 of an enrolled My Number, or null. */
export async function linkNoOf(db: Kysely<UntypedDatabase>, secrets: InsurerHubSecrets, myNumber: string): Promise<string | null> {
  const r = await sql<{ link_no: string }>`SELECT link_no FROM peers_insurerhub.insured_persons WHERE my_number_index = ${secrets.blindIndex(myNumber)}`.execute(db);
  return r.rows[0]?.link_no ?? null;
}

/**
 * Links a card's 利用者証明用 certificate to a person (健康保険証利用登録).  Idempotent; a serial already
 * linked to another person returns that person's 紐付番号 (the caller refuses).
 */
export async function linkCard(db: Kysely<UntypedDatabase>, serial: string, linkNo: string, at: Date): Promise<{ linkNo: string; created: boolean }> {
  const ins = await sql<{ link_no: string }>`
    INSERT INTO peers_insurerhub.card_links (serial, link_no, linked_at) VALUES (${serial}, ${linkNo}, ${at})
    ON CONFLICT (serial) DO NOTHING RETURNING link_no`.execute(db);
  if (ins.rows[0]) return { linkNo, created: true };
  const r = await sql<{ link_no: string }>`SELECT link_no FROM peers_insurerhub.card_links WHERE serial = ${serial}`.execute(db);
  return { linkNo: r.rows[0]!.link_no, created: false };
}

/** The person a linked card stands for, and their PMH key once one was issued. */
export async function resolveCard(db: Kysely<UntypedDatabase>, serial: string): Promise<{ linkNo: string; pmhKey: string | null } | null> {
  const r = await sql<{ link_no: string; pmh_key: string | null }>`
    SELECT c.link_no, k.pmh_key FROM peers_insurerhub.card_links c LEFT JOIN peers_insurerhub.pmh_keys k ON k.link_no = c.link_no
     WHERE c.serial = ${serial}`.execute(db);
  const row = r.rows[0];
  return row ? { linkNo: row.link_no, pmhKey: row.pmh_key } : null;
}

// ------------------------------------------------------------------ handling log (PMH-22)

export interface HandlingEntry {
  readonly at: Date;
  readonly caller: string;
  readonly service: string;
  readonly msgId: string;
  readonly outcome: 'ok' | 'refused' | 'failed';
  readonly code?: string | null;
  readonly items?: number;
  /** Counts only (issued, reused, …): never a value. */
  readonly counts?: Record<string, number>;
}

export interface HandlingLogRow extends Required<Omit<HandlingEntry, 'code'>> {
  readonly seq: number;
  readonly code: string | null;
}

export async function logHandling(db: Kysely<UntypedDatabase>, e: HandlingEntry): Promise<void> {
  await sql`INSERT INTO peers_insurerhub.handling_log (at, caller, service, msg_id, outcome, code, items, counts)
    VALUES (${e.at}, ${e.caller}, ${e.service}, ${e.msgId.slice(0, 64)}, ${e.outcome}, ${e.code ?? null}, ${e.items ?? 0}, ${jsonb(e.counts ?? {})})`.execute(db);
}

/** The handling log, oldest first (optionally from/to an instant). */
export async function handlingLog(db: Kysely<UntypedDatabase>, opts: { from?: Date; to?: Date; limit?: number } = {}): Promise<HandlingLogRow[]> {
  const r = await sql<{ seq: string; at: Date | string; caller: string; service: string; msg_id: string; outcome: HandlingEntry['outcome']; code: string | null; items: number; counts: Record<string, number> }>`
    SELECT seq, at, caller, service, msg_id, outcome, code, items, counts FROM peers_insurerhub.handling_log
     WHERE (${opts.from ?? null}::timestamptz IS NULL OR at >= ${opts.from ?? null}::timestamptz)
       AND (${opts.to ?? null}::timestamptz IS NULL OR at < ${opts.to ?? null}::timestamptz)
     ORDER BY seq LIMIT ${opts.limit ?? 10_000}`.execute(db);
  return r.rows.map((x) => ({
    seq: Number(x.seq), at: new Date(x.at), caller: x.caller, service: x.service, msgId: x.msg_id, outcome: x.outcome, code: x.code, items: Number(x.items), counts: x.counts,
  }));
}

/** PMH-22: deletes the handling-log rows created more than 3 years before `now`; returns how many. */
export async function purgeHandlingLog(db: Kysely<UntypedDatabase>, now: Date): Promise<number> {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - HANDLING_LOG_YEARS);
  const r = await sql`DELETE FROM peers_insurerhub.handling_log WHERE at < ${cutoff}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
