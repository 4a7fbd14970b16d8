// The municipality's push to the digital vaccination platform (issue 12 point 3; PMH-02…04, PMH-21, RES-22;
// decision 0147; contract docs/formats/platform-protocol.md).
//
// - pushRun: one Target per person of an extraction run (modificationSeg "1"), the My Number read from the
//   vault in memory only, sent in chunks of at most 1000 through `targets.register` (encrypted).  Before the
//   first chunk, `settings.put` puts the programs and the default templates when they changed.
// - What the platform accepted is remembered per person as the hash of the Target without the My Number
//   (the vault's blind index stands in for it): a re-run sends only what changed (unless `all`).
// - A batch plans its rows (chunk, order, hash) before sending; a crashed push is resumed chunk by chunk
//   with the same idempotency key (batch id + chunk number), so the platform replays instead of duplicating.
// - pushMovements: persons the platform holds who moved out or died (住基) → modificationSeg "2" with
//   changeCategory 11/12/13 and the movement date (RES-22, PMH-04).
// - Failures (the platform unreachable, or a row `failed` by the platform) are kept per person with the
//   attempts and the next retry (backoff); retryFailed sends them again; syncPlatform (the server's
//   background job) runs movements + retries.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import { newMeta, runAs, systemActor, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { isProblem, notFound, Problem } from '../../kernel/problems/index.js';
import { PERSON_SUBJECT, requireResidentAccess, type PersonState } from '../residents/index.js';
import { catalogFor } from '../records/index.js';
import { registerAnswerSchema, type DeleteTarget, type RegisterAnswer, type RegisterTarget, type Target } from './target.js';
import { platformSettings, settingsHash } from './settings.js';
import { pullRecords, type PullReport } from './records.js';

export const PLATFORM_NODE = 'platform';
/** targets.register carries at most this many Targets per message here (the platform accepts 10,000). */
export const PUSH_CHUNK = 1000;
/** The purpose written with every My Number read of the push (operation log). */
export const PLATFORM_PURPOSE = '予防接種プラットフォームへの接種対象者の登録';
/** Backoff of a failed person: 5 minutes, doubled per attempt, at most a day. */
const BACKOFF_MIN = 5;
const BACKOFF_MAX = 24 * 60;

export interface PlatformDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

/** The municipality node's end (MunicipalExchange has it). */
export interface PlatformExchange {
  readonly node: ExchangeNode;
}

export interface PushReport {
  readonly batchId: string | null;
  readonly status: 'complete' | 'failed' | 'nothing';
  readonly sent: number;
  readonly registered: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly error: string | null;
}

const NOTHING: PushReport = { batchId: null, status: 'nothing', sent: 0, registered: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0, error: null };

type Kind = 'run' | 'movements' | 'retry';

interface PlannedRow {
  readonly atena: string;
  readonly seg: '1' | '2';
  readonly hash: string;
  readonly runId: string | null;
}

// ------------------------------------------------------------------ access

function requirePush(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
}

export function requirePlatformRead(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
}

/** Reads the My Number for sending only: the staff member who pushes never sees it (as cs.ts and vrs.ts do). */
function sendPrincipal(who: Principal): Principal {
  return { tenant: who.tenant, actor: { ...systemActor(`platform-push:${who.actor.login}`), mynumberView: true }, meta: newMeta('platform:push', { requestId: who.meta.requestId, terminalId: who.meta.terminalId, clientAddress: who.meta.clientAddress }) };
}

// ------------------------------------------------------------------ building Targets

interface PersonRow {
  atena_no: string;
  status: string;
  state: PersonState;
}

export const sexOf = (s: string | null | undefined): '1' | '2' | '9' => (s === 'male' ? '1' : s === 'female' ? '2' : '9');
const iso = (d: unknown): string | null => (d === null || d === undefined ? null : d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));

function ageOn(birth: string, today: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

function reductionOf(copays: readonly string[]): '0' | '1' | '2' | '3' {
  if (copays.some((c) => c.includes('生活保護'))) return '1';
  if (copays.some((c) => c.includes('非課税'))) return '2';
  if (copays.some((c) => c.trim() && !/^(なし|無|一般|0)$/.test(c.trim()))) return '3';
  return '0';
}

export function changeCategoryOf(p: { status: string; state: PersonState }): '11' | '12' | '13' {
  if (p.status === 'deceased' || p.state.ceasedReason === '死亡') return '12';
  if (p.status === 'moved-out') return '11';
  return '13';
}

const GONE = ['moved-out', 'deceased', 'removed'];

function groupBy<T extends { atena_no: string }>(rows: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const l = m.get(r.atena_no);
    if (l) l.push(r);
    else m.set(r.atena_no, [r]);
  }
  return m;
}

