// JSON API for residents and vaccination records (issue 4 point 5c).  Same rules as the rest of /api/v1:
// session cookie or Bearer token, JSON bodies only, problem+json errors; no My Number in any response.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app/index.js';
import { metaOf, work } from '../../kernel/http/index.js';
import { SESSION_COOKIE } from '../../kernel/access/index.js';
import { isProblem, unauthenticated } from '../../kernel/problems/index.js';
import { isRealDate } from '../../kernel/fields/index.js';
import { doseGroups, type DoseGroups } from './dose-groups.js';
import { getPerson, searchPersons } from '../../municipality/residents/index.js';
import { checkDose, correctRecord, deleteRecord, fhirExport, getRecord, personTimeline, recordVersions } from '../../municipality/records/index.js';
import { jsonOnly, needSession } from './v1.js';
import { principalOf } from '../../kernel/http/index.js';
import { askVaccinationHistory, adoptInquiry, getInquiry, personDataUse, type MunicipalExchange } from '../../municipality/exchange/index.js';

const Atena = z.object({ atenaNo: z.string().regex(/^\d{10}$/).describe('宛名番号') });
const Id = z.object({ id: z.string().describe('接種記録ID') });
/** A real calendar date (decision 0133: 2026-02-30 is a 400 naming the parameter, not a database error). */
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日付は YYYY-MM-DD 形式で指定してください')
  .refine(isRealDate, '実在する日付を指定してください');
const AsOf = z.object({ asOf: IsoDate.optional().describe('基準日 YYYY-MM-DD') });
const Dose = z.record(z.string(), z.unknown()).describe('接種記録の項目（docs/formats/clinic-records-csv.md と同じ意味。product, vaccinatedOn, lot, …）');

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's dose-registration groups (decision 0130); the bench reads their sizes. */
    doseGroups?: DoseGroups;
  }
}

