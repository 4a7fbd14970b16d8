// Headless Chromium (Debian package) driven by playwright-core.
import { chromium, type Browser } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * The browser tests are part of the suite, never skipped: without Chromium they fail with this message
 * (README: the tests need Debian `chromium`; `.ci/run` installs it).
 */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium がありません（${CHROMIUM}）。apt-get install -y chromium で入れるか、CHROMIUM_PATH で場所を指定してください。`);
  // Under libfaketime (scripts/faketime-suite.sh) Chromium keeps the moved wall clock but needs its monotonic
  // clock faked too: with DONT_FAKE_MONOTONIC (which Node needs) its zygote stalls.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'DONT_FAKE_MONOTONIC' && v !== undefined)) as Record<string, string>;
  return chromium.launch({
    executablePath: CHROMIUM,
    env,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}
