// Kysely types of the extraction tables (municipality/migrations/0003_extraction.sql).
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { DiffSummary, ExtractionCounts, ExtractionKind, ExtractionParameters } from './model.js';

type Json<T> = ColumnType<T, T | RawBuilder<T>, T | RawBuilder<T>>;

export interface ExtractionRunTable {
  tenant_code: string;
  id: Generated<string>;
  kind: ExtractionKind;
  parameters: Json<ExtractionParameters>;
  params_key: string;
  as_of: string;
  catalog_version: string;
  status: 'running' | 'complete' | 'failed';
  cursor: Generated<string>;
  chunk_size: number;
  chunks_done: Generated<number>;
  persons_estimate: Generated<number>;
  counts: Json<ExtractionCounts>;
  content_hash: string | null;
  previous_run_id: string | null;
  diff: Json<DiffSummary> | null;
  error: string | null;
  resumed: Generated<number>;
  data_cutoff: Generated<Date>;
  created_by: string;
  created_at: Generated<Date>;
  completed_at: Date | null;
}

export interface ExtractionMemberTable {
  tenant_code: string;
  run_id: string;
  atena_no: string;
  program: string;
  dose: number | null;
  status: 'due' | 'upcoming';
  late: boolean;
  earliest: string | null;
  latest: string | null;
  standard_from: string | null;
  standard_until: string | null;
  protected: boolean;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.extraction_runs': ExtractionRunTable;
    'municipality.extraction_members': ExtractionMemberTable;
  }
}
