// Public face of municipality/certification: certificates issued from the vaccination ledger (VAX-27,
// VAX-35, VAX-42) — applications (窓口・郵送, 本人・代理人, identity check, passport items sealed), the
// 証明書番号, the PDFs (予防接種済証明書, 予防接種記録証明書, 新型コロナウイルス感染症予防接種証明書 国内用/海外用 with
// the SMART Health Card QR), the .smart-health-card file, and the 証明書交付簿.  The card format itself (keys,
// signing, QR, verification) is ../certificates, which needs no database.  Decisions 0070–0074;
// docs/formats/certificates.md.
import './tables.js';

export {
  CERTIFICATE_KINDS,
  KIND_LABELS,
  KIND_SHORT,
  CHANNELS,
  CHANNEL_LABELS,
  ACCEPTED_CHANNELS,
  APPLICANT_LABELS,
  AGENT_RELATIONS,
  AGENT_RELATION_LABELS,
  IDENTITY_DOCUMENTS,
  IDENTITY_DOCUMENT_LABELS,
  REASONS,
  EXCLUSION_LABELS,
  ApplicationInput,
  isCovidKind,
  type ApplicationInputRaw,
  type CertificateKindCode,
  type ChannelCode,
  type ApplicantKind,
  type AgentRelation,
  type IdentityDocument,
  type CertificateContent,
  type CertifiedDose,
  type ExcludedRecord,
  type ExclusionReason,
  type RecordRef,
} from './model.js';
export {
  makeCertificateNumber,
  checkCertificateNumber,
  isValidCertificateNumber,
  formatCertificateNumber,
  CERTIFICATE_NUMBER_LENGTH,
  CERTIFICATE_SERIAL_MAX,
  KIND_DIGITS,
  type CertificateNumberParts,
  type CertificateNumberCheck,
} from './number.js';
export { covidVaccineOf, splitName, headOf, canonicalJson, COVID_ANTIGEN } from './content.js';
export { renderCertificatePdf, paginateRows, columnEdges, printedDose, LEDGER_COLS, CELL_TEXT, CERTIFICATE_TITLES, type RenderInput } from './pdf.js';
export {
  receiveApplication,
  getApplication,
  cancelApplication,
  revealPassportNumber,
  previewApplication,
  issueCertificate,
  healthCardInput,
  getCertificate,
  findCertificate,
  certificateOutput,
  revokeCertificate,
  personCertificates,
  countWaitingApplications,
  listWaitingApplications,
  type CertificationDeps,
  type ApplicationSummary,
  type ApplicationView,
  type CertificateSummary,
  type CertificateView,
  type Preview,
  type IssueOptions,
  type IssueResult,
  type OutputFormat,
  type CertificateOutput,
} from './ledger.js';
export { certificateRegister, certificateRegisterCsv, RegisterFilter, CERTIFICATE_CONTENT_CLASS, type RegisterRow, type RegisterFilterInput } from './register.js';
export type * from './tables.js';
