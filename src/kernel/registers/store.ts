// The register framework (decision 0126): entries, their versions and their steps, with one access rule,
// one validation of declared fields, one CSV writer and an audit entry for every create, correction, step,
// view and export.
import type { Generated } from 'kysely';
import { sql } from 'kysely';
import type { Actor, Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { jsonb } from '../db/index.js';
import { conflict, forbidden, notFound, validationFailed, type FieldError } from '../problems/index.js';
import { can, dutyLabel } from '../policy/index.js';
import { addDays, formatJst, toHalfWidthDigits } from '../jp/index.js';
import { isRealDate } from '../fields/index.js';
import { csvDocument } from '../csv/index.js';
import { defaultOf, REGISTERS, type FieldDef, type RegisterDef, type StepDef, type Values } from './declarations.js';

interface Stamped {
  created_at: Generated<Date>;
  created_by: Generated<string>;
  created_terminal: Generated<string | null>;
  created_program: Generated<string>;
  updated_at: Generated<Date>;
  updated_by: Generated<string>;
  updated_terminal: Generated<string | null>;
  updated_program: Generated<string>;
}

export interface RegisterEntryTable extends Stamped {
  tenant_code: string;
  id: Generated<string>;
  register: string;
  number: number;
  status: string;
  version: Generated<number>;
  data: unknown;
  due_on: string | null;
  flagged: Generated<boolean>;
}
export interface RegisterVersionTable extends Stamped {
  tenant_code: string;
  entry_id: string;
  version: number;
  data: unknown;
  reason: string | null;
  recorded_by: string;
}
export interface RegisterStepTable extends Stamped {
  tenant_code: string;
  entry_id: string;
  seq: number;
  kind: string;
  on_date: string;
  data: unknown;
  recorded_by: string;
}

declare module '../db/types.js' {
  interface Database {
    'kernel.register_entries': RegisterEntryTable;
    'kernel.register_versions': RegisterVersionTable;
    'kernel.register_steps': RegisterStepTable;
  }
}

// ------------------------------------------------------------------ declarations and access

export function registers(): readonly RegisterDef[] {
  return REGISTERS;
}

export function registerDef(name: string): RegisterDef | undefined {
  return REGISTERS.find((r) => r.name === name);
}

function must(name: string): RegisterDef {
  const r = registerDef(name);
  if (!r) throw notFound('台帳');
  return r;
}

export const targetTypeOf = (r: RegisterDef): string => `register-${r.name}`;

/** Keeps the register: write permission in one of its duties (or the administrator where declared). */
export function mayWrite(actor: Actor, name: string): boolean {
  const r = registerDef(name);
  if (!r) return false;
  return r.duties.some((d) => can(actor, 'personal.write', d)) || (r.adminWrites && can(actor, 'settings.manage', 'account-admin'));
}

/** Reads the register: its keepers and readers, the administrator and the auditor (internal audit, KRN-56). */
export function mayRead(actor: Actor, name: string): boolean {
  const r = registerDef(name);
  if (!r) return false;
  return mayWrite(actor, name) || r.duties.some((d) => can(actor, 'personal.read', d)) || can(actor, 'accounts.manage', 'account-admin') || can(actor, 'audit.review', 'audit-review');
}

function authorizeRegister(w: Work, r: RegisterDef, mode: 'read' | 'write', id?: string): void {
  if (mode === 'write' ? mayWrite(w.actor, r.name) : mayRead(w.actor, r.name)) return;
  const who = [...r.duties.slice(0, 1).map(dutyLabel), ...(r.adminWrites ? ['システム管理'] : [])].join('」または「');
  throw forbidden(`「${r.label}」を${mode === 'write' ? '記録' : '参照'}するには「${who}」の所掌事務の権限が必要です。`).withAudit({
    action: 'access_denied',
    targetType: targetTypeOf(r),
    targetId: id,
    outcome: 'denied',
    detail: { mode },
  });
}

// ------------------------------------------------------------------ validation

/** A My Number-like run of 12 digits (full-width, grouped 4-4-4 with spaces or hyphens counted). */
const MYNUMBER_LIKE = /(?<!\d)\d{4}[-‐－ \u3000]?\d{4}[-‐－ \u3000]?\d{4}(?!\d)/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
export const MYNUMBER_REFUSED = '個人番号（12桁の番号）と思われる数字は記録できません。番号を除いて入力してください';

export function looksLikeMyNumber(s: string): boolean {
  return MYNUMBER_LIKE.test(toHalfWidthDigits(s));
}

function str(v: unknown): string {
  if (Array.isArray(v)) return str(v[0]);
  return v === undefined || v === null ? '' : String(v).trim();
}

/** The declared fields of `raw`, checked; throws a validation problem naming each field by its message. */
function validate(fields: readonly FieldDef[], raw: Record<string, unknown>, prefix = ''): { values: Record<string, string>; errors: FieldError[] } {
  const values: Record<string, string> = {};
  const errors: FieldError[] = [];
  const fail = (f: FieldDef, code: string, message: string) => errors.push({ field: prefix + f.name, code, message });
  for (const f of fields) {
    let v = str(raw[f.name]);
    if (f.type === 'date' || f.type === 'number') v = toHalfWidthDigits(v).replace(/\//g, '-');
    if (!v) {
      if (f.required) fail(f, 'REQUIRED', f.type === 'select' ? '選択してください' : '入力してください');
      continue;
    }
    if (CONTROL.test(v)) fail(f, 'CONTROL_CHARACTER', '制御文字は使用できません');
    else if (f.type === 'date' && !(/^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(v))) fail(f, 'DATE_FORMAT', '日付は YYYY-MM-DD 形式の実在する日付で入力してください');
    else if (f.type === 'number' && !/^\d{1,9}$/.test(v)) fail(f, 'NUMBER_FORMAT', '0以上の整数で入力してください');
    else if (f.type === 'select' && !(f.options ?? []).includes(v)) fail(f, 'OPTION_UNKNOWN', '選択肢から選んでください');
    else if ((f.type === 'text' || f.type === 'textarea') && v.length > (f.type === 'text' ? 200 : 2000)) fail(f, 'TOO_LONG', `${f.type === 'text' ? 200 : 2000}文字以内で入力してください`);
    else if ((f.type === 'text' || f.type === 'textarea') && looksLikeMyNumber(v)) fail(f, 'MYNUMBER_IN_TEXT', MYNUMBER_REFUSED);
    values[f.name] = f.type === 'number' ? String(Number(v)) : v;
  }
  return { values, errors };
}

function crossErrors(map: Readonly<Record<string, string | undefined>>, have: readonly FieldError[], prefix = ''): FieldError[] {
  return Object.entries(map)
    .filter(([k, m]) => m !== undefined && !have.some((e) => e.field === prefix + k))
    .map(([k, message]) => ({ field: prefix + k, code: "INCONSISTENT", message: message! }));
}

// ------------------------------------------------------------------ views

export interface StepView {
  readonly seq: number;
  readonly kind: string;
  readonly label: string;
  readonly on: string;
  readonly data: Values;
  readonly recordedBy: string;
  readonly recordedAt: Date;
}
export interface VersionView {
  readonly version: number;
  readonly data: Values;
  readonly reason: string | null;
  readonly recordedBy: string;
  readonly recordedAt: Date;
}
export interface EntryView {
  readonly id: string;
  readonly register: string;
  readonly number: number;
  readonly status: string;
  readonly statusLabel: string;
  readonly open: boolean;
  readonly version: number;
  readonly data: Values;
  readonly dueOn: string | null;
  readonly flagged: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** A watched deadline that has passed while the entry is open (as of the kernel clock). */
  readonly overdue: boolean;
}
export interface EntryDetail extends EntryView {
  readonly versions: readonly VersionView[];
  readonly steps: readonly StepView[];
}

const day = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

function toView(r: RegisterDef, row: { id: string; number: number; status: string; version: number; data: unknown; due_on: unknown; flagged: boolean; created_by: string; created_at: Date; updated_at: Date }, today: string): EntryView {
  const st = r.statuses.find((s) => s.code === row.status);
  const dueOn = row.due_on === null || row.due_on === undefined ? null : day(row.due_on);
  const open = st?.open ?? false;
  return {
    id: row.id, register: r.name, number: row.number, status: row.status, statusLabel: st?.label ?? row.status, open, version: row.version,
    data: (row.data ?? {}) as Values, dueOn, flagged: row.flagged, createdBy: row.created_by, createdAt: row.created_at, updatedAt: row.updated_at,
    overdue: open && dueOn !== null && dueOn < today && !['decided'].includes(row.status),
  };
}

async function load(w: Work, r: RegisterDef, number: number) {
  if (!Number.isInteger(number) || number <= 0) throw notFound(`${r.label}の記録`);
  const row = await w.tx.selectFrom('kernel.register_entries').selectAll().where('tenant_code', '=', w.tenant).where('register', '=', r.name).where('number', '=', number).forUpdate().executeTakeFirst();
  if (!row) throw notFound(`${r.label}の記録`);
  return row;
}

// ------------------------------------------------------------------ create, correct, steps

export async function createEntry(w: Work, name: string, raw: Record<string, unknown>): Promise<EntryView> {
  const r = must(name);
  authorizeRegister(w, r, 'write');
  // A field left out altogether takes its default (the disclosure fee: 0 unless the deployment sets one).
  const given: Record<string, unknown> = { ...raw };
  for (const f of r.fields) if (given[f.name] === undefined && defaultOf(r.name, f) !== '') given[f.name] = defaultOf(r.name, f);
  const { values, errors } = validate(r.fields, given);
  errors.push(...crossErrors(r.check?.(values) ?? {}, errors));
  await checkLinks(w, r, values, errors);
  if (errors.length) throw validationFailed(errors);
  const derived = r.derive?.(values, null) ?? {};
  // One writer at a time per register and tenant for the running number.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`register:${w.tenant}:${r.name}`}))`.execute(w.tx);
  const max = await w.tx.selectFrom('kernel.register_entries').select((eb) => eb.fn.max('number').as('n')).where('tenant_code', '=', w.tenant).where('register', '=', r.name).executeTakeFirst();
  const number = Number(max?.n ?? 0) + 1;
  const row = await w.tx
    .insertInto('kernel.register_entries')
    .values({ tenant_code: w.tenant, register: r.name, number, status: r.initial, data: jsonb(values), due_on: derived.dueOn ?? null, flagged: derived.flagged ?? false })
    .returningAll()
    .executeTakeFirstOrThrow();
  await w.tx.insertInto('kernel.register_versions').values({ tenant_code: w.tenant, entry_id: row.id, version: 1, data: jsonb(values), reason: null, recorded_by: w.actor.login }).execute();
  await appendEntry(w.tx, w, { action: 'create', targetType: targetTypeOf(r), targetId: row.id, detail: { number, flagged: row.flagged } });
  return toView(r, row, w.clock.today());
}

/** Links to other registers named by number must exist (an inquiry's incident, a hand-over's contract). */
async function checkLinks(w: Work, r: RegisterDef, values: Record<string, string>, errors: FieldError[]): Promise<void> {
  const links: [string, string][] = r.name === 'inquiry' ? [['incident', 'incident']] : r.name === 'handover' ? [['contract', 'outsourcing']] : [];
  for (const [field, target] of links) {
    const n = values[field];
    if (!n || errors.some((e) => e.field === field)) continue;
    const hit = await w.tx.selectFrom('kernel.register_entries').select('id').where('tenant_code', '=', w.tenant).where('register', '=', target).where('number', '=', Number(n)).executeTakeFirst();
    if (!hit) errors.push({ field, code: 'LINK_UNKNOWN', message: `その番号の「${registerDef(target)!.label}」の記録はありません` });
  }
}

/** A correction: a new version of the whole entry with its reason; the earlier versions stay readable. */
export async function correctEntry(w: Work, name: string, number: number, raw: Record<string, unknown>, reason: string): Promise<EntryView> {
  const r = must(name);
  authorizeRegister(w, r, 'write', String(number));
  const cur = await load(w, r, number);
  // A field left out keeps its current value (a form sends every field; an empty one clears it).
  const given: Record<string, unknown> = { ...(cur.data as Values) };
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) given[k] = v;
  const { values, errors } = validate(r.fields, given);
  errors.push(...crossErrors(r.check?.(values) ?? {}, errors));
  await checkLinks(w, r, values, errors);
  const why = reason.trim();
  if (!why) errors.push({ field: 'reason', code: 'REQUIRED', message: '訂正の理由を入力してください' });
  else if (looksLikeMyNumber(why)) errors.push({ field: 'reason', code: 'MYNUMBER_IN_TEXT', message: MYNUMBER_REFUSED });
  else if (why.length > 500) errors.push({ field: 'reason', code: 'TOO_LONG', message: '500文字以内で入力してください' });
  if (errors.length) throw validationFailed(errors);
  const kinds = await w.tx.selectFrom('kernel.register_steps').select('kind').where('tenant_code', '=', w.tenant).where('entry_id', '=', cur.id).execute();
  const derived = r.derive?.(values, { dueOn: cur.due_on === null ? null : day(cur.due_on), steps: kinds.map((k) => k.kind) }) ?? {};
  const version = cur.version + 1;
  const row = await w.tx
    .updateTable('kernel.register_entries')
    .set({ data: jsonb(values), version, ...(derived.dueOn !== undefined ? { due_on: derived.dueOn } : {}), ...(derived.flagged !== undefined ? { flagged: derived.flagged } : {}) })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', cur.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await w.tx.insertInto('kernel.register_versions').values({ tenant_code: w.tenant, entry_id: cur.id, version, data: jsonb(values), reason: why, recorded_by: w.actor.login }).execute();
  await appendEntry(w.tx, w, { action: 'update', targetType: targetTypeOf(r), targetId: cur.id, detail: { number, version } });
  return toView(r, row, w.clock.today());
}

export function stepDef(r: RegisterDef, kind: string): StepDef | undefined {
  return r.steps.find((s) => s.kind === kind);
}

/** Records a dated step (a response, an approval, a use, a leak-response step); it may move the status. */
export async function addStep(w: Work, name: string, number: number, kind: string, raw: Record<string, unknown>): Promise<EntryView> {
  const r = must(name);
  authorizeRegister(w, r, 'write', String(number));
  const s = stepDef(r, kind);
  if (!s) throw notFound('記録の種類');
  const cur = await load(w, r, number);
  if (s.from && !s.from.includes(cur.status)) {
    const st = r.statuses.find((x) => x.code === cur.status)?.label ?? '';
    throw conflict('STEP_NOT_NOW', `「${st}」の記録には「${s.label}」を記録できません。`);
  }
  const onField: FieldDef = { name: 'on', label: s.dateLabel, type: 'date', required: true };
  const { values, errors } = validate([onField, ...s.fields], raw);
  const today = w.clock.today();
  if (values['on'] && values['on'] > today) errors.push({ field: 'on', code: 'DATE_IN_FUTURE', message: `${s.dateLabel}は今日以前の日付にしてください` });
  const dueOn = cur.due_on === null ? null : day(cur.due_on);
  errors.push(...crossErrors(r.checkStep?.(kind, values, { data: cur.data as Values, dueOn }) ?? {}, errors));
  if (errors.length) throw validationFailed(errors);
  const { on, ...data } = values;
  const last = await w.tx.selectFrom('kernel.register_steps').select((eb) => eb.fn.max('seq').as('n')).where('tenant_code', '=', w.tenant).where('entry_id', '=', cur.id).executeTakeFirst();
  const seq = Number(last?.n ?? 0) + 1;
  await w.tx.insertInto('kernel.register_steps').values({ tenant_code: w.tenant, entry_id: cur.id, seq, kind, on_date: on!, data: jsonb(data), recorded_by: w.actor.login }).execute();
  const status = typeof s.sets === 'function' ? s.sets(values) : (s.sets ?? cur.status);
  const due = r.stepDue?.(kind, values);
  const row = await w.tx
    .updateTable('kernel.register_entries')
    .set({ status, ...(due !== undefined ? { due_on: due } : {}) })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', cur.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'update', targetType: targetTypeOf(r), targetId: cur.id, detail: { number, step: kind, status } });
  return toView(r, row, today);
}

// ------------------------------------------------------------------ reading

export interface EntryFilter {
  /** A status code, or 'open' for every open status. */
  readonly status?: string | undefined;
  readonly flagged?: boolean | undefined;
  /** From/until on the register's date field. */
  readonly from?: string | undefined;
  readonly until?: string | undefined;
}

function filtered(w: Work, r: RegisterDef, f: EntryFilter) {
  let q = w.tx.selectFrom('kernel.register_entries').where('tenant_code', '=', w.tenant).where('register', '=', r.name);
  if (f.status === 'open') q = q.where('status', 'in', r.statuses.filter((s) => s.open).map((s) => s.code).concat(['-']));
  else if (f.status) q = q.where('status', '=', f.status);
  if (f.flagged) q = q.where('flagged', '=', true);
  if (f.from) q = q.where(sql<string>`data->>${r.dateField}`, '>=', f.from);
  if (f.until) q = q.where(sql<string>`data->>${r.dateField}`, '<=', f.until);
  return q;
}

/** One page of a register (newest number first) with the total matching; logged as a search. */
export async function listEntries(w: Work, name: string, f: EntryFilter, page: { offset: number; limit: number }): Promise<{ total: number; rows: EntryView[] }> {
  const r = must(name);
  authorizeRegister(w, r, 'read');
  const count = await filtered(w, r, f).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await filtered(w, r, f).selectAll().orderBy('number', 'desc').offset(page.offset).limit(page.limit).execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: targetTypeOf(r), detail: { total: Number(count.n), status: f.status ?? null, flagged: !!f.flagged } });
  const today = w.clock.today();
  return { total: Number(count.n), rows: rows.map((x) => toView(r, x, today)) };
}

