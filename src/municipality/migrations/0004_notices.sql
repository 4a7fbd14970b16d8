-- Notices and vouchers ledger (issue 5 points 2 and 3; VAX-09..15, VAX-25, KRN-50; decisions 0065–0069):
-- wording templates per municipality and document type (versioned, immutable), the municipality's letterhead,
-- voucher serials, document batches and one item per person and document (voucher number, encrypted 整理番号,
-- 印刷区分, 印刷日, 発送日, 返送, 再発行, voided numbers) with an event history, and the contractor hand-over
-- ledger (受渡管理簿).  Every table is tenant-keyed with RLS like 0002_records.sql.

-- Wording templates: each edit is a new version; versions are never updated or deleted (insert-only grant).
CREATE TABLE municipality.notice_templates (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  doc_type text NOT NULL CHECK (doc_type IN ('questionnaire', 'guidance', 'reminder', 'request')),
  version int NOT NULL CHECK (version >= 1),
  template jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  PRIMARY KEY (tenant_code, doc_type, version)
);
ALTER TABLE municipality.notice_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_templates TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.notice_templates TO mamori_app;

-- The sender block printed on every document (首長名, 担当課, 問合せ先); the name comes from kernel.organisations.
CREATE TABLE municipality.notice_settings (
  tenant_code text PRIMARY KEY REFERENCES kernel.organisations(code),
  head text NOT NULL,
  department text NOT NULL,
  postal_code text,
  address text,
  phone text NOT NULL,
  contact text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT ''
);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.notice_settings FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.notice_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_settings TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.notice_settings TO mamori_app;

-- Serials per municipality, fiscal year and series (decision 0056): 'voucher' numbers the 接種券番号 of
-- 予診票, 'document' numbers the other documents (their 整理番号 needs a serial; 接種券番号 stay gap-free).
-- Taken inside the issuing transaction, so a rolled-back batch gives its serials back: no gaps on retry.
CREATE TABLE municipality.notice_serials (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  series text NOT NULL CHECK (series IN ('voucher', 'document')),
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2099),
  last_serial int NOT NULL CHECK (last_serial BETWEEN 0 AND 999999999),
  PRIMARY KEY (tenant_code, series, fiscal_year)
);
ALTER TABLE municipality.notice_serials ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_serials TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.notice_serials TO mamori_app;

-- A batch: the documents of one extraction run for one document type (and optionally one program), or an
-- ad-hoc document for one person, or a reissue.  A run's batch is created once (unique key below).
CREATE TABLE municipality.notice_batches (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('run', 'ad-hoc', 'reissue')),
  run_id uuid,
  run_key text,
  doc_type text NOT NULL CHECK (doc_type IN ('questionnaire', 'guidance', 'reminder', 'request')),
  program text,
  template_version int NOT NULL,
  issue_date date NOT NULL,
  title text NOT NULL,
  municipality jsonb NOT NULL,
  persons int NOT NULL DEFAULT 0,
  mailed int NOT NULL DEFAULT 0,
  counter int NOT NULL DEFAULT 0,
  skipped int NOT NULL DEFAULT 0,
  skipped_detail jsonb NOT NULL DEFAULT '{}',
  dispatched_on date,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, doc_type, template_version) REFERENCES municipality.notice_templates (tenant_code, doc_type, version),
  CHECK ((kind = 'run') = (run_id IS NOT NULL AND run_key IS NOT NULL))
);
CREATE UNIQUE INDEX notice_batches_run ON municipality.notice_batches (tenant_code, run_key) WHERE run_key IS NOT NULL;
CREATE INDEX notice_batches_created ON municipality.notice_batches (tenant_code, created_at DESC);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.notice_batches FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.notice_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_batches TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.notice_batches TO mamori_app;

