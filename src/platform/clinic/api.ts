// The clinic JSON API (docs/formats/clinic-protocol.md §2), base /clinic/v1 on the platform node: session
// cookie `mamori_clinic` (HttpOnly, SameSite=Strict, Path=/clinic) and `X-CSRF-Token` on every POST; role
// rules (reception < doctor < admin); errors as application/problem+json in Japanese.  Handlers are thin:
// authenticate, check the role, call one domain function.  Nothing here is computed per request that could
// be computed once (the CA certificate, the catalog and the keys live in the ClinicContext).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logger } from '../../kernel/log/index.js';
import { Problem } from '../../kernel/problems/index.js';
import type { ClinicContext } from './context.js';
import { ScheduleProblem, checkDose, readGs1, registerDose } from './doses.js';
import { receptionByCard, receptionByQr, receptionChallenge } from './reception.js';
import { clinicLogin, clinicLogout, clinicSession, csrfMatches, SESSION_HOURS, type ClinicSession } from './session.js';
import { cancelVisit, decide, examIdentity, listVisits, visitDetail } from './visits.js';

export const CLINIC_API_BASE = '/clinic/v1';
export const CLINIC_COOKIE = 'mamori_clinic';

type Role = ClinicSession['role'];
const RANK: Record<Role, number> = { reception: 1, doctor: 2, admin: 3 };

function cookieOf(req: FastifyRequest): string | undefined {
  const h = req.headers.cookie;
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === CLINIC_COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAge: number): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${CLINIC_COOKIE}=${value}; Path=/clinic; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`);
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

const viewOf = (s: ClinicSession) => ({
  user: { userId: s.userId, name: s.name, role: s.role },
  institution: { code: s.institutionCode, name: s.institutionName },
  csrf: s.csrf,
});

export function registerClinicApi(fastify: FastifyInstance, c: ClinicContext): void {
  void fastify.register(
    async (f) => {
      f.setErrorHandler((err, req, reply) => {
        const p =
          err instanceof Problem
            ? err
            : (err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500
              ? new Problem((err as { statusCode: number }).statusCode, 'BAD_REQUEST', '要求の形式が正しくありません', 'JSON の形式を確認してください。')
              : new Problem(500, 'INTERNAL', '処理中にエラーが発生しました', `問い合わせ番号: ${req.id}`);
        if (p.status >= 500) logger().error({ node: 'platform', reqId: req.id, route: req.routeOptions?.url, err: (err as Error).message }, 'clinic request failed');
        return reply
          .status(p.status)
          .header('cache-control', 'no-store')
          .type('application/problem+json; charset=utf-8')
          .send({
            type: 'about:blank', status: p.status, code: p.code, title: p.title, detail: p.detail,
            ...(p.errors.length ? { errors: p.errors } : {}),
            ...(p instanceof ScheduleProblem ? { warnings: p.warnings } : {}),
          });
      });
      f.addHook('onSend', async (_req, reply, payload) => {
        reply.header('cache-control', 'no-store');
        return payload;
      });

      /** The session of the request, with the role and (for POST) the CSRF token checked. */
      const auth = async (req: FastifyRequest, min: Role = 'reception'): Promise<ClinicSession> => {
        const s = await clinicSession(c, cookieOf(req));
        if (!s) throw new Problem(401, 'UNAUTHENTICATED', 'ログインが必要です', 'ログインの有効期限が切れたか、ログインしていません。もう一度ログインしてください。');
        if (req.method !== 'GET' && !csrfMatches(s, header(req, 'x-csrf-token'))) {
          throw new Problem(403, 'CSRF_INVALID', '画面の有効期限が切れました', '画面を読み込み直してから、もう一度操作してください。');
        }
        if (RANK[s.role] < RANK[min]) throw new Problem(403, 'FORBIDDEN_ROLE', '権限がありません', min === 'doctor' ? 'この操作は医師のアカウントで行ってください。' : 'この操作を行う権限がありません。');
        return s;
      };

      f.post('/login', async (req, reply) => {
        const { token, session } = await clinicLogin(c, req.body);
        setCookie(req, reply, token, SESSION_HOURS * 3600);
        return viewOf(session);
      });
      f.post('/logout', async (req, reply) => {
        await clinicLogout(c, await auth(req));
        setCookie(req, reply, '', 0);
        return { loggedOut: true };
      });
      f.get('/me', async (req) => viewOf(await auth(req)));

      f.post('/reception/challenge', async (req) => receptionChallenge(c, await auth(req)));
      f.post('/reception/card', async (req) => receptionByCard(c, await auth(req), req.body));
      f.post('/reception/qr', async (req) => receptionByQr(c, await auth(req), req.body));

      f.get('/visits', async (req) => listVisits(c, await auth(req), req.query));
      f.get<{ Params: { visitId: string } }>('/visits/:visitId', async (req) => visitDetail(c, await auth(req), req.params.visitId));
      f.post<{ Params: { visitId: string } }>('/visits/:visitId/identity', async (req) => examIdentity(c, await auth(req, 'doctor'), req.params.visitId, req.body));
      f.post<{ Params: { visitId: string } }>('/visits/:visitId/decision', async (req) => decide(c, await auth(req, 'doctor'), req.params.visitId, req.body));
      f.post<{ Params: { visitId: string } }>('/visits/:visitId/cancel', async (req) => cancelVisit(c, await auth(req), req.params.visitId, req.body));

      f.post('/gs1', async (req) => {
        await auth(req, 'doctor');
        return readGs1(c, req.body);
      });
      f.post('/doses/check', async (req) => checkDose(c, await auth(req, 'doctor'), req.body));
      f.post('/doses', async (req, reply) => {
        const s = await auth(req, 'doctor');
        const r = await registerDose(c, s, req.body, header(req, 'idempotency-key'));
        if (r.replay) reply.header('idempotent-replayed', 'true');
        return reply.status(201).send(r.answer);
      });
    },
    { prefix: CLINIC_API_BASE },
  );
}
