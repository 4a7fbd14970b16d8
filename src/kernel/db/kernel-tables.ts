// Kysely types of the kernel schema (migrations/0001_kernel.sql).
import type { ColumnType, Generated } from 'kysely';
import type { StampColumns } from './types.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DateStr = string; // 'YYYY-MM-DD' plain calendar date

export interface OrganisationTable {
  code: string;
  kind: 'municipality' | 'national' | 'clinic';
  name: string;
  name_kana: string | null;
  created_at: Generated<Date>;
}

export interface MembershipTable {
  tenant_code: string;
  member_code: string;
  relation: 'clinic' | 'contractor';
  valid_from: Generated<DateStr>;
  valid_until: DateStr | null;
}

export interface TenantSettingsTable {
  tenant_code: string;
  password_min_length: Generated<number>;
  password_min_classes: Generated<number>;
  password_history: Generated<number>;
  password_max_age_days: Generated<number>;
  lockout_threshold: Generated<number>;
  lockout_minutes: Generated<number>;
  idle_timeout_minutes: Generated<number>;
  session_max_hours: Generated<number>;
  mfa_required: Generated<boolean>;
  review_inactive_days: Generated<number>;
  review_expiring_days: Generated<number>;
  updated_at: Generated<Date>;
}

export type AccountStatus = 'applied' | 'active' | 'suspended' | 'revoked' | 'rejected' | 'expired';
export type AccountKind = 'staff' | 'contractor';

export interface AccountTable extends StampColumns {
  tenant_code: string;
  id: Generated<string>;
  login_id: string;
  kind: AccountKind;
  full_name: string;
  full_name_kana: string | null;
  department: string | null;
  email: string | null;
  contractor_company: string | null;
  contract_end: DateStr | null;
  status: AccountStatus;
  status_reason: string | null;
  status_changed_at: Generated<Date>;
  role: string | null;
  duties: Generated<string[]>;
  mynumber_view: Generated<boolean>;
  expires_on: DateStr | null;
  application_reason: string;
  requested_role: string | null;
  requested_duties: Generated<string[]>;
  applied_by: string | null;
  applied_at: Generated<Date>;
  approved_by: string | null;
  approved_at: Timestamp | null;
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  must_change_password: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  totp_secret: Buffer | null;
  totp_enabled: Generated<boolean>;
  totp_last_step: number | null;
  last_login_at: Timestamp | null;
}

export interface AccountEventTable {
  tenant_code: string;
  id: Generated<number>;
  account_id: string;
  event: string;
  reason: string | null;
  detail: Generated<Record<string, unknown>>;
  actor: string;
  occurred_at: Generated<Date>;
}

export interface PasswordHistoryTable {
  tenant_code: string;
  account_id: string;
  set_at: Generated<Date>;
  password_hash: string;
}

export interface SessionTable {
  tenant_code: string;
  id: Generated<string>;
  account_id: string;
  token_hash: Buffer;
  created_at: Generated<Date>;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  mfa_pending: Generated<boolean>;
  ended_at: Timestamp | null;
  end_reason: string | null;
  client_address: string | null;
  terminal_id: string | null;
  user_agent: string | null;
}

export interface AuditLogTable {
  tenant_code: string;
  id: Generated<number>;
  occurred_at: Generated<Date>;
  actor_kind: string;
  actor_id: string | null;
  actor_login: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  subject_ref: string | null;
  purpose: string | null;
  request_id: string | null;
  client_address: string | null;
  terminal_id: string | null;
  program: string | null;
  outcome: 'success' | 'failure' | 'denied';
  detail: Record<string, unknown> | null;
  seq: number | null;
  prev_hash: Buffer | null;
  hash: Buffer | null;
}

export interface AuditChainHeadTable {
  tenant_code: string;
  seq: number;
  hash: Buffer;
  sealed_at: Generated<Date>;
  /** False only for a chain sealed before migration 0012 (unkeyed v1 hashes) until its first keyed seal. */
  keyed: Generated<boolean>;
}

export interface AuditCheckpointTable {
  tenant_code: string;
  seq: number;
  hash: Buffer;
  created_at: Generated<Date>;
  reason: string;
  key_id: string;
  signature: Buffer;
  /** 1: signed tenant|seq|hash (before migration 0012); 2: signs the reason too. */
  sig_version: Generated<number>;
}

export type KeyPurpose = 'mynumber' | 'blind-index' | 'account-secret';

export interface TenantKeyTable {
  tenant_code: string;
  purpose: KeyPurpose;
  version: number;
  kek_id: string;
  wrapped_key: Buffer;
  created_at: Generated<Date>;
  retired_at: Timestamp | null;
}

export interface MyNumberVaultTable extends StampColumns {
  tenant_code: string;
  subject_type: string;
  subject_id: string;
  ciphertext: Buffer | null;
  key_version: number | null;
  blind_index: Buffer | null;
  index_version: number | null;
  suppressed_at: Timestamp | null;
  suppressed_reason: string | null;
}

export interface RetentionPolicyTable {
  tenant_code: string;
  data_class: string;
  mode: 'years' | 'days' | 'while-registered' | 'permanent';
  period: number | null;
  deletion: 'logical' | 'physical';
  requires_approval: Generated<boolean>;
  updated_at: Generated<Date>;
  updated_by: string;
}

export interface DeletionRequestTable {
  tenant_code: string;
  id: Generated<string>;
  data_class: string;
  cutoff: Timestamp;
  candidate_count: number;
  reason: string;
  status: 'pending' | 'approved' | 'rejected' | 'executed';
  requested_by: string;
  requested_at: Generated<Date>;
  decided_by: string | null;
  decided_at: Timestamp | null;
  executed_at: Timestamp | null;
  deleted_count: number | null;
}

export interface DeletionRecordTable {
  tenant_code: string;
  id: Generated<number>;
  data_class: string;
  method: 'logical' | 'physical';
  deleted_count: number;
  target_ids: string[];
  reason: string;
  request_id: string | null;
  executed_by: string;
  executed_at: Generated<Date>;
}

declare module './types.js' {
  interface Database {
    'kernel.organisations': OrganisationTable;
    'kernel.memberships': MembershipTable;
    'kernel.tenant_settings': TenantSettingsTable;
    'kernel.accounts': AccountTable;
    'kernel.account_events': AccountEventTable;
    'kernel.password_history': PasswordHistoryTable;
    'kernel.sessions': SessionTable;
    'kernel.audit_log': AuditLogTable;
    'kernel.audit_chain_heads': AuditChainHeadTable;
    'kernel.audit_checkpoints': AuditCheckpointTable;
    'kernel.tenant_keys': TenantKeyTable;
    'kernel.mynumber_vault': MyNumberVaultTable;
    'kernel.retention_policies': RetentionPolicyTable;
    'kernel.deletion_requests': DeletionRequestTable;
    'kernel.deletion_records': DeletionRecordTable;
  }
}
