// Issuing documents (VAX-09, VAX-10, VAX-12, VAX-25; decisions 0065, 0066): a batch from an extraction run,
// an ad-hoc document for one person, and the pieces both share — serials, the encrypted 整理番号, who a
// document is addressed to, and the item row that records what was printed.
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import type { TenantKeyService } from '../../kernel/crypto/index.js';
import { appendEntries, appendEntry, type AuditEntry } from '../../kernel/audit/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { conflict, invalidField, notFound, parseInput, Problem } from '../../kernel/problems/index.js';
import { addDays, fiscalYearOf, isIsoDate, legalAge } from '../../kernel/jp/index.js';
import { z } from 'zod';
import { DOCUMENT_TYPE_LABELS, documentItemSchema, makeVoucherNumber, VOUCHER_SERIAL_MAX, type DocumentItem, type DocumentTemplate, type DocumentType, type MunicipalityInfo } from '../documents/index.js';
import { mailingTarget, type PersonState } from '../residents/index.js';
import { catalogFor, personTimeline } from '../records/index.js';
import { getExtractionRun, iterateRunMembers } from '../extraction/index.js';
import type { Catalog } from '../schedule/index.js';
import { copayContext } from '../copay/index.js';
import { encodeReference, referenceKeys, type ReferenceKeys } from './reference.js';
import { getMailingLeadDays, requireNoticeSettings, requireNotices } from './settings.js';
import type { BatchKind, PrintClass, Series } from './tables.js';
import { checkDocType, templateForIssue } from './templates.js';

// ------------------------------------------------------------------------------------------ dependencies

/** An extraction run as the notices ledger needs it (the extraction room's `ExtractionRunView` fits). */
export interface RunInfo {
  readonly id: string;
  readonly status: string;
  readonly asOf: string;
}

/** One target of a run (the extraction room's `RunMember` fits). */
export interface RunMember {
  readonly atenaNo: string;
  readonly program: string;
  readonly dose: number | null;
  readonly earliest: string | null;
  readonly latest: string | null;
  /** 支援措置: never mailed. */
  readonly protected: boolean;
}

/** The extraction room's reading functions (replaceable, e.g. by a test's fixed run). */
export interface RunSource {
  getExtractionRun(w: Work, runId: string): Promise<RunInfo>;
  iterateRunMembers(w: Work, runId: string, opts?: { batch?: number; program?: string }): AsyncIterable<readonly RunMember[]>;
}

export interface NoticeDeps {
  /** For the 整理番号 key (decision 0065). */
  readonly keys: TenantKeyService;
  /** Extraction runs; default: the extraction room's own functions. */
  readonly runs?: RunSource | undefined;
}

const extractionRuns: RunSource = { getExtractionRun, iterateRunMembers };

// ------------------------------------------------------------------------------------------ serials

/** Takes `count` consecutive serials of a series for the fiscal year, inside the caller's transaction. */
export async function allocateSerials(w: Work, series: Series, fiscalYear: number, count: number): Promise<number> {
  if (count <= 0) return 0;
  const row = await w.tx
    .insertInto('municipality.notice_serials')
    .values({ tenant_code: w.tenant, series, fiscal_year: fiscalYear, last_serial: count })
    .onConflict((oc) => oc.columns(['tenant_code', 'series', 'fiscal_year']).doUpdateSet((eb) => ({ last_serial: eb('municipality.notice_serials.last_serial', '+', count) })))
    .returning('last_serial')
    .executeTakeFirstOrThrow()
    .catch((e: unknown) => {
      if (/last_serial|check/i.test(String((e as Error).message))) throw new Problem(409, 'SERIALS_EXHAUSTED', '番号を採番できません', `${fiscalYear}年度の番号（${VOUCHER_SERIAL_MAX}まで）を使い切りました。`);
      throw e;
    });
  return row.last_serial - count + 1;
}

// ------------------------------------------------------------------------------------------ addressing

export type NotMailedReason = 'protected' | 'no-postal-code';

export interface Addressing {
  readonly person: DocumentItem['person'];
  readonly mailTo: NonNullable<DocumentItem['mailTo']>;
  readonly guardianName: string | undefined;
  /** Mailed (by the contractor) or handed over at the counter (窓口交付). */
  readonly mail: boolean;
  readonly notMailed: NotMailedReason | null;
  /** Print order: 郵便番号 then address (区分郵便の差出順), counter items last. */
  readonly sortKey: string;
}

