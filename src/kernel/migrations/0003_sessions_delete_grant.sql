-- The retention purge of the 'sessions' data class (default: 1 year after the session ended) runs as the
-- application role inside the tenant's RLS-confined transaction, but 0001 granted mamori_app no DELETE on
-- kernel.sessions, so every scheduled purge failed with "permission denied".  RLS (tenant_isolation)
-- confines the delete to the tenant of the transaction.
GRANT DELETE ON kernel.sessions TO mamori_app;
