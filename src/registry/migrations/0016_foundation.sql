-- The 介護福祉士 linkage with (公財)社会福祉振興・試験センター's 登録情報連携システム (node `shiken`; issue 16 Must
-- have 6; QUA-30, QUA-31, QUA-32, QUA-40; decisions 0229–0232).  Every table is under the tenant RLS policy.

-- 資格仮名ID assigned to an application before registration (QUA-30: an online application is handed to the
-- foundation as 資格仮名ID + items 3–80; a paper application with My Number gets its 資格仮名ID back).  The
-- registration of that application uses this 資格仮名ID (register.ts); a person has one per 資格管理者.
CREATE TABLE registry.pseudonym_reservations (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  pseudonym_id text NOT NULL,
  blind_index bytea NOT NULL,
  reserved_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, application_id),
  FOREIGN KEY (tenant_code, pseudonym_id) REFERENCES registry.registrants (tenant_code, pseudonym_id)
);
CREATE INDEX pseudonym_reservations_person ON registry.pseudonym_reservations (tenant_code, blind_index);
ALTER TABLE registry.pseudonym_reservations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.pseudonym_reservations TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT ON registry.pseudonym_reservations TO mamori_registry;

-- What was handed to the foundation (insert only): an online application (1) or the 資格仮名ID of a paper
-- application it sent (2), by message (api) or file (file); the digest of what was sent, so a change is sent
-- again and the same content never twice.
CREATE TABLE registry.foundation_outbound (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  application_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('online', 'link')),
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  via text NOT NULL CHECK (via IN ('api', 'file')),
  batch_id text NOT NULL CHECK (length(batch_id) <= 64),
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, application_id, kind, digest)
);
ALTER TABLE registry.foundation_outbound ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.foundation_outbound TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT ON registry.foundation_outbound TO mamori_registry;

-- 試験合格者 the foundation sent (items 3–80 of 別添2, keyed by 合格証書番号).  Same content again: nothing
-- changes; other content under the same number refuses the batch.
CREATE TABLE registry.foundation_passers (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  certificate_no text NOT NULL CHECK (certificate_no ~ '^[0-9A-Z-]{1,16}$'),
  items jsonb NOT NULL,
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  batch_id text NOT NULL CHECK (length(batch_id) <= 64),
  received_via text NOT NULL CHECK (received_via IN ('api', 'file')),
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, certificate_no)
);
ALTER TABLE registry.foundation_passers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.foundation_passers TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT ON registry.foundation_passers TO mamori_registry;

-- The media ledger (QUA-32, QUA-40): every file received from or written for the foundation — its digest,
-- layout, rows, who and when at each step.  An inbound file's bytes (still the password-protected, encrypted
-- ZIP: locked) are kept only until its rows are registered, then discarded (content NULL); the row stays.
CREATE TABLE registry.media_ledger (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  id uuid NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
  layout text NOT NULL CHECK (layout IN ('kaigo-inbound-v1', 'kaigo-outbound-v1')),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size int NOT NULL CHECK (size >= 1),
  rows int NOT NULL CHECK (rows >= 0),
  status text NOT NULL CHECK (status IN ('received', 'registered', 'discarded', 'written')),
  content bytea,
  received_by text NOT NULL CHECK (length(received_by) BETWEEN 1 AND 60),
  received_at timestamptz NOT NULL,
  registered_at timestamptz,
  discarded_by text,
  discarded_at timestamptz,
  PRIMARY KEY (tenant_code, id),
  CHECK ((status = 'received') = (direction = 'in' AND registered_at IS NULL)),
  CHECK (status <> 'discarded' OR (content IS NULL AND discarded_at IS NOT NULL AND discarded_by IS NOT NULL)),
  CHECK (direction = 'in' OR content IS NULL)
);
CREATE UNIQUE INDEX media_ledger_inbound_digest ON registry.media_ledger (tenant_code, sha256) WHERE direction = 'in';
ALTER TABLE registry.media_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.media_ledger TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT ON registry.media_ledger TO mamori_registry;
GRANT UPDATE (status, content, registered_at, discarded_by, discarded_at) ON registry.media_ledger TO mamori_registry;
