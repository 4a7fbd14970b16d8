-- Certificates from the ledger (VAX-27, VAX-35, VAX-42; docs/decisions/0070–0074): applications for a
-- certificate (窓口・郵送), the register of issued certificates (証明書交付簿) and the certificate-number serials.
-- Passport items (旅券関係情報) are personal data: the 旅券番号 is stored only encrypted (AES-256-GCM under the
-- tenant's data key, bound to its row by the associated data).  No foreign key points from an application to a
-- certificate, so that the tables' foreign-key order stays acyclic for backup and restore.

CREATE TABLE municipality.certificate_applications (
  tenant_code text NOT NULL,
  id uuid NOT NULL,
  atena_no text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('completion', 'history', 'covid19-domestic', 'covid19-overseas')),
  -- 受付方法: counter 窓口, mail 郵送; app and kiosk are reserved for the electronic channels (VAX-40, VAX-41).
  channel text NOT NULL CHECK (channel IN ('counter', 'mail', 'app', 'kiosk')),
  received_on date NOT NULL,
  -- 申請者: self 本人, agent 代理人 (name and relation required; KRN-15 power of attorney).
  applicant text NOT NULL CHECK (applicant IN ('self', 'agent')),
  agent_name text,
  agent_relation text,
  -- KRN-15: the identity document checked at intake (code, see model.ts) and, for an agent, the 委任状.
  identity_document text NOT NULL,
  power_of_attorney boolean NOT NULL DEFAULT false,
  reason text NOT NULL,
  -- 予防接種の種類 requested (program codes); empty = every program (接種記録の証明).
  programs text[] NOT NULL DEFAULT '{}',
  -- 再交付: the certificate this one replaces (municipality.certificates.id, checked by the application).
  reissue_of uuid,
  -- 旅券関係情報 (海外用 only): ローマ字氏名, 国籍・地域 (ISO 3166-1 alpha-3), 旧姓・別姓・別名, 旅券番号 (sealed).
  romaji_family text,
  romaji_given text,
  nationality text CHECK (nationality IS NULL OR nationality ~ '^[A-Z]{3}$'),
  other_name text,
  passport_no bytea,
  note text,
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'issued', 'cancelled')),
  cancel_reason text,
  -- Set when the retention run erased the personal items (agent, passport items, note); the row remains.
  erased_at timestamptz,
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
  CHECK (applicant = 'self' OR erased_at IS NOT NULL OR (agent_name IS NOT NULL AND agent_relation IS NOT NULL)),
  CHECK (kind <> 'covid19-overseas' OR erased_at IS NOT NULL OR (romaji_family IS NOT NULL AND nationality IS NOT NULL AND passport_no IS NOT NULL)),
  CHECK (kind = 'covid19-overseas' OR (romaji_family IS NULL AND romaji_given IS NULL AND nationality IS NULL AND other_name IS NULL AND passport_no IS NULL)),
  CHECK (status <> 'cancelled' OR cancel_reason IS NOT NULL)
);
CREATE INDEX certificate_applications_person ON municipality.certificate_applications (tenant_code, atena_no, received_on);
CREATE INDEX certificate_applications_open ON municipality.certificate_applications (tenant_code, received_on) WHERE status = 'received';
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.certificate_applications FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.certificate_applications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.certificate_applications TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.certificate_applications TO mamori_app;

-- 証明書交付簿: one row per issued certificate.  `records` lists the record ids and versions certified,
-- `excluded` the records left out and why (接種日不明 …); `content` is the certified content as printed
-- (never the 旅券番号), hashed into content_sha256; a COVID-19 certificate also keeps its SMART Health Card
-- (the JWS, its SHA-256 and the signing key's kid).  The created_* stamps say who issued it, when and where.
CREATE TABLE municipality.certificates (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  certificate_no text NOT NULL CHECK (certificate_no ~ '^[0-9]{17}$'),
  application_id uuid NOT NULL,
  atena_no text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('completion', 'history', 'covid19-domestic', 'covid19-overseas')),
  issue_date date NOT NULL,
  -- 再交付: the certificate this one replaces (same table; no foreign key, see above).
  previous_id uuid,
  records jsonb NOT NULL,
  excluded jsonb NOT NULL DEFAULT '[]',
  dose_count int NOT NULL CHECK (dose_count >= 1),
  formats text[] NOT NULL,
  content jsonb,
  content_sha256 bytea NOT NULL CHECK (length(content_sha256) = 32),
  shc_kid text,
  shc_jws text,
  shc_jws_sha256 bytea CHECK (shc_jws_sha256 IS NULL OR length(shc_jws_sha256) = 32),
  shc_qr_count int,
  status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'revoked')),
  revoked_at timestamptz,
  revoked_reason text,
  -- Set when the retention run erased the content and the card; number, dates, kind and hashes remain.
  erased_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, certificate_no),
  -- One certificate per application: a double submit cannot issue twice.
  UNIQUE (tenant_code, application_id),
  FOREIGN KEY (tenant_code, application_id) REFERENCES municipality.certificate_applications (tenant_code, id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no),
  CHECK ((kind IN ('covid19-domestic', 'covid19-overseas')) = (shc_jws_sha256 IS NOT NULL AND shc_kid IS NOT NULL)),
  CHECK (erased_at IS NOT NULL OR content IS NOT NULL),
  CHECK (status <> 'revoked' OR (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL))
);
CREATE INDEX certificates_person ON municipality.certificates (tenant_code, atena_no, created_at);
CREATE INDEX certificates_issue_date ON municipality.certificates (tenant_code, issue_date);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.certificates FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.certificates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.certificates TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.certificates TO mamori_app;

-- 証明書番号 serials: per municipality and fiscal year, allocated inside the issuing transaction (a rolled-back
-- issue returns its serial, so the register has no gaps).
CREATE TABLE municipality.certificate_serials (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2099),
  last_serial int NOT NULL CHECK (last_serial BETWEEN 1 AND 9999999),
  PRIMARY KEY (tenant_code, fiscal_year)
);
ALTER TABLE municipality.certificate_serials ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.certificate_serials TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.certificate_serials TO mamori_app;
