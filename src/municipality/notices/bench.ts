// Bench case `notices.stream` (decision 0066): a batch's PDF streamed as the ledger streams it — persons read
// 1,000 at a time, drawn, written, forgotten — for 100,000 synthetic persons (2,000 with --quick), against the
// same run rendered in one piece in memory (`renderDocuments`), measured in the same process.  Value: streamed
// pages/s; the figure that matters is in the goal: the heap does not grow with the run.
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

/** Yields the chunks as the ledger's keyset reads would, sampling the heap between them. */
async function* feed(chunks: readonly DocumentItem[][], peak: { v: number }): AsyncGenerator<DocumentItem[]> {
  for (const c of chunks) {
    peak.v = Math.max(peak.v, used());
    yield c;
  }
  peak.v = Math.max(peak.v, used());
}

export const noticesStreamCase: BenchCase = {
  name: 'notices.stream',
  description: '通知書 PDF のストリーム生成（台帳から1,000人ずつ、10万人）／基準：同じ内容をメモリ上で一括生成（renderDocuments）',
  async run(ctx): Promise<BenchResult> {
    const n = ctx.quick ? 2_000 : 100_000;
    const tpl = DEFAULT_TEMPLATES.questionnaire;
    const chunks = chunksOf(n);
    // Warm-up of both paths: fonts parsed, code compiled.
    const warm = syntheticDocumentItems(200, { seed: 'warm' });
    await renderDocuments('questionnaire', tpl, warm, OPTIONS);
    await renderDocumentsStream('questionnaire', tpl, feed([warm], { v: 0 }), OPTIONS, { write: () => undefined });

    const start = used();
    const peak = { v: start };
    let bytes = 0;
    const t0 = performance.now();
    const r = await renderDocumentsStream('questionnaire', tpl, feed(chunks, peak), OPTIONS, {
      write: (c) => {
        bytes += c.length;
        peak.v = Math.max(peak.v, used());
      },
    });
    const streamSeconds = (performance.now() - t0) / 1000;
    const streamGrowth = (peak.v - start) / MiB;

    // Baseline: the same persons in one render, the whole document and its bytes in memory.
    const all = chunks.flat();
    const before = used();
    const t1 = performance.now();
    const pdf = await renderDocuments('questionnaire', tpl, all, OPTIONS);
    const wholeSeconds = (performance.now() - t1) / 1000;
    const wholeGrowth = (used() - before) / MiB;

    const value = r.pages / streamSeconds;
    const baseline = n / wholeSeconds;
    const limit = 64;
    return {
      name: this.name,
      value,
      unit: 'pages/s',
      baseline,
      baselineUnit: 'in-memory pages/s',
      ratio: value / baseline,
      goal: `≥ 200 pages/s and heap growth ≤ ${limit} MiB while streaming`,
      pass: value >= 200 && streamGrowth <= limit,
      notes: `${n.toLocaleString('en-US')} persons, ${(bytes / MiB).toFixed(1)} MiB PDF (in memory: ${(pdf.length / MiB).toFixed(1)} MiB); heap+buffers growth while streaming ${streamGrowth.toFixed(1)} MiB (peak sampled per chunk and write), after the in-memory render ${wholeGrowth.toFixed(1)} MiB; rss now ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
    };
  },
};
