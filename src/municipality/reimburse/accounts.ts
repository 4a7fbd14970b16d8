// The bank accounts of persons (RES-20; decision 0159): per person (宛名番号) and purpose — refund (償還払い,
// 還付) or benefit (給付) — with their source: the resident's application, or the 公金受取口座 obtained through
// the exchange.  Validated with the SAME validators as the institutions' payees (billing/bank.ts): codes,
// account type, kana converted to 全銀 characters and refused with the characters named.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { toHalfWidthDigits } from '../../kernel/jp/index.js';
import { notFound, parseInput, validationFailed } from '../../kernel/problems/index.js';
import { accountOfRow, ACCOUNT_FIELDS, holderKana } from '../billing/index.js';
import { requireBillingRead, requireBillingWrite, type AccountView } from '../billing/index.js';

export const ACCOUNT_PURPOSES = { refund: '還付・償還払い', benefit: '給付' } as const;
export const ACCOUNT_SOURCES = { application: '申請', koukin: '公金受取口座' } as const;
export type AccountPurpose = keyof typeof ACCOUNT_PURPOSES;
export type AccountSource = keyof typeof ACCOUNT_SOURCES;

export const AtenaNo = z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v), z.string({ message: '宛名番号を入力してください' }).regex(/^\d{10}$/, '宛名番号は10桁の数字です'));

/** The account fields of a person (without whose and what for): what an application carries. */
export const BankAccountInput = z.object({ ...ACCOUNT_FIELDS, holderKana: holderKana() });
export type BankAccountInput = z.input<typeof BankAccountInput>;

export const PersonAccountInput = BankAccountInput.extend({
  atenaNo: AtenaNo,
  purpose: z.enum(['refund', 'benefit'], { message: '口座の用途は 還付・償還払い か 給付 です' }),
  source: z.enum(['application', 'koukin'], { message: '口座の出所は 申請 か 公金受取口座 です' }).default('application'),
});
export type PersonAccountInput = z.input<typeof PersonAccountInput>;

export interface PersonAccountView extends AccountView {
  readonly atenaNo: string;
  readonly purpose: AccountPurpose;
  readonly source: AccountSource;
  readonly holderKana: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

interface Row {
  atena_no: string; purpose: AccountPurpose; source: AccountSource; bank_code: string; bank_kana: string | null; branch_code: string; branch_kana: string | null;
  account_type: string; account_no: string; holder_kana: string; updated_at: Date; updated_by: string;
}
const view = (r: Row): PersonAccountView => ({
  atenaNo: r.atena_no, purpose: r.purpose, source: r.source, ...accountOfRow(r), updatedAt: r.updated_at, updatedBy: r.updated_by,
});

/** Registers or replaces the person's account for a purpose (in the caller's transaction). */
export async function setPersonAccount(w: Work, raw: unknown): Promise<PersonAccountView> {
  requireBillingWrite(w);
  const p = parseInput(PersonAccountInput, raw);
  // A 公金受取口座 is obtained through the exchange (obtainPublicFundsAccount), never typed in (decision 0164).
  if (p.source === 'koukin') throw validationFailed([{ field: 'source', code: 'KOUKIN_NOT_TYPED', message: '公金受取口座は「公金受取口座を照会する」で取得します。入力した口座は申請の口座として登録してください' }]);
  return storePersonAccount(w, p);
}

/** Stores an account already validated (an application's account, parsed with the application). */
export async function storePersonAccount(w: Work, p: z.output<typeof PersonAccountInput>): Promise<PersonAccountView> {
  requireBillingWrite(w);
  const who = await sql<{ n: number }>`SELECT 1 AS n FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ${p.atenaNo}`.execute(w.tx);
  if (!who.rows[0]) throw notFound('住民');
  const r = await sql<Row>`
    INSERT INTO municipality.person_accounts (tenant_code, atena_no, purpose, source, bank_code, bank_kana, branch_code, branch_kana, account_type, account_no, holder_kana, updated_at, updated_by)
    VALUES (${w.tenant}, ${p.atenaNo}, ${p.purpose}, ${p.source}, ${p.bankCode}, ${p.bankKana}, ${p.branchCode}, ${p.branchKana}, ${p.accountType}, ${p.accountNo}, ${p.holderKana}, ${w.clock.now()}, ${w.actor.login})
    ON CONFLICT (tenant_code, atena_no, purpose) DO UPDATE SET source = excluded.source, bank_code = excluded.bank_code, bank_kana = excluded.bank_kana, branch_code = excluded.branch_code,
      branch_kana = excluded.branch_kana, account_type = excluded.account_type, account_no = excluded.account_no, holder_kana = excluded.holder_kana, updated_at = excluded.updated_at, updated_by = excluded.updated_by
    RETURNING *`.execute(w.tx);
  await appendEntry(w.tx, w, { action: 'update', targetType: 'person-account', targetId: `${p.atenaNo}:${p.purpose}`, subjectRef: `resident:${p.atenaNo}`, detail: { purpose: p.purpose, source: p.source, bankCode: p.bankCode, branchCode: p.branchCode } });
  return view(r.rows[0]!);
}

/** The person's accounts (refund first). */
export async function personAccounts(w: Work, atenaNo: string): Promise<PersonAccountView[]> {
  requireBillingRead(w);
  if (!/^\d{10}$/.test(atenaNo)) return [];
  const r = await sql<Row>`SELECT * FROM municipality.person_accounts WHERE tenant_code = ${w.tenant} AND atena_no = ${atenaNo} ORDER BY purpose DESC`.execute(w.tx);
  if (r.rows.length) await appendEntry(w.tx, w, { action: 'read', targetType: 'person-account', targetId: atenaNo, subjectRef: `resident:${atenaNo}` });
  return r.rows.map(view);
}
