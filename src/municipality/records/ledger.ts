// The vaccination record ledger (issue 4 point 4; VAX-19..24): registering doses with the schedule engine's
// check on every entry (a dose the rules forbid needs an explicit override reason from staff; imported
// facts are kept with their 警告内容), corrections as versions with a reason, logical deletion, and the
// per-person history with the engine's status for each program.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Meta, Work } from '../../kernel/context/index.js';
import type { Settled } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { appendEntry, auditFields, AUDIT_INSERT_COLUMNS } from '../../kernel/audit/index.js';
import { Problem, conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import { fields } from '../../kernel/access/index.js';

import { requireResidentAccess, RESIDENT_DUTIES } from '../residents/index.js';
import { checkWith, evaluateWith, type CheckResult, type EvaluateResult, type HistoryItem, type Catalog } from '../schedule/index.js';
import { RecordInput, REASON_KINDS, type Category, type RecordData, type RecordSource, type Warning } from './model.js';
import { catalogAtVersion, catalogFor } from './catalog.js';
import { copayContext, type CopayContext, type CopayDecision } from '../copay/index.js';

export interface VaccinationRecord {
  readonly id: string;
  readonly atenaNo: string;
  readonly version: number;
  readonly status: 'active' | 'deleted';
  readonly data: RecordData;
  readonly warnings: readonly Warning[];
  readonly overrideReason: string | null;
  readonly source: RecordSource;
  readonly deletedReason: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly createdTerminal: string | null;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

type Row = {
  id: string;
  atena_no: string;
  version: number;
  status: 'active' | 'deleted';
  data: RecordData;
  warnings: Warning[];
  override_reason: string | null;
  source: RecordSource;
  deleted_reason: string | null;
  created_by: string;
  created_at: Date;
  created_terminal: string | null;
  updated_by: string;
  updated_at: Date;
};

function view(r: Row): VaccinationRecord {
  return {
    id: r.id, atenaNo: r.atena_no, version: r.version, status: r.status, data: r.data, warnings: r.warnings, overrideReason: r.override_reason, source: r.source,
    deletedReason: r.deleted_reason, createdBy: r.created_by, createdAt: r.created_at, createdTerminal: r.created_terminal, updatedBy: r.updated_by, updatedAt: r.updated_at,
  };
}

const RECORD_INSERT = 'tenant_code, id, atena_no, program, dose, dose_label, category, vaccinated_on, date_unknown, product, data, warnings, override_reason, source, source_run_id, source_row, institution_code, claim_month, status, deleted_reason, version';
const VERSION_INSERT = 'tenant_code, record_id, version, change, reason_kind, reason, snapshot, actor, terminal';
const COLS = ['id', 'atena_no', 'version', 'status', 'data', 'warnings', 'override_reason', 'source', 'deleted_reason', 'created_by', 'created_at', 'created_terminal', 'updated_by', 'updated_at'] as const;

// ------------------------------------------------------------------ engine inputs

export interface EngineSubject {
  readonly person: { birthDate: string; sex: 'male' | 'female'; conditions: unknown[] };
  readonly history: HistoryItem[];
}

/** The person and dated, active doses as the engine sees them (excluding one record when it is being corrected). */
export async function engineSubject(w: Work, atenaNo: string, excludeRecord?: string): Promise<EngineSubject> {
  return (await subjectAndConfig(w, atenaNo, excludeRecord)).subject;
}

/**
 * The engine's inputs and the tenant's current schedule-configuration version in ONE round trip (person,
 * conditions and dated active doses), because every dose registration needs them before it can be checked.
 */
async function subjectAndConfig(w: Work, atenaNo: string, excludeRecord?: string): Promise<{ subject: EngineSubject; configVersion: number | null }> {
  const { subjects, configVersion } = await subjectsAndConfig(w, [atenaNo], excludeRecord, false);
  const subject = subjects.get(atenaNo);
  if (!subject) throw notFound('住民');
  return { subject, configVersion };
}

/** The same for several persons in one round trip; `lock` takes their rows FOR UPDATE in 宛名番号 order. */
async function subjectsAndConfig(w: Work, atenaNos: readonly string[], excludeRecord?: string, lock = true): Promise<{ subjects: Map<string, EngineSubject>; configVersion: number | null }> {
  const r = await sql<{ atena_no: string; birth_date: string; sex: 'male' | 'female'; conditions: { code: string; detail: Record<string, unknown> }[]; history: { id: string; product: string; date: string }[]; config_version: number | null }>`
    SELECT p.atena_no, p.birth_date, p.sex,
      (SELECT coalesce(json_agg(json_build_object('code', c.code, 'detail', c.detail) ORDER BY c.code), '[]')
         FROM municipality.person_conditions c WHERE c.tenant_code = p.tenant_code AND c.atena_no = p.atena_no) AS conditions,
      -- "status <> 'deleted'" (the same rows: status is 'active' or 'deleted') on purpose: with "status = 'active'"
      -- the partial indexes on active records (claims, programs) also match, and on a table whose statistics
      -- are stale (a new tenant's first day) the planner took the claims index and read every record of the
      -- tenant for each person — a registration cost grew with the ledger.  Only the person index fits this.
      (SELECT coalesce(json_agg(json_build_object('id', v.id, 'product', v.product, 'date', v.vaccinated_on) ORDER BY v.vaccinated_on, v.created_at, v.id), '[]')
         FROM municipality.vaccination_records v
        WHERE v.tenant_code = p.tenant_code AND v.atena_no = p.atena_no AND v.status <> 'deleted' AND v.vaccinated_on IS NOT NULL AND v.product IS NOT NULL
          AND (${excludeRecord ?? null}::uuid IS NULL OR v.id <> ${excludeRecord ?? null}::uuid)) AS history,
      (SELECT max(s.version) FROM municipality.schedule_configs s WHERE s.tenant_code = p.tenant_code) AS config_version
    FROM municipality.persons p
    WHERE p.tenant_code = ${w.tenant} AND p.atena_no = ANY(${atenaNos as string[]}::text[])
    ORDER BY p.atena_no
    ${lock ? sql`FOR UPDATE OF p` : sql``}`.execute(w.tx);
  const subjects = new Map<string, EngineSubject>();
  let configVersion: number | null = null;
  for (const p of r.rows) {
    configVersion = p.config_version;
    subjects.set(p.atena_no, {
      person: { birthDate: p.birth_date, sex: p.sex, conditions: p.conditions.map((c) => (Object.keys(c.detail).length ? { code: c.code, ...c.detail } : c.code)) },
      history: p.history.map((h) => ({ product: h.product, date: h.date, ref: h.id })),
    });
  }
  if (!r.rows.length) {
    const v = await sql<{ v: number | null }>`SELECT max(version) AS v FROM municipality.schedule_configs WHERE tenant_code = ${w.tenant}`.execute(w.tx);
    configVersion = v.rows[0]?.v ?? null;
  }
  return { subjects, configVersion };
}

/** Runs the engine's check for a dose and turns its problems and notes into the record's 警告内容 (VAX-23). */
export function assess(catalog: Catalog, subject: EngineSubject, data: RecordData): { check: CheckResult | null; warnings: Warning[] } {
  if (!data.product || !data.vaccinatedOn) {
    return { check: null, warnings: [{ code: 'NOT_CHECKED', level: 'note', message: data.product ? '接種日不明のため接種間隔等を確認できません' : 'ワクチンが不明のため接種間隔等を確認できません' }] };
  }
  if (!catalog.productByCode.has(data.product)) return { check: null, warnings: [{ code: 'UNKNOWN_PRODUCT', level: 'problem', message: `カタログにないワクチンです（${data.product}）` }] };
  const check = checkWith(catalog, subject.person as Parameters<typeof checkWith>[1], subject.history, { product: data.product, date: data.vaccinatedOn, ...(data.program && catalog.programsByCode.has(data.program) ? { program: data.program } : {}) });
  const warnings: Warning[] = [...check.problems.map((p) => ({ code: p.code, message: p.message, level: 'problem' as const })), ...check.notes.map((n) => ({ code: n.code, message: n.message, level: 'note' as const }))];
  return { check, warnings };
}

function categoryOf(catalog: Catalog, program: string | null, fallback: Category | undefined): Category {
  const entries = program ? catalog.programsByCode.get(program) : undefined;
  return (entries?.[entries.length - 1]?.category as Category | undefined) ?? fallback ?? '任意';
}

/**
 * VAX-29/VAX-31: the record's 自己負担区分, amount and 徴収区分 from the tenant's co-payment rule and the
 * resident's situation on the vaccination date — unless they were given (staff's entry, an imported fact):
 * a given 自己負担区分 is kept as it is.  The engine's reasons are kept with the record (copayBasis).
 */
function withCopay(data: RecordData, copay: CopayContext, atenaNo: string): RecordData {
  if (data.copayCategory) return data;
  const d = copay.decide(atenaNo, data.program, data.category, data.vaccinatedOn);
  if (!d) return data;
  const feeCollection = data.feeCollection ?? d.collection;
  return { ...data, copayCategory: d.category, copayAmount: d.amount, copayBasis: [...d.reasons], feeCollection, feeAmount: data.feeAmount ?? (feeCollection === 'none' ? 0 : d.amount) };
}

// ------------------------------------------------------------------ operations

export interface DoseCheck {
  readonly program: string | null;
  readonly dose: number | null;
  readonly category: Category;
  readonly warnings: readonly Warning[];
  /** The co-payment decision for this dose (null: no rule for the program and fiscal year, or no date). */
  readonly copay: CopayDecision | null;
}

/** The live check behind the entry screen: what the engine says of a dose before it is saved (nothing is written). */
export async function checkDose(w: Work, atenaNo: string, raw: unknown): Promise<DoseCheck> {
  requireResidentAccess(w.actor, 'personal.read', ['vaccination'], atenaNo);
  const input = parseInput(RecordInput, raw);
  const { catalog } = await catalogFor(w);
  const { check, warnings } = assess(catalog, await engineSubject(w, atenaNo), { ...input, category: input.category ?? '任意' });
  const program = input.program ?? check?.program ?? null;
  const category = input.category ?? categoryOf(catalog, program, undefined);
  const copay = (await copayContext(w, [{ atenaNo, date: input.vaccinatedOn }])).decide(atenaNo, program, category, input.vaccinatedOn);
  return { program, dose: input.dose ?? check?.dose ?? null, category, warnings, copay };
}

const Override = fields.text(500);

export interface SaveOptions {
  readonly source: RecordSource;
  /** Staff's reason to keep a dose the rules forbid (required when there are problems and `acceptProblems` is false). */
  readonly overrideReason?: string | undefined;
  /** Imported facts: keep the problems as 警告内容 without an override (VAX-23). */
  readonly acceptProblems?: boolean;
  readonly sourceRunId?: string | null;
  readonly sourceRow?: number | null;
}

export class ScheduleProblems extends Problem {
  constructor(readonly warnings: readonly Warning[]) {
    super(409, 'SCHEDULE_PROBLEMS', '接種の規則に合いません', `${warnings.filter((w) => w.level === 'problem').map((w) => w.message).join('／')}。登録するには理由を入力してください。`, [{ field: 'overrideReason', code: 'OVERRIDE_REQUIRED', message: '規則に合わない接種を登録する理由を入力してください' }]);
  }
}

/** Registers a dose for a resident.  Returns the record with its warnings. */
export async function createRecord(w: Work, atenaNo: string, raw: unknown, opts: SaveOptions): Promise<VaccinationRecord> {
  const [r] = await createRecords(w, [{ atenaNo, raw, opts, meta: w.meta }]);
  if (!r!.ok) throw r!.error;
  return r!.value;
}

export interface DoseToRegister {
  readonly atenaNo: string;
  readonly raw: unknown;
  readonly opts: SaveOptions;
  /** The item's own request (its request id goes into its operation-log entry). */
  readonly meta: Meta;
}

/**
 * Registers several doses in the caller's transaction (decision 0130: the group commit of the API's dose
 * registrations; a single registration is a group of one).  Each dose is decided on its own — access, input,
 * the engine's check against the person's history including the earlier doses of the same group — and
 * answered with its record or its Problem; the accepted ones are written with their first versions and
 * operation-log entries in ONE statement.  The persons are locked in 宛名番号 order (FOR UPDATE), so two
 * groups registering for the same person are checked one after the other and never deadlock.
 *
 * `logRefusals`: write the operation-log entry of a refused item (access denied) in this transaction —
 * for groups, where the transaction commits anyway; a single registration leaves it to runAs.
 */
export async function createRecords(w: Work, items: readonly DoseToRegister[], o: { logRefusals?: boolean } = {}): Promise<Settled<VaccinationRecord>[]> {
  const out: (Settled<VaccinationRecord> | null)[] = items.map(() => null);
  // The operation-log entries of the group: refusals that carry one (access denied) and the doses written.
  const entries: Record<string, unknown>[] = [];
  const fail = (i: number, e: unknown): void => {
    out[i] = { ok: false, error: e };
    if (o.logRefusals && e instanceof Problem && e.audit) entries.push(auditFields({ ...w, meta: items[i]!.meta }, e.audit));
  };
  const inputs: ({ input: z.infer<typeof RecordInput> } | null)[] = items.map((it, i) => {
    try {
      requireResidentAccess(w.actor, 'personal.write', ['vaccination'], it.atenaNo);
      const input = parseInput(RecordInput, it.raw);
      if (input.vaccinatedOn && input.vaccinatedOn > w.clock.today()) throw invalidField('vaccinatedOn', 'DATE_FUTURE', '接種日が未来の日付です');
      return { input };
    } catch (e) {
      fail(i, e);
      return null;
    }
  });
  const wanted = [...new Set(items.filter((_, i) => inputs[i]).map((it) => it.atenaNo))];
  const { subjects, configVersion } = wanted.length ? await subjectsAndConfig(w, wanted) : { subjects: new Map<string, EngineSubject>(), configVersion: null };
  const catalog = await catalogAtVersion(w, configVersion);
  const copay = await copayContext(w, items.flatMap((it, i) => (inputs[i] ? [{ atenaNo: it.atenaNo, date: inputs[i]!.input.vaccinatedOn }] : [])));
  const records: Record<string, unknown>[] = [];
  const versions: Record<string, unknown>[] = [];
  const accepted: number[] = [];
  items.forEach((it, i) => {
    const inp = inputs[i];
    if (!inp) return;
    try {
      const subject = subjects.get(it.atenaNo);
      if (!subject) throw notFound('住民');
      const { input } = inp;
      const pre: RecordData = { ...input, category: input.category ?? '任意' };
      const { check, warnings } = assess(catalog, subject, pre);
      const problems = warnings.filter((x) => x.level === 'problem');
      let overrideReason: string | null = null;
      if (problems.length && !it.opts.acceptProblems) {
        if (!it.opts.overrideReason?.trim()) throw new ScheduleProblems(warnings);
        overrideReason = parseInput(Override, it.opts.overrideReason, 'overrideReason');
      }
      const program = input.program ?? check?.program ?? null;
      const data: RecordData = withCopay({ ...input, program, dose: input.dose ?? check?.dose ?? null, category: input.category ?? categoryOf(catalog, program, undefined) }, copay, it.atenaNo);
      const id = randomUUID();
      const opts = it.opts;
      records.push({
        tenant_code: w.tenant, id, atena_no: it.atenaNo, program: data.program, dose: data.dose, dose_label: data.doseLabel, category: data.category, vaccinated_on: data.vaccinatedOn,
        date_unknown: data.dateUnknown, product: data.product, data, warnings, override_reason: overrideReason, source: opts.source,
        source_run_id: opts.sourceRunId ?? null, source_row: opts.sourceRow ?? null, institution_code: data.institutionCode, claim_month: data.claimMonth, status: 'active', deleted_reason: null, version: 1,
      });
      versions.push({ tenant_code: w.tenant, record_id: id, version: 1, change: 'create', reason_kind: opts.source === 'clinic-batch' ? '取込' : '登録', reason: overrideReason, snapshot: { data, warnings, overrideReason }, actor: w.actor.login, terminal: it.meta.terminalId });
      entries.push(auditFields({ ...w, meta: it.meta }, { action: 'create', targetType: 'vaccination-record', targetId: id, subjectRef: `resident:${it.atenaNo}`, purpose: overrideReason ?? undefined, detail: { program: data.program, dose: data.dose, source: opts.source, warnings: warnings.map((x) => x.code) } }));
      // A later dose of the same group for the same person is checked against this one.
      if (data.product && data.vaccinatedOn) subject.history.push({ product: data.product, date: data.vaccinatedOn, ref: id });
      accepted.push(i);
    } catch (e) {
      fail(i, e);
    }
  });
  if (records.length) {
    // The records, their first versions and the operation-log entries in one statement (one round trip),
    // each table's rows as one JSON parameter: no per-value parameters to bind, no query to build per row.
    const rows = await sql<Pick<Row, 'id' | 'created_by' | 'created_at' | 'created_terminal' | 'updated_by' | 'updated_at'>>`
      WITH r AS (
        INSERT INTO municipality.vaccination_records (${sql.raw(RECORD_INSERT)})
        SELECT ${sql.raw(RECORD_INSERT)} FROM jsonb_populate_recordset(NULL::municipality.vaccination_records, ${JSON.stringify(records)}::jsonb)
        RETURNING id, created_by, created_at, created_terminal, updated_by, updated_at
      ), v AS (
        INSERT INTO municipality.vaccination_record_versions (${sql.raw(VERSION_INSERT)})
        SELECT ${sql.raw(VERSION_INSERT)} FROM jsonb_populate_recordset(NULL::municipality.vaccination_record_versions, ${JSON.stringify(versions)}::jsonb)
      ), a AS (
        INSERT INTO kernel.audit_log (${sql.raw(AUDIT_INSERT_COLUMNS)})
        SELECT ${sql.raw(AUDIT_INSERT_COLUMNS)} FROM jsonb_populate_recordset(NULL::kernel.audit_log, ${JSON.stringify(entries)}::jsonb)
      )
      SELECT * FROM r`.execute(w.tx);
    // Only the stamps come back (set by the database's trigger); the rest is what was just written.
    const stamps = new Map(rows.rows.map((r) => [r.id, r]));
    accepted.forEach((i, k) => {
      const rec = records[k] as Omit<Row, 'created_by' | 'created_at' | 'created_terminal' | 'updated_by' | 'updated_at'>;
      out[i] = { ok: true, value: view({ ...rec, ...stamps.get(rec.id)! }) };
    });
  } else if (entries.length) {
    await sql`INSERT INTO kernel.audit_log (${sql.raw(AUDIT_INSERT_COLUMNS)})
      SELECT ${sql.raw(AUDIT_INSERT_COLUMNS)} FROM jsonb_populate_recordset(NULL::kernel.audit_log, ${JSON.stringify(entries)}::jsonb)`.execute(w.tx);
  }
  return out.map((r) => r!);
}

const Correction = z.object({
  reasonKind: z.enum(REASON_KINDS),
  reason: fields.text(500),
  overrideReason: fields.optionalText(500),
});

/**
 * A correction of the date or the product files the dose again (decision 0096): the program, its category and
 * the dose number follow from them (a COVID-19 dose moved from 2024-10 to 2023-10 belongs to the 特例臨時接種),
 * unless the correction itself names the program or a new dose number.
 */
function refiled(cur: RecordData, changes: Record<string, unknown>): Record<string, unknown> {
  const moved = ('vaccinatedOn' in changes && (changes['vaccinatedOn'] ?? null) !== cur.vaccinatedOn) || ('product' in changes && (changes['product'] ?? null) !== cur.product);
  if (!moved || 'program' in changes) return {};
  const dose = changes['dose'];
  const newDose = dose !== undefined && dose !== null && dose !== '' && Number(dose) !== cur.dose;
  return { program: null, ...('category' in changes ? {} : { category: undefined }), ...(newDose ? {} : { dose: null, doseLabel: null }) };
}

/** VAX-22: a correction is a new version with its reason; the previous content stays in the history. */
export async function correctRecord(w: Work, id: string, raw: unknown, correctionRaw: unknown): Promise<VaccinationRecord> {
  const c = parseInput(Correction, correctionRaw);
  const cur = await w.tx.selectFrom('municipality.vaccination_records').select([...COLS, 'atena_no']).where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!cur) throw notFound('接種記録');
  requireResidentAccess(w.actor, 'personal.write', ['vaccination'], cur.atena_no);
  if (cur.status !== 'active') throw conflict('RECORD_DELETED', '削除された記録は修正できません。');
  const changes = raw as Record<string, unknown>;
  const input = parseInput(RecordInput, { ...cur.data, ...changes, ...refiled(cur.data, changes) });
  const { catalog } = await catalogFor(w);
  const subject = await engineSubject(w, cur.atena_no, id);
  const { check, warnings } = assess(catalog, subject, { ...input, category: input.category ?? cur.data.category });
  const problems = warnings.filter((x) => x.level === 'problem');
  if (problems.length && !c.overrideReason) throw new ScheduleProblems(warnings);
  const program = input.program ?? check?.program ?? null;
  let data: RecordData = { ...input, program, dose: input.dose ?? check?.dose ?? null, category: input.category ?? categoryOf(catalog, program, cur.data.category) };
  // A category the engine decided is decided again for the corrected dose (date, program); one given by hand stays.
  if (cur.data.copayBasis?.length && !('copayCategory' in changes)) {
    const fresh = { ...data, copayCategory: null, copayAmount: null, copayBasis: null, ...('feeCollection' in changes ? {} : { feeCollection: null }), ...('feeAmount' in changes ? {} : { feeAmount: null }) };
    data = withCopay(fresh, await copayContext(w, [{ atenaNo: cur.atena_no, date: data.vaccinatedOn }]), cur.atena_no);
  }
  const version = cur.version + 1;
  const row = await w.tx
    .updateTable('municipality.vaccination_records')
    .set({ program: data.program, dose: data.dose, dose_label: data.doseLabel, category: data.category, vaccinated_on: data.vaccinatedOn, date_unknown: data.dateUnknown, product: data.product, data: jsonb(data), warnings: jsonb(warnings), override_reason: problems.length ? (c.overrideReason ?? null) : null, institution_code: data.institutionCode, claim_month: data.claimMonth, version })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returning(COLS)
    .executeTakeFirstOrThrow();
  await w.tx.insertInto('municipality.vaccination_record_versions').values({ tenant_code: w.tenant, record_id: id, version, change: 'correct', reason_kind: c.reasonKind, reason: c.reason, snapshot: jsonb({ data, warnings, overrideReason: c.overrideReason ?? null, before: cur.data }), actor: w.actor.login, terminal: w.meta.terminalId }).execute();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'vaccination-record', targetId: id, subjectRef: `resident:${cur.atena_no}`, purpose: `${c.reasonKind}: ${c.reason}`, detail: { version, changed: Object.keys(data).filter((k) => JSON.stringify((data as Record<string, unknown>)[k]) !== JSON.stringify((cur.data as Record<string, unknown>)[k])) } });
  return view(row as Row);
}

