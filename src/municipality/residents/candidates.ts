// Candidates for 4情報 matching, fetched as decision 0035 asks of every caller: everyone born on the query's
// birth date, plus everyone whose 検索カナ equals the query's.  The second set cannot create an automatic link
// (a strict candidate has the query's birth date), but it lets the rule see a namesake whose birth date is
// one digit away — the query's date may be the typo — and block the link; without it that namesake is
// invisible and the link goes through.  Measured on the synthetic perturbation test (decision 0045): recall
// and wrong links are the same with and without it; it closes the hole the rule's safety argument names.
import type { Work } from '../../kernel/context/index.js';
import { searchKana, type MatchCandidate } from './matching.js';
import type { PersonState } from './state.js';

export interface CandidateRow {
  readonly atena_no: string;
  readonly juminhyo_code: string | null;
  readonly integrated_no: string | null;
  readonly state: PersonState;
  readonly status: PersonState['status'];
  readonly version: number;
  readonly effective_date: string;
  readonly last_run_id: string | null;
  readonly search_kana: string;
}

export interface CandidateQuery {
  readonly birthDate: string;
  readonly nameKana?: string | null | undefined;
}

export interface MatchCandidates {
  /** Every person fetched (each once). */
  readonly rows: readonly CandidateRow[];
  /** The candidates for one of the queries: same birth date, or same 検索カナ. */
  forQuery(q: CandidateQuery): MatchCandidate[];
}

const kanaKey = (kana: string | null | undefined): string => (kana ? searchKana(kana) : '');

export function toMatchCandidate(r: Pick<CandidateRow, 'atena_no' | 'state' | 'status'>): MatchCandidate {
  const s = r.state;
  return { atenaNo: r.atena_no, nameKanji: s.nameKanji, nameKana: s.nameKana, birthDate: s.birthDate, sex: s.sex, address: s.address, status: r.status, householdNo: s.householdNo };
}

/** One query for all of `queries` (persons_birth and persons_kana indexes). */
export async function fetchMatchCandidates(w: Work, queries: readonly CandidateQuery[]): Promise<MatchCandidates> {
  const births = [...new Set(queries.map((q) => q.birthDate))];
  const kanas = [...new Set(queries.map((q) => kanaKey(q.nameKana)).filter((k) => k !== ''))];
  const rows = births.length
    ? await w.tx
        .selectFrom('municipality.persons')
        .select(['atena_no', 'juminhyo_code', 'integrated_no', 'state', 'status', 'version', 'effective_date', 'last_run_id', 'search_kana'])
        .where('tenant_code', '=', w.tenant)
        .where((eb) => eb.or([eb('birth_date', 'in', births), ...(kanas.length ? [eb('search_kana', 'in', kanas)] : [])]))
        .execute()
    : [];
  const byBirth = new Map<string, CandidateRow[]>();
  const byKana = new Map<string, CandidateRow[]>();
  for (const r of rows) {
    byBirth.set(r.state.birthDate, [...(byBirth.get(r.state.birthDate) ?? []), r]);
    byKana.set(r.search_kana, [...(byKana.get(r.search_kana) ?? []), r]);
  }
  return {
    rows,
    forQuery(q) {
      const seen = new Set<string>();
      const out: MatchCandidate[] = [];
      for (const r of [...(byBirth.get(q.birthDate) ?? []), ...(byKana.get(kanaKey(q.nameKana)) ?? [])]) {
        if (seen.has(r.atena_no)) continue;
        seen.add(r.atena_no);
        out.push(toMatchCandidate(r));
      }
      return out;
    },
  };
}
