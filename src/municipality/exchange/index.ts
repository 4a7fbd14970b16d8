// Public face of municipality/exchange: the municipality's clients of its 中間サーバー (and, as 市町村CS,
// of 住基ネット) — 符号 acquisition, 副本 registration, the move-in inquiry and its adoption, and the
// person's "who used my data" view; the legacy VRS path for COVID-19 (decision 0140).  Decision 0134
// (organisations), 0135 (messages).
export {
  askVaccinationHistory,
  refreshInquiry,
  getInquiry,
  listInquiries,
  adoptInquiry,
  adoptDoses,
  previousMunicipality,
  chukanNodeName,
  VACCINATION_JIMU,
  VACCINATION_HISTORY_ITEM,
  INQUIRY_JIMU,
  type InquiryJimu,
  type MunicipalExchange,
  type InquiryView,
  type ExchangedDose,
  type PreviousMunicipality,
  type AdoptResult,
} from './inquiries.js';
export { acquireCodes, registerCopies, vaccinationCopies, type CodeReport, type CopyReport } from './copies.js';
export { personDataUse, type DataUse, type ExchangeRecordView } from './data-use.js';
export { syncResidentsToJlis, type CsSyncDeps, type CsSyncOptions, type CsSyncReport } from './cs.js';
export {
  askCovidHistory,
  getCovidInquiry,
  listCovidInquiries,
  adoptCovidInquiry,
  covidProvisionRecords,
  parseConsent,
  municipalityServices,
  registerMunicipalityServices,
  ID_DOCUMENTS,
  VRS_NODE,
  COVID_SEND_PURPOSE,
  COVID_PROVIDE_PURPOSE,
  type CovidInquiryView,
  type CovidConsent,
  type CovidDeps,
  type IdDocument,
} from './vrs.js';
export { exchangeOverview, correctionOf, COPY_CORRECTIONS, listCopies, copiesCsv, listBatches, listPending, checkProvision, approveProvision, mayApproveProvision, exchangeSettings, setAutoAnswerDisabled, setRetention, listRecords, recordsCsv, reviewRecords, jimuLabel, itemLabel, recordStatusLabel, EXCHANGE_DUTY, ITEM_LABELS, JIMU_LABELS, CODE_STATUS_LABELS, RECORD_KIND_LABELS, RETENTION_RANGES, COPIES_CSV_HEADER, RECORDS_CSV_HEADER, type ExchangeOverview, type CopyBatch, type CopyView, type CopyPage, type PendingProvision, type PendingDose, type ExchangeSettings, type ItemSetting, type RetentionInput, type RecordKind, type RecordView, type RecordList } from './admin.js';
export { dataUseServices, dataUseEntries, PLATFORM_DATAUSE_NODE, type DataUseEntry } from './platform-data-use.js';
