// The move-in inquiry (転入者の接種履歴照会, XCH-09, XCH-10, VAX-37): staff with the vaccination duty ask
// the previous municipality, through this municipality's 中間サーバー and the 情報提供ネットワークシステム,
// for a moved-in person's vaccination history; the answer is kept as the business system received it,
// shown on screen, and adopted into the ledger record by record (source 他団体, with the exchange id).
//
// The call to the 中間サーバー happens between two transactions: nothing is written when the network is
// down or the inquiry is refused (the refusal is logged), and asking again is always safe.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { can } from '../../kernel/policy/index.js';
import { forbidden, isProblem, notFound, Problem } from '../../kernel/problems/index.js';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import { createRecord, ScheduleProblems } from '../records/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

/** 事務 and 特定個人情報の項目 of the move-in inquiry, as the permission list names them. */
export const VACCINATION_JIMU = 'vaccination';
export const VACCINATION_HISTORY_ITEM = 'vaccination-history';

/**
 * The 事務 a vaccination-history inquiry is made under (decision 0168): the move-in inquiry of the 予防接種
 * duty, or a 健康被害救済 case's — 疾病 (医療費・医療手当・死亡一時金・葬祭料, 主務省令 27の項) or 障害
 * (障害児養育年金・障害年金, 29の項) — made by the relief duty.  Each duty sees and asks only under its own.
 */
export const INQUIRY_JIMU = ['vaccination', 'relief-illness', 'relief-disability'] as const;
export type InquiryJimu = (typeof INQUIRY_JIMU)[number];
const DUTY_OF_JIMU: Record<InquiryJimu, string> = { vaccination: 'vaccination', 'relief-illness': 'relief', 'relief-disability': 'relief' };
const PURPOSE_OF_JIMU: Record<InquiryJimu, string> = {
  vaccination: '転入者の予防接種歴の確認',
  'relief-illness': '健康被害救済の給付（疾病）に係る予防接種歴の確認',
  'relief-disability': '健康被害救済の給付（障害）に係る予防接種歴の確認',
};

/** The municipality node's end of the exchange: its message node and where each tenant's 中間サーバー is. */
export interface MunicipalExchange {
  readonly node: ExchangeNode;
  chukanOf(tenant: string): string;
}

export function chukanNodeName(tenant: string): string {
  return `chukan-${tenant}`;
}

export interface ExchangedDose {
  readonly program: string | null;
  readonly dose: number | null;
  readonly date: string | null;
  readonly product: string | null;
  readonly lot: string | null;
}

export interface InquiryView {
  readonly exchangeId: string;
  /** The 事務 it was made under (decision 0168). */
  readonly jimu: InquiryJimu;
  readonly atenaNo: string;
  readonly provider: string;
  readonly providerName: string | null;
  readonly legalBasis: string | null;
  readonly status: 'provided' | 'pending' | 'none';
  readonly records: ExchangedDose[];
  readonly askedBy: string;
  readonly askedAt: Date;
  readonly adoptedBy: string | null;
  readonly adoptedAt: Date | null;
  readonly adoptedCount: number | null;
}

export interface PreviousMunicipality {
  readonly code: string;
  readonly name: string;
  readonly previousAddress: string;
}

const any = (w: Work) => w.tx as unknown as Kysely<UntypedDatabase>;

/**
 * XCH-09: an inquiry is its 事務's duty's — the vaccination duty's move-in inquiry, the relief duty's for a
 * case — or the operator's batch at the command line.
 */
export function requireInquiryDuty(w: Work, atenaNo: string, jimu: InquiryJimu = 'vaccination'): void {
  if (w.actor.kind === 'system') return;
  const duty = DUTY_OF_JIMU[jimu];
  if (can(w.actor, 'personal.read', duty)) return;
  throw forbidden(`他団体への情報照会には「${duty === 'relief' ? '健康被害救済' : '予防接種'}」の所掌事務の権限が必要です。`).withAudit({
    action: 'access_denied',
    targetType: 'exchange-inquiry',
    subjectRef: `resident:${atenaNo}`,
    outcome: 'denied',
    detail: { duty, jimu },
  });
}

