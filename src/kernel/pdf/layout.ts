// Form layout helpers in millimetres measured from the top-left corner of an A4 sheet (the way forms
// are designed on paper), line breaking for Japanese with 禁則処理, and text fitting.
import { fontFace, printable, type FontFace, type SubsetFont } from './font.js';
import { MM, Ops, PAGE_H, type FontKey } from './pdf.js';

/** Characters that may not start a line (行頭禁則): they hang at the end of the previous line. */
const NO_START = new Set([...'、。，．,.・：；？！゛゜ー―‐…‥）〕］｝〉》」』】〙〗’”ゝゞヽヾ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ)]}%％']);
/** Of those, the ones whose ink sits at the left of the em box, which may hang past the margin (ぶら下げ). */
const HANGING = new Set([...'、。，．,.']);
/** Characters that may not end a line (行末禁則). */
const NO_END = new Set([...'（〔［｛〈《「『【〘〖‘“([{〒#＃']);

/** Units for breaking: a run of ASCII letters/digits (with . - / : @ inside) stays together. */
function units(text: string): string[] {
  const out: string[] = [];
  const re = /[A-Za-z0-9][A-Za-z0-9.\-/:@_]*|[\s\S]/gu;
  for (const m of text.matchAll(re)) out.push(m[0]);
  return out;
}

/**
 * Breaks `text` into lines no wider than `width` points at `size`; "\n" forces a break.  A character that
 * may not start a line and falls past the margin takes the character before it down (追い出し); by default
 * 句読点 (、。) hang past the margin instead (ぶら下げ, for running text — their ink stays near the margin);
 * with `hang: false` (table cells, whose edge is a ruled line) nothing hangs and no line is wider than
 * `width`.
 */
export function wrap(face: FontFace, text: string, size: number, width: number, opts: { readonly hang?: boolean } = {}): string[] {
  const hang = opts.hang ?? true;
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    let w = 0;
    // A unit wider than the whole line (a long lot number, a URL) is broken between its characters rather
    // than run past the margin.
    const us = units(para).flatMap((u) => (u.length > 1 && face.width(u, size) > width + 0.01 ? [...u] : [u]));
    for (const u of us) {
      const uw = face.width(u, size);
      if (line !== '' && w + uw > width + 0.01) {
        if (hang && HANGING.has(u)) {
          // ぶら下げ: the punctuation stays on this line, past the margin.
          line += u;
          w += uw;
          continue;
        }
        let carry = '';
        if (NO_START.has(u)) {
          // 追い出し: the characters before it (up to one that may start a line) move down with it.
          const chars = [...line];
          let k = chars.length - 1;
          while (k > 0 && NO_START.has(chars[k]!)) k--;
          if (k > 0) {
            carry = chars.slice(k).join('');
            line = chars.slice(0, k).join('');
          }
        }
        // 行末禁則: an opening bracket moves down with what follows it.
        while (line.length > 1 && NO_END.has(line[line.length - 1]!)) {
          carry = line[line.length - 1]! + carry;
          line = line.slice(0, -1);
        }
        lines.push(line.replace(/\s+$/u, ''));
        line = carry + (u === ' ' || u === '　' ? '' : u);
        w = face.width(line, size);
        continue;
      }
      line += u;
      w += uw;
    }
    lines.push(line);
  }
  return lines;
}

export interface TextStyle {
  readonly size: number;
  readonly bold?: boolean;
}

/** Draws into one Ops with top-left millimetre coordinates. */
export class Painter {
  readonly regular: FontFace = fontFace('regular');
  readonly boldFace: FontFace = fontFace('bold');

  constructor(
    readonly ops: Ops,
    /** Reports a character the font lacks (printed as 〓). */
    readonly onMissing?: (cp: number) => void,
  ) {}

  /** A painter that only measures (no fonts to draw with): for fit checks. */
  static measuring(): Painter {
    return new Painter(new Ops({} as Record<FontKey, SubsetFont>));
  }

  face(bold?: boolean): FontFace {
    return bold ? this.boldFace : this.regular;
  }

  private key(bold?: boolean): FontKey {
    return bold ? 'F2' : 'F1';
  }

  /** Cleans text for the font (〓 for what it cannot draw). */
  clean(s: string, bold?: boolean, keepNewlines = false): string {
    return printable(this.face(bold), s, this.onMissing, keepNewlines);
  }

  /** Width in mm. */
  width(s: string, st: TextStyle): number {
    return this.face(st.bold).width(s, st.size) / MM;
  }

  /** One line of text whose top is `top` mm from the page top. */
  text(x: number, top: number, s: string, st: TextStyle): void {
    const face = this.face(st.bold);
    const baseline = PAGE_H - top * MM - (face.ascent * st.size) / 1000;
    this.ops.text(this.key(st.bold), st.size, x * MM, baseline, this.clean(s, st.bold));
  }

