-- Employer confirmation links (issue 16 Must have 2; QUA-24; decision 0207): a holder, after card
-- authentication and consent in マイナポータル, lets one employer see chosen items of one entry and its current
-- status once, before an expiry of at most 7 days.  Only the SHA-256 of the link's token is kept; the holder is
-- known by the マイナポータル仮名ID the portal sends (never the My Number); each creation and opening is an event
-- the holder reads in the portal (「確認の記録」).  Under the tenant RLS policy like every registry table.
CREATE TABLE registry.confirmation_links (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  link_id text NOT NULL CHECK (link_id ~ '^L[0-9A-F]{20}$'),
  token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
  qualification_code text NOT NULL,
  registration_no bigint NOT NULL,
  holder_pseudonym text NOT NULL CHECK (holder_pseudonym ~ '^MR[A-Z2-7]{26}$'),
  claims text[] NOT NULL CHECK (cardinality(claims) BETWEEN 1 AND 5),
  recipient text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 100),
  consent_text text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at AND expires_at <= created_at + interval '7 days'),
  opened_at timestamptz,
  PRIMARY KEY (tenant_code, link_id),
  UNIQUE (token_hash),
  FOREIGN KEY (tenant_code, qualification_code, registration_no) REFERENCES registry.entries (tenant_code, qualification_code, registration_no)
);
CREATE INDEX confirmation_links_holder ON registry.confirmation_links (tenant_code, holder_pseudonym);

-- 作成 / 閲覧 / 使用済みの再閲覧 / 期限切れの閲覧: what the holder sees in 「確認の記録」.
CREATE TABLE registry.confirmation_events (
  tenant_code text NOT NULL,
  link_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('created', 'opened', 'refused-used', 'refused-expired')),
  PRIMARY KEY (tenant_code, link_id, seq),
  FOREIGN KEY (tenant_code, link_id) REFERENCES registry.confirmation_links (tenant_code, link_id)
);

ALTER TABLE registry.confirmation_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE registry.confirmation_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON registry.confirmation_links TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
CREATE POLICY tenant_only ON registry.confirmation_events TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant());
GRANT SELECT, INSERT ON registry.confirmation_links TO mamori_registry;
GRANT UPDATE (opened_at) ON registry.confirmation_links TO mamori_registry;
GRANT SELECT, INSERT ON registry.confirmation_events TO mamori_registry;
