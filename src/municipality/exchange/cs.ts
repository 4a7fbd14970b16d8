// 市町村CS (the municipality's 住基ネット communication server), sending side (decision 0138): notifies the
// 全国サーバ of every change to the municipality's residents' 本人確認情報 (住基法 30条の6), with the My
// Number (30条の6–30条の9), through the message layer (identity.update, docs/formats/exchange-protocol.md).
//
// How it stays exact:
// - The cursor (municipality.cs_sync) is the last person version sent, in (transaction id, atena_no,
//   version) order, and the sender reads only versions whose transaction id is below the oldest
//   transaction still running: those have all finished, so no version can later appear behind the
//   cursor (a recorded_at cursor could not promise that: recorded_at is the inserting transaction's
//   start, and a long import commits versions "before" a cursor that has already passed them).
// - Each change gets seq = sent_seq + n.  The cursor and sent_seq advance only after the 全国サーバ's
//   signed answer; a crash in between resends the same versions (each with the state it records) under
//   the same seqs, which the 全国サーバ recognises ((municipality, seq) received with the same change →
//   unchanged).
// - The My Number is read through the vault (vault.reveal, one operation-log entry per person with the
//   purpose below), and one summary entry per batch records the notification itself.
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import { runAs, newMeta, systemActor, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { PERSON_SUBJECT, type PersonState } from '../residents/index.js';

/** The purpose written with every My Number use of the notification. */
export const CS_PURPOSE = '住基ネットへの本人確認情報の通知';
/** identity.update carries at most this many changes (the 全国サーバ refuses more). */
export const CS_MAX_BATCH = 1000;

export interface CsSyncDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

export interface CsSyncOptions {
  /** Changes per message, at most 1000 (default 1000). */
  readonly batchSize?: number;
  /** Stop after this many messages (default: until nothing is left). */
  readonly maxBatches?: number;
  /** Who runs the notification (default: the system job 'cs-sync', which holds the My Number view flag). */
  readonly principal?: Principal;
  /** Send without My Numbers (e.g. a test of the 4情報 alone). */
  readonly withoutMyNumber?: boolean;
}

export interface CsSyncReport {
  /** Messages sent. */
  readonly batches: number;
  /** Changes sent (persons; several versions of one person in a batch are one change). */
  readonly sent: number;
  readonly applied: number;
  readonly unchanged: number;
  /** Persons passed over: without 住民票コード (住登外) or not in the 住民基本台帳 (category, status). */
  readonly skipped: number;
  /**
   * Persons not sent because an item the 全国サーバ requires is missing or too long (the 全国サーバ would
   * refuse the whole message): 宛名番号 and the item, for staff to correct; sent with their next version.
   */
  readonly rejected: readonly { readonly atenaNo: string; readonly field: string }[];
  readonly withMyNumber: number;
}

export interface CsChange {
  juminhyoCode: string;
  myNumber?: string;
  name: string;
  nameKana: string;
  birthDate: string;
  sex: 'male' | 'female';
  address: string;
  status: 'resident' | 'moved-out' | 'deceased';
  movement: string | null;
  movementDate: string | null;
  seq: number;
}

interface Cursor {
  /** 64-bit transaction id of the version. */
  readonly xid: number;
  readonly atenaNo: string;
  readonly version: number;
}

interface Prepared {
  readonly changes: CsChange[];
  readonly rejected: { atenaNo: string; field: string }[];
  readonly versions: number;
  readonly skipped: number;
  readonly next: Cursor | null;
  readonly sentSeq: number;
}

/** The 全国サーバ holds residents and those who left: a 職権消除 is reported as leaving (its movement code stays). */
function statusOf(s: PersonState): CsChange['status'] | null {
  switch (s.status) {
    case 'resident':
      return 'resident';
    case 'moved-out':
    case 'removed':
      return 'moved-out';
    case 'deceased':
      return 'deceased';
    default:
      return null;
  }
}

/** The first item the 全国サーバ would refuse (identity.update's rules), or null. */
function unsendable(s: PersonState): string | null {
  const text = (v: string | null | undefined, max: number) => typeof v === 'string' && v.trim().length > 0 && v.trim().length <= max;
  if (!text(s.nameKanji, 100)) return 'name';
  if ((s.nameKana ?? '').trim().length > 100) return 'nameKana';
  if (!text(s.address, 200)) return 'address';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s.birthDate ?? '')) return 'birthDate';
  if (s.sex !== 'male' && s.sex !== 'female') return 'sex';
  if (s.latestMovementOn && !/^\d{4}-\d{2}-\d{2}$/.test(s.latestMovementOn)) return 'movementDate';
  return null;
}

