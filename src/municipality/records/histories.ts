// Bulk engine inputs for extraction runs: the dated, active doses and the conditions of every person in a
// 宛名番号 range, in two queries, shaped exactly as `engineSubject` shapes one person's (so a run and the
// person's timeline agree).
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
  let rq = w.tx
    .selectFrom('municipality.vaccination_records')
    .select(['atena_no', 'product', 'vaccinated_on'])
    .where('tenant_code', '=', w.tenant)
    .where('atena_no', '>', q.after)
    .where('atena_no', '<=', q.last)
    .where('status', '=', 'active')
    .where('vaccinated_on', 'is not', null)
    .where('vaccinated_on', '<=', q.asOf)
    .where('product', 'is not', null);
  if (q.recordedBy) rq = rq.where('created_at', '<=', q.recordedBy);
  const records = await rq.orderBy('atena_no').orderBy('vaccinated_on').orderBy('product').execute();
  for (const r of records) get(r.atena_no).history.push({ product: r.product!, date: r.vaccinated_on! });
  let cq = w.tx.selectFrom('municipality.person_conditions').select(['atena_no', 'code', 'detail']).where('tenant_code', '=', w.tenant).where('atena_no', '>', q.after).where('atena_no', '<=', q.last);
  if (q.recordedBy) cq = cq.where('created_at', '<=', q.recordedBy);
  const conds = await cq.orderBy('atena_no').orderBy('code').execute();
  for (const c of conds) get(c.atena_no).conditions.push(Object.keys(c.detail).length ? { code: c.code, ...c.detail } : c.code);
  return out;
}
