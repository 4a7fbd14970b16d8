// The operation log's chain read and recomputed independently of src/kernel/audit, from the documented format
// (src/kernel/audit/chain.ts header; decisions 0006 and 0120): what the audit tests check the code against,
// and what a rogue database owner could compute.
import { createHash, createHmac } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/kernel/db/index.js';

export interface ChainRow {
  tenant_code: string;
  id: number;
  seq: number;
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
  prev_hash: Buffer;
  hash: Buffer;
}

/** The sealed chain of a tenant, read the way the documented hash format needs it. */
export async function chain(db: Kysely<Database>, tenant: string): Promise<ChainRow[]> {
  const r = await sql<ChainRow>`SELECT tenant_code, id, seq,
      to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts,
      actor_kind, actor_id, actor_login, action, target_type, target_id, subject_ref, purpose, request_id,
      client_address, terminal_id, program, outcome, detail::text AS detail, prev_hash, hash
    FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq IS NOT NULL ORDER BY seq`.execute(db);
  return r.rows;
}

export function canonical(r: ChainRow, seq: number): string {
  return JSON.stringify([
    r.tenant_code, r.id, seq, r.ts, r.actor_kind, r.actor_id, r.actor_login, r.action, r.target_type, r.target_id,
    r.subject_ref, r.purpose, r.request_id, r.client_address, r.terminal_id, r.program, r.outcome, r.detail,
  ]);
}

/** The unkeyed (v1) entry hash of chains before decision 0120: anyone can compute it, no key needed. */
export function unkeyedHash(prev: Buffer, r: ChainRow, seq: number): Buffer {
  return createHash('sha256').update(prev).update(Buffer.from([0])).update(canonical(r, seq), 'utf8').digest();
}

/** The documented keyed (v2) entry MAC under `key`. */
export function entryMac(key: Buffer, prev: Buffer, r: ChainRow, seq: number): Buffer {
  return createHmac('sha256', key).update('mamori-audit-entry/v2').update(Buffer.from([0])).update(prev).update(Buffer.from([0])).update(canonical(r, seq), 'utf8').digest();
}
