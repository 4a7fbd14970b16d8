// The PDF of a 免許証・登録証 (issue 16 Must have 4; QUA-25; decision 0214): rendered from the data recorded when
// it was issued (certificates.ts), with BIZ UDPゴシック embedded as a subset (the shared PDF primitives of
// src/kernel/pdf).  Deterministic: the same certificate gives the same bytes.  Served by the registry's staff
// screens (src/web/registry) and written by `mamori registry certificate`.
import { formatWareki } from '../kernel/jp/index.js';
import { Painter, PdfBuilder } from '../kernel/pdf/index.js';
import { CERTIFICATE_REASON_LABELS, type CertificateView, type PrintedCertificate } from './certificates.js';

const wareki = (d: string | null): string => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? formatWareki(d) : d ?? '');

/**
 * Renders a certificate (A4 portrait) from its recorded data: a double frame, the title spaced out, 交付番号 at
 * the top right, the items in a column (登録番号, 登録年月日 and 生年月日 in 和暦, 本籍 on a 免許証, 氏名 with the
 * 旧姓 beside it), the sentence of the law, 交付年月日 in 和暦 and the issuer's line.  A void certificate prints
 * 「無効」 across it (a copy for the file, never to hand out).  Deterministic: the PDF's dates are the 交付日.
 */
export async function renderCertificatePdf(c: PrintedCertificate, view?: Pick<CertificateView, 'valid' | 'voidOn' | 'voidReason'>): Promise<Uint8Array> {
  const pdf = await PdfBuilder.create({ title: c.title, subject: `${c.title}（交付番号 第${c.serialNo}号）`, date: c.issuedOn });
  const ops = pdf.ops();
  const p = new Painter(ops);
  if (view && !view.valid) {
    // 無効 in grey under everything: the copy stays readable and cannot pass for a valid certificate.
    ops.save();
    ops.gray(0.72);
    p.textCenter(105, 128, '無　効', { size: 96, bold: true });
    ops.restore();
  }
  p.lineWidth(0.8);
  p.box(15, 15, 180, 267);
  p.lineWidth(0.3);
  p.box(18, 18, 174, 261);
  p.textRight(185, 25, `交付番号　第${c.serialNo}号`, { size: 10 });
  if (c.reason !== 'new') p.text(25, 25, `（${CERTIFICATE_REASON_LABELS[c.reason]}）`, { size: 10 });
  p.textCenter(105, 45, c.title.split('').join(' '), { size: 30, bold: true });
  const rows: [string, string][] = [
    [c.kind === '登録証' ? '登録番号' : `${c.registerName}登録番号`, `第${c.registrationNo}号`],
    ['登録年月日', wareki(c.registeredOn)],
    ...(c.honseki ? ([['本籍', c.honseki]] as [string, string][]) : []),
    ['氏名', c.formerName ? `${c.name}（旧姓　${c.formerName}）` : c.name],
    ['生年月日', wareki(c.birthDate)],
  ];
  let top = 78;
  for (const [label, value] of rows) {
    p.fitText(35, top, 48, label, { size: 12 }, 8);
    p.fitText(85, top - 1, 95, value, { size: label === '氏名' ? 16 : 13, bold: label === '氏名' }, 9);
    p.lineWidth(0.15);
    p.hline(35, 180, top + 8);
    top += 16;
  }
  top += 12;
  const fit = p.fitParagraphs([c.statement], 140, 30, [14, 13, 12, 11]) ?? { size: 11, lines: [c.statement] };
  p.drawLines(35, top, fit.lines, fit.size, 1.8);
  p.text(35, 200, `交付年月日　${wareki(c.issuedOn)}`, { size: 13 });
  p.fitText(35, 225, 120, c.issuer, { size: 15, bold: true }, 10, 'right');
  p.lineWidth(0.4);
  p.box(160, 219, 16, 16);
  p.textCenter(168, 224.5, '印', { size: 12 });
  p.text(25, 268, `${c.qualificationName}の${c.kind}（${c.registerName}への登録による）。この証書に個人番号は記載されません。`, { size: 7.5 });
  if (view && !view.valid) p.text(25, 262, `無効（${wareki(view.voidOn)}）：${view.voidReason ?? ''}`, { size: 9 });
  pdf.page(ops);
  return pdf.save();
}