/**
 * The municipality a person moved in from: the registered municipality whose name the 転入前住所 contains
 * (e.g. 「宮城県仙台市青葉区…」 → 仙台市).  Undefined when the address names no municipality Mamori knows.
 */
export async function previousMunicipality(w: Work, atenaNo: string): Promise<PreviousMunicipality | undefined> {
  const p = await any(w).selectFrom('municipality.persons').select(['state']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
  if (!p) throw notFound('住民');
  const address = String((p.state as Record<string, unknown>)['previousAddress'] ?? '').normalize('NFKC');
  if (!address) return undefined;
  const orgs = await sql<{ code: string; name: string }>`
    SELECT code, name FROM kernel.organisations WHERE kind = 'municipality' AND code <> ${w.tenant}`.execute(w.tx);
  // The longest matching name wins (e.g. 「府中市」 inside 「東京都府中市」 but not a shorter accidental match).
  const hit = orgs.rows.filter((o) => o.name && address.includes(o.name.normalize('NFKC'))).sort((a, b) => b.name.length - a.name.length)[0];
  return hit ? { code: hit.code, name: hit.name, previousAddress: address } : undefined;
}

interface PersonForInquiry {
  integratedNo: string;
  previous: PreviousMunicipality | undefined;
}

async function personForInquiry(w: Work, atenaNo: string, jimu: InquiryJimu): Promise<PersonForInquiry> {
  requireInquiryDuty(w, atenaNo, jimu);
  if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
  const p = await any(w).selectFrom('municipality.persons').select(['integrated_no']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
  if (!p) throw notFound('住民');
  if (!p.integrated_no) {
    throw new Problem(409, 'NO_INTEGRATED_NO', '団体内統合宛名番号がありません', 'この方には団体内統合宛名番号（個人番号の記載された住基の情報）がないため、情報提供ネットワークで照会できません。');
  }
  return { integratedNo: p.integrated_no as string, previous: await previousMunicipality(w, atenaNo) };
}

export function dosesOf(records: unknown): ExchangedDose[] {
  if (!Array.isArray(records)) return [];
  return records.slice(0, 500).map((r) => {
    const x = (r ?? {}) as Record<string, unknown>;
    const s = (v: unknown, n: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, n) : null);
    return {
      program: s(x['program'], 40),
      dose: typeof x['dose'] === 'number' && Number.isInteger(x['dose']) && x['dose'] > 0 && x['dose'] < 100 ? x['dose'] : null,
      date: typeof x['date'] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(x['date']) ? x['date'] : null,
      product: s(x['product'], 40),
      lot: s(x['lot'], 20),
    };
  });
}

interface ChukanAnswer {
  exchangeId: string;
  provider: string;
  legalBasis?: string;
  status: 'provided' | 'pending' | 'none';
  records?: unknown;
}

/**
 * Asks the previous municipality (or `provider`) for a person's vaccination history.  Returns the stored
 * inquiry with its answer; throws the refusal (permission list, duty, network down) with nothing stored.
 */
export async function askVaccinationHistory(db: MamoriDb, who: Principal, x: MunicipalExchange, atenaNo: string, opts: { provider?: string; jimu?: InquiryJimu } = {}): Promise<InquiryView> {
  const jimu: InquiryJimu = opts.jimu ?? 'vaccination';
  const purpose = PURPOSE_OF_JIMU[jimu];
  const person = await runAs(db, who, (w) => personForInquiry(w, atenaNo, jimu));
  const provider = opts.provider ?? person.previous?.code;
  if (!provider) {
    throw new Problem(409, 'PREVIOUS_MUNICIPALITY_UNKNOWN', '転入前の市区町村が分かりません', '転入前住所から照会先の市区町村を特定できません。照会先の団体コードを指定してください。');
  }
  if (!/^\d{6}$/.test(provider)) throw new Problem(400, 'PROVIDER_INVALID', '照会先の団体コードが正しくありません', '照会先は6桁の地方公共団体コードで指定してください。');
  const operator = { login: who.actor.login, duty: DUTY_OF_JIMU[jimu] };
  let answer: ChukanAnswer;
  try {
    const res = await x.node.call(
      x.chukanOf(who.tenant),
      'inquire',
      { tenant: who.tenant, integratedNo: person.integratedNo, jimu, item: VACCINATION_HISTORY_ITEM, provider, operator },
      { personal: true },
    );
    answer = res.body as ChukanAnswer;
  } catch (e) {
    if (isProblem(e)) {
      // The refusal is a fact of this person's record too: who asked whom, and why it did not happen.
      await runAs(db, who, (w) =>
        appendEntry(w.tx, w, {
          action: 'exchange_inquiry',
          targetType: 'exchange-inquiry',
          subjectRef: `resident:${atenaNo}`,
          purpose,
          outcome: e.status === 403 ? 'denied' : 'failure',
          detail: { provider, item: VACCINATION_HISTORY_ITEM, jimu, code: e.code },
        }),
      );
    }
    throw e;
  }
  if (!answer || typeof answer.exchangeId !== 'string' || !['provided', 'pending', 'none'].includes(answer.status)) {
    throw new Problem(502, 'EXCHANGE_BAD_ANSWER', '中間サーバーの応答を読めません', '照会の応答の形式が正しくありません。');
  }
  const records = dosesOf(answer.records);
  return runAs(db, who, async (w) => {
    const org = await sql<{ name: string }>`SELECT name FROM kernel.organisations WHERE code = ${provider}`.execute(w.tx);
    const now = w.clock.now();
    await any(w)
      .insertInto('municipality.exchange_inquiries')
      .values({
        tenant_code: w.tenant,
        exchange_id: answer.exchangeId,
        atena_no: atenaNo,
        item: VACCINATION_HISTORY_ITEM,
        jimu,
        provider_code: provider,
        provider_name: org.rows[0]?.name ?? null,
        legal_basis: answer.legalBasis ?? null,
        status: answer.status,
        records: JSON.stringify(records),
        asked_by: w.actor.login,
        asked_at: now,
        answered_at: answer.status === 'pending' ? null : now,
      })
      .onConflict((oc) => oc.columns(['tenant_code', 'exchange_id']).doUpdateSet({ status: answer.status, records: JSON.stringify(records), answered_at: now }))
      .execute();
    await appendEntry(w.tx, w, {
      action: 'exchange_inquiry',
      targetType: 'exchange-inquiry',
      targetId: answer.exchangeId,
      subjectRef: `resident:${atenaNo}`,
      purpose,
      detail: { provider, item: VACCINATION_HISTORY_ITEM, jimu, legalBasis: answer.legalBasis ?? null, status: answer.status, records: records.length },
    });
    return getInquiryIn(w, answer.exchangeId);
  });
}

/** Asks again for an answer that was pending (the provider's staff check, XCH-12/13). */
export async function refreshInquiry(db: MamoriDb, who: Principal, x: MunicipalExchange, exchangeId: string): Promise<InquiryView> {
  const before = await runAs(db, who, async (w) => {
    const v = await getInquiryIn(w, exchangeId);
    requireInquiryDuty(w, v.atenaNo, v.jimu);
    return v;
  });
  if (before.status !== 'pending') return before;
  const res = await x.node.call(x.chukanOf(who.tenant), 'inquiry.result', { tenant: who.tenant, exchangeId }, {});
  const answer = res.body as ChukanAnswer;
  if (answer.status === 'pending') return before;
  const records = dosesOf(answer.records);
  return runAs(db, who, async (w) => {
    await any(w)
      .updateTable('municipality.exchange_inquiries')
      .set({ status: answer.status, records: JSON.stringify(records), answered_at: w.clock.now(), legal_basis: answer.legalBasis ?? before.legalBasis })
      .where('tenant_code', '=', w.tenant)
      .where('exchange_id', '=', exchangeId)
      .execute();
    await appendEntry(w.tx, w, { action: 'exchange_inquiry', targetType: 'exchange-inquiry', targetId: exchangeId, subjectRef: `resident:${before.atenaNo}`, purpose: '照会結果の受領', detail: { status: answer.status, records: records.length } });
    return getInquiryIn(w, exchangeId);
  });
}

/** The columns every answered inquiry has (this one and the VRS one), as a view. */
export function answeredFields(r: Record<string, unknown>) {
  const n = <T>(k: string) => (r[k] ?? null) as T | null;
  return {
    exchangeId: String(r['exchange_id']),
    atenaNo: String(r['atena_no']),
    provider: String(r['provider_code']),
    providerName: n<string>('provider_name'),
    records: dosesOf(r['records']),
    askedAt: r['asked_at'] as Date,
    adoptedBy: n<string>('adopted_by'),
    adoptedAt: n<Date>('adopted_at'),
    adoptedCount: n<number>('adopted_count'),
  };
}

function view(r: Record<string, unknown>): InquiryView {
  return {
    ...answeredFields(r),
    jimu: (r['jimu'] ?? 'vaccination') as InquiryJimu,
    legalBasis: (r['legal_basis'] ?? null) as string | null,
    status: r['status'] as InquiryView['status'],
    askedBy: String(r['asked_by']),
  };
}

async function getInquiryIn(w: Work, exchangeId: string): Promise<InquiryView> {
  const r = await any(w).selectFrom('municipality.exchange_inquiries').selectAll().where('tenant_code', '=', w.tenant).where('exchange_id', '=', exchangeId).executeTakeFirst();
  if (!r) throw notFound('照会');
  return view(r);
}

export async function getInquiry(w: Work, exchangeId: string): Promise<InquiryView> {
  const v = await getInquiryIn(w, exchangeId);
  requireInquiryDuty(w, v.atenaNo, v.jimu);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'exchange-inquiry', targetId: exchangeId, subjectRef: `resident:${v.atenaNo}` });
  return v;
}

