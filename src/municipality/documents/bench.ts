// Bench case `notices.pdf` (issue 5): pages per second rendering a print run of 予診票（接種券） on one core,
// against the machine's floor for writing the same PDF (decision 0057).
import type { BenchCase, BenchResult } from '../../kernel/bench/index.js';
import { PdfBuilder, type FontKey } from '../../kernel/pdf/index.js';
import { renderRun } from './render.js';
import { SAMPLE_MUNICIPALITY, syntheticDocumentItems } from './synthetic.js';
import { DEFAULT_TEMPLATES } from './templates.js';
import type { RenderOptions } from './types.js';
import { readFileSync } from 'node:fs';
import { fontkit, pdfLib, resolvePackageFile } from '../../kernel/pdf/index.js';

const OPTIONS: RenderOptions = { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' };
const META = { title: '予診票', subject: 'bench', date: OPTIONS.issueDate };

interface Capture {
  forms: string[];
  pages: string[];
  fonts?: { F1: number[]; F2: number[] };
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/**
 * The floor: the very PDF Mamori wrote — same content streams, same glyphs, same objects — written again
 * through pdf-lib with nothing to decide: the glyphs enter the subsets in the same order, the shared form and
 * every page's content stream (already laid out and encoded) are compressed and added, the font subsets are
 * encoded and the document serialised.  What remains is what any PDF writer must do for these pages.
 */
async function floor(c: Capture): Promise<number> {
  const t0 = performance.now();
  const b = await PdfBuilder.create(META);
  for (const k of ['F1', 'F2'] as FontKey[]) b.fonts[k].hex(String.fromCodePoint(...c.fonts![k]));
  for (const f of c.forms) b.form(f);
  for (const p of c.pages) b.page(p);
  await b.save();
  return seconds(t0);
}

/**
 * For the notes only: the same pages drawn with pdf-lib's own high-level API (embedFont with subsetting,
 * drawText, drawRectangle, drawLine), replaying the captured operators — static content included on every
 * page, as a straightforward implementation would draw it.  Shows why decision 0055 bypasses pdf-lib's text
 * path (fontkit shaping on every drawText).
 */
async function plainPdfLib(c: Capture, pages: number): Promise<number> {
  const { PDFDocument, rgb } = pdfLib();
  const bytes = {
    F1: readFileSync(resolvePackageFile('@expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf')),
    F2: readFileSync(resolvePackageFile('@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf')),
  };
  const decode = (k: FontKey, hex: string): string => {
    let s = '';
    for (let i = 0; i < hex.length; i += 4) s += String.fromCodePoint(c.fonts![k][parseInt(hex.slice(i, i + 4), 16) - 1]!);
    return s;
  };
  type Op = { t: 'text'; k: FontKey; size: number; x: number; y: number; s: string } | { t: 'rect'; x: number; y: number; w: number; h: number; fill: boolean } | { t: 'line'; x1: number; y1: number; x2: number; y2: number };
  const parse = (content: string): Op[] => {
    const ops: Op[] = [];
    for (const line of content.split('\n')) {
      const tx = /^BT \/(F[12]) ([\d.]+) Tf ([\d.-]+) ([\d.-]+) Td <([0-9a-f]*)> Tj ET$/.exec(line);
      if (tx) {
        ops.push({ t: 'text', k: tx[1] as FontKey, size: +tx[2]!, x: +tx[3]!, y: +tx[4]!, s: decode(tx[1] as FontKey, tx[5]!) });
        continue;
      }
      for (const r of line.matchAll(/([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re/g)) ops.push({ t: 'rect', x: +r[1]!, y: +r[2]!, w: +r[3]!, h: +r[4]!, fill: line.endsWith(' f') });
      const l = /^([\d.-]+) ([\d.-]+) m ([\d.-]+) ([\d.-]+) l S$/.exec(line);
      if (l) ops.push({ t: 'line', x1: +l[1]!, y1: +l[2]!, x2: +l[3]!, y2: +l[4]! });
    }
    return ops;
  };
  const fixed = parse(c.forms[0] ?? '');
  const perPage = c.pages.slice(0, pages).map(parse);
  const t0 = performance.now();
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit());
  const fonts = { F1: await doc.embedFont(bytes.F1, { subset: true }), F2: await doc.embedFont(bytes.F2, { subset: true }) };
  const black = rgb(0, 0, 0);
  for (const ops of perPage) {
    const page = doc.addPage([595.28, 841.89]);
    for (const o of [...fixed, ...ops]) {
      if (o.t === 'text') page.drawText(o.s, { x: o.x, y: o.y, size: o.size, font: fonts[o.k] });
      else if (o.t === 'rect') page.drawRectangle({ x: o.x, y: o.y, width: o.w, height: o.h, ...(o.fill ? { color: black } : { borderColor: black, borderWidth: 0.7 }) });
      else page.drawLine({ start: { x: o.x1, y: o.y1 }, end: { x: o.x2, y: o.y2 }, thickness: 0.7 });
    }
  }
  await doc.save();
  return pages / seconds(t0);
}

/**
 * notices.pdf: a print run of 予診票（接種券） for 2,000 synthetic people (300 with --quick) rendered into one
 * PDF through the public renderer — item and template validation, placeholder substitution, 和暦, layout
 * with 禁則 line breaking, the CODE128 voucher barcode, font subsetting, compression and serialisation.  One
 * core.  Value: pages/s of the best of three runs.  Baseline: the floor above, measured in the same run.
 */
export const noticesPdfCase: BenchCase = {
  name: 'notices.pdf',
  description: '予診票（接種券）PDF の一括生成（ページ/秒、1コア、合成人口）／基準：同じページ内容を pdf-lib と zlib で書き出すだけの下限',
  async run(ctx): Promise<BenchResult> {
    const n = ctx.quick ? 300 : 2_000;
    const reps = ctx.quick ? 1 : 3;
    const items = syntheticDocumentItems(n, { seed: 'bench' });
    const tpl = DEFAULT_TEMPLATES.questionnaire;
    await renderRun('questionnaire', tpl, items.slice(0, 100), OPTIONS); // warm-up: fonts parsed, code compiled

    let best = Infinity;
    let bytes = 0;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const pdf = await renderRun('questionnaire', tpl, items, OPTIONS);
      best = Math.min(best, seconds(t0));
      bytes = pdf.length;
    }
    const capture: Capture = { forms: [], pages: [] };
    await renderRun('questionnaire', tpl, items, OPTIONS, capture);
    let floorBest = Infinity;
    for (let r = 0; r < reps; r++) floorBest = Math.min(floorBest, await floor(capture));
    const plain = await plainPdfLib(capture, ctx.quick ? 30 : 100);

    const value = capture.pages.length / best;
    const baseline = capture.pages.length / floorBest;
    return {
      name: this.name,
      value,
      unit: 'pages/s',
      baseline,
      baselineUnit: 'floor pages/s',
      ratio: value / baseline,
      goal: '≥ 200 pages/s',
      pass: value >= 200,
      notes: `${n.toLocaleString('en-US')} people, ${capture.pages.length.toLocaleString('en-US')} A4 pages, ${(bytes / 1024 / 1024).toFixed(1)} MiB (${Math.round(bytes / capture.pages.length / 1024)} KiB/page), best of ${reps}; pdf-lib's own drawText path: ${Math.round(plain)} pages/s`,
    };
  },
};
