// Target registration (PMH-02…08, PMH-21): the one domain function behind both the REST API
// (`POST /pmh/v1/targets`, Bearer) and the message service `targets.register`.  Every row is validated
// before anything is written (any bad row rejects the request, naming row and field); PMH keys are obtained
// from 支払基金 (insurerhub `pmhkey.issue`) for new or changed rows, with the returned My Number compared to
// the one sent (PMH-08) and a mis-link reported as a linkage error (PMH-07) instead of a link; everything is
// then written in one transaction; a replay of the same rows is `unchanged`, and a replay under the same
// Idempotency-Key returns the first answer.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode } from '../kernel/exchange/index.js';
import { conflict, fieldErrorsFromZod, isProblem, Problem, validationFailed, type FieldError } from '../kernel/problems/index.js';
import { MAX_ROWS, targetSchema, type DeleteRow, type RegisterRow, type TargetRow } from './model.js';
import { withTenant, type Db, type PlatformSecrets, type Tx } from './store.js';
import type { Tenant } from './tenants.js';

export const INSURERHUB_NODE = 'insurerhub';
export const HUB_BATCH = 1000;

export interface PlatformDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: PlatformSecrets;
  readonly node: ExchangeNode;
}

export type RowStatus = 'registered' | 'updated' | 'deleted' | 'unchanged' | 'failed';

export interface RowResult {
  readonly index: number;
  readonly municipalityIdentityKey: string;
  readonly targetId: string | null;
  readonly status: RowStatus;
  readonly linkage: { readonly status: 'linked' | 'error' | 'deleted'; readonly error: string | null };
}

export interface RegistrationAnswer {
  readonly callId: string;
  readonly fileName: string;
  readonly sent: number;
  readonly registered: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly results: RowResult[];
}

export interface RegistrationInput {
  readonly items: unknown;
  readonly fileName?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly source: 'api' | 'exchange';
  /** Who called: the API user id, or the sending node. */
  readonly caller: string;
}

const HUB_ERRORS: Record<string, string> = {
  NOT_ENROLLED: '医療保険者等向け中間サーバーに個人番号の登録がありません',
  MISMATCH: '医療保険者等向け中間サーバーの基本情報と一致しません',
  MYNUMBER_CHANGED: '返却された個人番号が送った個人番号と一致しません',
  HUB_UNAVAILABLE: '医療保険者等向け中間サーバーに接続できませんでした（再送してください）',
  HUB_BAD_ANSWER: '医療保険者等向け中間サーバーの応答を読めません（再送してください）',
};
const FIELD_LABELS: Record<string, string> = { nameKana: 'カナ氏名', name: '氏名', dateOfBirth: '生年月日', sex: '性別', address: '住所' };

function hubError(code: string, fields?: readonly string[]): string {
  const base = HUB_ERRORS[code] ?? `PMHキーを取得できませんでした（${code}）`;
  return fields && fields.length ? `${base}: ${fields.map((f) => FIELD_LABELS[f] ?? f).join('、')}` : base;
}

/** Validates every row, naming row and field; any error rejects the whole request. */
export async function validateRows(tx: Tx, items: unknown): Promise<TargetRow[]> {
  if (!Array.isArray(items)) throw validationFailed([{ field: 'items', code: 'INVALID_TYPE', message: '対象者の配列を指定してください' }]);
  if (items.length === 0 || items.length > MAX_ROWS) {
    throw validationFailed([{ field: 'items', code: 'INVALID_SIZE', message: `対象者は1件以上${MAX_ROWS.toLocaleString('ja-JP')}件以下で指定してください` }]);
  }
  const programs = new Set((await sql<{ program_code: string }>`SELECT program_code FROM platform.vaccination_settings`.execute(tx)).rows.map((r) => r.program_code));
  const noticeTemplates = new Set((await sql<{ template_id: string }>`SELECT template_id FROM platform.templates WHERE kind = 'notice'`.execute(tx)).rows.map((r) => r.template_id));
  const errors: FieldError[] = [];
  const rows: TargetRow[] = [];
  const seen = new Map<string, number>();
  items.forEach((raw, i) => {
    const r = targetSchema.safeParse(raw);
    if (!r.success) {
      errors.push(...fieldErrorsFromZod(r.error, `items.${i}`));
      return;
    }
    const row = r.data;
    const prev = seen.get(row.municipalityIdentityKey);
    if (prev !== undefined) errors.push({ field: `items.${i}.municipalityIdentityKey`, code: 'DUPLICATE', message: `同じ自治体業務IDが ${prev} 件目にもあります` });
    seen.set(row.municipalityIdentityKey, i);
    if (row.modificationSeg === '1') {
      const unknown = (path: string, code: string) => errors.push({ field: `items.${i}.${path}`, code: 'UNKNOWN_PROGRAM', message: `予防接種設定に登録されていない予防接種です（${code}）` });
      row.vaccinations.forEach((v, j) => programs.has(v.programCode) || unknown(`vaccinations.${j}.programCode`, v.programCode));
      row.history.forEach((v, j) => programs.has(v.programCode) || unknown(`history.${j}.programCode`, v.programCode));
      row.notices.forEach((v, j) => {
        if (!programs.has(v.programCode)) unknown(`notices.${j}.programCode`, v.programCode);
        if (!noticeTemplates.has(v.templateId)) errors.push({ field: `items.${i}.notices.${j}.templateId`, code: 'UNKNOWN_TEMPLATE', message: `登録されていない通知の雛形です（${v.templateId}）` });
      });
    }
    rows.push(row);
  });
  if (errors.length) throw validationFailed(errors.slice(0, 200));
  return rows;
}

