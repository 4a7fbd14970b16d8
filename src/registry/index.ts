// 国家資格等情報連携・活用システム (issue 15; seed 004): node `registry`, its own organisation (decision 0169).
// Tenants are the 資格管理者; the qualification catalog is data (catalog/*.json, decision 0170); the
// application forms are zod schemas per qualification (decision 0171).
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../kernel/db/index.js';

export const REGISTRY_SCHEMA = 'registry';
export const REGISTRY_ROLE = 'mamori_registry';
export const REGISTRY_NODE = 'registry';

export const registryMigrations: MigrationSource = {
  schema: REGISTRY_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export { buildRegistryNode, registryServices, REGISTRY_CHECK_INTERVAL_MS, type RegistryNodeOptions, type RegistryNodeService } from './node.js';
export {
  catalog, buildCatalog, qualificationOf, CATALOG_FILES, AFFILIATION_LABELS, PROCEDURE_LABELS,
  type Catalog, type CatalogFileData, type QualificationEntry, type AdministratorData, type Retention, type Fee, type FileCode, type Affiliation, type Procedure,
} from './catalog.js';
export { applicationSchema, procedureSchema, procedureOf, parseApplication, formRegistrationNo, exampleForm, formQualifications, CHANGE_REASONS, REISSUE_REASONS, ERASURE_REASONS } from './forms.js';
export {
  APPLICATION_DOCUMENT_FORMAT, PORTAL_PSEUDONYM, PORTAL_RECEIVER, MAX_TOTAL_ATTACHMENT_BYTES, applicationDocumentSchema, submitSchema, verifyOnlineApplication, onlineApplicationId, submitOnline, resubmitOnline, withdrawOnline,
  myApplications, myApplication, applicationDocumentText, applicationSignedDocument,
  type ApplicationDocument, type SubmitInput, type IntakeDeps, type VerifiedApplication, type SubmitAnswer, type ResultNotice, type MyApplication,
} from './intake.js';
export { enterPaperApplication, paperSchema, IDENTITY_DOCUMENTS } from './paper.js';
export { prepareApplication, type PreparedApplication, type ApplicantAttachment } from './applicant.js';
export {
  syncAdministrators, staffSessionOf, applyForStaff, approveStaff, deleteStaff, listStaff, issueStaffToken, authenticateStaff, visibleQualifications, logAccess, accessLog, dutyOf, DUTY_PREFIX, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS,
  type Administrator, type RegistryStaff, type StaffRole, type StaffSession, type AccessEntry, type AccessLogRow,
} from './staff.js';
export { registerRegistryApi, qualificationView, REGISTRY_API } from './api.js';
export { withTenant as withRegistryTenant, type Db as RegistryDb, type Tx as RegistryTx } from './store.js';
export { RegistrySecrets, type EntryRef } from './secrets.js';
export {
  registerEntry, changeEntry, personItemOf, recordDisposition, recordReissue, eraseEntry, purgeMyNumber, honsekiItemOf, showEntry, showEntryAsOperator, statusOf, flagsOf,
  ENTRY_STATUS_LABELS, DISPOSITION_LABELS, ERASURE_CAUSE_LABELS, CHANGE_KIND_LABELS, NAME_KINDS,
  type RegisterDeps, type EntryView, type VersionView, type DispositionView, type NameRecord, type NameFlags, type NameKind, type Items, type ItemValue, type EntryStatus, type ChangeKind,
} from './register.js';
export {
  checkJuki, jukiCheckOf, rememberJuminhyoCode, runChecks, runDueChecks, checksDue, listProposals, closeProposal, listProposalsForStaff, closeProposalAsStaff,
  JUKI_NODE, JUKI_PURPOSE, JUKI_CHUNK, JUKI_PARALLEL, FIRST_RUN_DAYS, JUKI_OUTCOME_LABELS, PROPOSAL_KIND_LABELS, PROPOSAL_SOURCE_LABELS, PROPOSAL_STATUS_LABELS, PROPOSAL_REASON_CODES,
  type JukiDeps, type JukiNode, type JukiCheck, type JukiItem, type JukiOutcome, type CheckRun, type ProposalView, type ProposalList, type ProposalKind,
} from './juki.js';
export {
  insertApplication, addApplicationEvent, getApplication, requireApplication, listApplications, transitionApplication, applicationMyNumber, attachmentContent, checkAttachment,
  APPLICATION_STATUS_LABELS, CHANNEL_LABELS, OPEN_STATUSES, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
  type NewApplication, type ApplicationView, type ApplicationListItem, type ApplicationPage, type ApplicationEvent, type AttachmentView, type AttachmentInput, type ApplicationStatus, type Channel,
} from './applications.js';
export {
  checkKoseki, kosekiChanges, kosekiCodeOf, nameHistoryOf, KOSEKI_PROVIDER, KOSEKI_JIMU, KOSEKI_ITEM, KOSEKI_BATCH, KOSEKI_OUTCOME_LABELS,
  type KosekiCheckDeps, type KosekiCheck, type KosekiOutcome, type KosekiName, type KosekiNameHistory, type KosekiProposal, type KosekiChangesReport,
} from './koseki.js';
export {
  openFees, feeStatus, settlementOf, payFees, feeNotifyService, syncFeePayments, refundOnWithdrawal, recordStampPayment, recordStampRefund, confirmFeeAmount, feeTotals, portalFees, feeServices, tenantOfReference,
  FEE_KINDS, FEE_CHANNEL_LABELS, STAMP_INSTRUMENTS, STAMP_REFUND_METHODS, StampPaymentInput, StampRefundInput, TotalsQuery, PortalFeesInput,
  type FeeDeps, type FeeKind, type FeeChannel, type FeeLine, type FeeStatus, type FeePaymentView, type LedgerView, type PayAnswer, type RefundReport, type TotalsRow, type FeeTotals, type PortalFees, type StampRefundMethod,
} from './fees.js';
export { registerFeeApi, FEE_SYNC_INTERVAL_MS } from './fees-api.js';
export {
  recordNotification, setRegistrationTerm, releaseRegistrationTerm, recordLeave, addSupplementaryQualification, termOf, supplementaryOf, NOTIFYING_QUALIFICATIONS, MAX_SUPPLEMENTARY,
  type NotificationInput, type RegistrationTerm,
} from './register.js';
export { assertFeesSettled, feeSettlement, type Settlement } from './settlement.js';
export {
  IssuerKeys, issueCredential, refreshCredentialStatus, publishStatusList, verifyPresentation, presentCredential, signCredential, signStatusList, credentialsOf, issuerUrl, statusListUrl, vctOf, buildCredentialSample, ephemeralIssuerKey, SAMPLE_BASE_URL, SAMPLE_DISCLOSED,
  CREDENTIAL_CLAIMS, ISSUER_NAME_CLAIM, CREDENTIAL_VALID_DAYS, STATUS_LIST_SIZE, STATUS_CODES, STATUS_LABELS, INVALID_REASON_LABELS,
  type IssuerKey, type CredentialDeps, type IssuedCredential, type Verification, type VerifyOptions, type InvalidReason, type CredentialClaim, type CredentialClaims, type StatusName, type CredentialSample,
} from './credentials.js';
export { registerCredentialRoutes, type CredentialRoutesDeps } from './credentials-api.js';
export {
  recordCheck, listChecks, latestChecks, approvalRequirements, runApplicationChecks, authorizeStaff, examinationQueue, applicationDetail, decideApplication, recordKosekiExtract, runChecksAsStaff,
  staffRecordDisposition, staffEraseEntry, CHECK_SOURCES, CHECK_SOURCE_LABELS, CHECK_OUTCOMES, CHECK_OUTCOME_LABELS, CHANGE_REASON_CODES, REISSUE_REASON_CODES, ERASURE_REASON_CODES,
  type CheckInput, type CheckView, type CheckSource, type CheckOutcome, type Requirement, type ApplicationChecker, type ExaminationDeps, type ApplicationDetail, type Decision, type DecisionResult, type Need,
} from './examination.js';
export {
  importPassers, parsePasserFile, decodePasserFile, csvRecords, matchPassers, passerCount, PASSER_COLUMNS, MAX_PASSER_FILE_BYTES, MAX_PASSER_ROWS,
  type Passer, type PasserImport, type PasserMatch, type Difference,
} from './passers.js';
export { runKosekiChecks, kosekiChecksDue, type KosekiRun } from './periodic.js';
export { applicationCheckers, type CheckerDeps } from './checkers.js';
export {
  runSync, startSyncJobs, kensakuKey, SYNC_TARGETS, SYNC_TENANTS, SYNC_BATCH, SYNC_INTERVAL_MS, KENSAKU_ITEMS, WITHHELD_LABELS,
  type SyncDeps, type SyncReport, type SyncTarget, type WithheldReason,
} from './syncs.js'; // issue 16: 免許登録管理・資格確認検索 (QUA-28, QUA-29)
// The 介護福祉士 foundation linkage and its media ledger (issue 16; QUA-30, 31, 32, 40; decisions 0229–0232).
export {
  FOUNDATION_NODE, KAIGO_ITEMS, KAIGO_QUALIFICATION, foundationServices, sendToFoundation, foundationApplicationId, type SendReport, type FoundationDeps, type KaigoItems, type OutboundRow,
} from './foundation.js';
export { importMedia, exportMedia, listMedia, discardMedia, staffMediaLedger, seesMediaLedger, openZip, sealZip, INBOUND_LAYOUT, OUTBOUND_LAYOUT, INBOUND_COLUMNS, OUTBOUND_COLUMNS, MEDIA_STATUS_LABELS, type MediaEntry, type MediaImport, type MediaExport, type MediaPage } from './media.js';
export {
  issueCertificate, certificatesOf, certificateForStaff, certificateAsOperator, printedOf, certificateKind, certificateTitle, issuerLine, CERTIFICATE_REASON_LABELS,
  type CertificateView, type PrintedCertificate, type CertificateRecord, type CertificateReason, type CertificateKind,
} from './certificates.js';
export { renderCertificatePdf } from './certificate-pdf.js';
export {
  addNotice, myNotices, readNotice, pseudonymOfEntry, noticeToEntry, noticeOfChangeNeededRows, NOTICE_KINDS, NOTICE_KIND_LABELS,
  type NoticeKind, type NewNotice, type NoticeView, type NoticePage,
} from './notices.js';
export {
  issueHolderCredentials, createConfirmation, confirmationLog, openConfirmation, verifyForPage, HOLDER_REQUEST_FORMAT, HOLDER_REQUEST_SECONDS, CONFIRMATION_MAX_DAYS,
  CREDENTIAL_CONSENT_TEXT, CONFIRMATION_CONSENT_TEXT, CONFIRMATION_EVENT_LABELS, type HolderDeps, type HolderCredential, type ConfirmationRecord, type ConfirmationOpening,
} from './holder.js';
export { holderServices } from './holder-services.js';
export { entryClaims } from './credentials.js';
