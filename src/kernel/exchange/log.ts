// Each organisation's message log (XCH-14's technical half, X-Road's "logged at both ends"): one row per
// message sent or received — message id, sender/receiver, service, time, outcome, the SHA-256 digest of
// the signed message.  Never a body, never a My Number: the digest lets both ends prove they hold the
// same message without either log holding its content.
//
// Every node's schema has the same table (EXCHANGE_MESSAGES_DDL); `guard` marks the first accepted
// receipt of a message id from a sender, and a unique index on it refuses a replay.
import { sql, type Kysely } from 'kysely';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export type Direction = 'in' | 'out';
export type Outcome = 'sent' | 'accepted' | 'ok' | 'refused' | 'failed';

export interface MessageRow {
  readonly seq: number;
  readonly node: string;
  readonly direction: Direction;
  readonly msgId: string;
  readonly re: string | null;
  readonly peer: string;
  readonly service: string;
  readonly at: Date;
  readonly outcome: Outcome;
  readonly code: string | null;
  readonly status: number | null;
  readonly digest: string;
}

/** The table each node's migration creates in its own schema (replace {schema} and {role}). */
export const EXCHANGE_MESSAGES_DDL = `
CREATE TABLE {schema}.exchange_messages (
  seq bigserial PRIMARY KEY,
  node text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  re text,
  peer text NOT NULL,
  service text NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('sent', 'accepted', 'ok', 'refused', 'failed')),
  code text,
  status int,
  digest text NOT NULL,
  guard boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX exchange_messages_replay ON {schema}.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON {schema}.exchange_messages (node, at);
GRANT SELECT, INSERT ON {schema}.exchange_messages TO {role};
GRANT UPDATE (outcome, code, status) ON {schema}.exchange_messages TO {role};
GRANT USAGE ON SEQUENCE {schema}.exchange_messages_seq_seq TO {role};
`;

export class MessageLog {
  constructor(
    private readonly db: Kysely<UntypedDatabase>,
    private readonly schema: string,
    readonly node: string,
  ) {
    if (!/^[a-z_]+$/.test(schema)) throw new Error(`invalid schema ${schema}`);
  }

  private get table() {
    return sql.table(`${this.schema}.exchange_messages`);
  }

  /** Logs a message; `guard` makes a second accepted receipt of the same id fail (returns false). */
  async add(row: { direction: Direction; msgId: string; re?: string | null; peer: string; service: string; at: Date; outcome: Outcome; code?: string | null; status?: number | null; digest: string; guard?: boolean }): Promise<{ seq: number } | undefined> {
    try {
      const r = await sql<{ seq: number }>`
        INSERT INTO ${this.table} (node, direction, msg_id, re, peer, service, at, outcome, code, status, digest, guard)
        VALUES (${this.node}, ${row.direction}, ${row.msgId.slice(0, 64)}, ${row.re ?? null}, ${row.peer.slice(0, 64)}, ${row.service.slice(0, 64)}, ${row.at}, ${row.outcome},
                ${row.code ?? null}, ${row.status ?? null}, ${row.digest}, ${row.guard ?? false})
        RETURNING seq`.execute(this.db);
      return r.rows[0];
    } catch (e) {
      if ((e as { code?: string }).code === '23505' && row.guard) return undefined;
      throw e;
    }
  }

  /** Settles a logged message and logs the next one (its answer) in one statement. */
  async settleAndAdd(seq: number, outcome: Outcome, code: string | null, status: number | null, row: { direction: Direction; msgId: string; re?: string | null; peer: string; service: string; at: Date; outcome: Outcome; code?: string | null; status?: number | null; digest: string }): Promise<void> {
    await sql`
      WITH settled AS (UPDATE ${this.table} SET outcome = ${outcome}, code = ${code}, status = ${status} WHERE seq = ${seq} AND node = ${this.node} RETURNING seq)
      INSERT INTO ${this.table} (node, direction, msg_id, re, peer, service, at, outcome, code, status, digest, guard)
      SELECT ${this.node}, ${row.direction}, ${row.msgId.slice(0, 64)}, ${row.re ?? null}, ${row.peer.slice(0, 64)}, ${row.service.slice(0, 64)}, ${row.at}, ${row.outcome},
             ${row.code ?? null}, ${row.status ?? null}, ${row.digest}, false
      FROM (SELECT count(*) FROM settled) s`.execute(this.db);
  }

  async settle(seq: number, outcome: Outcome, code: string | null, status: number | null): Promise<void> {
    await sql`UPDATE ${this.table} SET outcome = ${outcome}, code = ${code}, status = ${status} WHERE seq = ${seq} AND node = ${this.node}`.execute(this.db);
  }

  async list(opts: { limit?: number; offset?: number; msgId?: string } = {}): Promise<{ total: number; rows: MessageRow[] }> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 100_000);
    const where = opts.msgId ? sql`node = ${this.node} AND (msg_id = ${opts.msgId} OR re = ${opts.msgId})` : sql`node = ${this.node}`;
    const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${this.table} WHERE ${where}`.execute(this.db);
    const r = await sql<Record<string, unknown>>`
      SELECT seq, node, direction, msg_id, re, peer, service, at, outcome, code, status, digest FROM ${this.table}
      WHERE ${where} ORDER BY seq LIMIT ${limit} OFFSET ${opts.offset ?? 0}`.execute(this.db);
    return {
      total: total.rows[0]?.n ?? 0,
      rows: r.rows.map((x) => ({
        seq: Number(x['seq']),
        node: String(x['node']),
        direction: x['direction'] as Direction,
        msgId: String(x['msg_id']),
        re: (x['re'] as string | null) ?? null,
        peer: String(x['peer']),
        service: String(x['service']),
        at: x['at'] as Date,
        outcome: x['outcome'] as Outcome,
        code: (x['code'] as string | null) ?? null,
        status: (x['status'] as number | null) ?? null,
        digest: String(x['digest']),
      })),
    };
  }
}

export function messagesDdl(schema: string, role: string): string {
  return EXCHANGE_MESSAGES_DDL.replaceAll('{schema}', schema).replaceAll('{role}', role);
}
