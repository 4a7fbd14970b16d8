// The hash chain over each tenant's operation log (KRN-34; keyed since decision 0120, KRN-33/KRN-34).
//
// entry.hash = HMAC-SHA256(K, "mamori-audit-entry/v2" || 0x00 || prev_hash || 0x00 || canonical(entry)), where K
// is the chain MAC key in the key directory (AuditKeys, never in the database) and canonical is a JSON array of
// every content column in a fixed order, the timestamp in UTC with microseconds and `detail` as PostgreSQL's
// canonical jsonb text.  The first entry of a tenant links to genesis(tenant).  Entries sealed before
// migration 0012 keep their unkeyed hashes (v1: SHA-256(prev || 0x00 || canonical)); the sealer closes such a
// legacy chain with a signed, witnessed 'legacy-end' checkpoint and continues it keyed.
//
// Sealing is done by the owner role in batches, so appends never wait on a chain lock.  A signed checkpoint
// (Ed25519) is written at least every CHECKPOINT_EVERY entries and whenever the newest one is older than
// CHECKPOINT_MAX_AGE_MS by the kernel clock, and each checkpoint is also appended to the witness file outside
// the database (witness.ts).  The sealer refuses to continue a chain that is behind its witness (its tail was
// deleted), so that no seq is handed out twice.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import type { AuditKeys, SignatureVerifier } from '../crypto/index.js';
import type { Clock } from '../clock/index.js';
import { logger } from '../log/index.js';
import type { AuditWitness, WitnessRecord } from './witness.js';

/**
 * What the chains' trust rests on outside the database (KRN-34): the chain MAC key and the checkpoint signing
 * key (key directory), the witness file and the kernel clock.  `app.auditKeys` is one of these.
 */
export class AuditTrust implements SignatureVerifier {
  constructor(
    readonly keys: AuditKeys,
    readonly witness: AuditWitness,
    readonly clock: Clock,
  ) {}

  get keyId(): string {
    return this.keys.keyId;
  }

  sign(data: Buffer): Buffer {
    return this.keys.sign(data);
  }

  verify(keyId: string, data: Buffer, signature: Buffer): boolean {
    return this.keys.verify(keyId, data, signature);
  }

  mac(...parts: (Buffer | string)[]): Buffer {
    return this.keys.mac(...parts);
  }
}

export interface ChainRow {
  tenant_code: string;
  id: number;
  seq: number | null;
  ts: string;
  actor_kind: string;
  actor_id: string | null;
  actor_login: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  subject_ref: string | null;
  purpose: string | null;
  request_id: string | null;
  client_address: string | null;
  terminal_id: string | null;
  program: string | null;
  outcome: string;
  detail: string | null;
  prev_hash: Buffer | null;
  hash: Buffer | null;
}

/** Columns selected for hashing; the timestamp is rendered by PostgreSQL so that no precision is lost. */
export const CHAIN_COLUMNS = sql.raw(`tenant_code, id, seq,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts,
  actor_kind, actor_id, actor_login, action, target_type, target_id, subject_ref, purpose, request_id,
  client_address, terminal_id, program, outcome, detail::text AS detail, prev_hash, hash`);

export function genesis(tenant: string): Buffer {
  return createHash('sha256').update(`mamori-audit-genesis:${tenant}`).digest();
}

/** The unkeyed v1 entry hash: only for entries sealed before migration 0012 (up to a signed 'legacy-end'). */
export function legacyEntryHash(prev: Buffer, r: ChainRow, seq: number): Buffer {
  return createHash('sha256').update(prev).update(Buffer.from([0])).update(canonical(r, seq), 'utf8').digest();
}

/** The keyed v2 entry hash (KRN-34): an HMAC under the chain MAC key, which the database never holds. */
export function entryMac(trust: Pick<AuditTrust, 'mac'>, prev: Buffer, r: ChainRow, seq: number): Buffer {
  return trust.mac('mamori-audit-entry/v2', Buffer.from([0]), prev, Buffer.from([0]), canonical(r, seq));
}

function canonical(r: ChainRow, seq: number): string {
  return JSON.stringify([
    r.tenant_code, r.id, seq, r.ts, r.actor_kind, r.actor_id, r.actor_login, r.action, r.target_type, r.target_id,
    r.subject_ref, r.purpose, r.request_id, r.client_address, r.terminal_id, r.program, r.outcome, r.detail,
  ]);
}

/**
 * The signed bytes of a checkpoint.  v1 (before migration 0012) covered tenant, seq and hash; v2 covers the
 * reason too, so that a 'legacy-end' (or 'restore') cannot be made out of an ordinary checkpoint.
 */
export function checkpointMessage(tenant: string, seq: number, hash: Buffer, reason = '', version: 1 | 2 = 2): Buffer {
  if (version === 1) return Buffer.from(`mamori-audit-checkpoint/v1|${tenant}|${seq}|${hash.toString('hex')}`, 'utf8');
  return Buffer.from(`mamori-audit-checkpoint/v2|${tenant}|${seq}|${hash.toString('hex')}|${reason}`, 'utf8');
}