const MINOR_UNTIL = 18;
const zip = (p: string | null | undefined): string | undefined => {
  const d = (p ?? '').replace(/\D/g, '');
  return d.length === 7 ? `${d.slice(0, 3)}-${d.slice(3)}` : undefined;
};

/**
 * Who a document is addressed to (decision 0068):
 * - 支援措置 (DV etc.; `mailingTarget` null or the run's `protected` flag): never mailed — 窓口交付, and no
 *   address of the person on the paper: the address fields read （窓口交付） and the window shows the
 *   municipality's own desk.
 * - Otherwise the 送付先 when registered (RES-13), else the registered address; no postal code → 窓口交付.
 * - A minor (under 18 on the issue date) is written to as 「<child>　保護者」 unless a 送付先 name is set, and
 *   the 保護者氏名 is the 世帯主 when the child is the householder's 子 (else left blank to be filled in).
 */
export function addressFor(s: PersonState, protectedFlag: boolean, issueDate: string, m: MunicipalityInfo): Addressing {
  const minor = s.birthDate <= issueDate && legalAge(s.birthDate, issueDate) < MINOR_UNTIL;
  const guardianName = minor && s.relationship?.startsWith('子') && s.householderName ? s.householderName : undefined;
  const baseName = minor ? `${s.nameKanji}　保護者` : s.nameKanji;
  const target = protectedFlag ? null : mailingTarget(s);
  const counter = (reason: NotMailedReason): Addressing => ({
    person: { name: s.nameKanji, kana: s.nameKana, birthDate: s.birthDate, sex: s.sex, address: '（窓口交付）' },
    mailTo: { postalCode: zip(m.postalCode) ?? '000-0000', address: `${m.name}　${m.department}`, addressLine2: '（窓口交付）', name: baseName },
    guardianName,
    mail: false,
    notMailed: reason,
    sortKey: `Z|${reason === 'protected' ? '0' : '1'}`,
  });
  if (!target) return counter('protected');
  const postal = zip(target.postalCode);
  if (!postal) return counter('no-postal-code');
  const name = s.mailingAddress && s.mailingName ? s.mailingName : target.name === s.nameKanji ? baseName : target.name;
  return {
    person: { name: s.nameKanji, kana: s.nameKana, birthDate: s.birthDate, sex: s.sex, ...(zip(s.postalCode) ? { postalCode: zip(s.postalCode)! } : {}), address: s.address },
    mailTo: { postalCode: postal, address: target.address, ...(target.katagaki ? { addressLine2: target.katagaki } : {}), name },
    guardianName,
    mail: true,
    notMailed: null,
    sortKey: `A|${postal.replace('-', '')}|${target.address}|${target.katagaki ?? ''}`,
  };
}

// ------------------------------------------------------------------------------------------ programs

export interface ProgramLabel {
  readonly name: string;
  readonly doseLabel: string | null;
}

/** The program's name (shortened to 40 characters: the document's limit) and the dose's label from the catalog. */
export function programLabel(catalog: Catalog, code: string, dose: number | null): ProgramLabel {
  const entries = catalog.programsByCode.get(code);
  const p = entries?.at(-1);
  let name = p?.name ?? code;
  if ([...name].length > 40) name = name.replace(/（[^）]*）$/, '');
  if ([...name].length > 40) name = [...name].slice(0, 39).join('') + '…';
  if (dose === null || !p) return { name, doseLabel: dose ? `${dose}回目` : null };
  const labels = new Set<string>();
  let many = false;
  for (const s of p.series) {
    const d = s.doses.find((x) => x.dose === dose);
    if (d) labels.add(d.label);
    if (s.doses.length > 1) many = true;
  }
  if (!many) return { name, doseLabel: null };
  const label = labels.size === 1 ? [...labels][0]! : `${dose}回目`;
  return { name, doseLabel: [...label].length > 20 ? `${dose}回目` : label };
}

// ------------------------------------------------------------------------------------------ items

