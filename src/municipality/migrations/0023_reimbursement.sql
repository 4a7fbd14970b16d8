-- 償還払い (VAX-33) and the bank accounts of persons (RES-20): issue 14; decisions 0159, 0160;
-- docs/formats/zengin-transfer.md.  Per-person accounts (refund / benefit; from an application or the
-- 公金受取口座), the tenant's 任意接種 subsidy programs, residents' reimbursement applications with their
-- receipts, examination and approval, and the payment of persons in the same payment batches and 総合振込
-- file as institutions.  Tenant-keyed, RLS.  Amounts are whole 円.

-- 口座: one per person per purpose.  Kana in 全銀 characters (converted on entry).
CREATE TABLE municipality.person_accounts (
  tenant_code text NOT NULL,
  atena_no text NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('refund', 'benefit')),
  source text NOT NULL CHECK (source IN ('application', 'koukin')),
  bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$' AND bank_code <> '0000'),
  bank_kana text,
  branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
  branch_kana text,
  account_type text NOT NULL CHECK (account_type IN ('1', '2', '4')),
  account_no text NOT NULL CHECK (account_no ~ '^[0-9]{7}$'),
  holder_kana text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, atena_no, purpose),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no)
);
ALTER TABLE municipality.person_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.person_accounts TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.person_accounts TO mamori_app;

-- 任意接種の助成制度: who (age on the vaccination date, residence, conditions to confirm), which program,
-- how much (a fixed amount, or what was paid up to a ceiling), valid from/until (vaccination dates).
CREATE TABLE municipality.subsidy_programs (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  code text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  name text NOT NULL,
  program text NOT NULL,
  min_age int NOT NULL CHECK (min_age BETWEEN 0 AND 150),
  max_age int CHECK (max_age IS NULL OR max_age BETWEEN 0 AND 150),
  residents_only boolean NOT NULL,
  conditions text[] NOT NULL DEFAULT '{}',
  amount_kind text NOT NULL CHECK (amount_kind IN ('fixed', 'up-to-cost')),
  amount int NOT NULL CHECK (amount > 0),
  valid_from date NOT NULL,
  valid_until date,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (tenant_code, code),
  CHECK (max_age IS NULL OR max_age >= min_age),
  CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
ALTER TABLE municipality.subsidy_programs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.subsidy_programs TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.subsidy_programs TO mamori_app;

-- 償還払いの申請: the receipt as submitted, the examination (ledger record, eligibility, decided amount and
-- reason), the approval and the payment.  external_ref makes an electronic application's arrival idempotent.
CREATE TABLE municipality.reimbursements (
  tenant_code text NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  no bigint GENERATED ALWAYS AS IDENTITY,
  atena_no text NOT NULL,
  subsidy_code text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('counter', 'electronic')),
  external_ref text,
  received_on date NOT NULL,
  clinic_name text NOT NULL,
  institution_code text,
  vaccinated_on date NOT NULL,
  amount_paid int NOT NULL CHECK (amount_paid > 0),
  status text NOT NULL CHECK (status IN ('received', 'examined', 'approved', 'rejected', 'paid')),
  record_id uuid,
  eligible boolean,
  decided_amount int CHECK (decided_amount IS NULL OR decided_amount >= 0),
  reason text,
  examined_at timestamptz,
  examined_by text,
  approved_at timestamptz,
  approved_by text,
  payment_batch_id uuid,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  PRIMARY KEY (tenant_code, id),
  UNIQUE (tenant_code, no),
  FOREIGN KEY (tenant_code, atena_no) REFERENCES municipality.persons (tenant_code, atena_no),
  FOREIGN KEY (tenant_code, subsidy_code) REFERENCES municipality.subsidy_programs (tenant_code, code),
  FOREIGN KEY (tenant_code, record_id) REFERENCES municipality.vaccination_records (tenant_code, id),
  FOREIGN KEY (tenant_code, payment_batch_id) REFERENCES municipality.payment_batches (tenant_code, id),
  CHECK (status <> 'paid' OR payment_batch_id IS NOT NULL),
  CHECK (status NOT IN ('approved', 'paid') OR (eligible AND decided_amount > 0 AND approved_by IS NOT NULL))
);
CREATE UNIQUE INDEX reimbursements_external ON municipality.reimbursements (tenant_code, external_ref) WHERE external_ref IS NOT NULL;
-- A ledger record is reimbursed once: an eligible decision holds it.
CREATE UNIQUE INDEX reimbursements_record_once ON municipality.reimbursements (tenant_code, record_id) WHERE eligible AND status IN ('examined', 'approved', 'paid');
CREATE INDEX reimbursements_status ON municipality.reimbursements (tenant_code, status, no);
ALTER TABLE municipality.reimbursements ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.reimbursements TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.reimbursements TO mamori_app;

-- A batch may pay persons only (no claim month).
ALTER TABLE municipality.payment_batches ALTER COLUMN month DROP NOT NULL;

-- 個人への支払: one per thing paid to a person, ever (UNIQUE on kind + source), with the account as it was when
-- the batch was made.  kind 'reimbursement' (償還払い) now; 'relief' (健康被害救済の給付, its payment orders) is
-- reserved for the relief part (docs/wip/wt-reimburse.md).
CREATE TABLE municipality.person_payments (
  tenant_code text NOT NULL,
  batch_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('reimbursement', 'relief')),
  source_id uuid NOT NULL,
  reimbursement_id uuid CHECK ((kind = 'reimbursement') = (reimbursement_id IS NOT NULL) AND (reimbursement_id IS NULL OR reimbursement_id = source_id)),
  atena_no text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  customer_code text NOT NULL CHECK (customer_code ~ '^[0-9]{10}$'),
  bank_code text NOT NULL,
  bank_kana text,
  branch_code text NOT NULL,
  branch_kana text,
  account_type text NOT NULL,
  account_no text NOT NULL,
  holder_kana text NOT NULL,
  account_source text NOT NULL,
  transfer_date date NOT NULL,
  PRIMARY KEY (tenant_code, batch_id, kind, source_id),
  UNIQUE (tenant_code, kind, source_id),
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.payment_batches (tenant_code, id),
  FOREIGN KEY (tenant_code, reimbursement_id) REFERENCES municipality.reimbursements (tenant_code, id)
);
ALTER TABLE municipality.person_payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.person_payments TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT ON municipality.person_payments TO mamori_app;
