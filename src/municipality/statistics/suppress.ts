// Small-cell suppression (秘匿処理) for published statistics — decision 0076.  VAX-28: "No output may identify an
// individual."  Pure: counts in, cells out.
//
// Within each (program, dose) group the age-band rows add up to the 全年齢 total row, for both columns
// (対象者数 and 接種者数).  The rule:
// 1. Primary: a count from 1 to threshold−1 is suppressed (0 is shown: it identifies nobody).
// 2. Attribute protection: where 対象者数 is suppressed, 接種者数 is suppressed too — otherwise "0 of a hidden
//    few were vaccinated" would tell everyone in that small group's status.
// 3. Complementary: in a column whose total is shown, a single suppressed band cell could be recovered by
//    subtracting the shown cells from the total, so the smallest shown non-zero band cell is suppressed as
//    well; when there is none, the total itself is suppressed.
// 4. Rules 2 and 3 repeat until nothing changes.
// 接種率 is published only where both counts are.
import type { Cell } from './model.js';

export interface GroupCounts {
  /** Band cells in display order, then the total (the sum of the bands). */
  readonly bands: readonly { readonly targets: number; readonly vaccinated: number }[];
  readonly total: { readonly targets: number; readonly vaccinated: number };
}

export interface SuppressedGroup {
  readonly bands: readonly { readonly targets: Cell; readonly vaccinated: Cell }[];
  readonly total: { readonly targets: Cell; readonly vaccinated: Cell };
}

type Mark = false | 'primary' | 'complementary';

export function suppressGroup(g: GroupCounts, threshold: number): SuppressedGroup {
  const n = g.bands.length;
  const small = (v: number) => v >= 1 && v < threshold;
  // marks[i] for bands, marks[n] for the total; per column.
  const t: Mark[] = [...g.bands.map((b) => (small(b.targets) ? ('primary' as const) : false)), small(g.total.targets) ? 'primary' : false];
  const v: Mark[] = [...g.bands.map((b) => (small(b.vaccinated) ? ('primary' as const) : false)), small(g.total.vaccinated) ? 'primary' : false];
  const tv = [...g.bands.map((b) => b.targets), g.total.targets];
  const vv = [...g.bands.map((b) => b.vaccinated), g.total.vaccinated];

  const complement = (marks: Mark[], values: number[]): boolean => {
    if (marks[n]) return false;
    const hidden = marks.slice(0, n).filter(Boolean).length;
    if (hidden !== 1) return false;
    let pick = -1;
    for (let i = 0; i < n; i++) {
      if (marks[i] || values[i] === 0) continue;
      if (pick < 0 || values[i]! < values[pick]!) pick = i;
    }
    marks[pick < 0 ? n : pick] = 'complementary';
    return true;
  };

  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i <= n; i++) {
      if (t[i] && !v[i]) {
        v[i] = 'complementary';
        changed = true;
      }
    }
    if (complement(t, tv)) changed = true;
    if (complement(v, vv)) changed = true;
  }

  const cell = (value: number, mark: Mark): Cell => (mark ? { value: null, suppressed: mark } : { value, suppressed: false });
  return {
    bands: g.bands.map((_, i) => ({ targets: cell(tv[i]!, t[i]!), vaccinated: cell(vv[i]!, v[i]!) })),
    total: { targets: cell(tv[n]!, t[n]!), vaccinated: cell(vv[n]!, v[n]!) },
  };
}

/** 接種率 (%) to one decimal, or null when it cannot be published. */
export function rateOf(targets: Cell, vaccinated: Cell): number | null {
  if (targets.suppressed || vaccinated.suppressed || targets.value === 0) return null;
  return Math.round((vaccinated.value / targets.value) * 1000) / 10;
}
