// The dose number of a record as every reader prints it (decision 0097): the staff screens, the
// 予防接種済証明書 / 記録証明書 and the COVID-19 certificate take it from here, so they cannot disagree.
//
// The number is the one the record is filed with (`dose`: decided by the schedule engine when the dose was
// entered, or stated by the clinic's file) — the position in its program's series.  So a COVID-19 dose of
// 2022 reads 「3回目」 under the 特例臨時接種 (counted 1, 2, 3… through 初回 and 追加接種), and a dose of the
// B類 program, which counts one dose per fiscal year, reads 「令和6年度 1回目」: the 年度 is part of the
// number, because without it 「1回目」 would read as the person's first dose ever.
import { fiscalYearOf, formatFiscalYearWareki } from '../../kernel/jp/index.js';
import { programVersionAt, type Catalog } from '../schedule/index.js';

export interface DoseNumber {
  /** Position in the program's series (within the fiscal year for an annual program); null when not filed. */
  readonly number: number | null;
  /** As printed: 「3回目」, 「令和6年度 1回目」, 「第1期初回 1回目」; '' when nothing is known. */
  readonly text: string;
}

export interface DoseFields {
  readonly program: string | null;
  readonly dose: number | null;
  readonly doseLabel: string | null;
  readonly vaccinatedOn: string | null;
}

/** True when the program counts its series again every fiscal year (B類: influenza, COVID-19 from FY2024). */
function annual(catalog: Catalog, program: string | null, date: string | null): boolean {
  if (!program) return false;
  const p = (date ? programVersionAt(catalog, program, date) : undefined) ?? catalog.programsByCode.get(program)?.at(-1);
  return p?.resetPer === 'fiscalYear';
}

/** The one dose number of a record (its `dose`, `doseLabel`, `program` and date). */
export function doseNumberOf(catalog: Catalog, d: DoseFields): DoseNumber {
  const year = d.dose !== null && d.vaccinatedOn && annual(catalog, d.program, d.vaccinatedOn) ? formatFiscalYearWareki(fiscalYearOf(d.vaccinatedOn)) : null;
  const text = [year, d.doseLabel, d.dose !== null ? `${d.dose}回目` : null].filter(Boolean).join(' ');
  return { number: d.dose, text };
}
