-- マイナポータル node `mynaportal`: its own schema and role (decision 0134).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_mynaportal') THEN
    CREATE ROLE mamori_mynaportal NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_mynaportal": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_mynaportal TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_mynaportal;
REVOKE ALL ON SCHEMA peers_mynaportal FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_mynaportal TO mamori_mynaportal;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_mynaportal.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_mynaportal.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_mynaportal.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_mynaportal.exchange_messages TO mamori_mynaportal;
GRANT UPDATE (outcome, code, status) ON peers_mynaportal.exchange_messages TO mamori_mynaportal;
GRANT USAGE ON SEQUENCE peers_mynaportal.exchange_messages_seq_seq TO mamori_mynaportal;

-- The resident portal (decision 0146).  No My Number and no PMHキー are ever stored here.

-- Login (and 代理人) challenges: random, single use, 5 minutes; consumed atomically.
CREATE TABLE peers_mynaportal.challenges (
  id text PRIMARY KEY CHECK (length(id) <= 64),
  challenge text NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('login', 'agent')),
  session_hash text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz
);
CREATE INDEX challenges_expires ON peers_mynaportal.challenges (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON peers_mynaportal.challenges TO mamori_mynaportal;

-- Failed PINs / failed card logins per certificate serial; locked after 3 in a row.
CREATE TABLE peers_mynaportal.card_failures (
  serial text PRIMARY KEY,
  failures int NOT NULL DEFAULT 0,
  locked_at timestamptz,
  updated_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON peers_mynaportal.card_failures TO mamori_mynaportal;

-- The PMH仮名識別子, made once per 仮名識別子 (PMH-09 step 3); linked_at: the platform has tied it to the PMHキー.
CREATE TABLE peers_mynaportal.pseudonyms (
  pseudonym_id text PRIMARY KEY CHECK (pseudonym_id ~ '^[0-9a-f]{32}$'),
  pmh_pseudonym text NOT NULL UNIQUE CHECK (pmh_pseudonym ~ '^PP[A-Z2-7]{26}$'),
  created_at timestamptz NOT NULL,
  linked_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON peers_mynaportal.pseudonyms TO mamori_mynaportal;

-- The card certificate serials seen for each 仮名識別子 (a renewed card has a new serial).
CREATE TABLE peers_mynaportal.card_serials (
  serial text PRIMARY KEY,
  pseudonym_id text NOT NULL REFERENCES peers_mynaportal.pseudonyms (pseudonym_id),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON peers_mynaportal.card_serials TO mamori_mynaportal;

-- Sessions: the cookie holds a random token, the table its SHA-256; 30 minutes idle.
CREATE TABLE peers_mynaportal.sessions (
  token_hash text PRIMARY KEY,
  pmh_pseudonym text NOT NULL,
  serial text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  ended_at timestamptz
);
GRANT SELECT, INSERT, UPDATE, DELETE ON peers_mynaportal.sessions TO mamori_mynaportal;

-- The opaque per-session ids (:pid in the pages' URLs) of the persons a session may see.
CREATE TABLE peers_mynaportal.session_persons (
  token_hash text NOT NULL REFERENCES peers_mynaportal.sessions (token_hash) ON DELETE CASCADE,
  pid text NOT NULL,
  pmh_pseudonym text NOT NULL,
  PRIMARY KEY (token_hash, pid),
  UNIQUE (token_hash, pmh_pseudonym)
);
GRANT SELECT, INSERT, DELETE ON peers_mynaportal.session_persons TO mamori_mynaportal;

-- 代理人 (PMH-11): who may act for whom, with the consent text they agreed to.
CREATE TABLE peers_mynaportal.agencies (
  agent text NOT NULL,
  principal text NOT NULL,
  consent_text text NOT NULL,
  consented_at timestamptz NOT NULL,
  PRIMARY KEY (agent, principal)
);
GRANT SELECT, INSERT, UPDATE ON peers_mynaportal.agencies TO mamori_mynaportal;

-- Every access the portal makes for a resident: who, about whom, what, when, how it ended.
CREATE TABLE peers_mynaportal.access_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text,
  subject text,
  action text NOT NULL,
  outcome text NOT NULL,
  code text
);
CREATE INDEX access_log_actor ON peers_mynaportal.access_log (actor, at);
GRANT SELECT, INSERT ON peers_mynaportal.access_log TO mamori_mynaportal;
GRANT USAGE ON SEQUENCE peers_mynaportal.access_log_seq_seq TO mamori_mynaportal;
