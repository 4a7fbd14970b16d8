// The registry's syncs to the 厚生労働省's own systems (issue 16 Must have 6; QUA-28, QUA-29; decisions 0221–0225;
// contracts: docs/formats/menkyo-protocol.md, docs/formats/kensaku-protocol.md):
// - 免許登録管理システム (node `menkyo`): the 医籍等 and 薬剤師名簿 entries with their register items, 抹消, 行政処分
//   and the My Number (特定個人情報) — only as a personal (encrypted) message from this node, and only persons
//   registrable without problems (decision 0222; others wait and are sent once resolved);
// - 資格確認検索システム (node `kensaku`): per registrant and qualification only 氏名, 登録年 and 性別, under an
//   opaque 照合キー; 抹消・死亡・免許取消 become a tombstone (掲載終了) that removes the person from the public search.
// Each entry's cursor is registry.sync_state (the version the target acknowledged, per record); a run reads the
// entries whose version is ahead of it in 登録番号 order, in batches, one message per qualification and batch,
// and records each acknowledgement as it comes.  A run that stops half-way resumes with what was not
// acknowledged; a run with nothing new sends nothing; a version sent twice is acknowledged by the target as
// already held (never stored twice).
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import { ensureKeyFile, nodeKeyDir } from '../kernel/crypto/index.js';
import { arrayLiteral } from '../kernel/db/index.js';
import { everyInterval, type ExchangeNode } from '../kernel/exchange/index.js';
import { logger } from '../kernel/log/index.js';
import { invalidField, Problem } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import type { Items, NameRecord } from './register.js';
import type { RegistrySecrets } from './secrets.js';
import { withTenant, type Db, type Tx } from './store.js';

export const SYNC_TARGETS = {
  menkyo: { node: 'menkyo', title: '免許登録管理システム', service: 'register.sync' },
  kensaku: { node: 'kensaku', title: '資格確認検索システム', service: 'listings.sync' },
} as const;
export type SyncTarget = keyof typeof SYNC_TARGETS;

/** The 資格管理者 whose registers are synchronised: 医籍等 (医政局) and 薬剤師名簿 (医薬・生活衛生局), seed 004. */
export const SYNC_TENANTS = ['mhlw-isei', 'mhlw-iyaku'] as const;
/** Entries read per batch (each batch is at most one message per qualification). */
export const SYNC_BATCH = 200;
/** How often the registry node runs both syncs (0 disables the job; tests drive runSync themselves). */
export const SYNC_INTERVAL_MS = 15 * 60_000;

/** The items the public search is given (QUA-29), and the tombstone (decision 0225). */
export const KENSAKU_ITEMS = ['氏名', '登録年', '性別'] as const;

export const WITHHELD_LABELS = {
  unverified: '住基ネット・戸籍による確認の記録がありません',
  proposal: '住基ネット・戸籍の確認による審査中の提案があります',
  application: '審査中の申請（訂正・書換え・再交付・抹消）があります',
} as const;
export type WithheldReason = keyof typeof WITHHELD_LABELS;

export interface SyncDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly node: ExchangeNode;
  readonly secrets: RegistrySecrets;
  /** The key directory (the 照合キー of the public search is derived with the registry's own key there). */
  readonly keyDir: string;
}

export interface SyncReport {
  readonly target: SyncTarget;
  readonly tenant: string;
  readonly runNo: number;
  /** Records sent (each acknowledged by the target). */
  readonly sent: number;
  /** Of those, stored as new by the target / already held (a re-send after a stop). */
  readonly stored: number;
  readonly unchanged: number;
  /** Public search: tombstones among the records sent. */
  readonly removed: number;
  /** Entries not sent because they are not registrable without problems (decision 0222), by reason. */
  readonly withheld: Record<WithheldReason, number>;
  readonly messages: number;
}