export interface Draft {
  readonly atenaNo: string;
  readonly program: string | null;
  readonly programName: string;
  readonly dose: number | null;
  readonly doseLabel: string | null;
  readonly period: { from: string; until: string } | null;
  readonly addressing: Addressing;
  readonly request?: DocumentItem['request'];
}

interface ItemContext {
  readonly batchId: string;
  readonly docType: DocumentType;
  readonly template: DocumentTemplate;
  readonly issueDate: string;
  readonly municipality: MunicipalityInfo;
  readonly keys: ReferenceKeys;
  readonly printClass?: PrintClass;
  readonly reissue?: { of: string; count: number; reason: string; identityCheck: string };
}

export interface InsertedItem {
  readonly id: string;
  readonly atenaNo: string;
  readonly voucherNo: string | null;
  readonly referenceNo: string;
}

/** The document as printed, checked by the renderer's own schema. */
function documentOf(d: Draft, docType: DocumentType, voucherNo: string | null, referenceNo: string, copayNote?: string): { ok: true; item: DocumentItem } | { ok: false } {
  const a = d.addressing;
  const raw: DocumentItem = {
    ...(copayNote ? { copayNote } : {}),
    person: a.person,
    mailTo: a.mailTo,
    ...(a.guardianName ? { guardianName: a.guardianName } : {}),
    program: { name: d.programName, ...(d.doseLabel ? { dose: d.doseLabel } : {}), ...(d.period ? { period: d.period } : {}) },
    ...(voucherNo ? { voucherNumber: voucherNo } : {}),
    referenceNumber: referenceNo,
    ...(d.request ? { request: d.request } : {}),
  };
  const r = documentItemSchema.safeParse(raw);
  return r.success ? { ok: true, item: r.data as DocumentItem } : { ok: false };
}

/**
 * VAX-30: the 予診票 of a resident the tenant's co-payment rule exempts, for a program whose rule says so
 * (exemptQuestionnaire), carries 「自己負担金　免除」 (or the reduced amount).  The situation is judged on the
 * first day the 予診票 can be used (the issue date, or the start of its period if later): that day's fiscal
 * year picks the rule and the 課税/介護 facts.  Only a program's own rule counts here (decision 0158).
 */
async function exemptQuestionnaireNotes(w: Work, issueDate: string, drafts: readonly Draft[]): Promise<Map<Draft, string>> {
  const out = new Map<Draft, string>();
  const on = (d: Draft) => (d.period && d.period.from > issueDate ? d.period.from : issueDate);
  const withProgram = drafts.filter((d) => d.program);
  if (!withProgram.length) return out;
  const ctx = await copayContext(w, withProgram.map((d) => ({ atenaNo: d.atenaNo, date: on(d) })));
  for (const d of withProgram) {
    const x = ctx.decide(d.atenaNo, d.program, '', on(d));
    if (x?.exempt && x.exemptQuestionnaire) out.set(d, x.amount === 0 ? '自己負担金　免除' : `自己負担金　${x.amount.toLocaleString('ja-JP')}円（減額）`);
  }
  return out;
}

/**
 * Numbers and stores drafts as items of a batch (seq = `firstSeq`, …): serials in order, 整理番号 tokens,
 * the printed document.  A draft whose document would not pass the renderer's checks (e.g. a name longer
 * than the form holds) is returned in `invalid` and takes no number.
 */
