// Public face of municipality/extraction: target extraction runs (issue 5 point 1; VAX-04, VAX-06) —
// 対象者抽出 and 未接種者抽出 over the cohort as of a date, persisted with parameters, catalog version,
// counts, members and a content hash; resumable after a crash; diffed against the previous run.
// Decisions 0060 (semantics), 0061 (hash), 0062 (resume), 0063 (performance).
import './tables.js';

export {
  EXTRACTION_KINDS,
  KIND_LABELS,
  EXCLUSION_REASONS,
  EXCLUSION_LABELS,
  MEMBER_STATUS_LABELS,
  type ExtractionKind,
  type ExtractionFilters,
  type ExtractionParameters,
  type ExtractionCounts,
  type ProgramCounts,
  type ExclusionReason,
  type DiffSummary,
  type ExtractionRunView,
  type RunMember,
  type ExtractionInputRaw,
} from './model.js';
export { startExtraction, resumeExtraction, isRunActiveHere, DEFAULT_CHUNK, type ExtractionOptions, type ExtractionResult } from './run.js';
export { getExtractionRun, listExtractionRuns, iterateRunMembers, listRunMembers, listRunDiff, type ListRunsOptions, type MemberPage, type DiffPage } from './queries.js';
export { requireExtraction, canExtract } from './access.js';
export { HASH_FORMAT } from './hash.js';
export { extractAllCase, loadBenchPopulation, plainScan } from './bench.js';
export type * from './tables.js';
