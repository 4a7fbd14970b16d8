// Online applications in (issue 15 Must have 3; QUA-02…05, QUA-18, XCH-27; decisions 0188–0190;
// contract: docs/formats/registry-protocol.md).  マイナポータル hands the applicant's signed document to the
// registry (`applications.submit`, signed and encrypted); the registry knows the applicant only by the
// マイナポータル仮名ID the portal made for it.  On receipt everything is verified before anything is
// stored: the card signature over the canonical document (chain, validity, tampering), the certificate's
// revocation at the 公的個人認証サービス (`card.status`), the 券面事項入力補助 block (the issuer's signature,
// bound to the signing certificate, its 4情報 those of the certificate), the form of the procedure, and each
// attachment (its bytes against the hash the applicant signed, its type by its bytes, its size).  Any
// failure → a Japanese Problem naming the item and nothing stored.  The My Number is the one of the
// 券面事項入力補助 (never typed by the applicant), sealed by the applications store.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode } from '../kernel/exchange/index.js';
import { formatWareki } from '../kernel/jp/index.js';
import { logger } from '../kernel/log/index.js';
import { canonicalDocumentText, kenmenMatchesHolder, verifyDocumentSignature, verifyKenmen, type KenmenData } from '../kernel/jpki/index.js';
import { invalidField, isProblem, notFound, parseInput, Problem } from '../kernel/problems/index.js';
import {
  addApplicationEvent, applicationMyNumber, APPLICATION_STATUS_LABELS, checkAttachment, getApplication, insertApplication, MAX_ATTACHMENTS, transitionApplication,
  type ApplicationStatus, type ApplicationView, type AttachmentInput,
} from './applications.js';
import { catalog, PROCEDURE_LABELS, type Procedure } from './catalog.js';
import { openFees, refundOnWithdrawal } from './fees.js';
import { formRegistrationNo, parseApplication } from './forms.js';
import type { RegistrySecrets } from './secrets.js';
import { withTenant, type Db, type Tx } from './store.js';

/** The format of the document the applicant signs with the card's 署名用 key. */
export const APPLICATION_DOCUMENT_FORMAT = 'mamori-registry-application/1';
/** Who the registry records as having received an online application. */
export const PORTAL_RECEIVER = 'mynaportal';
/** All attachments of one application together (bytes): one message carries them. */
export const MAX_TOTAL_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** A マイナポータル仮名ID for the registry (decision 0189): `MR` + 26 base32 characters. */
export const PORTAL_PSEUDONYM = /^MR[A-Z2-7]{26}$/;

const PROCEDURES = Object.keys(PROCEDURE_LABELS) as [Procedure, ...Procedure[]];
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the applicant signs (canonical JSON, `canonicalDocumentText`). */
export const applicationDocumentSchema = z
  .object({
    format: z.literal(APPLICATION_DOCUMENT_FORMAT, { message: `申請データの形式は ${APPLICATION_DOCUMENT_FORMAT} です` }),
    qualification: z.string({ message: '資格を選んでください' }).regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }),
    procedure: z.enum(PROCEDURES, { message: '申請の種類を選んでください' }),
    /** Set on a resubmission after 補正依頼: the application it corrects. */
    applicationId: z.string().regex(UUID, { message: '申請番号の形式が正しくありません' }).optional(),
    form: z.record(z.string(), z.unknown(), { message: '申請書の項目を入力してください' }),
    kenmen: z.unknown(),
    attachments: z
      .array(
        z.object({
          label: z.string().min(1).max(100),
          mediaType: z.string().max(100),
          size: z.number().int().min(0),
          sha256: z.string().regex(SHA256_HEX, { message: '添付書類のハッシュ値（SHA-256）の形式が正しくありません' }),
        }).strict(),
      )
      .max(MAX_ATTACHMENTS, { message: `添付書類は${MAX_ATTACHMENTS}件までです` }),
  })
  .strict();
export type ApplicationDocument = z.infer<typeof applicationDocumentSchema>;

const attachmentWire = z.object({ label: z.string().max(200), mediaType: z.string().max(100), content: z.string().max(30_000_000) }).strict();

