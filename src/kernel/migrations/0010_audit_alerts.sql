-- Scheduled verification of the operation log and its alerts (KRN-34, decision 0115).
-- The maintenance job verifies every tenant's hash chain; the last result per tenant is kept here, and a
-- failure opens a persistent alert that administrators and auditors see until an auditor acknowledges it
-- with a reason.  One alert per distinct failure (signature = kind:seq): the same broken entry found again
-- the next hour updates last_seen_at instead of opening another alert, also after acknowledgement.
CREATE TABLE kernel.audit_verifications (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  checked_at timestamptz NOT NULL,
  ok boolean NOT NULL,
  verified bigint NOT NULL,
  failure_kind text,
  failure_seq bigint,
  message text,
  PRIMARY KEY (tenant_code)
);
ALTER TABLE kernel.audit_verifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.audit_verifications TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.audit_verifications TO mamori_app;

CREATE TABLE kernel.audit_alerts (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  signature text NOT NULL,
  kind text NOT NULL,
  seq bigint,
  message text NOT NULL,
  raised_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  ack_reason text,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, signature),
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL) AND (acknowledged_at IS NULL) = (ack_reason IS NULL))
);
CREATE INDEX audit_alerts_open ON kernel.audit_alerts (tenant_code) WHERE acknowledged_at IS NULL;
ALTER TABLE kernel.audit_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.audit_alerts TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.audit_alerts TO mamori_app;
