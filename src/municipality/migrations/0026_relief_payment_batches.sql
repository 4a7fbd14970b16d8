-- Payment batches of 健康被害救済 (decision 0167): a batch has a kind — 'vaccination' (institutions and
-- 償還払い, the vaccination duty's) or 'relief' (the relief part's benefits, the relief or money duty's).
ALTER TABLE municipality.payment_batches ADD COLUMN kind text NOT NULL DEFAULT 'vaccination' CHECK (kind IN ('vaccination', 'relief'));
ALTER TABLE municipality.payment_batches ADD CONSTRAINT payment_batches_relief_no_month CHECK (kind = 'vaccination' OR month IS NULL);
CREATE INDEX payment_batches_kind ON municipality.payment_batches (tenant_code, kind, created_at DESC);
-- A payment order names the batch that paid it.
ALTER TABLE municipality.relief_payment_orders ADD CONSTRAINT relief_payment_orders_batch
  FOREIGN KEY (tenant_code, batch_id) REFERENCES municipality.payment_batches (tenant_code, id);
