-- The first step of a provision the 中間サーバー holds (自動応答不可フラグ, XCH-12): the staff member who
-- checked its content, and what they saw (the digest of the 副本 the 中間サーバー listed).  The second step,
-- the 上長承認 by a different user (XCH-13), is sent to the 中間サーバー with both names and kept here too.
-- Tenant-keyed, RLS.
CREATE TABLE municipality.exchange_checks (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  exchange_id text NOT NULL CHECK (length(exchange_id) <= 128),
  checked_by text NOT NULL,
  checked_at timestamptz NOT NULL,
  digest text,
  approved_by text,
  approved_at timestamptz,
  PRIMARY KEY (tenant_code, exchange_id),
  CHECK (approved_by IS NULL OR approved_by <> checked_by)
);
ALTER TABLE municipality.exchange_checks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.exchange_checks TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.exchange_checks TO mamori_app;
