// Retention of electronic applications' content (KRN-37; decision 0156): five years after an application
// was decided (accepted, rejected, or superseded) its form — names, phone, bank account — is erased, and so
// are the personal items of its hand-over; the row stays (申請番号, kind, status, dates, reasons, digest,
// history), so the register of applications keeps working.  The signed original is erased long before, at
// the decision.  Logical deletion with approval, like the notices' printed content.
import { sql } from 'kysely';
import type { TenantDataClass } from '../../kernel/retention/index.js';

const DUE = sql`status IN ('accepted', 'rejected', 'superseded') AND content_erased_at IS NULL AND form IS NOT NULL`;

export const EAPPLICATION_CONTENT_CLASS: TenantDataClass = {
  name: 'eapplication-content',
  label: '電子申請の申請内容（氏名・電話番号・口座等）',
  duty: 'vaccination',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 5, deletion: 'logical', requiresApproval: true },
  methods: ['logical'],
  async count(w, cutoff) {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.eapplications
      WHERE tenant_code = ${w.tenant} AND ${DUE} AND COALESCE(decided_at, erased_at) < ${cutoff}`.execute(w.tx);
    return Number(r.rows[0]?.n ?? 0);
  },
  async purge(w, cutoff) {
    const now = w.clock.now();
    const rows = await sql<{ id: string }>`UPDATE municipality.eapplications SET form = NULL, content_erased_at = ${now}
      WHERE tenant_code = ${w.tenant} AND ${DUE} AND COALESCE(decided_at, erased_at) < ${cutoff} RETURNING id`.execute(w.tx);
    const ids = rows.rows.map((r) => r.id);
    if (ids.length) {
      await sql`UPDATE municipality.eapplication_handovers
        SET payload = jsonb_strip_nulls(jsonb_build_object('applicationNo', payload->'applicationNo', 'program', payload->'program', 'amountPaid', payload->'amountPaid', 'erased', true))
        WHERE tenant_code = ${w.tenant} AND application_id = ANY(${ids}::uuid[])`.execute(w.tx);
    }
    return { count: ids.length, targetIds: ids.map((id) => `eapplication:${id}`) };
  },
};
