// A small PDF writer on pdf-lib's object model, made for print runs of thousands of identical forms:
// - one Japanese font subset per weight per document (fonts parsed once per process);
// - the run's fixed content (labels, rules, questions, run-level wording) drawn once into a form XObject
//   that every page paints with one `Do`;
// - per page only the person's values, as a hand-written content stream compressed with Node's zlib;
// - every page shares one resource dictionary.
// Output is deterministic: the same inputs give the same bytes (no random font tag, no clock).
import type { PDFContext, PDFDict, PDFDocument, PDFRef } from 'pdf-lib';
import { flateStream, fontFace, SubsetFont } from './font.js';
import { pdfLib } from './lazy.js';

/** A4 portrait in points. */
export const PAGE_W = 595.28;
export const PAGE_H = 841.89;
export const MM = 72 / 25.4;

/** Number in a content stream: at most two decimals, no trailing zeros. */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export type FontKey = 'F1' | 'F2';

/** Content-stream operators for one page or form. */
export class Ops {
  private readonly parts: string[] = [];

  constructor(readonly fonts: Readonly<Record<FontKey, SubsetFont>>) {}

  /** Text with its baseline starting at (x, y); `s` must be printable in the font. */
  text(font: FontKey, size: number, x: number, y: number, s: string): void {
    if (s === '') return;
    this.parts.push(`BT /${font} ${num(size)} Tf ${num(x)} ${num(y)} Td <${this.fonts[font].hex(s)}> Tj ET`);
  }

  lineWidth(w: number): void {
    this.parts.push(`${num(w)} w`);
  }

  /** Dash pattern for following strokes; `[]` for solid. */
  dash(pattern: readonly number[]): void {
    this.parts.push(`[${pattern.map(num).join(' ')}] 0 d`);
  }

  /** Stroke and fill gray level (0 black … 1 white). */
  gray(stroke: number, fill = stroke): void {
    this.parts.push(`${num(stroke)} G ${num(fill)} g`);
  }

  line(x1: number, y1: number, x2: number, y2: number): void {
    this.parts.push(`${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S`);
  }

  rect(x: number, y: number, w: number, h: number, mode: 'stroke' | 'fill' = 'stroke'): void {
    this.parts.push(`${num(x)} ${num(y)} ${num(w)} ${num(h)} re ${mode === 'fill' ? 'f' : 'S'}`);
  }

  /** Rectangles filled together (a barcode's bars). */
  fillRects(rects: readonly (readonly [number, number, number, number])[]): void {
    if (rects.length === 0) return;
    let s = '';
    for (const [x, y, w, h] of rects) s += `${num(x)} ${num(y)} ${num(w)} ${num(h)} re `;
    this.parts.push(`${s}f`);
  }

  paintForm(name: string): void {
    this.parts.push(`/${name} Do`);
  }

  save(): void {
    this.parts.push('q');
  }

  restore(): void {
    this.parts.push('Q');
  }

  toString(): string {
    return this.parts.join('\n');
  }
}

export interface PdfMeta {
  readonly title: string;
  readonly subject: string;
  /** 'YYYY-MM-DD', written as the creation date (midnight JST). */
  readonly date: string;
}

/** A new pdf-lib document with Mamori's metadata (title, subject, dates at midnight JST, ja-JP); the in-memory and the streamed writer share it. */
export async function newPdfDocument(meta: PdfMeta): Promise<PDFDocument> {
  const doc = await pdfLib().PDFDocument.create({ updateMetadata: false });
  const when = new Date(`${meta.date}T00:00:00+09:00`);
  doc.setTitle(meta.title);
  doc.setSubject(meta.subject);
  doc.setCreator('Mamori');
  doc.setProducer('Mamori (pdf-lib)');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  doc.setLanguage('ja-JP');
  return doc;
}

export class PdfBuilder {
  readonly fonts: Readonly<Record<FontKey, SubsetFont>>;
  private readonly fontRefs: Readonly<Record<FontKey, PDFRef>>;
  private readonly context: PDFContext;
  private readonly resources: PDFRef;
  private readonly formResources: PDFRef;
  private readonly xobjects: PDFDict;
  private readonly pagesRef: PDFRef;
  private pages = 0;
  private forms = 0;
  /** When set, every form's and page's content stream is kept here too (the bench's floor replays them). */
  capture: { forms: string[]; pages: string[] } | null = null;

  private constructor(readonly doc: PDFDocument) {
    this.context = doc.context;
    this.fonts = { F1: new SubsetFont(fontFace('regular')), F2: new SubsetFont(fontFace('bold')) };
    this.fontRefs = { F1: this.context.nextRef(), F2: this.context.nextRef() };
    const fontDict = this.context.obj({ F1: this.fontRefs.F1, F2: this.fontRefs.F2 });
    this.xobjects = this.context.obj({});
    this.resources = this.context.register(this.context.obj({ Font: fontDict, XObject: this.xobjects, ProcSet: ['PDF', 'Text'] }));
    this.formResources = this.context.register(this.context.obj({ Font: fontDict, ProcSet: ['PDF', 'Text'] }));
    this.pagesRef = doc.catalog.get(pdfLib().PDFName.of('Pages')) as PDFRef;
  }

  static async create(meta: PdfMeta): Promise<PdfBuilder> {
    return new PdfBuilder(await newPdfDocument(meta));
  }

  ops(): Ops {
    return new Ops(this.fonts);
  }

  /** Registers `ops` as an A4 form XObject; returns its resource name for `Ops.paintForm`. */
  form(ops: Ops | string): string {
    const name = `T${this.forms++}`;
    const content = ops.toString();
    this.capture?.forms.push(content);
    const { PDFName } = pdfLib();
    const stream = flateStream(this.context, content, {});
    stream.dict.set(PDFName.of('Type'), PDFName.of('XObject'));
    stream.dict.set(PDFName.of('Subtype'), PDFName.of('Form'));
    stream.dict.set(PDFName.of('BBox'), this.context.obj([0, 0, PAGE_W, PAGE_H]));
    stream.dict.set(PDFName.of('Resources'), this.formResources);
    this.xobjects.set(PDFName.of(name), this.context.register(stream));
    return name;
  }

  /** Appends an A4 page painted by `ops`. */
  page(ops: Ops | string): void {
    const content = ops.toString();
    this.capture?.pages.push(content);
    const contents = this.context.register(flateStream(this.context, content));
    const leaf = this.context.register(
      this.context.obj({ Type: 'Page', Parent: this.pagesRef, MediaBox: [0, 0, PAGE_W, PAGE_H], Resources: this.resources, Contents: contents }),
    );
    this.doc.catalog.Pages().pushLeafNode(leaf);
    this.pages++;
  }

  get pageCount(): number {
    return this.pages;
  }

  async save(): Promise<Uint8Array> {
    await this.fonts.F1.embed(this.context, this.fontRefs.F1);
    await this.fonts.F2.embed(this.context, this.fontRefs.F2);
    return this.doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
  }
}
