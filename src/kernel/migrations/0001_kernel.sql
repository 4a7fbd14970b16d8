-- Mamori kernel schema: organisations, staff accounts, sessions, operation log, key store,
-- My Number vault, retention.  Every table holding personal data is keyed by tenant_code first
-- and protected by Row-Level Security for the application role mamori_app (KRN-01, KRN-04).

CREATE SCHEMA IF NOT EXISTS kernel;
GRANT USAGE ON SCHEMA kernel TO mamori_app;

-- The tenant of the current transaction, set by the application with set_config(..., true).
CREATE FUNCTION kernel.current_tenant() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('mamori.tenant', true), '')
$$;

-- KRN-32: creator/updater, time, terminal and program on every personal-data row.
CREATE FUNCTION kernel.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who text := coalesce(nullif(current_setting('mamori.actor', true), ''), session_user::text);
  term text := nullif(current_setting('mamori.terminal', true), '');
  prog text := coalesce(nullif(current_setting('mamori.program', true), ''), 'sql');
BEGIN
  IF current_setting('mamori.restoring', true) = 'on' THEN
    RETURN NEW;  -- restoring a backup keeps the original stamps
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.created_at := now(); NEW.created_by := who; NEW.created_terminal := term; NEW.created_program := prog;
  ELSE
    NEW.created_at := OLD.created_at; NEW.created_by := OLD.created_by;
    NEW.created_terminal := OLD.created_terminal; NEW.created_program := OLD.created_program;
  END IF;
  NEW.updated_at := now(); NEW.updated_by := who; NEW.updated_terminal := term; NEW.updated_program := prog;
  RETURN NEW;
END $$;

-- ------------------------------------------------------------------ organisations (not personal data)
CREATE TABLE kernel.organisations (
  code text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('municipality', 'national', 'clinic')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  name_kana text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (
    (kind = 'municipality' AND code ~ '^[0-9]{6}$') OR
    (kind = 'national' AND code ~ '^[0-9]{13}$') OR
    (kind = 'clinic' AND code ~ '^[0-9]{10}$')
  )
);
GRANT SELECT ON kernel.organisations TO mamori_app;

-- Clinics (and other member organisations) attached to a tenant.
CREATE TABLE kernel.memberships (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  member_code text NOT NULL REFERENCES kernel.organisations(code),
  relation text NOT NULL CHECK (relation IN ('clinic', 'contractor')),
  valid_from date NOT NULL DEFAULT current_date,
  valid_until date,
  PRIMARY KEY (tenant_code, member_code, relation)
);
ALTER TABLE kernel.memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.memberships TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT ON kernel.memberships TO mamori_app;

-- ------------------------------------------------------------------ per-tenant security settings
CREATE TABLE kernel.tenant_settings (
  tenant_code text PRIMARY KEY REFERENCES kernel.organisations(code),
  password_min_length int NOT NULL DEFAULT 12 CHECK (password_min_length BETWEEN 8 AND 128),
  password_min_classes int NOT NULL DEFAULT 3 CHECK (password_min_classes BETWEEN 1 AND 4),
  password_history int NOT NULL DEFAULT 5 CHECK (password_history BETWEEN 0 AND 24),
  password_max_age_days int NOT NULL DEFAULT 180 CHECK (password_max_age_days >= 0),
  lockout_threshold int NOT NULL DEFAULT 5 CHECK (lockout_threshold BETWEEN 3 AND 20),
  lockout_minutes int NOT NULL DEFAULT 30 CHECK (lockout_minutes BETWEEN 1 AND 1440),
  idle_timeout_minutes int NOT NULL DEFAULT 15 CHECK (idle_timeout_minutes BETWEEN 1 AND 240),
  session_max_hours int NOT NULL DEFAULT 12 CHECK (session_max_hours BETWEEN 1 AND 24),
  mfa_required boolean NOT NULL DEFAULT false,
  review_inactive_days int NOT NULL DEFAULT 30 CHECK (review_inactive_days >= 1),
  review_expiring_days int NOT NULL DEFAULT 30 CHECK (review_expiring_days >= 1),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE kernel.tenant_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.tenant_settings TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, UPDATE ON kernel.tenant_settings TO mamori_app;

-- ------------------------------------------------------------------ staff accounts (KRN-17..29)
-- There is deliberately no account kind for shared or group IDs (KRN-17).
CREATE TABLE kernel.accounts (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  login_id text NOT NULL CHECK (login_id ~ '^[a-z0-9][a-z0-9._-]{2,31}$'),
  kind text NOT NULL CHECK (kind IN ('staff', 'contractor')),
  full_name text NOT NULL,
  full_name_kana text,
  department text,
  email text,
  contractor_company text,
  contract_end date,
  status text NOT NULL CHECK (status IN ('applied', 'active', 'suspended', 'revoked', 'rejected', 'expired')),
  status_reason text,
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  role text,
  duties text[] NOT NULL DEFAULT '{}',
  mynumber_view boolean NOT NULL DEFAULT false,
  expires_on date,
  application_reason text NOT NULL,
  requested_role text,
  requested_duties text[] NOT NULL DEFAULT '{}',
  applied_by text,
  applied_at timestamptz NOT NULL DEFAULT now(),
  approved_by text,
  approved_at timestamptz,
  password_hash text,
  password_changed_at timestamptz,
  must_change_password boolean NOT NULL DEFAULT false,
  failed_logins int NOT NULL DEFAULT 0,
  locked_until timestamptz,
  totp_secret bytea,
  totp_enabled boolean NOT NULL DEFAULT false,
  totp_last_step bigint,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, login_id),
  CHECK (kind <> 'contractor' OR (contractor_company IS NOT NULL AND contract_end IS NOT NULL)),
  CHECK (kind <> 'contractor' OR expires_on IS NULL OR expires_on <= contract_end),
  CHECK (status NOT IN ('active', 'suspended') OR (expires_on IS NOT NULL AND role IS NOT NULL))
);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON kernel.accounts FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE kernel.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.accounts TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.accounts TO mamori_app;

