// Retention of vaccination records (KRN-37, KRN-38, KRN-39; decision 0116).
//
// 予防接種法施行規則第3条 and the 定期接種実施要領 keep records at least 5 years (the legal minimum, quoted
// by seed 002: 「少なくとも５年管理・保管すると定められており」); 002 keeps them 「20年以上」 because
// certificates are asked for long after.  Default: 20 years; a tenant may lengthen it or set it down to the
// legal 5 years, never below.  The period runs from the later of the 接種日 and the day the person ceased to
// be a resident: the records of a resident or a registered 住登外者 are never due (a 25-year-old asks for a
// certificate of the MR doses of their first year).  A due record and its versions are deleted physically,
// after approval by the 予防接種 duty.
import { sql } from 'kysely';
import { jstToday } from '../../kernel/jp/index.js';
import type { TenantDataClass } from '../../kernel/retention/index.js';
import type { Work } from '../../kernel/context/index.js';
import { ceasedBefore, countDue } from '../residents/index.js';

const dueRecords = (w: Work, cutoff: Date) => sql`
  FROM municipality.vaccination_records r
  JOIN municipality.persons p ON p.tenant_code = r.tenant_code AND p.atena_no = r.atena_no
  WHERE r.tenant_code = ${w.tenant}
    AND COALESCE(r.vaccinated_on, r.created_at::date) < ${jstToday(cutoff)}::date
    AND ${ceasedBefore(cutoff)}
    -- A record a 健康被害救済 case concerns stays with the case (decision 0161).
    AND NOT EXISTS (SELECT 1 FROM municipality.relief_case_records l WHERE l.tenant_code = r.tenant_code AND l.record_id = r.id)`;

export const VACCINATION_RECORD_CLASS: TenantDataClass = {
  name: 'vaccination-records',
  label: '予防接種記録（住民でなくなった人）',
  duty: 'vaccination',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 20, deletion: 'physical', requiresApproval: true },
  methods: ['physical'],
  minimumYears: 5,
  count: (w, cutoff) => countDue(w, dueRecords(w, cutoff)),
  async purge(w, cutoff) {
    const ids = (await sql<{ id: string }>`SELECT r.id ${dueRecords(w, cutoff)}`.execute(w.tx)).rows.map((x) => x.id);
    if (ids.length === 0) return { count: 0, targetIds: [] };
    await w.tx.deleteFrom('municipality.vaccination_record_versions').where('tenant_code', '=', w.tenant).where('record_id', 'in', ids).execute();
    await w.tx.deleteFrom('municipality.vaccination_records').where('tenant_code', '=', w.tenant).where('id', 'in', ids).execute();
    return { count: ids.length, targetIds: ids.map((id) => `vaccination-record:${id}`) };
  },
};
