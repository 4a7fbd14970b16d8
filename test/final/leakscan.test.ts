// Runs after the whole main suite (`vitest run --project leakscan`): reads everything the run logged —
// the structured log of every test process and CLI child, and the CLI transcripts — and fails if any
// My Number appears (KRN-07, KRN-31: My Number never appears in logs).  Tests use only synthetic numbers
// from the test range (prefix 999, valid check digit), in half-width or full-width digits, bare or
// grouped 4-4-4; all those shapes are searched for.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMyNumbers } from '../harness/leaks.js';
import { LOG_DIR, LOG_FILE } from '../harness/paths.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('log redaction over the whole test run', () => {
  it('the main run wrote logs to scan', () => {
    expect(existsSync(LOG_DIR)).toBe(true);
    expect(existsSync(LOG_FILE)).toBe(true);
    const size = files(LOG_DIR).reduce((n, f) => n + statSync(f).size, 0);
    expect(size).toBeGreaterThan(10_000);
    // The log really is the run's: request logs and operation outcomes are in it.
    const text = readFileSync(LOG_FILE, 'utf8');
    expect(text).toContain('"msg":"request completed"');
  });

  it('contains no My Number (test range or otherwise valid) in any shape', () => {
    const found: string[] = [];
    for (const f of files(LOG_DIR)) {
      for (const at of findMyNumbers(readFileSync(f, 'utf8'))) found.push(`${f.slice(LOG_DIR.length + 1)} @${at}`);
    }
    expect(found).toEqual([]);
  });
});