-- Account issuance ledger (KRN-25): every application, approval, grant and revocation.
CREATE TABLE kernel.account_events (
  tenant_code text NOT NULL,
  id bigint GENERATED BY DEFAULT AS IDENTITY,
  account_id uuid NOT NULL,
  event text NOT NULL,
  reason text,
  detail jsonb NOT NULL DEFAULT '{}',
  actor text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, account_id) REFERENCES kernel.accounts(tenant_code, id)
);
CREATE INDEX account_events_by_account ON kernel.account_events (tenant_code, account_id, occurred_at);
ALTER TABLE kernel.account_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.account_events TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.account_events TO mamori_app;

CREATE TABLE kernel.password_history (
  tenant_code text NOT NULL,
  account_id uuid NOT NULL,
  set_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  password_hash text NOT NULL,
  PRIMARY KEY (tenant_code, account_id, set_at),
  FOREIGN KEY (tenant_code, account_id) REFERENCES kernel.accounts(tenant_code, id)
);
ALTER TABLE kernel.password_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.password_history TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, DELETE ON kernel.password_history TO mamori_app;

CREATE TABLE kernel.sessions (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  mfa_pending boolean NOT NULL DEFAULT false,
  ended_at timestamptz,
  end_reason text,
  client_address text,
  terminal_id text,
  user_agent text,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, account_id) REFERENCES kernel.accounts(tenant_code, id)
);
CREATE INDEX sessions_by_account ON kernel.sessions (tenant_code, account_id) WHERE ended_at IS NULL;
ALTER TABLE kernel.sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.sessions TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.sessions TO mamori_app;

