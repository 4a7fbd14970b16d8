-- Residents and addressees (宛名): persons with their current state, every version with its effective date,
-- import runs with their rejects, the matching review queue, and number sequences.  Tenant-keyed, RLS.
CREATE SCHEMA IF NOT EXISTS municipality;
GRANT USAGE ON SCHEMA municipality TO mamori_app;

CREATE TABLE municipality.persons (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  atena_no text NOT NULL CHECK (atena_no ~ '^[0-9]{10}$'),
  juminhyo_code text CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  integrated_no text CHECK (integrated_no ~ '^[0-9]{15}$'),
  category text NOT NULL CHECK (category IN ('resident', 'non-registered', 'unregistered-child', 'out-of-area')),
  status text NOT NULL CHECK (status IN ('resident', 'moved-out', 'deceased', 'removed', 'non-resident')),
  name_kanji text NOT NULL,
  name_kana text NOT NULL,
  search_kana text NOT NULL,
  birth_date date NOT NULL,
  sex text NOT NULL CHECK (sex IN ('male', 'female')),
  state jsonb NOT NULL,
  state_hash bytea NOT NULL,
  version int NOT NULL,
  effective_date date NOT NULL,
  dv_support boolean NOT NULL DEFAULT false,
  district_code text,
  household_no text,
  last_run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, atena_no)
);
CREATE UNIQUE INDEX persons_juminhyo ON municipality.persons (tenant_code, juminhyo_code) WHERE juminhyo_code IS NOT NULL;
CREATE UNIQUE INDEX persons_integrated ON municipality.persons (tenant_code, integrated_no) WHERE integrated_no IS NOT NULL;
CREATE INDEX persons_birth ON municipality.persons (tenant_code, birth_date);
CREATE INDEX persons_kana ON municipality.persons (tenant_code, search_kana);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.persons FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.persons ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.persons TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.persons TO mamori_app;

-- Every state a person has had (RES-05): what changed, from when (effective_date = 異動日), recorded when,
-- from which file and row, by whom.  "As of D" = the version with the latest (effective_date, version) <= D.
CREATE TABLE municipality.person_versions (
  tenant_code text NOT NULL,
  atena_no text NOT NULL,
  version int NOT NULL,
  effective_date date NOT NULL,
  status text NOT NULL,
  movement text,
  movement_id text,
  notified_on date,
  source text NOT NULL CHECK (source IN ('import-full', 'import-diff', 'staff', 'api')),
  import_run_id uuid,
  row_no int,
  state jsonb NOT NULL,
  changed text[] NOT NULL,
  actor text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, atena_no, version),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no)
);
CREATE UNIQUE INDEX person_versions_movement ON municipality.person_versions (tenant_code, movement_id) WHERE movement_id IS NOT NULL;
CREATE INDEX person_versions_asof ON municipality.person_versions (tenant_code, atena_no, effective_date DESC, version DESC);
ALTER TABLE municipality.person_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.person_versions TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.person_versions TO mamori_app;

CREATE TABLE municipality.import_runs (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  file_name text NOT NULL,
  file_sha256 text NOT NULL,
  file_bytes bigint NOT NULL,
  encoding text NOT NULL,
  base_date date NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed')),
  rows_done int NOT NULL DEFAULT 0,
  accepted int NOT NULL DEFAULT 0,
  rejected int NOT NULL DEFAULT 0,
  created int NOT NULL DEFAULT 0,
  updated int NOT NULL DEFAULT 0,
  unchanged int NOT NULL DEFAULT 0,
  queued int NOT NULL DEFAULT 0,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  resumed int NOT NULL DEFAULT 0,
  finished_at timestamptz,
  PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX import_runs_file ON municipality.import_runs (tenant_code, kind, file_sha256);
ALTER TABLE municipality.import_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.import_runs TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.import_runs TO mamori_app;

-- Rejected rows: the row number, the column and why — never the row's values.
CREATE TABLE municipality.import_rejects (
  tenant_code text NOT NULL,
  run_id uuid NOT NULL,
  row_no int NOT NULL,
  seq int NOT NULL,
  field text NOT NULL,
  code text NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (tenant_code, run_id, row_no, seq),
  FOREIGN KEY (tenant_code, run_id) REFERENCES municipality.import_runs (tenant_code, id)
);
ALTER TABLE municipality.import_rejects ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.import_rejects TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.import_rejects TO mamori_app;

-- Keys already read in a run (住民票コード of a full file, 異動ID of a movement file): a key seen twice is a
-- duplicate row in the file.  Kept only while the run is open.
CREATE TABLE municipality.import_seen (
  tenant_code text NOT NULL,
  run_id uuid NOT NULL,
  key text NOT NULL,
  PRIMARY KEY (tenant_code, run_id, key)
);
ALTER TABLE municipality.import_seen ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.import_seen TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, DELETE ON municipality.import_seen TO mamori_app;

-- Doubtful matches for staff to resolve (RES-12: never guess).
CREATE TABLE municipality.match_queue (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  source text NOT NULL,
  source_run_id uuid,
  source_row int,
  source_ref text,
  query jsonb NOT NULL,
  payload jsonb,
  candidates jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'linked', 'created', 'dismissed')),
  resolved_atena_no text,
  resolved_by text,
  resolved_at timestamptz,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX match_queue_source ON municipality.match_queue (tenant_code, source, source_run_id, source_row) WHERE source_run_id IS NOT NULL;
CREATE INDEX match_queue_open ON municipality.match_queue (tenant_code, created_at) WHERE status = 'open';
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.match_queue FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.match_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.match_queue TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.match_queue TO mamori_app;

CREATE TABLE municipality.sequences (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  name text NOT NULL,
  next_value bigint NOT NULL,
  PRIMARY KEY (tenant_code, name)
);
ALTER TABLE municipality.sequences ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.sequences TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.sequences TO mamori_app;