export async function insertItems(w: Work, c: ItemContext, drafts: readonly Draft[], firstSeq: number): Promise<{ items: InsertedItem[]; invalid: Draft[] }> {
  const series: Series = c.docType === 'questionnaire' ? 'voucher' : 'document';
  const fy = fiscalYearOf(c.issueDate);
  // Check the documents first with a placeholder number, so that refused drafts take no serial.
  const probeVoucher = series === 'voucher' ? makeVoucherNumber({ orgCode: c.municipality.code, fiscalYear: fy, serial: 1 }) : null;
  const good: Draft[] = [];
  const invalid: Draft[] = [];
  const copayNotes = c.docType === 'questionnaire' ? await exemptQuestionnaireNotes(w, c.issueDate, drafts) : new Map<Draft, string>();
  for (const d of drafts) (documentOf(d, c.docType, probeVoucher, '0000-0000', copayNotes.get(d)).ok ? good : invalid).push(d);
  if (good.length === 0) return { items: [], invalid };
  const first = await allocateSerials(w, series, fy, good.length);
  const rows = good.map((d, i) => {
    const serial = first + i;
    const voucherNo = series === 'voucher' ? makeVoucherNumber({ orgCode: c.municipality.code, fiscalYear: fy, serial }) : null;
    const referenceNo = encodeReference(c.keys, { atenaNo: d.atenaNo, series, fiscalYear: fy, serial });
    const doc = documentOf(d, c.docType, voucherNo, referenceNo, copayNotes.get(d));
    if (!doc.ok) throw new Error('document check changed between probe and issue');
    return {
      tenant_code: w.tenant,
      batch_id: c.batchId,
      seq: firstSeq + i,
      atena_no: d.atenaNo,
      doc_type: c.docType,
      program: d.program,
      program_name: d.programName,
      dose: d.dose,
      dose_label: d.doseLabel,
      voucher_no: voucherNo,
      series,
      fiscal_year: fy,
      serial,
      reference_no: referenceNo,
      template_version: c.template.version,
      print_class: c.printClass ?? (d.addressing.mail ? 'normal' : 'counter'),
      mail: d.addressing.mail,
      printed_on: c.issueDate,
      sort_key: `${d.addressing.sortKey}|${d.atenaNo}`,
      document: jsonb(doc.item),
      status: 'active' as const,
      voided_on: null,
      void_reason: null,
      replaced_by: null,
      reissue_of: c.reissue?.of ?? null,
      reissue_count: c.reissue?.count ?? 0,
      reissued_on: c.reissue ? c.issueDate : null,
      reissue_reason: c.reissue?.reason ?? null,
      identity_check: c.reissue?.identityCheck ?? null,
      dispatched_on: null,
      returned_on: null,
      return_reason: null,
      follow_up: null,
      follow_up_note: null,
    };
  });
  const items: InsertedItem[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const ins = await w.tx.insertInto('municipality.notice_items').values(rows.slice(i, i + 500)).returning(['id', 'atena_no', 'voucher_no', 'reference_no']).execute();
    items.push(...ins.map((r) => ({ id: r.id, atenaNo: r.atena_no, voucherNo: r.voucher_no, referenceNo: r.reference_no })));
  }
  const audit: AuditEntry[] = items.map((it) => ({
    action: 'create',
    targetType: 'notice-item',
    targetId: it.id,
    subjectRef: `resident:${it.atenaNo}`,
    purpose: `${DOCUMENT_TYPE_LABELS[c.docType]}の発行`,
    detail: { batchId: c.batchId, docType: c.docType },
  }));
  await appendEntries(w.tx, w, audit);
  return { items, invalid };
}

interface BatchRowInput {
  readonly kind: BatchKind;
  readonly runId?: string;
  readonly runKey?: string;
  readonly docType: DocumentType;
  readonly program: string | null;
  readonly template: DocumentTemplate;
  readonly issueDate: string;
  readonly title: string;
  readonly municipality: MunicipalityInfo;
  /** Batches from a run: the 郵送日数 the window check used (decision 0102). */
  readonly mailingLeadDays?: number;
}

