// The checkpoint witness (KRN-34, decision 0120): every signed checkpoint of the operation-log chains is also
// appended to a file OUTSIDE the database and outside the data directory (MAMORI_AUDIT_WITNESS; default
// <data>-audit-witness.jsonl beside the data directory).  The database owner can delete the newest entries,
// move the chain head back and delete checkpoint rows, but cannot reach this file: `mamori audit verify`
// compares each tenant's chain with the witnessed checkpoints and names the range that is missing.
//
// One JSON object per line, appended (O_APPEND) and fsynced, never rewritten:
//   {"v":1,"tenant":"312011","seq":42,"hash":"<hex>","reason":"periodic","at":"<ISO>","keyId":"ak-…","sig":"<base64>"}
// `sig` is the Ed25519 signature of checkpointMessage (the same bytes as the checkpoint row in the database),
// so a line that someone appends without the signing key is refused by verify.  A 'restore' line says that
// the chain of that tenant was restored from a backup at that position: lines before it no longer describe
// the live chain.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WitnessRecord {
  readonly v: 1;
  readonly tenant: string;
  readonly seq: number;
  /** The chain value (entry MAC) at seq, hex. */
  readonly hash: string;
  readonly reason: string;
  readonly at: string;
  readonly keyId: string;
  readonly sig: string;
}

export interface WitnessRead {
  readonly records: readonly (WitnessRecord & { readonly line: number })[];
  /** Line numbers that are not a witness record (a torn last line after a crash is not counted). */
  readonly malformed: readonly number[];
}

export class AuditWitness {
  constructor(readonly path: string) {}

  /** Appends records, one line each, and waits until they are on disk. */
  append(records: readonly WitnessRecord[]): void {
    if (records.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // A line torn by a crash mid-append is closed first, so that it stays one unreadable line (reported by
    // verify) instead of swallowing the record written after it.
    const size = existsSync(this.path) ? statSync(this.path).size : 0;
    let torn = false;
    if (size > 0) {
      const rfd = openSync(this.path, 'r');
      try {
        const last = Buffer.alloc(1);
        readSync(rfd, last, 0, 1, size - 1);
        torn = last[0] !== 10;
      } finally {
        closeSync(rfd);
      }
    }
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, (torn ? '\n' : '') + records.map((r) => JSON.stringify(r) + '\n').join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private cache: {
    offset: number;
    records: (WitnessRecord & { line: number })[];
    malformed: number[];
    lines: number;
    /** Per tenant: the newest record of its live chain (for the sealer, which asks every second). */
    top: Map<string, WitnessRecord>;
  } | null = null;

  /**
   * Every record, read incrementally: the sealer asks on every run, so only the bytes appended since the last
   * read are parsed (a file that became shorter is read again from the start).
   */
  read(): WitnessRead {
    if (!existsSync(this.path)) {
      this.cache = null;
      return { records: [], malformed: [] };
    }
    const size = statSync(this.path).size;
    if (!this.cache || size < this.cache.offset) this.cache = { offset: 0, records: [], malformed: [], lines: 0, top: new Map() };
    const c = this.cache;
    if (size > c.offset) {
      const fd = openSync(this.path, 'r');
      let buf: Buffer;
      try {
        buf = Buffer.alloc(size - c.offset);
        readSync(fd, buf, 0, buf.length, c.offset);
      } finally {
        closeSync(fd);
      }
      const end = buf.lastIndexOf(10); // a torn last line (a crash mid-append) is left for later
      if (end >= 0) {
        for (const l of buf.subarray(0, end).toString('utf8').split('\n')) {
          c.lines += 1;
          if (l === '') continue;
          try {
            const r = JSON.parse(l) as WitnessRecord;
            if (r.v !== 1 || typeof r.tenant !== 'string' || !Number.isSafeInteger(r.seq) || typeof r.hash !== 'string' || typeof r.sig !== 'string' || typeof r.keyId !== 'string' || typeof r.reason !== 'string') {
              throw new Error('shape');
            }
            c.records.push({ ...r, line: c.lines });
            const t = c.top.get(r.tenant);
            if (r.reason === 'restore' || !t || r.seq > t.seq) c.top.set(r.tenant, r);
          } catch {
            c.malformed.push(c.lines);
          }
        }
        c.offset += end + 1;
      }
    }
    return { records: c.records, malformed: c.malformed };
  }

  /** The newest record of a tenant's live chain (after its last 'restore'), if any. */
  top(tenant: string): WitnessRecord | undefined {
    this.read();
    return this.cache?.top.get(tenant);
  }

  /** The records of one tenant that describe its live chain: those after its last 'restore' record (which is included). */
  live(tenant: string, all: WitnessRead = this.read()): (WitnessRecord & { line: number })[] {
    const mine = all.records.filter((r) => r.tenant === tenant);
    let from = 0;
    mine.forEach((r, i) => {
      if (r.reason === 'restore') from = i;
    });
    return mine.slice(from);
  }
}
