// The periodic 戸籍 check of the register (issue 15 Must have 6; QUA-17, QUA-16): besides the daily 住基ネット
// check (juki.ts runChecks), the registry asks 法務省 through the network for the 戸籍 changes of every
// registrant since its last 戸籍 run (kosekiChanges) and stores each change as a proposal for examination in
// the same table as 住基's (source 'koseki'): 氏名, 本籍, 死亡 (which opens 抹消 when accepted).  A run is one
// row of check_runs (source 'koseki'); proposals are unique per entry, kind and value, so a re-run adds none.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { addDays } from '../kernel/jp/index.js';
import { arrayLiteral } from '../kernel/db/index.js';
import { conflict } from '../kernel/problems/index.js';
import { FIRST_RUN_DAYS } from './juki.js';
import { kosekiChanges, type KosekiCheckDeps, type KosekiProposal } from './koseki.js';
import { noticeOfChangeNeededRows } from './notices.js';
import { withTenant } from './store.js';

export interface KosekiRun {
  readonly tenant: string;
  readonly runNo: number;
  readonly since: string;
  readonly checked: number;
  readonly changed: number;
  readonly deaths: number;
  readonly unresolved: number;
  readonly proposals: number;
}

const valueKeyOf = (p: KosekiProposal): string => createHash('sha256').update(JSON.stringify([p.occurredOn, p.detail])).digest('hex');

/** What the proposal proposes, in the shape `closeProposal` applies (氏名 as one string, 死亡日, 本籍コード). */
function proposedOf(p: KosekiProposal): Record<string, unknown> {
  const d = p.detail as { to?: { 姓: string; 名: string }; 死亡日?: string; 本籍コード?: string; to本籍コード?: string };
  if (p.kind === 'name' && d.to) return { 氏名: `${d.to.姓}　${d.to.名}`, 事由: (p.detail as { 事由?: unknown }).事由 ?? null, occurredOn: p.occurredOn };
  if (p.kind === 'death') return { 死亡日: p.occurredOn, ...p.detail };
  return { ...p.detail, occurredOn: p.occurredOn };
}

/** Whether a tenant's daily 戸籍 check is due (no finished run today). */
export async function kosekiChecksDue(deps: Pick<KosekiCheckDeps, 'db' | 'clock'>, tenant: string): Promise<boolean> {
  const r = await withTenant(deps.db, tenant, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.check_runs WHERE source = 'koseki' AND period_until >= ${deps.clock.today()}::date`.execute(tx));
  return (r.rows[0]?.n ?? 0) === 0;
}

/** One 戸籍 run of a tenant: from the day after the last run's end (first run: FIRST_RUN_DAYS back) to today. */
export async function runKosekiChecks(deps: KosekiCheckDeps, input: { tenant: string; since?: string; by?: string }): Promise<KosekiRun> {
  const tenant = input.tenant;
  const today = deps.clock.today();
  const run = await withTenant(deps.db, tenant, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registry|koseki-run|${tenant}`}, 0))`.execute(tx);
    // A run left 'running' by a process that died more than an hour ago is abandoned (its proposals were never
    // written: kosekiChanges stores nothing until it has every answer), so the next run starts again from its day.
    await sql`UPDATE registry.check_runs SET status = 'abandoned', finished_at = ${deps.clock.now()}, last_error = '中断されたまま1時間が経過しました'
              WHERE source = 'koseki' AND status = 'running' AND started_at < ${new Date(deps.clock.now().getTime() - 3600_000)}`.execute(tx);
    const running = await sql`SELECT 1 FROM registry.check_runs WHERE source = 'koseki' AND status = 'running'`.execute(tx);
    if (running.rows.length) throw conflict('CHECK_RUNNING', '戸籍の定期確認が実行中です。終わってからもう一度実行してください。');
    const last = await sql<{ until: string }>`SELECT to_char(max(period_until), 'YYYY-MM-DD') AS until FROM registry.check_runs WHERE source = 'koseki' AND status = 'done'`.execute(tx);
    const since = input.since ?? (last.rows[0]?.until ? addDays(last.rows[0].until, 1) : addDays(today, -FIRST_RUN_DAYS));
    const from = since > today ? today : since;
    const no = await sql<{ n: string }>`SELECT (COALESCE(max(run_no), 0) + 1)::text AS n FROM registry.check_runs`.execute(tx);
    await sql`INSERT INTO registry.check_runs (tenant_code, run_no, source, period_from, period_until, status, started_at)
              VALUES (${tenant}, ${no.rows[0]!.n}, 'koseki', ${from}, ${today}, 'running', ${deps.clock.now()})`.execute(tx);
    return { runNo: no.rows[0]!.n, since: from };
  });
  try {
    const r = await kosekiChanges(deps, { tenant, since: run.since, by: input.by ?? 'periodic' });
    const ps = r.proposals;
    const added = await withTenant(deps.db, tenant, async (tx) => {
      let n = 0;
      if (ps.length) {
        const ins = await sql<{ id: string; qualification_code: string; registration_no: string; kind: string }>`INSERT INTO registry.check_proposals (tenant_code, qualification_code, registration_no, source, kind, value_key, current, proposed, run_no, found_at)
          SELECT ${tenant}, u.q, u.n, 'koseki', u.k, u.v, '{}'::jsonb, u.p::jsonb, ${run.runNo}, ${deps.clock.now()}
          FROM unnest(${arrayLiteral(ps.map((p) => p.entry.qualification))}::text[], ${arrayLiteral(ps.map((p) => p.entry.number))}::bigint[], ${arrayLiteral(ps.map((p) => p.kind))}::text[],
                      ${arrayLiteral(ps.map(valueKeyOf))}::text[], ${arrayLiteral(ps.map((p) => JSON.stringify(proposedOf(p))))}::text[]) AS u(q, n, k, v, p)
          ON CONFLICT (tenant_code, qualification_code, registration_no, source, kind, value_key) DO NOTHING RETURNING id, qualification_code, registration_no, kind`.execute(tx);
        n = ins.rows.length;
        // QUA-26: a new name or 本籍 in 戸籍 is for the person to apply for (籍訂正・書換え交付): told online.
        await noticeOfChangeNeededRows(tx, deps.clock, ins.rows);
      }
      await sql`UPDATE registry.check_runs SET status = 'done', finished_at = ${deps.clock.now()}, checked = ${r.checked}, changed = ${r.changed}, deaths = ${r.deaths},
                  unresolved = ${r.unresolved}, proposals = ${n} WHERE run_no = ${run.runNo} AND source = 'koseki'`.execute(tx);
      return n;
    });
    return { tenant, runNo: Number(run.runNo), since: run.since, checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved, proposals: added };
  } catch (e) {
    await withTenant(deps.db, tenant, (tx) => sql`UPDATE registry.check_runs SET status = 'abandoned', finished_at = ${deps.clock.now()}, last_error = ${String((e as Error).message).slice(0, 500)}
      WHERE run_no = ${run.runNo} AND source = 'koseki'`.execute(tx));
    throw e;
  }
}
