// Kysely types of the notices ledger (municipality/migrations/0004_notices.sql).
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { StampColumns } from '../../kernel/db/index.js';
import type { DocumentItem, DocumentTemplate, DocumentType, MunicipalityInfo } from '../documents/index.js';

type Json<T> = ColumnType<T, T | RawBuilder<T>, T | RawBuilder<T>>;

export type PrintClass = 'normal' | 'reissue' | 'counter';
export type Series = 'voucher' | 'document';
export type BatchKind = 'run' | 'ad-hoc' | 'reissue';
export type ItemEvent = 'issue' | 'dispatch' | 'return' | 'follow-up' | 'void' | 'reissue' | 'handover';
export type HandoverStatus = 'prepared' | 'failed' | 'delivered' | 'received' | 'closed';

export interface NoticeTemplateTable {
  tenant_code: string;
  doc_type: DocumentType;
  version: number;
  template: Json<DocumentTemplate>;
  note: string | null;
  created_at: Generated<Date>;
  created_by: string;
}

export interface NoticeSettingsTable extends StampColumns {
  tenant_code: string;
  head: string;
  department: string;
  postal_code: string | null;
  address: string | null;
  phone: string;
  contact: string | null;
  /** 郵送日数 (decision 0102), 0–90, default 14. */
  mailing_lead_days: Generated<number>;
}

export interface NoticeSerialTable {
  tenant_code: string;
  series: Series;
  fiscal_year: number;
  last_serial: number;
}

export interface NoticeBatchTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  kind: BatchKind;
  run_id: string | null;
  run_key: string | null;
  doc_type: DocumentType;
  program: string | null;
  template_version: number;
  issue_date: string;
  title: string;
  municipality: Json<MunicipalityInfo>;
  persons: Generated<number>;
  mailed: Generated<number>;
  counter: Generated<number>;
  skipped: Generated<number>;
  skipped_detail: ColumnType<Record<string, number>, RawBuilder<Record<string, number>> | undefined, RawBuilder<Record<string, number>>>;
  /** The 郵送日数 a batch from a run was made with (null: ad-hoc and reissue batches, not checked). */
  mailing_lead_days: ColumnType<number | null, number | null | undefined, number | null>;
  dispatched_on: string | null;
}

export interface NoticeItemTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  batch_id: string;
  seq: number;
  atena_no: string;
  doc_type: DocumentType;
  program: string | null;
  program_name: string;
  dose: number | null;
  dose_label: string | null;
  voucher_no: string | null;
  series: Series;
  fiscal_year: number;
  serial: number;
  reference_no: string;
  template_version: number;
  print_class: PrintClass;
  mail: boolean;
  printed_on: string;
  sort_key: string;
  document: Json<DocumentItem>;
  status: 'active' | 'void';
  voided_on: string | null;
  void_reason: string | null;
  replaced_by: string | null;
  reissue_of: string | null;
  reissue_count: Generated<number>;
  reissued_on: string | null;
  reissue_reason: string | null;
  identity_check: string | null;
  dispatched_on: string | null;
  returned_on: string | null;
  return_reason: string | null;
  follow_up: 'open' | 'resolved' | null;
  follow_up_note: string | null;
  erased_at: Generated<Date | null>;
}

export interface NoticeItemEventTable {
  tenant_code: string;
  item_id: string;
  seq: number;
  event: ItemEvent;
  on_date: string | null;
  detail: Json<Record<string, unknown>>;
  actor: string;
  terminal: string | null;
  recorded_at: Generated<Date>;
}

export interface NoticeHandoverTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  batch_id: string;
  status: HandoverStatus;
  recipient: string;
  recipient_person: string | null;
  medium: string;
  password_delivery: string;
  use_until: string;
  return_method: string;
  file_name: string;
  contents: Json<Record<string, unknown>>;
  persons: number;
  pages: number;
  package_sha256: string | null;
  package_bytes: string | number | null;
  handed_by: string;
  handed_at: Generated<Date>;
  received_on: string | null;
  received_by: string | null;
  received_note: string | null;
  closed_on: string | null;
  closed_how: 'returned' | 'erased' | null;
  closed_note: string | null;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.notice_templates': NoticeTemplateTable;
    'municipality.notice_settings': NoticeSettingsTable;
    'municipality.notice_serials': NoticeSerialTable;
    'municipality.notice_batches': NoticeBatchTable;
    'municipality.notice_items': NoticeItemTable;
    'municipality.notice_item_events': NoticeItemEventTable;
    'municipality.notice_handovers': NoticeHandoverTable;
  }
}
