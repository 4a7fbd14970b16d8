// The 接種券's barcode decodes back to the voucher number: pages rendered to pixels by poppler's pdftoppm
// at 300 dpi (a desk scanner's resolution) and read by ZXing, the barcode library scanners are built on.
import { describe, expect, it } from 'vitest';
import { checkVoucherNumber, DEFAULT_TEMPLATES, formatVoucherNumber, renderDocuments, SAMPLE_MUNICIPALITY, syntheticDocumentItems } from '../../../src/municipality/documents/index.js';
import { decodeBarcode, readText, renderGray } from './read-pdf.js';
import { VOUCHER } from '../../../src/municipality/documents/questionnaire.js';

/**
 * Inside the 接種券 frame of the 予診票 (mm from the top-left), around the barcode and its quiet zones.
 * The frame itself stays out: @zxing/library 0.21's CODE128 start-pattern search (a port of ZXing's
 * Java) shrinks its counter array when it has to slide past an earlier dark mark on the same row
 * (`Int32Array.slice` where Java copies in place), so a frame line left of the symbol makes it misread.
 * Hardware scanners and ZXing itself have no such trouble; 0.22+ (which may fix it) needs Node 24.
 * Taken from the layout's own geometry: the bars with a little white around them.
 */
const VOUCHER_AREA = { x: VOUCHER.x + 1, y: VOUCHER.barTop - 0.5, w: VOUCHER.w - 2, h: VOUCHER.barH + 1 };

describe('voucher barcode', () => {
  it('each page’s CODE128 decodes to that person’s voucher number, which is also printed as text', async () => {
    const items = syntheticDocumentItems(4, { seed: 'barcode', firstSerial: 987_654_320 });
    const pdf = await renderDocuments('questionnaire', DEFAULT_TEMPLATES.questionnaire, items, { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' });
    const pages = await readText(pdf);
    for (let i = 0; i < items.length; i++) {
      const decoded = decodeBarcode(renderGray(pdf, i + 1, VOUCHER_AREA));
      expect(decoded, `page ${i + 1}`).not.toBeNull();
      expect(decoded!.format).toBe('CODE_128');
      expect(decoded!.text).toBe(items[i]!.voucherNumber);
      expect(checkVoucherNumber(decoded!.text)).toMatchObject({ ok: true, parts: { orgCode: '312011', fiscalYear: 2026, serial: 987_654_320 + i } });
      expect(pages[i]).toContain('接種券番号');
      expect(pages[i]).toContain(formatVoucherNumber(decoded!.text));
    }
  });

  it('still decodes from a low-resolution fax-like rendering (200 dpi)', async () => {
    const [item] = syntheticDocumentItems(1, { seed: 'fax' });
    const pdf = await renderDocuments('questionnaire', DEFAULT_TEMPLATES.questionnaire, [item!], { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' });
    expect(decodeBarcode(renderGray(pdf, 1, VOUCHER_AREA, 200))?.text).toBe(item!.voucherNumber);
  });
});
