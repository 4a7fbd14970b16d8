-- Retention classes of residents and vaccination records (KRN-12, KRN-37; decision 0116).
-- The retention run deletes, inside the tenant's RLS-confined transaction, vaccination records (and their
-- versions) and the past versions of former residents once their period has passed; 0001 and 0002 granted the
-- application role no DELETE on these tables.  RLS (tenant_isolation) confines each delete to its tenant.
GRANT DELETE ON municipality.vaccination_records TO mamori_app;
GRANT DELETE ON municipality.vaccination_record_versions TO mamori_app;
GRANT DELETE ON municipality.person_versions TO mamori_app;
