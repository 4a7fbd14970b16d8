// The typed database shape.  Each room declares its own tables by augmenting this interface:
//
//   declare module '../db/types.js' { interface Database { 'kernel.audit_log': AuditLogTable } }
//
// so that one Kysely<Database> type covers every schema without rooms importing each other.
import type { Generated } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}

/** Audit columns every personal-data table carries (KRN-32); filled by the kernel.stamp() trigger. */
export interface StampColumns {
  created_at: Generated<Date>;
  created_by: Generated<string>;
  created_terminal: Generated<string | null>;
  created_program: Generated<string>;
  updated_at: Generated<Date>;
  updated_by: Generated<string>;
  updated_terminal: Generated<string | null>;
  updated_program: Generated<string>;
}

/**
 * A database whose tables are not described to TypeScript: an organisation's own schema (decision 0134), or
 * another system's tables read through a narrow query.  Its SQL is written out (`sql`…``) or selected by name,
 * and every row is checked where it is read.  The one place the type system is told "any row".
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedDatabase = Record<string, Record<string, any>>;