export async function registerMunicipalityApi(fastify: FastifyInstance, app: App, exchange?: MunicipalExchange): Promise<void> {
  // Decision 0130: registrations are written in groups, the session checked in the group's transaction.
  const doses = doseGroups(app);
  fastify.decorate('doseGroups', doses);
  await fastify.register(
    async (api) => {
      const r = api.withTypeProvider<ZodTypeProvider>();
      api.addHook('onRequest', jsonOnly);
      const auth = { preHandler: async (req: FastifyRequest) => needSession(req) };

      r.get('/residents', { ...auth, schema: { tags: ['residents'], summary: '住民・宛名の検索（個人番号は含まない）', querystring: z.object({ atenaNo: z.string().max(20).optional(), kana: z.string().max(50).optional(), birthDate: IsoDate.optional(), former: z.enum(['true', 'false'], '「former」は true か false で指定してください').optional().describe('転出・死亡・消除した人も含める') }) } }, async (req) =>
        work(app.db, req, (w) => searchPersons(w, { atenaNo: req.query.atenaNo, kana: req.query.kana, birthDate: req.query.birthDate, includeFormer: req.query.former === 'true' })),
      );
      // 情報の利用と提供の記録 (XCH-14, マイナポータル やりとり履歴 + operation log): ログ監査, or the person via the portal.
      r.get('/residents/:atenaNo/data-use', { ...auth, schema: { tags: ['exchange'], summary: '情報の利用と提供の記録（情報提供等記録と職員による利用）', params: Atena } }, async (req) =>
        personDataUse(app.db, principalOf(req), exchange, req.params.atenaNo),
      );
      r.post('/residents/:atenaNo/exchange/inquiries', { ...auth, schema: { tags: ['exchange'], summary: '転入前の市区町村への予防接種歴の照会（情報提供ネットワークシステム）', params: Atena, body: z.object({ provider: z.string().regex(/^\d{6}$/).optional().describe('照会先の団体コード（省略時は転入前住所から）') }).optional() } }, async (req, reply) => {
        if (!exchange) return reply.status(503).type('application/problem+json').send({ type: 'about:blank', status: 503, code: 'EXCHANGE_OFFLINE', title: '情報提供ネットワークシステムに接続していません' });
        return askVaccinationHistory(app.db, principalOf(req), exchange, req.params.atenaNo, { provider: req.body?.provider });
      });
      r.get('/exchange/inquiries/:id', { ...auth, schema: { tags: ['exchange'], summary: '照会の結果', params: z.object({ id: z.string().max(64) }) } }, async (req) => work(app.db, req, (w) => getInquiry(w, req.params.id)));
      r.post('/exchange/inquiries/:id/adopt', { ...auth, schema: { tags: ['exchange'], summary: '照会結果を予防接種台帳に取り込む', params: z.object({ id: z.string().max(64) }), body: z.object({ only: z.array(z.number().int().min(0).max(499)).optional() }).optional() } }, async (req) =>
        work(app.db, req, (w) => adoptInquiry(w, req.params.id, { only: req.body?.only })),
      );
      r.get('/residents/:atenaNo', { ...auth, schema: { tags: ['residents'], summary: '住民の詳細（個人番号は含まない）', params: Atena } }, async (req) => work(app.db, req, (w) => getPerson(w, app.vault, req.params.atenaNo)));
      r.get('/residents/:atenaNo/vaccinations', { ...auth, schema: { tags: ['vaccinations'], summary: '接種記録と予防接種ごとの状況', params: Atena, querystring: AsOf } }, async (req) =>
        work(app.db, req, (w) => personTimeline(w, req.params.atenaNo, req.query.asOf)),
      );
      r.post('/residents/:atenaNo/vaccinations/check', { ...auth, schema: { tags: ['vaccinations'], summary: '接種予定の確認（登録しない）', params: Atena, body: Dose } }, async (req) => work(app.db, req, (w) => checkDose(w, req.params.atenaNo, req.body)));
      r.post(
        '/residents/:atenaNo/vaccinations',
        {
          config: { sessionInTransaction: true },
          schema: { tags: ['vaccinations'], summary: '接種記録の登録（規則に合わない接種は overrideReason が必要）', params: Atena, body: z.object({ overrideReason: z.string().optional() }).catchall(z.unknown()) },
        },
        async (req, reply) => {
          const presented = req.presentedSession;
          if (!presented) throw unauthenticated();
          const { overrideReason, ...dose } = req.body;
          try {
            const rec = await doses.register({ token: presented.token, atenaNo: req.params.atenaNo, dose, overrideReason, meta: metaOf(req) });
            return reply.status(201).send(rec);
          } catch (e) {
            if (isProblem(e) && e.status === 401 && presented.via === 'cookie') reply.clearCookie(SESSION_COOKIE, { path: '/' });
            throw e;
          }
        },
      );
      r.get('/residents/:atenaNo/fhir', { ...auth, schema: { tags: ['vaccinations'], summary: '予防接種歴の FHIR R4 Bundle（Patient, Immunization, ImmunizationRecommendation）', params: Atena, querystring: AsOf } }, async (req, reply) =>
        reply.type('application/fhir+json; charset=utf-8').send(await work(app.db, req, (w) => fhirExport(w, app.vault, req.params.atenaNo, req.query.asOf))),
      );
      r.get('/vaccinations/:id', { ...auth, schema: { tags: ['vaccinations'], summary: '接種記録', params: Id } }, async (req) => work(app.db, req, (w) => getRecord(w, req.params.id)));
      r.get('/vaccinations/:id/versions', { ...auth, schema: { tags: ['vaccinations'], summary: '接種記録の版の履歴', params: Id } }, async (req) => work(app.db, req, (w) => recordVersions(w, req.params.id)));
      r.patch(
        '/vaccinations/:id',
        { ...auth, schema: { tags: ['vaccinations'], summary: '接種記録の修正（新しい版）', params: Id, body: z.object({ changes: Dose, reasonKind: z.string(), reason: z.string(), overrideReason: z.string().optional() }) } },
        async (req) => work(app.db, req, (w) => correctRecord(w, req.params.id, req.body.changes, { reasonKind: req.body.reasonKind, reason: req.body.reason, overrideReason: req.body.overrideReason })),
      );
      r.post('/vaccinations/:id/deletion', { ...auth, schema: { tags: ['vaccinations'], summary: '接種記録の削除（論理削除）', params: Id, body: z.object({ reasonKind: z.string(), reason: z.string() }) } }, async (req) =>
        work(app.db, req, (w) => deleteRecord(w, req.params.id, req.body)),
      );
    },
    { prefix: '/api/v1' },
  );
}
