-- The certificates the synthetic 公的個人認証サービス CA issued (decision 0144).  No My Number, no name:
-- the 署名用 certificate carries the 4情報, so only its SHA-256 is kept (as for the 利用者証明用 one); the
-- certificate itself went back to the municipality in the signed, encrypted answer and lives in the card file.
CREATE TABLE peers_card.certificates (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{32}$'),
  kind text NOT NULL CHECK (kind IN ('auth', 'sign')),
  card_id uuid NOT NULL,
  tenant text NOT NULL CHECK (tenant ~ '^[0-9]{6}$'),
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'revoked')),
  revoked_at timestamptz,
  reason text CHECK (length(reason) <= 200),
  issued_at timestamptz NOT NULL,
  cert_sha256 text NOT NULL CHECK (cert_sha256 ~ '^[0-9a-f]{64}$'),
  -- マイナ保険証の利用登録 (insurerhub card.link) answered yes; only for the 利用者証明用 certificate.
  linked boolean NOT NULL DEFAULT false,
  request_msg_id text NOT NULL,
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX certificates_card ON peers_card.certificates (card_id);
CREATE INDEX certificates_revoked ON peers_card.certificates (revoked_at) WHERE status = 'revoked';
GRANT SELECT, INSERT ON peers_card.certificates TO mamori_card;
GRANT UPDATE (status, revoked_at, reason, linked) ON peers_card.certificates TO mamori_card;
