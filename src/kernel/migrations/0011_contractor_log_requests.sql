-- Requests to a contractor (委託先) for its handling logs (KRN-47, decision 0117): what was asked of which
-- company, for which period, by when, and whether and when the logs were received.
CREATE TABLE kernel.contractor_log_requests (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  contractor_company text NOT NULL,
  period_from date NOT NULL,
  period_to date NOT NULL,
  requested_on date NOT NULL,
  due_on date NOT NULL,
  note text,
  requested_by text NOT NULL,
  status text NOT NULL CHECK (status IN ('requested', 'received')),
  received_on date,
  received_by text,
  received_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, id),
  CHECK (period_from <= period_to AND requested_on <= due_on),
  CHECK ((status = 'received') = (received_on IS NOT NULL AND received_by IS NOT NULL))
);
ALTER TABLE kernel.contractor_log_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.contractor_log_requests TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.contractor_log_requests TO mamori_app;
