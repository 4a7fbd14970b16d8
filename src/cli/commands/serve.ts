// `mamori serve [--port N] [--host H]`
import { resolveConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { openApp, type App } from '../../app/index.js';
import { startJobs } from '../../app/index.js';
import { buildWebServer } from '../../web/index.js';
import { print } from '../io.js';
import { invalidField } from '../../kernel/problems/index.js';

type O = Record<string, unknown> & { data?: string };

/** --port, else the PORT environment variable, else 8080. */
export function portOption(o: O): number {
  const raw = String(o['port'] ?? process.env['PORT'] ?? '8080').trim();
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw invalidField('port', 'PORT_RANGE', `ポート番号が正しくありません: ${raw}（--port または環境変数 PORT に 0〜65535 を指定してください）`);
  return n;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Starts the web server and background jobs on an open app; resolves when the process is asked to stop. */
export async function serveApp(app: App, host: string, port: number, banner: (url: string) => void): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('ポート番号が正しくありません');
  const web = await buildWebServer(app, { secureCookies: process.env['MAMORI_INSECURE_COOKIES'] !== '1' && !isLoopback(host) });
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
    await serveApp(app, String(o['host'] ?? '127.0.0.1'), portOption(o), (url) => {
      print(`守り Mamori を起動しました: ${url}`);
      print(`データベース: ${app.db.kind === 'embedded' ? `組込み（PGlite） ${config.dataDir}` : 'PostgreSQL サーバー（DATABASE_URL）'}`);
      print('停止するには Ctrl+C を押してください。');
    });
  } finally {
    await app.close();
  }
  return 0;
}
