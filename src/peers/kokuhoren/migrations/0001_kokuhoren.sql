-- 国民健康保険団体連合会（審査支払）node `kokuhoren` (synthetic, decision 0148): its own schema and role
-- (decision 0134), the message log, the checked claim items (予防接種費用の審査, claims.check) and the
-- handling log of every call.  No name, no address, no My Number: a claim item is identified by the
-- municipality's ids (claimId, itemId) and carries only what the check needs.  Rows are kept 5 years
-- (審査記録の保存) and purged by the node itself (store.ts purgeKokuhoren).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_kokuhoren') THEN
    CREATE ROLE mamori_kokuhoren NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_kokuhoren": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_kokuhoren TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_kokuhoren;
REVOKE ALL ON SCHEMA peers_kokuhoren FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_kokuhoren TO mamori_kokuhoren;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_kokuhoren.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_kokuhoren.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_kokuhoren.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_kokuhoren.exchange_messages TO mamori_kokuhoren;
GRANT UPDATE (outcome, code, status) ON peers_kokuhoren.exchange_messages TO mamori_kokuhoren;
GRANT USAGE ON SEQUENCE peers_kokuhoren.exchange_messages_seq_seq TO mamori_kokuhoren;

-- Every checked claim item, one row per check (a returned item sent again is a new row).  An item is
-- accepted at most once per municipality (the partial unique index): that is what DUPLICATE_CLAIM rests on.
-- A repeated identical item of an accepted claim is answered from its row and not stored again.
CREATE TABLE peers_kokuhoren.claim_items (
  seq bigserial PRIMARY KEY,
  tenant text NOT NULL CHECK (tenant ~ '^[0-9]{6}$'),
  month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  claim_id text NOT NULL CHECK (length(claim_id) BETWEEN 1 AND 64),
  item_id text NOT NULL CHECK (length(item_id) BETWEEN 1 AND 64),
  institution_code text NOT NULL CHECK (length(institution_code) BETWEEN 1 AND 20),
  program_code text NOT NULL,
  dose int NOT NULL,
  vaccinated_on date,
  unit_price bigint NOT NULL,
  copay bigint NOT NULL,
  amount bigint NOT NULL,
  result text NOT NULL CHECK (result IN ('accepted', 'returned')),
  code text CHECK ((result = 'accepted') = (code IS NULL)),
  checked_at timestamptz NOT NULL,
  msg_id text NOT NULL CHECK (length(msg_id) <= 64)
);
CREATE UNIQUE INDEX claim_items_accepted ON peers_kokuhoren.claim_items (tenant, item_id) WHERE result = 'accepted';
CREATE INDEX claim_items_claim ON peers_kokuhoren.claim_items (tenant, claim_id);
CREATE INDEX claim_items_checked_at ON peers_kokuhoren.claim_items (checked_at);
GRANT SELECT, INSERT, DELETE ON peers_kokuhoren.claim_items TO mamori_kokuhoren;
GRANT USAGE ON SEQUENCE peers_kokuhoren.claim_items_seq_seq TO mamori_kokuhoren;

-- 取扱いログ: one row per call of a service — the calling node and its message id, when, the outcome, and
-- counts only (claims, items, accepted, returned, repeated).  Kept 5 years like the claim items.
CREATE TABLE peers_kokuhoren.handling_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  caller text NOT NULL,
  service text NOT NULL,
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  tenant text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  code text,
  claims int NOT NULL DEFAULT 0,
  items int NOT NULL DEFAULT 0,
  accepted int NOT NULL DEFAULT 0,
  returned int NOT NULL DEFAULT 0,
  repeated int NOT NULL DEFAULT 0
);
CREATE INDEX handling_log_at ON peers_kokuhoren.handling_log (at);
GRANT SELECT, INSERT, DELETE ON peers_kokuhoren.handling_log TO mamori_kokuhoren;
GRANT USAGE ON SEQUENCE peers_kokuhoren.handling_log_seq_seq TO mamori_kokuhoren;
