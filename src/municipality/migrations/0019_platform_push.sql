-- The municipality's side of the digital vaccination platform (issue 12, point 3; PMH-02…04, PMH-21, RES-22;
-- decision 0147; docs/formats/platform-protocol.md): the push batches sent through `targets.register`, the
-- rows of each batch, the linkage status of every person sent, and the 住基 movement watermark.  No My
-- Number is stored here: the Target hash covers the vault's blind index, never the number.  Tenant-keyed, RLS.
CREATE TABLE municipality.platform_push_batches (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('run', 'movements', 'retry')),
  run_id uuid,
  file_name text NOT NULL CHECK (length(file_name) <= 200),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  started_by text NOT NULL,
  chunks int NOT NULL DEFAULT 0,
  chunks_done int NOT NULL DEFAULT 0,
  sent int NOT NULL DEFAULT 0,
  registered int NOT NULL DEFAULT 0,
  updated int NOT NULL DEFAULT 0,
  deleted int NOT NULL DEFAULT 0,
  unchanged int NOT NULL DEFAULT 0,
  failed int NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  error text,
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX platform_push_batches_recent ON municipality.platform_push_batches (tenant_code, started_at DESC);
CREATE INDEX platform_push_batches_running ON municipality.platform_push_batches (tenant_code, run_id) WHERE status = 'running';
ALTER TABLE municipality.platform_push_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.platform_push_batches TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.platform_push_batches TO mamori_app;

-- The rows of a batch, planned before the first chunk is sent (a crashed push resends the same chunks under
-- the same idempotency key: batch id + chunk number), then each with the platform's answer.
CREATE TABLE municipality.platform_push_rows (
  tenant_code text NOT NULL,
  batch_id uuid NOT NULL,
  atena_no text NOT NULL,
  chunk int NOT NULL CHECK (chunk >= 1),
  seq int NOT NULL,
  modification_seg text NOT NULL CHECK (modification_seg IN ('1', '2')),
  target_hash text NOT NULL CHECK (target_hash ~ '^[0-9a-f]{64}$'),
  status text NOT NULL CHECK (status IN ('planned', 'registered', 'updated', 'deleted', 'unchanged', 'failed')),
  target_id text,
  error text,
  PRIMARY KEY (tenant_code, batch_id, atena_no),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.platform_push_batches (tenant_code, id)
);
CREATE INDEX platform_push_rows_chunk ON municipality.platform_push_rows (tenant_code, batch_id, chunk, seq);
ALTER TABLE municipality.platform_push_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.platform_push_rows TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.platform_push_rows TO mamori_app;

-- One row per person ever sent: what the platform holds (the hash of the last Target it accepted), the
-- linkage status it reported (PMH-21), and, after a failure, the attempts and the next retry.
CREATE TABLE municipality.platform_targets (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  atena_no text NOT NULL,
  -- The run whose Target was last built for the person (a retry rebuilds from it).
  run_id uuid,
  -- The last Target the platform accepted: its modificationSeg and hash (null: nothing accepted yet).
  sent_seg text CHECK (sent_seg IN ('1', '2')),
  sent_hash text CHECK (sent_hash IS NULL OR sent_hash ~ '^[0-9a-f]{64}$'),
  -- What is still to be sent after a failure.
  pending_seg text CHECK (pending_seg IN ('1', '2')),
  status text NOT NULL CHECK (status IN ('pending', 'linked', 'error', 'deleted')),
  error text,
  target_id text CHECK (target_id IS NULL OR target_id ~ '^T[0-9]{15}$'),
  file_name text,
  change_category text CHECK (change_category IN ('11', '12', '13')),
  movement_date date,
  at timestamptz NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  next_retry_at timestamptz,
  PRIMARY KEY (tenant_code, atena_no)
);
CREATE INDEX platform_targets_retry ON municipality.platform_targets (tenant_code, next_retry_at) WHERE next_retry_at IS NOT NULL;
CREATE INDEX platform_targets_status ON municipality.platform_targets (tenant_code, status);
ALTER TABLE municipality.platform_targets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.platform_targets TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.platform_targets TO mamori_app;

-- Per tenant: the 住基 movement watermark (the last person version looked at for 転出・死亡) and the hash of
-- the 予防接種設定 last put on the platform (settings.put is sent again only when it changes).
CREATE TABLE municipality.platform_sync (
  tenant_code text PRIMARY KEY REFERENCES kernel.organisations(code),
  movements_watermark timestamptz,
  settings_hash text,
  settings_at timestamptz
);
ALTER TABLE municipality.platform_sync ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.platform_sync TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.platform_sync TO mamori_app;
