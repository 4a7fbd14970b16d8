// The PDF libraries are loaded on first use, not when the module is imported: pdf-lib, fontkit and bwip-js
// together take about a second to load, and every `mamori` command that opens the app imports this room.
import { createRequire } from 'node:module';
import type * as Bwip from 'bwip-js';
import type * as Fontkit from '@pdf-lib/fontkit';
import type * as PdfLib from 'pdf-lib';

const req = createRequire(import.meta.url);

let pdf: typeof PdfLib | undefined;
let fk: typeof Fontkit | undefined;
let bw: typeof Bwip | undefined;

export const pdfLib = (): typeof PdfLib => (pdf ??= req('pdf-lib') as typeof PdfLib);
export const fontkit = (): typeof Fontkit => (fk ??= req('@pdf-lib/fontkit') as typeof Fontkit);
export const bwipjs = (): typeof Bwip => (bw ??= req('bwip-js') as typeof Bwip);

/** Resolves a file inside an installed package (the font files). */
export const resolvePackageFile = (spec: string): string => req.resolve(spec);
