-- Imports that failed before or while running (a wrong header, a file that is not CSV or not in the chosen
-- encoding, an unexpected error): kept so that 取込の記録 shows them with status 失敗 and the reason, next to
-- the runs of import_runs (issue 9, decision 0112).  Never a value from the file: only its name and the reason.
CREATE TABLE municipality.import_failures (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- The import screen's family of run kinds, e.g. 'residents' (both 住基 kinds) or 'records-clinic'.
  family text NOT NULL,
  file_name text NOT NULL,
  reason text NOT NULL,
  -- The run, when the failure came after the run had started (it stays open and resumes on the next try).
  run_id uuid,
  failed_by text NOT NULL,
  -- When the row was written, stamped by the database like import_runs.started_at (decision 0086), so that
  -- 取込の記録 orders runs and failures on one clock.
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX import_failures_recent ON municipality.import_failures (tenant_code, family, failed_at DESC);
ALTER TABLE municipality.import_failures ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.import_failures TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.import_failures TO mamori_app;
