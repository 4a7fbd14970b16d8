// What a body connected to the network directly (decision 0163) does the same way whatever it provides:
// acquiring its own 符号 for a person, and checking that an inquiry it is asked to answer is on the
// 照会許可用照合リスト the network distributes (cached for a few minutes), and running as a node with its two
// jobs (the retention purge of its provision records, the 符号 it could not acquire yet).
import { Problem } from '../../kernel/problems/index.js';
import { createNodeServer, everyInterval, type ExchangeNode, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import type { BodyKind } from './permissions.js';

/** Asks the network for the calling body's 符号 of the person with this 住民票コード; throws a Problem when it cannot. */
export async function issueOwnCode(node: ExchangeNode, juminhyoCode: string, network = 'network'): Promise<string> {
  const a = await node.call(network, 'code.issue', { juminhyoCode }, { personal: true });
  const code = (a.body as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{16,100}$/.test(code)) {
    throw new Problem(502, 'NETWORK_BAD_ANSWER', '情報提供ネットワークシステムの応答が正しくありません', '符号の形式が正しくありません。');
  }
  return code;
}

/** issueOwnCode for a job that retries later: the 符号, or why the network could not give it now. */
export async function tryIssueOwnCode(node: ExchangeNode, juminhyoCode: string, network = 'network'): Promise<{ code: string; reason: null } | { code: null; reason: string }> {
  try {
    return { code: await issueOwnCode(node, juminhyoCode, network), reason: null };
  } catch (e) {
    return { code: null, reason: e instanceof Problem ? `${e.code}: ${e.title}` : '符号を取得できませんでした' };
  }
}

const PERMISSIONS_CACHE_MS = 5 * 60_000;

/**
 * A check of (jimu, item) against the list from `permissions.list` for a provider of `providerKind`.  A
 * permitted pair is answered from a copy at most five minutes old; anything else asks the network again.
 */
export function permissionCheck(node: ExchangeNode, network: string, providerKind: BodyKind): (jimu: string, item: string) => Promise<boolean> {
  let cached: { at: number; entries: Record<string, unknown>[] } | undefined;
  const allows = (entries: Record<string, unknown>[], jimu: string, item: string) =>
    entries.some((e) => e['jimu'] === jimu && e['item'] === item && e['providerKind'] === providerKind);
  return async (jimu, item) => {
    if (cached && Date.now() - cached.at < PERMISSIONS_CACHE_MS && allows(cached.entries, jimu, item)) return true;
    const a = await node.call(network, 'permissions.list', {});
    const entries = (a.body as { entries?: unknown } | undefined)?.entries;
    cached = { at: Date.now(), entries: Array.isArray(entries) ? (entries as Record<string, unknown>[]) : [] };
    return allows(cached.entries, jimu, item);
  };
}

export interface ProviderService extends PeerService {
  purge(): Promise<{ provisions: number }>;
  close(): Promise<void>;
}

/**
 * A directly connected provider's node (koukin, koseki): its services, the purge of provision records past
 * their keeping period (run at start and then every `intervalMs`), and the acquisition of the 符号 it could not
 * get when a person was recorded (the network was down).
 */
export async function buildProviderNode(
  ctx: PeerContext,
  def: { services: Record<string, ServiceDef>; purge: () => Promise<{ provisions: number }>; acquireCodes: () => Promise<unknown>; intervalMs: number },
): Promise<ProviderService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, def.services);
  const stopPurge = await everyInterval(ctx.name, `${ctx.name} retention purge`, def.purge, def.intervalMs, { runNow: true });
  const stopCodes = await everyInterval(ctx.name, `${ctx.name} code acquisition`, def.acquireCodes, def.intervalMs);
  return {
    fastify,
    purge: def.purge,
    async close() {
      stopPurge();
      stopCodes();
    },
  };
}
