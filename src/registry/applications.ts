// Applications to a 資格管理者 (issue 15 Must have 3 and 4; decision 0179): the one store every channel
// (マイナポータル, paper) writes into and examination reads from.  Every function runs inside a transaction
// already set to the tenant (`withRegistryTenant`), so RLS confines it to that 資格管理者.  The My Number
// is sealed (RegistrySecrets, bound to tenant and application) and never returned in a view.
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { conflict, invalidField, notFound, parseInput } from '../kernel/problems/index.js';
import { catalog, PROCEDURE_LABELS, type Procedure } from './catalog.js';
import { RegistrySecrets } from './secrets.js';
import type { Tx } from './store.js';

export const APPLICATION_STATUS_LABELS = {
  received: '審査待ち',
  returned: '補正依頼中',
  approved: '承認済み',
  rejected: '却下',
  withdrawn: '取下げ',
} as const;
export type ApplicationStatus = keyof typeof APPLICATION_STATUS_LABELS;
export const CHANNEL_LABELS = { online: 'オンライン（マイナポータル）', paper: '紙（窓口・郵送）' } as const;
export type Channel = keyof typeof CHANNEL_LABELS;

/** Statuses in which the application waits for the registry (examination) or for the applicant. */
export const OPEN_STATUSES: readonly ApplicationStatus[] = ['received', 'returned'];

export const ATTACHMENT_TYPES = ['application/pdf', 'image/jpeg'] as const;
/** The largest attachment (bytes) and the most attachments per application. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;

export interface AttachmentInput {
  readonly label: string;
  readonly mediaType: (typeof ATTACHMENT_TYPES)[number];
  readonly content: Buffer;
}

/** Checks an attachment's declared type against its bytes (PDF: %PDF-, JPEG: FF D8 FF) and its size. */
export function checkAttachment(a: { label: unknown; mediaType: unknown; content: Buffer }, index: number): AttachmentInput {
  const field = `attachments[${index}]`;
  const label = parseInput(z.string({ message: '添付書類の名前を指定してください' }).trim().min(1, { message: '添付書類の名前を指定してください' }).max(100, { message: '添付書類の名前は100文字以内です' }), a.label, `${field}.label`);
  const mediaType = parseInput(z.enum(ATTACHMENT_TYPES, { message: '添付書類は PDF か JPEG です' }), a.mediaType, `${field}.mediaType`);
  const b = a.content;
  if (b.length === 0) throw invalidField(`${field}.content`, 'ATTACHMENT_EMPTY', '添付書類が空です');
  if (b.length > MAX_ATTACHMENT_BYTES) throw invalidField(`${field}.content`, 'ATTACHMENT_TOO_LARGE', `添付書類は1件${MAX_ATTACHMENT_BYTES / 1024 / 1024}MBまでです`);
  const isPdf = b.subarray(0, 5).toString('latin1') === '%PDF-';
  const isJpeg = b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  if ((mediaType === 'application/pdf' && !isPdf) || (mediaType === 'image/jpeg' && !isJpeg)) {
    throw invalidField(`${field}.content`, 'ATTACHMENT_TYPE_MISMATCH', '添付書類の中身が指定された形式（PDF・JPEG）ではありません');
  }
  return { label, mediaType, content: b };
}


export interface NewApplication {
  readonly id?: string;
  readonly qualification: string;
  readonly procedure: Procedure;
  readonly channel: Channel;
  /** The validated form (without the My Number). */
  readonly form: Record<string, unknown>;
  readonly registrationNo?: number | null;
  readonly myNumber: string;
  readonly portalPseudonym?: string | null;
  readonly signed?: { readonly text: string; readonly certPem: string; readonly signature: string } | null;
  readonly identityProof?: Record<string, unknown> | null;
  readonly attachments?: readonly AttachmentInput[];
  /** Who received it: 'mynaportal' online, the official's user id on paper. */
  readonly receivedBy: string;
  /** Extra detail of the `received` event (never a My Number). */
  readonly receivedDetail?: Record<string, unknown>;
}

export interface AttachmentView {
  readonly seq: number;
  readonly label: string;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
}

