-- 自己負担・免除と実費徴収 (issue 14 part 1, 2, 6; VAX-29, VAX-30, VAX-31, RES-18, RES-21; decisions 0157, 0158;
-- docs/formats/eligibility-csv.md): the other departments' facts imported as dated files (生活保護 periods and
-- suspensions, 市町村民税 課税区分 per 賦課年度, 介護保険 所得段階 per 賦課年度), each row remembering the import run
-- and row it came from (the copay decision names them); the tenant's copay rules per program and fiscal year;
-- the persons' contacts.  Tenant-keyed, RLS.

-- 生活保護: one row per period of a case — 受給 (receipt) or 停止 (suspension); until NULL = still running.
CREATE TABLE municipality.eligibility_welfare (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  atena_no text NOT NULL,
  case_no text NOT NULL CHECK (case_no ~ '^[0-9A-Za-z-]{1,20}$'),
  kind text NOT NULL CHECK (kind IN ('receipt', 'suspension')),
  from_date date NOT NULL,
  until_date date,
  run_id uuid NOT NULL,
  row_no int NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, atena_no, case_no, kind, from_date),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons(tenant_code, atena_no),
  CHECK (until_date IS NULL OR until_date >= from_date)
);

-- 市町村民税の課税区分 per 賦課年度 (true = 非課税).
CREATE TABLE municipality.eligibility_tax (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  atena_no text NOT NULL,
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 1989 AND 2200),
  exempt boolean NOT NULL,
  run_id uuid NOT NULL,
  row_no int NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, atena_no, fiscal_year),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons(tenant_code, atena_no)
);

-- 介護保険料の所得段階 per 賦課年度.
CREATE TABLE municipality.eligibility_ltc (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  atena_no text NOT NULL,
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 1989 AND 2200),
  bracket int NOT NULL CHECK (bracket BETWEEN 1 AND 30),
  run_id uuid NOT NULL,
  row_no int NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, atena_no, fiscal_year),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons(tenant_code, atena_no)
);

-- 自己負担の規則: per program (a catalog program code, or '任意' for every 任意接種) and fiscal year.
CREATE TABLE municipality.copay_rules (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  program text NOT NULL CHECK (length(program) BETWEEN 1 AND 60),
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 1989 AND 2200),
  rule jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, program, fiscal_year)
);

-- 連絡先 (RES-18).
CREATE TABLE municipality.person_contacts (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  atena_no text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('phone', 'mobile', 'fax', 'email')),
  value text NOT NULL CHECK (length(value) BETWEEN 3 AND 254),
  source text NOT NULL CHECK (source IN ('counter', 'application', 'phone', 'clinic', 'other')),
  set_on date NOT NULL,
  consent boolean NOT NULL,
  note text CHECK (length(note) <= 200),
  ended_on date,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons(tenant_code, atena_no)
);
CREATE INDEX person_contacts_person ON municipality.person_contacts (tenant_code, atena_no);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['eligibility_welfare', 'eligibility_tax', 'eligibility_ltc', 'copay_rules', 'person_contacts'] LOOP
    EXECUTE format('ALTER TABLE municipality.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON municipality.%I TO mamori_app USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON municipality.%I TO mamori_app', t);
  END LOOP;
END $$;
