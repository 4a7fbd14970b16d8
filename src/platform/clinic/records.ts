// `records.fetch` (docs/formats/clinic-protocol.md §3): the doses institutions registered for a tenant's
// targets, in seq order after `after`, for the municipality to take into its ledger.  Called by the tenant's
// own node only; personal, so the answer is encrypted by the message layer.
import { sql } from 'kysely';
import { z } from 'zod';
import { parseInput } from '../../kernel/problems/index.js';
import { withPlatformTenant as withTenant, type PlatformDb as Db } from '../index.js';
import type { DoseWarning } from './doses.js';

export interface PlatformRecord {
  readonly seq: number;
  readonly recordId: string;
  readonly targetId: string;
  readonly identityKey: string;
  readonly programCode: string;
  readonly dose: number;
  readonly product: string;
  readonly vaccinatedOn: string;
  readonly time: string | null;
  readonly institutionCode: string;
  readonly institutionName: string;
  readonly doctorName: string;
  readonly place: string | null;
  readonly implementationClass: 'individual' | 'group';
  readonly vaccinationClass: 'routine' | 'voluntary' | 'temporary';
  readonly gtin: string;
  readonly manufacturer: string;
  readonly vaccineName: string;
  readonly lot: string;
  readonly amount: string;
  readonly site: string;
  readonly route: string;
  readonly expiry: string;
  readonly consent: boolean;
  readonly caution: boolean;
  readonly specialCircumstances: string | null;
  readonly overseas: boolean;
  readonly warnings: DoseWarning[];
  readonly overrideReason: string | null;
  readonly reductionCategory: string | null;
  readonly answerId: string | null;
  readonly registeredAt: string;
}

export const fetchSchema = z.object({
  tenant: z.string(),
  after: z.number({ message: '取得済みの番号（after）は0以上の整数です' }).int().min(0),
  limit: z.number({ message: '件数（limit）は1〜1000の整数です' }).int().min(1).max(1000).default(500),
});

export async function fetchRecords(db: Db, tenant: string, raw: unknown): Promise<{ records: PlatformRecord[]; next: number }> {
  const q = parseInput(fetchSchema, raw);
  return withTenant(db, tenant, async (tx) => {
    const r = await sql<Record<string, unknown>>`
      SELECT d.seq::text AS seq, d.record_id, d.target_id, t.identity_key, d.program_code, d.dose, d.product, d.vaccinated_on::text AS vaccinated_on, d.time, d.institution_code,
        i.name AS institution_name, d.doctor_name, d.place, d.implementation_class, d.vaccination_class, d.gtin, d.manufacturer, d.vaccine_name, d.lot, d.amount, d.site, d.route,
        d.expiry::text AS expiry, d.consent, d.caution, d.special_circumstances, d.overseas, d.warnings, d.override_reason, d.reduction_category, d.answer_id, d.registered_at
      FROM platform.institution_doses d
      JOIN platform.targets t ON t.tenant_code = d.tenant_code AND t.target_id = d.target_id
      JOIN platform.tenants i ON i.tenant_code = d.institution_code
      WHERE d.tenant_code = ${tenant} AND d.seq > ${q.after}
      ORDER BY d.seq LIMIT ${q.limit}`.execute(tx);
    const records = r.rows.map((x): PlatformRecord => ({
      seq: Number(x['seq']),
      recordId: x['record_id'] as string,
      targetId: x['target_id'] as string,
      identityKey: x['identity_key'] as string,
      programCode: x['program_code'] as string,
      dose: Number(x['dose']),
      product: x['product'] as string,
      vaccinatedOn: x['vaccinated_on'] as string,
      time: (x['time'] as string | null) ?? null,
      institutionCode: x['institution_code'] as string,
      institutionName: x['institution_name'] as string,
      doctorName: x['doctor_name'] as string,
      place: (x['place'] as string | null) ?? null,
      implementationClass: x['implementation_class'] as PlatformRecord['implementationClass'],
      vaccinationClass: x['vaccination_class'] as PlatformRecord['vaccinationClass'],
      gtin: x['gtin'] as string,
      manufacturer: x['manufacturer'] as string,
      vaccineName: x['vaccine_name'] as string,
      lot: x['lot'] as string,
      amount: x['amount'] as string,
      site: x['site'] as string,
      route: x['route'] as string,
      expiry: x['expiry'] as string,
      consent: x['consent'] as boolean,
      caution: x['caution'] as boolean,
      specialCircumstances: (x['special_circumstances'] as string | null) ?? null,
      overseas: x['overseas'] as boolean,
      warnings: x['warnings'] as DoseWarning[],
      overrideReason: (x['override_reason'] as string | null) ?? null,
      reductionCategory: (x['reduction_category'] as string | null) ?? null,
      answerId: (x['answer_id'] as string | null) ?? null,
      registeredAt: new Date(x['registered_at'] as string).toISOString(),
    }));
    return { records, next: records.length ? records[records.length - 1]!.seq : q.after };
  });
}
