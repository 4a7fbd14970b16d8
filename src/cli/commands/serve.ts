// `mamori serve [--port N] [--host H]`
import { clinicPages } from '../../web/clinic/index.js';
import { registryPages } from '../../web/registry/index.js';
import { portalPages } from '../../web/portal/index.js';
import { resolveConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { openApp, type App } from '../../app/index.js';
import { startJobs } from '../../app/index.js';
import { buildWebServer } from '../../web/index.js';
import { startOrganisations, readDirectoryFile, syncExchange, MUNICIPALITY_NODE, type Organisations } from '../../app/index.js';
import { print, warn } from '../io.js';
import { invalidField } from '../../kernel/problems/index.js';

type O = Record<string, unknown> & { data?: string };

/** --port, else the PORT environment variable, else 8080. */
export function portOption(o: O): number {
  const raw = String(o['port'] ?? process.env['PORT'] ?? '8080').trim();
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw invalidField('port', 'PORT_RANGE', `ポート番号が正しくありません: ${raw}（--port または環境変数 PORT に 0〜65535 を指定してください）`);
  return n;
}

/**
 * Decision 0125: session cookies are Secure unless the operator says otherwise, explicitly, with
 * --insecure-cookies or MAMORI_INSECURE_COOKIES=1 (a plain-http demo or development on localhost).
 * A loopback host is not such a statement: a TLS proxy in front of 127.0.0.1 is the normal deployment.
 */
export function insecureCookiesRequested(o: O): boolean {
  return o['insecureCookies'] === true || process.env['MAMORI_INSECURE_COOKIES'] === '1';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Starts every organisation (decision 0134: the municipality's web server, the 情報提供ネットワークシステム,
 * 住基ネット and one 中間サーバー per municipality, each on its own port) and the background jobs on an open
 * app — or only `only`, with the others' addresses from MAMORI_DIRECTORY; resolves when asked to stop.
 */
export async function serveApp(app: App, host: string, port: number, banner: (url: string) => void, opts: { insecureCookies?: boolean; only?: string; waitForExchange?: boolean; afterStart?: (orgs: Organisations) => Promise<void> } = {}): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('ポート番号が正しくありません');
  const insecure = opts.insecureCookies === true || process.env['MAMORI_INSECURE_COOKIES'] === '1';
  if (insecure) warn('警告: Cookie を Secure なしで送ります（--insecure-cookies / MAMORI_INSECURE_COOKIES=1）。http のデモ・開発専用です。本番では HTTPS で使ってください。');
  const dirFile = process.env['MAMORI_DIRECTORY'];
  if (opts.only && !dirFile) warn('注意: MAMORI_DIRECTORY（他の組織の接続先一覧）が指定されていないため、他の組織とは通信できません。');
  // The stop signal is heard from the start: the municipality node answers while the other nodes are still
  // starting, and a SIGTERM in that window must stop the server cleanly, not kill it.
  let stopRequested = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopRequested = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const forget = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  let orgs: Organisations;
  try {
    orgs = await startOrganisations(app, {
      host,
      port,
      only: opts.only,
      directoryEntries: dirFile ? readDirectoryFile(dirFile) : [],
      writeDirectory: !opts.only,
      municipalityServer: (exchange) => buildWebServer(app, { secureCookies: !insecure, exchange }),
      portalPages: portalPages({ secureCookies: !insecure, demo: app.config.demo }),
      clinicPages: clinicPages(),
      registryPages: registryPages({ secureCookies: !insecure, demo: app.config.demo }),
    });
  } catch (e) {
    forget();
    throw e;
  }
  const stopJobs = !opts.only || opts.only === MUNICIPALITY_NODE ? startJobs(app) : async () => undefined;
  // The exchange batch (住基ネットへの通知, 符号, 副本): at start, then periodically (all-in-one only).
  let stopSync = async (): Promise<void> => undefined;
  if (!opts.only) {
    const minutes = Number(process.env['MAMORI_EXCHANGE_SYNC_MINUTES'] ?? 60);
    const firstSync = async () => {
      const reports = await syncExchange(app, orgs, warn);
      const total = reports.reduce((n, r) => n + r.copies.registered, 0);
      if (reports.length) print(`情報連携の準備: ${reports.length} 団体（住基ネットへの通知 ${reports.reduce((n, r) => n + r.notified, 0)} 件、副本の登録 ${total} 件）`);
    };
    // The demo waits for it (its moved child must be askable at once); a server starts serving and syncs in
    // the background (a large city's first 住基ネット notification takes minutes).
    let running: Promise<unknown> = opts.waitForExchange ? Promise.resolve(await firstSync()) : firstSync().catch((e: unknown) => warn(`情報連携の準備に失敗しました: ${(e as Error).message}`));
    const timer = minutes > 0 ? setInterval(() => {
      running = running.then(() => syncExchange(app, orgs, warn)).catch(() => undefined);
    }, minutes * 60_000) : undefined;
    timer?.unref();
    stopSync = async () => {
      if (timer) clearInterval(timer);
      await running;
    };
  }
  const web = orgs.nodes.find((n) => n.kind === 'municipality');
  const shown = (url: string) => url.replace('//127.0.0.1:', `//${isLoopback(host) ? 'localhost' : host}:`);
  banner(web ? `${shown(web.url)}/` : shown(orgs.nodes[0]!.url) + '/');
  print('組織（ノード）:');
  for (const n of orgs.nodes) print(`  ${n.name.padEnd(16)} ${shown(n.url)}  ${n.title}`);
  // After the banner: what the demo prepares once every node answers (the platform's demo data).
  if (opts.afterStart && !stopRequested) await opts.afterStart(orgs).catch((e: unknown) => warn(`起動後の準備に失敗しました: ${(e as Error).message}`));
  if (!stopRequested) await new Promise<void>((resolve) => (wake = resolve));
  forget();
  print('停止しています…');
  await stopSync();
  await orgs.close();
  await stopJobs();
}

export async function serve(o: O): Promise<number> {
  const config = resolveConfig({ data: o.data });
  configureLogging({ level: config.logLevel, file: config.logFile });
  const app = await openApp(config);
  try {
    const host = String(o['host'] ?? '127.0.0.1');
    await serveApp(app, host, portOption(o), (url) => {
      print(`守り Mamori を起動しました: ${url}`);
      print(`データベース: ${app.db.kind === 'embedded' ? `組込み（PGlite） ${config.dataDir}` : 'PostgreSQL サーバー（DATABASE_URL）'}`);
      print('停止するには Ctrl+C を押してください。');
    }, { insecureCookies: insecureCookiesRequested(o), only: typeof o['only'] === 'string' ? o['only'] : undefined });
  } finally {
    await app.close();
  }
  return 0;
}