export interface ApplicationEvent {
  readonly seq: number;
  readonly kind: string;
  readonly detail: Record<string, unknown>;
  readonly actor: string;
  readonly at: string;
}

export interface ApplicationView {
  readonly id: string;
  readonly tenant: string;
  readonly qualification: string;
  readonly qualificationName: string;
  readonly procedure: Procedure;
  readonly procedureLabel: string;
  readonly channel: Channel;
  readonly channelLabel: string;
  readonly status: ApplicationStatus;
  readonly statusLabel: string;
  readonly form: Record<string, unknown>;
  readonly registrationNo: number | null;
  readonly portalPseudonym: string | null;
  readonly identityProof: Record<string, unknown> | null;
  readonly receivedAt: string;
  readonly receivedBy: string;
  readonly decidedAt: string | null;
  readonly decidedBy: string | null;
  readonly decisionReason: string | null;
  readonly revision: number;
  readonly attachments: readonly AttachmentView[];
  readonly events: readonly ApplicationEvent[];
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/**
 * Stores an application with its attachments, sealed My Number and `received` event — all in the caller's
 * transaction.  Idempotent per id: the same id again returns the stored application unchanged.
 */
export async function insertApplication(tx: Tx, deps: { clock: Clock; secrets: RegistrySecrets }, tenant: string, input: NewApplication): Promise<ApplicationView> {
  const q = catalog().qualification(input.qualification);
  if (!q || q.administrator !== tenant) throw notFound('資格');
  const id = input.id ?? randomUUID();
  const existing = await sql<{ id: string }>`SELECT id FROM registry.applications WHERE id = ${id}`.execute(tx);
  if (existing.rows[0]) return (await getApplication(tx, id))!;
  const myNumber = RegistrySecrets.check(input.myNumber);
  const now = deps.clock.now();
  await sql`INSERT INTO registry.applications (tenant_code, qualification_code, id, procedure, channel, status, form, registration_no, portal_pseudonym,
              signed_text, signer_cert_pem, signature, identity_proof, received_at, received_by, updated_at)
            VALUES (${tenant}, ${q.code}, ${id}, ${input.procedure}, ${input.channel}, 'received', ${JSON.stringify(input.form)}::jsonb, ${input.registrationNo ?? null},
              ${input.portalPseudonym ?? null}, ${input.signed?.text ?? null}, ${input.signed?.certPem ?? null}, ${input.signed?.signature ?? null},
              ${input.identityProof ? JSON.stringify(input.identityProof) : null}::jsonb, ${now}, ${input.receivedBy}, ${now})`.execute(tx);
  const s = deps.secrets.sealApplicationMyNumber(tenant, id, myNumber);
  await sql`INSERT INTO registry.application_mynumbers (tenant_code, application_id, ciphertext, key_version, blind_index, stored_at)
            VALUES (${tenant}, ${id}, ${s.ciphertext}, ${s.version}, ${deps.secrets.blindIndex(tenant, myNumber)}, ${now})`.execute(tx);
  let seq = 0;
  for (const a of input.attachments ?? []) {
    seq += 1;
    await sql`INSERT INTO registry.application_attachments (tenant_code, application_id, seq, label, media_type, size, sha256, content)
              VALUES (${tenant}, ${id}, ${seq}, ${a.label}, ${a.mediaType}, ${a.content.length}, ${createHash('sha256').update(a.content).digest()}, ${a.content})`.execute(tx);
  }
  await addApplicationEvent(tx, deps.clock, tenant, id, 'received', { channel: input.channel, attachments: seq, ...(input.receivedDetail ?? {}) }, input.receivedBy);
  return (await getApplication(tx, id))!;
}

/** Appends an event to an application's history; returns its sequence number. */
export async function addApplicationEvent(tx: Tx, clock: Clock, tenant: string, id: string, kind: string, detail: Record<string, unknown>, actor: string): Promise<number> {
  const r = await sql<{ seq: number }>`
    INSERT INTO registry.application_events (tenant_code, application_id, seq, kind, detail, actor, at)
    SELECT ${tenant}, ${id}, COALESCE(MAX(seq), 0) + 1, ${kind}, ${JSON.stringify(detail)}::jsonb, ${actor}, ${clock.now()}
    FROM registry.application_events WHERE tenant_code = ${tenant} AND application_id = ${id} RETURNING seq`.execute(tx);
  return r.rows[0]!.seq;
}

/** One application (of the tenant the transaction is set to), or undefined. */
export async function getApplication(tx: Tx, id: string): Promise<ApplicationView | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  const r = await sql<Record<string, unknown>>`SELECT * FROM registry.applications WHERE id = ${id}`.execute(tx);
  const row = r.rows[0];
  if (!row) return undefined;
  const att = await sql<Record<string, unknown>>`SELECT seq, label, media_type, size, sha256 FROM registry.application_attachments WHERE application_id = ${id} ORDER BY seq`.execute(tx);
  const ev = await sql<Record<string, unknown>>`SELECT seq, kind, detail, actor, at FROM registry.application_events WHERE application_id = ${id} ORDER BY seq`.execute(tx);
  return {
    ...viewOf(row),
    attachments: att.rows.map((a) => ({ seq: Number(a['seq']), label: String(a['label']), mediaType: String(a['media_type']), size: Number(a['size']), sha256: Buffer.from(a['sha256'] as Uint8Array).toString('hex') })),
    events: ev.rows.map((e) => ({ seq: Number(e['seq']), kind: String(e['kind']), detail: e['detail'] as Record<string, unknown>, actor: String(e['actor']), at: iso(e['at']) })),
  };
}

