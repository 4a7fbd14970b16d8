-- 厚生労働省 免許登録管理システム node `menkyo` (synthetic; QUA-28; decisions 0221–0223): its own schema and
-- role (decision 0134), the message log, and the copy of the 医籍等 and 薬剤師名簿 the registry synchronises to
-- it — one row per version of an entry as received (the register items of §004, the 抹消 and 行政処分, the My
-- Number sealed with this node's own key, never in clear).  Only persons registrable without problems are ever
-- sent here (decision 0222), so nobody else's data is held.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_menkyo') THEN
    CREATE ROLE mamori_menkyo NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_menkyo TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_menkyo;
REVOKE ALL ON SCHEMA peers_menkyo FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_menkyo TO mamori_menkyo;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_menkyo.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_menkyo.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_menkyo.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_menkyo.exchange_messages TO mamori_menkyo;
GRANT UPDATE (outcome, code, status) ON peers_menkyo.exchange_messages TO mamori_menkyo;
GRANT USAGE ON SEQUENCE peers_menkyo.exchange_messages_seq_seq TO mamori_menkyo;

-- One version of one entry as received (insert only).  The same (資格, 登録番号, 版) again is acknowledged as
-- already held and stores nothing; an older version than the newest held is acknowledged as stale.
CREATE TABLE peers_menkyo.register_versions (
  qualification_code text NOT NULL CHECK (qualification_code ~ '^[a-z][a-z0-9-]{1,39}$'),
  registration_no bigint NOT NULL CHECK (registration_no >= 1),
  version int NOT NULL CHECK (version >= 1),
  pseudonym_id text NOT NULL CHECK (pseudonym_id ~ '^Q[0-9A-F]{20}$'),
  items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'object'),
  erasure jsonb,
  deceased boolean NOT NULL,
  dispositions jsonb NOT NULL CHECK (jsonb_typeof(dispositions) = 'array'),
  -- The My Number (特定個人情報) sealed with this node's key, bound to (資格, 登録番号, 版); NULL when the
  -- registry no longer holds it (薬剤師: deleted on loss of the qualification, QUA-12).
  my_number_ct bytea,
  my_number_key int,
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  received_at timestamptz NOT NULL,
  PRIMARY KEY (qualification_code, registration_no, version),
  CHECK ((my_number_ct IS NULL) = (my_number_key IS NULL))
);
GRANT SELECT, INSERT ON peers_menkyo.register_versions TO mamori_menkyo;
