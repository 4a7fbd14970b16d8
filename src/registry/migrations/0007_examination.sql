-- Examination of applications (issue 15 Must have 4 and 5; QUA-07, QUA-08, QUA-10, QUA-16; decisions
-- 0192–0195): the result of every check made on an application (住基ネット, 戸籍, 合格者名簿), the exam-passer
-- lists (合格者名簿) imported per qualification, and the 再交付 as a kind of change of an entry.

-- One row per check made (insert only): the latest row of a source is the one the approval rule reads.
-- `differences` names the items that differ (item, as applied, as found) — never a My Number, never a 住民票コード.
CREATE TABLE registry.application_checks (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  source text NOT NULL CHECK (source IN ('juki', 'koseki', 'passers')),
  outcome text NOT NULL CHECK (outcome IN ('match', 'mismatch', 'not-found', 'deceased', 'removed', 'not-run', 'extract-requested', 'extract-received', 'not-applicable', 'error')),
  differences jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(differences) = 'array'),
  detail jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object'),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, application_id, seq),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id)
);

-- 合格者名簿: one row per passer of one examination round of one qualification, as the list gave it.
CREATE TABLE registry.exam_passers (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  exam_round int NOT NULL CHECK (exam_round BETWEEN 1 AND 300),
  exam_no text NOT NULL CHECK (exam_no ~ '^[0-9A-Z-]{1,16}$'),
  family_name text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 30),
  given_name text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 30),
  family_kana text NOT NULL CHECK (length(family_kana) BETWEEN 1 AND 40),
  given_kana text NOT NULL CHECK (length(given_kana) BETWEEN 1 AND 40),
  birth_date date NOT NULL,
  passed_on date NOT NULL,
  certificate_no text CHECK (certificate_no ~ '^[0-9A-Z-]{1,16}$'),
  import_id uuid NOT NULL,
  PRIMARY KEY (tenant_code, qualification_code, exam_round, exam_no),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);

-- Each import of a list file (the same bytes again are recognised by their SHA-256 and change nothing).
CREATE TABLE registry.passer_imports (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  id uuid NOT NULL,
  sha256 bytea NOT NULL CHECK (length(sha256) = 32),
  encoding text NOT NULL CHECK (encoding IN ('utf-8', 'shift_jis')),
  rows_total int NOT NULL CHECK (rows_total >= 0),
  rows_added int NOT NULL CHECK (rows_added >= 0),
  imported_by text NOT NULL,
  imported_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, qualification_code, sha256),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['application_checks', 'exam_passers', 'passer_imports'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT ON registry.application_checks TO mamori_registry;
GRANT SELECT, INSERT ON registry.exam_passers TO mamori_registry;
GRANT SELECT, INSERT ON registry.passer_imports TO mamori_registry;

-- 再交付 (免許証・登録証の再交付) is recorded as a version of the entry like any other change.
ALTER TABLE registry.entry_versions DROP CONSTRAINT entry_versions_change_kind_check;
ALTER TABLE registry.entry_versions ADD CONSTRAINT entry_versions_change_kind_check
  CHECK (change_kind IN ('register', 'correction', 'rewrite', 'change', 'disposition', 'erasure', 'reissue'));

-- The access log also keeps writes (処分, 抹消, checks) and decisions (承認, 補正依頼, 却下) and their refusals.
ALTER TABLE registry.access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE registry.access_log ADD CONSTRAINT access_log_action_check CHECK (action IN ('read', 'list', 'write', 'decide'));
