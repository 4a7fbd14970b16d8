// Small-cell suppression (decision 0076; VAX-28 "no output may identify an individual"): the rule's cases, and
// its invariants on random tables — no published count from 1 to threshold−1, no column with exactly one hidden
// band under a published total, no published 接種者数 where 対象者数 is hidden, published values unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateOf, suppressGroup, type GroupCounts } from '../../../src/municipality/statistics/index.js';

const group = (bands: [number, number][]): GroupCounts => ({
  bands: bands.map(([targets, vaccinated]) => ({ targets, vaccinated })),
  total: bands.reduce((t, [a, b]) => ({ targets: t.targets + a, vaccinated: t.vaccinated + b }), { targets: 0, vaccinated: 0 }),
});

describe('suppressGroup', () => {
  it('hides a small count and, so that it cannot be recovered from the total, the smallest other one', () => {
    const g = suppressGroup(group([[40, 30], [25, 20], [12, 4]]), 10);
    expect(g.bands[2]!.vaccinated).toEqual({ value: null, suppressed: 'primary' });
    expect(g.bands[1]!.vaccinated).toEqual({ value: null, suppressed: 'complementary' });
    expect(g.bands[0]!.vaccinated).toEqual({ value: 30, suppressed: false });
    expect(g.total.vaccinated).toEqual({ value: 54, suppressed: false });
    expect(g.bands.map((b) => b.targets.value)).toEqual([40, 25, 12]);
  });

  it('shows zeros (they identify nobody) and never uses a zero to hide a small count', () => {
    const g = suppressGroup(group([[0, 0], [15, 2], [0, 0]]), 10);
    expect(g.bands[0]!.targets).toEqual({ value: 0, suppressed: false });
    expect(g.bands[0]!.vaccinated).toEqual({ value: 0, suppressed: false });
    expect(g.bands[1]!.vaccinated.suppressed).toBe('primary');
    expect(g.total.vaccinated.suppressed).toBe('primary');
    expect(g.total.targets).toEqual({ value: 15, suppressed: false });
  });

  it('hides 接種者数 wherever 対象者数 is hidden, even a zero ("none of a hidden few were vaccinated")', () => {
    const g = suppressGroup(group([[3, 0], [50, 45]]), 10);
    expect(g.bands[0]!.targets.suppressed).toBe('primary');
    expect(g.bands[0]!.vaccinated.suppressed).toBe('complementary');
    // …and the other band's counts too, since the total would give them away.
    expect(g.bands[1]!.targets.suppressed).toBe('complementary');
    expect(g.bands[1]!.vaccinated.suppressed).toBe('complementary');
    expect(rateOf(g.bands[1]!.targets, g.bands[1]!.vaccinated)).toBeNull();
    expect(rateOf(g.total.targets, g.total.vaccinated)).toBe(84.9);
  });

  it('publishes nothing from a group that is small as a whole', () => {
    const g = suppressGroup(group([[1, 1]]), 10);
    expect([g.total.targets, g.total.vaccinated, g.bands[0]!.targets, g.bands[0]!.vaccinated].every((c) => c.suppressed)).toBe(true);
  });

  it('invariants hold on random tables', () => {
    const cells = fc.array(
      fc.tuple(fc.nat(60), fc.nat(60)).map(([t, v]) => [t, Math.min(t, v)] as [number, number]),
      { minLength: 1, maxLength: 21 },
    );
    fc.assert(
      fc.property(cells, fc.integer({ min: 3, max: 20 }), (bands, threshold) => {
        const input = group(bands);
        const g = suppressGroup(input, threshold);
        const all = [...g.bands.map((b, i) => ({ out: b, inp: input.bands[i]! })), { out: g.total, inp: input.total }];
        for (const { out, inp } of all) {
          for (const col of ['targets', 'vaccinated'] as const) {
            const c = out[col];
            if (!c.suppressed) {
              expect(c.value).toBe(inp[col]);
              expect(c.value === 0 || c.value >= threshold).toBe(true);
            }
          }
          if (out.targets.suppressed) expect(out.vaccinated.suppressed).toBeTruthy();
        }
        for (const col of ['targets', 'vaccinated'] as const) {
          if (!g.total[col].suppressed) expect(g.bands.filter((b) => b[col].suppressed).length).not.toBe(1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
