-- 支払基金（医療保険者等向け中間サーバー・オンライン資格確認等システム）node `insurerhub`: its own schema and role (decision 0134).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_insurerhub') THEN
    CREATE ROLE mamori_insurerhub NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_insurerhub": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_insurerhub TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_insurerhub;
REVOKE ALL ON SCHEMA peers_insurerhub FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_insurerhub TO mamori_insurerhub;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_insurerhub.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_insurerhub.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_insurerhub.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_insurerhub.exchange_messages TO mamori_insurerhub;
GRANT UPDATE (outcome, code, status) ON peers_insurerhub.exchange_messages TO mamori_insurerhub;
GRANT USAGE ON SEQUENCE peers_insurerhub.exchange_messages_seq_seq TO mamori_insurerhub;
