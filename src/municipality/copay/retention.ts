// Retention of former residents' contacts and eligibility facts (KRN-37; decision 0157).  The seeds set no
// period for these copies of other departments' facts; they serve the co-payment of doses given while the
// person lived here, which the records keep with their reasons (copayBasis).  Default: 5 years from the
// 住民でなくなった日 (the seeds keep 予診票 5 years), then deleted; the tenant may change it.
import { sql } from 'kysely';
import type { TenantDataClass } from '../../kernel/retention/index.js';
import type { Work } from '../../kernel/context/index.js';
import { ceasedBefore, countDue } from '../residents/index.js';

const TABLES = ['person_contacts', 'eligibility_welfare', 'eligibility_tax', 'eligibility_ltc'] as const;

const due = (w: Work, cutoff: Date, table: (typeof TABLES)[number]) => sql`
  FROM ${sql.table(`municipality.${table}`)} x
  JOIN municipality.persons p ON p.tenant_code = x.tenant_code AND p.atena_no = x.atena_no
  WHERE x.tenant_code = ${w.tenant} AND ${ceasedBefore(cutoff)}`;

export const RESIDENT_ELIGIBILITY_CLASS: TenantDataClass = {
  name: 'resident-eligibility',
  label: '住民でなくなった人の連絡先と生活保護・課税・介護保険の情報',
  duty: 'addressee',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 5, deletion: 'physical', requiresApproval: true },
  methods: ['physical'],
  async count(w, cutoff) {
    let n = 0;
    for (const t of TABLES) n += await countDue(w, due(w, cutoff, t));
    return n;
  },
  async purge(w, cutoff) {
    const persons = new Set<string>();
    let count = 0;
    for (const t of TABLES) {
      const r = await sql<{ atena_no: string }>`
        DELETE FROM ${sql.table(`municipality.${t}`)} d
        USING (SELECT x.tenant_code, x.atena_no ${due(w, cutoff, t)}) q
        WHERE d.tenant_code = q.tenant_code AND d.atena_no = q.atena_no
        RETURNING d.atena_no`.execute(w.tx);
      count += r.rows.length;
      for (const x of r.rows) persons.add(`resident:${x.atena_no}`);
    }
    return { count, targetIds: [...persons] };
  },
};
