// Kysely types of the certificate tables (municipality/migrations/0005_certificates.sql).
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { StampColumns } from '../../kernel/db/index.js';
import type { ApplicantKind, CertificateContent, CertificateKindCode, ChannelCode, ExcludedRecord, RecordRef } from './model.js';

type Json<T> = ColumnType<T, T | RawBuilder<T>, T | RawBuilder<T>>;

export interface CertificateApplicationTable extends StampColumns {
  tenant_code: string;
  id: string;
  atena_no: string;
  kind: CertificateKindCode;
  channel: ChannelCode;
  received_on: string;
  applicant: ApplicantKind;
  agent_name: string | null;
  agent_relation: string | null;
  identity_document: string;
  power_of_attorney: boolean;
  reason: string;
  programs: string[];
  reissue_of: string | null;
  romaji_family: string | null;
  romaji_given: string | null;
  nationality: string | null;
  other_name: string | null;
  passport_no: Buffer | null;
  note: string | null;
  status: 'received' | 'issued' | 'cancelled';
  cancel_reason: string | null;
  erased_at: Date | null;
}

export interface CertificateTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  certificate_no: string;
  application_id: string;
  atena_no: string;
  kind: CertificateKindCode;
  issue_date: string;
  previous_id: string | null;
  records: Json<RecordRef[]>;
  excluded: Json<ExcludedRecord[]>;
  dose_count: number;
  formats: string[];
  content: Json<CertificateContent | null>;
  content_sha256: Buffer;
  shc_kid: string | null;
  shc_jws: string | null;
  shc_jws_sha256: Buffer | null;
  shc_qr_count: number | null;
  status: 'issued' | 'revoked';
  revoked_at: Date | null;
  revoked_reason: string | null;
  erased_at: Date | null;
}

export interface CertificateSerialTable {
  tenant_code: string;
  fiscal_year: number;
  last_serial: number;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.certificate_applications': CertificateApplicationTable;
    'municipality.certificates': CertificateTable;
    'municipality.certificate_serials': CertificateSerialTable;
  }
}
