// Public face of municipality/residents: 住基 intake, addressee numbers, lookup, "as of" states, cohorts,
// 4情報 matching and the review queue.  Later issues (records, extraction, notices) use only this.
import './tables.js';

export * from './format.js';
export { type PersonState, type PersonStatus, type PersonCategory, STATUS_LABELS, CATEGORY_LABELS } from './state.js';
export { importResidents, listRejects, listImportRuns, rejectsCsv, residentImportTrouble, RESIDENT_RUN_KINDS, type ImportOptions, type ImportReport, type RejectReport, type Encoding, type ResidentsImportDeps, type ImportRunView } from './import.js';
export {
  getPerson,
  personAsOf,
  searchPersons,
  countPersons,
  personHistory,
  cohortAsOf,
  cohortChunk,
  countCohort,
  maskState,
  mailingTarget,
  PROTECTED,
  type PersonRecord,
  type PersonSummary,
  type SearchQuery,
  type VersionView,
  type CohortFilter,
  type CohortMember,
  type CohortRow,
  type CohortChunkQuery,
} from './queries.js';
export { matchPerson, registerNonResident, setMyNumber, revealMyNumber, listQueue, countQueue, resolveQueueItem, type QueueSide, type QueueListOptions, type FourInfo, type RegistrationResult, type QueueItem } from './manage.js';
export { matchFourInfo, searchKana, normalizeAddress, foldKanjiVariants, type MatchCandidate, type MatchResult } from './matching.js';
export { PERSON_ITEM_GROUPS, DUTY_PERSON_ITEMS, allowedItemGroups, limitToAllowed, type ItemGroup } from './items.js';
export { canReadResidents, requireImport, requireImportView, requireResidentAccess, maySeeProtectedAddress, RESIDENT_DUTIES } from './access.js';
export { isValidAtenaNo } from './numbers.js';
export { fetchMatchCandidates, type MatchCandidates, type CandidateQuery } from './candidates.js';
export { SUBJECT as PERSON_SUBJECT } from './apply.js';
export type * from './tables.js';
export { residentMyNumberClass, RESIDENT_HISTORY_CLASS, ceasedBefore, countDue } from './retention.js';
