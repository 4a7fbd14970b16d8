// Who is doing what, in which tenant, inside one database transaction.
//
// Every domain function takes a `Work`: the transaction (running as the non-owner role with the
// tenant set, so RLS confines it), the tenant, the acting person and the request metadata that the
// operation log needs (KRN-31: the operator must be individually identifiable).
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, MamoriDb } from '../db/index.js';
import type { Clock } from '../clock/index.js';
import { Problem, isProblem } from '../problems/index.js';
import { auditWriterFor } from '../audit/index.js';

export type ActorKind = 'staff' | 'contractor' | 'system' | 'anonymous' | 'resident' | 'clinic';

export interface Actor {
  readonly kind: ActorKind;
  /** Account id for staff and contractors; null for system and anonymous actors. */
  readonly id: string | null;
  /** Login id, or a descriptive label such as 'system:cli:alice'. */
  readonly login: string;
  readonly role: string | null;
  readonly duties: readonly string[];
  /** KRN-29: the separate My Number view flag. */
  readonly mynumberView: boolean;
}

export interface Meta {
  readonly requestId: string;
  readonly clientAddress: string | null;
  readonly terminalId: string | null;
  /** Program that performed the operation (KRN-32), e.g. 'web', 'cli:org add', 'api'. */
  readonly program: string;
}

export interface Work {
  /** The open transaction (one pinned connection, BEGIN … COMMIT), confined to `tenant` by RLS. */
  readonly tx: Kysely<Database>;
  readonly tenant: string;
  readonly actor: Actor;
  readonly meta: Meta;
  /** The kernel clock: "now" and "today" (JST) for everything done in this transaction. */
  readonly clock: Clock;
}

export interface Principal {
  readonly tenant: string;
  readonly actor: Actor;
  readonly meta: Meta;
}

/**
 * Runs `fn` in one transaction as the application role, confined to `tenant` by RLS.
 * If `fn` throws a Problem carrying an audit entry (a denied or failed access), the transaction is
 * rolled back and that entry is then written in a transaction of its own, so refusals are logged too.
 */
export async function runAs<T>(db: MamoriDb, who: Principal, fn: (w: Work) => Promise<T>): Promise<T> {
  if (!who.tenant) throw new Problem(500, 'TENANT_MISSING', 'テナントが指定されていません');
  try {
    return await inTransaction(db, who, fn);
  } catch (e) {
    if (isProblem(e) && e.audit) await auditWriterFor(db).append(who, e.audit);
    throw e;
  }
}

/** A SQL string literal (standard_conforming_strings is on in every supported PostgreSQL). */
function literal(v: string): string {
  if (v.includes('\0')) throw new Problem(400, 'INVALID_CHARACTER', '入力内容に誤りがあります', '使用できない文字が含まれています。');
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * One transaction on one pinned connection.  BEGIN and the session settings travel in a single
 * round trip (simple protocol, literals escaped), which matters for small requests such as one
 * operation-log append.
 */
async function inTransaction<T>(db: MamoriDb, who: Principal, fn: (w: Work) => Promise<T>): Promise<T> {
  return db.app.connection().execute(async (conn) => {
    await sql
      .raw(
        `BEGIN; SELECT set_config('mamori.tenant', ${literal(who.tenant)}, true), set_config('mamori.actor', ${literal(who.actor.login)}, true), ` +
          `set_config('mamori.terminal', ${literal(who.meta.terminalId ?? '')}, true), set_config('mamori.program', ${literal(who.meta.program)}, true)`,
      )
      .execute(conn);
    try {
      const result = await fn({ tx: conn, tenant: who.tenant, actor: who.actor, meta: who.meta, clock: db.config.clock });
      await sql.raw('COMMIT').execute(conn);
      return result;
    } catch (e) {
      await sql.raw('ROLLBACK').execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

/** The operator of a command-line or scheduled job: identified by the OS account that ran it. */
export function systemActor(label: string): Actor {
  return { kind: 'system', id: null, login: `system:${label}`, role: 'system', duties: [], mynumberView: false };
}

export const anonymousActor: Actor = { kind: 'anonymous', id: null, login: 'anonymous', role: null, duties: [], mynumberView: false };

export function newMeta(program: string, extra: Partial<Omit<Meta, 'program'>> = {}): Meta {
  return {
    requestId: extra.requestId ?? randomUUID(),
    clientAddress: extra.clientAddress ?? null,
    terminalId: extra.terminalId ?? null,
    program,
  };
}

export function cliOperator(): string {
  return process.env['SUDO_USER'] ?? process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
}
export { GroupQueue, type Settled, type GroupStats, type GroupOptions } from './group.js';
