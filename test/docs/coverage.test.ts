// docs/requirements-coverage.md tells the truth about which requirements exist (issue 9 point 6): every ID of
// the requirements catalog has a row, and every ID the document names exists in the catalog.  The catalog is
// the users' document beside the repository (../shared/requirements.md); the repository keeps a copy
// (docs/catalog/requirements.md) so that the check runs on a clean clone, and where the original is present
// the copy must equal it.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/paths.js';

const ID = /\b([A-Z]{3})-(\d{2})(?:\.\.(\d{2}))?\b/g;

/** IDs named in a text; `KRN-48..56` stands for KRN-48 to KRN-56. */
export function idsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(ID)) {
    const [, area, from, to] = m;
    const a = Number(from);
    const b = to ? Number(to) : a;
    for (let n = a; n <= b; n++) out.push(`${area}-${String(n).padStart(2, '0')}`);
  }
  return out;
}

/** The catalog's requirement IDs: each is defined by a bullet `- **XXX-nn** …`. */
export function catalogIds(catalog: string): Set<string> {
  return new Set([...catalog.matchAll(/^- \*\*([A-Z]{3}-\d{2})\*\*/gm)].map((m) => m[1]!));
}

/** IDs that have a row of their own: the first cell of a table row. */
export function rowIds(doc: string): Set<string> {
  const out = new Set<string>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|/.exec(line);
    if (m) for (const id of idsIn(m[1]!)) out.add(id);
  }
  return out;
}

const COPY = join(ROOT, 'docs', 'catalog', 'requirements.md');
const original = [process.env['MAMORI_REQUIREMENTS'], resolve(ROOT, '..', 'shared', 'requirements.md'), resolve(ROOT, '..', '..', 'shared', 'requirements.md')].find(
  (p): p is string => !!p && existsSync(p),
);

describe('requirements coverage document', () => {
  it('parses ranges and rows', () => {
    expect(idsIn('KRN-48..50, VAX-01')).toEqual(['KRN-48', 'KRN-49', 'KRN-50', 'VAX-01']);
    expect([...rowIds('| KRN-01, RES-02 | done | see KRN-03 |\n| id | status |')]).toEqual(['KRN-01', 'RES-02']);
  });

  it('lists every requirement ID of the catalog, and no ID the catalog lacks', () => {
    const catalog = catalogIds(readFileSync(COPY, 'utf8'));
    const docText = readFileSync(join(ROOT, 'docs', 'requirements-coverage.md'), 'utf8');
    expect(catalog.size).toBeGreaterThan(200);
    const rows = rowIds(docText);
    const missing = [...catalog].filter((id) => !rows.has(id));
    const unknown = [...new Set(idsIn(docText))].filter((id) => !catalog.has(id));
    expect(missing, 'IDs of the catalog without a row in docs/requirements-coverage.md').toEqual([]);
    expect(unknown, 'IDs in docs/requirements-coverage.md that the catalog does not define').toEqual([]);
  });

  it.runIf(original)('the copy in docs/catalog is the users\' catalog as it stands', () => {
    expect(readFileSync(COPY, 'utf8'), `docs/catalog/requirements.md differs from ${original}: copy it again`).toBe(readFileSync(original!, 'utf8'));
  });
});
