// Public face of municipality/statistics: 対象者数・接種者数・接種率 by program, dose, age band and fiscal year,
// with small-cell suppression (issue 5 point 5; VAX-28; decisions 0075 and 0076).
export {
  AGE_BANDS,
  AGE_BAND_LABELS,
  ALL_AGES,
  DEFAULT_THRESHOLD,
  MIN_THRESHOLD,
  ageBand,
  reportPeriod,
  statisticsParamsSchema,
  type AgeBand,
  type Cell,
  type StatisticsParams,
  type StatisticsParamsRaw,
  type StatisticsReport,
  type StatisticsRow,
} from './model.js';
export { suppressGroup, rateOf, type GroupCounts, type SuppressedGroup } from './suppress.js';
export { tallyPerson, type Contribution, type Period } from './tally.js';
export { computeStatistics, statisticsCsv, SUPPRESSED_MARK } from './report.js';