/** The Targets of these persons, without My Numbers (the hash and the plan); `null` for a person not found. */
async function buildTargets(w: Work, rows: readonly { atena: string; seg: '1' | '2'; runId: string | null }[]): Promise<Map<string, Target>> {
  const out = new Map<string, Target>();
  if (rows.length === 0) return out;
  const atenas = rows.map((r) => r.atena);
  const persons = await sql<PersonRow>`SELECT atena_no, status, state FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${atenas}::text[])`.execute(w.tx);
  const byAtena = new Map(persons.rows.map((p) => [p.atena_no, p]));
  const { catalog } = await catalogFor(w);
  const known = new Set(catalog.programsByCode.keys());
  const runIds = [...new Set(rows.filter((r) => r.seg === '1' && r.runId).map((r) => r.runId!))];
  const members = runIds.length
    ? await sql<{ run_id: string; atena_no: string; program: string; dose: number | null; earliest: unknown; latest: unknown; standard_from: unknown; as_of: unknown }>`
        SELECT m.run_id::text AS run_id, m.atena_no, m.program, m.dose, m.earliest, m.latest, m.standard_from, r.as_of
        FROM municipality.extraction_members m JOIN municipality.extraction_runs r ON r.tenant_code = m.tenant_code AND r.id = m.run_id
        WHERE m.tenant_code = ${w.tenant} AND m.run_id = ANY(${runIds}::uuid[]) AND m.atena_no = ANY(${atenas}::text[])
        ORDER BY m.atena_no, m.program`.execute(w.tx)
    : { rows: [] };
  const records = await sql<{ id: string; atena_no: string; program: string; dose: number; vaccinated_on: unknown; product: string | null; data: Record<string, unknown> }>`
    SELECT id::text AS id, atena_no, program, dose, vaccinated_on, product, data FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${atenas}::text[]) AND status = 'active' AND program IS NOT NULL AND dose IS NOT NULL AND vaccinated_on IS NOT NULL
    ORDER BY atena_no, vaccinated_on, id`.execute(w.tx);
  // Every valid 接種券 of the person (this run's and earlier ones', ad-hoc and reissued): the platform's copy
  // is the whole of what the person holds, whichever run is pushed.
  const notices = await sql<{ id: string; atena_no: string; program: string; dose: number | null; voucher_no: string; printed_on: unknown }>`
    SELECT i.id::text AS id, i.atena_no, i.program, i.dose, i.voucher_no, i.printed_on FROM municipality.notice_items i
    WHERE i.tenant_code = ${w.tenant} AND i.atena_no = ANY(${atenas}::text[]) AND i.status = 'active' AND i.voucher_no IS NOT NULL AND i.program IS NOT NULL
    ORDER BY i.atena_no, i.printed_on, i.id`.execute(w.tx);
  const membersOf = groupBy(members.rows);
  const recordsOf = groupBy(records.rows);
  const noticesOf = groupBy(notices.rows);
  const today = w.clock.today();
  for (const r of rows) {
    const p = byAtena.get(r.atena);
    if (!p) continue;
    if (r.seg === '2') {
      const t: DeleteTarget = { modificationSeg: '2', municipalityIdentityKey: r.atena, changeCategory: changeCategoryOf(p), movementDate: p.state.ceasedOn ?? p.state.latestMovementOn ?? null };
      out.set(r.atena, t);
      continue;
    }
    const s = p.state;
    const mine = (membersOf.get(r.atena) ?? []).filter((m) => m.run_id === r.runId);
    const dueOf = new Map<string, string | null>();
    const vaccinations = mine.map((m) => {
      const dose = m.dose ?? 1;
      const dueFrom = iso(m.earliest) ?? iso(m.as_of)!;
      const dueUntil = iso(m.latest);
      dueOf.set(`${m.program}|${dose}`, dueUntil);
      const recommendedOn = iso(m.standard_from) ?? dueFrom;
      return { programCode: m.program, dose, dueFrom, dueUntil, recommendation: { ruleId: `${m.program}-${dose}`, recommendedOn }, forcedExpiryDate: null, combinationNo: null };
    });
    const recs = (recordsOf.get(r.atena) ?? []).filter((x) => known.has(x.program));
    const history = recs.map((x) => {
      const d = x.data ?? {};
      const product = x.product ? catalog.productByCode.get(x.product) : undefined;
      const str = (k: string) => (typeof d[k] === 'string' && d[k] ? (d[k] as string) : null);
      return {
        recordId: x.id,
        programCode: x.program,
        dose: Number(x.dose),
        date: iso(x.vaccinated_on)!,
        product: x.product,
        vaccineName: str('vaccineName') ?? product?.name ?? x.product ?? null,
        lotNumber: str('lot'),
        institutionName: str('institutionOther') ?? str('place') ?? null,
      };
    });
    const copays = recs.map((x) => (typeof x.data?.['copayCategory'] === 'string' ? (x.data['copayCategory'] as string) : '')).filter(Boolean);
    const ns = (noticesOf.get(r.atena) ?? [])
      .filter((n) => known.has(n.program))
      .map((n) => {
        const dose = n.dose ?? 1;
        return { noticeId: n.id, templateId: 'notice-default', programCode: n.program, dose, voucherNo: n.voucher_no, issuedOn: iso(n.printed_on)!, dueUntil: dueOf.get(`${n.program}|${dose}`) ?? null };
      });
    const guardian = s.householderName && s.householderName !== s.nameKanji && s.birthDate && ageOn(s.birthDate, today) < 18 ? s.householderName : null;
    const t: RegisterTarget = {
      modificationSeg: '1',
      municipalityIdentityKey: r.atena,
      myNumber: '',
      basicFiveInfo: { name: s.nameKanji, nameKana: s.nameKana ?? '', address: [s.address, s.katagaki].filter(Boolean).join(' '), dateOfBirth: s.birthDate, sex: sexOf(s.sex) },
      guardianName: guardian,
      isNotDisclosed: false,
      isDeleted: false,
      changeCategory: null,
      movementDate: null,
      targetCategory: '1',
      reductionCategory: reductionOf(copays),
      vaccinations,
      history,
      notices: ns,
    };
    out.set(r.atena, t);
  }
  return out;
}

