// PDFs from the ledger (decision 0066): a batch's PDF streamed in chunks of 1,000 persons — each chunk read in
// its own short transaction, drawn and written before the next is read — and one person's page set.  The
// documents are drawn from what the ledger recorded (the printed snapshot, the wording version, the sender
// block and issue date of the batch), so a reprint gives the same pages; voided documents are left out.
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { conflict, validationFailed } from '../../kernel/problems/index.js';
import { pagesPerPerson, renderDocument, renderDocumentsStream, type DocumentItem, type PdfSink, type StreamedRun } from '../documents/index.js';
import { batchRow, itemRow, type BatchView } from './ledger.js';
import { requireNotices } from './settings.js';
import { getTemplateVersion } from './templates.js';

export type BatchPart = 'all' | 'mail' | 'counter';

export const PART_LABELS: Readonly<Record<BatchPart, string>> = { all: 'すべて', mail: '郵送分', counter: '窓口交付分' };

const CHUNK = 1000;

/** The valid documents of a batch part, in print order, read `CHUNK` at a time, each read in its own transaction. */
export async function* batchDocuments(db: MamoriDb, who: Principal, batchId: string, part: BatchPart): AsyncGenerator<DocumentItem[]> {
  let after = 0;
  for (;;) {
    const rows = await runAs(db, who, async (w) => {
      let q = w.tx.selectFrom('municipality.notice_items').select(['seq', 'document']).where('tenant_code', '=', w.tenant).where('batch_id', '=', batchId).where('status', '=', 'active').where('erased_at', 'is', null).where('seq', '>', after);
      if (part !== 'all') q = q.where('mail', '=', part === 'mail');
      return q.orderBy('seq').limit(CHUNK).execute();
    });
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.seq;
    yield rows.map((r) => r.document);
  }
}

export async function countPart(w: Work, batchId: string, part: BatchPart): Promise<number> {
  let q = w.tx.selectFrom('municipality.notice_items').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_code', '=', w.tenant).where('batch_id', '=', batchId).where('status', '=', 'active').where('erased_at', 'is', null);
  if (part !== 'all') q = q.where('mail', '=', part === 'mail');
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export interface BatchPdfPlan {
  readonly batch: BatchView;
  readonly persons: number;
  readonly pages: number;
  readonly fileName: string;
}

/** Checks the permission, counts and logs the print of a batch part (before its bytes are streamed). */
export async function planBatchPdf(w: Work, batchId: string, part: BatchPart): Promise<BatchPdfPlan> {
  requireNotices(w, 'personal.export');
  const batch = await batchRow(w, batchId);
  const persons = await countPart(w, batchId, part);
  if (persons === 0) throw conflict('NOTHING_TO_PRINT', `この作成記録には${PART_LABELS[part]}の有効な通知書がありません。`);
  await appendEntry(w.tx, w, { action: 'print', targetType: 'notice-batch', targetId: batchId, purpose: `${batch.docLabel}の印刷`, detail: { part, persons, docType: batch.docType } });
  return { batch, persons, pages: persons * pagesPerPerson(batch.docType), fileName: `${batch.docType}-${batch.issueDate}-${batchId.slice(0, 8)}${part === 'all' ? '' : `-${part}`}.pdf` };
}

/**
 * One PDF for a batch (or its 郵送分 / 窓口交付分), streamed to `sink`: memory stays flat whatever the size
 * (a 100,000-person run is ~100 MB of PDF; decision 0066 has the measurement).
 */
export async function writeBatchPdf(db: MamoriDb, who: Principal, batchId: string, part: BatchPart, sink: PdfSink, plan?: BatchPdfPlan): Promise<StreamedRun & { plan: BatchPdfPlan }> {
  const p = plan ?? (await runAs(db, who, (w) => planBatchPdf(w, batchId, part)));
  const template = await runAs(db, who, (w) => getTemplateVersion(w, p.batch.docType, p.batch.templateVersion));
  const r = await renderDocumentsStream(p.batch.docType, template, batchDocuments(db, who, batchId, part), { municipality: p.batch.municipality, issueDate: p.batch.issueDate, title: p.batch.title }, sink);
  if (r.persons !== p.persons) throw validationFailed([{ field: 'batch', code: 'BATCH_CHANGED', message: '印刷中に通知書が再発行されました。もう一度印刷してください。' }]);
  return { ...r, plan: p };
}

/** One person's page set from the ledger (a reprint of what was issued). */
export async function renderItemPdf(w: Work, itemId: string): Promise<{ pdf: Uint8Array; fileName: string }> {
  requireNotices(w, 'personal.export');
  const it = await itemRow(w, itemId);
  if (it.status === 'void') throw conflict('ITEM_VOID', 'この通知書は再発行により無効になっています。新しい番号の通知書を印刷してください。');
  if (it.erasedAt) throw conflict('ITEM_ERASED', 'この通知書の印刷内容は保存期間を過ぎたため消去されています。必要なら再発行してください。');
  const batch = await batchRow(w, it.batchId);
  const template = await getTemplateVersion(w, it.docType, it.templateVersion);
  const pdf = await renderDocument(it.docType, template, it.document, { municipality: batch.municipality, issueDate: it.printedOn, title: batch.title });
  await appendEntry(w.tx, w, { action: 'print', targetType: 'notice-item', targetId: itemId, subjectRef: `resident:${it.atenaNo}`, purpose: `${it.docLabel}の印刷` });
  return { pdf, fileName: `${it.docType}-${it.printedOn}-${it.id.slice(0, 8)}.pdf` };
}
