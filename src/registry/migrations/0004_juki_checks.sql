-- 住基ネット checks of the register (issue 15 Must have 4 and 6; QUA-15, QUA-16, QUA-18; decisions 0180–0183).
-- Every table carries tenant_code (a 資格管理者) and sits under the tenant RLS policy.  The 住民票コード is
-- kept here only to ask 住基ネット; no view, screen, log or answer of the registry ever shows it.

-- The 住基 check of an application (QUA-18: replaces the 住民票の写し): the examiner's result (items compared,
-- alive or not; never the My Number, never the code) and, apart, the 住民票コード 住基ネット answered.
CREATE TABLE registry.juki_checks (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  application_id text NOT NULL CHECK (application_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  outcome text NOT NULL CHECK (outcome IN ('match', 'mismatch', 'deceased', 'removed', 'not-found')),
  result jsonb NOT NULL,
  juminhyo_code text CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  checked_by text NOT NULL,
  checked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, application_id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);

-- The 住民票コード of a registrant (one per 資格仮名ID): the key of the periodic checks (identity.changes).
CREATE TABLE registry.registrant_juki (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  pseudonym_id text NOT NULL,
  juminhyo_code text NOT NULL CHECK (juminhyo_code ~ '^[0-9]{11}$'),
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, pseudonym_id),
  FOREIGN KEY (tenant_code, pseudonym_id) REFERENCES registry.registrants (tenant_code, pseudonym_id)
);
CREATE INDEX registrant_juki_code ON registry.registrant_juki (tenant_code, juminhyo_code);
-- A registrant's entries still in force (the periodic checks skip persons whose every entry is erased).
CREATE INDEX entries_pseudonym_live ON registry.entries (tenant_code, pseudonym_id) WHERE erased_on IS NULL;

-- An entry registered from an application whose 住基 check found the person links its registrant to the code
-- (the examination calls checkJuki with the application id, then registerEntry with the same id).
CREATE FUNCTION registry.link_juki_on_register() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO registry.registrant_juki (tenant_code, pseudonym_id, juminhyo_code, linked_at)
    SELECT NEW.tenant_code, NEW.pseudonym_id, c.juminhyo_code, NEW.registered_at FROM registry.juki_checks c
    WHERE c.tenant_code = NEW.tenant_code AND c.qualification_code = NEW.qualification_code AND c.application_id = NEW.application_id AND c.juminhyo_code IS NOT NULL
  ON CONFLICT (tenant_code, pseudonym_id) DO UPDATE SET juminhyo_code = excluded.juminhyo_code, linked_at = excluded.linked_at;
  RETURN NEW;
END $$;
CREATE TRIGGER entries_link_juki AFTER INSERT ON registry.entries FOR EACH ROW EXECUTE FUNCTION registry.link_juki_on_register();

-- One run of the periodic checks of a tenant from one source (住基 here; 戸籍 adds its own): the period asked,
-- how far it got (the last 住民票コード whose chunk is written: a failed run resumes after it) and its counts.
CREATE TABLE registry.check_runs (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  run_no bigint NOT NULL CHECK (run_no >= 1),
  source text NOT NULL CHECK (source IN ('juki', 'koseki')),
  period_from date NOT NULL,
  period_until date NOT NULL CHECK (period_until >= period_from),
  status text NOT NULL CHECK (status IN ('running', 'done', 'abandoned')),
  cursor text,
  chunks int NOT NULL DEFAULT 0,
  checked int NOT NULL DEFAULT 0,
  changed int NOT NULL DEFAULT 0,
  deaths int NOT NULL DEFAULT 0,
  unresolved int NOT NULL DEFAULT 0,
  proposals int NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  last_error text CHECK (length(last_error) <= 500),
  PRIMARY KEY (tenant_code, run_no)
);
CREATE UNIQUE INDEX check_runs_one_running ON registry.check_runs (tenant_code, source) WHERE status = 'running';

-- What a check found, proposed for examination: one per (entry, source, kind, proposed value), so a run
-- repeated for the same period adds nothing.  Values are the register's and the source's (names, address,
-- dates) — never a 住民票コード or a My Number.  Closed by staff: accepted (the change made through the
-- register) or rejected with a reason.
CREATE TABLE registry.check_proposals (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  id bigserial,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  source text NOT NULL CHECK (source IN ('juki', 'koseki')),
  kind text NOT NULL CHECK (kind IN ('name', 'address', 'birth-date', 'sex', 'death', 'unknown', 'honseki', 'other')),
  value_key text NOT NULL CHECK (length(value_key) <= 400),
  current jsonb NOT NULL,
  proposed jsonb NOT NULL,
  run_no bigint,
  found_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
  closed_by text,
  closed_at timestamptz,
  close_reason text CHECK (length(close_reason) <= 500),
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, qualification_code, registration_no, source, kind, value_key),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no),
  CHECK ((status = 'open') = (closed_at IS NULL)),
  CHECK (status <> 'rejected' OR close_reason IS NOT NULL)
);
CREATE INDEX check_proposals_open ON registry.check_proposals (tenant_code, status, found_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['juki_checks', 'registrant_juki', 'check_runs', 'check_proposals'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON registry.juki_checks TO mamori_registry;
GRANT SELECT, INSERT, UPDATE, DELETE ON registry.registrant_juki TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.check_runs TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.check_proposals TO mamori_registry;
GRANT USAGE ON SEQUENCE registry.check_proposals_id_seq TO mamori_registry;
