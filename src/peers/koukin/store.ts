// The 公金受取口座登録システム's store (decision 0163): registered accounts per person (住民票コード), this
// body's 符号 for each (acquired from the 情報提供ネットワークシステム after registration), and the record of
// every provision.  The node's own role reaches its own schema only.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { parseInput } from '../../kernel/problems/index.js';
import { tryIssueOwnCode } from '../network/index.js';

export const KOUKIN_SCHEMA = 'peers_koukin';
export const KOUKIN_ROLE = 'mamori_koukin';
export const KOUKIN_NODE = 'koukin';
/** 提供の記録 are kept as long as the network keeps its 情報提供等記録 (7 years), then deleted. */
export const PROVISION_YEARS = 7;

export interface KoukinDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly node: ExchangeNode;
  readonly clock: Clock;
  /** The 情報提供ネットワークシステム's node name (default 'network'). */
  readonly network?: string;
}

const date = (label: string) => z.string({ message: `${label}を指定してください` }).regex(/^\d{4}-\d{2}-\d{2}$/, `${label}は YYYY-MM-DD です`);

/**
 * A registration as マイナポータル hands it over: the registrant's own entry.  The system keeps what was
 * entered (bank and branch codes as numbers, the name as typed); whether a 全銀 transfer can carry it is
 * for the paying body to check.
 */
export const RegistrationInput = z.object({
  juminhyoCode: z.string({ message: '住民票コードを指定してください' }).regex(/^\d{11}$/, '住民票コードは11桁の数字です'),
  bankCode: z.string().regex(/^\d{4}$/, '金融機関コードは4桁の数字です'),
  bankName: z.string().trim().max(40).optional(),
  branchCode: z.string().regex(/^\d{3}$/, '支店コードは3桁の数字です'),
  branchName: z.string().trim().max(40).optional(),
  accountType: z.enum(['1', '2', '4'], { message: '預金種目は 1・2・4 のいずれかです' }),
  accountNo: z.string().regex(/^\d{1,7}$/, '口座番号は7桁以内の数字です'),
  holderKana: z.string().trim().min(1, '口座名義を入力してください').max(100),
  /** The day the registration (or its latest change) was made; default today. */
  registeredOn: date('登録日').optional(),
});
export type RegistrationInput = z.input<typeof RegistrationInput>;

export interface RegisteredAccount {
  readonly bankCode: string;
  readonly bankName: string | null;
  readonly branchCode: string;
  readonly branchName: string | null;
  readonly accountType: string;
  readonly accountNo: string;
  readonly holderKana: string;
  readonly registeredOn: string;
  readonly changedOn: string | null;
}

interface Row {
  juminhyo_code: string; bank_code: string; bank_name: string | null; branch_code: string; branch_name: string | null; account_type: string; account_no: string;
  holder_kana: string; registered_on: string; changed_on: string | null; code: string | null; code_reason: string | null;
}

const accountOf = (r: Row): RegisteredAccount => ({
  bankCode: r.bank_code, bankName: r.bank_name, branchCode: r.branch_code, branchName: r.branch_name, accountType: r.account_type,
  accountNo: r.account_no, holderKana: r.holder_kana, registeredOn: r.registered_on, changedOn: r.changed_on,
});

const COLS = sql`juminhyo_code, bank_code, bank_name, branch_code, branch_name, account_type, account_no, holder_kana,
  to_char(registered_on, 'YYYY-MM-DD') AS registered_on, to_char(changed_on, 'YYYY-MM-DD') AS changed_on, code, code_reason`;

/**
 * Registers (or changes) a person's 公金受取口座, then acquires this body's 符号 for them from the network
 * (the provision is found by 符号).  A first registration sets 登録日; a change keeps it and sets 変更日.
 * When the network cannot give a 符号 now, the account stays registered and the node's job asks again.
 */
