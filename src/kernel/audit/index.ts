// Public face of kernel/audit: the operation log (操作ログ).
export { appendEntry, appendEntries, appendEntriesStatements, auditRow, auditFields, AUDIT_INSERT_COLUMNS, ACTION_LABELS, TARGET_LABELS, type AuditEntry } from './entry.js';
export { sealPending, writeCheckpoint, markRestored, genesis, AuditTrust, CHECKPOINT_EVERY, CHECKPOINT_MAX_AGE_MS, type SealResult } from './chain.js';
export { AuditWitness, type WitnessRecord } from './witness.js';
export { verifyChains, verifyTenantChain, type VerifyResult, type VerifyFailure } from './verify.js';
export { searchAudit, countAudit, exportAuditCsv, accessHistory, auditCsvLine, type AuditSearch, type AuditRow, type AccessRecord } from './query.js';
export { purgeAuditBefore, countPurgeableAudit, type AuditPurgeResult } from './purge.js';
export { AuditWriter, auditWriterFor, closeAuditWriter, type AuditWriterOptions } from './writer.js';
export { verifyAndAlert, openAuditAlerts, auditAlerts, lastVerification, maySeeAuditAlerts, acknowledgeAuditAlert, type AuditAlert, type VerificationOutcome } from './alerts.js';
