// The organisations Mamori runs (decision 0134): each a node with its own HTTP service and port, its own
// schema and database role, its own keys and message log.  `mamori serve` and `mamori demo` start them all
// in one process (one Fastify instance per node); `mamori serve --only NAME` starts one, which is what a
// real deployment does, with the other nodes' addresses from a directory file (MAMORI_DIRECTORY).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../kernel/clock/index.js';
import { sql } from 'kysely';
import { createNodeServer, Directory, exchangeNodeFor, MessageLog, type ExchangeNode, type NodeEntry, type PeerService } from '../kernel/exchange/index.js';
import { Problem } from '../kernel/problems/index.js';
import { untyped } from '../kernel/db/index.js';
import { acquireCodes, chukanNodeName, registerCopies, registerMunicipalityServices, syncResidentsToJlis, type CodeReport, type CopyReport, type MunicipalExchange } from '../municipality/exchange/index.js';
import { newMeta, systemActor } from '../kernel/context/index.js';
import type { Principal } from '../kernel/context/index.js';
import { buildJlisNode, JLIS_ROLE, JLIS_SCHEMA } from '../peers/jlis/index.js';
import { buildNetworkNode, NETWORK_ROLE, NETWORK_SCHEMA } from '../peers/network/index.js';
import { buildChukanNode, CHUKAN_ROLE, CHUKAN_SCHEMA } from '../peers/chukan/index.js';
import { buildVrsNode, VRS_ROLE, VRS_SCHEMA } from '../peers/vrs/index.js';
import { buildInsurerHubNode, INSURERHUB_ROLE, INSURERHUB_SCHEMA } from '../peers/insurerhub/index.js';
import { buildCardNode, CARD_ROLE, CARD_SCHEMA } from '../peers/card/index.js';
import { buildKokuhorenNode, KOKUHOREN_ROLE, KOKUHOREN_SCHEMA } from '../peers/kokuhoren/index.js';
import { buildEapplyNode, EAPPLY_ROLE, EAPPLY_SCHEMA } from '../peers/eapply/index.js';
import { buildKoukinNode, KOUKIN_ROLE, KOUKIN_SCHEMA } from '../peers/koukin/index.js';
import { buildKosekiNode, KOSEKI_ROLE, KOSEKI_SCHEMA } from '../peers/koseki/index.js';
import { buildMenkyoNode, MENKYO_ROLE, MENKYO_SCHEMA } from '../peers/menkyo/index.js';
import { buildKensakuNode, KENSAKU_ROLE, KENSAKU_SCHEMA } from '../peers/kensaku/index.js';
import { buildShikenNode, SHIKEN_ROLE, SHIKEN_SCHEMA } from '../peers/shiken/index.js';
import { buildPaymentNode, PAYMENT_ROLE, PAYMENT_SCHEMA } from '../peers/payment/index.js';
import { buildMynaportalNode, MYNAPORTAL_ROLE, MYNAPORTAL_SCHEMA, type MynaPortal } from '../peers/mynaportal/index.js';
import { buildPlatformNode, PLATFORM_ROLE, PLATFORM_SCHEMA } from '../platform/index.js';
import { buildRegistryNode, REGISTRY_ROLE, REGISTRY_SCHEMA, type ExaminationDeps } from '../registry/index.js';
import { clinicRules } from './clinic-rules.js';
import { syncPlatform, PLATFORM_NODE as PLATFORM_PEER } from '../municipality/platform/index.js';
import { receiveApplications, EAPPLY_NODE } from '../municipality/eapply/index.js';
import { takeElectronicApplications } from '../municipality/reimburse/index.js';
import type { App } from './index.js';

export const MUNICIPALITY_NODE = 'municipality';

export interface NodeSpec {
  readonly name: string;
  readonly title: string;
  readonly kind: 'municipality' | 'network' | 'jlis' | 'chukan' | 'vrs' | 'platform' | 'insurerhub' | 'card' | 'mynaportal' | 'kokuhoren' | 'eapply' | 'koukin' | 'payment' | 'registry' | 'koseki'
    | 'menkyo' | 'kensaku'
    | 'shiken';
  readonly tenant?: string;
}

export interface RunningNode extends NodeEntry {
  readonly kind: NodeSpec['kind'];
}

