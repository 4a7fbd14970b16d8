// The registry node (decision 0169): 国家資格等情報連携・活用システム as its own organisation — its own
// HTTP service and port, schema `registry`, database role, keys and message log.  At start it writes the
// catalog's 資格管理者 (its tenants) and their jurisdictions; then it serves the exchange endpoint — the
// applications マイナポータル hands over for an applicant (decisions 0188–0190, docs/formats/registry-protocol.md) —
// and the staff API, and runs:
// - the periodic 住基ネット check of every 資格管理者 once a day (decision 0181: the job looks every hour whether
//   a tenant's check is due; an unfinished run is continued);
// - fees (decision 0196): `payment.notify` from 公金決済, `applications.fees` from マイナポータル, the staff fee
//   API, and the job that pulls missed payment events and refunds what is owed;
// - the public issuer metadata, JWKS and status lists of the digital certificates (issue 16, decision 0201).
import { createNodeServer, everyInterval, type PeerContext, type PeerService, type ServiceDef } from '../kernel/exchange/index.js';
import { caCertSource } from '../kernel/jpki/index.js';
import { logger } from '../kernel/log/index.js';
import { registerRegistryApi } from './api.js';
import { registerCredentialRoutes } from './credentials-api.js';
import { IssuerKeys, type CredentialDeps } from './credentials.js';
import { holderServices } from './holder-services.js';
import { FEE_SYNC_INTERVAL_MS, registerFeeApi } from './fees-api.js';
import { feeServices, refundOnWithdrawal, syncFeePayments } from './fees.js';
import { myApplication, myApplications, resubmitOnline, submitOnline, withdrawOnline, type IntakeDeps } from './intake.js';
import { registerJukiApi } from './juki-api.js';
import { runDueChecks } from './juki.js';
import { myNotices, readNotice } from './notices.js';
import { RegistrySecrets } from './secrets.js';
import { syncAdministrators } from './staff.js';
import { catalog } from './catalog.js';
import { kosekiChecksDue, runKosekiChecks } from './periodic.js';
import { applicationCheckers } from './checkers.js';
import type { ExaminationDeps } from './examination.js';
import { startSyncJobs, SYNC_INTERVAL_MS } from './syncs.js';
import { FOUNDATION_NODE, foundationServices, sendToFoundation } from './foundation.js';

/** How often the node looks whether a 資格管理者's daily 住基 check is due. */
export const REGISTRY_CHECK_INTERVAL_MS = 3600_000;

export interface RegistryNodeOptions {
  /** 0 turns the scheduled 住基 checks off (tests drive runChecks themselves). */
  readonly checkIntervalMs?: number;
  /** How often missed payment events are pulled (default FEE_SYNC_INTERVAL_MS). */
  readonly feeSyncIntervalMs?: number;
  /** The マイナポータル node (default 'mynaportal'): the only sender of applicants' requests. */
  readonly portalNode?: string;
  /** The 公的個人認証サービス node (default 'card'). */
  readonly cardNode?: string;
  /** How often the syncs to 免許登録管理・資格確認検索 run (default SYNC_INTERVAL_MS; 0: not scheduled; issue 16). */
  readonly syncIntervalMs?: number;
  /**
   * How often the online applications of 介護福祉士 and the 資格仮名ID links still owed are handed to the foundation
   * (default SYNC_INTERVAL_MS; 0: not scheduled, `mamori registry foundation send` only; QUA-30, decision 0233).
   */
  readonly foundationIntervalMs?: number;
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
    // QUA-26 (decision 0216): the applicant's notices, read by the portal on each visit and kept only here.
    'notices.mine': { title: '国家資格のお知らせの一覧', from: fromPortal, handle: async (msg) => ({ body: await myNotices(deps, msg.body), personal: true }) },
    'notices.read': { title: '国家資格のお知らせ', from: fromPortal, handle: async (msg) => ({ body: await readNotice(deps, msg.body), personal: true }) },
  };
}

export interface RegistryNodeService extends PeerService {
  /** What examination runs on (the staff API and the staff screens, src/web/registry, share it). */
  readonly examination: ExaminationDeps;
}

