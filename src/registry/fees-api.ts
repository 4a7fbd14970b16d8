// The staff API for fees (docs/formats/registry-api.md, "Fees"; decision 0196): a 資格管理者's staff read an
// application's fees, record a paper payment (収入印紙 / 登録免許税の領収証書) and the return of one, confirm an
// amount the catalog does not know, refund a withdrawn application, and read income and expenditure for a
// period and category.  Applications of a qualification outside the reader's duties answer 404 exactly as
// unknown ones do, and the refusal is logged.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { can } from '../kernel/policy/index.js';
import { forbidden, notFound } from '../kernel/problems/index.js';
import { getApplication } from './applications.js';
import { confirmFeeAmount, feeStatus, feeTotals, recordStampPayment, recordStampRefund, refundOnWithdrawal, type FeeDeps } from './fees.js';
import { authenticateStaff, dutyOf, logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant } from './store.js';
import { REGISTRY_API } from './api.js';

/** How often the registry pulls payment events it may have missed and refunds what is owed. */
export const FEE_SYNC_INTERVAL_MS = 5 * 60_000;

export function registerFeeApi(fastify: FastifyInstance, deps: FeeDeps): void {
  const session = (req: FastifyRequest): Promise<StaffSession> => authenticateStaff(deps.db, deps.clock, req.headers.authorization);
  const body = (req: FastifyRequest): Record<string, unknown> => (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {});

  /** The application if the staff member may act on its qualification (else the same 404 as unknown, logged). */
  async function application(req: FastifyRequest, s: StaffSession, perm: 'personal.read' | 'personal.write') {
    const id = String((req.params as { id: string }).id).slice(0, 40);
    const a = await withTenant(deps.db, s.staff.tenant, (tx) => getApplication(tx, id));
    if (!a || !can(s.actor, 'personal.read', dutyOf(a.qualification))) {
      await logAccess(deps.db, deps.clock, s, { action: 'read', targetType: 'application-fees', targetId: id, outcome: 'denied', requestId: req.id });
      throw notFound('申請');
    }
    if (perm === 'personal.write' && !can(s.actor, perm, dutyOf(a.qualification))) throw forbidden('手数料等の記録は審査担当・審査責任者が行います。');
    return a;
  }

  fastify.get(`${REGISTRY_API}/applications/:id/fees`, async (req) => {
    const s = await session(req);
    const a = await application(req, s, 'personal.read');
    await logAccess(deps.db, deps.clock, s, { action: 'read', targetType: 'application-fees', targetId: a.id, outcome: 'ok', requestId: req.id });
    return withTenant(deps.db, s.staff.tenant, async (tx) => feeStatus(tx, (await getApplication(tx, a.id))!));
  });

  fastify.post(`${REGISTRY_API}/applications/:id/fees/stamps`, async (req, reply) => {
    const s = await session(req);
    const a = await application(req, s, 'personal.write');
    reply.code(201);
    return recordStampPayment(deps.db, deps.clock, s.staff.tenant, a.id, { ...body(req), by: s.staff.userId });
  });

  fastify.post(`${REGISTRY_API}/applications/:id/fees/stamp-refunds`, async (req, reply) => {
    const s = await session(req);
    const a = await application(req, s, 'personal.write');
    reply.code(201);
    return recordStampRefund(deps.db, deps.clock, s.staff.tenant, a.id, { ...body(req), by: s.staff.userId });
  });

  fastify.post(`${REGISTRY_API}/applications/:id/fees/amounts`, async (req) => {
    const s = await session(req);
    const a = await application(req, s, 'personal.write');
    if (s.staff.role !== 'supervisor') throw forbidden('手数料等の額を確定できるのは審査責任者だけです。');
    return confirmFeeAmount(deps.db, deps.clock, s.staff.tenant, a.id, { ...body(req), by: s.staff.userId });
  });

  fastify.post(`${REGISTRY_API}/applications/:id/fees/refund`, async (req) => {
    const s = await session(req);
    const a = await application(req, s, 'personal.write');
    return refundOnWithdrawal(deps, s.staff.tenant, a.id);
  });

  // Income and expenditure of the reader's 資格管理者, within the qualifications of their duties.
  fastify.get(`${REGISTRY_API}/fees/totals`, async (req) => {
    const s = await session(req);
    const q = { ...(req.query as Record<string, unknown>) };
    const visible = visibleQualifications(s).map((x) => x.code);
    if (typeof q['qualification'] === 'string' && !visible.includes(q['qualification'])) {
      await logAccess(deps.db, deps.clock, s, { action: 'list', targetType: 'fee-totals', targetId: String(q['qualification']).slice(0, 40), outcome: 'denied', requestId: req.id });
      throw notFound('資格');
    }
    await logAccess(deps.db, deps.clock, s, { action: 'list', targetType: 'fee-totals', outcome: 'ok', requestId: req.id });
    return feeTotals(deps.db, s.staff.tenant, q, visible);
  });
}
