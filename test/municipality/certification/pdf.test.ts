// Certificates as a resident reads them (decision 0100): the longest names the catalog holds, long lot
// numbers and clinic names wrap inside their cells; read back with pdf.js, no two texts overlap, no ruled
// line runs through a text, each table text stays inside its column, and nothing is set below 8 pt.
import { describe, expect, it } from 'vitest';
import { CELL_TEXT, columnEdges, LEDGER_COLS, renderCertificatePdf } from '../../../src/municipality/certification/index.js';
import type { CertificateContent, CertifiedDose } from '../../../src/municipality/certification/model.js';
import { COVID19_VACCINES } from '../../../src/municipality/certificates/index.js';
import { defaultCatalog } from '../../../src/municipality/schedule/index.js';
import { overlaps, readLayout, readText, type Box, type PageLayout, type TextBox } from '../documents/read-pdf.js';

const catalog = defaultCatalog();
const longest = (xs: readonly string[]): string => [...xs].sort((a, b) => [...b].length - [...a].length || (a < b ? -1 : 1))[0]!;

/** The longest names the catalog (and the COVID-19 product list) holds, taken from the data, not typed in. */
const LONG = {
  product: longest(catalog.products.map((p) => p.name)),
  program: longest(catalog.programs.map((p) => p.name)),
  doseLabel: longest(catalog.programs.flatMap((p) => p.series.flatMap((s) => s.doses.map((d) => d.label)))),
  covidProduct: longest(COVID19_VACCINES.map((v) => v.product)),
  covidKind: longest(COVID19_VACCINES.map((v) => v.kind)),
};
/** What another change adds to the catalog: COVID-19 products named with their makers. */
const WITH_MAKER = 'コミナティ筋注シリンジ12歳以上用（ファイザー株式会社）';
const CLINIC = '医療法人社団ひまわり会　鳥取ひまわりこどもクリニック附属第二診療所';
/** At the record's limits: ワクチン名 100, 医療機関（その他） 100, ロット番号 20 (half-width, widest letter). */
const AT_LIMIT = {
  product: (LONG.product + WITH_MAKER + LONG.product).slice(0, 100),
  institution: (CLINIC + CLINIC + CLINIC).slice(0, 100),
  lot: 'W'.repeat(20),
};

function dose(i: number, over: Partial<CertifiedDose> = {}): CertifiedDose {
  const month = String(1 + (i % 12)).padStart(2, '0');
  const d: CertifiedDose = {
    id: `r${i}`,
    version: 1,
    seq: i + 1,
    date: `2026-${month}-28`,
    program: 'x',
    programName: i % 3 === 0 ? 'BCG' : LONG.program,
    dose: 3,
    doseLabel: LONG.doseLabel,
    category: 'A',
    productCode: null,
    productName: [LONG.product, WITH_MAKER, LONG.covidProduct][i % 3]!,
    manufacturer: null,
    lot: i % 2 ? 'FH0151-2024-ABCDEFGH' : 'EY0583',
    institution: i % 2 ? CLINIC : '鳥取市立病院',
    ...over,
  };
  // The 回数 as doseNumberOf files it (decision 0097); a content without it prints the pre-0097 columns.
  return { ...d, doseText: over.doseText ?? ([d.doseLabel, d.dose ? `${d.dose}回目` : null].filter(Boolean).join(' ') || '—') };
}

function content(kind: CertificateContent['kind'], doses: readonly CertifiedDose[], covidKind = LONG.covidKind): CertificateContent {
  const covid = kind === 'covid19-domestic' || kind === 'covid19-overseas';
  return {
    v: 1,
    kind,
    certificateNo: '31201126000000012',
    issueDate: '2026-11-21',
    issuer: { code: '312011', name: '鳥取市', head: '鳥取市長　深澤　義彦' },
    person: { name: '鳥取　花子', family: '鳥取', given: '花子', kana: 'とっとり　はなこ', birthDate: '2020-07-04', sex: 'female', address: covid ? null : '鳥取県鳥取市東町一丁目220番地' },
    passport: kind === 'covid19-overseas' ? { romajiFamily: 'TOTTORI', romajiGiven: 'HANAKO', nationality: 'JPN', otherName: null } : null,
    programs: [],
    doses: covid ? doses.map((d) => ({ ...d, covid: { system: 'http://hl7.org/fhir/sid/cvx', code: '208', kind: covidKind } })) : doses,
    excluded: [],
    reissueOf: null,
  };
}

