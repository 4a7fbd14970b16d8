// The applicant's side of an online application (what the portal page does in the browser with
// src/web/assets/registry-apply.js, and `mamori registry apply` does in Node): open the card's
// 券面事項入力補助 with the PIN, build the document (docs/formats/registry-protocol.md) with the form and the
// SHA-256 of each attachment, and sign its canonical text with the card's 署名用 key.  Nothing here talks to
// a server.
import { createHash } from 'node:crypto';
import { canonicalDocumentText, openKenmen, signDocument, type CardFile } from '../kernel/jpki/index.js';
import type { Procedure } from './catalog.js';
import { APPLICATION_DOCUMENT_FORMAT, type ApplicationDocument } from './intake.js';

export interface ApplicantAttachment {
  readonly label: string;
  readonly mediaType: string;
  readonly content: Buffer;
}

export interface PreparedApplication {
  /** The canonical text that was signed. */
  readonly document: string;
  readonly certPem: string;
  readonly signature: string;
  readonly attachments: { label: string; mediaType: string; content: string }[];
}

/** Builds and signs an application with the card (its PIN opens the 券面事項入力補助 and the 署名用 key). */
export async function prepareApplication(
  card: string | CardFile,
  pin: string,
  input: { qualification: string; procedure?: Procedure; form: Record<string, unknown>; attachments?: readonly ApplicantAttachment[]; applicationId?: string },
): Promise<PreparedApplication> {
  const kenmen = await openKenmen(card, pin);
  const attachments = input.attachments ?? [];
  const procedure = input.procedure ?? ((input.form['procedure'] as Procedure | undefined) ?? 'new');
  const doc: ApplicationDocument = {
    format: APPLICATION_DOCUMENT_FORMAT,
    qualification: input.qualification,
    procedure,
    ...(input.applicationId ? { applicationId: input.applicationId } : {}),
    form: input.form,
    kenmen,
    attachments: attachments.map((a) => ({ label: a.label, mediaType: a.mediaType, size: a.content.length, sha256: createHash('sha256').update(a.content).digest('hex') })),
  };
  const signed = await signDocument(card, pin, doc);
  return {
    document: canonicalDocumentText(doc),
    certPem: signed.certPem,
    signature: signed.signature,
    attachments: attachments.map((a) => ({ label: a.label, mediaType: a.mediaType, content: a.content.toString('base64') })),
  };
}
