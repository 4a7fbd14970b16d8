// Staff operations on addressees: registering 住登外者 (RES-08, RES-09, RES-10), entering a My Number (which
// assigns the 団体内統合宛名番号, RES-07), revealing it (KRN-29), the 4情報 matching service (RES-12) and the
// review queue where doubtful matches wait for a person to decide (never guessed).
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { fields } from '../../kernel/access/index.js';
import { conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';

import { requireResidentAccess, RESIDENT_DUTIES } from './access.js';
import { applyBatch, SUBJECT } from './apply.js';
import { allocate } from './numbers.js';
import { DEFAULT_MATCH_OPTIONS, matchFourInfo, searchKana, type MatchResult } from './matching.js';
import { fetchMatchCandidates } from './candidates.js';
import { isKatakanaName, normalizeKana, normalizeKanjiName, type MovementRow, type ResidentRow } from './format.js';
import { changedFields, stateHash, type PersonCategory, type PersonState } from './state.js';

export interface FourInfo {
  readonly nameKanji?: string | undefined;
  readonly nameKana?: string | undefined;
  readonly birthDate: string;
  readonly sex?: 'male' | 'female' | undefined;
  readonly address?: string | undefined;
}

/** RES-12: the 4情報 matching service — candidates of the same birth date, scored; 'matched' only when unambiguous. */
export async function matchPerson(w: Work, q: FourInfo, purpose: string): Promise<MatchResult> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(q.birthDate)) return matchFourInfo(q, []); // the matcher names the field
  const candidates = await fetchMatchCandidates(w, [q]);
  const result = matchFourInfo(q, candidates.forQuery(q));
  await appendEntry(w.tx, w, { action: 'search', targetType: 'resident-match', purpose, detail: { decision: result.decision, candidates: result.candidates.length } });
  return result;
}

const NonResidentInput = z.object({
  category: z.enum(['non-registered', 'unregistered-child', 'out-of-area']),
  nameKanji: fields.text(50),
  nameKana: z.string().trim().min(1, '入力してください').transform(normalizeKana).refine(isKatakanaName, { message: 'カタカナで入力してください', params: { code: 'KANA_ONLY' } }),
  birthDate: fields.plainDate,
  sex: z.enum(['male', 'female']),
  postalCode: z.string().trim().transform((s) => s.normalize('NFKC').replace(/-/g, '')).refine((s) => s === '' || /^\d{7}$/.test(s), { message: '郵便番号は7桁の数字です', params: { code: 'FORMAT' } }).optional(),
  address: fields.text(200),
  katagaki: fields.optionalText(100),
  guardianName: fields.optionalText(50),
  note: fields.text(500),
  myNumber: z.string().optional(),
  /** Register even though the matching service found possible existing persons. */
  confirmNew: z.boolean().default(false),
});

export interface RegistrationResult {
  readonly atenaNo: string | null;
  /** When not empty and not confirmed: possible existing persons; nothing was registered. */
  readonly possibleMatches: MatchResult['candidates'];
}

/**
 * Registers a person who is not (or no longer) in this municipality's 住民基本台帳 — a 住登外者 with records here,
 * a child in neither 戸籍 nor 住民票 registered on the request of the person or a holder of parental authority
 * (RES-09), or an 区外者 handled for another municipality (RES-10).  Checks 4情報 first: if someone similar
 * exists, nothing is registered until staff confirm it is a different person.
 */