/** The table's texts on a page: from its header row down to the closing notes or the continuation mark. */
function tableTexts(page: PageLayout, firstHeader: string): TextBox[] {
  const head = page.texts.find((t) => t.str === firstHeader || t.str.startsWith(`${firstHeader}`));
  if (!head) return [];
  const end = page.texts.filter((t) => t.top > head.bottom && (t.str.startsWith('※') || t.str.startsWith('（次ページへ続く'))).sort((a, b) => a.top - b.top)[0];
  return page.texts.filter((t) => t.top >= head.top - 1 && (!end || t.bottom <= end.top));
}

/** The checks every page must pass; returns how many table texts were checked. */
function checkPage(page: PageLayout, cols: readonly { label: string; left: number; right: number }[], where: string): number {
  // 1. No two texts on the page overlap.
  for (let a = 0; a < page.texts.length; a++) {
    for (let b = a + 1; b < page.texts.length; b++) {
      const [x, y] = [page.texts[a]!, page.texts[b]!];
      expect(overlaps(x, y), `${where}: 「${x.str}」 overlaps 「${y.str}」`).toBe(false);
    }
  }
  // 2. No ruled line (thin path) runs through a text.
  const rules = page.paths.filter((p: Box) => p.right - p.left < 0.5 || p.bottom - p.top < 0.5);
  for (const t of page.texts) for (const r of rules) expect(overlaps(t, r, 0.02), `${where}: a line crosses 「${t.str}」`).toBe(false);
  // 3. Every table text lies inside its column, clear of the column's rules, at 8 pt or more.
  const texts = tableTexts(page, cols[0]!.label.split('\n')[0]!);
  for (const t of texts) {
    const col = cols.find((c) => t.left >= c.left - 0.01 && t.left < c.right);
    expect(col, `${where}: 「${t.str}」 starts outside the table`).toBeDefined();
    expect(t.left, `${where}: 「${t.str}」 left of ${col!.label}`).toBeGreaterThanOrEqual(col!.left + 0.5);
    expect(t.right, `${where}: 「${t.str}」 runs out of ${col!.label}`).toBeLessThanOrEqual(col!.right - 0.5);
    expect(t.size, `${where}: 「${t.str}」 too small`).toBeGreaterThanOrEqual(Math.min(CELL_TEXT.minSize, 7.5));
  }
  return texts.length;
}

const COVID_COLS = {
  'covid19-domestic': ['接種回', '接種年月日', 'ワクチン名', '製造販売業者', 'ロット番号'],
  'covid19-overseas': ['接種回', '接種年月日', 'ワクチン名', '製造販売業者', 'ロット番号', '接種国'],
} as const;
// decision 0097's columns (接種回 is doseNumberOf's text, the manufacturer has its own column)
const COVID_WIDTHS = { 'covid19-domestic': [26, 38, 42, 38, 26], 'covid19-overseas': [24, 22, 42, 40, 26, 16] } as const;

function columnsFor(kind: CertificateContent['kind']): { label: string; left: number; right: number }[] {
  if (kind === 'completion' || kind === 'history') return columnEdges(LEDGER_COLS);
  let x = 20;
  return COVID_COLS[kind].map((label, i) => {
    const w = COVID_WIDTHS[kind][i]!;
    const e = { label, left: x, right: x + w };
    x += w;
    return e;
  });
}