export async function registerAccount(deps: KoukinDeps, raw: unknown): Promise<{ account: RegisteredAccount; created: boolean; code: 'acquired' | 'pending' }> {
  const p = parseInput(RegistrationInput, raw);
  const on = p.registeredOn ?? deps.clock.today();
  const accountNo = p.accountNo.padStart(7, '0');
  const r = await sql<Row & { created: boolean }>`
    INSERT INTO peers_koukin.accounts (juminhyo_code, bank_code, bank_name, branch_code, branch_name, account_type, account_no, holder_kana, registered_on, changed_on, updated_at)
    VALUES (${p.juminhyoCode}, ${p.bankCode}, ${p.bankName ?? null}, ${p.branchCode}, ${p.branchName ?? null}, ${p.accountType}, ${accountNo}, ${p.holderKana}, ${on}::date, NULL, ${deps.clock.now()})
    ON CONFLICT (juminhyo_code) DO UPDATE SET bank_code = excluded.bank_code, bank_name = excluded.bank_name, branch_code = excluded.branch_code, branch_name = excluded.branch_name,
      account_type = excluded.account_type, account_no = excluded.account_no, holder_kana = excluded.holder_kana, changed_on = excluded.registered_on, updated_at = excluded.updated_at
    RETURNING ${COLS}, (xmax = 0) AS created`.execute(deps.db);
  const row = r.rows[0]!;
  const code = row.code ? 'acquired' : (await acquireCode(deps, row.juminhyo_code)) ? 'acquired' : 'pending';
  return { account: accountOf(row), created: row.created, code };
}

/** Acquires this body's 符号 for one registrant; false (with the reason kept) when the network cannot give it now. */
async function acquireCode(deps: KoukinDeps, juminhyoCode: string): Promise<boolean> {
  const r = await tryIssueOwnCode(deps.node, juminhyoCode, deps.network);
  await sql`UPDATE peers_koukin.accounts SET code = coalesce(${r.code}, code), code_reason = ${r.reason} WHERE juminhyo_code = ${juminhyoCode}`.execute(deps.db);
  return r.code !== null;
}

/** The job: acquires the 符号 of registrants who have none yet (at start and every hour). */
export async function acquireMissingCodes(deps: KoukinDeps, limit = 1000): Promise<{ acquired: number; pending: number }> {
  const r = await sql<{ juminhyo_code: string }>`SELECT juminhyo_code FROM peers_koukin.accounts WHERE code IS NULL ORDER BY updated_at LIMIT ${limit}`.execute(deps.db);
  let acquired = 0;
  for (const { juminhyo_code } of r.rows) if (await acquireCode(deps, juminhyo_code)) acquired++;
  return { acquired, pending: r.rows.length - acquired };
}

/** The account registered under this body's 符号, if any. */
export async function accountOfCode(db: Kysely<UntypedDatabase>, code: string): Promise<RegisteredAccount | undefined> {
  const r = await sql<Row>`SELECT ${COLS} FROM peers_koukin.accounts WHERE code = ${code}`.execute(db);
  return r.rows[0] ? accountOf(r.rows[0]) : undefined;
}

/** Deletes a registration (抹消 at the registrant's request or on death). */
export async function deregisterAccount(db: Kysely<UntypedDatabase>, juminhyoCode: string): Promise<boolean> {
  const r = await sql`DELETE FROM peers_koukin.accounts WHERE juminhyo_code = ${juminhyoCode}`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

export interface ProvisionRecord {
  readonly exchangeId: string;
  readonly permitId: string;
  readonly requester: string;
  readonly jimu: string;
  readonly item: string;
  readonly legalBasis: string;
  readonly status: 'provided' | 'none';
  readonly at: Date;
}

export async function recordProvision(db: Kysely<UntypedDatabase>, p: ProvisionRecord): Promise<void> {
  await sql`
    INSERT INTO peers_koukin.provisions (exchange_id, permit_id, requester, jimu, item, legal_basis, status, at)
    VALUES (${p.exchangeId}, ${p.permitId}, ${p.requester}, ${p.jimu}, ${p.item}, ${p.legalBasis}, ${p.status}, ${p.at})
    ON CONFLICT (exchange_id) DO NOTHING`.execute(db);
}

export async function listProvisions(db: Kysely<UntypedDatabase>, limit = 1000): Promise<ProvisionRecord[]> {
  const r = await sql<{ exchange_id: string; permit_id: string; requester: string; jimu: string; item: string; legal_basis: string; status: 'provided' | 'none'; at: Date }>`
    SELECT * FROM peers_koukin.provisions ORDER BY at DESC LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => ({ exchangeId: x.exchange_id, permitId: x.permit_id, requester: x.requester, jimu: x.jimu, item: x.item, legalBasis: x.legal_basis, status: x.status, at: x.at }));
}

/** Deletes provision records past their keeping period. */
export async function purgeKoukin(db: Kysely<UntypedDatabase>, now: Date, years = PROVISION_YEARS): Promise<{ provisions: number }> {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const r = await sql`DELETE FROM peers_koukin.provisions WHERE at < ${cutoff}`.execute(db);
  return { provisions: Number(r.numAffectedRows ?? 0) };
}
