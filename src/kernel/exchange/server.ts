// A small Fastify instance for a peer node (住基ネット, 情報提供ネットワーク, 中間サーバー): problem+json
// errors, no request bodies or query strings in the log (KRN-07), a health check.  The municipality's
// staff system keeps its own server (kernel/http), which adds sessions, CSRF and pages.
import Fastify, { type FastifyInstance } from 'fastify';
import { Problem } from '../problems/index.js';
import { logger } from '../log/index.js';

export async function createNodeServer(node: string, opts: { bodyLimit?: number } = {}): Promise<FastifyInstance> {
  const fastify = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024 });
  fastify.setErrorHandler((err, req, reply) => {
    const p =
      err instanceof Problem
        ? err
        : (err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500
          ? new Problem((err as { statusCode: number }).statusCode, 'BAD_REQUEST', '要求の形式が正しくありません', (err as Error).message)
          : new Problem(500, 'INTERNAL', '処理中にエラーが発生しました', `問い合わせ番号: ${req.id}`);
    if (p.status >= 500) logger().error({ node, reqId: req.id, method: req.method, route: req.routeOptions?.url, err: (err as Error).message }, 'node request failed');
    return reply
      .status(p.status)
      .type('application/problem+json; charset=utf-8')
      .send({ type: 'about:blank', status: p.status, code: p.code, title: p.title, detail: p.detail, ...(p.errors.length ? { errors: p.errors } : {}) });
  });
  fastify.setNotFoundHandler((_req, reply) =>
    reply.status(404).type('application/problem+json; charset=utf-8').send({ type: 'about:blank', status: 404, code: 'NOT_FOUND', title: '見つかりません' }),
  );
  fastify.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', node }));
  return fastify;
}