export async function buildRegistryNode(ctx: PeerContext, opts: RegistryNodeOptions = {}): Promise<RegistryNodeService> {
  await syncAdministrators(ctx.db, ctx.clock);
  const cardNode = opts.cardNode ?? 'card';
  const secrets = RegistrySecrets.open(ctx.config.keyDir);
  const caCert = caCertSource(() => `${ctx.node.directory.entry(cardNode).url}/card/v1/ca.pem`, () => ctx.clock.now());
  // Applications carry attachments (≤ 10 MB each, base64 in the message).
  const fastify = await createNodeServer(ctx.name, { bodyLimit: 64 * 1024 * 1024 });
  const feeDeps = { db: ctx.db, clock: ctx.clock, node: ctx.node };
  const issuerKeys = IssuerKeys.open(ctx.config.keyDir);
  const credentialDeps: CredentialDeps = { db: ctx.db, clock: ctx.clock, keys: issuerKeys, get baseUrl() { return ctx.node.directory.entry(ctx.name).url; } };
  ctx.node.serve(fastify, { ...registryServices({ db: ctx.db, clock: ctx.clock, secrets, node: ctx.node, caCert, cardNode }, opts.portalNode), ...feeServices(feeDeps),
    ...holderServices({ db: ctx.db, clock: ctx.clock, secrets, node: ctx.node, caCert, cardNode, credentials: credentialDeps }, opts.portalNode),
    ...foundationServices({ db: ctx.db, clock: ctx.clock, secrets }) });
  // Examination runs the 住基 and 戸籍 checks of an application through this node (decisions 0180, 0185, 0192).
  const examination: ExaminationDeps = { db: ctx.db, clock: ctx.clock, secrets, checkers: applicationCheckers({ db: ctx.db, clock: ctx.clock, node: ctx.node, secrets }),
    refund: (tenant, id) => refundOnWithdrawal({ db: ctx.db, clock: ctx.clock, node: ctx.node }, tenant, id), credentials: credentialDeps,
  };
  registerRegistryApi(fastify, { db: ctx.db, clock: ctx.clock, secrets, examination });
  registerJukiApi(fastify, { db: ctx.db, clock: ctx.clock });
  registerFeeApi(fastify, feeDeps);
  registerCredentialRoutes(fastify, { db: ctx.db, clock: ctx.clock, keys: issuerKeys, baseUrl: () => ctx.node.directory.entry(ctx.name).url });
  const interval = opts.checkIntervalMs ?? REGISTRY_CHECK_INTERVAL_MS;
  const deps = { db: ctx.db, clock: ctx.clock, node: ctx.node, secrets };
  const stopChecks = interval > 0
    ? await everyInterval(ctx.name, 'registry 住基・戸籍 checks', async () => {
        await runDueChecks(deps, (tenant, r) => {
          if (r instanceof Error) logger().warn({ node: ctx.name, tenant, err: r.message }, 'registry 住基 check failed (continued on the next run)');
          else logger().info({ node: ctx.name, tenant, checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved }, 'registry 住基 check');
        });
        // 戸籍 (QUA-17): once a day per 資格管理者, after 住基 (periodic.ts).
        for (const a of catalog().administrators) {
          try {
            if (!(await kosekiChecksDue(deps, a.code))) continue;
            const r = await runKosekiChecks(deps, { tenant: a.code });
            logger().info({ node: ctx.name, tenant: a.code, checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved }, 'registry 戸籍 check');
          } catch (e) {
            logger().warn({ node: ctx.name, tenant: a.code, err: (e as Error).message }, 'registry 戸籍 check failed (continued on the next run)');
          }
        }
      }, interval)
    : () => undefined;
  const stopFeeSync = await everyInterval(ctx.name, 'fee payment sync', () => syncFeePayments(feeDeps), opts.feeSyncIntervalMs ?? FEE_SYNC_INTERVAL_MS);
  const stopSyncs = await startSyncJobs({ ...deps, keyDir: ctx.config.keyDir }, ctx.name, opts.syncIntervalMs); // QUA-28, QUA-29 (syncs.ts)
  // QUA-30 「随時（API連携）」: what is owed to the foundation goes by message on the next run (decision 0233).
  const foundationInterval = opts.foundationIntervalMs ?? SYNC_INTERVAL_MS;
  const stopFoundation = foundationInterval > 0 && ctx.node.directory.has(FOUNDATION_NODE)
    ? await everyInterval(ctx.name, 'foundation send', async () => {
        const r = await sendToFoundation({ db: ctx.db, clock: ctx.clock, secrets, node: ctx.node });
        if (r.batchId) logger().info({ node: ctx.name, batch: r.batchId, online: r.online, links: r.links }, 'registry → foundation');
      }, foundationInterval)
    : () => undefined;
  return {
    fastify,
    examination,
    async close() {
      stopChecks();
      stopFeeSync();
      stopSyncs();
      stopFoundation();
    },
  };
}
