-- The 中間サーバー (one node per municipality, hosted together as the 中間サーバー・プラットフォーム;
-- decision 0139): 符号管理 (XCH-01), 副本 and their registration batches (XCH-04/05/06), per-item
-- 自動応答不可フラグ (XCH-12), inquiries made with their results encrypted at rest (XCH-09/15), provisions
-- with the check and 上長承認 (XCH-12/13), the 情報提供等記録 (XCH-14) and the retention settings.
-- Every table but the message log is keyed by 団体コード and isolated by RLS on the node's own setting
-- mamori.chukan_tenant (set per transaction): the node of 131237 never sees 041009's rows.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_chukan') THEN
    CREATE ROLE mamori_chukan NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;

CREATE SCHEMA peers_chukan;
REVOKE ALL ON SCHEMA peers_chukan FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_chukan TO mamori_chukan;

CREATE FUNCTION peers_chukan.current_tenant() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('mamori.chukan_tenant', true), '')
$$;
REVOKE ALL ON FUNCTION peers_chukan.current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peers_chukan.current_tenant() TO mamori_chukan;

-- The node's message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL); the node column separates nodes.
CREATE TABLE peers_chukan.exchange_messages (
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
CREATE UNIQUE INDEX exchange_messages_replay ON peers_chukan.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_chukan.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_chukan.exchange_messages TO mamori_chukan;
GRANT UPDATE (outcome, code, status) ON peers_chukan.exchange_messages TO mamori_chukan;
GRANT USAGE ON SEQUENCE peers_chukan.exchange_messages_seq_seq TO mamori_chukan;

-- 符号管理 (XCH-01): 符号 ↔ 団体内統合宛名番号 and the acquisition status.  No 住民票コード is kept.
CREATE TABLE peers_chukan.codes (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  integrated_no text NOT NULL CHECK (integrated_no ~ '^[0-9]{15}$'),
  code text,
  status text NOT NULL CHECK (status IN ('requested', 'acquired', 'failed')),
  reason text,
  requested_at timestamptz NOT NULL,
  acquired_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, integrated_no),
  CHECK ((status = 'acquired') = (code IS NOT NULL)),
  CHECK (status <> 'failed' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX codes_code ON peers_chukan.codes (tenant_code, code) WHERE code IS NOT NULL;

-- 副本 (XCH-04): one row per person and item; nothing identifying on its own (checked on registration).
CREATE TABLE peers_chukan.copy_batches (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  id uuid NOT NULL,
  at timestamptz NOT NULL,
  process text NOT NULL,
  item text NOT NULL,
  operator text NOT NULL,
  received int NOT NULL,
  registered int NOT NULL,
  unchanged int NOT NULL,
  rejected int NOT NULL,
  errors jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX copy_batches_at ON peers_chukan.copy_batches (tenant_code, at);

CREATE TABLE peers_chukan.copies (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  integrated_no text NOT NULL CHECK (integrated_no ~ '^[0-9]{15}$'),
  item text NOT NULL,
  data jsonb NOT NULL,
  digest text NOT NULL,
  batch_id uuid NOT NULL,
  registered_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, integrated_no, item),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES peers_chukan.copy_batches (tenant_code, id)
);
CREATE INDEX copies_item ON peers_chukan.copies (tenant_code, item, integrated_no);

-- 自動応答不可フラグ per item (XCH-12).
CREATE TABLE peers_chukan.item_settings (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  item text NOT NULL,
  auto_answer_disabled boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, item)
);

-- Inquiries made (情報照会, XCH-09): who asked, about whom, what; the result sealed with the node's result
-- key (AES-256-GCM) and deleted by the purge after the retention (XCH-15).
CREATE TABLE peers_chukan.inquiries (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  id uuid NOT NULL,
  exchange_id text,
  permit_id text,
  integrated_no text NOT NULL CHECK (integrated_no ~ '^[0-9]{15}$'),
  jimu text NOT NULL,
  item text NOT NULL,
  provider text NOT NULL,
  legal_basis text,
  status text NOT NULL CHECK (status IN ('requested', 'provided', 'pending', 'none', 'failed')),
  failure text,
  result bytea,
  result_deleted_at timestamptz,
  operator_login text NOT NULL,
  operator_duty text NOT NULL,
  requested_at timestamptz NOT NULL,
  answered_at timestamptz,
  PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX inquiries_exchange ON peers_chukan.inquiries (tenant_code, exchange_id) WHERE exchange_id IS NOT NULL;
CREATE INDEX inquiries_purge ON peers_chukan.inquiries (tenant_code, answered_at) WHERE result IS NOT NULL;

-- Provisions (情報提供, XCH-11/12/13): the permit as received, the check and the 上長承認 of flagged items.
CREATE TABLE peers_chukan.provisions (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  exchange_id text NOT NULL,
  permit_id text NOT NULL,
  permit text NOT NULL,
  requester text NOT NULL,
  integrated_no text CHECK (integrated_no ~ '^[0-9]{15}$'),
  jimu text NOT NULL,
  item text NOT NULL,
  legal_basis text NOT NULL,
  status text NOT NULL CHECK (status IN ('provided', 'pending', 'approved', 'none')),
  checked_by text,
  approved_by text,
  -- Digest of the 副本 as checked and approved: a 副本 changed after the approval is not sent unchecked.
  approved_digest text,
  requested_at timestamptz NOT NULL,
  decided_at timestamptz,
  provided_at timestamptz,
  PRIMARY KEY (tenant_code, exchange_id),
  CHECK (approved_by IS NULL OR (checked_by IS NOT NULL AND approved_by <> checked_by))
);
CREATE INDEX provisions_pending ON peers_chukan.provisions (tenant_code, status) WHERE status = 'pending';

-- 情報提供等記録 kept by this 中間サーバー (XCH-14): every inquiry and provision, kept for the configured
-- years and exportable.  No 符号 and no content: what was exchanged, with whom, on what basis, by whom.
CREATE TABLE peers_chukan.records (
  tenant_code text NOT NULL CHECK (tenant_code ~ '^[0-9]{6}$'),
  seq bigserial,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('inquiry', 'provision', 'approval')),
  exchange_id text,
  permit_id text,
  integrated_no text,
  jimu text NOT NULL,
  item text NOT NULL,
  counterpart text NOT NULL,
  legal_basis text,
  status text NOT NULL,
  operator text,
  PRIMARY KEY (tenant_code, seq)
);
CREATE INDEX records_person ON peers_chukan.records (tenant_code, integrated_no, at);
CREATE INDEX records_at ON peers_chukan.records (tenant_code, at);

-- Retention settings (XCH-14, XCH-15); a tenant without a row has the defaults.
CREATE TABLE peers_chukan.settings (
  tenant_code text PRIMARY KEY CHECK (tenant_code ~ '^[0-9]{6}$'),
  result_retention_days int NOT NULL DEFAULT 7 CHECK (result_retention_days BETWEEN 0 AND 3650),
  record_retention_years int NOT NULL DEFAULT 7 CHECK (record_retention_years BETWEEN 1 AND 100),
  review_interval_days int NOT NULL DEFAULT 30 CHECK (review_interval_days BETWEEN 1 AND 3650),
  last_reviewed_at timestamptz,
  last_reviewed_by text,
  updated_at timestamptz NOT NULL
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['codes', 'copy_batches', 'copies', 'item_settings', 'inquiries', 'provisions', 'records', 'settings'] LOOP
    EXECUTE format('ALTER TABLE peers_chukan.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON peers_chukan.%I TO mamori_chukan USING (tenant_code = peers_chukan.current_tenant()) WITH CHECK (tenant_code = peers_chukan.current_tenant())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON peers_chukan.codes TO mamori_chukan;
GRANT SELECT, INSERT ON peers_chukan.copy_batches TO mamori_chukan;
GRANT SELECT, INSERT, UPDATE ON peers_chukan.copies TO mamori_chukan;
GRANT SELECT, INSERT, UPDATE ON peers_chukan.item_settings TO mamori_chukan;
GRANT SELECT, INSERT, UPDATE ON peers_chukan.inquiries TO mamori_chukan;
GRANT SELECT, INSERT, UPDATE ON peers_chukan.provisions TO mamori_chukan;
GRANT SELECT, INSERT, DELETE ON peers_chukan.records TO mamori_chukan;
GRANT USAGE ON SEQUENCE peers_chukan.records_seq_seq TO mamori_chukan;
GRANT SELECT, INSERT, UPDATE ON peers_chukan.settings TO mamori_chukan;
