// JSON API v1 for staff clients.  Every route declares its schema (zod → OpenAPI in docs/api/).
// Authentication: the session cookie (browsers) or `Authorization: Bearer <token>` from POST /session.
// Unsafe requests must be application/json (no cross-site form posts reach the API).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app/index.js';
import {
  accessTableCsv,
  accountEvents,
  applyForAccountSelf,
  approveAccount,
  changeGrants,
  changePassword,
  getAccount,
  listAccounts,
  login,
  logout,
  ownAccount,
  rejectApplication,
  reinstateAccount,
  requireTenant,
  resetPassword,
  reviewReport,
  revokeAccount,
  suspendAccount,
  unlockAccount,
  authorize,
  SESSION_COOKIE,
} from '../../kernel/access/index.js';
import { accessHistory, searchAudit, exportAuditCsv } from '../../kernel/audit/index.js';
import { anonymousActor, runAs } from '../../kernel/context/index.js';
import { metaOf, sessionCookieOptions, work } from '../../kernel/http/index.js';
import { Problem, unauthenticated } from '../../kernel/problems/index.js';

const Id = z.object({ id: z.string().describe('アカウントID（UUID）') });
const Reason = z.object({ reason: z.string().describe('理由') });
const Grant = z.object({
  role: z.string().describe('役割コード（viewer, clerk, nurse, supervisor, auditor, admin）'),
  duties: z.array(z.string()).describe('所掌事務コード'),
  mynumberView: z.boolean().default(false).describe('個人番号閲覧可能フラグ'),
  expiresOn: z.string().describe('有効期限 YYYY-MM-DD'),
  reason: z.string().optional(),
});
const Application = z.object({
  tenant: z.string().describe('団体コード'),
  loginId: z.string(),
  kind: z.enum(['staff', 'contractor']).default('staff'),
  fullName: z.string(),
  fullNameKana: z.string().optional(),
  department: z.string().optional(),
  email: z.string().optional(),
  contractorCompany: z.string().optional(),
  contractEnd: z.string().optional(),
  requestedRole: z.string(),
  requestedDuties: z.array(z.string()).default([]),
  reason: z.string(),
  password: z.string().optional(),
});

export function needSession(req: FastifyRequest): void {
  if (!req.session) throw unauthenticated(req.sessionEnded ? 'セッションが終了しました。再度ログインしてください。' : 'ログインしてください。');
  const path = req.url.split('?')[0]!;
  if (req.session.mustChangePassword && !['/api/v1/me/password', '/api/v1/session', '/api/v1/me'].includes(path)) {
    throw new Problem(403, 'PASSWORD_CHANGE_REQUIRED', 'パスワードの変更が必要です', '初期パスワードまたは有効期限を過ぎたパスワードです。PUT /api/v1/me/password で変更してください。');
  }
}

/** onRequest hook: unsafe API requests carry JSON bodies only (no cross-site form posts reach the API). */
export async function jsonOnly(req: FastifyRequest): Promise<void> {
  if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const ct = req.headers['content-type'] ?? '';
    if (hasBody && !ct.startsWith('application/json')) throw new Problem(415, 'UNSUPPORTED_MEDIA_TYPE', '形式が違います', 'この API は application/json のみ受け付けます。');
  }
}