/** The hash the platform's copy is remembered by: the Target without the My Number, plus the blind index. */
function hashOf(t: Target, blind: Buffer | undefined): string {
  const body = t.modificationSeg === '1' ? { ...t, myNumber: undefined } : t;
  return createHash('sha256').update(JSON.stringify(body)).update('|').update(blind ? blind.toString('hex') : '').digest('hex');
}

// ------------------------------------------------------------------ batches

function fileNameOf(kind: Kind, w: Work): string {
  const stamp = w.clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `mamori-${w.tenant}-${kind}-${stamp}`;
}

async function createBatch(w: Work, kind: Kind, runId: string | null, planned: readonly PlannedRow[], chunkSize: number): Promise<string> {
  const chunks = Math.ceil(planned.length / chunkSize);
  const b = await sql<{ id: string }>`
    INSERT INTO municipality.platform_push_batches (tenant_code, kind, run_id, file_name, started_at, started_by, chunks, status)
    VALUES (${w.tenant}, ${kind}, ${runId}, ${fileNameOf(kind, w)}, ${w.clock.now()}, ${w.actor.login}, ${chunks}, 'running') RETURNING id::text AS id`.execute(w.tx);
  const id = b.rows[0]!.id;
  for (let i = 0; i < planned.length; i += 500) {
    const part = planned.slice(i, i + 500);
    const values = part.map((p, j) => sql`(${w.tenant}, ${id}::uuid, ${p.atena}, ${Math.floor((i + j) / chunkSize) + 1}, ${i + j}, ${p.seg}, ${p.hash}, 'planned')`);
    await sql`INSERT INTO municipality.platform_push_rows (tenant_code, batch_id, atena_no, chunk, seq, modification_seg, target_hash, status) VALUES ${sql.join(values)}`.execute(w.tx);
  }
  // The run (or, for a retry, the person's last run) is kept for rebuilding the Target at send time.
  for (let i = 0; i < planned.length; i += 1000) {
    const part = planned.slice(i, i + 1000);
    await sql`
      INSERT INTO municipality.platform_targets (tenant_code, atena_no, run_id, status, at)
      SELECT ${w.tenant}, a, r::uuid, 'pending', ${w.clock.now()} FROM unnest(${part.map((p) => p.atena)}::text[], ${part.map((p) => p.runId)}::text[]) AS u(a, r)
      ON CONFLICT (tenant_code, atena_no) DO UPDATE SET run_id = COALESCE(excluded.run_id, municipality.platform_targets.run_id)`.execute(w.tx);
  }
  await appendEntry(w.tx, w, { action: 'export', targetType: 'platform-push', targetId: id, purpose: PLATFORM_PURPOSE, detail: { to: PLATFORM_NODE, kind, runId, targets: planned.length, chunks } });
  return id;
}

interface BatchRow {
  id: string;
  kind: Kind;
  run_id: string | null;
  file_name: string;
  chunks: number;
  chunks_done: number;
  status: string;
}

async function batchRow(w: Work, id: string): Promise<BatchRow> {
  const r = await sql<BatchRow>`SELECT id::text AS id, kind, run_id::text AS run_id, file_name, chunks, chunks_done, status FROM municipality.platform_push_batches WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  if (!r.rows[0]) throw notFound('連携の記録');
  return r.rows[0];
}

function backoffAt(w: Work, attempts: number): Date {
  const min = Math.min(BACKOFF_MIN * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX);
  return new Date(w.clock.now().getTime() + min * 60_000);
}

/** Marks rows failed (not sent or refused): kept with the attempts and the next retry. */
async function failRows(w: Work, batch: BatchRow, rows: readonly { atena: string; seg: '1' | '2' }[], error: string, retry: boolean): Promise<void> {
  for (const r of rows) {
    await sql`UPDATE municipality.platform_push_rows SET status = 'failed', error = ${error} WHERE tenant_code = ${w.tenant} AND batch_id = ${batch.id}::uuid AND atena_no = ${r.atena}`.execute(w.tx);
    const cur = await sql<{ attempts: number }>`SELECT attempts FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} AND atena_no = ${r.atena}`.execute(w.tx);
    const attempts = Number(cur.rows[0]?.attempts ?? 0) + 1;
    await sql`
      UPDATE municipality.platform_targets SET status = 'error', error = ${error}, pending_seg = ${r.seg}, attempts = ${attempts},
        next_retry_at = ${retry ? backoffAt(w, attempts) : null}, file_name = ${batch.file_name}, at = ${w.clock.now()}
      WHERE tenant_code = ${w.tenant} AND atena_no = ${r.atena}`.execute(w.tx);
  }
}

async function finishBatch(w: Work, id: string, status: 'complete' | 'failed', error: string | null): Promise<PushReport> {
  const c = await sql<{ registered: number; updated: number; deleted: number; unchanged: number; failed: number }>`
    SELECT count(*) FILTER (WHERE status = 'registered')::int AS registered, count(*) FILTER (WHERE status = 'updated')::int AS updated,
      count(*) FILTER (WHERE status = 'deleted')::int AS deleted, count(*) FILTER (WHERE status = 'unchanged')::int AS unchanged,
      count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM municipality.platform_push_rows WHERE tenant_code = ${w.tenant} AND batch_id = ${id}::uuid`.execute(w.tx);
  const k = c.rows[0]!;
  const b = await sql<{ sent: number }>`SELECT sent FROM municipality.platform_push_batches WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  const sent = Number(b.rows[0]?.sent ?? 0);
  await sql`
    UPDATE municipality.platform_push_batches SET status = ${status}, error = ${error}, finished_at = ${w.clock.now()},
      registered = ${k.registered}, updated = ${k.updated}, deleted = ${k.deleted}, unchanged = ${k.unchanged}, failed = ${k.failed}
    WHERE tenant_code = ${w.tenant} AND id = ${id}::uuid`.execute(w.tx);
  return { batchId: id, status, sent, registered: k.registered, updated: k.updated, deleted: k.deleted, unchanged: k.unchanged, failed: k.failed, error };
}

