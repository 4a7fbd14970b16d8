// What a peer node (住基ネット, 情報提供ネットワーク, 中間サーバー) is given to run, and what it returns.
// The composition root (src/app/nodes.ts) opens the node's database role, keys and message log, builds
// its ExchangeNode, and starts its Fastify instance on its own port.
import type { Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock/index.js';
import type { MamoriConfig } from '../config/index.js';
import type { ExchangeNode } from './node.js';
import { NodeKeys } from './keys.js';
import { MessageLog } from './log.js';
import { ExchangeNode as Node } from './node.js';
import type { Directory } from './directory.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { logger } from '../log/index.js';

export interface PeerContext {
  /** Node name, e.g. 'network', 'jlis', 'chukan-131237'. */
  readonly name: string;
  /** The node's own database role (its schema only). */
  readonly db: Kysely<UntypedDatabase>;
  readonly node: ExchangeNode;
  readonly clock: Clock;
  readonly config: MamoriConfig;
}

export interface PeerService {
  /** Routes registered, not yet listening. */
  readonly fastify: FastifyInstance;
  /** Background work of the node (e.g. deleting expired inquiry results); stopped on close. */
  close?(): Promise<void>;
}

/** Builds a node's message-layer end: keys under <keyDir>/nodes/<name>, log in <schema>.exchange_messages. */
export function exchangeNodeFor(opts: { name: string; schema: string; db: Kysely<UntypedDatabase>; keyDir: string; directory: Directory; clock: Clock }): Node {
  return new Node(opts.name, NodeKeys.open(opts.keyDir, opts.name), opts.directory, new MessageLog(opts.db, opts.schema, opts.name), opts.clock);
}

/**
 * A peer's background housekeeping (the retention purges of 支払基金, the 中間サーバー and 国保連): run now when
 * `runNow`, then every `intervalMs`; a failure is logged with the node's name and never stops the node.
 * Returns the stop function for the node's close().
 */
export async function everyInterval(node: string, what: string, run: () => Promise<unknown>, intervalMs: number, opts: { runNow?: boolean } = {}): Promise<() => void> {
  const once = async (): Promise<void> => {
    try {
      await run();
    } catch (e) {
      logger().error({ node, err: (e as Error).message }, `${what} failed`);
    }
  };
  if (opts.runNow) await once();
  const timer = setInterval(() => void once(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
