// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint — the
// applications マイナポータル hands over for an applicant (decisions 0188–0190,
// docs/formats/registry-protocol.md) — and the staff API.
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../kernel/exchange/index.js';
import { caCertSource } from '../kernel/jpki/index.js';
import { registerRegistryApi } from './api.js';
import { myApplication, myApplications, resubmitOnline, submitOnline, withdrawOnline, type IntakeDeps } from './intake.js';
import { RegistrySecrets } from './secrets.js';
import { syncAdministrators } from './staff.js';

export interface RegistryNodeOptions {
  /** The マイナポータル node (default 'mynaportal'): the only sender of applicants' requests. */
  readonly portalNode?: string;
  /** The 公的個人認証サービス node (default 'card'). */
  readonly cardNode?: string;
}

/** The services マイナポータル calls for an applicant (each body carries the マイナポータル仮名ID). */
export function registryServices(deps: IntakeDeps, portalNode = 'mynaportal'): Record<string, ServiceDef> {
  const fromPortal = (s: string) => s === portalNode;
  return {
    'applications.submit': { title: '国家資格の申請の受付', from: fromPortal, handle: async (msg) => ({ body: await submitOnline(deps, msg.body), personal: true }) },
    'applications.resubmit': { title: '国家資格の申請の補正', from: fromPortal, handle: async (msg) => ({ body: await resubmitOnline(deps, msg.body), personal: true }) },
    'applications.withdraw': { title: '国家資格の申請の取下げ', from: fromPortal, handle: async (msg) => ({ body: await withdrawOnline(deps, msg.body), personal: true }) },
    'applications.mine': { title: '国家資格の申請の状況', from: fromPortal, handle: async (msg) => ({ body: { applications: await myApplications(deps, msg.body) }, personal: true }) },
    'applications.show': { title: '国家資格の申請の内容', from: fromPortal, handle: async (msg) => ({ body: await myApplication(deps, msg.body), personal: true }) },
  };
}

export async function buildRegistryNode(ctx: PeerContext, opts: RegistryNodeOptions = {}): Promise<PeerService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const cardNode = opts.cardNode ?? 'card';
  const secrets = RegistrySecrets.open(ctx.config.keyDir);
  const caCert = caCertSource(() => `${ctx.node.directory.entry(cardNode).url}/card/v1/ca.pem`, () => ctx.clock.now());
  const fastify = await createNodeServer(ctx.name, { bodyLimit: 64 * 1024 * 1024 });
  ctx.node.serve(fastify, registryServices({ db: ctx.db, clock: ctx.clock, secrets, node: ctx.node, caCert, cardNode }, opts.portalNode));
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock, secrets });
  return { fastify };
}
