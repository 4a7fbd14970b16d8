// A print run streamed: the PDF is written object by object as the persons come, so a 100,000-person run
// never holds its pages in memory (decision 0066).  Same objects as `PdfBuilder` (one font subset per weight,
// the run's fixed content as one shared form XObject, per page only the person's values), but each page's
// content stream and page dictionary go to the sink at once; what stays in memory is the font subsets (the
// glyphs used so far), one 10-byte offset per object and the page list.  The fonts, the form, the resources,
// the page tree, the catalogue and the cross-reference table are written at the end.
// Deterministic like `renderDocuments`: the same inputs give the same bytes.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { PDFContext, PDFDict, PDFDocument, PDFObject, PDFRef } from 'pdf-lib';
import { validationFailed, type FieldError } from '../../kernel/problems/index.js';
import { Overflow, PART_LABELS } from './common.js';
import { flateStream, SubsetFont, fontFace } from '../../kernel/pdf/index.js';
import { Painter } from '../../kernel/pdf/index.js';
import { pdfLib } from '../../kernel/pdf/index.js';
import { newPdfDocument, Ops, PAGE_H, PAGE_W, type FontKey, type PdfMeta } from '../../kernel/pdf/index.js';
import { MissingValue } from './placeholders.js';
import { checkItems, checkOptions, compiled, runStart } from './render.js';
import { LAYOUTS } from './templates.js';
import { DOCUMENT_TYPE_LABELS, type DocumentItem, type DocumentTemplate, type DocumentType, type RenderOptions } from './types.js';

/** Where the bytes go: a file, an HTTP response, a ZIP entry.  `write` may wait (backpressure). */
export interface PdfSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

export interface StreamedRun {
  readonly persons: number;
  readonly pages: number;
  readonly bytes: number;
  /** SHA-256 of the PDF, hex. */
  readonly sha256: string;
}

const FLUSH_AT = 256 * 1024;
const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** The PDF writer: objects are numbered by pdf-lib's context, page objects are written immediately. */
class StreamingPdf {
  readonly fonts: Readonly<Record<FontKey, SubsetFont>>;
  private readonly context: PDFContext;
  private readonly fontRefs: Readonly<Record<FontKey, PDFRef>>;
  private readonly resources: PDFRef;
  private readonly formResources: PDFRef;
  private readonly xobjects: PDFDict;
  private readonly pagesRef: PDFRef;
  /** Byte offset of each object, by object number (0 = not written). */
  private offsets: Float64Array = new Float64Array(4096);
  private kids: Int32Array = new Int32Array(4096);
  private pageCount = 0;
  private forms = 0;
  private pos = 0;
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private readonly hash = createHash('sha256');

  private constructor(
    readonly doc: PDFDocument,
    private readonly sink: PdfSink,
  ) {
    this.context = doc.context;
    this.fonts = { F1: new SubsetFont(fontFace('regular')), F2: new SubsetFont(fontFace('bold')) };
    this.fontRefs = { F1: this.context.nextRef(), F2: this.context.nextRef() };
    const fontDict = this.context.obj({ F1: this.fontRefs.F1, F2: this.fontRefs.F2 });
    this.xobjects = this.context.obj({});
    this.resources = this.context.register(this.context.obj({ Font: fontDict, XObject: this.xobjects, ProcSet: ['PDF', 'Text'] }));
    this.formResources = this.context.register(this.context.obj({ Font: fontDict, ProcSet: ['PDF', 'Text'] }));
    this.pagesRef = doc.catalog.get(pdfLib().PDFName.of('Pages')) as PDFRef;
  }

