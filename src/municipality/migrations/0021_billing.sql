-- 医療機関への接種委託料の請求と支払 (issue 13 part B; VAX-32, PMH-18; decision 0149, 0150;
-- docs/formats/clinic-protocol.md §4–5, docs/formats/zengin-transfer.md): unit prices per program, payees
-- (the institutions' accounts), the municipality's own account (依頼人), the monthly claims checked at 国保連
-- with their items, payment batches and one payment per institution per batch; the records gain their claim
-- and payment facts.  Tenant-keyed, RLS.  Amounts are whole 円.

-- 単価: per program, versioned by the day it applies from; the copay is waived for the 減免区分 listed.
CREATE TABLE municipality.billing_prices (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  program text NOT NULL CHECK (length(program) BETWEEN 1 AND 60),
  valid_from date NOT NULL,
  unit_price int NOT NULL CHECK (unit_price >= 0),
  copay int NOT NULL CHECK (copay >= 0),
  copay_waived_for text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, program, valid_from),
  CHECK (copay <= unit_price)
);
ALTER TABLE municipality.billing_prices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.billing_prices TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON municipality.billing_prices TO mamori_app;

-- 支払先: the institution's account for the 総合振込 (全銀 kana, checked again when a file is written).
CREATE TABLE municipality.payees (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  institution_code text NOT NULL CHECK (institution_code ~ '^[0-9]{10}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kana text NOT NULL CHECK (length(kana) BETWEEN 1 AND 100),
  bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
  bank_kana text,
  branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
  branch_kana text,
  account_type text NOT NULL CHECK (account_type IN ('1', '2', '4')),
  account_no text NOT NULL CHECK (account_no ~ '^[0-9]{7}$'),
  holder_kana text NOT NULL CHECK (length(holder_kana) BETWEEN 1 AND 30),
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, institution_code)
);
ALTER TABLE municipality.payees ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.payees TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.payees TO mamori_app;

-- 依頼人: the municipality's own account and 委託者コード for the 総合振込 file (one row per tenant).
CREATE TABLE municipality.billing_settings (
  tenant_code text PRIMARY KEY REFERENCES kernel.organisations(code),
  requester_code text NOT NULL CHECK (requester_code ~ '^[0-9]{10}$'),
  requester_kana text NOT NULL CHECK (length(requester_kana) BETWEEN 1 AND 40),
  bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
  bank_kana text,
  branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
  branch_kana text,
  account_type text NOT NULL CHECK (account_type IN ('1', '2', '4')),
  account_no text NOT NULL CHECK (account_no ~ '^[0-9]{7}$'),
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL
);
ALTER TABLE municipality.billing_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.billing_settings TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.billing_settings TO mamori_app;

-- 支払バッチ: one per payment run (the month's approved claims), with its transfer date.
CREATE TABLE municipality.payment_batches (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  transfer_date date NOT NULL,
  payments int NOT NULL CHECK (payments >= 0),
  amount bigint NOT NULL CHECK (amount >= 0),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX payment_batches_month ON municipality.payment_batches (tenant_code, month, created_at DESC);
ALTER TABLE municipality.payment_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.payment_batches TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.payment_batches TO mamori_app;

-- 請求: one per institution per month per check (a re-claim after a correction is a new claim of the month).
CREATE TABLE municipality.claims (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- The order claims were made in (a record's latest claim; the clock may stand still in a batch).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  institution_code text NOT NULL,
  status text NOT NULL CHECK (status IN ('checking', 'checked', 'approved', 'held', 'paid')),
  items int NOT NULL DEFAULT 0 CHECK (items >= 0),
  accepted int NOT NULL DEFAULT 0 CHECK (accepted >= 0),
  returned int NOT NULL DEFAULT 0 CHECK (returned >= 0),
  amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
  accepted_amount bigint NOT NULL DEFAULT 0 CHECK (accepted_amount >= 0),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  checked_at timestamptz,
  decided_at timestamptz,
  decided_by text,
  hold_reason text,
  payment_batch_id uuid,
  PRIMARY KEY (tenant_code, id),
  FOREIGN KEY (tenant_code, payment_batch_id) REFERENCES municipality.payment_batches (tenant_code, id)
);
CREATE INDEX claims_month ON municipality.claims (tenant_code, month, institution_code);
ALTER TABLE municipality.claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.claims TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.claims TO mamori_app;

-- 請求明細: one per record per claim, with the 国保連 result.  A record has at most one accepted item ever.
CREATE TABLE municipality.claim_items (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  claim_id uuid NOT NULL,
  record_id uuid NOT NULL,
  -- The record's version when claimed: a returned item is claimed again only after a correction.
  record_version int NOT NULL,
  program text NOT NULL,
  dose int,
  vaccinated_on date,
  unit_price int NOT NULL CHECK (unit_price >= 0),
  copay int NOT NULL CHECK (copay >= 0),
  amount int NOT NULL,
  result text CHECK (result IN ('accepted', 'returned')),
  return_code text,
  return_reason text,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, claim_id, record_id),
  FOREIGN KEY (tenant_code, claim_id) REFERENCES municipality.claims (tenant_code, id),
  FOREIGN KEY (tenant_code, record_id) REFERENCES municipality.vaccination_records (tenant_code, id)
);
CREATE UNIQUE INDEX claim_items_accepted_once ON municipality.claim_items (tenant_code, record_id) WHERE result = 'accepted';
CREATE INDEX claim_items_record ON municipality.claim_items (tenant_code, record_id);
ALTER TABLE municipality.claim_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.claim_items TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.claim_items TO mamori_app;

-- 支払: one per institution per batch, with the payee's account as it was when paid.
CREATE TABLE municipality.payments (
  tenant_code text NOT NULL,
  batch_id uuid NOT NULL,
  institution_code text NOT NULL,
  amount bigint NOT NULL CHECK (amount >= 0),
  items int NOT NULL CHECK (items >= 0),
  transfer_date date NOT NULL,
  PRIMARY KEY (tenant_code, batch_id, institution_code),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.payment_batches (tenant_code, id)
);
ALTER TABLE municipality.payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.payments TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.payments TO mamori_app;

-- VAX-32: the record's claim and payment facts (the 支払対象外 flag stays data.notPayable).
ALTER TABLE municipality.vaccination_records
  ADD COLUMN claim_id uuid,
  ADD COLUMN claimed_on date,
  ADD COLUMN paid boolean NOT NULL DEFAULT false,
  ADD COLUMN paid_on date,
  ADD COLUMN payment_batch_id uuid;
CREATE INDEX vaccination_records_unpaid_claim ON municipality.vaccination_records (tenant_code, claim_month) WHERE status = 'active' AND NOT paid;
