-- 住基ネット 全国サーバ (J-LIS) node, decision 0138: its own schema and role (decision 0134).  Holds the
-- 本人確認情報 the 市町村CS send (identity.update), the history of those updates, the log of every query
-- (XCH-23, XCH-25: who asked, for what purpose, by which kind of key — never the key itself), and the
-- node's message log.  The My Number is kept only as AES-256-GCM ciphertext plus an HMAC blind index,
-- both under this node's own keys (<keyDir>/nodes/jlis/); no column holds it in clear.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_jlis') THEN
    CREATE ROLE mamori_jlis NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_jlis": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_jlis TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_jlis;
REVOKE ALL ON SCHEMA peers_jlis FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_jlis TO mamori_jlis;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_jlis.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_jlis.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_jlis.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_jlis.exchange_messages TO mamori_jlis;
GRANT UPDATE (outcome, code, status) ON peers_jlis.exchange_messages TO mamori_jlis;
GRANT USAGE ON SEQUENCE peers_jlis.exchange_messages_seq_seq TO mamori_jlis;

-- 本人確認情報 (都道府県知事保存本人確認情報 / 機構保存本人確認情報): one row per 住民票コード, the current 4情報,
-- status and last movement.  *_key columns are the normalised search keys of the 4情報 (peers/jlis/normalize.ts).
CREATE TABLE peers_jlis.identities (
  juminhyo_code text PRIMARY KEY CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  municipality_code text NOT NULL CHECK (municipality_code ~ '^[0-9]{6}$'),
  name text NOT NULL,
  name_kana text NOT NULL,
  name_key text NOT NULL,
  kana_key text NOT NULL,
  birth_date date NOT NULL,
  sex text NOT NULL CHECK (sex IN ('male', 'female')),
  address text NOT NULL,
  address_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('resident', 'moved-out', 'deceased')),
  last_movement text,
  last_movement_date date,
  my_number_ct bytea,
  my_number_key int,
  my_number_index bytea,
  content_hash bytea NOT NULL,
  source_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((my_number_ct IS NULL) = (my_number_index IS NULL))
);
CREATE INDEX identities_four ON peers_jlis.identities (birth_date, sex, name_key, address_key);
CREATE INDEX identities_mynumber ON peers_jlis.identities (my_number_index) WHERE my_number_index IS NOT NULL;
CREATE INDEX identities_municipality ON peers_jlis.identities (municipality_code);
GRANT SELECT, INSERT, UPDATE ON peers_jlis.identities TO mamori_jlis;

-- Every update applied or found unchanged: who sent it ((municipality_code, source_seq) makes a resend
-- idempotent; change_hash, the SHA-256 of the change as sent with the My Number as its blind index, tells a
-- resend from a reused seq), what kind of change, which items changed (names only, never values).
CREATE TABLE peers_jlis.identity_history (
  seq bigserial PRIMARY KEY,
  municipality_code text NOT NULL,
  source_seq bigint NOT NULL,
  juminhyo_code text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('insert', 'update', 'unchanged', 'superseded')),
  status text NOT NULL,
  movement text,
  movement_date date,
  changed text[] NOT NULL,
  change_hash bytea NOT NULL,
  msg_id text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX identity_history_source ON peers_jlis.identity_history (municipality_code, source_seq);
CREATE INDEX identity_history_person ON peers_jlis.identity_history (juminhyo_code, seq);
GRANT SELECT, INSERT ON peers_jlis.identity_history TO mamori_jlis;
GRANT USAGE ON SEQUENCE peers_jlis.identity_history_seq_seq TO mamori_jlis;

-- 照会処理の記録 (XCH-25: reviewed periodically): one row per query — caller node, purpose, key kind,
-- a keyed hash of the key (HMAC under the node's query-log key; never the key value), result count,
-- whether a My Number was returned, through which channel (interactive message or query file, with its row).
CREATE TABLE peers_jlis.query_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  caller text NOT NULL,
  caller_detail text,
  purpose text NOT NULL,
  key_kind text NOT NULL CHECK (key_kind IN ('juminhyoCode', 'myNumber', 'fourItems', 'link')),
  key_hash bytea NOT NULL,
  result_count int NOT NULL,
  my_number_returned boolean NOT NULL DEFAULT false,
  channel text NOT NULL CHECK (channel IN ('query', 'file', 'link')),
  file_row int,
  msg_id text
);
CREATE INDEX query_log_at ON peers_jlis.query_log (at);
CREATE INDEX query_log_caller ON peers_jlis.query_log (caller, at);
GRANT SELECT, INSERT ON peers_jlis.query_log TO mamori_jlis;
GRANT USAGE ON SEQUENCE peers_jlis.query_log_seq_seq TO mamori_jlis;
