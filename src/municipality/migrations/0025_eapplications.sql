-- 申請管理 (issue 14 point 5; XCH-26…XCH-30; decisions 0155, 0156; docs/formats/eapply-protocol.md):
-- electronic applications collected from サービス検索・電子申請機能, their signature check and applicant
-- identification, the status workflow before anything enters the ledger, superseded versions, and the
-- hand-over of accepted reimbursement applications to the reimbursement work.
--
-- One row per application received (the portal's 申請番号 unique per tenant: a re-fetch after a lost ack
-- writes nothing twice).  A rejected-at-receipt row keeps no form at all (its content was not verified).
-- The signed document as received — it may carry a My Number — is kept sealed (AES-256-GCM under the
-- tenant's 'mynumber' data key) only while the application is open and erased when it is decided or
-- superseded (XCH-30); `form` never holds the My Number.
CREATE TABLE municipality.eapplications (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  application_no uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('vaccination-request', 'certificate-reissue', 'reimbursement', 'unknown')),
  status text NOT NULL CHECK (status IN ('checked', 'under_review', 'accepted', 'rejected', 'superseded')),
  submitted_at timestamptz NOT NULL,
  fetched_at timestamptz NOT NULL,
  verified boolean NOT NULL,
  reject_code text,
  reject_reason text,
  cert_serial text,
  cert_not_after timestamptz,
  applicant_atena text,
  subject_atena text,
  relation text,
  form jsonb,
  had_mynumber boolean NOT NULL DEFAULT false,
  document_sha256 text NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
  sealed_document bytea,
  supersedes_id uuid,
  superseded_by uuid,
  reviewed_by text,
  reviewed_at timestamptz,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  effect jsonb,
  erased_at timestamptz,
  -- Retention (data class 'eapplication-content'): the form erased some years after the decision.
  content_erased_at timestamptz,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, application_no),
  CHECK (status <> 'rejected' OR reject_reason IS NOT NULL),
  CHECK (verified OR (status = 'rejected' AND form IS NULL AND sealed_document IS NULL)),
  CHECK (status IN ('checked', 'under_review') OR sealed_document IS NULL)
);
CREATE INDEX eapplications_list ON municipality.eapplications (tenant_code, status, fetched_at DESC);
CREATE INDEX eapplications_subject ON municipality.eapplications (tenant_code, subject_atena);
ALTER TABLE municipality.eapplications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.eapplications TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.eapplications TO mamori_app;

-- The status history of each application (who moved it from what to what, when, why).
CREATE TABLE municipality.eapplication_events (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  seq bigserial NOT NULL,
  application_id uuid NOT NULL,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  note text,
  PRIMARY KEY (tenant_code, seq),
  FOREIGN KEY (tenant_code, application_id) REFERENCES municipality.eapplications (tenant_code, id)
);
CREATE INDEX eapplication_events_app ON municipality.eapplication_events (tenant_code, application_id, seq);
ALTER TABLE municipality.eapplication_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.eapplication_events TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.eapplication_events TO mamori_app;
GRANT USAGE ON SEQUENCE municipality.eapplication_events_seq_seq TO mamori_app;

-- Accepted applications whose effect belongs to another part of the system (kind 'reimbursement': the
-- 償還払い work).  One hand-over per application and kind; the taking part marks it taken with its own id.
CREATE TABLE municipality.eapplication_handovers (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('reimbursement')),
  application_id uuid NOT NULL,
  applicant_atena text NOT NULL,
  subject_atena text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  taken_at timestamptz,
  taken_by text,
  taken_ref text,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, application_id, kind),
  FOREIGN KEY (tenant_code, application_id) REFERENCES municipality.eapplications (tenant_code, id)
);
CREATE INDEX eapplication_handovers_open ON municipality.eapplication_handovers (tenant_code, kind, created_at) WHERE taken_at IS NULL;
ALTER TABLE municipality.eapplication_handovers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.eapplication_handovers TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.eapplication_handovers TO mamori_app;
