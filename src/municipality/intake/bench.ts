// intake.longline (decision 0122): the intake reader's work grows linearly with the length of a row.  In
// memory (no disk, no database): the records of a file of rows just under the 64 KiB limit are read through
// RecordSplitter and CsvReader.completeRecords, fed 1 MiB at a time as from the file; the baseline is the same
// number of bytes in short rows (≈ 200 bytes, a 住基 row) in the same run.  Notes: the same long-row file at a
// quarter of the size (linear work means about a quarter of the time), and how long a single 50 MB line takes
// to be refused (it is cut off after the limit plus one chunk).
import type { BenchCase, BenchResult } from '../../kernel/bench/index.js';
import { CsvReader } from './csv.js';
import { InputError, MAX_ROW_BYTES, RecordSplitter } from './split.js';

const CHUNK = 1 << 20;

function readAll(bytes: Buffer): number {
  const splitter = new RecordSplitter('utf8');
  const reader = new CsvReader();
  let n = 0;
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const t = splitter.push(bytes.subarray(at, Math.min(at + CHUNK, bytes.length)));
    if (t !== null) n += reader.completeRecords(t).length;
  }
  const t = splitter.end();
  if (t !== null) n += reader.completeRecords(t).length;
  return n;
}

function fileOf(totalBytes: number, row: (i: number) => string): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < totalBytes; i++) {
    const r = row(i) + '\r\n';
    parts.push(r);
    size += Buffer.byteLength(r);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** Best of `rounds` wall-clock seconds. */
function best(rounds: number, f: () => unknown): number {
  let min = Infinity;
  for (let k = 0; k < rounds; k++) {
    const t = performance.now();
    f();
    min = Math.min(min, (performance.now() - t) / 1000);
  }
  return min;
}

export const intakeLonglineCase: BenchCase = {
  name: 'intake.longline',
  description: '取込ファイルの読み取り：長い行（64 KiB 近く）と短い行の速さ、長すぎる1行の拒否',
  async run(ctx): Promise<BenchResult> {
    const total = ctx.quick ? 25_000_000 : 50_000_000; // the quarter stays above ~5 MB: smaller files sit in the CPU cache and read faster
    const rounds = ctx.quick ? 3 : 5;
    // Long rows: 3 columns, one a quoted cell with a line break, ≈ 64,000 bytes in all.
    const cell = 'あいうえお,かきくけこ'.repeat(2_000); // 2 × 10 chars × 3 bytes + comma ≈ 62,000 bytes
    const longRows = fileOf(total, (i) => `${i},"${cell}\r\n${i}",末尾`);
    const quarter = fileOf(total / 4, (i) => `${i},"${cell}\r\n${i}",末尾`);
    const shortRows = fileOf(total, (i) => `${i},山﨑　太郎${i},ヤマザキ　タロウ,19800101,1,鳥取県鳥取市幸町${i}番地,"方書,${i}",${i % 7 === 0 ? '"a""b"' : ''},0000000${i},20260401,01`);
    // Interleaved rounds (each measurement sees the same heap and load), best of each.
    const single = Buffer.alloc(total, 0x41);
    let refusedAfter = 0;
    const refuse = () => {
      const s = new RecordSplitter('utf8');
      try {
        for (let at = 0; at < single.length; at += CHUNK) s.push(single.subarray(at, at + CHUNK));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
      }
      refusedAfter = s.stats.scanned;
    };
    let tLong = Infinity;
    let tShort = Infinity;
    let tQuarter = Infinity;
    let tRefuse = Infinity;
    for (let k = 0; k < rounds; k++) {
      tQuarter = Math.min(tQuarter, best(1, () => readAll(quarter)));
      tLong = Math.min(tLong, best(1, () => readAll(longRows)));
      tShort = Math.min(tShort, best(1, () => readAll(shortRows)));
      tRefuse = Math.min(tRefuse, best(1, refuse));
    }
    const mb = (b: number, t: number) => b / 1e6 / t;
    const value = mb(longRows.length, tLong);
    const baseline = mb(shortRows.length, tShort);
    const ratio = value / baseline;
    const linear = tLong / (4 * tQuarter);
    ctx.log(`intake.longline: long rows ${value.toFixed(1)} MB/s, short rows ${baseline.toFixed(1)} MB/s, 4× the bytes took ${(tLong / tQuarter).toFixed(2)}× the time`);
    return {
      name: this.name,
      value,
      unit: 'MB/s (rows ≈ 64 KB)',
      baseline,
      baselineUnit: 'MB/s (rows ≈ 200 B)',
      ratio,
      goal: 'long rows ≥ 0.5× short rows; 4× the bytes ≤ 5× the time; a 50 MB line refused after ≤ 64 KiB + 1 MiB',
      pass: ratio >= 0.5 && tLong / tQuarter <= 5 && refusedAfter <= MAX_ROW_BYTES + CHUNK,
      notes: `${(longRows.length / 1e6).toFixed(1)} MB each, best of ${rounds}; long rows ${tLong.toFixed(3)} s, short rows ${tShort.toFixed(3)} s; a quarter of the long-row file ${tQuarter.toFixed(3)} s (4× the bytes: ${(tLong / tQuarter).toFixed(2)}× the time, ${linear.toFixed(2)} of linear); a ${(total / 1e6).toFixed(1)} MB single line refused after ${refusedAfter.toLocaleString('en-US')} bytes in ${(tRefuse * 1000).toFixed(1)} ms`,
    };
  },
};
