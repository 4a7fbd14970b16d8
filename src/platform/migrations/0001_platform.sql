-- 予診情報・予防接種記録管理／請求支払システム node `platform`: its own schema and role (decision 0134).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_platform') THEN
    CREATE ROLE mamori_platform NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_platform": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_platform TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS platform;
REVOKE ALL ON SCHEMA platform FROM PUBLIC;
GRANT USAGE ON SCHEMA platform TO mamori_platform;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE platform.exchange_messages (
  seq bigserial PRIMARY KEY,
  node text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  re text,
  peer text NOT NULL,
  service text NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('sent', 'accepted', 'ok', 'refused', 'failed')),
  code text,
  status int,
  digest text NOT NULL,
  guard boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX exchange_messages_replay ON platform.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON platform.exchange_messages (node, at);
GRANT SELECT, INSERT ON platform.exchange_messages TO mamori_platform;
GRANT UPDATE (outcome, code, status) ON platform.exchange_messages TO mamori_platform;
GRANT USAGE ON SEQUENCE platform.exchange_messages_seq_seq TO mamori_platform;

-- Every table holding personal data is keyed by tenant_code first and isolated by RLS on the node's own
-- setting mamori.platform_tenant (set per transaction, store.ts).  Decision 0143.
CREATE FUNCTION platform.current_tenant() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('mamori.platform_tenant', true), '')
$$;
REVOKE ALL ON FUNCTION platform.current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.current_tenant() TO mamori_platform;

-- Tenants (契約団体): municipalities now, medical institutions with the clinic issue.  `node` is the
-- organisation node allowed to call the message services for this tenant.
CREATE TABLE platform.tenants (
  tenant_code text PRIMARY KEY CHECK (tenant_code ~ '^[0-9]{6,10}$'),
  kind text NOT NULL CHECK (kind IN ('municipality', 'institution')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  node text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  created_at timestamptz NOT NULL,
  ended_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON platform.tenants TO mamori_platform;

-- PMH-20: the user master.  機関マスタID = tenant_code, 機関ユーザーID = user_id.  A user exists only from an
-- application approved by a different administrator (KRN-18); the deletion flag ends it.
CREATE TABLE platform.users (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  user_id text NOT NULL CHECK (user_id ~ '^[A-Za-z0-9._-]{3,40}$'),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 200),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  category text NOT NULL CHECK (category IN ('municipal-staff', 'institution-staff', 'operator')),
  permission_id text NOT NULL CHECK (permission_id IN ('admin', 'register', 'view')),
  mynumber_viewable boolean NOT NULL DEFAULT false,
  deleted boolean NOT NULL DEFAULT false,
  status text NOT NULL CHECK (status IN ('applied', 'active', 'rejected', 'deleted')),
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL,
  reason text NOT NULL,
  approved_by text,
  approved_at timestamptz,
  valid_until date,
  deleted_at timestamptz,
  PRIMARY KEY (tenant_code, user_id),
  CHECK (status <> 'active' OR (approved_by IS NOT NULL AND approved_by <> user_id)),
  CHECK (deleted = (status = 'deleted'))
);
GRANT SELECT, INSERT, UPDATE ON platform.users TO mamori_platform;

-- API tokens (Bearer) of a tenant, issued to a user with the registration permission (PMH-02).  Only the
-- SHA-256 of the secret is kept.  Looked up before the tenant is known, so not under RLS; no personal data.
CREATE TABLE platform.api_tokens (
  token_id text PRIMARY KEY CHECK (token_id ~ '^[a-z0-9]{16}$'),
  tenant_code text NOT NULL REFERENCES platform.tenants,
  secret_hash bytea NOT NULL,
  issued_to text NOT NULL,
  issued_at timestamptz NOT NULL,
  revoked_at timestamptz
);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.api_tokens TO mamori_platform;

-- PMH-01: 予防接種設定 (the programs a tenant registers targets for) and templates (予診票項目, 通知文言).
CREATE TABLE platform.vaccination_settings (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  program_code text NOT NULL CHECK (program_code ~ '^[a-z0-9-]{1,40}$'),
  name text NOT NULL,
  doses int NOT NULL CHECK (doses BETWEEN 1 AND 20),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, program_code)
);
CREATE TABLE platform.templates (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  template_id text NOT NULL CHECK (template_id ~ '^[A-Za-z0-9._-]{1,40}$'),
  kind text NOT NULL CHECK (kind IN ('questionnaire', 'notice')),
  version int NOT NULL,
  content jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, template_id)
);