/** Logical deletion with a reason (the record and its versions remain). */
export async function deleteRecord(w: Work, id: string, correctionRaw: unknown): Promise<VaccinationRecord> {
  const c = parseInput(Correction.omit({ overrideReason: true }), correctionRaw);
  const cur = await w.tx.selectFrom('municipality.vaccination_records').select(COLS).where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!cur) throw notFound('接種記録');
  requireResidentAccess(w.actor, 'personal.write', ['vaccination'], cur.atena_no);
  if (cur.status !== 'active') throw conflict('RECORD_DELETED', 'この記録は既に削除されています。');
  const version = cur.version + 1;
  const row = await w.tx.updateTable('municipality.vaccination_records').set({ status: 'deleted', deleted_reason: `${c.reasonKind}: ${c.reason}`, version }).where('tenant_code', '=', w.tenant).where('id', '=', id).returning(COLS).executeTakeFirstOrThrow();
  await w.tx.insertInto('municipality.vaccination_record_versions').values({ tenant_code: w.tenant, record_id: id, version, change: 'delete', reason_kind: c.reasonKind, reason: c.reason, snapshot: jsonb({ data: cur.data }), actor: w.actor.login, terminal: w.meta.terminalId }).execute();
  await appendEntry(w.tx, w, { action: 'delete', targetType: 'vaccination-record', targetId: id, subjectRef: `resident:${cur.atena_no}`, purpose: `${c.reasonKind}: ${c.reason}` });
  return view(row as Row);
}

