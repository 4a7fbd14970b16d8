// The certificates on A4 paper (decision 0073), drawn with the documents room's PDF primitives (BIZ
// UDPGothic subsets, millimetre painter; the same inputs give the same bytes):
// - 予防接種済証明書 / 予防接種記録証明書: 証明書番号, 発行日 (和暦), the person (住所 unless 支援措置, ふりがな,
//   氏名, 生年月日 in 和暦, 性別), the statement, a 記 table of the doses (予防接種の種類, 回数, 接種年月日 in 和暦,
//   ワクチン, ロット番号, 接種医療機関) over as many pages as needed, notes (excluded records, reissue), and the
//   municipality's head as the certifier with the 公印 box;
// - 新型コロナウイルス感染症予防接種証明書 (国内用 in Japanese, 海外用 bilingual with the passport items), with the
//   SMART Health Card printed as vector QR code(s), as Japan's paper certificate carried it.
import { formatWareki } from '../../kernel/jp/index.js';
import { MM, PAGE_H, Painter, PdfBuilder, wrap, type TextStyle } from '../documents/index.js';
import type { QrChunk } from '../certificates/index.js';
import { shcModule } from './lazy.js';
import { formatCertificateNumber } from './number.js';
import { EXCLUSION_LABELS, isCovidKind, type CertificateContent, type CertifiedDose } from './model.js';

export interface RenderInput {
  readonly content: CertificateContent;
  /** 海外用 only: printed on the certificate, never stored in clear. */
  readonly passportNumber?: string | undefined;
  /** COVID-19 only: the card's QR text(s). */
  readonly qr?: readonly QrChunk[] | undefined;
  /** Where a holder or a venue can check the card (printed under the QR), e.g. https://…/verify. */
  readonly verifyUrl?: string | undefined;
  /** A character the font lacks (printed as 〓). */
  readonly onMissing?: (codePoint: number) => void;
}

const L = 20;
const R = 190;
const W = R - L;
const FOOTER_TOP = 287;

export const CERTIFICATE_TITLES = {
  completion: '予防接種済証明書',
  history: '予防接種記録証明書',
  'covid19-domestic': '新型コロナウイルス感染症 予防接種証明書',
  'covid19-overseas': '新型コロナウイルス感染症 予防接種証明書',
} as const;

const SEX = { male: '男', female: '女' } as const;

interface Column {
  readonly label: string;
  readonly width: number;
  readonly value: (d: CertifiedDose) => string;
  readonly align?: 'left' | 'center';
}

/**
 * Table text (decision 0100): 9 pt, wrapped by measured width inside the cell; a cell that would take more
 * than two lines at 9 pt is set at 8 pt — the smallest size a certificate's table prints, never smaller —
 * and a row grows to hold the tallest cell.  Nothing is shrunk to fit a fixed row or clipped.
 */
export const CELL_TEXT = { size: 9, minSize: 8, lineHeight: 1.22, padX: 1.2, padY: 1.2, minRowHeight: 8 } as const;

interface CellText {
  readonly lines: readonly string[];
  readonly size: number;
}

/** The lines of one cell `width` mm wide (inside its padding). */
function layoutCell(p: Painter, text: string, width: number): CellText {
  if (text === '') return { lines: [], size: CELL_TEXT.size };
  const t = p.clean(text);
  const at = (size: number): string[] => wrap(p.regular, t, size, width * MM, { hang: false });
  const lines = at(CELL_TEXT.size);
  if (lines.length <= 2) return { lines, size: CELL_TEXT.size };
  const small = at(CELL_TEXT.minSize);
  return small.length < lines.length ? { lines: small, size: CELL_TEXT.minSize } : { lines, size: CELL_TEXT.size };
}

const lineStep = (size: number): number => (size * CELL_TEXT.lineHeight) / MM;

/** Every row's cells laid out, and the row heights in mm. */
function layoutRows(p: Painter, cols: readonly Column[], rows: readonly CertifiedDose[]): { cells: CellText[][]; heights: number[] } {
  const cells = rows.map((d) => cols.map((c) => layoutCell(p, c.value(d), c.width - 2 * CELL_TEXT.padX)));
  const heights = cells.map((row) => Math.max(CELL_TEXT.minRowHeight, ...row.map((c) => c.lines.length * lineStep(c.size) + 2 * CELL_TEXT.padY)));
  return { cells, heights };
}

