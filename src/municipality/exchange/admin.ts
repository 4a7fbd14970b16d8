// The municipality's 中間サーバー端末 (情報連携 duty): what its 中間サーバー holds and does, for the staff who run
// the exchange — the 符号 acquisition status (XCH-01), the 副本 and the record of their batch registrations
// (XCH-05, XCH-06, with an export for reconciliation with the 原本), the provisions held by the 自動応答不可フラグ
// with their two steps, the content check by one staff member and the 上長承認 by another (XCH-12, XCH-13),
// the per-item flag and the retention settings (XCH-14, XCH-15), and the 情報提供等記録 with its periodic
// review and export (XCH-14).
//
// Each function authorises in a transaction, calls the 中間サーバー outside it, and writes its audit entry in
// another (as inquiries.ts does): a refused or failed call changes nothing here.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MamoriDb, UntypedDatabase } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntries, appendEntry, type AuditEntry } from '../../kernel/audit/index.js';
import { can, type Permission } from '../../kernel/policy/index.js';
import { forbidden, Problem } from '../../kernel/problems/index.js';
import { csvDocument, type CsvValue } from '../../kernel/csv/index.js';
import { catalogFor } from '../records/index.js';
import { VACCINATION_HISTORY_ITEM, type MunicipalExchange } from './inquiries.js';

export const EXCHANGE_DUTY = 'exchange';
const any = (w: Work) => w.tx as unknown as Kysely<UntypedDatabase>;

// ------------------------------------------------------------------ names staff read

/** 事務 as the 照会許可用照合リスト names them (short forms for the screens). */
export const JIMU_LABELS: Readonly<Record<string, string>> = {
  vaccination: '予防接種の実施に関する事務',
  'vaccination-prefecture': '予防接種の実施に関する事務（都道府県）',
  'relief-illness': '予防接種による健康被害の給付（疾病）',
  'relief-or-fee': '予防接種による給付・実費の徴収',
  'relief-disability': '予防接種による健康被害の給付（障害）',
  'relief-ministry': '予防接種による給付（厚生労働大臣）',
  'pandemic-vaccination': '新型インフルエンザ等対策特別措置法による予防接種',
};

/** 特定個人情報の項目. */
export const ITEM_LABELS: Readonly<Record<string, string>> = {
  'vaccination-history': '予防接種履歴（予防接種の実施に関する情報）',
  'resident-tax': '地方税関係情報',
  'livelihood-protection': '生活保護関係情報',
};

export const CODE_STATUS_LABELS: Readonly<Record<string, string>> = {
  unrequested: '未取得（要求前）',
  requested: '取得中',
  acquired: '取得済み',
  failed: '取得できず',
};

export const RECORD_KIND_LABELS: Readonly<Record<string, string>> = { inquiry: '照会', provision: '提供', approval: '上長承認' };

const RECORD_STATUS_LABELS: Readonly<Record<string, string>> = {
  provided: '提供済み',
  pending: '確認待ち（自動応答不可）',
  approved: '承認済み',
  none: '該当なし',
  requested: '照会中',
  permitted: '照会許可',
  refused: '照会拒否',
};

export const jimuLabel = (c: string | null | undefined): string => (c ? (JIMU_LABELS[c] ?? '（その他の事務）') : '—');
export const itemLabel = (c: string | null | undefined): string => (c ? (ITEM_LABELS[c] ?? '（その他の項目）') : '—');
export function recordStatusLabel(s: string | null | undefined): string {
  if (!s) return '—';
  if (s.startsWith('failed')) return '失敗（通信・照会の拒否等）';
  return RECORD_STATUS_LABELS[s] ?? '（その他）';
}

// ------------------------------------------------------------------ authorisation

const PERMISSION_WORDS: Partial<Record<Permission, string>> = {
  'personal.read': '参照',
  'personal.write': '登録・更新',
  'personal.export': 'ファイル出力',
  'deletion.approve': '承認',
};

function requireExchange(w: Work, permission: Permission, what: string, target = 'exchange-admin'): void {
  if (w.actor.kind !== 'system' && can(w.actor, permission, EXCHANGE_DUTY)) return;
  throw forbidden(`${what}には「情報連携」の所掌事務の${PERMISSION_WORDS[permission] ?? ''}権限が必要です。`).withAudit({
    action: 'access_denied',
    targetType: target,
    outcome: 'denied',
    detail: { duty: EXCHANGE_DUTY, permission },
  });
}