interface Candidate {
  q: string;
  n: string;
  version: number;
  registered_on: string;
  pseudonym_id: string;
  items: Items;
  names: NameRecord[];
  erased_on: string | null;
  erasure_cause: string | null;
  erasure_reason_code: string | null;
  deceased: boolean;
  revoked: boolean;
  approved: boolean;
  juki: string | null;
  koseki: string | null;
  open_proposal: boolean;
  open_application: boolean;
  sent_version: number | null;
  sent_removed: boolean | null;
  ct: Buffer | null;
  key_version: number | null;
}

/** Whether an entry's latest 住基・戸籍 checks on its registering application allow it (the approval rule, 0192). */
function withheldReason(c: Candidate): WithheldReason | null {
  const kosekiOk = c.koseki === 'match' || c.koseki === 'extract-received' || c.koseki === 'not-applicable';
  if (!c.approved || c.juki !== 'match' || !kosekiOk) return 'unverified';
  if (c.open_proposal) return 'proposal';
  if (c.open_application) return 'application';
  return null;
}

/** 抹消, death or a 免許取消 in force: removed from the public search (decision 0225). */
const isRemoved = (c: Candidate): boolean => c.erased_on !== null || c.deceased || c.revoked;

/** The public search's opaque key of an entry: stable, reveals neither the 登録番号 nor the person. */
export function kensakuKey(keyDir: string, qualification: string, number: number): string {
  const key = ensureKeyFile(join(nodeKeyDir(keyDir, 'registry'), 'kensaku.key'));
  return `K${createHmac('sha256', key).update(`registry|kensaku|${qualification}|${number}`).digest('hex').slice(0, 32)}`;
}

function currentName(c: Candidate): string | null {
  const n = c.names.find((x) => x.kind === '氏名' && x.until === null);
  if (!n || !n.姓) return null;
  return n.名 ? `${n.姓}　${n.名}` : n.姓;
}

function sexOf(items: Items): '1' | '2' | null {
  const v = items['性別コード'] ?? items['性別'];
  return v === '1' || v === '2' ? v : null;
}

async function candidates(tx: Tx, target: SyncTarget, quals: readonly string[], after: { q: string; n: number }, limit: number, today: string): Promise<Candidate[]> {
  const r = await sql<Candidate>`
    WITH base AS (
      SELECT e.qualification_code AS q, e.registration_no::text AS n, e.version, to_char(e.registered_on, 'YYYY-MM-DD') AS registered_on, e.pseudonym_id, e.items, e.names,
        to_char(e.erased_on, 'YYYY-MM-DD') AS erased_on, e.erasure_cause, e.erasure_reason_code, e.deceased, e.application_id,
        EXISTS (SELECT 1 FROM registry.dispositions d WHERE d.qualification_code = e.qualification_code AND d.registration_no = e.registration_no AND d.kind = 'revocation' AND d.period_from <= ${today}::date) AS revoked,
        s.version AS sent_version, s.removed AS sent_removed
      FROM registry.entries e
      LEFT JOIN registry.sync_state s ON s.target = ${target} AND s.qualification_code = e.qualification_code AND s.registration_no = e.registration_no
      WHERE e.qualification_code = ANY(${arrayLiteral(quals)}::text[]) AND (e.qualification_code, e.registration_no) > (${after.q}, ${after.n}::bigint)
    )
    SELECT b.*,
      EXISTS (SELECT 1 FROM registry.applications a WHERE a.id::text = b.application_id AND a.status = 'approved') AS approved,
      (SELECT c.outcome FROM registry.application_checks c WHERE c.application_id::text = b.application_id AND c.source = 'juki' ORDER BY c.seq DESC LIMIT 1) AS juki,
      (SELECT c.outcome FROM registry.application_checks c WHERE c.application_id::text = b.application_id AND c.source = 'koseki' ORDER BY c.seq DESC LIMIT 1) AS koseki,
      EXISTS (SELECT 1 FROM registry.check_proposals p WHERE p.qualification_code = b.q AND p.registration_no = b.n::bigint AND p.status = 'open') AS open_proposal,
      EXISTS (SELECT 1 FROM registry.applications a WHERE a.qualification_code = b.q AND a.registration_no = b.n::bigint AND a.procedure <> 'new' AND a.status IN ('received', 'returned')) AS open_application,
      m.ciphertext AS ct, m.key_version
    FROM base b
    LEFT JOIN registry.entry_mynumbers m ON m.qualification_code = b.q AND m.registration_no = b.n::bigint
    WHERE b.sent_version IS NULL OR b.sent_version < b.version OR (${target} = 'kensaku' AND b.sent_removed IS DISTINCT FROM (b.erased_on IS NOT NULL OR b.deceased OR b.revoked))
    ORDER BY b.q, b.n::bigint
    LIMIT ${limit}`.execute(tx);
  return r.rows;
}