export async function insertBatch(w: Work, b: BatchRowInput): Promise<string> {
  const r = await w.tx
    .insertInto('municipality.notice_batches')
    .values({
      tenant_code: w.tenant,
      kind: b.kind,
      run_id: b.runId ?? null,
      run_key: b.runKey ?? null,
      doc_type: b.docType,
      program: b.program,
      template_version: b.template.version,
      issue_date: b.issueDate,
      title: b.title,
      municipality: jsonb(b.municipality),
      mailing_lead_days: b.mailingLeadDays ?? null,
      dispatched_on: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Recounts a batch after its items are stored. */
export async function finishBatch(w: Work, batchId: string, skipped: Record<string, number>): Promise<void> {
  const c = await w.tx
    .selectFrom('municipality.notice_items')
    .select([sql<number>`count(*)::int`.as('n'), sql<number>`count(*) FILTER (WHERE mail)::int`.as('mailed')])
    .where('tenant_code', '=', w.tenant)
    .where('batch_id', '=', batchId)
    .executeTakeFirstOrThrow();
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
  await w.tx
    .updateTable('municipality.notice_batches')
    .set({ persons: c.n, mailed: c.mailed, counter: c.n - c.mailed, skipped: skippedTotal, skipped_detail: jsonb(skipped) })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', batchId)
    .execute();
}

// ------------------------------------------------------------------------------------------ persons

interface PersonRow {
  readonly atenaNo: string;
  readonly status: PersonState['status'];
  readonly state: PersonState;
  readonly dvNow: boolean;
}

/** Current states of the persons (the documents go to today's address); no log entry here: issuing logs per item. */
export async function loadPersons(w: Work, atenas: readonly string[]): Promise<Map<string, PersonRow>> {
  const out = new Map<string, PersonRow>();
  for (let i = 0; i < atenas.length; i += 1000) {
    const rows = await w.tx
      .selectFrom('municipality.persons')
      .select(['atena_no', 'status', 'state', 'dv_support'])
      .where('tenant_code', '=', w.tenant)
      .where('atena_no', 'in', atenas.slice(i, i + 1000))
      .execute();
    for (const r of rows) out.set(r.atena_no, { atenaNo: r.atena_no, status: r.status, state: r.state, dvNow: r.dv_support });
  }
  return out;
}

/** Why a member is not issued now: they are no longer someone to send to (RES-22). */
function notIssuable(p: PersonRow | undefined): string | null {
  if (!p) return 'unknown';
  if (p.status === 'deceased') return 'deceased';
  if (p.status === 'moved-out') return 'moved-out';
  if (p.status === 'removed') return 'removed';
  return null;
}

// ------------------------------------------------------------------------------------------ arrival in time

/**
 * Why a run member's document is not sent, by its window (decision 0102), or null to send it:
 * - `no-window`: a 予診票 must state 接種できる期間 (decision 0101) and the member has none;
 * - `window-ends-before-arrival`: the window ends before the document can be counted on to arrive — its
 *   last day is before the issue date + the municipality's 郵送日数 (`leadDays`) for a mailed document, or
 *   before the issue date itself for one handed over at the counter (窓口交付, no post).
 * With a window ending on issue + lead − 1 the member is skipped; ending on issue + lead, it is sent.
 */
export function windowSkip(docType: DocumentType, period: { from: string; until: string } | null, issueDate: string, leadDays: number, mailed: boolean): 'no-window' | 'window-ends-before-arrival' | null {
  if (!period) return docType === 'questionnaire' ? 'no-window' : null;
  return period.until < addDays(issueDate, mailed ? leadDays : 0) ? 'window-ends-before-arrival' : null;
}

// ------------------------------------------------------------------------------------------ batch from a run

export const RUN_DOC_TYPES = ['questionnaire', 'guidance', 'reminder'] as const;

const batchInput = z.object({
  runId: z.string().uuid({ message: '抽出の指定が正しくありません' }),
  docType: z.enum(RUN_DOC_TYPES, { message: '抽出から作成できるのは 予診票・案内通知・勧奨通知 です' }),
  program: z.string().trim().min(1).max(60).optional(),
  issueDate: z.string().refine(isIsoDate, { message: '発行日は YYYY-MM-DD の形式で指定してください' }).optional(),
});

export type CreateBatchInput = z.input<typeof batchInput>;

export interface BatchCreated {
  readonly batchId: string;
  /** False when the batch existed already (the same run, document type and program): nothing was issued. */
  readonly created: boolean;
}

/**
 * The documents of an extraction run (all its members, or one program's): one item per member and document,
 * numbered, addressed, stored, logged — in one transaction, so a failure leaves nothing and takes no
 * number, and a second call for the same run, document type and program returns the batch already made.
 */
export async function createBatchFromRun(w: Work, deps: NoticeDeps, raw: CreateBatchInput): Promise<BatchCreated> {
  requireNotices(w, 'personal.write');
  const input = parseInput(batchInput, raw);
  const runs = deps.runs ?? extractionRuns;
  const runKey = `${input.runId}|${input.docType}|${input.program ?? '*'}`;
  const existing = await w.tx.selectFrom('municipality.notice_batches').select('id').where('tenant_code', '=', w.tenant).where('run_key', '=', runKey).executeTakeFirst();
  if (existing) return { batchId: existing.id, created: false };
  const run = await runs.getExtractionRun(w, input.runId);
  if (!['completed', 'done', 'complete'].includes(run.status)) throw conflict('RUN_NOT_COMPLETED', 'この抽出はまだ完了していません。完了してから通知書を作成してください。');
  const { catalog } = await catalogFor(w);
  if (input.program && !catalog.programsByCode.has(input.program)) throw invalidField('program', 'PROGRAM_UNKNOWN', 'カタログにない予防接種のコードです');
  const municipality = await requireNoticeSettings(w);
  const template = await templateForIssue(w, input.docType);
  const keys = await referenceKeys(w, deps.keys);
  const issueDate = input.issueDate ?? w.clock.today();
  const leadDays = await getMailingLeadDays(w);
  const title = `${DOCUMENT_TYPE_LABELS[input.docType]}（抽出 ${run.asOf}${input.program ? `・${programLabel(catalog, input.program, null).name}` : ''}）`;
  const batchId = await insertBatch(w, { kind: 'run', runId: input.runId, runKey, docType: input.docType, program: input.program ?? null, template, issueDate, title, municipality, mailingLeadDays: leadDays });
  const ctx: ItemContext = { batchId, docType: input.docType, template, issueDate, municipality, keys };
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  let seq = 0;
  for await (const chunk of runs.iterateRunMembers(w, input.runId, { batch: 1000, ...(input.program ? { program: input.program } : {}) })) {
    const members = input.program ? chunk.filter((m) => m.program === input.program) : chunk;
    if (members.length === 0) continue;
    const persons = await loadPersons(w, [...new Set(members.map((m) => m.atenaNo))]);
    const drafts: Draft[] = [];
    for (const m of members) {
      const p = persons.get(m.atenaNo);
      const why = notIssuable(p);
      if (why) {
        skip(why);
        continue;
      }
      const label = programLabel(catalog, m.program, m.dose);
      const addressing = addressFor(p!.state, m.protected || p!.dvNow, issueDate, municipality);
      const period = m.earliest && m.latest && m.earliest <= m.latest ? { from: m.earliest, until: m.latest } : null;
      const late = windowSkip(input.docType, period, issueDate, leadDays, addressing.mail);
      if (late) {
        skip(late);
        continue;
      }
      drafts.push({
        atenaNo: m.atenaNo,
        program: m.program,
        programName: label.name,
        dose: m.dose,
        doseLabel: label.doseLabel,
        period,
        addressing,
      });
    }
    // Stored with negative sequence numbers; renumbered into print order below.
    const r = await insertItems(w, ctx, drafts, -(seq + drafts.length));
    seq += drafts.length;
    for (let i = 0; i < r.invalid.length; i++) skip('invalid');
  }
  // Print order (区分郵便の差出順): 郵便番号, address, 宛名番号; 窓口交付 last.
  await sql`
    UPDATE municipality.notice_items i SET seq = o.rn
    FROM (SELECT id, row_number() OVER (ORDER BY sort_key, atena_no, program, dose) AS rn
          FROM municipality.notice_items WHERE tenant_code = ${w.tenant} AND batch_id = ${batchId}) o
    WHERE i.tenant_code = ${w.tenant} AND i.id = o.id`.execute(w.tx);
  await finishBatch(w, batchId, skipped);
  const b = await w.tx.selectFrom('municipality.notice_batches').select(['persons', 'mailed', 'counter']).where('tenant_code', '=', w.tenant).where('id', '=', batchId).executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'create', targetType: 'notice-batch', targetId: batchId, detail: { runId: input.runId, docType: input.docType, program: input.program ?? null, persons: b.persons, mailed: b.mailed, counter: b.counter, skipped, mailingLeadDays: leadDays } });
  return { batchId, created: true };
}

// ------------------------------------------------------------------------------------------ one person

const adHocInput = z.object({
  atenaNo: z.string().regex(/^\d{10}$/, { message: '宛名番号は10桁です' }),
  docType: z.enum(['questionnaire', 'guidance', 'reminder', 'request'], { message: '文書の種類を選んでください' }),
  program: z.string().trim().min(1, { message: '予防接種を選んでください' }).max(60),
  dose: z.coerce.number().int().min(1).max(99).optional(),
  period: z.object({ from: z.string().refine(isIsoDate), until: z.string().refine(isIsoDate) }).optional(),
  issueDate: z.string().refine(isIsoDate, { message: '発行日は YYYY-MM-DD の形式で指定してください' }).optional(),
  request: z
    .object({
      destination: z.string().trim().min(1, { message: '依頼先を入力してください' }).max(40),
      reason: z.string().trim().min(1, { message: '依頼理由を入力してください' }).max(60),
      stayAddress: z.string().trim().min(1, { message: '滞在先住所を入力してください' }).max(80),
      stayPhone: z.string().trim().regex(/^[0-9-]{6,15}$/, { message: '電話番号は数字とハイフンで入力してください' }).optional(),
      documentNumber: z.string().trim().max(30).optional(),
    })
    .optional(),
});

export type AdHocInput = z.input<typeof adHocInput>;

export interface IssuedItem {
  readonly batchId: string;
  readonly itemId: string;
  readonly voucherNo: string | null;
  readonly referenceNo: string;
  readonly mail: boolean;
}

/**
 * One document for one person (窓口での個別発行, 予防接種依頼書 — VAX-25): the period and dose come from the
 * schedule engine's next dose for the program unless given.
 */
export async function issueForPerson(w: Work, deps: NoticeDeps, raw: AdHocInput): Promise<IssuedItem> {
  requireNotices(w, 'personal.write', (raw as { atenaNo?: string }).atenaNo);
  const input = parseInput(adHocInput, raw);
  const docType = checkDocType(input.docType);
  if (docType === 'request' && !input.request) throw invalidField('request.destination', 'REQUIRED', '予防接種依頼書には依頼先・依頼理由・滞在先住所が必要です');
  const { catalog } = await catalogFor(w);
  if (!catalog.programsByCode.has(input.program)) throw invalidField('program', 'PROGRAM_UNKNOWN', 'カタログにない予防接種のコードです');
  const persons = await loadPersons(w, [input.atenaNo]);
  const p = persons.get(input.atenaNo);
  if (!p) throw notFound('住民');
  const why = notIssuable(p);
  if (why) throw conflict('PERSON_NOT_ISSUABLE', why === 'deceased' ? '死亡した方には発行できません。' : '転出・消除された方には発行できません。');
  const issueDate = input.issueDate ?? w.clock.today();
  let dose = input.dose ?? null;
  let period = input.period ?? null;
  if (!period || !dose) {
    const t = await personTimeline(w, input.atenaNo, issueDate);
    const next = t.evaluation.results.find((r) => r.program === input.program)?.nextDose ?? null;
    dose ??= next?.dose ?? null;
    period ??= next ? { from: next.earliest, until: next.latest } : null;
  }
  if (docType === 'questionnaire' && !period) throw invalidField('period', 'NO_WINDOW', 'この方にはこの予防接種の接種できる期間がないため、予診票を発行できません（接種済み、または対象外です。期間を指定して発行することもできます）');
  const municipality = await requireNoticeSettings(w);
  const template = await templateForIssue(w, docType);
  const keys = await referenceKeys(w, deps.keys);
  const label = programLabel(catalog, input.program, dose);
  const batchId = await insertBatch(w, { kind: 'ad-hoc', docType, program: input.program, template, issueDate, title: `${DOCUMENT_TYPE_LABELS[docType]}（個別発行）`, municipality });
  const addressing = addressFor(p.state, p.dvNow, issueDate, municipality);
  const draft: Draft = {
    atenaNo: input.atenaNo,
    program: input.program,
    programName: label.name,
    dose,
    doseLabel: label.doseLabel,
    period,
    addressing,
    ...(input.request ? { request: input.request } : {}),
  };
  const r = await insertItems(w, { batchId, docType, template, issueDate, municipality, keys }, [draft], 1);
  if (r.items.length === 0) throw invalidField('atenaNo', 'DOCUMENT_INVALID', 'この方の氏名・住所等が様式に収まらないため発行できません（宛名の登録内容を確認してください）');
  await finishBatch(w, batchId, {});
  return { batchId, itemId: r.items[0]!.id, voucherNo: r.items[0]!.voucherNo, referenceNo: r.items[0]!.referenceNo, mail: addressing.mail };
}
