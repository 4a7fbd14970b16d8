// 案内通知 and 勧奨通知: one A4 page per person, folded in three for a 長3 window envelope (窓空き封筒).
// The address block sits where the window shows it (about 22–110 mm from the left, 16–60 mm from the top,
// inside the usual 90 × 45 mm window at ~23 mm / ~13 mm); the sender, date and title follow, then the body,
// a 記 table of the person's items, notes and the 問合せ先 box.
import { formatWareki } from '../../kernel/jp/index.js';
import { drawFooter, drawGrid, drawRegion, drawTitle, type CompiledTemplate, type DocumentLayout, type Region } from './common.js';
import { wrap, type Painter } from '../../kernel/pdf/index.js';
import { MM } from '../../kernel/pdf/index.js';
import { PLACEHOLDER_BY_NAME } from './placeholders.js';
import type { DocumentItem, DocumentType, RenderOptions } from './types.js';

const L = 18;
const R = 192;
const W = R - L;

/** The window-envelope address block. */
export const ADDRESS_BLOCK = { x: 24, top: 18, width: 84, height: 40 } as const;

const TABLE = { top: 171, label: 34, rows: [9, 9, 9, 9, 9] } as const;
const TABLE_LABELS = ['対象者', '生年月日', '予防接種の種類', '対象期間', '住所'] as const;

const REGIONS = {
  body: { x: L, top: 84, width: W, height: 76, sizes: [10.5, 10, 9.5, 9, 8.5], lineHeight: 1.65, gap: 0.35 },
  notes: { x: L + 2, top: 220, width: W - 4, height: 44, sizes: [9.5, 9, 8.5, 8], lineHeight: 1.5, gap: 0.15, bullet: '・' },
  contact: { x: 21, top: 274, width: W - 6, height: 10, sizes: [9.5, 9, 8.5, 8], lineHeight: 1.4, gap: 0 },
} satisfies Record<string, Region>;

const TITLE = { top: 70, size: 16, minSize: 11, width: W };

function drawStatic(p: Painter, t: CompiledTemplate, o: RenderOptions, label: string): void {
  const m = o.municipality;
  p.textRight(R, 18, formatWareki(o.issueDate), { size: 10.5 });
  p.textRight(R, 24, m.head, { size: 10.5 });
  p.textRight(R, 29.5, m.department, { size: 9 });
  drawTitle(p, TITLE, t.title, undefined, o);
  drawRegion(p, 'body', REGIONS.body, t.body, undefined, o);

  p.textCenter(105, 164, '記', { size: 10.5 });
  p.lineWidth(0.3);
  const tops = drawGrid(p, L, TABLE.top, [W], TABLE.rows);
  p.vline(L + TABLE.label, TABLE.top, tops[tops.length - 1]! + TABLE.rows[TABLE.rows.length - 1]!);
  TABLE_LABELS.forEach((l, i) => p.text(L + 2, tops[i]! + 2.6, l, { size: 9.5 }));

  drawRegion(p, 'notes', REGIONS.notes, t.notes, undefined, o);
  p.lineWidth(0.35);
  p.box(L, 267, W, 19);
  p.text(21, 268.8, '【問合せ先】', { size: 9.5, bold: true });
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], undefined, o);
  drawFooter(p, t, label);
}

/** 〒, address (up to 2 lines, shrinking), 方書, name + 様, and the 整理番号 in small type. */
function drawAddress(p: Painter, item: DocumentItem): void {
  const to = item.mailTo ?? { postalCode: item.person.postalCode ?? '', address: item.person.address, name: item.person.name, addressLine2: undefined };
  const b = ADDRESS_BLOCK;
  const zip = to.postalCode.replace(/^(\d{3})-?(\d{4})$/, '$1-$2');
  p.text(b.x, b.top, `〒${zip}`, { size: 11 });
  let size = 11;
  let lines = wrap(p.regular, p.clean(to.address), size, b.width * MM);
  while (lines.length > 2 && size > 8) {
    size -= 1;
    lines = wrap(p.regular, p.clean(to.address), size, b.width * MM);
  }
  let y = b.top + 6;
  for (const l of lines.slice(0, 3)) {
    p.text(b.x, y, l, { size });
    y += (size * 1.45) / MM;
  }
  if (to.addressLine2) {
    p.fitText(b.x, y, b.width, to.addressLine2, { size }, 7);
    y += (size * 1.45) / MM;
  }
  p.fitText(b.x + 4, Math.max(y + 2, b.top + 24), b.width - 4, `${to.name}　様`, { size: 14 }, 9);
  if (item.referenceNumber) p.text(b.x, b.top + b.height - 3, `整理番号　${item.referenceNumber}`, { size: 7 });
}

function drawPerson(painters: readonly Painter[], t: CompiledTemplate, item: DocumentItem, o: RenderOptions): void {
  const p = painters[0]!;
  drawAddress(p, item);
  drawTitle(p, TITLE, t.title, item, o);
  drawRegion(p, 'body', REGIONS.body, t.body, item, o);

  const x = L + TABLE.label + 2;
  const w = W - TABLE.label - 4;
  const v = { size: 10.5 };
  let top = TABLE.top;
  // A long value (an 80-character address) wraps to two lines at 9 pt rather than shrinking to one tiny line.
  const row = (s: string) => {
    p.fitRow(x, top, w, 9, s, v, [9, 8.5, 8], 7);
    top += 9;
  };
  const pr = item.person;
  row(pr.kana ? `${pr.name}（${pr.kana}）` : pr.name);
  const sex = PLACEHOLDER_BY_NAME.get('性別')!.value(item, o);
  row(`${formatWareki(pr.birthDate)}${sex ? `（${sex}）` : ''}`);
  row(item.program.dose ? `${item.program.name}　${item.program.dose}` : item.program.name);
  row(PLACEHOLDER_BY_NAME.get('対象期間')!.value(item, o) ?? '');
  row(pr.address);

  drawRegion(p, 'notes', REGIONS.notes, t.notes, item, o);
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], item, o);
}

function noticeLayout(docType: DocumentType, label: string): DocumentLayout {
  return {
    docType,
    pagesPerPerson: 1,
    title: TITLE,
    regions: REGIONS,
    drawStatic: (p, t, o) => drawStatic(p, t, o, label),
    drawPerson,
  };
}

export const guidanceLayout = noticeLayout('guidance', '予防接種のお知らせ');
export const reminderLayout = noticeLayout('reminder', '予防接種の勧奨通知');
