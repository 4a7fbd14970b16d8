// The 予診票（接種券） as the resident and the clinic read it (decision 0101): the 接種券番号 sits inside its
// own box at the printed size with room on both sides, whatever its digits; the period in which the dose
// can be given is printed in 和暦 from–until; nothing on the page overlaps.  Read back with pdf.js.
import { describe, expect, it } from 'vitest';
import { isProblem } from '../../../src/kernel/problems/index.js';
import { DEFAULT_TEMPLATES, formatVoucherNumber, makeVoucherNumber, Painter, renderDocument, SAMPLE_MUNICIPALITY, type DocumentItem } from '../../../src/municipality/documents/index.js';
import { PERIOD, VOUCHER } from '../../../src/municipality/documents/questionnaire.js';
import { overlaps, readLayout, type Box, type PageLayout, type TextBox } from './read-pdf.js';

const options = { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' };

const item = (voucherNumber: string, period: { from: string; until: string } | null = { from: '2026-04-01', until: '2027-03-31' }): DocumentItem => ({
  person: { name: '長谷川　慎之介右衛門之丞', kana: 'ハセガワ　シンノスケウエモンノジョウ', birthDate: '2020-07-04', sex: 'female', postalCode: '680-0011', address: '鳥取県鳥取市東町一丁目220番地' },
  guardianName: '長谷川　一郎',
  program: { name: '麻しん風しん混合（MR）', dose: '第2期', ...(period ? { period } : {}) },
  voucherNumber,
  referenceNumber: 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345-6789',
});

/** The smallest drawn rectangle (not a line, not a bar) around a text's centre. */
function boxAround(page: PageLayout, t: Box): Box {
  const cx = (t.left + t.right) / 2;
  const cy = (t.top + t.bottom) / 2;
  const rects = page.paths.filter((p) => p.right - p.left > 5 && p.bottom - p.top > 3 && p.left < cx && cx < p.right && p.top < cy && cy < p.bottom);
  expect(rects.length).toBeGreaterThan(0);
  return rects.sort((a, b) => (a.right - a.left) * (a.bottom - a.top) - (b.right - b.left) * (b.bottom - b.top))[0]!;
}

/** The vertical rule dividing a box into a label cell and a value cell. */
function divider(page: PageLayout, box: Box): number {
  const v = page.paths.find((p) => p.right - p.left < 0.1 && p.left > box.left + 1 && p.left < box.right - 1 && Math.abs(p.top - box.top) < 0.1 && Math.abs(p.bottom - box.bottom) < 0.1);
  expect(v, 'the box has a label cell').toBeDefined();
  return v!.left;
}

function find(page: PageLayout, s: string): TextBox {
  const t = page.texts.find((x) => x.str === s);
  expect(t, `「${s}」 printed as one text`).toBeDefined();
  return t!;
}

function noOverlaps(page: PageLayout): void {
  for (let a = 0; a < page.texts.length; a++) {
    for (let b = a + 1; b < page.texts.length; b++) {
      expect(overlaps(page.texts[a]!, page.texts[b]!), `「${page.texts[a]!.str}」 overlaps 「${page.texts[b]!.str}」`).toBe(false);
    }
  }
  // No drawn line (or bar) runs through a text.
  const thin = page.paths.filter((p) => p.right - p.left < 0.5 || p.bottom - p.top < 0.5);
  for (const t of page.texts) for (const r of thin) expect(overlaps(t, r, 0.02), `a line crosses 「${t.str}」`).toBe(false);
}

describe('予診票: the 接種券番号 box (decision 0101)', () => {
  const n = VOUCHER.number;

  it('the widest number any serial can make fits the number cell at the printed size with the margins', () => {
    const p = Painter.measuring();
    const room = n.w - n.labelW - 2 * n.minMargin;
    // Every digit in every place (widest of BIZ UDPGothic's proportional digits), as formatVoucherNumber prints it.
    for (const d of '0123456789') {
      for (const c of '0123456789') {
        const widest = `${d.repeat(6)}-${d.repeat(2)}-${d.repeat(9)}-${c}`;
        expect(p.width(widest, { size: n.numberSize }), widest).toBeLessThanOrEqual(room);
      }
    }
    expect(formatVoucherNumber(makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 5 }))).toMatch(/^\d{6}-\d{2}-\d{9}-\d$/);
    expect(p.width('接種券番号', { size: 7 })).toBeLessThanOrEqual(n.labelW - 1);
  });

  for (const serial of [5, 888_888_888, 111_111_111, 999_999_999]) {
    it(`serial ${serial}: the number's text lies inside the drawn number box, right of the label cell, with margins`, async () => {
      const number = makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial });
      const [page] = await readLayout(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, item(number), options));
      const t = find(page!, formatVoucherNumber(number));
      expect(t.size).toBe(n.numberSize);
      const box = boxAround(page!, t);
      const split = divider(page!, box);
      expect(box.left).toBeCloseTo(n.x, 1);
      expect(box.right - box.left).toBeCloseTo(n.w, 1);
      expect(t.left - split, 'left margin').toBeGreaterThanOrEqual(n.minMargin);
      expect(box.right - t.right, 'right margin').toBeGreaterThanOrEqual(n.minMargin);
      expect(t.top - box.top, 'top margin').toBeGreaterThanOrEqual(1);
      expect(box.bottom - t.bottom, 'bottom margin').toBeGreaterThanOrEqual(1);
      const label = find(page!, '接種券番号');
      expect(label.left).toBeGreaterThanOrEqual(box.left + 0.5);
      expect(label.right).toBeLessThanOrEqual(split - 0.5);
      // The number box and everything else in the 接種券 stay inside the 接種券 frame.
      expect(box.left).toBeGreaterThanOrEqual(VOUCHER.x);
      expect(box.right).toBeLessThanOrEqual(VOUCHER.x + VOUCHER.w);
      expect(box.bottom).toBeLessThanOrEqual(VOUCHER.top + VOUCHER.h);
      noOverlaps(page!);
    });
  }
});

