// 予防接種予診票（接種券）: one A4 page per person.  Top: title, the instructions and the 接種券 part
// (voucher number as text and CODE128, the encrypted 整理番号).  Then the person (太枠: filled in by the
// person or guardian), the 予診 questions with はい／いいえ and the doctor's column, the doctor's judgement,
// the consent with the statement that the form goes to the municipality and the signature line (VAX-11),
// and the vaccination record filled in by the clinic.
import { formatWareki } from '../../kernel/jp/index.js';
import { code128, QUIET_ZONE_MODULES } from './barcode.js';
import { drawFooter, drawGrid, drawRegion, drawTitle, Overflow, type CompiledTemplate, type DocumentLayout, type Region } from './common.js';
import { wrap, type Painter } from '../../kernel/pdf/index.js';
import { fill, PLACEHOLDER_BY_NAME } from './placeholders.js';
import { MM, PAGE_H } from '../../kernel/pdf/index.js';
import type { DocumentItem, RenderOptions } from './types.js';
import { checkVoucherNumber, formatVoucherNumber } from './voucher.js';

const L = 18;
const R = 192;
const W = R - L;

/** The questions table. */
const Q = { top: 89, header: 6, bottom: 203, textX: 24, textW: 120, answerX: 146, doctorX: 172 } as const;
const Q_SIZES = [8.5, 8, 7.5, 7] as const;
const Q_LINE = 1.3;
const Q_PAD = 2.2;

/**
 * The 接種券 part (decision 0101): a box with the title and the municipality, the CODE128 bars, the number box
 * (a label cell and the number at `numberSize`, with at least `minMargin` mm clear on each side for the
 * widest number) and the 整理番号.
 */
export const VOUCHER = {
  x: 120,
  top: 16,
  w: 72,
  h: 30,
  barTop: 22,
  barH: 10,
  number: { x: 121, top: 33.2, w: 70, h: 6.8, labelW: 14.3, numberSize: 9.5, minMargin: 2 },
  referenceTop: 41.3,
} as const;

/** 接種できる期間 (decision 0101): under the instructions, the window in which the dose can be given. */
export const PERIOD = { x: L, top: 39.6, w: 98, h: 6.4, labelW: 21, size: 9, minSize: 7.5 } as const;

const REGIONS = {
  body: { x: L, top: 16, width: 98, height: 22.8, sizes: [9, 8.5, 8, 7.5], lineHeight: 1.45, gap: 0.2 },
  // Questions: measured row by row (see layoutQuestions); this region is the table's text column.
  questions: { x: Q.textX, top: Q.top + Q.header, width: Q.textW, height: Q.bottom - Q.top - Q.header, sizes: Q_SIZES, lineHeight: Q_LINE },
  consent: { x: 20, top: 225.5, width: 170, height: 10, sizes: [8.5, 8, 7.5, 7], lineHeight: 1.35, gap: 0.1 },
  notes: { x: L, top: 278.3, width: W, height: 7, sizes: [7.5, 7, 6.5], lineHeight: 1.3, gap: 0, bullet: '※' },
  contact: { x: 96, top: 286, width: 96, height: 6, sizes: [7.5, 7, 6.5, 6], lineHeight: 1.25, gap: 0 },
} satisfies Record<string, Region>;

const TITLE = { top: 8.5, size: 14, minSize: 10, width: W };

/** Wraps the questions at the first size at which the whole table fits; null when none does. */
export function layoutQuestions(p: Painter, questions: readonly string[]): { size: number; rows: string[][]; heights: number[] } | null {
  for (const size of Q_SIZES) {
    const rows = questions.map((q) => wrap(p.regular, p.clean(q, false, true), size, Q.textW * MM));
    const step = (size * Q_LINE) / MM;
    const heights = rows.map((r) => r.length * step + Q_PAD);
    const room = Q.bottom - Q.top - Q.header - heights.reduce((a, b) => a + b, 0);
    if (room >= -0.01) {
      // Spread the spare height over the rows (up to 3 mm each): more room to write.
      const extra = Math.min(3, Math.max(0, room) / heights.length);
      return { size, rows, heights: heights.map((h) => h + extra) };
    }
  }
  return null;
}

