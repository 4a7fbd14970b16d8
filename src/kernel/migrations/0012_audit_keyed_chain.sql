-- KRN-33/KRN-34, decision 0120: a keyed operation-log chain, checkpoints every minute or 1,000 entries, a
-- witness outside the database, and an application role that may append only unsealed entries.
--
-- Chain heads sealed before this migration carry unkeyed (v1) hashes: `keyed` is false for them, and the
-- first seal afterwards closes the legacy chain with a signed, witnessed 'legacy-end' checkpoint and goes on
-- with HMAC-SHA256 entries.  Every head created from now on is keyed from its first entry.
ALTER TABLE kernel.audit_chain_heads ADD COLUMN keyed boolean NOT NULL DEFAULT false;
ALTER TABLE kernel.audit_chain_heads ALTER COLUMN keyed SET DEFAULT true;

-- Checkpoint signatures: v1 signed tenant|seq|hash; v2 (from now on) signs the reason too, so that a
-- 'legacy-end' cannot be made out of an ordinary checkpoint.  Existing rows are v1.
ALTER TABLE kernel.audit_checkpoints ADD COLUMN sig_version smallint NOT NULL DEFAULT 1 CHECK (sig_version IN (1, 2));
ALTER TABLE kernel.audit_checkpoints ALTER COLUMN sig_version SET DEFAULT 2;

-- Only the sealer assigns seq, prev_hash and hash (by UPDATE, under kernel.audit_guard).  An INSERT that
-- brings them along is refused — from the application role and from the owner's writer alike — so no one can
-- wedge the sealer with a row at the next seq or slip a "sealed" entry past it.  Restoring a backup
-- (mamori.restoring = 'on', owner only) loads sealed rows as they were.
CREATE FUNCTION kernel.audit_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq IS NULL AND NEW.prev_hash IS NULL AND NEW.hash IS NULL THEN
    RETURN NEW;
  END IF;
  IF current_setting('mamori.restoring', true) = 'on' AND current_user <> 'mamori_app' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'kernel.audit_log accepts only unsealed entries (seq, prev_hash and hash are set by the sealer)'
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_insert_guard BEFORE INSERT ON kernel.audit_log FOR EACH ROW EXECUTE FUNCTION kernel.audit_insert_guard();

-- Column-level grant for the application role as well: it may name only the content columns.
REVOKE INSERT ON kernel.audit_log FROM mamori_app;
GRANT INSERT (tenant_code, occurred_at, actor_kind, actor_id, actor_login, action, target_type, target_id, subject_ref,
              purpose, request_id, client_address, terminal_id, program, outcome, detail) ON kernel.audit_log TO mamori_app;
