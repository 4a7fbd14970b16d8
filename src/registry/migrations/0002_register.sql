-- The register itself (issue 15 Must have 2 and 5; QUA-09…14, QUA-27, QUA-36, QUA-37, QUA-10; decisions
-- 0177, 0178).  Every table carries (tenant_code, qualification_code) with a foreign key to
-- registry.jurisdictions and sits under the tenant RLS policy.

-- 資格仮名ID (QUA-27): one per person per 資格管理者, random, the only key towards external systems.
CREATE TABLE registry.registrants (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  pseudonym_id text NOT NULL CHECK (pseudonym_id ~ '^Q[0-9A-F]{20}$'),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, pseudonym_id),
  UNIQUE (pseudonym_id)
);

-- The last 登録番号 of each qualification: one row locked by the registering transaction, so concurrent
-- registrations get consecutive numbers and a rolled-back one leaves no gap.
CREATE TABLE registry.number_counters (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  last_no bigint NOT NULL CHECK (last_no >= 1),
  PRIMARY KEY (tenant_code, qualification_code),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);

-- An entry of the register: its current version (items as the catalog's register items, names with their
-- history), its 抹消 (logical: the row stays, QUA-11).  No DELETE is granted: an entry is never removed.
CREATE TABLE registry.entries (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL CHECK (registration_no >= 1),
  pseudonym_id text NOT NULL,
  application_id text NOT NULL CHECK (application_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  registered_on date NOT NULL,
  registered_at timestamptz NOT NULL,
  version int NOT NULL CHECK (version >= 1),
  items jsonb NOT NULL,
  names jsonb NOT NULL,
  erased_on date,
  erasure_cause text CHECK (erasure_cause IN ('request', 'disposition', 'death')),
  erasure_reason_code text,
  erasure_note text,
  deceased boolean NOT NULL DEFAULT false,
  mynumber_deleted_on date,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, registration_no),
  UNIQUE (tenant_code, qualification_code, pseudonym_id),
  UNIQUE (tenant_code, qualification_code, application_id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code),
  FOREIGN KEY (tenant_code, pseudonym_id) REFERENCES registry.registrants (tenant_code, pseudonym_id),
  CHECK ((erased_on IS NULL) = (erasure_cause IS NULL))
);

-- Every version of an entry (insert only): who, when, which kind of change, its reason code and 記事, the
-- items changed and the whole entry as it was after the change.
CREATE TABLE registry.entry_versions (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  version int NOT NULL CHECK (version >= 1),
  change_kind text NOT NULL CHECK (change_kind IN ('register', 'correction', 'rewrite', 'change', 'disposition', 'erasure')),
  reason_code text CHECK (reason_code ~ '^[0-9A-Za-z-]{1,10}$'),
  note text CHECK (length(note) <= 500),
  changed_items text[] NOT NULL,
  items jsonb NOT NULL,
  names jsonb NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, registration_no, version),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);

-- 行政処分 (QUA-10): 業務停止 with its period, 免許取消; 発簡番号.  Insert only.
CREATE TABLE registry.dispositions (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  kind text NOT NULL CHECK (kind IN ('suspension', 'revocation')),
  decided_on date NOT NULL,
  code text NOT NULL CHECK (code ~ '^[0-9A-Za-z-]{1,10}$'),
  period_from date NOT NULL,
  period_until date,
  issue_no text NOT NULL CHECK (length(issue_no) BETWEEN 1 AND 40),
  note text CHECK (length(note) <= 500),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, registration_no, seq),
  UNIQUE (tenant_code, qualification_code, registration_no, issue_no),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no),
  CHECK ((kind = 'suspension') = (period_until IS NOT NULL)),
  CHECK (period_until IS NULL OR period_until >= period_from)
);

-- The My Number of an entry, sealed with the registry's own key (AES-256-GCM, bound to tenant,
-- qualification and 登録番号) and its blind index (HMAC) to find the same person's other entries.
CREATE TABLE registry.entry_mynumbers (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  ciphertext bytea NOT NULL,
  key_version int NOT NULL,
  blind_index bytea NOT NULL,
  stored_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, registration_no),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);
CREATE INDEX entry_mynumbers_index ON registry.entry_mynumbers (tenant_code, blind_index);

-- QUA-13: 医籍等 are never fully erased — the database itself refuses to delete one of their My Numbers,
-- whatever the code says.
CREATE FUNCTION registry.refuse_permanent_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM registry.jurisdictions j WHERE j.qualification_code = OLD.qualification_code AND j.file_code = 'iseki') THEN
    RAISE EXCEPTION 'registry: 医籍等 are never erased (QUA-13)' USING ERRCODE = 'check_violation';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER entry_mynumbers_permanent BEFORE DELETE ON registry.entry_mynumbers FOR EACH ROW EXECUTE FUNCTION registry.refuse_permanent_delete();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['registrants', 'number_counters', 'entries', 'entry_versions', 'dispositions', 'entry_mynumbers'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT ON registry.registrants TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.number_counters TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.entries TO mamori_registry;
GRANT SELECT, INSERT ON registry.entry_versions TO mamori_registry;
GRANT SELECT, INSERT ON registry.dispositions TO mamori_registry;
GRANT SELECT, INSERT, DELETE ON registry.entry_mynumbers TO mamori_registry;