const problemText = (e: unknown): string => (isProblem(e) ? `${e.title}${e.detail ? `（${e.detail}）` : ''}` : '予防接種プラットフォームとの連携中にエラーが発生しました');

/** Sends the batch's chunks from the first not yet answered; each answer is recorded before the next chunk. */
async function sendBatch(deps: PlatformDeps, who: Principal, x: PlatformExchange, batchId: string): Promise<PushReport> {
  const sender = sendPrincipal(who);
  for (;;) {
    const step = await runAs(deps.db, sender, async (w) => {
      const b = await batchRow(w, batchId);
      if (b.chunks_done >= b.chunks) return null;
      const chunk = b.chunks_done + 1;
      const rows = await sql<{ atena_no: string; modification_seg: '1' | '2'; target_hash: string; run_id: string | null }>`
        SELECT r.atena_no, r.modification_seg, r.target_hash, t.run_id::text AS run_id FROM municipality.platform_push_rows r
        LEFT JOIN municipality.platform_targets t ON t.tenant_code = r.tenant_code AND t.atena_no = r.atena_no
        WHERE r.tenant_code = ${w.tenant} AND r.batch_id = ${batchId}::uuid AND r.chunk = ${chunk} ORDER BY r.seq`.execute(w.tx);
      const plan = rows.rows.map((r) => ({ atena: r.atena_no, seg: r.modification_seg, runId: b.run_id ?? r.run_id }));
      const built = await buildTargets(w, plan);
      const items: Target[] = [];
      const order: Sent[] = [];
      const missing: { atena: string; seg: '1' | '2' }[] = [];
      const noNumber: { atena: string; seg: '1' | '2' }[] = [];
      for (const [i, p] of plan.entries()) {
        const t = built.get(p.atena);
        if (!t) {
          missing.push(p);
          continue;
        }
        if (t.modificationSeg === '1') {
          // In memory only, for this message: never stored, logged or shown.
          try {
            t.myNumber = await deps.vault.reveal(w, { subjectType: PERSON_SUBJECT, subjectId: p.atena }, PLATFORM_PURPOSE, { subjectRef: `resident:${p.atena}` });
          } catch (e) {
            // Erased since the batch was planned: not sent, and not retried until the number is held again.
            if (!isProblem(e) || e.status >= 500) throw e;
            noNumber.push(p);
            continue;
          }
        }
        items.push(t);
        order.push({ atena: p.atena, seg: p.seg, hash: rows.rows[i]!.target_hash, changeCategory: t.modificationSeg === '2' ? t.changeCategory : null, movementDate: t.modificationSeg === '2' ? t.movementDate : null });
      }
      if (missing.length) await failRows(w, b, missing, '住民記録が見つかりません', false);
      if (noNumber.length) await failRows(w, b, noNumber, '個人番号が登録されていないため登録できません', false);
      return { b, chunk, items, order };
    });
    if (!step) break;
    const { b, chunk, items, order } = step;
    let answer: RegisterAnswer | null = null;
    let error: string | null = null;
    if (items.length) {
      try {
        const res = await x.node.call(PLATFORM_NODE, 'targets.register', { tenant: who.tenant, fileName: b.file_name, idempotencyKey: `${batchId}:${chunk}`, items }, { personal: true, timeoutMs: 120_000 });
        const parsed = registerAnswerSchema.safeParse(res.body);
        if (!parsed.success) throw new Problem(502, 'PLATFORM_BAD_ANSWER', '予防接種プラットフォームの応答を読めません', '登録の応答の形式が正しくありません。');
        answer = parsed.data;
      } catch (e) {
        // A Problem is the platform's (or the network's) answer: recorded, kept for a retry.  Anything else
        // is this process failing: the batch stays running and the next push resumes it from this chunk.
        if (!isProblem(e)) throw e;
        error = problemText(e);
      }
    }
    items.length = 0; // the My Numbers go out of reach with the message
    const done = await runAs(deps.db, who, async (w) => {
      if (error !== null) {
        // Nothing of this chunk or the later ones was accepted: every planned row is kept for a retry.
        const rest = await sql<{ atena_no: string; modification_seg: '1' | '2' }>`
          SELECT atena_no, modification_seg FROM municipality.platform_push_rows WHERE tenant_code = ${w.tenant} AND batch_id = ${batchId}::uuid AND status = 'planned' ORDER BY seq`.execute(w.tx);
        await failRows(w, b, rest.rows.map((r) => ({ atena: r.atena_no, seg: r.modification_seg })), error, true);
        await sql`UPDATE municipality.platform_push_batches SET chunks_done = chunks WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid`.execute(w.tx);
        return finishBatch(w, batchId, 'failed', error);
      }
      await applyAnswer(w, b, order, answer);
      await sql`UPDATE municipality.platform_push_batches SET chunks_done = ${chunk}, sent = sent + ${order.length} WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid AND chunks_done = ${chunk - 1}`.execute(w.tx);
      return null;
    });
    if (done) return done;
  }
  return runAs(deps.db, who, (w) => finishBatch(w, batchId, 'complete', null));
}