async function dispositionsOf(tx: Tx, q: string, numbers: readonly number[]): Promise<Map<number, Record<string, unknown>[]>> {
  const out = new Map<number, Record<string, unknown>[]>();
  if (!numbers.length) return out;
  const r = await sql<{ n: string; kind: string; decided_on: string; code: string; period_from: string; period_until: string | null; issue_no: string }>`
    SELECT registration_no::text AS n, kind, to_char(decided_on, 'YYYY-MM-DD') AS decided_on, code, to_char(period_from, 'YYYY-MM-DD') AS period_from,
           to_char(period_until, 'YYYY-MM-DD') AS period_until, issue_no
    FROM registry.dispositions WHERE qualification_code = ${q} AND registration_no = ANY(${arrayLiteral(numbers.map(String))}::bigint[]) ORDER BY registration_no, seq`.execute(tx);
  for (const d of r.rows) {
    const list = out.get(Number(d.n)) ?? [];
    list.push({ kind: d.kind, decidedOn: d.decided_on, code: d.code, from: d.period_from, until: d.period_until, issueNo: d.issue_no });
    out.set(Number(d.n), list);
  }
  return out;
}

interface Ack {
  readonly id: string;
  readonly version: number;
  readonly result: 'stored' | 'unchanged' | 'stale';
}

function acksOf(body: unknown, idField: 'registrationNo' | 'key'): Ack[] {
  const results = (body as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) throw new Problem(502, 'SYNC_BAD_ANSWER', '同期先の応答が正しくありません', '受領結果（results）がありません。');
  return results.map((x: Record<string, unknown>) => {
    const id = x?.[idField];
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof x['version'] !== 'number' || !['stored', 'unchanged', 'stale'].includes(String(x['result']))) {
      throw new Problem(502, 'SYNC_BAD_ANSWER', '同期先の応答が正しくありません', '受領結果の形式が正しくありません。');
    }
    return { id: String(id), version: x['version'], result: x['result'] as Ack['result'] };
  });
}

/**
 * Runs one sync now for every 資格管理者 synchronised (or `tenant`).  `maxBatches` stops after that many batches
 * (what a stopped process leaves: the next run continues); `batchSize` defaults to SYNC_BATCH.
 */
export async function runSync(deps: SyncDeps, target: SyncTarget, opts: { tenant?: string; batchSize?: number; maxBatches?: number } = {}): Promise<SyncReport[]> {
  if (!Object.hasOwn(SYNC_TARGETS, target)) throw invalidField('target', 'SYNC_TARGET_UNKNOWN', `同期先は ${Object.keys(SYNC_TARGETS).join('・')} のいずれかです`);
  if (opts.tenant !== undefined && !(SYNC_TENANTS as readonly string[]).includes(opts.tenant)) {
    throw invalidField('tenant', 'SYNC_TENANT_UNKNOWN', `${SYNC_TARGETS[target].title}と同期する資格管理者は ${SYNC_TENANTS.join('・')} です`);
  }
  const tenants = opts.tenant ? [opts.tenant] : [...SYNC_TENANTS];
  const out: SyncReport[] = [];
  for (const t of tenants) out.push(await syncTenant(deps, target, t, opts));
  return out;
}

