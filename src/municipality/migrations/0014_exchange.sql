-- The municipality node's end of the message layer (decision 0135): its message log.  Same table in every
-- node's schema (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).  No personal data: ids, peers, digests.
CREATE TABLE municipality.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON municipality.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON municipality.exchange_messages (node, at);
GRANT SELECT, INSERT ON municipality.exchange_messages TO mamori_app;
GRANT UPDATE (outcome, code, status) ON municipality.exchange_messages TO mamori_app;
GRANT USAGE ON SEQUENCE municipality.exchange_messages_seq_seq TO mamori_app;