export function csPrincipal(tenant: string): Principal {
  // A system job that notifies the 全国サーバ as the law requires: it must read the number it notifies.
  return { tenant, actor: { ...systemActor('cs-sync'), mynumberView: true }, meta: newMeta('cs-sync') };
}

/**
 * The person versions after the cursor whose transaction finished before the oldest transaction still
 * running (all such versions are committed and visible; none can appear later), in cursor order.  A
 * version's transaction id is its row's xmin (person_versions is insert-only) widened to 64 bits with the
 * epoch of the snapshot's xmin; a cursor at or beyond that xmin cannot come from this database's history
 * (a restore into another cluster) and is treated as "nothing sent yet" — the 全国サーバ finds what it
 * already holds unchanged.
 */
async function versionsAfter(w: Work, cursor: Cursor | null, size: number): Promise<{ atena_no: string; version: number; fx: number; state: PersonState }[]> {
  const after = cursor ? sql`AND (v.fx, v.atena_no, v.version) > (${cursor.xid}::bigint, ${cursor.atenaNo}, ${cursor.version}::int)` : sql``;
  const r = await sql<{ atena_no: string; version: number; fx: number; state: PersonState }>`
    WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS s),
    v AS (
      SELECT p.atena_no, p.version, p.state, s.s - d.diff AS fx, d.diff
      FROM municipality.person_versions p CROSS JOIN s
      CROSS JOIN LATERAL (SELECT (((s.s % 4294967296) - p.xmin::text::bigint) % 4294967296 + 4294967296) % 4294967296 AS diff) d
      WHERE p.tenant_code = ${w.tenant})
    SELECT v.atena_no, v.version, v.fx, v.state FROM v
    WHERE v.diff BETWEEN 1 AND 2147483648 ${after}
    ORDER BY v.fx, v.atena_no, v.version LIMIT ${size}`.execute(w.tx);
  return r.rows.map((x) => ({ atena_no: x.atena_no, version: Number(x.version), fx: Number(x.fx), state: x.state }));
}

