// Group-committing writer for operation-log entries that stand alone — not part of a business
// transaction: reads of personal data logged as they are served, refusals written after a rollback, and
// high-volume portal/clinic access.  Each `append` resolves only once its entry is durably committed, so
// a caller that awaits it before answering has logged the access; entries of all callers waiting at that
// moment share one multi-row INSERT and one commit (PostgreSQL group commit, done in the application).
// Runs as the owner role because one batch may hold several tenants' entries; the rows are built by
// `auditRow` from the caller's Principal exactly as in-transaction appends are.
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import type { Principal } from '../context/index.js';
import { auditRow, type AuditEntry } from './entry.js';

interface Pending {
  row: ReturnType<typeof auditRow>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface AuditWriterOptions {
  /** Largest number of entries in one INSERT (default 1000). */
  readonly maxBatch?: number;
  /** Batches in flight at once, on separate connections (default 2). */
  readonly parallel?: number;
}

export class AuditWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private closed = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: AuditWriterOptions = {},
  ) {}

  append(p: Principal, e: AuditEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row: auditRow(p, e), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < (this.opts.parallel ?? 2)) {
      const batch = this.queue.splice(0, this.opts.maxBatch ?? 1000);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        if (this.queue.length) this.pump();
        else if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      // One statement in autocommit: all of the batch or none of it.
      await this.db.insertInto('kernel.audit_log').values(batch.map((b) => b.row)).execute();
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }

  /** Resolves when every entry appended so far is committed. */
  flush(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

const writers = new WeakMap<object, AuditWriter>();

/** The shared writer of a database handle (created on first use). */
export function auditWriterFor(db: { system: Kysely<Database> }): AuditWriter {
  let w = writers.get(db);
  if (!w) {
    w = new AuditWriter(db.system);
    writers.set(db, w);
  }
  return w;
}

export async function closeAuditWriter(db: { system: Kysely<Database> }): Promise<void> {
  const w = writers.get(db);
  if (w) await w.close();
  writers.delete(db);
}