/** A checkpoint at least every this many entries (KRN-34). */
export const CHECKPOINT_EVERY = 1000;
/** … and whenever the newest checkpoint is older than this, by the kernel clock (KRN-34). */
export const CHECKPOINT_MAX_AGE_MS = 60_000;

export interface SealResult {
  tenant: string;
  sealed: number;
  headSeq: number;
  /** Set when the sealer refused to continue this chain (it is behind its witness): why, in Japanese. */
  refused?: string;
}

const loggedRefusals = new Map<string, string>();

/**
 * Seals every pending entry (all tenants, or one), `batch` rows per transaction, and writes the checkpoints
 * that are due (also for a tenant with nothing new to seal).  Safe to run from several processes at once:
 * the chain head row is locked per tenant.  Checkpoints reach the witness after their transaction commits.
 */
export async function sealPending(db: Kysely<Database>, trust: AuditTrust, tenant?: string, batch = 5000): Promise<SealResult[]> {
  const tenants = tenant
    ? [tenant]
    : (
        await sql<{ tenant_code: string }>`SELECT DISTINCT tenant_code FROM kernel.audit_log WHERE seq IS NULL
          UNION SELECT h.tenant_code FROM kernel.audit_chain_heads h
                WHERE NOT h.keyed OR h.seq > coalesce((SELECT max(c.seq) FROM kernel.audit_checkpoints c WHERE c.tenant_code = h.tenant_code), 0)`.execute(db)
      ).rows.map((r) => r.tenant_code);
  const results: SealResult[] = [];
  for (const t of tenants) {
    let total = 0;
    let headSeq = 0;
    let refused: string | undefined;
    for (;;) {
      const deposit: WitnessRecord[] = [];
      const n = await db.transaction().execute(async (tx) => {
        await sql`INSERT INTO kernel.audit_chain_heads (tenant_code, seq, hash, keyed) VALUES (${t}, 0, ${genesis(t)}, true)
                  ON CONFLICT (tenant_code) DO NOTHING`.execute(tx);
        const head = (
          await sql<{ seq: number | string; hash: Buffer; keyed: boolean }>`SELECT seq, hash, keyed FROM kernel.audit_chain_heads WHERE tenant_code = ${t} FOR UPDATE`.execute(tx)
        ).rows[0]!;
        headSeq = Number(head.seq);
        // KRN-34: never continue a chain whose tail was removed behind the witness's back.
        const w = trust.witness.top(t);
        if (w) {
          const at = w.seq === headSeq ? head.hash : headSeq > w.seq
            ? (await sql<{ hash: Buffer }>`SELECT hash FROM kernel.audit_log WHERE tenant_code = ${t} AND seq = ${w.seq}`.execute(tx)).rows[0]?.hash
            : undefined;
          if (headSeq < w.seq || (at && !at.equals(Buffer.from(w.hash, 'hex')))) {
            refused = headSeq < w.seq
              ? `連鎖の末尾 seq ${headSeq} が証跡ファイルの seq ${w.seq} より前です（seq ${headSeq + 1}–${w.seq} の削除の疑い）。封印を停止しました`
              : `seq ${w.seq} のハッシュが証跡ファイルと一致しません。封印を停止しました`;
            return 0;
          }
        }
        const now = trust.clock.now();
        if (!head.keyed) {
          // The first seal after migration 0012: close the unkeyed legacy chain with a signed, witnessed
          // checkpoint — but only for a tenant the witness has never seen, so the owner cannot get a keyed
          // chain declared "legacy" by clearing the flag.
          if (headSeq > 0) {
            if (trust.witness.top(t)) {
              refused = `連鎖の形式フラグが書き換えられています（鍵付き連鎖を旧形式として扱うことはできません）。封印を停止しました`;
              return 0;
            }
            deposit.push(await insertCheckpoint(tx, trust, t, headSeq, head.hash, 'legacy-end', now));
          }
          await sql`UPDATE kernel.audit_chain_heads SET keyed = true WHERE tenant_code = ${t}`.execute(tx);
        }
        const lastCp = (
          await sql<{ seq: number | string; created_at: Date }>`SELECT seq, created_at FROM kernel.audit_checkpoints WHERE tenant_code = ${t} ORDER BY seq DESC LIMIT 1`.execute(tx)
        ).rows[0];
        let cpSeq = lastCp ? Number(lastCp.seq) : 0;
        let cpAt = lastCp ? new Date(lastCp.created_at).getTime() : Number.NEGATIVE_INFINITY;
        const rows = (
          await sql<ChainRow>`SELECT ${CHAIN_COLUMNS} FROM kernel.audit_log
                              WHERE tenant_code = ${t} AND seq IS NULL ORDER BY id LIMIT ${batch}`.execute(tx)
        ).rows;
        let prev = head.hash;
        let seq = headSeq;
        if (rows.length > 0) {
          const ids: number[] = [];
          const seqs: number[] = [];
          const prevs: string[] = [];
          const hashes: string[] = [];
          const due: [number, Buffer][] = [];
          for (const r of rows) {
            seq += 1;
            const h = entryMac(trust, prev, r, seq);
            ids.push(r.id);
            seqs.push(seq);
            prevs.push(prev.toString('hex'));
            hashes.push(h.toString('hex'));
            prev = h;
            if (seq - cpSeq >= CHECKPOINT_EVERY) {
              due.push([seq, h]);
              cpSeq = seq;
            }
          }
          // Hashes travel as hex text: arrays of bytea serialise differently in node-postgres and PGlite.
          await sql`UPDATE kernel.audit_log a SET seq = v.seq, prev_hash = decode(v.prev, 'hex'), hash = decode(v.hash, 'hex')
                    FROM unnest(${ids}::bigint[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[]) AS v(id, seq, prev, hash)
                    WHERE a.tenant_code = ${t} AND a.id = v.id`.execute(tx);
          await sql`UPDATE kernel.audit_chain_heads SET seq = ${seq}, hash = ${prev}, sealed_at = ${now} WHERE tenant_code = ${t}`.execute(tx);
          for (const [s, h] of due) {
            deposit.push(await insertCheckpoint(tx, trust, t, s, h, 'periodic', now));
            cpAt = now.getTime();
          }
        }
        // KRN-34: a checkpoint when the newest one is older than a minute (or there is none yet).
        if (seq > cpSeq && now.getTime() - cpAt >= CHECKPOINT_MAX_AGE_MS) deposit.push(await insertCheckpoint(tx, trust, t, seq, prev, 'periodic', now));
        headSeq = seq;
        return rows.length;
      });
      if (refused) {
        // Once per process and state, not every second of the server's sealing loop.
        if (loggedRefusals.get(t) !== refused) logger().error({ tenant: t, headSeq, reason: refused }, 'operation log sealing refused');
        loggedRefusals.set(t, refused);
        break;
      }
      loggedRefusals.delete(t);
      trust.witness.append(deposit);
      total += n;
      if (n < batch) break;
    }
    results.push({ tenant: t, sealed: total, headSeq, ...(refused ? { refused } : {}) });
  }
  return results;
}

