-- デジタル庁 公金受取口座登録システム node `koukin` (synthetic, decision 0163): its own schema and role
-- (decision 0134), the message log, the registered accounts (公金受取口座登録法) and the record of every
-- provision through the 情報提供ネットワークシステム.  No My Number and no name: a registration is keyed by
-- the 住民票コード (how a national body identifies a person on 住基ネット) and, on the network, by this
-- body's 符号.  Provision records are kept 7 years like the 情報提供等記録 and purged by the node itself.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_koukin') THEN
    CREATE ROLE mamori_koukin NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_koukin TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_koukin;
REVOKE ALL ON SCHEMA peers_koukin FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_koukin TO mamori_koukin;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_koukin.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_koukin.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_koukin.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_koukin.exchange_messages TO mamori_koukin;
GRANT UPDATE (outcome, code, status) ON peers_koukin.exchange_messages TO mamori_koukin;
GRANT USAGE ON SEQUENCE peers_koukin.exchange_messages_seq_seq TO mamori_koukin;

-- One registered account per person (公金受取口座は一人一口座).  The fields are what the registrant entered
-- (the system does not re-check them against 全銀 rules: the paying body does).  `code` is this body's 符号
-- for the person, acquired from the network after registration (NULL until then; code_reason why not yet).
CREATE TABLE peers_koukin.accounts (
  juminhyo_code text PRIMARY KEY CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  bank_code text NOT NULL CHECK (length(bank_code) <= 8),
  bank_name text,
  branch_code text NOT NULL CHECK (length(branch_code) <= 8),
  branch_name text,
  account_type text NOT NULL CHECK (length(account_type) <= 4),
  account_no text NOT NULL CHECK (length(account_no) <= 16),
  holder_kana text NOT NULL CHECK (length(holder_kana) BETWEEN 1 AND 100),
  registered_on date NOT NULL,
  changed_on date,
  code text UNIQUE CHECK (code IS NULL OR length(code) BETWEEN 16 AND 100),
  code_reason text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX accounts_without_code ON peers_koukin.accounts (updated_at) WHERE code IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON peers_koukin.accounts TO mamori_koukin;

-- 提供の記録: one row per provision asked through the network (the exchange id and permit, who asked under
-- which 事務, whether an account was provided).  Kept 7 years.
CREATE TABLE peers_koukin.provisions (
  exchange_id text PRIMARY KEY CHECK (length(exchange_id) <= 64),
  permit_id text NOT NULL CHECK (length(permit_id) <= 64),
  requester text NOT NULL CHECK (length(requester) <= 40),
  jimu text NOT NULL,
  item text NOT NULL,
  legal_basis text NOT NULL,
  status text NOT NULL CHECK (status IN ('provided', 'none')),
  at timestamptz NOT NULL
);
CREATE INDEX provisions_at ON peers_koukin.provisions (at);
GRANT SELECT, INSERT, DELETE ON peers_koukin.provisions TO mamori_koukin;
