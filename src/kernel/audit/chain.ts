// The hash chain over each tenant's operation log (KRN-34).
//
// entry.hash = SHA-256(prev_hash || 0x00 || canonical(entry)), where canonical is a JSON array of every
// content column in a fixed order, the timestamp in UTC with microseconds and `detail` as PostgreSQL's
// canonical jsonb text.  The first entry of a tenant links to genesis(tenant).  Sealing is done by the
// owner role in batches, so appends never wait on a chain lock; verification walks the chain by seq.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import type { AuditKeys } from '../crypto/index.js';

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

export function entryHash(prev: Buffer, r: ChainRow, seq: number): Buffer {
  const canonical = JSON.stringify([
    r.tenant_code, r.id, seq, r.ts, r.actor_kind, r.actor_id, r.actor_login, r.action, r.target_type, r.target_id,
    r.subject_ref, r.purpose, r.request_id, r.client_address, r.terminal_id, r.program, r.outcome, r.detail,
  ]);
  return createHash('sha256').update(prev).update(Buffer.from([0])).update(canonical, 'utf8').digest();
}

export function checkpointMessage(tenant: string, seq: number, hash: Buffer): Buffer {
  return Buffer.from(`mamori-audit-checkpoint/v1|${tenant}|${seq}|${hash.toString('hex')}`, 'utf8');
}

const CHECKPOINT_EVERY = 10_000;

export interface SealResult {
  tenant: string;
  sealed: number;
  headSeq: number;
}

/**
 * Seals every pending entry (all tenants, or one), `batch` rows per transaction.  Safe to run from
 * several processes at once: the chain head row is locked per tenant.
 */
export async function sealPending(db: Kysely<Database>, keys: AuditKeys, tenant?: string, batch = 5000): Promise<SealResult[]> {
  const tenants = tenant
    ? [tenant]
    : (
        await sql<{ tenant_code: string }>`SELECT DISTINCT tenant_code FROM kernel.audit_log WHERE seq IS NULL`.execute(db)
      ).rows.map((r) => r.tenant_code);
  const results: SealResult[] = [];
  for (const t of tenants) {
    let total = 0;
    let headSeq = 0;
    for (;;) {
      const n = await db.transaction().execute(async (tx) => {
        await sql`INSERT INTO kernel.audit_chain_heads (tenant_code, seq, hash) VALUES (${t}, 0, ${genesis(t)})
                  ON CONFLICT (tenant_code) DO NOTHING`.execute(tx);
        const head = (
          await sql<{ seq: number; hash: Buffer }>`SELECT seq, hash FROM kernel.audit_chain_heads WHERE tenant_code = ${t} FOR UPDATE`.execute(tx)
        ).rows[0]!;
        const rows = (
          await sql<ChainRow>`SELECT ${CHAIN_COLUMNS} FROM kernel.audit_log
                              WHERE tenant_code = ${t} AND seq IS NULL ORDER BY id LIMIT ${batch}`.execute(tx)
        ).rows;
        headSeq = head.seq;
        if (rows.length === 0) return 0;
        let prev = head.hash;
        let seq = head.seq;
        const ids: number[] = [];
        const seqs: number[] = [];
        const prevs: string[] = [];
        const hashes: string[] = [];
        for (const r of rows) {
          seq += 1;
          const h = entryHash(prev, r, seq);
          ids.push(r.id);
          seqs.push(seq);
          prevs.push(prev.toString('hex'));
          hashes.push(h.toString('hex'));
          prev = h;
        }
        // Hashes travel as hex text: arrays of bytea serialise differently in node-postgres and PGlite.
        await sql`UPDATE kernel.audit_log a SET seq = v.seq, prev_hash = decode(v.prev, 'hex'), hash = decode(v.hash, 'hex')
                  FROM unnest(${ids}::bigint[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[]) AS v(id, seq, prev, hash)
                  WHERE a.tenant_code = ${t} AND a.id = v.id`.execute(tx);
        await sql`UPDATE kernel.audit_chain_heads SET seq = ${seq}, hash = ${prev}, sealed_at = now() WHERE tenant_code = ${t}`.execute(tx);
        const lastCp = (
          await sql<{ seq: number | null }>`SELECT max(seq)::bigint AS seq FROM kernel.audit_checkpoints WHERE tenant_code = ${t}`.execute(tx)
        ).rows[0]?.seq ?? 0;
        if (seq - lastCp >= CHECKPOINT_EVERY) await writeCheckpoint(tx, keys, t, seq, prev, 'periodic');
        headSeq = seq;
        return rows.length;
      });
      total += n;
      if (n < batch) break;
    }
    results.push({ tenant: t, sealed: total, headSeq });
  }
  return results;
}

export async function writeCheckpoint(db: Kysely<Database>, keys: AuditKeys, tenant: string, seq: number, hash: Buffer, reason: string): Promise<void> {
  const signature = keys.sign(checkpointMessage(tenant, seq, hash));
  await sql`INSERT INTO kernel.audit_checkpoints (tenant_code, seq, hash, reason, key_id, signature)
            VALUES (${tenant}, ${seq}, ${hash}, ${reason}, ${keys.keyId}, ${signature})
            ON CONFLICT (tenant_code, seq) DO NOTHING`.execute(db);
}
