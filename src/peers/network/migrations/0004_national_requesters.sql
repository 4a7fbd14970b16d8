-- Decision 0185: a national body may ask on the network (厚生労働省's 国家資格等情報連携・活用システム, node
-- `registry`, asking 法務省's 戸籍情報連携システム for 戸籍関係情報).  Its body code is its node name, next to the
-- 6-digit 地方公共団体コード of the 中間サーバー, in the 情報提供等記録 as requester.
ALTER TABLE peers_network.exchange_records DROP CONSTRAINT IF EXISTS exchange_records_requester_body_check;
ALTER TABLE peers_network.exchange_records ADD CONSTRAINT exchange_records_requester_body_check CHECK (requester_body ~ '^([0-9]{6}|[a-z][a-z0-9-]{1,30})$');
