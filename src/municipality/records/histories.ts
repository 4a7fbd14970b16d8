// Bulk engine inputs for extraction runs: the dated, active doses and the conditions of every person in a
// 宛名番号 range, in two queries, shaped exactly as `engineSubject` shapes one person's (so a run and the
// person's timeline agree).
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { requireResidentAccess } from '../residents/index.js';
import type { HistoryItem } from '../schedule/index.js';

export interface SubjectInputs {
  readonly history: HistoryItem[];
  /** As `engineSubject` gives them: the code, or {code, …detail} when the condition has details. */
  readonly conditions: unknown[];
}

export interface RangeQuery {
  /** Exclusive lower bound of the 宛名番号 range ('' = from the start). */
  readonly after: string;
  /** Inclusive upper bound. */
  readonly last: string;
  /** Only doses given on or before this date. */
  readonly asOf: string;
  /** Ignore records and conditions created after this instant (resumed runs read what the first attempt read). */
  readonly recordedBy?: Date | undefined;
}

/**
 * The engine inputs of every person with a 宛名番号 in (after, last]: active records with a date and a
 * product, given on or before `asOf`, in date order; and the person's conditions.  Persons without either
 * are absent from the map.  Not logged here: the extraction run that calls it logs one entry per run.  The
 * command-line operator may call it for a batch run, as for the clinic intake.
 */
export async function subjectsInRange(w: Work, q: RangeQuery): Promise<Map<string, SubjectInputs>> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const out = new Map<string, SubjectInputs>();
  const get = (a: string): SubjectInputs => {
    let s = out.get(a);
    if (!s) {
      s = { history: [], conditions: [] };
      out.set(a, s);
    }
    return s;
  };
  // One row per person with the doses as 'product date,product date,…' (codes are [a-z0-9-], dates ISO):
  // the database aggregates, the caller splits — far fewer rows to decode for a million-person run.
  const cutoff = q.recordedBy ?? null;
  const records = await sql<{ atena_no: string; doses: string }>`
    SELECT atena_no, string_agg(product || ' ' || vaccinated_on::text, ',' ORDER BY vaccinated_on, product) AS doses
    FROM municipality.vaccination_records
    WHERE tenant_code = ${w.tenant} AND atena_no > ${q.after} AND atena_no <= ${q.last} AND status = 'active'
      AND vaccinated_on IS NOT NULL AND vaccinated_on <= ${q.asOf}::date AND product IS NOT NULL
      AND (${cutoff}::timestamptz IS NULL OR created_at <= ${cutoff}::timestamptz)
    GROUP BY atena_no`.execute(w.tx);
  for (const r of records.rows) {
    const h = get(r.atena_no).history;
    for (const d of r.doses.split(',')) {
      const sp = d.indexOf(' ');
      h.push({ product: d.slice(0, sp), date: d.slice(sp + 1) });
    }
  }
  let cq = w.tx.selectFrom('municipality.person_conditions').select(['atena_no', 'code', 'detail']).where('tenant_code', '=', w.tenant).where('atena_no', '>', q.after).where('atena_no', '<=', q.last);
  if (q.recordedBy) cq = cq.where('created_at', '<=', q.recordedBy);
  const conds = await cq.orderBy('atena_no').orderBy('code').execute();
  for (const c of conds) get(c.atena_no).conditions.push(Object.keys(c.detail).length ? { code: c.code, ...c.detail } : c.code);
  return out;
}
