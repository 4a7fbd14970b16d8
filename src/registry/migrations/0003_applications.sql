-- Applications to a 資格管理者 (issue 15 Must have 3 and 4; QUA-02…08, QUA-18; decision 0179): one row per
-- application whatever its channel (マイナポータル or paper at the counter) and procedure (新規登録, 籍訂正,
-- 書換え交付, 再交付, 抹消), its history of events (insert only), its attachments and the applicant's My
-- Number sealed with the registry's key.  The form is kept as validated, without the My Number.

CREATE TABLE registry.applications (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  id uuid NOT NULL,
  procedure text NOT NULL CHECK (procedure IN ('new', 'correction', 'rewrite', 'reissue', 'erasure')),
  channel text NOT NULL CHECK (channel IN ('online', 'paper')),
  -- received: 受付（審査待ち）; returned: 補正依頼中; approved: 承認（登録済み）; rejected: 却下; withdrawn: 取下げ.
  status text NOT NULL CHECK (status IN ('received', 'returned', 'approved', 'rejected', 'withdrawn')),
  form jsonb NOT NULL,
  -- The entry concerned: for a new registration the one made on approval; otherwise the entry to change.
  registration_no bigint CHECK (registration_no >= 1),
  -- マイナポータル仮名ID (QUA-05): the only way the registry knows an online applicant towards the portal.
  portal_pseudonym text CHECK (portal_pseudonym ~ '^[A-Za-z0-9_-]{8,64}$'),
  -- Online: the signed document exactly as received, the 署名用電子証明書 and the signature (QUA-03), kept
  -- as the application's evidence; verified on receipt (nothing is stored when it does not verify).
  signed_text text,
  signer_cert_pem text,
  signature text,
  -- Paper: the identity proof the official saw at the counter (QUA-06), e.g. {"documents":["マイナンバーカード"],"checkedBy":"…"}.
  identity_proof jsonb,
  received_at timestamptz NOT NULL,
  received_by text NOT NULL,
  decided_at timestamptz,
  decided_by text,
  decision_reason text CHECK (length(decision_reason) <= 1000),
  revision int NOT NULL DEFAULT 1 CHECK (revision >= 1),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code),
  CHECK ((channel = 'online') = (portal_pseudonym IS NOT NULL AND signed_text IS NOT NULL AND signer_cert_pem IS NOT NULL AND signature IS NOT NULL)),
  CHECK ((channel = 'paper') = (identity_proof IS NOT NULL)),
  CHECK ((status IN ('approved', 'rejected', 'withdrawn')) = (decided_at IS NOT NULL AND decided_by IS NOT NULL)),
  CHECK (procedure = 'new' OR registration_no IS NOT NULL)
);
CREATE INDEX applications_queue ON registry.applications (tenant_code, status, received_at);
CREATE INDEX applications_portal ON registry.applications (portal_pseudonym, received_at) WHERE portal_pseudonym IS NOT NULL;

-- What happened to an application, in order (insert only): received, checks and their results, returns for
-- correction and resubmissions, fees, decisions.  `detail` never holds a My Number.
CREATE TABLE registry.application_events (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{1,39}$'),
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, application_id, seq),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id)
);

-- Attachments (PDF or JPEG; type and size checked before they get here).
CREATE TABLE registry.application_attachments (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  media_type text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg')),
  size int NOT NULL CHECK (size BETWEEN 1 AND 10485760),
  sha256 bytea NOT NULL CHECK (length(sha256) = 32),
  content bytea NOT NULL,
  PRIMARY KEY (tenant_code, application_id, seq),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id),
  CHECK (length(content) = size)
);

-- The applicant's My Number (from the card's 券面事項入力補助 online, or checked at the counter on paper),
-- sealed with the registry's key bound to the application, and its blind index.
CREATE TABLE registry.application_mynumbers (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  ciphertext bytea NOT NULL,
  key_version int NOT NULL,
  blind_index bytea NOT NULL,
  stored_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, application_id),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id)
);
CREATE INDEX application_mynumbers_index ON registry.application_mynumbers (tenant_code, blind_index);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['applications', 'application_events', 'application_attachments', 'application_mynumbers'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON registry.applications TO mamori_registry;
GRANT SELECT, INSERT ON registry.application_events TO mamori_registry;
GRANT SELECT, INSERT ON registry.application_attachments TO mamori_registry;
GRANT SELECT, INSERT, DELETE ON registry.application_mynumbers TO mamori_registry;
