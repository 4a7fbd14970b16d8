// The content hash of a run (decision 0061): SHA-256 over a canonical header (format, kind, as-of date,
// programs, filters, catalog version) and every member row in (宛名番号, program) code-unit order, one line
// each.  No run id, no timestamps, no counts: the same inputs and the same data give the same hash.
import { createHash, type Hash } from 'node:crypto';
import type { ExtractionParameters } from './model.js';

export const HASH_FORMAT = 'mamori-extraction/1';

export interface MemberRow {
  readonly atenaNo: string;
  readonly program: string;
  readonly dose: number | null;
  readonly status: 'due' | 'upcoming';
  readonly late: boolean;
  readonly earliest: string | null;
  readonly latest: string | null;
  readonly standardFrom: string | null;
  readonly standardUntil: string | null;
  readonly protected: boolean;
}

/** JSON with object keys sorted (arrays keep their order). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/** The parameters that define "the same run" for the diff: everything but the as-of date. */
export function paramsKey(p: ExtractionParameters): string {
  return createHash('sha256').update(canonicalJson(p)).digest('hex');
}

export function headerLine(p: ExtractionParameters, asOf: string, catalogVersion: string): string {
  return canonicalJson({ format: HASH_FORMAT, kind: p.kind, all: p.all, programs: p.programs, filters: p.filters, asOf, catalogVersion }) + '\n';
}

/** One member as a line: tab-separated, empty for null, booleans as 0/1. */
export function memberLine(m: MemberRow): string {
  return `${m.atenaNo}\t${m.program}\t${m.dose ?? ''}\t${m.status}\t${m.late ? 1 : 0}\t${m.earliest ?? ''}\t${m.latest ?? ''}\t${m.standardFrom ?? ''}\t${m.standardUntil ?? ''}\t${m.protected ? 1 : 0}\n`;
}

export function newContentHash(p: ExtractionParameters, asOf: string, catalogVersion: string): Hash {
  return createHash('sha256').update(headerLine(p, asOf, catalogVersion));
}
