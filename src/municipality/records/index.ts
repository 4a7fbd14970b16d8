// Public face of municipality/records: the vaccination record ledger.
import './tables.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';

import { listImportRuns as listRuns, rejectsCsv as runRejectsCsv, runIntake, scanFile, countImportTrouble, type Encoding, type ImportTrouble, type ImportRunView, type IntakeReport } from '../intake/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { recordBatchSpec, type VoucherResolver } from './batch.js';
import { catalogFor } from './catalog.js';

export * from './model.js';
export { parseGs1, isValidGtin14, gtinCheckDigit, type Gs1Fields, type Gs1Result } from './gs1.js';
export { checkDose, createRecord, createRecords, correctRecord, deleteRecord, getRecord, recordVersions, personTimeline, setCondition, engineSubject, assess, ScheduleProblems, type VaccinationRecord, type RecordVersion, type Timeline, type SaveOptions, type DoseCheck, type DoseToRegister } from './ledger.js';
export { RECORD_COLUMNS, validateRecordRow, checkRecordHeader, type BatchRow, type BatchDose, type VoucherResolver } from './batch.js';
export { resolveRecordQueueItem } from './queue.js';
export { catalogFor, saveScheduleConfig, listScheduleConfigs, getScheduleConfig, type ScheduleConfigVersion } from './catalog.js';
export { doseNumberOf, type DoseNumber, type DoseFields } from './dose-number.js';
export { subjectsInRange, type SubjectInputs, type RangeQuery } from './histories.js';
export type * from './tables.js';

export const RECORD_RUN_KINDS = ['records-clinic'] as const;

export interface RecordImportOptions {
  readonly file: string;
  readonly fileName?: string;
  readonly encoding?: Encoding | 'auto';
  readonly batchSize?: number;
  readonly onProgress?: (rowsDone: number) => void;
  /** Identifies a person by 接種券番号 when a row has no 宛名番号 (the notices ledger's resolver; decision 0068). */
  readonly resolveVoucher?: VoucherResolver;
}

/** `mamori import records FILE`: a clinic batch through the intake engine. */
export async function importRecords(db: MamoriDb, who: Principal, opts: RecordImportOptions): Promise<IntakeReport> {
  const s = await scanFile(opts.file, opts.encoding ?? 'auto', opts.fileName);
  const { catalog } = await runAs(db, who, (w) => catalogFor(w));
  return runIntake(db, who, recordBatchSpec(catalog, opts.resolveVoucher), s, {
    file: opts.file,
    today: db.config.clock.today(),
    ...(opts.fileName ? { fileName: opts.fileName } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

export async function listRecordImports(db: MamoriDb, who: Principal, limit = 50): Promise<ImportRunView[]> {
  await runAs(db, who, async (w) => {
    if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  });
  return listRuns(db, who, RECORD_RUN_KINDS, limit);
}

/** Clinic record imports of the last days that need someone (the staff home).  予防接種 personal.read; a count only. */
export async function recordImportTrouble(w: Work, since: Date, stalledBefore: Date): Promise<ImportTrouble> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  return countImportTrouble(w, RECORD_RUN_KINDS, since, stalledBefore);
}

export async function recordRejectsCsv(db: MamoriDb, who: Principal, runId: string): Promise<string> {
  await runAs(db, who, async (w) => {
    if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  });
  return runRejectsCsv(db, who, runId);
}

export { fhirBundle, fhirExport, atenaSystem, FHIR_SYSTEMS, ATC_BY_PRODUCT, type FhirBundle, type FhirBundleOptions, type FhirResource } from './fhir.js';
export { VACCINATION_RECORD_CLASS } from './retention.js';