/** The move-in inquiries about a person (the vaccination duty's; a relief case's inquiries are on the case). */
export async function listInquiries(w: Work, atenaNo: string): Promise<InquiryView[]> {
  requireInquiryDuty(w, atenaNo);
  const rows = await any(w).selectFrom('municipality.exchange_inquiries').selectAll().where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).where('jimu', '=', 'vaccination').orderBy('asked_at', 'desc').limit(100).execute();
  return rows.map(view);
}

export interface AdoptResult {
  readonly adopted: number;
  readonly skipped: number;
  readonly recordIds: string[];
}

/**
 * Adopts the answered doses into the ledger (source 他団体, 通番 = exchange id).  A dose the ledger already
 * holds (same program, dose and date) is skipped; a dose the schedule engine warns about is kept with the
 * reason that it was given elsewhere — the history is a fact, not a plan.  Once per inquiry.
 */
export async function adoptInquiry(w: Work, exchangeId: string, opts: { only?: readonly number[] } = {}): Promise<AdoptResult> {
  const v = await getInquiryIn(w, exchangeId);
  // A relief case's inquiry is the relief duty's: not adopted by the 予防接種 duty (it is not theirs to see).
  if (v.jimu !== 'vaccination') throw notFound('照会');
  return adoptAnswer(w, v, { table: 'municipality.exchange_inquiries', targetType: 'exchange-inquiry', via: '情報提供ネットワークシステム' }, opts);
}

