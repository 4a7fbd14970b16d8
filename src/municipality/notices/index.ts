// Public face of municipality/notices: the notices and vouchers ledger (issue 5 points 2 and 3; VAX-09..15,
// VAX-19, VAX-25, KRN-50).  Wording templates per municipality (versioned), documents issued from extraction
// runs or for one person with their 接種券番号 and encrypted 整理番号, PDFs streamed from the ledger, print
// history, 発送, 返送 with follow-up, 再発行, the voucher resolver for the clinic import, and the printing
// contractor's encrypted package with the hand-over ledger (受渡管理簿).  Decisions 0065–0069.
import './tables.js';

export { requireNotices, mayNotices, getNoticeSettings, saveNoticeSettings, getMailingLeadDays, DEFAULT_MAILING_LEAD_DAYS, type NoticeSettingsInput } from './settings.js';
export { listTemplateVersions, getTemplateVersion, saveTemplateVersion, previewTemplate, checkDocType, type TemplateVersionView, type TemplateEdit } from './templates.js';
export { encodeReference, decodeReference, normalizeReference, referenceKeys, type ReferenceContent, type ReferenceKeys } from './reference.js';
export {
  createBatchFromRun,
  issueForPerson,
  addressFor,
  programLabel,
  windowSkip,
  RUN_DOC_TYPES,
  type NoticeDeps,
  type RunSource,
  type RunInfo,
  type RunMember,
  type CreateBatchInput,
  type BatchCreated,
  type AdHocInput,
  type IssuedItem,
  type Addressing,
} from './issue.js';
export {
  getBatch,
  listBatches,
  batchItems,
  getItem,
  findItem,
  personNoticeHistory,
  markDispatched,
  markReturned,
  listFollowUps,
  noticeWork,
  type NoticeWork,
  resolveFollowUp,
  reissue,
  skipLabel,
  PRINT_CLASS_LABELS,
  RETURN_REASONS,
  IDENTITY_CHECKS,
  EVENT_LABELS,
  ERASED,
  type BatchView,
  type ItemView,
  type EventView,
  type PersonNoticeHistory,
  type ReturnResult,
  type ReissueInput,
  type Reissued,
} from './ledger.js';
export { planBatchPdf, writeBatchPdf, renderItemPdf, PART_LABELS, type BatchPart, type BatchPdfPlan } from './print.js';
export {
  writeContractorPackage,
  listHandovers,
  getHandover,
  confirmReceipt,
  closeHandover,
  generatePackagePassword,
  encodeCsv,
  contractorCsvLine,
  CONTRACTOR_COLUMNS,
  MEDIA,
  RETURN_METHODS,
  HANDOVER_STATUS_LABELS,
  type HandoverInput,
  type HandoverView,
  type PackageResult,
  type PackageSink,
  type ContractorRow,
  type CsvEncoding,
} from './contractor.js';
export { resolveVouchers, type VoucherIdentity } from './resolve.js';
export { noticesStreamCase } from './bench.js';
export { NOTICE_CONTENT_CLASS } from './retention.js';
export type * from './tables.js';
