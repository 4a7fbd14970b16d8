// Kysely types of the ledger tables (municipality/migrations/0002_records.sql).
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { StampColumns } from '../../kernel/db/index.js';
import type { Category, RecordData, RecordSource, Warning } from './model.js';

type Json<T> = ColumnType<T, T | RawBuilder<T>, T | RawBuilder<T>>;

export interface VaccinationRecordTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  atena_no: string;
  program: string | null;
  dose: number | null;
  dose_label: string | null;
  category: Category;
  vaccinated_on: string | null;
  date_unknown: boolean;
  product: string | null;
  data: Json<RecordData>;
  warnings: Json<Warning[]>;
  override_reason: string | null;
  source: RecordSource;
  source_run_id: string | null;
  source_row: number | null;
  institution_code: string | null;
  claim_month: string | null;
  status: 'active' | 'deleted';
  deleted_reason: string | null;
  version: number;
}

export interface VaccinationRecordVersionTable {
  tenant_code: string;
  record_id: string;
  version: number;
  change: 'create' | 'correct' | 'delete';
  reason_kind: string;
  reason: string | null;
  snapshot: Json<Record<string, unknown>>;
  actor: string;
  terminal: string | null;
  recorded_at: Generated<Date>;
}

export interface PersonConditionTable extends StampColumns {
  tenant_code: string;
  atena_no: string;
  code: string;
  detail: Json<Record<string, unknown>>;
  note: string | null;
}

export interface ScheduleConfigTable {
  tenant_code: string;
  version: number;
  config: Json<Record<string, unknown>>;
  note: string | null;
  created_at: Generated<Date>;
  created_by: string;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.vaccination_records': VaccinationRecordTable;
    'municipality.vaccination_record_versions': VaccinationRecordVersionTable;
    'municipality.person_conditions': PersonConditionTable;
    'municipality.schedule_configs': ScheduleConfigTable;
  }
}
