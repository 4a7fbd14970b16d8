-- 国家資格等情報連携・活用システム node `registry`: its own schema and role (decisions 0134, 0169).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_registry') THEN
    CREATE ROLE mamori_registry NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_registry": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_registry TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS registry;
REVOKE ALL ON SCHEMA registry FROM PUBLIC;
GRANT USAGE ON SCHEMA registry TO mamori_registry;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE registry.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON registry.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON registry.exchange_messages (node, at);
GRANT SELECT, INSERT ON registry.exchange_messages TO mamori_registry;
GRANT UPDATE (outcome, code, status) ON registry.exchange_messages TO mamori_registry;
GRANT USAGE ON SEQUENCE registry.exchange_messages_seq_seq TO mamori_registry;

-- The tenant of a transaction (mamori.registry_tenant, set per transaction by store.ts): a 資格管理者.
CREATE FUNCTION registry.current_tenant() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('mamori.registry_tenant', true), '')
$$;
REVOKE ALL ON FUNCTION registry.current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION registry.current_tenant() TO mamori_registry;

-- Tenants: the 資格管理者 (QUA-33).  Written from the qualification catalog when the node starts (catalog.ts).
CREATE TABLE registry.administrators (
  tenant_code text PRIMARY KEY CHECK (tenant_code ~ '^[a-z][a-z0-9-]{1,39}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  divisions text[] NOT NULL,
  affiliations text[] NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  synced_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON registry.administrators TO mamori_registry;

-- Which 資格管理者 administers which qualification (from the catalog).  Every later table of register data
-- carries (tenant_code, qualification_code) with a foreign key here, so a row can never sit under a tenant
-- that does not administer its qualification.
CREATE TABLE registry.jurisdictions (
  qualification_code text PRIMARY KEY CHECK (qualification_code ~ '^[a-z][a-z0-9-]{1,39}$'),
  tenant_code text NOT NULL REFERENCES registry.administrators,
  file_code text NOT NULL,
  name text NOT NULL,
  UNIQUE (tenant_code, qualification_code)
);
GRANT SELECT, INSERT, UPDATE ON registry.jurisdictions TO mamori_registry;

-- Staff of a 資格管理者 (本省, 都道府県, 保健所, 指定登録機関): a kernel role (viewer, clerk, supervisor) and
-- one duty per qualification (registerDuty 'qualification:<code>'), within their tenant's jurisdiction.  A
-- staff member exists only from an application approved by another supervisor of the same tenant (KRN-18; the
-- operator approves a tenant's first supervisor); deletion ends it.
CREATE TABLE registry.staff (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  user_id text NOT NULL CHECK (user_id ~ '^[A-Za-z0-9._-]{3,40}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  affiliation text NOT NULL CHECK (affiliation IN ('ministry', 'prefecture', 'health-centre', 'designated-body')),
  affiliation_name text NOT NULL CHECK (length(affiliation_name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('viewer', 'clerk', 'supervisor')),
  duties text[] NOT NULL CHECK (cardinality(duties) >= 1),
  status text NOT NULL CHECK (status IN ('applied', 'active', 'rejected', 'deleted')),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL,
  approved_by text,
  approved_at timestamptz,
  valid_until date,
  deleted_at timestamptz,
  PRIMARY KEY (tenant_code, user_id),
  CHECK (status <> 'active' OR (approved_by IS NOT NULL AND approved_by <> user_id AND valid_until IS NOT NULL))
);

-- Bearer tokens of staff (`reg_<id>.<secret>`, only the SHA-256 of the secret kept).  Looked up by id before
-- the tenant is known, like platform.api_tokens; the staff row it leads to is read under RLS.
CREATE TABLE registry.staff_tokens (
  token_id text PRIMARY KEY CHECK (token_id ~ '^[a-f0-9]{16}$'),
  tenant_code text NOT NULL REFERENCES registry.administrators,
  user_id text NOT NULL,
  secret_hash bytea NOT NULL,
  issued_at timestamptz NOT NULL,
  revoked_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON registry.staff_tokens TO mamori_registry;

-- Every refused read (and, with the register, every read of an entry) is logged under the reader's tenant.
CREATE TABLE registry.access_log (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  seq bigserial,
  at timestamptz NOT NULL,
  user_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('read', 'list')),
  target_type text NOT NULL,
  target_id text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'denied')),
  request_id text,
  PRIMARY KEY (tenant_code, seq)
);
CREATE INDEX access_log_at ON registry.access_log (at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['staff', 'access_log'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON registry.staff TO mamori_registry;
GRANT SELECT, INSERT ON registry.access_log TO mamori_registry;
GRANT USAGE ON SEQUENCE registry.access_log_seq_seq TO mamori_registry;
