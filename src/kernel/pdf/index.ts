// PDF primitives shared by every organisation's documents (the municipality's notices and certificates, the
// portal's record print-out, the registry's 免許証・登録証): A4 pages, an embedded BIZ UDPゴシック subset, text
// layout with wrapping, and lazily loaded pdf-lib / fontkit / bwip-js.  Deterministic output for the same input.
export { GETA, fontFace, printable, flateStream, FontFace, SubsetFont, type FontWeight } from './font.js';
export { PdfBuilder, Ops, newPdfDocument, num, MM, PAGE_W, PAGE_H, type FontKey, type PdfMeta } from './pdf.js';
export { Painter, wrap, blockHeight, type TextStyle } from './layout.js';
export { pdfLib, fontkit, bwipjs, resolvePackageFile } from './lazy.js';