function drawStatic(p: Painter, t: CompiledTemplate, o: RenderOptions): void {
  const m = o.municipality;
  drawTitle(p, TITLE, t.title, undefined, o);
  drawRegion(p, 'body', REGIONS.body, t.body, undefined, o);

  // 接種できる期間
  p.lineWidth(0.35);
  p.box(PERIOD.x, PERIOD.top, PERIOD.w, PERIOD.h);
  p.lineWidth(0.25);
  p.vline(PERIOD.x + PERIOD.labelW, PERIOD.top, PERIOD.top + PERIOD.h);
  p.fitText(PERIOD.x + 1, PERIOD.top + (PERIOD.h - 7.5 / MM) / 2, PERIOD.labelW - 2, '接種できる期間', { size: 7.5, bold: true }, 6, 'center');

  // 接種券
  p.lineWidth(0.35);
  p.box(VOUCHER.x, VOUCHER.top, VOUCHER.w, VOUCHER.h);
  p.text(VOUCHER.x + 2, VOUCHER.top + 1.3, '接種券', { size: 9, bold: true });
  p.fitText(VOUCHER.x + 20, VOUCHER.top + 1.6, VOUCHER.w - 22, `${m.name}（団体コード ${m.code}）`, { size: 7 }, 5.5, 'right');
  const n = VOUCHER.number;
  p.lineWidth(0.25);
  p.box(n.x, n.top, n.w, n.h);
  p.vline(n.x + n.labelW, n.top, n.top + n.h);
  p.textCenter(n.x + n.labelW / 2, n.top + (n.h - 7 / MM) / 2, '接種券番号', { size: 7 });

  // Person (太枠)
  p.lineWidth(0.6);
  const tops = drawGrid(p, L, 50, [W], [9, 6, 10, 8]);
  p.lineWidth(0.25);
  p.vline(40, 50, 83);
  p.vline(120, 59, 83);
  p.vline(140, 59, 83);
  const label = { size: 8 };
  p.text(20, tops[0]! + 3, '住所', label);
  p.text(20, tops[1]! + 1.6, 'フリガナ', { size: 7 });
  p.text(122, tops[1]! + 1.6, '性別', { size: 7 });
  p.text(20, tops[2]! + 2, '氏名', label);
  p.text(20, tops[2]! + 5.6, '（接種を受ける方）', { size: 6 });
  p.text(122, tops[2]! + 3.5, '生年月日', label);
  p.text(20, tops[3]! + 2.8, '保護者氏名', label);
  p.text(122, tops[3]! + 2.8, '電話番号', label);
  p.textRight(R, 84.5, '診察前の体温　　　　　度　　　　分', { size: 8.5 });
  p.hline(163, 174, 88);
  p.hline(178, 189, 88);

  // Questions
  const qs = t.questions.map((c) => fill(c, undefined, o));
  const layout = layoutQuestions(p, qs);
  if (!layout) throw new Overflow('questions');
  const heights = [Q.header, ...layout.heights];
  p.lineWidth(0.6);
  const rowTops = drawGrid(p, L, Q.top, [W], heights);
  p.lineWidth(0.25);
  const end = rowTops[rowTops.length - 1]! + heights[heights.length - 1]!;
  p.vline(Q.answerX, Q.top, end);
  p.vline(Q.doctorX, Q.top, end);
  const hs = { size: 8, bold: true };
  p.textCenter((L + Q.answerX) / 2, Q.top + 1.5, '質　問　事　項', hs);
  p.textCenter((Q.answerX + Q.doctorX) / 2, Q.top + 1.5, '回　答　欄', hs);
  p.textCenter((Q.doctorX + R) / 2, Q.top + 1.5, '医師記入欄', hs);
  const step = (layout.size * Q_LINE) / MM;
  layout.rows.forEach((lines, i) => {
    const top = rowTops[i + 1]! + (layout.heights[i]! - lines.length * step) / 2;
    p.text(19.3, top + (step - layout.size / MM) / 2, String(i + 1), { size: layout.size });
    p.drawLines(Q.textX, top, lines, layout.size, Q_LINE);
    p.textCenter((Q.answerX + Q.doctorX) / 2, rowTops[i + 1]! + layout.heights[i]! / 2 - layout.size / MM / 2, 'はい・いいえ', { size: layout.size });
  });

  // Doctor
  p.lineWidth(0.35);
  p.box(L, 205, W, 17);
  p.text(20, 206, '医師記入欄', { size: 8, bold: true });
  p.text(20, 210.5, '以上の問診及び診察の結果、今日の予防接種は（　実施できる　・　見合わせた方がよい　）と判断します。', { size: 8.5 });
  p.text(20, 214.5, '本人（保護者）に対して、予防接種の効果、副反応及び予防接種健康被害救済制度について説明しました。', { size: 8.5 });
  p.text(108, 218.3, '医師の署名又は記名押印', { size: 8 });
  p.hline(140, 190, 221.5);

  // Consent (太枠)
  p.lineWidth(0.6);
  p.box(L, 224, W, 20.5);
  drawRegion(p, 'consent', REGIONS.consent, t.consent ? [t.consent] : [], undefined, o);
  p.text(20, 237, '（　接種を希望します　・　接種を希望しません　）', { size: 9 });
  p.text(108, 239.5, '本人（保護者）自署', { size: 8 });
  p.lineWidth(0.25);
  p.hline(136, 190, 243);

  // Vaccination record (filled in by the clinic)
  p.lineWidth(0.35);
  drawGrid(p, L, 247, [W], [5.5, 25]);
  p.lineWidth(0.25);
  p.vline(78, 247, 277.5);
  p.vline(108, 247, 277.5);
  p.textCenter(48, 248.2, '使用ワクチン名', hs);
  p.textCenter(93, 248.2, '接種量', hs);
  p.textCenter(150, 248.2, '実施場所・医師名・接種年月日', hs);
  p.text(20, 268, 'Lot No.', { size: 8 });
  p.text(98, 262, 'mL', { size: 8 });
  p.text(110, 255, '実施場所', { size: 8 });
  p.text(110, 262, '医師名', { size: 8 });
  p.text(110, 269.5, `接種年月日　　${eraOf(o.issueDate)}　　　年　　　月　　　日`, { size: 8 });

  drawRegion(p, 'notes', REGIONS.notes, t.notes, undefined, o);
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], undefined, o);
  drawFooter(p, t, '予防接種予診票');
}

