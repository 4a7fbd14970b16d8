// Wording templates per municipality and document type, versioned (decision 0067): version 1 is the default
// wording (`DEFAULT_TEMPLATES`), stored the first time it is used; every edit is validated by the documents
// room's `validateTemplate` and stored as the next version with who, when and a note.  Stored versions are
// never changed (the table grants INSERT only), so a printed document can always be traced to its words.
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { conflict, invalidField, notFound, validationFailed } from '../../kernel/problems/index.js';
import { fiscalYearOf } from '../../kernel/jp/index.js';
import {
  DEFAULT_TEMPLATES,
  DOCUMENT_TYPES,
  makeVoucherNumber,
  renderDocument,
  SAMPLE_MUNICIPALITY,
  syntheticDocumentItems,
  validateTemplate,
  type DocumentItem,
  type DocumentTemplate,
  type DocumentType,
} from '../documents/index.js';
import { getNoticeSettings, requireNotices } from './settings.js';

export interface TemplateVersionView {
  readonly docType: DocumentType;
  readonly version: number;
  readonly note: string | null;
  readonly createdBy: string;
  readonly createdAt: Date | null;
  /** Documents printed with this version (a used version is kept for ever, like every version). */
  readonly used: number;
  /** True for the default wording that has not been stored yet. */
  readonly builtIn: boolean;
  readonly template: DocumentTemplate;
}

export function checkDocType(docType: string): DocumentType {
  if (!(DOCUMENT_TYPES as readonly string[]).includes(docType)) throw invalidField('docType', 'DOC_TYPE_UNKNOWN', `文書の種類は ${DOCUMENT_TYPES.join('・')} のいずれかです`);
  return docType as DocumentType;
}

/** Every version of a document type's wording, newest first (the default when nothing is stored). */
export async function listTemplateVersions(w: Work, docTypeIn: string): Promise<TemplateVersionView[]> {
  requireNotices(w, 'personal.read');
  const docType = checkDocType(docTypeIn);
  const rows = await w.tx
    .selectFrom('municipality.notice_templates as t')
    .select(['t.version', 't.note', 't.created_by', 't.created_at', 't.template'])
    .select((eb) =>
      eb
        .selectFrom('municipality.notice_items as i')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('i.tenant_code', '=', 't.tenant_code')
        .whereRef('i.doc_type', '=', 't.doc_type')
        .whereRef('i.template_version', '=', 't.version')
        .as('used'),
    )
    .where('t.tenant_code', '=', w.tenant)
    .where('t.doc_type', '=', docType)
    .orderBy('t.version', 'desc')
    .execute();
  if (rows.length === 0) return [{ docType, version: 1, note: '既定の文面', createdBy: 'Mamori', createdAt: null, used: 0, builtIn: true, template: DEFAULT_TEMPLATES[docType] }];
  return rows.map((r) => ({ docType, version: r.version, note: r.note, createdBy: r.created_by, createdAt: r.created_at, used: Number(r.used ?? 0), builtIn: false, template: r.template }));
}

/** One version (the default for version 1 when nothing is stored). */
export async function getTemplateVersion(w: Work, docTypeIn: string, version: number): Promise<DocumentTemplate> {
  requireNotices(w, 'personal.read');
  const docType = checkDocType(docTypeIn);
  const r = await w.tx.selectFrom('municipality.notice_templates').select('template').where('tenant_code', '=', w.tenant).where('doc_type', '=', docType).where('version', '=', version).executeTakeFirst();
  if (r) return r.template;
  if (version === 1) return DEFAULT_TEMPLATES[docType];
  throw notFound('文面の版');
}

/**
 * The wording to print with now: the newest stored version, or the default stored as version 1 (so that the
 * items can reference it).  Called inside the issuing transaction.
 */
export async function templateForIssue(w: Work, docType: DocumentType): Promise<DocumentTemplate> {
  const r = await w.tx.selectFrom('municipality.notice_templates').select('template').where('tenant_code', '=', w.tenant).where('doc_type', '=', docType).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (r) return r.template;
  const t = DEFAULT_TEMPLATES[docType];
  await w.tx
    .insertInto('municipality.notice_templates')
    .values({ tenant_code: w.tenant, doc_type: docType, version: 1, template: jsonb(t), note: '既定の文面', created_by: w.actor.login })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return t;
}

export interface TemplateEdit {
  readonly title: string;
  readonly body: readonly string[];
  readonly notes: readonly string[];
  readonly questions?: readonly string[] | undefined;
  readonly consent?: string | undefined;
  readonly contact: string;
  /** 改訂内容: what changed and why (required). */
  readonly note: string;
  /** The version the editor started from: refused when someone saved a newer one meanwhile. */
  readonly baseVersion?: number | undefined;
}