interface Sent {
  readonly atena: string;
  readonly seg: '1' | '2';
  readonly hash: string;
  readonly changeCategory: string | null;
  readonly movementDate: string | null;
}

async function applyAnswer(w: Work, b: BatchRow, order: readonly Sent[], answer: RegisterAnswer | null): Promise<void> {
  if (!answer) return;
  const byIndex = new Map(answer.results.map((r) => [r.index, r]));
  const failed: { atena: string; seg: '1' | '2' }[] = [];
  const failedWhy = new Map<string, string>();
  for (const [i, o] of order.entries()) {
    const r = byIndex.get(i);
    if (!r || r.municipalityIdentityKey !== o.atena) {
      failed.push(o);
      failedWhy.set(o.atena, '予防接種プラットフォームの応答にこの方の結果がありません');
      continue;
    }
    const targetId = r.targetId && /^T\d{15}$/.test(r.targetId) ? r.targetId : null;
    if (r.status === 'failed') {
      failed.push(o);
      failedWhy.set(o.atena, r.linkage?.error ? `PMHキーとの紐付けができませんでした: ${r.linkage.error}` : '予防接種プラットフォームが登録できませんでした');
      if (targetId) await sql`UPDATE municipality.platform_targets SET target_id = ${targetId} WHERE tenant_code = ${w.tenant} AND atena_no = ${o.atena}`.execute(w.tx);
      continue;
    }
    const status = o.seg === '2' || r.status === 'deleted' ? 'deleted' : r.linkage?.status === 'linked' ? 'linked' : r.linkage?.status === 'error' ? 'error' : 'pending';
    const linkError = status === 'error' ? (r.linkage?.error ?? 'PMHキーとの紐付けができませんでした') : null;
    await sql`UPDATE municipality.platform_push_rows SET status = ${r.status}, target_id = ${targetId}, error = ${linkError} WHERE tenant_code = ${w.tenant} AND batch_id = ${b.id}::uuid AND atena_no = ${o.atena}`.execute(w.tx);
    await sql`
      UPDATE municipality.platform_targets SET sent_seg = ${o.seg}, sent_hash = ${o.hash}, pending_seg = NULL, status = ${status}, error = ${linkError},
        target_id = COALESCE(${targetId}, target_id), change_category = ${o.changeCategory}, movement_date = ${o.movementDate}::date, file_name = ${b.file_name}, at = ${w.clock.now()}, attempts = 0, next_retry_at = NULL
      WHERE tenant_code = ${w.tenant} AND atena_no = ${o.atena}`.execute(w.tx);
  }
  for (const f of failed) await failRows(w, b, [f], failedWhy.get(f.atena)!, true);
}

// ------------------------------------------------------------------ settings

/** Puts the 予防接種設定 and the templates on the platform when they changed since the last put. */
export async function ensureSettings(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: { force?: boolean } = {}): Promise<boolean> {
  const { settings, hash, prev } = await runAs(deps.db, who, async (w) => {
    const { catalog } = await catalogFor(w);
    const settings = platformSettings(w.tenant, catalog);
    const prev = await sql<{ settings_hash: string | null }>`SELECT settings_hash FROM municipality.platform_sync WHERE tenant_code = ${w.tenant}`.execute(w.tx);
    return { settings, hash: settingsHash(settings), prev: prev.rows[0]?.settings_hash ?? null };
  });
  if (!opts.force && prev === hash) return false;
  await x.node.call(PLATFORM_NODE, 'settings.put', settings, { timeoutMs: 60_000 });
  await runAs(deps.db, who, (w) =>
    sql`INSERT INTO municipality.platform_sync (tenant_code, settings_hash, settings_at) VALUES (${w.tenant}, ${hash}, ${w.clock.now()})
        ON CONFLICT (tenant_code) DO UPDATE SET settings_hash = excluded.settings_hash, settings_at = excluded.settings_at`.execute(w.tx),
  );
  return true;
}