/** 令和 (the era of the issue date), for the clinic's handwritten date. */
function eraOf(date: string): string {
  return formatWareki(date).replace(/(元|\d+)年.*$/, '');
}

function drawPerson(painters: readonly Painter[], t: CompiledTemplate, item: DocumentItem, o: RenderOptions): void {
  const p = painters[0]!;
  drawTitle(p, TITLE, t.title, item, o);
  drawRegion(p, 'body', REGIONS.body, t.body, item, o);

  // 接種券: number as CODE128 and as text
  const check = checkVoucherNumber(item.voucherNumber ?? '');
  if (!check.ok) throw new MissingVoucher();
  const { bars, modules } = code128(check.number);
  const span = VOUCHER.w - 6;
  const mod = span / (modules + 2 * QUIET_ZONE_MODULES);
  const x0 = VOUCHER.x + 3 + QUIET_ZONE_MODULES * mod;
  const yBottom = PAGE_H - (VOUCHER.barTop + VOUCHER.barH) * MM;
  p.ops.fillRects(bars.map(([s, w]) => [(x0 + s * mod) * MM, yBottom, w * mod * MM, VOUCHER.barH * MM] as const));
  const n = VOUCHER.number;
  p.textCenter(n.x + n.labelW + (n.w - n.labelW) / 2, n.top + (n.h - n.numberSize / MM) / 2, formatVoucherNumber(check.number), { size: n.numberSize });
  if (item.referenceNumber) p.fitText(VOUCHER.x + 2, VOUCHER.referenceTop, VOUCHER.w - 4, `整理番号　${item.referenceNumber}`, { size: 7 }, 5.5);

  // 接種できる期間 (the schedule's window for this person and dose; required on a 予診票)
  const period = PLACEHOLDER_BY_NAME.get('対象期間')!.value(item, o);
  if (period) {
    const x = PERIOD.x + PERIOD.labelW + 2;
    p.fitText(x, PERIOD.top + (PERIOD.h - PERIOD.size / MM) / 2, PERIOD.w - PERIOD.labelW - 4, period, { size: PERIOD.size, bold: true }, PERIOD.minSize);
  }

  const v = { size: 10 };
  p.fitText(41.5, 52, 149, item.person.address, v, 6.5);
  if (item.person.kana) p.fitText(41.5, 60.2, 77, item.person.kana, { size: 8 }, 5.5);
  if (item.person.sex) p.text(141.5, 60.2, item.person.sex === 'male' ? '男' : '女', { size: 8 });
  p.fitText(41.5, 67.2, 77, item.person.name, { size: 13 }, 8);
  const age = PLACEHOLDER_BY_NAME.get('年齢')!.value(item, o);
  p.fitText(141.5, 66.2, 49.5, `${formatWareki(item.person.birthDate)}生`, { size: 9 }, 6);
  if (age) p.text(141.5, 70.3, `（${age}）`, { size: 8 });
  if (item.guardianName) p.fitText(41.5, 77.2, 77, item.guardianName, v, 6.5);

  drawRegion(p, 'consent', REGIONS.consent, t.consent ? [t.consent] : [], item, o);
  drawRegion(p, 'notes', REGIONS.notes, t.notes, item, o);
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], item, o);

  // 自己負担金 免除/減額 (VAX-30): boxed, above the title at the right, clear of everything else on the page.
  if (item.copayNote) {
    const c = COPAY_NOTE;
    p.lineWidth(0.4);
    p.box(c.x, c.top, c.w, c.h);
    p.lineWidth(0.25);
    p.fitText(c.x + 1.5, c.top + (c.h - c.size / MM) / 2, c.w - 3, item.copayNote, { size: c.size, bold: true }, c.minSize, 'center');
  }
}

/** Where the 自己負担金 line of an exempt resident's 予診票 goes (above the title band, right side). */
export const COPAY_NOTE = { x: 132, top: 3.6, w: 60, h: 4.6, size: 8.5, minSize: 6.5 } as const;

/** The item has no valid voucher number (the item schema checks it; this guards direct callers). */
export class MissingVoucher extends Error {
  constructor() {
    super('予診票には接種券番号が必要です');
  }
}

export const questionnaireLayout: DocumentLayout = {
  docType: 'questionnaire',
  pagesPerPerson: 1,
  title: TITLE,
  regions: REGIONS,
  drawStatic,
  drawPerson,
};
