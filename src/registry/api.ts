// The registry's staff API (docs/formats/registry-api.md; decision 0169): a staff member of a 資格管理者
// reads the qualifications in their jurisdiction and their own tenant's staff.  Anything outside their
// jurisdiction answers 404 exactly as an unknown code does, and the refusal is logged under their tenant.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../kernel/clock/index.js';
import { forbidden, notFound } from '../kernel/problems/index.js';
import { AFFILIATION_LABELS, PROCEDURE_LABELS, catalog, type QualificationEntry } from './catalog.js';
import { accessLog, authenticateStaff, listStaff, logAccess, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS, visibleQualifications, type StaffSession } from './staff.js';
import { showEntry } from './register.js';
import { applicationDetail, decideApplication, examinationQueue, recordKosekiExtract, runChecksAsStaff, staffEraseEntry, staffRecordDisposition, type ExaminationDeps } from './examination.js';
import type { Db } from './store.js';
import { enterPaperApplication } from './paper.js';
import type { RegistrySecrets } from './secrets.js';

export const REGISTRY_API = '/registry/v1';

export interface RegistryApiDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The registry's keys (the paper channel seals the My Number taken at the counter). */
  readonly secrets?: RegistrySecrets;
  /** Examination (queue, checks, decisions, staff writes to the register); without it those routes are absent. */
  readonly examination?: ExaminationDeps;
}

const RETENTION_LABELS = { permanent: '永年保存', managed: '資格の管理に必要な間、適切に管理' } as const;

/** A qualification as staff see it: labels, no internal structure beyond the codes they use. */
export function qualificationView(q: QualificationEntry): Record<string, unknown> {
  return {
    code: q.code,
    name: q.name,
    registerName: q.registerName,
    file: q.fileName,
    administrator: q.administrator,
    division: q.division,
    legalBasis: q.legalBasis,
    registerItems: q.registerItems,
    fees: q.fees.map((f) => ({ procedure: PROCEDURE_LABELS[f.procedure], kind: f.kind, amount: f.amount, status: f.status, source: f.source })),
    retention: {
      register: RETENTION_LABELS[q.retention.registerKept],
      neverFullyErased: q.retention.neverFullyErased,
      erasure: '論理抹消（抹消の事実を記録し、データは保持）',
      myNumberOfLivingAfterLoss: q.retention.myNumberOnLoss.living === 'delete' ? '物理削除' : '保持',
      myNumberOfDeceased: '保持',
      requirements: q.retention.requirements,
    },
  };
}

