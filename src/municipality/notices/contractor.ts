// The printing contractor's package (VAX-14, KRN-48, KRN-50; decision 0069; layout in
// docs/formats/print-contractor-csv.md): one AES-256 encrypted ZIP holding the enclosing list (CSV: only what
// printing, enclosing and posting need — never a My Number, never a person under 支援措置), the PDF of the
// mailed documents in the same order, and a README with counts and SHA-256 checksums.  The password is given
// by the staff member, handed to the contractor by another channel, and never stored.  Every package is a
// line of the hand-over ledger (受渡管理簿: who, when, what, how many, to whom, medium, use-by date, how it
// comes back, receipt, return or erasure) and an export entry in the operation log for each person.
import { createHash, randomInt } from 'node:crypto';
import iconv from 'iconv-lite';
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntries, appendEntry } from '../../kernel/audit/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import { csvLine } from '../../kernel/csv/index.js';
import { formatJst, isIsoDate } from '../../kernel/jp/index.js';
import { DOCUMENT_TYPE_LABELS, pagesPerPerson, renderDocumentsStream, type DocumentItem } from '../documents/index.js';
import { batchRow, recordHandoverEvents, type BatchView } from './ledger.js';
import { batchDocuments } from './print.js';
import { requireNotices, requireOwnStaff } from './settings.js';
import type { HandoverStatus } from './tables.js';
import { getTemplateVersion } from './templates.js';

// ------------------------------------------------------------------------------------------ the CSV

/** The columns, in order (docs/formats/print-contractor-csv.md). */
export const CONTRACTOR_COLUMNS = ['連番', '文書種別', '接種券番号', '整理番号', '郵便番号', '住所', '方書', '宛名', '敬称', '予防接種', '期・回', '予防接種コード', 'PDF開始ページ', 'ページ数'] as const;

export type CsvEncoding = 'utf8' | 'sjis';

export interface ContractorRow {
  readonly no: number;
  readonly docLabel: string;
  readonly voucherNo: string;
  readonly referenceNo: string;
  readonly postalCode: string;
  readonly address: string;
  readonly addressLine2: string;
  readonly name: string;
  readonly programName: string;
  readonly doseLabel: string;
  readonly programCode: string;
  readonly firstPage: number;
  readonly pages: number;
}

export function contractorCsvLine(r: ContractorRow): string {
  return csvLine([r.no, r.docLabel, r.voucherNo, r.referenceNo, r.postalCode, r.address, r.addressLine2, r.name, '様', r.programName, r.doseLabel, r.programCode, r.firstPage, r.pages]);
}

/** Encodes CSV text; in Shift_JIS (CP932) a character it cannot hold becomes 〓 and is counted. */
export function encodeCsv(text: string, encoding: CsvEncoding, count?: { replaced: number }): Uint8Array {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  let safe = text;
  if (iconv.decode(iconv.encode(text, 'cp932'), 'cp932') !== text) {
    safe = '';
    for (const ch of text) {
      if (iconv.decode(iconv.encode(ch, 'cp932'), 'cp932') === ch) safe += ch;
      else {
        safe += '〓';
        if (count) count.replaced++;
      }
    }
  }
  return iconv.encode(safe, 'cp932');
}

// ------------------------------------------------------------------------------------------ input

const PASSWORD_CLASSES = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/];

export const MEDIA = ['暗号化ファイルのダウンロード（LGWAN 経由で授受）', 'DVD-R（施錠ケースで運搬）', 'USBメモリ（許可された専用媒体・施錠ケースで運搬）'] as const;
export const RETURN_METHODS = ['媒体の返却とデータ消去証明書の提出', 'データ消去証明書の提出'] as const;

const handoverInput = z.object({
  recipient: z.string().trim().min(1, { message: '委託先（受け取る事業者）を入力してください' }).max(80),
  recipientPerson: z.string().trim().max(40).optional(),
  medium: z.enum(MEDIA, { message: '受け渡しの媒体を選んでください' }),
  passwordDelivery: z.string().trim().min(1, { message: 'パスワードの伝え方（別送の方法）を入力してください' }).max(80),
  useUntil: z.string().refine(isIsoDate, { message: '利用期限は YYYY-MM-DD の形式で入力してください' }),
  returnMethod: z.enum(RETURN_METHODS, { message: '返却・消去の方法を選んでください' }),
  password: z
    .string()
    .min(12, { message: 'パスワードは12文字以上にしてください' })
    .max(64, { message: 'パスワードは64文字以内にしてください' })
    .refine((p) => /^[\x21-\x7e]+$/.test(p), { message: 'パスワードは半角の英数字と記号で入力してください（空白・全角は使えません）' })
    .refine((p) => PASSWORD_CLASSES.filter((re) => re.test(p)).length >= 3, { message: 'パスワードには英大文字・英小文字・数字・記号のうち3種類以上を含めてください' }),
  encoding: z.enum(['utf8', 'sjis']).default('utf8'),
});