-- ------------------------------------------------------------------ operation log (KRN-30..35)
-- Append-only for the application role (INSERT and SELECT only).  The owner-side sealer assigns
-- seq/prev_hash/hash; after that a row can no longer change, and deletion is possible only in a
-- retention purge that first writes a signed checkpoint.
CREATE TABLE kernel.audit_log (
  tenant_code text NOT NULL,
  id bigint GENERATED BY DEFAULT AS IDENTITY,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_kind text NOT NULL,
  actor_id text,
  actor_login text NOT NULL,
  action text NOT NULL,
  target_type text,
  target_id text,
  subject_ref text,
  purpose text,
  request_id text,
  client_address text,
  terminal_id text,
  program text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  detail jsonb,
  seq bigint,
  prev_hash bytea,
  hash bytea,
  PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX audit_log_chain ON kernel.audit_log (tenant_code, seq);
CREATE INDEX audit_log_unsealed ON kernel.audit_log (tenant_code, id) WHERE seq IS NULL;
CREATE INDEX audit_log_subject ON kernel.audit_log (tenant_code, subject_ref, occurred_at) WHERE subject_ref IS NOT NULL;
CREATE INDEX audit_log_time ON kernel.audit_log (tenant_code, occurred_at);
CREATE INDEX audit_log_actor ON kernel.audit_log (tenant_code, actor_login, occurred_at);
ALTER TABLE kernel.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.audit_log TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.audit_log TO mamori_app;

CREATE FUNCTION kernel.audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('mamori.audit_purge', true) = 'on' AND OLD.seq IS NOT NULL THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'kernel.audit_log is append-only (delete refused)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- UPDATE: only sealing an unsealed row, with every content column unchanged.
  IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (NEW.tenant_code, NEW.id, NEW.occurred_at, NEW.actor_kind, NEW.actor_id, NEW.actor_login, NEW.action,
          NEW.target_type, NEW.target_id, NEW.subject_ref, NEW.purpose, NEW.request_id, NEW.client_address,
          NEW.terminal_id, NEW.program, NEW.outcome, NEW.detail::text)
         IS NOT DISTINCT FROM
         (OLD.tenant_code, OLD.id, OLD.occurred_at, OLD.actor_kind, OLD.actor_id, OLD.actor_login, OLD.action,
          OLD.target_type, OLD.target_id, OLD.subject_ref, OLD.purpose, OLD.request_id, OLD.client_address,
          OLD.terminal_id, OLD.program, OLD.outcome, OLD.detail::text) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'kernel.audit_log is append-only (update refused)' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON kernel.audit_log FOR EACH ROW EXECUTE FUNCTION kernel.audit_guard();

-- Last sealed position per tenant chain.
CREATE TABLE kernel.audit_chain_heads (
  tenant_code text PRIMARY KEY,
  seq bigint NOT NULL,
  hash bytea NOT NULL,
  sealed_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE kernel.audit_chain_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.audit_chain_heads TO mamori_app USING (tenant_code = kernel.current_tenant());
GRANT SELECT ON kernel.audit_chain_heads TO mamori_app;

-- Signed checkpoints: (tenant, seq, hash) signed with the audit signing key (Ed25519).
-- A purge removes entries only up to a checkpoint, so verification can restart from it.
CREATE TABLE kernel.audit_checkpoints (
  tenant_code text NOT NULL,
  seq bigint NOT NULL,
  hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL,
  PRIMARY KEY (tenant_code, seq)
);
ALTER TABLE kernel.audit_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.audit_checkpoints TO mamori_app USING (tenant_code = kernel.current_tenant());
GRANT SELECT ON kernel.audit_checkpoints TO mamori_app;

-- ------------------------------------------------------------------ key store and My Number vault (KRN-02, KRN-09)
-- Per-tenant data keys, wrapped by the master key (never stored here).
CREATE TABLE kernel.tenant_keys (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  purpose text NOT NULL CHECK (purpose IN ('mynumber', 'blind-index', 'account-secret')),
  version int NOT NULL CHECK (version >= 1),
  kek_id text NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  PRIMARY KEY (tenant_code, purpose, version)
);
ALTER TABLE kernel.tenant_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.tenant_keys TO mamori_app USING (tenant_code = kernel.current_tenant());
GRANT SELECT ON kernel.tenant_keys TO mamori_app;

-- My Number kept apart from every business table (KRN-09): ciphertext bound to its row by AAD,
-- plus an HMAC blind index for exact lookup.
CREATE TABLE kernel.mynumber_vault (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  subject_type text NOT NULL CHECK (subject_type ~ '^[a-z][a-z0-9-]{1,31}$'),
  subject_id text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 64),
  ciphertext bytea,
  key_version int,
  blind_index bytea,
  index_version int,
  suppressed_at timestamptz,
  suppressed_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, subject_type, subject_id),
  CHECK ((suppressed_at IS NULL) = (ciphertext IS NOT NULL AND blind_index IS NOT NULL))
);
CREATE INDEX mynumber_vault_index ON kernel.mynumber_vault (tenant_code, blind_index) WHERE blind_index IS NOT NULL;
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON kernel.mynumber_vault FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE kernel.mynumber_vault ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.mynumber_vault TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON kernel.mynumber_vault TO mamori_app;

-- ------------------------------------------------------------------ retention (KRN-35, KRN-37..39)
CREATE TABLE kernel.retention_policies (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  data_class text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('years', 'days', 'while-registered', 'permanent')),
  period int CHECK (period IS NULL OR period > 0),
  deletion text NOT NULL CHECK (deletion IN ('logical', 'physical')),
  requires_approval boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, data_class),
  CHECK ((mode IN ('years', 'days')) = (period IS NOT NULL))
);
ALTER TABLE kernel.retention_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.retention_policies TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.retention_policies TO mamori_app;

CREATE TABLE kernel.deletion_requests (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  data_class text NOT NULL,
  cutoff timestamptz NOT NULL,
  candidate_count int NOT NULL,
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'executed')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  executed_at timestamptz,
  deleted_count int,
  PRIMARY KEY (tenant_code, id)
);
ALTER TABLE kernel.deletion_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.deletion_requests TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.deletion_requests TO mamori_app;

-- What was deleted, by whom, when and why (KRN-39).  Target ids are internal keys, never My Numbers.
CREATE TABLE kernel.deletion_records (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id bigint GENERATED BY DEFAULT AS IDENTITY,
  data_class text NOT NULL,
  method text NOT NULL CHECK (method IN ('logical', 'physical')),
  deleted_count int NOT NULL,
  target_ids text[] NOT NULL,
  reason text NOT NULL,
  request_id uuid,
  executed_by text NOT NULL,
  executed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, id)
);
ALTER TABLE kernel.deletion_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.deletion_records TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.deletion_records TO mamori_app;
