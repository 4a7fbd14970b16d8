-- The vaccination record ledger (VAX-16..24, seed 003's record items): one row per dose with its current
-- content, every version with the reason for the change, per-person conditions the schedule engine needs,
-- and per-tenant schedule configurations (臨時・特措法・任意 programs).
CREATE TABLE municipality.vaccination_records (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  atena_no text NOT NULL,
  program text,
  dose int CHECK (dose IS NULL OR dose BETWEEN 1 AND 99),
  dose_label text,
  category text NOT NULL CHECK (category IN ('A類定期', 'B類定期', '臨時', '特措法', '任意')),
  vaccinated_on date,
  date_unknown boolean NOT NULL DEFAULT false,
  product text,
  data jsonb NOT NULL,
  warnings jsonb NOT NULL DEFAULT '[]',
  override_reason text,
  source text NOT NULL CHECK (source IN ('counter', 'clinic-batch', 'other-municipality', 'platform', 'staff', 'api')),
  source_run_id uuid,
  source_row int,
  institution_code text,
  claim_month text CHECK (claim_month IS NULL OR claim_month ~ '^[0-9]{4}-[0-9]{2}$'),
  status text NOT NULL CHECK (status IN ('active', 'deleted')),
  deleted_reason text,
  version int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no),
  CHECK (date_unknown = (vaccinated_on IS NULL))
);
CREATE INDEX vaccination_records_person ON municipality.vaccination_records (tenant_code, atena_no, vaccinated_on);
CREATE INDEX vaccination_records_program ON municipality.vaccination_records (tenant_code, program, vaccinated_on) WHERE status = 'active';
CREATE INDEX vaccination_records_claim ON municipality.vaccination_records (tenant_code, claim_month, institution_code) WHERE status = 'active';
-- A clinic batch row becomes at most one record, however often the file is imported.
CREATE UNIQUE INDEX vaccination_records_source ON municipality.vaccination_records (tenant_code, source_run_id, source_row) WHERE source_run_id IS NOT NULL;
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.vaccination_records FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.vaccination_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.vaccination_records TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.vaccination_records TO mamori_app;

-- VAX-22: corrections keep the full before/after history with the reason (職権修正, 母子手帳を元に修正 …).
CREATE TABLE municipality.vaccination_record_versions (
  tenant_code text NOT NULL,
  record_id uuid NOT NULL,
  version int NOT NULL,
  change text NOT NULL CHECK (change IN ('create', 'correct', 'delete')),
  reason_kind text NOT NULL,
  reason text,
  snapshot jsonb NOT NULL,
  actor text NOT NULL,
  terminal text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, record_id, version),
  FOREIGN KEY (tenant_code, record_id) REFERENCES municipality.vaccination_records (tenant_code, id)
);
ALTER TABLE municipality.vaccination_record_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.vaccination_record_versions TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.vaccination_record_versions TO mamori_app;

-- Facts about a person that the schedule engine needs (B類 60–64 disability, previous PPSV23, 長期療養特例…).
CREATE TABLE municipality.person_conditions (
  tenant_code text NOT NULL,
  atena_no text NOT NULL,
  code text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, atena_no, code),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no)
);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.person_conditions FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.person_conditions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.person_conditions TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON municipality.person_conditions TO mamori_app;

-- A municipality's own programs and overrides (docs/formats/schedule-cli.md "municipal configuration"), versioned.
CREATE TABLE municipality.schedule_configs (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  version int NOT NULL,
  config jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  PRIMARY KEY (tenant_code, version)
);
ALTER TABLE municipality.schedule_configs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.schedule_configs TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.schedule_configs TO mamori_app;