export async function registerNonResident(w: Work, vault: Vault, raw: unknown): Promise<RegistrationResult> {
  requireResidentAccess(w.actor, 'personal.write', ['addressee']);
  const input = parseInput(NonResidentInput, raw);
  let myNumber: string | null = null;
  if (input.myNumber && input.myNumber.trim()) {
    const c = checkMyNumber(input.myNumber.trim());
    if (!c.ok) throw invalidField('myNumber', c.code, c.message);
    myNumber = c.value;
  }
  const match = await matchPerson(w, { nameKanji: input.nameKanji, nameKana: input.nameKana, birthDate: input.birthDate, sex: input.sex, address: input.address }, '住登外者の登録前の重複確認');
  // Similar persons: those worth reviewing (a same-day stranger scores under reviewMinScore and is not shown).
  const similar = match.candidates.filter((c) => c.score >= DEFAULT_MATCH_OPTIONS.reviewMinScore);
  if (similar.length && !input.confirmNew) return { atenaNo: null, possibleMatches: similar };
  if (myNumber) {
    const holders = await vault.holders(w, SUBJECT, [myNumber]);
    if (holders.get(myNumber)?.length) throw invalidField('myNumber', 'DUPLICATE_PERSON', 'この個人番号は既に別の人に登録されています');
  }
  const [atenaNo] = await allocate(w.tx, w.tenant, 'atena', 1);
  const state: PersonState = {
    category: input.category as PersonCategory,
    status: 'non-resident',
    juminhyoCode: null,
    nameKanji: normalizeKanjiName(input.nameKanji),
    nameKana: input.nameKana,
    birthDate: input.birthDate,
    sex: input.sex,
    postalCode: input.postalCode || null,
    address: input.address,
    katagaki: input.katagaki ?? null,
    districtCode: null,
    householdNo: null,
    relationship: null,
    householderName: input.guardianName ?? null,
    residentKind: 'japanese',
    realName: null,
    aliasName: null,
    alphabetName: null,
    nameUsage: null,
    nationality: null,
    residenceStatus: null,
    stayUntil: null,
    becameResidentOn: null,
    ceasedOn: null,
    ceasedReason: null,
    latestMovement: '30',
    latestMovementOn: w.clock.today(),
    latestNotifiedOn: w.clock.today(),
    previousAddress: null,
    nextAddress: null,
    plannedMoveOutOn: null,
    dvSupport: false,
    viewingRestricted: false,
    mailingName: null,
    mailingPostalCode: null,
    mailingAddress: null,
    mailingKatagaki: null,
    note: input.note,
  };
  const index = myNumber ? await vault.indexOf(w, myNumber) : null;
  const integratedNo = myNumber ? (await allocate(w.tx, w.tenant, 'integrated', 1))[0]! : null;
  await w.tx
    .insertInto('municipality.persons')
    .values({ tenant_code: w.tenant, atena_no: atenaNo!, juminhyo_code: null, integrated_no: integratedNo, category: state.category, status: state.status, name_kanji: state.nameKanji, name_kana: state.nameKana, search_kana: searchKana(state.nameKana), birth_date: state.birthDate, sex: state.sex, state: jsonb(state), state_hash: stateHash(state, index), version: 1, effective_date: w.clock.today(), dv_support: false, district_code: null, household_no: null, last_run_id: null })
    .execute();
  await w.tx.insertInto('municipality.person_versions').values({ tenant_code: w.tenant, atena_no: atenaNo!, version: 1, effective_date: w.clock.today(), status: state.status, movement: '30', movement_id: null, notified_on: w.clock.today(), source: 'staff', import_run_id: null, row_no: null, state: jsonb(state), changed: changedFields(null, state), actor: w.actor.login }).execute();
  if (myNumber) await vault.store(w, { subjectType: SUBJECT, subjectId: atenaNo! }, myNumber, { purpose: '住登外者の登録', subjectRef: `resident:${atenaNo!}` });
  await appendEntry(w.tx, w, { action: 'create', targetType: 'resident', targetId: atenaNo, subjectRef: `resident:${atenaNo}`, purpose: input.note, detail: { category: state.category, possibleMatchesConfirmed: similar.length } });
  return { atenaNo: atenaNo!, possibleMatches: similar };
}

/** Staff entry of a person's My Number (e.g. from a counter application); assigns the 統合宛名番号 the first time. */
export async function setMyNumber(w: Work, vault: Vault, atenaNo: string, number: string, purpose: string): Promise<{ integratedNo: string }> {
  requireResidentAccess(w.actor, 'personal.write', ['addressee'], atenaNo);
  const c = checkMyNumber(number);
  if (!c.ok) throw invalidField('myNumber', c.code, c.message);
  const p = await w.tx.selectFrom('municipality.persons').select(['integrated_no', 'state', 'version']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).forUpdate().executeTakeFirst();
  if (!p) throw notFound('住民');
  const holders = (await vault.holders(w, SUBJECT, [c.value])).get(c.value) ?? [];
  if (holders.some((h) => h !== atenaNo)) throw invalidField('myNumber', 'DUPLICATE_PERSON', 'この個人番号は既に別の人に登録されています');
  const integratedNo = p.integrated_no ?? (await allocate(w.tx, w.tenant, 'integrated', 1))[0]!;
  await vault.store(w, { subjectType: SUBJECT, subjectId: atenaNo }, c.value, { purpose, subjectRef: `resident:${atenaNo}` });
  await w.tx
    .updateTable('municipality.persons')
    .set({ integrated_no: integratedNo, state_hash: stateHash(p.state, await vault.indexOf(w, c.value)) })
    .where('tenant_code', '=', w.tenant)
    .where('atena_no', '=', atenaNo)
    .execute();
  return { integratedNo };
}