  static async open(meta: PdfMeta, sink: PdfSink): Promise<StreamingPdf> {
    const w = new StreamingPdf(await newPdfDocument(meta), sink);
    // Header, with a comment of high bytes so that transfer tools treat the file as binary.
    await w.emit(Buffer.concat([latin1('%PDF-1.7\n%'), Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]), latin1('\n')]));
    return w;
  }

  ops(): Ops {
    return new Ops(this.fonts);
  }

  /** Registers `ops` as a form XObject (kept until the end: a run has one). */
  form(ops: Ops): string {
    const name = `T${this.forms++}`;
    const { PDFName } = pdfLib();
    const stream = flateStream(this.context, ops.toString(), {});
    stream.dict.set(PDFName.of('Type'), PDFName.of('XObject'));
    stream.dict.set(PDFName.of('Subtype'), PDFName.of('Form'));
    stream.dict.set(PDFName.of('BBox'), this.context.obj([0, 0, PAGE_W, PAGE_H]));
    stream.dict.set(PDFName.of('Resources'), this.formResources);
    this.xobjects.set(PDFName.of(name), this.context.register(stream));
    return name;
  }

  /** Writes one A4 page painted by `ops`: its content stream and its page dictionary. */
  async page(ops: Ops): Promise<void> {
    const content = deflateSync(Buffer.from(ops.toString(), 'latin1'));
    // Object numbers taken straight from the context's counter: pdf-lib's `nextRef()` would intern a PDFRef
    // per object in its process-wide pool, which never shrinks.
    const c = ++this.context.largestObjectNumber;
    const p = ++this.context.largestObjectNumber;
    await this.object(c, Buffer.concat([latin1(`<<\n/Filter /FlateDecode\n/Length ${content.length}\n>>\nstream\n`), content, latin1('\nendstream')]));
    await this.object(p, latin1(`<<\n/Type /Page\n/Parent ${this.pagesRef.objectNumber} 0 R\n/MediaBox [ 0 0 ${PAGE_W} ${PAGE_H} ]\n/Resources ${this.resources.objectNumber} 0 R\n/Contents ${c} 0 R\n>>`));
    if (this.pageCount === this.kids.length) {
      const k = new Int32Array(this.kids.length * 2);
      k.set(this.kids);
      this.kids = k;
    }
    this.kids[this.pageCount++] = p;
  }

  get pages(): number {
    return this.pageCount;
  }

  /** Fonts, form, resources, page tree, catalogue, info, cross-reference table and trailer. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.fonts.F1.embed(this.context, this.fontRefs.F1);
    await this.fonts.F2.embed(this.context, this.fontRefs.F2);
    // The page tree root, written by hand: one flat /Kids list, in pieces.
    const pages = this.pagesRef.objectNumber;
    this.mark(pages);
    await this.emit(latin1(`${pages} 0 obj\n<<\n/Type /Pages\n/Count ${this.pageCount}\n/Kids [`));
    for (let i = 0; i < this.pageCount; i += 4096) {
      let s = '';
      for (let j = i; j < Math.min(this.pageCount, i + 4096); j++) s += ` ${this.kids[j]} 0 R`;
      await this.emit(latin1(s));
    }
    await this.emit(latin1(' ]\n>>\nendobj\n'));
    for (const [ref, obj] of this.context.enumerateIndirectObjects()) {
      if (ref.objectNumber === pages) continue;
      await this.object(ref.objectNumber, bytesOf(obj));
    }
    const size = this.context.largestObjectNumber + 1;
    const xref = this.pos;
    await this.emit(latin1(`xref\n0 ${size}\n0000000000 65535 f \n`));
    for (let i = 1; i < size; i += 4096) {
      let s = '';
      for (let n = i; n < Math.min(size, i + 4096); n++) {
        const off = n < this.offsets.length ? this.offsets[n]! : 0;
        s += off > 0 ? `${String(off).padStart(10, '0')} 00000 n \n` : '0000000000 00000 f \n';
      }
      await this.emit(latin1(s));
    }
    const t = this.context.trailerInfo;
    const info = t.Info ? ` /Info ${(t.Info as PDFRef).objectNumber} 0 R` : '';
    await this.emit(latin1(`trailer\n<< /Size ${size} /Root ${(t.Root as PDFRef).objectNumber} 0 R${info} >>\nstartxref\n${xref}\n%%EOF\n`));
    await this.flush();
    return { bytes: this.pos, sha256: this.hash.digest('hex') };
  }

  private mark(n: number): void {
    if (n >= this.offsets.length) {
      const o = new Float64Array(Math.max(n + 1, this.offsets.length * 2));
      o.set(this.offsets);
      this.offsets = o;
    }
    this.offsets[n] = this.pos;
  }

  private async object(n: number, body: Uint8Array): Promise<void> {
    this.mark(n);
    await this.emit(latin1(`${n} 0 obj\n`));
    await this.emit(body);
    await this.emit(latin1('\nendobj\n'));
  }

  private async emit(b: Uint8Array): Promise<void> {
    this.buffered.push(b);
    this.bufferedBytes += b.length;
    this.pos += b.length;
    if (this.bufferedBytes >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const chunk = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    this.hash.update(chunk);
    await this.sink.write(chunk);
  }
}

function bytesOf(obj: PDFObject): Uint8Array {
  const buf = new Uint8Array(obj.sizeInBytes());
  obj.copyBytesInto(buf, 0);
  return buf;
}

/**
 * One PDF for a print run whose items arrive in chunks (e.g. read from the ledger 1,000 at a time): each
 * chunk is checked like `renderDocuments` checks a run (errors name `items.<index in the run>`), drawn, and
 * its pages written to `sink` before the next chunk is asked for.  Memory stays flat whatever the run's size.
 * A bad item stops the run with a 400 Problem; what was written before is then an incomplete file, which the
 * caller discards (the ledger validates items when it stores them, so this does not happen to a stored batch).
 */
