// 接種券番号 → (person, program, dose): the clinic batch import (records room) identifies a person by the voucher
// number when the row has no 宛名番号 (VAX-19; decision 0068).  The records room never reads this room's
// tables: it takes a resolver function, and the composition (web, CLI) hands it this one.
import type { Work } from '../../kernel/context/index.js';
import { checkVoucherNumber } from '../documents/index.js';

export interface VoucherIdentity {
  readonly atenaNo: string;
  readonly program: string | null;
  readonly dose: number | null;
  /** False for a number voided by a reissue (再発行): a dose recorded on it needs a look by staff. */
  readonly valid: boolean;
}

/**
 * Resolves voucher numbers as the clinic wrote them (hyphens, full-width digits) to the ledger's items.  The
 * result is keyed by the input string; numbers that are malformed or not this municipality's are absent.  The
 * caller (the intake, inside its authorised and logged transaction) has checked the permission.
 */
export async function resolveVouchers(w: Work, numbers: readonly string[]): Promise<Map<string, VoucherIdentity>> {
  const byNumber = new Map<string, string[]>();
  for (const n of numbers) {
    const c = checkVoucherNumber(n);
    if (c.ok && c.parts.orgCode === w.tenant) byNumber.set(c.number, [...(byNumber.get(c.number) ?? []), n]);
  }
  const out = new Map<string, VoucherIdentity>();
  const list = [...byNumber.keys()];
  for (let i = 0; i < list.length; i += 1000) {
    const rows = await w.tx
      .selectFrom('municipality.notice_items')
      .select(['voucher_no', 'atena_no', 'program', 'dose', 'status'])
      .where('tenant_code', '=', w.tenant)
      .where('voucher_no', 'in', list.slice(i, i + 1000))
      .execute();
    for (const r of rows) for (const input of byNumber.get(r.voucher_no!) ?? []) out.set(input, { atenaNo: r.atena_no, program: r.program, dose: r.dose, valid: r.status === 'active' });
  }
  return out;
}