interface Existing {
  target_id: string;
  identity_key: string;
  mynumber_index: Buffer | null;
  content_hash: Buffer | null;
  pmh_key: string | null;
  link_status: 'linked' | 'error' | 'deleted';
}

/** A new 予防接種対象者番号: `T` + 15 random digits (one CSPRNG call for a whole chunk; see newTargetIds). */
function newTargetIds(n: number): string[] {
  const b = randomBytes(n * 8);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = `T${(b.readBigUInt64BE(i * 8) % 1_000_000_000_000_000n).toString().padStart(15, '0')}`;
  return out;
}

interface HubOutcome {
  pmhKey?: string;
  error?: string;
}

/** Asks 支払基金 for the PMH keys of `rows` (PMH-05/06), checking PMH-08 on every answer. */
async function issueKeys(node: ExchangeNode, rows: readonly RegisterRow[]): Promise<HubOutcome[]> {
  const out: HubOutcome[] = new Array(rows.length);
  for (let start = 0; start < rows.length; start += HUB_BATCH) {
    const chunk = rows.slice(start, start + HUB_BATCH);
    let items: unknown;
    try {
      const answer = await node.call(INSURERHUB_NODE, 'pmhkey.issue', { items: chunk.map((r, i) => ({ ref: String(start + i), myNumber: r.myNumber, basicFiveInfo: r.basicFiveInfo })) }, { personal: true, timeoutMs: 60_000 });
      items = (answer.body as { items?: unknown } | null)?.items;
    } catch (e) {
      if (!isProblem(e)) throw e;
      for (let i = 0; i < chunk.length; i++) out[start + i] = { error: hubError('HUB_UNAVAILABLE') };
      continue;
    }
    const byRef = new Map<string, Record<string, unknown>>();
    if (Array.isArray(items)) for (const it of items) if (it && typeof it === 'object' && typeof (it as { ref?: unknown }).ref === 'string') byRef.set((it as { ref: string }).ref, it as Record<string, unknown>);
    chunk.forEach((row, i) => {
      const a = byRef.get(String(start + i));
      if (!a) out[start + i] = { error: hubError('HUB_BAD_ANSWER') };
      else if (a['error'] && typeof a['error'] === 'object') {
        const err = a['error'] as { code?: unknown; fields?: unknown };
        out[start + i] = { error: hubError(String(err.code ?? 'UNKNOWN'), Array.isArray(err.fields) ? err.fields.map(String) : undefined) };
      } else if (typeof a['pmhKey'] !== 'string' || !/^PK[A-Z2-7]{20}$/.test(a['pmhKey'])) out[start + i] = { error: hubError('HUB_BAD_ANSWER') };
      else if (a['myNumber'] !== row.myNumber) out[start + i] = { error: hubError('MYNUMBER_CHANGED') }; // PMH-08
      else out[start + i] = { pmhKey: a['pmhKey'] };
    });
  }
  return out;
}

function contentHash(secrets: PlatformSecrets, row: RegisterRow): Buffer {
  // Keyed: the row holds a My Number, so a bare hash could be reversed by trying every number.
  return secrets.contentHash(JSON.stringify(row));
}