async function settingsOrFail(deps: PlatformDeps, who: Principal, x: PlatformExchange, batchId: string): Promise<PushReport | null> {
  try {
    await ensureSettings(deps, who, x);
    return null;
  } catch (e) {
    const error = problemText(e);
    return runAs(deps.db, who, async (w) => {
      const b = await batchRow(w, batchId);
      const rest = await sql<{ atena_no: string; modification_seg: '1' | '2' }>`
        SELECT atena_no, modification_seg FROM municipality.platform_push_rows WHERE tenant_code = ${w.tenant} AND batch_id = ${batchId}::uuid AND status = 'planned' ORDER BY seq`.execute(w.tx);
      await failRows(w, b, rest.rows.map((r) => ({ atena: r.atena_no, seg: r.modification_seg })), error, true);
      await sql`UPDATE municipality.platform_push_batches SET chunks_done = chunks WHERE tenant_code = ${w.tenant} AND id = ${batchId}::uuid`.execute(w.tx);
      return finishBatch(w, batchId, 'failed', error);
    });
  }
}

// ------------------------------------------------------------------ the three pushes

export interface PushRunOptions {
  readonly runId: string;
  /** Send every person of the run, also those whose Target is unchanged. */
  readonly all?: boolean;
  /** Targets per message (default and at most 1000). */
  readonly chunkSize?: number;
}

async function runningBatch(w: Work, kind: Kind, runId: string | null): Promise<string | null> {
  const r = await sql<{ id: string }>`
    SELECT id::text AS id FROM municipality.platform_push_batches WHERE tenant_code = ${w.tenant} AND kind = ${kind} AND status = 'running'
      AND run_id IS NOT DISTINCT FROM ${runId}::uuid ORDER BY started_at LIMIT 1`.execute(w.tx);
  return r.rows[0]?.id ?? null;
}

async function plan(w: Work, vault: Vault, rows: readonly { atena: string; seg: '1' | '2'; runId: string | null }[], all: boolean): Promise<{ planned: PlannedRow[]; noNumber: string[] }> {
  const planned: PlannedRow[] = [];
  const noNumber: string[] = [];
  // A slice at a time: the Targets of a large run are never all in memory at once.
  for (let i = 0; i < rows.length; i += PUSH_CHUNK) {
    const part = await planSlice(w, vault, rows.slice(i, i + PUSH_CHUNK), all);
    planned.push(...part.planned);
    noNumber.push(...part.noNumber);
  }
  return { planned, noNumber };
}

async function planSlice(w: Work, vault: Vault, rows: readonly { atena: string; seg: '1' | '2'; runId: string | null }[], all: boolean): Promise<{ planned: PlannedRow[]; noNumber: string[] }> {
  const built = await buildTargets(w, rows);
  const blind = await vault.storedIndexes(w, PERSON_SUBJECT, rows.filter((r) => r.seg === '1').map((r) => r.atena));
  const sentRows = await sql<{ atena_no: string; sent_hash: string | null; status: string }>`
    SELECT atena_no, sent_hash, status FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${rows.map((r) => r.atena)}::text[])`.execute(w.tx);
  const sent = new Map(sentRows.rows.map((r) => [r.atena_no, r]));
  const planned: PlannedRow[] = [];
  const noNumber: string[] = [];
  for (const r of rows) {
    const t = built.get(r.atena);
    if (!t) continue;
    if (t.modificationSeg === '1' && !blind.has(r.atena)) {
      noNumber.push(r.atena);
      continue;
    }
    const hash = hashOf(t, blind.get(r.atena));
    const s = sent.get(r.atena);
    if (!all && s?.sent_hash === hash && s.status !== 'error') continue;
    planned.push({ atena: r.atena, seg: r.seg, hash, runId: r.runId });
  }
  return { planned, noNumber };
}

/** Persons without a My Number cannot be registered (the platform needs it for the PMH key): kept as errors, not retried. */
async function recordNoNumber(w: Work, atenas: readonly string[]): Promise<void> {
  for (const a of atenas) {
    await sql`
      INSERT INTO municipality.platform_targets (tenant_code, atena_no, status, error, at) VALUES (${w.tenant}, ${a}, 'error', '個人番号が登録されていないため登録できません', ${w.clock.now()})
      ON CONFLICT (tenant_code, atena_no) DO UPDATE SET status = 'error', error = excluded.error, at = excluded.at, next_retry_at = NULL`.execute(w.tx);
  }
}

/**
 * Registers the persons of an extraction run on the platform (PMH-02): only those whose Target changed since
 * the platform last accepted it (all with `all`).  A batch left running by a crash is resumed first.
 */