async function syncTenant(deps: SyncDeps, target: SyncTarget, tenant: string, opts: { batchSize?: number; maxBatches?: number }): Promise<SyncReport> {
  const def = SYNC_TARGETS[target];
  const quals = catalog().jurisdiction(tenant).map((q) => q.code);
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? SYNC_BATCH, 1000));
  const runNo = await withTenant(deps.db, tenant, async (tx) => {
    const no = await sql<{ n: string }>`SELECT (COALESCE(max(run_no), 0) + 1)::text AS n FROM registry.sync_runs`.execute(tx);
    await sql`INSERT INTO registry.sync_runs (tenant_code, run_no, target, status, started_at) VALUES (${tenant}, ${no.rows[0]!.n}, ${target}, 'running', ${deps.clock.now()})`.execute(tx);
    return Number(no.rows[0]!.n);
  });
  const report = { target, tenant, runNo, sent: 0, stored: 0, unchanged: 0, removed: 0, withheld: { unverified: 0, proposal: 0, application: 0 }, messages: 0 };
  try {
    let after = { q: '', n: 0 };
    for (let batch = 0; opts.maxBatches === undefined || batch < opts.maxBatches; batch++) {
      const today = deps.clock.today();
      const rows = await withTenant(deps.db, tenant, (tx) => candidates(tx, target, quals, after, batchSize, today));
      if (!rows.length) break;
      after = { q: rows.at(-1)!.q, n: Number(rows.at(-1)!.n) };
      const byQ = new Map<string, Candidate[]>();
      for (const c of rows) {
        // A removal from the public search never waits (decision 0225); everything else only when problem-free.
        const why = target === 'kensaku' && isRemoved(c) ? null : withheldReason(c);
        if (why) {
          report.withheld[why]++;
          continue;
        }
        byQ.set(c.q, [...(byQ.get(c.q) ?? []), c]);
      }
      for (const [q, list] of byQ) {
        const sent = target === 'menkyo' ? await sendMenkyo(deps, tenant, q, list) : await sendKensaku(deps, tenant, q, list);
        report.messages++;
        report.sent += sent.acks.length;
        report.stored += sent.acks.filter((a) => a.result === 'stored').length;
        report.unchanged += sent.acks.filter((a) => a.result !== 'stored').length;
        report.removed += sent.removed;
      }
      if (rows.length < batchSize) break;
    }
    await withTenant(deps.db, tenant, (tx) => sql`UPDATE registry.sync_runs SET status = 'done', finished_at = ${deps.clock.now()}, sent = ${report.sent}, stored = ${report.stored},
      unchanged = ${report.unchanged}, withheld = ${report.withheld.unverified + report.withheld.proposal + report.withheld.application}, messages = ${report.messages} WHERE run_no = ${runNo}`.execute(tx));
    return report;
  } catch (e) {
    await withTenant(deps.db, tenant, (tx) => sql`UPDATE registry.sync_runs SET status = 'failed', finished_at = ${deps.clock.now()}, sent = ${report.sent}, stored = ${report.stored},
      unchanged = ${report.unchanged}, messages = ${report.messages}, last_error = ${`${def.title}: ${(e as Error).message}`.slice(0, 500)} WHERE run_no = ${runNo}`.execute(tx));
    throw e;
  }
}

/** Records the acknowledged versions (only those the target acknowledged, for records this message carried). */
async function recordAcks(deps: SyncDeps, tenant: string, target: SyncTarget, q: string, sent: Map<string, { number: number; version: number; removed: boolean }>, acks: readonly Ack[], msgId: string): Promise<void> {
  await withTenant(deps.db, tenant, async (tx) => {
    for (const a of acks) {
      const s = sent.get(a.id);
      if (!s || s.version !== a.version) continue;
      await sql`INSERT INTO registry.sync_state (tenant_code, target, qualification_code, registration_no, version, removed, result, msg_id, acknowledged_at)
        VALUES (${tenant}, ${target}, ${q}, ${s.number}, ${s.version}, ${s.removed}, ${a.result}, ${msgId}, ${deps.clock.now()})
        ON CONFLICT (tenant_code, target, qualification_code, registration_no) DO UPDATE SET version = excluded.version, removed = excluded.removed, result = excluded.result,
          msg_id = excluded.msg_id, acknowledged_at = excluded.acknowledged_at`.execute(tx);
    }
  });
}

