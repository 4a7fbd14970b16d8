// Reading the QR codes printed on a certificate the way a scanner would: the page rendered by poppler's
// pdftoppm, the codes decoded by zbar's zbarimg (Debian zbar-tools; .ci/run installs it).  ZXing's
// JavaScript port is not used here: it misses about a third of these dense (Version 18) codes even on
// ideal bitmaps, where zbar reads them all (decision 0011).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The QR texts zbar finds on one page (rendered at `dpi`), in the order it reports them. */
export function scanQrCodes(pdf: Uint8Array, page = 1, dpi = 150): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-qr-'));
  try {
    const file = join(dir, 'in.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-png', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', file, join(dir, 'page')]);
    try {
      const out = execFileSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', join(dir, 'page.png')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return out.split('\n').map((l) => l.trim()).filter(Boolean);
    } catch (e) {
      // zbarimg exits 4 when the image holds no symbol.
      if ((e as { status?: number }).status === 4) return [];
      throw e;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
