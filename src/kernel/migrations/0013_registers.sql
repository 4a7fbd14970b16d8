-- Safeguard registers (decision 0126): 消去・廃棄の記録 (KRN-41), 委託先の管理簿 (KRN-49), 受渡管理簿 (KRN-50),
-- 媒体管理簿 (KRN-51), 開示・訂正・利用停止請求の受付簿 (KRN-53), 問合せ受付簿 (KRN-54), 事故・漏えい等の記録 (KRN-55).
-- One entry table for every register (the fields are the register's declaration in code, kept as jsonb),
-- its versions (a correction is a new version; the old ones stay) and its dated steps (responses, approvals,
-- uses, the leak-response steps).  Versions and steps are append-only: the application role may not change
-- or delete them.
CREATE TABLE kernel.register_entries (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  register text NOT NULL,
  number integer NOT NULL CHECK (number > 0),
  status text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version > 0),
  data jsonb NOT NULL,
  -- A date the register watches (the decision deadline of a disclosure request); null for the others.
  due_on date,
  flagged boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, register, number)
);
CREATE INDEX register_entries_list ON kernel.register_entries (tenant_code, register, status, number DESC);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON kernel.register_entries FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE kernel.register_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.register_entries TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON kernel.register_entries TO mamori_app;

CREATE TABLE kernel.register_versions (
  tenant_code text NOT NULL,
  entry_id uuid NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  data jsonb NOT NULL,
  reason text,
  recorded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, entry_id, version),
  FOREIGN KEY (tenant_code, entry_id) REFERENCES kernel.register_entries (tenant_code, id)
);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON kernel.register_versions FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE kernel.register_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.register_versions TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.register_versions TO mamori_app;

CREATE TABLE kernel.register_steps (
  tenant_code text NOT NULL,
  entry_id uuid NOT NULL,
  seq integer NOT NULL CHECK (seq > 0),
  kind text NOT NULL,
  on_date date NOT NULL,
  data jsonb NOT NULL,
  recorded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, entry_id, seq),
  FOREIGN KEY (tenant_code, entry_id) REFERENCES kernel.register_entries (tenant_code, id)
);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON kernel.register_steps FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE kernel.register_steps ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kernel.register_steps TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON kernel.register_steps TO mamori_app;
