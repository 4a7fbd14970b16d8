-- 郵送日数 (decision 0102): how many days a mailed document takes to reach the resident, per municipality
-- (default 14).  A batch does not send a document whose 接種できる期間 ends before issue date + these days;
-- each batch keeps the value it was made with.
ALTER TABLE municipality.notice_settings ADD COLUMN mailing_lead_days int NOT NULL DEFAULT 14
  CHECK (mailing_lead_days BETWEEN 0 AND 90);
ALTER TABLE municipality.notice_batches ADD COLUMN mailing_lead_days int
  CHECK (mailing_lead_days BETWEEN 0 AND 90);
