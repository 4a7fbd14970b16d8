// Public face of kernel/exchange: the message layer between organisations (decision 0135).
export { NodeKeys, NODE_NAME, PUBLISHED_GENERATIONS, type NodeKey, type Jwks } from './keys.js';
export { Directory, fetchJwks, type NodeEntry, type JwksFetcher } from './directory.js';
export { sealEnvelope, openEnvelope, bodyOf, digestOf, claimedSender, MESSAGE_TYPE, SKEW_SECONDS, LIFETIME_SECONDS, type Envelope, type SealInput } from './envelope.js';
export { MessageLog, EXCHANGE_MESSAGES_DDL, messagesDdl, type MessageRow, type Direction, type Outcome } from './log.js';
export { ExchangeNode, EXCHANGE_PATH, JOSE_TYPE, type Incoming, type Outgoing, type ServiceDef, type CallOptions } from './node.js';
export { createNodeServer } from './server.js';
export { exchangeNodeFor, everyInterval, type PeerContext, type PeerService } from './peer.js';