-- One document for one person (VAX-12): what was printed (the document snapshot, never a My Number), its
-- numbers, 印刷区分 (normal 通常 / reissue 再発行 / counter 窓口交付), 印刷日, 発送日, 返送, and — when voided
-- by a reissue — the reason and the item that replaced it.  Voided numbers stay (they must never come back).
CREATE TABLE municipality.notice_items (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  batch_id uuid NOT NULL,
  seq int NOT NULL,
  atena_no text NOT NULL,
  doc_type text NOT NULL CHECK (doc_type IN ('questionnaire', 'guidance', 'reminder', 'request')),
  program text,
  program_name text NOT NULL,
  dose int CHECK (dose IS NULL OR dose BETWEEN 1 AND 99),
  dose_label text,
  voucher_no text CHECK (voucher_no IS NULL OR voucher_no ~ '^[0-9]{18}$'),
  series text NOT NULL CHECK (series IN ('voucher', 'document')),
  fiscal_year int NOT NULL,
  serial int NOT NULL,
  reference_no text NOT NULL,
  template_version int NOT NULL,
  print_class text NOT NULL CHECK (print_class IN ('normal', 'reissue', 'counter')),
  mail boolean NOT NULL,
  printed_on date NOT NULL,
  sort_key text NOT NULL,
  document jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'void')),
  voided_on date,
  void_reason text,
  replaced_by uuid,
  reissue_of uuid,
  reissue_count int NOT NULL DEFAULT 0 CHECK (reissue_count >= 0),
  reissued_on date,
  reissue_reason text,
  identity_check text,
  dispatched_on date,
  returned_on date,
  return_reason text,
  follow_up text CHECK (follow_up IS NULL OR follow_up IN ('open', 'resolved')),
  follow_up_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.notice_batches (tenant_code, id),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no),
  CHECK ((status = 'void') = (voided_on IS NOT NULL)),
  CHECK (returned_on IS NULL OR return_reason IS NOT NULL),
  CHECK ((series = 'voucher') = (voucher_no IS NOT NULL))
);
CREATE UNIQUE INDEX notice_items_voucher ON municipality.notice_items (tenant_code, voucher_no) WHERE voucher_no IS NOT NULL;
CREATE UNIQUE INDEX notice_items_reference ON municipality.notice_items (tenant_code, reference_no);
CREATE UNIQUE INDEX notice_items_serial ON municipality.notice_items (tenant_code, series, fiscal_year, serial);
CREATE UNIQUE INDEX notice_items_order ON municipality.notice_items (tenant_code, batch_id, seq);
CREATE INDEX notice_items_person ON municipality.notice_items (tenant_code, atena_no, created_at);
CREATE INDEX notice_items_follow_up ON municipality.notice_items (tenant_code, returned_on) WHERE follow_up = 'open';
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.notice_items FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.notice_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_items TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.notice_items TO mamori_app;

-- What happened to an item, in order (issue, dispatch, return, follow-up, void, reissue, hand-over).
CREATE TABLE municipality.notice_item_events (
  tenant_code text NOT NULL,
  item_id uuid NOT NULL,
  seq int NOT NULL,
  event text NOT NULL CHECK (event IN ('issue', 'dispatch', 'return', 'follow-up', 'void', 'reissue', 'handover')),
  on_date date,
  detail jsonb NOT NULL DEFAULT '{}',
  actor text NOT NULL,
  terminal text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_code, item_id, seq),
  FOREIGN KEY (tenant_code, item_id) REFERENCES municipality.notice_items (tenant_code, id)
);
ALTER TABLE municipality.notice_item_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_item_events TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.notice_item_events TO mamori_app;

-- 受渡管理簿 (KRN-50, seed 002): every package handed to the printing contractor — who, when, what (files,
-- persons, pages, SHA-256 of the package), to whom, on which medium, until when it may be used, how it comes
-- back, the contractor's receipt and the confirmation of return or erasure.  Never the password.
CREATE TABLE municipality.notice_handovers (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  batch_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('prepared', 'failed', 'delivered', 'received', 'closed')),
  recipient text NOT NULL,
  recipient_person text,
  medium text NOT NULL,
  password_delivery text NOT NULL,
  use_until date NOT NULL,
  return_method text NOT NULL,
  file_name text NOT NULL,
  contents jsonb NOT NULL,
  persons int NOT NULL,
  pages int NOT NULL,
  package_sha256 text,
  package_bytes bigint,
  handed_by text NOT NULL,
  handed_at timestamptz NOT NULL DEFAULT now(),
  received_on date,
  received_by text,
  received_note text,
  closed_on date,
  closed_how text CHECK (closed_how IS NULL OR closed_how IN ('returned', 'erased')),
  closed_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT '',
  created_terminal text,
  created_program text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT '',
  updated_terminal text,
  updated_program text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.notice_batches (tenant_code, id)
);
CREATE INDEX notice_handovers_handed ON municipality.notice_handovers (tenant_code, handed_at DESC);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON municipality.notice_handovers FOR EACH ROW EXECUTE FUNCTION kernel.stamp();
ALTER TABLE municipality.notice_handovers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.notice_handovers TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.notice_handovers TO mamori_app;
