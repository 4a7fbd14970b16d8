// Kysely types of the intake tables (municipality/migrations/0001_residents.sql: import_runs, import_rejects,
// import_seen; 0012_import_failures.sql: import_failures).
import type { Generated } from 'kysely';

type DateStr = string;

export interface ImportRunTable {
  tenant_code: string;
  id: Generated<string>;
  kind: string;
  file_name: string;
  file_sha256: string;
  file_bytes: number;
  encoding: string;
  base_date: DateStr;
  status: 'running' | 'completed';
  rows_done: Generated<number>;
  accepted: Generated<number>;
  rejected: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  queued: Generated<number>;
  started_by: string;
  started_at: Generated<Date>;
  resumed: Generated<number>;
  finished_at: Date | null;
}

export interface ImportRejectTable {
  tenant_code: string;
  run_id: string;
  row_no: number;
  seq: number;
  field: string;
  code: string;
  message: string;
}

export interface ImportSeenTable {
  tenant_code: string;
  run_id: string;
  key: string;
}

export interface ImportFailureTable {
  tenant_code: string;
  id: Generated<string>;
  family: string;
  file_name: string;
  reason: string;
  run_id: string | null;
  failed_by: string;
  failed_at: Generated<Date>;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.import_runs': ImportRunTable;
    'municipality.import_rejects': ImportRejectTable;
    'municipality.import_seen': ImportSeenTable;
    'municipality.import_failures': ImportFailureTable;
  }
}
