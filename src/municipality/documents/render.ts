// renderDocuments: one PDF for a print run (a page set per person, in the items' order) or for one person.
import { isIsoDate } from '../../kernel/jp/index.js';
import { isValidMyNumber } from '../../kernel/mynumber/index.js';
import { fieldErrorsFromZod, invalidField, Problem, validationFailed, type FieldError } from '../../kernel/problems/index.js';
import { compileTemplate, Overflow, PART_LABELS, type CompiledTemplate, type DocumentLayout } from './common.js';
import { Painter } from '../../kernel/pdf/index.js';
import { PdfBuilder, type Ops } from '../../kernel/pdf/index.js';
import { MissingValue } from './placeholders.js';
import { LAYOUTS, validateTemplate } from './templates.js';
import { DOCUMENT_TYPE_LABELS, documentItemSchema, municipalitySchema, type DocumentItem, type DocumentTemplate, type DocumentType, type RenderOptions } from './types.js';
import { checkVoucherNumber } from './voucher.js';

/** Pages printed per person for a document type (the page count of a run is persons × this). */
export function pagesPerPerson(docType: DocumentType): number {
  return LAYOUTS[docType].pagesPerPerson;
}

/** Validated templates, by identity: a run of single-person renders validates its template once. */
const validated = new WeakMap<DocumentTemplate, CompiledTemplate>();

export function compiled(docType: DocumentType, template: DocumentTemplate): CompiledTemplate {
  let c = validated.get(template);
  if (!c) {
    const r = validateTemplate(template);
    if (!r.ok) throw validationFailed(r.errors.map((e) => ({ ...e, field: `template.${e.field}` })));
    c = compileTemplate(r.template);
    validated.set(template, c);
  }
  if (c.source.docType !== docType) {
    throw new Problem(400, 'TEMPLATE_TYPE_MISMATCH', '文面の種類が文書と一致しません', `${DOCUMENT_TYPE_LABELS[docType]}に${DOCUMENT_TYPE_LABELS[c.source.docType]}の文面は使えません。`);
  }
  return c;
}

/** A standalone run of 12 digits (spaces or hyphens between groups allowed) that is a valid My Number. */
function containsMyNumber(s: string): boolean {
  const t = s.normalize('NFKC');
  for (const m of t.matchAll(/(?<![\d])\d[\d\s-]{10,16}\d(?![\d])/g)) {
    const digits = m[0].replace(/[\s-]/g, '');
    if (digits.length === 12 && isValidMyNumber(digits)) return true;
  }
  return false;
}

function scanStrings(v: unknown, path: string, out: string[]): void {
  if (typeof v === 'string') {
    if (containsMyNumber(v)) out.push(path);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) scanStrings(x, path ? `${path}.${k}` : k, out);
  }
}

/**
 * Checks the items for the document type; returns them parsed (trimmed) or throws one 400 naming every bad
 * field.  `offset`: the index of the first item in the whole run (a streamed run checks chunk by chunk).
 */
export function checkItems(docType: DocumentType, items: readonly DocumentItem[], o: RenderOptions, offset = 0): DocumentItem[] {
  if (items.length === 0) throw invalidField('items', 'REQUIRED', '印刷する対象者がいません');
  const errors: FieldError[] = [];
  const out: DocumentItem[] = [];
  items.forEach((raw, i) => {
    const at = `items.${offset + i}`;
    // Never print a My Number: refuse the run, naming the field but never the value.
    const hits: string[] = [];
    scanStrings(raw, '', hits);
    for (const h of hits) errors.push({ field: `${at}.${h}`, code: 'MYNUMBER_ON_DOCUMENT', message: '個人番号（マイナンバー）と思われる12桁の番号が含まれています。文書に個人番号は印刷できません' });
    const r = documentItemSchema.safeParse(raw);
    if (!r.success) {
      errors.push(...fieldErrorsFromZod(r.error, at));
      return;
    }
    const it = r.data;
    if (docType === 'questionnaire') {
      // The 予診票 states when the dose can be given (decision 0101): the schedule's window is required.
      if (!it.program.period) errors.push({ field: `${at}.program.period`, code: 'REQUIRED', message: '予診票には接種できる期間（対象期間）が必要です' });
      if (!it.voucherNumber) errors.push({ field: `${at}.voucherNumber`, code: 'REQUIRED', message: '予診票には接種券番号が必要です' });
      else {
        const v = checkVoucherNumber(it.voucherNumber);
        if (v.ok && v.parts.orgCode !== o.municipality.code) {
          errors.push({ field: `${at}.voucherNumber`, code: 'VOUCHER_OTHER_MUNICIPALITY', message: `接種券番号の団体コード（${v.parts.orgCode}）が発行する市区町村（${o.municipality.code}）と異なります` });
        }
      }
    }
    if ((docType === 'guidance' || docType === 'reminder') && !it.mailTo && !it.person.postalCode) {
      errors.push({ field: `${at}.mailTo`, code: 'REQUIRED', message: '通知には送付先の郵便番号が必要です（mailTo または person.postalCode）' });
    }
    if (docType === 'request' && !it.request) errors.push({ field: `${at}.request`, code: 'REQUIRED', message: '予防接種依頼書には依頼先・依頼理由・滞在先が必要です' });
    out.push(it);
  });
  if (errors.length > 0) throw validationFailed(errors.slice(0, 200));
  return out;
}