/** One application or 404 (the same answer for another 資格管理者's application as for none). */
export async function requireApplication(tx: Tx, id: string): Promise<ApplicationView> {
  const a = await getApplication(tx, id);
  if (!a) throw notFound('申請');
  return a;
}

function viewOf(row: Record<string, unknown>): Omit<ApplicationView, 'attachments' | 'events'> {
  const q = catalog().qualification(String(row['qualification_code']))!;
  const procedure = row['procedure'] as Procedure;
  const channel = row['channel'] as Channel;
  const status = row['status'] as ApplicationStatus;
  return {
    id: String(row['id']),
    tenant: String(row['tenant_code']),
    qualification: q.code,
    qualificationName: q.name,
    procedure,
    procedureLabel: PROCEDURE_LABELS[procedure],
    channel,
    channelLabel: CHANNEL_LABELS[channel],
    status,
    statusLabel: APPLICATION_STATUS_LABELS[status],
    form: row['form'] as Record<string, unknown>,
    registrationNo: row['registration_no'] === null ? null : Number(row['registration_no']),
    portalPseudonym: (row['portal_pseudonym'] as string | null) ?? null,
    identityProof: (row['identity_proof'] as Record<string, unknown> | null) ?? null,
    receivedAt: iso(row['received_at']),
    receivedBy: String(row['received_by']),
    decidedAt: row['decided_at'] === null ? null : iso(row['decided_at']),
    decidedBy: (row['decided_by'] as string | null) ?? null,
    decisionReason: (row['decision_reason'] as string | null) ?? null,
    revision: Number(row['revision']),
  };
}

export interface ApplicationListItem extends Omit<ApplicationView, 'attachments' | 'events' | 'form'> {
  /** 氏名 as the form gives it (for the queue). */
  readonly applicantName: string;
}

export interface ApplicationPage {
  readonly total: number;
  readonly page: number;
  readonly perPage: number;
  readonly items: readonly ApplicationListItem[];
}

const listQuery = z
  .object({
    status: z.enum(Object.keys(APPLICATION_STATUS_LABELS) as [ApplicationStatus, ...ApplicationStatus[]], { message: '状態の指定が正しくありません' }).optional(),
    qualification: z.string().regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }).optional(),
    qualifications: z.array(z.string()).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    perPage: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** The queue: applications of the tenant, oldest first, with the total (for paging). */