/**
 * Splits rows of the given heights over pages: a page takes rows while they fit its table room
 * (`room(page, last)` in mm, `last` = the page that also carries the closing notes); the remaining rows go
 * on the last page when they fit its smaller room.  Every page takes at least one row, and the last page
 * keeps at least one (a row too tall for the last page's room leaves the notes a page of their own).
 */
export function paginateRows(heights: readonly number[], room: (page: number, last: boolean) => number): number[][] {
  const pages: number[][] = [];
  let next = 0;
  for (let page = 0; ; page++) {
    if (page > 10_000) throw new Error('pagination does not progress');
    const rest = heights.slice(next).reduce((a, b) => a + b, 0);
    if (rest <= room(page, true) + 0.01) {
      pages.push(Array.from({ length: heights.length - next }, (_, i) => next + i));
      return pages;
    }
    const cap = room(page, false);
    let used = 0;
    let take = 0;
    while (next + take < heights.length && used + heights[next + take]! <= cap + 0.01) used += heights[next + take++]!;
    // Leave at least one row to go with the closing notes; a single row too tall for that goes alone.
    take = Math.max(1, Math.min(take, heights.length - next - 1));
    pages.push(Array.from({ length: take }, (_, i) => next + i));
    next += take;
    if (next >= heights.length) {
      pages.push([]);
      return pages;
    }
  }
}

/** The table's columns as drawn: left and right edges in mm from the page's left edge (for tests and checks). */
export function columnEdges(cols: readonly Column[]): { label: string; left: number; right: number }[] {
  let x = L;
  return cols.map((c) => {
    const e = { label: c.label, left: x, right: x + c.width };
    x += c.width;
    return e;
  });
}

function table(p: Painter, top: number, cols: readonly Column[], cells: readonly (readonly CellText[])[], heights: readonly number[], o: { headH: number; headSize: number }): number {
  p.lineWidth(0.3);
  const total = cols.reduce((a, c) => a + c.width, 0);
  const height = o.headH + heights.reduce((a, b) => a + b, 0);
  p.box(L, top, total, height);
  p.hline(L, L + total, top + o.headH);
  const rowTops: number[] = [];
  let y = top + o.headH;
  for (const h of heights) {
    if (rowTops.length > 0) p.hline(L, L + total, y);
    rowTops.push(y);
    y += h;
  }
  let x = L;
  for (const [i, c] of cols.entries()) {
    if (i > 0) p.vline(x, top, top + height);
    const lines = c.label.split('\n');
    lines.forEach((l, j) => p.fitText(x + 1, top + (o.headH - lines.length * o.headSize * 0.42) / 2 + j * o.headSize * 0.42, c.width - 2, l, { size: o.headSize, bold: true }, o.headSize * 0.6, 'center'));
    const inner = c.width - 2 * CELL_TEXT.padX;
    cells.forEach((row, r) => {
      const cell = row[i]!;
      const step = lineStep(cell.size);
      const blockTop = rowTops[r]! + (heights[r]! - cell.lines.length * step) / 2;
      cell.lines.forEach((l, k) => {
        const lineTop = blockTop + k * step + (step - cell.size / MM) / 2;
        if ((c.align ?? 'left') === 'center') p.text(x + CELL_TEXT.padX + (inner - p.width(l, { size: cell.size })) / 2, lineTop, l, { size: cell.size });
        else p.text(x + CELL_TEXT.padX, lineTop, l, { size: cell.size });
      });
    });
    x += c.width;
  }
  return top + height;
}

/** Label | value rows in a box; returns the bottom. */
function itemBox(p: Painter, top: number, labelW: number, items: readonly (readonly [string, string, TextStyle & { h: number }])[]): number {
  p.lineWidth(0.3);
  const height = items.reduce((a, [, , s]) => a + s.h, 0);
  p.box(L, top, W, height);
  p.vline(L + labelW, top, top + height);
  let y = top;
  items.forEach(([label, value, st], i) => {
    if (i > 0) p.hline(L, R, y);
    const ls = Math.min(9.5, st.size);
    const lines = label.split('\n');
    lines.forEach((l, j) => p.fitText(L + 1.5, y + (st.h - lines.length * ls * 0.42) / 2 + j * ls * 0.42, labelW - 3, l, { size: ls }, ls * 0.6));
    // A value too long for one line (a long address, the 海外用 issuer) wraps to two lines of 8–9 pt before
    // anything shrinks.
    p.fitRow(L + labelW + 2, y, W - labelW - 4, st.h, value, st, [9, 8.5, 8].filter((z) => z < st.size), st.size * 0.5);
    y += st.h;
  });
  return y;
}

