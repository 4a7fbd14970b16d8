// Per-tenant security settings (password policy, lockout, session timeouts, MFA requirement).
import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { TenantSettingsTable } from '../db/index.js';
import type { Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { parseInput } from '../problems/index.js';
import type { PasswordPolicy } from './passwords.js';
import { authorize } from '../policy/index.js';

export type TenantSettings = Selectable<TenantSettingsTable>;

export async function loadSettings(w: Work): Promise<TenantSettings> {
  const s = await w.tx.selectFrom('kernel.tenant_settings').selectAll().where('tenant_code', '=', w.tenant).executeTakeFirst();
  if (s) return s;
  // Defaults (the row is created with the organisation; this covers tenants created before that).
  return {
    tenant_code: w.tenant,
    password_min_length: 12,
    password_min_classes: 3,
    password_history: 5,
    password_max_age_days: 180,
    lockout_threshold: 5,
    lockout_minutes: 30,
    idle_timeout_minutes: 15,
    session_max_hours: 12,
    mfa_required: false,
    review_inactive_days: 30,
    review_expiring_days: 30,
    updated_at: new Date(0),
  };
}

export function policyOf(s: TenantSettings): PasswordPolicy {
  return { minLength: s.password_min_length, minClasses: s.password_min_classes, history: s.password_history, maxAgeDays: s.password_max_age_days };
}

const int = (min: number, max: number) => z.coerce.number().int('整数で入力してください').min(min, `${min}以上にしてください`).max(max, `${max}以下にしてください`);

export const SettingsInput = z
  .object({
    password_min_length: int(8, 128),
    password_min_classes: int(1, 4),
    password_history: int(0, 24),
    password_max_age_days: int(0, 3650),
    lockout_threshold: int(3, 20),
    lockout_minutes: int(1, 1440),
    idle_timeout_minutes: int(1, 240),
    session_max_hours: int(1, 24),
    mfa_required: z.boolean(),
    review_inactive_days: int(1, 3650),
    review_expiring_days: int(1, 3650),
  })
  .partial();

export async function updateSettings(w: Work, raw: unknown): Promise<TenantSettings> {
  authorize(w.actor, 'settings.manage', 'account-admin', { type: 'tenant-settings', id: w.tenant });
  const input = parseInput(SettingsInput, raw);
  const before = await loadSettings(w);
  await w.tx.updateTable('kernel.tenant_settings').set({ ...input, updated_at: w.clock.now() }).where('tenant_code', '=', w.tenant).execute();
  const after = await loadSettings(w);
  const changed = Object.fromEntries(Object.keys(input).map((k) => [k, { before: before[k as keyof TenantSettings], after: after[k as keyof TenantSettings] }]));
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'tenant-settings', targetId: w.tenant, detail: changed });
  return after;
}
