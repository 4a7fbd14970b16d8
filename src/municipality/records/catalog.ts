// The schedule catalog a tenant works with: the national catalog plus its own latest configuration
// (臨時・特措法・任意 programs, season overrides), cached by (tenant, version).
import type { Work } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { forbidden } from '../../kernel/problems/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { defaultCatalog, validateMunicipalConfig, withMunicipalConfig, type Catalog } from '../schedule/index.js';

const cache = new Map<string, Catalog>();

export async function catalogFor(w: Work): Promise<{ catalog: Catalog; version: string }> {
  const row = await w.tx.selectFrom('municipality.schedule_configs').select(['version', 'config']).where('tenant_code', '=', w.tenant).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (!row) return { catalog: defaultCatalog(), version: defaultCatalog().version };
  const key = `${w.tenant}|${row.version}`;
  let cat = cache.get(key);
  if (!cat) {
    cat = withMunicipalConfig(defaultCatalog(), row.config);
    cache.set(key, cat);
  }
  return { catalog: cat, version: `${defaultCatalog().version}+${w.tenant}.${row.version}` };
}

/**
 * The same catalog when the caller already knows the tenant's latest configuration version (null: none):
 * no query unless that version is not cached yet.
 */
export async function catalogAtVersion(w: Work, configVersion: number | null): Promise<Catalog> {
  if (configVersion === null) return defaultCatalog();
  const cached = cache.get(`${w.tenant}|${configVersion}`);
  return cached ?? (await catalogFor(w)).catalog;
}

// ------------------------------------------------------------------ the tenant's own configuration (issue 4 point 1)

export interface ScheduleConfigVersion {
  readonly version: number;
  readonly note: string | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  /** Program codes the configuration adds (臨時・特措法・任意), with their names and categories. */
  readonly programs: readonly { code: string; name: string; category: string }[];
  readonly seasonOverrides: readonly string[];
}

/**
 * Who may change the municipality's schedule configuration: a supervisor (所属長・責任者) of the vaccination duty,
 * or the command-line operator.  It changes who is eligible, so ordinary clerks may only read it (decision 0029).
 */
function requireConfigChange(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
  if (w.actor.role !== 'supervisor') {
    throw forbidden('予防接種の設定を変更できるのは、予防接種事務の所属長・責任者です。').withAudit({ action: 'access_denied', targetType: 'schedule-config', outcome: 'denied', detail: { requiredRole: 'supervisor', duty: 'vaccination' } });
  }
}

function describe(row: { version: number; note: string | null; created_at: Date; created_by: string; config: unknown }): ScheduleConfigVersion {
  const cfg = row.config as { programs?: { code: string; name: string; category: string }[]; seasonOverrides?: Record<string, unknown> };
  return {
    version: row.version,
    note: row.note,
    createdAt: row.created_at,
    createdBy: row.created_by,
    programs: (cfg.programs ?? []).map((p) => ({ code: p.code, name: p.name, category: p.category })),
    seasonOverrides: Object.keys(cfg.seasonOverrides ?? {}),
  };
}

/**
 * Saves a new version of the municipality's configuration (docs/formats/schedule-cli.md "municipal configuration"):
 * validated against the national catalog exactly as the engine will use it; the earlier versions stay (records
 * keep the catalog version they were checked with).  Logged as a settings change.
 */
export async function saveScheduleConfig(w: Work, raw: unknown, note?: string): Promise<ScheduleConfigVersion> {
  requireConfigChange(w);
  const config = validateMunicipalConfig(raw);
  withMunicipalConfig(defaultCatalog(), config);
  const cleanNote = note?.trim().slice(0, 500) || null;
  const last = await w.tx.selectFrom('municipality.schedule_configs').select((eb) => eb.fn.max('version').as('v')).where('tenant_code', '=', w.tenant).executeTakeFirst();
  const version = Number(last?.v ?? 0) + 1;
  const row = await w.tx
    .insertInto('municipality.schedule_configs')
    .values({ tenant_code: w.tenant, version, config: jsonb(raw as Record<string, unknown>), note: cleanNote, created_by: w.actor.login })
    .returning(['version', 'note', 'created_at', 'created_by', 'config'])
    .executeTakeFirstOrThrow();
  const v = describe(row);
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'schedule-config', targetId: String(version), detail: { version, programs: v.programs.map((p) => p.code), seasonOverrides: v.seasonOverrides } });
  return v;
}

/** Every saved version, newest first. */
export async function listScheduleConfigs(w: Work): Promise<ScheduleConfigVersion[]> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const rows = await w.tx.selectFrom('municipality.schedule_configs').select(['version', 'note', 'created_at', 'created_by', 'config']).where('tenant_code', '=', w.tenant).orderBy('version', 'desc').execute();
  return rows.map(describe);
}

/** One version's configuration as saved (the JSON staff uploaded). */
export async function getScheduleConfig(w: Work, version?: number): Promise<{ version: number; config: unknown } | null> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  let q = w.tx.selectFrom('municipality.schedule_configs').select(['version', 'config']).where('tenant_code', '=', w.tenant);
  if (version !== undefined) q = q.where('version', '=', version);
  const r = await q.orderBy('version', 'desc').limit(1).executeTakeFirst();
  return r ? { version: r.version, config: r.config } : null;
}
