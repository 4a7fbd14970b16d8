// The 国保連 node's data (decision 0148): the checked claim items and the handling log, in its own schema
// (peers_kokuhoren) under its own role.  One check is one transaction, serialised per municipality by an
// advisory lock, so two checks of the same item can never both accept it (and the partial unique index
// would refuse it if they did).  Batch work is one statement per step.
import { sql, type Kysely } from 'kysely';
import { arrayLiteral, type UntypedDatabase } from '../../kernel/db/index.js';
import { checkItem, REASONS, type Claim, type ClaimItem, type ReturnCode } from './check.js';

export const KOKUHOREN_SCHEMA = 'peers_kokuhoren';
export const KOKUHOREN_ROLE = 'mamori_kokuhoren';

/** 審査記録の保存: claim items and handling-log rows are kept 5 years from their check, then deleted. */
export const RETENTION_YEARS = 5;

export interface ItemAnswer {
  readonly itemId: string;
  readonly result: 'accepted' | 'returned';
  readonly code?: ReturnCode;
  readonly reason?: string;
}

export interface ClaimAnswer {
  readonly claimId: string;
  readonly items: ItemAnswer[];
}

export interface CheckCounts {
  readonly claims: number;
  readonly items: number;
  readonly accepted: number;
  readonly returned: number;
  /** Items of an accepted claim sent again unchanged: answered from the stored acceptance, not stored again. */
  readonly repeated: number;
}

export interface CheckResult {
  readonly checkedAt: string;
  readonly claims: ClaimAnswer[];
  readonly counts: CheckCounts;
}

interface AcceptedRow {
  claim_id: string;
  item_id: string;
  month: string;
  institution_code: string;
  program_code: string;
  dose: number;
  vaccinated_on: string | null;
  unit_price: string;
  copay: string;
  amount: string;
}

/** Whether an item sent now is the very item accepted before (same claim, same content). */
function sameAcceptance(prior: AcceptedRow, month: string, claim: Claim, item: ClaimItem): boolean {
  return (
    prior.claim_id === claim.claimId &&
    prior.month === month &&
    prior.institution_code === claim.institutionCode &&
    prior.program_code === item.programCode &&
    prior.dose === item.dose &&
    prior.vaccinated_on === item.vaccinatedOn &&
    Number(prior.unit_price) === item.unitPrice &&
    Number(prior.copay) === item.copay &&
    Number(prior.amount) === item.amount
  );
}

interface NewRow {
  readonly claim: Claim;
  readonly item: ClaimItem;
  readonly code: ReturnCode | null;
}

/**
 * claims.check: checks every item of every claim of one municipality's month, stores each checked item,
 * and answers per item.  Rules, in order (one code per item):
 *  1. the item (tenant, itemId) was accepted before — under the same claimId with identical content it is
 *     answered `accepted` again from the stored row (a re-sent check is idempotent) and not stored again;
 *     otherwise DUPLICATE_CLAIM.  An item accepted earlier in the same message: DUPLICATE_CLAIM.
 *  2. the content rules of check.ts (institution code, dates, price, amount).
 */
export async function checkClaims(
  db: Kysely<UntypedDatabase>,
  q: { readonly tenant: string; readonly month: string; readonly claims: readonly Claim[] },
  now: Date,
  msgId: string,
): Promise<CheckResult> {
  return db.transaction().execute(async (tx) => {
    // One check at a time per municipality.
    await sql`SELECT pg_advisory_xact_lock(hashtext('peers_kokuhoren.claims.check'), hashtext(${q.tenant}))`.execute(tx);
    const ids = [...new Set(q.claims.flatMap((c) => c.items.map((i) => i.itemId)))];
    const prior = new Map<string, AcceptedRow>();
    const r = await sql<AcceptedRow>`
      SELECT claim_id, item_id, month, institution_code, program_code, dose, to_char(vaccinated_on, 'YYYY-MM-DD') AS vaccinated_on, unit_price, copay, amount
        FROM peers_kokuhoren.claim_items
       WHERE tenant = ${q.tenant} AND result = 'accepted' AND item_id = ANY(${arrayLiteral(ids)}::text[])`.execute(tx);
    for (const row of r.rows) prior.set(row.item_id, row);

    const acceptedNow = new Set<string>();
    const rows: NewRow[] = [];
    let accepted = 0;
    let returned = 0;
    let repeated = 0;
    const claims: ClaimAnswer[] = q.claims.map((claim) => ({
      claimId: claim.claimId,
      items: claim.items.map((item): ItemAnswer => {
        const before = prior.get(item.itemId);
        const problem =
          before ? (sameAcceptance(before, q.month, claim, item) ? null : before.claim_id === claim.claimId ? REASONS.changedAfterAcceptance : REASONS.duplicate)
          : acceptedNow.has(item.itemId) ? REASONS.duplicateInMessage
          : checkItem(q.month, claim, item);
        if (!problem) {
          accepted++;
          if (before) repeated++;
          else {
            acceptedNow.add(item.itemId);
            rows.push({ claim, item, code: null });
          }
          return { itemId: item.itemId, result: 'accepted' };
        }
        returned++;
        rows.push({ claim, item, code: problem.code });
        return { itemId: item.itemId, result: 'returned', code: problem.code, reason: problem.reason };
      }),
    }));

    if (rows.length > 0) {
      const col = (values: unknown[], type: string) => sql`${arrayLiteral(values)}::${sql.raw(type)}[]`;
      await sql`
        INSERT INTO peers_kokuhoren.claim_items
          (tenant, month, claim_id, item_id, institution_code, program_code, dose, vaccinated_on, unit_price, copay, amount, result, code, checked_at, msg_id)
        SELECT ${q.tenant}, ${q.month}, u.claim_id, u.item_id, u.institution_code, u.program_code, u.dose, u.vaccinated_on, u.unit_price, u.copay, u.amount,
               CASE WHEN u.code IS NULL THEN 'accepted' ELSE 'returned' END, u.code, ${now}::timestamptz, ${msgId.slice(0, 64)}
          FROM unnest(${sql.join([
            col(rows.map((x) => x.claim.claimId), 'text'),
            col(rows.map((x) => x.item.itemId), 'text'),
            col(rows.map((x) => x.claim.institutionCode), 'text'),
            col(rows.map((x) => x.item.programCode), 'text'),
            col(rows.map((x) => x.item.dose), 'int'),
            col(rows.map((x) => x.item.vaccinatedOn), 'date'),
            col(rows.map((x) => x.item.unitPrice), 'bigint'),
            col(rows.map((x) => x.item.copay), 'bigint'),
            col(rows.map((x) => x.item.amount), 'bigint'),
            col(rows.map((x) => x.code), 'text'),
          ])}) AS u(claim_id, item_id, institution_code, program_code, dose, vaccinated_on, unit_price, copay, amount, code)`.execute(tx);
    }
    const items = claims.reduce((n, c) => n + c.items.length, 0);
    return { checkedAt: now.toISOString(), claims, counts: { claims: claims.length, items, accepted, returned, repeated } };
  });
}