export async function listApplications(tx: Tx, raw: unknown): Promise<ApplicationPage> {
  const q = parseInput(listQuery, raw);
  const where = [sql`true`];
  if (q.status) where.push(sql`status = ${q.status}`);
  if (q.qualification) where.push(sql`qualification_code = ${q.qualification}`);
  if (q.qualifications) where.push(sql`qualification_code = ANY(${q.qualifications}::text[])`);
  const cond = sql.join(where, sql` AND `);
  const total = await sql<{ n: string }>`SELECT count(*) AS n FROM registry.applications WHERE ${cond}`.execute(tx);
  const rows = await sql<Record<string, unknown>>`SELECT * FROM registry.applications WHERE ${cond} ORDER BY received_at, id LIMIT ${q.perPage} OFFSET ${(q.page - 1) * q.perPage}`.execute(tx);
  return {
    total: Number(total.rows[0]!.n),
    page: q.page,
    perPage: q.perPage,
    items: rows.rows.map((row) => {
      const { form: _form, ...v } = viewOf(row);
      const name = (row['form'] as { 氏名?: { 姓?: string; 名?: string } }).氏名;
      return { ...v, applicantName: name ? `${name.姓 ?? ''}　${name.名 ?? ''}`.trim() : '' };
    }),
  };
}

/**
 * Moves an application from one of `from` to `to` (locking its row), recording the decision when `to` ends
 * it; 409 APPLICATION_STATE when it is in another state (e.g. already decided by someone else).
 */
export async function transitionApplication(
  tx: Tx,
  clock: Clock,
  id: string,
  change: { from: readonly ApplicationStatus[]; to: ApplicationStatus; by: string; reason?: string | null; registrationNo?: number | null; form?: Record<string, unknown> },
): Promise<ApplicationView> {
  const r = await sql<{ status: ApplicationStatus; tenant_code: string }>`SELECT status, tenant_code FROM registry.applications WHERE id = ${id} FOR UPDATE`.execute(tx);
  const row = r.rows[0];
  if (!row) throw notFound('申請');
  if (!change.from.includes(row.status)) {
    throw conflict('APPLICATION_STATE', `この申請は「${APPLICATION_STATUS_LABELS[row.status]}」のため、この操作はできません。`);
  }
  const ends = change.to === 'approved' || change.to === 'rejected' || change.to === 'withdrawn';
  const now = clock.now();
  await sql`UPDATE registry.applications SET status = ${change.to}, updated_at = ${now}, revision = revision + 1,
              decided_at = ${ends ? now : null}, decided_by = ${ends ? change.by : null}, decision_reason = ${change.reason ?? null},
              registration_no = COALESCE(${change.registrationNo ?? null}::bigint, registration_no),
              form = COALESCE(${change.form ? JSON.stringify(change.form) : null}::jsonb, form)
            WHERE id = ${id}`.execute(tx);
  await addApplicationEvent(tx, clock, row.tenant_code, id, change.to === 'received' ? 'resubmitted' : change.to, change.reason ? { reason: change.reason } : {}, change.by);
  return (await getApplication(tx, id))!;
}

/** The applicant's My Number, for the 住基/戸籍 checks and the registration (never for a screen or a log). */
export async function applicationMyNumber(tx: Tx, secrets: RegistrySecrets, id: string): Promise<string> {
  const r = await sql<{ tenant_code: string; ciphertext: Uint8Array; key_version: number }>`
    SELECT tenant_code, ciphertext, key_version FROM registry.application_mynumbers WHERE application_id = ${id}`.execute(tx);
  const row = r.rows[0];
  if (!row) throw notFound('申請');
  return secrets.openApplicationMyNumber(row.tenant_code, id, Buffer.from(row.ciphertext), row.key_version);
}

/** One attachment's bytes (for the examiner's screen). */
export async function attachmentContent(tx: Tx, id: string, seq: number): Promise<{ mediaType: string; label: string; content: Buffer } | undefined> {
  const r = await sql<{ media_type: string; label: string; content: Uint8Array }>`
    SELECT media_type, label, content FROM registry.application_attachments WHERE application_id = ${id} AND seq = ${seq}`.execute(tx);
  const row = r.rows[0];
  return row ? { mediaType: row.media_type, label: row.label, content: Buffer.from(row.content) } : undefined;
}
