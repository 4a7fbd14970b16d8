-- Paper certificates (issue 16 Must have 4; QUA-25; decisions 0214–0215): one row per 免許証・登録証 issued —
-- its serial (交付番号, consecutive per 資格管理者), the entry, the kind (免許証 or 登録証, from the catalog),
-- the reason (新規登録・再交付・書換え交付), the 交付日 from the kernel clock, the application it was issued on and
-- the data printed on it (氏名, 生年月日, 本籍, 登録番号, 登録年月日, the issuer's line: never a My Number), so
-- the PDF is rendered again, byte for byte, from what was recorded.  A reissue voids the previous one (無効:
-- day and reason).  Rows are never deleted.
CREATE TABLE registry.certificates (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  serial_no bigint NOT NULL CHECK (serial_no >= 1),
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('免許証', '登録証')),
  reason text NOT NULL CHECK (reason IN ('new', 'reissue', 'rewrite')),
  issued_on date NOT NULL,
  issued_at timestamptz NOT NULL,
  issued_by text NOT NULL CHECK (length(issued_by) BETWEEN 1 AND 60),
  application_id uuid,
  printed jsonb NOT NULL,
  void_on date,
  void_reason text CHECK (void_reason IS NULL OR length(void_reason) BETWEEN 1 AND 200),
  void_by_serial bigint,
  PRIMARY KEY (tenant_code, serial_no),
  CHECK ((void_on IS NULL) = (void_reason IS NULL)),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);
CREATE INDEX certificates_entry ON registry.certificates (tenant_code, qualification_code, registration_no, serial_no);
-- At most one valid certificate per entry.
CREATE UNIQUE INDEX certificates_one_valid ON registry.certificates (tenant_code, qualification_code, registration_no) WHERE void_on IS NULL;

ALTER TABLE registry.certificates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.certificates TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
-- No DELETE: a certificate once issued stays on record (void or valid).
GRANT SELECT, INSERT, UPDATE ON registry.certificates TO mamori_registry;