function paragraphs(p: Painter, top: number, texts: readonly string[], height: number, sizes: readonly number[] = [10, 9.5, 9, 8.5, 8, 7.5]): number {
  if (texts.length === 0) return top;
  const fit = p.fitParagraphs(texts, W, height, sizes, 1.5, 0.3) ?? p.fitParagraphs(texts, W, 1000, [7.5], 1.5, 0.3)!;
  return top + p.drawLines(L, top, fit.lines, fit.size, 1.5, 0.3);
}

function footer(p: Painter, c: CertificateContent, page: number, pages: number): void {
  p.text(L, FOOTER_TOP, `証明書番号 ${formatCertificateNumber(c.certificateNo)}`, { size: 7 });
  p.textRight(R, FOOTER_TOP, `${page} / ${pages}`, { size: 7 });
}

function issuerBlock(p: Painter, c: CertificateContent, top: number, seal: boolean): void {
  const right = seal ? R - 22 : R;
  p.textRight(right, top, formatWareki(c.issueDate), { size: 10.5 });
  p.textRight(right, top + 8, c.issuer.head, { size: 14, bold: true });
  if (seal) {
    p.lineWidth(0.3);
    p.box(R - 17, top + 1, 16, 16);
    p.textCenter(R - 9, top + 6.5, '印', { size: 10 });
  }
}

/** The QR code(s) as vector modules with the 4-module quiet zone; returns the bottom. */
type QrMatrix = (chunk: QrChunk) => { readonly size: number; dark(row: number, col: number): boolean };

function drawQrs(p: Painter, qrMatrix: QrMatrix, chunks: readonly QrChunk[], x: number, top: number, size: number): number {
  let left = x;
  for (const chunk of chunks) {
    const m = qrMatrix(chunk);
    const mod = size / (m.size + 8);
    const rects: [number, number, number, number][] = [];
    for (let r = 0; r < m.size; r++) {
      let start = -1;
      for (let col = 0; col <= m.size; col++) {
        const dark = col < m.size && m.dark(r, col);
        if (dark && start < 0) start = col;
        if (!dark && start >= 0) {
          rects.push([(left + (4 + start) * mod) * MM, PAGE_H - (top + (4 + r + 1) * mod) * MM, (col - start) * mod * MM, mod * MM]);
          start = -1;
        }
      }
    }
    p.ops.gray(0);
    p.ops.fillRects(rects);
    left += size + 4;
  }
  return top + size;
}

// ------------------------------------------------------------------ 予防接種済証明書 / 予防接種記録証明書

/** 回数 as the staff screens print it (decision 0097); certificates issued before doseText existed rebuild it. */
export const printedDose = (d: CertifiedDose): string => (d.doseText ?? [d.doseLabel, d.dose ? `${d.dose}回目` : null].filter(Boolean).join(' ')) || '—';

/**
 * A content stored before decision 0097 (no doseText) is re-printed with the columns it was issued with
 * (the rows now wrap, decision 0100, so the layout is not byte-identical to the first print).
 */
const issuedBefore0097 = (c: CertificateContent): boolean => c.doses.some((d) => d.doseText === undefined);

const LEDGER_COLS_V1: readonly Column[] = [
  { label: '予防接種の種類', width: 46, value: (d) => d.programName },
  { label: '回数', width: 22, value: printedDose, align: 'center' },
  { label: '接種年月日', width: 32, value: (d) => formatWareki(d.date), align: 'center' },
  { label: 'ワクチン', width: 30, value: (d) => d.productName },
  { label: 'ロット番号', width: 20, value: (d) => d.lot ?? '', align: 'center' },
  { label: '接種医療機関', width: 20, value: (d) => d.institution ?? '' },
];

export const LEDGER_COLS: readonly Column[] = [
  { label: '予防接種の種類', width: 36, value: (d) => d.programName },
  { label: '回数', width: 21, value: printedDose, align: 'center' },
  // 令和10年12月28日 at 9 pt is 29.5 mm: a date always keeps one line.
  { label: '接種年月日', width: 32, value: (d) => formatWareki(d.date), align: 'center' },
  { label: 'ワクチン', width: 41, value: (d) => d.productName },
  { label: 'ロット番号', width: 18, value: (d) => d.lot ?? '', align: 'center' },
  { label: '接種医療機関', width: 22, value: (d) => d.institution ?? '' },
];

