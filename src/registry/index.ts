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

export { buildRegistryNode, type RegistryNodeService } from './node.js';
export {
  catalog, buildCatalog, qualificationOf, CATALOG_FILES, AFFILIATION_LABELS, PROCEDURE_LABELS,
  type Catalog, type CatalogFileData, type QualificationEntry, type AdministratorData, type Retention, type Fee, type FileCode, type Affiliation, type Procedure,
} from './catalog.js';
export { applicationSchema, parseApplication, exampleForm, formQualifications } from './forms.js';
export {
  syncAdministrators, staffSessionOf, applyForStaff, approveStaff, deleteStaff, listStaff, issueStaffToken, authenticateStaff, visibleQualifications, logAccess, accessLog, dutyOf, DUTY_PREFIX, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS,
  type Administrator, type RegistryStaff, type StaffRole, type StaffSession, type AccessEntry, type AccessLogRow,
} from './staff.js';
export { registerRegistryApi, qualificationView, REGISTRY_API } from './api.js';
export { withTenant as withRegistryTenant, type Db as RegistryDb, type Tx as RegistryTx } from './store.js';
export { RegistrySecrets, type EntryRef } from './secrets.js';
export {
  registerEntry, changeEntry, recordDisposition, recordReissue, eraseEntry, purgeMyNumber, honsekiItemOf, showEntry, showEntryAsOperator, statusOf, flagsOf,
  ENTRY_STATUS_LABELS, DISPOSITION_LABELS, ERASURE_CAUSE_LABELS, CHANGE_KIND_LABELS, NAME_KINDS,
  type RegisterDeps, type EntryView, type VersionView, type DispositionView, type NameRecord, type NameFlags, type NameKind, type Items, type ItemValue, type EntryStatus, type ChangeKind,
} from './register.js';
export {
  insertApplication, addApplicationEvent, getApplication, requireApplication, listApplications, transitionApplication, applicationMyNumber, attachmentContent, checkAttachment,
  APPLICATION_STATUS_LABELS, CHANNEL_LABELS, OPEN_STATUSES, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
  type NewApplication, type ApplicationView, type ApplicationListItem, type ApplicationPage, type ApplicationEvent, type AttachmentView, type AttachmentInput, type ApplicationStatus, type Channel,
} from './applications.js';
export {
  recordCheck, listChecks, latestChecks, approvalRequirements, runApplicationChecks, authorizeStaff, examinationQueue, applicationDetail, decideApplication, recordKosekiExtract, runChecksAsStaff,
  staffRecordDisposition, staffEraseEntry, CHECK_SOURCES, CHECK_SOURCE_LABELS, CHECK_OUTCOMES, CHECK_OUTCOME_LABELS, CHANGE_REASON_CODES, REISSUE_REASON_CODES, ERASURE_REASON_CODES,
  type CheckInput, type CheckView, type CheckSource, type CheckOutcome, type Requirement, type ApplicationChecker, type ExaminationDeps, type ApplicationDetail, type Decision, type DecisionResult, type Need,
} from './examination.js';
export { assertFeesSettled, feeSettlement, type Settlement } from './settlement.js';
export {
  importPassers, parsePasserFile, decodePasserFile, csvRecords, matchPassers, passerCount, PASSER_COLUMNS, MAX_PASSER_FILE_BYTES, MAX_PASSER_ROWS,
  type Passer, type PasserImport, type PasserMatch, type Difference,
} from './passers.js';
