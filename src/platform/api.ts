// The registration API (REST, PMH-style; docs/formats/platform-protocol.md): what a 健康管理システム of any
// vendor calls with a tenant's Bearer token.  Handlers are thin: authenticate, call one domain function,
// shape the answer.  Every call is logged (platform.calls and the handling log).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Problem, notFound } from '../kernel/problems/index.js';
import { deleteByOperator, handlingLog, handlingLogCsv, linkageList, putTemplate, putVaccinationSettings } from './admin.js';
import { basicFiveInfoSchema, deleteRowSchema, registerRowSchema, settingsSchema, templateSchema } from './model.js';
import { registerTargets, type PlatformDeps } from './registration.js';
import { authenticateToken } from './tenants.js';

export const API_BASE = '/pmh/v1';

export function registerPlatformApi(fastify: FastifyInstance, deps: PlatformDeps): void {
  const auth = (req: FastifyRequest) => authenticateToken(deps.db, deps.clock, req.headers.authorization);
  const header = (req: FastifyRequest, name: string): string | undefined => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };

  fastify.post(`${API_BASE}/targets`, async (req) => {
    const who = await auth(req);
    const fileName = header(req, 'x-linkage-file-name');
    if (fileName !== undefined && !/^[^\\/\r\n]{1,200}$/.test(fileName)) throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', 'X-Linkage-File-Name: 200文字以内のファイル名を指定してください', [{ field: 'X-Linkage-File-Name', code: 'INVALID', message: '200文字以内のファイル名を指定してください' }]);
    return registerTargets(deps, who.tenant, { items: req.body, fileName, idempotencyKey: header(req, 'idempotency-key'), source: 'api', caller: `api:${who.userId}` });
  });

  fastify.get<{ Params: { key: string } }>(`${API_BASE}/targets/:key`, async (req) => {
    const who = await auth(req);
    if (!/^[0-9A-Za-z-]{1,20}$/.test(req.params.key)) throw notFound('対象者');
    const r = await linkageList(deps.db, who.tenant.code, { keys: [req.params.key] });
    const item = r.items[0];
    if (!item) throw notFound('対象者');
    return item;
  });

  fastify.delete<{ Params: { key: string } }>(`${API_BASE}/targets/:key`, async (req) => {
    const who = await auth(req);
    if (!/^[0-9A-Za-z-]{1,20}$/.test(req.params.key)) throw notFound('対象者');
    const reason = (req.body as { reason?: unknown } | null | undefined)?.reason;
    return { deleted: true, ...(await deleteByOperator(deps.db, deps.clock, who.tenant.code, req.params.key, `api:${who.userId}`, reason)) };
  });

  fastify.get(`${API_BASE}/linkage`, async (req) => {
    const who = await auth(req);
    return linkageList(deps.db, who.tenant.code, req.query);
  });

  fastify.put(`${API_BASE}/settings/vaccinations`, async (req) => {
    const who = await auth(req);
    return putVaccinationSettings(deps.db, deps.clock, who.tenant.code, req.body);
  });

  fastify.put<{ Params: { templateId: string } }>(`${API_BASE}/templates/:templateId`, async (req) => {
    const who = await auth(req);
    return putTemplate(deps.db, deps.clock, who.tenant.code, req.params.templateId, req.body);
  });

  fastify.get(`${API_BASE}/logs`, async (req, reply) => {
    const who = await auth(req);
    const entries = await handlingLog(deps.db, who.tenant.code, req.query);
    if ((req.headers.accept ?? '').includes('text/csv')) {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="pmh-handling-log.csv"').send(handlingLogCsv(entries));
    }
    return { total: entries.length, entries };
  });

  fastify.get(`${API_BASE}/openapi.json`, async () => platformOpenApi());
}

const problem = { $ref: '#/components/schemas/Problem' };
const bearer = [{ bearer: [] }];
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = { '400': { description: '入力内容の誤り（行と項目を errors に示す）', ...json(problem) }, '401': { description: '認証できない', ...json(problem) }, '409': { description: '再送キーの衝突', ...json(problem) } };