export async function registerApiV1(fastify: FastifyInstance, app: App, opts: { secureCookies: boolean; loginRateLimit: { max: number; timeWindow: string } }): Promise<void> {
  await fastify.register(
    async (api) => {
      const r = api.withTypeProvider<ZodTypeProvider>();
      api.addHook('onRequest', jsonOnly);
      const auth = { preHandler: async (req: FastifyRequest) => needSession(req) };

      // ------------------------------------------------------------ session
      r.post('/session', { config: { rateLimit: opts.loginRateLimit }, schema: { tags: ['session'], summary: 'ログイン', body: z.object({ tenant: z.string(), loginId: z.string(), password: z.string(), totp: z.string().optional() }) } }, async (req, reply) => {
        const out = await login(app.db, app.tenantKeys, req.body, metaOf(req));
        if (!out.ok) throw out.problem;
        reply.setCookie(SESSION_COOKIE, out.cookie, sessionCookieOptions(opts.secureCookies));
        return { token: out.cookie, tenant: out.tenant, loginId: out.actor.login, role: out.actor.role, duties: out.actor.duties, mustChangePassword: out.mustChangePassword, mustEnrollMfa: out.mustEnrollMfa };
      });
      r.delete('/session', { ...auth, schema: { tags: ['session'], summary: 'ログアウト' } }, async (req, reply) => {
        await logout(app.db, req.session!, metaOf(req));
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      });
      r.get('/me', { ...auth, schema: { tags: ['session'], summary: '自分のアカウント' } }, async (req) => work(app.db, req, (w) => ownAccount(w)));
      r.put('/me/password', { ...auth, schema: { tags: ['session'], summary: 'パスワード変更', body: z.object({ currentPassword: z.string(), newPassword: z.string() }) } }, async (req, reply) => {
        await work(app.db, req, (w) => changePassword(w, req.body));
        return reply.status(204).send();
      });

      // ------------------------------------------------------------ accounts
      r.post('/account-applications', { config: { rateLimit: opts.loginRateLimit }, schema: { tags: ['accounts'], summary: 'アカウントの利用申請（本人）', body: Application } }, async (req, reply) => {
        const { tenant, ...rest } = req.body;
        await requireTenant(app.db, tenant);
        // Decision 0125: the same 202 and message whether or not the login id was free (no enumeration).
        const v = await runAs(app.db, { tenant, actor: anonymousActor, meta: metaOf(req) }, (w) => applyForAccountSelf(w, rest));
        return reply.status(202).send(v);
      });
      r.get('/accounts', { ...auth, schema: { tags: ['accounts'], summary: 'アカウント一覧', querystring: z.object({ status: z.enum(['applied', 'active', 'suspended', 'revoked', 'rejected', 'expired']).optional(), kind: z.enum(['staff', 'contractor']).optional(), q: z.string().max(50).optional() }) } }, async (req) =>
        work(app.db, req, (w) => listAccounts(w, req.query)),
      );
      r.get('/accounts/:id', { ...auth, schema: { tags: ['accounts'], summary: 'アカウント', params: Id } }, async (req) => work(app.db, req, (w) => getAccount(w, req.params.id)));
      r.get('/accounts/:id/events', { ...auth, schema: { tags: ['accounts'], summary: 'アカウント発行台帳', params: Id } }, async (req) => work(app.db, req, (w) => accountEvents(w, req.params.id)));
      r.post('/accounts/:id/approval', { ...auth, schema: { tags: ['accounts'], summary: '申請の承認（発行）', params: Id, body: Grant } }, async (req) => work(app.db, req, (w) => approveAccount(w, req.params.id, req.body)));
      r.post('/accounts/:id/rejection', { ...auth, schema: { tags: ['accounts'], summary: '申請の却下', params: Id, body: Reason } }, async (req) => work(app.db, req, (w) => rejectApplication(w, req.params.id, req.body.reason)));
      r.put('/accounts/:id/grants', { ...auth, schema: { tags: ['accounts'], summary: '権限・有効期限の変更', params: Id, body: Grant } }, async (req) => work(app.db, req, (w) => changeGrants(w, req.params.id, req.body)));
      r.post('/accounts/:id/suspension', { ...auth, schema: { tags: ['accounts'], summary: '利用停止', params: Id, body: Reason } }, async (req) => work(app.db, req, (w) => suspendAccount(w, req.params.id, req.body.reason)));
      r.post('/accounts/:id/reinstatement', { ...auth, schema: { tags: ['accounts'], summary: '利用再開', params: Id, body: Reason } }, async (req) => work(app.db, req, (w) => reinstateAccount(w, req.params.id, req.body.reason)));
      r.post('/accounts/:id/revocation', { ...auth, schema: { tags: ['accounts'], summary: '失効（異動・退職・契約終了）', params: Id, body: z.object({ cause: z.enum(['transfer', 'retirement', 'contract-end', 'other']), reason: z.string() }) } }, async (req) =>
        work(app.db, req, (w) => revokeAccount(w, req.params.id, req.body)),
      );
      r.post('/accounts/:id/unlock', { ...auth, schema: { tags: ['accounts'], summary: 'ロック解除', params: Id } }, async (req) => work(app.db, req, (w) => unlockAccount(w, req.params.id)));
      r.post('/accounts/:id/password-reset', { ...auth, schema: { tags: ['accounts'], summary: 'パスワード再発行', params: Id } }, async (req) => work(app.db, req, (w) => resetPassword(w, req.params.id)));
      r.get('/access-table', { ...auth, schema: { tags: ['accounts'], summary: 'アクセス権限の管理表（CSV）' } }, async (req, reply) => reply.type('text/csv; charset=utf-8').send(await work(app.db, req, (w) => accessTableCsv(w))));
      r.get('/account-review', { ...auth, schema: { tags: ['accounts'], summary: 'アカウント棚卸し', querystring: z.object({ inactiveDays: z.coerce.number().int().min(1).max(3650).optional() }) } }, async (req) =>
        work(app.db, req, (w) => reviewReport(w, req.query.inactiveDays ? { inactiveDays: req.query.inactiveDays } : {})),
      );

      // ------------------------------------------------------------ operation log
      const AuditQuery = z.object({
        actor: z.string().max(64).optional(),
        action: z.string().max(64).optional(),
        targetType: z.string().max(100).optional(),
        targetId: z.string().max(200).optional(),
        subject: z.string().max(200).optional(),
        outcome: z.enum(['success', 'failure', 'denied']).optional(),
        from: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 日時'),
        to: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        beforeId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
      });
      const toSearch = (q: z.infer<typeof AuditQuery>) => ({
        actorLogin: q.actor, action: q.action, targetType: q.targetType, targetId: q.targetId, subjectRef: q.subject, outcome: q.outcome,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, limit: q.limit, beforeId: q.beforeId,
      });
      r.get('/audit-log', { ...auth, schema: { tags: ['audit'], summary: '操作ログの検索（ログ監査）', querystring: AuditQuery } }, async (req) =>
        work(app.db, req, async (w) => {
          authorize(w.actor, 'audit.review', 'audit-review', { type: 'audit_log' });
          return searchAudit(w, toSearch(req.query));
        }),
      );
      r.get('/audit-log.csv', { ...auth, schema: { tags: ['audit'], summary: '操作ログのCSV出力（ログ監査）', querystring: AuditQuery } }, async (req, reply) => {
        const csv = await work(app.db, req, async (w) => {
          authorize(w.actor, 'audit.review', 'audit-review', { type: 'audit_log' });
          return exportAuditCsv(w, toSearch(req.query));
        });
        return reply.type('text/csv; charset=utf-8').send(csv);
      });
      r.get('/audit-log/subjects/:ref', { ...auth, schema: { tags: ['audit'], summary: '本人の情報に誰がいつ何のためにアクセスしたか', params: z.object({ ref: z.string().max(200) }) } }, async (req) =>
        work(app.db, req, async (w) => {
          authorize(w.actor, 'audit.review', 'audit-review', { type: 'audit_log', id: req.params.ref });
          return accessHistory(w, req.params.ref);
        }),
      );
    },
    { prefix: '/api/v1' },
  );
}