export async function getRecord(w: Work, id: string): Promise<VaccinationRecord> {
  const r = /^[0-9a-f-]{36}$/i.test(id) ? await w.tx.selectFrom('municipality.vaccination_records').select(COLS).where('tenant_code', '=', w.tenant).where('id', '=', id).executeTakeFirst() : undefined;
  if (!r) throw notFound('接種記録');
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, r.atena_no);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'vaccination-record', targetId: id, subjectRef: `resident:${r.atena_no}` });
  return view(r as Row);
}

export interface RecordVersion {
  readonly version: number;
  readonly change: 'create' | 'correct' | 'delete';
  readonly reasonKind: string;
  readonly reason: string | null;
  readonly snapshot: Record<string, unknown>;
  readonly actor: string;
  readonly terminal: string | null;
  readonly recordedAt: Date;
}

export async function recordVersions(w: Work, id: string): Promise<RecordVersion[]> {
  const rec = await getRecord(w, id);
  const rows = await w.tx.selectFrom('municipality.vaccination_record_versions').selectAll().where('tenant_code', '=', w.tenant).where('record_id', '=', rec.id).orderBy('version').execute();
  return rows.map((r) => ({ version: r.version, change: r.change, reasonKind: r.reason_kind, reason: r.reason, snapshot: r.snapshot, actor: r.actor, terminal: r.terminal, recordedAt: r.recorded_at }));
}