export type HandoverInput = z.input<typeof handoverInput>;

/** A strong password to suggest (16 characters, no look-alikes, every class). */
export function generatePackagePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '-_!#%+'];
  const all = sets.join('');
  for (;;) {
    let p = '';
    for (let i = 0; i < 16; i++) p += all[randomInt(all.length)];
    if (sets.every((s) => [...p].some((c) => s.includes(c)))) return p;
  }
}

// ------------------------------------------------------------------------------------------ the ledger

export interface HandoverView {
  readonly id: string;
  readonly batchId: string;
  readonly batchTitle: string;
  readonly status: HandoverStatus;
  readonly recipient: string;
  readonly recipientPerson: string | null;
  readonly medium: string;
  readonly passwordDelivery: string;
  readonly useUntil: string;
  readonly returnMethod: string;
  readonly fileName: string;
  readonly contents: Record<string, unknown>;
  readonly persons: number;
  readonly pages: number;
  readonly packageSha256: string | null;
  readonly packageBytes: number | null;
  readonly handedBy: string;
  readonly handedAt: Date;
  readonly receivedOn: string | null;
  readonly receivedBy: string | null;
  readonly receivedNote: string | null;
  readonly closedOn: string | null;
  readonly closedHow: 'returned' | 'erased' | null;
  readonly closedNote: string | null;
}

export const HANDOVER_STATUS_LABELS: Readonly<Record<HandoverStatus, string>> = {
  prepared: '作成中',
  failed: '作成中断（未交付）',
  delivered: '受け渡し済み（受領確認待ち）',
  received: '受領確認済み（返却・消去待ち）',
  closed: '返却・消去を確認済み',
};

async function handoverRows(w: Work, id?: string) {
  let q = w.tx
    .selectFrom('municipality.notice_handovers as h')
    .innerJoin('municipality.notice_batches as b', (j) => j.onRef('b.tenant_code', '=', 'h.tenant_code').onRef('b.id', '=', 'h.batch_id'))
    .select([
      'h.id', 'h.batch_id', 'b.title', 'h.status', 'h.recipient', 'h.recipient_person', 'h.medium', 'h.password_delivery', 'h.use_until', 'h.return_method', 'h.file_name', 'h.contents', 'h.persons', 'h.pages',
      'h.package_sha256', 'h.package_bytes', 'h.handed_by', 'h.handed_at', 'h.received_on', 'h.received_by', 'h.received_note', 'h.closed_on', 'h.closed_how', 'h.closed_note',
    ])
    .where('h.tenant_code', '=', w.tenant);
  if (id) q = q.where('h.id', '=', id);
  const rows = await q.orderBy('h.handed_at', 'desc').limit(500).execute();
  return rows.map(
    (r): HandoverView => ({
      id: r.id, batchId: r.batch_id, batchTitle: r.title, status: r.status, recipient: r.recipient, recipientPerson: r.recipient_person, medium: r.medium, passwordDelivery: r.password_delivery, useUntil: r.use_until,
      returnMethod: r.return_method, fileName: r.file_name, contents: r.contents, persons: r.persons, pages: r.pages, packageSha256: r.package_sha256, packageBytes: r.package_bytes === null ? null : Number(r.package_bytes),
      handedBy: r.handed_by, handedAt: r.handed_at, receivedOn: r.received_on, receivedBy: r.received_by, receivedNote: r.received_note, closedOn: r.closed_on, closedHow: r.closed_how, closedNote: r.closed_note,
    }),
  );
}

/** 受渡管理簿: every package, newest first. */
export async function listHandovers(w: Work): Promise<HandoverView[]> {
  requireNotices(w, 'personal.read');
  const rows = await handoverRows(w);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-handovers', detail: { rows: rows.length } });
  return rows;
}

export async function getHandover(w: Work, id: string): Promise<HandoverView> {
  requireNotices(w, 'personal.read');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('受け渡しの記録');
  const [r] = await handoverRows(w, id);
  if (!r) throw notFound('受け渡しの記録');
  await appendEntry(w.tx, w, { action: 'read', targetType: 'notice-handover', targetId: id });
  return r;
}

