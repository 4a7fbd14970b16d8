-- The registry's syncs to 免許登録管理システム (QUA-28) and 資格確認検索システム (QUA-29) (issue 16; decisions
-- 0221–0225).  sync_state is the cursor of each entry towards each target: the version the target acknowledged
-- (and, for the public search, whether it was a removal).  A version is recorded only after the target's
-- per-record acknowledgement, so a run that stops half-way sends the rest next time and re-sends nothing the
-- target acknowledged; the target itself recognises a version it already holds (no duplicate either way).
CREATE TABLE registry.sync_state (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  target text NOT NULL CHECK (target IN ('menkyo', 'kensaku')),
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  version int NOT NULL CHECK (version >= 1),
  removed boolean NOT NULL DEFAULT false,
  result text NOT NULL CHECK (result IN ('stored', 'unchanged', 'stale')),
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  acknowledged_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, target, qualification_code, registration_no),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);

-- One run of a sync of one 資格管理者 (counts only; never a person).
CREATE TABLE registry.sync_runs (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  run_no bigint NOT NULL CHECK (run_no >= 1),
  target text NOT NULL CHECK (target IN ('menkyo', 'kensaku')),
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  sent int NOT NULL DEFAULT 0,
  stored int NOT NULL DEFAULT 0,
  unchanged int NOT NULL DEFAULT 0,
  withheld int NOT NULL DEFAULT 0,
  messages int NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  last_error text CHECK (length(last_error) <= 500),
  PRIMARY KEY (tenant_code, run_no)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sync_state', 'sync_runs'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON registry.sync_state TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.sync_runs TO mamori_registry;
