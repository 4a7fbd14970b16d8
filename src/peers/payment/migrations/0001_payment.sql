-- 公金決済 node `payment` (synthetic, decisions 0173–0175): its own schema and role (decision 0134), the
-- message log, the merchants (registered organisations, by node name), their payments, refunds, and the
-- signed events told to each merchant.  No My Number, no name: the payer is the merchant's pseudonym.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mamori_payment') THEN
    CREATE ROLE mamori_payment NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT mamori_payment TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers_payment;
REVOKE ALL ON SCHEMA peers_payment FROM PUBLIC;
GRANT USAGE ON SCHEMA peers_payment TO mamori_payment;

-- The message log (kernel/exchange/log.ts EXCHANGE_MESSAGES_DDL).
CREATE TABLE peers_payment.exchange_messages (
  seq bigserial PRIMARY KEY,
  node text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  re text,
  peer text NOT NULL,
  service text NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('sent', 'accepted', 'ok', 'refused', 'failed')),
  code text,
  status int,
  digest text NOT NULL,
  guard boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX exchange_messages_replay ON peers_payment.exchange_messages (node, peer, msg_id) WHERE guard;
CREATE INDEX exchange_messages_node_at ON peers_payment.exchange_messages (node, at);
GRANT SELECT, INSERT ON peers_payment.exchange_messages TO mamori_payment;
GRANT UPDATE (outcome, code, status) ON peers_payment.exchange_messages TO mamori_payment;
GRANT USAGE ON SEQUENCE peers_payment.exchange_messages_seq_seq TO mamori_payment;

-- 加盟店: an organisation of the directory (its node name) with a merchant code and the name payers read.
-- return_origins: the origins its return URLs may point to (empty: its directory URL's origin only).
CREATE TABLE peers_payment.merchants (
  node text PRIMARY KEY CHECK (node ~ '^[a-z][a-z0-9-]{1,40}$'),
  merchant_code text NOT NULL UNIQUE CHECK (merchant_code ~ '^[A-Z0-9]{4,16}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  return_origins text[] NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  registered_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON peers_payment.merchants TO mamori_payment;

-- One payment per (merchant, reference).  page_token: the payer page's capability (the URL's secret part).
-- refunded: the sum of its refunds, never above amount.
CREATE TABLE peers_payment.payments (
  id uuid PRIMARY KEY,
  merchant text NOT NULL REFERENCES peers_payment.merchants (node),
  reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
  amount int NOT NULL CHECK (amount > 0 AND amount <= 10000000),
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 40),
  description text CHECK (length(description) <= 80),
  payer text NOT NULL CHECK (payer ~ '^[A-Za-z0-9_-]{8,64}$' AND payer !~ '^[0-9]{12}$'),
  return_url text NOT NULL CHECK (length(return_url) <= 500),
  page_token text NOT NULL UNIQUE CHECK (length(page_token) = 43),
  status text NOT NULL CHECK (status IN ('pending', 'settled', 'cancelled', 'expired', 'partially_refunded', 'refunded')),
  method text CHECK (method IN ('card', 'bank')),
  refunded int NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  settled_at timestamptz,
  cancelled_at timestamptz,
  UNIQUE (merchant, reference),
  CHECK ((status IN ('pending', 'expired')) = (settled_at IS NULL AND cancelled_at IS NULL)),
  CHECK (status <> 'cancelled' OR settled_at IS NULL),
  CHECK (status NOT IN ('settled', 'partially_refunded', 'refunded') OR (settled_at IS NOT NULL AND method IS NOT NULL))
);
CREATE INDEX payments_settled ON peers_payment.payments (merchant, settled_at) WHERE settled_at IS NOT NULL;
CREATE INDEX payments_pending ON peers_payment.payments (expires_at) WHERE status = 'pending';
GRANT SELECT, INSERT, UPDATE ON peers_payment.payments TO mamori_payment;

-- 返金: one row per refund (the merchant's refund_ref makes a repeated request idempotent).
CREATE TABLE peers_payment.refunds (
  id uuid PRIMARY KEY,
  payment_id uuid NOT NULL REFERENCES peers_payment.payments (id),
  refund_ref text NOT NULL CHECK (length(refund_ref) BETWEEN 1 AND 64),
  amount int NOT NULL CHECK (amount > 0),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  at timestamptz NOT NULL,
  UNIQUE (payment_id, refund_ref)
);
CREATE INDEX refunds_at ON peers_payment.refunds (at);
GRANT SELECT, INSERT ON peers_payment.refunds TO mamori_payment;

-- The events told to the merchant, each signed once (jws) and delivered by `payment.notify` until the
-- merchant has it; seq orders a payment's events.  delivered_at NULL: still to deliver (the job retries).
CREATE TABLE peers_payment.events (
  id uuid PRIMARY KEY,
  payment_id uuid NOT NULL REFERENCES peers_payment.payments (id),
  seq int NOT NULL CHECK (seq > 0),
  kind text NOT NULL CHECK (kind IN ('settled', 'cancelled', 'expired', 'refunded')),
  refund_id uuid UNIQUE REFERENCES peers_payment.refunds (id),
  jws text NOT NULL,
  at timestamptz NOT NULL,
  delivered_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  last_error text CHECK (length(last_error) <= 200),
  UNIQUE (payment_id, seq),
  CHECK ((kind = 'refunded') = (refund_id IS NOT NULL))
);
CREATE INDEX events_undelivered ON peers_payment.events (at) WHERE delivered_at IS NULL;
GRANT SELECT, INSERT, UPDATE (delivered_at, attempts, last_error) ON peers_payment.events TO mamori_payment;