  /** Text ending at `right` mm. */
  textRight(right: number, top: number, s: string, st: TextStyle): void {
    const c = this.clean(s, st.bold);
    this.text(right - this.width(c, st), top, c, st);
  }

  /** Text centred on `cx` mm. */
  textCenter(cx: number, top: number, s: string, st: TextStyle): void {
    const c = this.clean(s, st.bold);
    this.text(cx - this.width(c, st) / 2, top, c, st);
  }

  /**
   * One line of text in a box `width` mm wide: shrinks the size (down to `minSize`) until it fits, then
   * clips nothing — a longer value was already refused by the item schema's length limits.
   */
  fitText(x: number, top: number, width: number, s: string, st: TextStyle, minSize = st.size * 0.6, align: 'left' | 'center' | 'right' = 'left'): void {
    const c = this.clean(s, st.bold);
    let size = st.size;
    const w = this.width(c, st);
    if (w > width) size = Math.max(minSize, (st.size * width) / w);
    const style = { ...st, size };
    // Keep the vertical centre where the nominal size would have put it.
    const dy = ((st.size - size) * 0.5) / MM;
    if (align === 'center') this.text(x + (width - this.width(c, style)) / 2, top + dy, c, style);
    else if (align === 'right') this.text(x + width - this.width(c, style), top + dy, c, style);
    else this.text(x, top + dy, c, style);
  }

  /**
   * A value in a table row `height` mm tall: one line at `st.size` when it fits; else two wrapped lines at
   * the first of `twoLineSizes` at which they fit the width and the row; else one line shrunk (down to
   * `minSize`).  Centred vertically in the row.
   */
  fitRow(x: number, top: number, width: number, height: number, s: string, st: TextStyle, twoLineSizes: readonly number[], minSize: number): void {
    const c = this.clean(s, st.bold);
    if (this.width(c, st) <= width) return this.text(x, top + (height - st.size / MM) / 2, c, st);
    for (const size of twoLineSizes) {
      const lines = wrap(this.face(st.bold), c, size, width * MM, { hang: false });
      const step = (size * 1.15) / MM;
      if (lines.length <= 2 && lines.length * step <= height - 1) {
        const y0 = top + (height - lines.length * step) / 2 + (step - size / MM) / 2;
        lines.forEach((l, i) => this.text(x, y0 + i * step, l, { ...st, size }));
        return;
      }
    }
    this.fitText(x, top + (height - st.size / MM) / 2, width, c, st, minSize);
  }

  /** Wrapped lines for a box, at the first size from `sizes` that fits `maxLines`; null when none does. */
  fitParagraphs(paragraphs: readonly string[], width: number, height: number, sizes: readonly number[], lineHeight = 1.6, gap = 0.4, bold?: boolean): { size: number; lines: (string | null)[] } | null {
    const face = this.face(bold);
    for (const size of sizes) {
      const lines: (string | null)[] = [];
      paragraphs.forEach((p, i) => {
        if (i > 0) lines.push(null);
        lines.push(...wrap(face, this.clean(p, bold, true), size, width * MM));
      });
      if (blockHeight(lines, size, lineHeight, gap) <= height + 0.01) return { size, lines };
    }
    return null;
  }

  /** Draws lines produced by `fitParagraphs`; returns the height used in mm. */
  drawLines(x: number, top: number, lines: readonly (string | null)[], size: number, lineHeight = 1.6, gap = 0.4, bold?: boolean): number {
    let y = top;
    const step = (size * lineHeight) / MM;
    for (const l of lines) {
      if (l === null) {
        y += step * gap;
        continue;
      }
      this.ops.text(this.key(bold), size, x * MM, PAGE_H - y * MM - (this.face(bold).ascent * size) / 1000 - ((lineHeight - 1) * size) / 2, l);
      y += step;
    }
    return y - top;
  }

  hline(x1: number, x2: number, top: number): void {
    this.ops.line(x1 * MM, PAGE_H - top * MM, x2 * MM, PAGE_H - top * MM);
  }

  vline(x: number, top1: number, top2: number): void {
    this.ops.line(x * MM, PAGE_H - top1 * MM, x * MM, PAGE_H - top2 * MM);
  }

  box(x: number, top: number, w: number, h: number): void {
    this.ops.rect(x * MM, PAGE_H - (top + h) * MM, w * MM, h * MM);
  }

  lineWidth(mm: number): void {
    this.ops.lineWidth(mm * MM);
  }
}

/** Height in mm of wrapped lines (null = paragraph gap). */
export function blockHeight(lines: readonly (string | null)[], size: number, lineHeight = 1.6, gap = 0.4): number {
  const step = (size * lineHeight) / MM;
  let h = 0;
  for (const l of lines) h += l === null ? step * gap : step;
  return h;
}
