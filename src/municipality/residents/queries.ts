// Reading residents: lookup, search, history, "as of" states, cohorts for extraction, masking (RES-05, RES-14,
// KRN-07/08).  No function here returns a My Number; that is the vault's reveal alone.
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import type { Actor } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { notFound } from '../../kernel/problems/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { maySeeProtectedAddress, requireResidentAccess, RESIDENT_DUTIES } from './access.js';
import { limitToAllowed } from './items.js';
import { searchKana } from './matching.js';
import type { PersonState, PersonStatus } from './state.js';
import { SUBJECT } from './apply.js';

export const PROTECTED = '（支援措置の対象のため表示しません）';

export interface PersonRecord {
  readonly atenaNo: string;
  readonly integratedNo: string | null;
  readonly version: number;
  readonly effectiveDate: string;
  readonly state: PersonState;
  readonly hasMyNumber: boolean;
  /** The number was blanked after its retention period (KRN-12): when and why. */
  readonly myNumberErased: { readonly at: Date; readonly reason: string | null } | null;
  /** True when address fields were hidden for this viewer (支援措置). */
  readonly addressHidden: boolean;
  /** Item groups not used by the viewer's duties, left empty (KRN-10). */
  readonly withheld: readonly string[];
}

export interface PersonSummary {
  readonly atenaNo: string;
  readonly nameKanji: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly status: PersonStatus;
  readonly category: PersonState['category'];
  readonly address: string;
  readonly dvSupport: boolean;
}

/** Hides every address of a person under 支援措置 from viewers outside 宛名管理 (screens and outputs). */
export function maskState(actor: Actor, s: PersonState): { state: PersonState; hidden: boolean } {
  if (!s.dvSupport || maySeeProtectedAddress(actor)) return { state: s, hidden: false };
  return {
    hidden: true,
    state: { ...s, address: PROTECTED, katagaki: null, postalCode: null, previousAddress: null, nextAddress: null, mailingAddress: s.mailingAddress ? PROTECTED : null, mailingKatagaki: null, mailingPostalCode: null },
  };
}

/**
 * Where a document for this person may be sent (RES-13, issue 3 "Protection"): the 送付先 when set, else the
 * registered address — and nothing at all for a person under 支援措置: their documents are handed over at the
 * counter or sent on explicit arrangement, never to a protected address.
 */
export function mailingTarget(s: PersonState): { name: string; postalCode: string | null; address: string; katagaki: string | null } | null {
  if (s.dvSupport) return null;
  if (s.mailingAddress) return { name: s.mailingName ?? s.nameKanji, postalCode: s.mailingPostalCode, address: s.mailingAddress, katagaki: s.mailingKatagaki };
  return { name: s.nameKanji, postalCode: s.postalCode, address: s.address, katagaki: s.katagaki };
}

export async function getPerson(w: Work, vault: Vault, atenaNo: string, purpose?: string): Promise<PersonRecord> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
  const r = await w.tx.selectFrom('municipality.persons').select(['atena_no', 'integrated_no', 'version', 'effective_date', 'state']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
  if (!r) throw notFound('住民');
  const m = maskState(w.actor, r.state);
  const limited = limitToAllowed(w.actor, m.state); // KRN-10: only the items the reader's duties use
  await appendEntry(w.tx, w, { action: 'read', targetType: 'resident', targetId: atenaNo, subjectRef: `resident:${atenaNo}`, purpose, ...(limited.withheld.length ? { detail: { withheld: limited.withheld } } : {}) });
  return { atenaNo: r.atena_no, integratedNo: r.integrated_no, version: r.version, effectiveDate: r.effective_date, state: limited.state, withheld: limited.withheld, hasMyNumber: await vault.has(w, { subjectType: SUBJECT, subjectId: atenaNo }), myNumberErased: await vault.erasure(w, { subjectType: SUBJECT, subjectId: atenaNo }), addressHidden: m.hidden };
}

/** The person as the registry stood on `date` (the version with the latest effective date ≤ date). */
export async function personAsOf(w: Work, atenaNo: string, date: string): Promise<PersonState | null> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  const r = await w.tx
    .selectFrom('municipality.person_versions')
    .select(['state'])
    .where('tenant_code', '=', w.tenant)
    .where('atena_no', '=', atenaNo)
    .where('effective_date', '<=', date)
    .orderBy('effective_date', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  const limited = r ? limitToAllowed(w.actor, maskState(w.actor, r.state).state) : null;
  await appendEntry(w.tx, w, { action: 'read', targetType: 'resident', targetId: atenaNo, subjectRef: `resident:${atenaNo}`, detail: { asOf: date, ...(limited?.withheld.length ? { withheld: limited.withheld } : {}) } });
  return limited ? limited.state : null;
}

export interface SearchQuery {
  atenaNo?: string | undefined;
  kana?: string | undefined;
  birthDate?: string | undefined;
  includeFormer?: boolean | undefined;
  limit?: number | undefined;
  /** Rows to skip (the search screen's pages). */
  offset?: number | undefined;
}

