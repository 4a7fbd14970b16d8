-- Retention of what a document printed (KRN-37, decision 0066): after the period (default 5 years, like the
-- paper 予診票 in 001/002) the printed snapshot of a notice item — name, kana, birth date, addresses, guardian,
-- 依頼書 details — is erased; the ledger row keeps its numbers, program, dates, classes and history.
ALTER TABLE municipality.notice_items ADD COLUMN erased_at timestamptz;
