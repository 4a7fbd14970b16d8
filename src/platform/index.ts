// 予診情報・予防接種記録管理／請求支払システム (the platform, reached through PMH): node `platform` (issue 12;
// decision 0143; contract: docs/formats/platform-protocol.md).  Tenants are municipalities (and, with the
// clinic issue, medical institutions); every personal table is keyed by tenant and isolated by RLS.
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../kernel/db/index.js';

export const PLATFORM_SCHEMA = 'platform';
export const PLATFORM_ROLE = 'mamori_platform';
export const PLATFORM_NODE = 'platform';

export const platformMigrations: MigrationSource = {
  schema: PLATFORM_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

export { buildPlatformNode, platformDeps, tenantServices, type PlatformNodeOptions } from './node.js';
export { registerTargets, validateRows, eraseTarget, INSURERHUB_NODE, HUB_BATCH, type PlatformDeps, type RegistrationAnswer, type RowResult, type RowStatus, type RegistrationInput } from './registration.js';
export { addTenant, getTenant, listTenants, applyForUser, approveUser, deleteUser, listUsers, issueToken, authenticateToken, PERMISSION_LABELS, USER_CATEGORY_LABELS, type Tenant, type PlatformUser } from './tenants.js';
export { putSettings, putTemplate, putVaccinationSettings, linkageList, deleteByOperator, handlingLog, handlingLogCsv, ACTION_LABELS, type LinkageRow, type HandlingEntry } from './admin.js';
export { portalServices, checkAnswers, fhirBundleOf, MYNAPORTAL_NODE, type RecordView, type DueView, type DataUseEntry } from './portal.js';
export { purgeLogs, eraseTenant, LOG_RETENTION_YEARS, ERASURE_LABELS, type ErasureReport } from './retention.js';
export { platformOpenApi, registerPlatformApi, API_BASE } from './api.js';
export { PlatformSecrets, withTenant as withPlatformTenant, type Db as PlatformDb, type Tx as PlatformTx } from './store.js';
export * from './model.js';
export * from './clinic/index.js';