// ------------------------------------------------------------------ handling log

export interface KokuhorenHandling {
  readonly at: Date;
  readonly caller: string;
  readonly service: string;
  readonly msgId: string;
  readonly tenant?: string | null;
  readonly outcome: 'ok' | 'refused' | 'failed';
  readonly code?: string | null;
  readonly counts?: Partial<CheckCounts>;
}

export interface KokuhorenHandlingRow {
  readonly seq: number;
  readonly at: Date;
  readonly caller: string;
  readonly service: string;
  readonly msgId: string;
  readonly tenant: string | null;
  readonly outcome: KokuhorenHandling['outcome'];
  readonly code: string | null;
  readonly counts: CheckCounts;
}

export async function recordHandling(db: Kysely<UntypedDatabase>, e: KokuhorenHandling): Promise<void> {
  const c = e.counts ?? {};
  await sql`INSERT INTO peers_kokuhoren.handling_log (at, caller, service, msg_id, tenant, outcome, code, claims, items, accepted, returned, repeated)
    VALUES (${e.at}, ${e.caller}, ${e.service}, ${e.msgId.slice(0, 64)}, ${e.tenant ?? null}, ${e.outcome}, ${e.code ?? null},
            ${c.claims ?? 0}, ${c.items ?? 0}, ${c.accepted ?? 0}, ${c.returned ?? 0}, ${c.repeated ?? 0})`.execute(db);
}

/** The handling log, oldest first. */
export async function kokuhorenHandlingLog(db: Kysely<UntypedDatabase>, limit = 10_000): Promise<KokuhorenHandlingRow[]> {
  const r = await sql<{ seq: string; at: Date | string; caller: string; service: string; msg_id: string; tenant: string | null; outcome: KokuhorenHandling['outcome']; code: string | null } & Record<keyof CheckCounts, number>>`
    SELECT seq, at, caller, service, msg_id, tenant, outcome, code, claims, items, accepted, returned, repeated
      FROM peers_kokuhoren.handling_log ORDER BY seq LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => ({
    seq: Number(x.seq), at: new Date(x.at), caller: x.caller, service: x.service, msgId: x.msg_id, tenant: x.tenant, outcome: x.outcome, code: x.code,
    counts: { claims: x.claims, items: x.items, accepted: x.accepted, returned: x.returned, repeated: x.repeated },
  }));
}

/**
 * 審査記録の保存: deletes claim items and handling-log rows checked more than RETENTION_YEARS before `now`.
 * An item accepted more than 5 years ago is then no longer known to the duplicate check; a claim that old is
 * time-barred anyway (地方自治法 第236条: 金銭債権の消滅時効 5年).
 */
export async function purgeKokuhoren(db: Kysely<UntypedDatabase>, now: Date): Promise<{ claimItems: number; handlingLog: number }> {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - RETENTION_YEARS);
  return db.transaction().execute(async (tx) => {
    const items = await sql`DELETE FROM peers_kokuhoren.claim_items WHERE checked_at < ${cutoff}`.execute(tx);
    const log = await sql`DELETE FROM peers_kokuhoren.handling_log WHERE at < ${cutoff}`.execute(tx);
    return { claimItems: Number(items.numAffectedRows ?? 0), handlingLog: Number(log.numAffectedRows ?? 0) };
  });
}
