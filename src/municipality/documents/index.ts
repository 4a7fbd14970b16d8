// Public face of municipality/documents: 予診票（接種券）, 案内通知, 勧奨通知 and 予防接種依頼書 as PDF
// (A4, BIZ UDPGothic embedded as a subset), their versioned wording templates with {{差し込み項目}}, and
// the 接種券番号 scheme.  Pure rendering: no database, no clock (the issue date is an input).
export {
  DOCUMENT_TYPES,
  DOCUMENT_TYPE_LABELS,
  documentItemSchema,
  municipalitySchema,
  type DocumentType,
  type DocumentTemplate,
  type DocumentItem,
  type MunicipalityInfo,
  type RenderOptions,
  type MissingGlyphWarning,
} from './types.js';
export {
  VOUCHER_NUMBER_LENGTH,
  VOUCHER_SERIAL_MAX,
  makeVoucherNumber,
  checkVoucherNumber,
  isValidVoucherNumber,
  formatVoucherNumber,
  voucherCheckDigit,
  type VoucherParts,
  type VoucherCheck,
} from './voucher.js';
export { PLACEHOLDERS, placeholdersFor, type PlaceholderDef } from './placeholders.js';
export { DEFAULT_TEMPLATES, validateTemplate, parseTemplate, type TemplateValidation } from './templates.js';
export { renderDocuments, renderDocument, pagesPerPerson } from './render.js';
export { renderDocumentsStream, type PdfSink, type StreamedRun } from './stream.js';
export { GETA } from '../../kernel/pdf/index.js';
// PDF primitives for other rooms' one-off documents (certificates): the A4 writer and the mm painter.
export { PdfBuilder, MM, PAGE_W, PAGE_H } from '../../kernel/pdf/index.js';
export { Painter, wrap, type TextStyle } from '../../kernel/pdf/index.js';
export { syntheticDocumentItems, SAMPLE_MUNICIPALITY, type SyntheticItemsOptions } from './synthetic.js';
export { noticesPdfCase } from './bench.js';
