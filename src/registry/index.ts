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

export { buildRegistryNode, registryServices, type RegistryNodeOptions } from './node.js';
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
  syncAdministrators, applyForStaff, approveStaff, deleteStaff, listStaff, issueStaffToken, authenticateStaff, visibleQualifications, logAccess, accessLog, dutyOf, DUTY_PREFIX, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS,
  type Administrator, type RegistryStaff, type StaffRole, type StaffSession, type AccessEntry, type AccessLogRow,
} from './staff.js';
export { registerRegistryApi, qualificationView, REGISTRY_API } from './api.js';
export { withTenant as withRegistryTenant, type Db as RegistryDb, type Tx as RegistryTx } from './store.js';
export { RegistrySecrets, type EntryRef } from './secrets.js';
export {
  registerEntry, changeEntry, recordDisposition, eraseEntry, purgeMyNumber, showEntry, showEntryAsOperator, statusOf, flagsOf,
  ENTRY_STATUS_LABELS, DISPOSITION_LABELS, ERASURE_CAUSE_LABELS, CHANGE_KIND_LABELS, NAME_KINDS,
  type RegisterDeps, type EntryView, type VersionView, type DispositionView, type NameRecord, type NameFlags, type NameKind, type Items, type ItemValue, type EntryStatus, type ChangeKind,
} from './register.js';
export {
  insertApplication, addApplicationEvent, getApplication, requireApplication, listApplications, transitionApplication, applicationMyNumber, attachmentContent, checkAttachment,
  APPLICATION_STATUS_LABELS, CHANNEL_LABELS, OPEN_STATUSES, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
  type NewApplication, type ApplicationView, type ApplicationListItem, type ApplicationPage, type ApplicationEvent, type AttachmentView, type AttachmentInput, type ApplicationStatus, type Channel,
} from './applications.js';
