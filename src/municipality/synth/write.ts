// Writing the synthetic files: streamed in chunks (constant memory for the text), UTF-8 with BOM or CP932,
// CRLF line ends, each file written to a temporary name and renamed when complete, with its SHA-256.
//
// File naming: the snapshot is written to FILE; the movement file of week N to `<base>.diff-NN.csv`, where
// <base> is FILE without a trailing `.csv` (residents.csv → residents.diff-01.csv … residents.diff-12.csv).
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import iconv from 'iconv-lite';
import { SyntheticResidents, type PopulationStats, type SynthResidentsOptions } from './residents.js';

export type SynthEncoding = 'utf8' | 'sjis';

export interface WriteResidentsOptions extends SynthResidentsOptions {
  /** Snapshot file path. */
  readonly out: string;
  /** utf8 (default, with BOM) or sjis (CP932, no BOM). */
  readonly encoding?: SynthEncoding;
  /** Number of weekly movement files after the snapshot (default 0). */
  readonly diffs?: number;
}

export interface WrittenFile {
  readonly path: string;
  readonly kind: 'full' | 'diff';
  readonly week: number;
  /** The file's date: the snapshot date, or the last day of the week. */
  readonly fileDate: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Rows per 異動区分 (diff files). */
  readonly counts?: Readonly<Record<string, number>>;
}

export interface WriteResidentsSummary {
  readonly files: readonly WrittenFile[];
  /** SHA-256 over the files' hashes in order: one number for the whole output. */
  readonly contentHash: string;
  readonly snapshot: PopulationStats;
  readonly final: PopulationStats;
  readonly movements: Readonly<Record<string, number>>;
}

export const MAX_DIFF_WEEKS = 99;

/** `residents.csv` → `residents.diff-03.csv` (week 3). */
export function diffFileName(out: string, week: number): string {
  const base = out.replace(/\.csv$/i, '');
  return `${base}.diff-${String(week).padStart(2, '0')}.csv`;
}

const CHUNK = 1 << 20;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

class FileWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private readonly hash = createHash('sha256');
  private pending: string[] = [];
  private pendingLength = 0;
  bytes = 0;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly encoding: SynthEncoding,
  ) {
    this.tmp = `${path}.partial`;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(this.tmp, 'w');
    if (encoding === 'utf8') this.write(UTF8_BOM);
  }

  line(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length + 2;
    if (this.pendingLength >= CHUNK) this.flush();
  }

  private write(buf: Buffer): void {
    this.hash.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.bytes += buf.length;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\r\n') + '\r\n';
    this.pending = [];
    this.pendingLength = 0;
    if (this.encoding === 'utf8') {
      this.write(Buffer.from(text, 'utf8'));
      return;
    }
    const buf = iconv.encode(text, 'cp932');
    // iconv-lite writes '?' for a character CP932 lacks; 0x3F is never a trail byte, so counting is exact.
    let q = 0;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 0x3f) q++;
    let expected = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x3f) expected++;
    if (q !== expected) throw new Error('CP932で表せない文字が含まれています（合成データの文字表を確認してください）');
    this.write(buf);
  }

  /** Completes the file and renames it into place; returns its SHA-256. */
  close(): string {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    return this.hash.digest('hex');
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.tmp, { force: true });
  }
}

/** Writes one CSV file (header and lines) through a temporary name; returns its row count, size and SHA-256. */
export function writeFile(path: string, encoding: SynthEncoding, header: string, lines: Iterable<string>): { rows: number; bytes: number; sha256: string } {
  const w = new FileWriter(path, encoding);
  try {
    w.line(header);
    for (const l of lines) {
      w.line(l);
      w.rows++;
    }
    const sha256 = w.close();
    return { rows: w.rows, bytes: w.bytes, sha256 };
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Generates and writes the snapshot and `diffs` weekly movement files. */
export function writeSyntheticResidents(o: WriteResidentsOptions): WriteResidentsSummary {
  const encoding = o.encoding ?? 'utf8';
  const diffs = o.diffs ?? 0;
  if (!Number.isInteger(diffs) || diffs < 0 || diffs > MAX_DIFF_WEEKS) throw new RangeError(`diffs must be 0…${MAX_DIFF_WEEKS}`);
  const gen = new SyntheticResidents(o);
  const snapshot = gen.stats();
  const files: WrittenFile[] = [];
  const full = writeFile(o.out, encoding, SyntheticResidents.header('full'), gen.snapshot());
  files.push({ path: o.out, kind: 'full', week: 0, fileDate: gen.start, ...full });
  for (let k = 1; k <= diffs; k++) {
    const week = gen.nextWeek();
    const path = diffFileName(o.out, k);
    const written = writeFile(path, encoding, SyntheticResidents.header('diff'), week.lines);
    files.push({ path, kind: 'diff', week: k, fileDate: week.fileDate, counts: week.counts, ...written });
  }
  const final = diffs > 0 ? gen.stats(files[files.length - 1]!.fileDate) : snapshot;
  const contentHash = createHash('sha256')
    .update(files.map((f) => f.sha256).join('\n'))
    .digest('hex');
  return { files, contentHash, snapshot, final, movements: { ...gen.movementTotals } };
}
