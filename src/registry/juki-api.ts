// The staff API of the check proposals (docs/formats/registry-api.md「住基ネット・戸籍の確認結果」; decision 0182):
// a staff member lists the proposals of their qualifications and closes one (審査担当・審査責任者 only).  Another
// qualification's or administrator's proposal answers 404 exactly as an unknown number does, logged as denied.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { parseInput } from '../kernel/problems/index.js';
import { REGISTRY_API } from './api.js';
import { closeProposalAsStaff, listProposalsForStaff } from './juki.js';
import { authenticateStaff } from './staff.js';
import type { Db } from './store.js';

const listQuery = z
  .object({
    status: z.enum(['open', 'accepted', 'rejected', 'all']).optional(),
    kind: z.string().max(20).optional(),
    limit: z.string().regex(/^[0-9]{1,4}$/, { message: '件数（数字）を指定してください' }).optional(),
    offset: z.string().regex(/^[0-9]{1,8}$/, { message: '数字を指定してください' }).optional(),
  })
  .strict();

export function registerJukiApi(fastify: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  fastify.get(`${REGISTRY_API}/check-proposals`, async (req) => {
    const s = await authenticateStaff(deps.db, deps.clock, req.headers.authorization);
    const q = parseInput(listQuery, req.query ?? {});
    return listProposalsForStaff(deps, s, { ...q });
  });

  fastify.post(`${REGISTRY_API}/check-proposals/:id`, async (req) => {
    const s = await authenticateStaff(deps.db, deps.clock, req.headers.authorization);
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    const { id: _ignored, tenant: _t, by: _b, ...rest } = body;
    return closeProposalAsStaff(deps, s, { ...rest, id: String((req.params as { id: string }).id).slice(0, 20) });
  });
}
