-- 戸籍 checks through the 情報提供ネットワークシステム (QUA-17, QUA-16, QUA-35; decisions 0185–0187).
-- network_codes: the registry's own 符号 (情報提供用個人識別符号, issued to body `registry`) for a person, per
-- 資格管理者, found by the My Number blind index of that tenant (never the number itself).
-- koseki_inquiries: the registry's own record of each 戸籍 inquiry it made (its side of the 情報提供等記録):
-- when, for which qualification and application or entry, the network's exchange id and legal basis, and
-- what it found.  Insert only.
CREATE TABLE registry.network_codes (
  tenant_code text NOT NULL REFERENCES registry.administrators,
  blind_index bytea NOT NULL,
  code text NOT NULL CHECK (length(code) BETWEEN 16 AND 100),
  acquired_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_code, blind_index),
  UNIQUE (tenant_code, code)
);

CREATE TABLE registry.koseki_inquiries (
  id uuid PRIMARY KEY,
  tenant_code text NOT NULL REFERENCES registry.administrators,
  qualification_code text,
  purpose text NOT NULL CHECK (purpose IN ('application', 'periodic')),
  ref text CHECK (length(ref) <= 80),
  exchange_id uuid,
  legal_basis text,
  outcome text NOT NULL CHECK (outcome IN ('matches', 'differs', 'unidentified', 'not-applicable', 'changed', 'unchanged', 'none', 'refused', 'failed')),
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  by_user text NOT NULL CHECK (length(by_user) <= 64),
  at timestamptz NOT NULL,
  FOREIGN KEY (tenant_code, qualification_code) REFERENCES registry.jurisdictions (tenant_code, qualification_code)
);
CREATE INDEX koseki_inquiries_at ON registry.koseki_inquiries (tenant_code, at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['network_codes', 'koseki_inquiries'] LOOP
    EXECUTE format('ALTER TABLE registry.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_only ON registry.%I TO mamori_registry USING (tenant_code = registry.current_tenant()) WITH CHECK (tenant_code = registry.current_tenant())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT ON registry.network_codes TO mamori_registry;
GRANT SELECT, INSERT ON registry.koseki_inquiries TO mamori_registry;
