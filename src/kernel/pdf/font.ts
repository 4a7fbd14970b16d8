// The documents' Japanese font (BIZ UDPGothic, decision 0055) and its embedding.
//
// pdf-lib's own custom-font embedder shapes every string with fontkit's OpenType layout engine, which
// costs ~150 µs per call — most of a page's budget.  Forms in Japanese need no shaping (no ligatures, no
// kerning, horizontal writing only), so this embedder maps code points to glyphs through the font's cmap
// once per code point and per process, keeps a per-document subset, and writes the same PDF objects
// pdf-lib writes (Type0 / CIDFontType2, Identity-H, FontFile2 subset, /W widths, ToUnicode CMap).  The
// ToUnicode map lists the code point actually drawn, so the text layer extracts exactly what was printed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { Font, Subset } from '@pdf-lib/fontkit';
import type { PDFContext, PDFRawStream, PDFRef } from 'pdf-lib';
import { fontkit, pdfLib, resolvePackageFile } from './lazy.js';

export type FontWeight = 'regular' | 'bold';

const FILES: Record<FontWeight, string> = {
  regular: '@expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf',
  bold: '@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf',
};

/** 〓 (ゲタ): what Japanese administrative printing puts where a character cannot be printed. */
export const GETA = '〓';

/** A parsed font face, shared by every document of the process (parsing is done once). */
export class FontFace {
  readonly scale: number;
  readonly postscriptName: string;
  private readonly gids = new Map<number, number>();
  private readonly widths = new Map<number, number>();

  constructor(
    readonly font: Font,
    readonly weight: FontWeight,
  ) {
    this.scale = 1000 / font.unitsPerEm;
    this.postscriptName = (font.postscriptName ?? `BIZUDPGothic-${weight}`).replace(/[^A-Za-z0-9-]/g, '');
  }

  /** Glyph id of a code point in the full font (0 when the font has none). */
  glyphId(cp: number): number {
    let g = this.gids.get(cp);
    if (g === undefined) {
      g = this.font.hasGlyphForCodePoint(cp) ? this.font.glyphForCodePoint(cp).id : 0;
      this.gids.set(cp, g);
    }
    return g;
  }

  has(cp: number): boolean {
    return this.glyphId(cp) !== 0;
  }

  /** Advance width of a code point in 1/1000 em. */
  advance(cp: number): number {
    let w = this.widths.get(cp);
    if (w === undefined) {
      w = Math.round(this.font.getGlyph(this.glyphId(cp)).advanceWidth * this.scale);
      this.widths.set(cp, w);
    }
    return w;
  }

  /** Width of `text` at `size` points. */
  width(text: string, size: number): number {
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      w += this.advance(cp);
    }
    return (w * size) / 1000;
  }

  get ascent(): number {
    return this.font.ascent * this.scale;
  }

  get descent(): number {
    return this.font.descent * this.scale;
  }
}

const faces = new Map<FontWeight, FontFace>();

/** The face for a weight, read from the font package and parsed on first use. */
export function fontFace(weight: FontWeight): FontFace {
  let f = faces.get(weight);
  if (!f) {
    const bytes = readFileSync(resolvePackageFile(FILES[weight]));
    f = new FontFace(fontkit().create(bytes), weight);
    faces.set(weight, f);
  }
  return f;
}

/**
 * Replaces what the font cannot draw with 〓 and control characters with a space (line feeds too, unless
 * `keepNewlines`: paragraphs keep them for `wrap`); reports each 〓.
 */
export function printable(face: FontFace, text: string, report?: (cp: number) => void, keepNewlines = false): string {
  let ok = true;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if ((cp < 0x20 && !(keepNewlines && cp === 10)) || !face.has(cp)) {
      ok = false;
      break;
    }
  }
  if (ok) return text;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 10 && keepNewlines) out += ch;
    else if (cp < 0x20) out += ' ';
    else if (face.has(cp)) out += ch;
    else {
      report?.(cp);
      out += GETA;
    }
  }
  return out;
}

interface Used {
  readonly cid: number;
  readonly cp: number;
  readonly width: number;
}

/** One document's use of a face: the subset it embeds and the hex codes of what it drew. */
export class SubsetFont {
  private readonly subset: Subset;
  private readonly hexOf = new Map<number, string>();
  private readonly used: Used[] = [];
  private readonly cids = new Set<number>();

  constructor(readonly face: FontFace) {
    this.subset = face.font.createSubset();
    padGlyphs(this.subset);
  }

