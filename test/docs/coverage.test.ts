// docs/requirements-coverage.md tells the truth about which requirements exist (issue 9 point 6): every ID of
// the requirements catalog has a row, and every ID the document names exists in the catalog.  The catalog
// lives beside the repository (../shared/requirements.md); MAMORI_REQUIREMENTS names another copy.
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

const catalogPath = [process.env['MAMORI_REQUIREMENTS'], resolve(ROOT, '..', 'shared', 'requirements.md'), resolve(ROOT, '..', '..', 'shared', 'requirements.md')].find(
  (p): p is string => !!p && existsSync(p),
);

describe('requirements coverage document', () => {
  it('parses ranges and rows', () => {
    expect(idsIn('KRN-48..50, VAX-01')).toEqual(['KRN-48', 'KRN-49', 'KRN-50', 'VAX-01']);
    expect([...rowIds('| KRN-01, RES-02 | done | see KRN-03 |\n| id | status |')]).toEqual(['KRN-01', 'RES-02']);
  });

  it.skipIf(!catalogPath)('lists every requirement ID of the catalog, and no ID the catalog lacks', () => {
    const catalog = catalogIds(readFileSync(catalogPath!, 'utf8'));
    const docText = readFileSync(join(ROOT, 'docs', 'requirements-coverage.md'), 'utf8');
    expect(catalog.size).toBeGreaterThan(200);
    const rows = rowIds(docText);
    const missing = [...catalog].filter((id) => !rows.has(id));
    const unknown = [...new Set(idsIn(docText))].filter((id) => !catalog.has(id));
    expect(missing, 'IDs of the catalog without a row in docs/requirements-coverage.md').toEqual([]);
    expect(unknown, 'IDs in docs/requirements-coverage.md that the catalog does not define').toEqual([]);
  });
});
