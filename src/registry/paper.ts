// The paper channel (issue 15 Must have 3; QUA-06; decision 0191): a staff member of a 資格管理者 enters an
// application received at the counter or by post, with the identity proof the official saw (which documents,
// checked by whom, when) and the My Number taken at the counter.  Only a 審査担当 or 審査責任者, only for a
// qualification of their duties; another qualification answers 404 like an unknown one (logged).  The
// identity proof is kept with the application and in its `received` event.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { forbidden, invalidField, notFound, parseInput } from '../kernel/problems/index.js';
import { checkAttachment, getApplication, insertApplication, MAX_ATTACHMENTS, type ApplicationView } from './applications.js';
import { openFees } from './fees.js';
import { formRegistrationNo, parseApplication, procedureOf } from './forms.js';
import { MAX_TOTAL_ATTACHMENT_BYTES } from './intake.js';
import type { RegistrySecrets } from './secrets.js';
import { logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant, type Db } from './store.js';

/** The identity documents an official may accept at the counter (本人確認書類). */
export const IDENTITY_DOCUMENTS = ['マイナンバーカード', '通知カード', '個人番号が記載された住民票の写し', '運転免許証', '旅券', '在留カード', '身体障害者手帳', 'その他官公署発行の写真付き証明書', '健康保険の資格確認書', '年金手帳'] as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'YYYY-MM-DD の形式で入力してください' });

export const paperSchema = z
  .object({
    qualification: z.string({ message: '資格を指定してください' }).regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }),
    form: z.record(z.string(), z.unknown(), { message: '申請書の内容を入力してください' }),
    /** Taken at the counter from the documents shown (番号確認). */
    myNumber: z.string({ message: '個人番号を入力してください' }).max(20),
    identityProof: z
      .object(
        {
          documents: z.array(z.enum(IDENTITY_DOCUMENTS, { message: `本人確認書類は ${IDENTITY_DOCUMENTS.join('・')} から選んでください` })).min(1, { message: '確認した本人確認書類を選んでください' }).max(5),
          /** 番号確認 (the document the number was taken from). */
          numberCheckedWith: z.enum(IDENTITY_DOCUMENTS, { message: '個人番号を確認した書類を選んでください' }),
          checkedBy: z.string({ message: '確認した職員を入力してください' }).trim().min(1, { message: '確認した職員を入力してください' }).max(100),
          checkedOn: isoDate,
          channel: z.enum(['窓口', '郵送'], { message: '受付の方法（窓口・郵送）を選んでください' }),
          note: z.string().trim().max(500).optional(),
        },
        { message: '本人確認の記録を入力してください' },
      )
      .strict(),
    attachments: z.array(z.object({ label: z.string().max(200), mediaType: z.string().max(100), content: z.string().max(30_000_000) }).strict()).max(MAX_ATTACHMENTS).default([]),
  })
  .strict();

/** Enters a paper application for the staff member's tenant; one transaction (nothing stored on any refusal). */
export async function enterPaperApplication(deps: { db: Db; clock: Clock; secrets: RegistrySecrets }, session: StaffSession, raw: unknown, requestId?: string): Promise<ApplicationView> {
  const input = parseInput(paperSchema, raw);
  if (session.staff.role === 'viewer') throw forbidden('紙の申請を入力できるのは審査担当と審査責任者です。');
  const q = visibleQualifications(session).find((x) => x.code === input.qualification);
  if (!q) {
    await logAccess(deps.db, deps.clock, session, { action: 'read', targetType: 'qualification', targetId: input.qualification.slice(0, 40), outcome: 'denied', ...(requestId ? { requestId } : {}) });
    throw notFound('資格');
  }
  if (input.identityProof.checkedOn > deps.clock.today()) throw invalidField('identityProof.checkedOn', 'DATE_IN_FUTURE', '確認した日が未来の日付です');
  const procedure = procedureOf(input.form);
  const form = parseApplication(q.code, input.form);
  let total = 0;
  const attachments = input.attachments.map((a, i) => {
    const content = Buffer.from(a.content, 'base64');
    total += content.length;
    return checkAttachment({ label: a.label, mediaType: a.mediaType, content }, i);
  });
  if (total > MAX_TOTAL_ATTACHMENT_BYTES) throw invalidField('attachments', 'ATTACHMENTS_TOO_LARGE', `添付書類は合わせて${MAX_TOTAL_ATTACHMENT_BYTES / 1024 / 1024}MBまでです`);
  const proof = { ...input.identityProof, enteredBy: session.staff.userId };
  return withTenant(deps.db, session.staff.tenant, async (tx) => {
    const a = await insertApplication(tx, { clock: deps.clock, secrets: deps.secrets }, session.staff.tenant, {
      id: randomUUID(), qualification: q.code, procedure, channel: 'paper', form, registrationNo: formRegistrationNo(form), myNumber: input.myNumber,
      identityProof: proof, attachments, receivedBy: session.staff.userId,
      receivedDetail: { identityProof: { documents: proof.documents, numberCheckedWith: proof.numberCheckedWith, checkedBy: proof.checkedBy, checkedOn: proof.checkedOn, channel: proof.channel } },
    });
    // The fees due (QUA-19: paid by 収入印紙 or 領収証書 on paper, recorded by staff) open with the application.
    await openFees(tx, deps.clock, a);
    return (await getApplication(tx, a.id))!;
  });
}
