-- Fees of an application (issue 15 Must have 7; QUA-19…22; decisions 0196–0198): the fee lines opened from
-- the catalog when an application is received, the online payments the registry creates at the 公金決済 node
-- (it is a merchant), the signed payment events it accepted (each once, in order), and the ledger of money
-- received and refunded — online or by 収入印紙 / 登録免許税の領収証書 seen by staff — from which the income
-- and expenditure totals are read.  The ledger is insert only; nothing here holds a My Number.

-- What an application owes: one line per fee of its qualification and procedure (catalog), e.g. 登録免許税
-- and 登録手数料 for 介護福祉士.  amount NULL: the catalog does not know it (要確認) until staff confirm it.
CREATE TABLE registry.application_fees (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  application_id uuid NOT NULL,
  line int NOT NULL CHECK (line >= 1),
  kind text NOT NULL CHECK (kind IN ('登録免許税', '登録手数料', '手数料')),
  amount int CHECK (amount >= 0 AND amount <= 1000000),
  source text NOT NULL CHECK (length(source) BETWEEN 1 AND 1000),
  opened_at timestamptz NOT NULL,
  confirmed_by text,
  confirmed_at timestamptz,
  PRIMARY KEY (tenant_code, application_id, line),
  UNIQUE (tenant_code, application_id, kind),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);

-- A payment the registry created at the 公金決済 node for an application.  The row (reference → amount and
-- its split over the fee lines) is written before the payment is created, so the signed event can be
-- checked against it; payment_id, pay_url and expires_at come with the node's answer.
CREATE TABLE registry.fee_payments (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  application_id uuid NOT NULL,
  reference text NOT NULL UNIQUE CHECK (reference ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  payment_id uuid UNIQUE,
  amount int NOT NULL CHECK (amount >= 1),
  -- [{"line":1,"kind":"登録免許税","amount":9000}, …]: what the amount pays, line by line.
  allocation jsonb NOT NULL,
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 40),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 80),
  -- Where the payer's browser goes back to (kept: creating again with the same reference needs the same content).
  return_url text NOT NULL CHECK (length(return_url) <= 500),
  -- The registry's own random id of the payer at the payment node (never a My Number).
  payer text NOT NULL CHECK (payer ~ '^[A-Za-z0-9_-]{8,64}$'),
  pay_url text,
  expires_at timestamptz,
  status text NOT NULL CHECK (status IN ('pending', 'settled', 'cancelled', 'partially_refunded', 'refunded', 'expired')),
  refunded_total int NOT NULL DEFAULT 0 CHECK (refunded_total >= 0 AND refunded_total <= amount),
  settled_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, reference),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);
CREATE INDEX fee_payments_application ON registry.fee_payments (tenant_code, application_id, created_at);
CREATE INDEX fee_payments_open ON registry.fee_payments (tenant_code, status) WHERE status IN ('pending', 'settled', 'partially_refunded');

-- The signed events of the payment node, as received (the JWS kept as evidence): each event id once, each
-- payment's events in order (a replayed or stale event is refused before it gets here).
CREATE TABLE registry.fee_payment_events (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  event_id uuid PRIMARY KEY,
  reference text NOT NULL,
  payment_id uuid NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  kind text NOT NULL CHECK (kind IN ('settled', 'cancelled', 'expired', 'refunded')),
  status text NOT NULL,
  amount int NOT NULL,
  refund_id uuid,
  refund_amount int,
  refunded_total int NOT NULL,
  settled_at timestamptz,
  at timestamptz NOT NULL,
  jws text NOT NULL,
  received_at timestamptz NOT NULL,
  UNIQUE (payment_id, seq),
  FOREIGN KEY (tenant_code, reference) REFERENCES registry.fee_payments (tenant_code, reference)
);

-- The ledger (収入・支出): every amount received or refunded, per fee kind and channel, on the JST date it
-- counts for (the settlement date online, the date staff saw the stamps or receipt on paper; the refund date).
-- evidence: online {"paymentId","eventId"}; stamp {"instrument":"収入印紙"|"領収証書","receiptNo"?,"seenOn"};
-- refunds {"method":"payment"|"stamp_returned"|"overpayment", …}.
CREATE TABLE registry.fee_ledger (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text NOT NULL,
  application_id uuid NOT NULL,
  id uuid NOT NULL,
  entry text NOT NULL CHECK (entry IN ('receipt', 'refund')),
  channel text NOT NULL CHECK (channel IN ('online', 'stamp')),
  kind text NOT NULL CHECK (kind IN ('登録免許税', '登録手数料', '手数料')),
  amount int NOT NULL CHECK (amount >= 1),
  booked_on date NOT NULL,
  at timestamptz NOT NULL,
  payment_id uuid,
  event_id uuid,
  evidence jsonb NOT NULL,
  recorded_by text NOT NULL,
  note text CHECK (length(note) <= 500),
  PRIMARY KEY (tenant_code, id),
  UNIQUE (event_id, kind),
  FOREIGN KEY (tenant_code, application_id) REFERENCES registry.applications (tenant_code, id),
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code),
  CHECK ((channel = 'online') = (payment_id IS NOT NULL AND event_id IS NOT NULL))
);
CREATE INDEX fee_ledger_period ON registry.fee_ledger (tenant_code, booked_on);
CREATE INDEX fee_ledger_application ON registry.fee_ledger (tenant_code, application_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['application_fees', 'fee_payments', 'fee_payment_events', 'fee_ledger'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON registry.application_fees TO mamori_registry;
GRANT SELECT, INSERT, UPDATE ON registry.fee_payments TO mamori_registry;
GRANT SELECT, INSERT ON registry.fee_payment_events TO mamori_registry;
GRANT SELECT, INSERT ON registry.fee_ledger TO mamori_registry;

-- The register's features of QUA-38 and QUA-39 (decision 0199) are versions of an entry like any change: the
-- 医師/歯科医師 届出票 recorded ('notification'), 介護福祉士's time-limited registration, its release and 休業
-- days ('term'), and its 付記資格 ('supplementary').  'reissue' is examination's (registry/0007), kept here so
-- that this migration, which runs after it, does not drop it.
ALTER TABLE registry.entry_versions DROP CONSTRAINT entry_versions_change_kind_check;
ALTER TABLE registry.entry_versions ADD CONSTRAINT entry_versions_change_kind_check
  CHECK (change_kind IN ('register', 'correction', 'rewrite', 'change', 'disposition', 'erasure', 'reissue', 'notification', 'term', 'supplementary'));