/**
 * Adopts an answered inquiry once (this one or the VRS one): the write right of the 予防接種 duty, a
 * provided answer not yet adopted, the doses through `adoptDoses`, the inquiry marked adopted, one log entry.
 */
export async function adoptAnswer(
  w: Work,
  v: { exchangeId: string; atenaNo: string; provider: string; providerName: string | null; status: string; records: readonly ExchangedDose[]; adoptedAt: Date | null; adoptedBy: string | null },
  where: { table: 'municipality.exchange_inquiries' | 'municipality.covid_inquiries'; targetType: string; via: string },
  opts: { only?: readonly number[] },
): Promise<AdoptResult> {
  const target = { targetType: where.targetType, targetId: v.exchangeId, subjectRef: `resident:${v.atenaNo}` };
  if (!(w.actor.kind === 'system' || can(w.actor, 'personal.write', VACCINATION_JIMU))) {
    throw forbidden('照会結果の台帳への取込には「予防接種」の所掌事務と登録の権限が必要です。').withAudit({ action: 'access_denied', ...target, outcome: 'denied' });
  }
  if (v.adoptedAt) throw new Problem(409, 'ALREADY_ADOPTED', 'この照会結果は取込済みです', `${v.adoptedBy ?? ''} が取り込みました。`);
  if (v.status !== 'provided') throw new Problem(409, 'NOTHING_TO_ADOPT', '取り込める接種記録がありません', '照会先から接種記録が提供されていません。');
  const from = v.providerName ?? v.provider;
  const { ids, skipped } = await adoptDoses(w, v.atenaNo, v.exchangeId, v.records, {
    only: opts.only,
    remarks: `${from}で接種（${where.via}による照会で取得）`,
    overrideReason: `${from}での接種実績（他団体の記録）`,
  });
  await any(w)
    .updateTable(where.table)
    .set({ adopted_by: w.actor.login, adopted_at: w.clock.now(), adopted_count: ids.length })
    .where('tenant_code', '=', w.tenant)
    .where('exchange_id', '=', v.exchangeId)
    .execute();
  await appendEntry(w.tx, w, { action: 'exchange_adopt', ...target, detail: { adopted: ids.length, skipped } });
  return { adopted: ids.length, skipped, recordIds: ids };
}

