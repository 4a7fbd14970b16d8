// `mamori import residents FILE` and the upload screen (RES-01, RES-02, RES-03): the two 住基 layouts run
// through the shared intake engine (municipality/intake: all-or-nothing file checks, row rejects,
// idempotency by file hash, crash resume by batch).
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal, type Work } from '../../kernel/context/index.js';
import type { Vault } from '../../kernel/vault/index.js';

import { listImportRuns as listRuns, rejectsCsv as runRejectsCsv, runIntake, scanFile, listRejects as runRejects, countImportTrouble, type Encoding, type ImportTrouble, type ImportRunView, type IntakeReport, type IntakeSpec, type RejectReport } from '../intake/index.js';
import { checkHeader, detectKind, validateMovement, validatePerson, type FileKind, type MovementRow, type ResidentRow } from './format.js';
import { applyBatch } from './apply.js';
import { requireImport, requireImportView } from './access.js';

export type { Encoding, ImportRunView, RejectReport };

export interface ImportOptions {
  readonly file: string;
  readonly fileName?: string;
  readonly encoding?: Encoding | 'auto';
  readonly kind?: FileKind | 'auto';
  /** Effective date for full-snapshot rows without 最新異動日 (default: today in Japan). */
  readonly baseDate?: string;
  readonly batchSize?: number;
  readonly onProgress?: (rowsDone: number) => void;
}

export interface ImportReport extends IntakeReport {
  readonly kind: FileKind;
}

export interface ResidentsImportDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

export const RESIDENT_RUN_KINDS = ['residents-full', 'residents-diff'] as const;

/** What applyBatch looks up by key in every batch (decision 0044: planner statistics on a fresh database). */
const LOOKUP_TABLES = ['municipality.persons', 'municipality.person_versions', 'kernel.mynumber_vault', 'municipality.import_seen'];

function fullSpec(vault: Vault): IntakeSpec<ResidentRow> {
  return {
    kind: 'residents-full',
    label: '住民全件ファイル',
    checkHeader: (h) => checkHeader('full', h),
    validate(raw, _rowNo, today) {
      const v = validatePerson(raw, today);
      if (v.ok && !v.value.juminhyoCode) return { ok: false, errors: [{ field: '住民票コード', code: 'REQUIRED', message: '全件ファイルでは住民票コードが必須です' }] };
      return v;
    },
    apply: (w: Work, run, items) => applyBatch(w, vault, run, items.map((i) => ({ rowNo: i.rowNo, kind: 'full', row: i.row }))),
    authorize: (w) => requireImport(w.actor),
    lookupTables: LOOKUP_TABLES,
  };
}

function diffSpec(vault: Vault): IntakeSpec<MovementRow> {
  return {
    kind: 'residents-diff',
    label: '住民異動ファイル',
    checkHeader: (h) => checkHeader('diff', h),
    validate: (raw, _rowNo, today) => validateMovement(raw, today),
    apply: (w: Work, run, items) => applyBatch(w, vault, run, items.map((i) => ({ rowNo: i.rowNo, kind: 'diff', row: i.row }))),
    authorize: (w) => requireImport(w.actor),
    lookupTables: LOOKUP_TABLES,
  };
}

export async function importResidents(deps: ResidentsImportDeps, who: Principal, opts: ImportOptions): Promise<ImportReport> {
  const s = await scanFile(opts.file, opts.encoding ?? 'auto', opts.fileName);
  const kind = !opts.kind || opts.kind === 'auto' ? detectKind(s.header) : opts.kind;
  const common = { file: opts.file, today: deps.db.config.clock.today(), ...(opts.fileName ? { fileName: opts.fileName } : {}), ...(opts.baseDate ? { baseDate: opts.baseDate } : {}), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  const r = kind === 'full' ? await runIntake(deps.db, who, fullSpec(deps.vault), s, common) : await runIntake(deps.db, who, diffSpec(deps.vault), s, common);
  return { ...r, kind };
}

export async function listRejects(deps: ResidentsImportDeps, who: Principal, runId: string, limit?: number): Promise<RejectReport[]> {
  await runAs(deps.db, who, async (w) => requireImportView(w.actor));
  return runRejects(deps.db, who, runId, limit);
}

export async function listImportRuns(deps: ResidentsImportDeps, who: Principal, limit = 50): Promise<ImportRunView[]> {
  await runAs(deps.db, who, async (w) => requireImportView(w.actor));
  return listRuns(deps.db, who, RESIDENT_RUN_KINDS, limit);
}

export async function rejectsCsv(deps: ResidentsImportDeps, who: Principal, runId: string): Promise<string> {
  await runAs(deps.db, who, async (w) => requireImportView(w.actor));
  return runRejectsCsv(deps.db, who, runId);
}

/** 住基 imports of the last days that need someone (the staff home).  '宛名管理' personal.read; a count only. */
export async function residentImportTrouble(w: Work, since: Date, stalledBefore: Date): Promise<ImportTrouble> {
  requireImportView(w.actor);
  return countImportTrouble(w, RESIDENT_RUN_KINDS, since, stalledBefore);
}