/** Validates an edit (placeholders, fit, 予診票 rules) and stores it as the next version. */
export async function saveTemplateVersion(w: Work, docTypeIn: string, edit: TemplateEdit): Promise<TemplateVersionView> {
  requireNotices(w, 'personal.write');
  const docType = checkDocType(docTypeIn);
  const note = (edit.note ?? '').trim();
  if (!note) throw invalidField('note', 'REQUIRED', '改訂内容（何を変えたか）を入力してください');
  if (note.length > 200) throw invalidField('note', 'TOO_LONG', '改訂内容は200文字以内で入力してください');
  const latest = await w.tx.selectFrom('municipality.notice_templates').select((eb) => eb.fn.max('version').as('v')).where('tenant_code', '=', w.tenant).where('doc_type', '=', docType).executeTakeFirst();
  const current = Number(latest?.v ?? 0);
  if (edit.baseVersion !== undefined && edit.baseVersion !== Math.max(current, 1)) {
    throw conflict('TEMPLATE_CHANGED', `編集中に別の職員が第${current}版を保存しました。最新の版を開き直してから編集してください。`);
  }
  if (current === 0) await templateForIssue(w, docType); // version 1 = the default, kept as the base of history
  const version = Math.max(current, 1) + 1;
  const candidate: Record<string, unknown> = {
    docType,
    version,
    note,
    title: edit.title,
    body: [...edit.body],
    notes: [...edit.notes],
    contact: edit.contact,
    ...(edit.questions !== undefined ? { questions: [...edit.questions] } : {}),
    ...(edit.consent !== undefined ? { consent: edit.consent } : {}),
  };
  const r = validateTemplate(candidate);
  if (!r.ok) throw validationFailed(r.errors);
  const inserted = await w.tx
    .insertInto('municipality.notice_templates')
    .values({ tenant_code: w.tenant, doc_type: docType, version, template: jsonb(r.template), note, created_by: w.actor.login })
    .onConflict((oc) => oc.doNothing())
    .returning('version')
    .executeTakeFirst();
  if (!inserted) throw conflict('TEMPLATE_CHANGED', '同時に別の版が保存されました。最新の版を開き直してから編集してください。');
  await appendEntry(w.tx, w, { action: 'create', targetType: 'notice-template', targetId: `${docType}:${version}`, detail: { docType, version } });
  return { docType, version, note, createdBy: w.actor.login, createdAt: w.clock.now(), used: 0, builtIn: false, template: r.template };
}

/** A sample item for previews: synthetic data only (never a real person). */
export function previewItem(docType: DocumentType, orgCode: string, issueDate: string): DocumentItem {
  const [item] = syntheticDocumentItems(1, { seed: 'preview', asOf: issueDate });
  const it: DocumentItem = { ...item!, voucherNumber: undefined };
  // A voucher number of the municipality itself (serial 1), so the renderer's issuer check passes.
  if (docType === 'questionnaire') return { ...it, voucherNumber: makeVoucherNumber({ orgCode, fiscalYear: fiscalYearOf(issueDate), serial: 1 }) };
  if (docType === 'request') return { ...it, request: { destination: '大阪市長', reason: '里帰り出産のため', stayAddress: '大阪府大阪市北区中之島一丁目3番20号', stayPhone: '06-0000-0000', documentNumber: '見本第1号' } };
  return it;
}

/**
 * A one-page preview PDF of a wording (a stored version, or an unsaved edit, validated first) with synthetic
 * data and the municipality's sender block (a sample block when it is not set yet).
 */
export async function previewTemplate(w: Work, docTypeIn: string, source: { version: number } | { edit: TemplateEdit }): Promise<Uint8Array> {
  requireNotices(w, 'personal.read');
  const docType = checkDocType(docTypeIn);
  let template: DocumentTemplate;
  if ('version' in source) template = await getTemplateVersion(w, docType, source.version);
  else {
    const e = source.edit;
    const r = validateTemplate({ docType, version: 1, title: e.title, body: [...e.body], notes: [...e.notes], contact: e.contact, ...(e.questions ? { questions: [...e.questions] } : {}), ...(e.consent !== undefined ? { consent: e.consent } : {}) });
    if (!r.ok) throw validationFailed(r.errors);
    template = r.template;
  }
  const municipality = (await getNoticeSettings(w)) ?? { ...SAMPLE_MUNICIPALITY, code: w.tenant };
  const issueDate = w.clock.today();
  return renderDocument(docType, template, previewItem(docType, municipality.code, issueDate), { municipality, issueDate, title: '見本（合成データ）' });
}