async function authorised(db: MamoriDb, who: Principal, permission: Permission, what: string, target?: string): Promise<void> {
  await runAs(db, who, async (w) => requireExchange(w, permission, what, target));
}

async function audit(db: MamoriDb, who: Principal, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (!list.length) return;
  await runAs(db, who, (w) => (list.length === 1 ? appendEntry(w.tx, w, list[0]!) : appendEntries(w.tx, w, list)));
}

async function call<T>(x: MunicipalExchange, who: Principal, service: string, body: Record<string, unknown>, personal = true): Promise<T> {
  const res = await x.node.call(x.chukanOf(who.tenant), service, { tenant: who.tenant, ...body }, { personal, timeoutMs: 60_000 });
  return (res.body ?? {}) as T;
}

/** 団体コード or node name ('chukan-131237') → the organisation's name, when known. */
async function orgNames(db: MamoriDb, who: Principal): Promise<(codeOrNode: string | null | undefined) => string> {
  const rows = await runAs(db, who, async (w) => (await sql<{ code: string; name: string }>`SELECT code, name FROM kernel.organisations`.execute(w.tx)).rows);
  const m = new Map(rows.map((r) => [r.code, r.name]));
  return (c) => {
    if (!c) return '—';
    const code = c.replace(/^chukan-/, '');
    const name = m.get(code);
    return name ? `${name}（${code}）` : /^\d{6}$/.test(code) ? `団体コード ${code}` : c === 'network' ? '情報提供ネットワークシステム' : c;
  };
}

// ------------------------------------------------------------------ overview (XCH-01, XCH-05, XCH-12)

export interface CopyBatch {
  readonly batchId: string;
  readonly at: string;
  readonly process: string;
  readonly item: string;
  readonly operator: string;
  readonly received: number;
  readonly registered: number;
  readonly unchanged: number;
  readonly rejected: number;
  /** The rejected rows: position in the batch and reason ('CODE: …'). */
  readonly errors?: readonly { row: number; reason: string }[];
}

/**
 * The predefined correction procedure for each reason the 中間サーバー rejects a 副本 row with (XCH-06): what the
 * staff do, in order, before registering again.
 */
export const COPY_CORRECTIONS: Readonly<Record<string, { label: string; steps: readonly string[] }>> = {
  CODE_NOT_ACQUIRED: {
    label: '符号が取得されていない方の副本',
    steps: [
      '概要の「符号の取得状況」で、取得できなかった理由を確認する。',
      '住基ネットの本人確認情報（住民票コード）が正しく送られているかを宛名管理で確認し、誤りがあれば原本（住基の情報）を訂正する。',
      '符号の取得と副本の登録をやり直す（mamori exchange copies は符号の取得から行います）。',
    ],
  },
  INTEGRATED_NO_FORMAT: {
    label: '団体内統合宛名番号の形式の誤り',
    steps: ['宛名管理で団体内統合宛名番号（15桁）を確認し、原本を訂正する。', '副本の登録をやり直し、「登録の記録」で不備が0件になったことを確認する。'],
  },
};

export function correctionOf(reason: string): { code: string; label: string; steps: readonly string[] } {
  const code = /^([A-Z_]+):/.exec(reason)?.[1] ?? 'OTHER';
  const c = COPY_CORRECTIONS[code];
  return c ? { code, ...c } : { code, label: 'その他の不備', steps: ['副本の原本（予防接種台帳）の該当する記録を確認し、誤りを訂正する。', '副本の登録をやり直し、解消しない場合は情報システム担当に連絡する。'] };
}

export interface CodeStatusCount {
  readonly status: 'unrequested' | 'requested' | 'acquired' | 'failed';
  readonly count: number;
}

export interface ExchangeOverview {
  /** Persons with a 統合宛名番号 in this municipality. */
  readonly persons: number;
  readonly codes: CodeStatusCount[];
  /** Why acquisitions failed, with counts (never the person). */
  readonly failures: { reason: string; count: number }[];
  readonly copies: number;
  readonly batches: CopyBatch[];
  readonly pending: number;
  readonly reviewDue: boolean;
  readonly lastReviewedAt: string | null;
}

