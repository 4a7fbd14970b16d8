// The records clinics registered on the platform, brought into the municipality's ledger (issue 13 point 3;
// PMH-18, VAX-32; decision 0154; contract docs/formats/clinic-protocol.md section 3).
//
// - `records.fetch` is asked page by page from the tenant's cursor; each page is written in ONE transaction
//   together with the new cursor, so a crash mid-pull resumes at the first page not written: nothing lost,
//   nothing twice.  A platform record id is the ledger record's 通番 (data.sourceRef), unique per tenant
//   among platform records (migration 0020), so a record asked again is `unchanged`.
// - The person is found by the 宛名番号 the municipality itself registered as the target's identity key —
//   never by 4情報.  A key the ledger does not know is queued for staff, never guessed.
// - A dose the ledger already holds from another channel (the clinic's paper/monthly file, the counter) —
//   same person, same day, same vaccine or same program and dose — is a possible duplicate: queued for staff
//   (source 'platform-records') instead of registered twice.
// - The engine checks the dose again here; what it finds is kept as 警告内容 (imported facts, VAX-23) and
//   the clinic's own reason for an override is kept in the remarks.
// - The claim month is the month of vaccination, the institution code the clinic's: billing takes platform
//   records and clinic-file records along the same path (VAX-32).
import { sql } from 'kysely';
import { z } from 'zod';
import { newMeta, runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { isProblem, parseInput, Problem } from '../../kernel/problems/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { createRecords, type RecordInputRaw } from '../records/index.js';
import { PLATFORM_NODE, type PlatformDeps, type PlatformExchange } from './push.js';

/** Records asked per `records.fetch` page (the platform gives at most 1000). */
export const RECORDS_PAGE = 500;
/** The queue source of a platform record waiting for staff. */
export const PLATFORM_RECORDS_QUEUE = 'platform-records';

/** 減免区分 of the platform's Target (platform-protocol.md) as the ledger's 自己負担区分. */
const REDUCTION_LABELS: Readonly<Record<string, string>> = { '1': '生活保護', '2': '市町村民税非課税', '3': 'その他の減免' };

const ROUTES = ['皮下注射', '筋肉内注射', '経口', '経皮', '皮内注射', '鼻腔内'] as const;
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const text = (max: number) => z.string().max(max).nullish().transform((v) => v ?? null);

export const platformRecordSchema = z.object({
  seq: z.number().int().positive(),
  recordId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  targetId: z.string().regex(/^T[0-9]{15}$/),
  identityKey: z.string().regex(/^[0-9A-Za-z-]{1,20}$/),
  programCode: z.string().max(40).nullish().transform((v) => v ?? null),
  dose: z.number().int().min(1).max(99).nullish().transform((v) => v ?? null),
  product: text(40),
  vaccinatedOn: isoDate,
  time: text(5),
  institutionCode: z.string().regex(/^\d{10}$/),
  institutionName: text(100),
  doctorName: text(50),
  place: text(100),
  implementationClass: text(20),
  vaccinationClass: text(20),
  gtin: text(14),
  manufacturer: text(100),
  vaccineName: text(100),
  lot: text(20),
  amount: text(20),
  site: text(40),
  route: text(20),
  expiry: isoDate.nullish().transform((v) => v ?? null),
  consent: z.boolean().nullish().transform((v) => v ?? null),
  caution: z.boolean().nullish().transform((v) => v ?? false),
  specialCircumstances: text(200),
  overseas: z.boolean().nullish().transform((v) => v ?? false),
  warnings: z.array(z.unknown()).nullish(),
  overrideReason: text(500),
  reductionCategory: text(2),
  answerId: text(40),
  registeredAt: z.string().max(40).nullish(),
}).passthrough();
export type PlatformRecord = z.infer<typeof platformRecordSchema>;

const fetchAnswerSchema = z.object({ records: z.array(platformRecordSchema).max(1000), next: z.number().int().nonnegative() });

export interface PullReport {
  readonly pullId: string;
  readonly status: 'complete' | 'failed';
  readonly fetched: number;
  readonly created: number;
  readonly queued: number;
  readonly unchanged: number;
  readonly cursor: number;
  readonly error: string | null;
}

function requirePull(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
}

/** The ledger's input for a platform record (only the items the ledger has; the rest stays on the platform). */
export function recordInputOf(r: PlatformRecord): RecordInputRaw {
  const route = (ROUTES as readonly string[]).includes(r.route ?? '') ? (r.route as (typeof ROUTES)[number]) : null;
  const remarks = [
    r.overrideReason ? `医療機関が規則に合わない接種とした理由: ${r.overrideReason}` : null,
    r.route && !route ? `接種方法: ${r.route}` : null,
  ].filter((x): x is string => !!x);
  const reduction = r.reductionCategory ? REDUCTION_LABELS[r.reductionCategory] ?? null : null;
  return {
    program: r.programCode,
    dose: r.dose,
    vaccinatedOn: r.vaccinatedOn,
    time: r.time && /^([01]\d|2[0-3]):[0-5]\d$/.test(r.time) ? r.time : null,
    product: r.product,
    vaccineName: r.vaccineName,
    manufacturer: r.manufacturer,
    lot: r.lot,
    gtin: r.gtin && /^\d{14}$/.test(r.gtin) ? r.gtin : null,
    expiry: r.expiry,
    amount: r.amount,
    site: r.site,
    route,
    institutionCode: r.institutionCode,
    institutionOther: r.institutionName,
    doctorName: r.doctorName,
    place: r.place,
    overseas: r.overseas,
    caution: r.caution,
    consent: r.consent,
    specialCircumstances: r.specialCircumstances,
    copayCategory: reduction,
    claimMonth: r.vaccinatedOn.slice(0, 7),
    sourceRef: r.recordId,
    remarks: remarks.length ? remarks.join('／') : null,
  };
}

interface PageOutcome {
  created: number;
  queued: number;
  unchanged: number;
}

/** Writes one page of platform records (the caller's transaction, which also moves the cursor). */
async function applyPage(w: Work, records: readonly PlatformRecord[]): Promise<PageOutcome> {
  const out: PageOutcome = { created: 0, queued: 0, unchanged: 0 };
  if (!records.length) return out;
  const ids = records.map((r) => r.recordId);
  const known = await sql<{ ref: string }>`
    SELECT data->>'sourceRef' AS ref FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND source = 'platform' AND data->>'sourceRef' = ANY(${ids}::text[])
    UNION ALL
    SELECT source_ref FROM municipality.match_queue WHERE tenant_code = ${w.tenant} AND source = ${PLATFORM_RECORDS_QUEUE} AND source_ref = ANY(${ids}::text[])`.execute(w.tx);
  const seen = new Set(known.rows.map((r) => r.ref));
  const keys = [...new Set(records.map((r) => r.identityKey))];
  const found = (await sql<{ atena_no: string; name: string | null; birth_date: string }>`
    SELECT atena_no, state->>'nameKanji' AS name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${keys}::text[])`.execute(w.tx)).rows;
  const persons = new Set(found.map((r) => r.atena_no));
  const whoIs = new Map(found.map((r) => [r.atena_no, { nameKanji: r.name, birthDate: r.birth_date }]));
  // The doses the ledger holds for these persons on these days: a possible duplicate is one of the same day
  // and the same vaccine, or the same program and dose.  status <> 'deleted': the person index (ledger.ts).
  const days = [...new Set(records.map((r) => r.vaccinatedOn))];
  const held = await sql<{ id: string; atena_no: string; vaccinated_on: string; product: string | null; program: string | null; dose: number | null; source: string; ref: string | null }>`
    SELECT id, atena_no, to_char(vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, product, program, dose, source, data->>'sourceRef' AS ref
    FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${[...persons]}::text[]) AND status <> 'deleted' AND vaccinated_on = ANY(${days}::date[])`.execute(w.tx);
  const twinOf = (r: PlatformRecord) =>
    held.rows.find((h) => h.atena_no === r.identityKey && h.vaccinated_on === r.vaccinatedOn && ((!!r.product && h.product === r.product) || (!!r.programCode && h.program === r.programCode && h.dose === r.dose)));

  const toCreate: PlatformRecord[] = [];
  const queue: { r: PlatformRecord; reason: string; candidates: unknown[] }[] = [];
  for (const r of records) {
    if (seen.has(r.recordId)) {
      out.unchanged += 1;
      continue;
    }
    seen.add(r.recordId);
    if (!persons.has(r.identityKey)) {
      queue.push({ r, reason: '予防接種プラットフォームの対象者に対応する住民が見つかりません', candidates: [] });
      continue;
    }
    const twin = twinOf(r);
    if (twin) {
      const by = twin.source === 'platform' ? '予防接種プラットフォーム' : '医療機関の月次ファイルなど別の経路';
      queue.push({ r, reason: `同じ日に同じ接種の記録が${by}から登録済みです（重複の可能性）`, candidates: [{ atenaNo: r.identityKey, score: 0, reasons: [{ code: 'POSSIBLE_DUPLICATE', message: `登録済みの記録（${twin.vaccinated_on}）と重複している可能性があります` }], recordId: twin.id }] });
      continue;
    }
    toCreate.push(r);
    held.rows.push({ id: '', atena_no: r.identityKey, vaccinated_on: r.vaccinatedOn, product: r.product, program: r.programCode, dose: r.dose, source: 'platform', ref: r.recordId });
  }
  if (toCreate.length) {
    const settled = await createRecords(
      w,
      toCreate.map((r) => ({ atenaNo: r.identityKey, raw: recordInputOf(r), opts: { source: 'platform' as const, acceptProblems: true }, meta: w.meta })),
      { logRefusals: true },
    );
    settled.forEach((s, i) => {
      if (s.ok) {
        out.created += 1;
        return;
      }
      // A record the ledger refuses (its content fails the ledger's own validation): staff look at it.
      const detail = isProblem(s.error) ? (s.error.errors?.map((e) => e.message).join('／') || s.error.detail) : '登録できませんでした';
      queue.push({ r: toCreate[i]!, reason: `接種記録として登録できません: ${detail}`, candidates: [] });
    });
  }
  for (const q of queue) {
    await w.tx
      .insertInto('municipality.match_queue')
      .values({
        tenant_code: w.tenant,
        source: PLATFORM_RECORDS_QUEUE,
        source_ref: q.r.recordId,
        query: jsonb({ atenaNo: q.r.identityKey, ...(whoIs.get(q.r.identityKey) ?? { nameKanji: null, birthDate: null }), reason: q.reason, institutionCode: q.r.institutionCode, vaccinatedOn: q.r.vaccinatedOn }),
        payload: jsonb({ data: recordInputOf(q.r), recordId: q.r.recordId } as unknown as Record<string, unknown>),
        candidates: jsonb(q.candidates),
        status: 'open',
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    out.queued += 1;
  }
  return out;
}

/**
 * Pulls every new platform record into the ledger, page by page from the tenant's cursor.  `maxPages` bounds
 * one run (the background job); a staff download runs to the end.
 */
export async function pullRecords(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: { pageSize?: number; maxPages?: number } = {}): Promise<PullReport> {
  const size = Math.max(1, Math.min(opts.pageSize ?? RECORDS_PAGE, 1000));
  const start = await runAs(deps.db, who, async (w) => {
    requirePull(w);
    await sql`INSERT INTO municipality.platform_sync (tenant_code) VALUES (${w.tenant}) ON CONFLICT (tenant_code) DO NOTHING`.execute(w.tx);
    const c = await sql<{ records_cursor: string }>`SELECT records_cursor FROM municipality.platform_sync WHERE tenant_code = ${w.tenant}`.execute(w.tx);
    const cursor = Number(c.rows[0]!.records_cursor);
    const r = await sql<{ id: string }>`
      INSERT INTO municipality.platform_record_pulls (tenant_code, started_at, started_by, cursor_from, cursor_to, status)
      VALUES (${w.tenant}, ${w.clock.now()}, ${w.actor.login}, ${cursor}, ${cursor}, 'running') RETURNING id`.execute(w.tx);
    return { pullId: r.rows[0]!.id, cursor };
  });
  const total = { fetched: 0, created: 0, queued: 0, unchanged: 0 };
  let cursor = start.cursor;
  let error: string | null = null;
  try {
    for (let page = 0; opts.maxPages === undefined || page < opts.maxPages; page++) {
      const res = await x.node.call(PLATFORM_NODE, 'records.fetch', { tenant: who.tenant, after: cursor, limit: size }, { personal: true, timeoutMs: 120_000 });
      const a = parseInput(fetchAnswerSchema, res.body);
      if (a.records.some((r) => r.seq <= cursor) || (a.records.length && a.next !== a.records[a.records.length - 1]!.seq)) {
        throw new Problem(502, 'PLATFORM_ANSWER_INVALID', '予防接種プラットフォームの応答が不正です', '記録の通し番号が順になっていません。');
      }
      if (!a.records.length) break;
      const o = await runAs(deps.db, { ...who, meta: newMeta(who.meta.program) }, async (w) => {
        // Another pull moved the cursor meanwhile: this page is theirs; start again from the new cursor.
        const c = await sql<{ records_cursor: string }>`SELECT records_cursor FROM municipality.platform_sync WHERE tenant_code = ${w.tenant} FOR UPDATE`.execute(w.tx);
        if (Number(c.rows[0]!.records_cursor) !== cursor) return { moved: Number(c.rows[0]!.records_cursor) };
        const out = await applyPage(w, a.records);
        await sql`UPDATE municipality.platform_sync SET records_cursor = ${a.next}, records_at = ${w.clock.now()} WHERE tenant_code = ${w.tenant}`.execute(w.tx);
        if (out.created + out.queued) {
          await appendEntry(w.tx, w, { action: 'import', targetType: 'platform-records', purpose: '予防接種プラットフォームの接種記録の取込（支払等の事務処理）', detail: { fetched: a.records.length, created: out.created, queued: out.queued, unchanged: out.unchanged } });
        }
        return { moved: null, out };
      });
      if (o.moved !== null) {
        cursor = o.moved;
        continue;
      }
      total.fetched += a.records.length;
      total.created += o.out!.created;
      total.queued += o.out!.queued;
      total.unchanged += o.out!.unchanged;
      cursor = a.next;
      if (a.records.length < size) break;
    }
  } catch (e) {
    error = isProblem(e) ? `${e.title}: ${e.detail}` : '予防接種プラットフォームに接続できませんでした';
  }
  await runAs(deps.db, who, async (w) => {
    await sql`UPDATE municipality.platform_record_pulls SET finished_at = ${w.clock.now()}, cursor_to = ${cursor}, fetched = ${total.fetched}, created = ${total.created},
      queued = ${total.queued}, unchanged = ${total.unchanged}, status = ${error ? 'failed' : 'complete'}, error = ${error}
      WHERE tenant_code = ${w.tenant} AND id = ${start.pullId}`.execute(w.tx);
  });
  return { pullId: start.pullId, status: error ? 'failed' : 'complete', ...total, cursor, error };
}

export interface RecordPullView {
  readonly id: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly startedBy: string;
  readonly fetched: number;
  readonly created: number;
  readonly queued: number;
  readonly unchanged: number;
  readonly status: 'running' | 'complete' | 'failed';
  readonly error: string | null;
}

/** The latest pulls, newest first, with their total. */
export async function listRecordPulls(w: Work, opts: { limit?: number; offset?: number } = {}): Promise<{ total: number; items: RecordPullView[] }> {
  requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const limit = Math.min(Math.max(opts.limit ?? 20, 1), 200);
  const rows = await sql<{ id: string; started_at: Date; finished_at: Date | null; started_by: string; fetched: number; created: number; queued: number; unchanged: number; status: RecordPullView['status']; error: string | null; total: string }>`
    SELECT id, started_at, finished_at, started_by, fetched, created, queued, unchanged, status, error, count(*) OVER () AS total
    FROM municipality.platform_record_pulls WHERE tenant_code = ${w.tenant}
    ORDER BY started_at DESC, id LIMIT ${limit} OFFSET ${Math.max(opts.offset ?? 0, 0)}`.execute(w.tx);
  const total = rows.rows[0] ? Number(rows.rows[0].total) : Number((await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.platform_record_pulls WHERE tenant_code = ${w.tenant}`.execute(w.tx)).rows[0]!.n);
  return {
    total,
    items: rows.rows.map((r) => ({ id: r.id, startedAt: r.started_at, finishedAt: r.finished_at, startedBy: r.started_by, fetched: r.fetched, created: r.created, queued: r.queued, unchanged: r.unchanged, status: r.status, error: r.error })),
  };
}
