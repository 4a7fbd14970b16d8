// Electronic reimbursement applications into 償還払い (issue 14: XCH-29 → VAX-33).  An application 申請管理 has
// accepted (src/municipality/eapply) waits as a hand-over; each becomes a reimbursement application here —
// channel 'electronic', the e-application's id as its external reference (so a second run writes nothing) —
// with the refund account it carries, and the hand-over is marked taken in the SAME transaction.  Each
// hand-over is its own transaction: one that cannot be taken (no subsidy program for the vaccine, an account
// the 全銀 file cannot carry) stays open with its reason and the others go on.
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { openHandovers, takeHandover } from '../eapply/index.js';
import { createReimbursementApplication } from './applications.js';

const payloadSchema = z.object({
  applicationNo: z.string().max(40),
  program: z.string().max(60),
  vaccinatedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  clinicName: z.string().max(100),
  amountPaid: z.number().int().nonnegative(),
  bank: z.object({ bankCode: z.string(), branchCode: z.string(), accountType: z.string(), accountNumber: z.string(), holderKana: z.string() }).nullable().optional(),
  /** 「公金受取口座を利用する」 on the form: the consent to obtain it through the exchange (decision 0164). */
  useKoukin: z.boolean().optional(),
}).passthrough();

export interface TakeReport {
  readonly taken: number;
  readonly failed: readonly { applicationNo: string; reason: string }[];
}

/** Takes every open reimbursement hand-over of the tenant into 償還払い. */
export async function takeElectronicApplications(db: MamoriDb, who: Principal): Promise<TakeReport> {
  const open = await runAs(db, who, (w) => openHandovers(w, 'reimbursement'));
  let taken = 0;
  const failed: { applicationNo: string; reason: string }[] = [];
  for (const h of open) {
    const p = payloadSchema.safeParse(h.payload);
    if (!p.success) {
      failed.push({ applicationNo: String((h.payload as { applicationNo?: unknown }).applicationNo ?? ''), reason: '電子申請の内容を読み取れません' });
      continue;
    }
    const d = p.data;
    try {
      await runAs(db, who, async (w) => {
        const created = await createReimbursementApplication(w, {
          atenaNo: h.subjectAtena,
          program: d.program,
          channel: 'electronic',
          externalRef: h.applicationId,
          receipt: { clinicName: d.clinicName, vaccinatedOn: d.vaccinatedOn, amountPaid: d.amountPaid },
          koukinConsent: d.useKoukin === true,
          ...(d.bank ? { account: { bankCode: d.bank.bankCode, branchCode: d.bank.branchCode, accountType: d.bank.accountType, accountNo: d.bank.accountNumber, holderKana: d.bank.holderKana } } : {}),
        });
        await takeHandover(w, h.id, created.id);
      });
      taken += 1;
    } catch (e) {
      if (!isProblem(e) || e.status >= 500) throw e;
      failed.push({ applicationNo: d.applicationNo, reason: e.errors.length ? e.errors.map((x) => x.message).join('／') : (e.detail ?? e.title) });
    }
  }
  return { taken, failed };
}
