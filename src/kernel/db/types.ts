// The typed database shape.  Each room declares its own tables by augmenting this interface:
//
//   declare module '../db/types.js' { interface Database { 'kernel.audit_log': AuditLogTable } }
//
// so that one Kysely<Database> type covers every schema without rooms importing each other.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}

/** Audit columns every personal-data table carries (KRN-32); filled by the kernel.stamp() trigger. */
export interface StampColumns {
  created_at: import('kysely').Generated<Date>;
  created_by: import('kysely').Generated<string>;
  created_terminal: import('kysely').Generated<string | null>;
  created_program: import('kysely').Generated<string>;
  updated_at: import('kysely').Generated<Date>;
  updated_by: import('kysely').Generated<string>;
  updated_terminal: import('kysely').Generated<string | null>;
  updated_program: import('kysely').Generated<string>;
}