async function prepare(w: Work, vault: Vault, size: number, withMyNumber: boolean): Promise<Prepared> {
  const cur = await sql<{ xid: number | null; atena: string | null; version: number | null; sent_seq: number; horizon: number }>`
    SELECT last_xid AS xid, last_atena_no AS atena, last_version AS version, sent_seq, pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon
    FROM municipality.cs_sync WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const c = cur.rows[0];
  const sentSeq = Number(c?.sent_seq ?? 0);
  const cursor: Cursor | null = c && c.xid !== null && Number(c.xid) < Number(c.horizon) ? { xid: Number(c.xid), atenaNo: c.atena!, version: Number(c.version) } : null;
  const vs = { rows: await versionsAfter(w, cursor, size) };
  if (vs.rows.length === 0) return { changes: [], rejected: [], versions: 0, skipped: 0, next: null, sentSeq };
  const end = vs.rows[vs.rows.length - 1]!;
  const next: Cursor = { xid: end.fx, atenaNo: end.atena_no, version: end.version };
  // One change per person, in the order of their last version in the batch, with the state that version
  // records (not the person's current state): a resend of the same versions is then the same message,
  // seq for seq, which the 全国サーバ tells from a reused seq.
  const last = new Map<string, PersonState>();
  for (const v of vs.rows) {
    last.delete(v.atena_no);
    last.set(v.atena_no, v.state);
  }
  const order = [...last.keys()];
  const held = withMyNumber ? await vault.storedIndexes(w, PERSON_SUBJECT, order) : new Map<string, Buffer>();
  const changes: CsChange[] = [];
  const rejected: { atenaNo: string; field: string }[] = [];
  let skipped = 0;
  for (const [atena, s] of last) {
    const status = statusOf(s);
    if (!s.juminhyoCode || s.category !== 'resident' || !status) {
      skipped++;
      continue;
    }
    const bad = unsendable(s);
    if (bad) {
      rejected.push({ atenaNo: atena, field: bad });
      continue;
    }
    const ch: CsChange = {
      juminhyoCode: s.juminhyoCode,
      name: s.nameKanji,
      nameKana: s.nameKana,
      birthDate: s.birthDate,
      sex: s.sex,
      address: s.address,
      status,
      movement: s.latestMovement ?? null,
      movementDate: s.latestMovementOn ?? null,
      seq: sentSeq + changes.length + 1,
    };
    if (held.has(atena)) ch.myNumber = await vault.reveal(w, { subjectType: PERSON_SUBJECT, subjectId: atena }, CS_PURPOSE, { subjectRef: `resident:${atena}` });
    changes.push(ch);
  }
  if (changes.length) {
    await appendEntry(w.tx, w, {
      action: 'export',
      targetType: 'residents-cs-sync',
      targetId: `jlis:${sentSeq + 1}-${sentSeq + changes.length}`,
      purpose: CS_PURPOSE,
      detail: { to: 'jlis', service: 'identity.update', changes: changes.length, withMyNumber: changes.filter((x) => x.myNumber).length },
    });
  }
  return { changes, rejected, versions: vs.rows.length, skipped, next, sentSeq };
}

async function advance(w: Work, from: number, next: Cursor, sent: number): Promise<void> {
  // Guarded by the seq the batch started from: when another run advanced the cursor meanwhile, what this
  // run sent was a resend and nothing is recorded.
  await sql`
    INSERT INTO municipality.cs_sync (tenant_code, last_xid, last_atena_no, last_version, sent_seq, sent_total, last_sync_at)
    VALUES (${w.tenant}, ${next.xid}, ${next.atenaNo}, ${next.version}, ${from + sent}, ${sent}, ${w.clock.now()})
    ON CONFLICT (tenant_code) DO UPDATE SET last_xid = excluded.last_xid, last_atena_no = excluded.last_atena_no,
      last_version = excluded.last_version, sent_seq = excluded.sent_seq, sent_total = municipality.cs_sync.sent_total + ${sent}, last_sync_at = excluded.last_sync_at
    WHERE municipality.cs_sync.sent_seq = ${from}`.execute(w.tx);
}

/**
 * Sends every person version recorded since the last run to the 全国サーバ, in messages of at most 1000
 * changes, advancing the cursor after each signed answer.  Safe to rerun at any time (a crashed run resends).
 */
export async function syncResidentsToJlis(deps: CsSyncDeps, node: ExchangeNode, tenant: string, opts: CsSyncOptions = {}): Promise<CsSyncReport> {
  const size = Math.max(1, Math.min(opts.batchSize ?? CS_MAX_BATCH, CS_MAX_BATCH));
  const who = opts.principal ?? csPrincipal(tenant);
  if (who.tenant !== tenant) throw new Error('principal of another tenant');
  let batches = 0;
  let sent = 0;
  let applied = 0;
  let unchanged = 0;
  let skipped = 0;
  let withMyNumber = 0;
  const rejected: { atenaNo: string; field: string }[] = [];
  for (;;) {
    if (opts.maxBatches !== undefined && batches >= opts.maxBatches) break;
    const p = await runAs(deps.db, who, (w) => prepare(w, deps.vault, size, !opts.withoutMyNumber));
    if (!p.next) break;
    skipped += p.skipped;
    rejected.push(...p.rejected);
    if (p.changes.length) {
      const answer = await node.call('jlis', 'identity.update', { tenant, changes: p.changes }, { personal: true, timeoutMs: 120_000 });
      const r = (answer.body ?? {}) as { applied?: number; unchanged?: number };
      applied += Number(r.applied ?? 0);
      unchanged += Number(r.unchanged ?? 0);
      sent += p.changes.length;
      withMyNumber += p.changes.filter((x) => x.myNumber).length;
      batches++;
    }
    await runAs(deps.db, who, (w) => advance(w, p.sentSeq, p.next!, p.changes.length));
    if (p.versions < size) break;
  }
  return { batches, sent, applied, unchanged, skipped, rejected, withMyNumber };
}

/** Where the notification stands for a tenant (screens, CLI). */
export async function csSyncState(w: Work): Promise<{ sentSeq: number; sentTotal: number; lastSyncAt: Date | null }> {
  const r = await sql<{ sent_seq: number; sent_total: number; last_sync_at: Date | null }>`
    SELECT sent_seq, sent_total, last_sync_at FROM municipality.cs_sync WHERE tenant_code = ${w.tenant}`.execute(w.tx);
  const x = r.rows[0];
  return { sentSeq: Number(x?.sent_seq ?? 0), sentTotal: Number(x?.sent_total ?? 0), lastSyncAt: x?.last_sync_at ?? null };
}
