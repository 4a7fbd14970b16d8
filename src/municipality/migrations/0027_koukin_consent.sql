-- Decision 0164: the resident's consent, on the reimbursement application, to the municipality obtaining the
-- 公金受取口座 through the 情報提供ネットワークシステム (公金受取口座登録法第10条): 「公金受取口座を利用する」.
ALTER TABLE municipality.reimbursements ADD COLUMN koukin_consent boolean NOT NULL DEFAULT false;
