// Retention of former residents' data (KRN-12, KRN-37, KRN-38; decision 0116).
//
// resident-mynumber — seed 002 (江戸川区, ６．③消去方法): 「健康システム上の特定個人情報の記録については、
// 20年以上保管するが、消去する際は、個人番号欄を空白若しくは全て０で表示させる等、個人番号が表示されないよう処置を
// 行う」.  The number of a person who ceased to be a resident (転出確定, 死亡, 職権消除) is therefore kept for
// the period (default 20 years from the 住民でなくなった日) and then blanked with the vault's suppress: the
// ciphertext and the blind index are erased, the row stays as a tombstone with when and why, and a reveal
// says so.  Nothing is due while the person is a resident again or a registered 住登外者.  A tenant that wants
// the number blanked at once sets the period to 1 day.
//
// resident-history — the seeds set no period for the residents copy.  The 除票 of the 住民基本台帳 itself is
// kept 150 years (住民基本台帳法施行令第34条第1項, since 2019-06-20); Mamori's copy does not outlive it: after
// the period from the 住民でなくなった日 the past versions of a former resident (old names and addresses) are
// deleted, the current version stays (vaccination records, notices and certificates refer to the person).
import { sql, type RawBuilder } from 'kysely';
import { jstToday } from '../../kernel/jp/index.js';
import type { TenantDataClass } from '../../kernel/retention/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { Work } from '../../kernel/context/index.js';
import { SUBJECT } from './apply.js';

const CEASED = ['moved-out', 'deceased', 'removed'] as const;

/**
 * The person `p` ceased to be a resident (転出確定, 死亡, 職権消除) before the cutoff's JST day: the condition
 * every retention period of a former resident's data starts from (a resident again, or a registered 住登外者,
 * is never due).
 */
export function ceasedBefore(cutoff: Date): RawBuilder<unknown> {
  return sql`p.status IN (${sql.join(CEASED)}) AND (p.state->>'ceasedOn')::date < ${jstToday(cutoff)}::date`;
}

/** How many rows a retention class's `FROM … WHERE …` fragment selects. */
export async function countDue(w: Work, from: RawBuilder<unknown>): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n ${from}`.execute(w.tx);
  return Number(r.rows[0]?.n ?? 0);
}

async function dueNumbers(w: Work, cutoff: Date, limit?: number): Promise<{ atena_no: string; ceased_on: string; ceased_reason: string | null }[]> {
  const r = await sql<{ atena_no: string; ceased_on: string; ceased_reason: string | null }>`
    SELECT p.atena_no, p.state->>'ceasedOn' AS ceased_on, p.state->>'ceasedReason' AS ceased_reason
    FROM kernel.mynumber_vault v
    JOIN municipality.persons p ON p.tenant_code = v.tenant_code AND p.atena_no = v.subject_id
    WHERE v.tenant_code = ${w.tenant} AND v.subject_type = ${SUBJECT} AND v.ciphertext IS NOT NULL
      AND ${ceasedBefore(cutoff)}
    ORDER BY p.atena_no ${limit ? sql`LIMIT ${limit}` : sql``}`.execute(w.tx);
  return r.rows;
}

/** The vault's numbers of former residents (needs the vault to suppress through it). */
export function residentMyNumberClass(vault: Vault): TenantDataClass {
  return {
    name: 'resident-mynumber',
    label: '住民でなくなった人の個人番号（転出・死亡・職権消除）',
    duty: 'addressee',
    scope: 'tenant',
    defaultPolicy: { mode: 'years', period: 20, deletion: 'logical', requiresApproval: true },
    methods: ['logical'],
    async count(w, cutoff) {
      return (await dueNumbers(w, cutoff)).length;
    },
    async purge(w, cutoff) {
      const due = await dueNumbers(w, cutoff);
      const done: string[] = [];
      for (const p of due) {
        const reason = `${p.ceased_reason ?? '消除'}（${p.ceased_on}）から保存期間が経過したため消去`;
        if (await vault.suppress(w, { subjectType: SUBJECT, subjectId: p.atena_no }, reason, { subjectRef: `resident:${p.atena_no}` })) done.push(`resident:${p.atena_no}`);
      }
      return { count: done.length, targetIds: done };
    },
  };
}

const dueHistory = (w: Work, cutoff: Date) => sql`
  FROM municipality.person_versions v
  JOIN municipality.persons p ON p.tenant_code = v.tenant_code AND p.atena_no = v.atena_no
  WHERE v.tenant_code = ${w.tenant} AND v.version < p.version AND ${ceasedBefore(cutoff)}`;

export const RESIDENT_HISTORY_CLASS: TenantDataClass = {
  name: 'resident-history',
  label: '住民でなくなった人の異動履歴（過去の版）',
  duty: 'addressee',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 150, deletion: 'physical', requiresApproval: true },
  methods: ['physical'],
  count: (w, cutoff) => countDue(w, dueHistory(w, cutoff)),
  async purge(w, cutoff) {
    const r = await sql<{ atena_no: string; version: number }>`
      DELETE FROM municipality.person_versions d
      USING (SELECT v.tenant_code, v.atena_no, v.version ${dueHistory(w, cutoff)}) x
      WHERE d.tenant_code = x.tenant_code AND d.atena_no = x.atena_no AND d.version = x.version
      RETURNING d.atena_no, d.version`.execute(w.tx);
    return { count: r.rows.length, targetIds: r.rows.map((x) => `resident:${x.atena_no}@${x.version}`) };
  },
};
