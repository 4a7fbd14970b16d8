// Many-row writes for intake batches (decision 0044): one statement per table per batch, with one array
// parameter per column — `INSERT … SELECT … FROM unnest($1::text[], $2::date[], …)` — instead of a multi-row
// VALUES list with a parameter per value.  The statement text is the same whatever the batch size, and the
// building and binding of thousands of parameters disappears from both sides.  Columns whose value is the
// same for the whole batch (tenant, run, actor) are sent once.  Works the same on node-postgres and PGlite
// (the arrays travel as array literals, kernel/db arrayLiteral).  Runs inside the caller's transaction, so
// Row-Level Security, triggers and constraints apply as to any other statement.
import { sql, type RawBuilder } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { arrayLiteral, jsonArrayText, nameArrayLiteral } from '../../kernel/db/index.js';

/** A column of a bulk write. */
export interface BulkColumn {
  readonly name: string;
  /** Element type: text, date, int, bool, uuid, jsonb (values: JSON texts), … */
  readonly type: string;
  /** SQL applied to the value, `$` standing for it, e.g. "decode($, 'hex')" (default: the value itself). */
  readonly expr?: string;
}

/** A column value shared by every row of the batch (sent once, not as an array). */
export interface Same {
  readonly same: unknown;
}

export type ColumnValues = readonly unknown[] | Same;

const IDENT = /^[a-z_][a-z0-9_]*$/;
const isSame = (v: ColumnValues): v is Same => !Array.isArray(v);

function check(table: string, cols: readonly BulkColumn[], columns: readonly ColumnValues[]): number {
  if (!/^[a-z_]+\.[a-z_]+$/.test(table)) throw new Error(`bulk: bad table ${table}`);
  if (cols.length !== columns.length) throw new Error('bulk: one value list per column');
  for (const c of cols) if (!IDENT.test(c.name) || !/^[a-z0-9_ ]+$/.test(c.type)) throw new Error(`bulk: bad column ${c.name}`);
  const arrays = columns.filter((c): c is readonly unknown[] => !isSame(c));
  if (arrays.length === 0) throw new Error('bulk: at least one column must be an array');
  const n = arrays[0]!.length;
  if (arrays.some((a) => a.length !== n)) throw new Error('bulk: columns of different lengths');
  return n;
}

// The rows come from ROWS FROM (unnest(…), …, jsonb_array_elements(…)), which walks the arrays side by side.
// A jsonb column travels as one JSON array text (its elements are JSON already: nothing to escape), the
// others as array literals.
function source(cols: readonly BulkColumn[], columns: readonly ColumnValues[]): { from: RawBuilder<unknown>; value: (i: number) => RawBuilder<unknown> } {
  const arrays = cols.flatMap((c, i) => (isSame(columns[i]!) ? [] : [{ c, i }]));
  const fns = arrays.map(({ c, i }) =>
    c.type === 'jsonb'
      ? sql`jsonb_array_elements(${jsonArrayText(columns[i] as readonly (string | null)[])}::jsonb)`
      : sql`unnest(${arrayLiteral(columns[i] as readonly unknown[])}::${sql.raw(c.type)}[])`,
  );
  const from = sql`ROWS FROM (${sql.join(fns)}) AS u(${sql.raw(arrays.map(({ c }) => c.name).join(', '))})`;
  const value = (i: number): RawBuilder<unknown> => {
    const c = cols[i]!;
    const v = columns[i]!;
    const input = isSame(v) ? sql`cast(${v.same} as ${sql.raw(c.type)})` : c.type === 'jsonb' ? sql.raw(`nullif(u.${c.name}, 'null'::jsonb)`) : sql.raw(`u.${c.name}`);
    if (!c.expr) return input;
    const [before, after = ''] = c.expr.split('$');
    return sql`${sql.raw(before!)}${input}${sql.raw(after)}`;
  };
  return { from, value };
}

/**
 * INSERT of `columns[i][r]` (column i, row r) into `table`; a column given as `{ same: v }` is v in every
 * row.  `conflict` is appended as is (e.g. an ON CONFLICT clause; it may refer to `excluded`).  The
 * statement's parameters are built now; null when there are no rows.
 */
export function insertStatement(table: string, cols: readonly BulkColumn[], columns: readonly ColumnValues[], conflict?: string): RawBuilder<unknown> | null {
  if (check(table, cols, columns) === 0) return null;
  const { from, value } = source(cols, columns);
  return sql`INSERT INTO ${sql.raw(table)} (${sql.raw(cols.map((c) => c.name).join(', '))}) SELECT ${sql.join(cols.map((_, i) => value(i)))} FROM ${from}${sql.raw(conflict ? ` ${conflict}` : '')}`;
}

/**
 * UPDATE of the tenant's rows of `table` matched on the first column (an array): every other column is set
 * from its values.  Built now; null when there are no rows.
 */
export function updateStatement(tenant: string, table: string, cols: readonly BulkColumn[], columns: readonly ColumnValues[]): RawBuilder<unknown> | null {
  if (check(table, cols, columns) === 0) return null;
  if (isSame(columns[0]!)) throw new Error('bulk: the key column must be an array');
  const key = cols[0]!.name;
  const { from, value } = source(cols, columns);
  const set = sql.join(cols.slice(1).map((c, k) => sql`${sql.raw(c.name)} = ${value(k + 1)}`));
  return sql`UPDATE ${sql.raw(table)} AS t SET ${set} FROM ${from} WHERE t.tenant_code = ${tenant} AND t.${sql.raw(key)} = u.${sql.raw(key)}`;
}

export async function insertColumns(w: Work, table: string, cols: readonly BulkColumn[], columns: readonly ColumnValues[], conflict?: string): Promise<void> {
  await insertStatement(table, cols, columns, conflict)?.execute(w.tx);
}

export async function updateColumns(w: Work, table: string, cols: readonly BulkColumn[], columns: readonly ColumnValues[]): Promise<void> {
  await updateStatement(w.tenant, table, cols, columns)?.execute(w.tx);
}

/**
 * Statements run in order on the work's connection, each as soon as the one before it is done, while the
 * caller builds the next: the database stores one table's rows while this process prepares the next
 * table's.  A failure skips the statements after it and is thrown by done().
 */
export class StatementChain {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly w: Work) {}

  /** Queues the statements and yields once, so that the first of them reaches the server now. */
  async add(...statements: (RawBuilder<unknown> | null | undefined)[]): Promise<void> {
    for (const q of statements) if (q) this.chain = this.chain.then(() => q.execute(this.w.tx));
    this.chain.catch(() => undefined); // reported by done()
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async done(): Promise<void> {
    await this.chain;
  }
}

/** A PostgreSQL text[] literal, for a text[] column sent as text inside a text array ("$::text[]"). */
export function textArrayLiteral(values: readonly string[]): string {
  return nameArrayLiteral(values);
}
