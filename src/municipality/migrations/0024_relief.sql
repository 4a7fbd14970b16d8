-- 予防接種による健康被害の救済 (VAX-34; decisions 0161, 0162): the case from the application to the payment
-- orders.  The applicant's My Number lives in the vault (subject 'relief-applicant', the case id), never here.
-- Every step is also an operation-log entry; relief_events is the case's own timeline (no personal numbers).
-- Tenant-keyed, RLS.  Amounts are whole 円.

CREATE TABLE municipality.relief_cases (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- 受付番号: per tenant, in the order of receipt.
  case_no bigint NOT NULL,
  atena_no text NOT NULL,
  status text NOT NULL CHECK (status IN ('received', 'examined', 'reported', 'approved', 'denied', 'paying', 'closed', 'withdrawn')),
  applied_on date NOT NULL,
  claimed_kinds text[] NOT NULL,
  summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
  applicant_relation text NOT NULL CHECK (applicant_relation IN ('self', 'guardian', 'bereaved', 'other')),
  applicant_name text NOT NULL CHECK (length(applicant_name) BETWEEN 1 AND 100),
  applicant_kana text NOT NULL CHECK (length(applicant_kana) BETWEEN 1 AND 100),
  applicant_address text NOT NULL CHECK (length(applicant_address) BETWEEN 1 AND 200),
  applicant_phone text,
  -- 本人確認 when the number was taken (番号法16条, 施行令12条).
  id_method text NOT NULL CHECK (id_method IN ('mynumber-card', 'notification-card-and-photo-id', 'resident-record-and-photo-id', 'other')),
  id_note text,
  id_checked_by text NOT NULL,
  id_checked_at timestamptz NOT NULL,
  -- How the number compared with the injured person's number on the resident record (when the applicant is the person).
  number_check text NOT NULL CHECK (number_check IN ('matches-resident', 'resident-has-none', 'not-the-person')),
  -- 国の判定 (the state's decision; the municipality records it, never makes it).
  decision text CHECK (decision IN ('approved', 'denied')),
  decision_on date,
  decision_ref text,
  approved_kinds text[],
  closed_reason text,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, case_no),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no),
  CHECK ((decision IS NULL) = (decision_on IS NULL))
);
CREATE INDEX relief_cases_status ON municipality.relief_cases (tenant_code, status, case_no DESC);
CREATE INDEX relief_cases_person ON municipality.relief_cases (tenant_code, atena_no);
ALTER TABLE municipality.relief_cases ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_cases TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.relief_cases TO mamori_app;

-- The vaccination records the application concerns (the injured person's own records).
CREATE TABLE municipality.relief_case_records (
  tenant_code text NOT NULL,
  case_id uuid NOT NULL,
  record_id uuid NOT NULL,
  added_at timestamptz NOT NULL,
  added_by text NOT NULL,
  PRIMARY KEY (tenant_code, case_id, record_id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id),
  FOREIGN KEY (tenant_code, record_id) REFERENCES municipality.vaccination_records (tenant_code, id)
);
ALTER TABLE municipality.relief_case_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_case_records TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_case_records TO mamori_app;

-- 受け付けた書類: a kind from the list, the day received, kept sealed (原本を封入保管) or referenced (文書番号等).
CREATE TABLE municipality.relief_documents (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL,
  kind text NOT NULL,
  received_on date NOT NULL,
  handling text NOT NULL CHECK (handling IN ('sealed', 'referenced')),
  reference text,
  note text,
  recorded_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id)
);
CREATE INDEX relief_documents_case ON municipality.relief_documents (tenant_code, case_id);
ALTER TABLE municipality.relief_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_documents TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_documents TO mamori_app;