-- PMH-21: the targets (対象者情報) with their linkage status.  My Number and the basic five information are
-- sealed with the platform's own key (AES-256-GCM, bound to tenant and target); the blind index finds a
-- number without decrypting.  pmh_key is set only after the 支払基金 answer passed PMH-07/08.
CREATE TABLE platform.targets (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  target_id text NOT NULL CHECK (target_id ~ '^T[0-9]{15}$'),
  identity_key text NOT NULL CHECK (identity_key ~ '^[0-9A-Za-z-]{1,20}$'),
  mynumber_index bytea,
  sealed bytea,
  key_version int,
  content_hash bytea,
  pmh_key text,
  target_category text,
  reduction_category text,
  not_disclosed boolean NOT NULL DEFAULT false,
  recovery boolean NOT NULL DEFAULT false,
  viewing_suspended boolean NOT NULL DEFAULT false,
  deleted boolean NOT NULL DEFAULT false,
  change_category text,
  movement_date date,
  link_status text NOT NULL CHECK (link_status IN ('linked', 'error', 'deleted')),
  link_error text,
  file_name text NOT NULL,
  linked_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, target_id),
  CHECK ((link_status = 'linked') = (pmh_key IS NOT NULL)),
  CHECK (deleted = (link_status = 'deleted')),
  CHECK (deleted OR (sealed IS NOT NULL AND mynumber_index IS NOT NULL))
);
CREATE UNIQUE INDEX targets_identity ON platform.targets (tenant_code, identity_key);
CREATE INDEX targets_pmh_key ON platform.targets (tenant_code, pmh_key) WHERE pmh_key IS NOT NULL;
CREATE INDEX targets_status ON platform.targets (tenant_code, link_status);

-- Per-target vaccination data the tenant registered (PMH-17 予防接種予定/勧奨, history, notices PMH-10).
CREATE TABLE platform.target_vaccinations (
  tenant_code text NOT NULL,
  target_id text NOT NULL,
  program_code text NOT NULL,
  dose int NOT NULL,
  due_from date,
  due_until date,
  rule_id text,
  recommended_on date,
  forced_expiry_date date,
  combination_no text,
  PRIMARY KEY (tenant_code, target_id, program_code, dose),
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE
);
CREATE TABLE platform.target_records (
  tenant_code text NOT NULL,
  target_id text NOT NULL,
  record_id text NOT NULL,
  program_code text NOT NULL,
  dose int,
  vaccinated_on date NOT NULL,
  vaccine_name text,
  lot_number text,
  institution_name text,
  source text NOT NULL CHECK (source IN ('municipality', 'institution')),
  PRIMARY KEY (tenant_code, target_id, record_id),
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE
);
CREATE TABLE platform.notices (
  tenant_code text NOT NULL,
  target_id text NOT NULL,
  notice_id text NOT NULL,
  template_id text NOT NULL,
  program_code text NOT NULL,
  dose int,
  voucher_no text,
  issued_on date NOT NULL,
  due_until date,
  PRIMARY KEY (tenant_code, target_id, notice_id),
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE
);

-- PMH-11/17: 予診票 answers, stored against the PMH key (sealed: answers are health information).
CREATE TABLE platform.answers (
  tenant_code text NOT NULL,
  answer_id text NOT NULL CHECK (answer_id ~ '^A[0-9A-Z]{20}$'),
  target_id text NOT NULL,
  pmh_key text NOT NULL,
  template_id text NOT NULL,
  template_version int NOT NULL,
  program_code text NOT NULL,
  dose int NOT NULL,
  sealed bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'read', 'used', 'withdrawn')),
  consent_by text NOT NULL CHECK (consent_by IN ('self', 'agent')),
  consent_at timestamptz NOT NULL,
  consent_text text NOT NULL,
  agent_pseudonym text,
  answered_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, answer_id),
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE
);
CREATE INDEX answers_target ON platform.answers (tenant_code, target_id, program_code, dose, answered_at);

