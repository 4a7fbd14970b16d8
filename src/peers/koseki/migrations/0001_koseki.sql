-- 法務省 戸籍情報連携システム node `koseki` (synthetic, decision 0184): its own schema and role (decision 0134),
-- the message log, the 戸籍 of persons as the 戸籍関係情報 is prepared from the 戸籍副本 (番号法第9条第3項・
-- 第45条の2), and the record of every provision through the 情報提供ネットワークシステム.  No My Number: a person
-- is linked to 住基 by the 住民票コード recorded on the 戸籍の附票 (NULL when the link is not made — the 本籍
-- cannot be identified), and on the network by this body's 符号.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_koseki') THEN
    CREATE ROLE mamori_koseki NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_koseki TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_koseki;
REVOKE ALL ON SCHEMA peers_koseki FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_koseki TO mamori_koseki;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_koseki.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_koseki.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_koseki.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_koseki.exchange_messages TO mamori_koseki;
GRANT UPDATE (outcome, code, status) ON peers_koseki.exchange_messages TO mamori_koseki;
GRANT USAGE ON SEQUENCE peers_koseki.exchange_messages_seq_seq TO mamori_koseki;

-- A person in the 戸籍: the facts that do not change (生年月日, 性別, 出生地), the 住民票コード of the 戸籍の附票
-- (NULL: not linked) and this body's 符号 (acquired from the network once linked; code_reason why not yet).
CREATE TABLE peers_koseki.persons (
  id uuid PRIMARY KEY,
  juminhyo_code text UNIQUE CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  birth_date date NOT NULL,
  sex text NOT NULL CHECK (sex IN ('1', '2')),
  birth_place text CHECK (length(birth_place) <= 100),
  code text UNIQUE CHECK (code IS NULL OR length(code) BETWEEN 16 AND 100),
  code_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (code IS NULL OR juminhyo_code IS NOT NULL)
);
CREATE INDEX persons_without_code ON peers_koseki.persons (updated_at) WHERE code IS NULL AND juminhyo_code IS NOT NULL;
GRANT SELECT, INSERT, UPDATE ON peers_koseki.persons TO mamori_koseki;

-- 戸籍の記載 (insert only): each 異動 with its day (戸籍異動日) and 事由, and the person's 戸籍 after it: 本籍
-- (都道府県 code of the 本籍地マスタ and the full 本籍), 筆頭者, 氏名; a death with its day, 事由 and whether
-- the day is uncertain.  recorded_on is the day the 異動 reached this system (what a periodic check asks by).
CREATE TABLE peers_koseki.events (
  person_id uuid NOT NULL REFERENCES peers_koseki.persons(id),
  seq int NOT NULL CHECK (seq >= 1),
  occurred_on date NOT NULL,
  reason text NOT NULL CHECK (reason IN ('birth', 'marriage', 'divorce', 'adoption', 'adoption-dissolution', 'transfer', 'separation', 'name-change', 'nationality-gain', 'death', 'death-cancel')),
  honseki_code text NOT NULL CHECK (honseki_code ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'),
  honseki text NOT NULL CHECK (length(honseki) BETWEEN 1 AND 200),
  hittosha text NOT NULL CHECK (length(hittosha) BETWEEN 1 AND 100),
  surname text NOT NULL CHECK (length(surname) BETWEEN 1 AND 50),
  given_name text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 50),
  death_date date,
  death_uncertain text CHECK (death_uncertain IN ('1', '2')),
  recorded_on date NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (person_id, seq),
  CHECK ((reason = 'death') = (death_date IS NOT NULL))
);
CREATE INDEX events_recorded ON peers_koseki.events (person_id, recorded_on);
GRANT SELECT, INSERT ON peers_koseki.events TO mamori_koseki;

-- 提供の記録: one row per person asked about through the network (the exchange id and permit, who asked under
-- which 事務, whether 戸籍関係情報 was provided).  Kept 7 years like the 情報提供等記録.
CREATE TABLE peers_koseki.provisions (
  exchange_id text PRIMARY KEY CHECK (length(exchange_id) <= 64),
  permit_id text NOT NULL CHECK (length(permit_id) <= 64),
  requester text NOT NULL CHECK (length(requester) <= 40),
  jimu text NOT NULL,
  item text NOT NULL,
  legal_basis text NOT NULL,
  status text NOT NULL CHECK (status IN ('provided', 'none')),
  since date,
  at timestamptz NOT NULL
);
CREATE INDEX provisions_at ON peers_koseki.provisions (at);
GRANT SELECT, INSERT, DELETE ON peers_koseki.provisions TO mamori_koseki;