-- 情報連携で入手する情報: planned (a step to do) or obtained (with the inquiry it came from, when it was one of ours).
CREATE TABLE municipality.relief_information (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL,
  item text NOT NULL,
  provider_code text CHECK (provider_code IS NULL OR provider_code ~ '^[0-9]{6}$'),
  status text NOT NULL CHECK (status IN ('planned', 'obtained')),
  exchange_id text,
  obtained_on date,
  note text,
  recorded_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id),
  FOREIGN KEY (tenant_code, exchange_id) REFERENCES municipality.exchange_inquiries (tenant_code, exchange_id),
  CHECK ((status = 'obtained') = (obtained_on IS NOT NULL))
);
CREATE INDEX relief_information_case ON municipality.relief_information (tenant_code, case_id);
ALTER TABLE municipality.relief_information ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_information TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.relief_information TO mamori_app;

-- 予防接種健康被害調査委員会: each meeting on the case (date, members, opinion).
CREATE TABLE municipality.relief_committee (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL,
  held_on date NOT NULL,
  members text[] NOT NULL CHECK (cardinality(members) BETWEEN 1 AND 30),
  opinion text NOT NULL CHECK (length(opinion) BETWEEN 1 AND 4000),
  recorded_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id)
);
ALTER TABLE municipality.relief_committee ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_committee TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_committee TO mamori_app;

-- 進達: the report to the state (through the prefecture), one per case.
CREATE TABLE municipality.relief_reports (
  tenant_code text NOT NULL,
  case_id uuid NOT NULL,
  reported_on date NOT NULL,
  reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
  note text,
  recorded_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  PRIMARY KEY (tenant_code, case_id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id)
);
ALTER TABLE municipality.relief_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_reports TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_reports TO mamori_app;

-- 給付: a benefit kind the state approved, with its period (not for the lump sums) and amount.
CREATE TABLE municipality.relief_benefits (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('medical-expenses', 'medical-allowance', 'child-disability-pension', 'disability-pension', 'death-lump-sum', 'funeral')),
  period_from date,
  period_to date,
  amount bigint NOT NULL CHECK (amount > 0),
  decided_on date NOT NULL,
  note text,
  recorded_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id),
  CHECK ((period_from IS NULL) = (period_to IS NULL) AND (period_from IS NULL OR period_from <= period_to))
);
CREATE INDEX relief_benefits_case ON municipality.relief_benefits (tenant_code, case_id);
ALTER TABLE municipality.relief_benefits ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_benefits TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_benefits TO mamori_app;

-- 支払指示: what the person payment batch (総合振込) pays, with the account as confirmed when ordered.
CREATE TABLE municipality.relief_payment_orders (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL,
  benefit_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  pay_on date NOT NULL,
  account_source text NOT NULL CHECK (account_source IN ('public-receipt', 'applicant')),
  account_confirmed_on date NOT NULL,
  bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$' AND bank_code <> '0000'),
  bank_kana text,
  branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
  branch_kana text,
  account_type text NOT NULL CHECK (account_type IN ('1', '2', '4')),
  account_no text NOT NULL CHECK (account_no ~ '^[0-9]{7}$'),
  holder_kana text NOT NULL CHECK (length(holder_kana) BETWEEN 1 AND 30),
  status text NOT NULL CHECK (status IN ('ordered', 'batched', 'paid')),
  batch_id uuid,
  paid_on date,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id),
  FOREIGN KEY (tenant_code, benefit_id) REFERENCES municipality.relief_benefits (tenant_code, id)
);
CREATE INDEX relief_payment_orders_open ON municipality.relief_payment_orders (tenant_code, pay_on) WHERE status = 'ordered';
CREATE INDEX relief_payment_orders_case ON municipality.relief_payment_orders (tenant_code, case_id);
ALTER TABLE municipality.relief_payment_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_payment_orders TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.relief_payment_orders TO mamori_app;

-- The case's timeline: one row per step, in order.
CREATE TABLE municipality.relief_events (
  tenant_code text NOT NULL,
  case_id uuid NOT NULL,
  seq int NOT NULL,
  step text NOT NULL,
  status_after text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL,
  by_login text NOT NULL,
  PRIMARY KEY (tenant_code, case_id, seq),
  FOREIGN KEY (tenant_code, case_id) REFERENCES municipality.relief_cases (tenant_code, id)
);
ALTER TABLE municipality.relief_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.relief_events TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.relief_events TO mamori_app;
