-- KRN-34: the row-level guard on kernel.audit_log (0001) does not fire for TRUNCATE, so the owner role
-- could empty the whole operation log in one statement.  Refuse TRUNCATE too, except while a backup is
-- being restored (restore truncates every table in its own transaction with mamori.restoring = 'on').
CREATE FUNCTION kernel.audit_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mamori.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'kernel.audit_log is append-only (truncate refused)' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_truncate_guard BEFORE TRUNCATE ON kernel.audit_log FOR EACH STATEMENT EXECUTE FUNCTION kernel.audit_truncate_guard();
