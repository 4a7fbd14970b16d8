// The encrypted 整理番号 (VAX-10, decision 0065), pure: round trip for any person and serial, never a long digit
// run (the renderer's My Number guard), tolerant reading of hand-typed tokens, and nothing decodes under
// another municipality's key or after a change.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeReference, encodeReference, type ReferenceKeys } from '../../../src/municipality/notices/index.js';
import { documentItemSchema } from '../../../src/municipality/documents/index.js';

const keys = (): ReferenceKeys => ({ current: 1, keys: new Map([[1, randomBytes(32)]]) });
const content = fc.record({
  atenaNo: fc.integer({ min: 1, max: 9_999_999_999 }).map((n) => String(n).padStart(10, '0')),
  series: fc.constantFrom('voucher' as const, 'document' as const),
  fiscalYear: fc.integer({ min: 2000, max: 2099 }),
  serial: fc.integer({ min: 1, max: 999_999_999 }),
});

describe('encrypted 整理番号', () => {
  const k = keys();

  it('decodes back to the same person, series, year and serial; prints as the documents room expects; no run of 10 digits', () => {
    fc.assert(
      fc.property(content, (c) => {
        const t = encodeReference(k, c);
        expect(decodeReference(k, t)).toEqual(c);
        expect(t).toMatch(/^1[0-9A-Z]{3}(-[0-9A-Z]{1,4}){6}$/);
        expect(t.replace(/-/g, '')).not.toMatch(/\d{10}/);
        expect(documentItemSchema.shape.referenceNumber.safeParse(t).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads hand-typed tokens (lower case, spaces, O for 0, I or L for 1) and refuses altered or foreign ones', () => {
    const c = { atenaNo: '9000000019', series: 'voucher' as const, fiscalYear: 2026, serial: 12 };
    const t = encodeReference(k, c);
    expect(decodeReference(k, t.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l'))).toEqual(c);
    expect(decodeReference(keys(), t)).toBeNull();
    let refused = 0;
    for (let i = 1; i < t.length; i++) {
      if (t[i] === '-') continue;
      const altered = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
      if (decodeReference(k, altered) === null) refused++;
    }
    expect(refused).toBe(t.replace(/-/g, '').length - 1);
    expect(decodeReference(k, '')).toBeNull();
    expect(decodeReference(k, '312011-26-000000001-2')).toBeNull();
  });
});