function searchWhere(w: Work, q: SearchQuery) {
  let sel = w.tx.selectFrom('municipality.persons').where('tenant_code', '=', w.tenant);
  if (q.atenaNo) sel = sel.where('atena_no', '=', q.atenaNo);
  if (q.kana) sel = sel.where('search_kana', 'like', `${searchKana(q.kana).replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  if (q.birthDate) sel = sel.where('birth_date', '=', q.birthDate);
  if (!q.includeFormer) sel = sel.where('status', 'in', ['resident', 'non-resident']);
  return sel;
}

/** How many persons a search matches, counted up to `cap` + 1 (the screen says when a list is capped). */
export async function countPersons(w: Work, q: SearchQuery, cap = 1000): Promise<number> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const r = await w.tx.selectFrom(searchWhere(w, q).select('atena_no').limit(cap + 1).as('m')).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Search by 宛名番号, カナ (prefix, 検索カナ) and/or 生年月日.  Lists carry no My Number (KRN-07). */
export async function searchPersons(w: Work, q: SearchQuery): Promise<PersonSummary[]> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const sel = searchWhere(w, q).select(['atena_no', 'state', 'status', 'category']);
  const rows = await sel.orderBy('search_kana').orderBy('birth_date').orderBy('atena_no').limit(Math.min(q.limit ?? 100, 500)).offset(Math.max(q.offset ?? 0, 0)).execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'resident', detail: { byAtena: !!q.atenaNo, byKana: !!q.kana, byBirthDate: !!q.birthDate, results: rows.length } });
  return rows.map((r) => {
    const s = maskState(w.actor, r.state).state;
    return { atenaNo: r.atena_no, nameKanji: s.nameKanji, nameKana: s.nameKana, birthDate: s.birthDate, sex: s.sex, status: r.status, category: r.category, address: s.address, dvSupport: s.dvSupport };
  });
}

export interface VersionView {
  readonly version: number;
  readonly effectiveDate: string;
  readonly recordedAt: Date;
  readonly movement: string | null;
  readonly notifiedOn: string | null;
  readonly source: string;
  readonly fileName: string | null;
  readonly rowNo: number | null;
  readonly changed: readonly string[];
  readonly actor: string;
  readonly state: PersonState;
}

/** Every version, oldest first: what changed, from when, from which file, by whom. */
export async function personHistory(w: Work, atenaNo: string): Promise<VersionView[]> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  const rows = await w.tx
    .selectFrom('municipality.person_versions as v')
    .leftJoin('municipality.import_runs as r', (j) => j.onRef('r.tenant_code', '=', 'v.tenant_code').onRef('r.id', '=', 'v.import_run_id'))
    .select(['v.version', 'v.effective_date', 'v.recorded_at', 'v.movement', 'v.notified_on', 'v.source', 'r.file_name', 'v.row_no', 'v.changed', 'v.actor', 'v.state'])
    .where('v.tenant_code', '=', w.tenant)
    .where('v.atena_no', '=', atenaNo)
    .orderBy('v.effective_date')
    .orderBy('v.version')
    .execute();
  await appendEntry(w.tx, w, { action: 'read', targetType: 'resident-history', targetId: atenaNo, subjectRef: `resident:${atenaNo}` });
  return rows.map((r) => ({
    version: r.version,
    effectiveDate: r.effective_date,
    recordedAt: r.recorded_at,
    movement: r.movement,
    notifiedOn: r.notified_on,
    source: r.source,
    fileName: r.file_name,
    rowNo: r.row_no,
    changed: r.changed,
    actor: r.actor,
    state: maskState(w.actor, r.state).state,
  }));
}

export interface CohortFilter {
  readonly birthFrom?: string;
  readonly birthTo?: string;
  readonly districts?: readonly string[];
  /** Default: residents only. */
  readonly statuses?: readonly PersonStatus[];
}

export interface CohortMember {
  readonly atenaNo: string;
  readonly state: PersonState;
}

/**
 * The population as it stood on `asOf`, in batches (for extraction runs): each person's latest version with
 * effective date ≤ asOf, filtered by status (default resident), birth-date range and district.  Streams with
 * keyset pagination on 宛名番号, so memory stays flat for a million people.  Returned states are not masked:
 * extraction applies protection itself (documents are never addressed to a protected address).
 */
export async function* cohortAsOf(w: Work, asOf: string, f: CohortFilter = {}, batch = 5000): AsyncGenerator<CohortMember[]> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const statuses = f.statuses ?? ['resident'];
  let after = '';
  let total = 0;
  for (;;) {
    let q = w.tx.selectFrom('municipality.persons').select('atena_no').where('tenant_code', '=', w.tenant).where('atena_no', '>', after);
    if (f.birthFrom) q = q.where('birth_date', '>=', f.birthFrom);
    if (f.birthTo) q = q.where('birth_date', '<=', f.birthTo);
    const window = (await q.orderBy('atena_no').limit(batch).execute()).map((r) => r.atena_no);
    if (window.length === 0) break;
    after = window[window.length - 1]!;
    const rows = await sql<{ atena_no: string; state: PersonState }>`
      SELECT DISTINCT ON (v.atena_no) v.atena_no, v.state
      FROM municipality.person_versions v
      WHERE v.tenant_code = ${w.tenant} AND v.atena_no = ANY(${window}::text[]) AND v.effective_date <= ${asOf}
      ORDER BY v.atena_no, v.effective_date DESC, v.version DESC`.execute(w.tx);
    const members = rows.rows
      .filter((r) => statuses.includes(r.state.status))
      .filter((r) => !f.districts || (r.state.districtCode !== null && f.districts.includes(r.state.districtCode)))
      .map((r) => ({ atenaNo: r.atena_no, state: r.state }));
    total += members.length;
    if (members.length) yield members;
  }
  await appendEntry(w.tx, w, { action: 'read', targetType: 'resident-cohort', detail: { asOf, statuses, birthFrom: f.birthFrom ?? null, birthTo: f.birthTo ?? null, districts: f.districts ?? null, members: total } });
}

/** One person of a cohort chunk: the version as of the date, reduced to what an extraction needs. */
export interface CohortRow {
  readonly atenaNo: string;
  /** Null when the person had no version on or before the date (not yet known then: born or moved in later). */
  readonly status: PersonStatus | null;
  readonly birthDate: string | null;
  readonly sex: 'male' | 'female' | null;
  readonly districtCode: string | null;
  /** 支援措置 on the date or now (either is enough to withhold mail: decision 0043). */
  readonly dvSupport: boolean;
}

export interface CohortChunkQuery {
  readonly asOf: string;
  /** Keyset cursor: persons with a 宛名番号 greater than this ('' = from the start). */
  readonly after: string;
  readonly limit: number;
  readonly birthFrom?: string | null | undefined;
  readonly birthTo?: string | null | undefined;
  /** Ignore versions recorded after this instant (a resumed run reads what the first attempt read). */
  readonly recordedBy?: Date | undefined;
}

/**
 * One keyset chunk of the population as it stood on `asOf` (for resumable extraction runs, which commit
 * each chunk in its own transaction; `cohortAsOf` streams inside one).  Returns up to `limit` persons after
 * the cursor in 宛名番号 order — every status, so the caller can count exclusions — and `last`, the cursor for
 * the next chunk (null when there are no more persons).  One query: the persons window joined to each
 * person's latest version ≤ asOf; only the fields an extraction needs leave the database.  Not logged here:
 * the extraction logs one entry per run (its parameters and counts).  The command-line operator may run it
 * as a batch job, as it may run the 住基 intake.
 */
export async function cohortChunk(w: Work, q: CohortChunkQuery): Promise<{ rows: CohortRow[]; last: string | null }> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const birthFrom = q.birthFrom ?? null;
  const birthTo = q.birthTo ?? null;
  const cutoff = q.recordedBy ?? null;
  const r = await sql<{ atena_no: string; status: PersonStatus | null; birth_date: string | null; sex: 'male' | 'female' | null; district: string | null; dv: boolean | null; dv_now: boolean }>`
    SELECT p.atena_no, v.status, v.state->>'birthDate' AS birth_date, v.state->>'sex' AS sex, v.state->>'districtCode' AS district,
           (v.state->>'dvSupport')::boolean AS dv, p.dv_support AS dv_now
    FROM (SELECT atena_no, dv_support FROM municipality.persons
          WHERE tenant_code = ${w.tenant} AND atena_no > ${q.after}
            AND (${birthFrom}::date IS NULL OR birth_date >= ${birthFrom}::date)
            AND (${birthTo}::date IS NULL OR birth_date <= ${birthTo}::date)
          ORDER BY atena_no LIMIT ${q.limit}) p
    LEFT JOIN LATERAL (
      SELECT v.status, v.state FROM municipality.person_versions v
      WHERE v.tenant_code = ${w.tenant} AND v.atena_no = p.atena_no AND v.effective_date <= ${q.asOf}::date
        AND (${cutoff}::timestamptz IS NULL OR v.recorded_at <= ${cutoff}::timestamptz)
      ORDER BY v.effective_date DESC, v.version DESC LIMIT 1) v ON true
    ORDER BY p.atena_no`.execute(w.tx);
  const rows = r.rows.map((x) => ({ atenaNo: x.atena_no, status: x.status, birthDate: x.birth_date, sex: x.sex, districtCode: x.district, dvSupport: x.dv === true || x.dv_now }));
  return { rows, last: rows.length ? rows[rows.length - 1]!.atenaNo : null };
}

/** How many persons a cohort chunk walk will visit (birth-date range only; for progress displays). */
export async function countCohort(w: Work, f: { birthFrom?: string | null | undefined; birthTo?: string | null | undefined }): Promise<number> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  let q = w.tx.selectFrom('municipality.persons').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_code', '=', w.tenant);
  if (f.birthFrom) q = q.where('birth_date', '>=', f.birthFrom);
  if (f.birthTo) q = q.where('birth_date', '<=', f.birthTo);
  return Number((await q.executeTakeFirstOrThrow()).n);
}