/** 受領確認: the contractor confirmed receipt (date, who signed for it). */
export async function confirmReceipt(w: Work, id: string, raw: { date: string; by: string; note?: string }): Promise<void> {
  requireNotices(w, 'personal.write');
  const v = parseInput(z.object({ date: z.string().refine(isIsoDate, { message: '受領日は YYYY-MM-DD の形式で入力してください' }), by: z.string().trim().min(1, { message: '受領者を入力してください' }).max(40), note: z.string().trim().max(200).optional() }), raw);
  const h = await getHandover(w, id);
  if (h.status !== 'delivered') throw conflict('HANDOVER_STATE', `この受け渡しは「${HANDOVER_STATUS_LABELS[h.status]}」のため受領確認できません。`);
  if (v.date > w.clock.today()) throw invalidField('date', 'DATE_FUTURE', '受領日が未来の日付です');
  await w.tx.updateTable('municipality.notice_handovers').set({ status: 'received', received_on: v.date, received_by: v.by, received_note: v.note ?? null }).where('tenant_code', '=', w.tenant).where('id', '=', id).execute();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'notice-handover', targetId: id, detail: { status: 'received' } });
}

/** Return or erasure confirmed (KRN-50): the medium came back, or the contractor's erasure certificate arrived. */
export async function closeHandover(w: Work, id: string, raw: { date: string; how: 'returned' | 'erased'; note: string }): Promise<void> {
  requireNotices(w, 'personal.write');
  const v = parseInput(
    z.object({
      date: z.string().refine(isIsoDate, { message: '確認日は YYYY-MM-DD の形式で入力してください' }),
      how: z.enum(['returned', 'erased'], { message: '返却か消去かを選んでください' }),
      note: z.string().trim().min(1, { message: '確認した内容（消去証明書の番号など）を入力してください' }).max(200),
    }),
    raw,
  );
  const h = await getHandover(w, id);
  if (h.status !== 'received' && h.status !== 'delivered') throw conflict('HANDOVER_STATE', `この受け渡しは「${HANDOVER_STATUS_LABELS[h.status]}」のため完了にできません。`);
  await w.tx.updateTable('municipality.notice_handovers').set({ status: 'closed', closed_on: v.date, closed_how: v.how, closed_note: v.note }).where('tenant_code', '=', w.tenant).where('id', '=', id).execute();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'notice-handover', targetId: id, detail: { status: 'closed', how: v.how } });
}

// ------------------------------------------------------------------------------------------ the package

export interface PackageSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

interface Prepared {
  readonly id: string;
  readonly batch: BatchView;
  readonly persons: number;
  readonly base: string;
}

