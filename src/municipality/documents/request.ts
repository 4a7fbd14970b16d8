// 予防接種依頼書 (VAX-25): a letter from the municipality's head asking another municipality (or a clinic
// there) to give a routine vaccination to a resident staying in its area.  One A4 page per person:
// document number and date, addressee, sender (公印省略), title, body, a 記 table of the person, the stay
// and the vaccination, notes (e.g. return of the 予診票 copy, costs) and the 問合せ先 box.
import { formatWareki } from '../../kernel/jp/index.js';
import { drawFooter, drawGrid, drawRegion, drawTitle, type CompiledTemplate, type DocumentLayout, type Region } from './common.js';
import type { Painter } from '../../kernel/pdf/index.js';
import { PLACEHOLDER_BY_NAME } from './placeholders.js';
import type { DocumentItem, RenderOptions } from './types.js';

const L = 18;
const R = 192;
const W = R - L;

const TABLE = { top: 128, label: 38, row: 8 } as const;
const TABLE_LABELS = ['被接種者の住所', 'フリガナ', '被接種者の氏名', '生年月日', '保護者の氏名', '滞在先の住所', '滞在先の電話番号', '予防接種の種類', '依頼の理由', '接種期限'] as const;

const REGIONS = {
  body: { x: L, top: 74, width: W, height: 43, sizes: [10.5, 10, 9.5, 9, 8.5], lineHeight: 1.65, gap: 0.35 },
  notes: { x: L + 2, top: 212, width: W - 4, height: 51, sizes: [9.5, 9, 8.5, 8], lineHeight: 1.5, gap: 0.15, bullet: '・' },
  contact: { x: 21, top: 274, width: W - 6, height: 10, sizes: [9.5, 9, 8.5, 8], lineHeight: 1.4, gap: 0 },
} satisfies Record<string, Region>;

const TITLE = { top: 60, size: 15, minSize: 11, width: W };

function drawStatic(p: Painter, t: CompiledTemplate, o: RenderOptions): void {
  const m = o.municipality;
  p.textRight(R, 26, formatWareki(o.issueDate), { size: 10.5 });
  p.textRight(R - 22, 44, m.head, { size: 11 });
  p.textRight(R, 44.6, '（公印省略）', { size: 8 });
  drawTitle(p, TITLE, t.title, undefined, o);
  drawRegion(p, 'body', REGIONS.body, t.body, undefined, o);

  p.textCenter(105, 120.5, '記', { size: 10.5 });
  p.lineWidth(0.3);
  const heights = TABLE_LABELS.map(() => TABLE.row);
  const tops = drawGrid(p, L, TABLE.top, [W], heights);
  p.vline(L + TABLE.label, TABLE.top, TABLE.top + TABLE.row * heights.length);
  TABLE_LABELS.forEach((l, i) => p.text(L + 2, tops[i]! + 2.2, l, { size: l === 'フリガナ' ? 8 : 9.5 }));

  drawRegion(p, 'notes', REGIONS.notes, t.notes, undefined, o);
  p.lineWidth(0.35);
  p.box(L, 267, W, 19);
  p.text(21, 268.8, '【問合せ先】', { size: 9.5, bold: true });
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], undefined, o);
  drawFooter(p, t, '予防接種依頼書');
}

function drawPerson(painters: readonly Painter[], t: CompiledTemplate, item: DocumentItem, o: RenderOptions): void {
  const p = painters[0]!;
  const rq = item.request;
  if (rq?.documentNumber) p.textRight(R, 20, rq.documentNumber, { size: 10.5 });
  if (rq) p.fitText(L, 35, 110, `${rq.destination}　様`, { size: 12 }, 8);
  drawTitle(p, TITLE, t.title, item, o);
  drawRegion(p, 'body', REGIONS.body, t.body, item, o);

  const x = L + TABLE.label + 2;
  const w = W - TABLE.label - 4;
  const pr = item.person;
  const until = item.program.period ? formatWareki(item.program.period.until) : '';
  const sex = PLACEHOLDER_BY_NAME.get('性別')!.value(item, o);
  const values = [
    pr.address,
    pr.kana ?? '',
    pr.name,
    `${formatWareki(pr.birthDate)}${sex ? `（${sex}）` : ''}`,
    item.guardianName ?? '',
    rq?.stayAddress ?? '',
    rq?.stayPhone ?? '',
    item.program.dose ? `${item.program.name}　${item.program.dose}` : item.program.name,
    rq?.reason ?? '',
    until,
  ];
  values.forEach((s, i) => {
    if (s) p.fitRow(x, TABLE.top + i * TABLE.row, w, TABLE.row, s, { size: i === 1 ? 8.5 : 10.5 }, [9, 8.5, 8], 6.5);
  });

  drawRegion(p, 'notes', REGIONS.notes, t.notes, item, o);
  drawRegion(p, 'contact', REGIONS.contact, [t.contact], item, o);
}

export const requestLayout: DocumentLayout = {
  docType: 'request',
  pagesPerPerson: 1,
  title: TITLE,
  regions: REGIONS,
  drawStatic,
  drawPerson,
};
