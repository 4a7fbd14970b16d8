// Reading our PDFs back the way a person or a scanner would: the text layer through pdf.js (Mozilla's
// renderer), pages as pixels through poppler's pdftoppm, barcodes through ZXing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

/**
 * Text as the extractors give it back: pdf.js (and poppler) report the ideographic space U+3000 as an
 * ordinary space, although the ToUnicode map says U+3000 (checked separately), and pdf.js collapses runs
 * of spaces; compare through this.
 */
export function norm(s: string): string {
  return s.replace(/[\u3000 ]+/g, ' ');
}

/** The text layer of every page, as pdf.js extracts it (items joined without separators). */
export async function readText(pdf: Uint8Array): Promise<string[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const tc = await page.getTextContent();
    pages.push(norm(tc.items.map((it) => ('str' in it ? it.str : '')).join('')));
  }
  await doc.destroy();
  return pages;
}

function withFile<T>(pdf: Uint8Array, f: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-pdf-'));
  try {
    const file = join(dir, 'in.pdf');
    writeFileSync(file, pdf);
    return f(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fonts as poppler's pdffonts lists them: name, type, embedded, subset, has ToUnicode. */
export function listFonts(pdf: Uint8Array): { name: string; type: string; embedded: boolean; subset: boolean; unicode: boolean }[] {
  const out = withFile(pdf, (file) => execFileSync('pdffonts', [file], { encoding: 'utf8' }));
  return out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const [emb, sub, uni] = f.slice(-5, -2);
      return { name: f[0]!, type: f.slice(1, -6).join(' '), embedded: emb === 'yes', subset: sub === 'yes', unicode: uni === 'yes' };
    });
}

/** A grayscale rendering of part of a page (millimetres from the top-left), via pdftoppm. */
export function renderGray(pdf: Uint8Array, page: number, crop: { x: number; y: number; w: number; h: number }, dpi = 300): { data: Uint8ClampedArray; width: number; height: number } {
  return withFile(pdf, (file, dir) => {
    const px = (mm: number) => String(Math.round((mm / 25.4) * dpi));
    execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page), '-x', px(crop.x), '-y', px(crop.y), '-W', px(crop.w), '-H', px(crop.h), '-singlefile', file, join(dir, 'out')]);
    return parsePgm(readFileSync(join(dir, 'out.pgm')));
  });
}

/** Binary PGM (P5, maxval 255). */
function parsePgm(buf: Buffer): { data: Uint8ClampedArray; width: number; height: number } {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23) while (buf[pos] !== 0x0a) pos++;
      else break;
    }
    const start = pos;
    while (!/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return buf.subarray(start, pos).toString('latin1');
  };
  if (token() !== 'P5') throw new Error('not a binary PGM');
  const width = Number(token());
  const height = Number(token());
  if (Number(token()) !== 255) throw new Error('unexpected PGM maxval');
  pos++;
  return { data: new Uint8ClampedArray(buf.subarray(pos, pos + width * height)), width, height };
}

/** Decodes the one barcode in a grayscale image with ZXing; null when none is found. */
export function decodeBarcode(img: { data: Uint8ClampedArray; width: number; height: number }, format: BarcodeFormat = BarcodeFormat.CODE_128): { text: string; format: string } | null {
  const reader = new MultiFormatReader();
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [format]],
    [DecodeHintType.TRY_HARDER, true],
  ]);
  try {
    const r = reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(img.data, img.width, img.height))), hints);
    return { text: r.getText(), format: BarcodeFormat[r.getBarcodeFormat()] };
  } catch {
    return null;
  }
}

/** A box on the page in millimetres from the top-left corner (the way the layout code measures). */
export interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export interface TextBox extends Box {
  readonly str: string;
  /** Font size in points. */
  readonly size: number;
}

export interface PageLayout {
  /** Every non-blank text item: its em box (ascent 0.88, descent 0.12 of the size — BIZ UDPGothic's). */
  readonly texts: TextBox[];
  /** Every drawn path's bounding box (lines, rectangles, barcode bars), form XObjects included. */
  readonly paths: Box[];
}

const PT = 72 / 25.4;

/**
 * Where pdf.js finds the text and the drawn paths on each page (text positions from getTextContent: transform
 * and width; paths from the operator list's constructPath bounding boxes).  Assumes upright text and
 * untransformed forms, which is how our PDFs are written.
 */
export async function readLayout(pdf: Uint8Array): Promise<PageLayout[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, isEvalSupported: false }).promise;
  const out: PageLayout[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const [, , , pageH] = page.view as [number, number, number, number];
    const tc = await page.getTextContent();
    const texts: TextBox[] = [];
    for (const it of tc.items) {
      if (!('str' in it) || it.str.trim() === '') continue;
      const [, , , d, e, f] = it.transform as number[];
      const size = Math.abs(d!);
      texts.push({ str: it.str, size, left: e! / PT, right: (e! + it.width) / PT, top: (pageH - (f! + 0.88 * size)) / PT, bottom: (pageH - (f! - 0.12 * size)) / PT });
    }
    const ops = await page.getOperatorList();
    const paths: Box[] = [];
    ops.fnArray.forEach((fn, k) => {
      if (fn !== OPS.constructPath) return;
      const mm = (ops.argsArray[k] as unknown[])[2] as ArrayLike<number> | null;
      if (!mm) return;
      paths.push({ left: mm[0]! / PT, right: mm[2]! / PT, top: (pageH - mm[3]!) / PT, bottom: (pageH - mm[1]!) / PT });
    });
    out.push({ texts, paths });
  }
  await doc.destroy();
  return out;
}

/** Whether two boxes share any area (touching edges do not count). */
export function overlaps(a: Box, b: Box, tolerance = 0.05): boolean {
  return a.left < b.right - tolerance && b.left < a.right - tolerance && a.top < b.bottom - tolerance && b.top < a.bottom - tolerance;
}
