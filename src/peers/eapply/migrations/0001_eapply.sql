-- サービス検索・電子申請機能 node `eapply` (synthetic, decision 0155): its own schema and role (decision 0134),
-- the message log, and the queue of applications residents submitted, per municipality, until that
-- municipality's node has collected them (applications.fetch) and acknowledged them (applications.ack) —
-- then the row is deleted (XCH-30: temporary data deleted after the work).  A queued row holds the signed
-- document exactly as submitted (it may carry a My Number) and the signature; nothing else about the person.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_eapply') THEN
    CREATE ROLE mamori_eapply NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_eapply TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_eapply;
REVOKE ALL ON SCHEMA peers_eapply FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_eapply TO mamori_eapply;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_eapply.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_eapply.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_eapply.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_eapply.exchange_messages TO mamori_eapply;
GRANT UPDATE (outcome, code, status) ON peers_eapply.exchange_messages TO mamori_eapply;
GRANT USAGE ON SEQUENCE peers_eapply.exchange_messages_seq_seq TO mamori_eapply;

-- One row per submitted application (申請番号 = id), until the municipality acknowledges it.
CREATE TABLE peers_eapply.applications (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL UNIQUE,
  tenant text NOT NULL CHECK (tenant ~ '^[0-9]{6}$'),
  kind text NOT NULL CHECK (kind IN ('vaccination-request', 'certificate-reissue', 'reimbursement')),
  document text NOT NULL CHECK (length(document) <= 65536),
  cert_pem text NOT NULL CHECK (length(cert_pem) <= 65536),
  signature text NOT NULL CHECK (length(signature) <= 2048),
  received_at timestamptz NOT NULL,
  fetched_at timestamptz,
  fetch_count int NOT NULL DEFAULT 0
);
CREATE INDEX applications_tenant_seq ON peers_eapply.applications (tenant, seq);
GRANT SELECT, INSERT, DELETE ON peers_eapply.applications TO mamori_eapply;
GRANT UPDATE (fetched_at, fetch_count) ON peers_eapply.applications TO mamori_eapply;
GRANT USAGE ON SEQUENCE peers_eapply.applications_seq_seq TO mamori_eapply;
