-- 支払基金 node `insurerhub` (decision 0145): the insured persons the 保険者 enrolled (insured.enroll), the
-- PMH keys issued to them (pmhkey.issue, PMH-05/06), the My Number cards linked for the 健康保険証利用
-- (card.link, portal.resolve, PMH-09), and the handling log of every call (PMH-22, kept 3 years).
--
-- No column holds a My Number or a basic-info value in clear:
--   my_number_index  HMAC-SHA-256 of the number under the node's index key (exact lookup);
--   my_number_ct     AES-256-GCM ciphertext of the number under the node's own key (mynumber-NNNN.key),
--                    bound to the 紐付番号 (additional data), version in my_number_key;
--   *_hash           HMAC-SHA-256 of the normalised basic-info item (NFKC, spaces removed, kana → カタカナ)
--                    under the node's basic-info key: enough for the mis-link check (PMH-07), which only
--                    compares, and nothing the node could ever hand back.
-- Keys live under <keyDir>/nodes/insurerhub/ (peers/insurerhub/secrets.ts).

CREATE TABLE peers_insurerhub.insured_persons (
  link_no text PRIMARY KEY CHECK (link_no ~ '^L[A-Z2-7]{26}$'),
  my_number_index bytea NOT NULL UNIQUE,
  my_number_ct bytea NOT NULL,
  my_number_key int NOT NULL,
  insurer text NOT NULL CHECK (insurer ~ '^[0-9]{6}([0-9]{2})?$'),
  name_hash bytea NOT NULL,
  kana_hash bytea NOT NULL,
  birth_hash bytea NOT NULL,
  sex_hash bytea NOT NULL,
  address_hash bytea NOT NULL,
  enrolled_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON peers_insurerhub.insured_persons TO mamori_insurerhub;

-- PMH keys: one per 紐付番号, never reissued (PMH-06).
CREATE TABLE peers_insurerhub.pmh_keys (
  link_no text PRIMARY KEY REFERENCES peers_insurerhub.insured_persons (link_no),
  pmh_key text NOT NULL UNIQUE CHECK (pmh_key ~ '^PK[A-Z2-7]{20}$'),
  issued_at timestamptz NOT NULL
);
GRANT SELECT, INSERT ON peers_insurerhub.pmh_keys TO mamori_insurerhub;

-- 健康保険証利用登録: the 利用者証明用電子証明書's serial (normalised: hex upper-case, no colons, no leading
-- zeros) → 紐付番号.
CREATE TABLE peers_insurerhub.card_links (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9A-F]{1,128}$'),
  link_no text NOT NULL REFERENCES peers_insurerhub.insured_persons (link_no),
  linked_at timestamptz NOT NULL
);
CREATE INDEX card_links_link_no ON peers_insurerhub.card_links (link_no);
GRANT SELECT, INSERT ON peers_insurerhub.card_links TO mamori_insurerhub;

-- 取扱いログ (PMH-22, 再々委託先(PMH キー採番)に係る特定個人情報の取扱いログ): one row per call of a service —
-- who (the calling node and its message id), what, when, the outcome and the counts.  Never a number, a
-- name, a key or a serial.  Rows older than 3 years are deleted by the node (purgeHandlingLog).
CREATE TABLE peers_insurerhub.handling_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  caller text NOT NULL,
  service text NOT NULL,
  msg_id text NOT NULL CHECK (length(msg_id) <= 64),
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  code text,
  items int NOT NULL DEFAULT 0,
  counts jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX handling_log_at ON peers_insurerhub.handling_log (at);
GRANT SELECT, INSERT, DELETE ON peers_insurerhub.handling_log TO mamori_insurerhub;
GRANT USAGE ON SEQUENCE peers_insurerhub.handling_log_seq_seq TO mamori_insurerhub;
