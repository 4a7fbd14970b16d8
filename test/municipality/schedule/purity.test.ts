// municipality/schedule is pure: no I/O, no clock, no database.  It may import only zod, kernel/jp and
// kernel/problems (through their public faces) and its own files.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../../src/municipality/schedule/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('schedule engine purity', () => {
  it('imports only zod, kernel/jp, kernel/problems and itself', () => {
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const src = readFileSync(DIR + f, 'utf8');
      for (const m of src.matchAll(/from '([^']+)'/g)) {
        expect(['zod', '../../kernel/jp/index.js', '../../kernel/problems/index.js'].includes(m[1]!) || m[1]!.startsWith('./'), `${f}: ${m[1]}`).toBe(true);
      }
    }
  });
  it('reads no clock, no environment and no files', () => {
    for (const f of files) {
      const src = readFileSync(DIR + f, 'utf8');
      expect(src, f).not.toMatch(/new Date\(|Date\.now|process\.|performance\.|Math\.random|require\(/);
    }
  });
});