export async function registerTargets(deps: PlatformDeps, tenant: Tenant, input: RegistrationInput): Promise<RegistrationAnswer> {
  const { db, clock, secrets, node } = deps;
  const now = clock.now();
  const fileName = (input.fileName ?? `${input.source}-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`).slice(0, 200);
  const bodyHash = createHash('sha256').update(JSON.stringify(input.items ?? null)).digest();
  const idem = input.idempotencyKey;
  if (idem !== undefined && !/^[A-Za-z0-9._:-]{1,100}$/.test(idem)) throw validationFailed([{ field: 'Idempotency-Key', code: 'INVALID', message: '英数字と . _ : - の100文字以内で指定してください' }]);

  // Phase 1 (read only): validation, the replay check and what already exists.
  const prep = await withTenant(db, tenant.code, async (tx) => {
    if (idem) {
      const prior = await sql<{ body_hash: Buffer; answer: RegistrationAnswer }>`SELECT body_hash, answer FROM platform.calls WHERE idempotency_key = ${idem}`.execute(tx);
      const p = prior.rows[0];
      if (p) {
        if (!Buffer.from(p.body_hash).equals(bodyHash)) throw conflict('IDEMPOTENCY_CONFLICT', '同じ Idempotency-Key で別の内容が送られました。新しいキーで送ってください。');
        return { replay: p.answer };
      }
    }
    const rows = await validateRows(tx, input.items);
    const keys = rows.map((r) => r.municipalityIdentityKey);
    const ex = await sql<Existing>`
      SELECT target_id, identity_key, mynumber_index, content_hash, pmh_key, link_status FROM platform.targets WHERE identity_key = ANY(${keys}::text[])`.execute(tx);
    return { rows, existing: new Map(ex.rows.map((r) => [r.identity_key, r])) };
  });
  if ('replay' in prep) return prep.replay as RegistrationAnswer;
  const { rows, existing } = prep;

  // Phase 2: decide per row; PMH keys for the rows that need one (outside any transaction).
  type Plan =
    | { kind: 'unchanged'; i: number; row: TargetRow; ex: Existing }
    | { kind: 'upsert'; i: number; row: RegisterRow; ex: Existing | undefined; targetId: string; index: Buffer; hash: Buffer; hub?: HubOutcome }
    | { kind: 'delete'; i: number; row: DeleteRow; ex: Existing }
    | { kind: 'missing'; i: number; row: DeleteRow };
  const plans: Plan[] = [];
  const needKey: Extract<Plan, { kind: 'upsert' }>[] = [];
  const fresh = newTargetIds(rows.length);
  rows.forEach((row, i) => {
    const ex = existing.get(row.municipalityIdentityKey);
    if (row.modificationSeg === '2') {
      if (!ex) plans.push({ kind: 'missing', i, row });
      else if (ex.link_status === 'deleted') plans.push({ kind: 'unchanged', i, row, ex });
      else plans.push({ kind: 'delete', i, row, ex });
      return;
    }
    const hash = contentHash(secrets, row);
    if (ex && ex.link_status === 'linked' && ex.content_hash && Buffer.from(ex.content_hash).equals(hash)) {
      plans.push({ kind: 'unchanged', i, row, ex });
      return;
    }
    const p = { kind: 'upsert' as const, i, row, ex, targetId: ex?.target_id ?? fresh[i]!, index: secrets.myNumberIndex(row.myNumber), hash };
    plans.push(p);
    needKey.push(p);
  });
  const outcomes = await issueKeys(node, needKey.map((p) => p.row));
  needKey.forEach((p, k) => (p.hub = outcomes[k]));

  // Phase 3: one transaction writes everything.
  const results: RowResult[] = new Array(rows.length);
  const callId = randomUUID();
  let registered = 0, updated = 0, deleted = 0, unchanged = 0, failed = 0;
  await withTenant(db, tenant.code, async (tx) => {
    // A linked target whose update fails the linkage keeps its link and what it held (the resident keeps access);
    // the error is recorded and the row answered as failed, so the sender retries it.
    const keepsLink = (p: Extract<Plan, { kind: 'upsert' }>) => !p.hub?.pmhKey && p.ex?.link_status === 'linked';
    const kept = plans.filter((p): p is Extract<Plan, { kind: 'upsert' }> => p.kind === 'upsert' && keepsLink(p));
    for (const p of kept) {
      await sql`UPDATE platform.targets SET link_error = ${`更新を反映できませんでした（前回の登録のまま）: ${p.hub?.error ?? hubError('HUB_BAD_ANSWER')}`}, file_name = ${fileName}, updated_at = ${now}
                WHERE target_id = ${p.targetId}`.execute(tx);
    }
    const upserts = plans.filter((p): p is Extract<Plan, { kind: 'upsert' }> => p.kind === 'upsert' && !keepsLink(p));
    for (let s = 0; s < upserts.length; s += 1000) {
      const chunk = upserts.slice(s, s + 1000);
      // One statement per chunk with one array parameter per column (unnest): cheap to build and to parse.
      const linkedOf = (p: (typeof chunk)[number]) => !!p.hub?.pmhKey;
      const written = await sql`
        INSERT INTO platform.targets (tenant_code, target_id, identity_key, mynumber_index, sealed, key_version, content_hash, pmh_key, target_category, reduction_category,
          not_disclosed, deleted, change_category, movement_date, link_status, link_error, file_name, linked_at, created_at, updated_at)
        SELECT ${tenant.code}, u.target_id, u.identity_key, u.mynumber_index, u.sealed, 1, u.content_hash, u.pmh_key, u.target_category, u.reduction_category,
          u.not_disclosed, false, NULL, NULL, u.link_status, u.link_error, ${fileName}, ${now}, ${now}, ${now}
        FROM unnest(${chunk.map((p) => p.targetId)}::text[], ${chunk.map((p) => p.row.municipalityIdentityKey)}::text[], ${chunk.map((p) => p.index)}::bytea[],
          ${chunk.map((p) => secrets.seal('target', tenant.code, p.targetId, { myNumber: p.row.myNumber, basicFiveInfo: p.row.basicFiveInfo, guardianName: p.row.guardianName ?? null }))}::bytea[],
          ${chunk.map((p) => (linkedOf(p) ? p.hash : null))}::bytea[], ${chunk.map((p) => p.hub?.pmhKey ?? null)}::text[],
          ${chunk.map((p) => p.row.targetCategory)}::text[], ${chunk.map((p) => p.row.reductionCategory)}::text[], ${chunk.map((p) => p.row.isNotDisclosed)}::boolean[],
          ${chunk.map((p) => (linkedOf(p) ? 'linked' : 'error'))}::text[], ${chunk.map((p) => (linkedOf(p) ? null : (p.hub?.error ?? hubError('HUB_BAD_ANSWER'))))}::text[])
          AS u(target_id, identity_key, mynumber_index, sealed, content_hash, pmh_key, target_category, reduction_category, not_disclosed, link_status, link_error)
        ON CONFLICT (tenant_code, identity_key) DO UPDATE SET
          mynumber_index = EXCLUDED.mynumber_index, sealed = EXCLUDED.sealed, key_version = EXCLUDED.key_version, content_hash = EXCLUDED.content_hash,
          pmh_key = EXCLUDED.pmh_key, target_category = EXCLUDED.target_category, reduction_category = EXCLUDED.reduction_category,
          not_disclosed = EXCLUDED.not_disclosed, deleted = false, change_category = NULL, movement_date = NULL, link_status = EXCLUDED.link_status,
          link_error = EXCLUDED.link_error, file_name = EXCLUDED.file_name, linked_at = EXCLUDED.linked_at, updated_at = EXCLUDED.updated_at
        WHERE platform.targets.target_id = EXCLUDED.target_id
        RETURNING 1`.execute(tx);
      // A target another request created after this one looked (the same person sent twice at once): nothing
      // of this request is kept, and the sender sends it again (the row is then an update).
      if (written.rows.length !== chunk.length) {
        throw new Problem(409, 'CONCURRENT_REGISTRATION', '同じ対象者が同時に登録されました', '別の要求が同じ自治体業務IDの対象者を先に登録しました。もう一度送ってください。');
      }
      // Rows of targets that existed are replaced; new targets have none.
      const ids = chunk.filter((p) => p.ex).map((p) => p.targetId);
      if (ids.length) {
        await sql`DELETE FROM platform.target_vaccinations WHERE target_id = ANY(${ids}::text[])`.execute(tx);
        await sql`DELETE FROM platform.target_records WHERE target_id = ANY(${ids}::text[]) AND source = 'municipality'`.execute(tx);
        await sql`DELETE FROM platform.notices WHERE target_id = ANY(${ids}::text[])`.execute(tx);
        await sql`DELETE FROM platform.key_tenants WHERE tenant_code = ${tenant.code} AND target_id = ANY(${ids}::text[])`.execute(tx);
      }
      const vacc = chunk.flatMap((p) => p.row.vaccinations.map((v) => [p.targetId, v.programCode, v.dose, v.dueFrom ?? null, v.dueUntil ?? null, v.recommendation?.ruleId ?? null, v.recommendation?.recommendedOn ?? null, v.forcedExpiryDate ?? null, v.combinationNo ?? null] as const));
      if (vacc.length) {
        const col = <T>(i: number) => vacc.map((r) => r[i] as T);
        await sql`
          INSERT INTO platform.target_vaccinations (tenant_code, target_id, program_code, dose, due_from, due_until, rule_id, recommended_on, forced_expiry_date, combination_no)
          SELECT ${tenant.code}, * FROM unnest(${col<string>(0)}::text[], ${col<string>(1)}::text[], ${col<number>(2)}::int[], ${col<string | null>(3)}::date[], ${col<string | null>(4)}::date[],
            ${col<string | null>(5)}::text[], ${col<string | null>(6)}::date[], ${col<string | null>(7)}::date[], ${col<string | null>(8)}::text[])
          ON CONFLICT DO NOTHING`.execute(tx);
      }
      const recs = chunk.flatMap((p) => p.row.history.map((h) => [p.targetId, h.recordId, h.programCode, h.dose ?? null, h.date, h.vaccineName ?? null, h.lotNumber ?? null, h.institutionName ?? null, h.product ?? null] as const));
      if (recs.length) {
        const col = <T>(i: number) => recs.map((r) => r[i] as T);
        await sql`
          INSERT INTO platform.target_records (tenant_code, target_id, record_id, program_code, dose, vaccinated_on, vaccine_name, lot_number, institution_name, product, source)
          SELECT ${tenant.code}, u.*, 'municipality' FROM unnest(${col<string>(0)}::text[], ${col<string>(1)}::text[], ${col<string>(2)}::text[], ${col<number | null>(3)}::int[], ${col<string>(4)}::date[],
            ${col<string | null>(5)}::text[], ${col<string | null>(6)}::text[], ${col<string | null>(7)}::text[], ${col<string | null>(8)}::text[]) AS u
          ON CONFLICT DO NOTHING`.execute(tx);
      }
      const notes = chunk.flatMap((p) => p.row.notices.map((n) => [p.targetId, n.noticeId, n.templateId, n.programCode, n.dose ?? null, n.voucherNo ?? null, n.issuedOn, n.dueUntil ?? null] as const));
      if (notes.length) {
        const col = <T>(i: number) => notes.map((r) => r[i] as T);
        await sql`
          INSERT INTO platform.notices (tenant_code, target_id, notice_id, template_id, program_code, dose, voucher_no, issued_on, due_until)
          SELECT ${tenant.code}, * FROM unnest(${col<string>(0)}::text[], ${col<string>(1)}::text[], ${col<string>(2)}::text[], ${col<string>(3)}::text[], ${col<number | null>(4)}::int[],
            ${col<string | null>(5)}::text[], ${col<string>(6)}::date[], ${col<string | null>(7)}::date[])
          ON CONFLICT DO NOTHING`.execute(tx);
      }
      const keyed = chunk.filter((p) => p.hub?.pmhKey);
      if (keyed.length) {
        await sql`INSERT INTO platform.key_tenants (pmh_key, tenant_code, target_id) SELECT k, ${tenant.code}, t FROM unnest(${keyed.map((p) => p.hub!.pmhKey!)}::text[], ${keyed.map((p) => p.targetId)}::text[]) AS u(k, t)
                  ON CONFLICT DO NOTHING`.execute(tx);
      }
    }

    const dels = plans.filter((p): p is Extract<Plan, { kind: 'delete' }> => p.kind === 'delete');
    for (const p of dels) await eraseTarget(tx, tenant.code, p.ex.target_id, { at: now, how: 'modification-seg', by: input.caller, reason: `変更区分 ${p.row.changeCategory}（異動日 ${p.row.movementDate}）`, changeCategory: p.row.changeCategory, movementDate: p.row.movementDate, fileName });

    for (const p of plans) {
      const key = p.row.municipalityIdentityKey;
      if (p.kind === 'unchanged') {
        unchanged++;
        results[p.i] = { index: p.i, municipalityIdentityKey: key, targetId: p.ex.target_id, status: 'unchanged', linkage: { status: p.ex.link_status, error: null } };
      } else if (p.kind === 'missing') {
        failed++;
        results[p.i] = { index: p.i, municipalityIdentityKey: key, targetId: null, status: 'failed', linkage: { status: 'error', error: '削除する対象者が登録されていません' } };
      } else if (p.kind === 'delete') {
        deleted++;
        results[p.i] = { index: p.i, municipalityIdentityKey: key, targetId: p.ex.target_id, status: 'deleted', linkage: { status: 'deleted', error: null } };
      } else if (!p.hub?.pmhKey) {
        failed++;
        const linkStillHeld = p.ex?.link_status === 'linked';
        results[p.i] = { index: p.i, municipalityIdentityKey: key, targetId: p.targetId, status: 'failed', linkage: { status: linkStillHeld ? 'linked' : 'error', error: p.hub?.error ?? hubError('HUB_BAD_ANSWER') } };
      } else {
        // A target that was never linked (or was deleted) counts as registered when it links.
        const isNew = !p.ex || p.ex.link_status !== 'linked';
        if (isNew) registered++;
        else updated++;
        results[p.i] = { index: p.i, municipalityIdentityKey: key, targetId: p.targetId, status: isNew ? 'registered' : 'updated', linkage: { status: 'linked', error: null } };
      }
    }

    // PMH-22: the handling log — one entry per target touched (what residents see as "who used my data").
    const touched = plans.filter((p): p is Extract<Plan, { kind: 'upsert' | 'delete' }> => (p.kind === 'upsert' && !keepsLink(p)) || p.kind === 'delete');
    const actorKind = input.source === 'api' ? 'api' : 'municipality';
    for (let k = 0; k < touched.length; k += 5000) {
      const part = touched.slice(k, k + 5000);
      await sql`
        INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose)
        SELECT ${tenant.code}, ${now}, ${actorKind}, ${input.caller}, a, t, '予防接種対象者の登録（予防接種事務）'
        FROM unnest(${part.map((p) => (p.kind === 'delete' ? 'target.delete' : 'target.register'))}::text[], ${part.map((p) => (p.kind === 'delete' ? p.ex.target_id : p.targetId))}::text[]) AS u(a, t)`.execute(tx);
    }
    const answer: RegistrationAnswer = { callId, fileName, sent: rows.length, registered, updated, deleted, unchanged, failed, results };
    await sql`
      INSERT INTO platform.calls (tenant_code, call_id, at, source, caller, file_name, idempotency_key, body_hash, sent, registered, updated, deleted, unchanged, failed, answer)
      VALUES (${tenant.code}, ${callId}, ${now}, ${input.source}, ${input.caller}, ${fileName}, ${idem ?? null}, ${bodyHash}, ${rows.length}, ${registered}, ${updated}, ${deleted}, ${unchanged}, ${failed}, ${JSON.stringify(answer)}::json)`.execute(tx);
  });
  return { callId, fileName, sent: rows.length, registered, updated, deleted, unchanged, failed, results };
}

