-- 情報提供ネットワークシステム (the `network` node, decision 0134): its own role and schema.  It holds the
-- 符号 of each body (decision 0137), the permission list as data (decision 0136) and the 情報提供等記録
-- (XCH-14).  The staff system's role mamori_app has no grant here.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_network') THEN
    CREATE ROLE mamori_network NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT pg_has_role(current_user, 'mamori_network', 'MEMBER') THEN
    EXECUTE format('GRANT mamori_network TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_network;
REVOKE ALL ON SCHEMA peers_network FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_network TO mamori_network;

-- The node's message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).  No personal data.
CREATE TABLE peers_network.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_network.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_network.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_network.exchange_messages TO mamori_network;
GRANT UPDATE (outcome, code, status) ON peers_network.exchange_messages TO mamori_network;
GRANT USAGE ON SEQUENCE peers_network.exchange_messages_seq_seq TO mamori_network;

-- A person as the network knows them (named linked_persons, not persons: relation names stay unique across schemas): an internal id and J-LIS's per-network link (never the
-- 住民票コード, never a My Number).
CREATE TABLE peers_network.linked_persons (
  id uuid PRIMARY KEY,
  link text NOT NULL UNIQUE CHECK (length(link) BETWEEN 8 AND 200),
  created_at timestamptz NOT NULL
);
GRANT SELECT, INSERT ON peers_network.linked_persons TO mamori_network;

-- 情報提供用個人識別符号: one per (body, person); a code means something only with its body (XCH-18).
CREATE TABLE peers_network.codes (
  body text NOT NULL CHECK (body ~ '^[0-9]{6}$'),
  code text NOT NULL CHECK (length(code) BETWEEN 16 AND 100),
  person_id uuid NOT NULL REFERENCES peers_network.linked_persons(id),
  issued_at timestamptz NOT NULL,
  PRIMARY KEY (body, code),
  UNIQUE (body, person_id)
);
CREATE INDEX codes_person ON peers_network.codes (person_id);
GRANT SELECT, INSERT ON peers_network.codes TO mamori_network;

-- 照会許可用照合リスト as data (XCH-08, XCH-19, decision 0136).  Loaded from permissions.ts at node start.
CREATE TABLE peers_network.permissions (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{3,80}$'),
  jimu text NOT NULL,
  jimu_name text NOT NULL,
  requester_kind text NOT NULL CHECK (requester_kind IN ('municipality', 'prefecture', 'ministry')),
  provider_kind text NOT NULL CHECK (provider_kind IN ('municipality', 'prefecture', 'ministry')),
  item text NOT NULL,
  item_name text NOT NULL,
  legal_basis text NOT NULL,
  valid_from date NOT NULL,
  valid_to date,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX permissions_lookup ON peers_network.permissions (jimu, item, requester_kind, provider_kind);
GRANT SELECT, INSERT, UPDATE ON peers_network.permissions TO mamori_network;

-- 情報提供等記録 (XCH-14): every inquiry, permitted or refused, and what became of it.
CREATE TABLE peers_network.exchange_records (
  exchange_id uuid PRIMARY KEY,
  inquiry_id text NOT NULL CHECK (length(inquiry_id) BETWEEN 1 AND 64),
  at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  requester_body text NOT NULL CHECK (requester_body ~ '^[0-9]{6}$'),
  provider_body text NOT NULL CHECK (length(provider_body) <= 20),
  jimu text NOT NULL CHECK (length(jimu) <= 80),
  item text NOT NULL CHECK (length(item) <= 80),
  permission_id text REFERENCES peers_network.permissions(id),
  legal_basis text,
  permit_id uuid,
  permit_exp timestamptz,
  status text NOT NULL CHECK (status IN ('permitted', 'refused', 'provided', 'pending', 'none', 'failed')),
  refusal_code text,
  refusal_reason text,
  person_id uuid REFERENCES peers_network.linked_persons(id),
  requester_code text,
  provider_code text,
  UNIQUE (requester_body, inquiry_id)
);
CREATE INDEX exchange_records_person ON peers_network.exchange_records (person_id, at);
CREATE INDEX exchange_records_requester ON peers_network.exchange_records (requester_body, at);
CREATE INDEX exchange_records_provider ON peers_network.exchange_records (provider_body, at);
GRANT SELECT, INSERT ON peers_network.exchange_records TO mamori_network;
GRANT UPDATE (updated_at, status, refusal_code, refusal_reason, permit_exp) ON peers_network.exchange_records TO mamori_network;