  /** The Identity-H hex string of `text` (already `printable`). */
  hex(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      let h = this.hexOf.get(cp);
      if (h === undefined) h = this.add(cp);
      out += h;
    }
    return out;
  }

  private add(cp: number): string {
    const cid = this.subset.includeGlyph(this.face.glyphId(cp));
    const h = cid.toString(16).padStart(4, '0');
    this.hexOf.set(cp, h);
    // Two code points may share a glyph (CJK compatibility ideographs): the first one drawn names it.
    if (!this.cids.has(cid)) {
      this.cids.add(cid);
      this.used.push({ cid, cp, width: this.face.advance(cp) });
    }
    return h;
  }

  /** Code points in the order they entered the subset (replaying them rebuilds the same CIDs). */
  codePoints(): number[] {
    return this.used.map((u) => u.cp);
  }

  /** Writes the font objects, the Type0 font at `ref`.  Deterministic for the same glyphs. */
  async embed(context: PDFContext, ref: PDFRef): Promise<void> {
    const program = await encodeSubset(this.subset);
    const used = [...this.used].sort((a, b) => a.cid - b.cid);
    const tag = subsetTag(this.face.postscriptName, used);
    const baseFont = `${tag}+${this.face.postscriptName}`;
    const f = this.face.font;
    const s = this.face.scale;

    const fontFile = flateStream(context, program, { Length1: program.length });
    const descriptor = context.obj({
      Type: 'FontDescriptor',
      FontName: baseFont,
      Flags: 4, // symbolic: the glyphs are addressed by CID, not by a standard encoding
      FontBBox: [f.bbox.minX * s, f.bbox.minY * s, f.bbox.maxX * s, f.bbox.maxY * s].map(Math.round),
      ItalicAngle: f.italicAngle,
      Ascent: Math.round(f.ascent * s),
      Descent: Math.round(f.descent * s),
      CapHeight: Math.round((f.capHeight || f.ascent) * s),
      XHeight: Math.round((f.xHeight || 0) * s),
      StemV: this.face.weight === 'bold' ? 140 : 80,
      FontFile2: context.register(fontFile),
    });
    const cidFont = context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: baseFont,
      CIDSystemInfo: { Registry: pdfLib().PDFString.of('Adobe'), Ordering: pdfLib().PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: context.register(descriptor),
      CIDToGIDMap: 'Identity',
      DW: 1000,
      W: widthsArray(used),
    });
    const toUnicode = flateStream(context, toUnicodeCMap(used));
    const type0 = context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: baseFont,
      Encoding: 'Identity-H',
      DescendantFonts: [context.register(cidFont)],
      ToUnicode: context.register(toUnicode),
    });
    context.assign(ref, type0);
  }
}

interface TTFSubsetInternals {
  _addGlyph?: (gid: number) => number;
  glyf: Uint8Array[];
  offset: number;
}

/**
 * fontkit's TrueType subsetter copies each glyph's bytes as they are and, when the subset is under 64 KiB,
 * writes the short `loca` format, which stores offsets ÷ 2: an odd-length glyph (BIZ UDPGothic has ~6,400)
 * shifts every later glyph and they vanish or garble.  Padding each glyph to an even length, as the
 * TrueType specification recommends anyway, makes both formats exact.
 */
function padGlyphs(subset: Subset): void {
  const s = subset as unknown as TTFSubsetInternals;
  const add = s._addGlyph?.bind(s);
  if (!add) return;
  s._addGlyph = (gid: number): number => {
    const r = add(gid);
    const last = s.glyf.length - 1;
    const b = s.glyf[last]!;
    if (b.length % 2 === 1) {
      // Same class as fontkit's own (its bundled Buffer polyfill): its stream accepts nothing else.
      const padded = (b.constructor as unknown as { alloc(n: number): Uint8Array }).alloc(b.length + 1);
      padded.set(b, 0);
      s.glyf[last] = padded;
      s.offset += 1;
    }
    return r;
  };
}

/** A FlateDecode stream compressed with Node's zlib (several times faster than pdf-lib's pako). */
export function flateStream(context: PDFContext, data: string | Uint8Array, dict: Record<string, number | string> = {}): PDFRawStream {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return context.stream(deflateSync(bytes), { ...dict, Filter: 'FlateDecode' });
}

function encodeSubset(subset: Subset): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    const stream = subset.encodeStream() as unknown as {
      on(ev: 'data', cb: (b: Uint8Array) => void): unknown;
      on(ev: 'end', cb: () => void): unknown;
      on(ev: 'error', cb: (e: unknown) => void): unknown;
    };
    stream.on('data', (b: Uint8Array) => parts.push(b));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/** Six capital letters from the glyph set (PDF 32000 §9.6.4), so the same glyphs give the same name. */
function subsetTag(name: string, used: readonly Used[]): string {
  const h = createHash('sha256').update(name);
  for (const u of used) h.update(`${u.cp},`);
  const d = h.digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (d[i]! % 26));
  return tag;
}

/** /W: runs of consecutive CIDs with non-default widths, as [c [w1 w2 …] …]. */
function widthsArray(used: readonly Used[]): (number | number[])[] {
  const out: (number | number[])[] = [];
  let run: number[] | null = null;
  let prev = -2;
  for (const u of used) {
    if (u.width === 1000) {
      run = null;
      prev = -2;
      continue;
    }
    if (run && u.cid === prev + 1) run.push(u.width);
    else {
      run = [u.width];
      out.push(u.cid, run);
    }
    prev = u.cid;
  }
  return out;
}

function utf16Hex(cp: number): string {
  if (cp <= 0xffff) return cp.toString(16).padStart(4, '0');
  const v = cp - 0x10000;
  return (0xd800 + (v >> 10)).toString(16) + (0xdc00 + (v & 0x3ff)).toString(16);
}

function toUnicodeCMap(used: readonly Used[]): string {
  const lines = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <ffff>',
    'endcodespacerange',
  ];
  for (let i = 0; i < used.length; i += 100) {
    const chunk = used.slice(i, i + 100);
    lines.push(`${chunk.length} beginbfchar`);
    for (const u of chunk) lines.push(`<${u.cid.toString(16).padStart(4, '0')}> <${utf16Hex(u.cp)}>`);
    lines.push('endbfchar');
  }
  lines.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end');
  return lines.join('\n');
}