/** The body of `applications.submit` (and, with `applicationId`, `applications.resubmit`). */
export const submitSchema = z
  .object({
    pseudonym: z.string({ message: 'マイナポータル仮名IDがありません' }).regex(PORTAL_PSEUDONYM, { message: 'マイナポータル仮名IDの形式が正しくありません' }),
    applicationId: z.string().regex(UUID, { message: '申請番号の形式が正しくありません' }).optional(),
    document: z.string({ message: '申請データがありません' }).min(1).max(1_000_000, { message: '申請データが大きすぎます' }),
    certPem: z.string({ message: '署名用電子証明書がありません' }).min(1).max(20_000),
    signature: z.string({ message: '署名がありません' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
    attachments: z.array(attachmentWire).max(MAX_ATTACHMENTS, { message: `添付書類は${MAX_ATTACHMENTS}件までです` }).default([]),
  })
  .strict();
export type SubmitInput = z.input<typeof submitSchema>;

export interface IntakeDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: RegistrySecrets;
  readonly node: ExchangeNode;
  /** The 公的個人認証サービス CA certificate (cached source). */
  readonly caCert: () => Promise<string>;
  /** The 公的個人認証サービス node (default 'card'). */
  readonly cardNode?: string;
}

/** A verified online application, ready to be stored. */
export interface VerifiedApplication {
  readonly tenant: string;
  readonly qualification: string;
  readonly procedure: Procedure;
  readonly form: Record<string, unknown>;
  readonly registrationNo: number | null;
  readonly kenmen: KenmenData;
  readonly signSerial: string;
  readonly attachments: readonly AttachmentInput[];
  readonly document: ApplicationDocument;
}

/** A refusal of the signature or certificate, naming the item. */
function refused(e: Problem, field: string): Problem {
  return new Problem(e.status, e.code, e.title, e.detail, [{ field, code: e.code, message: e.detail ?? e.title }]);
}

/** A card signature verified (chain, validity, 署名用, canonical text) whose certificate 公的個人認証サービス says is good. */
export type VerifiedCardSignature = Awaited<ReturnType<typeof verifyDocumentSignature>>;

/**
 * Steps 1 and 2 of every card-signed document the registry takes (an application, a holder's request for a
 * デジタル資格証 or a confirmation link): the card signature over the document exactly as received — chain to the
 * CA, validity, a 署名用 certificate, canonical text and the signature (any change after signing fails here) — and
 * the certificate's revocation at the 公的個人認証サービス.  Failures name the item (`signature`, `certPem`).
 */
export async function verifyCardSignature(deps: Pick<IntakeDeps, 'node' | 'cardNode' | 'clock'>, input: { readonly document: string; readonly certPem: string; readonly signature: string }, caPem: string): Promise<VerifiedCardSignature> {
  let v: VerifiedCardSignature;
  try {
    v = await verifyDocumentSignature({ text: input.document, certPem: input.certPem, caCertPem: caPem, signature: input.signature, now: deps.clock.now() });
  } catch (e) {
    if (isProblem(e) && e.status < 500) throw refused(e, e.code === 'DOCUMENT_NOT_CANONICAL' || e.code === 'CARD_BAD_SIGNATURE' ? 'signature' : 'certPem');
    throw e;
  }
  const st = await deps.node.call(deps.cardNode ?? 'card', 'card.status', { serial: v.serial });
  const status = (st.body as { status?: unknown } | undefined)?.status;
  if (status === 'revoked') throw new Problem(403, 'CARD_REVOKED', '署名用電子証明書は失効しています', '失効した電子証明書による申請・依頼は受け付けられません。市区町村の窓口で電子証明書の再発行を受けてから、もう一度お手続きください。', [{ field: 'certPem', code: 'CARD_REVOKED', message: '署名用電子証明書は失効しています' }]);
  if (status !== 'good') throw new Problem(403, 'CARD_UNKNOWN', '署名用電子証明書を確認できません', '公的個人認証サービスが発行を確認できない電子証明書です。', [{ field: 'certPem', code: 'CARD_UNKNOWN', message: '署名用電子証明書を確認できません' }]);
  return v;
}

/** Step 4: the 券面事項入力補助 — the issuer's signature, and that it is the signing card's (its serial and 4情報). */
export async function verifyKenmenOfSigner(raw: unknown, caPem: string, v: VerifiedCardSignature): Promise<KenmenData> {
  let kenmen: KenmenData;
  try {
    kenmen = await verifyKenmen(raw, caPem);
  } catch (e) {
    if (isProblem(e) && e.status < 500) throw refused(e, 'document.kenmen');
    throw e;
  }
  if (kenmen.signSerial !== v.serial || !kenmenMatchesHolder(kenmen, v.holder)) {
    throw new Problem(400, 'KENMEN_MISMATCH', '券面事項入力補助の情報が署名したカードのものではありません', '署名したカードの券面事項入力補助の情報を使ってください。', [{ field: 'document.kenmen', code: 'KENMEN_MISMATCH', message: '署名用電子証明書の基本4情報と一致しません' }]);
  }
  return kenmen;
}

/**
 * Verifies an online application (XCH-27) without touching the database: throws a Problem naming the item
 * for any failure.  `expectApplicationId`: on a resubmission, the signed document must name it.
 */
export async function verifyOnlineApplication(deps: IntakeDeps, input: z.output<typeof submitSchema>): Promise<VerifiedApplication> {
  const caPem = await deps.caCert();
  const v = await verifyCardSignature(deps, input, caPem);
  // 3. The document itself.
  const doc = parseInput(applicationDocumentSchema, JSON.parse(input.document), 'document');
  if (input.applicationId !== doc.applicationId) {
    throw invalidField('document.applicationId', 'APPLICATION_ID_MISMATCH', input.applicationId ? '補正する申請の申請番号が申請データにありません（署名し直してください）' : '新しい申請の申請データに申請番号は入りません');
  }
  const q = catalog().qualification(doc.qualification);
  if (!q) throw invalidField('document.qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${doc.qualification}」はありません`);
  // 4. 券面事項入力補助: the issuer's signature, this card's, the 4情報 of the signing certificate.
  const kenmen = await verifyKenmenOfSigner(doc.kenmen, caPem, v);
  // 5. The form of the procedure.
  const fp = doc.form['procedure'] ?? 'new';
  if (fp !== doc.procedure) throw invalidField('procedure', 'PROCEDURE_MISMATCH', `申請書の種類（${String(fp).slice(0, 20)}）が申請の種類（${PROCEDURE_LABELS[doc.procedure]}）と一致しません`);
  const form = parseApplication(q.code, doc.form);
  // 6. Attachments: exactly those signed, each byte-for-byte, of an accepted type and size.
  if (input.attachments.length !== doc.attachments.length) throw invalidField('attachments', 'ATTACHMENT_COUNT', `署名した添付書類は${doc.attachments.length}件ですが、${input.attachments.length}件が届きました`);
  let total = 0;
  const attachments = input.attachments.map((a, i) => {
    const signed = doc.attachments[i]!;
    const content = Buffer.from(a.content, 'base64');
    total += content.length;
    if (content.length !== signed.size || createHash('sha256').update(content).digest('hex') !== signed.sha256 || a.label !== signed.label || a.mediaType !== signed.mediaType) {
      throw invalidField(`attachments[${i}].content`, 'ATTACHMENT_ALTERED', `添付書類「${signed.label}」が署名したものと一致しません（署名の後に変更されています）`);
    }
    return checkAttachment({ label: a.label, mediaType: a.mediaType, content }, i);
  });
  if (total > MAX_TOTAL_ATTACHMENT_BYTES) throw invalidField('attachments', 'ATTACHMENTS_TOO_LARGE', `添付書類は合わせて${MAX_TOTAL_ATTACHMENT_BYTES / 1024 / 1024}MBまでです`);
  return { tenant: q.administrator, qualification: q.code, procedure: doc.procedure, form, registrationNo: formRegistrationNo(form), kenmen, signSerial: v.serial, attachments, document: doc };
}

/** The application id of an online application: derived from its signature (a re-sent document is the same application). */
export function onlineApplicationId(signature: string): string {
  const h = createHash('sha256').update(`registry-application:${signature}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The answer of `applications.submit` and `applications.resubmit`. */
export interface SubmitAnswer {
  readonly applicationId: string;
  readonly status: ApplicationStatus;
  readonly statusLabel: string;
  readonly qualificationName: string;
  readonly procedureLabel: string;
  readonly receivedAt: string;
  /**
   * The fee to pay online, when the procedure has one (issue 15 Must have 7: filled in by the fees part;
   * absent until then).  The portal shows it after the submission.
   */
  readonly fee?: { readonly amount: number; readonly kind: string; readonly payUrl?: string };
}

function answerOf(a: ApplicationView): SubmitAnswer {
  return { applicationId: a.id, status: a.status, statusLabel: a.statusLabel, qualificationName: a.qualificationName, procedureLabel: a.procedureLabel, receivedAt: a.receivedAt };
}

/** `applications.submit`: verifies, then stores in one transaction (idempotent per signature). */
export async function submitOnline(deps: IntakeDeps, raw: unknown): Promise<SubmitAnswer> {
  const input = parseInput(submitSchema, raw);
  if (input.applicationId) throw invalidField('applicationId', 'APPLICATION_ID_UNEXPECTED', '新しい申請に申請番号は指定できません');
  const v = await verifyOnlineApplication(deps, input);
  const id = onlineApplicationId(input.signature);
  const stored = await withTenant(deps.db, v.tenant, async (tx) => {
    const existing = await getApplication(tx, id);
    if (existing && existing.portalPseudonym !== input.pseudonym) throw notFound('申請');
    const a = await insertApplication(tx, { clock: deps.clock, secrets: deps.secrets }, v.tenant, {
      id, qualification: v.qualification, procedure: v.procedure, channel: 'online', form: v.form, registrationNo: v.registrationNo,
      myNumber: v.kenmen.myNumber, portalPseudonym: input.pseudonym, signed: { text: deps.secrets.sealApplicationDocument(v.tenant, id, input.document), certPem: input.certPem, signature: input.signature },
      attachments: v.attachments, receivedBy: PORTAL_RECEIVER, receivedDetail: { signSerial: v.signSerial },
    });
    // The fees due (QUA-19…21) are opened with the application, in its transaction.
    await openFees(tx, deps.clock, a);
    return a;
  });
  return answerOf(stored);
}

/** Finds the applicant's own application (any 資格管理者) and runs `fn` in its tenant's transaction; 404 for anyone else's. */
async function ownApplication<T>(deps: { db: Db }, pseudonym: string, id: string, fn: (tx: Tx, a: ApplicationView) => Promise<T>): Promise<T> {
  if (!UUID.test(id)) throw notFound('申請');
  for (const admin of catalog().administrators) {
    const out = await withTenant(deps.db, admin.code, async (tx) => {
      const r = await sql<{ id: string }>`SELECT id FROM registry.applications WHERE id = ${id} AND portal_pseudonym = ${pseudonym} FOR UPDATE`.execute(tx);
      if (!r.rows[0]) return { found: false as const };
      return { found: true as const, value: await fn(tx, (await getApplication(tx, id))!) };
    });
    if (out.found) return out.value;
  }
  throw notFound('申請');
}

/**
 * `applications.resubmit`: after 補正依頼, the applicant sends the corrected form, signed again; verified as
 * a new one, and it must be the same person (the 券面事項入力補助's My Number), qualification and procedure.
 */
export async function resubmitOnline(deps: IntakeDeps, raw: unknown): Promise<SubmitAnswer> {
  const input = parseInput(submitSchema, raw);
  if (!input.applicationId) throw invalidField('applicationId', 'APPLICATION_ID_REQUIRED', '補正する申請の申請番号を指定してください');
  const v = await verifyOnlineApplication(deps, input);
  const stored = await ownApplication(deps, input.pseudonym, input.applicationId, async (tx, a) => {
    if (a.qualification !== v.qualification || a.procedure !== v.procedure) throw invalidField('document.procedure', 'RESUBMIT_MISMATCH', '補正では資格と申請の種類を変えられません');
    if ((await applicationMyNumber(tx, deps.secrets, a.id)) !== v.kenmen.myNumber) {
      throw new Problem(403, 'RESUBMIT_OTHER_PERSON', '申請者本人のカードではありません', '補正は、申請したご本人のマイナンバーカードで署名してください。', [{ field: 'document.kenmen', code: 'RESUBMIT_OTHER_PERSON', message: '申請者本人のカードではありません' }]);
    }
    const after = await transitionApplication(tx, deps.clock, a.id, { from: ['returned'], to: 'received', by: PORTAL_RECEIVER, form: v.form, registrationNo: v.registrationNo });
    await sql`UPDATE registry.applications SET signed_text = ${deps.secrets.sealApplicationDocument(a.tenant, a.id, input.document)}, signer_cert_pem = ${input.certPem}, signature = ${input.signature} WHERE id = ${a.id}`.execute(tx);
    let seq = a.attachments.reduce((m, x) => Math.max(m, x.seq), 0);
    for (const f of v.attachments) {
      seq += 1;
      await sql`INSERT INTO registry.application_attachments (tenant_code, application_id, seq, label, media_type, size, sha256, content)
                VALUES (${a.tenant}, ${a.id}, ${seq}, ${f.label}, ${f.mediaType}, ${f.content.length}, ${createHash('sha256').update(f.content).digest()}, ${f.content})`.execute(tx);
    }
    if (v.attachments.length > 0) await addApplicationEvent(tx, deps.clock, a.tenant, a.id, 'attachments_added', { count: v.attachments.length, signSerial: v.signSerial }, PORTAL_RECEIVER);
    return after;
  });
  return answerOf(stored);
}

/** `applications.withdraw`: 取下げ by the applicant (event `withdrawn`, which the fees part refunds on). */
export async function withdrawOnline(deps: { db: Db; clock: Clock; node: ExchangeNode }, raw: unknown): Promise<SubmitAnswer> {
  const q = parseInput(z.object({ pseudonym: z.string().regex(PORTAL_PSEUDONYM), applicationId: z.string() }).strict(), raw);
  const a = await ownApplication(deps, q.pseudonym, q.applicationId, (tx, a) =>
    transitionApplication(tx, deps.clock, a.id, { from: ['received', 'returned'], to: 'withdrawn', by: 'applicant', reason: '申請者による取下げ' }),
  );
  // What was paid goes back (QUA-21): online through 公金決済 now; if 公金決済 cannot be reached the registry's
  // fee job refunds what is owed on its next run, so the withdrawal itself stands.
  try {
    await refundOnWithdrawal(deps, a.tenant, a.id);
  } catch (e) {
    logger().warn({ tenant: a.tenant, application: a.id, err: (e as Error).message }, 'registry: refund on withdrawal failed (the fee job refunds what is owed)');
  }
  return answerOf(a);
}

/** The result notice the applicant sees (承認: 登録番号 and 登録年月日; 補正依頼・却下: the reason). */
export interface ResultNotice {
  readonly kind: 'approved' | 'returned' | 'rejected' | 'withdrawn';
  readonly title: string;
  readonly text: string;
  readonly registrationNo?: number;
  readonly registeredOn?: string;
  readonly reason?: string;
}

export interface MyApplication {
  readonly applicationId: string;
  readonly qualification: string;
  readonly qualificationName: string;
  readonly administratorName: string;
  readonly procedure: Procedure;
  readonly procedureLabel: string;
  readonly status: ApplicationStatus;
  readonly statusLabel: string;
  readonly receivedAt: string;
  readonly decidedAt: string | null;
  readonly notice: ResultNotice | null;
  /** The form as last received (for the correction after 補正依頼); only in `applications.show`. */
  readonly form?: Record<string, unknown>;
}

async function noticeOf(tx: Tx, a: ApplicationView): Promise<ResultNotice | null> {
  const returnedReason = [...a.events].reverse().find((e) => e.kind === 'returned')?.detail['reason'];
  switch (a.status) {
    case 'approved': {
      const r = a.registrationNo === null ? undefined : (await sql<{ registered_on: string }>`
        SELECT to_char(registered_on, 'YYYY-MM-DD') AS registered_on FROM registry.entries WHERE qualification_code = ${a.qualification} AND registration_no = ${a.registrationNo}`.execute(tx)).rows[0];
      const no = a.registrationNo ?? undefined;
      const on = r?.registered_on;
      return {
        kind: 'approved', title: `${a.procedureLabel}の申請が承認されました`,
        text: a.procedure === 'new' && no !== undefined ? `${a.qualificationName}の登録が完了しました。登録番号は ${no}、登録年月日は ${on ? formatWareki(on) : '（確認中）'}です。` : `${a.qualificationName}の${a.procedureLabel}を行いました。`,
        ...(no !== undefined ? { registrationNo: no } : {}), ...(on ? { registeredOn: on } : {}),
      };
    }
    case 'returned':
      return { kind: 'returned', title: '申請の補正をお願いします', text: `申請内容の補正（修正）をお願いします。理由: ${String(returnedReason ?? a.decisionReason ?? '')}`, reason: String(returnedReason ?? a.decisionReason ?? '') };
    case 'rejected':
      return { kind: 'rejected', title: '申請は却下されました', text: `申請は却下されました。理由: ${a.decisionReason ?? ''}`, reason: a.decisionReason ?? '' };
    case 'withdrawn':
      return { kind: 'withdrawn', title: '申請は取り下げられました', text: '申請者の取下げにより、この申請の手続を終了しました。' };
    default:
      return null;
  }
}

async function mine(tx: Tx, a: ApplicationView, withForm: boolean): Promise<MyApplication> {
  return {
    applicationId: a.id, qualification: a.qualification, qualificationName: a.qualificationName, administratorName: catalog().administrator(a.tenant)?.name ?? '',
    procedure: a.procedure, procedureLabel: a.procedureLabel, status: a.status, statusLabel: APPLICATION_STATUS_LABELS[a.status], receivedAt: a.receivedAt, decidedAt: a.decidedAt,
    notice: await noticeOf(tx, a), ...(withForm ? { form: a.form } : {}),
  };
}

/** `applications.mine`: every application of the applicant (every 資格管理者), newest first. */
export async function myApplications(deps: { db: Db }, raw: unknown): Promise<MyApplication[]> {
  const q = parseInput(z.object({ pseudonym: z.string().regex(PORTAL_PSEUDONYM, { message: 'マイナポータル仮名IDの形式が正しくありません' }) }).strict(), raw);
  const out: MyApplication[] = [];
  for (const admin of catalog().administrators) {
    await withTenant(deps.db, admin.code, async (tx) => {
      const r = await sql<{ id: string }>`SELECT id FROM registry.applications WHERE portal_pseudonym = ${q.pseudonym} ORDER BY received_at DESC LIMIT 200`.execute(tx);
      for (const row of r.rows) out.push(await mine(tx, (await getApplication(tx, row.id))!, false));
    });
  }
  return out.sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0));
}

/** `applications.show`: one of the applicant's applications with its form; 404 for anyone else's. */
export async function myApplication(deps: { db: Db }, raw: unknown): Promise<MyApplication> {
  const q = parseInput(z.object({ pseudonym: z.string().regex(PORTAL_PSEUDONYM), applicationId: z.string() }).strict(), raw);
  return ownApplication(deps, q.pseudonym, q.applicationId, (tx, a) => mine(tx, a, true));
}

/**
 * The signed document of an online application as received (opened from its seal), with the certificate and
 * signature: the evidence an examiner can verify again (`verifyDocumentSignature`).  Never for a screen.
 */
export async function applicationSignedDocument(tx: Tx, secrets: RegistrySecrets, id: string): Promise<{ text: string; certPem: string; signature: string } | null> {
  const r = await sql<{ tenant_code: string; signed_text: string | null; signer_cert_pem: string | null; signature: string | null }>`
    SELECT tenant_code, signed_text, signer_cert_pem, signature FROM registry.applications WHERE id = ${id}`.execute(tx);
  const row = r.rows[0];
  if (!row) throw notFound('申請');
  if (!row.signed_text || !row.signer_cert_pem || !row.signature) return null;
  return { text: secrets.openApplicationDocument(row.tenant_code, id, row.signed_text), certPem: row.signer_cert_pem, signature: row.signature };
}

/** The canonical document an applicant signs (what the portal page and the CLI build). */
export function applicationDocumentText(doc: ApplicationDocument): string {
  return canonicalDocumentText(doc);
}
