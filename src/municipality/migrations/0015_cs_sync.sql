-- 市町村CS → 住基ネット 全国サーバ (decision 0138): how far each municipality's 本人確認情報 notifications have
-- gone.  The cursor is the last person version sent, ordered by (transaction id of the version, atena_no,
-- version): total, and monotonic because the sender reads only versions whose transaction id is below the
-- oldest transaction still running (pg_snapshot_xmin), all of which have finished and are visible
-- (municipality/exchange/cs.ts).  A timestamp cursor (recorded_at) would not be: recorded_at is the inserting
-- transaction's start, and a long transaction commits versions "before" a cursor that has already passed.
-- sent_seq is the last `seq` given to a change; a batch resent after a crash gets the same seqs, which the
-- 全国サーバ recognises (idempotent by municipality and seq).
CREATE TABLE municipality.cs_sync (
  tenant_code text PRIMARY KEY REFERENCES kernel.organisations(code),
  last_xid bigint,
  last_atena_no text,
  last_version int,
  sent_seq bigint NOT NULL DEFAULT 0,
  sent_total bigint NOT NULL DEFAULT 0,
  last_sync_at timestamptz,
  CHECK ((last_xid IS NULL) = (last_atena_no IS NULL) AND (last_atena_no IS NULL) = (last_version IS NULL))
);
ALTER TABLE municipality.cs_sync ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.cs_sync TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.cs_sync TO mamori_app;
