-- Inquiries this municipality made through the 情報提供ネットワークシステム and their answers as the
-- business system received them (XCH-10: shown on screen, adopted into the ledger by staff).  The
-- 中間サーバー keeps its own copy and deletes it after its retention (XCH-15).  Tenant-keyed, RLS.
CREATE TABLE municipality.exchange_inquiries (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  exchange_id text NOT NULL CHECK (length(exchange_id) <= 64),
  atena_no text NOT NULL,
  item text NOT NULL,
  provider_code text NOT NULL,
  provider_name text,
  legal_basis text,
  status text NOT NULL CHECK (status IN ('provided', 'pending', 'none')),
  records jsonb NOT NULL DEFAULT '[]',
  asked_by text NOT NULL,
  asked_at timestamptz NOT NULL,
  answered_at timestamptz,
  adopted_by text,
  adopted_at timestamptz,
  adopted_count int,
  PRIMARY KEY (tenant_code, exchange_id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no)
);
CREATE INDEX exchange_inquiries_person ON municipality.exchange_inquiries (tenant_code, atena_no, asked_at DESC);
ALTER TABLE municipality.exchange_inquiries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.exchange_inquiries TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.exchange_inquiries TO mamori_app;