-- PMH-09: PMH仮名識別子 ↔ PMH key, stored at first use; and the 代理人 the portal recorded with consent.
-- National (a person may be a target of several tenants): no personal data beyond the two keys.
-- A resident who is nobody's target yet (e.g. a parent acting only as 代理人) has a pseudonym without a key.
CREATE TABLE platform.pseudonyms (
  pmh_pseudonym text PRIMARY KEY CHECK (pmh_pseudonym ~ '^PP[A-Z2-7]{26}$'),
  pmh_key text,
  linked_at timestamptz NOT NULL
);
CREATE INDEX pseudonyms_key ON platform.pseudonyms (pmh_key);
CREATE TABLE platform.agencies (
  agent text NOT NULL REFERENCES platform.pseudonyms,
  principal text NOT NULL REFERENCES platform.pseudonyms,
  consented_at timestamptz NOT NULL,
  consent_text text NOT NULL,
  recorded_at timestamptz NOT NULL,
  ended_at timestamptz,
  PRIMARY KEY (agent, principal),
  CHECK (agent <> principal)
);
-- Which tenants hold a PMH key (so a portal request finds the tenants to look in).  Keys only.
CREATE TABLE platform.key_tenants (
  pmh_key text NOT NULL,
  tenant_code text NOT NULL REFERENCES platform.tenants,
  target_id text NOT NULL,
  PRIMARY KEY (pmh_key, tenant_code, target_id)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.pseudonyms, platform.agencies, platform.key_tenants TO mamori_platform;

-- Registration calls (PMH-02, PMH-21): one row per call, with the answer kept for an idempotent replay.
CREATE TABLE platform.calls (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  call_id text NOT NULL,
  at timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('api', 'exchange')),
  caller text NOT NULL,
  file_name text NOT NULL,
  idempotency_key text,
  body_hash bytea NOT NULL,
  sent int NOT NULL, registered int NOT NULL, updated int NOT NULL, deleted int NOT NULL, unchanged int NOT NULL, failed int NOT NULL,
  -- json, not jsonb: kept only to be given back unchanged on a replay.
  answer json NOT NULL,
  PRIMARY KEY (tenant_code, call_id)
);
CREATE UNIQUE INDEX calls_idempotency ON platform.calls (tenant_code, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX calls_at ON platform.calls (at);

-- PMH-22: the handling log of specific personal information (who did what to which target, why).
-- Deleted three years after creation (retention.ts).
CREATE TABLE platform.handling_log (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  seq bigserial,
  at timestamptz NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('municipality', 'api', 'portal', 'institution', 'operator', 'system')),
  actor text NOT NULL,
  action text NOT NULL,
  target_id text,
  count int NOT NULL DEFAULT 1,
  purpose text NOT NULL,
  PRIMARY KEY (tenant_code, seq)
);
CREATE INDEX handling_log_target ON platform.handling_log (tenant_code, target_id, at) WHERE target_id IS NOT NULL;
CREATE INDEX handling_log_at ON platform.handling_log (at);

-- PMH-03: every deletion, by deletion data or by operator request.  PMH-23: the erasure report at contract end.
CREATE TABLE platform.deletions (
  tenant_code text NOT NULL REFERENCES platform.tenants,
  target_id text NOT NULL,
  at timestamptz NOT NULL,
  how text NOT NULL CHECK (how IN ('modification-seg', 'operator')),
  by_whom text NOT NULL,
  reason text NOT NULL,
  PRIMARY KEY (tenant_code, target_id, at)
);
CREATE TABLE platform.erasure_reports (
  tenant_code text NOT NULL,
  at timestamptz NOT NULL,
  by_whom text NOT NULL,
  counts jsonb NOT NULL,
  PRIMARY KEY (tenant_code, at)
);
GRANT SELECT, INSERT ON platform.erasure_reports TO mamori_platform;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'vaccination_settings', 'templates', 'targets', 'target_vaccinations', 'target_records', 'notices', 'answers', 'calls', 'handling_log', 'deletions'] LOOP
    EXECUTE format('ALTER TABLE platform.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON platform.%I TO mamori_platform USING (tenant_code = platform.current_tenant()) WITH CHECK (tenant_code = platform.current_tenant())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON platform.%I TO mamori_platform', t);
  END LOOP;
END $$;
GRANT USAGE ON SEQUENCE platform.handling_log_seq_seq TO mamori_platform;