/** An entry with every version and step; logged as a read. */
export async function getEntry(w: Work, name: string, number: number): Promise<EntryDetail> {
  const r = must(name);
  authorizeRegister(w, r, 'read', String(number));
  if (!Number.isInteger(number) || number <= 0) throw notFound(`${r.label}の記録`);
  const row = await w.tx.selectFrom('kernel.register_entries').selectAll().where('tenant_code', '=', w.tenant).where('register', '=', r.name).where('number', '=', number).executeTakeFirst();
  if (!row) throw notFound(`${r.label}の記録`);
  const versions = await w.tx.selectFrom('kernel.register_versions').selectAll().where('tenant_code', '=', w.tenant).where('entry_id', '=', row.id).orderBy('version', 'desc').execute();
  const steps = await w.tx.selectFrom('kernel.register_steps').selectAll().where('tenant_code', '=', w.tenant).where('entry_id', '=', row.id).orderBy('seq').execute();
  await appendEntry(w.tx, w, { action: 'read', targetType: targetTypeOf(r), targetId: row.id, detail: { number } });
  return {
    ...toView(r, row, w.clock.today()),
    versions: versions.map((v) => ({ version: v.version, data: v.data as Values, reason: v.reason, recordedBy: v.recorded_by, recordedAt: v.created_at })),
    steps: steps.map((s) => ({ seq: s.seq, kind: s.kind, label: stepDef(r, s.kind)?.label ?? s.kind, on: day(s.on_date), data: s.data as Values, recordedBy: s.recorded_by, recordedAt: s.created_at })),
  };
}

