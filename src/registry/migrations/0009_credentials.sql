-- Digital qualification certificates (issue 16 Must have 1 and 3; QUA-23, QUA-24; decisions 0201–0204).
-- One row per issued SD-JWT VC: which entry, which status list and index, its status as last computed, the
-- day that status changes by itself (a suspension beginning or ending), the issuer key, when issued and until
-- when valid.  The credential text is not kept: it holds the person's name and birth date and the registry
-- can issue another at any time.  Under the tenant RLS policy like every registry table.
CREATE TABLE registry.credentials (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  credential_id text NOT NULL CHECK (credential_id ~ '^C[0-9A-F]{24}$'),
  list_no int NOT NULL CHECK (list_no >= 1),
  status_idx int NOT NULL CHECK (status_idx >= 0),
  -- IETF Token Status List, 2 bits: 0 valid, 1 revoked (取消・抹消), 2 suspended (業務停止中).
  status smallint NOT NULL CHECK (status IN (0, 1, 2)),
  status_recheck_on date,
  key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 100),
  holder_bound boolean NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
  status_updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, list_no, status_idx),
  UNIQUE (credential_id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);
CREATE INDEX credentials_entry ON registry.credentials (tenant_code, qualification_code, registration_no);
CREATE INDEX credentials_recheck ON registry.credentials (tenant_code, status_recheck_on) WHERE status_recheck_on IS NOT NULL;

ALTER TABLE registry.credentials ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.credentials TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
-- No DELETE: a status index, once given, is never given again (a verifier holding an old credential must not
-- read another person's status).
GRANT SELECT, INSERT, UPDATE ON registry.credentials TO mamori_registry;