async function insertCheckpoint(db: Kysely<Database>, trust: AuditTrust, tenant: string, seq: number, hash: Buffer, reason: string, at: Date): Promise<WitnessRecord> {
  const signature = trust.sign(checkpointMessage(tenant, seq, hash, reason));
  await sql`INSERT INTO kernel.audit_checkpoints (tenant_code, seq, hash, reason, key_id, signature, sig_version, created_at)
            VALUES (${tenant}, ${seq}, ${hash}, ${reason}, ${trust.keyId}, ${signature}, 2, ${at})
            ON CONFLICT (tenant_code, seq) DO NOTHING`.execute(db);
  return { v: 1, tenant, seq, hash: hash.toString('hex'), reason, at: at.toISOString(), keyId: trust.keyId, sig: signature.toString('base64') };
}

/** Writes a signed checkpoint and deposits it with the witness at once (purge, restore, tests). */
export async function writeCheckpoint(db: Kysely<Database>, trust: AuditTrust, tenant: string, seq: number, hash: Buffer, reason: string): Promise<void> {
  const rec = await insertCheckpoint(db, trust, tenant, seq, hash, reason, trust.clock.now());
  trust.witness.append([rec]);
}

/**
 * After a restore (KRN-42): the restored chains are the live ones.  Closes legacy chains, then deposits a
 * signed 'restore' record per tenant (also for tenants the witness knows but the backup does not hold), so
 * that the witness's earlier records of those tenants no longer count.
 */
export async function markRestored(db: Kysely<Database>, trust: AuditTrust): Promise<void> {
  const heads = (await sql<{ tenant_code: string; seq: number | string; hash: Buffer; keyed: boolean }>`SELECT tenant_code, seq, hash, keyed FROM kernel.audit_chain_heads`.execute(db)).rows;
  const now = trust.clock.now();
  const out: WitnessRecord[] = [];
  const seen = new Set<string>();
  for (const h of heads) {
    seen.add(h.tenant_code);
    const seq = Number(h.seq);
    if (!h.keyed) {
      if (seq > 0) out.push(await insertCheckpoint(db, trust, h.tenant_code, seq, h.hash, 'legacy-end', now));
      await sql`UPDATE kernel.audit_chain_heads SET keyed = true WHERE tenant_code = ${h.tenant_code}`.execute(db);
    }
    out.push(restoreRecord(trust, h.tenant_code, seq, h.hash, now));
  }
  for (const t of new Set(trust.witness.read().records.map((r) => r.tenant))) {
    if (!seen.has(t)) out.push(restoreRecord(trust, t, 0, genesis(t), now));
  }
  trust.witness.append(out);
}

function restoreRecord(trust: AuditTrust, tenant: string, seq: number, hash: Buffer, at: Date): WitnessRecord {
  const sig = trust.sign(checkpointMessage(tenant, seq, hash, 'restore'));
  return { v: 1, tenant, seq, hash: hash.toString('hex'), reason: 'restore', at: at.toISOString(), keyId: trust.keyId, sig: sig.toString('base64') };
}
