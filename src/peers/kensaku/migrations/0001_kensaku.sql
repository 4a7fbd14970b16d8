-- 資格確認検索システム node `kensaku` (synthetic; QUA-29; decisions 0224–0225): its own schema and role
-- (decision 0134), the message log, and the public listing the registry synchronises to it — per registrant
-- and qualification only 氏名, 登録年 and 性別 (no My Number, no 登録番号, no birth date), keyed by an opaque
-- key the registry derives (照合キー), and a tombstone (listed = false) once the person is 抹消・死亡・免許取消.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_kensaku') THEN
    CREATE ROLE mamori_kensaku NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_kensaku TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_kensaku;
REVOKE ALL ON SCHEMA peers_kensaku FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_kensaku TO mamori_kensaku;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_kensaku.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_kensaku.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_kensaku.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_kensaku.exchange_messages TO mamori_kensaku;
GRANT UPDATE (outcome, code, status) ON peers_kensaku.exchange_messages TO mamori_kensaku;
GRANT USAGE ON SEQUENCE peers_kensaku.exchange_messages_seq_seq TO mamori_kensaku;

-- One registrant of one qualification as listed: `items` holds what the sync gave ({氏名, 登録年, 性別});
-- the search answers only those three, whatever else a row might hold.  name_key is 氏名 without spaces,
-- NFKC-normalised (the search key).
CREATE TABLE peers_kensaku.listings (
  listing_key text PRIMARY KEY CHECK (listing_key ~ '^K[0-9a-f]{32}$'),
  qualification_code text NOT NULL CHECK (qualification_code ~ '^[a-z][a-z0-9-]{1,39}$'),
  version int NOT NULL CHECK (version >= 1),
  listed boolean NOT NULL,
  items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'object'),
  name_key text,
  registered_year int,
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  received_at timestamptz NOT NULL,
  CHECK (listed = (name_key IS NOT NULL))
);
CREATE INDEX listings_search ON peers_kensaku.listings (qualification_code, name_key) WHERE listed;
GRANT SELECT, INSERT, UPDATE ON peers_kensaku.listings TO mamori_kensaku;
