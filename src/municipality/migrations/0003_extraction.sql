-- Target extraction runs (issue 5 point 1; VAX-04, VAX-06): a run with its parameters, the catalog version,
-- the resume cursor, counts and the content hash, and its members (one row per person and program).
-- Decisions 0060–0063.  Tenant-keyed, RLS like 0002.
CREATE TABLE municipality.extraction_runs (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('targets', 'unvaccinated')),
  -- Canonical parameters: {kind, all, programs, filters} (no as-of date, no run id, no timestamps).
  parameters jsonb NOT NULL,
  -- sha256 of the canonical parameters: runs with the same key are compared by the diff.
  params_key text NOT NULL CHECK (params_key ~ '^[0-9a-f]{64}$'),
  as_of date NOT NULL,
  catalog_version text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  -- Resume cursor: the last 宛名番号 whose chunk committed ('' = none yet).
  cursor text NOT NULL DEFAULT '',
  chunk_size int NOT NULL CHECK (chunk_size BETWEEN 1 AND 100000),
  chunks_done int NOT NULL DEFAULT 0,
  -- Persons in the birth-date range when the run started (for progress only).
  persons_estimate int NOT NULL DEFAULT 0,
  counts jsonb NOT NULL,
  content_hash text CHECK (content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$'),
  previous_run_id uuid,
  diff jsonb,
  error text,
  resumed int NOT NULL DEFAULT 0,
  -- Data cut-off: versions and records recorded after this instant are not read (a resumed run sees what
  -- the interrupted one saw).
  data_cutoff timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX extraction_runs_recent ON municipality.extraction_runs (tenant_code, created_at DESC);
CREATE INDEX extraction_runs_previous ON municipality.extraction_runs (tenant_code, params_key, completed_at DESC) WHERE status = 'complete';
ALTER TABLE municipality.extraction_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.extraction_runs TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.extraction_runs TO mamori_app;

-- One row per person and program of a run.  The primary key makes re-processing a chunk idempotent.  No
-- foreign keys (a million-row run would pay a trigger per row): rows are written only together with the
-- run's cursor, in the run's own transactions.
CREATE TABLE municipality.extraction_members (
  tenant_code text NOT NULL,
  run_id uuid NOT NULL,
  atena_no text NOT NULL,
  program text NOT NULL,
  dose int,
  status text NOT NULL CHECK (status IN ('due', 'upcoming')),
  -- Past the standard period (標準的な接種期間) on the as-of date.
  late boolean NOT NULL,
  earliest date,
  latest date,
  standard_from date,
  standard_until date,
  -- 支援措置: no document may be addressed to this person by mail (decision 0043).
  protected boolean NOT NULL,
  PRIMARY KEY (tenant_code, run_id, atena_no, program)
);
ALTER TABLE municipality.extraction_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.extraction_members TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.extraction_members TO mamori_app;