export function checkOptions(o: RenderOptions): void {
  const r = municipalitySchema.safeParse(o.municipality);
  if (!r.success) throw validationFailed(fieldErrorsFromZod(r.error, 'options.municipality'));
  if (!isIsoDate(o.issueDate)) throw invalidField('options.issueDate', 'INVALID_DATE', '発行日は YYYY-MM-DD の形式で指定してください');
}

/**
 * What every run (in one piece or streamed) starts with: the content drawn once per run (`drawStatic`) into
 * `staticOps`, for a shared form; returns the missing-glyph warning, which names the item being drawn
 * (`item()`).  A template whose fixed text does not fit is a 400 naming the template part.
 */
export function runStart(layout: DocumentLayout, t: CompiledTemplate, options: RenderOptions, staticOps: Ops, item: () => number): (codePoint: number) => void {
  const warn = options.onWarning;
  const onMissing = (cp: number): void => warn?.({ kind: 'missing-glyph', item: item(), codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` });
  try {
    layout.drawStatic(new Painter(staticOps, onMissing), t, options);
  } catch (e) {
    if (e instanceof Overflow) throw validationFailed([{ field: `template.${e.part}`, code: 'TEMPLATE_TOO_LONG', message: e.message }]);
    throw e;
  }
  return onMissing;
}

/** Internal: the run, with an optional capture of the content streams (for the bench's floor). */
export async function renderRun(
  docType: DocumentType,
  template: DocumentTemplate,
  items: readonly DocumentItem[],
  options: RenderOptions,
  capture?: { forms: string[]; pages: string[]; fonts?: { F1: number[]; F2: number[] } },
): Promise<Uint8Array> {
  checkOptions(options);
  const t = compiled(docType, template);
  const list = checkItems(docType, items, options);
  const layout = LAYOUTS[docType];
  const pdf = await PdfBuilder.create({
    title: options.title ?? DOCUMENT_TYPE_LABELS[docType],
    subject: `${DOCUMENT_TYPE_LABELS[docType]}（${options.municipality.name}、${list.length}人、文面 第${t.source.version}版）`,
    date: options.issueDate,
  });
  if (capture) pdf.capture = capture;
  let current = -1;
  const staticOps = pdf.ops();
  const onMissing = runStart(layout, t, options, staticOps, () => current);
  const errors: FieldError[] = [];
  const form = pdf.form(staticOps);

  for (let i = 0; i < list.length; i++) {
    current = i;
    const painters = Array.from({ length: layout.pagesPerPerson }, () => {
      const ops = pdf.ops();
      ops.paintForm(form);
      return new Painter(ops, onMissing);
    });
    try {
      layout.drawPerson(painters, t, list[i]!, options);
    } catch (e) {
      if (e instanceof MissingValue) {
        errors.push({ field: `items.${i}.${e.def.field ?? e.def.name}`, code: 'VALUE_MISSING', message: `文面の差し込み項目 {{${e.def.name}}} の値がありません` });
        continue;
      }
      if (e instanceof Overflow) {
        errors.push({ field: `items.${i}`, code: 'TEXT_OVERFLOW', message: `差し込んだ値が長く、${PART_LABELS[e.part]}が枠に収まりません` });
        continue;
      }
      throw e;
    }
    if (errors.length === 0) for (const p of painters) pdf.page(p.ops);
    if (errors.length >= 200) break;
  }
  if (errors.length > 0) throw validationFailed(errors);
  if (capture) capture.fonts = { F1: pdf.fonts.F1.codePoints(), F2: pdf.fonts.F2.codePoints() };
  return pdf.save();
}

/**
 * One PDF for a print run: for each item (person), in order, the document's page set (A4).  Validates the
 * template (unknown placeholders, fit), the options and every item first, and throws a 400 Problem naming
 * each bad field (`items.3.person.birthDate`) — never a personal value.  Characters the font lacks print
 * as 〓 and are reported through `options.onWarning`.  The same inputs give the same bytes.
 */
export function renderDocuments(docType: DocumentType, template: DocumentTemplate, items: readonly DocumentItem[], options: RenderOptions): Promise<Uint8Array> {
  return renderRun(docType, template, items, options);
}

/** The same for one person (a reissue, 再発行). */
export function renderDocument(docType: DocumentType, template: DocumentTemplate, item: DocumentItem, options: RenderOptions): Promise<Uint8Array> {
  return renderRun(docType, template, [item], options);
}
