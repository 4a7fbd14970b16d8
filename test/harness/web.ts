// A real Mamori web server on a loopback port for HTTP and browser tests.
import { buildWebServer } from '../../src/web/index.js';
import type { FastifyInstance } from 'fastify';
import type { TestApp } from './app.js';

export interface TestWeb {
  readonly url: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

export async function startWeb(app: TestApp, opts: { loginRateLimitPerMinute?: number } = {}): Promise<TestWeb> {
  const server = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: opts.loginRateLimitPerMinute ?? 1000 });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, close: () => server.close() };
}