export interface Organisations {
  readonly nodes: RunningNode[];
  readonly directory: Directory;
  /** The municipality node's end of the exchange (its clients of the 中間サーバー). */
  readonly municipal: MunicipalExchange;
  /** Stops one node (its server and background work); false when it is not running here. */
  stop(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Every node this store hosts: the municipality system, the network, 住基ネット, one 中間サーバー per municipality,
 * VRS (the legacy COVID-19 path, decision 0140), the national and service bodies (… 公金決済, decision 0173), and
 * the national qualification registry (decision 0169).
 */
export async function nodeSpecs(app: App): Promise<NodeSpec[]> {
  const orgs = await sql<{ code: string; name: string }>`SELECT code, name FROM kernel.organisations WHERE kind = 'municipality' ORDER BY code`.execute(app.db.system);
  return [
    { name: MUNICIPALITY_NODE, title: '予防接種事務システム（市区町村）', kind: 'municipality' },
    { name: 'network', title: '情報提供ネットワークシステム', kind: 'network' },
    { name: 'jlis', title: '住基ネット（全国サーバ）', kind: 'jlis' },
    ...orgs.rows.map((o) => ({ name: chukanNodeName(o.code), title: `${o.name} 中間サーバー`, kind: 'chukan' as const, tenant: o.code })),
    { name: 'vrs', title: 'ワクチン接種記録システム（VRS）', kind: 'vrs' },
    { name: 'platform', title: '予診情報・予防接種記録管理／請求支払システム', kind: 'platform' },
    { name: 'insurerhub', title: '医療保険者等向け中間サーバー・オンライン資格確認等システム（支払基金）', kind: 'insurerhub' },
    { name: 'card', title: '公的個人認証サービス（J-LIS）', kind: 'card' },
    { name: 'mynaportal', title: 'マイナポータル', kind: 'mynaportal' },
    { name: 'kokuhoren', title: '国民健康保険団体連合会（審査支払）', kind: 'kokuhoren' },
    { name: 'eapply', title: 'サービス検索・電子申請機能', kind: 'eapply' },
    { name: 'koukin', title: '公金受取口座登録システム（デジタル庁）', kind: 'koukin' },
    { name: 'payment', title: '公金決済サービス', kind: 'payment' },
    { name: 'registry', title: '国家資格等情報連携・活用システム（厚生労働省）', kind: 'registry' },
    { name: 'koseki', title: '戸籍情報連携システム（法務省）', kind: 'koseki' },
    { name: 'menkyo', title: '免許登録管理システム（厚生労働省）', kind: 'menkyo' },
    { name: 'kensaku', title: '資格確認検索システム', kind: 'kensaku' },
    { name: 'shiken', title: '登録情報連携システム（社会福祉振興・試験センター）', kind: 'shiken' },
  ];
}

// `pool`: the node's database connections on a server (default 8).  The platform serves every clinic of the
// country at once (one transaction per dose, durable commit): with 8, concurrent doses queue for a
// connection before the database is busy (clinic.register.http: 416 doses/s with 8, 544/s with 24).
const PEER_DB: Record<Exclude<NodeSpec['kind'], 'municipality'>, { role: string; schema: string; pool?: number }> = {
  network: { role: NETWORK_ROLE, schema: NETWORK_SCHEMA },
  jlis: { role: JLIS_ROLE, schema: JLIS_SCHEMA },
  chukan: { role: CHUKAN_ROLE, schema: CHUKAN_SCHEMA },
  vrs: { role: VRS_ROLE, schema: VRS_SCHEMA },
  platform: { role: PLATFORM_ROLE, schema: PLATFORM_SCHEMA, pool: 24 },
  insurerhub: { role: INSURERHUB_ROLE, schema: INSURERHUB_SCHEMA },
  card: { role: CARD_ROLE, schema: CARD_SCHEMA },
  mynaportal: { role: MYNAPORTAL_ROLE, schema: MYNAPORTAL_SCHEMA },
  kokuhoren: { role: KOKUHOREN_ROLE, schema: KOKUHOREN_SCHEMA },
  eapply: { role: EAPPLY_ROLE, schema: EAPPLY_SCHEMA },
  koukin: { role: KOUKIN_ROLE, schema: KOUKIN_SCHEMA },
  payment: { role: PAYMENT_ROLE, schema: PAYMENT_SCHEMA },
  registry: { role: REGISTRY_ROLE, schema: REGISTRY_SCHEMA },
  koseki: { role: KOSEKI_ROLE, schema: KOSEKI_SCHEMA },
  menkyo: { role: MENKYO_ROLE, schema: MENKYO_SCHEMA },
  kensaku: { role: KENSAKU_ROLE, schema: KENSAKU_SCHEMA },
  shiken: { role: SHIKEN_ROLE, schema: SHIKEN_SCHEMA },
};

/** Reads a directory file: a JSON array of {name, title, url}. */
export function readDirectoryFile(path: string): NodeEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Problem(400, 'DIRECTORY_FILE', '接続先一覧のファイルを読めません', `${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw) || !raw.every((e) => e && typeof e.name === 'string' && typeof e.url === 'string')) {
    throw new Problem(400, 'DIRECTORY_FILE', '接続先一覧のファイルの形式が正しくありません', `${path}: [{"name","title","url"}, …] の形式で書いてください。`);
  }
  return raw.map((e: { name: string; title?: string; url: string }) => ({ name: e.name, title: e.title ?? e.name, url: e.url }));
}

export interface StartOptions {
  readonly host: string;
  /** First port (the municipality's); the others follow in order.  0: every node on a free port. */
  readonly port: number;
  /** Start only this node. */
  readonly only?: string;
  /** The municipality node's server (the staff web server); a bare message endpoint when absent. */
  readonly municipalityServer?: (municipal: MunicipalExchange) => Promise<FastifyInstance>;
  /** Mounts the resident portal's pages (src/web/portal) on the マイナポータル node's server. */
  readonly portalPages?: (fastify: FastifyInstance, portal: MynaPortal) => Promise<void>;
  /** Mounts the 医療機関用アプリ (src/web/clinic) on the platform node's server, next to its clinic API. */
  readonly clinicPages?: (fastify: FastifyInstance, clock: Clock) => void;
  /** Mounts the registry's staff screens (src/web/registry) on the registry node's server. */
  readonly registryPages?: (fastify: FastifyInstance, examination: ExaminationDeps) => Promise<void>;
  /** Other nodes' addresses (a running deployment); required with `only`. */
  readonly directoryEntries?: readonly NodeEntry[];
  /** Write the effective directory here (for `--only` processes and the CLI). */
  readonly writeDirectory?: boolean;
}

function urlOf(f: FastifyInstance, host: string): string {
  const a = f.server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host === 'localhost' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export async function startOrganisations(app: App, opts: StartOptions): Promise<Organisations> {
  const specs = await nodeSpecs(app);
  if (opts.only && !specs.some((s) => s.name === opts.only)) {
    throw new Problem(400, 'NODE_UNKNOWN', '組織（ノード）の名前が正しくありません', `「${opts.only}」はありません。次のいずれかを指定してください: ${specs.map((s) => s.name).join(', ')}`);
  }
  const directory = new Directory(opts.directoryEntries ?? []);
  const keyDir = app.config.keyDir;
  const clock = app.config.clock;
  const municipalNode: ExchangeNode = exchangeNodeFor({ name: MUNICIPALITY_NODE, schema: 'municipality', db: untyped(app.db.app), keyDir, directory, clock });
  const municipal: MunicipalExchange = { node: municipalNode, chukanOf: chukanNodeName };
  const started: { spec: NodeSpec; fastify: FastifyInstance; service?: PeerService }[] = [];
  const running: RunningNode[] = [];
  try {
    let port = opts.port;
    for (const spec of specs) {
      const thisPort = opts.only ? opts.port : port === 0 ? 0 : port++;
      if (opts.only && spec.name !== opts.only) continue;
      let fastify: FastifyInstance;
      let service: PeerService | undefined;
      if (spec.kind === 'municipality') {
        if (opts.municipalityServer) fastify = await opts.municipalityServer(municipal);
        else {
          // The bare message endpoint: the JWKS and the services other organisations call (covid.provide).
          fastify = await createNodeServer(spec.name);
          registerMunicipalityServices(fastify, app, municipalNode);
        }
      } else {
        const { role, schema, pool } = PEER_DB[spec.kind];
        const db = await app.db.forRole(role, pool ? { pool } : undefined);
        const node = exchangeNodeFor({ name: spec.name, schema, db, keyDir, directory, clock });
        const ctx = { name: spec.name, db, node, clock, config: app.config };
        if (spec.kind === 'registry') {
          const built = await buildRegistryNode(ctx);
          if (opts.registryPages) await opts.registryPages(built.fastify, built.examination);
          service = built;
        } else if (spec.kind === 'mynaportal') {
          const built = await buildMynaportalNode(ctx);
          if (opts.portalPages) await opts.portalPages(built.fastify, built.portal);
          service = built;
        } else {
          service =
            spec.kind === 'network' ? await buildNetworkNode(ctx)
            : spec.kind === 'jlis' ? await buildJlisNode(ctx)
            : spec.kind === 'vrs' ? await buildVrsNode(ctx)
            : spec.kind === 'platform' ? await buildPlatformNode(ctx, { clinicRules: clinicRules() })
            : spec.kind === 'insurerhub' ? await buildInsurerHubNode(ctx)
            : spec.kind === 'card' ? await buildCardNode(ctx)
            : spec.kind === 'kokuhoren' ? await buildKokuhorenNode(ctx)
            : spec.kind === 'eapply' ? await buildEapplyNode(ctx)
            : spec.kind === 'koukin' ? await buildKoukinNode(ctx)
            : spec.kind === 'payment' ? await buildPaymentNode(ctx)
            : spec.kind === 'koseki' ? await buildKosekiNode(ctx)
            : spec.kind === 'menkyo' ? await buildMenkyoNode(ctx)
            : spec.kind === 'kensaku' ? await buildKensakuNode(ctx)
            : spec.kind === 'shiken' ? await buildShikenNode(ctx)
            : await buildChukanNode(ctx, { tenant: spec.tenant! });
        }
        fastify = service.fastify;
        if (spec.kind === 'platform' && opts.clinicPages) opts.clinicPages(fastify, clock);
      }
      await fastify.listen({ host: opts.host, port: thisPort });
      const entry: RunningNode = { name: spec.name, title: spec.title, url: urlOf(fastify, opts.host), kind: spec.kind };
      directory.set(entry);
      running.push(entry);
      started.push({ spec, fastify, service });
    }
  } catch (e) {
    for (const s of started.reverse()) {
      await s.service?.close?.().catch(() => undefined);
      await s.fastify.close().catch(() => undefined);
    }
    throw e;
  }
  if (opts.writeDirectory) {
    writeFileSync(join(app.config.dataDir, 'directory.json'), JSON.stringify(directory.list(), null, 2) + '\n');
  }
  const stopOne = async (s: (typeof started)[number]): Promise<void> => {
    await s.service?.close?.().catch(() => undefined);
    await s.fastify.close();
  };
  return {
    nodes: running,
    directory,
    municipal,
    async stop(name) {
      const i = started.findIndex((s) => s.spec.name === name);
      if (i < 0) return false;
      const [s] = started.splice(i, 1);
      await stopOne(s!);
      return true;
    },
    async close() {
      for (const s of started.reverse()) await stopOne(s);
      started.length = 0;
    },
  };
}

/** An organisation's message log, read as that organisation's own role (`mamori exchange messages`). */
export async function messageLogOf(app: App, org: string): Promise<MessageLog> {
  const specs = await nodeSpecs(app);
  const spec = specs.find((s) => s.name === org);
  if (!spec) throw new Problem(400, 'NODE_UNKNOWN', '組織（ノード）の名前が正しくありません', `「${org}」はありません。次のいずれかを指定してください: ${specs.map((s) => s.name).join(', ')}`);
  if (spec.kind === 'municipality') return new MessageLog(untyped(app.db.app), 'municipality', org);
  const { role, schema } = PEER_DB[spec.kind];
  return new MessageLog(await app.db.forRole(role), schema, org);
}

/**
 * Makes a municipality ready to exchange: its residents' 本人確認情報 sent to 住基ネット as 市町村CS does
 * (only what changed since the last run), then the 符号 of every person with a 団体内統合宛名番号 acquired
 * through its 中間サーバー.  Idempotent; `mamori exchange copies` runs it before registering the 副本.
 */
export async function exchangeReady(app: App, orgs: Organisations, tenant: string, who: Principal): Promise<{ cs: Awaited<ReturnType<typeof syncResidentsToJlis>>; codes: CodeReport }> {
  const cs = await syncResidentsToJlis(app, orgs.municipal.node, tenant);
  const codes = await acquireCodes(app.db, who, orgs.municipal);
  return { cs, codes };
}

export interface ExchangeSyncReport {
  readonly tenant: string;
  readonly notified: number;
  readonly codes: CodeReport;
  readonly copies: CopyReport;
}

/**
 * The municipality's exchange batch for every municipality this store holds (the server runs it at start and
 * then every MAMORI_EXCHANGE_SYNC_MINUTES, default 60): notify 住基ネット of what changed, acquire the 符号
 * of new persons, register the 副本 of the vaccination ledger (XCH-01, XCH-04, XCH-05), collect the electronic
 * applications queued at サービス検索・電子申請機能 (XCH-26) and take the accepted reimbursement ones into 償還払い.  One municipality's
 * failure does not stop the others; it is reported.
 */
export async function syncExchange(app: App, orgs: Organisations, log: (m: string) => void): Promise<ExchangeSyncReport[]> {
  const tenants = await sql<{ code: string }>`SELECT code FROM kernel.organisations WHERE kind = 'municipality' ORDER BY code`.execute(app.db.system);
  const out: ExchangeSyncReport[] = [];
  for (const { code } of tenants.rows) {
    // The platform push's background half (decision 0147): 住基 movements (転出・死亡) of persons the
    // platform holds, then the failed pushes whose retry is due.  Only when the platform is reachable by name.
    if (orgs.directory.has(PLATFORM_PEER)) {
      try {
        const p = await syncPlatform(app, orgs.municipal, code);
        if (p.movements.failed || p.retried.failed) log(`予防接種プラットフォームへの送信に失敗した方がいます（団体 ${code}）: ${p.movements.failed + p.retried.failed} 人。時間をおいて再送します。`);
        if (p.records.status === 'failed') log(`予防接種プラットフォームからの接種記録の取込に失敗しました（団体 ${code}）: ${p.records.error ?? ''}。次の同期で続きから取り込みます。`);
      } catch (e) {
        log(`予防接種プラットフォームとの同期に失敗しました（団体 ${code}）: ${(e as Error).message}`);
      }
    }
    // 申請管理 (decision 0156): collect the electronic applications queued at サービス検索・電子申請機能.
    if (orgs.directory.has(EAPPLY_NODE)) {
      const job: Principal = { tenant: code, actor: systemActor('job:eapply-receive'), meta: newMeta('job:eapply-receive') };
      try {
        const r = await receiveApplications({ db: app.db, vault: app.vault, tenantKeys: app.tenantKeys }, job, orgs.municipal.node);
        if (r.rejected) log(`電子申請のうち ${r.rejected} 件を却下しました（団体 ${code}、署名検証または申請者の特定ができません）。申請管理の画面で理由を確認できます。`);
      } catch (e) {
        log(`電子申請の取込に失敗しました（団体 ${code}）: ${(e as Error).message}。次の同期で再度取り込みます。`);
      }
    }
    // Reimbursement applications 申請管理 accepted become 償還払い applications (decision 0160), as staff's
    // 「受理した電子申請を取り込む」 does; one that cannot be taken stays open with its reason.
    try {
      const t = await takeElectronicApplications(app.db, { tenant: code, actor: systemActor('job:eapply-take'), meta: newMeta('job:eapply-take') });
      if (t.failed.length) log(`償還払いに取り込めない電子申請が ${t.failed.length} 件あります（団体 ${code}）。償還払いの画面で「受理した電子申請を取り込む」を押すと理由を確認できます。`);
    } catch (e) {
      log(`電子申請の償還払いへの取込に失敗しました（団体 ${code}）: ${(e as Error).message}`);
    }
    if (!orgs.directory.has(chukanNodeName(code))) continue;
    const who: Principal = { tenant: code, actor: systemActor('job:exchange-sync'), meta: newMeta('job:exchange-sync') };
    try {
      const ready = await exchangeReady(app, orgs, code, who);
      const copies = await registerCopies(app.db, who, orgs.municipal);
      out.push({ tenant: code, notified: ready.cs.sent, codes: ready.codes, copies });
    } catch (e) {
      log(`情報連携の同期に失敗しました（団体 ${code}）: ${(e as Error).message}`);
    }
  }
  return out;
}
