import { describe, expect, it } from 'vitest';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { findMyNumbers } from '../harness/leaks.js';

describe('the leak scan (KRN-07)', () => {
  const n = syntheticMyNumber('leaks', 0);
  const wide = n.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
  const grouped = `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`;

  it('finds a number bare, full-width, grouped and inside JSON', () => {
    expect(findMyNumbers(`x ${n} y`)).toEqual([2]);
    expect(findMyNumbers(`氏名 ${wide}`)).toHaveLength(1);
    expect(findMyNumbers(`{"q":"${grouped}"}`)).toHaveLength(1);
    expect(findMyNumbers(`${n.slice(0, 4)}　${n.slice(4, 8)}　${n.slice(8)}`)).toHaveLength(1);
  });

  it('ignores UUIDs, longer digit runs and numbers with a wrong check digit', () => {
    expect(findMyNumbers('/notices/jobs/00000000-0000-4000-8000-000000000000')).toEqual([]);
    expect(findMyNumbers(`"reqId":"90c56d86-205c-4249-8880-6550e9c396ae"`)).toEqual([]);
    expect(findMyNumbers(`1${n}`)).toEqual([]);
    const wrong = n.slice(0, 11) + String((Number(n.at(-1)) + 1) % 10);
    expect(findMyNumbers(wrong)).toEqual([]);
  });
});
