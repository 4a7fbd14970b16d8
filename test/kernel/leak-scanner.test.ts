import { describe, expect, it } from 'vitest';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { findMyNumbers, myNumberForms } from '../harness/leaks.js';
import { redactMyNumbers } from '../../src/kernel/log/index.js';

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
    // Hex ids with a 12-digit run are blanked like UUIDs; a number next to one is still found.
    expect(findMyNumbers(`"kekId":"mk-ab${n}cd","serial":"${n}0a0b0c0d"`)).toEqual([]);
    expect(findMyNumbers(`mk-ab${n}cd ${n}`)).toEqual([20]);
    // bytea as PostgreSQL prints it in a row cast to text (a blind index): blanked too.
    expect(findMyNumbers(`(mhlw-isei,"\\\\xab${n}cd01",C0123)`)).toEqual([]);
    expect(findMyNumbers(`\\x${n}`)).toHaveLength(1);
    const wrong = n.slice(0, 11) + String((Number(n.at(-1)) + 1) % 10);
    expect(findMyNumbers(wrong)).toEqual([]);
  });

  // Decision 0124: '+', irregular grouping, full-width and percent-encoding, in the scan and the redactor.
  it('finds and the log redactor masks every form a number may be written in', () => {
    for (const f of myNumberForms(n)) {
      expect(findMyNumbers(`"url":"/x?q=${f}&y=1"`), f).toHaveLength(1);
      expect(redactMyNumbers(`"url":"/x?q=${f}&y=1"`), f).toBe('"url":"/x?q=[個人番号]&y=1"');
    }
    // Timestamps, phone numbers and longer runs are left alone.
    for (const t of ['"time":"2026-12-05T03:08:07.123Z"', '2026-11-21T10:00:00+09:00', '0857-22-8111', `1${n}`, `${n.slice(0, 6)} ${n.slice(6)} 1`]) expect(redactMyNumbers(t)).toBe(t);
  });
});