/** KRN-29: the 個人番号照会 — view flag, purpose, and a log entry (the vault enforces and records). */
export async function revealMyNumber(w: Work, vault: Vault, atenaNo: string, purpose: string): Promise<string> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  // Logged under the resident, like every other access to the person's data (their access history shows it).
  return vault.reveal(w, { subjectType: SUBJECT, subjectId: atenaNo }, purpose, { subjectRef: `resident:${atenaNo}` });
}

// ------------------------------------------------------------------ review queue

export interface QueueItem {
  readonly id: string;
  readonly source: string;
  readonly sourceRef: string | null;
  readonly sourceRow: number | null;
  readonly query: Record<string, unknown>;
  /** What the item carries besides the query (a queued dose: `{data, …}`). */
  readonly payload: Record<string, unknown> | null;
  readonly candidates: MatchResult['candidates'];
  readonly status: string;
  readonly createdAt: Date;
  readonly resolvedAtenaNo: string | null;
  readonly resolvedBy: string | null;
  readonly note: string | null;
}

/** Which review queue: the clinic records' (staff of 予防接種) or everything else (the 住基 side). */
export type QueueSide = 'records' | 'residents';

export interface QueueListOptions {
  status?: 'open' | 'all';
  limit?: number;
  offset?: number;
  /** Default: every source. */
  side?: QueueSide;
}

function queueWhere(w: Work, opts: Pick<QueueListOptions, 'status' | 'side'>) {
  let q = w.tx.selectFrom('municipality.match_queue').where('tenant_code', '=', w.tenant);
  if ((opts.status ?? 'open') === 'open') q = q.where('status', '=', 'open');
  // The sources that hold a dose (records/queue.ts RECORD_QUEUE_SOURCES; residents may not import records).
  if (opts.side === 'records') q = q.where('source', 'in', ['records-import', 'platform-records']);
  if (opts.side === 'residents') q = q.where('source', 'not in', ['records-import', 'platform-records']);
  return q;
}

export async function listQueue(w: Work, opts: QueueListOptions = {}): Promise<QueueItem[]> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const rows = await queueWhere(w, opts).selectAll().orderBy('created_at').orderBy('id').limit(Math.min(opts.limit ?? 200, 1000)).offset(Math.max(opts.offset ?? 0, 0)).execute();
  await appendEntry(w.tx, w, { action: 'read', targetType: 'match-queue', detail: { results: rows.length } });
  return rows.map((r) => ({ id: r.id, source: r.source, sourceRef: r.source_ref, sourceRow: r.source_row, query: r.query, payload: (r.payload as Record<string, unknown> | null) ?? null, candidates: r.candidates as MatchResult['candidates'], status: r.status, createdAt: r.created_at, resolvedAtenaNo: r.resolved_atena_no, resolvedBy: r.resolved_by, note: r.note }));
}

/** Open items waiting for a decision (the queue screens' totals and the staff home).  A count only: not logged. */
export async function countQueue(w: Work, side?: QueueSide): Promise<number> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES);
  const r = await queueWhere(w, { status: 'open', ...(side ? { side } : {}) }).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

const Resolution = z.discriminatedUnion('action', [
  z.object({ action: z.literal('link'), atenaNo: z.string().regex(/^\d{10}$/, '宛名番号は10桁の数字です'), note: fields.text(500) }),
  z.object({ action: z.literal('create'), note: fields.text(500) }),
  z.object({ action: z.literal('dismiss'), note: fields.text(500) }),
]);