/**
 * Deletes a target's personal data (PMH-03): the sealed My Number and basic information, its vaccination
 * data, notices and answers, and its PMH key links; a tombstone keeps the 自治体業務ID, the change category
 * and the movement date (PMH-21), and the deletion is recorded.
 */
export async function eraseTarget(
  tx: Tx,
  tenant: string,
  targetId: string,
  d: { at: Date; how: 'modification-seg' | 'operator'; by: string; reason: string; changeCategory?: string | null; movementDate?: string | null; fileName: string },
): Promise<void> {
  await sql`DELETE FROM platform.target_vaccinations WHERE target_id = ${targetId}`.execute(tx);
  await sql`DELETE FROM platform.target_records WHERE target_id = ${targetId}`.execute(tx);
  await sql`DELETE FROM platform.notices WHERE target_id = ${targetId}`.execute(tx);
  await sql`DELETE FROM platform.answers WHERE target_id = ${targetId}`.execute(tx);
  await sql`DELETE FROM platform.key_tenants WHERE tenant_code = ${tenant} AND target_id = ${targetId}`.execute(tx);
  await sql`
    UPDATE platform.targets SET deleted = true, link_status = 'deleted', link_error = NULL, pmh_key = NULL, sealed = NULL, mynumber_index = NULL, content_hash = NULL,
      change_category = ${d.changeCategory ?? null}, movement_date = ${d.movementDate ?? null}, file_name = ${d.fileName}, linked_at = ${d.at}, updated_at = ${d.at}
    WHERE target_id = ${targetId}`.execute(tx);
  await sql`INSERT INTO platform.deletions (tenant_code, target_id, at, how, by_whom, reason) VALUES (${tenant}, ${targetId}, ${d.at}, ${d.how}, ${d.by}, ${d.reason}) ON CONFLICT DO NOTHING`.execute(tx);
}

