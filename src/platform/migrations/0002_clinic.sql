-- The clinic side of the platform (issue 13 part C; docs/formats/clinic-protocol.md; decisions 0151, 0152):
-- medical institutions as tenants (kind 'institution', tenant_code = 医療機関コード), their contracts with
-- municipalities (委託契約), their accounts and sessions, reception challenges, visits (受付・本人確認・
-- 接種不可), and the doses they register (PMH-13…PMH-17), numbered by seq for `records.fetch`.

-- 委託契約: which municipalities' residents an institution may vaccinate.  No personal data: read before any
-- tenant is set (the reception checks it for every municipality of a person).
CREATE TABLE platform.contracts (
  institution_code text NOT NULL REFERENCES platform.tenants,
  municipality_code text NOT NULL REFERENCES platform.tenants,
  valid_from date NOT NULL,
  valid_until date,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (institution_code, municipality_code, valid_from),
  CHECK (valid_until IS NULL OR valid_until >= valid_from),
  CHECK (institution_code <> municipality_code)
);
GRANT SELECT, INSERT, UPDATE ON platform.contracts TO mamori_platform;

-- Individual accounts of an institution's staff (受付・医師・管理者).  argon2id (the kernel's hashing and
-- policy); locked after 5 failures in a row.  Looked up at login and per request before the tenant is set,
-- so not under RLS; staff data only, no resident data.
CREATE TABLE platform.clinic_accounts (
  institution_code text NOT NULL REFERENCES platform.tenants,
  user_id text NOT NULL CHECK (user_id ~ '^[A-Za-z0-9._-]{3,40}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('reception', 'doctor', 'admin')),
  password_hash text NOT NULL,
  failures int NOT NULL DEFAULT 0,
  locked_at timestamptz,
  disabled_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  password_changed_at timestamptz NOT NULL,
  PRIMARY KEY (institution_code, user_id)
);
GRANT SELECT, INSERT, UPDATE ON platform.clinic_accounts TO mamori_platform;

-- Sessions: only the SHA-256 of the cookie token is kept; the CSRF token is per session.
CREATE TABLE platform.clinic_sessions (
  token_hash bytea PRIMARY KEY,
  institution_code text NOT NULL,
  user_id text NOT NULL,
  csrf text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  FOREIGN KEY (institution_code, user_id) REFERENCES platform.clinic_accounts
);
CREATE INDEX clinic_sessions_expires ON platform.clinic_sessions (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.clinic_sessions TO mamori_platform;

-- Card reception challenges: 5 minutes, one use, bound to the session that asked.
CREATE TABLE platform.reception_challenges (
  challenge_id text PRIMARY KEY,
  institution_code text NOT NULL REFERENCES platform.tenants,
  session_hash bytea NOT NULL,
  challenge text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz
);
CREATE INDEX reception_challenges_expires ON platform.reception_challenges (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON platform.reception_challenges TO mamori_platform;

-- The institution's own access log (logins, refusals such as NO_CONTRACT): no resident data beyond target ids.
CREATE TABLE platform.clinic_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  institution_code text NOT NULL,
  user_id text,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused')),
  code text,
  tenant_code text,
  target_id text
);
CREATE INDEX clinic_log_institution ON platform.clinic_log (institution_code, at);
GRANT SELECT, INSERT, DELETE ON platform.clinic_log TO mamori_platform;
GRANT USAGE ON SEQUENCE platform.clinic_log_seq_seq TO mamori_platform;

-- The institution a clinic transaction acts for (set per transaction like mamori.platform_tenant).
CREATE FUNCTION platform.current_institution() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('mamori.platform_institution', true), '')
$$;
REVOKE ALL ON FUNCTION platform.current_institution() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.current_institution() TO mamori_platform;

-- A visit (来院): one per institution, target and day while not cancelled.  tenant_code is the municipality
-- whose target it is (the owner of the data); institution_code the institution.  RLS lets either see it:
-- the municipality by mamori.platform_tenant, the institution by mamori.platform_institution.
CREATE TABLE platform.visits (
  visit_id text PRIMARY KEY CHECK (visit_id ~ '^V[0-9A-Z]{20}$'),
  tenant_code text NOT NULL,
  institution_code text NOT NULL REFERENCES platform.tenants,
  visit_date date NOT NULL,
  target_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('checked-in', 'examined', 'not-vaccinable', 'vaccinated', 'cancelled')),
  answer_id text,
  reception_method text NOT NULL CHECK (reception_method IN ('card', 'insurance', 'qualification', 'boshi', 'license', 'other')),
  reception_note text,
  reception_via text NOT NULL CHECK (reception_via IN ('card', 'qr')),
  reception_by text NOT NULL,
  reception_at timestamptz NOT NULL,
  exam_method text CHECK (exam_method IN ('card', 'insurance', 'qualification', 'boshi', 'license', 'other')),
  exam_note text,
  exam_by text,
  exam_at timestamptz,
  decision text CHECK (decision IN ('not-vaccinable')),
  decision_reason text,
  decision_by text,
  decision_at timestamptz,
  cancel_reason text,
  cancelled_by text,
  cancelled_at timestamptz,
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE,
  CHECK ((exam_at IS NULL) = (exam_method IS NULL)),
  CHECK ((decision IS NULL) = (decision_reason IS NULL)),
  CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE UNIQUE INDEX visits_open ON platform.visits (institution_code, tenant_code, target_id, visit_date) WHERE status <> 'cancelled';
CREATE INDEX visits_day ON platform.visits (institution_code, visit_date, reception_at);
CREATE INDEX visits_target ON platform.visits (tenant_code, target_id);

-- The doses an institution registered (PMH-16 items), the municipality's copy fetched by seq (records.fetch).
-- Stored in columns (not sealed): like the municipality's own ledger, the items are needed for the schedule
-- check and the feed, and they stay behind RLS and the node's role (decision 0152).
CREATE TABLE platform.institution_doses (
  seq bigserial UNIQUE,
  tenant_code text NOT NULL,
  record_id text NOT NULL CHECK (record_id ~ '^R[0-9A-Z]{20}$'),
  institution_code text NOT NULL REFERENCES platform.tenants,
  target_id text NOT NULL,
  visit_id text NOT NULL REFERENCES platform.visits,
  answer_id text,
  program_code text NOT NULL,
  dose int NOT NULL CHECK (dose BETWEEN 1 AND 20),
  product text NOT NULL,
  vaccinated_on date NOT NULL,
  time text,
  doctor_name text NOT NULL,
  place text,
  implementation_class text NOT NULL CHECK (implementation_class IN ('individual', 'group')),
  vaccination_class text NOT NULL CHECK (vaccination_class IN ('routine', 'voluntary', 'temporary')),
  gtin text NOT NULL,
  manufacturer text NOT NULL,
  vaccine_name text NOT NULL,
  lot text NOT NULL,
  amount text NOT NULL,
  site text NOT NULL,
  route text NOT NULL,
  expiry date NOT NULL,
  consent boolean NOT NULL,
  caution boolean NOT NULL,
  special_circumstances text,
  overseas boolean NOT NULL,
  warnings jsonb NOT NULL,
  override_reason text,
  reduction_category text,
  registered_by text NOT NULL,
  registered_at timestamptz NOT NULL,
  idempotency_key text,
  body_hash bytea NOT NULL,
  PRIMARY KEY (tenant_code, record_id),
  FOREIGN KEY (tenant_code, target_id) REFERENCES platform.targets ON DELETE CASCADE
);
CREATE UNIQUE INDEX institution_doses_idempotency ON platform.institution_doses (institution_code, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX institution_doses_target ON platform.institution_doses (tenant_code, target_id);
CREATE INDEX institution_doses_visit ON platform.institution_doses (visit_id);

-- The vaccine of a history row (the schedule engine's product), sent by the municipality and set for doses.
ALTER TABLE platform.target_records ADD COLUMN product text;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['visits', 'institution_doses'] LOOP
    EXECUTE format('ALTER TABLE platform.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_or_institution ON platform.%I TO mamori_platform USING (tenant_code = platform.current_tenant() OR institution_code = platform.current_institution()) WITH CHECK (tenant_code = platform.current_tenant() OR institution_code = platform.current_institution())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON platform.%I TO mamori_platform', t);
  END LOOP;
END $$;
GRANT USAGE ON SEQUENCE platform.institution_doses_seq_seq TO mamori_platform;