/**
 * Registers answered doses in the ledger (source 他団体, sourceRef = the exchange id): a dose the ledger
 * already holds (same program, dose and date) is skipped; a dose the schedule engine warns about is kept
 * with `overrideReason` — the history is a fact, not a plan.  Shared by the 情報提供ネットワーク inquiry and
 * the VRS inquiry (decision 0140).
 */
export async function adoptDoses(
  w: Work,
  atenaNo: string,
  exchangeId: string,
  records: readonly ExchangedDose[],
  opts: { only?: readonly number[]; remarks: string; overrideReason: string },
): Promise<{ ids: string[]; skipped: number }> {
  const existing = await any(w)
    .selectFrom('municipality.vaccination_records')
    .select(['data'])
    .where('tenant_code', '=', w.tenant)
    .where('atena_no', '=', atenaNo)
    .where('status', '<>', 'deleted')
    .execute();
  const have = new Set(existing.map((r) => { const d = r.data as Record<string, unknown>; return `${d['program']}|${d['dose']}|${d['vaccinatedOn']}`; }));
  let skipped = 0;
  const ids: string[] = [];
  const chosen = records.map((d, i) => ({ d, i })).filter(({ i }) => !opts.only || opts.only.includes(i));
  // Oldest first, so the engine numbers and checks each dose against the ones before it.
  chosen.sort((a, b) => (a.d.date ?? '').localeCompare(b.d.date ?? ''));
  for (const { d } of chosen) {
    if (have.has(`${d.program}|${d.dose}|${d.date}`)) {
      skipped++;
      continue;
    }
    const raw = { program: d.program, dose: d.dose, product: d.product, vaccinatedOn: d.date, dateUnknown: d.date ? undefined : true, lot: d.lot, sourceRef: exchangeId, outsideCity: true, remarks: opts.remarks };
    let rec;
    try {
      rec = await createRecord(w, atenaNo, raw, { source: 'other-municipality' });
    } catch (e) {
      if (!(e instanceof ScheduleProblems)) throw e;
      rec = await createRecord(w, atenaNo, raw, { source: 'other-municipality', overrideReason: opts.overrideReason });
    }
    ids.push(rec.id);
    have.add(`${d.program}|${d.dose}|${d.date}`);
  }
  return { ids, skipped };
}
