// The 中間サーバー of one municipality (node `chukan-<団体コード>`, decision 0139): 符号管理 (XCH-01), the
// 情報提供データベース of 副本 (XCH-04/05/06), 情報照会 (XCH-09/10), 情報提供 with the 自動応答不可フラグ and
// 上長承認 (XCH-11/12/13), the 情報提供等記録 (XCH-14) and the automatic deletion of inquiry results
// (XCH-15).  It talks only through the message layer: services for its own municipality's staff system
// (`municipality`) and for the 情報提供ネットワークシステム (`network`).  Contract:
// docs/formats/exchange-protocol.md.
import { randomUUID } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { sql, type Kysely } from 'kysely';
import { createNodeServer, everyInterval, type Incoming, type Outgoing, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import { Problem, type FieldError } from '../../kernel/problems/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import { logger } from '../../kernel/log/index.js';
import { ITEMS, digestData } from './items.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { ResultKey, rows, withTenant, type Tx } from './store.js';

export { chukanMigrations } from './migrations/index.js';
export { ITEMS, IDENTIFYING_KEYS, digestData, canonicalJson, type ItemDef } from './items.js';

export const CHUKAN_SCHEMA = 'peers_chukan';
export const CHUKAN_ROLE = 'mamori_chukan';
export const PERMIT_TYPE = 'mamori-permit+jws';
export const PURGE_INTERVAL_MS = 5 * 60_000;
const PERMISSIONS_CACHE_MS = 10 * 60_000;
const MAX_ROWS = 10_000;
const PAGE_SIZE = 100;
/** Persons asked for at the same time by `code.acquire`. */
const CODE_WORKERS = 4;

export function chukanNodeName(tenant: string): string {
  return `chukan-${tenant}`;
}

export interface ChukanOptions {
  readonly tenant: string;
  /** Node name of the 情報提供ネットワークシステム (default 'network'). */
  readonly networkNode?: string;
  /** How often the node deletes expired inquiry results (default 5 minutes). */
  readonly purgeIntervalMs?: number;
}

export interface ChukanService extends PeerService {
  /** Deletes expired inquiry results and records now (the timer does the same every few minutes). */
  purge(): Promise<PurgeResult>;
  close(): Promise<void>;
}

export interface PurgeResult {
  readonly results: number;
  readonly records: number;
}

/** The network's 情報提供許可証 (signed by the network, typ mamori-permit+jws). */
export interface Permit {
  readonly permitId: string;
  readonly exchangeId: string;
  readonly requester: string;
  readonly provider: string;
  readonly jimu: string;
  readonly item: string;
  readonly legalBasis: string;
  readonly iat: number;
  readonly exp: number;
}

// ------------------------------------------------------------------ input helpers

const INTEGRATED_NO = /^[0-9]{15}$/;
const TENANT = /^[0-9]{6}$/;
const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

function malformed(detail: string, errors: FieldError[] = []): Problem {
  return new Problem(400, 'CHUKAN_MALFORMED', '要求の形式が正しくありません', detail, errors);
}

function fieldProblem(errors: FieldError[]): Problem {
  const shown = errors.slice(0, 5).map((e) => `${e.field}: ${e.message}`).join(' / ');
  return malformed(`${errors.length} 件の誤りがあります（${shown}${errors.length > 5 ? ' ほか' : ''}）。`, errors);
}

function objectBody(msg: Incoming): Record<string, unknown> {
  const b = msg.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw malformed('本文は JSON オブジェクトで送ってください。');
  return b as Record<string, unknown>;
}

function text(b: Record<string, unknown>, field: string, re: RegExp = NAME, label = field): string {
  const v = b[field];
  if (typeof v !== 'string' || !re.test(v)) throw malformed(`${label} の指定が正しくありません。`, [{ field, code: 'FORMAT', message: `${label} の指定が正しくありません。` }]);
  return v;
}

function operatorOf(v: unknown): { login: string; duty: string } {
  const o = v as { login?: unknown; duty?: unknown } | undefined;
  if (!o || typeof o !== 'object' || typeof o.login !== 'string' || !o.login.trim() || typeof o.duty !== 'string' || !o.duty.trim() || o.login.length > 64 || o.duty.length > 64) {
    throw new Problem(400, 'OPERATOR_REQUIRED', '操作者が指定されていません', '照会には操作者のログインIDと事務（operator.login, operator.duty）が必要です（XCH-09）。', [
      { field: 'operator', code: 'REQUIRED', message: '操作者を指定してください。' },
    ]);
  }
  return { login: o.login, duty: o.duty };
}

function requesterNode(v: string): string {
  return TENANT.test(v) ? chukanNodeName(v) : v;
}

/** An information provider: a municipality's 団体コード or a national body's code (its node name, decision 0163). */
const PROVIDER = /^([0-9]{6}|[a-z][a-z0-9-]{1,30})$/;
/** The node that answers for a provider: a municipality's 中間サーバー, or the national body's own node. */
function providerNodeName(provider: string): string {
  return TENANT.test(provider) ? chukanNodeName(provider) : provider;
}

const iso = (d: unknown): string | null => (d instanceof Date ? d.toISOString() : d === null || d === undefined ? null : String(d));

// ------------------------------------------------------------------ purge (XCH-15, XCH-14 retention)

/** Deletes inquiry results past the tenant's retention (default 7 days) and records past theirs. */
export async function purgeChukan(db: Kysely<UntypedDatabase>, tenant: string, clock: Clock): Promise<PurgeResult> {
  const now = clock.now();
  return withTenant(db, tenant, async (tx) => {
    const s = await settingsOf(tx);
    const r = await sql`
      UPDATE peers_chukan.inquiries SET result = NULL, result_deleted_at = ${now}
      WHERE result IS NOT NULL AND status <> 'pending'
        AND coalesce(answered_at, requested_at) < ${now}::timestamptz - make_interval(days => ${s.resultRetentionDays}::int)`.execute(tx);
    const d = await sql`
      DELETE FROM peers_chukan.records WHERE at < ${now}::timestamptz - make_interval(years => ${s.recordRetentionYears}::int)`.execute(tx);
    return { results: Number(r.numAffectedRows ?? 0), records: Number(d.numAffectedRows ?? 0) };
  });
}

export interface ChukanSettings {
  readonly resultRetentionDays: number;
  readonly recordRetentionYears: number;
  readonly reviewIntervalDays: number;
}

async function settingsOf(tx: Tx): Promise<ChukanSettings> {
  const [s] = await rows<{ result_retention_days: number; record_retention_years: number; review_interval_days: number }>(
    tx,
    sql`SELECT result_retention_days, record_retention_years, review_interval_days FROM peers_chukan.settings`,
  );
  return { resultRetentionDays: s?.result_retention_days ?? 7, recordRetentionYears: s?.record_retention_years ?? 7, reviewIntervalDays: s?.review_interval_days ?? 30 };
}

/** Sets the retention of inquiry results (days) and of the 情報提供等記録 (years) for one tenant. */
export async function configureChukan(db: Kysely<UntypedDatabase>, tenant: string, clock: Clock, s: Partial<ChukanSettings>): Promise<ChukanSettings> {
  return withTenant(db, tenant, async (tx) => {
    const cur = await settingsOf(tx);
    const next = { ...cur, ...s };
    await sql`
      INSERT INTO peers_chukan.settings (tenant_code, result_retention_days, record_retention_years, review_interval_days, updated_at)
      VALUES (${tenant}, ${next.resultRetentionDays}, ${next.recordRetentionYears}, ${next.reviewIntervalDays}, ${clock.now()})
      ON CONFLICT (tenant_code) DO UPDATE SET result_retention_days = excluded.result_retention_days,
        record_retention_years = excluded.record_retention_years, review_interval_days = excluded.review_interval_days, updated_at = excluded.updated_at`.execute(tx);
    return next;
  });
}

// ------------------------------------------------------------------ the node

export async function buildChukanNode(ctx: PeerContext, opts: ChukanOptions): Promise<ChukanService> {
  const tenant = opts.tenant;
  if (!TENANT.test(tenant)) throw new Error(`invalid tenant code: ${tenant}`);
  if (ctx.name !== chukanNodeName(tenant) || ctx.node.name !== ctx.name) throw new Error(`the 中間サーバー of ${tenant} must be node ${chukanNodeName(tenant)}`);
  const network = opts.networkNode ?? 'network';
  const db = ctx.db;
  const clock = ctx.clock;
  const resultKey = ResultKey.open(ctx.config.keyDir, ctx.name);
  const tx = <T>(fn: (t: Tx) => Promise<T>) => withTenant(db, tenant, fn);
  const fromMunicipality = (s: string) => s === 'municipality';
  const fromNetwork = (s: string) => s === network;

  function ownTenant(b: Record<string, unknown>): void {
    if (b['tenant'] !== tenant) {
      throw new Problem(403, 'TENANT_MISMATCH', '他の団体の中間サーバーです', `この中間サーバーは団体コード ${tenant} のものです。指定された団体（${String(b['tenant'] ?? '未指定').slice(0, 16)}）の要求は受け付けません。`);
    }
  }

  async function record(t: Tx, r: { kind: 'inquiry' | 'provision' | 'approval'; exchangeId?: string | null; permitId?: string | null; integratedNo?: string | null; jimu: string; item: string; counterpart: string; legalBasis?: string | null; status: string; operator?: string | null }): Promise<void> {
    await sql`
      INSERT INTO peers_chukan.records (tenant_code, at, kind, exchange_id, permit_id, integrated_no, jimu, item, counterpart, legal_basis, status, operator)
      VALUES (${tenant}, ${clock.now()}, ${r.kind}, ${r.exchangeId ?? null}, ${r.permitId ?? null}, ${r.integratedNo ?? null}, ${r.jimu}, ${r.item},
              ${r.counterpart}, ${r.legalBasis ?? null}, ${r.status}, ${r.operator ?? null})`.execute(t);
  }

  async function acquiredCode(integratedNo: string): Promise<string> {
    const [c] = await tx((t) => rows<{ code: string | null; status: string }>(t, sql`SELECT code, status FROM peers_chukan.codes WHERE integrated_no = ${integratedNo}`));
    if (!c || c.status !== 'acquired' || !c.code) {
      throw new Problem(409, 'CODE_NOT_ACQUIRED', '符号が取得されていません', 'この統合宛名番号の符号（情報提供用個人識別符号）はまだ取得されていません。先に符号を取得してください。');
    }
    return c.code;
  }

  // ---------------------------------------------------------------- permit and permission list (XCH-11, XCH-16)

  async function verifyPermit(jws: unknown): Promise<Permit> {
    const bad = (detail: string) => new Problem(401, 'PERMIT_INVALID', '情報提供許可証を検証できません', detail);
    if (typeof jws !== 'string' || jws.split('.').length !== 3) throw bad('情報提供許可証（署名付き JWS）がありません。');
    let h: { alg?: string; typ?: string; kid?: string };
    try {
      h = decodeProtectedHeader(jws);
    } catch {
      throw bad('許可証のヘッダーを読めません。');
    }
    if (h.alg !== 'ES256' || h.typ !== PERMIT_TYPE) throw bad(`許可証の署名方式は ES256、種別は ${PERMIT_TYPE} に限ります。`);
    const key = await ctx.node.directory.verificationKey(network, h.kid);
    if (!key) throw bad(`情報提供ネットワークシステムの公開鍵に鍵ID ${h.kid ?? '（なし）'} はありません。`);
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
    } catch {
      throw bad('許可証の署名が正しくありません（改ざんされたか、情報提供ネットワークシステム以外が署名しています）。');
    }
    let p: Permit;
    try {
      p = JSON.parse(new TextDecoder().decode(payload)) as Permit;
    } catch {
      throw bad('許可証の内容を読めません。');
    }
    for (const k of ['permitId', 'exchangeId', 'requester', 'provider', 'jimu', 'item', 'legalBasis'] as const) if (typeof p[k] !== 'string' || !p[k] || p[k].length > 200) throw bad(`許可証の ${k} がないか、正しくありません。`);
    const now = Math.floor(clock.now().getTime() / 1000);
    if (!Number.isInteger(p.exp) || p.exp < now) throw new Problem(401, 'PERMIT_EXPIRED', '情報提供許可証の有効期限が切れています', '有効期限内の許可証で照会してください。');
    if (p.provider !== tenant && p.provider !== ctx.name) throw new Problem(403, 'PERMIT_WRONG_PROVIDER', '他の団体あての許可証です', `この許可証の情報提供者は ${p.provider} です。`);
    return p;
  }

  let permissions: { at: number; version: unknown; entries: Record<string, unknown>[] } | undefined;
  async function loadPermissions(): Promise<NonNullable<typeof permissions>> {
    const a = await ctx.node.call(network, 'permissions.list', {});
    const b = (a.body ?? {}) as { version?: unknown; entries?: unknown };
    permissions = { at: Date.now(), version: b.version, entries: Array.isArray(b.entries) ? (b.entries as Record<string, unknown>[]) : [] };
    return permissions;
  }
  function allows(entries: Record<string, unknown>[], p: Permit): boolean {
    const req = requesterNode(p.requester);
    const any = (v: unknown, ...ok: string[]) => v === undefined || v === null || v === '*' || ok.includes(String(v));
    return entries.some(
      (e) =>
        e['jimu'] === p.jimu &&
        e['item'] === p.item &&
        any(e['provider'], tenant, ctx.name) &&
        any(e['requester'], req, req.replace(/^chukan-/, '')) &&
        (e['legalBasis'] === undefined || e['legalBasis'] === p.legalBasis),
    );
  }
  /** XCH-11: the request must be on the locally kept 照会許可用照合リスト (fetched lazily, refreshed when stale). */
  async function checkPermitted(p: Permit): Promise<void> {
    let list = permissions && Date.now() - permissions.at < PERMISSIONS_CACHE_MS ? permissions : await loadPermissions();
    if (!allows(list.entries, p) && Date.now() - list.at > 5_000) list = await loadPermissions();
    if (!allows(list.entries, p)) {
      throw new Problem(403, 'NOT_PERMITTED', '照会許可用照合リストにない提供です', `事務「${p.jimu}」による「${p.item}」の提供は照会許可用照合リストにありません（番号法で認められた情報連携に限ります）。`);
    }
  }

  // ---------------------------------------------------------------- provision helpers

  interface ProvisionRow {
    exchange_id: string;
    permit_id: string;
    requester: string;
    integrated_no: string | null;
    jimu: string;
    item: string;
    legal_basis: string;
    status: 'provided' | 'pending' | 'approved' | 'none';
    approved_digest?: string | null;
  }

  async function copyOf(t: Tx, integratedNo: string, item: string): Promise<{ records: unknown[]; digest: string } | undefined> {
    const [c] = await rows<{ data: unknown; digest: string }>(t, sql`SELECT data, digest FROM peers_chukan.copies WHERE integrated_no = ${integratedNo} AND item = ${item}`);
    if (!c) return undefined;
    return { records: ITEMS.get(item)?.provided(c.data) ?? [], digest: c.digest };
  }

  async function copyRecords(t: Tx, integratedNo: string, item: string): Promise<unknown[] | undefined> {
    return (await copyOf(t, integratedNo, item))?.records;
  }

  /** The answer to the network for a provision in `row`'s state; delivers an approved one (records it). */
  async function answerProvision(t: Tx, row: ProvisionRow): Promise<Outgoing> {
    if (row.status === 'pending') return { body: { status: 'pending', exchangeId: row.exchange_id } };
    const copy = row.integrated_no ? await copyOf(t, row.integrated_no, row.item) : undefined;
    if (row.status === 'none' || !copy) return { body: { status: 'none', exchangeId: row.exchange_id } };
    const records = copy.records;
    if (row.status === 'approved') {
      if (copy.digest !== row.approved_digest) {
        // The 副本 changed after the check and approval: it goes back to be checked again (XCH-12).
        await sql`UPDATE peers_chukan.provisions SET status = 'pending', checked_by = NULL, approved_by = NULL, approved_digest = NULL, decided_at = NULL WHERE exchange_id = ${row.exchange_id}`.execute(t);
        await record(t, { kind: 'provision', exchangeId: row.exchange_id, permitId: row.permit_id, integratedNo: row.integrated_no, jimu: row.jimu, item: row.item, counterpart: row.requester, legalBasis: row.legal_basis, status: 'pending' });
        return { body: { status: 'pending', exchangeId: row.exchange_id } };
      }
      await sql`UPDATE peers_chukan.provisions SET status = 'provided', provided_at = ${clock.now()} WHERE exchange_id = ${row.exchange_id}`.execute(t);
      await record(t, { kind: 'provision', exchangeId: row.exchange_id, permitId: row.permit_id, integratedNo: row.integrated_no, jimu: row.jimu, item: row.item, counterpart: row.requester, legalBasis: row.legal_basis, status: 'provided' });
    }
    return {
      personal: true,
      encTo: row.requester,
      body: { status: 'provided', exchangeId: row.exchange_id, permitId: row.permit_id, item: row.item, records },
    };
  }

  // ---------------------------------------------------------------- inquiry helpers

  interface InquiryRow {
    id: string;
    exchange_id: string | null;
    integrated_no: string;
    jimu: string;
    item: string;
    provider: string;
    legal_basis: string | null;
    status: string;
    result: Buffer | null;
    result_deleted_at: Date | null;
    operator_login: string;
  }

  /** Reads the network's answer to `inquiry` / `inquiry.result`: checks the relayed provider answer (XCH-07, XCH-16). */
  async function settleInquiry(inq: InquiryRow, answer: Incoming): Promise<Record<string, unknown>> {
    const a = (answer.body ?? {}) as Record<string, unknown>;
    const exchangeId = a['exchangeId'];
    const status = a['status'];
    if (typeof exchangeId !== 'string' || !exchangeId || !['provided', 'pending', 'none'].includes(String(status))) {
      throw new Problem(502, 'NETWORK_BAD_ANSWER', '情報提供ネットワークシステムの応答が正しくありません', '応答に連携番号または状態がありません。');
    }
    if (inq.exchange_id && inq.exchange_id !== exchangeId) throw new Problem(502, 'RELAYED_MISMATCH', '別の情報連携への応答です', '応答の連携番号が照会の連携番号と一致しません。');
    const relayed = answer.envelope.relayed?.[0];
    let records: unknown[] | undefined;
    const providerNode = providerNodeName(inq.provider);
    if (relayed) {
      const r = await ctx.node.verifyRelayed(relayed, providerNode);
      if (r.envelope.aud !== network) throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答の宛先が違います', '情報提供者の応答は情報提供ネットワークシステムあてではありません。');
      const rb = (r.body ?? r.envelope.body ?? {}) as Record<string, unknown>;
      if (r.envelope.enc && r.envelope.enc.to !== ctx.name) throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答は別の組織あてです', '情報提供者の応答はこの中間サーバーあてに暗号化されていません。');
      if (rb['exchangeId'] !== exchangeId || rb['status'] !== status) {
        throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答が照会と対応していません', '情報提供者の応答の連携番号または状態が、情報提供ネットワークシステムの応答と一致しません。');
      }
      if (typeof rb['permitId'] === 'string' && typeof a['permitId'] === 'string' && rb['permitId'] !== a['permitId']) {
        throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答が許可証と対応していません', '情報提供者の応答の許可証番号が、情報提供ネットワークシステムの応答と一致しません。');
      }
      if (status === 'provided') {
        if (!r.envelope.enc) throw new Problem(502, 'RELAYED_NOT_ENCRYPTED', '提供情報が暗号化されていません', '情報提供者の応答は照会者の中間サーバーあてに暗号化されている必要があります（XCH-16）。');
        if (rb['item'] !== undefined && rb['item'] !== inq.item) throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答の項目が照会と違います', `照会した項目は「${inq.item}」ですが、別の項目の応答です。`);
        if (!Array.isArray(rb['records'])) throw new Problem(502, 'RELAYED_MISMATCH', '中継された応答に提供情報がありません', '情報提供者の応答に records がありません。');
        records = rb['records'] as unknown[];
      }
    } else if (status === 'provided') {
      throw new Problem(502, 'RELAYED_MISSING', '情報提供者の応答がありません', '提供済みの応答には情報提供者の署名付き応答が必要です。');
    }
    const legalBasis = typeof a['legalBasis'] === 'string' ? a['legalBasis'] : null;
    const permitId = typeof a['permitId'] === 'string' ? a['permitId'] : null;
    const now = clock.now();
    await tx(async (t) => {
      const sealed = records ? resultKey.seal(records, `${tenant}|${inq.id}`) : null;
      await sql`
        UPDATE peers_chukan.inquiries SET exchange_id = ${exchangeId}, permit_id = coalesce(${permitId}, permit_id), legal_basis = coalesce(${legalBasis}, legal_basis),
          status = ${String(status)}, result = ${sealed}, answered_at = ${status === 'pending' ? null : now}
        WHERE id = ${inq.id}`.execute(t);
      // One record per change of state (a poll that finds the provision still held adds none).
      if (inq.status !== status) await record(t, { kind: 'inquiry', exchangeId, permitId, integratedNo: inq.integrated_no, jimu: inq.jimu, item: inq.item, counterpart: providerNode, legalBasis, status: String(status), operator: inq.operator_login });
    });
    return { exchangeId, provider: inq.provider, legalBasis, status, records: records ?? [] };
  }

  async function failInquiry(inq: InquiryRow, e: unknown): Promise<void> {
    const code = e instanceof Problem ? e.code : 'ERROR';
    await tx(async (t) => {
      await sql`UPDATE peers_chukan.inquiries SET status = 'failed', failure = ${code}, answered_at = ${clock.now()} WHERE id = ${inq.id}`.execute(t);
      await record(t, { kind: 'inquiry', exchangeId: inq.exchange_id, integratedNo: inq.integrated_no, jimu: inq.jimu, item: inq.item, counterpart: providerNodeName(inq.provider), status: `failed:${code}`, operator: inq.operator_login });
    });
  }

  const inquiryCols = sql`id, exchange_id, integrated_no, jimu, item, provider, legal_basis, status, result, result_deleted_at, operator_login`;

  // ---------------------------------------------------------------- services

  const services: Record<string, ServiceDef> = {
    'code.acquire': {
      title: '符号取得',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const persons = b['persons'];
        if (!Array.isArray(persons) || persons.length === 0 || persons.length > MAX_ROWS) throw malformed(`persons は 1〜${MAX_ROWS} 件の配列で指定してください。`);
        const errors: FieldError[] = [];
        persons.forEach((p: { integratedNo?: unknown; juminhyoCode?: unknown }, i) => {
          if (typeof p?.integratedNo !== 'string' || !INTEGRATED_NO.test(p.integratedNo)) errors.push({ field: `persons.${i}.integratedNo`, code: 'FORMAT', message: '統合宛名番号は15桁の数字です。' });
          if (typeof p?.juminhyoCode !== 'string' || !/^[0-9]{11}$/.test(p.juminhyoCode)) errors.push({ field: `persons.${i}.juminhyoCode`, code: 'FORMAT', message: '住民票コードは11桁の数字です。' });
        });
        if (errors.length) throw fieldProblem(errors);
        let acquired = 0;
        let already = 0;
        const failedAt = new Map<number, { integratedNo: string; reason: string }>();
        const seen = new Set<string>();
        const todo = (persons as { integratedNo: string; juminhyoCode: string }[])
          .map((p, i) => ({ ...p, i }))
          .filter((p) => (seen.has(p.integratedNo) ? false : (seen.add(p.integratedNo), true)));
        // One person at a time per worker: a person's row is requested, then acquired or failed (never a 符号
        // on a row that is not acquired, a CHECK in the table); a failure stops only that person.
        const acquireOne = async (p: { integratedNo: string; juminhyoCode: string; i: number }) => {
          const [cur] = await tx((t) => rows<{ status: string }>(t, sql`SELECT status FROM peers_chukan.codes WHERE integrated_no = ${p.integratedNo}`));
          if (cur?.status === 'acquired') {
            already++;
            return;
          }
          const now = clock.now();
          await tx((t) =>
            sql`INSERT INTO peers_chukan.codes (tenant_code, integrated_no, code, status, reason, requested_at, updated_at)
                VALUES (${tenant}, ${p.integratedNo}, NULL, 'requested', NULL, ${now}, ${now})
                ON CONFLICT (tenant_code, integrated_no) DO UPDATE SET status = 'requested', reason = NULL, code = NULL, requested_at = excluded.requested_at, updated_at = excluded.updated_at`.execute(t),
          );
          try {
            const a = await ctx.node.call(network, 'code.issue', { juminhyoCode: p.juminhyoCode }, { personal: true });
            const code = (a.body as { code?: unknown } | undefined)?.code;
            if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{8,512}$/.test(code)) throw new Problem(502, 'NETWORK_BAD_ANSWER', '情報提供ネットワークシステムの応答が正しくありません', '符号の形式が正しくありません。');
            await tx((t) => sql`UPDATE peers_chukan.codes SET code = ${code}, status = 'acquired', reason = NULL, acquired_at = ${clock.now()}, updated_at = ${clock.now()} WHERE integrated_no = ${p.integratedNo}`.execute(t));
            acquired++;
          } catch (e) {
            const reason = e instanceof Problem ? `${e.code}: ${e.title}` : (e as { code?: string }).code === '23505' ? 'DUPLICATE_CODE: 同じ符号が別の統合宛名番号に登録されています' : 'ERROR: 符号を取得できませんでした';
            if (!(e instanceof Problem)) logger().warn({ node: ctx.name, err: (e as Error).message }, 'code acquisition failed');
            await tx((t) => sql`UPDATE peers_chukan.codes SET status = 'failed', code = NULL, reason = ${reason}, updated_at = ${clock.now()} WHERE integrated_no = ${p.integratedNo}`.execute(t));
            failedAt.set(p.i, { integratedNo: p.integratedNo, reason });
          }
        };
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(CODE_WORKERS, todo.length) }, async () => {
            while (next < todo.length) await acquireOne(todo[next++]!);
          }),
        );
        const failed = [...failedAt.entries()].sort((x, y) => x[0] - y[0]).map(([, f]) => f);
        return { personal: true, body: { acquired, already, failed } };
      },
    },

    'codes.list': {
      title: '符号取得状況',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const status = b['status'];
        const list = await tx((t) =>
          rows<{ integrated_no: string; status: string; reason: string | null; requested_at: Date; acquired_at: Date | null }>(
            t,
            sql`SELECT integrated_no, status, reason, requested_at, acquired_at FROM peers_chukan.codes
                WHERE (${typeof status === 'string' ? status : null}::text IS NULL OR status = ${typeof status === 'string' ? status : null}) ORDER BY integrated_no`,
          ),
        );
        return { personal: true, body: { codes: list.map((r) => ({ integratedNo: r.integrated_no, status: r.status, reason: r.reason, requestedAt: iso(r.requested_at), acquiredAt: iso(r.acquired_at) })) } };
      },
    },

    'copies.register': {
      title: '副本登録',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const item = b['item'];
        const def = typeof item === 'string' ? ITEMS.get(item) : undefined;
        if (!def) throw new Problem(400, 'UNKNOWN_ITEM', '登録できない特定個人情報の項目です', `項目「${String(item ?? '未指定')}」はこの中間サーバーの副本にありません（${[...ITEMS.keys()].join(', ')}）。`);
        const proc = text(b, 'process', /^.{1,100}$/u, '処理名（process）');
        const op = b['operator'];
        const operator = typeof op === 'string' ? op : typeof (op as { login?: unknown })?.login === 'string' ? (op as { login: string }).login : '';
        if (!operator || operator.length > 64) throw malformed('登録した操作者（operator）を指定してください（XCH-05）。', [{ field: 'operator', code: 'REQUIRED', message: '操作者を指定してください。' }]);
        const input = b['rows'];
        if (!Array.isArray(input) || input.length > MAX_ROWS) throw malformed(`rows は ${MAX_ROWS} 件以内の配列で指定してください。`);
        // Every row's layout first: one malformed row and nothing is registered (XCH-06).
        const errors: FieldError[] = [];
        const seen = new Map<string, number>();
        input.forEach((r: unknown, i: number) => {
          if (typeof r !== 'object' || r === null || Array.isArray(r)) {
            errors.push({ field: `rows.${i}`, code: 'TYPE', message: '行はオブジェクトで指定してください。' });
            return;
          }
          const row = r as Record<string, unknown>;
          for (const k of Object.keys(row)) if (k !== 'integratedNo' && k !== 'data') errors.push({ field: `rows.${i}.${k}`, code: 'UNKNOWN_FIELD', message: `項目 ${k} は副本の行にありません（個人を特定できる項目は登録できません）。` });
          errors.push(...def.check(row['data'], `rows.${i}.data`));
          if (typeof row['integratedNo'] === 'string') {
            const prev = seen.get(row['integratedNo']);
            if (prev !== undefined) errors.push({ field: `rows.${i}.integratedNo`, code: 'DUPLICATE', message: `${prev} 行目と同じ統合宛名番号です。` });
            seen.set(row['integratedNo'], i);
          }
        });
        if (errors.length) throw fieldProblem(errors);
        const rowsIn = input as { integratedNo?: unknown; data: unknown }[];
        const now = clock.now();
        const batchId = randomUUID();
        const result = await tx(async (t) => {
          const nos = rowsIn.map((r) => r.integratedNo).filter((n): n is string => typeof n === 'string' && INTEGRATED_NO.test(n));
          const acquired = new Set(
            (await rows<{ integrated_no: string }>(t, sql`SELECT integrated_no FROM peers_chukan.codes WHERE status = 'acquired' AND integrated_no = ANY(${nos}::text[])`)).map((r) => r.integrated_no),
          );
          const existing = new Map(
            (await rows<{ integrated_no: string; digest: string }>(t, sql`SELECT integrated_no, digest FROM peers_chukan.copies WHERE item = ${def.item} AND integrated_no = ANY(${nos}::text[])`)).map((r) => [r.integrated_no, r.digest]),
          );
          const rejected: { row: number; reason: string }[] = [];
          const changed: { integrated_no: string; data: unknown; digest: string }[] = [];
          let unchanged = 0;
          rowsIn.forEach((r, i) => {
            const no = r.integratedNo;
            if (typeof no !== 'string' || !INTEGRATED_NO.test(no)) rejected.push({ row: i, reason: 'INTEGRATED_NO_FORMAT: 統合宛名番号は15桁の数字です。' });
            else if (!acquired.has(no)) rejected.push({ row: i, reason: 'CODE_NOT_ACQUIRED: 符号が取得されていない統合宛名番号です。' });
            else {
              const digest = digestData(r.data);
              if (existing.get(no) === digest) unchanged++;
              else changed.push({ integrated_no: no, data: r.data, digest });
            }
          });
          await sql`
            INSERT INTO peers_chukan.copy_batches (tenant_code, id, at, process, item, operator, received, registered, unchanged, rejected, errors)
            VALUES (${tenant}, ${batchId}, ${now}, ${proc}, ${def.item}, ${operator}, ${rowsIn.length}, ${changed.length}, ${unchanged}, ${rejected.length}, ${JSON.stringify(rejected)}::jsonb)`.execute(t);
          if (changed.length) {
            await sql`
              INSERT INTO peers_chukan.copies (tenant_code, integrated_no, item, data, digest, batch_id, registered_at)
              SELECT ${tenant}, x.integrated_no, ${def.item}, x.data, x.digest, ${batchId}::uuid, ${now}::timestamptz
              FROM jsonb_to_recordset(${JSON.stringify(changed)}::jsonb) AS x(integrated_no text, data jsonb, digest text)
              ON CONFLICT (tenant_code, integrated_no, item) DO UPDATE SET data = excluded.data, digest = excluded.digest, batch_id = excluded.batch_id, registered_at = excluded.registered_at`.execute(t);
          }
          return { batchId, registered: changed.length, unchanged, rejected: rejected.length, errors: rejected };
        });
        return { body: result };
      },
    },

    'copies.list': {
      title: '副本一覧',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const item = typeof b['item'] === 'string' ? b['item'] : null;
        const page = Number.isInteger(b['page']) && (b['page'] as number) > 0 ? (b['page'] as number) : 1;
        const size = Number.isInteger(b['pageSize']) && (b['pageSize'] as number) > 0 ? Math.min(b['pageSize'] as number, 1000) : PAGE_SIZE;
        const out = await tx(async (t) => {
          const [n] = await rows<{ n: string }>(t, sql`SELECT count(*) AS n FROM peers_chukan.copies WHERE (${item}::text IS NULL OR item = ${item})`);
          const list = await rows<{ integrated_no: string; item: string; data: unknown; digest: string; batch_id: string; registered_at: Date }>(
            t,
            sql`SELECT integrated_no, item, data, digest, batch_id, registered_at FROM peers_chukan.copies WHERE (${item}::text IS NULL OR item = ${item})
                ORDER BY item, integrated_no LIMIT ${size} OFFSET ${(page - 1) * size}`,
          );
          return { total: Number(n?.n ?? 0), page, pageSize: size, rows: list.map((r) => ({ integratedNo: r.integrated_no, item: r.item, data: r.data, digest: r.digest, batchId: r.batch_id, registeredAt: iso(r.registered_at) })) };
        });
        return { personal: true, body: out };
      },
    },

    'copies.batches': {
      title: '副本登録の記録',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const list = await tx((t) =>
          rows<{ id: string; at: Date; process: string; item: string; operator: string; received: number; registered: number; unchanged: number; rejected: number; errors: unknown }>(
            t,
            sql`SELECT id, at, process, item, operator, received, registered, unchanged, rejected, errors FROM peers_chukan.copy_batches ORDER BY at DESC LIMIT 1000`,
          ),
        );
        // errors: the rejected rows by their position in the batch and the reason (never the person).
        return { body: { batches: list.map((r) => ({ batchId: r.id, at: iso(r.at), process: r.process, item: r.item, operator: r.operator, received: r.received, registered: r.registered, unchanged: r.unchanged, rejected: r.rejected, errors: Array.isArray(r.errors) ? r.errors : [] })) } };
      },
    },

    'items.configure': {
      title: '自動応答不可フラグの設定',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const item = b['item'];
        if (typeof item !== 'string' || !ITEMS.has(item)) throw new Problem(400, 'UNKNOWN_ITEM', '設定できない項目です', `項目「${String(item ?? '未指定')}」はこの中間サーバーの副本にありません。`);
        if (typeof b['autoAnswerDisabled'] !== 'boolean') throw malformed('autoAnswerDisabled は true または false で指定してください。');
        const operator = typeof b['operator'] === 'string' && b['operator'] ? (b['operator'] as string) : typeof (b['operator'] as { login?: unknown })?.login === 'string' ? (b['operator'] as { login: string }).login : '';
        if (!operator) throw malformed('設定した操作者（operator）を指定してください。');
        await tx((t) =>
          sql`INSERT INTO peers_chukan.item_settings (tenant_code, item, auto_answer_disabled, updated_at, updated_by)
              VALUES (${tenant}, ${item}, ${b['autoAnswerDisabled'] as boolean}, ${clock.now()}, ${operator})
              ON CONFLICT (tenant_code, item) DO UPDATE SET auto_answer_disabled = excluded.auto_answer_disabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`.execute(t),
        );
        return { body: { item, autoAnswerDisabled: b['autoAnswerDisabled'] } };
      },
    },

    'settings.configure': {
      title: '保存期間の設定',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const next: { -readonly [K in keyof ChukanSettings]?: number } = {};
        const ranges = { resultRetentionDays: [0, 3650], recordRetentionYears: [1, 100], reviewIntervalDays: [1, 3650] } as const;
        for (const [k, [lo, hi]] of Object.entries(ranges) as [keyof ChukanSettings, readonly [number, number]][]) {
          const v = b[k];
          if (v === undefined) continue;
          if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) throw malformed(`${k} は ${lo}〜${hi} の整数で指定してください。`, [{ field: k, code: 'RANGE', message: `${lo}〜${hi} の整数で指定してください。` }]);
          next[k] = v as number;
        }
        return { body: await configureChukan(db, tenant, clock, next) };
      },
    },

    'settings.get': {
      title: '設定の参照',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const out = await tx(async (t) => {
          const s = await settingsOf(t);
          const [review] = await rows<{ last_reviewed_at: Date | null; last_reviewed_by: string | null; updated_at: Date | null }>(t, sql`SELECT last_reviewed_at, last_reviewed_by, updated_at FROM peers_chukan.settings`);
          const flags = new Map(
            (await rows<{ item: string; auto_answer_disabled: boolean; updated_at: Date; updated_by: string }>(t, sql`SELECT item, auto_answer_disabled, updated_at, updated_by FROM peers_chukan.item_settings`)).map((r) => [r.item, r]),
          );
          const lastReviewedAt = review?.last_reviewed_at ?? null;
          return {
            ...s,
            lastReviewedAt: iso(lastReviewedAt),
            lastReviewedBy: review?.last_reviewed_by ?? null,
            reviewDue: !lastReviewedAt || clock.now().getTime() - lastReviewedAt.getTime() >= s.reviewIntervalDays * 86_400_000,
            items: [...ITEMS.values()].map((d) => {
              const f = flags.get(d.item);
              return { item: d.item, title: d.title, autoAnswerDisabled: f?.auto_answer_disabled ?? false, updatedAt: iso(f?.updated_at ?? null), updatedBy: f?.updated_by ?? null };
            }),
          };
        });
        return { body: out };
      },
    },

    inquire: {
      title: '情報照会',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        if (typeof b['integratedNo'] !== 'string' || !INTEGRATED_NO.test(b['integratedNo'])) {
          throw new Problem(400, 'INTEGRATED_NO_REQUIRED', '統合宛名番号が指定されていません', '情報照会には対象者の統合宛名番号（15桁）の指定が必要です（XCH-09）。', [
            { field: 'integratedNo', code: 'REQUIRED', message: '統合宛名番号を指定してください。' },
          ]);
        }
        const operator = operatorOf(b['operator']);
        const integratedNo = b['integratedNo'];
        const jimu = text(b, 'jimu', NAME, '事務（jimu）');
        const item = text(b, 'item', NAME, '特定個人情報の項目（item）');
        const provider = text(b, 'provider', PROVIDER, '情報提供者（provider）');
        const code = await acquiredCode(integratedNo);
        const inq: InquiryRow = { id: randomUUID(), exchange_id: null, integrated_no: integratedNo, jimu, item, provider, legal_basis: null, status: 'requested', result: null, result_deleted_at: null, operator_login: operator.login };
        await tx((t) =>
          sql`INSERT INTO peers_chukan.inquiries (tenant_code, id, integrated_no, jimu, item, provider, status, operator_login, operator_duty, requested_at)
              VALUES (${tenant}, ${inq.id}, ${integratedNo}, ${jimu}, ${item}, ${provider}, 'requested', ${operator.login}, ${operator.duty}, ${clock.now()})`.execute(t),
        );
        let out: Record<string, unknown>;
        try {
          const answer = await ctx.node.call(network, 'inquiry', { inquiryId: inq.id, code, jimu, item, provider }, { personal: true });
          out = await settleInquiry(inq, answer);
        } catch (e) {
          await failInquiry(inq, e);
          throw e;
        }
        return { personal: true, body: out };
      },
    },

    'inquiry.result': {
      title: '情報照会結果',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const exchangeId = text(b, 'exchangeId', /^[A-Za-z0-9_.:-]{1,128}$/, '連携番号（exchangeId）');
        const [inq] = await tx((t) => rows<InquiryRow>(t, sql`SELECT ${inquiryCols} FROM peers_chukan.inquiries WHERE exchange_id = ${exchangeId}`));
        if (!inq) throw new Problem(404, 'INQUIRY_NOT_FOUND', '照会が見つかりません', `連携番号 ${exchangeId} の照会はこの中間サーバーにありません。`);
        if (inq.status === 'pending') {
          const answer = await ctx.node.call(network, 'inquiry.result', { exchangeId });
          return { personal: true, body: await settleInquiry(inq, answer) };
        }
        if (inq.status === 'provided' && !inq.result) {
          throw new Problem(410, 'RESULT_DELETED', '照会結果は削除されました', '照会結果は保存期間を過ぎたため自動で削除されました（XCH-15）。必要であれば改めて照会してください。');
        }
        const records = inq.result ? (resultKey.open(inq.result, `${tenant}|${inq.id}`) as unknown[]) : [];
        return { personal: true, body: { exchangeId, provider: inq.provider, legalBasis: inq.legal_basis, status: inq.status, records } };
      },
    },

    records: {
      title: '情報提供等記録',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const no = typeof b['integratedNo'] === 'string' ? b['integratedNo'] : null;
        const list = await tx((t) =>
          rows<Record<string, unknown>>(
            t,
            sql`SELECT seq, at, kind, exchange_id, permit_id, integrated_no, jimu, item, counterpart, legal_basis, status, operator FROM peers_chukan.records
                WHERE (${no}::text IS NULL OR integrated_no = ${no}) ORDER BY at, seq`,
          ),
        );
        const [review] = await tx((t) => rows<{ last_reviewed_at: Date | null; last_reviewed_by: string | null }>(t, sql`SELECT last_reviewed_at, last_reviewed_by FROM peers_chukan.settings`));
        const settings = await tx(settingsOf);
        const lastReviewedAt = review?.last_reviewed_at ?? null;
        return {
          personal: true,
          body: {
            recordRetentionYears: settings.recordRetentionYears,
            reviewIntervalDays: settings.reviewIntervalDays,
            lastReviewedAt: iso(lastReviewedAt),
            lastReviewedBy: review?.last_reviewed_by ?? null,
            reviewDue: !lastReviewedAt || clock.now().getTime() - lastReviewedAt.getTime() >= settings.reviewIntervalDays * 86_400_000,
            records: list.map((r) => ({
              seq: Number(r['seq']), at: iso(r['at']), kind: r['kind'], exchangeId: r['exchange_id'], permitId: r['permit_id'], integratedNo: r['integrated_no'],
              jimu: r['jimu'], item: r['item'], counterpart: r['counterpart'], legalBasis: r['legal_basis'], status: r['status'], operator: r['operator'],
            })),
          },
        };
      },
    },

    'records.review': {
      title: '情報提供等記録の点検',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const reviewer = text(b, 'reviewer', /^[A-Za-z0-9_.@-]{1,64}$/, '点検者（reviewer）');
        const now = clock.now();
        await tx(async (t) => {
          const s = await settingsOf(t);
          await sql`
            INSERT INTO peers_chukan.settings (tenant_code, result_retention_days, record_retention_years, review_interval_days, last_reviewed_at, last_reviewed_by, updated_at)
            VALUES (${tenant}, ${s.resultRetentionDays}, ${s.recordRetentionYears}, ${s.reviewIntervalDays}, ${now}, ${reviewer}, ${now})
            ON CONFLICT (tenant_code) DO UPDATE SET last_reviewed_at = excluded.last_reviewed_at, last_reviewed_by = excluded.last_reviewed_by`.execute(t);
        });
        return { body: { reviewedAt: now.toISOString(), reviewer } };
      },
    },

    'records.person': {
      title: '本人の情報提供等記録',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const integratedNo = text(b, 'integratedNo', INTEGRATED_NO, '統合宛名番号（integratedNo）');
        const code = await acquiredCode(integratedNo);
        const a = await ctx.node.call(network, 'records.person', { code }, { personal: true });
        const recs = (a.body as { records?: unknown } | undefined)?.records;
        return { personal: true, body: { records: Array.isArray(recs) ? recs : [] } };
      },
    },

    'pending.list': {
      title: '自動応答不可の提供待ち一覧',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const out = await tx(async (t) => {
          const list = await rows<ProvisionRow & { requested_at: Date }>(
            t,
            sql`SELECT exchange_id, permit_id, requester, integrated_no, jimu, item, legal_basis, status, requested_at FROM peers_chukan.provisions WHERE status = 'pending' ORDER BY requested_at`,
          );
          const pending = [];
          for (const p of list) {
            pending.push({
              exchangeId: p.exchange_id, permitId: p.permit_id, requester: p.requester, integratedNo: p.integrated_no, jimu: p.jimu, item: p.item,
              legalBasis: p.legal_basis, requestedAt: iso(p.requested_at), ...(await (async () => {
                const c = p.integrated_no ? await copyOf(t, p.integrated_no, p.item) : undefined;
                return { records: c?.records ?? [], digest: c?.digest ?? null };
              })()),
            });
          }
          return pending;
        });
        return { personal: true, body: { pending: out } };
      },
    },

    'pending.approve': {
      title: '自動応答不可項目の上長承認',
      from: fromMunicipality,
      async handle(msg) {
        const b = objectBody(msg);
        ownTenant(b);
        const exchangeId = text(b, 'exchangeId', /^[A-Za-z0-9_.:-]{1,128}$/, '連携番号（exchangeId）');
        const checkedBy = text(b, 'checkedBy', /^[A-Za-z0-9_.@-]{1,64}$/, '確認者（checkedBy）');
        const approvedBy = text(b, 'approvedBy', /^[A-Za-z0-9_.@-]{1,64}$/, '承認者（approvedBy）');
        if (checkedBy === approvedBy) {
          throw new Problem(403, 'APPROVER_IS_CHECKER', '確認者と承認者が同じです', '自動応答不可項目の提供は、内容を確認した職員とは別の上長の承認が必要です（XCH-13）。');
        }
        await tx(async (t) => {
          const [p] = await rows<ProvisionRow>(t, sql`SELECT exchange_id, permit_id, requester, integrated_no, jimu, item, legal_basis, status FROM peers_chukan.provisions WHERE exchange_id = ${exchangeId} FOR UPDATE`);
          if (!p) throw new Problem(404, 'PROVISION_NOT_FOUND', '提供待ちの情報連携が見つかりません', `連携番号 ${exchangeId} の提供はありません。`);
          if (p.status !== 'pending') throw new Problem(409, 'NOT_PENDING', '承認待ちではありません', `連携番号 ${exchangeId} の提供は承認待ちではありません（状態: ${p.status}）。`);
          const copy = p.integrated_no ? await copyOf(t, p.integrated_no, p.item) : undefined;
          if (typeof b['digest'] === 'string' && b['digest'] !== copy?.digest) {
            throw new Problem(409, 'CONTENT_CHANGED', '確認した後に副本が更新されました', '提供する内容が確認時から変わっています。一覧を読み直して、内容を確認し直してください。');
          }
          await sql`UPDATE peers_chukan.provisions SET status = 'approved', checked_by = ${checkedBy}, approved_by = ${approvedBy}, approved_digest = ${copy?.digest ?? null}, decided_at = ${clock.now()} WHERE exchange_id = ${exchangeId}`.execute(t);
          await record(t, { kind: 'approval', exchangeId, permitId: p.permit_id, integratedNo: p.integrated_no, jimu: p.jimu, item: p.item, counterpart: p.requester, legalBasis: p.legal_basis, status: 'approved', operator: `${checkedBy}/${approvedBy}` });
        });
        return { body: { exchangeId, status: 'approved' } };
      },
    },

    provide: {
      title: '情報提供',
      from: fromNetwork,
      async handle(msg) {
        const b = objectBody(msg);
        const permit = await verifyPermit(b['permit']);
        const requester = typeof b['requester'] === 'string' ? requesterNode(b['requester']) : '';
        if (!/^chukan-[0-9]{6}$/.test(requester) || requester !== requesterNode(permit.requester) || b['item'] !== permit.item) {
          throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '要求の照会者または項目が情報提供許可証の内容と一致しません。');
        }
        if (typeof b['code'] !== 'string' || !/^[A-Za-z0-9_-]{8,512}$/.test(b['code'])) throw malformed('符号（code）の形式が正しくありません。');
        await checkPermitted(permit);
        const code = b['code'];
        return tx(async (t) => {
          const [existing] = await rows<ProvisionRow>(t, sql`SELECT exchange_id, permit_id, requester, integrated_no, jimu, item, legal_basis, status, approved_digest FROM peers_chukan.provisions WHERE exchange_id = ${permit.exchangeId} FOR UPDATE`);
          if (existing) return answerProvision(t, existing);
          const [c] = await rows<{ integrated_no: string }>(t, sql`SELECT integrated_no FROM peers_chukan.codes WHERE code = ${code} AND status = 'acquired'`);
          const records = c ? await copyRecords(t, c.integrated_no, permit.item) : undefined;
          const [flag] = await rows<{ auto_answer_disabled: boolean }>(t, sql`SELECT auto_answer_disabled FROM peers_chukan.item_settings WHERE item = ${permit.item}`);
          // Nothing matches: no person is stored for the request (XCH-21).
          const status: ProvisionRow['status'] = !c || !records ? 'none' : flag?.auto_answer_disabled ? 'pending' : 'provided';
          const row: ProvisionRow = { exchange_id: permit.exchangeId, permit_id: permit.permitId, requester, integrated_no: status === 'none' ? null : c!.integrated_no, jimu: permit.jimu, item: permit.item, legal_basis: permit.legalBasis, status };
          const now = clock.now();
          await sql`
            INSERT INTO peers_chukan.provisions (tenant_code, exchange_id, permit_id, permit, requester, integrated_no, jimu, item, legal_basis, status, requested_at, decided_at, provided_at)
            VALUES (${tenant}, ${row.exchange_id}, ${row.permit_id}, ${b['permit'] as string}, ${requester}, ${row.integrated_no}, ${row.jimu}, ${row.item}, ${row.legal_basis}, ${status},
                    ${now}, ${status === 'pending' ? null : now}, ${status === 'provided' ? now : null})`.execute(t);
          await record(t, { kind: 'provision', exchangeId: row.exchange_id, permitId: row.permit_id, integratedNo: row.integrated_no, jimu: row.jimu, item: row.item, counterpart: requester, legalBasis: row.legal_basis, status });
          return answerProvision(t, row);
        });
      },
    },

    'provide.result': {
      title: '情報提供（承認後）',
      from: fromNetwork,
      async handle(msg) {
        const b = objectBody(msg);
        const permit = await verifyPermit(b['permit']);
        if (b['exchangeId'] !== permit.exchangeId) throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '要求の連携番号が情報提供許可証と一致しません。');
        return tx(async (t) => {
          const [p] = await rows<ProvisionRow>(t, sql`SELECT exchange_id, permit_id, requester, integrated_no, jimu, item, legal_basis, status, approved_digest FROM peers_chukan.provisions WHERE exchange_id = ${permit.exchangeId} FOR UPDATE`);
          if (!p) return { body: { status: 'none', exchangeId: permit.exchangeId } };
          if (p.requester !== requesterNode(permit.requester)) throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '許可証の照会者が提供の照会者と一致しません。');
          return answerProvision(t, p);
        });
      },
    },
  };

  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, services);

  const purge = () => purgeChukan(db, tenant, clock);
  const stop = await everyInterval(ctx.name, 'inquiry result purge', purge, opts.purgeIntervalMs ?? PURGE_INTERVAL_MS);

  return {
    fastify,
    purge,
    async close() {
      stop();
    },
  };
}