export function registerRegistryApi(fastify: FastifyInstance, deps: RegistryApiDeps): void {
  const session = (req: FastifyRequest): Promise<StaffSession> => authenticateStaff(deps.db, deps.clock, req.headers.authorization);

  fastify.get(`${REGISTRY_API}/me`, async (req) => {
    const s = await session(req);
    const admin = catalog().administrator(s.staff.tenant)!;
    return {
      userId: s.staff.userId,
      name: s.staff.name,
      administrator: { code: admin.code, name: admin.name },
      affiliation: `${AFFILIATION_LABELS[s.staff.affiliation]}（${s.staff.affiliationName}）`,
      role: STAFF_ROLE_LABELS[s.staff.role],
      qualifications: visibleQualifications(s).map((q) => q.code),
    };
  });

  fastify.get(`${REGISTRY_API}/qualifications`, async (req) => {
    const s = await session(req);
    return { items: visibleQualifications(s).map((q) => ({ code: q.code, name: q.name, registerName: q.registerName, file: q.fileName, division: q.division })) };
  });

  fastify.get(`${REGISTRY_API}/qualifications/:code`, async (req) => {
    const s = await session(req);
    const code = String((req.params as { code: string }).code).slice(0, 40);
    const q = visibleQualifications(s).find((x) => x.code === code);
    if (!q) {
      // Another administrator's qualification, one outside the staff member's duties, or no such code: the
      // same 404, and the attempt is kept in the reader's own tenant's log.
      await logAccess(deps.db, deps.clock, s, { action: 'read', targetType: 'qualification', targetId: code, outcome: 'denied', requestId: req.id });
      throw notFound('資格');
    }
    return qualificationView(q);
  });

  // An entry of the register with its history (never a My Number): every read logged; another
  // administrator's, another duty's or an unknown number → the same 404, logged as denied.
  fastify.get(`${REGISTRY_API}/qualifications/:code/entries/:number`, async (req) => {
    const s = await session(req);
    const p = req.params as { code: string; number: string };
    return showEntry(deps, s, p.code, p.number, req.id);
  });

  // The paper channel (QUA-06, decision 0191): an application received at the counter or by post, entered
  // with the identity proof the official saw and the My Number taken there.  Answers the application (no My Number).
  fastify.post(`${REGISTRY_API}/applications/paper`, async (req, reply) => {
    const s = await session(req);
    if (!deps.secrets) throw new Error('registry API: the paper channel needs the registry secrets');
    const a = await enterPaperApplication({ db: deps.db, clock: deps.clock, secrets: deps.secrets }, s, req.body, req.id);
    return reply.status(201).send({ applicationId: a.id, status: a.status, statusLabel: a.statusLabel, qualification: a.qualification, procedure: a.procedure, procedureLabel: a.procedureLabel, channelLabel: a.channelLabel, receivedAt: a.receivedAt, receivedBy: a.receivedBy, identityProof: a.identityProof, attachments: a.attachments, events: a.events });
  });
  if (deps.examination) registerExaminationApi(fastify, deps.examination, session);

  fastify.get(`${REGISTRY_API}/staff`, async (req) => {
    const s = await session(req);
    const rows = await listStaff(deps.db, s.staff.tenant);
    return {
      items: rows.map((r) => ({ userId: r.userId, name: r.name, affiliation: `${AFFILIATION_LABELS[r.affiliation]}（${r.affiliationName}）`, role: STAFF_ROLE_LABELS[r.role], qualifications: r.qualifications, status: STAFF_STATUS_LABELS[r.status], validUntil: r.validUntil })),
    };
  });

  // The tenant's access log, for its supervisors (審査責任者): who read what, and every refused read.
  fastify.get(`${REGISTRY_API}/access-log`, async (req) => {
    const s = await session(req);
    if (s.staff.role !== 'supervisor') {
      await logAccess(deps.db, deps.clock, s, { action: 'read', targetType: 'access-log', outcome: 'denied', requestId: req.id });
      throw forbidden('アクセス記録を参照できるのは審査責任者だけです。');
    }
    const rows = await accessLog(deps.db, s.staff.tenant);
    return { items: rows.map((r) => ({ at: r.at, userId: r.userId, action: ({ read: '参照', list: '一覧', write: '登録・変更', decide: '審査の決定' } as Record<string, string>)[r.action] ?? r.action, target: r.targetType, targetId: r.targetId, outcome: r.outcome === 'ok' ? '許可' : '拒否' })) };
  });
}

/**
 * Examination routes (docs/formats/registry-api.md 「審査」): the queue of the staff member's qualifications,
 * one application with its checks and what approval needs, running the checks, the 戸籍謄本等 received, the
 * decision, and the 審査責任者's 行政処分 and 抹消.  Each checks the session's duty (404 outside it, logged).
 */
function registerExaminationApi(fastify: FastifyInstance, ex: ExaminationDeps, session: (req: FastifyRequest) => Promise<StaffSession>): void {
  const id = (req: FastifyRequest) => String((req.params as { id: string }).id).slice(0, 40);
  fastify.get(`${REGISTRY_API}/applications`, async (req) => examinationQueue(ex.db, ex.clock, await session(req), req.query, req.id));
  fastify.get(`${REGISTRY_API}/applications/:id`, async (req) => applicationDetail(ex.db, ex.clock, await session(req), id(req), req.id));
  fastify.post(`${REGISTRY_API}/applications/:id/checks`, async (req) => ({ items: await runChecksAsStaff(ex, await session(req), id(req), req.id) }));
  fastify.post(`${REGISTRY_API}/applications/:id/koseki-extract`, async (req) => recordKosekiExtract(ex, await session(req), id(req), req.body ?? {}, req.id));
  fastify.post(`${REGISTRY_API}/applications/:id/decision`, async (req) => decideApplication(ex, await session(req), id(req), req.body ?? {}, req.id));
  const entry = (req: FastifyRequest) => req.params as { code: string; number: string };
  fastify.post(`${REGISTRY_API}/qualifications/:code/entries/:number/dispositions`, async (req) => {
    const p = entry(req);
    return staffRecordDisposition(ex, await session(req), p.code, p.number, req.body ?? {}, req.id);
  });
  fastify.post(`${REGISTRY_API}/qualifications/:code/entries/:number/erasure`, async (req) => {
    const p = entry(req);
    return staffEraseEntry(ex, await session(req), p.code, p.number, req.body ?? {}, req.id);
  });
}
