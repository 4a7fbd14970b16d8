-- Decision 0163: a national body may be an information provider on the network (デジタル庁's
-- 公金受取口座登録システム, node `koukin`).  Its body code is its node name (lower-case letters), next to the
-- 6-digit 地方公共団体コード of municipalities; it acquires 符号 like any body.
ALTER TABLE peers_network.codes DROP CONSTRAINT IF EXISTS codes_body_check;
ALTER TABLE peers_network.codes ADD CONSTRAINT codes_body_check CHECK (body ~ '^([0-9]{6}|[a-z][a-z0-9-]{1,30})$');
