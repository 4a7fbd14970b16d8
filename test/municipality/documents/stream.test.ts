// renderDocumentsStream (decision 0066): a run written chunk by chunk is the same document as the one-piece
// render — same pages, same text layer, embedded subset fonts — deterministic, and a bad item is named by its
// index in the whole run, not in its chunk.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES, renderDocuments, renderDocumentsStream, SAMPLE_MUNICIPALITY, syntheticDocumentItems, type DocumentItem } from '../../../src/municipality/documents/index.js';
import { expectProblem } from '../../harness/expect.js';
import { listFonts, readText } from './read-pdf.js';

const OPTIONS = { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' };

async function* chunks(items: readonly DocumentItem[], size: number): AsyncGenerator<DocumentItem[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function streamed(items: readonly DocumentItem[], size: number, docType: 'questionnaire' | 'guidance' = 'questionnaire') {
  const parts: Uint8Array[] = [];
  const r = await renderDocumentsStream(docType, DEFAULT_TEMPLATES[docType], chunks(items, size), OPTIONS, { write: (c) => void parts.push(c) });
  return { pdf: Buffer.concat(parts), r };
}

describe('streamed print runs', () => {
  it('give the same pages and text as the one-piece render, with embedded subset fonts and a correct count and hash', async () => {
    const items = syntheticDocumentItems(7, { seed: 'stream' });
    const whole = await renderDocuments('questionnaire', DEFAULT_TEMPLATES.questionnaire, items, OPTIONS);
    const { pdf, r } = await streamed(items, 3);
    expect(r).toMatchObject({ persons: 7, pages: 7, bytes: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') });
    expect(await readText(pdf)).toEqual(await readText(whole));
    expect(listFonts(pdf).map((f) => [f.embedded, f.subset, f.unicode])).toEqual([
      [true, true, true],
      [true, true, true],
    ]);
  });

  it('are deterministic whatever the chunk size', async () => {
    const items = syntheticDocumentItems(5, { seed: 'stream-2' });
    const a = await streamed(items, 1, 'guidance');
    const b = await streamed(items, 5, 'guidance');
    expect(a.pdf.equals(b.pdf)).toBe(true);
  });

  it('name a bad item by its index in the run', async () => {
    const items = syntheticDocumentItems(4, { seed: 'stream-3' });
    const bad = [...items.slice(0, 3), { ...items[3]!, person: { ...items[3]!.person, birthDate: '2026-02-30' } }];
    await expectProblem(streamed(bad, 2), { status: 400, field: 'items.3.person.birthDate' });
    await expectProblem(streamed([], 2), { status: 400, field: 'items' });
  });
});
