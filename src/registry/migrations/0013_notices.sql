-- Notices to applicants online (issue 16 Must have 5; QUA-26; decisions 0216–0217): 手続結果や各種お知らせ kept
-- by the registry, addressed by the マイナポータル仮名ID of the person's online applications, served to the
-- portal on request (the portal keeps none of them).  The registry records when the person first read each.
-- Never deleted; the text holds no My Number.
CREATE TABLE registry.notices (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  notice_id uuid NOT NULL,
  portal_pseudonym text NOT NULL CHECK (portal_pseudonym ~ '^[A-Za-z0-9_-]{8,64}$'),
  kind text NOT NULL CHECK (kind IN ('approved', 'returned', 'rejected', 'certificate', 'disposition', 'change-needed')),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  qualification_code text NOT NULL,
  registration_no bigint,
  application_id uuid,
  created_at timestamptz NOT NULL,
  read_at timestamptz,
  PRIMARY KEY (tenant_code, notice_id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);
CREATE INDEX notices_person ON registry.notices (portal_pseudonym, created_at);

ALTER TABLE registry.notices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.notices TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT, UPDATE (read_at) ON registry.notices TO mamori_registry;