export async function pushRun(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: PushRunOptions): Promise<PushReport> {
  const size = Math.max(1, Math.min(opts.chunkSize ?? PUSH_CHUNK, PUSH_CHUNK));
  if (!/^[0-9a-f-]{36}$/i.test(opts.runId)) throw notFound('抽出');
  const start = await runAs(deps.db, who, async (w) => {
    requirePush(w);
    const run = await sql<{ status: string }>`SELECT status FROM municipality.extraction_runs WHERE tenant_code = ${w.tenant} AND id = ${opts.runId}::uuid`.execute(w.tx);
    if (!run.rows[0]) throw notFound('抽出');
    if (run.rows[0].status !== 'complete') throw new Problem(409, 'RUN_NOT_COMPLETE', '抽出が完了していません', '完了した抽出の対象者だけを予防接種プラットフォームに登録できます。');
    const resume = await runningBatch(w, 'run', opts.runId);
    if (resume) return { batchId: resume, resumed: true, noNumber: 0 };
    const m = await sql<{ atena_no: string }>`
      SELECT DISTINCT m.atena_no FROM municipality.extraction_members m JOIN municipality.persons p ON p.tenant_code = m.tenant_code AND p.atena_no = m.atena_no
      WHERE m.tenant_code = ${w.tenant} AND m.run_id = ${opts.runId}::uuid AND p.status NOT IN ('moved-out', 'deceased', 'removed') ORDER BY m.atena_no`.execute(w.tx);
    const rows = m.rows.map((r) => ({ atena: r.atena_no, seg: '1' as const, runId: opts.runId }));
    const { planned, noNumber } = await plan(w, deps.vault, rows, !!opts.all);
    await recordNoNumber(w, noNumber);
    if (planned.length === 0) return { batchId: null, resumed: false, noNumber: noNumber.length };
    return { batchId: await createBatch(w, 'run', opts.runId, planned, size), resumed: false, noNumber: noNumber.length };
  });
  if (!start.batchId) return { ...NOTHING, failed: start.noNumber };
  const settingsFailed = await settingsOrFail(deps, who, x, start.batchId);
  const r = settingsFailed ?? (await sendBatch(deps, who, x, start.batchId));
  return { ...r, failed: r.failed + start.noNumber };
}

/**
 * Persons the platform holds who have moved out, died or been removed from the 住民基本台帳 → modificationSeg
 * "2" with changeCategory 11/12/13 and the movement date (RES-22, PMH-04).  The watermark records the last
 * check; the selection itself is every person the platform holds as registered whose 住基 status says they
 * left, so nothing is missed between two checks.
 */
export async function pushMovements(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: { chunkSize?: number } = {}): Promise<PushReport> {
  const size = Math.max(1, Math.min(opts.chunkSize ?? PUSH_CHUNK, PUSH_CHUNK));
  const batchId = await runAs(deps.db, who, async (w) => {
    requirePush(w);
    const resume = await runningBatch(w, 'movements', null);
    if (resume) return resume;
    const gone = await sql<{ atena_no: string }>`
      SELECT t.atena_no FROM municipality.platform_targets t JOIN municipality.persons p ON p.tenant_code = t.tenant_code AND p.atena_no = t.atena_no
      WHERE t.tenant_code = ${w.tenant} AND t.sent_seg = '1' AND t.pending_seg IS DISTINCT FROM '2' AND p.status = ANY(${GONE}::text[])
      ORDER BY t.atena_no`.execute(w.tx);
    const { planned } = await plan(w, deps.vault, gone.rows.map((r) => ({ atena: r.atena_no, seg: '2' as const, runId: null })), true);
    const mark = await sql<{ at: Date | null }>`SELECT max(recorded_at) AS at FROM municipality.person_versions WHERE tenant_code = ${w.tenant}`.execute(w.tx);
    await sql`INSERT INTO municipality.platform_sync (tenant_code, movements_watermark) VALUES (${w.tenant}, ${mark.rows[0]?.at ?? null})
      ON CONFLICT (tenant_code) DO UPDATE SET movements_watermark = excluded.movements_watermark`.execute(w.tx);
    if (planned.length === 0) return null;
    return createBatch(w, 'movements', null, planned, size);
  });
  if (!batchId) return NOTHING;
  return sendBatch(deps, who, x, batchId);
}

/** Sends again what failed and is due (every failed person with `force`), in one batch. */
export async function retryFailed(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: { force?: boolean; atenaNos?: readonly string[]; chunkSize?: number } = {}): Promise<PushReport> {
  const size = Math.max(1, Math.min(opts.chunkSize ?? PUSH_CHUNK, PUSH_CHUNK));
  const batchId = await runAs(deps.db, who, async (w) => {
    requirePush(w);
    const resume = await runningBatch(w, 'retry', null);
    if (resume) return resume;
    const due = opts.force ? sql`` : sql`AND t.next_retry_at IS NOT NULL AND t.next_retry_at <= ${w.clock.now()}`;
    const only = opts.atenaNos ? sql`AND t.atena_no = ANY(${[...opts.atenaNos]}::text[])` : sql``;
    const rows = await sql<{ atena_no: string; pending_seg: '1' | '2'; sent_seg: string | null; run_id: string | null; gone: boolean }>`
      SELECT t.atena_no, t.pending_seg, t.sent_seg, t.run_id::text AS run_id, coalesce(p.status = ANY(${GONE}::text[]), true) AS gone
      FROM municipality.platform_targets t LEFT JOIN municipality.persons p ON p.tenant_code = t.tenant_code AND p.atena_no = t.atena_no
      WHERE t.tenant_code = ${w.tenant} AND t.status = 'error' AND t.pending_seg IS NOT NULL ${due} ${only} ORDER BY t.atena_no`.execute(w.tx);
    // A registration still owed for someone who has since left: the platform is told of the deletion when it
    // holds the person, and nothing is sent when it never did.
    const todo: { atena: string; seg: '1' | '2'; runId: string | null }[] = [];
    for (const r of rows.rows) {
      if (r.pending_seg === '1' && r.gone) {
        if (r.sent_seg === '1') todo.push({ atena: r.atena_no, seg: '2', runId: r.run_id });
        else await sql`UPDATE municipality.platform_targets SET status = 'deleted', pending_seg = NULL, next_retry_at = NULL, error = '転出・死亡等のため登録しません' WHERE tenant_code = ${w.tenant} AND atena_no = ${r.atena_no}`.execute(w.tx);
      } else todo.push({ atena: r.atena_no, seg: r.pending_seg, runId: r.run_id });
    }
    const { planned, noNumber } = await plan(w, deps.vault, todo, true);
    await recordNoNumber(w, noNumber);
    if (planned.length === 0) return null;
    return createBatch(w, 'retry', null, planned, size);
  });
  if (!batchId) return NOTHING;
  const settingsFailed = await settingsOrFail(deps, who, x, batchId);
  return settingsFailed ?? sendBatch(deps, who, x, batchId);
}

