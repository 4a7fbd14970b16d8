// The records download as PDF (PMH-12).  A simple A4 list in BIZ UDPゴシック; the lead may replace the
// renderer, the route calls only `renderRecordsPdf`.
import { Painter, PdfBuilder } from '../../kernel/pdf/index.js';
import { formatWareki } from '../../kernel/jp/index.js';

export interface RecordsPdfData {
  readonly name: string;
  readonly dateOfBirth: string;
  /** 'YYYY-MM-DD' (JST) of the download. */
  readonly issuedOn: string;
  readonly records: readonly { readonly program: string; readonly dose: string; readonly date: string; readonly vaccine: string; readonly institution: string }[];
  readonly due: readonly { readonly program: string; readonly dose: string; readonly period: string }[];
}

const wareki = (d: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? formatWareki(d) : d);

export async function renderRecordsPdf(data: RecordsPdfData): Promise<Uint8Array> {
  const pdf = await PdfBuilder.create({ title: '予防接種の記録', subject: '予防接種の記録（マイナポータル）', date: data.issuedOn });
  let ops = pdf.ops();
  let p = new Painter(ops);
  let top = 20;
  const newPage = () => {
    pdf.page(ops);
    ops = pdf.ops();
    p = new Painter(ops);
    top = 20;
  };
  const line = (x: number, s: string, size = 10, bold = false) => {
    if (top > 275) newPage();
    p.text(x, top, s, { size, bold });
    top += size * 0.55;
  };
  line(20, '予防接種の記録', 18, true);
  top += 4;
  line(20, `氏名　${data.name}`, 11);
  line(20, `生年月日　${wareki(data.dateOfBirth)}`, 11);
  line(20, `出力日　${wareki(data.issuedOn)}`, 11);
  top += 6;
  line(20, '接種記録', 13, true);
  top += 2;
  if (!data.records.length) line(24, '記録はありません。');
  for (const r of data.records) {
    line(24, `${wareki(r.date)}　${r.program}（${r.dose}）`, 10, true);
    line(30, [r.vaccine, r.institution].filter(Boolean).join('　'), 9);
    top += 1.5;
  }
  top += 6;
  line(20, '次に受けられる予防接種', 13, true);
  top += 2;
  if (!data.due.length) line(24, '予定はありません。');
  for (const d of data.due) line(24, `${d.program}（${d.dose}）　${d.period}`, 10);
  top += 8;
  line(20, 'この記録はマイナポータルから出力したものです。正式な証明が必要な場合は、お住まいの市区町村にお問い合わせください。', 8);
  pdf.page(ops);
  return pdf.save();
}
