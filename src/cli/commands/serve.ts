// `mamori serve [--port N] [--host H]`
import { resolveConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { openApp, type App } from '../../app/index.js';
import { startJobs } from '../../app/index.js';
import { buildWebServer } from '../../web/index.js';
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

/** Starts the web server and background jobs on an open app; resolves when the process is asked to stop. */
export async function serveApp(app: App, host: string, port: number, banner: (url: string) => void, opts: { insecureCookies?: boolean } = {}): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('ポート番号が正しくありません');
  const insecure = opts.insecureCookies === true || process.env['MAMORI_INSECURE_COOKIES'] === '1';
  if (insecure) warn('警告: Cookie を Secure なしで送ります（--insecure-cookies / MAMORI_INSECURE_COOKIES=1）。http のデモ・開発専用です。本番では HTTPS で使ってください。');
  const web = await buildWebServer(app, { secureCookies: !insecure });
  const stopJobs = startJobs(app);
  await web.listen({ host, port });
  const addr = web.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  banner(`http://${isLoopback(host) ? 'localhost' : host}:${actualPort}/`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  print('停止しています…');
  await web.close();
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
    }, { insecureCookies: insecureCookiesRequested(o) });
  } finally {
    await app.close();
  }
  return 0;
}