function ledgerPages(pdf: PdfBuilder, c: CertificateContent, onMissing?: (cp: number) => void): void {
  const title = `${CERTIFICATE_TITLES[c.kind as 'completion' | 'history']}${c.reissueOf ? '（再交付）' : ''}`;
  const headH = 8;
  const tableBottomLast = 226;
  const tableBottom = 276;
  const boxHeight = (c.person.address ? 10 : 0) + 6.5 + 11 + 9 + 9;
  const firstTop = 42 + boxHeight + 6 + 13 + 10;
  const contTop = 44;
  const cols = issuedBefore0097(c) ? LEDGER_COLS_V1 : LEDGER_COLS;
  const { cells, heights } = layoutRows(new Painter(pdf.ops(), onMissing), cols, c.doses); // lines come back cleaned (〓)
  const pages = paginateRows(heights, (page, last) => (last ? tableBottomLast : tableBottom) - (page === 0 ? firstTop : contTop) - headH);
  pages.forEach((rows, i) => {
    const ops = pdf.ops();
    const p = new Painter(ops, onMissing);
    p.textRight(R, 14, `証明書番号 ${formatCertificateNumber(c.certificateNo)}`, { size: 9 });
    let top: number;
    if (i === 0) {
      p.textCenter(105, 26, title, { size: 18, bold: true });
      const items: [string, string, TextStyle & { h: number }][] = [];
      if (c.person.address) items.push(['住所', c.person.address, { size: 10.5, h: 10 }]);
      items.push(['ふりがな', c.person.kana, { size: 8.5, h: 6.5 }]);
      items.push(['氏名', c.person.name, { size: 13, h: 11 }]);
      items.push(['生年月日', `${formatWareki(c.person.birthDate)}生（${c.person.birthDate.slice(0, 4)}年）`, { size: 10.5, h: 9 }]);
      items.push(['性別', SEX[c.person.sex], { size: 10.5, h: 9 }]);
      const bottom = itemBox(p, 42, 30, items);
      const statement =
        c.kind === 'completion'
          ? '上記の者は、下記のとおり予防接種を受けたことを証明します。'
          : `上記の者の予防接種の記録は、${c.issuer.name}の予防接種台帳に下記のとおり記録されていることを証明します。`;
      paragraphs(p, bottom + 6, [statement], 12, [11, 10.5, 10]);
      p.textCenter(105, firstTop - 7.5, '記', { size: 10.5 });
      top = firstTop;
    } else {
      p.textCenter(105, 22, `${title}（続き）`, { size: 13, bold: true });
      p.text(L, 32, `氏名 ${c.person.name}　生年月日 ${formatWareki(c.person.birthDate)}`, { size: 9.5 });
      top = contTop;
    }
    const end = table(p, top, cols, rows.map((r) => cells[r]!), rows.map((r) => heights[r]!), { headH, headSize: 9 });
    if (i < pages.length - 1) p.textRight(R, end + 3, '（次ページへ続く）', { size: 8.5 });
    else {
      const notes: string[] = [];
      if (c.excluded.length) {
        const why = [...new Set(c.excluded.map((e) => EXCLUSION_LABELS[e.reason]))].join('・');
        notes.push(`次の記録は記載していません（${why}）：${c.excluded.map((e) => e.label).join('、')}`);
      }
      if (c.kind === 'history') notes.push(`この証明書は、${c.issuer.name}の予防接種台帳に記録された接種を記載したものです。記載のない予防接種を受けていないことを証明するものではありません。`);
      else notes.push(`${c.issuer.name}の予防接種台帳の記録に基づき証明します。`);
      if (c.reissueOf) notes.push(`この証明書は、証明書番号 ${formatCertificateNumber(c.reissueOf)} の再交付です。`);
      paragraphs(p, Math.max(end + 5, 231), notes.map((n) => `※ ${n}`), 20, [8.5, 8, 7.5]);
      issuerBlock(p, c, 258, true);
    }
    footer(p, c, i + 1, pages.length);
    pdf.page(ops);
  });
}

// ------------------------------------------------------------------ 新型コロナウイルス感染症予防接種証明書

