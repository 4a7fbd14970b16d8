// The voucher number as a CODE128 barcode, drawn as vector bars (sharp at any printer resolution, no
// image to decode or embed per page).  bwip-js (Barcode Writer in Pure PostScript) computes the symbol.
import { bwipjs } from '../../kernel/pdf/index.js';

export interface Bars {
  /** Bar [start, width] pairs in modules, from the left edge of the symbol (quiet zones excluded). */
  readonly bars: readonly (readonly [number, number])[];
  /** Total width of the symbol in modules. */
  readonly modules: number;
}

/** CODE128 bars for `data` (bwip-js picks the code sets; 18 digits go in set C: 9 symbol characters). */
export function code128(data: string): Bars {
  const raw = bwipjs().raw('code128', data, {}) as { sbs?: number[] }[];
  const sbs = raw[0]?.sbs;
  if (!sbs) throw new Error('CODE128 の生成に失敗しました');
  const bars: [number, number][] = [];
  let x = 0;
  for (let i = 0; i < sbs.length; i++) {
    const w = sbs[i]!;
    if (i % 2 === 0) bars.push([x, w]);
    x += w;
  }
  return { bars, modules: x };
}

/** Quiet zone each side, in modules (ISO/IEC 15417 asks for at least 10). */
export const QUIET_ZONE_MODULES = 10;
