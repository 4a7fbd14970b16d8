// What every document layout shares: the compiled template, text regions that hold template wording
// (drawn once per run when their text is run-level, per page otherwise), and the small footer.
import { compile, fill, fillSample, isRunLevel, type Compiled } from './placeholders.js';
import type { Painter } from '../../kernel/pdf/index.js';
import type { DocumentItem, DocumentTemplate, DocumentType, RenderOptions } from './types.js';

export interface CompiledTemplate {
  readonly source: DocumentTemplate;
  readonly title: Compiled;
  readonly body: readonly Compiled[];
  readonly notes: readonly Compiled[];
  readonly questions: readonly Compiled[];
  readonly consent: Compiled | null;
  readonly contact: Compiled;
}

export function compileTemplate(t: DocumentTemplate): CompiledTemplate {
  return {
    source: t,
    title: compile(t.title),
    body: t.body.map(compile),
    notes: t.notes.map(compile),
    questions: (t.questions ?? []).map(compile),
    consent: t.consent === undefined ? null : compile(t.consent),
    contact: compile(t.contact),
  };
}

/** Where the run's values come from: options plus the item (absent while drawing the static form). */
export interface RunContext {
  readonly options: RenderOptions;
}

/** A box on the page that holds template wording. */
export interface Region {
  readonly x: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Sizes tried in order until the text fits. */
  readonly sizes: readonly number[];
  readonly lineHeight?: number;
  readonly gap?: number;
  readonly bold?: boolean;
  /** Printed before every paragraph (e.g. "・" for a list). */
  readonly bullet?: string;
}

export type TemplatePart = 'title' | 'body' | 'notes' | 'questions' | 'consent' | 'contact';

export const PART_LABELS: Readonly<Record<TemplatePart, string>> = {
  title: '表題',
  body: '本文',
  notes: '注意事項',
  questions: '予診項目',
  consent: '同意欄の文言',
  contact: '問合せ先',
};

/** The region's text did not fit even at its smallest size. */
export class Overflow extends Error {
  constructor(readonly part: TemplatePart) {
    super(`${PART_LABELS[part]}が枠に収まりません`);
  }
}

/**
 * Draws template wording into a region.  `item` undefined = the static pass: draws only run-level text.
 * With an item: draws only text that depends on the person.  Returns false when it drew nothing.
 */
export function drawRegion(p: Painter, part: TemplatePart, region: Region, texts: readonly Compiled[], item: DocumentItem | undefined, o: RenderOptions): boolean {
  const runLevel = texts.every(isRunLevel);
  if (texts.length === 0 || runLevel !== (item === undefined)) return false;
  const values = texts.map((c) => (region.bullet ?? '') + fill(c, item, o));
  const fit = p.fitParagraphs(values, region.width, region.height, region.sizes, region.lineHeight, region.gap, region.bold);
  if (!fit) throw new Overflow(part);
  p.drawLines(region.x, region.top, fit.lines, fit.size, region.lineHeight, region.gap, region.bold);
  return true;
}

/** Does the region hold its wording with every placeholder at its long sample value? */
export function regionFits(p: Painter, region: Region, texts: readonly Compiled[]): boolean {
  if (texts.length === 0) return true;
  const values = texts.map((c) => (region.bullet ?? '') + fillSample(c));
  return p.fitParagraphs(values, region.width, region.height, region.sizes, region.lineHeight, region.gap, region.bold) !== null;
}

/** A one-line title: fits by shrinking down to `minSize`. */
export interface TitleSpec {
  readonly top: number;
  readonly size: number;
  readonly minSize: number;
  readonly width: number;
}

export function drawTitle(p: Painter, spec: TitleSpec, title: Compiled, item: DocumentItem | undefined, o: RenderOptions): void {
  if (isRunLevel(title) !== (item === undefined)) return;
  const s = fill(title, item, o);
  const st = { size: spec.size, bold: true };
  if (p.width(p.clean(s, true), { size: spec.minSize, bold: true }) > spec.width) throw new Overflow('title');
  p.fitText(105 - spec.width / 2, spec.top, spec.width, s, st, spec.minSize, 'center');
}

export function titleFits(p: Painter, spec: TitleSpec, title: Compiled): boolean {
  return p.width(p.clean(fillSample(title), true), { size: spec.minSize, bold: true }) <= spec.width;
}

/** The layout of one document type. */
export interface DocumentLayout {
  readonly docType: DocumentType;
  readonly pagesPerPerson: number;
  readonly title: TitleSpec;
  readonly regions: Partial<Readonly<Record<Exclude<TemplatePart, 'title'>, Region>>>;
  /** Run-level content, drawn once per run into a form XObject. */
  drawStatic(p: Painter, t: CompiledTemplate, o: RenderOptions): void;
  /** One person's page(s): `painters.length === pagesPerPerson`. */
  drawPerson(painters: readonly Painter[], t: CompiledTemplate, item: DocumentItem, o: RenderOptions): void;
}

/** Footer: the wording's version, so a printed sheet can be traced to the text that produced it. */
export function drawFooter(p: Painter, t: CompiledTemplate, label: string): void {
  p.text(18, 291.5, `${label}　文面 第${t.source.version}版`, { size: 6.5 });
}

/** Table rows: label cells with a light rule grid.  Returns the rows' tops. */
export function drawGrid(p: Painter, x: number, top: number, widths: readonly number[], heights: readonly number[]): number[] {
  const total = widths.reduce((a, b) => a + b, 0);
  const tops: number[] = [];
  let y = top;
  for (const h of heights) {
    tops.push(y);
    y += h;
  }
  p.box(x, top, total, y - top);
  for (const t of tops.slice(1)) p.hline(x, x + total, t);
  return tops;
}
