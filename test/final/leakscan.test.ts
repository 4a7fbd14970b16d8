// Runs after the whole main suite (`vitest run --project leakscan`): reads everything the run logged —
// the structured log of every test process and CLI child, and the CLI transcripts — and fails if any
// My Number appears (KRN-07, KRN-31: My Number never appears in logs).  Tests use only synthetic numbers
// from the test range (prefix 999, valid check digit), in half-width or full-width digits, bare or
// grouped 4-4-4, with '+' or percent-encoded (decision 0124); all those shapes are searched for.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMyNumbers, myNumberForms, LEAK_FEED_MARK, LEAK_FEED_SEED } from '../harness/leaks.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
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

  // Decision 0124: test/kernel/log-leaks.test.ts planted one number in every form (spaces, hyphens, '+',
  // full-width, percent-encoded) through query strings, JSON and form bodies, headers, database errors
  // and CLI arguments.  Its lines must be in the run's log, and no form of the number anywhere.
  it('the planted My Number was fed through every input, and no form of it is in any log', () => {
    const all = files(LOG_DIR).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(all, 'run test/kernel/log-leaks.test.ts in the main run before the leak scan').toContain(LEAK_FEED_MARK);
    const forms = myNumberForms(syntheticMyNumber(LEAK_FEED_SEED, 0));
    expect(forms.filter((f) => all.includes(f) || all.includes(JSON.stringify(f).slice(1, -1)))).toEqual([]);
  });

  it('contains no My Number (test range or otherwise valid) in any shape', () => {
    const found: string[] = [];
    for (const f of files(LOG_DIR)) {
      for (const at of findMyNumbers(readFileSync(f, 'utf8'))) found.push(`${f.slice(LOG_DIR.length + 1)} @${at}`);
    }
    expect(found).toEqual([]);
  });
});
