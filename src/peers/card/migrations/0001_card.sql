-- 公的個人認証サービス（J-LIS）node `card`: its own schema and role (decision 0134).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_card') THEN
    CREATE ROLE mamori_card NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_card": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_card TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_card;
REVOKE ALL ON SCHEMA peers_card FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_card TO mamori_card;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_card.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_card.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_card.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_card.exchange_messages TO mamori_card;
GRANT UPDATE (outcome, code, status) ON peers_card.exchange_messages TO mamori_card;
GRANT USAGE ON SEQUENCE peers_card.exchange_messages_seq_seq TO mamori_card;
