// Public face of municipality/platform: the municipality's side of the digital vaccination platform
// (issue 12 point 3; decision 0147; docs/formats/platform-protocol.md) — the push of an extraction run's
// persons, 住基 movements and retries, the settings put before the first push, and what the staff screens
// and the CLI read back.
export {
  pushRun,
  pushMovements,
  retryFailed,
  syncPlatform,
  refreshLinkage,
  ensureSettings,
  changeCategoryOf,
  requirePlatformRead,
  platformJobPrincipal,
  PLATFORM_NODE,
  PLATFORM_PURPOSE,
  PUSH_CHUNK,
  type PlatformDeps,
  type PlatformExchange,
  type PushReport,
  type PushRunOptions,
} from './push.js';
export { issueCard, CARD_ISSUE_PURPOSE, CARD_NODE, type IssuedCard } from './card.js';
export { enrollInsured, INSURED_PURPOSE, type EnrollReport } from './insured.js';
export { platformSettings, settingsHash, QUESTIONNAIRE_ITEMS, QUESTIONNAIRE_TEMPLATE_ID, NOTICE_TEMPLATE_ID, type PlatformSettings, type QuestionnaireItem } from './settings.js';
export { targetSchema, registerTargetSchema, deleteTargetSchema, registerAnswerSchema, type Target, type RegisterTarget, type DeleteTarget, type RegisterAnswer } from './target.js';
export { listPushBatches, getPushBatch, batchRows, listFailedTargets, linkageCounts, personLinkage, LINKAGE_LABELS, BATCH_STATUS_LABELS, ROW_STATUS_LABELS, BATCH_KIND_LABELS, type PushBatchView, type PushRowView, type FailedTargetView, type LinkageCounts, type PersonLinkage } from './queries.js';
export { pullRecords, listRecordPulls, recordInputOf, platformRecordSchema, RECORDS_PAGE, PLATFORM_RECORDS_QUEUE, type PullReport, type RecordPullView, type PlatformRecord } from './records.js';