describe('予診票: 接種できる期間 (decision 0101)', () => {
  it('prints the window from–until in 和暦 inside the period box, right of its label', async () => {
    const [page] = await readLayout(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, item(makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 7 })), options));
    const t = find(page!, '令和8年4月1日から令和9年3月31日まで');
    const box = boxAround(page!, t);
    const split = divider(page!, box);
    expect(t.size).toBe(PERIOD.size);
    expect(t.left).toBeGreaterThan(split);
    expect(t.right).toBeLessThanOrEqual(box.right - 1);
    const label = find(page!, '接種できる期間');
    expect(label.right).toBeLessThanOrEqual(split);
    noOverlaps(page!);
  });

  it('the longest period (two-digit era years, months and days) prints at full size', async () => {
    const p = Painter.measuring();
    expect(p.width('令和10年12月28日から令和11年12月27日まで', { size: PERIOD.size, bold: true })).toBeLessThanOrEqual(PERIOD.w - PERIOD.labelW - 4);
    const [page] = await readLayout(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, item(makeVoucherNumber({ orgCode: '312011', fiscalYear: 2028, serial: 7 }), { from: '2028-12-28', until: '2029-12-27' }), { ...options, issueDate: '2028-12-01' }));
    expect(find(page!, '令和10年12月28日から令和11年12月27日まで').size).toBe(PERIOD.size);
  });

  it('a 予診票 without the period is refused, naming the field', async () => {
    const e = await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, item(makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 7 }), null), options).then(
      () => null,
      (x: unknown) => x,
    );
    expect(isProblem(e), String(e)).toBe(true);
    expect(JSON.stringify((e as { errors?: unknown }).errors ?? e)).toContain('items.0.program.period');
  });
});
