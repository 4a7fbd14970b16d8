// The platform node: its message services (for the municipality node and マイナポータル), its REST
// registration API, and its background log retention.  Decision 0143.
import { z } from 'zod';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../kernel/exchange/index.js';
import { logger } from '../kernel/log/index.js';
import { parseInput } from '../kernel/problems/index.js';
import { linkageList, putSettings } from './admin.js';
import { registerPlatformApi } from './api.js';
import { clinicContext, fetchRecords, registerClinicApi, type ClinicRules } from './clinic/index.js';
import { portalServices } from './portal.js';
import { registerTargets, type PlatformDeps } from './registration.js';
import { purgeLogs } from './retention.js';
import { PlatformSecrets } from './store.js';
import { tenantForNode } from './tenants.js';

export function platformDeps(ctx: PeerContext): PlatformDeps {
  return { db: ctx.db, clock: ctx.clock, node: ctx.node, secrets: PlatformSecrets.open(ctx.config.keyDir, ctx.name) };
}

/** Services a tenant's own node calls (the municipality system): the same domain functions as the REST API. */
export function tenantServices(deps: PlatformDeps): Record<string, ServiceDef> {
  const anyNode = () => true; // the tenant check below decides: only the node registered for the tenant.
  const head = z.object({ tenant: z.string() }).passthrough();
  return {
    'targets.register': {
      title: '予防接種対象者の登録（健康管理システム連携）',
      from: anyNode,
      async handle(msg) {
        const b = parseInput(head.extend({ fileName: z.string().max(200).optional(), idempotencyKey: z.string().max(100).optional(), items: z.unknown() }), msg.body ?? {});
        const tenant = await tenantForNode(deps.db, b.tenant, msg.sender);
        const answer = await registerTargets(deps, tenant, { items: b.items, fileName: b.fileName, idempotencyKey: b.idempotencyKey, source: 'exchange', caller: msg.sender });
        return { body: answer, personal: true };
      },
    },
    'settings.put': {
      title: '予防接種設定・雛形の登録',
      from: anyNode,
      async handle(msg) {
        const b = parseInput(head, msg.body ?? {});
        const tenant = await tenantForNode(deps.db, b.tenant, msg.sender);
        const { tenant: _t, ...rest } = b;
        return { body: await putSettings(deps.db, deps.clock, tenant.code, rest) };
      },
    },
    'records.fetch': {
      title: '医療機関が登録した接種記録の取得（docs/formats/clinic-protocol.md §3）',
      from: anyNode,
      async handle(msg) {
        const b = parseInput(head, msg.body ?? {});
        const tenant = await tenantForNode(deps.db, b.tenant, msg.sender);
        return { body: await fetchRecords(deps.db, tenant.code, b), personal: true };
      },
    },
    'linkage.list': {
      title: '連携状況の一覧',
      from: anyNode,
      async handle(msg) {
        const b = parseInput(head, msg.body ?? {});
        const tenant = await tenantForNode(deps.db, b.tenant, msg.sender);
        const { tenant: _t, ...rest } = b;
        return { body: await linkageList(deps.db, tenant.code, rest), personal: true };
      },
    },
  };
}

export interface PlatformNodeOptions {
  /** Minutes between log-retention runs (default 60; 0 = never, for tests that run it themselves). */
  readonly retentionMinutes?: number;
  /** The schedule engine and GS1 reading the clinic API applies (src/app/clinic-rules.ts); without them its checks answer 503. */
  readonly clinicRules?: ClinicRules;
}

export async function buildPlatformNode(ctx: PeerContext, opts: PlatformNodeOptions = {}): Promise<PeerService> {
  const deps = platformDeps(ctx);
  const fastify = await createNodeServer(ctx.name, { bodyLimit: 64 * 1024 * 1024 });
  ctx.node.serve(fastify, { ...tenantServices(deps), ...portalServices(deps) });
  registerPlatformApi(fastify, deps);
  registerClinicApi(fastify, clinicContext(deps, { rules: opts.clinicRules }));
  const minutes = opts.retentionMinutes ?? 60;
  let timer: NodeJS.Timeout | undefined;
  if (minutes > 0) {
    const run = () => purgeLogs(deps.db, deps.clock).catch((e: Error) => logger().error({ node: ctx.name, err: e.message }, 'platform log retention failed'));
    timer = setInterval(run, minutes * 60_000);
    timer.unref();
  }
  return {
    fastify,
    async close() {
      if (timer) clearInterval(timer);
    },
  };
}