const isoOrWareki = (overseas: boolean, d: string): string => (overseas ? d : `${formatWareki(d)}（${d}）`);

function covidPages(pdf: PdfBuilder, c: CertificateContent, input: RenderInput, qrMatrix: QrMatrix): void {
  const overseas = c.kind === 'covid19-overseas';
  const qr = input.qr ?? [];
  const cols: readonly Column[] = issuedBefore0097(c)
    ? overseas
      ? [
          { label: '接種回\nDose', width: 16, value: (d) => String(d.seq), align: 'center' },
          { label: '接種年月日\nDate', width: 28, value: (d) => d.date, align: 'center' },
          { label: 'ワクチンの種類\nVaccine', width: 34, value: (d) => d.covid?.kind ?? '' },
          { label: '製品名\nProduct', width: 48, value: (d) => d.productName },
          { label: 'ロット番号\nLot No.', width: 26, value: (d) => d.lot ?? '', align: 'center' },
          { label: '接種国\nCountry', width: 18, value: () => 'JPN', align: 'center' },
        ]
      : [
          { label: '接種回', width: 18, value: (d) => `${d.seq}回目`, align: 'center' },
          { label: '接種年月日', width: 40, value: (d) => isoOrWareki(false, d.date), align: 'center' },
          { label: 'ワクチンの種類', width: 32, value: (d) => d.covid?.kind ?? '' },
          { label: '製品名', width: 50, value: (d) => d.productName },
          { label: 'ロット番号', width: 30, value: (d) => d.lot ?? '', align: 'center' },
        ]
    : overseas
    ? [
        { label: '接種回\nDose', width: 24, value: printedDose, align: 'center' },
        { label: '接種年月日\nDate', width: 22, value: (d) => d.date, align: 'center' },
        { label: 'ワクチン名\nVaccine', width: 42, value: (d) => d.productName },
        { label: '製造販売業者\nManufacturer', width: 40, value: (d) => d.manufacturer ?? d.covid?.kind ?? '' },
        { label: 'ロット番号\nLot No.', width: 26, value: (d) => d.lot ?? '', align: 'center' },
        { label: '接種国\nCountry', width: 16, value: () => 'JPN', align: 'center' },
      ]
    : [
        { label: '接種回', width: 26, value: printedDose, align: 'center' },
        { label: '接種年月日', width: 38, value: (d) => isoOrWareki(false, d.date), align: 'center' },
        { label: 'ワクチン名', width: 42, value: (d) => d.productName },
        { label: '製造販売業者', width: 38, value: (d) => d.manufacturer ?? d.covid?.kind ?? '' },
        { label: 'ロット番号', width: 26, value: (d) => d.lot ?? '', align: 'center' },
      ];
  const headH = overseas ? 10 : 8;
  const qrSize = qr.length > 1 ? 52 : 50;
  const firstTop = overseas ? 130 : 110;
  const contTop = 44;
  const tailHeight = qrSize + 40;
  const { cells, heights } = layoutRows(new Painter(pdf.ops(), input.onMissing), cols, c.doses);
  const pages = paginateRows(heights, (page, last) => (last ? FOOTER_TOP - 6 - tailHeight : 276) - (page === 0 ? firstTop : contTop) - headH);
  const number = formatCertificateNumber(c.certificateNo);
  pages.forEach((rows, i) => {
    const ops = pdf.ops();
    const p = new Painter(ops, input.onMissing);
    p.textRight(R, 14, `${overseas ? 'Certificate ID / ' : ''}証明書ID ${number}`, { size: 9 });
    let top: number;
    if (i === 0) {
      p.textCenter(105, 24, `${CERTIFICATE_TITLES[c.kind]}${c.reissueOf ? '（再交付）' : ''}`, { size: 16, bold: true });
      p.textCenter(105, 33, overseas ? 'Vaccination Certificate for COVID-19（海外用）' : '（国内用）', { size: overseas ? 12 : 11 });
      const romaji = c.passport ? [c.passport.romajiFamily, c.passport.romajiGiven].filter(Boolean).join(' ') : '';
      const items: [string, string, TextStyle & { h: number }][] = overseas
        ? [
            ['氏名\nName', `${romaji}（${c.person.name}）`, { size: 12, h: 11 }],
            ...(c.passport?.otherName ? ([['旧姓・別名\nOther name', c.passport.otherName, { size: 10.5, h: 9 }]] as [string, string, TextStyle & { h: number }][]) : []),
            ['生年月日\nDate of birth', c.person.birthDate, { size: 10.5, h: 9 }],
            ['国籍・地域\nNationality/Region', c.passport?.nationality ?? '', { size: 10.5, h: 9 }],
            ['旅券番号\nPassport No.', input.passportNumber ?? '', { size: 10.5, h: 9 }],
            ['証明書ID\nCertificate ID', number, { size: 10.5, h: 9 }],
            ['発行年月日\nDate of issue', c.issueDate, { size: 10.5, h: 9 }],
            ['発行者\nIssued by', `${c.issuer.head} / Head of the municipality (local government code ${c.issuer.code}), Japan`, { size: 10, h: 9 }],
          ]
        : [
            ['氏名', c.person.name, { size: 13, h: 11 }],
            ['生年月日', isoOrWareki(false, c.person.birthDate), { size: 10.5, h: 9 }],
            ['証明書ID', number, { size: 10.5, h: 9 }],
            ['発行年月日', formatWareki(c.issueDate), { size: 10.5, h: 9 }],
            ['発行者', c.issuer.head, { size: 10.5, h: 9 }],
          ];
      itemBox(p, 42, overseas ? 36 : 30, items);
      p.text(L, firstTop - 6.5, overseas ? '接種記録 / Vaccination record' : '接種記録', { size: 10, bold: true });
      top = firstTop;
    } else {
      p.textCenter(105, 22, `${CERTIFICATE_TITLES[c.kind]}（続き${overseas ? ' / continued' : ''}）`, { size: 13, bold: true });
      p.text(L, 32, `${c.person.name}　${c.person.birthDate}`, { size: 9.5 });
      top = contTop;
    }
    const end = table(p, top, cols, rows.map((r) => cells[r]!), rows.map((r) => heights[r]!), { headH, headSize: overseas ? 7.5 : 9 });
    if (i < pages.length - 1) p.textRight(R, end + 3, overseas ? '（次ページへ続く / continued）' : '（次ページへ続く）', { size: 8.5 });
    else {
      const qrTop = end + 8;
      if (qr.length) drawQrs(p, qrMatrix, qr, L, qrTop, qrSize);
      const noteX = qr.length ? L + qr.length * (qrSize + 4) : L;
      const notes: string[] = [
        qr.length > 1
          ? `二次元コード（${qr.length}枚に分割）は電子署名付きの接種記録（SMART Health Card）です。`
          : '二次元コードは電子署名付きの接種記録（SMART Health Card）です。',
        ...(input.verifyUrl ? [`検証: ${input.verifyUrl}`] : []),
        '氏名・生年月日を旅券等の本人確認書類と照合してください。',
        ...(overseas ? ['The QR code is a SMART Health Card signed by the issuer. Check the name and date of birth against the passport.'] : []),
        ...(c.excluded.length ? [`接種日不明の記録 ${c.excluded.length} 件は日付を証明できないため記載していません。`] : []),
        ...(c.reissueOf ? [`証明書ID ${formatCertificateNumber(c.reissueOf)} の再交付です。`] : []),
      ];
      const width = R - noteX - 2;
      const fit = p.fitParagraphs(notes.map((n) => `※ ${n}`), width, qrSize, [8.5, 8, 7.5, 7], 1.45, 0.25) ?? p.fitParagraphs(notes, width, 1000, [7], 1.45, 0.25)!;
      p.drawLines(noteX + 2, qrTop + 2, fit.lines, fit.size, 1.45, 0.25);
      issuerBlock(p, c, Math.max(qrTop + qrSize + 6, 262), false);
    }
    footer(p, c, i + 1, pages.length);
    pdf.page(ops);
  });
}

/** One certificate as an A4 PDF (deterministic: the same content, passport number and card give the same bytes). */
export async function renderCertificatePdf(input: RenderInput): Promise<Uint8Array> {
  const c = input.content;
  const pdf = await PdfBuilder.create({
    title: `${CERTIFICATE_TITLES[c.kind]} ${formatCertificateNumber(c.certificateNo)}`,
    subject: `${c.issuer.name} ${CERTIFICATE_TITLES[c.kind]}`,
    date: c.issueDate,
  });
  if (isCovidKind(c.kind)) covidPages(pdf, c, input, (await shcModule()).qrMatrix);
  else ledgerPages(pdf, c, input.onMissing);
  return pdf.save();
}
