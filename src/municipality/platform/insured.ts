// The municipality as 国民健康保険の保険者 (synthetic): it tells 支払基金's 医療保険者等向け中間サーバー who its
// insured persons are (`insured.enroll`, docs/formats/platform-protocol.md), with their My Number and basic
// information — what lets 支払基金 issue PMH keys and run the mis-link check (PMH-05…07).  In Mamori's
// synthetic world every resident is treated as insured by the municipality (decision 0145); a real
// deployment feeds 支払基金 from each insurer's own system.
import { sql } from 'kysely';
import type { Principal } from '../../kernel/context/index.js';
import { runAs } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { PERSON_SUBJECT, type PersonState } from '../residents/index.js';
import { sexOf, type PlatformDeps, type PlatformExchange } from './push.js';

export const INSURERHUB_NODE = 'insurerhub';
export const INSURED_PURPOSE = '医療保険者等向け中間サーバーへの被保険者の登録（国民健康保険）';
const CHUNK = 1000;

export interface EnrollReport {
  readonly sent: number;
  readonly enrolled: number;
  readonly unchanged: number;
  /** Residents without a My Number in the vault (not sent). */
  readonly withoutNumber: number;
}

/** Sends the municipality's insured persons (its residents, or those named) to 支払基金. */
export async function enrollInsured(deps: PlatformDeps, who: Principal, x: PlatformExchange, opts: { atenaNos?: readonly string[]; insurerNo?: string } = {}): Promise<EnrollReport> {
  const insurer = opts.insurerNo ?? `01${who.tenant}`;
  const atenas = await runAs(deps.db, who, async (w) =>
    (await sql<{ atena_no: string }>`
      SELECT atena_no FROM municipality.persons WHERE tenant_code = ${w.tenant} AND status = 'resident'
        AND (${opts.atenaNos ?? null}::text[] IS NULL OR atena_no = ANY(${opts.atenaNos ?? null}::text[])) ORDER BY atena_no`.execute(w.tx)).rows.map((r) => r.atena_no),
  );
  let sent = 0, enrolled = 0, unchanged = 0, withoutNumber = 0;
  for (let i = 0; i < atenas.length; i += CHUNK) {
    const part = atenas.slice(i, i + CHUNK);
    const members = await runAs(deps.db, who, async (w) => {
      const persons = await sql<{ atena_no: string; state: PersonState }>`SELECT atena_no, state FROM municipality.persons WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${part}::text[])`.execute(w.tx);
      const out: { myNumber: string; name: string; nameKana: string; dateOfBirth: string; sex: string; address: string }[] = [];
      for (const p of persons.rows) {
        let myNumber: string;
        try {
          // In memory only, for this message.
          myNumber = await deps.vault.reveal(w, { subjectType: PERSON_SUBJECT, subjectId: p.atena_no }, INSURED_PURPOSE, { subjectRef: `resident:${p.atena_no}` });
        } catch (e) {
          if (!isProblem(e) || e.status >= 500) throw e;
          withoutNumber++;
          continue;
        }
        const s = p.state;
        out.push({ myNumber, name: s.nameKanji, nameKana: s.nameKana ?? '', dateOfBirth: s.birthDate, sex: sexOf(s.sex), address: [s.address, s.katagaki].filter(Boolean).join(' ') });
      }
      await appendEntry(w.tx, w, { action: 'export', targetType: 'insured-enroll', targetId: insurer, purpose: INSURED_PURPOSE, detail: { to: INSURERHUB_NODE, persons: out.length } });
      return out;
    });
    if (members.length === 0) continue;
    const a = await x.node.call(INSURERHUB_NODE, 'insured.enroll', { insurer, members }, { personal: true, timeoutMs: 120_000 });
    const b = (a.body ?? {}) as { enrolled?: number; unchanged?: number };
    sent += members.length;
    enrolled += b.enrolled ?? 0;
    unchanged += b.unchanged ?? 0;
  }
  return { sent, enrolled, unchanged, withoutNumber };
}