async function sendMenkyo(deps: SyncDeps, tenant: string, q: string, list: readonly Candidate[]): Promise<{ acks: Ack[]; removed: number }> {
  const disp = await withTenant(deps.db, tenant, (tx) => dispositionsOf(tx, q, list.map((c) => Number(c.n))));
  const records = list.map((c) => {
    const number = Number(c.n);
    const ref = { tenant, qualification: q, number };
    return {
      registrationNo: number,
      version: c.version,
      registeredOn: c.registered_on,
      pseudonymId: c.pseudonym_id,
      items: c.items,
      // 特定個人情報 (QUA-28): only inside the message encrypted to 免許登録管理システム.
      myNumber: c.ct && c.key_version !== null ? deps.secrets.openMyNumber(ref, c.ct, c.key_version) : null,
      erasure: c.erased_on ? { on: c.erased_on, cause: c.erasure_cause, reasonCode: c.erasure_reason_code } : null,
      deceased: c.deceased,
      dispositions: disp.get(number) ?? [],
    };
  });
  const answer = await deps.node.call(SYNC_TARGETS.menkyo.node, SYNC_TARGETS.menkyo.service, { qualification: q, records }, { personal: true });
  const acks = acksOf(answer.body, 'registrationNo');
  await recordAcks(deps, tenant, 'menkyo', q, new Map(list.map((c) => [String(Number(c.n)), { number: Number(c.n), version: c.version, removed: false }])), acks, answer.id);
  return { acks, removed: 0 };
}

async function sendKensaku(deps: SyncDeps, tenant: string, q: string, list: readonly Candidate[]): Promise<{ acks: Ack[]; removed: number }> {
  const sent = new Map<string, { number: number; version: number; removed: boolean }>();
  const records = list.map((c) => {
    const number = Number(c.n);
    const key = kensakuKey(deps.keyDir, q, number);
    const name = currentName(c);
    const sex = sexOf(c.items);
    const removed = isRemoved(c) || name === null || sex === null;
    sent.set(key, { number, version: c.version, removed });
    // Only the three items of QUA-29, or the tombstone (decision 0225).
    return removed ? { key, version: c.version, 掲載終了: true } : { key, version: c.version, 氏名: name, 登録年: Number(c.registered_on.slice(0, 4)), 性別: sex };
  });
  const answer = await deps.node.call(SYNC_TARGETS.kensaku.node, SYNC_TARGETS.kensaku.service, { qualification: q, records }, { personal: true });
  const acks = acksOf(answer.body, 'key');
  await recordAcks(deps, tenant, 'kensaku', q, sent, acks, answer.id);
  return { acks, removed: [...sent.values()].filter((s) => s.removed).length };
}

/**
 * The node's periodic syncs (every `intervalMs`, default SYNC_INTERVAL_MS; 0: none): 免許登録管理 then 資格確認検索,
 * each only when its node is in the directory.  A failure is logged and the next run continues from the cursor.
 */
export async function startSyncJobs(deps: SyncDeps, nodeName: string, intervalMs = SYNC_INTERVAL_MS): Promise<() => void> {
  if (intervalMs <= 0) return () => undefined;
  return everyInterval(nodeName, 'registry syncs', async () => {
    for (const target of Object.keys(SYNC_TARGETS) as SyncTarget[]) {
      if (!deps.node.directory.has(SYNC_TARGETS[target].node)) continue;
      try {
        for (const r of await runSync(deps, target)) {
          logger().info({ node: nodeName, target, tenant: r.tenant, sent: r.sent, stored: r.stored, unchanged: r.unchanged, withheld: r.withheld, removed: r.removed }, 'registry sync');
        }
      } catch (e) {
        logger().warn({ node: nodeName, target, err: (e as Error).message }, 'registry sync failed (continued on the next run)');
      }
    }
  }, intervalMs);
}