export async function renderDocumentsStream(
  docType: DocumentType,
  template: DocumentTemplate,
  chunks: AsyncIterable<readonly DocumentItem[]>,
  options: RenderOptions,
  sink: PdfSink,
): Promise<StreamedRun> {
  checkOptions(options);
  const t = compiled(docType, template);
  const layout = LAYOUTS[docType];
  const pdf = await StreamingPdf.open(
    { title: options.title ?? DOCUMENT_TYPE_LABELS[docType], subject: `${DOCUMENT_TYPE_LABELS[docType]}（${options.municipality.name}、文面 第${t.source.version}版）`, date: options.issueDate },
    sink,
  );
  let current = -1;
  const staticOps = pdf.ops();
  const onMissing = runStart(layout, t, options, staticOps, () => current);
  const form = pdf.form(staticOps);
  let persons = 0;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const list = checkItems(docType, chunk, options, persons);
    const errors: FieldError[] = [];
    for (let i = 0; i < list.length; i++) {
      current = persons + i;
      const painters = Array.from({ length: layout.pagesPerPerson }, () => {
        const ops = pdf.ops();
        ops.paintForm(form);
        return new Painter(ops, onMissing);
      });
      try {
        layout.drawPerson(painters, t, list[i]!, options);
      } catch (e) {
        if (e instanceof MissingValue) errors.push({ field: `items.${current}.${e.def.field ?? e.def.name}`, code: 'VALUE_MISSING', message: `文面の差し込み項目 {{${e.def.name}}} の値がありません` });
        else if (e instanceof Overflow) errors.push({ field: `items.${current}`, code: 'TEXT_OVERFLOW', message: `差し込んだ値が長く、${PART_LABELS[e.part]}が枠に収まりません` });
        else throw e;
        continue;
      }
      if (errors.length === 0) for (const p of painters) await pdf.page(p.ops);
    }
    if (errors.length > 0) throw validationFailed(errors);
    persons += list.length;
  }
  if (persons === 0) throw validationFailed([{ field: 'items', code: 'REQUIRED', message: '印刷する対象者がいません' }]);
  const done = await pdf.finish();
  return { persons, pages: pdf.pages, ...done };
}
