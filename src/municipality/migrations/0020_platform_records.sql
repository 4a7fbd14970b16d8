-- Records the platform registered at clinics, pulled into the ledger (issue 13 point 3; PMH-18, VAX-32;
-- decision 0154; docs/formats/clinic-protocol.md section 3).  The cursor of `records.fetch` is kept per
-- tenant and advanced in the same transaction as the records it brought, so a crash mid-pull resumes
-- without loss or duplication.  A platform record becomes at most one ledger record: its platform record id
-- is the record's 通番 (data.sourceRef) and unique per tenant among platform records.
ALTER TABLE municipality.platform_sync ADD COLUMN records_cursor bigint NOT NULL DEFAULT 0;
ALTER TABLE municipality.platform_sync ADD COLUMN records_at timestamptz;

CREATE UNIQUE INDEX vaccination_records_platform ON municipality.vaccination_records (tenant_code, (data->>'sourceRef')) WHERE source = 'platform';
-- A platform record waiting in the review queue (a possible duplicate of a paper-channel dose) is queued once.
CREATE UNIQUE INDEX match_queue_platform ON municipality.match_queue (tenant_code, source, source_ref) WHERE source = 'platform-records';

-- One row per pull (automatic or a staff download): what was asked and what became of it.
CREATE TABLE municipality.platform_record_pulls (
  tenant_code text NOT NULL REFERENCES kernel.organisations(code),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  started_by text NOT NULL,
  cursor_from bigint NOT NULL,
  cursor_to bigint NOT NULL,
  fetched int NOT NULL DEFAULT 0,
  created int NOT NULL DEFAULT 0,
  queued int NOT NULL DEFAULT 0,
  unchanged int NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  error text,
  PRIMARY KEY (tenant_code, id)
);
CREATE INDEX platform_record_pulls_recent ON municipality.platform_record_pulls (tenant_code, started_at DESC);
ALTER TABLE municipality.platform_record_pulls ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON municipality.platform_record_pulls TO mamori_app
  USING (tenant_code = kernel.current_tenant()) WITH CHECK (tenant_code = kernel.current_tenant());
GRANT SELECT, INSERT, UPDATE ON municipality.platform_record_pulls TO mamori_app;