async function prepare(w: Work, batchId: string, v: z.output<typeof handoverInput>): Promise<Prepared> {
  requireNotices(w, 'personal.export');
  requireOwnStaff(w);
  const batch = await batchRow(w, batchId);
  if (v.useUntil < w.clock.today()) throw invalidField('useUntil', 'DATE_PAST', '利用期限が過去の日付です');
  const items = await w.tx
    .selectFrom('municipality.notice_items')
    .select(['id', 'atena_no'])
    .where('tenant_code', '=', w.tenant)
    .where('batch_id', '=', batchId)
    .where('status', '=', 'active')
    .where('erased_at', 'is', null)
    .where('mail', '=', true)
    .orderBy('seq')
    .execute();
  if (items.length === 0) throw conflict('NOTHING_TO_HAND_OVER', 'この作成記録には郵送する有効な通知書がありません（窓口交付分は委託先に渡しません）。');
  const base = `mamori-${w.tenant}-${batch.docType}-${batch.issueDate.replace(/-/g, '')}-${batchId.slice(0, 8)}`;
  const pages = items.length * pagesPerPerson(batch.docType);
  const h = await w.tx
    .insertInto('municipality.notice_handovers')
    .values({
      tenant_code: w.tenant, batch_id: batchId, status: 'prepared', recipient: v.recipient, recipient_person: v.recipientPerson || null, medium: v.medium, password_delivery: v.passwordDelivery, use_until: v.useUntil,
      return_method: v.returnMethod, file_name: `${base}.zip`, contents: jsonb({ csv: `${base}.csv`, pdf: `${base}.pdf`, readme: 'README.txt', encoding: v.encoding, encryption: 'ZIP AES-256 (WinZip AE-2)' }),
      persons: items.length, pages, handed_by: w.actor.login, package_sha256: null, package_bytes: null, received_on: null, received_by: null, received_note: null, closed_on: null, closed_how: null, closed_note: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await appendEntries(w.tx, w, [
    { action: 'export', targetType: 'notice-handover', targetId: h.id, purpose: `${DOCUMENT_TYPE_LABELS[batch.docType]}の印刷・封入封緘の委託`, detail: { batchId, persons: items.length, pages, recipient: v.recipient, medium: v.medium } },
    ...items.map((i) => ({ action: 'export', targetType: 'notice-item', targetId: i.id, subjectRef: `resident:${i.atena_no}`, purpose: '印刷・封入封緘の委託', detail: { handoverId: h.id } })),
  ]);
  await recordHandoverEvents(w, items.map((i) => i.id), h.id, w.clock.today());
  return { id: h.id, batch, persons: items.length, base };
}

/** The CSV rows of a batch's mailed documents, read in chunks (each in its own transaction). */
async function* csvChunks(db: MamoriDb, who: Principal, batch: BatchView, encoding: CsvEncoding, counter: { rows: number; replaced: number; hash: ReturnType<typeof createHash> }): AsyncGenerator<Uint8Array> {
  const header = csvLine(CONTRACTOR_COLUMNS);
  const bom = encoding === 'utf8' ? '\uFEFF' : '';
  const first = encodeCsv(bom + header, encoding, counter);
  counter.hash.update(first);
  yield first;
  const per = pagesPerPerson(batch.docType);
  let after = 0;
  for (;;) {
    const rows = await runAs(db, who, (w) =>
      w.tx
        .selectFrom('municipality.notice_items')
        .select(['seq', 'document', 'voucher_no', 'reference_no', 'program', 'program_name', 'dose_label'])
        .where('tenant_code', '=', w.tenant)
        .where('batch_id', '=', batch.id)
        .where('status', '=', 'active')
        .where('erased_at', 'is', null)
        .where('mail', '=', true)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(1000)
        .execute(),
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.seq;
    let text = '';
    for (const r of rows) {
      const d: DocumentItem = r.document;
      const to = d.mailTo!;
      const no = ++counter.rows;
      text += contractorCsvLine({
        no, docLabel: DOCUMENT_TYPE_LABELS[batch.docType], voucherNo: r.voucher_no ?? '', referenceNo: r.reference_no, postalCode: to.postalCode, address: to.address, addressLine2: to.addressLine2 ?? '', name: to.name,
        programName: r.program_name, doseLabel: r.dose_label ?? '', programCode: r.program ?? '', firstPage: (no - 1) * per + 1, pages: per,
      });
    }
    const bytes = encodeCsv(text, encoding, counter);
    counter.hash.update(bytes);
    yield bytes;
  }
}

function streamOf(gen: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const n = await gen.next();
      if (n.done) controller.close();
      else controller.enqueue(n.value);
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
}

export interface PackageResult {
  readonly handover: HandoverView;
  readonly fileName: string;
}

/** The README inside the package: what is in it, how many, checksums, the layout reference.  No personal data. */
function readme(p: Prepared, v: z.output<typeof handoverInput>, csv: { rows: number; sha256: string; replaced: number }, pdf: { pages: number; sha256: string; bytes: number }, issuer: string, madeAt: Date): string {
  return [
    `予防接種 通知書類の印刷・封入封緘用データ（${issuer}）`,
    '',
    `作成日時: ${formatJst(madeAt)}`,
    `文書: ${DOCUMENT_TYPE_LABELS[p.batch.docType]}（発行日 ${p.batch.issueDate}、文面 第${p.batch.templateVersion}版）`,
    `受け渡し番号: ${p.id}`,
    '',
    `${p.base}.csv  封入・発送用の一覧（様式: Mamori docs/formats/print-contractor-csv.md、${v.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8（BOM付き）'}、${csv.rows}件、SHA-256 ${csv.sha256}）`,
    `${p.base}.pdf  印刷用 PDF（A4、${pdf.pages}ページ、一覧の順、SHA-256 ${pdf.sha256}）`,
    '',
    '一覧の1行が PDF の「PDF開始ページ」から「ページ数」分に対応します。並び順は郵便番号順です。',
    csv.replaced ? `Shift_JIS で表せない文字 ${csv.replaced} 字は 〓 に置き換えています（PDF には正しい字形で印刷されています）。` : '',
    '',
    `利用期限: ${v.useUntil}　返却・消去の方法: ${v.returnMethod}`,
    '契約に定める目的以外に利用せず、複製せず、利用期限までに返却または消去してください。',
    '',
  ].join('\r\n');
}

/**
 * Writes the encrypted package of a batch's mailed documents to `out` and records the hand-over.  Steps:
 * (1) one transaction: checks (personal.export in 予防接種, the municipality's own staff), the ledger line
 * (status 作成中), an export entry per person and for the package; (2) the ZIP is streamed — CSV and PDF read
 * 1,000 persons at a time — while its SHA-256 is computed; (3) the line gets the checksum and size and becomes
 * 受け渡し済み.  If writing fails the line is marked 作成中断 and nothing counts as handed over.
 */
export async function writeContractorPackage(db: MamoriDb, who: Principal, batchId: string, raw: HandoverInput, out: PackageSink): Promise<PackageResult> {
  const v = parseInput(handoverInput, raw);
  const p = await runAs(db, who, (w) => prepare(w, batchId, v));
  try {
    const zip = await import('@zip.js/zip.js');
    zip.configure({ useWebWorkers: false });
    const pkgHash = createHash('sha256');
    let bytes = 0;
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        pkgHash.update(chunk);
        bytes += chunk.length;
        await out.write(chunk);
      },
    });
    const writer = new zip.ZipWriter(sink, { password: v.password, encryptionStrength: 3, zip64: true });
    const issuer = p.batch.municipality.name;
    const csvCounter = { rows: 0, replaced: 0, hash: createHash('sha256') };
    await writer.add(`${p.base}.csv`, streamOf(csvChunks(db, who, p.batch, v.encoding, csvCounter)), { level: 6 });
    const template = await runAs(db, who, (w) => getTemplateVersion(w, p.batch.docType, p.batch.templateVersion));
    const pdfPipe = new TransformStream<Uint8Array, Uint8Array>();
    const pdfWriter = pdfPipe.writable.getWriter();
    const rendering = renderDocumentsStream(p.batch.docType, template, batchDocuments(db, who, batchId, 'mail'), { municipality: p.batch.municipality, issueDate: p.batch.issueDate, title: p.batch.title }, { write: (c) => pdfWriter.write(c) }).then(
      async (r) => {
        await pdfWriter.close();
        return r;
      },
      async (e: unknown) => {
        await pdfWriter.abort(e);
        throw e;
      },
    );
    // PDF pages are already compressed: stored, not deflated again (only encrypted).
    const [, pdf] = await Promise.all([writer.add(`${p.base}.pdf`, pdfPipe.readable, { level: 0 }), rendering]);
    if (csvCounter.rows !== p.persons || pdf.persons !== p.persons) throw conflict('BATCH_CHANGED', '作成中に通知書が再発行されました。もう一度作成してください。');
    const csv = { rows: csvCounter.rows, sha256: csvCounter.hash.digest('hex'), replaced: csvCounter.replaced };
    const text = readme(p, v, csv, pdf, issuer, db.config.clock.now());
    await writer.add('README.txt', new zip.Uint8ArrayReader(encodeCsv(v.encoding === 'utf8' ? `\uFEFF${text}` : text, v.encoding)));
    await writer.close();
    const sha = pkgHash.digest('hex');
    const handover = await runAs(db, who, async (w) => {
      await w.tx
        .updateTable('municipality.notice_handovers')
        .set({ status: 'delivered', package_sha256: sha, package_bytes: bytes, contents: jsonb({ csv: `${p.base}.csv`, csvRows: csv.rows, csvSha256: csv.sha256, csvReplaced: csv.replaced, pdf: `${p.base}.pdf`, pdfPages: pdf.pages, pdfSha256: pdf.sha256, readme: 'README.txt', encoding: v.encoding, encryption: 'ZIP AES-256 (WinZip AE-2)' }) })
        .where('tenant_code', '=', w.tenant)
        .where('id', '=', p.id)
        .execute();
      await appendEntry(w.tx, w, { action: 'export', targetType: 'notice-handover', targetId: p.id, detail: { status: 'delivered', bytes, sha256: sha } });
      return (await handoverRows(w, p.id))[0]!;
    });
    return { handover, fileName: `${p.base}.zip` };
  } catch (e) {
    await runAs(db, who, async (w) => {
      await w.tx.updateTable('municipality.notice_handovers').set({ status: 'failed' }).where('tenant_code', '=', w.tenant).where('id', '=', p.id).execute();
      await appendEntry(w.tx, w, { action: 'export', targetType: 'notice-handover', targetId: p.id, outcome: 'failure', detail: { status: 'failed' } });
    }).catch(() => undefined);
    throw e;
  }
}
