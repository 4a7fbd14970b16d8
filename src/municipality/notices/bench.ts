// Bench case `notices.stream` (decision 0066): a batch's PDF streamed as the ledger streams it — persons read
// 1,000 at a time, drawn, written, forgotten — for 100,000 synthetic persons (2,000 with --quick), against the
// same run rendered in one piece in memory (`renderDocuments`), measured in the same process.  Value: streamed
// pages/s; the figure that matters is in the goal: the memory the stream keeps does not grow with the run.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchCase, BenchResult } from '../../kernel/bench/index.js';
import { DEFAULT_TEMPLATES, renderDocuments, renderDocumentsStream, SAMPLE_MUNICIPALITY, syntheticDocumentItems, type DocumentItem } from '../documents/index.js';

const OPTIONS = { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' };
const CHUNK = 1000;
const MiB = 1024 * 1024;

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** The run's persons in chunks of 1,000 (made before timing: both paths get the same, ready items). */
function chunksOf(n: number): DocumentItem[][] {
  const out: DocumentItem[][] = [];
  for (let k = 0; k * CHUNK < n; k++) out.push(syntheticDocumentItems(Math.min(CHUNK, n - k * CHUNK), { seed: `stream-${k}`, firstSerial: k * CHUNK + 1 }));
  return out;
}

/** A full garbage collection, for measuring what is retained (the bench process is not started with --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
}

/**
 * Yields the chunks as the ledger's keyset reads would; at 10 % of the run and at its end, measures what is
 * retained after a full collection (what the stream keeps), and the highest heap seen between chunks.
 */
async function* feed(chunks: readonly DocumentItem[][], m: { peak: number; at10: number; atEnd: number }, gc?: () => void): AsyncGenerator<DocumentItem[]> {
  const tenth = Math.max(1, Math.floor(chunks.length / 10));
  for (let i = 0; i < chunks.length; i++) {
    m.peak = Math.max(m.peak, used());
    if (gc && i === tenth) {
      gc();
      gc();
      m.at10 = used();
    }
    yield chunks[i]!;
  }
  if (gc) {
    gc();
    gc();
    m.atEnd = used();
  }
}

export const noticesStreamCase: BenchCase = {
  name: 'notices.stream',
  description: '通知書 PDF のストリーム生成（台帳から1,000人ずつ、10万人）／基準：同じ内容をメモリ上で一括生成（renderDocuments）',
  async run(ctx): Promise<BenchResult> {
    const n = ctx.quick ? 2_000 : 100_000;
    const tpl = DEFAULT_TEMPLATES.questionnaire;
    const chunks = chunksOf(n);
    const gc = collector();
    // Warm-up of both paths: fonts parsed, code compiled.
    const warm = syntheticDocumentItems(200, { seed: 'warm' });
    await renderDocuments('questionnaire', tpl, warm, OPTIONS);
    await renderDocumentsStream('questionnaire', tpl, feed([warm], { peak: 0, at10: 0, atEnd: 0 }), OPTIONS, { write: () => undefined });

    gc();
    gc();
    const start = used();
    const m = { peak: start, at10: start, atEnd: start };
    let bytes = 0;
    const t0 = performance.now();
    const r = await renderDocumentsStream('questionnaire', tpl, feed(chunks, m, gc), OPTIONS, {
      write: (c) => {
        bytes += c.length;
      },
    });
    const streamSeconds = (performance.now() - t0) / 1000;
    // What the stream kept between 10 % and 100 % of the run (font glyphs, offsets, page list): flat = streaming.
    const keptGrowth = (m.atEnd - m.at10) / MiB;
    const peakGrowth = (m.peak - start) / MiB;

    // Baseline: the same persons in one render, the whole document and its bytes in memory.
    const all = chunks.flat();
    gc();
    const before = used();
    const t1 = performance.now();
    const pdf = await renderDocuments('questionnaire', tpl, all, OPTIONS);
    const wholeSeconds = (performance.now() - t1) / 1000;
    const wholeGrowth = (used() - before) / MiB;

    const value = r.pages / streamSeconds;
    const baseline = n / wholeSeconds;
    const limit = 16;
    return {
      name: this.name,
      value,
      unit: 'pages/s',
      baseline,
      baselineUnit: 'in-memory pages/s',
      ratio: value / baseline,
      goal: `≥ 200 pages/s; memory kept by the stream grows ≤ ${limit} MiB from 10 % to 100 % of the run`,
      pass: value >= 200 && keptGrowth <= limit,
      notes: `${n.toLocaleString('en-US')} persons, ${(bytes / MiB).toFixed(1)} MiB PDF (in memory: ${(pdf.length / MiB).toFixed(1)} MiB); streaming: retained heap+buffers after a full GC ${((m.at10 - start) / MiB).toFixed(1)} MiB at 10 % and ${((m.atEnd - start) / MiB).toFixed(1)} MiB at the end (+${keptGrowth.toFixed(1)} MiB), highest between chunks +${peakGrowth.toFixed(1)} MiB; in memory: heap+buffers +${wholeGrowth.toFixed(1)} MiB right after the render; rss now ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
    };
  },
};
