-- XCH-14: the network keeps its 情報提供等記録 for a set period (番号法施行令: 7 years by default), then the
-- node deletes them; the node's role may delete records, and nothing else.
GRANT DELETE ON peers_network.exchange_records TO mamori_network;
