// Kysely dialect for embedded PGlite.  PGlite is one single-user backend, so connections are
// handed out one at a time (a mutex); each logical pool runs under its own database role, which
// is switched with SET ROLE when a connection is handed to a pool with a different role.
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

/** State shared by every pool over one PGlite instance. */
export interface PGliteShared {
  readonly pg: PGlite;
  readonly mutex: Mutex;
  currentRole: string | null;
}

class PGliteConnection implements DatabaseConnection {
  constructor(
    private readonly shared: PGliteShared,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Like node-postgres, a query without parameters goes through the simple protocol, so a
    // migration script may hold several statements; the last statement's result is returned.
    const res =
      compiled.parameters.length === 0
        ? ((await this.shared.pg.exec(compiled.sql, { rowMode: 'object' })).at(-1) ?? { rows: [], fields: [] })
        : await this.shared.pg.query<R>(compiled.sql, compiled.parameters as unknown[], { rowMode: 'object' });
    const affected = (res as { affectedRows?: number }).affectedRows;
    return {
      rows: res.rows as R[],
      ...(affected !== undefined ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    // PGlite has no client-side cursor protocol; a SQL cursor inside the surrounding
    // transaction gives the same constant-memory behaviour.
    const name = `mamori_cur_${Math.random().toString(36).slice(2)}`;
    await this.shared.pg.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${compiled.sql}`, compiled.parameters as unknown[]);
    try {
      for (;;) {
        const res = await this.shared.pg.query<R>(`FETCH ${chunkSize} FROM ${name}`, [], { rowMode: 'object' });
        if (res.rows.length === 0) break;
        yield { rows: res.rows };
      }
    } finally {
      await this.shared.pg.query(`CLOSE ${name}`);
    }
  }
}

export class PGliteDriver implements Driver {
  constructor(
    private readonly shared: PGliteShared,
    private readonly role: string | null,
  ) {}

  async init(): Promise<void> {
    await this.shared.pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.shared.mutex.lock();
    try {
      if (this.shared.currentRole !== this.role) {
        await this.shared.pg.exec(this.role ? `SET ROLE ${this.role}` : 'RESET ROLE');
        this.shared.currentRole = this.role;
      }
    } catch (e) {
      release();
      throw e;
    }
    return new PGliteConnection(this.shared, release);
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const iso = settings.isolationLevel ? ` ISOLATION LEVEL ${settings.isolationLevel.toUpperCase()}` : '';
    await conn.executeQuery(CompiledQuery.raw(`BEGIN${iso}`));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    (conn as PGliteConnection).release();
  }

  async destroy(): Promise<void> {
    // The PGlite instance is closed by its owner (openDatabase), not by each pool.
  }
}

export class PGliteDialect implements Dialect {
  constructor(
    private readonly shared: PGliteShared,
    private readonly role: string | null,
  ) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.shared, this.role);
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}