/** Inquiries that name an incident (shown on the incident). */
export async function inquiriesOfIncident(w: Work, incident: number): Promise<number[]> {
  if (!mayRead(w.actor, 'inquiry')) return [];
  const rows = await w.tx.selectFrom('kernel.register_entries').select('number').where('tenant_code', '=', w.tenant).where('register', '=', 'inquiry').where(sql<string>`data->>'incident'`, '=', String(incident)).orderBy('number').execute();
  return rows.map((x) => x.number);
}

/** Per readable register: all entries and open ones (the index). */
export async function registerCounts(w: Work): Promise<{ register: RegisterDef; total: number; open: number; writable: boolean }[]> {
  const readable = REGISTERS.filter((r) => mayRead(w.actor, r.name));
  if (!readable.length) return [];
  const rows = await w.tx
    .selectFrom('kernel.register_entries')
    .select(['register', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('tenant_code', '=', w.tenant)
    .where('register', 'in', readable.map((r) => r.name))
    .groupBy(['register', 'status'])
    .execute();
  return readable.map((r) => {
    const mine = rows.filter((x) => x.register === r.name);
    return {
      register: r,
      total: mine.reduce((a, x) => a + Number(x.n), 0),
      open: mine.filter((x) => r.statuses.find((s) => s.code === x.status)?.open).reduce((a, x) => a + Number(x.n), 0),
      writable: mayWrite(w.actor, r.name),
    };
  });
}

// ------------------------------------------------------------------ home work

/** Disclosure requests not yet decided: past their deadline, and due within `days` days. */
export async function disclosureWork(w: Work, days = 3): Promise<{ overdue: number; dueSoon: number }> {
  const today = w.clock.today();
  const base = () => w.tx.selectFrom('kernel.register_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_code', '=', w.tenant).where('register', '=', 'disclosure').where('status', 'in', ['received', 'extended']);
  const overdue = await base().where('due_on', '<', today).executeTakeFirstOrThrow();
  const soon = await base().where('due_on', '>=', today).where('due_on', '<=', addDays(today, days)).executeTakeFirstOrThrow();
  return { overdue: Number(overdue.n), dueSoon: Number(soon.n) };
}

/** Open entries of a register whose watched date has passed (hand-overs past their use deadline, incidents past the 確報 deadline). */
export async function overdueCount(w: Work, register: string): Promise<number> {
  const r = must(register);
  const open = r.statuses.filter((s) => s.open).map((s) => s.code);
  const row = await w.tx.selectFrom('kernel.register_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_code', '=', w.tenant).where('register', '=', r.name).where('status', 'in', [...open, '-']).where('due_on', '<', w.clock.today()).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inquiries flagged as a possible leak and still open; open incidents. */
export async function escalations(w: Work): Promise<{ flaggedInquiries: number; openIncidents: number }> {
  const count = async (register: string, flaggedOnly: boolean) => {
    let q = w.tx.selectFrom('kernel.register_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_code', '=', w.tenant).where('register', '=', register).where('status', '=', 'open');
    if (flaggedOnly) q = q.where('flagged', '=', true);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  return { flaggedInquiries: await count('inquiry', true), openIncidents: await count('incident', false) };
}

// ------------------------------------------------------------------ CSV

/**
 * The whole register as CSV through the kernel's one CSV writer (decision 0121: RFC 4180, CRLF, BOM, formulas
 * neutralised): the current version of each entry, its status, deadline and steps; logged as an export.
 */
export async function registerCsv(w: Work, name: string): Promise<string> {
  const r = must(name);
  authorizeRegister(w, r, 'read');
  const rows = await w.tx.selectFrom('kernel.register_entries').selectAll().where('tenant_code', '=', w.tenant).where('register', '=', r.name).orderBy('number').execute();
  const steps = rows.length
    ? await w.tx.selectFrom('kernel.register_steps').selectAll().where('tenant_code', '=', w.tenant).where('entry_id', 'in', rows.map((x) => x.id)).orderBy('seq').execute()
    : [];
  const today = w.clock.today();
  const header = ['番号', '状態', ...r.fields.map((f) => f.label), ...(r.name === 'disclosure' ? ['決定期限'] : []), '版', '経過', '登録者', '登録日時'];
  const lines = rows.map((row) => {
    const v = toView(r, row, today);
    const history = steps
      .filter((s) => s.entry_id === row.id)
      .map((s) => {
        const def = stepDef(r, s.kind);
        const d = s.data as Values;
        return `${day(s.on_date)} ${def?.label ?? s.kind}：${(def?.fields ?? []).filter((f) => d[f.name]).map((f) => `${f.label} ${d[f.name]}`).join('／')}`;
      })
      .join('\n');
    return [v.number, v.statusLabel, ...r.fields.map((f) => v.data[f.name] ?? ''), ...(r.name === 'disclosure' ? [v.dueOn ?? ''] : []), v.version, history, v.createdBy, formatJst(v.createdAt)];
  });
  await appendEntry(w.tx, w, { action: 'export', targetType: targetTypeOf(r), detail: { rows: rows.length } });
  return csvDocument(header, lines);
}