/** The OpenAPI 3.1 document of the registration API (docs/api/platform-openapi.json is this, generated). */
export function platformOpenApi(): Record<string, unknown> {
  const js = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const linkage = { type: 'object', properties: { municipalityIdentityKey: { type: 'string' }, targetId: { type: 'string' }, status: { enum: ['linked', 'error', 'deleted'] }, error: { type: ['string', 'null'] }, fileName: { type: 'string' }, at: { type: 'string', format: 'date-time' }, changeCategory: { type: ['string', 'null'] }, movementDate: { type: ['string', 'null'] } } };
  return {
    openapi: '3.1.0',
    info: { title: 'Mamori 予診情報・予防接種記録管理／請求支払システム 連携API', version: '1', description: '健康管理システムから対象者・予防接種設定・雛形を登録するAPI（PMH の公開仕様の項目名に合わせています）。個人番号は登録にだけ使い、応答には含みません。' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: '契約団体ごとに発行するトークン（mamori platform token）' } },
      schemas: {
        Target: { oneOf: [js(registerRowSchema), js(deleteRowSchema)], description: 'modificationSeg "1" 登録・更新、"2" 削除' },
        BasicFiveInfo: js(basicFiveInfoSchema),
        Settings: js(settingsSchema),
        Template: js(templateSchema),
        Linkage: linkage,
        RegistrationAnswer: {
          type: 'object',
          properties: {
            callId: { type: 'string' }, fileName: { type: 'string' }, sent: { type: 'integer' }, registered: { type: 'integer' }, updated: { type: 'integer' }, deleted: { type: 'integer' }, unchanged: { type: 'integer' }, failed: { type: 'integer' },
            results: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, municipalityIdentityKey: { type: 'string' }, targetId: { type: ['string', 'null'] }, status: { enum: ['registered', 'updated', 'deleted', 'unchanged', 'failed'] }, linkage: { type: 'object', properties: { status: { enum: ['linked', 'error', 'deleted'] }, error: { type: ['string', 'null'] } } } } } },
          },
        },
        Problem: { type: 'object', properties: { status: { type: 'integer' }, code: { type: 'string' }, title: { type: 'string' }, detail: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } } } },
      },
    },
    paths: {
      [`${API_BASE}/targets`]: {
        post: {
          summary: '対象者の登録・更新・削除（一括）', security: bearer,
          parameters: [
            { name: 'X-Linkage-File-Name', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: '連携ファイル名' },
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 100 }, description: '同じキーと内容の再送には最初の応答を返す' },
          ],
          requestBody: { required: true, ...json({ type: 'array', minItems: 1, maxItems: 10000, items: { $ref: '#/components/schemas/Target' } }) },
          responses: { '200': { description: '受け付けた結果（行ごとの連携状況）', ...json({ $ref: '#/components/schemas/RegistrationAnswer' }) }, ...errors },
        },
      },
      [`${API_BASE}/targets/{municipalityIdentityKey}`]: {
        get: { summary: '対象者の連携状況', security: bearer, parameters: [{ name: 'municipalityIdentityKey', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: '連携状況', ...json({ $ref: '#/components/schemas/Linkage' }) }, '404': { description: '登録がない', ...json(problem) } } },
        delete: { summary: '対象者の削除（運用保守への依頼）', security: bearer, parameters: [{ name: 'municipalityIdentityKey', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, ...json({ type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } }) }, responses: { '200': { description: '削除した', ...json({ type: 'object' }) }, '404': { description: '登録がない', ...json(problem) } } },
      },
      [`${API_BASE}/linkage`]: { get: { summary: '連携状況の一覧', security: bearer, parameters: [{ name: 'status', in: 'query', schema: { enum: ['linked', 'error', 'deleted'] } }, { name: 'page', in: 'query', schema: { type: 'integer' } }, { name: 'perPage', in: 'query', schema: { type: 'integer' } }], responses: { '200': { description: '一覧', ...json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: { $ref: '#/components/schemas/Linkage' } } } }) } } } },
      [`${API_BASE}/settings/vaccinations`]: { put: { summary: '予防接種設定の登録', security: bearer, requestBody: { required: true, ...json({ type: 'array', items: { type: 'object' } }) }, responses: { '200': { description: '登録した件数', ...json({ type: 'object' }) }, ...errors } } },
      [`${API_BASE}/templates/{templateId}`]: { put: { summary: '雛形（予診票項目・通知文言）の登録', security: bearer, parameters: [{ name: 'templateId', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, ...json({ $ref: '#/components/schemas/Template' }) }, responses: { '200': { description: '版', ...json({ type: 'object' }) }, ...errors } } },
      [`${API_BASE}/logs`]: { get: { summary: '特定個人情報の取扱いログ（CSV は Accept: text/csv）', security: bearer, parameters: [{ name: 'from', in: 'query', schema: { type: 'string' } }, { name: 'to', in: 'query', schema: { type: 'string' } }], responses: { '200': { description: 'ログ', ...json({ type: 'object' }) } } } },
    },
  };
}
