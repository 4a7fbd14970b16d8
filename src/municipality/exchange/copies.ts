// 符号 acquisition and 副本 registration (XCH-01, XCH-04, XCH-05): the municipality's batch that keeps its
// 中間サーバー able to answer other bodies.  Persons are named to the 中間サーバー only by the 団体内統合
// 宛名番号; 符号 acquisition also sends the 住民票コード (the 中間サーバー asks the network, which asks
// 住基ネット).  A 副本 row carries the vaccination history and nothing that identifies a person on its own.
import type { Kysely } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { can } from '../../kernel/policy/index.js';
import { forbidden } from '../../kernel/problems/index.js';
import { VACCINATION_HISTORY_ITEM, type MunicipalExchange } from './inquiries.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

const BATCH = 500;
const any = (w: Work) => w.tx as unknown as Kysely<UntypedDatabase>;

/** The 情報連携 duty (staff), or the operator's batch. */
function requireExchangeDuty(w: Work, what: string): void {
  if (w.actor.kind === 'system' || can(w.actor, 'personal.write', 'exchange')) return;
  throw forbidden(`${what}には「情報連携」の所掌事務の権限が必要です。`).withAudit({ action: 'access_denied', targetType: 'exchange-copies', outcome: 'denied' });
}

export interface CodeReport {
  readonly acquired: number;
  readonly already: number;
  readonly failed: { integratedNo: string; reason: string }[];
}

/** Asks the 中間サーバー for the 符号 of every person with a 統合宛名番号 and a 住民票コード (idempotent). */
export async function acquireCodes(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<CodeReport> {
  const persons = await runAs(db, who, async (w) => {
    requireExchangeDuty(w, '符号の取得');
    return any(w)
      .selectFrom('municipality.persons')
      .select(['integrated_no', 'juminhyo_code'])
      .where('tenant_code', '=', w.tenant)
      .where('integrated_no', 'is not', null)
      .where('juminhyo_code', 'is not', null)
      .orderBy('integrated_no')
      .execute();
  });
  let acquired = 0;
  let already = 0;
  const failed: CodeReport['failed'] = [];
  for (let i = 0; i < persons.length; i += BATCH) {
    const slice = persons.slice(i, i + BATCH).map((p) => ({ integratedNo: p.integrated_no as string, juminhyoCode: p.juminhyo_code as string }));
    const res = await x.node.call(x.chukanOf(who.tenant), 'code.acquire', { tenant: who.tenant, persons: slice }, { personal: true, timeoutMs: 120_000 });
    const b = res.body as { acquired?: number; already?: number; failed?: CodeReport['failed'] };
    acquired += b.acquired ?? 0;
    already += b.already ?? 0;
    failed.push(...(b.failed ?? []));
  }
  await runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'exchange_codes', targetType: 'exchange-codes', detail: { persons: persons.length, acquired, already, failed: failed.length } }));
  return { acquired, already, failed };
}

export interface CopyReport {
  readonly registered: number;
  readonly unchanged: number;
  readonly rejected: number;
  readonly batches: string[];
  readonly errors: { integratedNo?: string; reason: string }[];
}

interface CopyDose {
  program: string;
  dose?: number;
  date?: string;
  product?: string;
  lot?: string;
}

interface CopyRow {
  integratedNo: string;
  data: { records: CopyDose[] };
}

/**
 * Builds the 副本 of the vaccination ledger: one row per person with a 統合宛名番号 and a record; each dose
 * with its program and, when known, its number, date, product and lot (unknown items are left out, not sent
 * as empty).  A record without a program (never the case for records the engine numbered) is left out.
 */
export async function vaccinationCopies(w: Work): Promise<CopyRow[]> {
  const rows = await any(w)
    .selectFrom('municipality.vaccination_records as r')
    .innerJoin('municipality.persons as p', (j) => j.onRef('p.tenant_code', '=', 'r.tenant_code').onRef('p.atena_no', '=', 'r.atena_no'))
    .select(['p.integrated_no', 'r.data'])
    .where('r.tenant_code', '=', w.tenant)
    .where('r.status', '<>', 'deleted')
    .where('p.integrated_no', 'is not', null)
    .orderBy('p.integrated_no')
    .orderBy('r.vaccinated_on')
    .execute();
  const out: CopyRow[] = [];
  for (const r of rows) {
    const d = r.data as Record<string, unknown>;
    if (typeof d['program'] !== 'string' || !d['program']) continue;
    let last = out.at(-1);
    if (!last || last.integratedNo !== r.integrated_no) out.push((last = { integratedNo: r.integrated_no as string, data: { records: [] } }));
    const dose: CopyDose = { program: d['program'] };
    if (typeof d['dose'] === 'number') dose.dose = d['dose'];
    if (typeof d['vaccinatedOn'] === 'string') dose.date = d['vaccinatedOn'];
    if (typeof d['product'] === 'string' && d['product']) dose.product = d['product'];
    if (typeof d['lot'] === 'string' && d['lot']) dose.lot = d['lot'];
    last.data.records.push(dose);
  }
  return out;
}

/** Registers the 副本 of the vaccination ledger with the 中間サーバー, in batches (each all or nothing). */
export async function registerCopies(db: MamoriDb, who: Principal, x: MunicipalExchange): Promise<CopyReport> {
  const rows = await runAs(db, who, async (w) => {
    requireExchangeDuty(w, '副本の登録');
    return vaccinationCopies(w);
  });
  let registered = 0;
  let unchanged = 0;
  let rejected = 0;
  const batches: string[] = [];
  const errors: CopyReport['errors'] = [];
  for (let i = 0; i < rows.length; i += BATCH) {
    const res = await x.node.call(
      x.chukanOf(who.tenant),
      'copies.register',
      { tenant: who.tenant, process: who.meta.program, operator: who.actor.login, item: VACCINATION_HISTORY_ITEM, rows: rows.slice(i, i + BATCH) },
      { personal: true, timeoutMs: 120_000 },
    );
    const b = res.body as { batchId?: string; registered?: number; unchanged?: number; rejected?: number; errors?: CopyReport['errors'] };
    registered += b.registered ?? 0;
    unchanged += b.unchanged ?? 0;
    rejected += b.rejected ?? 0;
    if (b.batchId) batches.push(b.batchId);
    errors.push(...(b.errors ?? []));
  }
  await runAs(db, who, (w) => appendEntry(w.tx, w, { action: 'exchange_copies', targetType: 'exchange-copies', detail: { item: VACCINATION_HISTORY_ITEM, persons: rows.length, registered, unchanged, rejected, batches } }));
  return { registered, unchanged, rejected, batches, errors };
}
