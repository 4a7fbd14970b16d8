// Retention and erasure on the platform (PMH-22, PMH-23): log objects (the handling log, the registration
// call log and the institutions' access log) are deleted three years after their creation; at contract end every row of a tenant is erased
// and the tenant gets a report of what was erased (counts per kind, no personal data).
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import { Problem } from '../kernel/problems/index.js';
import { withTenant, type Db } from './store.js';
import { getTenant } from './tenants.js';

export const LOG_RETENTION_YEARS = 3;

function yearsBefore(now: Date, years: number): Date {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d;
}

/** Deletes log objects older than three years, every tenant; returns how many of each went. */
export async function purgeLogs(db: Db, clock: Clock): Promise<{ handlingLog: number; calls: number; clinicLog: number }> {
  const cutoff = yearsBefore(clock.now(), LOG_RETENTION_YEARS);
  const tenants = await sql<{ tenant_code: string }>`SELECT tenant_code FROM platform.tenants`.execute(db);
  let handlingLog = 0;
  let calls = 0;
  for (const { tenant_code } of tenants.rows) {
    await withTenant(db, tenant_code, async (tx) => {
      handlingLog += Number((await sql`DELETE FROM platform.handling_log WHERE at < ${cutoff}`.execute(tx)).numAffectedRows ?? 0);
      calls += Number((await sql`DELETE FROM platform.calls WHERE at < ${cutoff}`.execute(tx)).numAffectedRows ?? 0);
    });
  }
  // The institutions' own access log (no tenant RLS: it names institutions and target ids only), and
  // clinic sessions and reception challenges long over.
  const clinicLog = Number((await sql`DELETE FROM platform.clinic_log WHERE at < ${cutoff}`.execute(db)).numAffectedRows ?? 0);
  const dayAgo = new Date(clock.now().getTime() - 86_400_000);
  await sql`DELETE FROM platform.clinic_sessions WHERE expires_at < ${dayAgo}`.execute(db);
  await sql`DELETE FROM platform.reception_challenges WHERE expires_at < ${dayAgo}`.execute(db);
  return { handlingLog, calls, clinicLog };
}

const ERASE_ORDER = ['institution_doses', 'visits', 'answers', 'notices', 'target_records', 'target_vaccinations', 'targets', 'calls', 'handling_log', 'deletions', 'templates', 'vaccination_settings', 'users'] as const;

export const ERASURE_LABELS: Record<(typeof ERASE_ORDER)[number] | 'apiTokens' | 'keyLinks', string> = {
  institution_doses: '医療機関が登録した接種記録',
  visits: '医療機関での受付',
  answers: '予診票の回答',
  notices: 'お知らせ',
  target_records: '接種記録',
  target_vaccinations: '接種予定・勧奨',
  targets: '対象者情報（個人番号・基本5情報を含む）',
  calls: '連携の記録',
  handling_log: '取扱いログ',
  deletions: '削除の記録',
  templates: '雛形',
  vaccination_settings: '予防接種設定',
  users: '利用者',
  apiTokens: '連携用トークン',
  keyLinks: 'PMHキーとの対応',
};

export interface ErasureReport {
  readonly tenant: string;
  readonly tenantName: string;
  readonly at: string;
  readonly by: string;
  readonly counts: Record<string, number>;
  readonly remaining: number;
}

/**
 * PMH-23: erases all of a tenant's data at contract end and reports it.  Runs in one transaction; the
 * tenant is marked ended (its tokens stop working); the report is kept (it holds only counts).
 */
export async function eraseTenant(db: Db, clock: Clock, tenant: string, by: string): Promise<ErasureReport> {
  const t = await getTenant(db, tenant);
  if (!t) throw new Problem(404, 'NOT_FOUND', '見つかりません', '指定された契約団体はありません。');
  const now = clock.now();
  const counts: Record<string, number> = {};
  let remaining = 0;
  await withTenant(db, tenant, async (tx) => {
    counts['keyLinks'] = Number((await sql`DELETE FROM platform.key_tenants WHERE tenant_code = ${tenant}`.execute(tx)).numAffectedRows ?? 0);
    for (const table of ERASE_ORDER) {
      counts[table] = Number((await sql`DELETE FROM ${sql.table(`platform.${table}`)} WHERE tenant_code = ${tenant}`.execute(tx)).numAffectedRows ?? 0);
    }
    counts['apiTokens'] = Number((await sql`DELETE FROM platform.api_tokens WHERE tenant_code = ${tenant}`.execute(tx)).numAffectedRows ?? 0);
    // Pseudonyms whose key no tenant holds any more are unlinked too (with their agencies).
    await sql`DELETE FROM platform.agencies a WHERE NOT EXISTS (SELECT 1 FROM platform.key_tenants k JOIN platform.pseudonyms p ON p.pmh_key = k.pmh_key WHERE p.pmh_pseudonym = a.principal)`.execute(tx);
    await sql`DELETE FROM platform.agencies a WHERE NOT EXISTS (SELECT 1 FROM platform.key_tenants k JOIN platform.pseudonyms p ON p.pmh_key = k.pmh_key WHERE p.pmh_pseudonym = a.agent)`.execute(tx);
    await sql`DELETE FROM platform.pseudonyms p WHERE NOT EXISTS (SELECT 1 FROM platform.key_tenants k WHERE k.pmh_key = p.pmh_key)`.execute(tx);
    for (const table of ERASE_ORDER) {
      remaining += Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(`platform.${table}`)} WHERE tenant_code = ${tenant}`.execute(tx)).rows[0]!.n);
    }
    await sql`UPDATE platform.tenants SET status = 'ended', ended_at = ${now} WHERE tenant_code = ${tenant}`.execute(tx);
    await sql`INSERT INTO platform.erasure_reports (tenant_code, at, by_whom, counts) VALUES (${tenant}, ${now}, ${by}, ${JSON.stringify(counts)}::jsonb)`.execute(tx);
  });
  return { tenant, tenantName: t.name, at: now.toISOString(), by, counts, remaining };
}