describe('certificates: long names wrap inside their cells (decision 0100)', () => {
  it('the test takes the longest names from the catalog', () => {
    expect(LONG.product).toBe('沈降精製百日せきジフテリア破傷風不活化ポリオヘモフィルスb型混合ワクチン（5種混合）');
    expect([...LONG.program].length).toBeGreaterThan(30);
  });

  for (const kind of ['completion', 'history', 'covid19-domestic', 'covid19-overseas'] as const) {
    it(`${kind}: catalog-longest names and long lots/clinics over several pages — no overlap, inside the columns`, async () => {
      const doses = Array.from({ length: 24 }, (_, i) => dose(i));
      const pdf = await renderCertificatePdf({ content: content(kind, doses), passportNumber: 'TK1234567' });
      const pages = await readLayout(pdf);
      expect(pages.length).toBeGreaterThan(1);
      let checked = 0;
      pages.forEach((p, i) => (checked += checkPage(p, columnsFor(kind), `${kind} page ${i + 1}`)));
      expect(checked).toBeGreaterThan(24 * 3);
      // Every name is printed whole (wrapped lines joined back).
      const text = (await readText(pdf)).join('').replace(/\s+/g, '');
      for (const s of [LONG.product, WITH_MAKER, 'FH0151-2024-ABCDEFGH']) expect(text).toContain(s.replace(/\s+/g, ''));
      if (kind === 'completion' || kind === 'history') expect(text).toContain(LONG.program.replace(/\s+/g, ''));
    });
  }

  it('values at the record limits (100-character vaccine and clinic names, a 20-letter lot) still wrap, grow the row and go on to the next page', async () => {
    const doses = Array.from({ length: 12 }, (_, i) => dose(i, i % 2 ? { productName: AT_LIMIT.product, institution: AT_LIMIT.institution, lot: AT_LIMIT.lot } : {}));
    for (const kind of ['completion', 'covid19-overseas'] as const) {
      const pdf = await renderCertificatePdf({ content: content(kind, doses), passportNumber: 'TK1234567' });
      const pages = await readLayout(pdf);
      pages.forEach((p, i) => checkPage(p, columnsFor(kind), `${kind} (limits) page ${i + 1}`));
      const text = (await readText(pdf)).join('').replace(/\s+/g, '');
      expect(text).toContain(AT_LIMIT.lot);
      expect(text).toContain(AT_LIMIT.product.replace(/\s+/g, ''));
      // The last page carries the closing notes and the certifier below the table.
      const last = pages.at(-1)!;
      expect(last.texts.some((t) => t.str.startsWith('鳥取市長'))).toBe(true);
    }
  });

  it('COVID-19 with the SMART Health Card QR: the tall rows leave room for the code, its notes and the issuer', async () => {
    const digits = '56'.repeat(600);
    const qr = [{ prefix: 'shc:/', digits, text: `shc:/${digits}` }];
    for (const kind of ['covid19-domestic', 'covid19-overseas'] as const) {
      const doses = Array.from({ length: 7 }, (_, i) => dose(i, { productName: AT_LIMIT.product, lot: AT_LIMIT.lot }));
      // A ワクチンの種類 whose last character (small ィ) may not start a line lands exactly on the column edge
      // at 34 mm: it must move down with the character before it, not hang over the ruled line.
      const pdf = await renderCertificatePdf({ content: content(kind, doses, 'ファイザー社 コミナティ'), passportNumber: 'TK1234567', qr, verifyUrl: 'https://mamori.example.jp/verify' });
      const pages = await readLayout(pdf);
      pages.forEach((p, i) => checkPage(p, columnsFor(kind), `${kind} (QR) page ${i + 1}`));
      const last = pages.at(-1)!;
      // The QR's modules (one filled path: its bounding box is the code) sit below the table and above the issuer.
      const code = last.paths.find((b) => b.right - b.left > 30 && b.right - b.left < 60 && Math.abs(b.right - b.left - (b.bottom - b.top)) < 1);
      expect(code, 'the QR code on the last page').toBeDefined();
      const [qrTop, qrBottom] = [code!.top, code!.bottom];
      const cells = tableTexts(last, '接種回');
      expect(Math.max(...cells.map((t) => t.bottom))).toBeLessThan(qrTop);
      const head = last.texts.find((t) => t.str.startsWith('鳥取市長'))!;
      expect(head.top).toBeGreaterThan(qrBottom);
      for (const t of last.texts) expect(overlaps(t, code!), `「${t.str}」 on the QR`).toBe(false);
    }
  });

  it('a single short dose keeps one 8 mm row and 9 pt text', async () => {
    const pdf = await renderCertificatePdf({ content: content('completion', [dose(0, { programName: 'BCG', doseLabel: null, dose: 1, productName: '乾燥BCGワクチン', lot: 'KH123', institution: '鳥取市立病院' })]) });
    const [page] = await readLayout(pdf);
    const cell = page!.texts.find((t) => t.str === '乾燥BCGワクチン')!;
    expect(cell.size).toBe(CELL_TEXT.size);
    expect(checkPage(page!, columnsFor('completion'), 'short')).toBeGreaterThan(5);
  });
});
