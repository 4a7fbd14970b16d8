-- The legacy VRS move-in inquiry for COVID-19 (XCH-20, decision 0140): the consent form and the ID check
-- recorded before the My Number is sent (番号法16条), the answer as received (only that person's COVID-19
-- records), and its adoption into the ledger.  The My Number itself is never stored here: it is read from
-- the vault for sending and kept nowhere else.  Tenant-keyed, RLS.
CREATE TABLE municipality.covid_inquiries (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  exchange_id text NOT NULL CHECK (length(exchange_id) <= 64),
  atena_no text NOT NULL,
  provider_code text NOT NULL,
  provider_name text,
  consent_form_no text NOT NULL CHECK (length(consent_form_no) BETWEEN 1 AND 40),
  id_document text NOT NULL CHECK (id_document IN ('mynumber-card', 'driving-licence', 'other')),
  checked_by text NOT NULL,
  status text NOT NULL CHECK (status IN ('provided', 'none')),
  records jsonb NOT NULL DEFAULT '[]',
  asked_at timestamptz NOT NULL,
  adopted_by text,
  adopted_at timestamptz,
  adopted_count int,
  PRIMARY KEY (tenant_code, exchange_id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no)
);
CREATE INDEX covid_inquiries_person ON municipality.covid_inquiries (tenant_code, atena_no, asked_at DESC);
ALTER TABLE municipality.covid_inquiries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.covid_inquiries TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.covid_inquiries TO mamori_app;