export async function exchangeOverview(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<ExchangeOverview> {
  const local = await runAs(db, who, async (w) => {
    requireExchange(w, 'personal.read', '情報連携の状況の参照');
    const r = await any(w).selectFrom('municipality.persons').select(['integrated_no']).where('tenant_code', '=', w.tenant).where('integrated_no', 'is not', null).execute();
    return new Set(r.map((p) => p.integrated_no as string));
  });
  const [codes, batches, pending, copies, settings] = await Promise.all([
    call<{ codes?: { integratedNo: string; status: string; reason: string | null }[] }>(x, who, 'codes.list', {}),
    call<{ batches?: CopyBatch[] }>(x, who, 'copies.batches', {}, false),
    call<{ pending?: unknown[] }>(x, who, 'pending.list', {}),
    call<{ total?: number }>(x, who, 'copies.list', { page: 1, pageSize: 1 }),
    call<{ reviewDue?: boolean; lastReviewedAt?: string | null }>(x, who, 'settings.get', {}, false),
  ]);
  const counts = new Map<string, number>([['acquired', 0], ['requested', 0], ['failed', 0]]);
  const failures = new Map<string, number>();
  const known = new Set<string>();
  for (const c of codes.codes ?? []) {
    known.add(c.integratedNo);
    counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
    if (c.status === 'failed') failures.set(c.reason ?? '（理由なし）', (failures.get(c.reason ?? '（理由なし）') ?? 0) + 1);
  }
  let unrequested = 0;
  for (const no of local) if (!known.has(no)) unrequested++;
  return {
    persons: local.size,
    codes: [
      { status: 'acquired', count: counts.get('acquired') ?? 0 },
      { status: 'requested', count: counts.get('requested') ?? 0 },
      { status: 'failed', count: counts.get('failed') ?? 0 },
      { status: 'unrequested', count: unrequested },
    ],
    failures: [...failures].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    copies: copies.total ?? 0,
    batches: (batches.batches ?? []).slice(0, 5),
    pending: (pending.pending ?? []).length,
    reviewDue: settings.reviewDue ?? false,
    lastReviewedAt: settings.lastReviewedAt ?? null,
  };
}

// ------------------------------------------------------------------ 副本 (XCH-05, XCH-06)

export interface CopyView {
  readonly integratedNo: string;
  readonly item: string;
  readonly doses: number;
  readonly registeredAt: string;
  readonly batchId: string;
  readonly digest: string;
}

export interface CopyPage {
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly rows: CopyView[];
}

interface RawCopy {
  integratedNo: string;
  item: string;
  data: unknown;
  digest: string;
  batchId: string;
  registeredAt: string;
}

const dosesIn = (data: unknown): Record<string, unknown>[] => {
  const r = (data as { records?: unknown } | null)?.records;
  return Array.isArray(r) ? (r.filter((d) => d && typeof d === 'object') as Record<string, unknown>[]) : [];
};

/** One page of the 副本 the 中間サーバー holds (a 'read' entry: the page shows persons' 統合宛名番号). */
export async function listCopies(db: MamoriDb, who: Principal, x: MunicipalExchange, o: { page: number; pageSize: number }): Promise<CopyPage> {
  await authorised(db, who, 'personal.read', '副本の参照', 'exchange-copies');
  const fetchPage = (page: number) => call<{ total?: number; page?: number; rows?: RawCopy[] }>(x, who, 'copies.list', { item: VACCINATION_HISTORY_ITEM, page, pageSize: o.pageSize });
  let b = await fetchPage(o.page);
  const total = b.total ?? 0;
  const last = Math.max(1, Math.ceil(total / o.pageSize));
  let page = o.page;
  if (page > last) {
    page = last;
    b = await fetchPage(page);
  }
  const rows = (b.rows ?? []).map((r) => ({ integratedNo: r.integratedNo, item: r.item, doses: dosesIn(r.data).length, registeredAt: r.registeredAt, batchId: r.batchId, digest: r.digest }));
  await audit(db, who, { action: 'read', targetType: 'exchange-copies', purpose: '副本の内容の確認', detail: { item: VACCINATION_HISTORY_ITEM, page, rows: rows.length, total } });
  return { total, page, pageSize: o.pageSize, rows };
}

export const COPIES_CSV_HEADER = ['統合宛名番号', '特定個人情報の項目', '予防接種', '回数', '接種日', 'ワクチン', 'ロット番号', '副本の登録日時', '登録の記録（バッチ番号）', 'ダイジェスト'] as const;

/**
 * Every 副本 row as CSV, one line per dose (a person without a dose on one line), for reconciliation with the
 * 原本 (the ledger): 統合宛名番号 and the doses only — a 副本 holds no name, address or My Number.
 */
export async function copiesCsv(db: MamoriDb, who: Principal, x: MunicipalExchange, formatAt: (iso: string) => string): Promise<{ csv: string; rows: number }> {
  const names = await runAs(db, who, async (w) => {
    requireExchange(w, 'personal.export', '副本の出力', 'exchange-copies');
    const { catalog } = await catalogFor(w);
    return {
      program: (c: unknown) => (typeof c === 'string' && c ? (catalog.programsByCode.get(c)?.at(-1)?.name ?? c) : ''),
      product: (c: unknown) => (typeof c === 'string' && c ? (catalog.productByCode.get(c)?.name ?? c) : ''),
    };
  });
  const out: CsvValue[][] = [];
  let persons = 0;
  for (let page = 1; ; page++) {
    const b = await call<{ total?: number; rows?: RawCopy[] }>(x, who, 'copies.list', { item: VACCINATION_HISTORY_ITEM, page, pageSize: 1000 });
    const rows = b.rows ?? [];
    for (const r of rows) {
      persons++;
      const at = formatAt(r.registeredAt);
      const doses = dosesIn(r.data);
      const base = [r.integratedNo, itemLabel(r.item)];
      const tail = [at, r.batchId, r.digest];
      if (!doses.length) out.push([...base, '', '', '', '', '', ...tail]);
      for (const d of doses) out.push([...base, names.program(d['program']), typeof d['dose'] === 'number' ? d['dose'] : '', typeof d['date'] === 'string' ? d['date'] : '不明', names.product(d['product']), typeof d['lot'] === 'string' ? d['lot'] : '', ...tail]);
    }
    if (!rows.length || page * 1000 >= (b.total ?? 0)) break;
  }
  await audit(db, who, { action: 'export', targetType: 'exchange-copies', purpose: '副本と原本の照合', detail: { item: VACCINATION_HISTORY_ITEM, persons, rows: out.length, format: 'csv' } });
  return { csv: csvDocument(COPIES_CSV_HEADER, out), rows: out.length };
}

/** The record of every batch registration of 副本 (XCH-05): when, which process, which item, who, counts. */
export async function listBatches(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<CopyBatch[]> {
  await authorised(db, who, 'personal.read', '副本登録の記録の参照', 'exchange-copies');
  const b = await call<{ batches?: CopyBatch[] }>(x, who, 'copies.batches', {}, false);
  return b.batches ?? [];
}

// ------------------------------------------------------------------ provisions held (XCH-12, XCH-13)

export interface PendingDose {
  readonly program: string | null;
  readonly dose: number | null;
  readonly date: string | null;
  readonly product: string | null;
  readonly lot: string | null;
}

export interface PendingProvision {
  readonly exchangeId: string;
  readonly requester: string;
  readonly requesterName: string;
  readonly integratedNo: string | null;
  /** The person in this municipality's addressee register (by 統合宛名番号), when found. */
  readonly atenaNo: string | null;
  readonly jimu: string;
  readonly item: string;
  readonly legalBasis: string;
  readonly requestedAt: string;
  readonly records: PendingDose[];
  readonly digest: string | null;
  readonly checkedBy: string | null;
  readonly checkedAt: Date | null;
  /** The check was made on other content than the 中間サーバー holds now (the 副本 changed): check again. */
  readonly checkStale: boolean;
}

interface RawPending {
  exchangeId: string;
  requester: string;
  integratedNo: string | null;
  jimu: string;
  item: string;
  legalBasis: string;
  requestedAt: string;
  records?: unknown[];
  digest: string | null;
}

const str = (v: unknown, n: number): string | null => (typeof v === 'string' && v.trim() ? v.trim().slice(0, n) : null);

function pendingDoses(records: unknown): PendingDose[] {
  if (!Array.isArray(records)) return [];
  return records.slice(0, 500).map((r) => {
    const d = (r ?? {}) as Record<string, unknown>;
    return { program: str(d['program'], 40), dose: typeof d['dose'] === 'number' ? d['dose'] : null, date: str(d['date'], 10), product: str(d['product'], 40), lot: str(d['lot'], 20) };
  });
}

/** Provisions the 中間サーバー holds for a person's check (自動応答不可), with this municipality's checks. */
export async function listPending(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<PendingProvision[]> {
  await authorised(db, who, 'personal.read', '自動応答不可の提供の参照', 'exchange-provision');
  return fetchPending(db, who, x, true);
}

/** The held provisions; `shown` = they are put on a screen (one 'read' entry each, under the person). */
async function fetchPending(db: MamoriDb, who: Principal, x: MunicipalExchange, shown: boolean): Promise<PendingProvision[]> {
  const b = await call<{ pending?: RawPending[] }>(x, who, 'pending.list', {});
  const list = b.pending ?? [];
  const name = await orgNames(db, who);
  return runAs(db, who, async (w) => {
    const ids = list.map((p) => p.exchangeId);
    const nos = list.map((p) => p.integratedNo).filter((n): n is string => !!n);
    const checks = ids.length
      ? await any(w).selectFrom('municipality.exchange_checks').selectAll().where('tenant_code', '=', w.tenant).where('exchange_id', 'in', ids).where('approved_at', 'is', null).execute()
      : [];
    const persons = nos.length ? await any(w).selectFrom('municipality.persons').select(['atena_no', 'integrated_no']).where('tenant_code', '=', w.tenant).where('integrated_no', 'in', nos).execute() : [];
    const atena = new Map(persons.map((p) => [p.integrated_no as string, p.atena_no as string]));
    const check = new Map(checks.map((c) => [c.exchange_id as string, c]));
    const out = list.map((p): PendingProvision => {
      const c = check.get(p.exchangeId);
      return {
        exchangeId: p.exchangeId,
        requester: p.requester,
        requesterName: name(p.requester),
        integratedNo: p.integratedNo,
        atenaNo: p.integratedNo ? (atena.get(p.integratedNo) ?? null) : null,
        jimu: p.jimu,
        item: p.item,
        legalBasis: p.legalBasis,
        requestedAt: p.requestedAt,
        records: pendingDoses(p.records),
        digest: p.digest,
        checkedBy: (c?.checked_by as string | undefined) ?? null,
        checkedAt: (c?.checked_at as Date | undefined) ?? null,
        checkStale: !!c && (c.digest ?? null) !== (p.digest ?? null),
      };
    });
    if (shown && out.length) {
      await appendEntries(
        w.tx,
        w,
        out.map((p) => ({ action: 'read', targetType: 'exchange-provision', targetId: p.exchangeId, subjectRef: p.atenaNo ? `resident:${p.atenaNo}` : undefined, purpose: '自動応答不可の提供の内容確認', detail: { requester: p.requester, item: p.item, records: p.records.length } })),
      );
    }
    return out;
  });
}

async function pendingOne(db: MamoriDb, who: Principal, x: MunicipalExchange, exchangeId: string): Promise<PendingProvision> {
  const p = (await fetchPending(db, who, x, false)).find((v) => v.exchangeId === exchangeId);
  if (!p) throw new Problem(404, 'PROVISION_NOT_FOUND', '確認待ちの提供が見つかりません', 'この提供はすでに承認されたか、確認待ちではありません。一覧を読み直してください。');
  return p;
}

/**
 * Step 1 (XCH-12): a staff member of the 情報連携 duty has checked the content to be provided.  Recorded with
 * the digest of the content seen; checking again (by anyone) replaces an unapproved check.
 */
export async function checkProvision(db: MamoriDb, who: Principal, x: MunicipalExchange, exchangeId: string, opts: { digest?: string | undefined } = {}): Promise<PendingProvision> {
  await authorised(db, who, 'personal.write', '自動応答不可の提供の内容確認', 'exchange-provision');
  const p = await pendingOne(db, who, x, exchangeId);
  if (opts.digest !== undefined && opts.digest !== (p.digest ?? '')) {
    throw new Problem(409, 'CONTENT_CHANGED', '確認している間に副本が更新されました', '提供する内容が画面を開いた時から変わっています。一覧を読み直して、内容を確認し直してください。');
  }
  await runAs(db, who, async (w) => {
    const now = w.clock.now();
    await any(w)
      .insertInto('municipality.exchange_checks')
      .values({ tenant_code: w.tenant, exchange_id: exchangeId, checked_by: w.actor.login, checked_at: now, digest: p.digest })
      .onConflict((oc) => oc.columns(['tenant_code', 'exchange_id']).doUpdateSet({ checked_by: w.actor.login, checked_at: now, digest: p.digest, approved_by: null, approved_at: null }))
      .execute();
    await appendEntry(w.tx, w, {
      action: 'exchange_check',
      targetType: 'exchange-provision',
      targetId: exchangeId,
      subjectRef: p.atenaNo ? `resident:${p.atenaNo}` : undefined,
      purpose: '自動応答不可の提供の内容確認',
      detail: { requester: p.requester, item: p.item, records: p.records.length },
    });
  });
  return { ...p, checkedBy: who.actor.login, checkedAt: new Date(), checkStale: false };
}

/** Whether the user may give the 上長承認 (the approval permission within the 情報連携 duty). */
export function mayApproveProvision(actor: Principal['actor']): boolean {
  return actor.kind !== 'system' && can(actor, 'deletion.approve', EXCHANGE_DUTY);
}

/**
 * Step 2 (XCH-13): the 上長承認 by a user with the approval permission who is not the one who checked.  The
 * 中間サーバー is told both names (and the content digest that was checked); it then delivers on the
 * requester's next poll.
 */
export async function approveProvision(db: MamoriDb, who: Principal, x: MunicipalExchange, exchangeId: string): Promise<void> {
  await authorised(db, who, 'deletion.approve', '自動応答不可の提供の上長承認', 'exchange-provision');
  // Refused inside the transaction, so that the refusal is in the operation log (the runner records it).
  const check = await runAs(db, who, async (w) => {
    const c = await any(w).selectFrom('municipality.exchange_checks').selectAll().where('tenant_code', '=', w.tenant).where('exchange_id', '=', exchangeId).where('approved_at', 'is', null).executeTakeFirst();
    if (!c) throw new Problem(409, 'NOT_CHECKED', '内容の確認がまだです', '上長承認の前に、職員が「内容を確認した」を記録してください。');
    if (c.checked_by === w.actor.login) {
      throw new Problem(403, 'APPROVER_IS_CHECKER', '内容を確認した職員は承認できません', `この提供の内容は ${w.actor.login} さん自身が確認しました。上長承認は、確認した職員とは別の職員（上長）が行ってください。`).withAudit({
        action: 'access_denied',
        targetType: 'exchange-provision',
        targetId: exchangeId,
        outcome: 'denied',
        detail: { reason: 'approver-is-checker' },
      });
    }
    return c;
  });
  const p = await pendingOne(db, who, x, exchangeId);
  if ((check.digest ?? null) !== (p.digest ?? null)) {
    throw new Problem(409, 'CONTENT_CHANGED', '確認した後に副本が更新されました', '提供する内容が確認した時から変わっています。内容を確認し直してから承認してください。');
  }
  await call(x, who, 'pending.approve', { exchangeId, checkedBy: check.checked_by, approvedBy: who.actor.login, ...(check.digest ? { digest: check.digest } : {}) }, false);
  await runAs(db, who, async (w) => {
    await any(w)
      .updateTable('municipality.exchange_checks')
      .set({ approved_by: w.actor.login, approved_at: w.clock.now() })
      .where('tenant_code', '=', w.tenant)
      .where('exchange_id', '=', exchangeId)
      .execute();
    await appendEntry(w.tx, w, {
      action: 'exchange_approve',
      targetType: 'exchange-provision',
      targetId: exchangeId,
      subjectRef: p.atenaNo ? `resident:${p.atenaNo}` : undefined,
      purpose: '自動応答不可の提供の上長承認',
      detail: { requester: p.requester, item: p.item, checkedBy: check.checked_by, records: p.records.length },
    });
  });
}

// ------------------------------------------------------------------ settings (XCH-12, XCH-14, XCH-15)

export interface ItemSetting {
  readonly item: string;
  readonly autoAnswerDisabled: boolean;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

export interface ExchangeSettings {
  readonly resultRetentionDays: number;
  readonly recordRetentionYears: number;
  readonly reviewIntervalDays: number;
  readonly lastReviewedAt: string | null;
  readonly lastReviewedBy: string | null;
  readonly reviewDue: boolean;
  readonly items: ItemSetting[];
}

export async function exchangeSettings(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<ExchangeSettings> {
  await authorised(db, who, 'personal.read', '情報連携の設定の参照', 'exchange-settings');
  return call<ExchangeSettings>(x, who, 'settings.get', {}, false);
}

/** The 自動応答不可フラグ of one item (XCH-12). */
export async function setAutoAnswerDisabled(db: MamoriDb, who: Principal, x: MunicipalExchange, item: string, disabled: boolean): Promise<void> {
  await authorised(db, who, 'personal.write', '自動応答不可フラグの設定', 'exchange-settings');
  if (!(item in ITEM_LABELS)) throw new Problem(400, 'UNKNOWN_ITEM', '設定できない項目です', '特定個人情報の項目の指定が正しくありません。', [{ field: 'item', code: 'UNKNOWN', message: '項目を選んでください。' }]);
  const before = (await call<ExchangeSettings>(x, who, 'settings.get', {}, false)).items?.find((i) => i.item === item)?.autoAnswerDisabled ?? false;
  await call(x, who, 'items.configure', { item, autoAnswerDisabled: disabled, operator: who.actor.login }, false);
  await audit(db, who, { action: 'settings_change', targetType: 'exchange-settings', targetId: item, purpose: '自動応答不可フラグの設定', detail: { item, autoAnswerDisabled: { from: before, to: disabled } } });
}

export interface RetentionInput {
  readonly resultRetentionDays: number;
  readonly recordRetentionYears: number;
  readonly reviewIntervalDays: number;
}

export const RETENTION_RANGES: Readonly<Record<keyof RetentionInput, readonly [number, number, string]>> = {
  resultRetentionDays: [0, 3650, '照会結果の保存日数'],
  recordRetentionYears: [1, 100, '情報提供等記録の保存年数'],
  reviewIntervalDays: [1, 3650, '情報提供等記録の点検の間隔（日）'],
};

/** Retention of inquiry results (XCH-15), of the 情報提供等記録 and its review interval (XCH-14). */
export async function setRetention(db: MamoriDb, who: Principal, x: MunicipalExchange, input: RetentionInput): Promise<ExchangeSettings> {
  await authorised(db, who, 'personal.write', '保存期間の設定', 'exchange-settings');
  const errors = (Object.entries(RETENTION_RANGES) as [keyof RetentionInput, readonly [number, number, string]][])
    .filter(([k, [lo, hi]]) => !Number.isInteger(input[k]) || input[k] < lo || input[k] > hi)
    .map(([k, [lo, hi]]) => ({ field: k, code: 'RANGE', message: `${lo} 以上 ${hi} 以下の整数で入力してください。` }));
  if (errors.length) throw new Problem(400, 'INVALID_SETTINGS', '入力内容を確認してください', '設定値が範囲外です。', errors);
  const before = await call<ExchangeSettings>(x, who, 'settings.get', {}, false);
  await call(x, who, 'settings.configure', { ...input }, false);
  const changed: Record<string, { from: number; to: number }> = {};
  for (const k of Object.keys(RETENTION_RANGES) as (keyof RetentionInput)[]) if (before[k] !== input[k]) changed[k] = { from: before[k], to: input[k] };
  await audit(db, who, { action: 'settings_change', targetType: 'exchange-settings', purpose: '情報連携の保存期間の設定', detail: changed });
  return call<ExchangeSettings>(x, who, 'settings.get', {}, false);
}

// ------------------------------------------------------------------ 情報提供等記録 (XCH-14)

export type RecordKind = 'inquiry' | 'provision' | 'approval';

export interface RecordView {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly kindLabel: string;
  readonly exchangeId: string | null;
  readonly integratedNo: string | null;
  readonly counterpart: string;
  readonly counterpartName: string;
  readonly jimu: string;
  readonly jimuLabel: string;
  readonly item: string;
  readonly itemLabel: string;
  readonly legalBasis: string | null;
  readonly status: string;
  readonly statusLabel: string;
  readonly operator: string | null;
}

export interface RecordList {
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly rows: RecordView[];
  readonly recordRetentionYears: number;
  readonly reviewIntervalDays: number;
  readonly lastReviewedAt: string | null;
  readonly lastReviewedBy: string | null;
  readonly reviewDue: boolean;
}

interface RawRecords {
  recordRetentionYears: number;
  reviewIntervalDays: number;
  lastReviewedAt: string | null;
  lastReviewedBy: string | null;
  reviewDue: boolean;
  records?: { seq: number; at: string; kind: string; exchangeId: string | null; integratedNo: string | null; jimu: string; item: string; counterpart: string; legalBasis: string | null; status: string; operator: string | null }[];
}

async function allRecords(db: MamoriDb, who: Principal, x: MunicipalExchange, kind: RecordKind | undefined): Promise<{ raw: RawRecords; rows: RecordView[] }> {
  const raw = await call<RawRecords>(x, who, 'records', {});
  const name = await orgNames(db, who);
  const rows = (raw.records ?? [])
    .filter((r) => !kind || r.kind === kind)
    .reverse()
    .map((r) => ({
      seq: r.seq,
      at: r.at,
      kind: r.kind,
      kindLabel: RECORD_KIND_LABELS[r.kind] ?? '（その他）',
      exchangeId: r.exchangeId,
      integratedNo: r.integratedNo,
      counterpart: r.counterpart,
      counterpartName: name(r.counterpart),
      jimu: r.jimu,
      jimuLabel: jimuLabel(r.jimu),
      item: r.item,
      itemLabel: itemLabel(r.item),
      legalBasis: r.legalBasis,
      status: r.status,
      statusLabel: recordStatusLabel(r.status),
      operator: r.operator,
    }));
  return { raw, rows };
}

/** One page of the 情報提供等記録 kept by the 中間サーバー, newest first. */
export async function listRecords(db: MamoriDb, who: Principal, x: MunicipalExchange, o: { page: number; pageSize: number; kind?: RecordKind | undefined }): Promise<RecordList> {
  await authorised(db, who, 'personal.read', '情報提供等記録の参照', 'exchange-records');
  const { raw, rows } = await allRecords(db, who, x, o.kind);
  const last = Math.max(1, Math.ceil(rows.length / o.pageSize));
  const page = Math.min(o.page, last);
  const shown = rows.slice((page - 1) * o.pageSize, page * o.pageSize);
  await audit(db, who, { action: 'read', targetType: 'exchange-records', purpose: '情報提供等記録の確認', detail: { kind: o.kind ?? null, page, rows: shown.length, total: rows.length } });
  return { total: rows.length, page, pageSize: o.pageSize, rows: shown, recordRetentionYears: raw.recordRetentionYears, reviewIntervalDays: raw.reviewIntervalDays, lastReviewedAt: raw.lastReviewedAt, lastReviewedBy: raw.lastReviewedBy, reviewDue: raw.reviewDue };
}

export const RECORDS_CSV_HEADER = ['日時', '種別', '相手先', '事務', '特定個人情報の項目', '根拠法令', '結果', '職員', '連携番号', '統合宛名番号'] as const;

export async function recordsCsv(db: MamoriDb, who: Principal, x: MunicipalExchange, formatAt: (iso: string) => string, kind?: RecordKind): Promise<{ csv: string; rows: number }> {
  await authorised(db, who, 'personal.export', '情報提供等記録の出力', 'exchange-records');
  const { rows } = await allRecords(db, who, x, kind);
  const csv = csvDocument(
    RECORDS_CSV_HEADER,
    rows.map((r) => [formatAt(r.at), r.kindLabel, r.counterpartName, r.jimuLabel, r.itemLabel, r.legalBasis ?? '', r.statusLabel, r.operator ?? '', r.exchangeId ?? '', r.integratedNo ?? '']),
  );
  await audit(db, who, { action: 'export', targetType: 'exchange-records', purpose: '情報提供等記録の出力', detail: { kind: kind ?? null, rows: rows.length, format: 'csv' } });
  return { csv, rows: rows.length };
}

/** The periodic review of the 情報提供等記録 (XCH-14): who reviewed, up to now. */
export async function reviewRecords(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<{ reviewedAt: string; reviewer: string }> {
  await authorised(db, who, 'personal.write', '情報提供等記録の点検', 'exchange-records');
  const r = await call<{ reviewedAt: string; reviewer: string }>(x, who, 'records.review', { reviewer: who.actor.login }, false);
  await audit(db, who, { action: 'exchange_review', targetType: 'exchange-records', purpose: '情報提供等記録の定期点検', detail: { reviewedAt: r.reviewedAt } });
  return r;
}
