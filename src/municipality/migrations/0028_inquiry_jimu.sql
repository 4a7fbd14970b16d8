-- The 事務 an inquiry was made under (decision 0168): the move-in inquiry of the 予防接種 duty
-- ('vaccination') or a 健康被害救済 case's ('relief-illness', 'relief-disability').  Each duty sees only its own.
ALTER TABLE municipality.exchange_inquiries ADD COLUMN jimu text NOT NULL DEFAULT 'vaccination'
  CHECK (jimu IN ('vaccination', 'relief-illness', 'relief-disability'));
