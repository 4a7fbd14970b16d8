-- ワクチン接種記録システム（VRS）node, decision 0140: its own schema and role (decision 0134).  VRS here is
-- the legacy path of the COVID-19 move-in inquiry (XCH-20…22): it relays an inquiry from the asking
-- municipality to the previous one and relays the signed answer back.  It holds NO vaccination record and
-- NO My Number — only its message log and the record of every provision (XCH-22: asker, provider, purpose,
-- time, count, outcome), which a municipality retrieves through the `records` service.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_vrs') THEN
    CREATE ROLE mamori_vrs NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The owner's login opens the node's pool with "-c role=mamori_vrs": it must be able to SET ROLE.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_vrs TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_vrs;
REVOKE ALL ON SCHEMA peers_vrs FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_vrs TO mamori_vrs;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_vrs.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_vrs.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_vrs.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_vrs.exchange_messages TO mamori_vrs;
GRANT UPDATE (outcome, code, status) ON peers_vrs.exchange_messages TO mamori_vrs;
GRANT USAGE ON SEQUENCE peers_vrs.exchange_messages_seq_seq TO mamori_vrs;

-- 他市区町村への提供の記録 (XCH-22): one row per inquiry VRS handled, answered or refused.  No person is
-- named: no My Number, no 宛名番号, no record.  The consent form number and the kind of ID document are the
-- asking municipality's statement that 番号法16条's check was done (XCH-20).
CREATE TABLE peers_vrs.provisions (
  seq bigserial PRIMARY KEY,
  exchange_id text NOT NULL UNIQUE CHECK (length(exchange_id) <= 64),
  asker text NOT NULL,
  provider text NOT NULL,
  purpose text NOT NULL,
  requested_at timestamptz NOT NULL,
  answered_at timestamptz,
  record_count int NOT NULL DEFAULT 0,
  outcome text NOT NULL CHECK (outcome IN ('provided', 'none', 'refused', 'failed')),
  code text,
  consent_form_no text,
  id_document text,
  checked_by text,
  request_msg_id text NOT NULL,
  answer_msg_id text
);
CREATE INDEX provisions_asker ON peers_vrs.provisions (asker, requested_at);
CREATE INDEX provisions_provider ON peers_vrs.provisions (provider, requested_at);
GRANT SELECT, INSERT ON peers_vrs.provisions TO mamori_vrs;
GRANT USAGE ON SEQUENCE peers_vrs.provisions_seq_seq TO mamori_vrs;