export interface Timeline {
  readonly atenaNo: string;
  readonly asOf: string;
  readonly catalogVersion: string;
  readonly records: readonly VaccinationRecord[];
  readonly evaluation: EvaluateResult;
}

/** issue 4 point 6: the person's records with the engine's status, next dose and reasons for each program. */
export async function personTimeline(w: Work, atenaNo: string, asOf = w.clock.today()): Promise<Timeline> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  const rows = await w.tx.selectFrom('municipality.vaccination_records').select(COLS).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).orderBy('vaccinated_on').orderBy('created_at').execute();
  const { catalog, version } = await catalogFor(w);
  const subject = await engineSubject(w, atenaNo);
  const evaluation = evaluateWith(catalog, subject.person as Parameters<typeof evaluateWith>[1], subject.history, asOf);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'vaccination-history', targetId: atenaNo, subjectRef: `resident:${atenaNo}` });
  return { atenaNo, asOf, catalogVersion: version, records: rows.map((r) => view(r as Row)), evaluation };
}

/** Sets (or clears) a condition the engine uses (e.g. 'b-disability-60-64', 'ppsv23-previous', a 長期療養特例). */
export async function setCondition(w: Work, atenaNo: string, raw: unknown): Promise<void> {
  requireResidentAccess(w.actor, 'personal.write', ['vaccination'], atenaNo);
  const input = parseInput(z.object({ code: z.string().trim().min(1).max(60), detail: z.record(z.string(), z.string()).default({}), note: fields.optionalText(200), remove: z.boolean().default(false) }), raw);
  const { catalog } = await catalogFor(w);
  if (!catalog.conditionCodes.has(input.code)) throw invalidField('code', 'CONDITION_UNKNOWN', 'カタログにない条件のコードです');
  if (input.remove) {
    await w.tx.deleteFrom('municipality.person_conditions').where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).where('code', '=', input.code).execute();
  } else {
    await w.tx
      .insertInto('municipality.person_conditions')
      .values({ tenant_code: w.tenant, atena_no: atenaNo, code: input.code, detail: jsonb(input.detail), note: input.note ?? null })
      .onConflict((oc) => oc.columns(['tenant_code', 'atena_no', 'code']).doUpdateSet({ detail: jsonb(input.detail), note: input.note ?? null }))
      .execute();
  }
  await appendEntry(w.tx, w, { action: input.remove ? 'delete' : 'update', targetType: 'person-condition', targetId: input.code, subjectRef: `resident:${atenaNo}` });
}