/**
 * Staff decide a queued match: link it to an existing person (the held movement is applied to that person),
 * register it as a new person, or dismiss it.  Resident-import items carry the movement to apply.
 */
export async function resolveQueueItem(w: Work, vault: Vault, id: string, raw: unknown): Promise<QueueItem> {
  requireResidentAccess(w.actor, 'personal.write', ['addressee']);
  const input = parseInput(Resolution, raw);
  const item = await w.tx.selectFrom('municipality.match_queue').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!item) throw notFound('確認待ちの項目');
  if (item.status !== 'open') throw conflict('NOT_OPEN', 'この項目は処理済みです。');
  let atenaNo: string | null = null;
  let alreadyResident = false;
  if (input.action === 'link') {
    const p = await w.tx.selectFrom('municipality.persons').select(['atena_no', 'juminhyo_code', 'state', 'status']).where('tenant_code', '=', w.tenant).where('atena_no', '=', input.atenaNo).executeTakeFirst();
    if (!p) throw invalidField('atenaNo', 'UNKNOWN_PERSON', '登録されていない宛名番号です');
    atenaNo = p.atena_no;
    // The held 住登外 registration turns out to be a current resident: nothing to register, only the
    // identification (and a held My Number) is kept.
    alreadyResident = p.status === 'resident';
  }
  if (item.source !== 'residents-import') throw conflict('WRONG_QUEUE', 'この項目は住民の取込によるものではありません。');
  if (item.payload && input.action !== 'dismiss') {
    const movement = item.payload as unknown as MovementRow;
    const person: ResidentRow = { ...movement.person, myNumber: null, atenaNo };
    const o = alreadyResident ? { rejects: [] } : await applyBatch(w, vault, { id: item.source_run_id ?? id, baseDate: movement.movementOn }, [{ rowNo: item.source_row ?? 0, kind: 'diff', row: { ...movement, person } }], { fromQueue: true });
    const first = o.rejects[0]?.errors[0];
    if (first) throw invalidField(first.field, first.code, first.message);
    if (!atenaNo) {
      const created = await w.tx.selectFrom('municipality.person_versions').select('atena_no').where('tenant_code', '=', w.tenant).where('movement_id', '=', movement.movementId).executeTakeFirst();
      atenaNo = created?.atena_no ?? null;
    }
    // A My Number held with the item becomes the person's, without anyone seeing it.
    const held = (await vault.storedIndexes(w, 'queue', [id])).get(id);
    if (held && atenaNo) {
      const owners = await w.tx.selectFrom('kernel.mynumber_vault').select('subject_id').where('tenant_code', '=', w.tenant).where('subject_type', '=', SUBJECT).where('blind_index', '=', held).execute();
      if (owners.some((o2) => o2.subject_id !== atenaNo)) throw conflict('DUPLICATE_PERSON', '確認待ちの項目の個人番号は既に別の人に登録されています。');
      await vault.move(w, { subjectType: 'queue', subjectId: id }, { subjectType: SUBJECT, subjectId: atenaNo }, '確認待ちの住登外登録の処理');
      const p = await w.tx.selectFrom('municipality.persons').select(['integrated_no', 'state']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirstOrThrow();
      const integratedNo = p.integrated_no ?? (await allocate(w.tx, w.tenant, 'integrated', 1))[0]!;
      await w.tx.updateTable('municipality.persons').set({ integrated_no: integratedNo, state_hash: stateHash(p.state, held) }).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).execute();
    }
  }
  const status = input.action === 'link' ? 'linked' : input.action === 'create' ? 'created' : 'dismissed';
  const row = await w.tx
    .updateTable('municipality.match_queue')
    .set({ status, resolved_atena_no: atenaNo, resolved_by: w.actor.login, resolved_at: w.clock.now(), note: input.note })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'match-queue', targetId: id, subjectRef: atenaNo ? `resident:${atenaNo}` : undefined, purpose: input.note, detail: { action: input.action } });
  return { id: row.id, source: row.source, sourceRef: row.source_ref, sourceRow: row.source_row, query: row.query, payload: (row.payload as Record<string, unknown> | null) ?? null, candidates: row.candidates as MatchResult['candidates'], status: row.status, createdAt: row.created_at, resolvedAtenaNo: row.resolved_atena_no, resolvedBy: row.resolved_by, note: row.note };
}
