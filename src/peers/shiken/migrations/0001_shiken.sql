-- (公財)社会福祉振興・試験センター 登録情報連携システム node `shiken` (synthetic; decisions 0229–0231; contract:
-- docs/formats/registry-foundation.md): its own schema and role (decision 0134), the message log, what it keeps
-- of the 介護福祉士 linkage with the registry (QUA-30, QUA-31).  After linkage only the 資格仮名ID is kept: the My
-- Number of a paper application lives in its own table until the registry answered with the 資格仮名ID and is
-- then deleted (DELETE: the row is gone from every query; see decision 0231 for what remains until VACUUM).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_shiken') THEN
    CREATE ROLE mamori_shiken NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_shiken TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_shiken;
REVOKE ALL ON SCHEMA peers_shiken FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_shiken TO mamori_shiken;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_shiken.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_shiken.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_shiken.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_shiken.exchange_messages TO mamori_shiken;
GRANT UPDATE (outcome, code, status) ON peers_shiken.exchange_messages TO mamori_shiken;
GRANT USAGE ON SEQUENCE peers_shiken.exchange_messages_seq_seq TO mamori_shiken;

-- Online applications the registry handed over: 資格仮名ID + items 3–80 of 別添2 (no My Number).
CREATE TABLE peers_shiken.applications (
  pseudonym_id text PRIMARY KEY CHECK (pseudonym_id ~ '^Q[0-9A-F]{20}$'),
  items jsonb NOT NULL,
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  via text NOT NULL CHECK (via IN ('api', 'file')),
  received_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON peers_shiken.applications TO mamori_shiken;

-- 試験合格者 recorded here and sent to the registry (items 3–80).
CREATE TABLE peers_shiken.passers (
  certificate_no text PRIMARY KEY CHECK (certificate_no ~ '^[0-9A-Z-]{1,16}$'),
  items jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  sent_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON peers_shiken.passers TO mamori_shiken;

-- Paper applications received at the counter or by post: items 3–80, the record that the My Number (written on
-- a separate sheet) was checked against the ID documents, and, after linkage, the 資格仮名ID.
CREATE TABLE peers_shiken.paper_applications (
  ref text PRIMARY KEY CHECK (ref ~ '^[0-9A-Za-z-]{1,32}$'),
  items jsonb NOT NULL,
  number_checked_with text NOT NULL,
  number_checked_by text NOT NULL CHECK (length(number_checked_by) BETWEEN 1 AND 60),
  number_checked_on date NOT NULL,
  received_at timestamptz NOT NULL,
  pseudonym_id text CHECK (pseudonym_id ~ '^Q[0-9A-F]{20}$'),
  linked_at timestamptz,
  linked_via text CHECK (linked_via IN ('api', 'file')),
  mynumber_deleted_at timestamptz,
  CHECK ((pseudonym_id IS NULL) = (linked_at IS NULL)),
  CHECK (pseudonym_id IS NULL OR mynumber_deleted_at IS NOT NULL)
);
GRANT SELECT, INSERT, UPDATE ON peers_shiken.paper_applications TO mamori_shiken;

-- The My Number of a paper application not yet linked (QUA-31: deleted as soon as the 資格仮名ID came back).
CREATE TABLE peers_shiken.paper_mynumbers (
  ref text PRIMARY KEY REFERENCES peers_shiken.paper_applications(ref),
  my_number text NOT NULL CHECK (my_number ~ '^[0-9]{12}$')
);
GRANT SELECT, INSERT, DELETE ON peers_shiken.paper_mynumbers TO mamori_shiken;