const linkageItemSchema = z.object({
  municipalityIdentityKey: z.string(),
  targetId: z.string().nullable().optional(),
  status: z.string(),
  error: z.string().nullable().optional(),
});

/**
 * Reads back from the platform (`linkage.list`) the linkage status of the persons still 紐付け待ち here
 * (PMH-21: the PMH key may be linked after the registration's answer), 1000 at a time.  Returns how many
 * changed.
 */
export async function refreshLinkage(deps: PlatformDeps, who: Principal, x: PlatformExchange): Promise<{ asked: number; changed: number }> {
  const keys = await runAs(deps.db, who, async (w) => {
    requirePlatformRead(w);
    // Those still waiting, and those held as linked: the platform's operator may have deleted one since (PMH-03).
    const r = await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.platform_targets WHERE tenant_code = ${w.tenant} AND status IN ('pending', 'linked') AND sent_seg = '1' ORDER BY atena_no`.execute(w.tx);
    return r.rows.map((x) => x.atena_no);
  });
  let changed = 0;
  for (let i = 0; i < keys.length; i += PUSH_CHUNK) {
    const part = keys.slice(i, i + PUSH_CHUNK);
    const res = await x.node.call(PLATFORM_NODE, 'linkage.list', { tenant: who.tenant, keys: part }, { timeoutMs: 60_000 });
    const items = z.object({ items: z.array(linkageItemSchema) }).safeParse(res.body);
    if (!items.success) throw new Problem(502, 'PLATFORM_BAD_ANSWER', '予防接種プラットフォームの応答を読めません', '連携状況の一覧の形式が正しくありません。');
    const asked = new Set(part);
    changed += await runAs(deps.db, who, async (w) => {
      let n = 0;
      for (const it of items.data.items) {
        if (!asked.has(it.municipalityIdentityKey)) continue;
        const status = it.status === 'linked' ? 'linked' : it.status === 'error' ? 'error' : it.status === 'deleted' ? 'deleted' : null;
        if (!status) continue;
        const targetId = it.targetId && /^T\d{15}$/.test(it.targetId) ? it.targetId : null;
        const u = await sql`
          UPDATE municipality.platform_targets SET status = ${status}, error = ${status === 'error' ? (it.error ? `PMHキーとの紐付けができませんでした: ${it.error}` : 'PMHキーとの紐付けができませんでした') : null},
            target_id = COALESCE(${targetId}, target_id), at = ${w.clock.now()},
            -- Deleted at the platform: forget what it held, so that the next push sends the person again.
            sent_hash = CASE WHEN ${status} = 'deleted' THEN NULL ELSE sent_hash END,
            sent_seg = CASE WHEN ${status} = 'deleted' THEN NULL ELSE sent_seg END
          WHERE tenant_code = ${w.tenant} AND atena_no = ${it.municipalityIdentityKey} AND status IN ('pending', 'linked') AND status <> ${status}`.execute(w.tx);
        n += Number(u.numAffectedRows ?? 0);
      }
      return n;
    });
  }
  return { asked: keys.length, changed };
}

export function platformJobPrincipal(tenant: string): Principal {
  return { tenant, actor: systemActor('job:platform-sync'), meta: newMeta('job:platform-sync') };
}

/** The background job: 住基 movements, the retries that are due, the linkage status read back, then new clinic records. */
export async function syncPlatform(deps: PlatformDeps, x: PlatformExchange, tenant: string): Promise<{ movements: PushReport; retried: PushReport; linkage: { asked: number; changed: number }; records: PullReport }> {
  const who = platformJobPrincipal(tenant);
  const movements = await pushMovements(deps, who, x);
  const retried = await retryFailed(deps, who, x);
  const linkage = await refreshLinkage(deps, who, x);
  // PMH-18 自動連携: the records clinics registered since the last run (at most 20 pages a run).
  const records = await pullRecords(deps, who, x, { maxPages: 20 });
  return { movements, retried, linkage, records };
}

