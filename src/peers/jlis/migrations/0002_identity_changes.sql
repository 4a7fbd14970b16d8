-- 本人確認情報の異動照会 (decision 0176): its queries are logged with their own channel.
ALTER TABLE peers_jlis.query_log DROP CONSTRAINT query_log_channel_check;
ALTER TABLE peers_jlis.query_log ADD CONSTRAINT query_log_channel_check CHECK (channel IN ('query', 'file', 'link', 'changes'));
-- The period's changes of the persons asked: by person, then time.
CREATE INDEX identity_history_person_at ON peers_jlis.identity_history (juminhyo_code, at);
