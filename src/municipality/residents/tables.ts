// Kysely types of the residents tables (municipality/migrations/0001_residents.sql).
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { StampColumns } from '../../kernel/db/index.js';
import type { PersonState } from './state.js';

type DateStr = string;
type Json<T> = ColumnType<T, T | RawBuilder<T>, T | RawBuilder<T>>;

export interface PersonTable extends StampColumns {
  tenant_code: string;
  atena_no: string;
  juminhyo_code: string | null;
  integrated_no: string | null;
  category: PersonState['category'];
  status: PersonState['status'];
  name_kanji: string;
  name_kana: string;
  search_kana: string;
  birth_date: DateStr;
  sex: 'male' | 'female';
  state: Json<PersonState>;
  state_hash: Buffer;
  version: number;
  /** Effective date of the current version. */
  effective_date: DateStr;
  dv_support: Generated<boolean>;
  district_code: string | null;
  household_no: string | null;
  last_run_id: string | null;
}

export interface PersonVersionTable {
  tenant_code: string;
  atena_no: string;
  version: number;
  effective_date: DateStr;
  status: PersonState['status'];
  movement: string | null;
  movement_id: string | null;
  notified_on: DateStr | null;
  source: 'import-full' | 'import-diff' | 'staff' | 'api';
  import_run_id: string | null;
  row_no: number | null;
  state: Json<PersonState>;
  changed: string[];
  actor: string;
  recorded_at: Generated<Date>;
}

export interface MatchQueueTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  source: string;
  source_run_id: string | null;
  source_row: number | null;
  source_ref: string | null;
  query: Json<Record<string, unknown>>;
  payload: Json<Record<string, unknown>> | null;
  candidates: Json<unknown[]>;
  status: 'open' | 'linked' | 'created' | 'dismissed';
  resolved_atena_no: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  note: string | null;
}

export interface SequenceTable {
  tenant_code: string;
  name: string;
  next_value: number;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.persons': PersonTable;
    'municipality.person_versions': PersonVersionTable;
    'municipality.match_queue': MatchQueueTable;
    'municipality.sequences': SequenceTable;
  }
}
