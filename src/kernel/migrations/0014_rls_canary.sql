-- RLS canary (KRN-01, decision 0123; numbered after the decision so that it collides with no other branch's 0012–0022): at every start Mamori inserts a row for two synthetic tenants into
-- this table as the application role, inside a transaction it rolls back, and refuses to start unless a
-- query with one tenant set sees only that tenant's row.  It never holds a committed row.
CREATE TABLE kernel.rls_canary (
  tenant_code text NOT NULL,
  note text NOT NULL,
  PRIMARY KEY (tenant_code)
);
ALTER TABLE kernel.rls_canary ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.rls_canary TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.rls_canary TO mamori_app;
